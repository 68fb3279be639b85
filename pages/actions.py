"""Actions: every agreed action with owner, RAG and milestones; filter, open, update; charts."""
from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import streamlit as st

from core import charts
from core.domain import TIERS, ActionSource, Strand
from core.permissions import allowed
from core.services import accounts, actions
from ui.action_editor import action_editor
from ui.rag import rag_label, rag_table
from ui import paging
from ui.legend import agency_legend
from ui.context import context, marking, user_errors

ctx = context()
marking(ctx.partnership)
st.title("Actions")
st.caption("RAG: red = overdue or a milestone overdue; amber = due within 14 days and not started, or a milestone "
           "due within 7 days; green otherwise. Complete and cancelled actions are shown apart.")

with ctx.store.read() as s:
    agencies = {a.id: a.name for a in accounts.list_agencies(s, actor=ctx.actor)}
    people_rows = accounts.directory(s, actor=ctx.actor)
people = {p["id"]: f"{p['name']} ({p['agency']})" for p in people_rows}

c1, c2, c3, c4 = st.columns([2, 2, 2, 1])
agency = c1.selectbox("Agency", [None, *agencies], format_func=lambda i: "All agencies" if i is None else agencies[i])
strand = c2.selectbox("4P strand", ["", *[x.value for x in Strand]], format_func=lambda v: v or "All strands")
rags = c3.multiselect("RAG", ["red", "amber", "green"], format_func=rag_label, select_all=False)
closed = c4.toggle("Include closed")
with ctx.store.read() as s:
    rows = actions.list_actions(s, actor=ctx.actor,
                                flt=actions.ActionFilter(agency_id=agency, strand=strand, rag=tuple(rags),
                                                         include_closed=closed))

if allowed(ctx.actor, "action.create", agency_id=ctx.actor.agency_id):

    @st.dialog("New action", width="large")
    def new_action() -> None:
        with st.form("new_action"):
            title = st.text_input("Title")
            description = st.text_area("Description")
            a1, a2 = st.columns(2)
            own_choices = list(agencies) if allowed(ctx.actor, "action.create", agency_id=-1) else [ctx.actor.agency_id]
            owning = a1.selectbox("Owning agency", own_choices, format_func=agencies.get)
            owner = a2.selectbox("Owner", list(people), format_func=people.get, index=None, placeholder="Choose who will do it")
            supporting = st.multiselect("Supporting agencies", list(agencies), format_func=agencies.get, select_all=False)
            b1, b2, b3 = st.columns(3)
            due = b1.date_input("Due", value=date.today() + timedelta(days=42), format="DD/MM/YYYY")
            strand_v = b2.selectbox("Strand", [x.value for x in Strand])
            tier = b3.selectbox("Response tier", list(TIERS), index=2, format_func=lambda t: f"{t}: {TIERS[t]}")
            p1, p2 = st.columns(2)
            priority = p1.selectbox("Priority", list(actions.PRIORITIES), index=1)
            source = p2.selectbox("Source", [x.value for x in ActionSource])
            ms_text = st.text_area("Milestones (one a line: title; DD/MM/YYYY)", placeholder="Brief the team; 05/01/2027")
            if st.form_submit_button("Create action", type="primary"):
                with user_errors():
                    milestones = actions.parse_milestone_lines(ms_text)
                    with ctx.store.uow() as uow:
                        actions.create_action(uow, actor=ctx.actor, data=actions.ActionInput(
                            title=title, description=description, agency_id=owning, owner_id=owner, supporting=tuple(supporting),
                            due_on=due, strand=strand_v, tier=tier, priority=priority, source=source, milestones=milestones))
                    st.rerun()

    if st.button("New action", icon=":material/add:"):
        new_action()

GANTT_ROWS = 60  # a timeline of thousands of bars helps nobody and takes seconds to draw
view = st.segmented_control("View", ["List", "Charts"], default="List", label_visibility="collapsed", key="actions_view")
st.caption(f"{len(rows)} actions")
if view != "Charts":
    if not rows:
        st.info("No actions match these filters.")
    else:
        frame = pd.DataFrame(rows[:paging.shown("actions", len(rows))])
        shown = rag_table(frame.drop(columns=["id", "version", "Updated"]))
        picked = st.dataframe(
            shown, hide_index=True, width="stretch", on_select="rerun", selection_mode="single-row", key="actions_table",
            column_config={"Due": st.column_config.DateColumn(format="D MMM YYYY"),
                           "Next milestone": st.column_config.DateColumn(format="D MMM YYYY")},
        )
        paging.show_more("actions", len(rows), "actions")
        agency_legend(ctx)
        chosen = picked.selection.rows
        if chosen:
            with st.container(border=True):
                action_editor(ctx, int(frame.iloc[chosen[0]]["id"]), key="actions", people=people)
        else:
            st.caption("Select a row to open the action, update it and tick off milestones.")
else:  # built only when asked for: st.tabs would build the charts on every rerun
    if rows:
        shown = rows[:GANTT_ROWS]
        with ctx.store.read() as s:
            ms = actions.milestones_for(s, actor=ctx.actor, action_ids=[r["id"] for r in shown])
        if len(rows) > GANTT_ROWS:
            st.caption(f"Timeline of the {GANTT_ROWS} most pressing actions (worst RAG, then soonest due) of {len(rows)}; filter to see others.")
        st.plotly_chart(charts.gantt(shown, ms, date.today()), width="stretch")
        c1, c2, c3 = st.columns(3)
        c1.plotly_chart(charts.actions_by(rows, "RAG"), width="stretch")
        c2.plotly_chart(charts.actions_by(rows, "Strand"), width="stretch")
        c3.plotly_chart(charts.actions_by(rows, "Agency"), width="stretch")
        with ctx.store.read() as s:
            all_ms = actions.milestones_for(s, actor=ctx.actor, action_ids=[r["id"] for r in rows])
        st.plotly_chart(charts.milestones_over_time(all_ms, date.today()), width="stretch")
    else:
        st.info("No actions match these filters.")
