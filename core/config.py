"""Deployment settings read from the environment and `.streamlit/secrets.toml`."""
from __future__ import annotations

import os
import secrets
import tomllib
from pathlib import Path

from core.errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / "data"
SECRETS_FILE = ROOT / ".streamlit" / "secrets.toml"
DEFAULT_SQLITE_PATH = DATA_DIR / "partnership.db"
COOKIE_NAME = "partnership_hub_auth"
COOKIE_EXPIRY_DAYS = 1.0
MIN_COOKIE_KEY_BYTES = 32
MAKE_A_KEY = "python3 -c 'import secrets; print(secrets.token_urlsafe(32))'"


def _with_driver(url: str) -> str:
    if url.startswith("postgres://"):
        # Heroku-style URLs name no driver; we use psycopg 3.
        return "postgresql+psycopg://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def database_url() -> str:
    """`DATABASE_URL` when set (PostgreSQL in deployment), else the embedded SQLite file."""
    url = os.environ.get("DATABASE_URL", "").strip()
    if not url:
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{DEFAULT_SQLITE_PATH}"
    return _with_driver(url)


def database_owner_url() -> str | None:
    """`DATABASE_OWNER_URL`: the role that owns the schema and runs migrations (PostgreSQL), or None.

    When set, DATABASE_URL is the app's own role, which may only INSERT and SELECT audit rows
    (`python -m core.cli grant-app-role`); when unset, DATABASE_URL does everything, as before.
    """
    url = os.environ.get("DATABASE_OWNER_URL", "").strip()
    return _with_driver(url) if url else None


def _read_secrets(path: Path) -> dict:
    if not path.exists():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML ({exc}); fix or delete it.") from exc


def _long_enough(key: str, where: str) -> str:
    size = len(key.encode("utf-8"))
    if size < MIN_COOKIE_KEY_BYTES:
        raise ConfigError(
            f"{where} is {size} bytes long; the cookie key must be at least {MIN_COOKIE_KEY_BYTES} bytes of "
            f"random text. Make one with: {MAKE_A_KEY} (changing the key signs everybody out)."
        )
    return key


def cookie_key(secrets_file: Path = SECRETS_FILE) -> str:
    """The key that signs the sign-in cookie.

    Order: `PH_COOKIE_KEY` in the environment, then `[auth] cookie_key` in secrets.toml.
    When neither is set, a random key is generated once and written to secrets.toml (which
    git ignores), so restarting the app does not sign everybody out. A key shorter than
    32 bytes is refused: it signs every session cookie, and a short one can be guessed offline
    from any cookie.
    """
    env = os.environ.get("PH_COOKIE_KEY", "").strip()
    if env:
        return _long_enough(env, "PH_COOKIE_KEY")
    data = _read_secrets(secrets_file)
    key = str(data.get("auth", {}).get("cookie_key", "")).strip()
    if key:
        return _long_enough(key, f"cookie_key under [auth] in {secrets_file}")
    if "auth" in data:
        raise ConfigError(
            f"{secrets_file} has an [auth] table without cookie_key; add cookie_key = \"<random>\"."
        )
    key = secrets.token_urlsafe(32)
    secrets_file.parent.mkdir(parents=True, exist_ok=True)
    existing = secrets_file.read_text(encoding="utf-8") if secrets_file.exists() else ""
    with secrets_file.open("a", encoding="utf-8") as fh:
        if existing and not existing.endswith("\n"):
            fh.write("\n")
        fh.write(f'[auth]\ncookie_key = "{key}"\n')
    os.chmod(secrets_file, 0o600)
    return key
