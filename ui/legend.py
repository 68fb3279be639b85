"""The key to agency codes (TS, FS, HMRC, ...), under every table and calendar that writes agencies as codes."""
from __future__ import annotations

import streamlit as st

from core.services import accounts
from ui.context import Context
from ui.text import escape_md


def agency_legend(ctx: Context, codes: set[str] | None = None) -> None:
    """A caption: 'Agencies: FS Food Safety · HMRC HM Revenue and Customs · ...' (only `codes`, when given)."""
    with ctx.store.read() as s:
        pairs = [(a.code, a.name) for a in accounts.list_agencies(s, actor=ctx.actor) if codes is None or a.code in codes]
    if pairs:
        st.caption("Agencies: " + escape_md(" · ".join(f"{c} {n}" for c, n in pairs)))
