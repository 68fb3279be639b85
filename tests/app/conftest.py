"""AppTest fixtures: the real app.py against a private copy of the demo partnership."""
from __future__ import annotations

import ast
import html
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import DatabaseFactory
from ui.text import WORD_JOINER

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")
DEMO_USERS = {"admin": "admin", "chair": "chair", "coordinator": "coordinator", "analyst": "analyst", "officer": "officer"}


def registered_pages() -> list[tuple[str, str, set[str]]]:
    """(path, title, roles) for every page in app.py's PAGES, read without running the app."""
    from core.permissions import roles_for

    tree = ast.parse(Path(APP).read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.AnnAssign) and getattr(node.target, "id", "") == "PAGES":
            pages = []
            for elt in node.value.elts:  # type: ignore[union-attr]
                path, title, _icon, roles_expr, _group = elt.elts
                roles_src = ast.unparse(roles_expr)
                if roles_src == "set(Role)":
                    roles = set(DEMO_USERS)
                else:
                    action = ast.literal_eval(roles_expr.args[0])  # roles_for("...")
                    roles = {r.value for r in roles_for(action)}
                pages.append((ast.literal_eval(path), ast.literal_eval(title), roles))
            return pages
    raise AssertionError("PAGES not found in app.py")


def shown(markdown: object) -> str:
    """What a viewer reads of a Markdown element's source that holds ui.text.escape_md text: the character
    references decoded and the invisible word joiners left out (enough for the plain text tests look for)."""
    return html.unescape(str(markdown)).replace(WORD_JOINER, "")


@pytest.fixture(scope="session")
def app_db_url(databases: DatabaseFactory, demo_url: str) -> str:
    """A copy of the demo partnership shared by the app tests of one backend."""
    return databases.copy_of(demo_url)


def _point_app_at(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("PH_COOKIE_KEY", secrets.token_urlsafe(32))
    monkeypatch.setenv("PH_SEED_DEMO", "0")


def session_version(username: str) -> int:
    """The user's session version in the app's database (DATABASE_URL), as a sign-in records it; -1 if none."""
    import os

    from sqlalchemy import select

    from core.store import Store
    from core.store.models import User

    store = Store(os.environ["DATABASE_URL"], migrate=False)
    try:
        with store.read() as s:
            version = s.session.scalar(select(User.session_version).where(User.username == username))
    finally:
        store.dispose()
    return -1 if version is None else version


def signed_in_state(username: str, role: str | None = None) -> dict[str, object]:
    """What a sign-in leaves in the session: streamlit-authenticator's keys plus the session version."""
    return {"authentication_status": True, "username": username, "name": username, "roles": [role or username],
            "_ph_sv": session_version(username)}


def _opener() -> Callable[..., AppTest]:
    """Open the app signed in as `username` (as the sign-in form records a signed-in user).

    `role` is what the session claims; the app must ignore it and read the role from the store.
    """

    def _open(username: str | None = None, role: str | None = None) -> AppTest:
        at = AppTest.from_file(APP, default_timeout=30)
        if username:
            for key, value in signed_in_state(username, role).items():
                at.session_state[key] = value
        return at.run()

    return _open


@pytest.fixture
def open_app(app_db_url: str, monkeypatch: pytest.MonkeyPatch) -> Callable[..., AppTest]:
    """The app on the shared demo copy, for tests that only read."""
    _point_app_at(app_db_url, monkeypatch)
    return _opener()


@pytest.fixture
def private_app(databases: DatabaseFactory, demo_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., AppTest]]:
    """The app on a private copy of the demo, for tests that change data."""
    _point_app_at(databases.copy_of(demo_url), monkeypatch)
    yield _opener()
    from ui.context import open_store

    open_store.clear()
