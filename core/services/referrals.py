"""Intelligence referrals between agencies, with feedback owed on every one.

The sterile wall, enforced here for pages, search and exports alike (`core.visibility.referral_text_level`):
- the sender sees their own referrals and the feedback on them;
- analysts of a receiving agency see that agency's inbox; what they see of the text depends on
  the handling code (`core.grading.visibility`): the full text, or only the sanitised summary;
- chairs and administrators see counts and outcomes, never content;
- nobody else sees anything of a referral.
A business linked to a referral is one the person linking it may read; a visit tasked from a referral names
its premises only through that business, never through the referral's words (the calendar is partnership-wide).
"""
from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import delete, exists, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core import grading
from core.domain import RecipientStatus
from core.errors import Forbidden, NotFound, ValidationError
from core.permissions import Actor, allowed, ensure
from core.services.actions import ActionInput, add_action
from core.services.audit import last_change, record
from core.services.partnership import settings
from core.store.models import (
    Agency,
    Feedback,
    Indicator,
    Referral,
    ReferralIndicator,
    ReferralMessage,
    ReferralRecipient,
    User,
    Visit,
    VisitAgency,
)
from core.store.locks import locked
from core.store.uow import UnitOfWork
from core.visibility import (
    business_views,
    search_businesses,
    ensure_business,
    readable_businesses,
    referral_text,
    referral_text_level,
)
from core.visits import status as visit_rules

SUBJECT_TYPES = ("business", "person", "vehicle", "location")
DECISIONS = {
    "develop further": "Develop further",
    "task a visit": "Task a visit",
    "raise an action": "Raise an action",
    "add to risk list": "Add to the shared risk list",
    "already known": "Already known",
    "no further action": "No further action",
}
OUTCOMES = ("visit tasked", "enforcement action taken", "added to risk list", "developed further", "already known",
            "no further action")
USEFUL_FROM = 4  # usefulness 4 or 5 of 5 counts as "useful"


@dataclass
class ReferralInput:
    subject: str
    subject_type: str = "business"
    business_id: int | None = None
    observed_at: datetime | None = None
    place: str = ""
    body: str = ""
    summary: str = ""
    scheme: str = "5x5x5"
    source_grade: str | None = None
    intel_grade: str | None = None
    handling_code: str | None = None
    indicator_ids: list[int] = field(default_factory=list)
    recipient_ids: list[int] = field(default_factory=list)


# --- submitting -------------------------------------------------------------------------------


def indicators(uow: UnitOfWork, *, actor: Actor) -> list[dict[str, Any]]:
    """The golden indicators officers can tick, with the agency each one is for."""
    session = uow.session
    ensure(actor, "referral.submit", owner_id=actor.id)
    rows = session.execute(select(Indicator, Agency.name).join(Agency, Agency.id == Indicator.agency_id)
                           .where(Indicator.active.is_(True), Agency.active.is_(True)).order_by(Agency.name, Indicator.label))
    return [{"id": i.id, "label": i.label, "agency_id": i.agency_id, "agency": name, "issue": i.issue} for i, name in rows]


def suggest_recipients(uow: UnitOfWork, *, actor: Actor, indicator_ids: list[int]) -> list[int]:
    """The agencies the ticked indicators are watched for (never the sender's own), most ticked first."""
    session = uow.session
    ensure(actor, "referral.submit", owner_id=actor.id)
    if not indicator_ids:
        return []
    counts = Counter(session.scalars(select(Indicator.agency_id).where(Indicator.id.in_(indicator_ids))))
    counts.pop(actor.agency_id, None)
    return [agency for agency, _ in counts.most_common()]


def suggest_subjects(uow: UnitOfWork, *, actor: Actor, text: str, limit: int = 8) -> list[dict[str, Any]]:
    """Businesses on the shared risk list that look like what the officer is typing.

    Only businesses a partner may know the details of are offered: those held in a fully shared
    dataset, or held by the officer's own agency (interest-only and owner-only data never name one).
    """
    session = uow.session
    ensure(actor, "referral.submit", owner_id=actor.id)
    if len(text.strip()) < 3:
        return []
    return search_businesses(session, actor, text, limit)


def _clean(session: Session, actor: Actor, data: ReferralInput) -> ReferralInput:
    subject = " ".join(data.subject.split())
    if not subject:
        raise ValidationError("Subject: say who or what the report is about (business, person, vehicle or place).")
    if data.subject_type not in SUBJECT_TYPES:
        raise ValidationError(f"Subject type: choose {', '.join(SUBJECT_TYPES)}.")
    if data.observed_at is not None and data.observed_at > datetime.now(timezone.utc) + timedelta(minutes=5):
        raise ValidationError("When seen: the date and time is in the future.")
    grading.scheme(data.scheme)
    recipients = sorted(set(data.recipient_ids) - {actor.agency_id})
    known = set(session.scalars(select(Agency.id).where(Agency.id.in_(recipients), Agency.active.is_(True))))
    if set(recipients) - known:
        raise ValidationError("Recipients: choose active partner agencies.")
    business_id = None if data.business_id is None else ensure_business(session, actor, data.business_id)
    return ReferralInput(**{**data.__dict__, "subject": subject, "recipient_ids": recipients, "business_id": business_id,
                            "summary": data.summary.strip(), "body": data.body.strip(), "place": data.place.strip()})


def save_draft(uow: UnitOfWork, *, actor: Actor, data: ReferralInput, referral_id: int | None = None) -> int:
    """Create or update a draft; drafts need not be complete and are seen only by their author."""
    ensure(actor, "referral.submit", owner_id=actor.id)
    s = uow.session
    clean = _clean(s, actor, data)
    if referral_id is None:
        ref = Referral(sender_id=actor.id, sender_agency_id=actor.agency_id, status="draft", subject=clean.subject)
        s.add(ref)
    else:
        ref = _own_draft(s, actor, referral_id)
    for key in ("subject", "subject_type", "business_id", "observed_at", "place", "body", "summary", "scheme"):
        setattr(ref, key, getattr(clean, key))
    ref.source_grade, ref.intel_grade, ref.handling_code = clean.source_grade or None, clean.intel_grade or None, clean.handling_code or None
    s.flush()
    s.execute(delete(ReferralIndicator).where(ReferralIndicator.referral_id == ref.id))
    for ind in sorted(set(clean.indicator_ids)):
        s.add(ReferralIndicator(referral_id=ref.id, indicator_id=ind))
    s.execute(delete(ReferralRecipient).where(ReferralRecipient.referral_id == ref.id))
    for agency_id in clean.recipient_ids:
        s.add(ReferralRecipient(referral_id=ref.id, agency_id=agency_id, status=RecipientStatus.NEW.value))
    record(s, actor, action="referral.draft", entity="referral", entity_id=ref.id,
           after={"subject_type": ref.subject_type, "recipients": clean.recipient_ids}, summary="saved a referral draft")
    uow.commit()
    return ref.id


def _own_draft(s: Session, actor: Actor, referral_id: int) -> Referral:
    ref = s.get(Referral, referral_id)
    if ref is None or ref.sender_id != actor.id:
        raise NotFound(f"You have no referral {referral_id}.")
    if ref.status != "draft":
        raise ValidationError("This referral has been sent; add information to it instead of editing it.")
    return ref


def _sendable(s: Session, ref: Referral) -> tuple[tuple[str, str, str], list[ReferralRecipient]]:
    """The draft's grading and recipients, checked: everything a send needs, or a message saying what to fix."""
    src, intel, handling = grading.validate(ref.scheme, ref.source_grade, ref.intel_grade, ref.handling_code)
    recipients = list(s.scalars(select(ReferralRecipient).where(ReferralRecipient.referral_id == ref.id)
                                .order_by(ReferralRecipient.agency_id)))
    if not recipients:
        raise ValidationError("Recipients: choose at least one partner agency to send this to.")
    seen = grading.visibility(ref.scheme, handling)
    if seen == "originator":
        raise ValidationError(f"Handling code {handling} ({grading.scheme(ref.scheme).handling[handling].lower()}) keeps this "
                              "report inside your agency; choose a code that allows sharing, or do not send it.")
    if seen == "summary" and not ref.summary:
        raise ValidationError(f"Sanitised summary: handling code {handling} lets partners see only a summary; write one "
                              "that leaves out sources and anything that must not pass.")
    if not ref.body and not ref.summary:
        raise ValidationError("What you saw: describe it before sending.")
    return (src, intel, handling), recipients


def to_confirm(uow: UnitOfWork, *, actor: Actor, referral_id: int) -> dict[int, str]:
    """The agencies a draft would go to, by id and name, once it could be sent: what the sender confirms."""
    ensure(actor, "referral.submit", owner_id=actor.id)
    s = uow.session
    _, recipients = _sendable(s, _own_draft(s, actor, referral_id))
    names = dict(s.execute(select(Agency.id, Agency.name).where(Agency.id.in_([r.agency_id for r in recipients]))).all())
    return {r.agency_id: names[r.agency_id] for r in recipients}


def send(uow: UnitOfWork, *, actor: Actor, referral_id: int, to: Collection[int], now: datetime | None = None) -> None:
    """Send a draft to the agencies the sender confirmed (`to`, from `to_confirm`): it needs a complete grading,
    recipients, and a summary where the text may not pass. If the recipients changed since, nothing is sent."""
    ensure(actor, "referral.submit", owner_id=actor.id)
    s = uow.session
    ref = _own_draft(s, actor, referral_id)
    (src, intel, handling), recipients = _sendable(s, ref)
    if set(to) != {r.agency_id for r in recipients}:
        raise ValidationError("Recipients: the agencies this goes to changed after you confirmed them; check the list "
                              "and confirm again. Nothing was sent.")
    p = settings(s)
    now = now or datetime.now(timezone.utc)
    ref.source_grade, ref.intel_grade, ref.handling_code = src, intel, handling
    ref.status, ref.sent_at = "sent", now
    for r in recipients:
        r.acknowledge_by = now.date() + timedelta(days=p.ack_days)
        r.feedback_by = now.date() + timedelta(days=p.feedback_days)
    record(s, actor, action="referral.send", entity="referral", entity_id=ref.id,
           after={"grading": grading.label(ref.scheme, src, intel, handling), "recipients": [r.agency_id for r in recipients]},
           summary=f"sent a referral to {len(recipients)} agencies")
    uow.commit()


# --- what each person may see -----------------------------------------------------------------


def _sender_view(s: Session, ref: Referral) -> dict[str, Any]:
    return {"id": ref.id, "subject": ref.subject, "subject_type": ref.subject_type, "place": ref.place, "body": ref.body,
            "summary": ref.summary, "observed_at": ref.observed_at, "status": ref.status, "sent_at": ref.sent_at,
            "grading": grading.label(ref.scheme, ref.source_grade, ref.intel_grade, ref.handling_code)
            if ref.source_grade and ref.intel_grade and ref.handling_code else "not graded",
            "scheme": ref.scheme, "source_grade": ref.source_grade, "intel_grade": ref.intel_grade,
            "handling_code": ref.handling_code, "business_id": ref.business_id}


def _recipient_view(session: Session, actor: Actor, ref: Referral) -> dict[str, Any]:
    """What an analyst of a receiving agency may see: the text only when the handling code lets it pass."""
    recipients = list(session.scalars(select(ReferralRecipient.agency_id).where(ReferralRecipient.referral_id == ref.id)))
    level = referral_text_level(actor, sender_id=ref.sender_id, recipient_agency_ids=recipients, scheme=ref.scheme,
                                handling_code=ref.handling_code)
    text, is_summary = referral_text(level, body=ref.body, summary=ref.summary)
    return {"id": ref.id, "subject": ref.subject, "subject_type": ref.subject_type, "place": ref.place,
            "text": text, "text_is_summary": is_summary,
            "observed_at": ref.observed_at, "sent_at": ref.sent_at, "business_id": ref.business_id,
            "grading": grading.label(ref.scheme, ref.source_grade, ref.intel_grade, ref.handling_code)}


def _answers(session: Session, referral_ids: list[int], seen: datetime | None) -> dict[int, list[dict[str, Any]]]:
    """Each referral's recipients with where each stands and its feedback (new if given after `seen`)."""
    rows = session.execute(
        select(ReferralRecipient, Agency.name, Feedback)
        .join(Agency, Agency.id == ReferralRecipient.agency_id)
        .outerjoin(Feedback, Feedback.recipient_id == ReferralRecipient.id)
        .where(ReferralRecipient.referral_id.in_(referral_ids)).order_by(ReferralRecipient.id))
    out: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for r, agency, f in rows:
        out[r.referral_id].append({
            "agency": agency, "status": r.status, "feedback_by": r.feedback_by,
            "decision": DECISIONS.get(r.decision, r.decision or ""), "reason": r.decision_reason or "",
            "feedback_at": f.created_at if f else None, "useful": f.usefulness if f else None,
            "outcome": f.outcome if f else "", "comments": f.comments if f else "", "improve": f.improve if f else "",
            "new": bool(f and (seen is None or f.created_at > seen)),
        })
    return out


def my_referrals(uow: UnitOfWork, *, actor: Actor) -> list[dict[str, Any]]:
    """Every referral the actor sent, one row each: to whom, how many have answered, their feedback, whether new."""
    session = uow.session
    ensure(actor, "referral.view_own", owner_id=actor.id)
    seen = session.scalar(select(User.feedback_seen_at).where(User.id == actor.id))
    refs = list(session.scalars(select(Referral).where(Referral.sender_id == actor.id).order_by(Referral.created_at.desc())))
    answers = _answers(session, [x.id for x in refs], seen) if refs else {}
    rows = []
    for ref in refs:
        agencies = answers.get(ref.id, [])
        answered = [a for a in agencies if a["feedback_at"]]
        several = len(agencies) > 1
        useful = [a["useful"] for a in answered if a["useful"] is not None]
        owed = [a["feedback_by"] for a in agencies if not a["feedback_at"] and a["feedback_by"]]
        rows.append({
            "referral_id": ref.id, "Subject": ref.subject, "Sent": ref.sent_at,
            "Status": ref.status if ref.status == "draft" else ("answered" if len(answered) == len(agencies) else "waiting"),
            "To": ", ".join(a["agency"] for a in agencies),
            "Answered": f"{len(answered)} of {len(agencies)}" if ref.status != "draft" else "",
            "Feedback due": min(owed) if owed and ref.status != "draft" else None,
            "Useful (1-5)": (useful[0] if len(useful) == 1 else round(sum(useful) / len(useful), 1)) if useful else None,
            "Outcome": "; ".join(dict.fromkeys(a["outcome"] for a in answered if a["outcome"])),
            "Feedback": " · ".join((f"{a['agency']}: " if several else "") + a["comments"] for a in answered if a["comments"]),
            "New": any(a["new"] for a in agencies),
        })
    return rows


def referral_for_sender(uow: UnitOfWork, *, actor: Actor, referral_id: int) -> dict[str, Any]:
    """One referral as its sender sees it: what was sent, each agency's status and feedback, and the messages."""
    session = uow.session
    ensure(actor, "referral.view_own", owner_id=actor.id)
    ref = session.get(Referral, referral_id)
    if ref is None or ref.sender_id != actor.id:
        raise NotFound(f"You have no referral {referral_id}.")
    out = _sender_view(session, ref)
    out["indicator_ids"] = list(session.scalars(select(ReferralIndicator.indicator_id).where(ReferralIndicator.referral_id == ref.id)))
    out["recipient_ids"] = list(session.scalars(select(ReferralRecipient.agency_id).where(ReferralRecipient.referral_id == ref.id)))
    seen = session.scalar(select(User.feedback_seen_at).where(User.id == actor.id))
    out["agencies"] = _answers(session, [ref.id], seen).get(ref.id, [])
    out["messages"] = _messages(session, ref.id)
    return out


def _messages(session: Session, referral_id: int) -> list[dict[str, Any]]:
    rows = session.execute(select(ReferralMessage, User.name, Agency.name).join(User, User.id == ReferralMessage.author_id)
                           .join(Agency, Agency.id == User.agency_id).where(ReferralMessage.referral_id == referral_id)
                           .order_by(ReferralMessage.created_at))
    return [{"at": m.created_at, "by": f"{name} ({agency})", "text": m.body} for m, name, agency in rows]


def inbox(uow: UnitOfWork, *, actor: Actor, today: date | None = None, open_only: bool = True) -> list[dict[str, Any]]:
    """The actor's agency's received referrals, oldest deadline first, with what it may see of each."""
    session = uow.session
    ensure(actor, "referral.view_inbox", agency_id=actor.agency_id)
    today = today or date.today()
    has_fb = exists().where(Feedback.recipient_id == ReferralRecipient.id)
    q = (select(ReferralRecipient, Referral, Agency.name, has_fb.label("answered"))
         .join(Referral, Referral.id == ReferralRecipient.referral_id)
         .join(Agency, Agency.id == Referral.sender_agency_id)
         .where(ReferralRecipient.agency_id == actor.agency_id, Referral.status == "sent")
         .order_by(ReferralRecipient.feedback_by, Referral.sent_at))
    if open_only:
        q = q.where(~has_fb)
    names = dict(session.execute(select(User.id, User.name).where(User.agency_id == actor.agency_id)).all())
    rows = []
    for rec, ref, sender_agency, answered in session.execute(q):
        rows.append({
            "recipient_id": rec.id, "Subject": ref.subject, "From": sender_agency, "Sent": ref.sent_at,
            "Grading": grading.label(ref.scheme, ref.source_grade, ref.intel_grade, ref.handling_code),
            "Status": rec.status, "Assigned to": names.get(rec.assigned_to_id, ""), "Acknowledge by": rec.acknowledge_by,
            "Feedback by": rec.feedback_by, "Feedback given": bool(answered),
            "Overdue": not answered and rec.feedback_by is not None and rec.feedback_by < today,
        })
    return rows


def _own_recipient(s: Session, actor: Actor, recipient_id: int, action: str = "referral.triage", *,
                   lock: bool = False) -> tuple[ReferralRecipient, Referral]:
    """The agency's referral; with `lock`, locked for the unit of work (`core.store.locks`) so that what is checked
    on it (a decision or feedback already recorded, the status reached) is what the write builds on."""
    rec = locked(s, ReferralRecipient, recipient_id) if lock else s.get(ReferralRecipient, recipient_id)
    if rec is None:
        raise NotFound(f"No referral {recipient_id} in your inbox.")
    ensure(actor, action, agency_id=rec.agency_id)
    ref = s.get(Referral, rec.referral_id)
    assert ref is not None
    if ref.status != "sent":
        raise NotFound(f"No referral {recipient_id} in your inbox.")
    return rec, ref


def referral_for_recipient(uow: UnitOfWork, *, actor: Actor, recipient_id: int) -> dict[str, Any]:
    session = uow.session
    rec, ref = _own_recipient(session, actor, recipient_id, "referral.view_inbox")
    out = _recipient_view(session, actor, ref)
    out["recipient"] = {"id": rec.id, "status": rec.status, "assigned_to_id": rec.assigned_to_id, "decision": rec.decision,
                        "decision_reason": rec.decision_reason, "acknowledge_by": rec.acknowledge_by, "feedback_by": rec.feedback_by,
                        "action_id": rec.action_id, "visit_id": rec.visit_id}
    out["indicators"] = list(session.scalars(select(Indicator.label).join(ReferralIndicator, ReferralIndicator.indicator_id == Indicator.id)
                                             .where(ReferralIndicator.referral_id == ref.id)))
    sender = session.execute(select(User.name, Agency.name).join(Agency, Agency.id == User.agency_id).where(User.id == ref.sender_id)).one()
    out["from"] = f"{sender[0]} ({sender[1]})"
    out["feedback"] = [{"at": f.created_at, "useful": f.usefulness, "outcome": f.outcome, "comments": f.comments}
                       for f in session.scalars(select(Feedback).where(Feedback.recipient_id == rec.id))]
    out["messages"] = _messages(session, ref.id)
    # The business it is linked to, as this analyst's agency may see it; one it may not read is not named.
    linked = business_views(session, actor, [ref.business_id]).get(ref.business_id) if ref.business_id else None
    out["business"] = linked.label if linked else None
    return out


# --- triage and feedback ----------------------------------------------------------------------


def _set_status(rec: ReferralRecipient, status: RecipientStatus) -> None:
    order = [s.value for s in RecipientStatus]
    if order.index(status.value) > order.index(rec.status):
        rec.status = status.value


def acknowledge(uow: UnitOfWork, *, actor: Actor, recipient_id: int) -> None:
    s = uow.session
    rec, ref = _own_recipient(s, actor, recipient_id, lock=True)
    if rec.acknowledged_at is None:
        rec.acknowledged_at = datetime.now(timezone.utc)
    _set_status(rec, RecipientStatus.ACKNOWLEDGED)
    record(s, actor, action="referral.acknowledge", entity="referral_recipient", entity_id=rec.id, after={"status": rec.status},
           summary=f"acknowledged referral {ref.id}")
    uow.commit()


def assign(uow: UnitOfWork, *, actor: Actor, recipient_id: int, user_id: int) -> None:
    s = uow.session
    rec, ref = _own_recipient(s, actor, recipient_id, lock=True)
    user = s.get(User, user_id)
    if user is None or not user.active or user.agency_id != rec.agency_id:
        raise ValidationError("Assign to: choose an active person of your own agency.")
    before = {"assigned_to_id": rec.assigned_to_id}
    rec.assigned_to_id = user_id
    rec.acknowledged_at = rec.acknowledged_at or datetime.now(timezone.utc)
    _set_status(rec, RecipientStatus.ASSIGNED)
    record(s, actor, action="referral.assign", entity="referral_recipient", entity_id=rec.id, before=before,
           after={"assigned_to_id": user_id}, summary=f"assigned referral {ref.id} to {user.name}")
    uow.commit()


def link_business(uow: UnitOfWork, *, actor: Actor, recipient_id: int, business_id: int) -> None:
    s = uow.session
    rec, ref = _own_recipient(s, actor, recipient_id)
    business_id = ensure_business(s, actor, business_id)  # one the analyst's agency may read, or NotFound
    before = {"business_id": ref.business_id}
    ref.business_id = business_id
    record(s, actor, action="referral.link_business", entity="referral", entity_id=ref.id, before=before,
           after={"business_id": business_id}, summary=f"linked referral {ref.id} to business {business_id}")
    uow.commit()


def decide(uow: UnitOfWork, *, actor: Actor, recipient_id: int, decision: str, reason: str = "",
           action: ActionInput | None = None, visit_on: datetime | None = None) -> dict[str, int | None]:
    """Record the agency's decision; tasking a visit or raising an action creates it, linked.

    Made once: the referral is locked first, so of two analysts deciding at once the second waits, then finds the
    first's decision and is told whose it was; nothing of theirs (no second visit or action) is saved.
    """
    s = uow.session
    rec, ref = _own_recipient(s, actor, recipient_id, lock=True)
    if decision not in DECISIONS:
        raise ValidationError(f"Decision: choose one of {', '.join(DECISIONS.values())}.")
    if decision == "no further action" and not reason.strip():
        raise ValidationError("Reason: say why no further action is taken (the sender will see it in the feedback).")
    if rec.decision is not None:
        raise _decided(s, rec)
    created: dict[str, int | None] = {"action_id": None, "visit_id": None}
    if decision == "raise an action":
        if action is None:
            raise ValidationError("Action: give the action's title, owner and due date.")
        created["action_id"] = rec.action_id = add_action(uow, actor=actor, data=action,
                                                          links={"referral_id": ref.id,
                                                                 **({"business_id": ref.business_id} if ref.business_id else {})})
    if decision == "task a visit":
        if visit_on is None or visit_on.tzinfo is None:
            raise ValidationError("Visit: choose the date and time of the visit.")
        problem = visit_rules.plan_problem(visit_on, visit_rules.today())
        if problem:
            raise ValidationError(problem.replace("When:", "Visit:", 1))
        # The calendar is partnership-wide: the visit is at the linked business (named per viewer) or says where to
        # ask; the referral's words stay behind the wall.
        business_id = ref.business_id if ref.business_id and readable_businesses(s, actor, [ref.business_id]) else None
        premises = (business_views(s, actor, [business_id])[business_id].label if business_id
                    else f"Premises in referral {ref.id}: ask {actor.agency_name or 'the lead agency'}")
        visit = Visit(business_id=business_id, premises_text=premises[:300], starts_at=visit_on,
                      ends_at=visit_on + timedelta(hours=2), lead_agency_id=rec.agency_id, status="draft", version=1,
                      created_by_id=actor.id, briefing=f"Tasked from referral {ref.id}.",
                      reasons=[f"Tasked by {actor.agency_name} from a referral"])
        visit.agencies = [VisitAgency(agency_id=rec.agency_id, response="confirmed")]
        s.add(visit)
        s.flush()
        created["visit_id"] = rec.visit_id = visit.id
    before = {"decision": rec.decision, "status": rec.status}
    rec.decision, rec.decision_reason, rec.decided_at = decision, reason.strip(), datetime.now(timezone.utc)
    rec.acknowledged_at = rec.acknowledged_at or rec.decided_at
    _set_status(rec, RecipientStatus.DECIDED)
    record(s, actor, action="referral.decide", entity="referral_recipient", entity_id=rec.id, before=before,
           after={"decision": decision, "status": rec.status, **created}, summary=f"decided {decision!r} on referral {ref.id}")
    uow.commit()
    return created


def _decided(s: Session, rec: ReferralRecipient) -> ValidationError:
    """The decision is already recorded: by whom, when, and what it created."""
    by = last_change(s, "referral_recipient", rec.id, actions=("referral.decide",))
    made = ", ".join(f"{what} {i}" for what, i in (("visit", rec.visit_id), ("action", rec.action_id)) if i)
    when = f" on {rec.decided_at:%d %b %Y at %H:%M} UTC" if rec.decided_at else ""
    return ValidationError(
        f"Decision: already recorded by {by.who if by else 'your agency'}{when}: {DECISIONS.get(rec.decision, rec.decision)}"
        f"{f' (created {made})' if made else ''}. Nothing of yours was saved; add a message to the referral to say more.")


def _feedback_given(s: Session, recipient_id: int) -> ValidationError:
    """The feedback is already given: by whom, when, and what it said."""
    fb, name = s.execute(select(Feedback, User.name).outerjoin(User, User.id == Feedback.author_id)
                         .where(Feedback.recipient_id == recipient_id).order_by(Feedback.id).limit(1)).one()
    return ValidationError(
        f"Feedback: already given on this referral by {name or 'your agency'} on {fb.created_at:%d %b %Y at %H:%M} UTC "
        f"(useful {fb.usefulness}/5, {fb.outcome}). Nothing of yours was saved; add a message to the referral to say more.")


def give_feedback(uow: UnitOfWork, *, actor: Actor, recipient_id: int, usefulness: int, outcome: str,
                  comments: str = "",
                  improve: str = "") -> int:
    """The feedback owed to the sender: was it useful, what happened, what would help next time.

    Given once per receiving agency: the referral is locked first, so the second of two analysts sending feedback
    at once finds the first's and is told whose it was (the database also refuses a second row per referral).
    """
    s = uow.session
    rec, ref = _own_recipient(s, actor, recipient_id, "referral.feedback", lock=True)
    if s.scalar(select(Feedback.id).where(Feedback.recipient_id == rec.id)) is not None:
        raise _feedback_given(s, rec.id)
    if usefulness not in range(1, 6):
        raise ValidationError("Useful: rate it from 1 (not useful) to 5 (very useful).")
    if outcome not in OUTCOMES:
        raise ValidationError(f"Outcome: choose one of {', '.join(OUTCOMES)}.")
    fb = Feedback(recipient_id=rec.id, author_id=actor.id, usefulness=usefulness, outcome=outcome,
                  comments=comments.strip(), improve=improve.strip())
    s.add(fb)
    rec.acknowledged_at = rec.acknowledged_at or datetime.now(timezone.utc)
    _set_status(rec, RecipientStatus.ACKNOWLEDGED)
    try:
        s.flush()
    except IntegrityError:  # the unique index on feedback.recipient_id: a writer that did not take the lock
        s.rollback()
        if s.scalar(select(Feedback.id).where(Feedback.recipient_id == recipient_id)) is None:
            raise
        raise _feedback_given(s, recipient_id) from None
    record(s, actor, action="referral.feedback", entity="referral_recipient", entity_id=rec.id,
           after={"usefulness": usefulness, "outcome": outcome}, summary=f"gave feedback on referral {ref.id}")
    uow.commit()
    return fb.id


def add_message(uow: UnitOfWork, *, actor: Actor, referral_id: int, text: str) -> None:
    """A reply or more information: from the sender, or from an analyst of a receiving agency."""
    s = uow.session
    ref = s.get(Referral, referral_id)
    if ref is None or ref.status != "sent":
        raise NotFound(f"No referral {referral_id}.")
    recipients = list(s.scalars(select(ReferralRecipient.agency_id).where(ReferralRecipient.referral_id == ref.id)))
    if not (ref.sender_id == actor.id or allowed(actor, "referral.triage", agency_id=recipients)):
        raise Forbidden("Only the sender and the receiving agencies' analysts may add to a referral.")
    text = text.strip()
    if not text:
        raise ValidationError("Message: write something to add.")
    s.add(ReferralMessage(referral_id=ref.id, author_id=actor.id, body=text))
    record(s, actor, action="referral.message", entity="referral", entity_id=ref.id, summary=f"added information to referral {ref.id}")
    uow.commit()


# --- dashboard (counts and outcomes only: no content) -----------------------------------------


def dashboard(uow: UnitOfWork, *, actor: Actor, since: date | None = None, today: date | None = None) -> dict[str, Any]:
    """Referral flows and feedback for the partnership (chair, administrator) or one agency (analyst).

    Counted in SQL: at county scale a year holds tens of thousands of referral-recipient pairs.
    """
    session = uow.session
    ensure(actor, "referral.view_counts")
    scope_agency = None if allowed(actor, "referral.view_counts", agency_id=-1) else actor.agency_id
    today = today or date.today()
    since = since or today - timedelta(days=365)
    sender = Agency.__table__.alias("sender")
    receiver = Agency.__table__.alias("receiver")
    first_fb = (select(Feedback.recipient_id, func.min(Feedback.created_at).label("at"), func.max(Feedback.usefulness).label("useful"),
                       func.max(Feedback.outcome).label("outcome")).group_by(Feedback.recipient_id).subquery())
    base = (select(Referral.id.label("referral_id"), Referral.sent_at, ReferralRecipient.feedback_by,
                   sender.c.code.label("from_"), receiver.c.code.label("to"),
                   first_fb.c.at, first_fb.c.useful, first_fb.c.outcome)
            .join(ReferralRecipient, ReferralRecipient.referral_id == Referral.id)
            .join(sender, sender.c.id == Referral.sender_agency_id).join(receiver, receiver.c.id == ReferralRecipient.agency_id)
            .outerjoin(first_fb, first_fb.c.recipient_id == ReferralRecipient.id)
            .where(Referral.status == "sent", Referral.sent_at >= datetime.combine(since, datetime.min.time(), timezone.utc)))
    if scope_agency is not None:
        base = base.where((Referral.sender_agency_id == scope_agency) | (ReferralRecipient.agency_id == scope_agency))
    b = base.subquery()
    # One scan, grouped finely; the few thousand groups are summed below.
    year, month = func.extract("year", b.c.sent_at), func.extract("month", b.c.sent_at)
    answered_ = b.c.at.is_not(None)
    overdue_ = b.c.at.is_(None) & (b.c.feedback_by < today)
    groups = session.execute(
        select(b.c.from_, b.c.to, b.c.outcome, year, month, answered_, b.c.useful, overdue_, func.count())
        .group_by(b.c.from_, b.c.to, b.c.outcome, year, month, answered_, b.c.useful, overdue_)
    ).all()
    pairs: Counter[tuple[str, str]] = Counter()
    outcomes: Counter[str] = Counter()
    months: Counter[str] = Counter()
    sent = answered = rated = useful = overdue = 0
    for frm, to, outcome, y, m, is_answered, usefulness, is_overdue, n in groups:
        sent += n
        pairs[(frm, to)] += n
        months[f"{int(y):04d}-{int(m):02d}"] += n
        if is_answered:
            answered += n
            if outcome:
                outcomes[outcome] += n
        if usefulness is not None:
            rated += n
            useful += n if usefulness >= USEFUL_FROM else 0
        overdue += n if is_overdue else 0
    if session.get_bind().dialect.name == "postgresql":
        span = func.extract("epoch", b.c.at - b.c.sent_at) / 86400.0
    else:
        span = func.julianday(b.c.at) - func.julianday(b.c.sent_at)
    days = [float(d) for (d,) in session.execute(select(span).where(b.c.at.is_not(None)))]
    top_ind = session.execute(
        select(Indicator.label, func.count(func.distinct(ReferralIndicator.referral_id)))
        .join(ReferralIndicator, ReferralIndicator.indicator_id == Indicator.id)
        .where(ReferralIndicator.referral_id.in_(select(b.c.referral_id)))
        .group_by(Indicator.label).order_by(func.count(func.distinct(ReferralIndicator.referral_id)).desc(), Indicator.label).limit(10)
    ).all()
    return {
        "scope": "the partnership" if scope_agency is None else actor.agency_name,
        "sent": sent,
        "answered_share": answered / sent if sent else 0.0,
        "median_days_to_feedback": statistics.median(days) if days else None,
        "useful_share": useful / rated if rated else 0.0,
        "overdue": overdue,
        "pairs": [{"From": a, "To": t, "Referrals": n} for (a, t), n in sorted(pairs.items())],
        "outcomes": dict(outcomes.most_common()),
        "indicators": [(label, n) for label, n in top_ind],
        "by_month": dict(sorted(months.items())),
    }
