"""Pickers that name things the way people know them: a business by its name and address, never by its id."""
from __future__ import annotations

import streamlit as st

from core.services import risklist
from ui.context import Context
from ui.text import escape_md


def business_picker(ctx: Context, label: str, *, key: str) -> int | None:
    """Search the shared list as you type (name, address or postcode); returns the chosen business's id or None."""
    text = st.text_input(escape_md(label), key=f"{key}_q", placeholder="Name, address or postcode")
    if len(text.strip()) < 3:
        return None
    with ctx.store.read() as s:
        found = risklist.find_businesses(s, actor=ctx.actor, text=text)
    if not found:
        st.caption("No business on the shared list matches; try the street or the postcode.")
        return None
    options = {f["business_id"]: f["label"] for f in found}
    return st.selectbox(escape_md(f"{label}: choose"), list(options), format_func=options.get, index=None, key=f"{key}_pick",
                        placeholder=f"{len(options)} found: choose one…", label_visibility="collapsed")
