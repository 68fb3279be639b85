"""Helpers the browser journeys share: sign in as a demo person, open a page, fill Streamlit widgets."""
from __future__ import annotations

import re
import time

from playwright.sync_api import Locator, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from tests.browser.conftest import wait_for_app_run
from tests.browser.test_browser import PAGE_TEXT, expect_no_error, follow_nav_link, sign_in


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
    follow_nav_link(page, title)
    expect(page.get_by_text(PAGE_TEXT[title]).first).to_be_visible()
    expect_no_error(page, f"opening {title}")


def widget(scope: Locator, testid: str, label: str) -> Locator:
    return scope.get_by_test_id(testid).filter(has=scope.page.get_by_text(label, exact=True))


def choose(scope: Locator, label: str, option: str, *, stays: bool = True) -> Locator:
    """Pick the option containing `option` in the selectbox labelled `label` (typing filters long lists).

    `stays=False` for a selectbox whose choice leaves the view (e.g. opens the chosen visit): the box may
    be gone by the time its value could be checked, so the caller checks where it landed instead."""
    combo = widget(scope, "stSelectbox", label).get_by_role("combobox")
    combo.click()
    scope.page.keyboard.type(option)
    scope.page.get_by_role("option").filter(has_text=option).first.click()
    if stays:
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


def alerts(page: Page, kind: str) -> Locator:
    """st.success / st.error / st.warning / st.info boxes: kind is Success, Error, Warning or Info."""
    return page.get_by_test_id(f"stAlertContent{kind}")


def find_in_grid(grid: Locator, text: str) -> list[tuple[int, str, str]]:
    """Every cell of a data grid that shows `text` (at least one), found with the grid's own search.

    Returns (row index, column header, cell text) for each, in row order.

    Enter jumps to the next match and scrolls it into view, which puts its cell in the accessibility table
    (it holds only the cells in view: a wide grid's right-hand columns are not there until scrolled to).
    """
    button = grid.get_by_role("button", name="Search")
    for attempt in range(3):
        grid.hover()  # the toolbar shows on hover; a page still settling may redraw the grid over it
        try:
            button.click(timeout=5_000)
            break
        except PlaywrightTimeoutError:
            if attempt == 2:
                button.dispatch_event("click")  # the grid's canvas still lies over it: press it where it is
    search = grid.get_by_role("textbox")
    search.fill(text)
    # The grid searches its rows a batch at a time: wait for a count, then for it to stay put.
    count = grid.get_by_test_id("search-result-area")
    expect(count).to_have_text(re.compile(r"^\d+ results?$"))
    shown, since = count.inner_text(), time.monotonic()
    while time.monotonic() - since < 0.5:
        grid.page.wait_for_timeout(50)
        if (now := count.inner_text()) != shown:
            shown, since = now, time.monotonic()
    n = int(shown.split()[0])
    found: dict[tuple[int, str], tuple[int, str, str]] = {}
    cells = grid.locator("td[role='gridcell']").filter(has_text=text)
    for _ in range(3 * n):  # Enter moves on to the next match (and round again after the last)
        if len(found) == n:
            break
        search.press("Enter")
        expect(cells.first).to_be_attached()
        grid.page.wait_for_timeout(150)  # let it scroll
        for cell in cells.all():
            row = int(cell.locator("xpath=..").get_attribute("aria-rowindex") or -1)
            col = cell.get_attribute("aria-colindex") or ""
            if (row, col) not in found:
                header = grid.locator(f"th[role='columnheader'][aria-colindex='{col}']").inner_text().strip()
                found[(row, col)] = (row, header, cell.inner_text().strip())
    grid.get_by_role("button", name="Close Search").click()
    assert len(found) == n, f"the grid's search counts {n} results for {text!r}, the cells shown are {sorted(found.values())}"
    return sorted(found.values())


ROW_PX = 35  # a data grid's header and row height


def click_grid_row(grid: Locator, row: int) -> None:
    """One click on the selection box of a data grid's row `row` (its aria-rowindex: 1 is the header, 2 the first
    row). The grid draws on a canvas, so the click goes where the box is drawn; the grid must not be scrolled."""
    grid.scroll_into_view_if_needed()
    box = grid.bounding_box()
    assert box is not None
    grid.page.mouse.click(box["x"] + 18, box["y"] + ROW_PX * (row - 0.5))


def metric(scope: Locator, label: str) -> Locator:
    return scope.get_by_test_id("stMetric").filter(has=scope.page.get_by_text(label, exact=True)).get_by_test_id("stMetricValue")
