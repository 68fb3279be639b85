"""Weeks of action: an operation, many premises planned in bulk over its days, and what it will cost.

Bulk planning makes draft visits (nobody is asked yet), spread over the operation's weekdays still to
come (today onward) in time slots, each with the agencies that hold the business on the shared risk list (`default_team`). The
summary shows the load the partnership takes on, including the follow-up it is likely to leave.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.visits import followup as visits_followup
from core.vocabulary import ENTRY_MODES
from core.domain import Approach, Role, VisitStatus
from core.errors import NotFound, ValidationError
from core.permissions import Actor, ensure
from core.services.audit import jsonable, record
from core.store.models import (
    Agency,
    AgencyPower,
    AgencyRecord,
    Business,
    Operation,
    User,
    Visit,
    VisitAgency,
    VisitOfficer,
)
from core.store.uow import UnitOfWork
from core.visibility import (
    EVERYONE,
    Viewer,
    business_views,
    known_holdings,
    readable_business_ids,
    readable_businesses,
    roots,
    visit_premises,
)
from core.visits import status as rules

# Start times (UTC, as every visit time in the hub) of the visits planned on one day.
DEFAULT_SLOTS: tuple[time, ...] = (time(9, 30), time(11, 0), time(13, 30), time(15, 30))
VISIT_HOURS = 2
MAX_DAYS = 31
# Entry modes from the most to the least direct: whoever gets the team through the door lawfully leads.
ENTRY_ORDER = ("without_warrant", "with_notice", "warrant_only", "consent")
COORDINATOR_ROLES = (Role.ADMIN.value, Role.CHAIR.value, Role.COORDINATOR.value)


@dataclass(frozen=True)
class OperationInput:
    name: str
    starts_on: date
    ends_on: date
    coordinator_id: int | None = None
    notes: str = ""


@dataclass(frozen=True)
class Team:
    """Who goes: the agencies (lead first) and how the lead gets the team in."""

    agency_ids: tuple[int, ...]
    lead_id: int | None
    entry_route: str


@dataclass(frozen=True)
class PlanResult:
    visit_ids: list[int]
    skipped: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class OperationSummary:
    operation: dict[str, Any]
    by_status: dict[str, int]
    agencies: pd.DataFrame
    officers_planned: int
    officers_named: int
    follow_up: pd.DataFrame
    visits: pd.DataFrame


# --- operations --------------------------------------------------------------------------------


def _validate(s: Session, data: OperationInput) -> OperationInput:
    name = " ".join(data.name.split())
    if not name:
        raise ValidationError("Name: give the operation a name (e.g. Operation Lantern).")
    if len(name) > 120:
        raise ValidationError("Name: keep it under 120 characters.")
    if not isinstance(data.starts_on, date) or not isinstance(data.ends_on, date):
        raise ValidationError("Dates: enter the first and last day of the operation.")
    if data.ends_on < data.starts_on:
        raise ValidationError("Dates: the last day is before the first day.")
    if (data.ends_on - data.starts_on).days + 1 > MAX_DAYS:
        raise ValidationError(f"Dates: a week of action lasts at most {MAX_DAYS} days; plan longer work as visits.")
    if data.coordinator_id is not None:
        user = s.get(User, data.coordinator_id)
        if user is None or not user.active:
            raise ValidationError("Coordinator: choose an active person.")
    return OperationInput(name, data.starts_on, data.ends_on, data.coordinator_id, data.notes.strip())


def create_operation(uow: UnitOfWork, *, actor: Actor, data: OperationInput) -> int:
    """A new week of action (visit planners)."""
    ensure(actor, "visit.plan")
    s = uow.session
    data = _validate(s, data)
    op = Operation(name=data.name, starts_on=data.starts_on, ends_on=data.ends_on,
                   coordinator_id=data.coordinator_id, notes=data.notes)
    s.add(op)
    s.flush()
    record(s, actor, action="operation.create", entity="operation", entity_id=op.id, summary=f"Created {op.name}",
           after=jsonable(data.__dict__))
    uow.commit()
    return op.id


def coordinator_choices(uow: UnitOfWork, *, actor: Actor) -> dict[int, str]:
    """People who may coordinate an operation: {user id: "Name (Agency)"}."""
    s = uow.session
    ensure(actor, "visit.plan")
    rows = s.execute(select(User.id, User.name, Agency.name).join(Agency, Agency.id == User.agency_id)
                     .where(User.active.is_(True), User.role.in_(COORDINATOR_ROLES)).order_by(User.name))
    return {uid: f"{name} ({agency})" for uid, name, agency in rows}


def list_operations(uow: UnitOfWork, *, actor: Actor) -> pd.DataFrame:
    """Every operation, newest first, with its visit count."""
    s = uow.session
    ensure(actor, "visit.view")
    counts = (select(Visit.operation_id, func.count(Visit.id).label("n"))
              .where(Visit.operation_id.is_not(None)).group_by(Visit.operation_id).subquery())
    rows = s.execute(
        select(Operation.id, Operation.name, Operation.starts_on, Operation.ends_on, User.name, counts.c.n)
        .outerjoin(User, User.id == Operation.coordinator_id).outerjoin(counts, counts.c.operation_id == Operation.id)
        .order_by(Operation.starts_on.desc(), Operation.id.desc())
    ).all()
    return pd.DataFrame(
        [(i, n, a, b, c or "", int(v or 0)) for i, n, a, b, c, v in rows],
        columns=["operation_id", "Operation", "Starts", "Ends", "Coordinator", "Visits"],
    )


def _operation(s: Session, operation_id: int) -> Operation:
    op = s.get(Operation, operation_id)
    if op is None:
        raise NotFound(f"Operation {operation_id} no longer exists.")
    return op


# --- which premises, which team ----------------------------------------------------------------


def candidates(uow: UnitOfWork, *, actor: Actor, min_agencies: int = 2, limit: int = 500) -> pd.DataFrame:
    """Active businesses held by at least `min_agencies` agencies the planner may know of, most agencies first (the
    simple picker); only businesses the planner may read, named as the planner sees them."""
    s = uow.session
    ensure(actor, "visit.plan")
    held = known_holdings(actor).subquery()
    rows = s.execute(
        select(Business.id, func.count(held.c.agency_id).label("n"))
        .join(held, held.c.business_id == Business.id)
        .where(Business.active.is_(True), Business.merged_into_id.is_(None), Business.id.in_(readable_business_ids(actor)))
        .group_by(Business.id)
        .having(func.count(held.c.agency_id) >= min_agencies)
    ).all()
    views = business_views(s, actor, [bid for bid, _n in rows])
    ranked = sorted(((bid, n) for bid, n in rows if bid in views), key=lambda r: (-r[1], views[r[0]].name, r[0]))[:limit]
    codes = _held_by(s, actor, [bid for bid, _n in ranked])
    return pd.DataFrame(
        [(bid, views[bid].name, views[bid].address, views[bid].postcode, views[bid].sector, n, ", ".join(codes.get(bid, [])))
         for bid, n in ranked],
        columns=["business_id", "Business", "Address", "Postcode", "Sector", "Agencies", "Held by"],
    )


def _held_by(s: Session, viewer: Viewer, business_ids: Sequence[int]) -> dict[int, list[str]]:
    """The codes of the agencies the viewer may know hold each business."""
    held = known_holdings(viewer).where(AgencyRecord.business_id.in_(business_ids)).subquery()
    out: dict[int, list[str]] = defaultdict(list)
    for bid, code in s.execute(select(held.c.business_id, Agency.code).join(Agency, Agency.id == held.c.agency_id)
                               .order_by(Agency.code)):
        out[bid].append(code)
    return out


def default_team(uow: UnitOfWork, *, actor: Actor, business_ids: Sequence[int]) -> dict[int, Team]:
    """The team for each business: every agency that holds it; the lead is the one with the most direct entry.

    This is the one place the bulk planner chooses a team; a recommender can replace it.
    """
    s = uow.session
    held = known_holdings(actor).where(AgencyRecord.business_id.in_(business_ids)).subquery()
    by_business: dict[int, list[int]] = defaultdict(list)
    for bid, aid in s.execute(select(held.c.business_id, held.c.agency_id)):
        by_business[bid].append(aid)
    agencies = {a.id: a for a in s.scalars(select(Agency).where(Agency.active.is_(True)))}
    entry: dict[int, AgencyPower] = {}
    for p in s.scalars(select(AgencyPower).where(AgencyPower.power == "entry").order_by(AgencyPower.id)):
        best = entry.get(p.agency_id)
        if best is None or _entry_rank(p.entry) < _entry_rank(best.entry):
            entry[p.agency_id] = p
    teams = {}
    for bid in business_ids:
        ids = sorted((a for a in by_business.get(bid, []) if a in agencies),
                     key=lambda a: (a not in entry, _entry_rank(entry[a].entry) if a in entry else 99, agencies[a].name))
        lead = ids[0] if ids else None
        teams[bid] = Team(tuple(ids), lead, _entry_route(agencies[lead], entry.get(lead)) if lead else "")
    return teams


def _entry_rank(mode: str | None) -> int:
    return ENTRY_ORDER.index(mode) if mode in ENTRY_ORDER else len(ENTRY_ORDER)


def _entry_route(lead: Agency, power: AgencyPower | None) -> str:
    if power is None:
        return f"{lead.name} leads; no entry power recorded: agree the route (consent or warrant) before the visit."
    mode = ENTRY_MODES.get(power.entry or "consent", power.entry or "").lower()
    route = f"{lead.name} leads: {mode}"
    route += f" ({power.statute})" if power.statute else ""
    route += f"; {power.notice_hours} hours' notice to give" if power.notice_hours else ""
    return route + "."


# --- bulk planning -----------------------------------------------------------------------------


def operation_days(op: Operation, *, today: date | None = None) -> list[date]:
    """The days visits are spread over: the weekdays of the operation (every day if it has none);
    with `today`, only those from today on (a visit is never planned on a day that has passed)."""
    days = [op.starts_on + timedelta(days=i) for i in range((op.ends_on - op.starts_on).days + 1)]
    weekdays = [d for d in days if d.weekday() < 5]
    days = weekdays or days
    return days if today is None else [d for d in days if d >= today]


def slot_times(days: Sequence[date], slots: Sequence[time], n: int, *, start: int = 0) -> list[datetime]:
    """Start times for `n` visits after `start` already planned: round the days first, then the slots."""
    capacity = len(days) * len(slots)
    if start + n > capacity:
        raise ValidationError(
            f"Too many premises: {len(days)} days x {len(slots)} slots hold {capacity} visits and "
            f"{start} are already planned; choose at most {max(0, capacity - start)} or lengthen the operation.")
    out = []
    for k in range(start, start + n):
        day, slot = days[k % len(days)], slots[k // len(days)]
        out.append(datetime.combine(day, slot, timezone.utc))
    return out


def plan_operation_visits(uow: UnitOfWork, *, actor: Actor, operation_id: int, business_ids: Iterable[int],
                          approach: str = Approach.ENFORCEMENT.value,
                          slots: Sequence[time] = DEFAULT_SLOTS) -> PlanResult:
    """Draft visits for many premises at once, spread over the operation's days, each with its default team."""
    ensure(actor, "visit.plan")
    s = uow.session
    op = _operation(s, operation_id)
    if approach not in {a.value for a in Approach}:
        raise ValidationError(f"Approach: choose one of {', '.join(a.value for a in Approach)}.")
    try:
        given = list(dict.fromkeys(int(b) for b in business_ids))
    except (TypeError, ValueError):
        raise ValidationError("Choose the businesses from the list.") from None
    if not given:
        raise ValidationError("Choose at least one business to visit.")
    missing = [str(b) for b in given if b not in readable_businesses(s, actor, given)]
    if missing:
        # Worded the same for a business that does not exist and one the planner may not read.
        raise NotFound(f"Not on your shared risk list: business {', '.join(missing)}. Refresh the list and choose again.")
    root_of = roots(s, given)
    wanted = list(dict.fromkeys(root_of[b] for b in given))
    found = business_views(s, actor, wanted)
    today = rules.today()
    days = operation_days(op, today=today)
    if not days:
        raise ValidationError(f"{op.name} ended on {rules.day_label(op.ends_on)}; no days are left to plan visits on. "
                              "Lengthen the operation or create a new one.")
    existing = s.execute(select(Visit.business_id).where(Visit.operation_id == op.id,
                                                         Visit.status != VisitStatus.CANCELLED.value)).scalars().all()
    # Only visits on the days still to come take up the slots left.
    taken = s.scalar(select(func.count(Visit.id)).where(
        Visit.operation_id == op.id, Visit.status != VisitStatus.CANCELLED.value,
        Visit.starts_at >= datetime.combine(today, time.min, timezone.utc))) or 0
    skipped = [f"{found[b].label}: already in {op.name}" for b in wanted if b in set(existing)]
    todo = [b for b in wanted if b not in set(existing)]
    teams = default_team(uow, actor=actor, business_ids=todo)
    no_team = [b for b in todo if not teams[b].agency_ids]
    skipped += [f"{found[b].label}: no agency you can see holds it" for b in no_team]
    todo = [b for b in todo if b not in no_team]
    starts = slot_times(days, slots, len(todo), start=taken)
    # Reasons are read by every reader of the visit: only holdings every partner may know of are listed.
    held = _held_by(s, EVERYONE, todo)
    agencies = {a.id: a for a in s.scalars(select(Agency))}
    now = datetime.now(timezone.utc)
    ids = []
    for bid, start in zip(todo, starts, strict=True):
        biz, team = found[bid], teams[bid]
        premises = biz.label
        visit = Visit(business_id=bid, premises_text=premises[:300], operation_id=op.id, starts_at=start,
                      ends_at=start + timedelta(hours=VISIT_HOURS), lead_agency_id=team.lead_id,
                      entry_route=team.entry_route, approach=approach, status=VisitStatus.DRAFT.value,
                      reasons=[f"Week of action: {op.name}",
                               f"Held by {len(held[bid])} agencies every partner knows of: {', '.join(held[bid])}"
                               if held[bid] else "Held by agencies whose data partners do not see"],
                      overrides=[], created_by_id=actor.id, created_at=now, updated_at=now)
        visit.agencies = [
            VisitAgency(agency_id=aid, officers=2 if aid == team.lead_id else 1,
                        objectives=_objectives(agencies[aid]), response="pending")
            for aid in team.agency_ids
        ]
        s.add(visit)
        s.flush()
        ids.append(visit.id)
        record(s, actor, action="visit.create", entity="visit", entity_id=visit.id,
               summary=f"Planned visit {visit.id} in {op.name}",
               after={"operation_id": op.id, "starts_at": start.isoformat(), "agencies": list(team.agency_ids),
                      "lead_agency_id": team.lead_id})
    record(s, actor, action="operation.plan", entity="operation", entity_id=op.id,
           summary=f"Planned {len(ids)} visits in {op.name}" + (f"; skipped {len(skipped)}" if skipped else ""),
           after={"visit_ids": ids, "skipped_business_ids": [b for b in wanted if b not in todo]})
    uow.commit()
    return PlanResult(ids, skipped)


def _objectives(agency: Agency) -> str:
    remit = ", ".join(str(r) for r in agency.remit or [])
    return f"Check for: {remit}." if remit else ""


# --- summary -----------------------------------------------------------------------------------


def follow_up_history(s: Session) -> list[tuple[str, str, dict[str, Any] | None]]:
    """(agency name, kind, outcome) for every recorded outcome: the history follow-up rates are learnt from."""
    rows = s.execute(select(Agency.name, Agency.kind, VisitAgency.outcome)
                     .join(Agency, Agency.id == VisitAgency.agency_id).where(VisitAgency.outcome_recorded_at.is_not(None)))
    return [(name, kind, outcome) for name, kind, outcome in rows]


def estimate_follow_up(s: Session, planned: dict[int, int]) -> pd.DataFrame:
    """Expected follow-up for `planned` visits per agency id, as a table (largest load first)."""
    agencies = {a.id: a for a in s.scalars(select(Agency).where(Agency.id.in_(list(planned))))}
    rows = visits_followup.estimate({agencies[a].name: n for a, n in planned.items()},
                                    {a.name: a.kind for a in agencies.values()}, follow_up_history(s))
    return pd.DataFrame([(f.agency, f.visits, f.notices, f.interviews, f.prosecutions, f.basis) for f in rows],
                        columns=["Agency", "Visits", "Notices to follow up", "Interviews", "Prosecution files", "Based on"])


def operation_summary(uow: UnitOfWork, *, actor: Actor, operation_id: int) -> OperationSummary:
    """Visits by status, agencies and officers, and the follow-up the operation is likely to leave."""
    s = uow.session
    ensure(actor, "visit.view")
    op = _operation(s, operation_id)
    visits = s.scalars(select(Visit).where(Visit.operation_id == op.id).order_by(Visit.starts_at, Visit.id)).all()
    ids = [v.id for v in visits]
    names = dict(s.execute(select(Agency.id, Agency.name)).all())
    coordinator = s.get(User, op.coordinator_id) if op.coordinator_id else None
    by_status = Counter(v.status for v in visits)
    live = {v.id for v in visits if v.status != VisitStatus.CANCELLED.value}
    lead_of = Counter(v.lead_agency_id for v in visits if v.id in live)
    team_rows = s.execute(select(VisitAgency.visit_id, VisitAgency.agency_id, VisitAgency.officers, VisitAgency.response)
                          .where(VisitAgency.visit_id.in_(ids))).all() if ids else []
    per_agency: dict[int, Counter[str]] = defaultdict(Counter)
    teams: dict[int, list[str]] = defaultdict(list)
    for vid, aid, officers, response in team_rows:
        if vid not in live:
            continue
        c = per_agency[aid]
        if response != "declined":
            c["visits"] += 1
            c["officers"] += officers
            teams[vid].append(names.get(aid, "?"))
        c[response] += 1
    agencies = pd.DataFrame(
        [(names.get(a, "?"), c["visits"], lead_of.get(a, 0), c["officers"], c["confirmed"], c["pending"], c["declined"])
         for a, c in per_agency.items()],
        columns=["Agency", "Visits", "Leads", "Officers planned", "Confirmed", "Awaiting answer", "Declined"],
    ).sort_values(["Visits", "Agency"], ascending=[False, True], ignore_index=True)
    named = s.scalar(select(func.count(func.distinct(VisitOfficer.user_id))).where(VisitOfficer.visit_id.in_(sorted(live)))) \
        if live else 0
    follow = estimate_follow_up(s, {a: c["visits"] for a, c in per_agency.items() if c["visits"]})
    premises = visit_premises(s, actor, visits)
    table = pd.DataFrame(
        [(v.id, v.starts_at, premises[v.id], v.status, names.get(v.lead_agency_id or 0, ""), ", ".join(sorted(teams[v.id])))
         for v in visits],
        columns=["visit_id", "When", "Premises", "Status", "Lead", "Team"],
    )
    return OperationSummary(
        operation={"id": op.id, "name": op.name, "starts_on": op.starts_on, "ends_on": op.ends_on, "notes": op.notes,
                   "coordinator": coordinator.name if coordinator else ""},
        by_status={st.value: by_status.get(st.value, 0) for st in VisitStatus},
        agencies=agencies, officers_planned=int(agencies["Officers planned"].sum()) if len(agencies) else 0,
        officers_named=int(named or 0), follow_up=follow, visits=table,
    )
