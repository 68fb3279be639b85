"""Home: what needs my attention, for every role."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from core.domain import ROLE_LABELS
from core.services import attention
from ui.context import context, marking, user_errors
from ui.rag import rag_table
from ui.text import escape_md

WHEN = st.column_config.DatetimeColumn(format="D MMM YYYY, HH:mm")
DAY = st.column_config.DateColumn(format="D MMM YYYY")
COLUMNS = {"When": WHEN, "Last import": WHEN, "Sent": WHEN, "Received": WHEN, "Due": DAY, "Feedback due": DAY, "Next milestone": DAY}
# What a row of each section opens: (page, query parameter, the row's field holding its id).
OPENS = {
    "actions": ("pages/my_actions.py", "action", "id"), "milestones": ("pages/my_actions.py", "action", "action_id"),
    "inbox": ("pages/inbox.py", "recipient", "recipient_id"), "feedback": ("pages/my_referrals.py", "referral", "id"),
    "visits": ("pages/visits.py", "visit", "id"), "overview": ("pages/meetings.py", "meeting", "id"),
}
HIDDEN = ["id", "action_id", "recipient_id"]

ctx = context()
marking(ctx.partnership)
st.title(escape_md(ctx.partnership.name))
st.caption(f"Signed in as {escape_md(ctx.actor.name)} · {ROLE_LABELS[ctx.actor.role]} · {escape_md(ctx.actor.agency_name)}")
st.subheader("What needs my attention")

with ctx.store.read() as unit:
    sections = attention.attention(unit, actor=ctx.actor)

for section in sections:
    with st.container(border=True):
        st.markdown(f"#### {escape_md(section.title)}")
        if section.metrics:
            cols = st.columns(len(section.metrics))
            for col, (label, value) in zip(cols, section.metrics.items()):
                col.metric(escape_md(label.capitalize()), int(value))
        if not section.rows:
            st.caption(escape_md(section.empty))
            continue
        rows = pd.DataFrame(section.rows)
        frame = rows.drop(columns=HIDDEN, errors="ignore")
        opens = OPENS.get(section.key)
        if opens is None:
            st.dataframe(rag_table(frame), hide_index=True, width="stretch",
                         column_config={c: COLUMNS[c] for c in frame if c in COLUMNS})
        else:
            page, param, field = opens
            picked = st.dataframe(rag_table(frame), hide_index=True, width="stretch", on_select="rerun", selection_mode="single-row",
                                  key=f"home_{section.key}", column_config={c: COLUMNS[c] for c in frame if c in COLUMNS})
            st.caption("Choose a row to open it.")
            if picked.selection.rows:
                st.switch_page(page, query_params={param: str(int(rows.iloc[picked.selection.rows[0]][field]))})
        if section.key == "feedback" and st.button("Mark feedback as read", key="feedback_seen"):
            with user_errors(), ctx.store.uow() as uow:
                attention.mark_feedback_seen(uow, actor=ctx.actor)
                st.rerun()
