"""Engine, session factory and schema upgrade: one `Store` per process and database URL."""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.orm import sessionmaker

from core.store import chain  # noqa: F401  (links every audit row into the chain as it is flushed)
from core.store.roles import app_role, grant_app_role, role_exists
from core.store.uow import UnitOfWork

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent.parent / "migrations"
_PG_MIGRATION_LOCK = 72_410_001  # advisory lock id: two app processes never migrate at once


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # noqa: ANN001
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)


def upgrade_schema(engine: Engine, *, app_role: str | None = None) -> list[str] | None:
    """Bring the schema to the newest alembic revision (idempotent).

    With `app_role` (PostgreSQL, `engine` connected as the owner): then, in the same transaction, give that role
    exactly the app's privileges (`core.store.roles`) and return the statements run; None if it does not exist.
    """
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_MIGRATION_LOCK})
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
        if app_role and role_exists(conn, app_role):
            return grant_app_role(conn, app_role)
    return None


class Store:
    """Owns the engine and session factory for one database; hands out units of work."""

    def __init__(self, url: str, *, migrate: bool = True, owner_url: str | None = None) -> None:
        self.url = url
        self.owner_url = owner_url
        self.engine = make_engine(url)
        self.session_factory = sessionmaker(self.engine, expire_on_commit=False)
        if migrate:
            self.migrate()

    @property
    def app_role(self) -> str | None:
        """The app's own PostgreSQL role when migrations run as a separate owner (`owner_url`), else None."""
        return app_role(self.url, self.owner_url)

    def migrate(self) -> list[str] | None:
        """Upgrade the schema: as the owner when there is one (then re-grant the app's role), else as `url`."""
        if not self.owner_url or self.owner_url == self.url:
            return upgrade_schema(self.engine)
        owner = make_engine(self.owner_url)
        try:
            return upgrade_schema(owner, app_role=self.app_role)
        finally:
            owner.dispose()

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.session_factory)

    def read(self) -> UnitOfWork:
        """A unit of work for reading (it never commits; closing it ends the transaction and keeps what was loaded)."""
        return UnitOfWork(self.session_factory, read_only=True)

    def dispose(self) -> None:
        self.engine.dispose()
