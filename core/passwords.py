"""Password hashing (bcrypt) and the partnership's password rule."""
from __future__ import annotations

import secrets

import bcrypt

from core.errors import ValidationError

MIN_LENGTH = 10
BCRYPT_ROUNDS = 12


def hash_password(password: str) -> str:
    return bcrypt.hashpw(password.encode("utf-8"), bcrypt.gensalt(BCRYPT_ROUNDS)).decode("ascii")


def check_password(password: str, hashed: str) -> bool:
    try:
        return bcrypt.checkpw(password.encode("utf-8"), hashed.encode("ascii"))
    except ValueError:
        return False


def validate_password(password: str, *, username: str = "") -> None:
    if len(password) < MIN_LENGTH:
        raise ValidationError(f"Password: use at least {MIN_LENGTH} characters (this one has {len(password)}).")
    if len(password.encode("utf-8")) > 72:
        raise ValidationError("Password: use at most 72 bytes; bcrypt ignores anything longer.")
    if username and username.lower() in password.lower():
        raise ValidationError("Password: must not contain the username.")


def temporary_password() -> str:
    """A random password for a reset, shown once to the administrator."""
    return secrets.token_urlsafe(12)
