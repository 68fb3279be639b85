"""Live meeting: the shared screen walks the agenda one item at a time; members record in place.

The presentation refreshes every few seconds, so every open screen shows the others' edits.
"""
from __future__ import annotations

from datetime import date, timedelta

import streamlit as st

from core.domain import TIERS, Strand
from core.services import accounts, actions, meetings
from core.services.actions import ActionInput
from ui.action_editor import action_editor
from ui.rag import rag_html
from ui.context import context, marking, user_errors
from ui.text import escape_md

REFRESH_SECONDS = 3
ctx = context()
marking(ctx.partnership)

with ctx.store.read() as s:
    boards = meetings.boards(s, actor=ctx.actor)
    live = [(b, meetings.next_meeting_id(s, actor=ctx.actor, board_id=b["id"])) for b in boards]
    people = {p["id"]: f"{p['name']} ({p['agency']})" for p in accounts.directory(s, actor=ctx.actor)}
    agencies = {a.id: a.name for a in accounts.list_agencies(s, actor=ctx.actor)}
candidates = []
with ctx.store.read() as s:
    for b, mid in live:
        if mid is not None and meetings.view(s, actor=ctx.actor, meeting_id=mid).status == "live":
            candidates.append((b["name"], mid))
if not candidates:
    st.title("Live meeting")
    st.info("No meeting is live. The chair starts one from **Meetings**.")
    st.stop()
names = {mid: name for name, mid in candidates}
meeting_id = st.selectbox("Meeting", list(names), format_func=names.get, label_visibility="collapsed")


@st.fragment(run_every=REFRESH_SECONDS)
def presentation() -> None:
    with ctx.store.read() as s:
        v = meetings.view(s, actor=ctx.actor, meeting_id=meeting_id)
    if v.status != "live":
        st.rerun(scope="app")
    if st.session_state.get("_live_position") != v.current_position:
        st.session_state["_live_position"] = v.current_position
        st.rerun(scope="app")  # the chair moved on: bring the edit forms to the new item too
    total = len(v.items)
    item = next((i for i in v.items if i["position"] == v.current_position), None)
    st.progress((v.current_position or 0) / max(total, 1), text=f"{escape_md(v.board)} · item {escape_md(v.current_position)} of {total}")
    if item is None:
        st.markdown("## The agenda is empty")
        return
    # In these HTML blocks escape_md's character references are HTML escapes too (html.escape left Markdown
    # syntax live after a blank line in the notes).
    st.markdown(f"<div style='font-size:2.4rem;font-weight:700;line-height:1.2'>{escape_md(item['title'])}</div>", unsafe_allow_html=True)
    facts = [item["kind"], *(["carried from the last meeting"] if item["carried"] else []), item["status"],
             *([f"tier {item['tier']}"] if item["tier"] else [])]
    st.markdown(f"<div style='font-size:1.1rem;color:#555'>{escape_md(' · '.join(facts))}</div>", unsafe_allow_html=True)
    if item["notes"]:
        st.markdown(f"<div style='font-size:1.4rem;white-space:pre-wrap'>{escape_md(item['notes'], multiline=True)}</div>",
                    unsafe_allow_html=True)
    if item["decision"]:
        st.success(f"**Decision:** {escape_md(item['decision'], multiline=True)}")
    if item["action_id"]:
        # The action as it stands now, so an update made on any screen shows here within seconds.
        with ctx.store.read() as s:
            d = actions.action_detail(s, actor=ctx.actor, action_id=item["action_id"])
        a, last = d["action"], (d["updates"][0] if d["updates"] else None)
        done = sum(m["completed_on"] is not None for m in d["milestones"])
        st.markdown(
            f"<div style='font-size:1.5rem'>{rag_html(d['rag'])} · {escape_md(a['status'])} · due "
            f"{a['due_on']:%d %b %Y} · milestones {done:d}/{len(d['milestones'])}</div>", unsafe_allow_html=True)
        if last:
            st.caption(f"Last update {last['at']:%d %b %H:%M} by {escape_md(last['by'] or 'someone')}: {escape_md(last['note'])}")


presentation()

with ctx.store.read() as s:
    v = meetings.view(s, actor=ctx.actor, meeting_id=meeting_id)
if v.can_run and v.items and v.status == "live":
    # The chair's buttons are drawn by the page, not by the refreshing fragment above: a fragment redrawn while
    # the page reran showed two "Next" buttons. Each move names the item shown: a second click moves nothing.
    c1, c2, _ = st.columns([1, 1, 4])
    first, last = v.items[0]["position"], v.items[-1]["position"]
    if c1.button("◀ Previous", disabled=v.current_position == first, key="prev"):
        with user_errors(), ctx.store.uow() as uow:
            meetings.go_to(uow, actor=ctx.actor, meeting_id=meeting_id, position=v.current_position - 1,
                           from_position=v.current_position)
        st.rerun()
    if c2.button("Next ▶", disabled=v.current_position == last, key="next", type="primary"):
        with user_errors(), ctx.store.uow() as uow:
            meetings.go_to(uow, actor=ctx.actor, meeting_id=meeting_id, position=v.current_position + 1,
                           from_position=v.current_position)
        st.rerun()
item = next((i for i in v.items if i["position"] == v.current_position), None)
if item is None or not v.can_contribute:
    st.stop()

st.divider()
left, right = st.columns(2)
# Stable widget keys per item: a submission is never dropped because the item changed meanwhile.
# The "base" is what the person's boxes were filled from; the service refuses to overwrite
# anything recorded by someone else since then.
base_key, notes_key, decision_key = (f"live_{k}_{item['id']}" for k in ("base", "notes", "decision"))
current = {"notes": item["notes"], "decision": item["decision"]}
base = st.session_state.get(base_key)
untouched = base is not None and st.session_state.get(notes_key) == base["notes"] and st.session_state.get(decision_key) == base["decision"]
if base is None or (untouched and base != current):
    st.session_state[notes_key], st.session_state[decision_key] = current["notes"], current["decision"]
    st.session_state[base_key] = base = current
with left, st.form(f"record_{item['id']}"):
    st.markdown("**Record against this item**")
    notes = st.text_area("Notes", key=notes_key)
    decision = st.text_area("Decision", key=decision_key)
    discussed = st.checkbox("Discussed", value=item["status"] == "discussed")
    if st.form_submit_button("Save", type="primary"):
        with user_errors(), ctx.store.uow() as uow:
            meetings.record_item(uow, actor=ctx.actor, item_id=item["id"], notes=notes, decision=decision,
                                 status="discussed" if discussed else "pending", expected=base)
            st.session_state.pop(base_key, None)
            st.rerun()
if base != current:
    with left:
        st.info("Someone else has recorded on this item since you started typing; their words are shown above.")
        if st.button("Replace my boxes with the current record"):
            st.session_state.pop(base_key, None)
            st.rerun()
with right:
    if item["kind"] == "tasking" and v.can_run:
        with st.form(f"tier_{item['id']}"):
            st.markdown("**Response tier**")
            tier = st.radio("Tier", list(TIERS), format_func=lambda t: f"{t}: {TIERS[t]}", index=(item["tier"] or 3) - 1)
            owner = st.selectbox("Owner (tiers 1-3)", [None, *people], format_func=lambda i: "—" if i is None else people[i])
            agency = st.selectbox("Owning agency (tiers 1-3)", [None, *agencies], format_func=lambda i: "—" if i is None else agencies[i])
            due = st.date_input("Due (tiers 1-3)", value=date.today() + timedelta(days=28), format="DD/MM/YYYY")
            words = st.text_input("Decision in words")
            if st.form_submit_button("Record tier"):
                with user_errors(), ctx.store.uow() as uow:
                    meetings.record_tier(uow, actor=ctx.actor, item_id=item["id"], tier=tier, owner_id=owner,
                                         agency_id=agency, due_on=due, decision=words)
                    st.rerun()
    with st.form(f"new_action_{item['id']}", clear_on_submit=True):
        st.markdown("**New action agreed on this item**")
        title = st.text_input("Action")
        a1, a2 = st.columns(2)
        owner = a1.selectbox("Owner", list(people), format_func=people.get, index=None, placeholder="Choose who will do it")
        agency = a2.selectbox("Owning agency", list(agencies), format_func=agencies.get,
                              index=list(agencies).index(ctx.actor.agency_id) if ctx.actor.agency_id in agencies else 0)
        b1, b2 = st.columns(2)
        due = b1.date_input("Due", value=date.today() + timedelta(days=42), format="DD/MM/YYYY")
        strand = b2.selectbox("Strand", [x.value for x in Strand])
        if st.form_submit_button("Add action"):
            with user_errors(), ctx.store.uow() as uow:
                meetings.add_item_action(uow, actor=ctx.actor, item_id=item["id"],
                                         data=ActionInput(title=title, agency_id=agency, owner_id=owner, due_on=due,
                                                          strand=strand))
                st.rerun()
if item["action_id"]:
    with st.container(border=True):
        action_editor(ctx, item["action_id"], key="live", people=people)
