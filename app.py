"""Partnership Hub: the frame and router.

Signs the person in, loads their role and agency from the store on every run, and registers only the
pages that role may use.

Sign-in (see README, "Sign-in"): the form here checks the password through `core.services.signin`
(waits and lockout after failures, every failure audited). streamlit-authenticator (one `Authenticate`
per run) carries the sign-in cookie: its JWT of `username` and `exp_date`, to which we add `sv`, the
user's session version. Every run checks the session's version (or the cookie's, for a new browser
session) against the store, so a sign-out, a password change or a reset ends every other session and
every copy of an older cookie.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urlparse

import streamlit as st
import streamlit_authenticator as stauth

from core import signin as rules
from core.config import COOKIE_EXPIRY_DAYS, COOKIE_NAME, cookie_key
from core.domain import ROLE_LABELS, Role
from core.errors import ConfigError
from core.permissions import Actor, roles_for
from core.services import accounts, signin
from core.services.partnership import settings
from core.store import Store
from ui.context import Context, marking, set_context, store
from ui.text import escape_md
from ui.password_form import ISSUE_COOKIE, SESSION_VERSION, password_form

st.set_page_config(page_title="Partnership Hub", page_icon=":material/handshake:", layout="wide")

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


SIGN_IN_ERROR = "_ph_sign_in_error"
SIGNED_OUT = "You have signed out, here and in every other browser or device where you were signed in."
FORGET_COOKIE = "_ph_forget_cookie"  # the browser still holds a sign-in cookie that no longer works
AUTH_KEYS = ("authentication_status", "username", "name", "roles", "email")


def _sign_in_messages(demo: bool) -> None:
    if message := st.session_state.get(SIGN_IN_ERROR):
        st.error(escape_md(message))
    elif st.session_state.get("_ph_refused"):
        st.error("That account is deactivated or no longer exists. Ask your administrator.")
    elif st.session_state.get("_ph_ended"):
        st.warning("You have been signed out: you signed out in another browser, or your password was changed "
                   "or reset. Sign in again.")
    elif st.session_state.get("_ph_signed_out"):
        st.success(SIGNED_OUT)
    if demo:
        st.info(
            "**Demo partnership.** Sign in as `admin`, `chair`, `coordinator`, `analyst` or `officer` "
            "with the password `partnership-demo`.",
            icon=":material/info:",
        )


def _start_session(who: signin.SignedIn) -> None:
    """What streamlit-authenticator records for a signed-in session, plus the session version."""
    st.session_state.update(authentication_status=True, username=who.actor.username, name=who.actor.name,
                            roles=[who.actor.role.value], email=None)
    st.session_state[SESSION_VERSION] = who.session_version
    for flag in (SIGN_IN_ERROR, FORGET_COOKIE, "_ph_refused", "_ph_ended", "_ph_signed_out"):
        st.session_state.pop(flag, None)


def _end_session_state() -> None:
    """Forget the signed-in person in this session (the browser's cookie is left alone: it may be newer)."""
    for key in AUTH_KEYS:
        st.session_state[key] = None
    st.session_state.pop(SESSION_VERSION, None)
    st.session_state.pop("_ph_audited_user", None)
    # streamlit-authenticator's flag: this session never signs in again from the cookie it was opened
    # with (st.context.cookies is fixed when the browser connects; a reload reads the current one).
    st.session_state["logout"] = True


def _submit_sign_in(st_store: Store) -> None:
    """The sign-in form's callback: runs before app.py, so that run already knows the outcome."""
    username = st.session_state.get("_ph_login_username", "")
    password = st.session_state.get("_ph_login_password", "")
    st.session_state["_ph_login_password"] = ""  # the password is not kept in the session
    attempt = signin.sign_in(st_store, username, password)
    if attempt.signed_in is None:
        st.session_state[SIGN_IN_ERROR] = attempt.message
        return
    _start_session(attempt.signed_in)
    st.session_state["_ph_login_username"] = ""
    st.session_state[ISSUE_COOKIE] = True


def _sign_in_form(st_store: Store) -> None:
    with st.form("login"):
        st.subheader("Sign in")
        st.text_input("Username", key="_ph_login_username", autocomplete="username")
        st.text_input("Password", type="password", key="_ph_login_password", autocomplete="current-password")
        st.form_submit_button("Sign in", on_click=_submit_sign_in, args=(st_store,))


def _issue_cookie(auth: stauth.Authenticate, username: str, version: int, key: str) -> None:
    """Write the sign-in cookie through streamlit-authenticator's cookie component (as its own set_cookie
    does, with the session version added to the token)."""
    token = rules.session_token(username, version, key, now=datetime.now(timezone.utc), days=COOKIE_EXPIRY_DAYS)
    auth.cookie_controller.cookie_model.cookie_manager.set(
        COOKIE_NAME, token, expires_at=datetime.now() + timedelta(days=COOKIE_EXPIRY_DAYS))


def _forget_cookie(auth: stauth.Authenticate) -> None:
    """Delete the browser's sign-in cookie. Rendered on every run until the browser reports it done: on a
    fresh page another component's first report reruns the app at once, and a deleting component that is
    not rendered again in that rerun is removed before it has run."""
    manager = auth.cookie_controller.cookie_model.cookie_manager.cookie_manager  # the cookie component itself
    if manager(method="delete", cookie=COOKIE_NAME, key="forget_cookie", default=False):
        st.session_state.pop(FORGET_COOKIE, None)


def _current_session(st_store: Store, auth: stauth.Authenticate) -> signin.SignedIn | None:
    """The signed-in person of this run, checked against the store; None when signed out.

    A session already signed in must still be at the user's session version; a new browser session is
    signed in by its cookie only if the cookie carries the current version. Either way the user must be
    active (as must their agency).
    """
    if st.session_state.get("authentication_status") and st.session_state.get("username"):
        with st_store.read() as unit:
            who = signin.signed_in(unit.session, st.session_state["username"])
        if who is None:  # deactivated (or role/agency removed) since signing in
            _end_session_state()
            st.session_state[FORGET_COOKIE] = True
            st.session_state["_ph_refused"] = True
            return None
        if who.session_version != st.session_state.get(SESSION_VERSION):
            _end_session_state()  # signed out elsewhere, or the password was changed or reset
            st.session_state["_ph_ended"] = True
            return None
        return who
    claims = auth.cookie_controller.get_cookie()  # signature and expiry checked; None once signed out here
    if not claims:
        return None
    with st_store.read() as unit:
        who = signin.signed_in(unit.session, claims.get("username"))
    if who is not None and rules.token_is_current(claims, who.session_version):
        _start_session(who)
        return who
    # A cookie for a deactivated user, or from before a sign-out, password change or reset: remove it.
    _end_session_state()
    st.session_state[FORGET_COOKIE] = True
    st.session_state["_ph_refused" if who is None else "_ph_ended"] = True
    return None


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
            accounts.record_sign_in(uow, actor=actor)
        st.session_state["_ph_audited_user"] = actor.username
        st.session_state.pop("_ph_signed_out", None)
        st.session_state.pop("_ph_refused", None)


def _choose_password_router(ctx: Context) -> None:
    """After signing in with a temporary password: only the "choose a new password" screen, at every address
    (a link keeps its address and opens its page once the new password is set)."""

    def screen() -> None:
        marking(ctx.partnership)
        st.title("Choose a new password")
        st.write("Your administrator reset your password. Choose your own before you continue; "
                 "the temporary one stops working when you do.")
        password_form(ctx, key="choose_password", current_label="Temporary password", submit_label="Save my new password")

    pages = [st.Page(screen, title="Choose a new password", url_path="choose-password", default=True)]
    pages += [st.Page(lambda: screen(), title="Choose a new password", url_path=Path(path).stem) for path, *_ in PAGES[1:]]
    st.navigation(pages, position="hidden").run()
    st.stop()


def main() -> None:
    st_store = _open_store()
    with st_store.read() as unit:
        partnership = settings(unit.session)
    try:
        key = cookie_key()
    except ConfigError as exc:
        st.error(f"Partnership Hub is not configured correctly: {escape_md(exc)}")
        st.stop()

    # Exactly one per run. No credentials: the password is checked by core.services.signin, not here.
    auth = stauth.Authenticate({"usernames": {}}, COOKIE_NAME, key, COOKIE_EXPIRY_DAYS, auto_hash=False, login_sleep_time=0)
    who = _current_session(st_store, auth)
    if who is None:
        if st.session_state.get(FORGET_COOKIE):
            _forget_cookie(auth)  # no st.rerun() after this: the deletion must reach the browser
        marking(partnership)
        _, middle, _ = st.columns([1, 1.3, 1])  # a compact form in the middle of a wide screen
        with middle:
            st.title(escape_md(partnership.name))
            _sign_in_form(st_store)
            _sign_in_messages(partnership.demo)
        _signed_out_router()

    actor = who.actor
    if st.session_state.pop(ISSUE_COOKIE, False):  # signed in, or changed the password, just now
        _issue_cookie(auth, actor.username, who.session_version, key)
    _audit_sign_in(st_store, actor)
    ctx = Context(st_store, actor, partnership)
    set_context(ctx)

    with st.sidebar:
        st.markdown(f"**{escape_md(actor.name)}**  \n{ROLE_LABELS[actor.role]} · {escape_md(actor.agency_name)}")

        def _on_logout(_info: dict) -> None:
            with st_store.uow() as uow:
                accounts.record_sign_out(uow, actor=actor)  # ends every session of this person
            st.session_state["_ph_signed_out"] = True
            st.session_state.pop("_ph_audited_user", None)
            st.session_state.pop(SESSION_VERSION, None)

        auth.logout("Sign out", location="sidebar", key="sign_out", callback=_on_logout)
        st.caption(f"{escape_md(partnership.classification)} · {escape_md(partnership.name)}")

    if not st.session_state.get("authentication_status"):
        # Signed out in this run: the cookie deletion has been sent; no st.rerun() (it would
        # race the deletion). The component's own rerun brings the sign-in form back.
        st.success(SIGNED_OUT)
        _signed_out_router()

    if who.must_change_password:
        _choose_password_router(ctx)

    groups: dict[str, list[st.Page]] = {}
    for path, title, icon, roles, group in PAGES:
        if actor.role in roles:
            groups.setdefault(group, []).append(st.Page(path, title=title, icon=icon, default=path == "pages/home.py"))
    current = st.navigation(groups, expanded=True)  # every page listed (the default folds after ten)
    _go_to_requested_page(groups, current)
    current.run()


main()
