"""audit chain: each audit row carries its predecessor's hash; an INSERT must follow the last row

Rows already in the log are chained here, in id order (core/store/chain.py: the same hash the app writes and
`audit verify` checks). A trigger then refuses any INSERT whose id is not above the last row's or whose
prev_hash is not the last row's hash: on SQLite that also stops `INSERT OR REPLACE` from overwriting a row.

Revision ID: 0004
Revises: 0002
Create Date: 2026-11-30 09:00:00
"""
from alembic import op
import sqlalchemy as sa

from core.store.chain import GENESIS, PG_CHAIN_LOCK, link_hash
from core.store.models import UTCDateTime

revision = "0004"
down_revision = '0003'
branch_labels = None
depends_on = None

_REFUSED = "audit_events is append-only: a new row must follow the last one"
_BATCH = 5_000

_SQLITE_GUARD = f"""
CREATE TRIGGER audit_events_chain BEFORE INSERT ON audit_events
WHEN NEW.id <= COALESCE((SELECT MAX(id) FROM audit_events), 0)
  OR NEW.prev_hash IS NOT COALESCE((SELECT hash FROM audit_events ORDER BY id DESC LIMIT 1), '{GENESIS}')
BEGIN SELECT RAISE(ABORT, '{_REFUSED}'); END
"""

# search_path is fixed on the function so a table or function of the same name elsewhere (a temporary table
# named audit_events, say) cannot stand in for the real one.
_PG_GUARD = """
CREATE FUNCTION audit_events_chain_guard() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, {schema}, pg_temp AS $$
DECLARE
    tail_id integer;
    tail_hash varchar;
BEGIN
    SELECT id, hash INTO tail_id, tail_hash FROM audit_events ORDER BY id DESC LIMIT 1;
    IF NEW.id <= coalesce(tail_id, 0) OR NEW.prev_hash IS DISTINCT FROM coalesce(tail_hash, '{genesis}') THEN
        RAISE EXCEPTION USING MESSAGE = '{refused} (#' || coalesce(tail_id, 0) || ')';
    END IF;
    RETURN NEW;
END;
$$
"""

# The app's one round trip before it links rows (core/store/chain.py): take the chain's lock, then read the tail.
# Each statement of a plpgsql function takes a fresh snapshot (READ COMMITTED), so the SELECT after the lock sees
# the previous holder's commit; one statement doing both would read with the snapshot taken before the wait.
_PG_TAIL = """
CREATE FUNCTION audit_chain_tail(OUT tail_id integer, OUT tail_hash varchar)
LANGUAGE plpgsql SET search_path = pg_catalog, {schema}, pg_temp AS $$
BEGIN
    PERFORM pg_advisory_xact_lock({lock});
    SELECT id, hash INTO tail_id, tail_hash FROM audit_events ORDER BY id DESC LIMIT 1;
END;
$$
"""

_SQLITE_NO_UPDATE = ("CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events "
                     "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END")


def _rows() -> sa.TableClause:
    return sa.table(
        "audit_events",
        sa.column("id", sa.Integer()), sa.column("at", UTCDateTime()), sa.column("actor_id", sa.Integer()),
        sa.column("actor_username", sa.String()), sa.column("actor_agency_id", sa.Integer()),
        sa.column("action", sa.String()), sa.column("entity", sa.String()), sa.column("entity_id", sa.String()),
        sa.column("summary", sa.String()), sa.column("before", sa.JSON()), sa.column("after", sa.JSON()),
        sa.column("prev_hash", sa.String()), sa.column("hash", sa.String()),
    )


def _chain_existing_rows(bind: sa.Connection) -> None:
    t = _rows()
    prev, last_id = GENESIS, None
    while True:
        q = sa.select(t).order_by(t.c.id).limit(_BATCH)
        if last_id is not None:
            q = q.where(t.c.id > last_id)
        batch = bind.execute(q).all()
        if not batch:
            return
        updates = []
        for row in batch:
            h = link_hash(prev, row)
            updates.append({"row_id": row.id, "p": prev, "h": h})
            prev, last_id = h, row.id
        bind.execute(t.update().where(t.c.id == sa.bindparam("row_id")).values(prev_hash=sa.bindparam("p"),
                                                                               hash=sa.bindparam("h")), updates)


def upgrade() -> None:
    bind = op.get_bind()
    postgres = bind.dialect.name == "postgresql"
    # NOT NULL with '' for the rows already there until they are chained below (and for any INSERT that names
    # no hash, which the guard then refuses).
    op.add_column("audit_events", sa.Column("prev_hash", sa.String(length=64), nullable=False, server_default=""))
    op.add_column("audit_events", sa.Column("hash", sa.String(length=64), nullable=False, server_default=""))
    if postgres:
        op.execute("ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_change")
        _chain_existing_rows(bind)
        op.execute("ALTER TABLE audit_events ENABLE TRIGGER audit_events_no_change")
        schema = bind.execute(sa.text("SELECT current_schema()")).scalar()
        op.execute(_PG_GUARD.format(schema=bind.dialect.identifier_preparer.quote(schema), genesis=GENESIS,
                                    refused=_REFUSED))
        op.execute("CREATE TRIGGER audit_events_chain BEFORE INSERT ON audit_events "
                   "FOR EACH ROW EXECUTE FUNCTION audit_events_chain_guard()")
        op.execute(_PG_TAIL.format(schema=bind.dialect.identifier_preparer.quote(schema), lock=PG_CHAIN_LOCK))
    else:
        op.execute("DROP TRIGGER audit_events_no_update")
        _chain_existing_rows(bind)
        op.execute(_SQLITE_NO_UPDATE)
        op.execute(_SQLITE_GUARD)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_events_chain ON audit_events")
        op.execute("DROP FUNCTION IF EXISTS audit_events_chain_guard()")
        op.execute("DROP FUNCTION IF EXISTS audit_chain_tail()")
        # Ids were given by the chain, not the sequence: move the sequence past them for the code before it.
        op.execute("SELECT setval(pg_get_serial_sequence('audit_events', 'id'), "
                   "COALESCE((SELECT MAX(id) FROM audit_events), 0) + 1, false)")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_events_chain")
    op.drop_column("audit_events", "hash")
    op.drop_column("audit_events", "prev_hash")
