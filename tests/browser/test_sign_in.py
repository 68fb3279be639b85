"""Sign-in as people meet it: a copied cookie dies with its owner's sign-out; failures bring a wait and a
lockout with a clear message; an administrator's reset lifts the lock and the person must choose a new
password before anything else."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
from playwright.sync_api import Page, expect

from core.services import signin
from core.signin import LOCKOUT_AFTER
from core.store import Store
from tests.browser.conftest import AppServer, wait_for_app_loaded, wait_for_app_run
from tests.browser.helpers import alerts, choose, open_page, sign_in_as
from tests.browser.test_browser import (
    DEMO_PASSWORD, NAV_LINKS, PAGE_TEXT, auth_cookie, expect_no_error, expect_sign_in_form, expect_signed_in_home,
    screenshot, sign_in, wait_for_cookie,
)

pytestmark = pytest.mark.browser

ENDED = "You have been signed out"


def _open_with_cookie(browser_for, who: str, cookie: dict) -> Page:  # noqa: ANN001
    pg = browser_for(who)
    pg.context.add_cookies([cookie])
    pg.reload()
    wait_for_app_loaded(pg)
    wait_for_app_run(pg, quiet_ms=1000)
    return pg


def test_a_copied_cookie_stops_working_when_its_owner_signs_out(browser_for, app_server: AppServer) -> None:  # noqa: ANN001
    owner = browser_for("owner")
    sign_in_as(owner, "ian.russell")
    assert wait_for_cookie(owner, present=True)
    cookie = auth_cookie(owner)

    # Someone copies the cookie into another browser: while the owner is signed in, it works.
    copier = _open_with_cookie(browser_for, "copier", cookie)
    expect_signed_in_home(copier)

    owner.get_by_test_id("stSidebar").get_by_role("button", name="Sign out").click()
    wait_for_app_run(owner)
    expect_sign_in_form(owner)

    # The copier's open session ends at its next click ...
    copier.locator(NAV_LINKS).filter(has=copier.get_by_text("My account", exact=True)).click()
    wait_for_app_run(copier)
    expect_sign_in_form(copier)
    expect(alerts(copier, "Warning")).to_contain_text(ENDED)
    expect(copier.get_by_text(PAGE_TEXT["My account"])).to_have_count(0)

    # ... and the copied cookie no longer signs anyone in, in a fresh browser either.
    later = _open_with_cookie(browser_for, "later", cookie)
    expect_sign_in_form(later)
    expect_no_error(later, "a copied cookie after sign-out")
    screenshot(later, app_server.backend, "sign-in-copied-cookie-refused")
    assert wait_for_cookie(later, present=False), "the refused cookie is removed"


def test_repeated_failures_bring_a_wait_then_the_right_password_works(page: Page, app_server: AppServer) -> None:
    for _ in range(4):
        sign_in(page, "liam.walsh", "not-the-password")
    expect(alerts(page, "Error")).to_contain_text("Wrong username or password")
    expect(alerts(page, "Error")).to_contain_text("Wait 5 seconds before the next try")
    sign_in(page, "liam.walsh", DEMO_PASSWORD)  # at once: refused without being checked
    expect(alerts(page, "Error")).to_contain_text(re.compile(r"Too many failed sign-ins in a row with this username\. Wait \d seconds?, then try again\."))
    expect_sign_in_form(page)
    assert auth_cookie(page) is None
    screenshot(page, app_server.backend, "sign-in-wait")
    page.wait_for_timeout(5_000)
    sign_in(page, "liam.walsh", DEMO_PASSWORD)
    expect_signed_in_home(page)


def _lock(app_server: AppServer, username: str) -> None:
    """Ten failures in a row over the last hour (as typed at the form, each after the last one's wait)."""
    store = Store(app_server.database_url, migrate=False)
    try:
        now = datetime.now(timezone.utc)
        for i in range(LOCKOUT_AFTER):
            signin.sign_in(store, username, "a-guess", now=now - timedelta(minutes=1 + 6 * (LOCKOUT_AFTER - 1 - i)))
    finally:
        store.dispose()


def test_a_locked_person_is_told_when_to_try_again_and_a_reset_makes_them_choose_a_new_password(
        page: Page, browser_for, app_server: AppServer) -> None:  # noqa: ANN001
    _lock(app_server, "jack.moran")
    sign_in(page, "jack.moran", DEMO_PASSWORD)
    error = alerts(page, "Error")
    expect(error).to_contain_text(re.compile(r"it is locked\. Try again in 1[45] minutes\."))
    expect(error).to_contain_text("ask your administrator to reset it")
    expect_sign_in_form(page)
    screenshot(page, app_server.backend, "sign-in-locked")

    admin = browser_for("admin")
    sign_in_as(admin, "admin")
    open_page(admin, "Agencies and users")
    choose(admin.get_by_test_id("stMain"), "Change a user", "jack.moran")
    wait_for_app_run(admin)
    admin.get_by_role("button", name="Reset password of jack.moran").click()
    wait_for_app_run(admin)
    shown = alerts(admin, "Warning").filter(has_text="Temporary password for")
    expect(shown).to_be_visible()
    temporary = shown.locator("code").inner_text().strip()
    assert len(temporary) >= 16

    sign_in(page, "jack.moran", temporary)
    expect(page.get_by_role("heading", name="Choose a new password")).to_be_visible()
    expect(page.locator(NAV_LINKS)).to_have_count(0)
    expect(page.get_by_text(PAGE_TEXT["Home"])).to_have_count(0)
    screenshot(page, app_server.backend, "sign-in-choose-password")

    def choose_password(new: str) -> None:
        for label, value in (("Temporary password", temporary), ("New password", new), ("New password again", new)):
            box = page.get_by_label(label, exact=True)
            box.fill(value)
            expect(box).to_have_value(value)
        page.get_by_role("button", name="Save my new password").click()
        wait_for_app_run(page, quiet_ms=1000)

    choose_password("password12")
    expect(alerts(page, "Error")).to_contain_text("too easy to guess")
    expect(page.get_by_role("heading", name="Choose a new password")).to_be_visible()

    choose_password("kettle orbit salmon")
    expect_signed_in_home(page)
    expect_no_error(page, "after choosing a new password")
    page.reload()
    wait_for_app_loaded(page)
    wait_for_app_run(page, quiet_ms=1000)
    expect_signed_in_home(page)  # the new cookie carries the new session version
