"""Signing in: the password check behind the waits and lockout (state in `sign_in_throttle`, shared by
every app process), the audit of each failure, and the session check made on every run.

The rules themselves are pure functions in `core/signin.py`.

Each attempt is counted *before* its password is checked, in one short write transaction that also
refuses it if a wait is running: concurrent attempts (two tabs, two app processes, a script) are
serialised by the database (PostgreSQL's row lock, SQLite's write lock), so none slips past a wait and
none is lost from the count. A right password then clears the count.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core import signin as rules
from core.domain import Role
from core.passwords import check_password, check_password_of_nobody
from core.permissions import Actor
from core.services.audit import record
from core.store import Store
from core.store.models import Agency, SignInThrottle, User

AT_THE_FORM = "(sign-in form)"  # who an audit row of a failed sign-in names: nobody is signed in


@dataclass(frozen=True)
class SignedIn:
    """A signed-in person as the store has them now."""

    actor: Actor
    session_version: int
    must_change_password: bool


@dataclass(frozen=True)
class Attempt:
    """The outcome of one sign-in attempt: `signed_in` when it worked, else the message to show."""

    signed_in: SignedIn | None
    message: str = ""


@dataclass(frozen=True)
class _Claim:
    allowed: bool
    failures: int
    locked_until: datetime | None = None


def signed_in(session: Session, username: str | None) -> SignedIn | None:
    """The person behind a session or cookie, with their session version; None if unknown or deactivated
    (or their agency is). Called on every run, so a deactivation or a new session version acts at once."""
    if not username:
        return None
    row = session.execute(
        select(User, Agency.name)
        .join(Agency, Agency.id == User.agency_id)
        .where(User.username == username, User.active.is_(True), Agency.active.is_(True))
    ).first()
    if row is None:
        return None
    user, agency_name = row
    actor = Actor(user.id, user.username, user.name, Role(user.role), user.agency_id, agency_name)
    return SignedIn(actor, user.session_version, user.must_change_password)


def sign_in(store: Store, username: str, password: str, *, now: datetime | None = None) -> Attempt:
    """Check a username and password typed into the sign-in form, within the waits and lockout.

    Every failure and every refusal is audited (the username typed and when; never the password), and
    so is the start of a lockout. The messages are the same whether or not the username exists.
    """
    now = now or datetime.now(timezone.utc)
    key = rules.normalise_username(username)
    if not key or not password:
        return Attempt(None, "Enter your username and your password.")
    claim = _claim(store, key, now)
    if not claim.allowed:
        assert claim.locked_until is not None
        with store.uow() as uow:
            record(uow.session, None, action="user.sign_in_refused", entity="sign_in", entity_id=key[:40],
                   after={"username": key, "failures_in_a_row": claim.failures, "locked_until": claim.locked_until},
                   summary=f"sign-in as {key!r} refused unchecked: too many failures in a row", actor_label=AT_THE_FORM)
            uow.commit()
        return Attempt(None, rules.refusal_message(claim.failures, claim.locked_until, now))

    with store.read() as session:
        row = session.session.execute(
            select(User.username, User.password_hash)
            .join(Agency, Agency.id == User.agency_id)
            .where(User.username == key, User.active.is_(True), Agency.active.is_(True))
        ).first()
    right = check_password(password, row.password_hash) if row else check_password_of_nobody(password)
    if right:
        with store.uow() as uow:
            uow.session.execute(delete(SignInThrottle).where(SignInThrottle.username == key))
            _forget_old_failures(uow.session, now)
            uow.commit()
        with store.read() as session:
            who = signed_in(session.session, key)
        if who is not None:
            return Attempt(who)
        claim = _claim(store, key, now)  # deactivated in the meantime: a failure like any other

    with store.uow() as uow:
        record(uow.session, None, action="user.sign_in_failed", entity="sign_in", entity_id=key[:40],
               after={"username": key, "failures_in_a_row": claim.failures},
               summary=f"failed sign-in as {key!r} ({claim.failures} in a row)", actor_label=AT_THE_FORM)
        if rules.is_lockout(claim.failures):
            until = now + rules.wait_after(claim.failures)
            record(uow.session, None, action="user.sign_in_locked", entity="sign_in", entity_id=key[:40],
                   after={"username": key, "failures_in_a_row": claim.failures, "locked_until": until},
                   summary=f"sign-in as {key!r} locked for {int(rules.LOCKOUT.total_seconds() // 60)} minutes after "
                           f"{claim.failures} failures in a row", actor_label=AT_THE_FORM)
        _forget_old_failures(uow.session, now)
        uow.commit()
    return Attempt(None, rules.failure_message(claim.failures))


def _claim(store: Store, key: str, now: datetime) -> _Claim:
    """Count one more failure for `key` unless a wait is running; set the next wait. One transaction."""
    t = SignInThrottle
    for _ in range(10):
        with store.uow() as uow:
            s = uow.session
            # The write comes first, so the transaction holds the row (PostgreSQL) or the database
            # (SQLite) from here to the commit; a concurrent attempt waits, then sees the new wait.
            counted = s.execute(
                update(t)
                .where(t.username == key, or_(t.locked_until.is_(None), t.locked_until <= now))
                .values(failures=t.failures + 1)
                .returning(t.failures, t.last_failed_at)
            ).first()
            if counted is not None:
                failures = rules.failures_in_a_row(counted.failures - 1, counted.last_failed_at, now)
                wait = rules.wait_after(failures)
                s.execute(update(t).where(t.username == key)
                          .values(failures=failures, last_failed_at=now, locked_until=now + wait if wait else None))
                uow.commit()
                return _Claim(True, failures)
            current = s.execute(select(t.failures, t.locked_until).where(t.username == key)).first()
            if current is not None:
                if current.locked_until is not None and current.locked_until > now:
                    return _Claim(False, current.failures, current.locked_until)
                continue  # the wait ended between the two statements: count it afresh
            wait = rules.wait_after(1)
            s.add(t(username=key, failures=1, last_failed_at=now, locked_until=now + wait if wait else None))
            try:
                uow.commit()
            except IntegrityError:
                continue  # a concurrent first failure made the row: count this one on top
            return _Claim(True, 1)
    raise RuntimeError(f"could not count a sign-in attempt for {key!r}")  # pragma: no cover


def _forget_old_failures(session: Session, now: datetime) -> None:
    """Drop counts that no longer matter (keeps the table small when someone tries many usernames)."""
    t = SignInThrottle
    session.execute(delete(t).where(t.last_failed_at < now - rules.FORGET_AFTER,
                                    or_(t.locked_until.is_(None), t.locked_until <= now)))


def failures_in_a_row(session: Session, username: str) -> tuple[int, datetime | None]:
    """(failures, locked until) for a username as typed; (0, None) when there are none."""
    row = session.execute(select(SignInThrottle.failures, SignInThrottle.locked_until)
                          .where(SignInThrottle.username == rules.normalise_username(username))).first()
    return (row.failures, row.locked_until) if row else (0, None)


def end_sessions(session: Session, user_id: int) -> int:
    """Raise the user's session version (in the caller's unit of work) and return the new one: every session
    and every sign-in cookie issued before it stops working on its next run."""
    return session.execute(
        update(User).where(User.id == user_id).values(session_version=User.session_version + 1)
        .returning(User.session_version)
    ).scalar_one()


def clear_failures(session: Session, username: str) -> None:
    """Lift the wait or lockout of a username (an administrator's password reset does)."""
    session.execute(delete(SignInThrottle).where(SignInThrottle.username == rules.normalise_username(username)))

