"""Referral inbox: my agency's received intelligence; acknowledge, assign, decide, give the feedback owed."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

import pandas as pd
import streamlit as st

from core.domain import Strand
from core.services import accounts, referrals
from core.services.actions import ActionInput
from core.services.referrals import DECISIONS, OUTCOMES
from ui import paging
from ui.context import context, marking, user_errors
from ui.text import escape_md

ctx = context()
marking(ctx.partnership, sensitive=True)
st.title(f"Referral inbox · {escape_md(ctx.actor.agency_name)}")
st.caption(f"Feedback is owed on every referral: acknowledge within {ctx.partnership.ack_days:d} days, feedback within "
           f"{ctx.partnership.feedback_days:d}.")

show_all = st.toggle("Include referrals already answered")
with ctx.store.read() as s:
    rows = referrals.inbox(s, actor=ctx.actor, open_only=not show_all)
    colleagues = {p["id"]: p["name"] for p in accounts.directory(s,
                                                                 actor=ctx.actor) if p["agency_id"] == ctx.actor.agency_id}
if not rows:
    st.info("Nothing waiting: every referral to your agency has had its feedback.")
    st.stop()
frame = pd.DataFrame(rows)
c1, c2, c3 = st.columns(3)
c1.metric("Waiting for feedback", int((~frame["Feedback given"]).sum()))
c2.metric("Feedback overdue", int(frame["Overdue"].sum()))
c3.metric("Not yet acknowledged", int((frame["Status"] == "new").sum()))
# Deadline first, overdue flagged, the columns an analyst acts on pinned at the left (they fit 1366 px).
listed = frame.head(paging.shown("inbox", len(frame)))
picked = st.dataframe(
    listed, hide_index=True, width="stretch", on_select="rerun", selection_mode="single-row", key="inbox_table",
    column_order=["Feedback by", "Overdue", "Subject", "From", "Status", "Assigned to", "Grading", "Sent", "Acknowledge by",
                  "Feedback given"],
    column_config={"Feedback by": st.column_config.DateColumn(format="D MMM YYYY", pinned=True, width="small"),
                   "Overdue": st.column_config.CheckboxColumn(pinned=True, width="small"),
                   "Subject": st.column_config.TextColumn(pinned=True, width="medium"),
                   "Sent": st.column_config.DatetimeColumn(format="D MMM YYYY"),
                   "Acknowledge by": st.column_config.DateColumn(format="D MMM YYYY")},
)
paging.show_more("inbox", len(frame), "referrals")
row_pick = int(listed.iloc[picked.selection.rows[0]]["recipient_id"]) if picked.selection.rows else None
if row_pick is not None and st.session_state.get("_inbox_row") != row_pick:  # a row chosen opens it below, once
    st.session_state["inbox_open"] = row_pick
st.session_state["_inbox_row"] = row_pick
labels = {int(r["recipient_id"]): f"{r['Subject']} · from {r['From']} · feedback by {r['Feedback by']:%d %b %Y}"
          + (" · OVERDUE" if r["Overdue"] else "") for r in rows}
if (wanted := st.query_params.get("recipient")) and wanted.isdigit() and int(wanted) in labels \
        and st.session_state.get("_inbox_wanted") != wanted:
    st.session_state["inbox_open"] = int(wanted)  # ?recipient=ID (a row on Home) opens it, once
    st.session_state["_inbox_wanted"] = wanted
rec_id = st.selectbox("Open a referral", [None, *labels], format_func=lambda i: "Choose a referral to triage…" if i is None else labels[i],
                      key="inbox_open")
if rec_id is None:
    st.stop()
with ctx.store.read() as s:
    d = referrals.referral_for_recipient(s, actor=ctx.actor, recipient_id=rec_id)
r = d["recipient"]
with st.container(border=True):
    st.markdown(f"### {escape_md(d['subject'])}")
    st.caption(f"From {escape_md(d['from'])} · {escape_md(d['grading'])}"
               + (f" · seen {d['observed_at']:%d %b %Y %H:%M}" if d["observed_at"] else ""))
    if d["text_is_summary"]:
        st.info("The handling code lets your agency see only the sender's sanitised summary.")
    st.write(escape_md(d["text"], multiline=True))
    if d["place"]:
        st.markdown(f"**Where:** {escape_md(d['place'])}")
    if d["indicators"]:
        st.markdown("**Indicators:** " + escape_md("; ".join(d["indicators"])))
    for m in d["messages"]:
        st.markdown(f"**{escape_md(m['by'])}**, {m['at']:%d %b %Y %H:%M}: {escape_md(m['text'])}")
    with st.form("message", clear_on_submit=True):  # where "add a message to the referral" points
        text = st.text_area("Message to the sender and the other agencies it went to", height=80)
        if st.form_submit_button("Add message"):
            with user_errors(), ctx.store.uow() as uow:
                referrals.add_message(uow, actor=ctx.actor, referral_id=d["id"], text=text)
                st.rerun()

    st.markdown("**Business on the shared list:** " + (escape_md(d["business"]) if d["business"] else "not linked"))
    search = st.text_input("Find the business it is about (name or address)", value=d["subject"], key=f"inbox_find_{rec_id}")
    with ctx.store.read() as s:
        found = referrals.suggest_subjects(s, actor=ctx.actor, text=search) if len(search.strip()) >= 3 else []
    if found:
        options = {f["business_id"]: f["label"] for f in found}
        pick = st.selectbox("Link it to", list(options), format_func=options.get, index=None, placeholder="Choose the business…",
                            key=f"inbox_link_{rec_id}")
        if pick is not None and st.button("Link"):
            with user_errors(), ctx.store.uow() as uow:
                referrals.link_business(uow, actor=ctx.actor, recipient_id=rec_id, business_id=pick)
                st.rerun()
    elif search.strip():
        st.caption("No business on the shared list matches; try the street or the postcode.")

    a1, a2 = st.columns(2)
    if r["status"] == "new" and a1.button("Acknowledge"):
        with user_errors(), ctx.store.uow() as uow:
            referrals.acknowledge(uow, actor=ctx.actor, recipient_id=rec_id)
            st.rerun()
    who = a2.selectbox("Assign to", [None, *colleagues], format_func=lambda i: "—" if i is None else colleagues[i],
                       index=([None, *colleagues].index(r["assigned_to_id"]) if r["assigned_to_id"] in colleagues else 0))
    if who is not None and who != r["assigned_to_id"] and a2.button("Assign"):
        with user_errors(), ctx.store.uow() as uow:
            referrals.assign(uow, actor=ctx.actor, recipient_id=rec_id, user_id=who)
            st.rerun()

    with st.form("decide"):
        st.markdown("**Decision**" + (f" (recorded: {DECISIONS[r['decision']]})" if r["decision"] else ""))
        decision = st.selectbox("Decision", list(DECISIONS), format_func=DECISIONS.get)
        reason = st.text_input("Reason (required for no further action)")
        st.caption("For *Raise an action*: the action. For *Task a visit*: the date.")
        title = st.text_input("Action title", value=f"Follow up referral: {d['subject']}"[:200])
        owner = st.selectbox("Action owner", list(colleagues), format_func=colleagues.get, index=None,
                             placeholder="Choose who will do it")
        due = st.date_input("Action due / visit date", value=date.today() + timedelta(days=21), format="DD/MM/YYYY")
        strand = st.selectbox("Strand", [x.value for x in Strand])
        if st.form_submit_button("Record decision", type="primary"):
            with user_errors(), ctx.store.uow() as uow:
                made = referrals.decide(
                    uow, actor=ctx.actor, recipient_id=rec_id, decision=decision, reason=reason,
                    action=ActionInput(title=title, agency_id=ctx.actor.agency_id, owner_id=owner, due_on=due, strand=strand)
                    if decision == "raise an action" else None,
                    visit_on=datetime.combine(due, time(10, 0), timezone.utc) if decision == "task a visit" else None,
                )
                done = ", ".join(f"{k.replace('_id', '')} {v}" for k, v in made.items() if v)
                st.success("Decision recorded" + (f"; created {escape_md(done)}." if done else "."))

    with st.form("feedback"):
        st.markdown("**Feedback to the sender**" + (f" · due {r['feedback_by']:%d %b %Y}" if r["feedback_by"] else ""))
        useful = st.slider("How useful was it? (1 not useful – 5 very useful)", 1, 5, 3)
        outcome = st.selectbox("What happened", OUTCOMES)
        comments = st.text_area("What we did with it")
        improve = st.text_input("What would make future reports more useful")
        if st.form_submit_button("Send feedback"):
            with user_errors(), ctx.store.uow() as uow:
                referrals.give_feedback(uow, actor=ctx.actor, recipient_id=rec_id, usefulness=useful, outcome=outcome,
                                        comments=comments, improve=improve)
                st.success("Feedback sent: the officer will see it on their home page.")
    for f in d["feedback"]:
        st.caption(f"Feedback given {f['at']:%d %b %Y}: useful {escape_md(f['useful'])}/5 · {escape_md(f['outcome'])} · "
               f"{escape_md(f['comments'])}")
