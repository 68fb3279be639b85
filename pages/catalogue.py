"""Agencies and powers: each agency's remit, powers, golden indicators and contact; its leads edit it."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from core import vocabulary as vocab
from core.services import catalogue
from ui.context import context, marking, user_errors
from ui.text import escape_md

ctx = context()
marking(ctx.partnership)
st.title("Agencies and powers")
st.caption("Who deals with what, how each agency gets through the door, and who to call. The typical case, "
           "not legal advice: each agency's leads keep their own entry right; the visit planner uses it.")

with ctx.store.read() as s:
    rows = catalogue.agencies(s, actor=ctx.actor)
    issues = catalogue.issue_types(s, actor=ctx.actor)
if not rows:
    st.info("No agencies yet. An administrator adds them under Agencies and users.")
    st.stop()

overview = pd.DataFrame([{
    "Agency": a["name"], "Remit": ", ".join(a["remit"]),
    "Entry": "; ".join(sorted({vocab.ENTRY_MODES.get(p["entry"], p["entry"]) for p in a["powers"] if p["power"] == "entry"})),
    "Powers": ", ".join(sorted({vocab.POWERS.get(p["power"], p["power"]) for p in a["powers"] if p["power"] != "entry"})),
    "Contact": " · ".join(x for x in (a["contact_name"], a["contact_email"], a["contact_phone"]) if x),
} for a in rows])
st.dataframe(overview, hide_index=True, width="stretch")

by_id = {a["id"]: a for a in rows}
own = next((a["id"] for a in rows if a["id"] == ctx.actor.agency_id), rows[0]["id"])
chosen = st.selectbox("Agency", list(by_id), index=list(by_id).index(own), format_func=lambda i: by_id[i]["name"])
a = by_id[chosen]
st.subheader(escape_md(a["name"]))
st.markdown(f"**Contact:** {escape_md(a['contact_name'] or '—')} · {escape_md(a['contact_email'] or '—')} · "
            f"{escape_md(a['contact_phone'] or '—')}")
st.markdown("**Remit:** " + escape_md(", ".join(a["remit"]) or "none recorded"))

power_cols = ["power", "entry", "notice_hours", "premises_scope", "statute", "notes"]
powers = pd.DataFrame(a["powers"], columns=["id", *power_cols]).drop(columns=["id"])
indicators = pd.DataFrame(a["indicators"], columns=["code", "label", "issue", "active"])

if not a["can_edit"]:
    st.markdown("**Powers**")
    st.dataframe(powers.assign(power=powers["power"].map(lambda p: vocab.POWERS.get(p, p)),
                               entry=powers["entry"].map(lambda e: vocab.ENTRY_MODES.get(e, "") if e else "")),
                 hide_index=True, width="stretch")
    st.markdown("**Golden indicators** (signs other officers watch for on this agency's behalf)")
    st.dataframe(indicators[indicators["active"]].drop(columns=["active"]), hide_index=True, width="stretch")
    st.stop()

st.caption("You may edit this agency's entry. Every change is recorded in the audit log.")
powers_tab, remit_tab, ind_tab, contact_tab = st.tabs(["Powers", "Remit", "Golden indicators", "Contact point"])
with powers_tab, st.form(f"powers_{chosen}"):
    st.caption("Entry: how the agency gets in (only for an 'entry' power). Notice in hours when it enters with notice. "
               "A premises scope naming a suspicion or a refusal is treated as conditional by the planner.")
    edited = st.data_editor(
        powers, num_rows="dynamic", hide_index=True, width="stretch", key=f"powers_editor_{chosen}",
        column_config={
            "power": st.column_config.SelectboxColumn("Power", options=list(vocab.POWERS), required=True),
            "entry": st.column_config.SelectboxColumn("Entry", options=list(vocab.ENTRY_MODES)),
            "notice_hours": st.column_config.NumberColumn("Notice (hours)", min_value=1, max_value=1440, step=1),
            "premises_scope": st.column_config.TextColumn("Premises scope", width="large"),
            "statute": st.column_config.TextColumn("Statute", width="medium"),
            "notes": st.column_config.TextColumn("Notes"),
        })
    if st.form_submit_button("Save powers"):
        with user_errors(), ctx.store.uow() as uow:
            catalogue.set_powers(uow, actor=ctx.actor, agency_id=chosen, rows=edited.to_dict("records"))
            st.success("Powers saved.")
with remit_tab, st.form(f"remit_{chosen}"):
    remit = st.multiselect("Issue types this agency deals with", sorted(set(issues) | set(a["remit"])), default=a["remit"],
                           accept_new_options=True, select_all=False)
    if st.form_submit_button("Save remit"):
        with user_errors(), ctx.store.uow() as uow:
            catalogue.set_remit(uow, actor=ctx.actor, agency_id=chosen, remit=remit)
            st.success("Remit saved.")
with ind_tab, st.form(f"indicators_{chosen}"):
    st.caption("Untick 'active' (or delete the row) to retire an indicator; one already used on a referral is kept for the record.")
    ind_edit = st.data_editor(
        indicators, num_rows="dynamic", hide_index=True, width="stretch", key=f"ind_editor_{chosen}",
        column_config={"code": st.column_config.TextColumn("Code", disabled=False),
                       "label": st.column_config.TextColumn("What officers see", width="large", required=True),
                       "issue": st.column_config.SelectboxColumn("Issue", options=sorted(set(issues) | set(a["remit"]))),
                       "active": st.column_config.CheckboxColumn("Active", default=True)})
    if st.form_submit_button("Save indicators"):
        with user_errors(), ctx.store.uow() as uow:
            catalogue.set_indicators(uow, actor=ctx.actor, agency_id=chosen, rows=ind_edit.to_dict("records"))
            st.success("Indicators saved.")
with contact_tab, st.form(f"contact_{chosen}"):
    name = st.text_input("Contact name or team", a["contact_name"])
    email = st.text_input("Email", a["contact_email"])
    phone = st.text_input("Phone", a["contact_phone"])
    if st.form_submit_button("Save contact point"):
        with user_errors(), ctx.store.uow() as uow:
            catalogue.set_contact(uow, actor=ctx.actor, agency_id=chosen, contact_name=name, contact_email=email,
                                  contact_phone=phone)
            st.success("Contact point saved.")
