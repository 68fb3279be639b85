"""Connected businesses on the risk list: labelled, and named only from records the viewer may read."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from core.domain import Role
from core.permissions import Actor
from core.services import risklist
from core.services.linking import relink
from core.store import Store
from core.store.models import Agency, AgencyRecord, Business, BusinessLink, Dataset, User
from tests.store.conftest import _HASH

NOW = datetime.now(timezone.utc)
SECRETS = ("Illegal Working", "IE address", "Tax Name", "HMRC address", "01632 960000", "01632960000")


@dataclass
class Linked:
    store: Store
    fs: Actor
    ie: Actor
    biz: dict[str, int]


@pytest.fixture
def linked(store: Store) -> Linked:
    """FS shares fully, HMRC interest-only, IE owner-only. The shop shares a phone with the cafe, but only IE's
    record of the cafe carries it; the business row of the cafe is named from IE's record (the worst case)."""
    with store.uow() as uow:
        s = uow.session
        ids, ds = {}, {}
        for code, sharing in (("FS", "full"), ("HMRC", "interest-only"), ("IE", "owner-only")):
            a = Agency(code=code, name=f"Agency {code}", remit=[])
            s.add(a)
            s.flush()
            ids[code] = a.id
            d = Dataset(agency_id=a.id, name=f"{code} list", sharing=sharing, last_imported_at=NOW - timedelta(days=3),
                        stale_after_days=90)
            s.add(d)
            s.flush()
            ds[code] = d.id
        actors = {}
        for code in ("FS", "IE"):
            u = User(username=code.lower(), name=f"{code} Analyst", role="analyst", agency_id=ids[code],
                     password_hash=_HASH)
            s.add(u)
            s.flush()
            actors[code] = Actor(u.id, u.username, u.name, Role.ANALYST, ids[code], f"Agency {code}")
        biz = {}
        for key, name, address in (("shop", "Chicken Shop", "12 High Street"), ("cafe", "Illegal Working Ltd", "IE address"),
                                   ("hidden", "Illegal Working Two", "IE address 2"), ("flat", "", "Flat above 12 High Street")):
            b = Business(name=name, address=address, postcode="KM1 1AA", district="KM1")
            s.add(b)
            s.flush()
            biz[key] = b.id

        def rec(code: str, ref: str, key: str, name: str, address: str, phone: str = "") -> None:
            s.add(AgencyRecord(dataset_id=ds[code], agency_id=ids[code], business_id=biz[key], reference=ref,
                               trading_name=name, address=address, postcode="KM1 1AA", phone=phone, risk_band="high",
                               risk_value="high", last_contact=date(2026, 10, 1), current=True))

        rec("FS", "F1", "shop", "Chicken Shop", "12 High Street", "01632 960000")
        rec("FS", "F2", "cafe", "Corner Cafe", "20 Mill Road")
        rec("IE", "I2", "cafe", "Illegal Working Ltd", "IE address", "01632 960000")
        rec("HMRC", "H2", "cafe", "Tax Name Ltd", "HMRC address", "01632 960000")
        rec("IE", "I3", "hidden", "Illegal Working Two", "IE address 2", "01632 960000")
        rec("FS", "F4", "flat", "", "Flat above 12 High Street")
        s.add(BusinessLink(business_a_id=biz["shop"], business_b_id=biz["cafe"], kind="phone", value="01632960000"))
        s.add(BusinessLink(business_a_id=biz["shop"], business_b_id=biz["hidden"], kind="phone", value="01632960000"))
        s.add(BusinessLink(business_a_id=biz["shop"], business_b_id=biz["flat"], kind="building",
                          value="12 high street"))
        uow.commit()
    return Linked(store, actors["FS"], actors["IE"], biz)


def _by_business(detail: dict) -> dict[int, dict]:
    return {c["business_id"]: c for c in detail["connections"]}


def test_connections_carry_their_label(linked: Linked) -> None:
    with linked.store.read() as unit:
        shown = _by_business(risklist.business_detail(unit, actor=linked.fs, business_id=linked.biz["shop"]))
    assert shown[linked.biz["cafe"]]["label"] == "Shared phone"
    assert shown[linked.biz["flat"]]["label"] == "Same building"
    assert shown[linked.biz["flat"]]["value"] == "12 high street"  # both sides' readable records are at 12


def test_a_connection_shows_only_what_the_viewer_may_read(linked: Linked) -> None:
    with linked.store.read() as unit:
        fs = risklist.business_detail(unit, actor=linked.fs, business_id=linked.biz["shop"])
    shown = _by_business(fs)
    # Known to FS only through IE's owner-only record: not shown at all.
    assert linked.biz["hidden"] not in shown
    # Named and addressed from FS's own record of the cafe, never from the business row (named from IE's record).
    assert (shown[linked.biz["cafe"]]["name"], shown[linked.biz["cafe"]]["address"]) == ("Corner Cafe", "20 Mill Road")
    # The shared phone is on the cafe only in IE's and HMRC's records: FS is not told what it is.
    assert shown[linked.biz["cafe"]]["value"] == ""
    for secret in SECRETS[:4]:
        assert secret not in str(fs["connections"])


def test_the_owner_of_a_record_sees_the_connection_it_makes(linked: Linked) -> None:
    with linked.store.read() as unit:
        shown = _by_business(risklist.business_detail(unit, actor=linked.ie, business_id=linked.biz["shop"]))
    assert shown[linked.biz["cafe"]]["value"] == "01632960000"
    assert shown[linked.biz["hidden"]]["name"] == "Illegal Working Two"
    assert "Tax Name" not in str(shown)  # HMRC's interest-only record is never read for a connection


def test_relink_links_a_flat_to_the_shop_below_without_merging(linked: Linked) -> None:
    with linked.store.uow() as uow:
        relink(uow.session)
        uow.commit()
    with linked.store.read() as s:
        shop = s.session.get(AgencyRecord, _record_id(s.session, "F1"))
        flat = s.session.get(AgencyRecord, _record_id(s.session, "F4"))
        assert shop.business_id != flat.business_id
        kinds = {(min(a, b), max(a, b)): k for a, b, k in
                 s.session.execute(select(BusinessLink.business_a_id, BusinessLink.business_b_id, BusinessLink.kind))}
    assert kinds[(min(shop.business_id, flat.business_id), max(shop.business_id, flat.business_id))] == "building"
    with linked.store.read() as unit:
        shown = _by_business(risklist.business_detail(unit, actor=linked.fs, business_id=shop.business_id))
    assert shown[flat.business_id]["label"] == "Same building"


def _record_id(s, reference: str) -> int:  # noqa: ANN001
    return s.scalar(select(AgencyRecord.id).where(AgencyRecord.reference == reference))


def test_a_visit_to_the_flat_above_warns_the_shop_visit_and_says_why(linked: Linked) -> None:
    from core.services import visits
    from core.store.models import Visit

    start = datetime(2026, 12, 7, 10, 0, tzinfo=timezone.utc)
    with linked.store.uow() as uow:
        uow.session.add(Visit(business_id=linked.biz["flat"], starts_at=start + timedelta(days=2),
                              ends_at=start + timedelta(days=2, hours=2), status="proposed"))
        uow.commit()
    plan = visits.VisitPlan(starts_at=start, ends_at=start + timedelta(hours=2), team=[], business_id=linked.biz["shop"])
    with linked.store.read() as s:
        [clash] = visits.clashes(s, actor=linked.fs, plan=plan)
    assert clash.kind == "connected business"
    assert "A visit to a connected business (Same building):" in clash.message
