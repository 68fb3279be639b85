"""The audit chain: each audit row carries the hash of the row before it (in id order), so a row changed,
removed or slipped in afterwards shows, even when whoever did it could switch the database's triggers off.

    hash(row) = sha256(prev_hash + canonical(row)),   prev_hash of the first row = GENESIS

`canonical` is a stored format (version 1): the hashes already in a database depend on it, so it must never
change. `core.services.audit.record` queues its rows on the session; at commit, once the rest of the change is
flushed, `_insert_pending` serialises the chain's tail (PostgreSQL: a transaction-scoped advisory lock; SQLite:
the database's write lock), gives the rows ids in order (tail + 1, no gaps) and hashes, and inserts them. The
lock is held until the commit ends, and only then: never while the writer waits for another writer's row lock
(which could deadlock). An AuditEvent added to a session directly is linked the same way when it is flushed
(`_link_new_rows`), and holds the lock from then on: use `record`.

The database checks each new row follows the tail (`audit_events_chain` triggers, migration 0004); `verify`
walks the whole chain and names the first row where it breaks and how: changed, missing or inserted.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import Connection, event, insert, inspect, select
from sqlalchemy.orm import Session

from core.store.models import AuditEvent

GENESIS = "0" * 64
PG_CHAIN_LOCK = 72_410_002  # advisory lock id of the chain's tail (72_410_001 is the migration lock)
FIELDS = ("id", "at", "actor_id", "actor_username", "actor_agency_id", "action", "entity", "entity_id", "summary",
          "before", "after")


def _at(value: datetime) -> str:
    if value.tzinfo is None:
        raise ValueError("naive datetime given to the store; use timezone-aware UTC")
    return value.astimezone(timezone.utc).isoformat(timespec="microseconds")


def canonical(row: Any) -> bytes:
    """The row's fields (FIELDS, from an AuditEvent, a result row or a dict) as compact, key-sorted UTF-8 JSON."""
    values = {name: row[name] for name in FIELDS} if isinstance(row, dict) else {name: getattr(row, name) for name in FIELDS}
    values["at"] = _at(values["at"])
    return json.dumps(values, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def link_hash(prev_hash: str, row: Any) -> str:
    return hashlib.sha256(prev_hash.encode("ascii") + canonical(row)).hexdigest()


def _as_stored(value: Any) -> Any:
    """A JSON value as it will read back (tuples become lists, keys strings), so the hash matches the stored row."""
    return None if value is None else json.loads(json.dumps(value))


# --- writing -----------------------------------------------------------------------------------------------------


def lock_tail(conn: Connection) -> tuple[int, str]:
    """Serialise the chain's tail for the rest of the transaction and return (its id, its hash)."""
    if conn.dialect.name == "postgresql":
        # One round trip: audit_chain_tail() (migration 0004) takes pg_advisory_xact_lock(PG_CHAIN_LOCK), then
        # reads the tail in a statement of its own, whose snapshot includes the previous holder's commit.
        tail_id, tail_hash = conn.exec_driver_sql("SELECT tail_id, tail_hash FROM audit_chain_tail()").one()
    else:
        # pysqlite opens a transaction only at the first write, and a write takes SQLite's write lock until the
        # commit. Without one yet, this no-op write takes it (waiting for busy_timeout), so the tail read next is
        # one no other writer can move before we commit.
        if not conn.connection.dbapi_connection.in_transaction:
            conn.exec_driver_sql("DELETE FROM audit_events WHERE 0 = 1")
        tail_id, tail_hash = conn.exec_driver_sql("SELECT id, hash FROM audit_events ORDER BY id DESC LIMIT 1").first() \
            or (None, None)
    return (tail_id, tail_hash) if tail_id is not None else (0, GENESIS)


@event.listens_for(Session, "before_flush")
def _link_new_rows(session: Session, _flush_context: Any, _instances: Any) -> None:
    """Give every audit row about to be inserted its id, its predecessor's hash and its own hash."""
    new = [obj for obj in session.new if isinstance(obj, AuditEvent)]
    if not new:
        return
    new.sort(key=lambda obj: inspect(obj).insert_order)
    tail_id, tail_hash = lock_tail(session.connection())
    for obj in new:
        # Column defaults are applied only at INSERT: set them here, as they will be stored, before hashing.
        if obj.at is None:
            obj.at = datetime.now(timezone.utc)
        for name in ("actor_username", "entity_id", "summary"):
            if getattr(obj, name) is None:
                setattr(obj, name, "")
        obj.before, obj.after = _as_stored(obj.before), _as_stored(obj.after)
        tail_id += 1
        obj.id = tail_id
        obj.prev_hash = tail_hash
        obj.hash = tail_hash = link_hash(tail_hash, obj)


PENDING_KEY = "audit_pending"


def add_at_commit(session: Session, values: dict[str, Any]) -> None:
    """Queue an audit row (its column values but id and hashes) to be inserted when the session commits, and
    dropped if it does not."""
    session.info.setdefault(PENDING_KEY, []).append(values)


@event.listens_for(Session, "before_commit")
def _insert_pending(session: Session) -> None:
    pending = session.info.pop(PENDING_KEY, None)
    if not pending:
        return
    # The change itself first: whoever holds the chain's lock then only inserts audit rows, and never waits for
    # a row another writer holds (who may be waiting for the chain: a deadlock).
    session.flush()
    conn = session.connection()
    tail_id, tail_hash = lock_tail(conn)
    rows = []
    for values in pending:
        tail_id += 1
        row = {**values, "id": tail_id, "before": _as_stored(values["before"]), "after": _as_stored(values["after"]),
               "prev_hash": tail_hash}
        row["hash"] = tail_hash = link_hash(tail_hash, row)
        rows.append(row)
    conn.execute(insert(AuditEvent.__table__), rows)


@event.listens_for(Session, "after_transaction_end")
def _drop_pending(session: Session, transaction: Any) -> None:
    """Rows queued in a transaction that ended without a commit (rolled back, closed) go with it."""
    if transaction.parent is None:
        session.info.pop(PENDING_KEY, None)


# --- verifying ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Break:
    id: int
    kind: str  # "changed", "missing" or "inserted"
    detail: str


@dataclass
class ChainReport:
    rows: int = 0
    head_id: int | None = None
    head_hash: str | None = None
    breaks: list[Break] = field(default_factory=list)
    more: int = 0  # breaks found beyond those listed

    @property
    def ok(self) -> bool:
        return not self.breaks

    @property
    def first(self) -> Break | None:
        return self.breaks[0] if self.breaks else None


_COLUMNS = [getattr(AuditEvent, name) for name in FIELDS] + [AuditEvent.prev_hash, AuditEvent.hash]


def _row_with_hash(conn: Connection, value: str, below: int) -> int | None:
    """The id of an earlier row whose hash is `value` (only looked up where the chain breaks)."""
    return conn.execute(select(AuditEvent.id).where(AuditEvent.hash == value, AuditEvent.id < below).limit(1)).scalar()


def verify(conn: Connection, *, limit: int = 50) -> ChainReport:
    """Walk the chain in id order; list where it breaks (first `limit` breaks), first bad row first."""
    report = ChainReport()
    found: dict[int, Break] = {}

    def broken(row_id: int, kind: str, detail: str) -> None:
        if row_id in found:
            return
        if len(found) >= limit:
            report.more += 1
            return
        found[row_id] = Break(row_id, kind, detail)

    rows = conn.execute(select(*_COLUMNS).order_by(AuditEvent.id), execution_options={"yield_per": 2000})
    prev_id: int | None = None
    prev_hash = GENESIS
    row = next(rows, None)
    while row is not None:
        nxt = next(rows, None)
        report.rows += 1
        report.head_id, report.head_hash = row.id, row.hash
        try:
            self_ok = link_hash(row.prev_hash, row) == row.hash
        except (TypeError, ValueError):  # a row the app could not have written (a naive time)
            self_ok = False
        link_ok = row.prev_hash == prev_hash
        after = f"#{prev_id}" if prev_id is not None else "the start"
        if self_ok and link_ok:
            pass
        elif link_ok:
            broken(row.id, "changed", f"#{row.id} no longer matches its hash: its content was changed after it was written")
        elif self_ok:
            earlier = _row_with_hash(conn, row.prev_hash, prev_id if prev_id is not None else row.id)
            if earlier is not None:
                first_extra = conn.execute(select(AuditEvent.id).where(AuditEvent.id > earlier)
                                           .order_by(AuditEvent.id).limit(1)).scalar()
                broken(first_extra, "inserted", f"#{row.id} was written after #{earlier}: rows #{first_extra} to "
                                                f"#{prev_id} were put in between afterwards")
            elif prev_id is None or row.id - prev_id > 1:
                gap = f"between {after} and #{row.id}" if prev_id is not None else f"before #{row.id}"
                broken(row.id, "missing", f"row(s) {gap} are missing: #{row.id} was written after a row no longer there")
            else:
                broken(prev_id, "changed", f"#{prev_id} is not the row #{row.id} was written after: it was changed "
                                           "(and its hash recomputed) afterwards")
        else:
            # Neither its hash nor its link is right: not written by the app, unless the row after it says a
            # different row stood here (then this one replaced it).
            if nxt is not None and nxt.prev_hash not in (prev_hash, row.hash):
                broken(row.id, "changed", f"#{row.id} was replaced: neither its hash nor its link matches, and "
                                          f"#{nxt.id} was written after a different row")
                prev_id, prev_hash = row.id, nxt.prev_hash
                row = nxt
                continue
            broken(row.id, "inserted", f"#{row.id} is not part of the chain: it was put in after {after} afterwards")
            if nxt is not None and nxt.prev_hash == prev_hash:
                row = nxt  # skip it: the chain carries on from the row before
                continue
        prev_id, prev_hash = row.id, row.hash
        row = nxt
    report.breaks = sorted(found.values(), key=lambda b: b.id)
    return report
