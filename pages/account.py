"""My account: who I am, and changing my own password."""
from __future__ import annotations

import streamlit as st

from core.domain import ROLE_LABELS
from ui.context import context, marking
from ui.password_form import password_form
from ui.text import escape_md

ctx = context()
marking(ctx.partnership)
st.title("My account")
st.write(f"**{escape_md(ctx.actor.name)}** ({escape_md(ctx.actor.username, code=True)}) · {ROLE_LABELS[ctx.actor.role]} · "
         f"{escape_md(ctx.actor.agency_name)}")
st.caption("Your role and agency are set by your administrator.")

st.markdown("#### Change my password")
st.caption("Changing it signs you out everywhere else: other browsers, other devices, any copied sign-in.")
password_form(ctx, key="change_password")
