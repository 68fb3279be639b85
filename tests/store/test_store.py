"""The store itself: migrations, the append-only audit log, one unit of work per action."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from core.permissions import Actor
from core.services import audit
from core.store import Store
from core.store.engine import upgrade_schema
from core.store.models import Agency, AuditEvent, Base
from tests.store.conftest import Small


def test_migrations_match_the_models(store: Store) -> None:
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": False}), Base.metadata)
    assert diff == [], f"models and migrations differ; write a migration: {diff}"


def test_upgrade_is_idempotent(store: Store) -> None:
    upgrade_schema(store.engine)
    upgrade_schema(store.engine)
    with store.engine.connect() as conn:
        assert conn.execute(text("select version_num from alembic_version")).scalar() is not None


def test_audit_rows_cannot_be_changed_or_deleted(small: Small) -> None:
    with small.store.uow() as uow:
        audit.record(uow.session, small.admin, action="x.test", entity="x", entity_id=1, summary="kept forever")
        uow.commit()
    for statement in ("UPDATE audit_events SET summary = 'tampered'", "DELETE FROM audit_events"):
        with pytest.raises(DBAPIError, match="append-only"), small.store.engine.begin() as conn:
            conn.execute(text(statement))
    with small.store.read() as s:
        assert s.session.scalar(select(AuditEvent.summary)) == "kept forever"


def test_a_failed_action_leaves_nothing_half_written(small: Small) -> None:
    with pytest.raises(RuntimeError), small.store.uow() as uow:
        uow.session.add(Agency(code="HALF", name="Half written", remit=[]))
        audit.record(uow.session, small.admin, action="agency.create", entity="agency", summary="half")
        uow.flush()
        raise RuntimeError("the next step failed")
    with small.store.read() as s:
        assert s.session.scalar(select(func.count()).select_from(Agency).where(Agency.code == "HALF")) == 0
        assert s.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.summary == "half")) == 0


def test_audit_keeps_only_changed_fields_and_filters(small: Small) -> None:
    with small.store.uow() as uow:
        audit.record(uow.session, small.admin, action="user.update", entity="user", entity_id=7,
                     before={"role": "officer", "name": "Same"}, after={"role": "analyst", "name": "Same"}, summary="role change")
        uow.commit()
    with small.store.read() as s:
        rows = audit.list_events(s, actor=small.admin, flt=audit.AuditFilter(entity="user", username="admin"))
        assert rows[0]["before"] == {"role": "officer"} and rows[0]["after"] == {"role": "analyst"}
        assert audit.list_events(s, actor=small.admin, flt=audit.AuditFilter(username="nobody")) == []
        assert audit.list_events(s, actor=small.admin, flt=audit.AuditFilter(text="ROLE CH"))[0]["entity_id"] == "7"


def test_audit_log_is_for_admins_and_chairs_only(small: Small) -> None:
    from core.errors import Forbidden

    with pytest.raises(Forbidden), small.store.read() as s:
        audit.list_events(s, actor=small.analyst)


def test_timestamps_come_back_in_utc(small: Small) -> None:
    at = datetime(2026, 6, 1, 12, 30, tzinfo=timezone.utc)
    with small.store.uow() as uow:
        uow.session.add(AuditEvent(at=at, actor_username="t", action="t", entity="t"))
        uow.commit()
    with small.store.read() as s:
        got = s.session.scalar(select(AuditEvent.at).where(AuditEvent.actor_username == "t"))
    assert got == at and got.tzinfo is not None


def test_naive_datetimes_are_refused(small: Small) -> None:
    with pytest.raises(Exception, match="naive"), small.store.uow() as uow:
        uow.session.add(AuditEvent(at=datetime(2026, 6, 1), actor_username="t", action="t", entity="t"))
        uow.flush()


def test_actor_is_a_value(small: Small) -> None:
    assert isinstance(small.admin, Actor) and small.admin.agency_name == "Trading Standards"
