"""Sites in the store: matching gives each business the site (building) it is at; the risk list counts the
agencies at the site from what the viewer may list, and never from a withheld record."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from core.domain import Role
from core.permissions import Actor
from core.services import linking, risklist, visits
from core.store import Store
from core.store.models import Agency, AgencyRecord, Business, Dataset, User
from tests.store.conftest import _HASH

NOW = datetime.now(timezone.utc)
SECRET = "ZEBRA SECRET LODGINGS"
REMITS = {"FS": ["food hygiene"], "HOU": ["hmo conditions"], "IE": ["illegal working"], "HMRC": ["tax evasion"]}


@pytest.fixture
def town(store: Store) -> dict[str, Actor]:
    """FS and HOU share fully, HMRC shares only its interest in businesses, IE keeps its data to itself; the
    shop at 45, the HMO above it, IE's lodgings and an HMRC trader there too, and a nail bar next door."""
    with store.uow() as uow:
        s = uow.session
        actors: dict[str, Actor] = {}
        ds: dict[str, Dataset] = {}
        for code, sharing in (("FS", "full"), ("HOU", "full"), ("IE", "owner-only"), ("HMRC", "interest-only")):
            a = Agency(code=code, name=f"Agency {code}", remit=REMITS[code])
            s.add(a)
            s.flush()
            u = User(username=code.lower(), name=code, role=Role.ANALYST.value, agency_id=a.id, password_hash=_HASH)
            d = Dataset(agency_id=a.id, name=f"{code} list", sharing=sharing, last_imported_at=NOW - timedelta(days=1),
                        stale_after_days=90)
            s.add_all([u, d])
            s.flush()
            actors[code] = Actor(u.id, u.username, u.name, Role.ANALYST, a.id, a.name)
            ds[code] = d
            if code == "FS":
                c = User(username="fsc", name="FS coordinator", role=Role.COORDINATOR.value, agency_id=a.id,
                         password_hash=_HASH)
                s.add(c)
                s.flush()
                actors["FS coordinator"] = Actor(c.id, c.username, c.name, Role.COORDINATOR, a.id, a.name)
        for code, ref, name, address in (("FS", "F1", "Golden Fry", "45 High Street"),
                                         ("FS", "F2", "Nail Studio", "47 High Street"),
                                         ("HOU", "H1", "", "Flat A, 45 High Street"),
                                         ("IE", "I1", SECRET, "Flat B, 45 High St"),
                                         ("HMRC", "T1", "PLANTED TRADER", "Flat C, 45 High St")):
            s.add(AgencyRecord(dataset_id=ds[code].id, agency_id=ds[code].agency_id, reference=ref, trading_name=name,
                               address=address, postcode="KM1 4AB", risk_band="high", risk_value="high", current=True))
        s.flush()
        linking.relink(s)
        uow.commit()
    return actors


def _row(store: Store, actor: Actor, address: str, **filters) -> dict:  # noqa: ANN003
    with store.read() as unit:
        rows = risklist.risk_list(unit, actor=actor, filters=risklist.RiskFilters(**filters)).rows
    match = rows[rows["address"] == address]
    assert len(match) == 1, rows[["name", "address"]]
    return match.iloc[0].to_dict()


def test_matching_stores_the_site_of_each_business(store: Store, town: dict[str, Actor]) -> None:
    with store.read() as unit:
        site = dict(unit.session.execute(select(Business.name, Business.site_key).where(Business.active.is_(True))).all())
    assert site["Golden Fry"] and site["Golden Fry"] == site[SECRET] == site["PLANTED TRADER"]
    assert site["Nail Studio"] != site["Golden Fry"]


def test_the_shop_counts_the_hmo_above_it_at_its_site(store: Store, town: dict[str, Actor]) -> None:
    shop = _row(store, town["FS"], "45 High Street")
    assert shop["n_agencies"] == 1 and shop["agencies"] == "FS"
    assert shop["n_site_agencies"] == 2 and shop["site_agencies"] == "FS, HOU"
    assert shop["site_businesses"] == 2
    nails = _row(store, town["FS"], "47 High Street")
    assert nails["n_site_agencies"] == 1


def test_a_withheld_business_at_the_site_is_never_counted(store: Store, town: dict[str, Actor]) -> None:
    for viewer in ("FS", "HOU"):
        with store.read() as unit:
            rows = risklist.risk_list(unit, actor=town[viewer]).rows
        # HMRC shares its interest in businesses the viewer holds too, not that it holds something at a building
        # (its trader there is one the viewer does not list); IE shares nothing.
        assert {"IE", "HMRC"}.isdisjoint(",".join(rows["site_agencies"]).replace(" ", "").split(","))
        assert SECRET not in rows.to_csv() and "PLANTED" not in rows.to_csv()
    # IE lists its own business and sees the partners at its site.
    own = _row(store, town["IE"], "Flat B, 45 High St")
    assert own["site_agencies"] == "FS, HOU, IE"
    assert _row(store, town["HMRC"], "Flat C, 45 High St")["site_agencies"] == "FS, HMRC, HOU"


def test_filter_and_rank_by_site(store: Store, town: dict[str, Actor]) -> None:
    with store.read() as unit:
        by_business = risklist.risk_list(unit, actor=town["FS"], filters=risklist.RiskFilters(min_agencies=2)).rows
        by_site = risklist.risk_list(unit, actor=town["FS"],
                                     filters=risklist.RiskFilters(min_agencies=2, by_site=True)).rows
    assert by_business.empty
    assert set(by_site["address"]) == {"45 High Street", "Flat A, 45 High Street"}


def test_the_planner_lists_the_building_and_its_agencies_issues(store: Store, town: dict[str, Actor]) -> None:
    coordinator = town["FS coordinator"]
    with store.read() as unit:
        shop = _row(store, coordinator, "45 High Street")
        info = visits.interest(unit, actor=coordinator, business_id=int(shop["business_id"]))
    assert len(info["site"]) == 1 and "Flat A, 45 High Street" in info["site"][0]["premises"]
    assert info["site"][0]["agencies"] == "Agency HOU"
    issues = {i["issue"]: i["why"] for i in info["issues"]}
    assert "hmo conditions" in issues and "same building" in issues["hmo conditions"]
    # IE's lodgings (withheld) and HMRC's trader (only an interest, in a business FS does not hold) stay out.
    assert "illegal working" not in issues and "tax evasion" not in issues
    assert SECRET not in repr(info) and "PLANTED" not in repr(info)
