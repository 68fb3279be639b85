"""The per-run context (store, signed-in actor, partnership settings) and shared rendering bits."""
from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import streamlit as st

from core.config import database_owner_url, database_url
from core.errors import HubError
from core.permissions import Actor
from core.services.partnership import Partnership
from core.store import Store
from ui.text import escape_md

CONTEXT_KEY = "_ph_context"


@st.cache_resource(show_spinner="Opening the partnership's database. On the very first start the demo partnership is "
                                "made first: about a minute, once…")
def open_store(url: str, owner_url: str | None = None) -> Store:
    """One Store (engine + session factory) per process and URL; seeds the demo into an empty database.

    With `owner_url` (DATABASE_OWNER_URL) the start-up upgrade, and a demo seed, run as the owner.
    """
    from core.demo import is_empty, seed_demo

    store = Store(url, owner_url=owner_url)
    if os.environ.get("PH_SEED_DEMO", "1") != "0" and is_empty(store):
        if owner_url:
            owner = Store(owner_url, migrate=False)
            try:
                seed_demo(owner)
            finally:
                owner.dispose()
        else:
            seed_demo(store)
    return store


def store() -> Store:
    return open_store(database_url(), database_owner_url())


@dataclass(frozen=True)
class Context:
    store: Store
    actor: Actor
    partnership: Partnership


def set_context(ctx: Context) -> None:
    st.session_state[CONTEXT_KEY] = ctx


def context() -> Context:
    """The context app.py built for this run; pages call this first."""
    ctx = st.session_state.get(CONTEXT_KEY)
    if ctx is None:
        st.error("You are not signed in. Open the app's home page to sign in.")
        st.stop()
    return ctx


@contextmanager
def user_errors() -> Iterator[None]:
    """Show a HubError's message (it says what to fix) instead of a traceback."""
    try:
        yield
    except HubError as exc:
        st.error(escape_md(exc), icon=":material/warning:")


def marking(partnership: Partnership, *, sensitive: bool = False) -> None:
    """The classification marking (and the demo banner) at the top of every page."""
    mark = "OFFICIAL-SENSITIVE" if sensitive else partnership.classification
    demo = " · DEMO DATA: fictional partnership, not real people or businesses" if partnership.demo else ""
    st.markdown(
        f"<div data-testid='ph-marking' style='text-align:center;font-weight:700;letter-spacing:.08em;"
        f"background:#1b3a5c;color:#fff;padding:.25rem;border-radius:.25rem'>{escape_md(mark)}{demo}</div>",
        unsafe_allow_html=True,
    )
