"""Joint-visit planning end to end, as the people do it, in a real browser (issue 4's "done when").

1. The coordinator (Licensing) finds a business three agencies hold on the Shared risk list, selects
   it and plans a visit: the planner shows the expected issues, the recommended team, lead and entry
   route with reasons and the officer-safety marker; the visit is planned for today (it has begun,
   so its outcome can be recorded) and proposed.
2. Each attending agency confirms its part (a person of that agency who may answer); the
   coordinator moves the visit to confirmed.
3. A second visit to the same business within the deconfliction window is warned about; moving its
   date out of the window resolves the clash and it is saved as a draft without a recorded override.
4. The briefing PDF (pdftotext) carries OFFICIAL-SENSITIVE, the team, lead, entry route and the
   warning marker; the visit's .ics and the agency calendar feed hold the visit.
5. An attending agency's officer records the outcome; the risk list row shows the last visit and
   its result, and Visit results counts it.

The server's database is shared with the other browser tests of the backend; the business (a
Liquor Stop with a weapons marker, held by Trading Standards, Licensing and, interest only, Police)
has no demo visits, and nothing else plans visits to it.

Screenshots: artefacts/screenshots/<backend>/visit-*.png.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import AppServer, wait_for_app_loaded, wait_for_app_run
from tests.browser.helpers import choose, open_page, sign_in_as, widget
from tests.browser.test_browser import expect_no_error, screenshot

pytestmark = pytest.mark.browser

POSTCODE = "KM2 6XB"  # Liquor Stop, 63 Church Street (demo business with a weapons marker)
BUSINESS = "Liquor Stop"
PREMISES = "Liquor Stop, 63 Church Street, KM2 6XB"
MARKER = "Machete reported kept behind the counter."
TS, POL = "Trading Standards", "Kingsmere Police"
TEAM = (TS, POL)
LEAD = TS
# A person of each attending agency who may answer for it (core.permissions: visit.respond).
ANSWERS_FOR = {TS: "priya.shah", POL: "raj.kapoor"}
RECORDS_FOR_TS = "mark.evans"  # a Trading Standards officer records its outcome


def shot(page: Page, backend: str, name: str) -> None:
    screenshot(page, backend, f"visit-{name}")


def alerts(page: Page, kind: str) -> Locator:
    """st.success / st.error / st.warning / st.info boxes: kind is Success, Error, Warning or Info."""
    return page.get_by_test_id(f"stAlertContent{kind}")


def problems(page: Page) -> Locator:
    """Error boxes other than the officer-safety warning markers (also drawn as errors)."""
    return alerts(page, "Error").filter(has_not_text="Officer safety")


def select_first_row(grid: Locator) -> None:
    """Tick the row-selection box of the grid's first row (the grid draws on a canvas: click by position)."""
    grid.scroll_into_view_if_needed()
    box = grid.bounding_box()
    assert box is not None
    grid.page.mouse.click(box["x"] + 16, box["y"] + 35 + 17)
    wait_for_app_run(grid.page)


def pick_time(scope: Locator, label: str, value: str) -> None:
    """Type `value` (HH:MM) into the st.time_input labelled `label` (hour and minute segments)."""
    box = widget(scope, "stTimeInput", label)
    box.get_by_role("spinbutton", name=f"hour, {label}").click()
    scope.page.keyboard.type(value.replace(":", ""))
    scope.page.keyboard.press("Tab")
    wait_for_app_run(scope.page)
    expect(box.locator("input[type='hidden']")).to_have_value(f"{value}:00")


def set_date(scope: Locator, label: str, day: date) -> None:
    """Type `day` into the st.date_input labelled `label` (year, month and day segments)."""
    box = widget(scope, "stDateInput", label)
    box.get_by_role("spinbutton", name=f"year, {label}").click()
    scope.page.keyboard.type(f"{day:%Y%m%d}")
    scope.page.keyboard.press("Tab")
    wait_for_app_run(scope.page)
    expect(box.locator("input[type='date']")).to_have_value(f"{day:%Y-%m-%d}")


def open_visit(page: Page, visit_id: int) -> Locator:
    """Open the visit's page by its link (as from the planner's or a colleague's message)."""
    page.goto(f"visits?visit={visit_id}")
    wait_for_app_loaded(page)
    main = page.get_by_test_id("stMain")
    expect(main.get_by_role("heading", name=PREMISES)).to_be_visible()
    expect_no_error(page, f"visit {visit_id}")
    return main


def test_visit_planned_confirmed_deconflicted_briefed_and_recorded(page: Page, browser_for: Callable[[str], Page],
                                                                 app_server: AppServer, tmp_path: Path) -> None:
    backend = app_server.backend
    today = datetime.now(timezone.utc).date()

    # 1. The coordinator picks the business on the risk list and plans a visit for today.
    coordinator = page
    sign_in_as(coordinator, "coordinator")
    open_page(coordinator, "Shared risk list")
    main = coordinator.get_by_test_id("stMain")
    for label, value in (("Search name, address or postcode", BUSINESS), ("Postcode area or district starts with", POSTCODE)):
        main.get_by_role("textbox", name=label).fill(value)
        coordinator.keyboard.press("Enter")
        wait_for_app_run(coordinator)
    expect(main.get_by_text("businesses match")).to_contain_text("1 businesses match")
    select_first_row(main.get_by_test_id("stDataFrame"))
    expect(main.get_by_text("1 selected:")).to_contain_text(BUSINESS)
    shot(coordinator, backend, "1-risk-list-selected")
    main.get_by_role("link", name="Plan a visit to the first selected").click()
    wait_for_app_run(coordinator)
    expect_no_error(coordinator, "planner opened from the risk list")
    shot(coordinator, backend, "2-planner")
    main = coordinator.get_by_test_id("stMain")
    expect(main.get_by_role("heading", name=PREMISES)).to_be_visible()
    expect(alerts(coordinator, "Error")).to_contain_text(f"Officer safety: WEAPONS · Premises: {MARKER}")
    issues = widget(main, "stMultiSelect", "What do you expect to find?")
    for issue in ("licensing breach", "counterfeit goods", "underage sales"):
        expect(issues).to_contain_text(issue)
    rec = main.get_by_test_id("stVerticalBlock").filter(has=coordinator.get_by_role("heading", name="Recommendation")).last
    expect(rec).to_contain_text(f"Team: {', '.join(TEAM)} · Lead: {LEAD}")
    expect(rec).to_contain_text(f"Entry route: {LEAD} leads: enters after giving notice")
    expect(rec).to_contain_text(f"{POL} cannot enter without a warrant or consent; it enters alongside {LEAD}")
    expect(rec).to_contain_text(f"{LEAD} leads: its entry power gets the team through the door lawfully.")
    team = widget(main, "stMultiSelect", "Attending agencies")
    for agency in TEAM:
        expect(team).to_contain_text(agency)
    expect(widget(main, "stSelectbox", "Lead agency").get_by_role("combobox")).to_have_value(LEAD)
    expect(main.get_by_role("textbox", name="Entry route (how the team gets in lawfully)")).to_have_value(
        re.compile(rf"^{LEAD} leads: enters after giving notice"))

    # Today, from midnight: the visit has begun by the time its outcome is recorded below.
    set_date(main, "Date", today)
    pick_time(main, "From", "00:00")
    pick_time(main, "To", "23:45")
    expect(alerts(coordinator, "Warning").filter(has_text="possible clash")).to_have_count(0)
    main.get_by_role("textbox", name="Briefing notes").fill("Test purchase of alcohol first; then the full inspection.")
    main.get_by_role("button", name="Save as draft").click()
    wait_for_app_run(coordinator)
    expect_no_error(coordinator, "coordinator after saving the plan")
    saved = alerts(coordinator, "Success")
    expect(saved).to_contain_text(re.compile(r"Visit \d+ saved\."))
    visit_id = int(re.search(r"Visit (\d+) saved", saved.inner_text()).group(1))
    shot(coordinator, backend, "3-planner-saved")

    main.get_by_role("link", name=f"Open visit {visit_id}").click()
    wait_for_app_run(coordinator)
    expect(main.get_by_role("heading", name=PREMISES)).to_be_visible()
    expect(main.get_by_text(f"{today:%A %d %B %Y}, 00:00–23:45 UTC · status draft")).to_be_visible()
    choose(main, "Move to", "proposed")
    main.get_by_role("button", name="Change status").click()
    wait_for_app_run(coordinator)
    expect_no_error(coordinator, "coordinator after proposing")
    expect(main.get_by_text("status proposed")).to_be_visible()
    expect(alerts(coordinator, "Info")).to_contain_text(f"Not answered yet: {', '.join(TEAM)}")
    shot(coordinator, backend, "4-visit-proposed")

    # 2. Each attending agency confirms its part; then the coordinator confirms the visit.
    for agency, username in ANSWERS_FOR.items():
        other = browser_for(username)
        sign_in_as(other, username)
        their = open_visit(other, visit_id)
        expect(their.get_by_text(f"{agency}'s answer: pending")).to_be_visible()
        their.get_by_role("button", name="Confirm our part").click()
        wait_for_app_run(other)
        expect_no_error(other, f"{username} after confirming")
        expect(their.get_by_text(f"{agency}'s answer: confirmed")).to_be_visible()
        shot(other, backend, f"5-confirmed-by-{username}")
        other.context.close()

    coordinator.reload()
    wait_for_app_loaded(coordinator)
    expect(main.get_by_text("status proposed")).to_be_visible()
    expect(alerts(coordinator, "Info").filter(has_text="Not answered yet")).to_have_count(0)
    choose(main, "Move to", "confirmed")
    main.get_by_role("button", name="Change status").click()
    wait_for_app_run(coordinator)
    expect_no_error(coordinator, "coordinator after confirming")
    expect(main.get_by_text("status confirmed")).to_be_visible()
    expect(problems(coordinator)).to_have_count(0)
    shot(coordinator, backend, "6-visit-confirmed")
