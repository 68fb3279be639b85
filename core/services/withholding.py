"""Visits whose premises are withheld from a viewer.

A visit names its premises. When the viewer's agency is not on the visit and the viewer may not read
the business (it is known to them only through other agencies' owner-only or interest-only data, the
rule of the shared risk list), every view of the visit says "Visit by <lead agency> — premises
withheld" instead: calendar, lists, .ics feeds, results, operation summaries and clash warnings. The
visit's detail and briefing sheet are refused. Visits with typed premises and no business are never
withheld (the planner chose to write them down for the partnership).
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.errors import Forbidden
from core.permissions import Actor
from core.services.risklist import listed_business_ids
from core.store.models import Agency, Business, Visit, VisitAgency

CHUNK = 1000
CAPTION = ("Visits shown as 'Visit by <lead> — premises withheld' rest on another agency's data; contact the lead "
           "agency if you need to know more.")


class VisitRef(NamedTuple):
    id: int
    business_id: int | None
    lead_agency_id: int | None


def label(lead: str) -> str:
    """What the viewer sees instead of the premises."""
    return f"Visit by {lead or 'another agency'} — premises withheld"


def _chunks(ids: list[int]) -> Iterable[list[int]]:
    for i in range(0, len(ids), CHUNK):
        yield ids[i:i + CHUNK]


def business_roots(session: Session, ids: set[int]) -> dict[int, int]:
    """Each business mapped to the business it was merged into (the records live there now)."""
    parent = dict(session.execute(select(Business.id, Business.merged_into_id)
                                  .where(Business.merged_into_id.is_not(None))).all()) if ids else {}
    out = {}
    for i in ids:
        seen, j = set(), i
        while j in parent and j not in seen:
            seen.add(j)
            j = parent[j]
        out[i] = j
    return out


def withheld(session: Session, actor: Actor | None, visits: Iterable[VisitRef | Visit]) -> dict[int, str]:
    """{visit id: label to show instead of its premises} for the visits withheld from `actor`.

    With no actor, the visits whose premises not every partner may know (an agenda read by a whole board).
    """
    return {vid: label(lead) for vid, lead in withheld_leads(session, actor, visits).items()}


def withheld_leads(session: Session, actor: Actor | None, visits: Iterable[VisitRef | Visit]) -> dict[int, str]:
    """{visit id: lead agency's name} for the visits withheld from `actor` (see `withheld`)."""
    refs = [VisitRef(v.id, v.business_id, v.lead_agency_id) for v in visits]
    with_business = [r for r in refs if r.business_id is not None]
    if not with_business:
        return {}
    on_visit: set[int] = set()
    if actor is not None:
        for chunk in _chunks(sorted({r.id for r in with_business})):
            on_visit |= set(session.scalars(select(VisitAgency.visit_id).where(
                VisitAgency.visit_id.in_(chunk), VisitAgency.agency_id == actor.agency_id)))
    asked = [r for r in with_business if r.id not in on_visit]
    roots = business_roots(session, {r.business_id for r in asked if r.business_id is not None})
    readable: set[int] = set()
    for chunk in _chunks(sorted(set(roots.values()))):
        readable |= listed_business_ids(session, actor, chunk)
    hidden = [r for r in asked if roots[r.business_id] not in readable]  # type: ignore[index]
    if not hidden:
        return {}
    names = dict(session.execute(select(Agency.id, Agency.name)).all())
    return {r.id: names.get(r.lead_agency_id or -1, "") for r in hidden}


def ensure_not_withheld(session: Session, actor: Actor, visit: Visit) -> None:
    """Refuse a visit's detail (and its briefing) when its premises are withheld from the actor."""
    hidden = withheld_leads(session, actor, [visit])
    if visit.id in hidden:
        lead = hidden[visit.id] or "another agency"
        raise Forbidden(f"Visit {visit.id} rests on another agency's data, so its premises and plan are withheld "
                        f"from {actor.agency_name or 'your agency'}. Contact the lead agency ({lead}) if you need "
                        "to know more.")
