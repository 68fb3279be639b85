"""Meetings: boards, the automatic agenda, attendance, starting and closing, and the minutes."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from functools import partial

import pandas as pd
import streamlit as st

from core import minutes as minutes_export
from core.services import accounts, meetings
from ui.context import context, marking, user_errors
from ui.text import escape_md

ctx = context()
marking(ctx.partnership)
st.title("Meetings")

with ctx.store.read() as s:
    boards = meetings.boards(s, actor=ctx.actor)
if not boards:
    st.info("No boards yet.")
    st.stop()
by_board = {b["id"]: b for b in boards}
wanted = st.query_params.get("meeting", "")
if wanted.isdigit() and st.session_state.get("_meeting_wanted") != wanted:  # ?meeting=ID (Home) opens it, once
    st.session_state["_meeting_wanted"] = wanted
    with ctx.store.read() as s, user_errors():
        found = meetings.view(s, actor=ctx.actor, meeting_id=int(wanted))
        st.session_state["_open_board"], st.session_state["_open_meeting"] = found.board_id, found.id
# Not keyed: a keyed selectbox kept showing an option's old label ("· live") after the meeting closed.
board_ids = list(by_board)
opened_board = st.session_state.get("_open_board")  # kept, so the index (and the widget) stays put
if opened_board not in board_ids:
    opened_board = meetings.opening_board(boards)
board_id = st.selectbox("Board", board_ids, format_func=lambda i: f"{by_board[i]['name']} (chair: {by_board[i]['chair'] or 'none named'})",
                        index=board_ids.index(opened_board))
board = by_board[board_id]
with ctx.store.read() as s:
    listed = meetings.meetings(s, actor=ctx.actor, board_id=board_id)
    default = meetings.next_meeting_id(s, actor=ctx.actor, board_id=board_id)
    people = {p["id"]: f"{p['name']} ({p['agency']})" for p in accounts.directory(s, actor=ctx.actor)}
    current_members = [m["id"] for m in meetings.view(s, actor=ctx.actor,
                                                      meeting_id=listed[0]["id"]).members] if listed else []

runners = " or ".join(n for n in (board["chair"], board["deputy"]) if n) or "its chair (none is named yet)"
if not board["can_run"]:
    st.caption(f"This board's meetings are run by {escape_md(runners)}: they build the agenda, "
               "take attendance, start, move and close the meeting. Members record notes and decisions.")
if board["can_run"] or board["can_manage"]:
    with st.expander("Schedule a meeting · chair, deputy and members"):
        if board["can_run"]:
            with st.form("schedule", clear_on_submit=True):
                c1, c2, c3 = st.columns(3)
                day = c1.date_input("Date", value=date.today() + timedelta(days=42), format="DD/MM/YYYY")
                at = c2.time_input("Time (UTC)", value=time(10, 0))
                where = c3.text_input("Place")
                if st.form_submit_button("Schedule"):
                    with user_errors(), ctx.store.uow() as uow:
                        meetings.schedule(uow, actor=ctx.actor, board_id=board_id,
                                          when=datetime.combine(day, at, timezone.utc), location=where)
                        st.rerun()
        if board["can_manage"]:
            choices = [None, *people]
            name = lambda i: "none" if i is None else people[i]  # noqa: E731
            k1, k2 = st.columns(2)
            chair_id = k1.selectbox("Chair (runs the meetings)", choices, format_func=name,
                                    index=choices.index(board["chair_id"]) if board["chair_id"] in choices else 0)
            deputy_id = k2.selectbox("Deputy (runs them when the chair cannot)", choices, format_func=name,
                                     index=choices.index(board["deputy_id"]) if board["deputy_id"] in choices else 0)
            if st.button("Save chair and deputy"):
                with user_errors(), ctx.store.uow() as uow:
                    meetings.set_chairs(uow, actor=ctx.actor, board_id=board_id, chair_id=chair_id, deputy_id=deputy_id)
                    st.rerun()
            members = st.multiselect("Members", list(people), default=[m for m in current_members if m in people],
                                     format_func=people.get, select_all=False)
            if st.button("Save members"):
                with user_errors(), ctx.store.uow() as uow:
                    meetings.set_members(uow, actor=ctx.actor, board_id=board_id, user_ids=set(members))
                    st.rerun()

if not listed:
    st.info("This board has no meetings yet.")
    st.stop()
ids = [m["id"] for m in listed]
labels = {m["id"]: f"{m['when']:%a %d %b %Y, %H:%M} · {m['status']}" for m in listed}
opened = st.session_state.get("_open_meeting")
start = opened if opened in ids else default if default in ids else ids[0]
meeting_id = st.selectbox("Meeting", ids, index=ids.index(start), format_func=labels.get)

with ctx.store.read() as s:
    v = meetings.view(s, actor=ctx.actor, meeting_id=meeting_id)

c1, c2, c3 = st.columns(3)
c1.metric("Status", escape_md(v.status))
c2.metric("Agenda items", len(v.items))
c3.metric("Present / quorum", f"{len(v.present)} / {v.quorum:d}", delta="quorate" if v.quorate else "not quorate",
          delta_color="normal" if v.quorate else "inverse", delta_arrow="off")
st.caption(f"{v.when:%A %d %B %Y, %H:%M} · {escape_md(v.where or 'place to be confirmed')}")

if v.can_run and v.status != "closed":
    b1, b2, b3 = st.columns(3)
    if b1.button("Build or refresh the agenda", help="Adds overdue, due and changed actions, tasking items, visits done, "
                 "overdue feedback and items carried from the last meeting; keeps items added by hand."):
        with user_errors(), ctx.store.uow() as uow:
            n = meetings.build_agenda(uow, actor=ctx.actor, meeting_id=meeting_id)
            st.toast(f"Agenda has {n:d} items.")
            st.rerun()
    def start_now() -> None:
        with user_errors(), ctx.store.uow() as uow:
            meetings.start(uow, actor=ctx.actor, meeting_id=meeting_id)
            st.switch_page("pages/live.py")

    @st.dialog("Start the meeting today?", on_dismiss=lambda: st.session_state.pop("_start_confirm", None))
    def confirm_start(warning: str) -> None:
        st.write(escape_md(warning))
        if st.button("Start it now", type="primary"):
            st.session_state.pop("_start_confirm", None)
            start_now()

    if v.status == "planned" and b2.button("Start the meeting", type="primary"):
        st.session_state["_start_confirm"] = meeting_id  # kept until answered, so the dialog survives a rerun
    if v.status == "planned" and st.session_state.get("_start_confirm") == meeting_id:
        if warning := meetings.off_schedule(v.when, datetime.now(timezone.utc)):
            confirm_start(warning)
        else:
            st.session_state.pop("_start_confirm", None)
            start_now()
    if v.status == "live":
        if b2.button("Open the live view", type="primary"):
            st.switch_page("pages/live.py")

        @st.dialog("Close the meeting?")
        def confirm_close() -> None:
            pending = sum(i["status"] == "pending" for i in v.items)
            st.write(f"The record will be frozen. {pending:d} items not discussed will be carried to the next meeting.")
            if st.button("Close and freeze", type="primary"):
                with user_errors(), ctx.store.uow() as uow:
                    meetings.close(uow, actor=ctx.actor, meeting_id=meeting_id)
                    st.rerun()

        if b3.button("Close the meeting"):
            confirm_close()
    with st.expander("Attendance"):
        members = {m["id"]: f"{m['name']} ({m['agency']})" + (" · chair" if m["chair"] else "") for m in v.members}
        present = st.multiselect("Present", list(members), default=[i for i in v.present if i in members], format_func=members.get,
                                 select_all=False)
        if st.button("Save attendance"):
            with user_errors(), ctx.store.uow() as uow:
                meetings.set_attendance(uow, actor=ctx.actor, meeting_id=meeting_id, present=set(present))
                st.rerun()

st.markdown("#### Agenda")
if v.items:
    frame = pd.DataFrame(v.items)[["position", "kind", "title", "status", "tier", "decision"]]
    st.dataframe(frame, hide_index=True, width="stretch",
                 column_config={"position": "#", "kind": "Kind", "title": st.column_config.TextColumn("Item", width="large"),
                                "status": "Status", "tier": "Tier", "decision": "Decision"})
else:
    st.caption("The agenda is empty." + (" Build it from the store with the button above." if v.can_run else ""))

if v.can_contribute and v.status != "closed":
    with st.form("add_item", clear_on_submit=True):
        title = st.text_input("Add an item by hand")
        notes = st.text_area("Notes for the item")
        if st.form_submit_button("Add to agenda"):
            with user_errors(), ctx.store.uow() as uow:
                meetings.add_item(uow, actor=ctx.actor, meeting_id=meeting_id, title=title, notes=notes)
                st.rerun()

st.markdown("#### Minutes" + ("" if v.status == "closed" else " (draft until the meeting is closed)"))
with ctx.store.read() as s:
    record = meetings.minutes(s, actor=ctx.actor, meeting_id=meeting_id)
d1, d2, d3 = st.columns(3)
# Built when clicked (PDF layout takes a second or two for a long agenda), not on every rerun.
d1.download_button("Minutes (PDF)", partial(minutes_export.to_pdf, record), minutes_export.filename(record, "pdf"), "application/pdf")
d2.download_button("Minutes (Word)", partial(minutes_export.to_docx, record), minutes_export.filename(record, "docx"),
                   "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
d3.download_button("Minutes (Markdown)", minutes_export.to_markdown(record), minutes_export.filename(record, "md"), "text/markdown")
