"""Signing in through the real app.py (AppTest): waits after failures, the password a reset forces, and
sessions ended by a newer session version (sign-out elsewhere, a password change, a reset)."""
from __future__ import annotations

import os
from collections.abc import Callable

import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from core.services import accounts
from core.store import Store
from core.store.models import User
from tests.app.conftest import APP, shown, signed_in_state
from tests.app.test_pages import _sign_in, _text

HOME = "What needs my attention"


def _store() -> Store:
    return Store(os.environ["DATABASE_URL"], migrate=False)


def _admin_resets(username: str) -> str:
    store = _store()
    try:
        with store.read() as s:
            admin = accounts.load_actor(s.session, "admin")
            user_id = s.session.scalar(select(User.id).where(User.username == username))
        with store.uow() as uow:
            return accounts.reset_password(uow, actor=admin, user_id=user_id)
    finally:
        store.dispose()


def _signs_out_elsewhere(username: str) -> None:
    store = _store()
    try:
        with store.read() as s:
            actor = accounts.load_actor(s.session, username)
        with store.uow() as uow:
            accounts.record_sign_out(uow, actor=actor)
    finally:
        store.dispose()


def _reopen(state: dict[str, object]) -> AppTest:
    """A new browser-session run of app.py with this session state (AppTest only runs app.py on its first run)."""
    at = AppTest.from_file(APP, default_timeout=30)
    for key, value in state.items():
        at.session_state[key] = value
    return at.run()


def _carry(at: AppTest) -> dict[str, object]:
    """The sign-in a session holds, to carry into a fresh run of app.py."""
    keys = ("authentication_status", "username", "name", "roles", "_ph_sv")
    return {k: at.session_state[k] for k in keys if k in at.session_state}


def _errors(at: AppTest) -> str:
    return "\n".join(shown(e.value) for e in at.error)


def _choose(at: AppTest, temporary: str, new: str, again: str | None = None) -> AppTest:
    boxes = {t.label: t for t in at.text_input}
    boxes["Temporary password"].input(temporary)
    boxes["New password"].input(new)
    boxes["New password again"].input(new if again is None else again)
    return next(b for b in at.button if b.label == "Save my new password").click().run()


def test_a_reset_user_can_only_choose_a_new_password(private_app: Callable[..., AppTest]) -> None:
    temporary = _admin_resets("analyst")
    at = _sign_in(private_app(), "analyst", temporary)
    assert not at.exception, at.exception
    assert at.session_state["authentication_status"] is True
    assert [t.value for t in at.title] == ["Choose a new password"]
    assert HOME not in _text(at)
    assert [t.label for t in at.text_input] == ["Temporary password", "New password", "New password again"]
    for path in ("pages/home.py", "pages/account.py", "pages/risk_list.py", "pages/inbox.py"):
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            at.switch_page(path).run()

    at = _choose(_reopen(_carry(at)), temporary, "password12")
    assert "too easy to guess" in _errors(at) and "very common password" in _errors(at)
    assert [t.value for t in at.title] == ["Choose a new password"], "still only this screen"

    at = _choose(at, temporary, "kettle orbit salmon")
    assert not at.exception, at.exception
    store = _store()
    try:
        with store.read() as s:
            user = s.session.scalar(select(User).where(User.username == "analyst"))
    finally:
        store.dispose()
    assert not user.must_change_password
    assert at.session_state["_ph_sv"] == user.session_version, "this session stays signed in"
    at = _reopen(_carry(at))
    assert HOME in _text(at), "with the new password set, the app opens"


def test_a_session_at_an_older_session_version_is_signed_out(private_app: Callable[..., AppTest]) -> None:
    at = private_app("officer")
    assert HOME in _text(at)
    state = signed_in_state("officer")
    _signs_out_elsewhere("officer")
    at = _reopen(state)
    assert not at.exception, at.exception
    assert not at.session_state["authentication_status"]
    assert any("You have been signed out" in w.value for w in at.warning)
    assert [t.label for t in at.text_input] == ["Username", "Password"]
    assert HOME not in _text(at)


def test_a_session_without_a_session_version_is_not_signed_in(private_app: Callable[..., AppTest]) -> None:
    state = signed_in_state("officer")
    del state["_ph_sv"]
    at = _reopen(state)
    assert not at.session_state["authentication_status"] and HOME not in _text(at)


def test_a_reset_ends_the_users_open_session(private_app: Callable[..., AppTest]) -> None:
    at = private_app("coordinator")
    state = _carry(at)
    _admin_resets("coordinator")
    at = _reopen(state)
    assert not at.session_state["authentication_status"] and HOME not in _text(at)


def test_changing_my_password_keeps_this_session_and_ends_the_others(private_app: Callable[..., AppTest]) -> None:
    mine = private_app("chair")
    other = signed_in_state("chair")  # the same person in another browser
    mine.switch_page("pages/account.py").run()
    boxes = {t.label: t for t in mine.text_input}
    boxes["Current password"].input("partnership-demo")
    boxes["New password"].input("kettle orbit salmon")
    boxes["New password again"].input("kettle orbit salmon")
    mine = next(b for b in mine.button if b.label == "Change password").click().run()
    assert any("Password changed" in shown(s.value) for s in mine.success), _errors(mine)
    assert HOME in _text(_reopen(_carry(mine))), "this session stays signed in"
    ended = _reopen(other)
    assert not ended.session_state["authentication_status"] and HOME not in _text(ended)


def test_repeated_failures_bring_a_wait_for_known_and_unknown_usernames_alike(private_app: Callable[..., AppTest]) -> None:
    seen = {}
    for username in ("officer", "no.such.person"):
        at = private_app()
        for _ in range(4):
            at = _sign_in(at, username, "not-the-password")
        fourth = _errors(at)
        at = _sign_in(at, username, "partnership-demo")
        seen[username] = (fourth, _errors(at))
        assert not at.session_state["authentication_status"] and HOME not in _text(at)
    assert seen["officer"] == seen["no.such.person"]
    fourth, fifth = seen["officer"]
    assert "Wrong username or password" in fourth and "Wait 5 seconds before the next try" in fourth
    assert fifth.startswith("Too many failed sign-ins in a row with this username. Wait")


def test_a_session_ended_elsewhere_cannot_change_the_password(private_app: Callable[..., AppTest]) -> None:
    stale = private_app("chair")
    stale.switch_page("pages/account.py").run()
    _signs_out_elsewhere("chair")
    boxes = {t.label: t for t in stale.text_input}
    boxes["Current password"].input("partnership-demo")
    boxes["New password"].input("kettle orbit salmon")
    boxes["New password again"].input("kettle orbit salmon")
    next(b for b in stale.button if b.label == "Change password").click().run()
    store = _store()
    try:
        with store.read() as s:
            stored = s.session.scalar(select(User.password_hash).where(User.username == "chair"))
    finally:
        store.dispose()
    from core.passwords import check_password

    assert check_password("partnership-demo", stored), "the password is unchanged"
