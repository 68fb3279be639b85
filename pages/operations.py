"""Weeks of action: many premises visited over a few days, planned in bulk, with the load it creates.

The shared risk list can hand its filtered selection over by putting business ids in
`st.session_state["operation_business_ids"]` and switching to this page.
"""
from __future__ import annotations

from datetime import date, timedelta

import streamlit as st

from core.permissions import allowed
from core.services import operations, risklist
from ui import visit_downloads
from ui.context import context, marking, user_errors
from ui.pickers import business_picker
from ui.text import escape_md

HANDOVER = "operation_business_ids"

ctx = context()
marking(ctx.partnership)
st.title("Weeks of action")
st.caption("A week of action visits many premises in a short time. Plan it here, then see the follow-up work "
           "it will leave each agency: large operations create months of it.")
may_plan = allowed(ctx.actor, "visit.plan")

if msg := st.session_state.pop("op_done", None):
    st.success(escape_md(msg))
with ctx.store.read() as s:
    ops = operations.list_operations(s, actor=ctx.actor)
    coordinators = operations.coordinator_choices(s, actor=ctx.actor) if may_plan else {}

if may_plan:
    with st.expander("New operation", expanded=ops.empty):
        with st.form("new_operation", clear_on_submit=True):
            name = st.text_input("Name", placeholder="Operation Lantern")
            c1, c2 = st.columns(2)
            monday = date.today() + timedelta(days=7 - date.today().weekday())
            starts = c1.date_input("First day", value=monday, format="DD/MM/YYYY")
            ends = c2.date_input("Last day", value=monday + timedelta(days=4), format="DD/MM/YYYY")
            ids = list(coordinators)
            coordinator = st.selectbox("Coordinator", ids, format_func=coordinators.get,
                                       index=ids.index(ctx.actor.id) if ctx.actor.id in ids else None)
            notes = st.text_area("Notes", placeholder="What the week targets and why")
            if st.form_submit_button("Create operation", type="primary"):
                with user_errors(), ctx.store.uow() as uow:
                    new_id = operations.create_operation(
                        uow, actor=ctx.actor, data=operations.OperationInput(name, starts, ends, coordinator, notes))
                    st.session_state["op_open"] = new_id
                    st.session_state["op_done"] = f"Created {' '.join(name.split())}."
                    st.rerun()

if ops.empty:
    st.info("No operations yet." + (" Create one above." if may_plan else ""))
    visit_downloads.my_calendars(ctx)
    st.stop()
st.dataframe(ops.drop(columns=["operation_id"]), hide_index=True, width="stretch",
             column_config={"Starts": st.column_config.DateColumn(format="D MMM YYYY"),
                            "Ends": st.column_config.DateColumn(format="D MMM YYYY")})
labels = {int(r.operation_id): f"{r.Operation} ({r.Starts:%d %b %Y})" for r in ops.itertuples()}
if st.session_state.get("op_open") not in labels:
    st.session_state["op_open"] = next(iter(labels))
op_id = st.selectbox("Open an operation", list(labels), format_func=labels.get, key="op_open")

summary = None
with ctx.store.read() as s, user_errors():
    summary = operations.operation_summary(s, actor=ctx.actor, operation_id=op_id)
if summary is None:
    st.stop()
op = summary.operation
st.subheader(escape_md(op["name"]))
st.caption(f"{op['starts_on']:%a %d %b} to {op['ends_on']:%a %d %b %Y} · coordinator: "
           f"{escape_md(op['coordinator'] or 'not set')}" + (f" · {escape_md(op['notes'])}" if op["notes"] else ""))
cols = st.columns(len(summary.by_status) + 2)
for col, (status, n) in zip(cols, summary.by_status.items(), strict=False):
    col.metric(escape_md(status.capitalize()), int(n))
cols[-2].metric("Officers planned", int(summary.officers_planned))
cols[-1].metric("Officers named", int(summary.officers_named))

tab_visits, tab_agencies, tab_follow = st.tabs(["Visits", "Agencies", "Estimated follow-up"])
with tab_visits:
    if summary.visits.empty:
        st.info("No premises planned yet.")
    else:
        st.dataframe(summary.visits.drop(columns=["visit_id"]), hide_index=True, width="stretch",
                     column_config={"When": st.column_config.DatetimeColumn(format="ddd D MMM, HH:mm")})
with tab_agencies:
    st.dataframe(summary.agencies, hide_index=True, width="stretch")
with tab_follow:
    st.caption("Expected follow-up from the visits each agency is on: notices to check, interviews under caution "
               "(seizures and arrests), prosecution files (a quarter of interviews). Rates come from the agency's "
               "recorded outcomes when it has five or more, else from agencies of its kind, else planning defaults.")
    st.dataframe(summary.follow_up, hide_index=True, width="stretch")

if may_plan:
    st.subheader("Add premises")
    handed = [int(b) for b in st.session_state.get(HANDOVER) or []]
    with ctx.store.read() as s:
        pool = operations.candidates(s, actor=ctx.actor)
    st.caption("Businesses two or more agencies hold on the shared risk list, most agencies first. Select rows, "
               "or find any business by name or address. Each becomes a draft visit with the agencies that hold it; "
               "slots run 09:30, 11:00, 13:30 and 15:30 across the operation's weekdays.")
    picked = st.dataframe(pool.drop(columns=["business_id"]), hide_index=True, width="stretch", height=300,
                          on_select="rerun", selection_mode="multi-row", key="op_pool")
    rows = picked.selection.rows if picked is not None else []  # type: ignore[union-attr]
    added: list[int] = st.session_state.setdefault("op_added", [])
    found = business_picker(ctx, "Find another business", key="op_find")
    if found is not None and found not in added and st.button("Add it"):
        added.append(found)
        st.rerun()
    offered = list(dict.fromkeys([int(pool.iloc[i]["business_id"]) for i in rows] + handed + added))
    with ctx.store.read() as s:
        names = risklist.business_labels(s, actor=ctx.actor, business_ids=offered)
    chosen = st.multiselect("Premises to plan", [b for b in offered if b in names], default=[b for b in offered if b in names],
                            format_func=names.get, select_all=False, key=f"op_chosen_{len(offered)}",
                            help="From the rows you selected, the risk list's hand-over and the businesses you found.")
    if st.button(f"Plan {len(chosen)} visits", type="primary", disabled=not chosen):
        with user_errors(), ctx.store.uow() as uow:
            result = operations.plan_operation_visits(uow, actor=ctx.actor, operation_id=op_id, business_ids=chosen)
            st.session_state.pop(HANDOVER, None)
            st.session_state.pop("op_added", None)
            skipped = f" Skipped: {'; '.join(result.skipped)}." if result.skipped else ""
            st.session_state["op_done"] = f"Planned {len(result.visit_ids)} draft visits in {op['name']}.{skipped}"
            st.rerun()

st.subheader("Calendars")
visit_downloads.my_calendars(ctx)
