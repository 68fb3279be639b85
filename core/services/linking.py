"""Matching the partnership's agency records into businesses (persisted side of core.matching).

`relink(session)` runs inside the caller's unit of work (an import is all-or-nothing together with
the matching it triggers). This first version only keeps existing assignments and gives each
unassigned record a business of its own; the matcher replaces it.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.store.models import AgencyRecord, Business

Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class LinkSummary:
    records: int
    businesses: int
    multi_agency: int
    review_pairs: int
    seconds: float


def relink(session: Session, *, progress: Progress | None = None) -> LinkSummary:
    """Re-match every current agency record; keeps business ids stable where clusters persist."""
    start = datetime.now(timezone.utc)
    records = session.scalars(select(AgencyRecord).where(AgencyRecord.current.is_(True))).all()
    for rec in records:
        if rec.business_id is None:
            biz = Business(name=rec.trading_name or rec.company_name, address=rec.address, postcode=rec.postcode)
            session.add(biz)
            session.flush()
            rec.business_id = biz.id
    seconds = (datetime.now(timezone.utc) - start).total_seconds()
    return LinkSummary(len(records), len({r.business_id for r in records}), 0, 0, seconds)
