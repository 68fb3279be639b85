"""Agencies and users: create, change role and agency, deactivate, reset password (administrators)."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from core.domain import ROLE_LABELS, Role
from core.services import accounts
from core.services.partnership import update_settings
from ui.context import context, marking, user_errors
from ui.password_form import HELP
from ui.text import escape_md

ctx = context()
marking(ctx.partnership)
st.title("Agencies and users")

if shown := st.session_state.pop("_ph_temp_password", None):
    username, password = shown
    st.warning(f"Temporary password for **{escape_md(username)}**: {escape_md(password, code=True)}. It is shown once: "
               "pass it on securely. It only lets them choose a new password when they sign in; every session they had "
               "has ended and any sign-in lockout is lifted.", icon=":material/key:")

with ctx.store.read() as unit:
    agencies = accounts.list_agencies(unit, actor=ctx.actor, include_inactive=True)
    users = accounts.list_users(unit, actor=ctx.actor)

active_agencies = {a.id: a.name for a in agencies if a.active}
roles = [r.value for r in Role]
users_tab, agencies_tab, settings_tab = st.tabs(["Users", "Agencies", "Partnership settings"])

with users_tab:
    table = pd.DataFrame(users).drop(columns=["id", "agency_id"])
    table["role"] = table["role"].map(lambda r: ROLE_LABELS[Role(r)])
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        column_config={
            "username": "Username", "name": "Name", "email": "Email", "role": "Role", "agency": "Agency",
            "active": "Active", "last_sign_in": st.column_config.DatetimeColumn("Last sign-in", format="D MMM YYYY, HH:mm"),
        },
    )
    with st.expander("Add a user"), st.form("create_user", clear_on_submit=False):
        c1, c2 = st.columns(2)
        username = c1.text_input("Username", help="Lower-case letters, digits, dots; e.g. sam.jones")
        name = c2.text_input("Full name")
        email = c1.text_input("Email")
        role = c2.selectbox("Role", roles, format_func=lambda r: ROLE_LABELS[Role(r)])
        agency_id = c1.selectbox("Agency", list(active_agencies), format_func=active_agencies.get)
        password = c2.text_input("Initial password", type="password", help=HELP)
        if st.form_submit_button("Create user"):
            with user_errors(), ctx.store.uow() as uow:
                accounts.create_user(uow, actor=ctx.actor,
                                     data=accounts.UserInput(username, name, role, agency_id, email), password=password)
                st.success(f"Created {escape_md(username.strip().lower())}.")
                st.rerun()

    by_id = {u["id"]: u for u in users}
    chosen = st.selectbox("Change a user", [None, *by_id], key="edit_user_id",
                          format_func=lambda i: "Choose a user…" if i is None else f"{by_id[i]['username']} · {by_id[i]['name']}")
    if chosen is not None:
        user = by_id[chosen]
        agency_options = {**active_agencies, user["agency_id"]: user["agency"]}
        with st.form(f"edit_user_{chosen}"):
            c1, c2 = st.columns(2)
            name = c1.text_input("Full name", value=user["name"])
            email = c2.text_input("Email", value=user["email"])
            role = c1.selectbox("Role", roles, index=roles.index(user["role"]), format_func=lambda r: ROLE_LABELS[Role(r)])
            ids = list(agency_options)
            agency_id = c2.selectbox("Agency", ids, index=ids.index(user["agency_id"]), format_func=agency_options.get)
            if st.form_submit_button("Save changes"):
                with user_errors(), ctx.store.uow() as uow:
                    accounts.update_user(uow, actor=ctx.actor, user_id=chosen,
                                         data=accounts.UserInput(user["username"], name, role, agency_id, email))
                    st.success("Saved.")
                    st.rerun()
        c1, c2 = st.columns(2)
        label = "Deactivate" if user["active"] else "Reactivate"
        if c1.button(f"{label} {escape_md(user['username'])}", key="toggle_user"):
            with user_errors(), ctx.store.uow() as uow:
                accounts.set_user_active(uow, actor=ctx.actor, user_id=chosen, active=not user["active"])
                st.rerun()
        if c2.button(f"Reset password of {escape_md(user['username'])}", key="reset_password"):
            with user_errors(), ctx.store.uow() as uow:
                st.session_state["_ph_temp_password"] = (user["username"],
                                                         accounts.reset_password(uow, actor=ctx.actor, user_id=chosen))
                st.rerun()

with agencies_tab:
    st.dataframe(
        pd.DataFrame([{"Code": a.code, "Name": a.name, "Kind": a.kind, "Contact point": a.contact_name,
                       "Email": a.contact_email, "Phone": a.contact_phone, "Active": a.active} for a in agencies]),
        hide_index=True,
        width="stretch",
    )
    with st.expander("Add an agency"), st.form("create_agency"):
        c1, c2 = st.columns(2)
        code = c1.text_input("Code", help="Short capitals, e.g. TS or HMRC")
        name = c2.text_input("Name")
        kind = c1.selectbox("Kind", ["council", "police", "fire", "national", "other"])
        contact = c2.text_input("Contact point (name or team)")
        email = c1.text_input("Contact email")
        phone = c2.text_input("Contact phone")
        if st.form_submit_button("Create agency"):
            with user_errors(), ctx.store.uow() as uow:
                accounts.create_agency(uow, actor=ctx.actor,
                                       data=accounts.AgencyInput(code, name, kind, contact, email, phone))
                st.success(f"Created {escape_md(name)}.")
                st.rerun()

    by_agency = {a.id: a for a in agencies}
    chosen_agency = st.selectbox("Change an agency", [None, *by_agency], key="edit_agency_id",
                                 format_func=lambda i: "Choose an agency…" if i is None else by_agency[i].name)
    if chosen_agency is not None:
        a = by_agency[chosen_agency]
        with st.form(f"edit_agency_{a.id}"):
            c1, c2 = st.columns(2)
            code = c1.text_input("Code", value=a.code)
            name = c2.text_input("Name", value=a.name)
            kinds = ["council", "police", "fire", "national", "other"]
            kind = c1.selectbox("Kind", kinds, index=kinds.index(a.kind) if a.kind in kinds else len(kinds) - 1)
            contact = c2.text_input("Contact point", value=a.contact_name)
            email = c1.text_input("Contact email", value=a.contact_email)
            phone = c2.text_input("Contact phone", value=a.contact_phone)
            if st.form_submit_button("Save agency"):
                with user_errors(), ctx.store.uow() as uow:
                    accounts.update_agency(uow, actor=ctx.actor, agency_id=a.id,
                                           data=accounts.AgencyInput(code, name, kind, contact, email, phone))
                    st.success("Saved.")
                    st.rerun()
        label = "Deactivate" if a.active else "Reactivate"
        if st.button(f"{label} {escape_md(a.name)}", key="toggle_agency",
                     help="Users of a deactivated agency cannot sign in." if a.active else None):
            with user_errors(), ctx.store.uow() as uow:
                accounts.set_agency_active(uow, actor=ctx.actor, agency_id=a.id, active=not a.active)
                st.rerun()

with settings_tab, st.form("settings"):
    p = ctx.partnership
    name = st.text_input("Partnership name", value=p.name)
    area = st.text_input("Area", value=p.area)
    scheme = st.radio("Intelligence grading scheme", ["5x5x5", "3x5x2"], index=["5x5x5", "3x5x2"].index(p.grading_scheme), horizontal=True)
    c1, c2, c3 = st.columns(3)
    ack = c1.number_input("Acknowledge referrals within (days)", 1, 365, p.ack_days)
    fb = c2.number_input("Feedback on referrals within (days)", 1, 365, p.feedback_days)
    stale = c3.number_input("A dataset is stale after (days)", 1, 365, p.stale_after_days)
    if st.form_submit_button("Save settings"):
        with user_errors(), ctx.store.uow() as uow:
            update_settings(uow, actor=ctx.actor, partnership_name=name, area=area, grading_scheme=scheme, ack_days=ack,
                            feedback_days=fb, stale_after_days=stale)
            st.success("Settings saved. New deadlines apply to referrals sent from now on.")
