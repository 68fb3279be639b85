"""Audit log: every write, who made it, when, and the values before and after (read-only)."""
from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import streamlit as st

from core.services import audit
from ui import paging
from ui.context import context, marking, user_errors
from ui.text import escape_md

ctx = context()
marking(ctx.partnership)
st.title("Audit log")
st.caption("Every change made in Partnership Hub. Nobody can edit or delete these entries.")

with ctx.store.read() as unit, user_errors():
    choices = audit.filter_choices(unit, actor=ctx.actor)
    c1, c2, c3, c4 = st.columns(4)
    period = c1.date_input("Between", value=(date.today() - timedelta(days=30), date.today()))
    who = c2.selectbox("Who", [""] + choices["username"], format_func=lambda v: v or "Anyone")
    entity = c3.selectbox("Entity", [""] + choices["entity"], format_func=lambda v: v or "Any")
    action = c4.selectbox("Action", [""] + choices["action"], format_func=lambda v: v or "Any")
    text = st.text_input("Summary contains (or entity id)")
    since, until = (period[0], period[1]) if isinstance(period, tuple) and len(period) == 2 else (None, None)
    events = audit.list_events(
        unit, actor=ctx.actor, flt=audit.AuditFilter(since=since, until=until, username=who, entity=entity,
                                                     action=action, text=text)
    )
    st.write(f"{len(events)} entries" + (f" (showing the newest {audit.MAX_ROWS})" if len(events) >= audit.MAX_ROWS else ""))
    if events:
        frame = pd.DataFrame(events[:paging.shown("audit", len(events))])
        for col in ("before", "after"):
            frame[col] = frame[col].map(lambda v: "" if v is None else str(v))
        st.dataframe(
            frame.drop(columns=["id"]),
            hide_index=True,
            width="stretch",
            column_config={
                "at": st.column_config.DatetimeColumn("When", format="D MMM YYYY, HH:mm:ss"),
                "who": "Who", "action": "Action", "entity": "Entity", "entity_id": "Id",
                "summary": st.column_config.TextColumn("Summary", width="large"),
                "before": "Before", "after": "After",
            },
        )
        paging.show_more("audit", len(events), "entries")

st.subheader("Is the log whole?")
st.caption(
    "Each entry carries a fingerprint (a SHA-256 hash) of the entry before it, so an entry changed, removed or slipped "
    "in afterwards, even beside the app, breaks the chain. The check reads the whole log."
)
if st.button("Verify the audit chain"):
    with ctx.store.read() as unit, user_errors():
        report = audit.verify_chain(unit, actor=ctx.actor)
        if report.ok:
            latest = f"; the latest is #{report.head_id} (fingerprint {report.head_hash[:16]}…)" if report.rows else ""
            st.success(f"The audit chain is intact: {report.rows:,} entries checked{escape_md(latest)}.")
        else:
            first = report.first
            st.error(f"The audit chain is broken. First bad entry: #{first.id:d} ({escape_md(first.kind)}). "
                     f"{escape_md(first.detail)}")
            st.dataframe(
                pd.DataFrame([{"entry": b.id, "what": b.kind, "detail": b.detail} for b in report.breaks]),
                hide_index=True,
                width="stretch",
            )
            if report.more:
                st.write(f"…and {report.more:d} more.")
