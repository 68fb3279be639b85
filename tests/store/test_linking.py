"""Matching stored: records become businesses with stable ids; decisions, splits and merges bind later runs."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest
from sqlalchemy import func, select

from core.domain import Role
from core.errors import Forbidden, NotFound, ValidationError
from core.permissions import Actor
from core.services import review
from core.services.linking import relink
from core.store import Store
from core.store.models import (
    Agency,
    AgencyRecord,
    AuditEvent,
    Business,
    BusinessLink,
    Dataset,
    MatchDecision,
    MatchReview,
    User,
)
from tests.store.conftest import _HASH


@dataclass
class Two:
    store: Store
    fs: Actor
    ts: Actor
    officer: Actor
    ds: dict[str, int]


@pytest.fixture
def two(store: Store) -> Two:
    with store.uow() as uow:
        s = uow.session
        agencies, ds, people = {}, {}, {}
        for code in ("FS", "TS"):
            a = Agency(code=code, name=f"Agency {code}", remit=[])
            s.add(a)
            s.flush()
            agencies[code] = a.id
            d = Dataset(agency_id=a.id, name=f"{code} premises", sharing="full")
            s.add(d)
            s.flush()
            ds[code] = d.id
            u = User(username=f"{code.lower()}a", name=f"{code} Analyst", role="analyst", agency_id=a.id, password_hash=_HASH)
            s.add(u)
            s.flush()
            people[code] = Actor(u.id, u.username, u.name, Role.ANALYST, a.id, f"Agency {code}")
        o = User(username="off", name="Officer", role="officer", agency_id=agencies["FS"], password_hash=_HASH)
        s.add(o)
        s.flush()
        uow.commit()
    return Two(store, people["FS"], people["TS"], Actor(o.id, "off", "Officer", Role.OFFICER, agencies["FS"]), ds)


def add(two: Two, code: str, ref: str, name: str, address: str, postcode: str, *, phone: str = "", contact: str = "",
        company: str = "", last: date | None = None) -> None:
    with two.store.uow() as uow:
        s = uow.session
        agency_id = s.get(Dataset, two.ds[code]).agency_id
        s.add(AgencyRecord(dataset_id=two.ds[code], agency_id=agency_id, reference=ref, trading_name=name,
                           company_name=company, address=address, postcode=postcode, phone=phone, contact=contact,
                           last_contact=last, current=True))
        uow.commit()


def run(two: Two) -> None:
    with two.store.uow() as uow:
        relink(uow.session)
        uow.commit()


def business_of(two: Two, code: str, ref: str) -> int:
    with two.store.read() as s:
        return s.session.scalar(select(AgencyRecord.business_id).where(AgencyRecord.dataset_id == two.ds[code],
                                                               AgencyRecord.reference == ref))


@pytest.fixture
def broadway(two: Two) -> Two:
    add(two, "FS", "F1", "The Chicken Shop", "12 The Broadway", "KM1 4AB", phone="01632 960123")
    add(two, "TS", "T1", "CHICKEN SHOP LTD", "12, Broadway", "km14ab", phone="+44 1632 960123")
    add(two, "FS", "F2", "Broadway Barbers", "14 The Broadway", "KM1 4AB")
    add(two, "TS", "T2", "Sunrise Food & Wine", "3 Mill Road", "KM2 7XY", phone="01632 960999")
    add(two, "FS", "F3", "Sunset Food and Wine", "88 Harbour Street", "KM5 1QQ", phone="01632 960999")
    run(two)
    return two


def test_the_same_business_written_two_ways_becomes_one(broadway: Two) -> None:
    two = broadway
    assert business_of(two, "FS", "F1") == business_of(two, "TS", "T1")
    assert business_of(two, "FS", "F2") != business_of(two, "FS", "F1"), "the shop next door stays apart"
    with two.store.read() as s:
        biz = s.session.get(Business, business_of(two, "FS", "F1"))
        assert biz.postcode == "KM1 4AB" and biz.district == "KM1" and biz.active


def test_a_shared_phone_connects_without_merging(broadway: Two) -> None:
    two = broadway
    a, b = business_of(two, "TS", "T2"), business_of(two, "FS", "F3")
    assert a != b
    with two.store.read() as s:
        links = s.session.execute(select(BusinessLink.business_a_id, BusinessLink.business_b_id,
                                         BusinessLink.kind)).all()
    assert (min(a, b), max(a, b), "phone") in links


def test_business_ids_are_stable_across_runs(broadway: Two) -> None:
    two = broadway
    before = {ref: business_of(two, code, ref) for code, ref in (("FS", "F1"), ("TS", "T1"), ("FS", "F2"))}
    add(two, "TS", "T9", "Broadway Barbers", "14 Broadway", "KM1 4AB")
    run(two)
    after = {ref: business_of(two, code, ref) for code, ref in (("FS", "F1"), ("TS", "T1"), ("FS", "F2"))}
    assert after == before
    assert business_of(two, "TS", "T9") == before["F2"], "a new record joins the existing business"


def test_a_business_takes_its_description_from_its_records_as_they_change(broadway: Two) -> None:
    two = broadway
    barbers = business_of(two, "FS", "F2")
    with two.store.read() as s:
        assert s.session.get(Business,
                             barbers).name == "Broadway Barbers", "a new business is stored with its description"
    with two.store.uow() as uow:
        rec = uow.session.scalar(select(AgencyRecord).where(AgencyRecord.reference == "F2"))
        rec.trading_name, rec.postcode = "Broadway Gents Barbers", "km1 4ab"
        sunset = uow.session.scalar(select(AgencyRecord).where(AgencyRecord.reference == "F3"))
        sunset.current = False
        uow.commit()
    gone = business_of(two, "FS", "F3")
    run(two)
    with two.store.read() as s:
        renamed = s.session.get(Business, barbers)
        assert (renamed.name, renamed.postcode, renamed.active) == ("Broadway Gents Barbers", "KM1 4AB", True)
        retired = s.session.get(Business, gone)
        assert not retired.active and retired.merged_into_id is None, "no current record left: retired, not merged"


def test_a_no_match_decision_splits_and_binds_later_runs(broadway: Two) -> None:
    two = broadway
    bid = business_of(two, "FS", "F1")
    with two.store.uow() as unit:
        summary = review.split(unit, actor=two.fs, business_id=bid, references=[(two.ds["TS"], "T1")])
    assert summary.businesses >= 5
    assert business_of(two, "FS", "F1") != business_of(two, "TS", "T1")
    assert bid in (business_of(two, "FS", "F1"), business_of(two, "TS", "T1")), "one part keeps the old id"
    run(two)
    assert business_of(two, "FS", "F1") != business_of(two, "TS", "T1")
    with two.store.read() as s:
        assert s.session.scalar(select(func.count()).select_from(MatchDecision).where(MatchDecision.decision == "no match")) == 1
        assert s.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "match.decide")) == 1


def test_merge_joins_two_businesses_and_retires_one(broadway: Two) -> None:
    two = broadway
    a, b = business_of(two, "TS", "T2"), business_of(two, "FS", "F3")
    with two.store.uow() as unit:
        review.merge(unit, actor=two.ts, business_id=a, other_id=b)
    assert business_of(two, "TS", "T2") == business_of(two, "FS", "F3")
    kept = business_of(two, "TS", "T2")
    gone = b if kept == a else a
    with two.store.read() as s:
        retired = s.session.get(Business, gone)
        assert not retired.active and retired.merged_into_id == kept


def test_split_and_merge_need_an_analyst_of_an_agency_that_holds_a_record(broadway: Two) -> None:
    two = broadway
    with pytest.raises(Forbidden):
        with two.store.uow() as unit:
            review.merge(unit, actor=two.officer, business_id=business_of(two, "TS", "T2"),
                         other_id=business_of(two, "FS", "F3"))
    with pytest.raises(Forbidden):  # TS holds nothing of the barbers at 14
        with two.store.uow() as unit:
            review.split(unit, actor=two.ts, business_id=business_of(two, "FS", "F2"),
                         references=[(two.ds["FS"], "F2")])
    with pytest.raises(ValidationError, match="at least one record"):
        with two.store.uow() as unit:
            review.split(unit, actor=two.fs, business_id=business_of(two, "FS", "F2"),
                         references=[(two.ds["FS"], "F2")])
    with pytest.raises(ValidationError, match="holds no record"):
        with two.store.read() as unit:
            review.references_for(unit, actor=two.fs, business_id=business_of(two, "FS", "F1"), text="NOPE")
    with two.store.read() as unit:
        assert review.references_for(unit, actor=two.fs, business_id=business_of(two, "FS", "F1"),
                                     text="TS:T1") == [(two.ds["TS"], "T1")]


def test_queued_pairs_are_decided_once_and_by_the_right_agency(broadway: Two) -> None:
    two = broadway
    with two.store.uow() as uow:
        pair = MatchReview(a_dataset_id=two.ds["FS"], a_reference="F2", b_dataset_id=two.ds["FS"], b_reference="F1", score=55)
        uow.session.add(pair)
        uow.commit()
    with two.store.read() as unit:
        queued, waiting = review.queue(unit, actor=two.fs)
    assert waiting == 1 and queued[0].a["trading_name"] == "Broadway Barbers"
    with two.store.read() as unit:
        assert review.queue(unit, actor=two.ts) == ([], 0), "TS holds neither record"
    with pytest.raises(Forbidden):
        with two.store.uow() as unit:
            review.decide(unit, actor=two.ts, review_id=pair.id, decision="match")
    with pytest.raises(ValidationError):
        with two.store.uow() as unit:
            review.decide(unit, actor=two.fs, review_id=pair.id, decision="maybe")
    with two.store.uow() as unit:
        review.decide(unit, actor=two.fs, review_id=pair.id, decision="no match")
    with pytest.raises(NotFound, match="already been decided"):
        with two.store.uow() as unit:
            review.decide(unit, actor=two.fs, review_id=pair.id, decision="match")
    with two.store.read() as unit:
        assert review.pending_decisions(unit, actor=two.fs) == 1
    with two.store.uow() as unit:
        review.apply_decisions(unit, actor=two.fs)
    with two.store.read() as unit:
        assert review.pending_decisions(unit, actor=two.fs) == 0
