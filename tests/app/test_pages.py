"""Every page renders for every role allowed to see it, and is not reachable for the others."""
from __future__ import annotations

from collections.abc import Callable

import pytest
from streamlit.testing.v1 import AppTest

from tests.app.conftest import DEMO_USERS, registered_pages, shown

PAGES = registered_pages()
CASES = [(role, path, title, role in roles) for path, title, roles in PAGES for role in DEMO_USERS]


def _text(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [t.value for t in at.title] + [c.value for c in at.caption]
    parts += [e.value for e in at.error] + [i.value for i in at.info] + [s.value for s in at.subheader]
    return "\n".join(shown(p) for p in parts)


@pytest.mark.parametrize(("role", "path", "title", "may_see"), CASES, ids=[f"{r}-{t}" for r, _, t, _ in CASES])
def test_page_access(open_app: Callable[..., AppTest], role: str, path: str, title: str, may_see: bool) -> None:
    at = open_app(DEMO_USERS[role])
    assert not at.exception, at.exception
    if may_see:
        at.switch_page(path).run()
        assert not at.exception, at.exception
        text = _text(at)
        assert "OFFICIAL" in text, "every page carries the classification marking"
        assert "DEMO DATA" in text, "demo data is marked as demo"
        assert not at.error, [e.value for e in at.error]
    else:
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            at.switch_page(path).run()


def test_signed_out_sees_only_the_sign_in_form(open_app: Callable[..., AppTest]) -> None:
    at = open_app()
    assert not at.exception
    assert [t.label for t in at.text_input] == ["Username", "Password"]
    assert "partnership-demo" in _text(at), "the demo sign-ins are shown on the demo"
    assert "What needs my attention" not in _text(at)


def _sign_in(at: AppTest, username: str, password: str) -> AppTest:
    at.text_input[0].input(username)
    at.text_input[1].input(password)
    return at.button[0].click().run()


def test_sign_in_through_the_form(open_app: Callable[..., AppTest]) -> None:
    at = _sign_in(open_app(), "Coordinator", "partnership-demo")
    assert not at.exception
    assert at.session_state["authentication_status"] is True
    assert "What needs my attention" in _text(at)


@pytest.mark.parametrize(("username", "password"), [("coordinator", "wrong-password"), ("nobody", "partnership-demo"), ("former.officer", "partnership-demo")],
                         ids=["wrong password", "unknown user", "deactivated user"])
def test_refused_sign_in_says_so(open_app: Callable[..., AppTest], username: str, password: str) -> None:
    at = _sign_in(open_app(), username, password)
    assert not at.exception
    assert any("Wrong username or password" in e.value for e in at.error)
    assert "What needs my attention" not in _text(at)


def test_a_session_of_a_deactivated_user_is_ended(open_app: Callable[..., AppTest]) -> None:
    at = open_app("former.officer", "officer")
    assert not at.exception
    assert any("deactivated" in e.value for e in at.error)
    assert not at.session_state["authentication_status"]
    assert "What needs my attention" not in _text(at)


def test_role_comes_from_the_store_not_the_session(open_app: Callable[..., AppTest]) -> None:
    """A session claiming the admin role for an officer still gets only the officer's pages."""
    at = open_app("officer", "admin")
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("pages/admin.py").run()


@pytest.mark.parametrize(
    ("role", "section"),
    [("chair", "Across the partnership"), ("analyst", "Referrals owed feedback"), ("officer", "New feedback on your referrals"),
     ("coordinator", "My actions"), ("admin", "Across the partnership")],
)
def test_home_shows_each_role_its_attention_sections(open_app: Callable[..., AppTest], role: str, section: str) -> None:
    at = open_app(role)
    assert not at.exception
    assert section in _text(at)
    assert len(at.dataframe) >= 1, "the demo gives every role something to attend to"


def test_admin_creates_a_user_and_bad_input_is_explained(private_app: Callable[..., AppTest]) -> None:
    at = private_app("admin")
    at.switch_page("pages/admin.py").run()
    assert not at.exception

    def fill(username: str, password: str) -> AppTest:
        form = {t.label: t for t in at.text_input}
        form["Username"].input(username)
        form["Full name"].input("Robin Test")
        form["Initial password"].input(password)
        return next(b for b in at.button if b.label == "Create user").click().run()

    at = fill("robin.test", "short")
    assert any("at least 10 characters" in e.value for e in at.error)
    at = fill("robin.test", "a-long-enough-password")
    assert not at.exception
    users = at.dataframe[0].value
    assert "robin.test" in set(users["username"])


def test_audit_page_lists_sign_ins(private_app: Callable[..., AppTest]) -> None:
    at = private_app("chair")
    at.switch_page("pages/audit.py").run()
    assert not at.exception
    events = at.dataframe[0].value
    assert ((events["who"] == "chair") & (events["action"] == "user.sign_in")).any()


def test_an_unreachable_database_is_explained_without_its_connection_details(monkeypatch: pytest.MonkeyPatch) -> None:
    """A signed-out visitor learns the hub cannot reach its database, not the database's host, user or name."""
    import secrets

    from tests.app.conftest import APP

    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://zqsecretuser:zqpw@127.0.0.1:9/zqsecretdb")
    monkeypatch.setenv("PH_COOKIE_KEY", secrets.token_urlsafe(32))
    at = AppTest.from_file(APP, default_timeout=60).run()
    errors = " ".join(e.value for e in at.error)
    assert "cannot reach its database" in errors and not at.exception
    assert "zq" not in errors and "9" not in errors.replace("OperationalError", "")


def test_audit_page_verifies_the_chain(open_app: Callable[..., AppTest]) -> None:
    at = open_app("admin")
    at.switch_page("pages/audit.py").run()
    at = next(b for b in at.button if b.label == "Verify the audit chain").click().run()
    assert not at.exception
    assert any("intact" in s.value for s in at.success), [e.value for e in at.error]


def test_audit_page_names_the_first_bad_entry(private_app: Callable[..., AppTest]) -> None:
    import os

    from sqlalchemy import func, select

    from core.store import Store
    from core.store.models import AuditEvent
    from tests.store.test_audit_chain import _tamper

    at = private_app("chair")  # signing in writes an audit row
    store = Store(os.environ["DATABASE_URL"], migrate=False)
    try:
        with store.read() as s:
            first = s.session.scalar(select(func.min(AuditEvent.id)))
        _tamper(store, f"UPDATE audit_events SET summary = 'tampered' WHERE id = {first}")
    finally:
        store.dispose()
    at.switch_page("pages/audit.py").run()
    at = next(b for b in at.button if b.label == "Verify the audit chain").click().run()
    assert not at.exception
    assert any(f"#{first} (changed)" in e.value for e in at.error), [e.value for e in at.error]
