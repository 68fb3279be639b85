"""The visit recommender, table-driven: who attends, who leads, how the team gets in, and why."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from core import demo_catalogue as cat
from core.visits.recommend import AgencyCap, EntryRoute, Power, entry_route, notice_warning, recommend


def _caps() -> list[AgencyCap]:
    """The demo catalogue as the recommender sees it (ids are positions)."""
    return [
        AgencyCap(i, a.name, frozenset(a.remit),
                  tuple(Power(p.power, p.entry, p.notice_hours, p.premises_scope, p.statute) for p in a.powers),
                  officers=2 if a.kind == "police" else 1)
        for i, a in enumerate(cat.AGENCIES, start=1)
    ]


CAPS = _caps()
ID = {a.code: i for i, a in enumerate(cat.AGENCIES, start=1)}

# A tiny catalogue for the tie and edge cases.
A_ENTERS = AgencyCap(101, "Alpha", frozenset({"x"}), (Power("entry", "without_warrant", premises_scope="business premises"),))
B_NOTICE = AgencyCap(102, "Bravo", frozenset({"x"}), (Power("entry", "with_notice", 48, "business premises"),))
C_TWO = AgencyCap(103, "Charlie", frozenset({"x"}), (Power("entry", "without_warrant", premises_scope="business premises"),), officers=3)
D_Y = AgencyCap(104, "Delta", frozenset({"y"}), (Power("entry", "consent", premises_scope="business premises"),))
E_XY = AgencyCap(105, "Echo", frozenset({"x", "y"}), (Power("entry", "warrant_only", premises_scope="premises named on a warrant"),))

CASES = [
    {"why": "illegal working at a pub: IE needs a warrant or consent, Licensing enters and leads",
     "issues": ["illegal working", "licensing breach"], "kind": "licensed premises", "catalogue": CAPS,
     "team": {"IE", "LIC"}, "lead": "LIC", "mode": "without_warrant",
     "says": ["Immigration Enforcement cannot enter without a warrant or consent", "Licensing leads",
              "Licensing can enter without a warrant: licensed premises at any reasonable time"]},
    {"why": "HMO conditions need Housing, which must give notice",
     "issues": ["HMO conditions", "overcrowding"], "kind": "HMO/residential", "catalogue": CAPS,
     "team": {"HOU"}, "lead": "HOU", "mode": "with_notice", "says": ["24 hours' notice"]},
    {"why": "an issue nobody covers is stated, the rest still planned",
     "issues": ["food hygiene", "alien abduction"], "kind": "food business", "catalogue": CAPS,
     "team": {"FS"}, "lead": "FS", "mode": "without_warrant", "uncovered": ("alien abduction",),
     "says": ["Not covered by any agency's remit: alien abduction"]},
    {"why": "nothing covered: no team, a clear reason",
     "issues": ["alien abduction"], "kind": "other", "catalogue": CAPS,
     "team": set(), "lead": None, "mode": None, "uncovered": ("alien abduction",), "says": ["No agency's remit covers"]},
    {"why": "food and illegal working at a takeaway: Food Safety leads, IE alongside",
     "issues": ["food hygiene", "illegal working"], "kind": "food business", "catalogue": CAPS,
     "team": {"FS", "IE"}, "lead": "FS", "mode": "without_warrant", "says": ["enters alongside Food Safety"]},
    {"why": "one agency covering two issues beats two agencies",
     "issues": ["illicit tobacco", "counterfeit goods"], "kind": "other", "catalogue": CAPS,
     "team": {"TS"}, "lead": "TS", "mode": "with_notice"},
    {"why": "illegal working alone at a warehouse: IE leads but needs a warrant or consent, partners suggested",
     "issues": ["illegal working"], "kind": "other", "catalogue": CAPS,
     "team": {"IE"}, "lead": "IE", "mode": "warrant_only", "says": ["apply for a warrant or seek the occupier's consent"]},
    {"why": "fire and tax at a restaurant: Fire enters without a warrant, HMRC would need notice",
     "issues": ["fire safety", "tax evasion"], "kind": "food business", "catalogue": CAPS,
     "team": {"FRS", "HMRC"}, "lead": "FRS", "mode": "without_warrant"},
]

TIES = [
    {"why": "tie on size: the better way in wins", "catalogue": [B_NOTICE, A_ENTERS], "issues": ["x"], "team": (101,)},
    {"why": "tie on size and entry: fewer officers wins", "catalogue": [C_TWO, A_ENTERS], "issues": ["x"], "team": (101,)},
    {"why": "one agency covering both beats two even with a worse way in", "catalogue": [A_ENTERS, D_Y, E_XY],
     "issues": ["x", "y"], "team": (105,)},
    {"why": "consent-only partner never leads when the other can enter", "catalogue": [D_Y, B_NOTICE],
     "issues": ["x", "y"], "team": (102, 104)},
]


@pytest.mark.parametrize("case", CASES, ids=[c["why"] for c in CASES])
def test_recommendation_on_the_demo_catalogue(case: dict) -> None:
    rec = recommend(case["issues"], case["kind"], case["catalogue"])
    assert set(rec.team) == {ID[c] for c in case["team"]}
    assert rec.lead_id == (ID[case["lead"]] if case["lead"] else None)
    if rec.team:
        assert rec.team[0] == rec.lead_id, "the lead comes first"
    assert rec.entry_mode == case["mode"]
    assert rec.uncovered == case.get("uncovered", ())
    text = " ".join(rec.reasons)
    for words in case.get("says", []):
        assert words in text, text


@pytest.mark.parametrize("case", TIES, ids=[c["why"] for c in TIES])
def test_ties_and_leads(case: dict) -> None:
    rec = recommend(case["issues"], "other", case["catalogue"])
    assert rec.team == case["team"]


def test_same_size_alternatives_are_named_in_the_reasons() -> None:
    rec = recommend(["x"], "other", [B_NOTICE, A_ENTERS])
    assert "Bravo" in " ".join(rec.reasons) and "passed over" in " ".join(rec.reasons)


def test_no_issues_asks_for_some() -> None:
    rec = recommend([], "other", CAPS)
    assert rec.team == () and "choose what you expect to find" in rec.reasons[0]


def test_conditional_routes_are_not_the_plans_way_in() -> None:
    housing = next(a for a in CAPS if a.id == ID["HOU"])
    assert entry_route(housing, "HMO/residential").mode == "with_notice"


def test_unknown_premises_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="premises kind"):
        recommend(["x"], "castle", [A_ENTERS])


def test_entry_route_text_names_lead_and_who_enters_alongside() -> None:
    rec = recommend(["illegal working", "licensing breach"], "licensed premises", CAPS)
    assert rec.entry_route.startswith("Licensing leads: enters without a warrant under Licensing Act 2003, s179.")
    assert "Immigration Enforcement enters alongside the lead." in rec.entry_route


NOW = datetime(2026, 12, 2, 9, 0, tzinfo=timezone.utc)
NOTICE_48 = EntryRoute(1, "with_notice", Power("entry", "with_notice", 48, "business premises", "CRA 2015"))
NOTICE_CASES = [
    {"why": "48 hours' notice, visit in 3 days: time to give it", "route": NOTICE_48, "in_hours": 72, "warns": False},
    {"why": "48 hours' notice, visit in exactly 48 hours: notice due now", "route": NOTICE_48, "in_hours": 48, "warns": False},
    {"why": "48 hours' notice, visit in 47 hours: too late unless given", "route": NOTICE_48, "in_hours": 47, "warns": True},
    {"why": "48 hours' notice, visit today", "route": NOTICE_48, "in_hours": 2, "warns": True},
    {"why": "entry without a warrant needs no notice", "route": EntryRoute(1, "without_warrant", Power("entry", "without_warrant")),
     "in_hours": 1, "warns": False},
    {"why": "a warrant is not notice", "route": EntryRoute(1, "warrant_only", Power("entry", "warrant_only")), "in_hours": 1,
     "warns": False},
    {"why": "notice power with no hours stated", "route": EntryRoute(1, "with_notice", Power("entry", "with_notice", None)),
     "in_hours": 1, "warns": False},
    {"why": "no way in at all", "route": EntryRoute(1, None), "in_hours": 1, "warns": False},
]


@pytest.mark.parametrize("case", NOTICE_CASES, ids=[c["why"] for c in NOTICE_CASES])
def test_notice_warning_when_the_lead_cannot_give_its_notice_in_time(case: dict) -> None:
    text = notice_warning("Trading Standards", case["route"], NOW + timedelta(hours=case["in_hours"]), NOW)
    assert bool(text) == case["warns"], text
    if case["warns"]:
        assert "48 hours' notice" in text and "Trading Standards" in text
        assert "Fri 04 Dec 09:00" in text  # the earliest time it could go ahead with notice given now
