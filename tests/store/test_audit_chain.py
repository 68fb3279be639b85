"""The audit chain: every row carries the hash of the one before it, and `verify` finds any break.

Tampering is done as the database owner (triggers switched off or dropped), which is what the chain is for:
the app's own role cannot do it at all (tests/store/test_audit_roles.py).
"""
from __future__ import annotations

import json
import threading
import uuid
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from core.errors import Forbidden
from core.services import audit
from core.store import Store
from core.store.chain import GENESIS, verify
from core.store.engine import MIGRATIONS_DIR
from core.store.models import Agency, AuditEvent
from tests.conftest import BACKEND_PARAMS, DatabaseFactory, pg_create_database
from tests.store.conftest import Small


def _write(store: Store, n: int, *, per_uow: int = 1, tag: str = "w") -> None:
    for i in range(n):
        with store.uow() as uow:
            for j in range(per_uow):
                audit.record(uow.session, None, action="x.test", entity="x", entity_id=f"{i}.{j}",
                             before={"n": i, "when": None}, after={"n": i + 1, "ratio": 0.1 * i, "name": "Zoë"},
                             summary=f"{tag} {i}.{j}")
            uow.commit()


def _rows(store: Store) -> list[AuditEvent]:
    with store.read() as s:
        return list(s.session.scalars(select(AuditEvent).order_by(AuditEvent.id)))


def _tamper(store: Store, *statements: str) -> None:
    """Run statements as the owner with the audit triggers out of the way (ALTER/DROP TRIGGER)."""
    with store.engine.begin() as conn:
        if store.dialect == "postgresql":
            conn.execute(text("ALTER TABLE audit_events DISABLE TRIGGER USER"))
        else:
            names = conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_events'"))
            for (name,) in list(names):
                conn.execute(text(f'DROP TRIGGER "{name}"'))
        for statement in statements:
            conn.execute(text(statement))
        if store.dialect == "postgresql":
            conn.execute(text("ALTER TABLE audit_events ENABLE TRIGGER USER"))


def _verify(store: Store):  # noqa: ANN202
    with store.engine.connect() as conn:
        return verify(conn)


def test_each_row_carries_the_hash_of_the_one_before(small: Small) -> None:
    _write(small.store, 3)
    rows = _rows(small.store)
    assert [r.prev_hash for r in rows] == [GENESIS, rows[0].hash, rows[1].hash]
    assert len({r.hash for r in rows}) == 3 and all(len(r.hash) == 64 for r in rows)
    assert [r.id for r in rows] == list(range(rows[0].id, rows[0].id + 3)), "ids follow one another"


def test_chain_verifies_on_a_fresh_database(store: Store) -> None:
    report = _verify(store)
    assert report.ok and report.rows == 0 and report.first is None


def test_chain_verifies_on_a_busy_database(demo_store: Store) -> None:
    """The seeded demo, then single writes, several rows in one unit of work, and rows added as ORM objects."""
    _write(demo_store, 25)
    _write(demo_store, 5, per_uow=4, tag="multi")
    with demo_store.uow() as uow:
        uow.session.add(AuditEvent(actor_username="orm", action="x.orm", entity="x"))
        uow.flush()
        uow.session.add(Agency(code="BUSY", name="Busy agency", remit=[]))
        audit.record(uow.session, None, action="agency.create", entity="agency", summary="after a flush")
        uow.commit()
    report = _verify(demo_store)
    assert report.ok, report.breaks
    assert report.rows == len(_rows(demo_store)) >= 25 + 20 + 2 + 1


def test_a_rolled_back_unit_of_work_leaves_the_chain_whole(small: Small) -> None:
    _write(small.store, 2)
    with small.store.uow() as uow:
        audit.record(uow.session, None, action="x.test", entity="x", summary="never committed")
        uow.flush()
    with pytest.raises(RuntimeError), small.store.uow() as uow:
        audit.record(uow.session, None, action="x.test", entity="x", summary="failed")
        uow.session.add(AuditEvent(actor_username="orm", action="x.orm", entity="x"))
        uow.flush()
        raise RuntimeError("the next step failed")
    _write(small.store, 2, tag="after")
    assert _verify(small.store).ok
    assert [r.summary for r in _rows(small.store)] == ["w 0.0", "w 1.0", "after 0.0", "after 1.0"]


def test_a_changed_row_is_reported(small: Small) -> None:
    _write(small.store, 5)
    third = _rows(small.store)[2]
    _tamper(small.store, f"UPDATE audit_events SET summary = 'nothing happened' WHERE id = {third.id}")
    report = _verify(small.store)
    assert not report.ok and (report.first.id, report.first.kind) == (third.id, "changed")
    assert len(report.breaks) == 1


def test_a_changed_and_rehashed_row_is_reported(small: Small) -> None:
    """Recomputing the changed row's own hash does not help: the next row recorded the old one."""
    from core.store.chain import link_hash

    _write(small.store, 5)
    rows = _rows(small.store)
    third = rows[2]
    third.summary = "nothing happened"
    forged = link_hash(third.prev_hash, third)
    _tamper(small.store, f"UPDATE audit_events SET summary = 'nothing happened', hash = '{forged}' WHERE id = {third.id}")
    report = _verify(small.store)
    assert (report.first.id, report.first.kind) == (third.id, "changed")


def test_a_deleted_row_is_reported(small: Small) -> None:
    _write(small.store, 5)
    rows = _rows(small.store)
    _tamper(small.store, f"DELETE FROM audit_events WHERE id = {rows[2].id}")
    report = _verify(small.store)
    assert (report.first.id, report.first.kind) == (rows[3].id, "missing")
    assert str(rows[1].id) in report.first.detail and str(rows[3].id) in report.first.detail


def test_an_inserted_row_is_reported(small: Small) -> None:
    _write(small.store, 3)
    last = _rows(small.store)[-1]
    _tamper(small.store, "INSERT INTO audit_events (id, at, actor_username, action, entity, entity_id, summary) "
                         f"VALUES ({last.id + 1}, '2026-01-01 00:00:00', 'ghost', 'x.test', 'x', '', 'never happened')")
    report = _verify(small.store)
    assert (report.first.id, report.first.kind) == (last.id + 1, "inserted")
    _write(small.store, 2, tag="on top")  # the app carries on from the last row, whatever it is
    report = _verify(small.store)
    assert (report.first.id, report.first.kind) == (last.id + 1, "inserted") and len(report.breaks) == 1


def test_a_row_spliced_into_a_gap_is_reported(small: Small) -> None:
    """A row slipped into the chain with a hash computed from its predecessor: the row after it gives it away."""
    from core.store.chain import link_hash

    _write(small.store, 4)
    rows = _rows(small.store)
    _tamper(small.store, f"DELETE FROM audit_events WHERE id = {rows[2].id}")
    ghost = AuditEvent(id=rows[2].id, at=rows[2].at, actor_id=None, actor_username="ghost", actor_agency_id=None,
                       action="x.test", entity="x", entity_id="", summary="never happened", before=None, after=None)
    forged = link_hash(rows[1].hash, ghost)
    _tamper(small.store, "INSERT INTO audit_events (id, at, actor_username, action, entity, entity_id, summary, "
                         "prev_hash, hash) VALUES "
                         f"({ghost.id}, '{rows[2].at.isoformat()}', 'ghost', 'x.test', 'x', '', 'never happened', "
                         f"'{rows[1].hash}', '{forged}')")
    report = _verify(small.store)
    assert report.first.id == rows[2].id and report.first.kind in ("changed", "inserted")


def test_the_database_refuses_a_row_that_does_not_follow_the_last(small: Small) -> None:
    _write(small.store, 2)
    last = _rows(small.store)[-1]
    for values in (f"({last.id + 1}, 'not the last hash')", f"({last.id}, '{last.hash}')", f"({last.id - 1}, '{last.hash}')"):
        with pytest.raises(DBAPIError, match="append-only"), small.store.engine.begin() as conn:
            conn.execute(text("INSERT INTO audit_events (id, prev_hash, at, actor_username, action, entity, entity_id, "
                              f"summary, hash) SELECT v.*, at, actor_username, action, entity, entity_id, summary, hash "
                              f"FROM (VALUES {values}) AS v, audit_events WHERE audit_events.id = {last.id}"))
    assert _verify(small.store).ok


def test_an_insert_that_would_overwrite_a_row_is_refused(small: Small) -> None:
    """SQLite's INSERT OR REPLACE (PostgreSQL's INSERT ... ON CONFLICT DO UPDATE) cannot overwrite a row."""
    _write(small.store, 3)
    second = _rows(small.store)[1]
    replace = ("INSERT OR REPLACE INTO audit_events" if small.store.dialect == "sqlite" else "INSERT INTO audit_events")
    replace += ("(id, at, actor_username, action, entity, entity_id, summary, prev_hash, hash) VALUES "
                f"({second.id}, '2026-01-01 00:00:00', 'ghost', 'x.test', 'x', '', 'never happened', "
                f"'{second.prev_hash}', '{second.hash}')")
    if small.store.dialect == "postgresql":
        replace += (" ON CONFLICT (id) DO UPDATE SET at = EXCLUDED.at, actor_username = EXCLUDED.actor_username, "
                    "summary = EXCLUDED.summary")
    with pytest.raises(DBAPIError, match="append-only"), small.store.engine.begin() as conn:
        conn.execute(text(replace))
    assert _rows(small.store)[1].summary == second.summary
    _tamper(small.store, replace)  # with the triggers out of the way, the chain still tells
    assert _rows(small.store)[1].summary == "never happened"
    report = _verify(small.store)
    assert (report.first.id, report.first.kind) == (second.id, "changed")


def test_ten_writers_at_once_leave_a_valid_chain(small: Small) -> None:
    errors: list[BaseException] = []
    start = threading.Barrier(10)

    def writer(k: int) -> None:
        try:
            start.wait()
            for i in range(8):
                with small.store.uow() as uow:
                    uow.session.add(Agency(code=f"T{k}-{i}", name=f"Thread {k} agency {i}", remit=[]))
                    uow.flush()
                    audit.record(uow.session, small.admin, action="agency.create", entity="agency",
                                 entity_id=f"{k}.{i}", summary=f"thread {k} write {i}")
                    uow.commit()
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    report = _verify(small.store)
    assert report.ok, report.breaks
    assert report.rows == 80
    with small.store.read() as s:
        assert s.session.scalar(select(func.count()).select_from(Agency).where(Agency.name.like("Thread %"))) == 80


def test_verify_is_for_admins_and_chairs(small: Small) -> None:
    _write(small.store, 2)
    with small.store.read() as s:
        assert audit.verify_chain(s, actor=small.admin).ok
        with pytest.raises(Forbidden):
            audit.verify_chain(s, actor=small.analyst)


# --- migration: rows written before the chain get one --------------------------------------------------------


@pytest.fixture
def bare_url(backend: str, databases: DatabaseFactory, tmp_path: Path) -> str:
    """An empty database without any schema."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / (uuid.uuid4().hex[:10] + '.db')}"
    url = pg_create_database()
    databases.urls.append(url)
    return url


def _alembic(store: Store, target: str, *, down: bool = False) -> None:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    with store.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        (command.downgrade if down else command.upgrade)(cfg, target)


def test_rows_from_before_the_migration_get_a_chain(bare_url: str) -> None:
    store = Store(bare_url, migrate=False)
    try:
        _alembic(store, "0002")
        with store.engine.begin() as conn:
            for i, (before, after) in enumerate(((None, {"x": 1}), ({"role": "officer"}, {"role": "analyst"}), (None, None))):
                conn.execute(text("INSERT INTO audit_events (id, at, actor_username, action, entity, entity_id, summary, "
                                  "before, after) VALUES (:id, :at, 'old', 'x.old', 'x', '', :s, :b, :a)"),
                             {"id": 10 * (i + 1), "at": f"2025-0{i + 1}-01 09:00:00+00:00" if store.dialect == "postgresql"
                              else f"2025-0{i + 1}-01 09:00:00.000000", "s": f"old {i}",
                              "b": None if before is None else json.dumps(before),
                              "a": None if after is None else json.dumps(after)})
        _alembic(store, "head")
        rows = _rows(store)
        assert [r.id for r in rows] == [10, 20, 30] and rows[0].prev_hash == GENESIS
        assert _verify(store).ok
        _write(store, 2)
        assert _verify(store).ok and _rows(store)[-1].id == 32
        _alembic(store, "0002", down=True)
        _alembic(store, "head")
        assert _verify(store).ok and len(_rows(store)) == 5
    finally:
        store.dispose()


@pytest.mark.parametrize("backend", [p for p in BACKEND_PARAMS if p.id == "postgresql"], indirect=True)
def test_pg_chain_lock_is_taken_only_at_commit(small: Small) -> None:
    """A unit of work that records early and then works on does not hold up other writers' audit rows (on SQLite
    its first write takes the database's write lock anyway)."""
    with small.store.uow() as slow:
        audit.record(slow.session, None, action="x.test", entity="x", summary="slow, committed last")
        slow.session.add(Agency(code="SLOW", name="Slow agency", remit=[]))
        slow.flush()
        done = threading.Event()

        def other() -> None:
            _write(small.store, 1, tag="quick")
            done.set()

        t = threading.Thread(target=other)
        t.start()
        assert done.wait(10), "another writer waited for a unit of work that had not reached its commit"
        t.join()
        slow.commit()
    assert [r.summary for r in _rows(small.store)] == ["quick 0.0", "slow, committed last"]
    assert _verify(small.store).ok


@pytest.mark.parametrize("backend", [p for p in BACKEND_PARAMS if p.id == "postgresql"], indirect=True)
def test_pg_a_writer_waiting_for_a_row_never_holds_the_chain(small: Small) -> None:
    """B commits while A holds a row B changes: B must wait for the row without holding the chain's lock, or A
    (waiting for the chain to add its own audit row) and B deadlock."""
    import time

    with small.store.uow() as a:
        agency = a.session.get(Agency, small.ts)
        agency.contact_name = "A"
        a.flush()  # A holds the row
        audit.record(a.session, None, action="agency.update", entity="agency", entity_id=small.ts, summary="A")
        errors: list[BaseException] = []

        def b() -> None:
            try:
                with small.store.uow() as uow:
                    audit.record(uow.session, None, action="agency.update", entity="agency", entity_id=small.ts,
                                 summary="B")
                    uow.session.get(Agency, small.ts).contact_name = "B"
                    uow.commit()
            except BaseException as exc:  # noqa: BLE001
                errors.append(exc)

        t = threading.Thread(target=b)
        t.start()
        deadline = time.monotonic() + 30
        with small.store.engine.connect() as watcher:
            while not watcher.execute(text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                                           "AND datname = current_database()")).scalar():
                assert not errors, f"B failed before it waited for A's row: {errors[0]!r}"
                assert t.is_alive(), "B finished without waiting for A's row"
                assert time.monotonic() < deadline, "B never waited for A's row (30 s)"
                time.sleep(0.05)
        a.commit()
    t.join()
    assert errors == []
    assert [r.summary for r in _rows(small.store)] == ["A", "B"]
    assert _verify(small.store).ok
