"""The sign-in rules (core/signin.py): waits and lockout after failures, messages, the session token."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import jwt
import pytest

from core import signin
from core.signin import LOCKOUT, WRONG, failure_message, failures_in_a_row, is_lockout, refusal_message, wait_after

NOW = datetime(2026, 12, 4, 9, 0, tzinfo=timezone.utc)
S, M = timedelta(seconds=1), timedelta(minutes=1)


@pytest.mark.parametrize(
    ("failures", "wait", "locked"),
    [(0, 0 * S, False), (1, 0 * S, False), (2, 0 * S, False), (3, 0 * S, False),
     (4, 5 * S, False), (5, 15 * S, False), (6, 30 * S, False), (7, 1 * M, False), (8, 2 * M, False), (9, 5 * M, False),
     (10, 15 * M, True), (11, 15 * M, True), (25, 15 * M, True), (1000, 15 * M, True)],
)
def test_the_wait_grows_then_locks(failures: int, wait: timedelta, locked: bool) -> None:
    assert wait_after(failures) == wait
    assert is_lockout(failures) is locked


@pytest.mark.parametrize(
    ("previous", "last_failed", "expected"),
    [(0, None, 1), (3, NOW - M, 4), (9, NOW - timedelta(hours=23, minutes=59), 10), (9, NOW - timedelta(hours=24), 1),
     (40, NOW - timedelta(days=3), 1), (-2, NOW - M, 1)],
    ids=["first", "in a row", "just within a day", "a day later", "days later", "never below one"],
)
def test_failures_in_a_row_are_forgotten_after_a_day(previous: int, last_failed: datetime | None, expected: int) -> None:
    assert failures_in_a_row(previous, last_failed, NOW) == expected


def _checked_attempts(seconds: int, *, every: timedelta = S) -> int:
    """Passwords checked when someone tries a wrong one every `every`, as fast as the rule lets them."""
    failures, last, not_before, checked, t = 0, None, NOW, 0, NOW
    while t < NOW + timedelta(seconds=seconds):
        if t >= not_before:
            failures, last, checked = failures_in_a_row(failures, last, t), t, checked + 1
            not_before = t + wait_after(failures)
        t += every
    return checked


def test_guessing_is_slowed_to_a_handful_an_hour() -> None:
    first_hour = _checked_attempts(3600)
    assert first_hour <= 14, first_hour
    assert _checked_attempts(25) < 10, "25 tries in 25 seconds: most are refused unchecked"
    per_hour_later = _checked_attempts(5 * 3600) - _checked_attempts(4 * 3600)
    assert per_hour_later <= 4, per_hour_later


@pytest.mark.parametrize(
    ("failures", "says", "never"),
    [(1, [WRONG], ["Wait", "locked"]),
     (3, [WRONG], ["Wait", "locked"]),
     (4, [WRONG, "Wait 5 seconds before the next try", "after 6 more failures", "locked for 15 minutes"], []),
     (9, [WRONG, "Wait 5 minutes", "after 1 more failure in a row"], []),
     (10, [WRONG, "locked for 15 minutes"], ["Wait"])],
)
def test_failure_messages_say_what_happens_next(failures: int, says: list[str], never: list[str]) -> None:
    message = failure_message(failures)
    assert all(s in message for s in says), message
    assert not any(n in message for n in never), message


@pytest.mark.parametrize(
    ("failures", "left", "says"),
    [(4, 3 * S, "Wait 3 seconds, then try again."),
     (5, 1 * S + timedelta(milliseconds=1), "Wait 2 seconds"),
     (8, 90 * S, "Wait 2 minutes"),
     (10, LOCKOUT, "it is locked. Try again in 15 minutes."),
     (12, 61 * S, "it is locked. Try again in 2 minutes."),
     (10, 0 * S, "Try again in 1 second")],
)
def test_refusals_say_when_to_try_again(failures: int, left: timedelta, says: str) -> None:
    message = refusal_message(failures, NOW + left, NOW)
    assert says in message, message
    assert ("ask your administrator to reset it" in message) is is_lockout(failures)


@pytest.mark.parametrize(
    ("typed", "key"),
    [(" Ana ", "ana"), ("ANA", "ana"), ("a\x00na\n", "ana"), ("x" * 500, "x" * 60), ("", ""), ("  ", "")],
)
def test_usernames_are_counted_as_the_store_knows_them(typed: str, key: str) -> None:
    assert signin.normalise_username(typed) == key


KEY = "k" * 40


def test_the_session_token_is_what_streamlit_authenticator_reads_plus_the_session_version() -> None:
    token = signin.session_token("ana", 7, KEY, now=NOW, days=1.0)
    claims = jwt.decode(token, KEY, algorithms=["HS256"])  # exactly as streamlit-authenticator 0.4.2 decodes it
    assert claims == {"username": "ana", "exp_date": (NOW + timedelta(days=1)).timestamp(), "sv": 7}
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(token, "another-key-" * 4, algorithms=["HS256"])


@pytest.mark.parametrize(
    ("claims", "current"),
    [({"username": "ana", "exp_date": (NOW + M).timestamp(), "sv": 7}, True),
     ({"username": "ana", "exp_date": (NOW + M).timestamp(), "sv": 6}, False),
     ({"username": "ana", "exp_date": (NOW + M).timestamp(), "sv": 8}, False),
     ({"username": "ana", "exp_date": (NOW + M).timestamp()}, False),
     ({"username": "ana", "exp_date": (NOW + M).timestamp(), "sv": "7"}, False),
     ({"username": "ana", "exp_date": (NOW - S).timestamp(), "sv": 7}, False),
     ({"username": "ana", "sv": 7}, False),
     (None, False), (False, False)],
    ids=["current", "older version", "newer version", "no version", "version as text", "expired", "no expiry", "none", "refused"],
)
def test_a_cookie_signs_in_only_at_the_current_session_version(claims: dict | None, current: bool) -> None:
    assert signin.token_is_current(claims, 7, now=NOW) is current
