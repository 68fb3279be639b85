"""Meeting minutes in Markdown, DOCX and PDF: the same record, marked, in order, in every format."""
from __future__ import annotations

import io
import shutil
import subprocess
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

import pytest

from core.domain import TIERS
from core.minutes import (
    DEMO_MARK,
    DRAFT_MARK,
    Minutes,
    MinutesAction,
    MinutesItem,
    filename,
    to_docx,
    to_markdown,
    to_pdf,
)

MARK = "OFFICIAL-SENSITIVE"
UNICODE_DECISION = "Refer to café owner – “urgent” £250 fine; officer’s note 🚓👍🏽 ✓ ł Ω → done…"

ACTIONS_2 = (
    MinutesAction("Joint visit to Harbour Street takeaways", "Priya Shah", "Trading Standards", date(2026, 12, 16), "not started"),
    MinutesAction("Share licensing history with Police", "", "Licensing", date(2027, 1, 8), "not started"),
)
ACTIONS_3 = (MinutesAction("Analyst profile of Westgate nail bars", "Sam O'Neill", "Immigration Enforcement", date(2027, 1, 20), "not started"),)
ITEMS = (
    MinutesItem(1, "apologies", "Welcome and apologies", "", "", None, "discussed"),
    MinutesItem(2, "action_review", "Harbour Street off-licence: underage sales",
                "Test purchase on 12 Nov failed.\nLicence review requested.", "Escalate to the licensing sub-committee.",
                1, "discussed", ACTIONS_2),
    MinutesItem(3, "tasking", "Nail bars in Westgate", "GLAA intelligence suggests labour exploitation.",
                "Develop further knowledge before any visit.", 3, "discussed", ACTIONS_3),
    MinutesItem(4, "action_review", "Fly-tipping hotspot at Mill Lane", "Not reached.", "", 4, "carried"),
)
MINUTES = Minutes(
    partnership="Kingsmere Partnership", board="Kingsmere Partnership Board", classification=MARK,
    scheduled_at=datetime(2026, 12, 2, 10, 0), location="Kingsmere Civic Centre, Room 2", chair="Dana Moore",
    quorum=3,
    present=(("Dana Moore", "Police"), ("Priya Shah", "Trading Standards"), ("Sam O'Neill", "Immigration Enforcement")),
    apologies=(("Lee Chan", "HMRC"),),
    items=ITEMS, closed_at=datetime(2026, 12, 2, 11, 42), demo=True,
)
PRESENT = ["Dana Moore", "Priya Shah", "Sam O'Neill"]
DECISIONS = ["Escalate to the licensing sub-committee.", "Develop further knowledge before any visit."]
OWNERS = ["Priya Shah", "Unassigned", "Sam O'Neill"]


def in_order(text: str, *parts: str) -> None:
    """Every part occurs in `text`, each after the previous one."""
    at = 0
    for part in parts:
        found = text.find(part, at)
        assert found >= 0, f"{part!r} missing (or out of order) after position {at}"
        at = found + len(part)


def test_quorate() -> None:
    assert MINUTES.quorate
    assert not replace(MINUTES, quorum=4).quorate


# --- Markdown -----------------------------------------------------------------------------------


def test_markdown_has_everything_in_order() -> None:
    md = to_markdown(MINUTES)
    assert md.startswith(f"**{MARK}**")
    assert md.rstrip().endswith(f"**{MARK}**")
    assert DEMO_MARK in md and DRAFT_MARK not in md
    in_order(
        md,
        "Kingsmere Partnership Board", "Wednesday 2 December 2026, 10:00", "Kingsmere Civic Centre, Room 2", "Dana Moore",
        "Closed Wednesday 2 December 2026, 11:42",
        "Attendance", "Present (3)", "Dana Moore (Police)", "Priya Shah (Trading Standards)",
        "Sam O'Neill (Immigration Enforcement)", "Apologies (1)", "Lee Chan (HMRC)", "Quorum", "3 required, 3 present: quorate",
        "### 1. Welcome and apologies",
        "### 2. Harbour Street off-licence: underage sales", "Test purchase on 12 Nov failed.", "Licence review requested.",
        "Escalate to the licensing sub-committee.", f"Tier 1 - {TIERS[1]}", "Joint visit to Harbour Street takeaways",
        "Priya Shah", "Trading Standards", "16 Dec 2026", "Share licensing history with Police", "Unassigned", "Licensing",
        "### 3. Nail bars in Westgate", "Develop further knowledge before any visit.", f"Tier 3 - {TIERS[3]}",
        "Analyst profile of Westgate nail bars", "Sam O'Neill",
        "### 4. Fly-tipping hotspot at Mill Lane", "Carried to next meeting", f"Tier 4 - {TIERS[4]}",
        "## Actions agreed", "| Item | Action | Owner | Agency | Due | Status |",
        "| 2 | Joint visit to Harbour Street takeaways | Priya Shah | Trading Standards | 16 Dec 2026 | not started |",
        "| 2 | Share licensing history with Police | Unassigned |",
        "| 3 | Analyst profile of Westgate nail bars | Sam O'Neill |",
        MARK,
    )


def test_markdown_draft_not_quorate_and_no_actions() -> None:
    m = replace(MINUTES, closed_at=None, demo=False, quorum=5, items=(ITEMS[0], ITEMS[3]))
    md = to_markdown(m)
    assert md.count(DRAFT_MARK) >= 2  # top and bottom
    assert DEMO_MARK not in md
    assert "3 required" not in md and "5 required, 3 present: NOT quorate" in md
    assert "No new actions were agreed." in md


def test_markdown_table_cells_cannot_break_the_table() -> None:
    item = replace(ITEMS[1], new_actions=(replace(ACTIONS_2[0], title="Check A | B\nthen C"),))
    md = to_markdown(replace(MINUTES, items=(item,)))
    assert "| Check A \\| B then C | Priya Shah |" in md


def test_empty_classification_falls_back_to_official() -> None:
    md = to_markdown(replace(MINUTES, classification=" "))
    assert md.startswith("**OFFICIAL**")


# --- file names ---------------------------------------------------------------------------------


def test_filename_is_safe() -> None:
    m = replace(MINUTES, board="Kingsmere Partnership Board")
    assert filename(m, "pdf") == "minutes-kingsmere-partnership-board-2026-12-02.pdf"
    assert filename(m, ".DOCX") == "minutes-kingsmere-partnership-board-2026-12-02.docx"
    odd = filename(replace(MINUTES, board="../Café / Board: “Tasking” 🚓"), "m/d")
    assert odd == "minutes-cafe-board-tasking-2026-12-02.md"
    assert filename(replace(MINUTES, board="🚓"), "pdf") == "minutes-board-2026-12-02.pdf"


# --- DOCX ---------------------------------------------------------------------------------------


def _docx_text(data: bytes) -> tuple[str, str, str, str]:
    from docx import Document

    doc = Document(io.BytesIO(data))
    section = doc.sections[0]
    header = "\n".join(p.text for p in section.header.paragraphs)
    footer = "\n".join(p.text for p in section.footer.paragraphs)
    body = "\n".join(p.text for p in doc.paragraphs)
    tables = "\n".join(" | ".join(c.text for c in row.cells) for t in doc.tables for row in t.rows)
    return header, footer, body, tables


def test_docx_opens_and_carries_the_record() -> None:
    data = to_docx(MINUTES)
    assert data[:2] == b"PK"
    header, footer, body, tables = _docx_text(data)
    assert MARK in header and DEMO_MARK in header and MARK in footer
    assert DRAFT_MARK not in header + body
    assert MARK in body.splitlines()[-1]  # bottom of the document, as well as every page's footer
    for name in PRESENT:
        assert name in tables
    assert "Police" in tables and "Lee Chan (HMRC)" in body
    assert "3 required, 3 present: quorate" in body
    in_order(body, "Welcome and apologies", "Harbour Street off-licence", DECISIONS[0], TIERS[1],
             "Nail bars in Westgate", DECISIONS[1], "Fly-tipping hotspot", "Carried to next meeting", "Actions agreed")
    for owner in OWNERS:
        assert owner in tables
    assert "Share licensing history with Police | Unassigned | Licensing | 8 Jan 2027" in tables


def test_docx_draft_and_unicode() -> None:
    item = replace(ITEMS[1], decision=UNICODE_DECISION + "\x07\x00")
    header, _, body, _ = _docx_text(to_docx(replace(MINUTES, closed_at=None, items=(item,))))
    assert DRAFT_MARK in header and DRAFT_MARK in body
    assert UNICODE_DECISION in body


# --- PDF ----------------------------------------------------------------------------------------

PDFTOTEXT = shutil.which("pdftotext")
needs_pdftotext = pytest.mark.skipif(
    PDFTOTEXT is None, reason="pdftotext not installed (apt-get install -y poppler-utils); PDF text checks skipped"
)


def pdf_pages(data: bytes, tmp_path: Path) -> list[str]:
    path = tmp_path / "minutes.pdf"
    path.write_bytes(data)
    out = subprocess.run([PDFTOTEXT, "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return [page for page in out.split("\f") if page.strip()]


def many_items(n: int) -> tuple[MinutesItem, ...]:
    return tuple(
        MinutesItem(i, "action_review", f"Agenda item number {i}", f"Notes for item {i}. " * 8, f"Decision {i}: agreed.",
                    (i % 5) + 1, "carried" if i == n else "discussed",
                    (MinutesAction(f"Follow-up action {i}", f"Owner {i}", "Police", date(2027, 1, 1), "not started"),))
        for i in range(1, n + 1)
    )


def test_pdf_starts_with_pdf_header() -> None:
    assert to_pdf(MINUTES).startswith(b"%PDF")


@needs_pdftotext
def test_pdf_marks_every_page_of_long_minutes(tmp_path: Path) -> None:
    m = replace(MINUTES, items=many_items(60), closed_at=None)
    pages = pdf_pages(to_pdf(m), tmp_path)
    assert len(pages) > 3
    for number, page in enumerate(pages, 1):
        lines = [line.strip() for line in page.splitlines() if line.strip()]
        assert lines[0] == MARK, f"page {number} header"
        assert MARK in lines[-1], f"page {number} footer"
        assert f"Page {number} of {len(pages)}" in lines[-1]
        assert DEMO_MARK in page and DRAFT_MARK in page, f"page {number}"
    text = "\n".join(pages)
    in_order(text, "Agenda item number 1", "Decision 1: agreed.", "Agenda item number 59", "Agenda item number 60",
             "Carried to next meeting", "Actions agreed", "Follow-up action 1", "Follow-up action 60")
    assert "Owner 60" in pages[-1]


@needs_pdftotext
def test_pdf_carries_the_record(tmp_path: Path) -> None:
    text = "\n".join(pdf_pages(to_pdf(MINUTES), tmp_path))
    in_order(text, MARK, DEMO_MARK, "Minutes: Kingsmere Partnership Board", "Wednesday 2 December 2026, 10:00",
             "Kingsmere Civic Centre, Room 2", "Attendance", "Dana Moore", "Police", "Lee Chan (HMRC)",
             "3 required, 3 present: quorate", "Welcome and apologies", DECISIONS[0], TIERS[1], "Priya Shah",
             DECISIONS[1], "Fly-tipping hotspot", "Carried to next meeting", "Actions agreed", "Analyst profile")
    assert DRAFT_MARK not in text


@needs_pdftotext
def test_pdf_unicode_decision_renders(tmp_path: Path) -> None:
    item = replace(ITEMS[1], title="Café – “Ł” review", decision=UNICODE_DECISION, notes="tab\there\r\nnext\x00line")
    text = "\n".join(pdf_pages(to_pdf(replace(MINUTES, items=(item,))), tmp_path))
    assert "café owner – “urgent” £250 fine; officer’s note" in text
    assert "Café – “Ł” review" in text


@needs_pdftotext
def test_pdf_without_dejavu_falls_back_to_latin1(tmp_path: Path) -> None:
    item = replace(ITEMS[1], decision=UNICODE_DECISION)
    data = to_pdf(replace(MINUTES, items=(item,)), font_dirs=())
    text = "\n".join(pdf_pages(data, tmp_path))
    assert b"DejaVu" not in data
    assert "café owner - \"urgent\" £250 fine; officer's note" in text
    assert MARK in text


def test_pdf_never_raises_on_odd_text() -> None:
    odd = "".join(chr(c) for c in (0x1F600, 0x200D, 0xFE0F, 0x0301, 0x4E2D, 0x0627, 0xD7FF, 0x10FFFD, 0x2028)) + "\x1b"
    item = replace(ITEMS[1], title=odd, notes=odd, decision=odd,
                   new_actions=(MinutesAction(odd, odd, odd, date(2027, 1, 1), odd),))
    m = replace(MINUTES, board=odd, partnership=odd, location=odd, chair=odd, classification=odd,
                present=((odd, odd),), apologies=((odd, odd),), items=(item,))
    for dirs in (None, ()):
        assert to_pdf(m, font_dirs=dirs).startswith(b"%PDF")
    assert to_docx(m)[:2] == b"PK"
    assert odd in to_markdown(m)


# --- what the meeting did (issue 17 bug 4) ------------------------------------------------------

HELD = replace(MINUTES, scheduled_at=datetime(2026, 12, 14, 10, 0), held_at=datetime(2026, 12, 4, 10, 2),
               closed_at=datetime(2026, 12, 4, 11, 40),
               items=(replace(ITEMS[1], updates=("10:31 Priya Shah: status not started → in progress; Test purchase booked",)),
                      *ITEMS[2:]))


def test_minutes_are_dated_the_day_the_meeting_was_held() -> None:
    md = to_markdown(HELD)
    assert "**Date:** Friday 4 December 2026, 10:02 (scheduled for Monday 14 December 2026, 10:00)" in md
    assert filename(HELD, "pdf") == "minutes-kingsmere-partnership-board-2026-12-04.pdf"
    same_day = replace(HELD, scheduled_at=datetime(2026, 12, 4, 10, 0))
    assert "**Date:** Friday 4 December 2026, 10:02\n" in to_markdown(same_day), "no 'scheduled for' when held that day"
    assert "**Date:** Wednesday 2 December 2026, 10:00" in to_markdown(MINUTES), "never started: the scheduled date"


def test_minutes_carry_the_action_updates_made_in_the_meeting() -> None:
    update = "10:31 Priya Shah: status not started → in progress; Test purchase booked"
    in_order(to_markdown(HELD), "Harbour Street off-licence", "Updated in the meeting", update, "Nail bars in Westgate")
    _, _, body, _ = _docx_text(to_docx(HELD))
    in_order(body, "Harbour Street off-licence", update, "Nail bars in Westgate")


def test_an_item_without_a_decision_says_nothing_about_one() -> None:
    quiet = replace(MINUTES, items=many_items(31)[:0] + tuple(replace(i, decision="") for i in many_items(31)))
    assert "None recorded" not in to_markdown(quiet).split("## Attendance")[1].split("## Actions agreed")[0]
    _, _, body, _ = _docx_text(to_docx(quiet))
    assert "Decision" not in body


@needs_pdftotext
def test_pdf_minutes_are_dated_when_held_and_carry_the_updates(tmp_path: Path) -> None:
    text = "\n".join(pdf_pages(to_pdf(HELD), tmp_path))
    in_order(text, "Friday 4 December 2026, 10:02", "scheduled for Monday 14 December 2026", "Harbour Street",
             "10:31 Priya Shah: status not started", "Nail bars")


def uneven_items(n: int) -> tuple[MinutesItem, ...]:
    """Items of uneven length, two in three without a decision: fields fall at every height of a page."""
    return tuple(MinutesItem(i, "action overdue", f"Agenda item number {i}", "Notes line. " * (3 + i % 11),
                             "" if i % 3 else f"Decision {i}", None, "discussed") for i in range(1, n + 1))


@needs_pdftotext
@pytest.mark.parametrize("items", range(5, 40, 3))
def test_no_pdf_page_holds_only_a_stray_label(tmp_path: Path, items: int) -> None:
    """A field that fell at the foot of a page put its label alone on one page and its value on the next."""
    m = replace(MINUTES, items=uneven_items(items))
    for number, page in enumerate(pdf_pages(to_pdf(m), tmp_path), 1):
        body = [line.strip() for line in page.splitlines() if line.strip() and MARK not in line
                and line.strip() != DEMO_MARK and not line.strip().startswith("Kingsmere Partnership Board, ")]
        assert len(" ".join(body)) > 20, f"{items} items: page {number} holds only {body}"
