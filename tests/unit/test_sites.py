"""Sites: each record is at one building or plot (a number on a street in a postcode district)."""
from __future__ import annotations

import random

import pytest

from core.matching import MatchInput, link


def rec(rid: str, name: str, address: str, postcode: str = "KM1 4AB", source: str = "FS") -> MatchInput:
    return MatchInput(record_id=rid, source=source, trading_name=name, address=address, postcode=postcode)


TOWN = [
    rec("fs:1", "Golden Fry", "45 High Street"),
    rec("hou:1", "", "Flat A, 45 High Street", source="HOU"),              # the HMO above the takeaway
    rec("hou:2", "", "First Floor Flat, 45 High St", source="HOU"),
    rec("env:1", "", "rear of 45 High Street", source="ENV"),               # an incident behind it
    rec("lic:1", "Golden Fry", "45a High Street", source="LIC"),
    rec("fs:2", "Nail Studio", "47 High Street"),                          # next door: another site
    rec("fs:3", "Corner Cafe", "45 Mill Lane"),                             # the same number on another street
    rec("fs:4", "Pizza Place", "45 High Street", postcode="KM7 2XY"),      # High Street in another town
    rec("ts:1", "Golden Fry", "High Street", source="TS"),                  # no number: the business's site
    rec("fs:5", "Big Store", "12-14 Station Road", postcode="KM1 6CD"),    # a range covers both numbers
    rec("hou:3", "", "Flat 2, 14 Station Road", postcode="KM1 6CD", source="HOU"),
    rec("ie:1", "unknown car wash", "somewhere by the roundabout", postcode="", source="IE"),
]

SAME_SITE = [("fs:1", "hou:1"), ("fs:1", "hou:2"), ("fs:1", "env:1"), ("fs:1", "lic:1"), ("fs:5", "hou:3")]
OTHER_SITE = [("fs:1", "fs:2"), ("fs:1", "fs:3"), ("fs:1", "fs:4"), ("fs:2", "fs:3"), ("fs:1", "fs:5"),
              ("ie:1", "fs:1"), ("ie:1", "fs:5")]


@pytest.fixture(scope="module")
def sites() -> dict[str, int]:
    return link(TOWN).site_of


@pytest.mark.parametrize(("a", "b"), SAME_SITE)
def test_at_the_same_site(sites: dict[str, int], a: str, b: str) -> None:
    assert sites[a] == sites[b]


@pytest.mark.parametrize(("a", "b"), OTHER_SITE)
def test_at_another_site(sites: dict[str, int], a: str, b: str) -> None:
    assert sites[a] != sites[b]


def test_the_flats_are_not_the_business_but_are_at_its_site() -> None:
    result = link(TOWN)
    assert result.cluster_of["hou:1"] != result.cluster_of["fs:1"]
    assert result.site_of["hou:1"] == result.site_of["fs:1"]


def test_a_record_of_the_business_without_a_number_is_at_the_business_site() -> None:
    result = link(TOWN)
    if result.cluster_of["ts:1"] == result.cluster_of["fs:1"]:
        assert result.site_of["ts:1"] == result.site_of["fs:1"]
    else:   # not matched: then it is a site of its own, never another business's
        assert result.site_of["ts:1"] not in {result.site_of[r] for r in ("fs:1", "fs:2", "fs:3", "fs:4", "fs:5")}


def test_sites_do_not_depend_on_the_input_order() -> None:
    shuffled = TOWN[:]
    random.Random(1).shuffle(shuffled)
    assert link(TOWN).site_of == link(shuffled).site_of   # numbered by first record id, so the numbers agree too
