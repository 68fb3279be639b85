"""Row locks: make "check, then write" one step when two people act on the same record at once.

A service that checks the stored state and then writes on the strength of it ("no feedback yet, so add it"; "every
agency confirmed, so confirm") first locks the record the rule is about, in its unit of work, and reads everything
it checks after the lock. Whoever comes second waits at the lock until the first commits (or rolls back), then
reads what the first wrote and is refused with a message instead of repeating or undoing it.

- PostgreSQL: `SELECT ... FOR UPDATE` on the row; other rows and readers are not held up.
- SQLite has no row locks: a write transaction locks the whole database (WAL readers carry on). The lock is taken
  by an UPDATE that changes nothing, so the transaction holds the write lock from here on (the second writer waits
  in `busy_timeout`) and everything read afterwards is what the first writer committed. This relies on pysqlite
  starting the transaction at the first write (its default), so no snapshot older than the lock is ever read in it.

Lock one parent row per rule (the referral recipient, the visit) and lock it first, before anything else is read:
objects loaded earlier in the session would keep their old values.
"""
from __future__ import annotations

from typing import TypeVar

from sqlalchemy import update
from sqlalchemy.orm import Session

T = TypeVar("T")


def locked(session: Session, model: type[T], ident: int) -> T | None:
    """The row with this id, locked until the unit of work ends and read afresh; None if it does not exist."""
    if session.get_bind().dialect.name == "sqlite":
        table = model.__table__  # type: ignore[attr-defined]
        session.execute(update(table).where(table.c.id == ident).values(id=table.c.id))
    return session.get(model, ident, with_for_update=True, populate_existing=True)
