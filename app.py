"""Partnership Hub: the frame and router.

Signs the person in (streamlit-authenticator, users from the database), loads their role and
agency from the store on every run, and registers only the pages that role may use.
"""
from __future__ import annotations

import logging
from pathlib import Path
from urllib.parse import urlparse

import streamlit as st
import streamlit_authenticator as stauth
from streamlit_authenticator.utilities.exceptions import LoginError

from core.config import COOKIE_EXPIRY_DAYS, COOKIE_NAME, cookie_key
from core.domain import ROLE_LABELS, Role
from core.errors import ConfigError
from core.permissions import Actor, roles_for
from core.services import accounts
from core.services.partnership import settings
from ui.context import Context, marking, set_context, store
from ui.text import escape_md

st.set_page_config(page_title="Partnership Hub", page_icon="🤝", layout="wide")

# (file, title, icon, roles that see it); a page not registered for a role cannot be opened by it.
PAGES: list[tuple[str, str, str, set[Role], str]] = [
    ("pages/home.py", "Home", ":material/home:", set(Role), ""),
    ("pages/my_actions.py", "My actions", ":material/task_alt:", roles_for("action.view"), "Actions and meetings"),
    ("pages/actions.py", "Actions", ":material/checklist:", roles_for("action.view"), "Actions and meetings"),
    ("pages/meetings.py", "Meetings", ":material/groups:", roles_for("meeting.view"), "Actions and meetings"),
    ("pages/live.py", "Live meeting", ":material/co_present:", roles_for("meeting.view"), "Actions and meetings"),
    ("pages/risk_list.py", "Shared risk list", ":material/leaderboard:", roles_for("risklist.view"), "Risk list"),
    ("pages/datasets.py", "Datasets and imports", ":material/upload_file:", roles_for("dataset.manage"), "Risk list"),
    ("pages/match_review.py", "Match review", ":material/compare_arrows:", roles_for("match.review"), "Risk list"),
    ("pages/visits.py", "Visits", ":material/calendar_month:", roles_for("visit.view"), "Joint visits"),
    ("pages/visit_planner.py", "Plan a visit", ":material/edit_calendar:", roles_for("visit.plan"), "Joint visits"),
    ("pages/operations.py", "Weeks of action", ":material/date_range:", roles_for("visit.view"), "Joint visits"),
    ("pages/visit_outcomes.py", "Record outcomes", ":material/fact_check:", roles_for("visit.outcome"), "Joint visits"),
    ("pages/visit_results.py", "Visit results", ":material/insights:", roles_for("visit.view"), "Joint visits"),
    ("pages/catalogue.py", "Agencies and powers", ":material/gavel:", roles_for("visit.view"), "Joint visits"),
    ("pages/referral_new.py", "Submit intelligence", ":material/send:", roles_for("referral.submit"), "Intelligence"),
    ("pages/my_referrals.py", "My referrals", ":material/outbox:", roles_for("referral.view_own"), "Intelligence"),
    ("pages/inbox.py", "Referral inbox", ":material/inbox:", roles_for("referral.view_inbox"), "Intelligence"),
    ("pages/referral_dashboard.py", "Referral dashboard", ":material/monitoring:", roles_for("referral.view_counts"), "Intelligence"),
    ("pages/account.py", "My account", ":material/person:", set(Role), ""),
    ("pages/audit.py", "Audit log", ":material/policy:", roles_for("audit.view"), "Administration"),
    ("pages/admin.py", "Agencies and users", ":material/admin_panel_settings:", roles_for("user.manage"), "Administration"),
]


def _open_store():  # noqa: ANN202
    try:
        return store()
    except ConfigError as exc:
        st.error(f"Partnership Hub is not configured correctly: {escape_md(exc)}")
    except Exception as exc:  # the database is down or DATABASE_URL is wrong
        # The detail can name the database host and user: it goes to the server's log, not to a signed-out visitor.
        logging.getLogger("partnership_hub").exception("cannot open the database")
        st.error(
            "Partnership Hub cannot reach its database. Check DATABASE_URL (or unset it to use the "
            f"embedded SQLite file) and that the server is running; the server's log has the detail "
            f"({escape_md(type(exc).__name__)})."
        )
    st.stop()


def _sign_in_messages(demo: bool) -> None:
    if st.session_state.get("authentication_status") is False:
        st.error("Wrong username or password. Check both and try again; your administrator can reset a password.")
    elif st.session_state.get("_ph_refused"):
        st.error("That account is deactivated or no longer exists. Ask your administrator.")
    elif st.session_state.get("_ph_signed_out"):
        st.success("You have signed out.")
    if demo:
        st.info(
            "**Demo partnership.** Sign in as `admin`, `chair`, `coordinator`, `analyst` or `officer` "
            "with the password `partnership-demo`.",
            icon="ℹ️",
        )


def _remember_requested_page() -> None:
    """Keep the page and query a link asked for while signed out (a link opened in a new tab runs once
    signed out before the cookie signs it in), so signing in lands there instead of on Home."""
    if "_ph_wanted" in st.session_state or st.session_state.get("_ph_signed_out"):
        return  # after signing out, the next person starts at Home
    path = urlparse(st.context.url or "").path.rstrip("/").rsplit("/", 1)[-1]
    if path and path != "sign-in":
        st.session_state["_ph_wanted"] = (path, st.query_params.to_dict())


def _go_to_requested_page(groups: dict[str, list[st.Page]], current: st.Page) -> None:
    """After signing in: open the page a link asked for, if this role may see it (otherwise Home)."""
    wanted = st.session_state.pop("_ph_wanted", None)
    if not wanted:
        return
    path, params = wanted
    target = next((p for ps in groups.values() for p in ps if p.url_path == path), None)
    if target is not None and (current.url_path != path or st.query_params.to_dict() != params):
        st.switch_page(target, query_params=params)


def _signed_out_router() -> None:
    """Register only hidden sign-in pages, so no page file can be opened by URL while signed out.

    Each page's address is one of them (showing only the sign-in form): a link opened while signed out
    keeps its address instead of a "Page not found" dialog, and signing in opens it.
    """
    _remember_requested_page()
    sign_in = [st.Page(lambda: None, title="Sign in", url_path="sign-in", default=True)]
    sign_in += [st.Page(lambda: None, title="Sign in", url_path=Path(path).stem) for path, *_ in PAGES[1:]]
    st.navigation(sign_in, position="hidden").run()
    st.stop()


def _audit_sign_in(st_store, actor: Actor) -> None:  # noqa: ANN001
    # Once per browser session, not on every rerun.
    if st.session_state.get("_ph_audited_user") != actor.username:
        with st_store.uow() as uow:
            accounts.record_sign_in(uow, actor)
        st.session_state["_ph_audited_user"] = actor.username
        st.session_state.pop("_ph_signed_out", None)
        st.session_state.pop("_ph_refused", None)


def main() -> None:
    st_store = _open_store()
    with st_store.read() as session:
        partnership = settings(session)
        creds = accounts.credentials(session)
    try:
        key = cookie_key()
    except ConfigError as exc:
        st.error(f"Partnership Hub is not configured correctly: {escape_md(exc)}")
        st.stop()

    auth = stauth.Authenticate(creds, COOKIE_NAME, key, COOKIE_EXPIRY_DAYS, auto_hash=False, login_sleep_time=0)
    if not st.session_state.get("authentication_status"):
        marking(partnership)
        st.title(escape_md(partnership.name))
    try:
        auth.login(location="main", key="login", fields={"Form name": "Sign in", "Login": "Sign in"})
    except LoginError:
        # A cookie naming a deactivated or deleted user: refuse it and remove it.
        auth.cookie_controller.delete_cookie()
        st.session_state["authentication_status"] = None
        st.session_state["_ph_refused"] = True

    actor = None
    if st.session_state.get("authentication_status"):
        with st_store.read() as session:
            actor = accounts.load_actor(session, st.session_state.get("username"))
        if actor is None:  # deactivated (or role/agency removed) since signing in
            # No st.rerun() here: the cookie deletion must reach the browser in this run.
            auth.logout(location="unrendered")
            st.session_state["_ph_refused"] = True

    if actor is None:
        _sign_in_messages(partnership.demo)
        _signed_out_router()

    _audit_sign_in(st_store, actor)
    set_context(Context(st_store, actor, partnership))

    with st.sidebar:
        st.markdown(f"**{escape_md(actor.name)}**  \n{ROLE_LABELS[actor.role]} · {escape_md(actor.agency_name)}")

        def _on_logout(_info: dict) -> None:
            with st_store.uow() as uow:
                accounts.record_sign_out(uow, actor)
            st.session_state["_ph_signed_out"] = True
            st.session_state.pop("_ph_audited_user", None)

        auth.logout("Sign out", location="sidebar", key="sign_out", callback=_on_logout)
        st.caption(f"{escape_md(partnership.classification)} · {escape_md(partnership.name)}")

    if not st.session_state.get("authentication_status"):
        # Signed out in this run: the cookie deletion has been sent; no st.rerun() (it would
        # race the deletion). The component's own rerun brings the sign-in form back.
        st.success("You have signed out.")
        _signed_out_router()

    groups: dict[str, list[st.Page]] = {}
    for path, title, icon, roles, group in PAGES:
        if actor.role in roles:
            groups.setdefault(group, []).append(st.Page(path, title=title, icon=icon, default=path == "pages/home.py"))
    current = st.navigation(groups, expanded=True)  # every page listed (the default folds after ten)
    _go_to_requested_page(groups, current)
    current.run()


main()
