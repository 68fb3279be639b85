"""A board meeting run from the presenter view on two screens: the chair's and a member's, each in its own browser.

The Tasking Group's named chair is a visit coordinator (issue 17 bug 3): he builds the agenda, starts the meeting
and walks it from the presenter view (1920x1080): "Next", the right-arrow key and the agenda's jump list; the
member's screen follows by itself (the live view refreshes every second). What either records shows on the
other's screen without them doing anything; the chair hides the recording panel to show the item alone, then
closes the meeting and downloads the minutes.

The seeded database is shared with the other browser tests of the backend (they only sign in and
look), so this test uses the board's next planned meeting whatever ran before it, and closes the
meeting again if it fails half way (a live meeting would change what "Live meeting" shows them).

Screenshots: artefacts/screenshots/<backend>/live-*.png; minutes: artefacts/downloads/<backend>/.
"""
from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from core.minutes import DRAFT_MARK
from core.services import accounts, actions, meetings
from core.store import Store
from tests.browser.conftest import DEFAULT_TIMEOUT_MS, ROOT, SCREENSHOTS, AppServer, wait_for_app_loaded, wait_for_app_run
from tests.browser.test_browser import expect_no_error, follow_nav_link, screenshot, sign_in

pytestmark = pytest.mark.browser

BOARD = "Kingsmere Tasking Group"
CHAIR, MEMBER = "coordinator", "kiran.patel"  # Daniel Okafor (Licensing) chairs; Kiran Patel (Food Safety) is a member
CHAIR_NAME, MEMBER_NAME = "Daniel Okafor", "Kiran Patel"
ACTION_KINDS = ("action overdue", "milestone overdue", "action due")
FOLLOW_MS = 10_000  # the live view refreshes every second: another screen's change shows well within this
PRESENTER = {"width": 1920, "height": 1080}  # the projector
DOWNLOADS = ROOT / "artefacts" / "downloads"


# --- the store, read directly (to choose an item and to tidy up; every check is on the screen) ---


@dataclass(frozen=True)
class Agenda:
    meeting_id: int
    label: str  # as the Meetings page lists it, e.g. "Wed 02 Dec 2026, 10:00 · planned"
    status: str
    items: list[dict]  # meetings.view(...).items
    member_edits: set[int]  # action ids the member may update
    when: datetime  # when it is scheduled


def read_agenda(server: AppServer) -> Agenda | None:
    """The board's next (or live) meeting as the store has it; None if the board has none."""
    store = Store(server.database_url, migrate=False)
    try:
        with store.read() as s:
            chair = accounts.load_actor(s.session, CHAIR)
            member = accounts.load_actor(s.session, MEMBER)
            assert chair is not None and member is not None
            board = next(b for b in meetings.boards(s, actor=chair) if b["name"] == BOARD)
            meeting_id = meetings.next_meeting_id(s, actor=chair, board_id=board["id"])
            if meeting_id is None:
                return None
            v = meetings.view(s, actor=chair, meeting_id=meeting_id)
            edits = {i["action_id"] for i in v.items
                     if i["action_id"] and actions.action_detail(s, actor=member, action_id=i["action_id"])["can_edit"]}
            return Agenda(meeting_id, f"{v.when:%a %d %b %Y, %H:%M} · {v.status}", v.status, v.items, edits, v.when)
    finally:
        store.dispose()


def close_if_live(server: AppServer) -> None:
    store = Store(server.database_url, migrate=False)
    try:
        with store.read() as s:
            chair = accounts.load_actor(s.session, CHAIR)
            board = next(b for b in meetings.boards(s, actor=chair) if b["name"] == BOARD)
            meeting_id = meetings.next_meeting_id(s, actor=chair, board_id=board["id"])
            live = meeting_id is not None and meetings.view(s, actor=chair, meeting_id=meeting_id).status == "live"
        if live:
            with store.uow() as uow:
                meetings.close(uow, actor=chair, meeting_id=meeting_id)
    finally:
        store.dispose()


# --- fixtures ------------------------------------------------------------------------------------


@pytest.fixture
def member_page(chromium: Browser, app_server: AppServer, request: pytest.FixtureRequest) -> Iterator[Page]:
    """The member's screen: a second browser context (its own cookies), beside the chair's `page`.

    On a failure it keeps a screenshot of this screen too (conftest keeps the chair's), and closes
    the meeting if it was left live, so the other browser tests see no live meeting.
    """
    failed_before = request.session.testsfailed
    context = chromium.new_context(viewport={"width": 1366, "height": 900}, base_url=app_server.url)
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    pg = context.new_page()
    try:
        pg.goto(app_server.url)
        wait_for_app_loaded(pg)
        yield pg
    finally:
        if request.session.testsfailed > failed_before:
            path = SCREENSHOTS / app_server.backend / f"FAILED-{request.node.name.replace('[', '-').rstrip(']')}-member.png"
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                pg.screenshot(path=str(path), full_page=True)
            except Exception:  # noqa: BLE001 - a broken page must not hide the real failure
                pass
        context.close()
        close_if_live(app_server)


# --- helpers -------------------------------------------------------------------------------------


def open_page(page: Page, title: str) -> None:
    follow_nav_link(page, title)


def pick(page: Page, combo: Locator, option: str, picked: Callable[[], None], attempts: int = 3) -> None:
    """Open a select box's list, filter it to the one option containing `option`, click it, check `picked`.

    Typing filters the list, so the click never lands on a list still being filtered (long lists are
    also virtualised). Now and then (under load) the list does not open, or the click on the option is
    not taken, when the page has just rerun or moved: then close the list and try again.
    """
    match = page.get_by_role("option").filter(has_text=option)
    for attempt in range(attempts):
        try:
            combo.click()
            combo.press_sequentially(option)
            expect(match).to_have_count(1, timeout=3_000)
            match.click()
            picked()
            return
        except AssertionError:
            if attempt == attempts - 1:
                raise
            print(f"pick {option!r}: not taken on attempt {attempt + 1}, trying again")  # shown if the test fails
            combo.press("Escape")
            wait_for_app_run(page)


def choose(page: Page, scope: Locator, label: str, option: str) -> None:
    """Pick the option containing `option` in the selectbox labelled `label`."""
    combo = scope.get_by_test_id("stSelectbox").filter(has=page.get_by_text(label, exact=True)).get_by_role("combobox")
    pick(page, combo, option, lambda: expect(combo).to_have_value(re.compile(re.escape(option)), timeout=3_000))


def set_date(scope: Locator, label: str, day: date) -> None:
    """Type a date into a DD/MM/YYYY date input (its day, month and year are separate spin buttons)."""
    scope.get_by_role("spinbutton", name=f"day, {label}").click()
    scope.page.keyboard.type(f"{day:%d%m%Y}")
    for part, value in (("day", day.day), ("month", day.month), ("year", day.year)):
        expect(scope.get_by_role("spinbutton", name=f"{part}, {label}")).to_have_attribute("aria-valuenow", str(value))


def metric(page: Page, label: str) -> Locator:
    return page.get_by_test_id("stMetric").filter(has=page.get_by_text(label, exact=True)).get_by_test_id("stMetricValue")


def progress(page: Page) -> Locator:
    return page.get_by_test_id("stProgress")


def press_next(chair: Page, position: int, n_items: int) -> None:
    """The chair presses "Next" and the screen shows item `position`.

    Under load a rerun can leave the old copy of the page in place beside the new one (two "Next"
    buttons for a moment, or a click taken by the copy being removed): wait for one button, and press
    again only if the screen is still on the item before.
    """
    button = chair.locator(".st-key-next button")
    for attempt in range(3):
        expect(button).to_have_count(1)
        button.click()
        wait_for_app_run(chair)
        try:
            expect(progress(chair)).to_contain_text(f"item {position} of {n_items}", timeout=5_000)
            return
        except AssertionError:
            if attempt == 2 or f"item {position - 1} of" not in progress(chair).inner_text():
                raise


def big_title(page: Page) -> Locator:
    """The current item's title, in large type on the shared screen."""
    return page.get_by_test_id("presenter-title")


def facts(page: Page) -> Locator:
    """The line under the title: the item's kind, whether carried, its state and tier."""
    return page.get_by_test_id("presenter-facts")


def card(page: Page) -> Locator:
    """The item's action as a card: owner, status, due, milestones, progress, what changed since the last meeting."""
    return page.get_by_test_id("presenter-card")


def decision_shown(page: Page) -> Locator:
    return page.get_by_test_id("presenter-decision")


def jump_to(chair: Page, index: int, position: int, n_items: int) -> None:
    """The chair picks item `position` (the index-th) in the agenda beside the item."""
    chair.get_by_role("radiogroup").locator("label").nth(index).click()
    wait_for_app_run(chair)
    expect(progress(chair)).to_contain_text(f"item {position} of {n_items}")


def action_header(page: Page) -> Locator:
    """The line under the action's title in the action editor: RAG, due, ..., "version N"."""
    return page.get_by_test_id("stMarkdownContainer").filter(has_text=re.compile(r"· version \d+$"))


def version_of(page: Page) -> int:
    text = action_header(page).first.inner_text()
    return int(re.search(r"version (\d+)", text).group(1))


def history_count(page: Page) -> int:
    text = page.get_by_test_id("stExpander").filter(has_text="History (").first.inner_text()
    return int(re.search(r"History \((\d+) updates\)", text).group(1))


def shot(page: Page, backend: str, name: str) -> None:
    screenshot(page, backend, f"live-{name}")


# --- the test ------------------------------------------------------------------------------------


def test_board_meeting_on_two_screens(page: Page, member_page: Page, app_server: AppServer) -> None:
    chair, member, backend = page, member_page, app_server.backend
    token = secrets.token_hex(3)
    decision = f"Agreed: write to the operator and report back ({token})"
    note = f"Letter sent; reply expected next week ({token})"
    new_action = f"Joint licensing review of late-night takeaways ({token})"

    agenda = read_agenda(app_server)
    assert agenda is not None and agenda.status == "planned", f"{BOARD} needs a planned next meeting, found {agenda}"

    # 1. The chair: Meetings, the board, its next planned meeting preselected; agenda; attendance; start.
    chair.set_viewport_size(PRESENTER)
    sign_in(chair, CHAIR)
    expect(chair.get_by_test_id("stSidebar").get_by_role("button", name="Sign out")).to_be_visible()
    open_page(chair, "Meetings")
    choose(chair, chair.get_by_test_id("stMain"), "Board", BOARD)
    wait_for_app_run(chair)
    meeting = chair.get_by_test_id("stSelectbox").filter(has=chair.get_by_text("Meeting", exact=True)).get_by_role("combobox")
    expect(meeting).to_have_value(agenda.label)  # the next planned meeting is preselected
    expect(metric(chair, "Status")).to_have_text("planned")
    chair.get_by_role("button", name="Build or refresh the agenda").click()
    wait_for_app_run(chair)
    expect_no_error(chair, "chair after building the agenda")
    expect(metric(chair, "Agenda items")).not_to_have_text("0")
    expect(chair.get_by_test_id("stDataFrame")).to_be_visible()
    expect(chair.get_by_text("The agenda is empty")).to_have_count(0)
    n_items = int(metric(chair, "Agenda items").inner_text())
    agenda = read_agenda(app_server)
    assert agenda is not None and len(agenda.items) == n_items

    chair.get_by_test_id("stExpander").filter(has_text="Attendance").locator("summary").click()
    present = chair.get_by_test_id("stMultiSelect").filter(has=chair.get_by_text("Present", exact=True))
    for name in (CHAIR_NAME, MEMBER_NAME):
        pick(chair, present.get_by_role("combobox"), name, lambda: expect(present).to_contain_text(name, timeout=3_000))  # noqa: B023
        chair.keyboard.press("Escape")
        wait_for_app_run(chair)  # each change to the multiselect reruns the page
    chair.get_by_role("button", name="Save attendance").click()
    wait_for_app_run(chair)
    expect(metric(chair, "Present / quorum")).to_have_text(re.compile(r"^2 / \d+$"))
    shot(chair, backend, "chair-agenda")

    chair.get_by_role("button", name="Start the meeting").click()
    wait_for_app_run(chair)
    if meetings.off_schedule(agenda.when, datetime.now(timezone.utc)):
        # The demo board's next meeting is 10 days on: the chair is told, and starts it anyway (issue 17 bug 4).
        dialog = chair.get_by_role("dialog")
        expect(dialog).to_contain_text("days from now")
        shot(chair, backend, "chair-start-early")
        dialog.get_by_role("button", name="Start it now").click()
        wait_for_app_run(chair)
    expect_no_error(chair, "chair after starting the meeting")
    expect(progress(chair)).to_contain_text(f"item 1 of {n_items}")
    expect(chair.get_by_test_id("stMain").get_by_text(BOARD, exact=True)).to_be_visible()
    expect(big_title(chair)).to_have_text(agenda.items[0]["title"])
    shot(chair, backend, "chair-item-1")

    # 2. The member, on the other screen, sees the same item.
    sign_in(member, MEMBER)
    expect(member.get_by_test_id("stSidebar").get_by_role("button", name="Sign out")).to_be_visible()
    wait_for_app_run(member, quiet_ms=1000)  # signing in reruns several times: let them end before moving on
    open_page(member, "Live meeting")
    expect(progress(member)).to_contain_text(f"item 1 of {n_items}")
    expect(big_title(member)).to_have_text(big_title(chair).inner_text())
    # Only the chair moves the screen: the member has no Next and no jump list, and sees the agenda as text.
    expect(member.locator(".st-key-next")).to_have_count(0)
    expect(member.get_by_test_id("stRadio")).to_have_count(0)
    expect(member.get_by_test_id("stMain").get_by_text("Agenda", exact=True)).to_be_visible()

    # 3. The chair moves on; the member's screen follows by itself.
    press_next(chair, 2, n_items)
    second = big_title(chair).inner_text()
    assert second == agenda.items[1]["title"]
    expect(progress(member)).to_contain_text(f"item 2 of {n_items}", timeout=FOLLOW_MS)
    expect(big_title(member)).to_have_text(second, timeout=FOLLOW_MS)
    wait_for_app_run(member)
    shot(member, backend, "member-item-2")

    # 4. The member records a decision; it shows on the chair's screen.
    record = member.get_by_test_id("stForm").filter(has_text="Record against this item")
    record.get_by_label("Decision").fill(decision)
    record.get_by_role("button", name="Save", exact=True).click()
    wait_for_app_run(member)
    expect_no_error(member, "member after recording a decision")
    expect(decision_shown(chair)).to_contain_text(decision, timeout=FOLLOW_MS)
    shot(chair, backend, "chair-decision")

    # 5. An action the member may update: the chair goes to it, the member adds a progress note.
    target = next((i for i in agenda.items if i["position"] > 2 and i["kind"] in ACTION_KINDS
                   and i["action_id"] in agenda.member_edits), None)
    assert target is not None, f"no item after the second with an action {MEMBER} may update: {agenda.items}"
    # The right-arrow key moves on (the chair's keyboard Next); the agenda beside the item jumps to the target.
    chair.evaluate("document.activeElement && document.activeElement.blur()")  # the page has the focus, no text box
    chair.keyboard.press("ArrowRight")
    wait_for_app_run(chair)
    expect(progress(chair)).to_contain_text(f"item 3 of {n_items}")
    expect(progress(member)).to_contain_text(f"item 3 of {n_items}", timeout=FOLLOW_MS)
    if target["position"] != 3:
        jump_to(chair, agenda.items.index(target), target["position"], n_items)
    expect(big_title(chair)).to_have_text(target["title"])
    expect(big_title(member)).to_have_text(target["title"], timeout=FOLLOW_MS)
    wait_for_app_run(member)
    expect(facts(chair)).to_contain_text(target["kind"])
    quick = member.get_by_test_id("stForm").filter(has_text="Quick update")
    expect(quick).to_be_visible()
    version, history = version_of(chair), history_count(chair)
    assert version_of(member) == version
    quick.get_by_label("Progress note").fill(note)
    quick.get_by_role("button", name="Save update").click()
    wait_for_app_run(member)
    expect_no_error(member, "member after the progress note")
    expect(action_header(member)).to_contain_text(f"version {version + 1}")
    expect(member.get_by_text(f"History ({history + 1} updates)")).to_be_visible()
    shot(member, backend, "member-action-updated")
    # The chair's screen shows the action as it stands after its refresh, without the chair doing anything: the
    # card's progress note (refreshed every second with the rest), and it is listed as changed since the last meeting.
    expect(card(chair)).to_contain_text(f"{note} ({MEMBER_NAME},", timeout=FOLLOW_MS)
    expect(card(member)).to_contain_text(f"{MEMBER_NAME}: {note}")
    shot(chair, backend, "chair-action-updated")
    # (The full editor under it, with "version N" and the history, is drawn outside the refreshing part
    # and catches up on the chair's next full rerun; its form is keyed by version, so a stale save is
    # reported as a conflict, not lost. Checked after step 6.)

    # 6. The chair records a new action agreed on this item.
    form = chair.get_by_test_id("stForm").filter(has_text="New action agreed on this item")
    form.get_by_label("Action").fill(new_action)
    choose(chair, form, "Owner", MEMBER_NAME)
    choose(chair, form, "Owning agency", "Food Safety")
    due = date.today() + timedelta(days=30)
    set_date(form, "Due", due)
    choose(chair, form, "Strand", "Prevent")
    form.get_by_role("button", name="Add action").click()
    wait_for_app_run(chair)
    expect_no_error(chair, "chair after adding an action")
    expect(decision_shown(chair)).to_contain_text(f"New action: {new_action}")
    expect(decision_shown(member)).to_contain_text(f"New action: {new_action}", timeout=FOLLOW_MS)
    # The screen stays on the item the action was agreed on (the chair did not move on) ...
    shown = big_title(chair).inner_text()
    assert shown == target["title"], f"the live screen shows {shown!r}, not the item the action was agreed on"
    # ... and adding the action reran the chair's whole page: its editor too shows the member's update.
    expect(action_header(chair)).to_contain_text(f"version {version + 1}")
    expect(chair.get_by_text(f"History ({history + 1} updates)")).to_be_visible()
    shot(chair, backend, "chair-new-action")
    shot(member, backend, "member-new-action")

    # 7. For the projector the chair hides the recording panel: the item alone fills the screen.
    chair.get_by_test_id("stCheckbox").filter(has_text="Recording panel").locator("label").click()
    wait_for_app_run(chair)
    expect(chair.get_by_test_id("stForm")).to_have_count(0)
    expect(big_title(chair)).to_have_text(target["title"])
    shot(chair, backend, "presenter-1920")

    # 8. The chair closes the meeting and downloads the minutes.
    open_page(chair, "Meetings")
    expect(metric(chair, "Status")).to_have_text("live")
    chair.get_by_role("button", name="Close the meeting").click()
    dialog = chair.get_by_role("dialog")
    expect(dialog).to_contain_text("The record will be frozen")
    dialog.get_by_role("button", name="Close and freeze").click()
    wait_for_app_run(chair)
    expect(metric(chair, "Status")).to_have_text("closed")
    expect(meeting).to_have_value(agenda.label.replace("· planned", "· closed"))
    expect(chair.get_by_role("button", name="Close the meeting")).to_have_count(0)
    expect(member.get_by_text("No meeting is live")).to_be_visible(timeout=FOLLOW_MS)

    folder = DOWNLOADS / backend
    folder.mkdir(parents=True, exist_ok=True)
    files = {}
    for label in ("Minutes (PDF)", "Minutes (Markdown)"):
        # Closing reruns the page: for a moment the old copy of a button may sit beside the new one.
        expect(chair.get_by_role("button", name=label)).to_have_count(1)
        with chair.expect_download() as info:
            chair.get_by_role("button", name=label).click()
        download = info.value
        files[label] = folder / download.suggested_filename
        download.save_as(files[label])
        wait_for_app_run(chair)
    pdf = files["Minutes (PDF)"].read_bytes()
    assert pdf.startswith(b"%PDF"), pdf[:40]
    md = files["Minutes (Markdown)"].read_text(encoding="utf-8")
    assert "OFFICIAL" in md
    assert decision in md
    assert new_action in md
    assert "**Present (2):**" in md, "the attendance the chair saved is not in the minutes"
    assert DRAFT_MARK not in md, "the minutes of a closed meeting are still marked as a draft"
    shot(chair, backend, "chair-closed")

