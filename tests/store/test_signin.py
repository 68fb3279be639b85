"""Signing in against the store: waits and lockout after failures (shared by every process, counted right
under concurrency), the audit of failures, session versions, and the password change a reset forces."""
from __future__ import annotations

import os
import subprocess
import sys
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import select, update

from core.services import accounts, signin
from core.signin import LOCKOUT, LOCKOUT_AFTER, WRONG
from core.store import Store
from core.store.models import AuditEvent, User
from tests.store.conftest import PASSWORD, Small

ROOT = Path(__file__).resolve().parents[2]
T0 = datetime(2026, 12, 4, 9, 0, tzinfo=timezone.utc)


@pytest.fixture(autouse=True)
def _cheap_bcrypt(small: Small, monkeypatch: pytest.MonkeyPatch) -> None:
    """The rules are under test here, not bcrypt's cost: 4 rounds instead of 12 for the stored hashes and for
    the stand-in hash an unknown username is checked against (hundreds of checks otherwise take minutes)."""
    import bcrypt

    from core import passwords

    cheap = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(4)).decode()
    nobody = bcrypt.hashpw(b"nobody's", bcrypt.gensalt(4)).decode()
    monkeypatch.setattr(passwords, "_dummy_hash", lambda: nobody)
    with small.store.uow() as uow:
        uow.session.execute(update(User).values(password_hash=cheap))
        uow.commit()


def _events(small: Small, *actions: str) -> list[AuditEvent]:
    with small.store.read() as s:
        return list(s.session.scalars(select(AuditEvent).where(AuditEvent.action.in_(actions)).order_by(AuditEvent.id)))


def _version(small: Small, user_id: int) -> tuple[int, bool]:
    with small.store.read() as s:
        u = s.session.get(User, user_id)
        return u.session_version, u.must_change_password


def _hammer(small: Small, username: str, tries: int, *, password: str = "wrong-password", step: timedelta = timedelta(seconds=1)) -> list[str]:
    """`tries` attempts, one every `step` from T0; the messages shown."""
    return [signin.sign_in(small.store, username, password, now=T0 + i * step).message for i in range(tries)]


def test_the_right_password_signs_in_and_clears_the_count(small: Small) -> None:
    assert _hammer(small, "ana", 2) == [WRONG, WRONG]
    attempt = signin.sign_in(small.store, " ANA ", PASSWORD, now=T0 + timedelta(seconds=3))
    assert attempt.signed_in is not None and attempt.message == ""
    assert attempt.signed_in.actor.username == "ana" and attempt.signed_in.session_version == 0
    with small.store.read() as s:
        assert signin.failures_in_a_row(s.session, "ana") == (0, None)


def test_twenty_five_wrong_passwords_then_the_right_one_is_refused_until_the_lockout_ends(small: Small) -> None:
    messages = _hammer(small, "ana", 25)
    right = signin.sign_in(small.store, "ana", PASSWORD, now=T0 + timedelta(seconds=25))
    assert right.signed_in is None
    assert "Wait" in right.message and "try again" in right.message
    assert "Wait 5 seconds before the next try" in messages[3], "the 4th failure starts the waits"
    assert messages[4] == "Too many failed sign-ins in a row with this username. Wait 4 seconds, then try again."
    with small.store.read() as s:
        failures, until = signin.failures_in_a_row(s.session, "ana")
    assert failures == 6, "25 tries in 25 seconds: six passwords checked (at 0, 1, 2, 3, 8 and 23 s), the rest refused unchecked"
    assert sum(m.startswith("Too many failed sign-ins") for m in messages) == 19
    # Keep going, one try a second for an hour: locked after the tenth failure.
    for i in range(25, 3600, 7):
        last = signin.sign_in(small.store, "ana", "wrong-password", now=T0 + timedelta(seconds=i))
    with small.store.read() as s:
        failures, until = signin.failures_in_a_row(s.session, "ana")
    assert failures >= LOCKOUT_AFTER and until is not None
    late = T0 + timedelta(seconds=3600)
    locked = signin.sign_in(small.store, "ana", PASSWORD, now=late)
    assert locked.signed_in is None and "it is locked. Try again in" in locked.message
    assert "ask your administrator to reset it" in locked.message
    assert len(_events(small, "user.sign_in_locked")) == failures - LOCKOUT_AFTER + 1
    # The lockout ends: the right password works again and clears the count.
    assert signin.sign_in(small.store, "ana", PASSWORD, now=until).signed_in is not None


def test_every_failure_and_refusal_is_audited_without_the_password(small: Small) -> None:
    _hammer(small, "ana", 5, password="hunter2-secret")
    failed, refused = _events(small, "user.sign_in_failed"), _events(small, "user.sign_in_refused")
    assert [e.after["failures_in_a_row"] for e in failed] == [1, 2, 3, 4]
    assert len(refused) == 1, "the 5th came during the 5-second wait"
    for e in failed + refused:
        assert e.actor_id is None and e.actor_username == "(sign-in form)"
        assert e.entity == "sign_in" and e.entity_id == "ana" and e.after["username"] == "ana"
        assert "hunter2" not in f"{e.summary} {e.before} {e.after}"
    assert failed[0].summary == "failed sign-in as 'ana' (1 in a row)" and failed[0].at is not None


def test_a_lockout_is_audited_when_it_starts(small: Small) -> None:
    for i in range(LOCKOUT_AFTER):
        signin.sign_in(small.store, "ana", "wrong-password", now=T0 + timedelta(hours=i))  # each after the last wait
    locked = _events(small, "user.sign_in_locked")
    assert len(locked) == 1 and locked[0].after["failures_in_a_row"] == LOCKOUT_AFTER
    assert "locked for 15 minutes after 10 failures in a row" in locked[0].summary


def test_an_unknown_username_gets_exactly_what_a_real_one_gets(small: Small) -> None:
    real = _hammer(small, "ana", 12, step=timedelta(minutes=6))
    unknown = _hammer(small, "nobody.here", 12, step=timedelta(minutes=6))
    assert real == unknown
    assert "locked" in real[-1]
    with small.store.read() as s:
        assert signin.failures_in_a_row(s.session, "nobody.here")[0] == signin.failures_in_a_row(s.session, "ana")[0]


def test_failures_a_day_old_are_forgotten(small: Small) -> None:
    _hammer(small, "ana", 3)
    signin.sign_in(small.store, "ana", "wrong-password", now=T0 + timedelta(hours=25))
    with small.store.read() as s:
        assert signin.failures_in_a_row(s.session, "ana")[0] == 1


def test_concurrent_failures_are_all_counted_and_none_slips_past_the_wait(small: Small) -> None:
    """Eight wrong passwords at the same moment from eight threads (their own connections): the store
    serialises them, so the 1st-4th are checked and counted, and the 4th's wait refuses the other four."""
    start = threading.Barrier(8)
    results: list[signin.Attempt] = []

    def attempt() -> None:
        start.wait()
        results.append(signin.sign_in(small.store, "ana", "wrong-password", now=T0))

    threads = [threading.Thread(target=attempt) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with small.store.read() as s:
        failures, until = signin.failures_in_a_row(s.session, "ana")
    assert failures == 4 and until == T0 + timedelta(seconds=5)
    assert len(_events(small, "user.sign_in_failed")) == 4 and len(_events(small, "user.sign_in_refused")) == 4
    assert sum(r.message.startswith("Too many failed sign-ins") for r in results) == 4


def test_the_lockout_is_seen_by_another_process(small: Small, tmp_path: Path) -> None:
    now = datetime.now(timezone.utc)
    for i in range(LOCKOUT_AFTER):  # each after the last one's wait; the tenth a minute ago
        signin.sign_in(small.store, "ana", "wrong-password", now=now - timedelta(minutes=1 + 6 * (LOCKOUT_AFTER - 1 - i)))
    script = ("import sys; from core.store import Store; from core.services import signin; "
              "print(signin.sign_in(Store(sys.argv[1], migrate=False), 'ana', sys.argv[2]).message)")
    out = subprocess.run([sys.executable, "-c", script, small.store.url, PASSWORD], cwd=ROOT, capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=60, check=True)
    assert "it is locked. Try again in" in out.stdout, out.stdout + out.stderr


def test_a_reset_lifts_the_lock_ends_every_session_and_forces_a_new_password(small: Small) -> None:
    _hammer(small, "ana", LOCKOUT_AFTER, step=timedelta(minutes=6))
    before, _ = _version(small, small.analyst.id)
    with small.store.uow() as uow:
        temp = accounts.reset_password(uow, actor=small.admin, user_id=small.analyst.id)
    assert _version(small, small.analyst.id) == (before + 1, True)
    with small.store.read() as s:
        assert signin.failures_in_a_row(s.session, "ana") == (0, None)
    attempt = signin.sign_in(small.store, "ana", temp)
    assert attempt.signed_in is not None and attempt.signed_in.must_change_password
    with small.store.uow() as uow:
        version = accounts.change_own_password(uow, actor=small.analyst, current=temp, new="kettle orbit salmon")
    assert version == before + 2 and _version(small, small.analyst.id) == (before + 2, False)
    again = signin.sign_in(small.store, "ana", "kettle orbit salmon")
    assert again.signed_in is not None and not again.signed_in.must_change_password
    assert [e.action for e in _events(small, "user.reset_password", "user.change_password")] == ["user.reset_password", "user.change_password"]
    assert "replaced their temporary password" in _events(small, "user.change_password")[0].summary


def test_signing_out_changing_a_password_and_deactivating_each_end_every_session(small: Small) -> None:
    v0, _ = _version(small, small.analyst.id)
    with small.store.uow() as uow:
        accounts.record_sign_out(uow, actor=small.analyst)
    assert _version(small, small.analyst.id)[0] == v0 + 1
    with small.store.uow() as uow:
        assert accounts.change_own_password(uow, actor=small.analyst, current=PASSWORD,
                                            new="kettle orbit salmon") == v0 + 2
    with small.store.uow() as uow:
        accounts.set_user_active(uow, actor=small.admin, user_id=small.analyst.id, active=False)
    assert _version(small, small.analyst.id)[0] == v0 + 3
    with small.store.uow() as uow:
        accounts.set_user_active(uow, actor=small.admin, user_id=small.analyst.id, active=True)
    with small.store.read() as s:
        who = signin.signed_in(s.session, "ana")
    assert who is not None and who.session_version == v0 + 3, "reactivating does not bring old sessions back"
    assert _version(small, small.admin.id)[0] == 0, "nobody else's sessions end"


def test_concurrent_session_ends_are_all_counted(small: Small) -> None:
    stores = [Store(small.store.url, migrate=False) for _ in range(4)]
    start = threading.Barrier(4)

    def sign_out(st: Store) -> None:
        start.wait()
        with st.uow() as uow:
            accounts.record_sign_out(uow, actor=small.analyst)

    threads = [threading.Thread(target=sign_out, args=(st,)) for st in stores]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for st in stores:
        st.dispose()
    assert _version(small, small.analyst.id)[0] == 4


@pytest.mark.parametrize(("username", "password"), [("", PASSWORD), ("ana", ""), ("   ", "x")])
def test_an_empty_form_is_not_counted(small: Small, username: str, password: str) -> None:
    assert signin.sign_in(small.store, username, password).message == "Enter your username and your password."
    assert _events(small, "user.sign_in_failed", "user.sign_in_refused") == []
