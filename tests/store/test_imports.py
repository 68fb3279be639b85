"""Imports on both databases: what an import will do before it does it, the two modes, undo, one at a time."""
from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select, update

from core.domain import Role
from core.errors import Conflict, Forbidden, NotFound, ValidationError
from core.importing.reader import read_table
from core.permissions import Actor
from core.services import datasets, linking
from core.store.models import AgencyRecord, AuditEvent, Business, Dataset, DatasetImport, User
from tests.store.conftest import Small
from tests.store.test_datasets import FIRST, HEADER, MAPPING, SECOND, _current, _dataset


def _file(refs: list[int], *, risk: dict[int, int] | None = None, prefix: str = "H") -> bytes:
    risk = risk or {}
    lines = [f"{prefix}-{i},Shop {i},,{i} High St,KM1 {i % 9 + 1}AA,{risk.get(i, 50)},2024-03-01" for i in refs]
    return (HEADER + "\n".join(lines) + "\n").encode()


def _analyst(small: Small, username: str, name: str, agency_id: int | None = None) -> Actor:
    agency_id = agency_id or small.hmrc
    with small.store.uow() as uow:
        u = User(username=username, name=name, role="analyst", agency_id=agency_id, password_hash="x")
        uow.session.add(u)
        uow.commit()
    return Actor(u.id, username, name, Role.ANALYST, agency_id, "")


def _plan(small: Small, did: int, data: bytes, name: str = "partial.csv") -> datasets.ImportPlan:
    table = read_table(data, name)
    with small.store.read() as s:
        return datasets.plan_import(s, actor=small.analyst, dataset_id=did, table=table, mapping=MAPPING)


# --- the preview ----------------------------------------------------------------------------


def test_the_preview_says_what_the_import_will_do_and_writes_nothing(small: Small) -> None:
    did = _dataset(small)
    with small.store.uow() as unit:
        datasets.import_file(unit, actor=small.analyst, dataset_id=did, data=_file(list(range(1, 21))),
                             filename="full.csv", mapping=MAPPING, mode="replace")
    plan = _plan(small, did, _file([1, 2, 3, 99], risk={2: 99}))
    assert (plan.rows, plan.new, plan.changed, plan.unchanged, plan.absent, plan.current) == (4, 1, 1, 2, 17, 20)
    assert plan.needs_choice and plan.low_share
    assert "4 rows" in plan.warning and "20 current records" in plan.warning and "20%" in plan.warning
    assert [r["Reference"] for r in plan.new_sample] == ["H-99"]
    assert plan.changed_sample == [{"Reference": "H-2", "Name": "Shop 2", "What changes": "risk value 50 → 99; risk band medium → high"}]
    assert [r["Reference"] for r in plan.absent_sample] == [f"H-{i}" for i in range(4, 14)]  # a sample of ten
    assert plan.absent_sample[0]["Name"] == "Shop 4"
    assert len(_current(small, did)) == 20
    with small.store.read() as s:
        assert len(datasets.history(s, actor=small.analyst, dataset_id=did)) == 1


def test_a_file_that_covers_the_dataset_needs_no_choice(small: Small) -> None:
    did = _dataset(small)
    with small.store.uow() as unit:
        datasets.import_file(unit, actor=small.analyst, dataset_id=did, data=FIRST.encode(), filename="a.csv",
                             mapping=MAPPING, mode="replace")
    plan = _plan(small, did, FIRST.encode() + b"H-9,New,,9 Low Rd,KM1 1AA,10,\n")
    assert (plan.new, plan.absent, plan.needs_choice, plan.low_share, plan.warning) == (1, 0, False, False, "")


def test_the_mode_must_be_one_of_the_two(small: Small) -> None:
    did = _dataset(small)
    with pytest.raises(ValidationError, match="Choose whether this file is the whole dataset"):
        with small.store.uow() as unit:
            datasets.import_file(unit, actor=small.analyst, dataset_id=did, data=FIRST.encode(), filename="a.csv",
                                 mapping=MAPPING, mode="")


# --- the two modes --------------------------------------------------------------------------


def test_add_and_update_only_keeps_what_the_file_leaves_out(small: Small) -> None:
    did = _dataset(small)
    with small.store.uow() as unit:
        datasets.import_file(unit, actor=small.analyst, dataset_id=did, data=_file(list(range(1, 21))),
                             filename="full.csv", mapping=MAPPING, mode="replace")
    with small.store.uow() as unit:
        result = datasets.import_file(unit, actor=small.analyst, dataset_id=did,
                                      data=_file([1, 2, 3, 99], risk={2: 99}), filename="partial.csv",
                                      mapping=MAPPING, mode="upsert")
    assert (result.added, result.changed, result.removed, result.kept) == (1, 1, 0, 17)
    current = _current(small, did)
    assert len(current) == 21 and current["H-2"].risk_value == "99" and current["H-20"].risk_value == "50"
    with small.store.read() as s:
        latest = datasets.history(s, actor=small.analyst, dataset_id=did)[0]
        audit = s.session.scalars(select(AuditEvent).where(AuditEvent.action == "dataset.import").order_by(AuditEvent.id.desc())).first()
    assert (latest["mode"], latest["removed"]) == ("upsert", 0)
    assert audit.after["mode"] == "upsert" and "add and update only" in audit.summary


def test_the_whole_dataset_mode_retires_what_the_file_leaves_out(small: Small) -> None:
    did = _dataset(small)
    with small.store.uow() as unit:
        datasets.import_file(unit, actor=small.analyst, dataset_id=did, data=_file(list(range(1, 21))),
                             filename="full.csv", mapping=MAPPING, mode="replace")
    with small.store.uow() as unit:
        result = datasets.import_file(unit, actor=small.analyst, dataset_id=did, data=_file([1, 2, 3, 99]),
                                      filename="partial.csv", mapping=MAPPING, mode="replace")
    assert (result.added, result.removed, result.kept) == (1, 17, 0)
    assert set(_current(small, did)) == {"H-1", "H-2", "H-3", "H-99"}


# --- undo -----------------------------------------------------------------------------------


def _state(small: Small, did: int) -> dict[str, tuple]:
    with small.store.read() as s:
        rows = s.session.scalars(select(AgencyRecord).where(AgencyRecord.dataset_id == did)).all()
        return {r.reference: (r.current, r.risk_value, r.risk_band, r.trading_name, r.company_name, r.address, r.postcode,
                              str(r.last_contact), r.extra) for r in rows}


def test_undo_restores_the_previous_snapshot_audited_and_matched_again(small: Small) -> None:
    did = _dataset(small)
    with small.store.uow() as unit:
        first = datasets.import_file(unit, actor=small.analyst, dataset_id=did, data=FIRST.encode(), filename="a.csv",
                                     mapping=MAPPING, mode="replace")
    after_first = _state(small, did)
    business = {r: x.business_id for r, x in _current(small, did).items()}
    with small.store.read() as s:
        stamp = s.session.get(Dataset, did).last_imported_at
    with small.store.uow() as unit:
        second = datasets.import_file(unit, actor=small.analyst, dataset_id=did, data=SECOND.encode(), filename="b.csv",
                                      mapping=MAPPING, mode="replace")
    assert (second.added, second.changed, second.removed) == (1, 1, 1)
    with small.store.uow() as unit:

        undone = datasets.undo_import(unit, actor=small.analyst, dataset_id=did, import_id=second.import_id)
    assert (undone.filename, undone.restored, undone.retired) == ("b.csv", 2, 1)  # H-2 back, H-3 back; H-4 retired
    assert {r: v for r, v in _state(small, did).items() if v[0]} == {r: v for r, v in after_first.items() if v[0]}
    assert not _state(small, did)["H-4"][0]
    current = _current(small, did)
    assert {r: x.business_id for r, x in current.items()} == business  # matched again: each keeps its business
    with small.store.read() as s:
        ds = s.session.get(Dataset, did)
        assert ds.last_imported_at == stamp
        hist = datasets.history(s, actor=small.analyst, dataset_id=did)
        event = s.session.scalars(select(AuditEvent).where(AuditEvent.action == "dataset.import_undo")).one()
        h4_business = s.session.scalar(select(AgencyRecord.business_id).where(AgencyRecord.reference == "H-4"))
        assert not s.session.get(Business, h4_business).active  # the matching ran again: H-4's business has no records
    assert [(h["filename"], h["undone"], h["can_undo"]) for h in hist] == [("b.csv", True, False), ("a.csv", False, True)]
    assert hist[0]["undone_by"] == "Ana Lyst"
    assert event.entity_id == str(did) and event.after["import_id"] == second.import_id
    assert "undid the import of b.csv" in event.summary
    with small.store.uow() as unit:

        datasets.undo_import(unit, actor=small.analyst, dataset_id=did, import_id=first.import_id)
    assert _current(small, did) == {}
    with small.store.read() as s:
        assert s.session.get(Dataset, did).last_imported_at is None
        assert not [h for h in datasets.history(s, actor=small.analyst, dataset_id=did) if h["can_undo"]]
    with pytest.raises(Conflict, match="already undone"):
        with small.store.uow() as unit:
            datasets.undo_import(unit, actor=small.analyst, dataset_id=did, import_id=first.import_id)


def test_an_add_and_update_import_is_undone_too(small: Small) -> None:
    did = _dataset(small)
    with small.store.uow() as unit:
        datasets.import_file(unit, actor=small.analyst, dataset_id=did, data=_file(list(range(1, 11))),
                             filename="full.csv", mapping=MAPPING, mode="replace")
    before = _state(small, did)
    with small.store.uow() as unit:
        partial = datasets.import_file(unit, actor=small.analyst, dataset_id=did, data=_file([1, 2, 99], risk={1: 90}),
                                       filename="p.csv", mapping=MAPPING,
                                       mode="upsert")
    with small.store.uow() as unit:
        datasets.undo_import(unit, actor=small.analyst, dataset_id=did, import_id=partial.import_id)
    after = _state(small, did)
    assert {r: v for r, v in after.items() if r != "H-99"} == before and not after["H-99"][0]


def test_only_the_latest_import_is_undone_and_only_by_its_agency(small: Small, officer: Actor) -> None:
    did = _dataset(small)
    with small.store.uow() as unit:
        first = datasets.import_file(unit, actor=small.analyst, dataset_id=did, data=FIRST.encode(), filename="a.csv",
                                     mapping=MAPPING, mode="replace")
    with small.store.uow() as unit:
        second = datasets.import_file(unit, actor=small.analyst, dataset_id=did, data=SECOND.encode(), filename="b.csv",
                                      mapping=MAPPING, mode="replace")
    with pytest.raises(Conflict, match=r"Undo the import of b.csv \(.*\) first: imports are undone newest first"):
        with small.store.uow() as unit:
            datasets.undo_import(unit, actor=small.analyst, dataset_id=did, import_id=first.import_id)
    for who in (_analyst(small, "tina", "Tina", small.ts), small.admin, officer):
        with pytest.raises(Forbidden):
            with small.store.uow() as unit:
                datasets.undo_import(unit, actor=who, dataset_id=did, import_id=second.import_id)
    with pytest.raises(NotFound):
        with small.store.uow() as unit:
            datasets.undo_import(unit, actor=small.analyst, dataset_id=did, import_id=second.import_id + 100)
    colleague = _analyst(small, "bo", "Bo Analyst")
    with small.store.uow() as unit:
        datasets.undo_import(unit, actor=colleague, dataset_id=did,
                             import_id=second.import_id)  # any analyst of the owning agency
    assert set(_current(small, did)) == {"H-1", "H-2", "H-3"}


def test_a_new_import_after_an_undo_and_its_own_undo(small: Small) -> None:
    did = _dataset(small)
    with small.store.uow() as unit:
        datasets.import_file(unit, actor=small.analyst, dataset_id=did, data=FIRST.encode(), filename="a.csv",
                             mapping=MAPPING, mode="replace")
    with small.store.uow() as unit:
        second = datasets.import_file(unit, actor=small.analyst, dataset_id=did, data=SECOND.encode(), filename="b.csv",
                                      mapping=MAPPING, mode="replace")
    with small.store.uow() as unit:
        datasets.undo_import(unit, actor=small.analyst, dataset_id=did, import_id=second.import_id)
    restored = _state(small, did)
    with small.store.uow() as unit:
        third = datasets.import_file(unit, actor=small.analyst, dataset_id=did, data=SECOND.encode(), filename="c.csv",
                                     mapping=MAPPING, mode="replace")
    assert (third.added, third.changed, third.removed) == (1, 1, 1)  # H-4 comes back as the same record
    with small.store.uow() as unit:
        datasets.undo_import(unit, actor=small.analyst, dataset_id=did, import_id=third.import_id)
    assert _state(small, did) == restored


# --- one import of a dataset at a time ------------------------------------------------------


def test_an_import_from_a_preview_older_than_the_data_is_refused_naming_who(small: Small) -> None:
    did = _dataset(small)
    with small.store.uow() as unit:
        datasets.import_file(unit, actor=small.analyst, dataset_id=did, data=FIRST.encode(), filename="a.csv",
                             mapping=MAPPING, mode="replace")
    plan = _plan(small, did, SECOND.encode())
    colleague = _analyst(small, "bo", "Bo Analyst")
    with small.store.uow() as unit:
        datasets.import_file(unit, actor=colleague, dataset_id=did, data=_file([7, 8]), filename="bo.csv",
                             mapping=MAPPING, mode="replace")
    with pytest.raises(Conflict, match=r"Bo Analyst imported bo.csv at \d\d:\d\d UTC, after this preview was made"):
        with small.store.uow() as unit:
            datasets.import_file(unit, actor=small.analyst, dataset_id=did, data=SECOND.encode(), filename="b.csv",
                                 mapping=MAPPING, mode="replace",
                                 expected_version=plan.version)
    assert set(_current(small, did)) == {"H-7", "H-8"}
    fresh = _plan(small, did, SECOND.encode())
    assert fresh.version > plan.version
    with small.store.uow() as unit:
        datasets.import_file(unit, actor=small.analyst, dataset_id=did, data=SECOND.encode(), filename="b.csv",
                             mapping=MAPPING, mode="replace",
                             expected_version=fresh.version)
    assert set(_current(small, did)) == {"H-1", "H-2", "H-4"}


def test_a_second_import_while_one_runs_is_told_who_is_importing(small: Small, monkeypatch: pytest.MonkeyPatch) -> None:
    did = _dataset(small)
    matching, release = threading.Event(), threading.Event()
    real = linking.relink

    def slow(session, progress=None):  # noqa: ANN001, ANN202
        matching.set()
        assert release.wait(60)
        return real(session, progress=progress)

    monkeypatch.setattr(linking, "relink", slow)
    colleague = _analyst(small, "bo", "Bo Analyst")  # (made first: on SQLite the import holds the one write lock)
    outcome: list[object] = []

    def import_first() -> None:
        with small.store.uow() as unit:
            outcome.append(datasets.import_file(unit, actor=small.analyst, dataset_id=did, data=FIRST.encode(),
                                                filename="tax_1.csv", mapping=MAPPING, mode="replace"))

    first = threading.Thread(target=import_first)
    first.start()
    try:
        assert matching.wait(60)
        with pytest.raises(Conflict, match=r"Ana Lyst \(HM Revenue and Customs\) is importing tax_1.csv into Tax risk list "
                                           r"\(started at \d\d:\d\d UTC\)"):
            with small.store.uow() as unit:
                datasets.import_file(unit, actor=colleague, dataset_id=did, data=SECOND.encode(), filename="tax_2.csv",
                                     mapping=MAPPING, mode="replace")
        with small.store.read() as s:
            assert datasets.plan_import(s, actor=small.analyst, dataset_id=did,
                                        table=read_table(SECOND.encode(), "tax_2.csv"),
                                        mapping=MAPPING).busy.startswith(
                "Ana Lyst (HM Revenue and Customs) is importing tax_1.csv")
    finally:
        release.set()
        first.join(60)
    assert len(outcome) == 1 and set(_current(small, did)) == {"H-1", "H-2", "H-3"}
    with small.store.uow() as unit:
        datasets.import_file(unit, actor=small.analyst, dataset_id=did, data=SECOND.encode(), filename="tax_2.csv",
                             mapping=MAPPING, mode="replace")  # released


def _race(small: Small, did: int, files: list[bytes], expected_version: int | None) -> list[tuple[str, object]]:
    tables = [read_table(f, f"file_{i}.csv") for i, f in enumerate(files)]
    start = threading.Barrier(len(files))
    results: list[tuple[str, object]] = [("none", None)] * len(files)

    def one(i: int) -> None:
        start.wait()
        try:
            with small.store.uow() as unit:
                r = datasets.import_file(unit, actor=small.analyst, dataset_id=did, data=files[i],
                                         filename=f"file_{i}.csv", mapping=MAPPING, mode="replace",
                                         expected_version=expected_version, table=tables[i])
            results[i] = ("ok", r)
        except Conflict as exc:
            results[i] = ("conflict", str(exc))
        except BaseException as exc:  # noqa: BLE001 - anything else is what this test is for
            results[i] = ("error", repr(exc))

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(files))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(180)
    return results


def _ten_files() -> list[bytes]:
    return [_file([i * 100 + k for k in range(1, 6)], prefix=f"F{i}") for i in range(10)]


def test_ten_imports_of_one_preview_at_once_one_lands_and_nine_are_told(small: Small) -> None:
    did = _dataset(small)
    with small.store.uow() as unit:
        datasets.import_file(unit, actor=small.analyst, dataset_id=did, data=FIRST.encode(), filename="a.csv",
                             mapping=MAPPING, mode="replace")
    version = _plan(small, did, FIRST.encode()).version
    files = _ten_files()
    results = _race(small, did, files, version)
    assert not [r for r in results if r[0] in ("error", "none")], results
    won = [i for i, (kind, _r) in enumerate(results) if kind == "ok"]
    assert len(won) == 1, results
    for kind, message in results:
        if kind == "conflict":
            assert "is importing" in message or "after this preview was made" in message, message
    with small.store.read() as s:
        assert s.session.scalar(select(func.count()).select_from(DatasetImport).where(DatasetImport.dataset_id == did)) == 2
        assert s.session.get(Dataset, did).import_claim is None
    assert set(_current(small, did)) == {f"F{won[0]}-{won[0] * 100 + k}" for k in range(1, 6)}


def test_ten_imports_at_once_never_leave_a_mix_of_files(small: Small) -> None:
    did = _dataset(small)
    files = _ten_files()
    results = _race(small, did, files, None)
    assert not [r for r in results if r[0] in ("error", "none")], results
    assert all("is importing" in m for kind, m in results if kind == "conflict"), results
    landed = [r for kind, r in results if kind == "ok"]
    assert landed
    with small.store.read() as s:
        last = s.session.scalars(select(DatasetImport).where(DatasetImport.dataset_id == did)
                         .order_by(DatasetImport.id.desc())).first()
    i = int(last.filename.split("_")[1].split(".")[0])
    assert set(_current(small, did)) == {f"F{i}-{i * 100 + k}" for k in range(1, 6)}  # one file, whole


def test_a_claim_left_by_a_crashed_import_lapses_after_30_minutes(small: Small) -> None:
    did = _dataset(small)
    colleague = _analyst(small, "bo", "Bo Analyst")

    def claimed(minutes: int) -> None:
        with small.store.uow() as uow:
            uow.session.execute(update(Dataset).where(Dataset.id == did).values(
                import_claim="left-over", importing_by_id=colleague.id, importing_file="lost.csv",
                importing_since=datetime.now(timezone.utc) - timedelta(minutes=minutes)))
            uow.commit()

    claimed(5)
    with pytest.raises(Conflict, match="Bo Analyst .* is importing lost.csv"):
        with small.store.uow() as unit:
            datasets.import_file(unit, actor=small.analyst, dataset_id=did, data=FIRST.encode(), filename="a.csv",
                                 mapping=MAPPING, mode="replace")
    claimed(31)
    with small.store.uow() as unit:
        datasets.import_file(unit, actor=small.analyst, dataset_id=did, data=FIRST.encode(), filename="a.csv",
                             mapping=MAPPING, mode="replace")
    assert len(_current(small, did)) == 3


def test_a_failed_import_releases_the_dataset(small: Small, monkeypatch: pytest.MonkeyPatch) -> None:
    did = _dataset(small)

    def broken(session, progress=None):  # noqa: ANN001, ANN202
        raise RuntimeError("matcher crashed")

    with monkeypatch.context() as m:
        m.setattr(linking, "relink", broken)
        with pytest.raises(RuntimeError):
            with small.store.uow() as unit:
                datasets.import_file(unit, actor=small.analyst, dataset_id=did, data=FIRST.encode(), filename="a.csv",
                                     mapping=MAPPING, mode="replace")
    with small.store.read() as s:
        ds = s.session.get(Dataset, did)
        assert (ds.import_claim, ds.importing_by_id, ds.version) == (None, None, 0)
    with small.store.uow() as unit:
        datasets.import_file(unit, actor=small.analyst, dataset_id=did, data=FIRST.encode(), filename="a.csv",
                             mapping=MAPPING, mode="replace")


def test_a_nul_byte_is_refused_before_the_database_sees_it(small: Small) -> None:
    did = _dataset(small)
    with pytest.raises(ValidationError, match=r"row 3, column 'Entity'.*NUL"):
        with small.store.uow() as unit:
            datasets.import_file(unit, actor=small.analyst, dataset_id=did,
                                 data=FIRST.replace("Nail Bar", "Nail\x00Bar").encode(), filename="nul.csv",
                                 mapping=MAPPING, mode="replace")
    assert _current(small, did) == {}
