"""iCalendar feed (RFC 5545 escaping, folding, CRLF, UTC) and the briefing sheet PDF read back."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from core.visits.exports import Briefing, CalendarEvent, Marker, TeamMember, briefing_pdf, escape_text, fold, to_ics
from tests.unit.test_minutes import needs_pdftotext, pdf_pages

BST = timezone(timedelta(hours=1))
START = datetime(2026, 7, 1, 10, 30, tzinfo=BST)


def _event(**kw) -> CalendarEvent:  # noqa: ANN003
    values = dict(uid="visit-7@partnership-hub", stamp=datetime(2026, 6, 1, 8, 0, tzinfo=timezone.utc), starts_at=START,
                  ends_at=START + timedelta(hours=2), summary="Joint visit: Kebab House, 1 High St",
                  location="Kebab House, 1 High St", description="Lead: Police\nTeam: Police; Fire", status="CONFIRMED")
    return CalendarEvent(**{**values, **kw})


def test_text_is_escaped() -> None:
    assert escape_text("a,b;c\\d\ne\r\nf") == "a\\,b\\;c\\\\d\\ne\\nf"


def test_lines_fold_at_75_octets_without_splitting_characters() -> None:
    line = "DESCRIPTION:" + "é" * 100 + "x" * 100
    folded = fold(line)
    pieces = folded.split("\r\n")
    assert all(len(p.encode("utf-8")) <= 75 for p in pieces)
    assert all(p.startswith(" ") for p in pieces[1:])
    assert "".join(p[1:] if i else p for i, p in enumerate(pieces)) == line
    assert fold("SHORT:1") == "SHORT:1"


def test_calendar_uses_crlf_utc_and_cancelled_status() -> None:
    ics = to_ics([_event(), _event(uid="visit-8@partnership-hub", status="CANCELLED", description="x" * 300)],
                 name="Joint visits: Police")
    assert ics.endswith("END:VCALENDAR\r\n")
    assert "\n" not in ics.replace("\r\n", ""), "every line ends CRLF"
    lines = ics.split("\r\n")
    assert lines[0] == "BEGIN:VCALENDAR" and "VERSION:2.0" in lines
    assert all(len(line.encode("utf-8")) <= 75 for line in lines)
    assert "DTSTART:20260701T093000Z" in lines and "DTEND:20260701T113000Z" in lines, "times converted to UTC"
    assert "DTSTAMP:20260601T080000Z" in lines
    assert "SUMMARY:Joint visit: Kebab House\\, 1 High St" in lines
    assert "DESCRIPTION:Lead: Police\\nTeam: Police\\; Fire" in lines
    assert ics.count("BEGIN:VEVENT") == 2 and "STATUS:CANCELLED" in lines
    with pytest.raises(ValueError, match="naive"):
        to_ics([_event(starts_at=datetime(2026, 7, 1, 10))], name="x")


TEAM = (TeamMember("Kingsmere Police", 3, "Execute warrant; officer safety.", "confirmed", "Tasking desk", "desk@police.example", "101"),
        TeamMember("Trading Standards", 2, "Seize illicit tobacco.", "pending", "TS desk", "ts@example.test", "01632 1"))
BRIEFING = Briefing(
    partnership="Kingsmere Partnership", demo=True, visit_id=42, premises="Kebab House, 1 High Street",
    starts_at=datetime(2026, 7, 1, 9, 30, tzinfo=timezone.utc), ends_at=datetime(2026, 7, 1, 11, 30, tzinfo=timezone.utc),
    status="confirmed", approach="enforcement", operation="Operation Lantern", lead="Kingsmere Police",
    entry_route="Kingsmere Police leads: needs a warrant (PACE s8).", team=TEAM,
    officers=(("Dana Moore", "Kingsmere Police"), ("Lee Chan", "Trading Standards")),
    markers=(Marker("violence", "Manager", "Aggressive towards officers.", "Food Safety"),),
    notes="Dog on the premises.",
)


@needs_pdftotext
def test_briefing_sheet_is_marked_and_carries_the_team(tmp_path: Path) -> None:
    pages = pdf_pages(briefing_pdf(BRIEFING), tmp_path)
    for number, page in enumerate(pages, 1):
        lines = [line.strip() for line in page.splitlines() if line.strip()]
        assert lines[0] == "OFFICIAL-SENSITIVE", f"page {number} header"
        assert "OFFICIAL-SENSITIVE" in lines[-1], f"page {number} footer"
    text = "\n".join(pages)
    for expected in ("Visit briefing: Kebab House, 1 High Street", "DEMO DATA", "Wednesday 1 July 2026, 09:30-11:30 UTC",
                     "needs a warrant (PACE s8)", "Officer safety", "Aggressive towards officers", "Lead: Kingsmere",
                     "Execute warrant", "Seize illicit tobacco", "Dana Moore", "Lee Chan", "desk@police.example",
                     "Dog on the premises", "Operation Lantern"):
        assert expected in text, expected


@needs_pdftotext
def test_briefing_without_marker_permission_withholds_markers_and_notes(tmp_path: Path) -> None:
    from dataclasses import replace

    text = "\n".join(pdf_pages(briefing_pdf(replace(BRIEFING, markers=None, notes=None)), tmp_path))
    assert "Aggressive" not in text and "Dog on the premises" not in text
    assert "Warning markers are not shown to your role" in text
    assert "Dana Moore" in text


@needs_pdftotext
def test_long_briefing_is_marked_on_every_page(tmp_path: Path) -> None:
    from dataclasses import replace

    many = tuple(TeamMember(f"Agency {i}", 1, "Objective text " * 20, "confirmed", "Desk", "a@b.c", "1") for i in range(25))
    pages = pdf_pages(briefing_pdf(replace(BRIEFING, team=many, status="cancelled")), tmp_path)
    assert len(pages) > 2
    for page in pages:
        lines = [line.strip() for line in page.splitlines() if line.strip()]
        assert lines[0] == "OFFICIAL-SENSITIVE" and "OFFICIAL-SENSITIVE" in lines[-1]
        assert "VISIT CANCELLED" in page
