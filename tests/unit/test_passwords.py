"""The password rule: long enough, not guessable (zxcvbn: common and leaked passwords, patterns, the person's own names)."""
from __future__ import annotations

import pytest

from core.errors import ValidationError
from core.passwords import MIN_LENGTH, temporary_password, validate_password


@pytest.mark.parametrize(
    ("password", "says"),
    [
        ("short", "at least 10 characters (this one has 5)"),
        (" " * 10, "Repeats like"),  # ten spaces
        ("aaaaaaaaaa", "Repeats like"),
        ("1234567890", "common password"),
        ("password12", "very common password"),
        ("qwertyuiop", "common password"),
        ("Password2026", "too easy to guess"),
        ("iloveyou123", "too easy to guess"),
        ("abcdefghijkl", "too easy to guess"),
        ("sam.jones2026", "must not contain the username"),
        ("Samantha Jones", "contains your own name"),
        ("é" * 37, "at most 72 bytes"),
    ],
    ids=["short", "ten spaces", "aaaaaaaaaa", "1234567890", "password12", "keyboard row", "word+year", "leaked phrase",
         "sequence", "username", "own name", "over 72 bytes"],
)
def test_weak_passwords_are_refused_with_what_to_fix(password: str, says: str) -> None:
    with pytest.raises(ValidationError) as refused:
        validate_password(password, username="sam.jones", name="Samantha Jones", email="sam@x.example")
    message = str(refused.value)
    assert message.startswith("Password: ") and says in message, message
    assert password.strip() == "" or password not in message, "the password itself is never echoed"


def test_a_refusal_for_guessability_says_how_to_fix_it() -> None:
    with pytest.raises(ValidationError) as refused:
        validate_password("password12")
    assert "Three or four random words" in str(refused.value)


@pytest.mark.parametrize("password", ["correct-horse-battery", "partnership-demo", "kettle orbit salmon", "Tr0ub4dor&3x-cart"])
def test_hard_to_guess_passwords_pass(password: str) -> None:
    validate_password(password, username="sam.jones", name="Samantha Jones")


def test_temporary_passwords_from_a_reset_always_pass() -> None:
    for _ in range(300):
        password = temporary_password()
        assert len(password) >= MIN_LENGTH
        validate_password(password, username="sam.jones", name="Samantha Jones")
