"""Actions against milestones: create, update with a version check, milestones, progress notes.

Two people editing the same action never silently lose a change: every edit names the version
it was based on; if someone else saved in between, `EditConflict` says what they changed and the
caller can reapply on top of the new version.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from core.domain import TIERS, ActionSource, ActionStatus, Strand
from core.errors import Conflict, Forbidden, NotFound, ValidationError
from core.permissions import Actor, allowed, ensure
from core.rag import RAG_ORDER, rag_status
from core.services.audit import jsonable, record, snapshot
from core.store.models import Action, ActionAgency, ActionLink, ActionUpdate, Agency, Milestone, User, Visit
from core.store.uow import UnitOfWork
from core.visibility import business_views

PRIORITIES = ("high", "medium", "low")
EDITABLE = ("title", "description", "owner_id", "agency_id", "due_on", "priority", "strand", "tier", "source", "status")
AUDITED = (*EDITABLE, "completed_on", "version")


class EditConflict(Conflict):
    """Someone saved the action after the version this edit was based on."""

    def __init__(self, message: str, *, theirs: dict[str, tuple[Any, Any]], current_version: int, by: str) -> None:
        super().__init__(message)
        self.theirs = theirs
        self.current_version = current_version
        self.by = by


@dataclass(frozen=True)
class ActionInput:
    title: str
    agency_id: int
    due_on: date
    strand: str
    owner_id: int | None = None
    description: str = ""
    priority: str = "medium"
    tier: int = 3
    source: str = ActionSource.OTHER.value
    board_id: int | None = None
    supporting: tuple[int, ...] = ()
    milestones: tuple[tuple[str, date], ...] = field(default_factory=tuple)


def _validate_fields(session: Session, values: dict[str, Any]) -> dict[str, Any]:
    """Check and normalise editable fields; each message names the field and what to change."""
    out = dict(values)
    if "title" in out:
        out["title"] = " ".join(str(out["title"]).split())
        if not out["title"]:
            raise ValidationError("Title: say what is to be done.")
        if len(out["title"]) > 200:
            raise ValidationError("Title: keep it under 200 characters; put detail in the description.")
    if "strand" in out and out["strand"] not in {s.value for s in Strand}:
        raise ValidationError(f"Strand: choose one of {', '.join(s.value for s in Strand)}.")
    if "tier" in out:
        try:
            out["tier"] = int(out["tier"])
        except (TypeError, ValueError):
            raise ValidationError("Tier: choose a response tier from 1 to 5.") from None
        if out["tier"] not in TIERS:
            raise ValidationError("Tier: choose a response tier from 1 to 5.")
    if "priority" in out and out["priority"] not in PRIORITIES:
        raise ValidationError(f"Priority: choose {', '.join(PRIORITIES)}.")
    if "source" in out and out["source"] not in {s.value for s in ActionSource}:
        raise ValidationError(f"Source: choose one of {', '.join(s.value for s in ActionSource)}.")
    if "status" in out and out["status"] not in {s.value for s in ActionStatus}:
        raise ValidationError(f"Status: choose one of {', '.join(s.value for s in ActionStatus)}.")
    if "due_on" in out and not isinstance(out["due_on"], date):
        raise ValidationError("Due date: enter a date.")
    if out.get("owner_id") is not None:
        owner = session.get(User, out["owner_id"])
        if owner is None or not owner.active:
            raise ValidationError("Owner: choose an active person.")
    if "agency_id" in out:
        agency = session.get(Agency, out["agency_id"])
        if agency is None or not agency.active:
            raise ValidationError("Owning agency: choose an active agency.")
    return out


def _may_edit(actor: Actor, action: Action, supporting: list[int]) -> bool:
    # Owners of any role update their own actions (an HMRC analyst owning a Trading Standards action too);
    # an action without an owner is owned by nobody (0), not "no resource given".
    if action.owner_id is not None and action.owner_id == actor.id:
        return True
    return allowed(actor, "action.update", agency_id=[action.agency_id, *supporting], owner_id=action.owner_id or 0)


def _editable(s: Session, actor: Actor, action_id: int, verb: str) -> Action:
    """The action, if it exists and the actor may change it (owner, or owning/supporting agency lead)."""
    action = s.get(Action, action_id)
    if action is None:
        raise NotFound(f"Action {action_id} no longer exists.")
    if not _may_edit(actor, action, _supporting(s, action_id)):
        raise Forbidden(f"You may {verb} only actions you own or that your agency owns or supports.")
    return action


def _supporting(session: Session, action_id: int) -> list[int]:
    return list(session.scalars(select(ActionAgency.agency_id).where(ActionAgency.action_id == action_id)))


def create_action(uow: UnitOfWork, *, actor: Actor, data: ActionInput) -> int:
    action_id = add_action(uow, actor=actor, data=data)
    uow.commit()
    return action_id


def add_action(uow: UnitOfWork, *, actor: Actor, data: ActionInput, links: dict[str, int] | None = None,
               meeting_chairs: set[int] | None = None) -> int:
    """Create an action inside the caller's unit of work (e.g. with the meeting decision that made it).

    `meeting_chairs`: the chair and deputy of the board whose meeting agreed the action; whoever runs that meeting
    records it for any agency ("action.agree"), anyone else only as "action.create" allows them.
    """
    s = uow.session
    if meeting_chairs is None or not allowed(actor, "action.agree", chairs=meeting_chairs):
        ensure(actor, "action.create", agency_id=data.agency_id)
    values = _validate_fields(s, {k: getattr(data, k) for k in EDITABLE if k != "status"})
    if values["owner_id"] is None:
        raise ValidationError("Owner: choose who will do it; an action nobody owns is not done.")
    for title, _due in data.milestones:
        if not title.strip():
            raise ValidationError("Milestone: give every milestone a title.")
    action = Action(**values, board_id=data.board_id, created_by_id=actor.id, version=1)
    action.milestones = [Milestone(title=t.strip(), due_on=d, owner_id=data.owner_id) for t, d in data.milestones]
    s.add(action)
    s.flush()
    supporting = sorted(set(data.supporting) - {data.agency_id})
    for agency_id in supporting:
        s.add(ActionAgency(action_id=action.id, agency_id=agency_id))
    if links:
        s.add(ActionLink(action_id=action.id, **links))
    s.add(ActionUpdate(action_id=action.id, author_id=actor.id, note="Action created", changes={}))
    record(s, actor, action="action.create", entity="action", entity_id=action.id,
           after={**snapshot(action, AUDITED), "supporting": supporting, "links": links or {},
                  "milestones": [[t, d.isoformat()] for t, d in data.milestones]},
           summary=f"created action {action.title!r}")
    return action.id


def update_action(
    uow: UnitOfWork,
    *,
    actor: Actor,
    action_id: int,
    base_version: int,
    changes: dict[str, Any],
    base: dict[str, Any] | None = None,
    note: str = "",
    today: date | None = None,
) -> int:
    """Apply `changes` made on top of `base_version`; returns the new version.

    `base` is what the editor saw (used to tell them what the other person changed).
    """
    s = uow.session
    action = _editable(s, actor, action_id, "update")
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ValidationError(f"These fields cannot be edited here: {', '.join(sorted(unknown))}.")
    if action.version != base_version:
        raise _conflict(s, action, base or {}, base_version)
    clean = _validate_fields(s, changes)
    if "agency_id" in clean and clean["agency_id"] != action.agency_id:
        ensure(actor, "action.create", agency_id=clean["agency_id"])
    before = snapshot(action, AUDITED)
    diff = {k: v for k, v in clean.items() if getattr(action, k) != v}
    if not diff and not note.strip():
        return action.version
    today = today or date.today()
    for key, value in diff.items():
        setattr(action, key, value)
    if diff.get("status") == ActionStatus.COMPLETE.value:
        action.completed_on = today
    elif "status" in diff:
        action.completed_on = None
        if diff["status"] == ActionStatus.IN_PROGRESS.value and action.started_on is None:
            action.started_on = today
    action.updated_at = datetime.now(timezone.utc)
    s.add(ActionUpdate(action_id=action.id, author_id=actor.id, note=note.strip(),
                       changes={k: [jsonable(before.get(k)), jsonable(v)] for k, v in diff.items()}))
    try:
        s.flush()  # the version column makes this UPDATE ... WHERE version = base: a racing save loses here
    except StaleDataError:
        s.rollback()
        raise _conflict(s, s.get(Action, action_id), base or {}, base_version) from None
    record(s, actor, action="action.update", entity="action", entity_id=action.id, before=before,
           after=snapshot(action, AUDITED), summary=f"updated action {action.title!r}" + (f": {note.strip()[:120]}" if note.strip() else ""))
    uow.commit()
    return action.version


def _conflict(s: Session, action: Action | None, base: dict[str, Any], base_version: int) -> EditConflict:
    if action is None:
        return EditConflict("The action was deleted while you were editing.", theirs={}, current_version=-1, by="")
    s.refresh(action)
    last = s.execute(
        select(ActionUpdate, User.name).outerjoin(User, User.id == ActionUpdate.author_id)
        .where(ActionUpdate.action_id == action.id).order_by(ActionUpdate.id.desc()).limit(1)
    ).first()
    by = last[1] if last and last[1] else "someone else"
    theirs = {k: (v, getattr(action, k)) for k, v in base.items() if k in EDITABLE and getattr(action, k) != v}
    what = "; ".join(f"{k.replace('_id', '').replace('_', ' ')}: {old} → {new}" for k, (old, new) in theirs.items())
    return EditConflict(
        f"{by} saved this action while you were editing (now version {action.version}, you started from "
        f"{base_version}). Their change: {what or 'a progress note or milestone'}. Nothing of yours was saved; "
        "check their change and apply yours again.",
        theirs=theirs, current_version=action.version, by=by,
    )


def _touch(action: Action) -> None:
    """Milestone edits change the action's RAG: bump its version so open editors learn of it."""
    action.updated_at = datetime.now(timezone.utc)  # the version column increments on flush


def add_milestone(uow: UnitOfWork, *, actor: Actor, action_id: int, title: str, due_on: date,
                  owner_id: int | None = None) -> int:
    s = uow.session
    action = _editable(s, actor, action_id, "add milestones to")
    title = " ".join(title.split())
    if not title:
        raise ValidationError("Milestone: give it a title.")
    if not isinstance(due_on, date):
        raise ValidationError("Milestone due date: enter a date.")
    m = Milestone(action_id=action_id, title=title, due_on=due_on, owner_id=owner_id or action.owner_id)
    s.add(m)
    _touch(action)
    s.add(ActionUpdate(action_id=action_id, author_id=actor.id, note=f"Milestone added: {title} (due {due_on:%d %b %Y})", changes={}))
    s.flush()
    record(s, actor, action="milestone.create", entity="milestone", entity_id=m.id,
           after={"action_id": action_id, "title": title, "due_on": due_on.isoformat()}, summary=f"milestone {title!r} on action {action_id}")
    uow.commit()
    return m.id


def set_milestone_done(uow: UnitOfWork, *, actor: Actor, milestone_id: int, done: bool,
                       today: date | None = None) -> None:
    s = uow.session
    m = s.get(Milestone, milestone_id)
    if m is None:
        raise NotFound(f"Milestone {milestone_id} no longer exists.")
    action = s.get(Action, m.action_id)
    assert action is not None
    if not (_may_edit(actor, action, _supporting(s, action.id)) or m.owner_id == actor.id):
        raise Forbidden("You may complete only milestones you own, or of actions your agency owns or supports.")
    before = {"completed_on": jsonable(m.completed_on)}
    m.completed_on = (today or date.today()) if done else None
    _touch(action)
    s.add(ActionUpdate(action_id=action.id, author_id=actor.id,
                       note=f"Milestone {'completed' if done else 'reopened'}: {m.title}", changes={}))
    record(s, actor, action="milestone.complete" if done else "milestone.reopen", entity="milestone", entity_id=m.id,
           before=before, after={"completed_on": jsonable(m.completed_on)}, summary=f"milestone {m.title!r}")
    uow.commit()


# --- reading ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ActionFilter:
    agency_id: int | None = None
    owner_id: int | None = None
    strand: str = ""
    rag: tuple[str, ...] = ()
    board_id: int | None = None
    include_closed: bool = False
    action_ids: tuple[int, ...] | None = None


def list_actions(uow: UnitOfWork, *, actor: Actor, flt: ActionFilter = ActionFilter(),
                 today: date | None = None) -> list[dict[str, Any]]:
    """Actions with owner, agencies, RAG and next milestone; worst RAG first, then due date."""
    session = uow.session
    ensure(actor, "action.view")
    today = today or date.today()
    q = (select(Action, User.name, Agency.code).outerjoin(User, User.id == Action.owner_id)
         .join(Agency, Agency.id == Action.agency_id))
    if not flt.include_closed:
        q = q.where(Action.status.in_(("not started", "in progress")))
    if flt.agency_id:
        q = q.where(Action.agency_id == flt.agency_id)
    if flt.owner_id:
        q = q.where(Action.owner_id == flt.owner_id)
    if flt.strand:
        q = q.where(Action.strand == flt.strand)
    if flt.board_id:
        q = q.where(Action.board_id == flt.board_id)
    if flt.action_ids is not None:
        q = q.where(Action.id.in_(flt.action_ids))
    rows = session.execute(q).all()
    ids = [a.id for a, _, _ in rows]
    ms: dict[int, list[tuple[date, date | None]]] = defaultdict(list)
    support: dict[int, list[str]] = defaultdict(list)
    for chunk in (ids[i:i + 900] for i in range(0, len(ids), 900)):
        for aid, due, done in session.execute(select(Milestone.action_id, Milestone.due_on, Milestone.completed_on).where(Milestone.action_id.in_(chunk))):
            ms[aid].append((due, done))
        for aid, code in session.execute(select(ActionAgency.action_id, Agency.code).join(Agency, Agency.id == ActionAgency.agency_id).where(ActionAgency.action_id.in_(chunk))):
            support[aid].append(code)
    out = []
    for a, owner, code in rows:
        rag = rag_status(status=a.status, due_on=a.due_on, milestones=ms[a.id], today=today)
        if flt.rag and rag not in flt.rag:
            continue
        out.append({
            "id": a.id, "RAG": rag, "Action": a.title, "Owner": owner or "", "Agency": code,
            "Supporting": ", ".join(sorted(support[a.id])), "Due": a.due_on, "Status": a.status, "Strand": a.strand,
            "Tier": a.tier, "Priority": a.priority,
            "Next milestone": min((d for d, done in ms[a.id] if done is None), default=None),
            "Milestones done": f"{sum(done is not None for _, done in ms[a.id])}/{len(ms[a.id])}",
            "Updated": a.updated_at, "version": a.version,
        })
    out.sort(key=lambda r: (RAG_ORDER[r["RAG"]], r["Due"]))
    return out


def action_detail(uow: UnitOfWork, *, actor: Actor, action_id: int, today: date | None = None) -> dict[str, Any]:
    """One action with its milestones and progress updates, and whether the actor may edit it."""
    session = uow.session
    ensure(actor, "action.view")
    action = session.get(Action, action_id)
    if action is None:
        raise NotFound(f"Action {action_id} does not exist.")
    supporting = _supporting(session, action_id)
    names = dict(session.execute(select(User.id, User.name)).all())
    milestones = list(session.scalars(select(Milestone).where(Milestone.action_id == action_id).order_by(Milestone.due_on)))
    updates = list(session.scalars(select(ActionUpdate).where(ActionUpdate.action_id == action_id).order_by(ActionUpdate.created_at.desc())))
    return {
        "action": {k: getattr(action, k) for k in (*EDITABLE, "id", "version", "completed_on", "started_on", "created_at", "updated_at", "board_id")},
        "supporting": supporting,
        "rag": rag_status(status=action.status, due_on=action.due_on, milestones=[(m.due_on, m.completed_on) for m in milestones], today=today or date.today()),
        "milestones": [{"id": m.id, "title": m.title, "due_on": m.due_on, "completed_on": m.completed_on,
                        "owner": names.get(m.owner_id, "")} for m in milestones],
        "updates": [{"at": u.created_at, "by": names.get(u.author_id, ""), "note": u.note, "changes": u.changes} for u in updates],
        "links": _links(session, actor, action_id),
        "can_edit": _may_edit(actor, action, supporting),
    }


def _links(session: Session, actor: Actor, action_id: int) -> list[str]:
    """What the action is linked to, in words, as this reader may see it: a business named from the records the
    reader may read (or not at all); a visit by number and date; a referral by number only (its content is walled)."""
    links = list(session.scalars(select(ActionLink).where(ActionLink.action_id == action_id).order_by(ActionLink.id)))
    named = business_views(session, actor, [link.business_id for link in links if link.business_id])
    out = []
    for link in links:
        if link.business_id:
            out.append(f"Business: {named[link.business_id].label}" if link.business_id in named
                       else "Business: one your agency may not see")
        if link.visit_id and (v := session.get(Visit, link.visit_id)):
            out.append(f"Visit {v.id} on {v.starts_at:%d %b %Y} ({v.status})")
        if link.referral_id:
            out.append(f"Referral {link.referral_id}")
    return out


def my_work(uow: UnitOfWork, *, actor: Actor, today: date | None = None) -> list[dict[str, Any]]:
    """Open actions I own or hold an open milestone on, the soonest milestone or due date first."""
    session = uow.session
    ensure(actor, "action.view")
    owned = set(session.scalars(select(Action.id).where(Action.owner_id == actor.id, Action.status.in_(("not started", "in progress")))))
    via_milestone = set(session.scalars(select(Milestone.action_id).where(Milestone.owner_id == actor.id, Milestone.completed_on.is_(None))))
    rows = list_actions(uow, actor=actor, flt=ActionFilter(action_ids=tuple(owned | via_milestone)), today=today)
    rows.sort(key=lambda r: (r["Next milestone"] or r["Due"], r["Due"]))
    return [{k: r[k] for k in ("id", "RAG", "Action", "Next milestone", "Due", "Status", "Owner", "Agency", "Milestones done")} for r in rows]


def milestones_for(uow: UnitOfWork, *, actor: Actor, action_ids: list[int]) -> list[dict[str, Any]]:
    """Milestones of the given actions, for timelines."""
    session = uow.session
    ensure(actor, "action.view")
    out: list[dict[str, Any]] = []
    for chunk in (action_ids[i:i + 900] for i in range(0, len(action_ids), 900)):
        for m in session.scalars(select(Milestone).where(Milestone.action_id.in_(chunk))):
            out.append({"action_id": m.action_id, "title": m.title, "due_on": m.due_on, "completed_on": m.completed_on})
    return out


def parse_milestone_lines(text: str) -> tuple[tuple[str, date], ...]:
    """'title; DD/MM/YYYY' per line, as typed in the new-action form."""
    out = []
    for n, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        title, sep, when = line.rpartition(";")
        if not sep or not title.strip():
            raise ValidationError(f"Milestones, line {n}: write 'title; DD/MM/YYYY' (e.g. 'Brief the team; 05/01/2027').")
        try:
            due = datetime.strptime(when.strip(), "%d/%m/%Y").date()
        except ValueError:
            raise ValidationError(f"Milestones, line {n}: {when.strip()!r} is not a date like 05/01/2027.") from None
        out.append((title.strip(), due))
    return tuple(out)
