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
import subprocess
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import AppServer, wait_for_app_run
from tests.browser.helpers import alerts, choose, find_in_grid, metric, open_page, sign_in_as, widget
from tests.browser.test_browser import PAGE_TEXT, expect_no_error, screenshot

pytestmark = pytest.mark.browser

POSTCODE = "KM2 6XB"  # Liquor Stop, 63 Church St (demo business with a weapons marker)
BUSINESS = "Liquor Stop"
PREMISES = "Liquor Stop, 63 Church St, KM2 6XB"  # as the business is named from its records
MARKER = "Machete reported kept behind the counter."
TS, POL = "Trading Standards", "Kingsmere Police"
TEAM = (TS, POL)
LEAD = TS
# A person of each attending agency who may answer for it (core.permissions: visit.respond).
ANSWERS_FOR = {TS: "priya.shah", POL: "raj.kapoor"}
RECORDS_FOR_TS = "mark.evans"  # a Trading Standards officer records its outcome


def shot(page: Page, backend: str, name: str) -> None:
    screenshot(page, backend, f"visit-{name}")


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


def set_date(scope: Locator, label: str, day: date, *, british: bool = False) -> None:
    """Type `day` into the st.date_input labelled `label` (year, month and day segments; day first when the input
    is DD/MM/YYYY)."""
    box = widget(scope, "stDateInput", label)
    box.get_by_role("spinbutton", name=f"{'day' if british else 'year'}, {label}").click()
    scope.page.keyboard.type(f"{day:%d%m%Y}" if british else f"{day:%Y%m%d}")
    scope.page.keyboard.press("Tab")  # to the widget's calendar button
    scope.page.keyboard.press("Tab")  # out of the widget: the date is sent
    wait_for_app_run(scope.page)
    expect(box.locator("input[type='date']")).to_have_value(f"{day:%Y-%m-%d}")


def open_visit(page: Page, visit_id: int, day: date) -> Locator:
    """Open the visit from the Visits calendar's month grid: its month is chosen by a date in it, then the visit's
    link in its day's cell is clicked (issue 17: a coordinator opens a visit from the month grid)."""
    main = page.get_by_test_id("stMain")
    back = main.get_by_role("button", name="← Back to the calendar")
    if back.count():  # on a visit already: the sidebar link keeps it open
        back.click()
        wait_for_app_run(page)
    else:
        open_page(page, "Visits")
    expect(main.get_by_text(PAGE_TEXT["Visits"])).to_be_visible()
    set_date(main, "From", day, british=True)
    expect(main.get_by_text(f"{day:%B %Y}", exact=True)).to_be_visible()  # the month shown
    link = main.locator(f"a[href*='visit={visit_id}']").filter(visible=True)  # with a tooltip, a hidden copy too
    expect(link).to_have_count(1)
    expect(link).to_contain_text(PREMISES.split(",")[0])
    link.click()
    wait_for_app_run(page)
    expect(main.get_by_role("heading", name=PREMISES)).to_be_visible()
    assert re.search(rf"[?&]visit={visit_id}\b", page.url), f"{page.url} is not visit {visit_id}"
    expect_no_error(page, f"visit {visit_id}")
    return main


def save_draft(page: Page) -> int:
    """Press "Save as draft" in the planner; returns the saved visit's id from the message."""
    page.get_by_test_id("stMain").get_by_role("button", name="Save as draft").click()
    wait_for_app_run(page)
    expect_no_error(page, "after saving the plan")
    saved = alerts(page, "Success")
    expect(saved).to_contain_text(re.compile(r"Visit \d+ saved \(draft\)\. Propose it from the visit's page"))
    return int(re.search(r"Visit (\d+) saved", saved.inner_text()).group(1))


def find_on_risk_list(page: Page) -> Locator:
    """The Shared risk list narrowed to the business; returns its grid."""
    open_page(page, "Shared risk list")
    main = page.get_by_test_id("stMain")
    for label, value in (("Search name, address or postcode", BUSINESS), ("Postcode area or district starts with", POSTCODE)):
        main.get_by_role("textbox", name=label).fill(value)
        page.keyboard.press("Enter")
        wait_for_app_run(page)
    expect(main.get_by_text("1 business matches")).to_be_visible()
    return main.get_by_test_id("stDataFrame")


def plan_from_risk_list(page: Page) -> Locator:
    """Select the business on the risk list and open the planner for it ("plan a visit")."""
    grid = find_on_risk_list(page)
    main = page.get_by_test_id("stMain")
    select_first_row(grid)
    expect(main.get_by_text("1 selected:")).to_contain_text(BUSINESS)
    main.get_by_role("link", name="Plan a visit to the first selected").click()
    wait_for_app_run(page)
    expect_no_error(page, "planner opened from the risk list")
    expect(main.get_by_role("heading", name=PREMISES)).to_be_visible()
    return main


def test_visit_planned_confirmed_deconflicted_briefed_and_recorded(page: Page, browser_for: Callable[[str], Page],
                                                                 app_server: AppServer, tmp_path: Path) -> None:
    backend = app_server.backend
    today = datetime.now(timezone.utc).date()

    # 1. The coordinator picks the business on the risk list and plans a visit for today.
    coordinator = page
    sign_in_as(coordinator, "coordinator")
    main = plan_from_risk_list(coordinator)
    shot(coordinator, backend, "2-planner")
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
    visit_id = save_draft(coordinator)
    # The planner now holds the saved visit: saving again changes it, it does not plan a duplicate.
    expect(main.get_by_role("heading", name=f"Visit {visit_id}: {PREMISES}")).to_be_visible()
    expect(main.get_by_role("button", name="Save plan")).to_be_visible()
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
        their = open_visit(other, visit_id, today)
        expect(their.get_by_text(f"Answer from {agency}: pending")).to_be_visible()
        their.get_by_role("button", name="Confirm our part").click()
        wait_for_app_run(other)
        expect_no_error(other, f"{username} after confirming")
        expect(their.get_by_text(f"Answer from {agency}: confirmed")).to_be_visible()
        shot(other, backend, f"5-confirmed-by-{username}")
        other.context.close()

    main = open_visit(coordinator, visit_id, today)
    expect(main.get_by_text("status proposed")).to_be_visible()
    expect(alerts(coordinator, "Info").filter(has_text="Not answered yet")).to_have_count(0)
    choose(main, "Move to", "confirmed")
    main.get_by_role("button", name="Change status").click()
    wait_for_app_run(coordinator)
    expect_no_error(coordinator, "coordinator after confirming")
    expect(main.get_by_text("status confirmed")).to_be_visible()
    expect(problems(coordinator)).to_have_count(0)
    shot(coordinator, backend, "6-visit-confirmed")

    # 3. A second visit to the same premises within the deconfliction window is a clash.
    main = plan_from_risk_list(coordinator)
    clash = alerts(coordinator, "Warning").filter(has_text="possible clash")
    expect(clash).to_contain_text("1 possible clash with other visits (within 14 days, or the same officers at the same time)")
    expect(main.get_by_text(re.compile(rf"same premises: Another visit to the same premises: {BUSINESS}.* on "
                                       rf"{today:%a %d %b %Y} 00:\u2060?00 \(confirmed\)\."))).to_be_visible()
    expect(main.get_by_role("link", name=f"Open visit {visit_id}")).to_be_visible()
    expect(main.get_by_text("Resolve it: move the date above, join the other visit, or proceed with a reason.")).to_be_visible()
    shot(coordinator, backend, "7-clash-warned")
    main.get_by_role("button", name="Save as draft").click()
    wait_for_app_run(coordinator)
    expect_no_error(coordinator, "saving a clashing plan")
    expect(problems(coordinator)).to_contain_text(
        "This visit clashes with 1 other visit: Another visit to the same premises")
    expect(problems(coordinator)).to_contain_text("Move the date, merge into the other visit, or give a reason to proceed.")
    expect(alerts(coordinator, "Success")).to_have_count(0)

    later = today + timedelta(days=20)  # outside the 14-day window
    set_date(main, "Date", later)
    expect(clash).to_have_count(0)
    second_id = save_draft(coordinator)
    assert second_id != visit_id
    expect(clash).to_have_count(0)
    shot(coordinator, backend, "8-clash-resolved-by-moving")
    second = open_visit(coordinator, second_id, later)
    expect(second.get_by_text(f"{later:%A %d %B %Y}, 10:00–12:00 UTC · status draft")).to_be_visible()
    expect(alerts(coordinator, "Warning")).to_have_count(0)  # no clash left, and none overridden
    second.get_by_text("Why this team (the recommendation) and what was changed").click()
    expect(second.get_by_text("The coordinator followed the recommendation.")).to_be_visible()

    # 4. The briefing sheet and the calendar file of the confirmed visit.
    main = open_visit(coordinator, visit_id, today)
    with coordinator.expect_download() as info:
        main.get_by_role("button", name="Briefing sheet (PDF)").click()
    pdf = tmp_path / info.value.suggested_filename
    info.value.save_as(pdf)
    assert pdf.name == f"visit-{visit_id}-briefing.pdf"
    text = " ".join(subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True,
                                   text=True).stdout.split())
    for expected in ("OFFICIAL-SENSITIVE", PREMISES, f"Lead agency {LEAD}", f"Lead: {LEAD}", POL,
                     f"Entry route {LEAD} leads: enters after giving notice",
                     "Officer safety 1 active warning marker on these premises", f"weapons Premises {MARKER} {POL}",
                     "Test purchase of alcohol first"):
        assert expected in text, f"{expected!r} missing from the briefing sheet:\n{text}"
    with coordinator.expect_download() as info:
        main.get_by_role("button", name="Add to calendar (.ics)").click()
    ics = tmp_path / info.value.suggested_filename
    info.value.save_as(ics)
    [event] = ics_events(ics.read_bytes().decode("utf-8"))
    assert event["UID"] == f"visit-{visit_id}@" + event["UID"].split("@", 1)[1]
    assert event["DTSTART"] == f"{today:%Y%m%d}T000000Z" and event["DTEND"] == f"{today:%Y%m%d}T234500Z"
    assert event["STATUS"] == "CONFIRMED"
    assert event["SUMMARY"] == f"Joint visit: {PREMISES}"
    assert f"Lead: {LEAD}" in event["DESCRIPTION"] and POL in event["DESCRIPTION"]
    expect(main.get_by_text("status confirmed")).to_be_visible()  # downloading left the page as it was
    expect_no_error(coordinator, "after the downloads")
    shot(coordinator, backend, "9-downloads")

    # The risk list and results before the outcome, to compare.
    open_page(coordinator, "Visit results")
    done_before = int(metric(coordinator.get_by_test_id("stMain"), "Visits done").inner_text())
    notices_before = int(metric(coordinator.get_by_test_id("stMain"), "Arrests / notices").inner_text().split("/")[1])

    # 5. A Trading Standards officer records its outcome.
    officer = browser_for(RECORDS_FOR_TS)
    sign_in_as(officer, RECORDS_FOR_TS)
    open_page(officer, "Record outcomes")
    form_page = officer.get_by_test_id("stMain")
    choose(form_page, "Visit", f"{today:%d %b %Y} 00:00 · {PREMISES}")
    wait_for_app_run(officer)
    form = form_page.get_by_test_id("stForm")
    expect(form).to_contain_text(f"{PREMISES}, {today:%A %d %B %Y}, 00:00")
    for label, value in (("Improvement notices", "1"), ("Seizures", "2")):
        field = form.get_by_label(label, exact=True)
        field.fill(value)
        field.press("Tab")
    form.get_by_role("textbox", name="Notes (what was found; no intelligence beyond what partners may see)").fill(
        "Counterfeit vodka seized; improvement notice on age verification.")
    form.get_by_role("button", name="Record outcome").click()
    wait_for_app_run(officer)
    expect_no_error(officer, "officer after recording the outcome")
    expect(alerts(officer, "Success").filter(has_text="Outcome recorded")).to_have_text(f"Outcome recorded: {PREMISES}.")
    shot(officer, backend, "10-outcome-recorded")

    # Trading Standards' calendar feed (Visit results) carries the visit, now done.
    open_page(officer, "Visit results")
    with officer.expect_download() as info:
        officer.get_by_role("button", name="My visits calendar (.ics)").click()
    feed = tmp_path / "agency-visits.ics"
    info.value.save_as(feed)
    mine = [e for e in ics_events(feed.read_bytes().decode("utf-8")) if e["UID"].startswith(f"visit-{visit_id}@")]
    assert len(mine) == 1 and mine[0]["SUMMARY"] == f"Joint visit: {PREMISES}", mine
    assert "Status: done" in mine[0]["DESCRIPTION"]
    officer.context.close()

    # The risk list row shows the visit and its result; Visit results counts it.
    open_page(coordinator, "Visit results")
    expect(metric(coordinator.get_by_test_id("stMain"), "Visits done")).to_have_text(str(done_before + 1))
    expect(metric(coordinator.get_by_test_id("stMain"), "Arrests / notices")).to_contain_text(f"/ {notices_before + 1}")
    shot(coordinator, backend, "11-visit-results")

    grid = find_on_risk_list(coordinator)
    [(name_row, _, _)] = find_in_grid(grid, PREMISES.split(",")[1].strip())
    [(row, header, _)] = find_in_grid(grid, "1 notice, 2 seizures")
    assert header == "Visit result" and row == name_row
    # The search scrolled the result into view; the last visit's date is the cell beside it.
    col = grid.locator("th[role='columnheader']").filter(has_text=re.compile(r"^Last visit$")).get_attribute("aria-colindex")
    last_visit = grid.locator(f"tr[aria-rowindex='{row}'] td[aria-colindex='{col}']")
    expect(last_visit).to_have_text(f"{today:%Y-%m-%d}")  # the accessibility table holds the value, not its format
    shot(coordinator, backend, "12-risk-list-last-visit")


def ics_events(ics: str) -> list[dict[str, str]]:
    """The VEVENTs of an iCalendar file: unfolded lines, text values unescaped."""
    assert ics.startswith("BEGIN:VCALENDAR\r\n") and ics.rstrip().endswith("END:VCALENDAR"), ics[:200]
    lines = ics.replace("\r\n ", "").split("\r\n")
    events, current = [], None
    for line in lines:
        if line == "BEGIN:VEVENT":
            current = {}
        elif line == "END:VEVENT":
            events.append(current)
            current = None
        elif current is not None and ":" in line:
            key, value = line.split(":", 1)
            current[key.split(";")[0]] = re.sub(r"\\(.)", lambda m: "\n" if m.group(1) in "nN" else m.group(1), value)
    return events
