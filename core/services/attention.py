"""The home page's "what needs my attention", for each role."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from sqlalchemy import and_, exists, func, select

from core.domain import Role
from core.permissions import Actor, allowed, ensure
from core.rag import RAG_ORDER, rag_status
from core.services.audit import record
from core.store.models import (
    Action,
    Agency,
    Board,
    Dataset,
    Feedback,
    MatchReview,
    Meeting,
    Milestone,
    Referral,
    ReferralRecipient,
    User,
    Visit,
    VisitAgency,
    VisitOfficer,
)
from core.store.uow import UnitOfWork
from core.visibility import visit_premises

HORIZON_DAYS = 14
OPEN = ("not started", "in progress")


@dataclass
class Section:
    key: str
    title: str
    empty: str
    rows: list[dict[str, Any]] = field(default_factory=list)
    metrics: dict[str, int] = field(default_factory=dict)


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, timezone.utc)


def my_actions(uow: UnitOfWork, *, actor: Actor, today: date) -> Section:
    """Open actions the actor owns, worst RAG first."""
    session = uow.session
    ensure(actor, "action.view")
    section = Section("actions", "My actions", "You own no open actions.")
    actions = list(session.scalars(select(Action).where(Action.owner_id == actor.id, Action.status.in_(OPEN))))
    ms: dict[int, list[tuple[date, date | None]]] = defaultdict(list)
    if actions:
        for m in session.scalars(select(Milestone).where(Milestone.action_id.in_([a.id for a in actions]))):
            ms[m.action_id].append((m.due_on, m.completed_on))
    rows = []
    for a in actions:
        rag = rag_status(status=a.status, due_on=a.due_on, milestones=ms[a.id], today=today)
        next_due = min((d for d, done in ms[a.id] if done is None), default=None)
        rows.append({"RAG": rag, "Action": a.title, "Due": a.due_on, "Status": a.status, "Next milestone": next_due, "id": a.id})
    rows.sort(key=lambda r: (RAG_ORDER[r["RAG"]], r["Due"]))
    section.rows = rows
    section.metrics = {"red": sum(r["RAG"] == "red" for r in rows), "open": len(rows)}
    return section


def my_milestones(uow: UnitOfWork, *, actor: Actor, today: date) -> Section:
    """Open milestones the actor owns that are overdue or due within the horizon."""
    session = uow.session
    ensure(actor, "action.view")
    section = Section("milestones", f"My milestones due in the next {HORIZON_DAYS} days", "No milestones of yours are due soon.")
    q = (
        select(Milestone, Action.title)
        .join(Action, Action.id == Milestone.action_id)
        .where(
            Milestone.owner_id == actor.id,
            Milestone.completed_on.is_(None),
            Milestone.due_on <= today + timedelta(days=HORIZON_DAYS),
            Action.status.in_(OPEN),
        )
        .order_by(Milestone.due_on)
    )
    section.rows = [
        {"Milestone": m.title, "Action": title, "Due": m.due_on, "Overdue": m.due_on < today, "action_id": m.action_id}
        for m, title in session.execute(q)
    ]
    section.metrics = {"overdue": sum(r["Overdue"] for r in section.rows)}
    return section


def upcoming_visits(uow: UnitOfWork, *, actor: Actor, now: datetime) -> Section:
    """Visits in the next fortnight that the actor's agency is part of, and whether it has answered."""
    session = uow.session
    ensure(actor, "visit.view")
    section = Section("visits", f"Visits for {actor.agency_name} in the next {HORIZON_DAYS} days",
                      "Your agency has no visits planned in the next fortnight.")
    named = exists().where(VisitOfficer.visit_id == Visit.id, VisitOfficer.user_id == actor.id)
    q = (
        select(Visit, VisitAgency.response, named.label("named"))
        .join(VisitAgency, and_(VisitAgency.visit_id == Visit.id, VisitAgency.agency_id == actor.agency_id))
        .where(Visit.starts_at >= now, Visit.starts_at < now + timedelta(days=HORIZON_DAYS),
               Visit.status.notin_(("cancelled", "done")))
        .order_by(Visit.starts_at)
    )
    found = session.execute(q).all()
    premises = visit_premises(session, actor, [v for v, _r, _n in found])
    for visit, response, is_named in found:
        section.rows.append({
            "When": visit.starts_at, "Premises": premises[visit.id], "Status": visit.status,
            "Your agency's answer": response, "You are on it": bool(is_named), "id": visit.id,
        })
    section.metrics = {"awaiting answer": sum(r["Your agency's answer"] == "pending" for r in section.rows)}
    return section


def new_feedback(uow: UnitOfWork, *, actor: Actor) -> Section:
    """Feedback on the actor's own referrals that arrived since they last looked."""
    session = uow.session
    ensure(actor, "referral.view_own", owner_id=actor.id)
    seen = session.scalar(select(User.feedback_seen_at).where(User.id == actor.id))
    section = Section("feedback", "New feedback on your referrals", "No new feedback since you last looked.")
    q = (
        select(Feedback, Referral.subject, Referral.sent_at, Agency.name, Referral.id)
        .join(ReferralRecipient, ReferralRecipient.id == Feedback.recipient_id)
        .join(Referral, Referral.id == ReferralRecipient.referral_id)
        .join(Agency, Agency.id == ReferralRecipient.agency_id)
        .where(Referral.sender_id == actor.id)
        .order_by(Feedback.created_at.desc())
    )
    if seen is not None:
        q = q.where(Feedback.created_at > seen)
    section.rows = [
        {"Received": fb.created_at, "Referral": subject, "From": agency, "Useful (1-5)": fb.usefulness,
         "Outcome": fb.outcome, "Comments": fb.comments, "id": referral_id}
        for fb, subject, _sent, agency, referral_id in session.execute(q)
    ]
    return section


def inbox_due(uow: UnitOfWork, *, actor: Actor, today: date) -> Section:
    """Referrals to the actor's agency still owed acknowledgement or feedback, most overdue first."""
    session = uow.session
    ensure(actor, "referral.view_inbox", agency_id=actor.agency_id)
    section = Section("inbox", f"Referrals owed feedback by {actor.agency_name}", "Your agency owes no feedback.")
    has_feedback = exists().where(Feedback.recipient_id == ReferralRecipient.id)
    q = (
        select(ReferralRecipient, Referral.subject, Referral.sent_at, Agency.name)
        .join(Referral, Referral.id == ReferralRecipient.referral_id)
        .join(Agency, Agency.id == Referral.sender_agency_id)
        .where(ReferralRecipient.agency_id == actor.agency_id, Referral.status == "sent", ~has_feedback)
        .order_by(ReferralRecipient.feedback_by)
    )
    for rec, subject, sent_at, sender_agency in session.execute(q):
        section.rows.append({
            "Referral": subject, "From": sender_agency, "Sent": sent_at, "Status": rec.status,
            "Feedback due": rec.feedback_by, "Overdue": rec.feedback_by is not None and rec.feedback_by < today,
            "id": rec.referral_id, "recipient_id": rec.id,
        })
    section.metrics = {
        "overdue": sum(r["Overdue"] for r in section.rows),
        "not acknowledged": sum(r["Status"] == "new" for r in section.rows),
    }
    return section


def partnership_overview(uow: UnitOfWork, *, actor: Actor, today: date) -> Section:
    """Counts a chair or administrator watches: overdue actions, feedback owed, the next meetings."""
    session = uow.session
    ensure(actor, "referral.view_counts")
    section = Section("overview", "Across the partnership", "Nothing is scheduled.")
    overdue_ms = exists().where(Milestone.action_id == Action.id, Milestone.completed_on.is_(None), Milestone.due_on < today)
    overdue_actions = session.scalar(
        select(func.count()).select_from(Action).where(Action.status.in_(OPEN), (Action.due_on < today) | overdue_ms)
    ) or 0
    due_soon = session.scalar(
        select(func.count()).select_from(Action).where(
            Action.status.in_(OPEN), Action.due_on >= today, Action.due_on <= today + timedelta(days=HORIZON_DAYS))
    ) or 0
    has_feedback = exists().where(Feedback.recipient_id == ReferralRecipient.id)
    feedback_overdue = session.scalar(
        select(func.count()).select_from(ReferralRecipient).join(Referral, Referral.id == ReferralRecipient.referral_id)
        .where(Referral.status == "sent", ~has_feedback, ReferralRecipient.feedback_by < today)
    ) or 0
    section.metrics = {"actions red": overdue_actions, f"actions due in {HORIZON_DAYS} days": due_soon,
                       "referrals with overdue feedback": feedback_overdue}
    q = (
        select(Meeting, Board.name)
        .join(Board, Board.id == Meeting.board_id)
        .where(Meeting.status != "closed", Meeting.scheduled_at >= _start_of(today))
        .order_by(Meeting.scheduled_at)
        .limit(5)
    )
    section.rows = [{"Meeting": board, "When": m.scheduled_at, "Where": m.location, "Status": m.status, "id": m.id}
                    for m, board in session.execute(q)]
    return section


def agency_data(uow: UnitOfWork, *, actor: Actor, now: datetime) -> Section:
    """An analyst's datasets: how old each import is, and the match pairs waiting for the agency."""
    session = uow.session
    ensure(actor, "dataset.manage", agency_id=actor.agency_id)
    section = Section("data", "My agency's data on the shared risk list", "Your agency has no datasets yet: import one.")
    own = list(session.scalars(select(Dataset).where(Dataset.agency_id == actor.agency_id).order_by(Dataset.name)))
    for d in own:
        age = (now - d.last_imported_at).days if d.last_imported_at else None
        section.rows.append({"Dataset": d.name, "Sharing": d.sharing, "Last import": d.last_imported_at,
                             "Days old": age, "Stale": age is None or age > d.stale_after_days})
    ids = [d.id for d in own]
    waiting = session.scalar(select(func.count()).select_from(MatchReview).where(
        (MatchReview.a_dataset_id.in_(ids)) | (MatchReview.b_dataset_id.in_(ids)))) if ids else 0
    section.metrics = {"stale datasets": sum(r["Stale"] for r in section.rows), "match pairs to review": int(waiting or 0)}
    return section


def attention(uow: UnitOfWork, *, actor: Actor, today: date | None = None,
              now: datetime | None = None) -> list[Section]:
    """The sections of the home page for this actor, in the order they are shown."""
    ensure(actor, "attention.view", owner_id=actor.id)
    now = now or datetime.now(timezone.utc)
    today = today or now.date()
    sections: list[Section] = []
    if allowed(actor, "referral.view_counts") and actor.role in (Role.CHAIR, Role.ADMIN):
        sections.append(partnership_overview(uow, actor=actor, today=today))
    sections += [my_actions(uow, actor=actor, today=today), my_milestones(uow, actor=actor, today=today)]
    if allowed(actor, "referral.view_inbox", agency_id=actor.agency_id):
        sections.append(inbox_due(uow, actor=actor, today=today))
    if allowed(actor, "dataset.manage", agency_id=actor.agency_id):
        sections.append(agency_data(uow, actor=actor, now=now))
    if allowed(actor, "referral.view_own", owner_id=actor.id):
        sections.append(new_feedback(uow, actor=actor))
    sections.append(upcoming_visits(uow, actor=actor, now=now))
    return sections


def mark_feedback_seen(uow: UnitOfWork, *, actor: Actor) -> None:
    """Record that the actor has read the feedback on their referrals up to now."""
    ensure(actor, "referral.view_own", owner_id=actor.id)
    user = uow.session.get(User, actor.id)
    if user is None:
        return
    before = {"feedback_seen_at": user.feedback_seen_at}
    user.feedback_seen_at = datetime.now(timezone.utc)
    record(uow.session, actor, action="referral.feedback_seen", entity="user", entity_id=actor.id,
           before=before, after={"feedback_seen_at": user.feedback_seen_at}, summary="marked referral feedback as read")
    uow.commit()
