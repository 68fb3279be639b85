"""Unit of work: one per user action; everything in it lands together or not at all.

Every service takes one as its first argument, `(uow, *, actor, ...)`, reads through `uow.session` and, when the
user's action writes, commits it itself. `Store.uow()` gives one for an action that writes (it rolls back unless
committed); `Store.read()` one for reading only (it never commits, and closing it keeps what was loaded).
"""
from __future__ import annotations

from types import TracebackType

from sqlalchemy.orm import Session, sessionmaker


class UnitOfWork:
    """Context manager around a session that rolls back unless `commit()` was called."""

    session: Session

    def __init__(self, session_factory: sessionmaker[Session], *, read_only: bool = False) -> None:
        self._factory = session_factory
        self.read_only = read_only

    def __enter__(self) -> UnitOfWork:
        self.session = self._factory()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if not self.read_only:
                self.session.rollback()  # what was not committed is undone (and what was loaded is expired)
        finally:
            self.session.close()  # a read ends its transaction; what it loaded stays readable

    def commit(self) -> None:
        if self.read_only:
            raise RuntimeError("A unit of work for reading never commits: open Store.uow() to write.")
        self.session.commit()

    def flush(self) -> None:
        self.session.flush()

    def another(self) -> UnitOfWork:
        """A second unit of work on the same database, for the rare user action that must commit a step apart
        from the rest (an import's claim on its dataset, which others must see at once)."""
        return UnitOfWork(self._factory)
