"""Record outcomes: after a visit, each attending agency records what it did and found."""
from __future__ import annotations

import streamlit as st

from core.services import outcomes
from core.visits.outcome import NOTICE_TYPES, OTHER_COUNTS
from ui.context import context, marking, user_errors
from ui.text import escape_md

ctx = context()
marking(ctx.partnership)
st.title("Record outcomes")
st.caption(f"Visits {escape_md(ctx.actor.agency_name or 'your agency')} attended that still need its outcome, newest first. "
           "Each agency records its own outcome once; a mistake is corrected, and both versions are kept in the audit log.")

if msg := st.session_state.pop("oc_done", None):
    st.success(escape_md(msg))

# A save names the outcome version its form showed. What the form on screen showed is remembered (FORM) and a
# submission is sent from here, before the lists are read again: if someone else saved in between (the visit left
# the list, or its version moved on), the service refuses it and says who saved what, instead of it being dropped.
FORM = "oc_form"
shown = st.session_state.get(FORM)
if shown and st.session_state.get(f"{shown['prefix']}_save"):
    with user_errors(), ctx.store.uow() as uow:
        p = shown["prefix"]
        data = {k: st.session_state.get(f"{p}_{k}") for k in shown["fields"]}
        data = {k: (int(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else v) for k, v in data.items()}
        if shown["version"]:
            outcomes.correct_outcome(uow, actor=ctx.actor, visit_id=shown["visit_id"], data=data,
                                     base_version=shown["version"])
        else:
            outcomes.record_outcome(uow, actor=ctx.actor, visit_id=shown["visit_id"], data=data)
        st.session_state.pop("oc_visit", None)
        st.session_state["oc_done"] = f"{'Correction saved' if shown['version'] else 'Outcome recorded'}: {shown['premises']}."
        st.rerun()
with ctx.store.read() as s, user_errors():
    awaiting = outcomes.awaiting_outcome(s, actor=ctx.actor)
    recorded = outcomes.recorded_outcomes(s, actor=ctx.actor)
if awaiting.empty:
    st.success("Nothing awaiting: every visit your agency attended has its outcome.")
else:
    st.dataframe(awaiting.drop(columns=["visit_id"]), hide_index=True, width="stretch",
                 column_config={"When": st.column_config.DatetimeColumn(format="D MMM YYYY, HH:mm")})

choices = {int(r.visit_id): f"{r.When:%d %b %Y %H:%M} · {r.Premises}" for r in awaiting.itertuples()}
fixes = {int(r.visit_id): f"{r.When:%d %b %Y %H:%M} · {r.Premises} (recorded: {r.Outcome})" for r in recorded.itertuples()}
mode = st.radio("What to do", ["Record a new outcome", "Correct a recorded outcome"], horizontal=True,
                disabled=not fixes, key="oc_mode")
options = choices if mode == "Record a new outcome" else fixes
visit_id = st.selectbox("Visit", list(options), format_func=options.get, index=None,
                        placeholder="Choose a visit…", key="oc_visit")
if visit_id is None:
    st.stop()

current = None
with ctx.store.read() as s, user_errors():
    current = outcomes.outcome_of(s, actor=ctx.actor, visit_id=visit_id)
if current is None:
    st.stop()
values = current["values"]
prefix = f"oc_{visit_id}_v{current['version']}"  # a new version draws a new form, with the values now stored
fields = [*NOTICE_TYPES, *OTHER_COUNTS, "advice", "follow_up", "follow_up_note", "notes"]
st.session_state[FORM] = {"prefix": prefix, "visit_id": visit_id, "version": current["version"], "fields": fields,
                          "premises": current["premises"]}
with st.form(prefix):
    st.markdown(f"**{escape_md(current['premises'])}**, {current['starts_at']:%A %d %B %Y, %H:%M}")
    st.caption("Counts: 0 if none. Nothing found is recorded by leaving every count at 0.")
    cols = st.columns(len(NOTICE_TYPES))
    for col, key in zip(cols, NOTICE_TYPES, strict=True):
        col.number_input(NOTICE_TYPES[key], min_value=0, max_value=999, step=1, value=values[key], key=f"{prefix}_{key}")
    cols = st.columns(len(OTHER_COUNTS))
    for col, key in zip(cols, OTHER_COUNTS, strict=True):
        col.number_input(OTHER_COUNTS[key], min_value=0, max_value=999, step=1, value=values[key], key=f"{prefix}_{key}")
    st.checkbox("Advice given", value=values["advice"], key=f"{prefix}_advice")
    st.checkbox("Follow-up needed", value=values["follow_up"], key=f"{prefix}_follow_up")
    st.text_input("Follow-up: what and by when", value=values["follow_up_note"], key=f"{prefix}_follow_up_note")
    st.text_area("Notes (what was found; no intelligence beyond what partners may see)", value=values["notes"],
                 key=f"{prefix}_notes")
    # Sent at the top of the page on the next run (see FORM), with the version this form shows.
    st.form_submit_button("Save correction" if current["correction"] else "Record outcome", type="primary",
                          key=f"{prefix}_save")
