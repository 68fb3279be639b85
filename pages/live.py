"""Live meeting: the board's shared screen (presenter view) walks the agenda one item at a time.

The item fills the screen, readable on a 1920x1080 projector; the agenda beside it jumps to any item and shows each
item's state. The chair moves with Next and Previous (keys: right and left arrow) or the agenda; every other screen
follows within a second or two. Members record in a panel below, which the presenter can hide.
"""
from __future__ import annotations

from datetime import date, timedelta

import streamlit as st

from core.domain import TIERS, Strand
from core.services import accounts, meetings
from core.services.actions import ActionInput
from ui.action_editor import action_editor
from ui.context import context, marking, user_errors
from ui.presenter import agenda_label, card_html
from ui.text import escape_md

REFRESH_SECONDS = 1  # followers see the chair's move within this and one rerun (bench/browser.py measures it)
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
meeting_id = st.selectbox("Meeting", list(names), format_func=names.get, label_visibility="collapsed") \
    if len(names) > 1 else next(iter(names))

with ctx.store.read() as s:
    v = meetings.view(s, actor=ctx.actor, meeting_id=meeting_id)
shown = (v.status, v.current_position, tuple(i["state"] for i in v.items))  # what this run of the page draws


def move(position: int) -> None:
    """The chair's move, from the item this screen shows (a second click from a stale screen moves nothing)."""
    with user_errors(), ctx.store.uow() as uow:
        meetings.go_to(uow, actor=ctx.actor, meeting_id=meeting_id, position=position, from_position=v.current_position)


head, moves, toggle = st.columns([4, 3, 2], vertical_alignment="center")
head.markdown(f"**{escape_md(v.board)}**")
if v.can_run and v.items:
    # The chair's controls are drawn by the page, never by the refreshing fragment (a fragment redrawn while the
    # page reran once showed two "Next" buttons).
    c1, c2 = moves.columns(2)
    first, last = v.items[0]["position"], v.items[-1]["position"]
    if c1.button("Previous", icon=":material/arrow_back:", disabled=v.current_position == first, key="prev",
                 shortcut="Left", width="stretch"):
        move(v.current_position - 1)
        st.rerun()
    if c2.button("Next", icon=":material/arrow_forward:", disabled=v.current_position == last, key="next",
                 type="primary", shortcut="Right", width="stretch"):
        move(v.current_position + 1)
        st.rerun()
panel = toggle.toggle("Recording panel", value=v.can_contribute, disabled=not v.can_contribute, key="live_panel",
                      help="Hide it to show the item alone on the shared screen.")


def agenda_text(now: meetings.MeetingView) -> None:
    """The agenda as text, the item on the screen in bold (for everyone but the chair)."""
    st.markdown("**Agenda**")
    for it in now.items:
        st.markdown(f"**{agenda_label(it)}**" if it["position"] == now.current_position else agenda_label(it))


@st.fragment(run_every=REFRESH_SECONDS)
def presentation() -> None:
    """The item as it stands now, redrawn every second. When the chair has moved, the new item is drawn at once
    (followers see it on this run); the next run reruns the page, so the recording panel follows too."""
    with ctx.store.read() as s:
        now = meetings.view(s, actor=ctx.actor, meeting_id=meeting_id)
        state = (now.status, now.current_position, tuple(i["state"] for i in now.items))
        if now.status != "live" or (state != shown and st.session_state.get("_live_drawn") == state):
            st.rerun(scope="app")
        st.session_state["_live_drawn"] = state
        item = next((i for i in now.items if i["position"] == now.current_position), None)
        card = meetings.item_card(s, actor=ctx.actor, meeting_id=meeting_id, item_id=item["id"]) if item else None
    if v.can_run:  # the chair's agenda is a widget, drawn by the page beside this
        where = st.container()
    else:
        agenda, where = st.columns([1, 3], gap="large")
        with agenda, st.container(height=640, border=False):
            agenda_text(now)
    with where:
        st.progress((now.current_position or 0) / max(len(now.items), 1),
                    text=f"item {escape_md(now.current_position)} of {len(now.items)}")
        if card is None:
            st.markdown("## The agenda is empty")
        else:
            st.markdown(card_html(card, date.today()), unsafe_allow_html=True)


if v.can_run:
    agenda_col, card_col = st.columns([1, 3], gap="large")
    with agenda_col, st.container(height=640, border=False):
        positions = [it["position"] for it in v.items]
        by_position = {it["position"]: it for it in v.items}
        if v.current_position in positions:
            # Keyed by the item shown, so the choice always starts at the item on the shared screen.
            chosen = st.radio("Agenda", positions, index=positions.index(v.current_position),
                              format_func=lambda p: agenda_label(by_position[p]), key=f"agenda_{v.current_position}")
            if chosen != v.current_position:
                move(chosen)
                st.rerun()
    with card_col:
        presentation()
else:
    presentation()

item = next((i for i in v.items if i["position"] == v.current_position), None)
if item is None or not v.can_contribute or not panel:
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
    # Emptied only after the action is added: a refusal keeps everything typed (clear_on_submit lost it).
    na = {k: f"new_action_{k}_{item['id']}" for k in ("title", "owner", "agency", "due", "strand")}
    if st.session_state.pop(f"_new_action_added_{item['id']}", False):
        for key in na.values():
            st.session_state.pop(key, None)
    with st.form(f"new_action_{item['id']}"):
        st.markdown("**New action agreed on this item**")
        title = st.text_input("Action", key=na["title"])
        a1, a2 = st.columns(2)
        owner = a1.selectbox("Owner", list(people), format_func=people.get, index=None, placeholder="Choose who will do it",
                             key=na["owner"])
        agency = a2.selectbox("Owning agency", list(agencies), format_func=agencies.get, key=na["agency"],
                              index=list(agencies).index(ctx.actor.agency_id) if ctx.actor.agency_id in agencies else 0)
        b1, b2 = st.columns(2)
        due = b1.date_input("Due", value=date.today() + timedelta(days=42), format="DD/MM/YYYY", key=na["due"])
        strand = b2.selectbox("Strand", [x.value for x in Strand], key=na["strand"])
        if st.form_submit_button("Add action"):
            with user_errors(), ctx.store.uow() as uow:
                meetings.add_item_action(uow, actor=ctx.actor, item_id=item["id"],
                                         data=ActionInput(title=title, agency_id=agency, owner_id=owner, due_on=due,
                                                          strand=strand))
                st.session_state[f"_new_action_added_{item['id']}"] = True
                st.rerun()
if item["action_id"]:
    with st.container(border=True):
        action_editor(ctx, item["action_id"], key="live", people=people)
