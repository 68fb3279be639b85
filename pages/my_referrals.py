"""My referrals: everything I sent, where it stands, and the feedback, new feedback first."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from core.services import attention, referrals
from ui.context import context, marking, user_errors
from ui.text import escape_md

ctx = context()
marking(ctx.partnership, sensitive=True)
st.title("My referrals")
st.caption("Everything you sent, where it stands with each agency, and the feedback they owe you.")

with ctx.store.read() as s:
    rows = referrals.my_referrals(s, actor=ctx.actor)
if not rows:
    st.info("You have not sent any referrals yet. Use *Submit intelligence* when you see something another agency should know.")
    st.stop()
frame = pd.DataFrame(rows).sort_values(["New", "Sent"], ascending=[False, False], na_position="last")
new = int(frame["New"].sum())
if new:
    st.success(f"{new} new pieces of feedback since you last looked.")
    if st.button("Mark feedback as read"):
        with user_errors(), ctx.store.uow() as uow:
            attention.mark_feedback_seen(uow, actor=ctx.actor)
            st.rerun()
st.caption("Choose a row to open the referral: what you sent, where each agency stands, their feedback and the messages.")
picked = st.dataframe(
    frame.drop(columns=["referral_id"]), hide_index=True, width="stretch", on_select="rerun", selection_mode="single-row",
    key="mine_table",
    column_config={"Subject": st.column_config.TextColumn(width="medium", pinned=True),
                   "Sent": st.column_config.DatetimeColumn(format="D MMM YYYY, HH:mm"),
                   "Feedback due": st.column_config.DateColumn("Next feedback due", format="D MMM YYYY"),
                   "New": st.column_config.CheckboxColumn("New feedback")},
)
if picked.selection.rows:
    st.query_params["referral"] = str(int(frame.iloc[picked.selection.rows[0]]["referral_id"]))
try:  # ?referral=ID opens it: from Home, from a bookmark, or from the row chosen above
    rid = int(st.query_params.get("referral", ""))
except ValueError:
    rid = None
if rid is not None:
    with ctx.store.read() as s, user_errors():
        detail = referrals.referral_for_sender(s, actor=ctx.actor, referral_id=rid)
    with st.container(border=True):
        st.markdown(f"### {escape_md(detail['subject'])}")
        st.caption(f"{escape_md(detail['grading'])} · {escape_md(detail['status'])}"
                   + (f" · sent {detail['sent_at']:%d %b %Y, %H:%M}" if detail["sent_at"] else ""))
        st.write(escape_md(detail["body"] or "", multiline=True))
        if detail["summary"]:
            st.markdown(f"**Summary partners see:** {escape_md(detail['summary'])}")
        if detail["agencies"]:
            st.markdown("**Where it stands with each agency**")
            answers = pd.DataFrame(detail["agencies"]).rename(columns={
                "agency": "Agency", "status": "Status", "feedback_by": "Feedback due", "decision": "Decision", "reason": "Reason",
                "feedback_at": "Feedback given", "useful": "Useful (1-5)", "outcome": "Outcome", "comments": "What they did",
                "improve": "What would help next time", "new": "New"})
            st.dataframe(answers, hide_index=True, width="stretch",
                         column_config={"Agency": st.column_config.TextColumn(pinned=True),
                                        "Feedback due": st.column_config.DateColumn(format="D MMM YYYY"),
                                        "Feedback given": st.column_config.DatetimeColumn(format="D MMM YYYY"),
                                        "New": st.column_config.CheckboxColumn("New")})
        for m in detail["messages"]:
            st.markdown(f"**{escape_md(m['by'])}**, {m['at']:%d %b %Y %H:%M}: {escape_md(m['text'])}")
        if detail["status"] == "draft" and st.button("Continue this draft", type="primary"):
            st.session_state["ref_resume"] = rid
            st.switch_page("pages/referral_new.py")
        if detail["status"] == "sent":
            with st.form("reply", clear_on_submit=True):
                text = st.text_area("Reply or add information")
                if st.form_submit_button("Add"):
                    with user_errors(), ctx.store.uow() as uow:
                        referrals.add_message(uow, actor=ctx.actor, referral_id=rid, text=text)
                        st.rerun()
