"""Configuration: the cookie key and the database URL."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from core import config
from core.errors import ConfigError


@pytest.fixture(autouse=True)
def _no_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PH_COOKIE_KEY", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("DATABASE_OWNER_URL", raising=False)


def test_cookie_key_is_generated_once_and_kept_private(tmp_path: Path) -> None:
    secrets = tmp_path / ".streamlit" / "secrets.toml"
    first = config.cookie_key(secrets)
    assert len(first) >= 32
    assert config.cookie_key(secrets) == first, "a restart must not sign everybody out"
    assert oct(secrets.stat().st_mode & 0o777) == "0o600"


def test_cookie_key_is_appended_to_existing_secrets(tmp_path: Path) -> None:
    secrets = tmp_path / "secrets.toml"
    secrets.write_text('other = "x"')
    key = config.cookie_key(secrets)
    text = secrets.read_text()
    assert 'other = "x"' in text and key in text


ENV_KEY = "from-env-0123456789abcdefghijklmnopqrstuv"  # 37 bytes


def test_environment_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PH_COOKIE_KEY", ENV_KEY)
    assert config.cookie_key(tmp_path / "none.toml") == ENV_KEY
    assert not (tmp_path / "none.toml").exists()


@pytest.mark.parametrize("key", ["x", "hunter2", "a" * 31, "é" * 15])
def test_a_short_key_in_the_environment_is_refused_with_how_to_make_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, key: str) -> None:
    monkeypatch.setenv("PH_COOKIE_KEY", key)
    with pytest.raises(ConfigError, match="PH_COOKIE_KEY") as refused:
        config.cookie_key(tmp_path / "none.toml")
    message = str(refused.value)
    assert "at least 32 bytes" in message and "secrets.token_urlsafe(32)" in message
    if len(key) > 3:
        assert key not in message, "the key itself is never echoed"


def test_a_short_key_in_secrets_toml_is_refused(tmp_path: Path) -> None:
    secrets = tmp_path / "secrets.toml"
    secrets.write_text('[auth]\ncookie_key = "too-short"\n')
    with pytest.raises(ConfigError, match=r"cookie_key.*at least 32 bytes"):
        config.cookie_key(secrets)


def test_a_key_of_exactly_32_bytes_is_accepted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PH_COOKIE_KEY", "k" * 32)
    assert config.cookie_key(tmp_path / "none.toml") == "k" * 32


def test_auth_table_without_key_is_a_clear_error(tmp_path: Path) -> None:
    secrets = tmp_path / "secrets.toml"
    secrets.write_text("[auth]\nother = 1\n")
    with pytest.raises(ConfigError, match="cookie_key"):
        config.cookie_key(secrets)


def test_database_url_defaults_to_sqlite_under_data() -> None:
    assert config.database_url() == f"sqlite:///{config.DEFAULT_SQLITE_PATH}"


@pytest.mark.parametrize("given", ["postgres://u@h/db", "postgresql://u@h/db", "postgresql+psycopg://u@h/db"])
def test_postgres_urls_use_psycopg3(given: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", given)
    assert config.database_url() == "postgresql+psycopg://u@h/db"


def test_owner_url_is_unset_unless_given(monkeypatch: pytest.MonkeyPatch) -> None:
    assert config.database_owner_url() is None
    monkeypatch.setenv("DATABASE_OWNER_URL", " postgres://owner@h/db ")
    assert config.database_owner_url() == "postgresql+psycopg://owner@h/db"
