"""The sharing rule as one table (sharing x the viewer's relation to the record -> level), and the pure parts of
`core.visibility`: which record names a business, what a referral's reader sees."""
from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from core.domain import Role
from core.permissions import Actor
from core.visibility import DESCRIBE_COLUMNS, Level, TextLevel, describe, record_level, referral_text, referral_text_level

OWNER, PARTNER = 1, 2
EVERYONE = None

# sharing x relation -> level. "everyone" is the reader of partnership-wide text (agendas, minutes, titles).
RULE = [
    ("full", "own agency", Level.FULL),
    ("full", "partner", Level.FULL),
    ("full", "everyone", Level.FULL),
    ("interest-only", "own agency", Level.FULL),
    ("interest-only", "partner", Level.INTEREST),
    ("interest-only", "everyone", Level.INTEREST),
    ("owner-only", "own agency", Level.FULL),
    ("owner-only", "partner", Level.NONE),
    ("owner-only", "everyone", Level.NONE),
    ("something new", "partner", Level.NONE),  # an unknown limit shares nothing
]


@pytest.mark.parametrize(("sharing", "relation", "expected"), RULE, ids=[f"{s}-{r}" for s, r, _ in RULE])
def test_the_sharing_rule(sharing: str, relation: str, expected: Level) -> None:
    viewer = {"own agency": OWNER, "partner": PARTNER, "everyone": EVERYONE}[relation]
    assert record_level(sharing, OWNER, viewer) is expected


def _records(*rows: tuple) -> pd.DataFrame:
    return pd.DataFrame(list(rows), columns=DESCRIBE_COLUMNS, dtype=object)


DESCRIBE_CASES = [
    {"case": "a named record names the business before an address-only one",
     "rows": [(1, 10, "", "", "Flat above 12 High St", "KM1 1AA", "HMO", date(2026, 1, 1)),
              (1, 11, "Best Pizza", "", "12 High St", "KM1 1AA", "takeaway", date(2025, 1, 1))],
     "expected": {"name": "Best Pizza", "address": "12 High St", "postcode": "KM1 1AA", "district": "KM1", "sector": "takeaway"}},
    {"case": "the latest contact wins among named records",
     "rows": [(1, 10, "Old Name", "", "12 High St", "KM1 1AA", "", date(2024, 1, 1)),
              (1, 11, "New Name", "", "12 High Street", "KM1 1AA", "", date(2026, 1, 1))],
     "expected": {"name": "New Name", "address": "12 High Street"}},
    {"case": "a tie goes to the older record, whatever order the rows come in",
     "rows": [(1, 11, "Second", "", "", "", "", None), (1, 10, "First", "", "", "", "", None)],
     "expected": {"name": "First"}},
    {"case": "company name when there is no trading name",
     "rows": [(1, 10, "", "Acme Holdings Ltd", "1 Low Rd", "", "", None)],
     "expected": {"name": "Acme Holdings Ltd"}},
    {"case": "a postcode that is not one falls back to another readable record's, normalised",
     "rows": [(1, 10, "Shop", "", "1 Low Rd", "n/a", "", date(2026, 1, 1)),
              (1, 11, "", "", "1 Low Road", "km14ab", "", None)],
     "expected": {"name": "Shop", "postcode": "KM1 4AB", "district": "KM1"}},
    {"case": "no postcode at all",
     "rows": [(1, 10, "Shop", "", "1 Low Rd", "", "", None)],
     "expected": {"postcode": "", "district": ""}},
    {"case": "the sector comes from the best record that gives one",
     "rows": [(1, 10, "Shop", "", "", "", "", date(2026, 1, 1)), (1, 11, "", "", "", "", "off-licence", None)],
     "expected": {"sector": "off-licence"}},
]


@pytest.mark.parametrize("case", DESCRIBE_CASES, ids=[c["case"] for c in DESCRIBE_CASES])
def test_describe_names_a_business_from_its_best_readable_record(case: dict) -> None:
    out = describe(_records(*case["rows"]))
    assert list(out.index) == [1]
    got = out.loc[1].to_dict()
    assert {k: got[k] for k in case["expected"]} == case["expected"]


def test_describe_keeps_businesses_apart() -> None:
    out = describe(_records((1, 10, "One", "", "", "", "", None), (2, 11, "Two", "", "", "", "", None)))
    assert out["name"].to_dict() == {1: "One", 2: "Two"}


def test_describe_of_nothing_is_empty() -> None:
    assert describe(_records()).empty


def _actor(uid: int, role: Role, agency: int) -> Actor:
    return Actor(uid, f"u{uid}", f"User {uid}", role, agency, f"Agency {agency}")


SENDER = _actor(1, Role.OFFICER, 5)
TEXT_CASES = [
    # (who, scheme, handling code, expected)
    ("the sender", SENDER, "5x5x5", "5", TextLevel.ALL),
    ("a receiving analyst, code that passes", _actor(2, Role.ANALYST, 7), "5x5x5", "1", TextLevel.FULL),
    ("a receiving analyst, summary-only code", _actor(2, Role.ANALYST, 7), "5x5x5", "5", TextLevel.SUMMARY),
    ("a receiving analyst, 3x5x2 conditions", _actor(2, Role.ANALYST, 7), "3x5x2", "C", TextLevel.SUMMARY),
    ("a receiving analyst, 3x5x2 permitted", _actor(2, Role.ANALYST, 7), "3x5x2", "P", TextLevel.FULL),
    ("an officer of a receiving agency", _actor(3, Role.OFFICER, 7), "5x5x5", "1", TextLevel.NONE),
    ("an analyst of another agency", _actor(4, Role.ANALYST, 8), "5x5x5", "1", TextLevel.NONE),
    ("the chair (sterile wall)", _actor(5, Role.CHAIR, 7), "5x5x5", "1", TextLevel.NONE),
    ("an administrator (sterile wall)", _actor(6, Role.ADMIN, 7), "5x5x5", "1", TextLevel.NONE),
    ("the sender's colleague", _actor(7, Role.ANALYST, 5), "5x5x5", "1", TextLevel.NONE),
]


@pytest.mark.parametrize(("who", "actor", "scheme", "code", "expected"), TEXT_CASES, ids=[c[0] for c in TEXT_CASES])
def test_referral_text_level(who: str, actor: Actor, scheme: str, code: str, expected: TextLevel) -> None:
    level = referral_text_level(actor, sender_id=SENDER.id, recipient_agency_ids=[7], scheme=scheme, handling_code=code)
    assert level is expected


@pytest.mark.parametrize(("level", "expected"), [
    (TextLevel.ALL, ("body", False)), (TextLevel.FULL, ("body", False)),
    (TextLevel.SUMMARY, ("summary", True)), (TextLevel.NONE, ("", True)),
])
def test_referral_text(level: TextLevel, expected: tuple[str, bool]) -> None:
    assert referral_text(level, body="body", summary="summary") == expected
