"""Password hashing (bcrypt) and the partnership's password rule.

The rule: at least 10 characters, at most 72 bytes (bcrypt ignores the rest), not containing the
username, and hard to guess as judged by zxcvbn (Dropbox's estimator: it knows the passwords most
often found in breaches, dictionary words, names, keyboard rows, repeats, sequences and dates, and
is given the person's own username, name and email).
"""
from __future__ import annotations

import re
import secrets
from collections.abc import Iterable
from functools import cache

import bcrypt
from zxcvbn import zxcvbn

from core.errors import ValidationError

MIN_LENGTH = 10
BCRYPT_ROUNDS = 12
# zxcvbn scores 0-4; 3 is "safely unguessable: moderate protection from offline slow-hash scenario"
# (about 10^8 guesses or more).
MIN_SCORE = 3
HOW_TO_FIX = "Three or four random words that have nothing to do with you or your work make a strong password."


def hash_password(password: str) -> str:
    return bcrypt.hashpw(password.encode("utf-8"), bcrypt.gensalt(BCRYPT_ROUNDS)).decode("ascii")


def check_password(password: str, hashed: str) -> bool:
    try:
        return bcrypt.checkpw(password.encode("utf-8"), hashed.encode("ascii"))
    except ValueError:
        return False


@cache
def _dummy_hash() -> str:
    return hash_password(secrets.token_urlsafe(16))


def check_password_of_nobody(password: str) -> bool:
    """Spend the time one bcrypt check takes and return False: for a username that does not exist,
    so a refusal takes as long as for a wrong password and the timing does not tell them apart."""
    check_password(password, _dummy_hash())
    return False


def _personal_words(username: str, name: str, email: str) -> list[str]:
    words = [w for w in (username, name, email, email.split("@")[0]) if w]
    words += [part for w in (username, name) for part in re.split(r"[\s._-]+", w) if len(part) >= 3]
    return words


def validate_password(password: str, *, username: str = "", name: str = "", email: str = "",
                      extra_words: Iterable[str] = ()) -> None:
    """Raise ValidationError saying what to fix unless the password meets the rule."""
    if len(password) < MIN_LENGTH:
        raise ValidationError(f"Password: use at least {MIN_LENGTH} characters (this one has {len(password)}).")
    if len(password.encode("utf-8")) > 72:
        raise ValidationError("Password: use at most 72 bytes; bcrypt ignores anything longer.")
    if username and username.lower() in password.lower():
        raise ValidationError("Password: must not contain the username.")
    result = zxcvbn(password, user_inputs=[*_personal_words(username, name, email), *extra_words])
    if result["score"] < MIN_SCORE:
        feedback = result["feedback"]
        personal = any(m.get("dictionary_name") == "user_inputs" for m in result["sequence"])
        why = ("It contains your own name, username or email." if personal else
               feedback.get("warning") or "It follows a pattern that password-guessing tools try early.")
        tips = " ".join(t for t in feedback.get("suggestions", []) if t)
        raise ValidationError(f"Password: too easy to guess. {why} {tips} {HOW_TO_FIX}".replace("  ", " "))


def temporary_password() -> str:
    """A random password for a reset, shown once to the administrator."""
    return secrets.token_urlsafe(12)
