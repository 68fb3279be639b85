"""My account: who I am, and changing my own password."""
from __future__ import annotations

import streamlit as st

from core.domain import ROLE_LABELS
from core.services import accounts
from ui.context import context, marking, user_errors
from ui.text import escape_md

ctx = context()
marking(ctx.partnership)
st.title("My account")
st.write(f"**{escape_md(ctx.actor.name)}** ({escape_md(ctx.actor.username, code=True)}) · {ROLE_LABELS[ctx.actor.role]} · "
         f"{escape_md(ctx.actor.agency_name)}")
st.caption("Your role and agency are set by your administrator.")

with st.form("change_password", clear_on_submit=True):
    st.markdown("#### Change my password")
    current = st.text_input("Current password", type="password")
    new = st.text_input("New password", type="password", help="At least 10 characters; not your username.")
    repeat = st.text_input("New password again", type="password")
    if st.form_submit_button("Change password"):
        if new != repeat:
            st.error("New password: the two entries differ; type the same password twice.")
        else:
            with user_errors(), ctx.store.uow() as uow:
                accounts.change_own_password(uow, ctx.actor, current=current, new=new)
                st.success("Password changed. Use it next time you sign in.")
