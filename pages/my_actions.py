"""My actions: what I own across boards, milestones due first, with a quick update form."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from core.services import accounts, actions
from ui.action_editor import action_editor
from ui.rag import rag_table
from ui.context import context, marking

ctx = context()
marking(ctx.partnership)
st.title("My actions")
st.caption("Updates you make before a meeting are shown on its agenda as changed since the last meeting.")

with ctx.store.read() as s:
    rows = actions.my_work(s, actor=ctx.actor)
    people = {p["id"]: f"{p['name']} ({p['agency']})" for p in accounts.directory(s, actor=ctx.actor)}

if not rows:
    st.info("You own no open actions and no open milestones.")
else:
    frame = pd.DataFrame(rows)
    picked = st.dataframe(
        rag_table(frame.drop(columns=["id"])), hide_index=True, width="stretch",
        on_select="rerun", selection_mode="single-row", key="my_actions_table",
        column_config={"Due": st.column_config.DateColumn(format="D MMM YYYY"),
                       "Next milestone": st.column_config.DateColumn(format="D MMM YYYY")},
    )
    chosen = picked.selection.rows
    try:  # ?action=ID (a row on Home) opens that action
        wanted = int(st.query_params.get("action", ""))
    except ValueError:
        wanted = None
    ids = [int(i) for i in frame["id"]]
    action_id = int(frame.iloc[chosen[0]]["id"]) if chosen else wanted if wanted in ids else ids[0]
    with st.container(border=True):
        action_editor(ctx, action_id, key="mine", people=people)
