"""The audit log: every write records who, when, which entity, and the values before and after.

Rows are only ever inserted; the database refuses UPDATE and DELETE on `audit_events`, each row carries the
hash of the one before it (`core/store/chain.py`), and `verify_chain` reports where that chain breaks.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from core.permissions import Actor, ensure
from core.store.chain import ChainReport, add_at_commit, verify
from core.store.uow import UnitOfWork
from core.store.models import Agency, AuditEvent, User
from core.visibility import redact_audit

MAX_ROWS = 5_000


def jsonable(value: Any) -> Any:
    """Make a value safe for the JSON columns (dates as ISO strings, sets as sorted lists)."""
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, set):
        return sorted(jsonable(v) for v in value)
    return value


def snapshot(obj: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    """The audited fields of a model instance as plain JSON values."""
    return {f: jsonable(getattr(obj, f)) for f in fields}


def record(
    session: Session,
    actor: Actor | None,
    *,
    action: str,
    entity: str,
    entity_id: Any = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    summary: str = "",
    actor_label: str = "system",
) -> None:
    """Add one audit row to the caller's unit of work (it lands with the change or not at all).

    Without an actor the row names `actor_label` as who (e.g. someone at the sign-in form).
    The row is added when the unit of work commits, where it is linked into the chain (`core.store.chain`):
    the chain's tail is then locked only for the commit, not for the rest of the work.
    """
    if before is not None and after is not None:
        changed = {k for k in set(before) | set(after) if before.get(k) != after.get(k)}
        before = {k: v for k, v in before.items() if k in changed}
        after = {k: v for k, v in after.items() if k in changed}
    add_at_commit(
        session,
        dict(
            at=datetime.now(timezone.utc),
            actor_id=actor.id if actor else None,
            actor_username=actor.username if actor else actor_label,
            actor_agency_id=actor.agency_id if actor else None,
            action=action,
            entity=entity,
            entity_id=str(entity_id),
            summary=summary[:300],
            before=jsonable(before) if before is not None else None,
            after=jsonable(after) if after is not None else None,
        ),
    )


@dataclass(frozen=True)
class LastChange:
    """Who last changed something, when and what: what the second of two people is told about the first."""

    who: str  # "Ana Lyst (HM Revenue and Customs)"
    at: datetime
    summary: str

    @property
    def when(self) -> str:
        return f"{self.at:%d %b %Y at %H:%M} UTC"


def last_change(session: Session, entity: str, entity_id: Any, *, actions: tuple[str, ...] = ()) -> LastChange | None:
    """The newest audit row about one entity (of these actions, when given), named for a message."""
    q = (select(AuditEvent, User.name, Agency.name).outerjoin(User, User.id == AuditEvent.actor_id)
         .outerjoin(Agency, Agency.id == AuditEvent.actor_agency_id)
         .where(AuditEvent.entity == entity, AuditEvent.entity_id == str(entity_id))
         .order_by(AuditEvent.id.desc()).limit(1))
    if actions:
        q = q.where(AuditEvent.action.in_(actions))
    row = session.execute(q).first()
    if row is None:
        return None
    event, name, agency = row
    who = name or event.actor_username or "someone else"
    return LastChange(f"{who} ({agency})" if agency else who, event.at, event.summary)


@dataclass(frozen=True)
class AuditFilter:
    since: date | None = None
    until: date | None = None
    username: str = ""
    entity: str = ""
    action: str = ""
    text: str = ""


def list_events(uow: UnitOfWork, *, actor: Actor, flt: AuditFilter = AuditFilter()) -> list[dict[str, Any]]:
    """Newest first, at most MAX_ROWS, filtered; for admins and chairs, as they may read them
    (`core.visibility.redact_audit`: warning markers and withheld visits' premises are not shown)."""
    session = uow.session
    ensure(actor, "audit.view")
    q = select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(MAX_ROWS)
    if flt.since:
        q = q.where(AuditEvent.at >= datetime.combine(flt.since, datetime.min.time(), timezone.utc))
    if flt.until:
        end = datetime.combine(flt.until + timedelta(days=1), datetime.min.time(), timezone.utc)
        q = q.where(AuditEvent.at < end)
    if flt.username:
        q = q.where(AuditEvent.actor_username == flt.username)
    if flt.entity:
        q = q.where(AuditEvent.entity == flt.entity)
    if flt.action:
        q = q.where(AuditEvent.action == flt.action)
    if flt.text:
        like = f"%{flt.text.lower()}%"
        q = q.where(or_(func.lower(AuditEvent.summary).like(like), AuditEvent.entity_id == flt.text))
    rows = redact_audit(session, actor, [
        {
            "id": e.id,
            "at": e.at,
            "who": e.actor_username,
            "action": e.action,
            "entity": e.entity,
            "entity_id": e.entity_id,
            "summary": e.summary,
            "before": e.before,
            "after": e.after,
        }
        for e in session.scalars(q)
    ])
    if flt.text:  # again on what the reader sees: a match on withheld words must not show through the filter
        rows = [r for r in rows if flt.text.lower() in r["summary"].lower() or r["entity_id"] == flt.text]
    return rows


def filter_choices(uow: UnitOfWork, *, actor: Actor) -> dict[str, list[str]]:
    """Distinct users, entities and actions seen in the log, for the filter widgets."""
    session = uow.session
    ensure(actor, "audit.view")
    return {
        "username": list(session.scalars(select(AuditEvent.actor_username).distinct().order_by(AuditEvent.actor_username))),
        "entity": list(session.scalars(select(AuditEvent.entity).distinct().order_by(AuditEvent.entity))),
        "action": list(session.scalars(select(AuditEvent.action).distinct().order_by(AuditEvent.action))),
    }


def verify_chain(uow: UnitOfWork, *, actor: Actor) -> ChainReport:
    """Check every audit row against its hash and its predecessor's; for admins and chairs."""
    session = uow.session
    ensure(actor, "audit.view")
    return verify(session.connection())
