"""Datasets and imports on both databases: snapshots, history, all-or-nothing, permissions, audit."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from core.domain import Role
from core.errors import Forbidden, ValidationError
from core.importing.validate import RejectedFile
from core.permissions import Actor
from core.services import datasets, linking
from core.store.models import AgencyRecord, AuditEvent, Business, Dataset, User
from tests.store.conftest import Small

MAPPING = {"reference": "Case Ref", "name": ["Entity", "Legal Name"], "address": ["Address"], "postcode": "Postcode",
           "risk": "Risk Score", "last_contact": "Last Visit"}
HEADER = "Case Ref,Entity,Legal Name,Address,Postcode,Risk Score,Last Visit\n"
FIRST = HEADER + (
    "H-1,Kebab House,KH Ltd,12 The Broadway,KM1 1AA,82,01/03/2024\n"
    "H-2,Nail Bar,,3 High St,KM1 2BB,45,2024-02-01\n"
    "H-3,Car Wash,,Unit 4 Mill Lane,KM2 3CC,12,\n"
)
SECOND = HEADER + (
    "H-1,Kebab House,KH Ltd,12 The Broadway,KM1 1AA,82,01/03/2024\n"   # unchanged
    "H-2,Nail Bar,,3 High St,KM1 2BB,71,2024-02-01\n"                  # risk changed
    "H-4,Vape Shop,,9 Station Rd,KM3 4DD,55,\n"                          # new; H-3 removed
)


def _dataset(small: Small, **kw) -> int:  # noqa: ANN003
    with small.store.uow() as uow:
        did = datasets.create_dataset(uow, actor=small.analyst, name="Tax risk list", **kw)
        datasets.set_risk_scale(uow, actor=small.analyst, dataset_id=did,
                                scale={"type": "numeric", "high_from": 70, "medium_from": 40})
        uow.commit()
    return did


def _current(small: Small, did: int) -> dict[str, AgencyRecord]:
    with small.store.read() as s:
        return {r.reference: r for r in s.session.scalars(select(AgencyRecord).where(AgencyRecord.dataset_id == did,
                                                                                     AgencyRecord.current.is_(True)))}


def test_import_then_reimport_replaces_the_snapshot_and_keeps_history(small: Small) -> None:
    did = _dataset(small)
    steps: list[float] = []
    with small.store.uow() as unit:
        first = datasets.import_file(unit, actor=small.analyst, dataset_id=did, data=FIRST.encode(),
                                     filename="tax_2024-03.csv", mapping=MAPPING,
                                     progress=lambda f, _m: steps.append(f), mode="replace")
    assert (first.rows, first.added, first.changed, first.removed) == (3, 3, 0, 0)
    assert steps == sorted(steps) and steps[-1] == 1.0
    before = _current(small, did)
    assert {r: (x.risk_band, x.company_name, str(x.last_contact)) for r, x in before.items()} == {
        "H-1": ("high", "KH Ltd", "2024-03-01"), "H-2": ("medium", "", "2024-02-01"), "H-3": ("low", "", "None")}
    assert all(x.business_id is not None for x in before.values())
    with small.store.uow() as unit:

        second = datasets.import_file(unit, actor=small.analyst, dataset_id=did, data=SECOND.encode(),
                                      filename="tax_2024-04.csv", mapping=MAPPING, mode="replace")
    assert (second.rows, second.added, second.changed, second.removed) == (3, 1, 1, 1)
    assert (second.added_refs, second.changed_refs, second.removed_refs) == (["H-4"], ["H-2"], ["H-3"])
    after = _current(small, did)
    assert set(after) == {"H-1", "H-2", "H-4"}
    assert after["H-1"].business_id == before["H-1"].business_id  # unchanged references keep their business
    assert after["H-2"].business_id == before["H-2"].business_id and after["H-2"].risk_band == "high"
    with small.store.read() as s:
        hist = datasets.history(s, actor=small.analyst, dataset_id=did)
        ds = s.session.get(Dataset, did)
        assert ds.column_mapping["name"] == ["Entity", "Legal Name"] and ds.last_imported_at is not None
    assert [(h["filename"], h["by"], h["rows"], h["added"], h["changed"], h["removed"]) for h in hist] == [
        ("tax_2024-04.csv", "Ana Lyst", 3, 1, 1, 1), ("tax_2024-03.csv", "Ana Lyst", 3, 3, 0, 0)]
    assert hist[0]["report"]["removed_refs"] == ["H-3"]


def test_a_reference_that_comes_back_keeps_its_business(small: Small) -> None:
    did = _dataset(small)
    with small.store.uow() as unit:
        datasets.import_file(unit, actor=small.analyst, dataset_id=did, data=FIRST.encode(), filename="a.csv",
                             mapping=MAPPING, mode="replace")
    biz = _current(small, did)["H-3"].business_id
    with small.store.uow() as unit:
        datasets.import_file(unit, actor=small.analyst, dataset_id=did, data=SECOND.encode(), filename="b.csv",
                             mapping=MAPPING, mode="replace")
    with small.store.uow() as unit:
        back = datasets.import_file(unit, actor=small.analyst, dataset_id=did, data=FIRST.encode(), filename="c.csv",
                                    mapping=MAPPING, mode="replace")
    assert (back.added, back.removed) == (1, 1)
    assert _current(small, did)["H-3"].business_id == biz


def test_a_file_with_errors_writes_nothing_and_returns_the_report(small: Small) -> None:
    did = _dataset(small)
    with small.store.uow() as unit:
        datasets.import_file(unit, actor=small.analyst, dataset_id=did, data=FIRST.encode(), filename="a.csv",
                             mapping=MAPPING, mode="replace")
    bad = SECOND + "H-4,Dup,,1 A St,KM1 1AA,10,\n,No ref,,2 B St,KM1 1AA,10,31/31/2024\n"
    with pytest.raises(RejectedFile, match="Nothing was imported") as exc:
        with small.store.uow() as unit:
            datasets.import_file(unit, actor=small.analyst, dataset_id=did, data=bad.encode(), filename="bad.csv",
                                 mapping=MAPPING, mode="replace")
    assert [(i.row, i.problem.split(":")[0]) for i in exc.value.issues if i.severity == "error"] == [
        (5, "duplicate reference"), (6, "the reference is missing"), (6, "date not understood")]
    assert set(_current(small, did)) == {"H-1", "H-2", "H-3"}
    with small.store.read() as s:
        assert len(datasets.history(s, actor=small.analyst, dataset_id=did)) == 1


def test_a_failure_while_matching_leaves_the_previous_snapshot_intact(small: Small, monkeypatch: pytest.MonkeyPatch) -> None:
    did = _dataset(small)
    with small.store.uow() as unit:
        datasets.import_file(unit, actor=small.analyst, dataset_id=did, data=FIRST.encode(), filename="a.csv",
                             mapping=MAPPING, mode="replace")
    before = {r: (x.risk_value, x.business_id) for r, x in _current(small, did).items()}
    with small.store.read() as s:
        stamp = s.session.get(Dataset, did).last_imported_at
        businesses = len(s.session.scalars(select(Business.id)).all())

    def broken(session, progress=None):  # noqa: ANN001, ANN202
        session.flush()
        raise RuntimeError("matcher crashed")

    monkeypatch.setattr(linking, "relink", broken)
    with pytest.raises(RuntimeError):
        with small.store.uow() as unit:
            datasets.import_file(unit, actor=small.analyst, dataset_id=did, data=SECOND.encode(), filename="b.csv",
                                 mapping=MAPPING, mode="replace")
    assert {r: (x.risk_value, x.business_id) for r, x in _current(small, did).items()} == before
    with small.store.read() as s:
        assert s.session.get(Dataset, did).last_imported_at == stamp
        assert len(datasets.history(s, actor=small.analyst, dataset_id=did)) == 1
        assert len(s.session.scalars(select(Business.id)).all()) == businesses
        assert s.session.scalar(select(AuditEvent.id).where(AuditEvent.action == "dataset.import",
                                                            AuditEvent.summary.contains("b.csv"))) is None


def test_an_empty_file_is_refused(small: Small) -> None:
    did = _dataset(small)
    with pytest.raises(ValidationError, match="no data rows"):
        with small.store.uow() as unit:
            datasets.import_file(unit, actor=small.analyst, dataset_id=did, data=HEADER.encode(), filename="empty.csv",
                                 mapping=MAPPING, mode="replace")


def _ts_analyst(small: Small) -> Actor:
    with small.store.uow() as uow:
        u = User(username="tina", name="Tina", role="analyst", agency_id=small.ts, password_hash="x")
        uow.session.add(u)
        uow.commit()
    return Actor(u.id, "tina", "Tina", Role.ANALYST, small.ts, "Trading Standards")


def test_only_analysts_of_the_owning_agency_manage_a_dataset(small: Small, officer: Actor) -> None:
    did = _dataset(small)
    for who in (_ts_analyst(small), small.admin, officer):
        with pytest.raises(Forbidden):
            with small.store.uow() as unit:
                datasets.import_file(unit, actor=who, dataset_id=did, data=FIRST.encode(), filename="a.csv",
                                     mapping=MAPPING, mode="replace")
        with small.store.uow() as uow, pytest.raises(Forbidden):
            datasets.set_limits(uow, actor=who, dataset_id=did, sharing="owner-only")
        with small.store.read() as s, pytest.raises(Forbidden):
            datasets.history(s, actor=who, dataset_id=did)
    with small.store.uow() as uow, pytest.raises(Forbidden):
        datasets.create_dataset(uow, actor=officer, name="Mine")
    assert _current(small, did) == {}


def test_sharing_staleness_and_risk_scale_changes_are_audited_and_reband(small: Small) -> None:
    did = _dataset(small)
    with small.store.uow() as unit:
        datasets.import_file(unit, actor=small.analyst, dataset_id=did, data=FIRST.encode(), filename="a.csv",
                             mapping=MAPPING, mode="replace")
    with small.store.uow() as uow:
        datasets.set_limits(uow, actor=small.analyst, dataset_id=did, sharing="interest-only", stale_after_days=30)
        rebanded = datasets.set_risk_scale(uow, actor=small.analyst, dataset_id=did,
                                           scale={"type": "numeric", "high_from": 40, "medium_from": 10})
        uow.commit()
    assert rebanded == 2  # 45 medium -> high, 12 low -> medium
    assert {r: x.risk_band for r, x in _current(small, did).items()} == {"H-1": "high", "H-2": "high", "H-3": "medium"}
    with small.store.read() as s:
        events = {e.action: e for e in s.session.scalars(select(AuditEvent).where(AuditEvent.entity == "dataset"))}
        mine = datasets.datasets(s, actor=small.analyst)
    assert events["dataset.sharing"].before == {"sharing": "full"} and events["dataset.sharing"].after == {"sharing": "interest-only"}
    assert events["dataset.stale_after_days"].after == {"stale_after_days": 30}
    assert events["dataset.risk_scale"].after["risk_scale"]["high_from"] == 40
    assert "dataset.import" in events and "dataset.create" in events
    assert [(d["name"], d["sharing"], d["records"], d["stale"]) for d in mine] == [("Tax risk list", "interest-only", 3, False)]
    with small.store.uow() as uow, pytest.raises(ValidationError, match="Sharing: choose one of"):
        datasets.set_limits(uow, actor=small.analyst, dataset_id=did, sharing="public")


def test_freshness_hides_other_agencies_owner_only_datasets(small: Small) -> None:
    did = _dataset(small)
    with small.store.uow() as uow:
        datasets.set_limits(uow, actor=small.analyst, dataset_id=did, sharing="owner-only")
        uow.commit()
    with small.store.read() as s:
        assert [f["dataset"] for f in datasets.freshness(s, actor=small.analyst)] == ["Tax risk list"]
        assert datasets.freshness(s, actor=small.admin) == []


def test_demo_datasets_are_importable_with_their_saved_mapping(demo_store) -> None:  # noqa: ANN001
    """An IE analyst re-imports the demo's own snapshot shape: the saved mapping and scale fit it."""
    from core.services.accounts import load_actor

    with demo_store.read() as s:
        analyst = load_actor(s.session, "analyst")
        mine = datasets.datasets(s, actor=analyst)
    ds = mine[0]
    cols = ds["column_mapping"]
    csv = (f"{cols['reference']},{cols['name'][0]},{cols['address'][0]},{cols['postcode']},{cols['risk']},{cols['last_contact']}\n"
           "IWI-999001,Quick Wash,1 Mill Lane,KM1 1AA,5,2025-01-02\n")
    with demo_store.read() as s:
        checked = datasets.check_file(s, actor=analyst, dataset_id=ds["id"], data=csv.encode(), filename="iwi.csv",
                                      mapping=cols)
    assert checked.ok and checked.rows[0].risk_band == "high"
