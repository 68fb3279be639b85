"""What joint visits achieved: each attending agency records its outcome once (and may correct it).

Outcomes are recorded only on confirmed (or done) visits whose day has come (`core/visits/status.py`);
the visit becomes "done" with the first one. Two people saving at once never overwrite each other silently: every
save locks the visit first (`core.store.locks`), a correction names the outcome version it started from, and the
second person is told who saved what (the first outcome likewise is recorded once). Results for the partnership
(visits per month, outcomes by agency, visits where two or more agencies found something, officers
deployed) are counts, never intelligence, so everyone who sees the calendar sees them.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from core.visits import outcome as visit_outcome
from core.domain import VisitStatus
from core.errors import Conflict, NotFound, ValidationError
from core.permissions import Actor, ensure
from core.services.audit import record
from core.store.locks import locked
from core.store.models import Agency, Operation, User, Visit, VisitAgency, VisitOfficer
from core.store.uow import UnitOfWork
from core.visibility import visit_premises
from core.visits import status as rules

CHUNK = 1000
COUNT_COLUMNS = {"notices": "Notices", "seizures": "Seizures", "arrests": "Arrests", "penalties": "Civil penalties",
                 "referrals": "Referrals"}


# --- recording ---------------------------------------------------------------------------------


def _part(s: Session, actor: Actor, visit_id: int, agency_id: int | None, *, lock: bool = False) -> tuple[Visit, VisitAgency]:
    """The visit and the agency's part in it, if the actor may record that agency's outcome now.

    With `lock`, the visit is locked for the unit of work and everything is read after the lock: outcome saves on
    one visit (any agency's) happen one after another, each seeing the one before.
    """
    agency_id = actor.agency_id if agency_id is None else agency_id
    ensure(actor, "visit.outcome", agency_id=agency_id)
    visit = locked(s, Visit, visit_id) if lock else s.get(Visit, visit_id)
    if visit is None:
        raise NotFound(f"Visit {visit_id} no longer exists.")
    part = s.scalar(select(VisitAgency).where(VisitAgency.visit_id == visit_id, VisitAgency.agency_id == agency_id))
    if part is None:
        raise NotFound(f"Your agency is not on visit {visit_id}; only agencies on the team record its outcome.")
    if part.response == "declined":
        raise ValidationError("Your agency declined this visit, so it has no outcome to record.")
    problem = rules.outcome_problem(visit.status, visit.starts_at, rules.today())
    if problem:
        raise ValidationError(problem)
    return visit, part


def _saved_already(s: Session, part: VisitAgency, base_version: int) -> Conflict:
    """Someone saved this agency's outcome since the person's form was shown: who, when, and what."""
    by = s.execute(select(User.name).where(User.id == part.outcome_by_id)).scalar() if part.outcome_by_id else None
    who = by or "Someone in your agency"
    what = visit_outcome.summarise([part.outcome])
    when = f"{part.outcome_recorded_at:%d %b %Y at %H:%M} UTC"
    if base_version == 0:
        return Conflict(f"{who} recorded your agency's outcome of this visit on {when}: {what}. Nothing of yours was saved; "
                        "check theirs, and correct that record instead of adding another if something is missing.")
    return Conflict(f"{who} saved your agency's outcome of this visit on {when} (now version {part.outcome_version}, you "
                    f"started from {base_version}): {what}. Nothing of yours was saved; check theirs and correct it again "
                    "if something is missing.")


def record_outcome(uow: UnitOfWork, *, actor: Actor, visit_id: int, data: Mapping[str, Any],
                   agency_id: int | None = None) -> None:
    """The agency's first outcome of the visit (version 1); the visit becomes done with the first outcome.

    Recorded once: of two people recording it at once, the second is told who recorded what (`Conflict`).
    """
    s = uow.session
    visit, part = _part(s, actor, visit_id, agency_id, lock=True)
    if part.outcome_recorded_at is not None:
        raise _saved_already(s, part, 0)
    outcome = visit_outcome.validate(data)
    now = datetime.now(timezone.utc)
    part.outcome, part.outcome_recorded_at = outcome, now
    part.outcome_version, part.outcome_by_id = 1, actor.id
    record(s, actor, action="visit.outcome", entity="visit", entity_id=visit.id,
           summary=f"Outcome for {actor.agency_name or 'agency'}: {visit_outcome.summarise([outcome])}",
           after={"agency_id": part.agency_id, "outcome": outcome})
    if visit.status != VisitStatus.DONE.value:
        record(s, actor, action="visit.status", entity="visit", entity_id=visit.id, summary="Visit done",
               before={"status": visit.status}, after={"status": VisitStatus.DONE.value})
        visit.status, visit.updated_at = VisitStatus.DONE.value, now
    _commit(uow)


def correct_outcome(uow: UnitOfWork, *, actor: Actor, visit_id: int, data: Mapping[str, Any], base_version: int,
                    agency_id: int | None = None) -> None:
    """Replace the agency's recorded outcome (same agency only); before and after are audited.

    `base_version` is the outcome version the person's form showed (`outcome_of`); if someone saved since, nothing
    is changed and the `Conflict` says who saved what.
    """
    s = uow.session
    visit, part = _part(s, actor, visit_id, agency_id, lock=True)
    if part.outcome_recorded_at is None:
        raise ValidationError("Your agency has not recorded this visit's outcome yet; record it first.")
    if part.outcome_version != base_version:
        raise _saved_already(s, part, base_version)
    outcome = visit_outcome.validate(data)
    before = part.outcome
    if before == outcome:
        return
    part.outcome, part.outcome_recorded_at = outcome, datetime.now(timezone.utc)
    part.outcome_version, part.outcome_by_id = base_version + 1, actor.id
    record(s, actor, action="visit.outcome_corrected", entity="visit", entity_id=visit.id,
           summary=f"Outcome corrected for {actor.agency_name or 'agency'}: {visit_outcome.summarise([outcome])}",
           before={"agency_id": part.agency_id, "outcome": before}, after={"agency_id": part.agency_id, "outcome": outcome})
    _commit(uow)


def _commit(uow: UnitOfWork) -> None:
    try:
        uow.commit()
    except StaleDataError:
        raise Conflict("Someone changed this visit at the same moment; open it again and resubmit.") from None


# --- my agency's visits ------------------------------------------------------------------------


def _my_parts(s: Session, actor: Actor, *, recorded: bool) -> list[tuple[Visit, VisitAgency]]:
    ensure(actor, "visit.outcome", agency_id=actor.agency_id)
    # Visits whose day has come (today's included): the same rule as recording, so every row can be recorded.
    tomorrow = datetime.combine(rules.today() + timedelta(days=1), time.min, timezone.utc)
    q = (select(Visit, VisitAgency).join(VisitAgency, VisitAgency.visit_id == Visit.id)
         .where(VisitAgency.agency_id == actor.agency_id, VisitAgency.response != "declined",
                Visit.status.in_(rules.WITH_OUTCOME), Visit.starts_at < tomorrow,
                VisitAgency.outcome_recorded_at.is_not(None) if recorded else VisitAgency.outcome_recorded_at.is_(None))
         .order_by(Visit.starts_at.desc(), Visit.id.desc()))
    return [(v, p) for v, p in s.execute(q.limit(200))]


def _visit_rows(s: Session, actor: Actor, parts: list[tuple[Visit, VisitAgency]], *, recorded: bool) -> pd.DataFrame:
    names = dict(s.execute(select(Agency.id, Agency.name)).all())
    ops = dict(s.execute(select(Operation.id, Operation.name)).all())
    premises = visit_premises(s, actor, [v for v, _p in parts])
    rows = []
    for v, part in parts:
        row = {"visit_id": v.id, "When": v.starts_at, "Premises": premises[v.id],
               "Lead": names.get(v.lead_agency_id or 0, ""), "Operation": ops.get(v.operation_id or 0, "")}
        if recorded:
            row["Recorded"] = part.outcome_recorded_at
            row["Outcome"] = visit_outcome.summarise([part.outcome])
        rows.append(row)
    cols = ["visit_id", "When", "Premises", "Lead", "Operation", *(["Recorded", "Outcome"] if recorded else [])]
    return pd.DataFrame(rows, columns=cols)


def awaiting_outcome(uow: UnitOfWork, *, actor: Actor) -> pd.DataFrame:
    """My agency's visits that have happened and still need its outcome, newest first."""
    s = uow.session
    return _visit_rows(s, actor, _my_parts(s, actor, recorded=False), recorded=False)


def recorded_outcomes(uow: UnitOfWork, *, actor: Actor) -> pd.DataFrame:
    """My agency's recorded outcomes, newest visit first (to correct one)."""
    s = uow.session
    return _visit_rows(s, actor, _my_parts(s, actor, recorded=True), recorded=True)


def outcome_of(uow: UnitOfWork, *, actor: Actor, visit_id: int) -> dict[str, Any]:
    """The form's starting values for my agency's outcome of a visit, and whether it is a correction."""
    s = uow.session
    visit, part = _part(s, actor, visit_id, None)
    return {"visit_id": visit.id, "premises": visit_premises(s, actor, [visit])[visit.id], "starts_at": visit.starts_at,
            "correction": part.outcome_recorded_at is not None, "version": part.outcome_version,
            "values": visit_outcome.form_values(part.outcome)}


# --- for the risk list -------------------------------------------------------------------------


def last_visit_for(s: Session, business_ids: Iterable[int]) -> dict[int, tuple[date, str]]:
    """{business id: (date of its latest done visit, result summary)} for businesses visited at all."""
    ids = sorted(set(business_ids))
    latest: dict[int, tuple[datetime, int]] = {}
    for i in range(0, len(ids), CHUNK):
        chunk = ids[i:i + CHUNK]
        rows = s.execute(select(Visit.business_id, Visit.starts_at, Visit.id)
                         .where(Visit.business_id.in_(chunk), Visit.status == VisitStatus.DONE.value))
        for bid, starts, vid in rows:
            if bid not in latest or (starts, vid) > latest[bid]:
                latest[bid] = (starts, vid)
    by_visit: dict[int, list[dict[str, Any] | None]] = defaultdict(list)
    visit_ids = sorted(v for _, v in latest.values())
    for i in range(0, len(visit_ids), CHUNK):
        for vid, outcome in s.execute(select(VisitAgency.visit_id, VisitAgency.outcome)
                                      .where(VisitAgency.visit_id.in_(visit_ids[i:i + CHUNK]))):
            by_visit[vid].append(outcome)
    return {bid: (starts.date(), visit_outcome.summarise(by_visit[vid])) for bid, (starts, vid) in latest.items()}


# --- results -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class VisitResults:
    per_month: pd.DataFrame  # Month, Status, Visits
    by_agency: pd.DataFrame  # Agency, Visits attended, Outcomes recorded, Nothing found, Notices, ...
    findings: pd.DataFrame  # visit_id, When, Premises, Agencies with findings
    officers: pd.DataFrame  # visit_id, When, Premises, Agencies, Officers deployed, Officers named
    done: int
    multi_agency_findings: int  # done visits where two or more agencies found something

    @property
    def multi_agency_share(self) -> float:
        return self.multi_agency_findings / self.done if self.done else 0.0


def results(uow: UnitOfWork, *, actor: Actor, since: date | None = None, until: date | None = None) -> VisitResults:
    """The partnership's visit results between two dates (inclusive; either may be open)."""
    s = uow.session
    ensure(actor, "visit.view")
    where = []
    if since is not None:
        where.append(Visit.starts_at >= datetime.combine(since, time.min, timezone.utc))
    if until is not None:
        where.append(Visit.starts_at < datetime.combine(until, time.max, timezone.utc))
    visits = s.execute(select(Visit.id, Visit.starts_at, Visit.status, Visit.premises_text, Visit.business_id,
                              Visit.lead_agency_id).where(*where)).all()
    month = pd.DataFrame([(datetime(v.starts_at.year, v.starts_at.month, 1), v.status) for v in visits],
                         columns=["Month", "Status"])
    per_month = (month.groupby(["Month", "Status"]).size().reset_index(name="Visits")
                 .sort_values(["Month", "Status"], ignore_index=True))
    done = {v.id: v for v in visits if v.status == VisitStatus.DONE.value}
    done_ids = sorted(done)
    premises = visit_premises(s, actor, done.values())

    # Outcomes by agency: attended (not declined) parts of done visits.
    names = dict(s.execute(select(Agency.id, Agency.name)).all())
    per_agency: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    found_by: dict[int, int] = defaultdict(int)
    deployed: dict[int, tuple[int, int]] = {}
    for i in range(0, len(done_ids), CHUNK):
        chunk = done_ids[i:i + CHUNK]
        for vid, aid, outcome, at in s.execute(
                select(VisitAgency.visit_id, VisitAgency.agency_id, VisitAgency.outcome, VisitAgency.outcome_recorded_at)
                .where(VisitAgency.visit_id.in_(chunk), VisitAgency.response != "declined")):
            row = per_agency[aid]
            row["Visits attended"] += 1
            if at is None:
                continue
            row["Outcomes recorded"] += 1
            counts = visit_outcome.counts_of(outcome)
            row["Nothing found"] += not any(counts.values())
            for key, label in COUNT_COLUMNS.items():
                row[label] += counts[key]
            found_by[vid] += visit_outcome.has_findings(outcome)
        # Officers deployed, grouped in the database: planned per agency, and named people.
        planned = dict(s.execute(select(VisitAgency.visit_id, func.sum(VisitAgency.officers))
                                 .where(VisitAgency.visit_id.in_(chunk), VisitAgency.response != "declined")
                                 .group_by(VisitAgency.visit_id)).all())
        agencies = dict(s.execute(select(VisitAgency.visit_id, func.count(VisitAgency.id))
                                  .where(VisitAgency.visit_id.in_(chunk), VisitAgency.response != "declined")
                                  .group_by(VisitAgency.visit_id)).all())
        named = dict(s.execute(select(VisitOfficer.visit_id, func.count(VisitOfficer.user_id))
                               .where(VisitOfficer.visit_id.in_(chunk)).group_by(VisitOfficer.visit_id)).all())
        for vid in chunk:
            deployed[vid] = (int(agencies.get(vid, 0)), int(planned.get(vid) or 0), int(named.get(vid, 0)))  # type: ignore[assignment]
    agency_cols = ["Visits attended", "Outcomes recorded", "Nothing found", *COUNT_COLUMNS.values()]
    by_agency = pd.DataFrame([{"Agency": names.get(a, "?"), **{c: int(r.get(c, 0)) for c in agency_cols}}
                              for a, r in per_agency.items()], columns=["Agency", *agency_cols])
    by_agency = by_agency.sort_values(["Visits attended", "Agency"], ascending=[False, True], ignore_index=True)
    findings = pd.DataFrame([(vid, done[vid].starts_at, premises[vid], found_by.get(vid, 0)) for vid in done_ids],
                            columns=["visit_id", "When", "Premises", "Agencies with findings"])
    officers = pd.DataFrame([(vid, done[vid].starts_at, premises[vid], *deployed[vid]) for vid in done_ids],
                            columns=["visit_id", "When", "Premises", "Agencies", "Officers deployed", "Officers named"])
    multi = int((findings["Agencies with findings"] >= 2).sum()) if len(findings) else 0
    return VisitResults(per_month, by_agency, findings, officers, len(done_ids), multi)
