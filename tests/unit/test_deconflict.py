"""Deconfliction, table-driven: same premises, same matched business, connected business, officers."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from core.visits.deconflict import PlannedVisit, deconflict, normalise_premises

T = datetime(2026, 12, 1, 10, 0, tzinfo=timezone.utc)
H2 = timedelta(hours=2)


def visit(vid: int | None, *, days: float = 0, hours: float = 0, biz: int | None = None, text: str = "",
          status: str = "proposed", officers: tuple[int, ...] = ()) -> PlannedVisit:
    start = T + timedelta(days=days, hours=hours)
    return PlannedVisit(vid, start, start + H2, biz, text, status, frozenset(officers), {7: "Olly Officer"})


PROPOSED = visit(None, biz=1, text="The Chicken Shop, 12 The Broadway", officers=(7,))
CANONICAL = {5: 1}  # business 5 was merged into 1
LINKS = {1: [2]}  # 1 and 2 share a phone number

CASES = [
    {"why": "same business id in the same week", "other": visit(10, days=3, biz=1), "kinds": ["same premises"]},
    {"why": "same premises typed differently", "other": visit(11, days=-2, text="the chicken shop 12, the broadway"),
     "kinds": ["same premises"]},
    {"why": "merged business counts as the same", "other": visit(12, days=5, biz=5), "kinds": ["same business"]},
    {"why": "connected business within the window", "other": visit(13, days=13, biz=2), "kinds": ["connected business"]},
    {"why": "connected business outside the window", "other": visit(14, days=20, biz=2), "kinds": []},
    {"why": "done visit last week still counts", "other": visit(15, days=-6, biz=1, status="done"), "kinds": ["same premises"]},
    {"why": "cancelled visit never clashes", "other": visit(16, days=1, biz=1, status="cancelled", officers=(7,)), "kinds": []},
    {"why": "unrelated business, other officers", "other": visit(17, days=0, biz=3, officers=(8,)), "kinds": []},
    {"why": "officer double-booked at overlapping times", "other": visit(18, hours=1, biz=3, officers=(7, 8)),
     "kinds": ["officer double-booked"]},
    {"why": "officer on back-to-back visits is fine", "other": visit(19, hours=2, biz=3, officers=(7,)), "kinds": []},
    {"why": "same premises and same officer: both, officer first", "other": visit(20, hours=1, biz=1, officers=(7,)),
     "kinds": ["officer double-booked", "same premises"]},
]


@pytest.mark.parametrize("case", CASES, ids=[c["why"] for c in CASES])
def test_deconflict(case: dict) -> None:
    clashes = deconflict(PROPOSED, [case["other"]], canonical=CANONICAL, links=LINKS)
    assert [c.kind for c in clashes] == case["kinds"]
    assert all(c.visit_id == case["other"].id for c in clashes)


def test_window_is_configurable() -> None:
    other = visit(30, days=20, biz=2)
    assert deconflict(PROPOSED, [other], links=LINKS, window_days=14) == []
    assert [c.kind for c in deconflict(PROPOSED, [other], links=LINKS, window_days=21)] == ["connected business"]


def test_a_visit_never_clashes_with_itself() -> None:
    saved = visit(40, biz=1, officers=(7,))
    assert deconflict(saved, [saved]) == []


def test_messages_name_the_officer_and_the_other_visit() -> None:
    [clash] = deconflict(PROPOSED, [visit(50, hours=1, biz=3, officers=(7,))])
    assert "Olly Officer" in clash.message and "Tue 01 Dec 2026 11:00" in clash.message


def test_normalise_premises() -> None:
    assert normalise_premises(" 12, The  Broadway.") == normalise_premises("12 the broadway")


@pytest.mark.parametrize(("label", "shown"), [("Same building", "(Same building)"), ("Shared phone", "(Shared phone)"),
                                              ("Shared contact, Same building", "(Shared contact, Same building)")])
def test_a_connected_business_clash_names_what_connects_them(label: str, shown: str) -> None:
    [clash] = deconflict(PROPOSED, [visit(60, days=2, biz=2)], links={1: {2: label}})
    assert clash.kind == "connected business"
    assert f"A visit to a connected business {shown}:" in clash.message


def test_a_connection_to_a_business_merged_away_keeps_its_label() -> None:
    [clash] = deconflict(PROPOSED, [visit(61, days=2, biz=6)], canonical={7: 6}, links={1: {7: "Same building"}})
    assert "(Same building)" in clash.message
