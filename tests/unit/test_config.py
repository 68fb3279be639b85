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


def test_environment_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PH_COOKIE_KEY", "from-env")
    assert config.cookie_key(tmp_path / "none.toml") == "from-env"
    assert not (tmp_path / "none.toml").exists()


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
