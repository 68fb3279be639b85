"""The sign-in rules as pure functions: how long to wait after failed sign-ins, what to say, and the
session token the sign-in cookie carries. No database and no Streamlit here (see
`core/services/signin.py` for the state and `app.py` for the form and the cookie).

Failures are counted per username as typed (lower-cased), whether or not it exists, so the waits
and the lockout look the same for every username and tell nobody which ones are real.
"""
from __future__ import annotations

import math
import unicodedata
from datetime import datetime, timedelta, timezone

import jwt

FREE_FAILURES = 3  # failures in a row that cost nothing (typos happen)
# The wait before the next attempt is checked, after the 4th, 5th, ... 9th failure in a row.
GROWING_WAITS = (
    timedelta(seconds=5), timedelta(seconds=15), timedelta(seconds=30),
    timedelta(minutes=1), timedelta(minutes=2), timedelta(minutes=5),
)
LOCKOUT_AFTER = FREE_FAILURES + len(GROWING_WAITS) + 1  # the 10th failure in a row locks the username
LOCKOUT = timedelta(minutes=15)  # and so does every further one: at most four guesses an hour
FORGET_AFTER = timedelta(hours=24)  # a failure this old no longer counts
MAX_USERNAME = 60  # longer input is cut (real usernames have at most 40 characters)

WRONG = "Wrong username or password. Check both and try again; your administrator can reset a password."
TOKEN_ALGORITHM = "HS256"


def normalise_username(typed: str) -> str:
    """The username as the store knows it: trimmed, lower-case, no control characters, at most 60 characters."""
    text = "".join(ch for ch in (typed or "") if unicodedata.category(ch)[0] != "C")
    return text.strip().lower()[:MAX_USERNAME]


def failures_in_a_row(previous: int, last_failed_at: datetime | None, now: datetime) -> int:
    """The count after one more failure: the earlier ones count unless the last was long ago."""
    if last_failed_at is None or now - last_failed_at >= FORGET_AFTER:
        return 1
    return max(previous, 0) + 1


def wait_after(failures: int) -> timedelta:
    """How long after the `failures`-th failure in a row before another attempt is checked."""
    if failures <= FREE_FAILURES:
        return timedelta(0)
    if failures >= LOCKOUT_AFTER:
        return LOCKOUT
    return GROWING_WAITS[failures - FREE_FAILURES - 1]


def is_lockout(failures: int) -> bool:
    return failures >= LOCKOUT_AFTER


def _duration(seconds: float) -> str:
    if seconds < 60:
        n = max(1, math.ceil(seconds))
        return f"{n} second{'s' * (n != 1)}"
    n = math.ceil(seconds / 60)
    return f"{n} minute{'s' * (n != 1)}"


def failure_message(failures: int) -> str:
    """What the form says after a wrong username or password (the same whether the username exists or not)."""
    wait = wait_after(failures)
    if is_lockout(failures):
        return (f"{WRONG} Too many failed sign-ins in a row with this username: it is locked for "
                f"{_duration(wait.total_seconds())}.")
    if wait:
        left = LOCKOUT_AFTER - failures
        return (f"{WRONG} Wait {_duration(wait.total_seconds())} before the next try; after {left} more "
                f"failure{'s' * (left != 1)} in a row the username is locked for {_duration(LOCKOUT.total_seconds())}.")
    return WRONG


def refusal_message(failures: int, locked_until: datetime, now: datetime) -> str:
    """What the form says to an attempt made before the wait is over (its password is not checked)."""
    left = _duration(max((locked_until - now).total_seconds(), 0))
    if is_lockout(failures):
        return (f"Too many failed sign-ins in a row with this username: it is locked. Try again in {left}. "
                "If you have forgotten your password, ask your administrator to reset it (that also lifts the lock).")
    return f"Too many failed sign-ins in a row with this username. Wait {left}, then try again."


# --- the session token (the sign-in cookie's value) ------------------------------------------


def session_token(username: str, session_version: int, key: str, *, now: datetime, days: float) -> str:
    """The sign-in cookie: the JWT streamlit-authenticator 0.4.2 reads (`username`, `exp_date` in epoch
    seconds, HS256 with the cookie key), plus `sv`, the user's session version when it was issued."""
    exp = (now + timedelta(days=days)).timestamp()
    return jwt.encode({"username": username, "exp_date": exp, "sv": session_version}, key, algorithm=TOKEN_ALGORITHM)


def token_is_current(claims: dict | None, session_version: int, *, now: datetime | None = None) -> bool:
    """A decoded cookie still signs its user in: unexpired and issued at the user's current session version
    (a cookie without `sv`, e.g. one issued before this rule, is not)."""
    if not claims or not isinstance(claims.get("sv"), int) or isinstance(claims.get("sv"), bool):
        return False
    now = now or datetime.now(timezone.utc)
    exp = claims.get("exp_date")
    return isinstance(exp, (int, float)) and exp > now.timestamp() and claims["sv"] == session_version
