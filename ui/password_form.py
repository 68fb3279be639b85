"""The change-password form, shared by "My account" and the "choose a new password" screen after a reset.

The change runs in the submit button's callback (before the next run of app.py), so that run already
knows the new session version: it keeps this session signed in and gives the browser a new cookie,
while every other session and every older cookie of the person stops working.
"""
from __future__ import annotations

import streamlit as st

from core.errors import HubError
from core.passwords import MIN_LENGTH
from core.services import accounts, signin
from ui.context import Context
from ui.text import escape_md

SESSION_VERSION = "_ph_sv"  # the session version this session was signed in with (app.py checks it every run)
ISSUE_COOKIE = "_ph_issue_cookie"  # app.py writes a new sign-in cookie on its next run
HELP = (f"At least {MIN_LENGTH} characters and hard to guess: three or four random words work well. "
        "Not your name or username, and not a common password.")


def password_form(ctx: Context, *, key: str, current_label: str = "Current password",
                  submit_label: str = "Change password") -> None:
    with st.form(key):
        st.text_input(escape_md(current_label), type="password", key=f"{key}_current", autocomplete="current-password")
        st.text_input("New password", type="password", key=f"{key}_new", help=HELP, autocomplete="new-password")
        st.text_input("New password again", type="password", key=f"{key}_repeat", autocomplete="new-password")
        st.form_submit_button(escape_md(submit_label), on_click=_change, args=(ctx, key), type="primary")
    if error := st.session_state.pop(f"{key}_error", None):
        st.error(escape_md(error), icon=":material/warning:")
    if done := st.session_state.pop(f"{key}_done", None):
        st.success(escape_md(done))


def _change(ctx: Context, key: str) -> None:
    current, new, repeat = (st.session_state.get(f"{key}_{f}", "") for f in ("current", "new", "repeat"))
    for f in ("current", "new", "repeat"):
        st.session_state[f"{key}_{f}"] = ""  # passwords are not kept in the session
    if new != repeat:
        st.session_state[f"{key}_error"] = "New password: the two entries differ; type the same password twice."
        return
    # Callbacks run before app.py checks the session: a session ended elsewhere changes nothing (app.py
    # then signs it out in this run).
    with ctx.store.read() as unit:
        who = signin.signed_in(unit.session, ctx.actor.username)
    if who is None or who.session_version != st.session_state.get(SESSION_VERSION):
        return
    try:
        with ctx.store.uow() as uow:
            version = accounts.change_own_password(uow, actor=ctx.actor, current=current, new=new)
    except HubError as exc:
        st.session_state[f"{key}_error"] = str(exc)
        return
    st.session_state[SESSION_VERSION] = version
    st.session_state[ISSUE_COOKIE] = True
    st.session_state[f"{key}_done"] = ("Password changed. Use it next time you sign in. "
                                      "Any other browser or device signed in as you has been signed out.")
