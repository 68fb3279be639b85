"""Intelligence referrals end to end, as the people do it, in a real browser.

1. The officer (Food Safety) submits graded intelligence with golden indicators of Immigration
   Enforcement; "Send to" follows the indicators; sending before grading is refused.
2. The analyst (Immigration Enforcement) opens it from the Referral inbox, tasks a visit and sends
   the feedback owed.
3. The officer sees that feedback on My referrals and on the Home page.
4. The chair builds the board's agenda: it lists the referrals waiting for feedback past the deadline.

Each person uses their own browser (context). The server's database is shared with the other browser
tests of the backend, so the referral's subject and the feedback carry a random token, and step 4 takes
the board's meetings as it finds them: test_meeting_live closes the next planned one; then an open
meeting is used if there is one, else the item is looked for in the last closed meeting's minutes.

Data grids (st.dataframe) draw on a canvas; their cells are read from the grid's accessibility table,
which holds only the cells scrolled into view: the grid's own search (toolbar, then Enter) brings a
cell into view first, as a person would scroll to it.

Screenshots: artefacts/screenshots/<backend>/referral-*.png.
"""
from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import AppServer, wait_for_app_run
from tests.browser.helpers import alerts, choose, click_grid_row, find_in_grid, metric, open_page, sign_in_as, tick, widget
from tests.browser.test_browser import expect_no_error, screenshot

pytestmark = pytest.mark.browser

SENDER_AGENCY = "Food Safety (Environmental Health)"
RECEIVER = "Immigration Enforcement"
INDICATORS = ("People living or sleeping on the premises", "Workers not allowed to speak for themselves")
BOARD = "Kingsmere Partnership Board"
OVERDUE_ITEM = "Referrals waiting for feedback past the deadline"
SUBJECT_FIELD = "Subject: business, person, vehicle or place"


def shot(page: Page, backend: str, name: str) -> None:
    screenshot(page, backend, f"referral-{name}")


def pick_radio(page: Page, label: str, option: str) -> None:
    group = widget(page.get_by_test_id("stMain"), "stRadio", label)
    group.get_by_text(option, exact=True).click()
    wait_for_app_run(page)
    expect(group.get_by_role("radio", name=option, exact=True)).to_be_checked()


# --- the tests -------------------------------------------------------------------------------------


def test_referral_graded_sent_triaged_and_answered(page: Page, browser_for: Callable[[str], Page], app_server: AppServer) -> None:
    backend = app_server.backend
    token = secrets.token_hex(3)
    subject = f"Golden Wok takeaway, back kitchen ({token})"
    seen = f"Six workers sleeping on mattresses in the store room; the manager answered for them ({token})."
    comment = f"Visit tasked with the police for next week; thank you, very clear ({secrets.token_hex(3)})"

    # 1. The officer submits graded intelligence to the agency its indicators concern.
    officer = page
    sign_in_as(officer, "officer")
    open_page(officer, "Submit intelligence")
    main = officer.get_by_test_id("stMain")
    officer.get_by_role("textbox", name=SUBJECT_FIELD).fill(subject)
    officer.keyboard.press("Tab")
    wait_for_app_run(officer)
    officer.get_by_role("textbox", name="What you saw").fill(seen)
    officer.keyboard.press("Tab")
    wait_for_app_run(officer)
    send_to = widget(main, "stMultiSelect", "Send to")
    expect(send_to).not_to_contain_text(RECEIVER)  # nothing suggested before an indicator is ticked
    for label in INDICATORS:
        tick(officer, "Golden indicators you saw", f"{label} ({RECEIVER})")
    expect(send_to).to_contain_text(RECEIVER)  # suggested from the indicators
    expect(send_to.locator("[data-tag]")).to_have_count(1)  # and only that agency

    officer.get_by_role("button", name="Send", exact=True).click()
    wait_for_app_run(officer)
    expect(alerts(officer, "Error")).to_contain_text(re.compile(r"Grading \(.+\): choose the source evaluation"))
    expect(alerts(officer, "Success")).to_have_count(0)
    shot(officer, backend, "1-officer-send-before-grading")

    expect(main.get_by_text("Grading (5x5x5)", exact=True)).to_be_visible()
    pick_radio(officer, "Source evaluation", "B: Mostly reliable")
    pick_radio(officer, "Intelligence evaluation", "2: Known personally to the source but not to the officer")
    pick_radio(officer, "Handling code", "1: May be shared with other law enforcement and prosecuting agencies")
    expect(alerts(officer, "Error")).to_have_count(0)
    officer.get_by_role("button", name="Send", exact=True).click()
    wait_for_app_run(officer)
    # Nothing goes until the officer has read where it goes (issue 17 bug 1).
    dialog = officer.get_by_role("dialog")
    expect(dialog).to_contain_text(f"This goes to: {RECEIVER}")
    expect(alerts(officer, "Success")).to_have_count(0)
    shot(officer, backend, "2-officer-confirms-recipients")
    dialog.get_by_role("button", name="Send now").click()
    wait_for_app_run(officer)
    expect_no_error(officer, "officer after sending")
    expect(alerts(officer, "Error")).to_have_count(0)
    sent = alerts(officer, "Success")
    expect(sent).to_contain_text(re.compile(rf"Referral \d+ sent to {re.escape(RECEIVER)}\."))
    # After a send the form is empty on the screen as on the server (issue 17 bug 2).
    expect(officer.get_by_role("textbox", name=SUBJECT_FIELD)).to_have_value("")
    expect(officer.get_by_role("textbox", name="What you saw")).to_have_value("")
    shot(officer, backend, "2-officer-sent")

    # 2. The analyst opens it from the inbox, tasks a visit and sends the feedback owed.
    analyst = browser_for("analyst")
    sign_in_as(analyst, "analyst")
    open_page(analyst, "Referral inbox")
    main = analyst.get_by_test_id("stMain")
    choose(main, "Open a referral", subject)
    wait_for_app_run(analyst)
    expect(main.get_by_role("heading", name=subject)).to_be_visible()
    expect(main.get_by_text(seen)).to_be_visible()  # handling code 1: the full text passes
    expect(main.get_by_text(f"From Tom Reilly ({SENDER_AGENCY}) · B2 handling 1 (5x5x5)", exact=False)).to_be_visible()
    indicators = main.get_by_text("Indicators:").locator("..")
    for label in INDICATORS:
        expect(indicators).to_contain_text(label)

    decide = main.get_by_test_id("stForm").filter(has_text="Record decision")
    choose(decide, "Decision", "Task a visit")
    decide.get_by_role("button", name="Record decision").click()
    wait_for_app_run(analyst)
    expect_no_error(analyst, "analyst after recording the decision")
    expect(alerts(analyst, "Success").filter(has_text="Decision recorded")).to_have_text(
        re.compile(r"Decision recorded; created visit \d+\.")
    )
    shot(analyst, backend, "3-analyst-decided")

    feedback = main.get_by_test_id("stForm").filter(has_text="Feedback to the sender")
    useful = feedback.get_by_role("slider", name="How useful was it?")
    useful.focus()
    analyst.keyboard.press("ArrowRight")  # 3 -> 4
    expect(feedback.get_by_test_id("stSliderThumbValue")).to_have_text("4")
    choose(feedback, "What happened", "visit tasked")
    feedback.get_by_role("textbox", name="What we did with it").fill(comment)
    feedback.get_by_role("textbox", name="What would make future reports more useful").fill("The time you saw it, as here.")
    feedback.get_by_role("button", name="Send feedback").click()
    wait_for_app_run(analyst)
    expect_no_error(analyst, "analyst after sending feedback")
    expect(alerts(analyst, "Success").filter(has_text="Feedback sent")).to_be_visible()

    # Answered referrals leave the inbox; shown again, it has the decision and the feedback.
    analyst.get_by_text("Include referrals already answered").click()
    wait_for_app_run(analyst)
    expect(main.get_by_role("heading", name=subject)).to_be_visible()
    expect(main.get_by_text("(recorded: Task a visit)")).to_be_visible()
    expect(main.get_by_text(re.compile(r"Feedback given .*: useful 4/5 · visit tasked · " + re.escape(comment)))).to_be_visible()
    shot(analyst, backend, "4-analyst-feedback-given")

    # 3. The officer sees the feedback on My referrals and on the Home page.
    open_page(officer, "My referrals")
    main = officer.get_by_test_id("stMain")
    expect(alerts(officer, "Success")).to_contain_text(re.compile(r"\d+ new pieces of feedback since you last looked\."))
    grid = main.get_by_test_id("stDataFrame")
    [(subject_row, header, _)] = find_in_grid(grid, subject)
    assert header == "Subject"
    assert find_in_grid(grid, comment) == [(subject_row, "Feedback", comment)], "the feedback is not on the referral's row"
    shot(officer, backend, "5-officer-my-referrals")

    open_page(officer, "Home")
    section = officer.get_by_test_id("stLayoutWrapper").filter(
        has=officer.get_by_role("heading", name="New feedback on your referrals")
    ).last
    grid = section.get_by_test_id("stDataFrame")
    expect(grid).to_be_visible()
    [(subject_row, header, _)] = find_in_grid(grid, subject)
    assert header == "Referral"
    assert find_in_grid(grid, comment) == [(subject_row, "Comments", comment)], "the home page does not show the feedback"
    shot(officer, backend, "6-officer-home")

    # One click on the row opens the referral's thread: each agency's status and feedback (issue 17).
    click_grid_row(grid, subject_row)
    wait_for_app_run(officer)
    expect(officer).to_have_url(re.compile(r"/my_referrals\?referral=\d+"))
    main = officer.get_by_test_id("stMain")
    expect(main.get_by_role("heading", name=subject)).to_be_visible()
    expect(main.get_by_text("Where it stands with each agency", exact=True)).to_be_visible()
    answers = main.get_by_test_id("stDataFrame").filter(has=officer.locator("th", has_text="What they did"))
    assert find_in_grid(answers, comment) == [(2, "What they did", comment)]
    shot(officer, backend, "6b-officer-thread-from-home")


def test_enter_in_the_indicator_search_ticks_one_match(page: Page, app_server: AppServer) -> None:
    """Issue 17 bug 1: typing "workers" then Enter ticked every fuzzy match (9 indicators, 9 agencies)."""
    sign_in_as(page, "officer")
    open_page(page, "Submit intelligence")
    box = widget(page.get_by_test_id("stMain"), "stMultiSelect", "Golden indicators you saw")
    box.get_by_role("combobox").click()
    page.keyboard.type("workers")
    page.keyboard.press("Enter")
    wait_for_app_run(page)
    page.keyboard.press("Escape")
    expect(box.locator("[data-tag]")).to_have_count(1)
    send_to = widget(page.get_by_test_id("stMain"), "stMultiSelect", "Send to")
    expect(send_to.locator("[data-tag]")).to_have_count(1)


def test_chair_agenda_lists_overdue_feedback(page: Page, app_server: AppServer, tmp_path: Path) -> None:
    backend = app_server.backend
    chair = page
    sign_in_as(chair, "chair")
    overview = chair.get_by_test_id("stLayoutWrapper").filter(
        has=chair.get_by_role("heading", name="Across the partnership")
    ).last
    owed = int(metric(overview, "Referrals with overdue feedback").inner_text())
    assert owed > 0, "the demo should have referrals with overdue feedback"

    open_page(chair, "Meetings")
    main = chair.get_by_test_id("stMain")
    choose(main, "Board", BOARD)
    wait_for_app_run(chair)
    meeting = widget(main, "stSelectbox", "Meeting").get_by_role("combobox")
    # The next planned (or live) meeting is preselected; if another test closed it, take any open one.
    if meeting.input_value().endswith("· closed"):
        meeting.click()
        options = chair.get_by_role("option")
        expect(options.first).to_be_visible()
        texts = options.all_inner_texts()
        open_one = next((t for t in texts if not t.strip().endswith("· closed")), None)
        if open_one is not None:
            options.filter(has_text=open_one.strip()).first.click()
            wait_for_app_run(chair)
        else:
            chair.keyboard.press("Escape")
    expect(metric(main, "Status")).to_be_visible()
    status = metric(main, "Status").inner_text().strip()

    if status != "closed":
        chair.get_by_role("button", name="Build or refresh the agenda").click()
        wait_for_app_run(chair)
        expect_no_error(chair, "chair after building the agenda")
        grid = main.get_by_test_id("stDataFrame")
        expect(grid).to_be_visible()
        # After a meeting closed with this item not discussed, the next agenda also has the carried one (older count).
        found = find_in_grid(grid, OVERDUE_ITEM)
        assert {header for _, header, _ in found} == {"Item"}
        titles = [title for _, _, title in found]
        assert f"{OVERDUE_ITEM}: {owed}" in titles, f"agenda items {titles}; the chair's home page counts {owed} overdue"
        shot(chair, backend, "7-chair-agenda")
    else:
        shot(chair, backend, "7-chair-agenda-closed")

    # The minutes (a draft until the meeting closes) carry the item too.
    with chair.expect_download() as info:
        chair.get_by_role("button", name="Minutes (Markdown)").click()
    path = tmp_path / info.value.suggested_filename
    info.value.save_as(path)
    md = path.read_text(encoding="utf-8")
    item = rf"^### \d+\. {re.escape(OVERDUE_ITEM)}: [1-9]\d*$"
    assert re.search(item, md, re.M), f"no overdue-feedback item in the minutes:\n{md}"
