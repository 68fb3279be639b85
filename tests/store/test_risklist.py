"""The shared risk list as each role and agency may see it: sharing limits, score, tasking, exports."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

import pandas as pd
import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from core.domain import Role
from core.errors import Forbidden, NotFound, ValidationError
from core.permissions import Actor
from core.services import operations, risklist, visits
from core.store import Store
from core.store.models import Agency, AgencyRecord, AuditEvent, Business, BusinessLink, Dataset, TaskingRequest, User
from tests.store.conftest import _HASH

NOW = datetime.now(timezone.utc)


@dataclass
class World:
    store: Store
    actors: dict[str, Actor]
    biz: dict[str, int]


def _agency(s, code: str) -> int:  # noqa: ANN001
    a = Agency(code=code, name=f"Agency {code}", remit=[])
    s.add(a)
    s.flush()
    return a.id


def _person(s, username: str, role: Role, agency_id: int, code: str) -> Actor:  # noqa: ANN001
    u = User(username=username, name=username.title(), role=role.value, agency_id=agency_id, password_hash=_HASH)
    s.add(u)
    s.flush()
    return Actor(u.id, username, u.name, role, agency_id, f"Agency {code}")


@pytest.fixture
def world(store: Store) -> World:
    """FS shares fully, HMRC interest-only, IE owner-only; LIC and POL hold no data."""
    with store.uow() as uow:
        s = uow.session
        ids = {c: _agency(s, c) for c in ("FS", "HMRC", "IE", "LIC", "POL")}
        actors = {
            "fs analyst": _person(s, "fsa", Role.ANALYST, ids["FS"], "FS"),
            "hmrc analyst": _person(s, "hma", Role.ANALYST, ids["HMRC"], "HMRC"),
            "ie analyst": _person(s, "iea", Role.ANALYST, ids["IE"], "IE"),
            "lic coordinator": _person(s, "lco", Role.COORDINATOR, ids["LIC"], "LIC"),
            "pol chair": _person(s, "pch", Role.CHAIR, ids["POL"], "POL"),
            "fs admin": _person(s, "adm", Role.ADMIN, ids["FS"], "FS"),
            "fs officer": _person(s, "off", Role.OFFICER, ids["FS"], "FS"),
        }
        ds = {}
        for code, sharing, age in (("FS", "full", 10), ("HMRC", "interest-only", 200), ("IE", "owner-only", 5)):
            d = Dataset(agency_id=ids[code], name=f"{code} list", sharing=sharing, last_imported_at=NOW - timedelta(days=age),
                        stale_after_days=90)
            s.add(d)
            s.flush()
            ds[code] = d
        biz = {}
        for key in ("shared", "hmrc only", "ie only", "fs only"):
            b = Business(name=f"secret {key}", address="", postcode="KM1 1AA", district="KM1")
            s.add(b)
            s.flush()
            biz[key] = b.id

        def rec(code: str, ref: str, business: str, band: str, name: str, last: date | None = None) -> None:
            s.add(AgencyRecord(dataset_id=ds[code].id, agency_id=ids[code], business_id=biz[business], reference=ref,
                               trading_name=name, address=f"12 High Street ({code})", postcode="KM1 1AA",
                               risk_band=band, risk_value=band, last_contact=last, current=True))

        rec("FS", "F1", "shared", "high", "=HYPERLINK(\"http://x\")", date(2026, 10, 1))
        rec("HMRC", "H1", "shared", "high", "HMRC's own spelling", date(2026, 11, 1))
        rec("IE", "I1", "shared", "high", "IE's own spelling", date(2026, 11, 2))
        rec("HMRC", "H2", "hmrc only", "medium", "Tax Only Ltd")
        rec("IE", "I2", "ie only", "high", "Illegal Working Ltd")
        rec("FS", "F4", "fs only", "low", "Corner Cafe", date(2026, 9, 1))
        s.add(BusinessLink(business_a_id=biz["shared"], business_b_id=biz["fs only"], kind="phone", value="01632960000"))
        s.add(BusinessLink(business_a_id=biz["shared"], business_b_id=biz["ie only"], kind="contact", value="j smith"))
        uow.commit()
    return World(store, actors, biz)


# viewer -> {business: {agency: what the viewer sees in that agency's column}}
EXPECTED = {
    "fs analyst": {"shared": {"FS": "high", "HMRC": "high"}, "fs only": {"FS": "low"}},
    "lic coordinator": {"shared": {"FS": "high", "HMRC": "high"}, "fs only": {"FS": "low"}},
    "pol chair": {"shared": {"FS": "high", "HMRC": "high"}, "fs only": {"FS": "low"}},
    "fs admin": {"shared": {"FS": "high", "HMRC": "high"}, "fs only": {"FS": "low"}},
    "hmrc analyst": {"shared": {"FS": "high", "HMRC": "high"}, "hmrc only": {"HMRC": "medium"}, "fs only": {"FS": "low"}},
    "ie analyst": {"shared": {"FS": "high", "HMRC": "high", "IE": "high"}, "ie only": {"IE": "high"},
                   "fs only": {"FS": "low"}},
}


@pytest.mark.parametrize("viewer", sorted(EXPECTED))
def test_each_viewer_sees_only_what_the_sharing_limits_allow(world: World, viewer: str) -> None:
    with world.store.read() as unit:
        rl = risklist.risk_list(unit, actor=world.actors[viewer], filters=risklist.RiskFilters(min_agencies=1))
    ids = {v: k for k, v in world.biz.items()}
    seen = {ids[int(r["business_id"])]: {c: r[c] for c in rl.agency_codes if r[c]} for r in rl.rows.to_dict("records")}
    assert seen == EXPECTED[viewer]
    # names never come from a record the viewer may not read
    names = set(rl.rows["name"])
    if viewer != "hmrc analyst":
        assert "HMRC's own spelling" not in names and "Tax Only Ltd" not in names
    if viewer != "ie analyst":
        assert not any("IE" in n or "Illegal" in n for n in names)
        assert "IE" not in rl.agency_codes


def test_score_counts_visible_agencies_with_the_printed_formula(world: World) -> None:
    with world.store.read() as unit:
        fs = risklist.risk_list(unit, actor=world.actors["fs analyst"])
    shared = fs.rows.set_index("business_id").loc[world.biz["shared"]]
    assert shared["n_agencies"] == 2 and shared["score"] == 3 + 3 + 2
    with world.store.read() as unit:
        ie = risklist.risk_list(unit, actor=world.actors["ie analyst"])
    assert ie.rows.set_index("business_id").loc[world.biz["shared"], "score"] == 3 + 3 + 3 + 2 * 2
    assert "plus 2 for every agency beyond the first" in fs.formula
    with world.store.read() as unit:
        # the default view is at least one agency; filtering for 2+ keeps only the shared business
        two = risklist.risk_list(unit, actor=world.actors["fs analyst"], filters=risklist.RiskFilters(min_agencies=2))
    assert list(two.rows["business_id"]) == [world.biz["shared"]]


def test_freshness_and_last_contact_come_from_visible_records(world: World) -> None:
    with world.store.read() as unit:
        rl = risklist.risk_list(unit, actor=world.actors["fs analyst"])
    row = rl.rows.set_index("business_id").loc[world.biz["shared"]]
    assert row["last_contact"] == date(2026, 10, 1)  # HMRC's and IE's later dates are not theirs to show
    assert bool(row["stale"]) is True  # HMRC's data is 200 days old
    with world.store.read() as unit:
        fresh = risklist.dataset_freshness(unit, actor=world.actors["fs analyst"])
    assert set(fresh["agency"]) == {"FS", "HMRC"}


def test_filters(world: World) -> None:
    actor = world.actors["ie analyst"]

    def by(**kw: object) -> set[int]:
        with world.store.read() as unit:
            return set(risklist.risk_list(unit, actor=actor, filters=risklist.RiskFilters(**kw)).rows["business_id"])

    assert by(agency_codes=("IE",)) == {world.biz["shared"], world.biz["ie only"]}
    assert by(agency_codes=("IE", "FS")) == {world.biz["shared"]}
    assert by(text="corner") == {world.biz["fs only"]}
    assert by(area="KM2") == set()
    assert by(area="km1", min_agencies=3) == {world.biz["shared"]}
    with pytest.raises(ValidationError, match="1 or more"):
        by(min_agencies=0)


def test_narrowing_and_overlaps_leave_the_whole_list_as_it_was(world: World) -> None:
    """The risk list page shares one whole list between runs and sessions (st.cache_resource, not copied):
    filtering it and drawing its charts must never change it in place."""
    with world.store.read() as unit:
        whole = risklist.whole_list(unit, actor=world.actors["ie analyst"])
    before_rows, before_datasets = whole.rows.copy(deep=True), whole.datasets.copy(deep=True)
    for filters in (risklist.RiskFilters(), risklist.RiskFilters(min_agencies=1),
                    risklist.RiskFilters(text="corner", area="km1", districts=("KM1",), sector="Food",
                                         agency_codes=("IE", "FS"), min_agencies=1, tasking_only=True)):
        narrowed = risklist.narrow(whole, filters, limit=1)
        narrowed.rows["name"] = "changed by the page"
    risklist.overlaps(whole)
    pd.testing.assert_frame_equal(whole.rows, before_rows)
    pd.testing.assert_frame_equal(whole.datasets, before_datasets)


def test_a_premises_known_only_by_its_address_is_listed_as_having_no_name(world: World) -> None:
    with world.store.uow() as uow:
        s = uow.session
        fs = s.scalar(select(Dataset).where(Dataset.name == "FS list"))
        b = Business(name="", address="Flat 2, 7 Mill Lane", postcode="KM1 1AA", district="KM1")
        s.add(b)
        s.flush()
        s.add(AgencyRecord(dataset_id=fs.id, agency_id=fs.agency_id, business_id=b.id, reference="F9", trading_name="",
                           company_name="", address="Flat 2, 7 Mill Lane", postcode="KM1 1AA", current=True))
        uow.commit()
        premises = b.id
    with world.store.read() as unit:
        listing = risklist.risk_list(unit, actor=world.actors["fs analyst"],
                                     filters=risklist.RiskFilters(text="mill lane", min_agencies=1))
    assert listing.rows[["business_id", "name", "address"]].to_dict("records") == [
        {"business_id": premises, "name": risklist.NO_NAME, "address": "Flat 2, 7 Mill Lane"}]
    with world.store.read() as unit:
        assert set(risklist.risk_list(unit, actor=world.actors["fs analyst"],
                                      filters=risklist.RiskFilters(min_agencies=1))
                   .rows.set_index("business_id").drop(index=premises)["name"]) >= {"Corner Cafe"}


def test_officers_do_not_get_the_list(world: World) -> None:
    with pytest.raises(Forbidden):
        with world.store.read() as unit:
            risklist.risk_list(unit, actor=world.actors["fs officer"])


def test_detail_hides_what_the_viewer_may_not_read(world: World) -> None:
    with world.store.read() as unit:
        fs = risklist.business_detail(unit, actor=world.actors["fs analyst"], business_id=world.biz["shared"])
    assert [r["agency"] for r in fs["records"]] == ["FS"]
    assert fs["interest"] == [{"agency": "HMRC", "band": "high"}]
    # connected to the FS-only business (visible), not to the IE-only one (hidden from FS)
    assert [c["business_id"] for c in fs["connections"]] == [world.biz["fs only"]]
    with world.store.read() as unit:
        ie = risklist.business_detail(unit, actor=world.actors["ie analyst"], business_id=world.biz["shared"])
    assert sorted(r["agency"] for r in ie["records"]) == ["FS", "IE"]
    [why] = ie["why"]   # the second record against the first: the likelihood and the fields in words
    assert "% likely, says the matcher: same " in why["note"], why["note"]
    assert {c["business_id"] for c in ie["connections"]} == {world.biz["fs only"], world.biz["ie only"]}
    with pytest.raises(NotFound):
        with world.store.read() as unit:
            risklist.business_detail(unit, actor=world.actors["fs analyst"], business_id=world.biz["ie only"])


def test_send_to_tasking_once_and_audited(world: World) -> None:
    actor = world.actors["lic coordinator"]
    with pytest.raises(ValidationError, match="Reason"):
        with world.store.uow() as unit:
            risklist.send_to_tasking(unit, actor=actor, business_ids=[world.biz["shared"]], reason="  ")
    with pytest.raises(NotFound):  # a business the coordinator cannot see is refused, nothing written
        with world.store.uow() as unit:
            risklist.send_to_tasking(unit, actor=actor, business_ids=[world.biz["shared"], world.biz["ie only"]],
                                     reason="joint visit")
    with world.store.uow() as unit:
        assert risklist.send_to_tasking(unit, actor=actor, business_ids=[world.biz["shared"]],
                                        reason="three agencies, high") == 1
    with world.store.uow() as unit:
        assert risklist.send_to_tasking(unit, actor=actor, business_ids=[world.biz["shared"], world.biz["fs only"]],
                                        reason="again") == 1
    with world.store.read() as s:
        assert s.session.scalar(select(func.count()).select_from(TaskingRequest)) == 2
        assert s.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "tasking.request")) == 2
    with world.store.read() as unit:
        rl = risklist.risk_list(unit, actor=actor, filters=risklist.RiskFilters(tasking_only=True))
    assert set(rl.rows["business_id"]) == {world.biz["shared"], world.biz["fs only"]}


def test_exports_are_marked_safe_for_excel_and_audited(world: World) -> None:
    actor = world.actors["fs analyst"]
    with world.store.uow() as unit:
        data, name = risklist.export(unit, actor=actor, filters=risklist.RiskFilters(), fmt="csv",
                                     marking="OFFICIAL-SENSITIVE")
    assert name.endswith(".csv")
    text = data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][0].startswith("OFFICIAL-SENSITIVE") and rows[-1][0].startswith("OFFICIAL-SENSITIVE")
    names = [r[1] for r in rows[2:-1]]
    assert "'=HYPERLINK(\"http://x\")" in names
    assert not any(cell.startswith(("=", "+", "-", "@")) for r in rows for cell in r)
    assert "IE's own spelling" not in text and "HMRC's own spelling" not in text
    with world.store.uow() as unit:

        xlsx, _ = risklist.export(unit, actor=actor, filters=risklist.RiskFilters(), fmt="xlsx",
                                  marking="OFFICIAL-SENSITIVE")
    ws = load_workbook(io.BytesIO(xlsx)).active
    assert str(ws["A1"].value).startswith("OFFICIAL-SENSITIVE")
    values = [c.value for row in ws.iter_rows() for c in row]
    assert all(not (isinstance(v, str) and v.startswith("=")) for v in values)
    assert ws.oddHeader.center.text == "OFFICIAL-SENSITIVE"  # the marking on every printed page
    with world.store.read() as s:
        assert s.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "risklist.export")) == 2
    with pytest.raises(Forbidden):
        with world.store.uow() as unit:
            risklist.export(unit, actor=world.actors["fs admin"], filters=risklist.RiskFilters(), fmt="csv",
                            marking="x")


def test_overlaps_count_pairs(world: World) -> None:
    with world.store.read() as unit:
        rl = risklist.whole_list(unit, actor=world.actors["ie analyst"])
    m = risklist.overlaps(rl)
    assert m.at["FS", "IE"] == 1 and m.at["FS", "FS"] == 2 and m.at["IE", "IE"] == 2 and m.at["HMRC", "IE"] == 1


def test_a_business_known_only_through_interest_only_data_is_never_named(world: World) -> None:
    coordinator = world.actors["lic coordinator"]
    with world.store.read() as s:
        with pytest.raises(NotFound):
            visits.interest(s, actor=coordinator, business_id=world.biz["hmrc only"])
        with pytest.raises(NotFound):
            visits.interest(s, actor=coordinator, business_id=world.biz["ie only"])
        offered = set(operations.candidates(s, actor=coordinator, min_agencies=1)["business_id"])
        assert world.biz["hmrc only"] not in offered and world.biz["ie only"] not in offered
        assert world.biz["shared"] in offered
        assert visits.interest(s, actor=coordinator, business_id=world.biz["shared"])
