"""Joint visits: plan from a premises or a tasked referral, recommend the team, deconflict,
collect each agency's answer, move through draft → proposed → confirmed → done, and keep officer
safety markers in front of the team.

What each viewer may see is decided in `core.visibility` and asked here for every id a user gives: a planner
never sees (or is suggested) an issue that only another agency's owner-only record would reveal; a visit's
premises are shown per viewer (withheld from those who may not know them); warning markers reach only
roles allowed "marker.view" on premises they may read or visit (others get none, not even a count). What a
visit's day still allows is decided in `core/visits/status.py`.
"""
from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from core.domain import Approach, VisitStatus
from core.errors import Conflict, NotFound, ValidationError
from core.permissions import Actor, allowed, ensure
from core.services.audit import last_change, record, snapshot
from core.services.catalogue import capabilities
from core.services.linking import connected_businesses_of
from core.services.partnership import settings
from core.store.models import (
    Agency,
    AgencyRecord,
    Business,
    Dataset,
    Indicator,
    Referral,
    ReferralIndicator,
    ReferralRecipient,
    User,
    Visit,
    VisitAgency,
    VisitOfficer,
    WarningMarker,
)
from core.store.locks import locked
from core.store.uow import UnitOfWork
from core.visits import status as rules
from core.visits.deconflict import Clash, PlannedVisit, deconflict, normalise_premises
from core.visits.recommend import (ENTRY_RANK, PREMISES_KINDS, Recommendation, entry_route, notice_warning, recommend,
                                   route_text)
from core.visibility import (
    Level,
    business_views,
    ensure_business,
    ensure_business_view,
    ensure_visit,
    may_see_markers,
    record_level,
    roots,
    visit_premises,
    withheld_visits,
)

APPROACHES = tuple(a.value for a in Approach)
STATUSES = rules.STATUSES
TRANSITIONS = rules.TRANSITIONS
ANSWERS = ("confirmed", "declined")
MARKER_CATEGORIES = ("violence", "weapons", "dogs", "hazards", "other")
MIXED_WARNING = ("Mixed approach: supportive compliance and enforcement on one visit cause friction between "
                 "officers and confuse the business. Agree in the briefing who does what.")
REFERRAL_DAYS = 365
AUDITED = ("business_id", "premises_text", "starts_at", "ends_at", "lead_agency_id", "entry_route", "approach",
           "status", "briefing")
# Words in a business's sector (each agency writes it its own way) and the kind of premises they mean.
SECTOR_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("HMO/residential", ("hmo", "flat above", "residential", "multiple occupation", "bedsit")),
    ("licensed premises", ("licen", r"\bpub\b", r"\bbar\b", "nightclub", "off-licence", "convenience store", "nail bar",
                           "late night refreshment")),
    ("food business", ("takeaway", "restaurant", "cafe", "canteen", "food", "sandwich", "hotel", "bed & breakfast",
                       "guest house", "caterer")),
)


@dataclass
class TeamMember:
    agency_id: int
    officers: int = 1
    objectives: str = ""


@dataclass
class VisitPlan:
    """What the coordinator fills in on the planner."""

    starts_at: datetime
    ends_at: datetime
    team: list[TeamMember]
    lead_agency_id: int | None = None
    business_id: int | None = None
    premises_text: str = ""
    entry_route: str = ""
    approach: str = Approach.ENFORCEMENT.value
    briefing: str = ""
    officer_ids: list[int] = field(default_factory=list)
    issues: list[str] = field(default_factory=list)
    premises_kind: str = "other"


class ClashError(Conflict):
    """The plan clashes with other visits; move it, merge it, or give a reason to proceed."""

    def __init__(self, clashes: list[Clash]) -> None:
        self.clashes = clashes
        lines = "; ".join(c.message for c in clashes[:5])
        super().__init__(f"This visit clashes with {len(clashes)} other {'visit' if len(clashes) == 1 else 'visits'}: "
                         f"{lines} Move the date, merge into the other visit, or give a reason to proceed.")


# --- what the planner starts from -------------------------------------------------------------


def premises_kind(sector: str, holders: set[str] = frozenset()) -> str:  # type: ignore[assignment]
    """The kind of premises for entry powers, from the sector's words and which agencies hold records."""
    text = sector.lower()
    for kind, words in SECTOR_WORDS:
        if any(re.search(w, text) for w in words):
            return kind
    if "LIC" in holders:
        return "licensed premises"
    if "FS" in holders:
        return "food business"
    if "HOU" in holders:
        return "HMO/residential"
    return "other"


def _holders(session: Session, actor: Actor, business_id: int) -> list[tuple[AgencyRecord, Level, Agency]]:
    """Current records of the business the actor may know of (read in full or as an interest), with the level."""
    rows = session.execute(
        select(AgencyRecord, Dataset.sharing, Dataset.agency_id, Agency).join(Dataset, Dataset.id == AgencyRecord.dataset_id)
        .join(Agency, Agency.id == AgencyRecord.agency_id)
        .where(AgencyRecord.business_id == business_id, AgencyRecord.current.is_(True))
        .order_by(AgencyRecord.id)
    ).all()
    levels = [(r, record_level(sharing, owner, actor.agency_id), a) for r, sharing, owner, a in rows]
    return [(r, level, a) for r, level, a in levels if level is not Level.NONE]


def _same_site(session: Session, actor: Actor, business_id: int) -> list[dict[str, Any]]:
    """The other businesses at the business's site (the flats above the shop, the other units at its number)
    that the actor may read, each with the agencies the actor may know hold it. A business the actor may not
    read is left out entirely (not counted, not hinted at)."""
    site = session.scalar(select(Business.site_key).where(Business.id == business_id))
    if not site:
        return []
    ids = session.scalars(select(Business.id).where(Business.site_key == site, Business.active.is_(True),
                                                    Business.id != business_id)).all()
    out = []
    for bid, view in sorted(business_views(session, actor, ids).items()):
        agencies: dict[str, list[str]] = {}
        for _rec, _level, agency in _holders(session, actor, bid):
            agencies.setdefault(agency.name, list(agency.remit or []))
        out.append({"business_id": bid, "premises": view.label, "agencies": ", ".join(sorted(agencies)),
                    "remits": sorted(agencies.items())})
    return out


def _referral_issues(session: Session, actor: Actor, business_id: int, now: datetime) -> Counter[str]:
    """Issues ticked on recent referrals about the business that the actor's agency sent or received."""
    mine = or_(Referral.sender_agency_id == actor.agency_id,
               Referral.id.in_(select(ReferralRecipient.referral_id).where(ReferralRecipient.agency_id == actor.agency_id)))
    rows = session.execute(
        select(Indicator.issue, Referral.id).join(ReferralIndicator, ReferralIndicator.indicator_id == Indicator.id)
        .join(Referral, Referral.id == ReferralIndicator.referral_id)
        .where(Referral.business_id == business_id, Referral.status == "sent",
               Referral.sent_at >= now - timedelta(days=REFERRAL_DAYS), Indicator.issue != "", mine)
    ).all()
    per_issue: dict[str, set[int]] = defaultdict(set)
    for issue, ref_id in rows:
        per_issue[issue].add(ref_id)
    return Counter({k: len(v) for k, v in per_issue.items()})


def interest(uow: UnitOfWork, *, actor: Actor, business_id: int, now: datetime | None = None) -> dict[str, Any]:
    """The premises and what the planner may expect there: each agency's interest and recent referrals."""
    session = uow.session
    ensure(actor, "visit.plan")
    now = now or datetime.now(timezone.utc)
    biz = ensure_business_view(session, actor, business_id)  # interest-only and others' owner-only data never name it
    suggested: dict[str, list[str]] = defaultdict(list)
    holders: dict[str, str] = {}
    for rec, level, agency in _holders(session, actor, biz.id):
        if agency.name in holders:
            continue
        detail = f"risk {rec.risk_band}" if level is Level.FULL and rec.risk_band else "has an interest"
        holders[agency.name] = detail
        holders.setdefault(f"code:{agency.code}", agency.code)
        for issue in agency.remit or []:
            suggested[issue].append(f"{agency.name} ({detail})")
    for issue, n in _referral_issues(session, actor, biz.id, now).items():
        suggested[issue].append(f"{n} intelligence {'referral' if n == 1 else 'referrals'}")
    codes = {v for k, v in holders.items() if k.startswith("code:")}
    site = _same_site(session, actor, biz.id)
    for other in site:
        for name, remit in other.pop("remits"):
            for issue in remit:
                suggested[issue].append(f"{name} at the same building ({other['premises']})")
    return {
        "business_id": biz.id, "premises": biz.label, "sector": biz.sector, "kind": premises_kind(biz.sector, codes),
        "agencies": {k: v for k, v in holders.items() if not k.startswith("code:")}, "site": site,
        "issues": [{"issue": i, "why": "; ".join(why)} for i, why in sorted(suggested.items(), key=lambda kv: (-len(kv[1]), kv[0]))],
    }


def recommend_team(uow: UnitOfWork, *, actor: Actor, issues: list[str], kind: str) -> Recommendation:
    """The recommender on the partnership's current catalogue."""
    session = uow.session
    ensure(actor, "visit.plan")
    if kind not in PREMISES_KINDS:
        raise ValidationError(f"Premises kind: choose one of {', '.join(PREMISES_KINDS)}.")
    return recommend(issues, kind, capabilities(session))


def entry_route_for(uow: UnitOfWork, *, actor: Actor, lead_id: int, kind: str, team_ids: list[int]) -> tuple[str, str]:
    """The entry route text for a lead the coordinator chose, and a warning if a partner could get in better."""
    session = uow.session
    ensure(actor, "visit.plan")
    caps = {c.id: c for c in capabilities(session)}
    if lead_id not in caps or kind not in PREMISES_KINDS:
        return "", ""
    routes = {a: entry_route(caps[a], kind) for a in {lead_id, *team_ids} if a in caps}
    alongside = [caps[a].name for a in team_ids if a != lead_id and a in routes and routes[a].rank >= ENTRY_RANK["warrant_only"]]
    text = route_text(caps[lead_id].name, routes[lead_id], alongside)
    better = sorted((caps[a].name for a, r in routes.items() if r.rank < routes[lead_id].rank), key=str)
    warning = ""
    if better and routes[lead_id].rank >= ENTRY_RANK["warrant_only"]:
        warning = (f"{caps[lead_id].name} cannot enter these premises without a warrant or consent, but "
                   f"{', '.join(better)} can: let a partner with entry powers lead, and {caps[lead_id].name} enter alongside.")
    elif better:
        warning = f"{', '.join(better)} can get in more easily than {caps[lead_id].name}."
    return text, warning


def notice_warning_for(uow: UnitOfWork, *, actor: Actor, lead_id: int, kind: str, starts_at: datetime) -> str:
    """Whether the chosen lead's entry route needs more notice than is left before the visit starts."""
    session = uow.session
    ensure(actor, "visit.plan")
    cap = next((c for c in capabilities(session) if c.id == lead_id), None)
    if cap is None or kind not in PREMISES_KINDS:
        return ""
    return notice_warning(cap.name, entry_route(cap, kind), starts_at, datetime.now(timezone.utc))


def visit_referral_issues(uow: UnitOfWork, *, actor: Actor, visit_id: int) -> list[dict[str, str]]:
    """Issues ticked on the referral a visit was tasked from, when the actor's agency sent or received it."""
    session = uow.session
    ensure(actor, "visit.plan")
    ensure_visit(session, actor, _visit(session, visit_id))
    rows = session.execute(
        select(Indicator.issue, Referral.id).join(ReferralIndicator, ReferralIndicator.indicator_id == Indicator.id)
        .join(Referral, Referral.id == ReferralIndicator.referral_id)
        .join(ReferralRecipient, ReferralRecipient.referral_id == Referral.id)
        .where(ReferralRecipient.visit_id == visit_id, Indicator.issue != "",
               or_(Referral.sender_agency_id == actor.agency_id, ReferralRecipient.agency_id == actor.agency_id))
    ).all()
    return [{"issue": i, "why": f"ticked on referral {ref}"} for i, ref in sorted(set(rows))]


def officers_for(uow: UnitOfWork, *, actor: Actor, agency_ids: list[int]) -> list[dict[str, Any]]:
    """Active people of the attending agencies who can be named on the visit (for planners only)."""
    session = uow.session
    ensure(actor, "visit.plan")
    rows = session.execute(select(User.id, User.name, Agency.code).join(Agency, Agency.id == User.agency_id)
                           .where(User.agency_id.in_(agency_ids or [-1]), User.active.is_(True),
                                  User.role.in_(("officer", "coordinator", "analyst")))
                           .order_by(Agency.code, User.name)).all()
    return [{"id": i, "label": f"{name} ({code})"} for i, name, code in rows]


def agency_names(uow: UnitOfWork, *, actor: Actor) -> dict[int, str]:
    """{agency id: name} of the active agencies, by name (the team choices)."""
    ensure(actor, "agency.view")
    return _agency_names(uow.session)


def _agency_names(session: Session) -> dict[int, str]:
    return dict(session.execute(select(Agency.id, Agency.name).where(Agency.active.is_(True)).order_by(Agency.name)).all())


# --- deconfliction ----------------------------------------------------------------------------


def _planned(v: Visit, officers: dict[int, set[int]], names: dict[int, str], label: str = "") -> PlannedVisit:
    ids = frozenset(officers.get(v.id, set()))
    return PlannedVisit(v.id, v.starts_at, v.ends_at, v.business_id, v.premises_text, v.status, ids,
                        {i: names.get(i, "") for i in ids}, label or v.premises_text)


def clashes(uow: UnitOfWork, *, actor: Actor, plan: VisitPlan, visit_id: int | None = None) -> list[Clash]:
    """Warnings for a plan against the other visits (same or connected premises, officers double-booked)."""
    session = uow.session
    ensure(actor, "visit.view")
    if plan.business_id is not None:
        ensure_business(session, actor, plan.business_id)
    return _clashes(session, actor, plan, visit_id=visit_id)


def _clashes(session: Session, actor: Actor, plan: VisitPlan, *, visit_id: int | None = None) -> list[Clash]:
    """`clashes` for a plan already checked (a stored visit the actor may see, or a cleaned plan)."""
    officer_names = dict(session.execute(select(User.id, User.name).where(User.id.in_(set(plan.officer_ids) or {-1}))).all())
    proposed = PlannedVisit(visit_id, plan.starts_at, plan.ends_at, plan.business_id, plan.premises_text, "draft",
                            frozenset(plan.officer_ids), {i: officer_names.get(i, "") for i in plan.officer_ids})
    return _clashes_of(session, actor, [proposed])[0]


def _clashes_of(session: Session, actor: Actor, proposed: list[PlannedVisit]) -> list[list[Clash]]:
    """Deconfliction for several visits at once (a plan, or every visit a calendar shows): the visits near any of
    them, their officers, the businesses connected to theirs and the matching's merges are read once."""
    if not proposed:
        return []
    days = settings(session).deconfliction_days
    window = timedelta(days=days)
    lo, hi = min(p.starts_at for p in proposed) - window, max(p.starts_at for p in proposed) + window
    near = list(session.scalars(select(Visit).where(Visit.starts_at >= lo, Visit.starts_at <= hi,
                                                    Visit.status != VisitStatus.CANCELLED.value)))
    ids = [v.id for v in near]
    officers: dict[int, set[int]] = defaultdict(set)
    for chunk in (ids[i:i + 900] for i in range(0, len(ids), 900)):
        for vid, uid in session.execute(select(VisitOfficer.visit_id, VisitOfficer.user_id).where(VisitOfficer.visit_id.in_(chunk))):
            officers[vid].add(uid)
    names = dict(session.execute(select(User.id, User.name).where(
        User.id.in_({u for s in officers.values() for u in s} or {-1}))).all())
    mine = {p.business_id for p in proposed if p.business_id}
    links = connected_businesses_of(session, mine)
    biz_ids = {v.business_id for v in near if v.business_id} | mine | {b for s in links.values() for b in s}
    # Each other visit named as this viewer may see it: a clash with a withheld one still fires, naming only its lead.
    labels = visit_premises(session, actor, near)
    others = [_planned(v, officers, names, labels[v.id]) for v in near]
    canonical = roots(session, biz_ids)
    return [deconflict(p, others, canonical=canonical, links=links, window_days=days) for p in proposed]


# --- planning ---------------------------------------------------------------------------------


def _clean_plan(session: Session, actor: Actor, plan: VisitPlan, existing: Visit | None = None) -> VisitPlan:
    if plan.starts_at.tzinfo is None or plan.ends_at.tzinfo is None:
        raise ValidationError("When: give the date and time (with the time zone).")
    if plan.ends_at <= plan.starts_at:
        raise ValidationError("When: the visit must end after it starts.")
    if plan.ends_at - plan.starts_at > timedelta(hours=24):
        raise ValidationError("When: a visit lasts at most a day; plan a week of action for longer.")
    premises = " ".join(plan.premises_text.split())
    business_id = None
    if existing is not None and plan.business_id is not None and plan.business_id == existing.business_id:
        # Re-planning a visit the actor may see (its agency is on it) keeps its business, even one it may not read.
        business_id, premises = existing.business_id, premises or existing.premises_text
    elif plan.business_id is not None:
        biz = ensure_business_view(session, actor, plan.business_id)  # a business the planner may read, or NotFound
        business_id, premises = biz.id, premises or biz.label
    if not premises:
        raise ValidationError("Premises: type the name and address of the premises.")
    if plan.approach not in APPROACHES:
        raise ValidationError(f"Approach: choose {', '.join(APPROACHES)}.")
    team: dict[int, TeamMember] = {}
    for m in plan.team:
        if m.agency_id in team:
            raise ValidationError("Team: each agency appears once.")
        if not 1 <= int(m.officers) <= 30:
            raise ValidationError("Officers: between 1 and 30 per agency.")
        team[m.agency_id] = TeamMember(m.agency_id, int(m.officers), m.objectives.strip())
    if not team:
        raise ValidationError("Team: choose at least one attending agency.")
    active = set(session.scalars(select(Agency.id).where(Agency.id.in_(team), Agency.active.is_(True))))
    if active != set(team):
        raise ValidationError("Team: choose active partner agencies.")
    lead = plan.lead_agency_id
    if lead is None or lead not in team:
        raise ValidationError("Lead: choose one of the attending agencies to lead.")
    officer_ids = sorted(set(plan.officer_ids))
    if officer_ids:
        ok = dict(session.execute(select(User.id, User.agency_id).where(User.id.in_(officer_ids), User.active.is_(True))).all())
        wrong = [i for i in officer_ids if ok.get(i) not in team]
        if wrong:
            raise ValidationError("Named officers: choose active people of the attending agencies.")
    if plan.premises_kind not in PREMISES_KINDS:
        raise ValidationError(f"Premises kind: choose one of {', '.join(PREMISES_KINDS)}.")
    return VisitPlan(plan.starts_at, plan.ends_at, list(team.values()), lead, business_id, premises[:300],
                     plan.entry_route.strip(), plan.approach, plan.briefing.strip(), officer_ids,
                     sorted({i.strip() for i in plan.issues if i.strip()}), plan.premises_kind)


def _overrides(plan: VisitPlan, rec: Recommendation | None, names: dict[int, str], actor: Actor, reason: str) -> list[dict[str, Any]]:
    """Where the coordinator departed from the recommendation, in words."""
    if rec is None or not rec.team:
        return []
    at, out = datetime.now(timezone.utc).isoformat(timespec="minutes"), []

    def entry(what: str, recommended: str, chosen: str) -> None:
        out.append({"what": what, "recommended": recommended, "chosen": chosen, "reason": reason, "by": actor.username, "at": at})

    chosen = {m.agency_id for m in plan.team}
    if chosen != set(rec.team):
        entry("team", ", ".join(names.get(i, str(i)) for i in rec.team), ", ".join(names.get(i, str(i)) for i in sorted(chosen, key=lambda i: names.get(i, ""))))
    if plan.lead_agency_id != rec.lead_id:
        entry("lead", names.get(rec.lead_id or -1, ""), names.get(plan.lead_agency_id or -1, ""))
    if plan.entry_route and plan.entry_route != rec.entry_route:
        entry("entry route", rec.entry_route, plan.entry_route)
    return out


def plan_visit(uow: UnitOfWork, *, actor: Actor, plan: VisitPlan, recommendation: Recommendation | None = None,
               override_reason: str = "", clash_reason: str = "", visit_id: int | None = None,
               base_version: int | None = None) -> int:
    """Save a new plan (draft) or change one; clashes need a reason to proceed. Returns the visit id.

    The recommendation's reasons are stored with the plan, and every departure from it (team,
    lead, entry route) is recorded as an override with who, when and why.
    """
    ensure(actor, "visit.plan")
    s = uow.session
    existing = None if visit_id is None else _locked_visit(s, visit_id)
    if existing is not None:
        ensure_visit(s, actor, existing)
    clean = _clean_plan(s, actor, plan, existing)
    names = _agency_names(s)
    if existing is not None and base_version is not None and existing.version != base_version:
        raise _stale(s, existing, base_version)
    problem = rules.plan_problem(clean.starts_at, rules.today(), status=existing.status if existing else None,
                                 was_at=existing.starts_at if existing else None)
    if problem:
        raise ValidationError(problem)
    found = _clashes(s, actor, clean, visit_id=visit_id)
    if found and not clash_reason.strip():
        raise ClashError(found)
    rec = recommendation
    if existing is None:
        visit = Visit(created_by_id=actor.id, status=VisitStatus.DRAFT.value, version=1, reasons=[], overrides=[])
        s.add(visit)
        before: dict[str, Any] = {}
        kept: list[dict[str, Any]] = []
    else:
        visit = existing
        before = snapshot(visit, AUDITED)
        kept = [o for o in visit.overrides or [] if o.get("what") not in ("team", "lead", "entry route")] if rec else list(visit.overrides or [])
    moved = visit_id is not None and (visit.starts_at != clean.starts_at or visit.ends_at != clean.ends_at)
    visit.business_id, visit.premises_text = clean.business_id, clean.premises_text
    visit.starts_at, visit.ends_at = clean.starts_at, clean.ends_at
    visit.lead_agency_id, visit.approach, visit.briefing = clean.lead_agency_id, clean.approach, clean.briefing
    visit.entry_route = clean.entry_route or (rec.entry_route if rec and rec.lead_id == clean.lead_agency_id else "")
    if rec is not None:
        head = f"Expected: {', '.join(clean.issues) or 'not stated'} ({clean.premises_kind})."
        visit.reasons = [head, *rec.reasons]
    overrides = kept + _overrides(clean, rec, names, actor, override_reason.strip())
    if found:
        # Stored for every reader of this visit: the other visits by number, never by premises (named per viewer).
        overrides.append({"what": "clash", "recommended": "; ".join(f"{c.kind}: visit {c.visit_id}" for c in found),
                          "chosen": "proceed",
                          "reason": clash_reason.strip(), "by": actor.username,
                          "at": datetime.now(timezone.utc).isoformat(timespec="minutes")})
    visit.overrides = overrides
    visit.updated_at = datetime.now(timezone.utc)
    current = {va.agency_id: va for va in visit.agencies}
    new_parts = []
    for m in clean.team:
        va = current.pop(m.agency_id, None)
        if va is None:
            va = VisitAgency(agency_id=m.agency_id, response="pending")
            visit.agencies.append(va)
            new_parts.append(m.agency_id)
        va.officers, va.objectives = m.officers, m.objectives
        if moved:
            va.response, va.responded_by_id, va.responded_at = "pending", None, None
    for va in current.values():
        visit.agencies.remove(va)
    if (moved or new_parts) and visit.status == VisitStatus.CONFIRMED.value:
        visit.status = VisitStatus.PROPOSED.value  # partners must answer the changed plan
    try:
        s.flush()
    except StaleDataError:
        s.rollback()
        raise _stale(s, s.get(Visit, visit_id)) from None
    s.execute(delete(VisitOfficer).where(VisitOfficer.visit_id == visit.id))  # the named list is replaced
    s.add_all(VisitOfficer(visit_id=visit.id, user_id=u) for u in clean.officer_ids)
    after = {**snapshot(visit, AUDITED), "team": {names.get(m.agency_id, m.agency_id): m.officers for m in clean.team},
             "officers": clean.officer_ids}
    record(s, actor, action="visit.plan" if visit_id is None else "visit.update", entity="visit", entity_id=visit.id,
           before=before or None, after=after,
           summary=f"{'planned' if visit_id is None else 'changed'} visit {visit.id} on {clean.starts_at:%d %b %Y}"
           + (" (moved: answers reset)" if moved else ""))
    uow.commit()
    return visit.id


def _visit(s: Session, visit_id: int) -> Visit:
    visit = s.get(Visit, visit_id)
    if visit is None:
        raise NotFound(f"No visit {visit_id}.")
    return visit


def _locked_visit(s: Session, visit_id: int) -> Visit:
    """The visit, locked until the unit of work ends (`core.store.locks`): every change to a visit, its status or an
    agency's answer takes this lock first and reads the visit and its team after it, so two people changing one
    visit at once act one after the other, the second on what the first saved."""
    visit = locked(s, Visit, visit_id)
    if visit is None:
        raise NotFound(f"No visit {visit_id}.")
    return visit


def _stale(s: Session, visit: Visit | None, base_version: int | None = None) -> Conflict:
    """The visit moved on since the person opened it: who changed it, when and how (from the audit log)."""
    if visit is None:
        return Conflict("The visit was deleted while you were editing.")
    s.refresh(visit)
    last = last_change(s, "visit", visit.id)
    started = f", you started from {base_version}" if base_version is not None else ""
    who = f"{last.who} changed this visit on {last.when} ({last.summary})" if last else "Someone else changed this visit"
    return Conflict(f"{who} since you opened it (now version {visit.version}{started}). Nothing of yours was saved: "
                    "reload the visit, check their change, and make yours again.")


def set_status(uow: UnitOfWork, *, actor: Actor, visit_id: int, status: str, base_version: int,
               reason: str = "") -> None:
    """Move the visit on; confirmed needs every agency's confirmation, or a reason to override."""
    ensure(actor, "visit.plan")
    s = uow.session
    visit = _locked_visit(s, visit_id)  # the answers checked below are the ones stored now, not when the page was drawn
    ensure_visit(s, actor, visit)
    if visit.version != base_version:
        raise _stale(s, visit, base_version)
    problem = rules.transition_problem(visit.status, status, visit.starts_at, rules.today())
    if problem:
        raise ValidationError(problem)
    reason = reason.strip()
    if status == "cancelled" and not reason:
        raise ValidationError("Reason: say why the visit is cancelled (partners see it).")
    if status == "confirmed":
        waiting = [va for va in visit.agencies if va.response != "confirmed"]
        if waiting:
            names = _agency_names(s)
            who = ", ".join(f"{names.get(va.agency_id, va.agency_id)} ({va.response})" for va in waiting)
            if not reason:
                raise ValidationError(f"Not every agency has confirmed: {who}. Wait for them, remove them from the "
                                      "team, or give a reason to confirm anyway.")
            visit.overrides = [*(visit.overrides or []), {"what": "confirmed without every answer", "recommended": who,
                               "chosen": "confirmed", "reason": reason, "by": actor.username,
                               "at": datetime.now(timezone.utc).isoformat(timespec="minutes")}]
    before = visit.status
    visit.status, visit.updated_at = status, datetime.now(timezone.utc)
    try:
        s.flush()
    except StaleDataError:
        s.rollback()
        raise _stale(s, s.get(Visit, visit_id), base_version) from None
    record(s, actor, action="visit.status", entity="visit", entity_id=visit.id, before={"status": before},
           after={"status": status, **({"reason": reason} if reason else {})},
           summary=f"visit {visit.id}: {before} → {status}" + (f" ({reason[:120]})" if reason else ""))
    uow.commit()


def respond(uow: UnitOfWork, *, actor: Actor, visit_id: int, answer: str, agency_id: int | None = None, note: str = "",
            base_version: int | None = None) -> None:
    """An agency confirms or declines its part; a decline on a confirmed visit sends it back to proposed.

    `base_version` is the visit version the agency's page showed: if the plan or its status moved on since, nothing
    is saved and the `Conflict` says who changed what. Either way the visit is locked first, so a decline racing
    the coordinator's confirmation lands after it (and sends the visit back to proposed) or before it (and the
    confirmation is refused: an answer changes the visit's version).
    """
    agency_id = agency_id or actor.agency_id
    ensure(actor, "visit.respond", agency_id=agency_id)
    s = uow.session
    visit = _locked_visit(s, visit_id)
    ensure_visit(s, actor, visit)
    if base_version is not None and visit.version != base_version:
        raise _stale(s, visit, base_version)
    if answer not in ANSWERS:
        raise ValidationError("Answer: confirm or decline.")
    if answer == "declined" and not note.strip():
        raise ValidationError("Reason: say why your agency cannot take part (the coordinator sees it).")
    problem = rules.answer_problem(visit.status, visit.starts_at, rules.today())
    if problem:
        raise ValidationError(problem)
    part = next((va for va in visit.agencies if va.agency_id == agency_id), None)
    if part is None:
        raise NotFound("Your agency is not on this visit.")
    before = {"response": part.response}
    part.response, part.responded_by_id, part.responded_at = answer, actor.id, datetime.now(timezone.utc)
    if answer == "declined" and visit.status == VisitStatus.CONFIRMED.value:
        visit.status = VisitStatus.PROPOSED.value
    visit.updated_at = datetime.now(timezone.utc)  # a new version: whoever acts on the answers they saw is told
    try:
        s.flush()
    except StaleDataError:
        s.rollback()
        raise _stale(s, s.get(Visit, visit_id), base_version) from None
    record(s, actor, action="visit.respond", entity="visit", entity_id=visit.id, before=before,
           after={"response": answer, "agency_id": agency_id, **({"note": note.strip()} if note.strip() else {})},
           summary=f"{actor.agency_name or 'agency'} {answer} visit {visit.id}" + (f": {note.strip()[:120]}" if note.strip() else ""))
    uow.commit()


def merge_into(uow: UnitOfWork, *, actor: Actor, target_id: int, team: list[TeamMember], officer_ids: list[int] = (),
                # type: ignore[assignment]
               from_visit_id: int | None = None) -> int:
    """Resolve a clash by joining the other visit: add the agencies (and officers) to it, cancel the duplicate."""
    ensure(actor, "visit.plan")
    s = uow.session
    for vid in sorted({target_id, *(() if from_visit_id is None else (from_visit_id,))}):  # in id order: no deadlock
        _locked_visit(s, vid)
    target = _visit(s, target_id)
    ensure_visit(s, actor, target)  # joining would reveal premises the planner may not know
    problem = rules.join_problem(target.status, target.starts_at, rules.today())
    if problem:
        raise ValidationError(f"Visit {target_id}: {problem}")
    names = _agency_names(s)
    have = {va.agency_id for va in target.agencies}
    added = [m for m in team if m.agency_id not in have and m.agency_id in names]
    for m in added:
        target.agencies.append(VisitAgency(agency_id=m.agency_id, officers=max(1, int(m.officers)),
                                           objectives=m.objectives.strip(), response="pending"))
    named = set(s.scalars(select(VisitOfficer.user_id).where(VisitOfficer.visit_id == target.id)))
    s.add_all(VisitOfficer(visit_id=target.id, user_id=u) for u in set(officer_ids) - named)
    if added and target.status == VisitStatus.CONFIRMED.value:
        target.status = VisitStatus.PROPOSED.value
    target.updated_at = datetime.now(timezone.utc)
    if from_visit_id is not None:
        dup = _visit(s, from_visit_id)
        ensure_visit(s, actor, dup)
        if dup.id != target.id and dup.status not in ("done", "cancelled"):
            dup.status = VisitStatus.CANCELLED.value
            dup.overrides = [*(dup.overrides or []), {"what": "merged", "recommended": "", "chosen": f"merged into visit {target.id}",
                             "reason": "clash resolved by joining the other visit", "by": actor.username,
                             "at": datetime.now(timezone.utc).isoformat(timespec="minutes")}]
    record(s, actor, action="visit.merge", entity="visit", entity_id=target.id,
           after={"added": [names[m.agency_id] for m in added], "from_visit_id": from_visit_id},
           summary=f"joined visit {target.id}: added {', '.join(names[m.agency_id] for m in added) or 'no new agencies'}")
    uow.commit()
    return target.id


# --- reading ----------------------------------------------------------------------------------


def calendar(uow: UnitOfWork, *, actor: Actor, start: date, end: date, agency_id: int | None = None,
             statuses: list[str] | None = None) -> list[dict[str, Any]]:
    """Visits between two dates (inclusive) for the shared calendar, optionally one agency's or some statuses.

    A visit whose premises are withheld from the viewer shows "Visit by <lead> — premises withheld" and
    `withheld` True (it cannot be opened).
    """
    session = uow.session
    ensure(actor, "visit.view")
    lo = datetime.combine(start, time.min, timezone.utc)
    hi = datetime.combine(end + timedelta(days=1), time.min, timezone.utc)
    q = select(Visit).where(Visit.starts_at >= lo, Visit.starts_at < hi).order_by(Visit.starts_at)
    if statuses:
        q = q.where(Visit.status.in_(statuses))
    if agency_id:
        q = q.where(Visit.id.in_(select(VisitAgency.visit_id).where(VisitAgency.agency_id == agency_id)))
    visits = list(session.scalars(q))
    codes = dict(session.execute(select(Agency.id, Agency.code)).all())
    parts: dict[int, list[VisitAgency]] = defaultdict(list)
    for va in session.scalars(select(VisitAgency).where(VisitAgency.visit_id.in_([v.id for v in visits] or [-1]))):
        parts[va.visit_id].append(va)
    hidden = withheld_visits(session, actor, visits)
    premises = visit_premises(session, actor, visits)
    # Clashes of the visits still to happen, except those withheld from the viewer (their clashes would say where
    # they are).
    ahead = [v for v in visits if v.status not in ("done", "cancelled") and v.id not in hidden]
    officers: dict[int, set[int]] = defaultdict(set)
    for vid, uid in session.execute(select(VisitOfficer.visit_id, VisitOfficer.user_id).where(
            VisitOfficer.visit_id.in_([v.id for v in ahead] or [-1]))):
        officers[vid].add(uid)
    names = dict(session.execute(select(User.id, User.name).where(User.id.in_({u for s in officers.values() for u in s} or {-1}))).all())
    found = dict(zip([v.id for v in ahead], _clashes_of(session, actor, [_planned(v, officers, names) for v in ahead])))
    rows = []
    for v in visits:
        mine = next((va.response for va in parts[v.id] if va.agency_id == actor.agency_id), "")
        rows.append({
            "id": v.id, "starts_at": v.starts_at, "ends_at": v.ends_at, "premises": premises[v.id],
            "status": v.status, "lead": codes.get(v.lead_agency_id or -1, ""),
            "agencies": ", ".join(codes.get(va.agency_id, "") for va in sorted(parts[v.id], key=lambda x: x.agency_id != v.lead_agency_id)),
            "officers": sum(va.officers for va in parts[v.id]),
            "not answered": sum(va.response == "pending" for va in parts[v.id]),
            "my agency": mine, "approach": v.approach, "withheld": v.id in hidden,
            "clashes": [c.message for c in found.get(v.id, [])],
        })
    return rows


def markers_for(uow: UnitOfWork, *, actor: Actor, business_id: int | None = None, premises_text: str = "",
                include_retired: bool = False) -> list[dict[str, Any]]:
    """Warning markers on the premises (or on a person named in its text); none at all without marker.view.

    Markers on a business reach only viewers who may read it (the risk list shows it to them) or whose
    agency is on a visit there (officer safety: the team always gets them).
    """
    session = uow.session
    if not may_see_markers(session, actor, None):
        return []
    if business_id is not None and not may_see_markers(session, actor, business_id):
        business_id = None
    q = select(WarningMarker, Agency.name).join(Agency, Agency.id == WarningMarker.agency_id)
    if not include_retired:
        q = q.where(WarningMarker.active.is_(True))
    text = normalise_premises(premises_text)
    conds = []
    if business_id is not None:
        conds.append(WarningMarker.business_id == business_id)
    if text:
        conds.append(WarningMarker.business_id.is_(None))
    if not conds:
        return []
    out = []
    for m, agency in session.execute(q.where(or_(*conds)).order_by(WarningMarker.created_at.desc())):
        if m.business_id is None and (not m.subject or normalise_premises(m.subject) not in text):
            continue
        out.append({"id": m.id, "category": m.category, "subject": m.subject, "details": m.details, "agency": agency,
                    "agency_id": m.agency_id, "created_at": m.created_at, "active": m.active,
                    "can_retire": allowed(actor, "marker.manage", agency_id=m.agency_id)})
    return out


def add_marker(uow: UnitOfWork, *, actor: Actor, category: str, details: str, business_id: int | None = None,
               subject: str = "") -> int:
    """An officer-safety marker from the actor's agency on a premises or a person."""
    ensure(actor, "marker.manage", agency_id=actor.agency_id)
    if category not in MARKER_CATEGORIES:
        raise ValidationError(f"Category: choose {', '.join(MARKER_CATEGORIES)}.")
    subject, details = " ".join(subject.split()), details.strip()
    if business_id is None and not subject:
        raise ValidationError("Subject: name the person or premises the warning is about.")
    if business_id is not None:
        business_id = ensure_business(uow.session, actor, business_id)
    if not details:
        raise ValidationError("Details: say what officers must know (e.g. 'two large dogs loose in the yard').")
    m = WarningMarker(business_id=business_id, subject=subject[:200] or "Premises", category=category, details=details,
                      agency_id=actor.agency_id, created_by_id=actor.id, active=True)
    uow.session.add(m)
    uow.session.flush()
    record(uow.session, actor, action="marker.add", entity="warning_marker", entity_id=m.id,
           after={"category": category, "business_id": business_id, "subject": m.subject},
           summary=f"added a {category} warning marker")
    uow.commit()
    return m.id


def retire_marker(uow: UnitOfWork, *, actor: Actor, marker_id: int, reason: str) -> None:
    """Retire a marker of the actor's agency (kept for the record, no longer shown)."""
    m = uow.session.get(WarningMarker, marker_id)
    if m is None:
        raise NotFound(f"No warning marker {marker_id}.")
    ensure(actor, "marker.manage", agency_id=m.agency_id)
    if not reason.strip():
        raise ValidationError("Reason: say why the warning no longer applies.")
    m.active = False
    record(uow.session, actor, action="marker.retire", entity="warning_marker", entity_id=m.id, before={"active": True},
           after={"active": False, "reason": reason.strip()}, summary=f"retired a {m.category} warning marker")
    uow.commit()


def visit_detail(uow: UnitOfWork, *, actor: Actor, visit_id: int) -> dict[str, Any]:
    """Everything the team needs: plan, reasons, overrides, answers, named officers, markers, clashes."""
    session = uow.session
    ensure(actor, "visit.view")
    v = _visit(session, visit_id)
    ensure_visit(session, actor, v)
    agencies = dict(session.execute(select(Agency.id, Agency.name)).all())
    people = dict(session.execute(select(User.id, User.name)).all())
    team = [{"agency_id": va.agency_id, "Agency": agencies.get(va.agency_id, ""), "Lead": va.agency_id == v.lead_agency_id,
             "Officers": va.officers, "Objectives": va.objectives, "Answer": va.response,
             "Answered by": people.get(va.responded_by_id or -1, ""), "Answered at": va.responded_at,
             "outcome": va.outcome}
            for va in sorted(v.agencies, key=lambda x: (x.agency_id != v.lead_agency_id, agencies.get(x.agency_id, "")))]
    officer_ids = list(session.scalars(select(VisitOfficer.user_id).where(VisitOfficer.visit_id == v.id)))
    premises = visit_premises(session, actor, [v])[v.id]
    plan = VisitPlan(v.starts_at, v.ends_at, [TeamMember(t["agency_id"], t["Officers"], t["Objectives"]) for t in team],
                     v.lead_agency_id, v.business_id, premises, v.entry_route, v.approach, v.briefing, officer_ids)
    today = rules.today()
    found = _clashes(session, actor, plan, visit_id=v.id) if v.status not in ("done", "cancelled") else []
    mine = next((t for t in team if t["agency_id"] == actor.agency_id), None)
    return {
        "id": v.id, "version": v.version, "status": v.status, "business_id": v.business_id, "premises": premises,
        "starts_at": v.starts_at, "ends_at": v.ends_at, "lead": agencies.get(v.lead_agency_id or -1, ""),
        "lead_agency_id": v.lead_agency_id, "entry_route": v.entry_route, "approach": v.approach,
        "mixed_warning": MIXED_WARNING if v.approach == Approach.MIXED.value else "", "briefing": v.briefing,
        "reasons": list(v.reasons or []), "overrides": list(v.overrides or []), "team": team,
        "not_answered": [t["Agency"] for t in team if t["Answer"] == "pending"],
        "officers": [{"id": i, "name": people.get(i, "")} for i in officer_ids],
        "markers": markers_for(uow, actor=actor, business_id=v.business_id, premises_text=v.premises_text),
        "clashes": [asdict(c) for c in found], "next": list(rules.next_statuses(v.status, v.starts_at, today)),
        "can_plan": allowed(actor, "visit.plan"),
        "can_respond": mine is not None and allowed(actor, "visit.respond", agency_id=actor.agency_id)
        and rules.answer_problem(v.status, v.starts_at, today) is None,
        "my_answer": mine["Answer"] if mine else None, "operation_id": v.operation_id,
        "plan": plan,
    }
