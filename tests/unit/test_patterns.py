"""Review patterns: one key per way of agreeing between two agencies, and the pattern in words."""
from __future__ import annotations

import pytest

from core.matching.patterns import describe_levels, describe_pattern, pattern_key


def fields(**levels: str) -> dict:
    return {f: {"level": lv, "similarity": 0, "weight": 0.0} for f, lv in levels.items()}


SHOP_AND_PROPRIETOR = fields(name="disagree", address="exact", number="exact", postcode="exact", phone="missing",
                             contact="missing")


def test_the_order_of_the_agencies_does_not_matter() -> None:
    assert pattern_key(SHOP_AND_PROPRIETOR, "TS", "HMRC") == pattern_key(SHOP_AND_PROPRIETOR, "HMRC", "TS")


@pytest.mark.parametrize(("a", "b", "why"), [
    (SHOP_AND_PROPRIETOR, SHOP_AND_PROPRIETOR | fields(name="partial"), "another name level"),
    (SHOP_AND_PROPRIETOR, SHOP_AND_PROPRIETOR | fields(phone="exact"), "a phone that agrees"),
])
def test_pairs_that_agree_differently_are_other_patterns(a: dict, b: dict, why: str) -> None:
    assert pattern_key(a, "TS", "HMRC") != pattern_key(b, "TS", "HMRC"), why


def test_other_agencies_are_another_pattern() -> None:
    assert pattern_key(SHOP_AND_PROPRIETOR, "TS", "HMRC") != pattern_key(SHOP_AND_PROPRIETOR, "TS", "FS")


@pytest.mark.parametrize(("flds", "a", "b", "said"), [
    (SHOP_AND_PROPRIETOR, "TS", "HMRC",
     "HMRC and TS records: same street, number and postcode; different name; no phone or contact to compare"),
    (fields(name="strong", address="exact", number="exact", postcode="partial", phone="exact", contact="missing"),
     "FS", "FS", "two FS records: same street, number and phone; nearly the same name; partly the same postcode; "
     "no contact to compare"),
    ({}, "FS", "LIC", "FS and LIC records: no name, street, number, postcode, phone or contact to compare"),
])
def test_patterns_in_words(flds: dict, a: str, b: str, said: str) -> None:
    assert describe_pattern(pattern_key(flds, a, b)) == said


@pytest.mark.parametrize(("levels", "said"), [
    ({"name": "disagree", "address": "exact", "number": "exact", "postcode": "exact"},
     "same street, number and postcode; different name; no phone or contact to compare"),
    ({"name": "exact", "address": "partial", "number": "strong", "postcode": "exact", "phone": "exact",
      "contact": "disagree"},
     "same name, postcode and phone; nearly the same number; partly the same street; different contact"),
])
def test_a_pair_in_words(levels: dict, said: str) -> None:
    """The why-matched note and the review screen say how the fields agree (unnamed fields are missing)."""
    assert describe_levels(levels) == said
