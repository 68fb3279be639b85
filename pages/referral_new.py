"""Submit intelligence: what I saw, graded, with golden indicators, to the agencies it concerns."""
from __future__ import annotations

from datetime import date, datetime, timezone

import streamlit as st

from core import grading
from core.services import accounts, referrals
from core.services.referrals import SUBJECT_TYPES, ReferralInput
from ui.context import context, marking, user_errors
from ui.text import escape_md

ctx = context()
marking(ctx.partnership, sensitive=True)
st.title("Submit intelligence")
st.caption("You are the eyes and ears of the other agencies. Grade what you saw; the agencies you send it to owe you "
           f"an acknowledgement within {ctx.partnership.ack_days:d} days and feedback within {ctx.partnership.feedback_days:d}.")

if st.session_state.pop("_ref_clear", False):
    # After a send: every field set to empty explicitly (a deleted key would leave the browser showing the old text).
    for key in ("ref_draft_id", "_ref_suggested", "_ref_confirm"):
        st.session_state.pop(key, None)
    st.session_state.update({
        "ref_subject": "", "ref_type": SUBJECT_TYPES[0], "ref_place": "", "ref_body": "", "ref_summary": "", "ref_indicators": [],
        "ref_to": [], "ref_src": None, "ref_intel": None, "ref_handling": None,
        "ref_seen_time": datetime.now(timezone.utc).time().replace(second=0, microsecond=0),
    })
if sent := st.session_state.pop("_ref_sent", None):
    st.success(escape_md(sent))  # what was sent; the form below is empty
if draft_id := st.session_state.pop("ref_resume", None):
    # "Continue" from My referrals: load the draft into this form once.
    with ctx.store.read() as s, user_errors():
        d = referrals.referral_for_sender(s, actor=ctx.actor, referral_id=draft_id)
        st.session_state.update({
            "ref_draft_id": draft_id, "ref_subject": d["subject"], "ref_type": d["subject_type"], "ref_place": d["place"],
            "ref_body": d["body"], "ref_summary": d["summary"], "ref_indicators": d["indicator_ids"], "ref_to": d["recipient_ids"],
            "ref_src": d["source_grade"], "ref_intel": d["intel_grade"], "ref_handling": d["handling_code"],
        })
if st.session_state.get("ref_draft_id"):
    st.info(f"Editing draft {escape_md(st.session_state['ref_draft_id'])}.")

with ctx.store.read() as s:
    inds = referrals.indicators(s, actor=ctx.actor)
    agencies = {a.id: a.name for a in accounts.list_agencies(s, actor=ctx.actor) if a.id != ctx.actor.agency_id}

subject = st.text_input("Subject: business, person, vehicle or place", key="ref_subject",
                        help="As you type, matching businesses from the shared risk list are offered.")
business_id = None
if len(subject.strip()) >= 3:
    with ctx.store.read() as s:
        matches = referrals.suggest_subjects(s, actor=ctx.actor, text=subject)
    if matches:
        options = {m["business_id"]: m["label"] for m in matches}
        business_id = st.selectbox("Is it one of these businesses on the shared list?", [None, *options],
                                   format_func=lambda i: "None of these" if i is None else options[i])
subject_type = st.radio("Subject type", SUBJECT_TYPES, horizontal=True, key="ref_type")
c1, c2, c3 = st.columns([1, 1, 2])
seen_day = c1.date_input("Date seen", value=date.today(), max_value=date.today(), format="DD/MM/YYYY")
# Default to the time the form was opened (once, so reruns do not move it).
st.session_state.setdefault("ref_seen_time", datetime.now(timezone.utc).time().replace(second=0, microsecond=0))
seen_time = c2.time_input("Time seen (UTC)", key="ref_seen_time")
place = c3.text_input("Where", key="ref_place")
body = st.text_area("What you saw", height=150, key="ref_body")

by_agency: dict[str, list[dict]] = {}
for i in inds:
    by_agency.setdefault(i["agency"], []).append(i)
# select_all=False: Enter in the search box ticks the first match only, never every fuzzy match ("workers" ticked 9).
ticked = st.multiselect("Golden indicators you saw", [i["id"] for i in inds], key="ref_indicators", select_all=False,
                        format_func=lambda i: next(f"{x['label']} ({x['agency']})" for x in inds if x["id"] == i))
with ctx.store.read() as s:
    suggested = referrals.suggest_recipients(s, actor=ctx.actor, indicator_ids=ticked)
if "ref_to" not in st.session_state or st.session_state.get("_ref_suggested") != suggested:
    # Follow the indicators until the officer changes the list themselves.
    st.session_state["ref_to"] = sorted(set(st.session_state.get("ref_to", [])) | {a for a in suggested if a in agencies})
    st.session_state["_ref_suggested"] = suggested
recipients = st.multiselect("Send to", list(agencies), key="ref_to", format_func=agencies.get, select_all=False,
                            help="Suggested from the indicators you ticked; change as you see fit. You confirm the list before it goes.")

scheme_name = ctx.partnership.grading_scheme
sc = grading.scheme(scheme_name)
st.markdown(f"**Grading ({escape_md(sc.name)})**")
g1, g2, g3 = st.columns(3)
for key, grades in (("ref_src", sc.source), ("ref_intel", sc.intelligence), ("ref_handling", sc.handling)):
    if st.session_state.get(key) not in grades:
        st.session_state[key] = None  # a draft graded in the other scheme starts ungraded
src = g1.radio("Source evaluation", list(sc.source), format_func=lambda k: escape_md(f"{k}: {sc.source[k]}"), key="ref_src")
intel = g2.radio("Intelligence evaluation", list(sc.intelligence), format_func=lambda k: escape_md(f"{k}: {sc.intelligence[k]}"),
                 key="ref_intel")
handling = g3.radio("Handling code", list(sc.handling), format_func=lambda k: escape_md(f"{k}: {sc.handling[k]}"),
                    key="ref_handling")
summary = ""
if handling and grading.visibility(scheme_name, handling) == "summary":
    summary = st.text_area("Sanitised summary for partners", key="ref_summary", help="Partners see only this: leave out sources and anything that must not pass.")
elif handling and grading.visibility(scheme_name, handling) == "originator":
    st.warning("This handling code keeps the report inside your agency: it cannot be sent to partners.")

data = ReferralInput(
    subject=subject, subject_type=subject_type, business_id=business_id,
    observed_at=datetime.combine(seen_day, seen_time, timezone.utc), place=place, body=body, summary=summary,
    scheme=scheme_name, source_grade=src, intel_grade=intel, handling_code=handling, indicator_ids=ticked, recipient_ids=recipients,
)


def _forget_confirmation() -> None:
    st.session_state.pop("_ref_confirm", None)


@st.dialog("Send this referral?", on_dismiss=_forget_confirmation)
def confirm_send(referral_id: int, going: dict[int, str]) -> None:
    """Where it goes, said before it goes: nothing is sent until the officer has read the list."""
    st.markdown(f"**This goes to: {escape_md(', '.join(going.values()))}**")
    st.caption(f"{escape_md(subject)} · {escape_md(grading.label(scheme_name, src, intel, handling))}. Each of them owes you an "
               f"acknowledgement within {ctx.partnership.ack_days:d} days and feedback within {ctx.partnership.feedback_days:d}.")
    c1, c2 = st.columns(2)
    if c1.button("Send now", type="primary"):
        with user_errors(), ctx.store.uow() as uow:
            referrals.send(uow, actor=ctx.actor, referral_id=referral_id, to=list(going))
            st.session_state["_ref_clear"] = True  # the next run draws an empty form
            st.session_state["_ref_sent"] = (f"Referral {referral_id:d} sent to {', '.join(going.values())}. "
                                             "You will see their feedback under My referrals.")
            st.rerun()
    if c2.button("Back to the form"):
        _forget_confirmation()
        st.rerun()


b1, b2 = st.columns(2)
if b1.button("Save draft"):
    with user_errors(), ctx.store.uow() as uow:
        rid = referrals.save_draft(uow, actor=ctx.actor, data=data, referral_id=st.session_state.get("ref_draft_id"))
        st.session_state["ref_draft_id"] = rid
        st.success(f"Draft {rid:d} saved. Only you can see it.")
if b2.button("Send", type="primary"):
    st.session_state.pop("_ref_confirm", None)
    with user_errors():
        with ctx.store.uow() as uow:
            rid = referrals.save_draft(uow, actor=ctx.actor, data=data, referral_id=st.session_state.get("ref_draft_id"))
        st.session_state["ref_draft_id"] = rid
        with ctx.store.read() as s:
            st.session_state["_ref_confirm"] = (rid, referrals.to_confirm(s, actor=ctx.actor, referral_id=rid))
if confirming := st.session_state.get("_ref_confirm"):
    confirm_send(*confirming)
