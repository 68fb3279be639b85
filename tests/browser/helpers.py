"""Helpers the browser journeys share: sign in as a demo person, open a page, fill Streamlit widgets."""
from __future__ import annotations

import re

from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import wait_for_app_run
from tests.browser.test_browser import NAV_LINKS, PAGE_TEXT, expect_no_error, sign_in


def sign_in_as(page: Page, username: str) -> None:
    """Sign in and wait for the home page.

    `sign_in` waits for the cookie component's rerun before typing (a name typed during it is lost).
    """
    sign_in(page, username)
    # Signing in reruns the app several times within a second; between two runs the home page
    # can briefly be in the page twice (the old copy not yet removed).
    home = page.get_by_text(PAGE_TEXT["Home"])
    expect(home).to_have_count(1)
    wait_for_app_run(page, quiet_ms=1000)
    expect(home).to_have_count(1)
    expect(home).to_be_visible()


def open_page(page: Page, title: str) -> None:
    page.locator(NAV_LINKS).filter(has=page.get_by_text(title, exact=True)).click()
    wait_for_app_run(page)
    expect(page.get_by_text(PAGE_TEXT[title]).first).to_be_visible()
    expect_no_error(page, f"opening {title}")


def widget(scope: Locator, testid: str, label: str) -> Locator:
    return scope.get_by_test_id(testid).filter(has=scope.page.get_by_text(label, exact=True))


def choose(scope: Locator, label: str, option: str) -> Locator:
    """Pick the option containing `option` in the selectbox labelled `label` (typing filters long lists)."""
    combo = widget(scope, "stSelectbox", label).get_by_role("combobox")
    combo.click()
    scope.page.keyboard.type(option)
    scope.page.get_by_role("option").filter(has_text=option).first.click()
    expect(combo).to_have_value(re.compile(re.escape(option)))
    return combo


def tick(page: Page, label: str, option: str) -> None:
    """Add `option` (exact option text) to the multiselect labelled `label`."""
    box = widget(page.get_by_test_id("stMain"), "stMultiSelect", label)
    box.get_by_role("combobox").click()
    page.keyboard.type(option.split(" (")[0])
    page.get_by_role("option", name=option, exact=True).click()
    wait_for_app_run(page)
    page.keyboard.press("Escape")
    expect(box).to_contain_text(option)
