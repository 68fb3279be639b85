"""Board and tasking meetings: the automatic agenda, the live walk-through, closing and minutes.

The agenda is built from the store: actions overdue, due before the next meeting, changed since
the last one; businesses and referrals sent to tasking; visits done and their outcomes; referral
feedback overdue; items carried from the last meeting; plus items added by hand. A closed
meeting is frozen.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from core.domain import TIERS, ActionSource
from core.errors import Conflict, NotFound, ValidationError
from core.minutes import Minutes, MinutesAction, MinutesItem
from core.permissions import Actor, allowed, ensure
from core.rag import rag_status
from core.services.actions import ActionInput, action_detail, add_action
from core.services.audit import record
from core.services.partnership import settings
from core.store.models import (
    Action,
    ActionUpdate,
    AgendaItem,
    Agency,
    Board,
    BoardMember,
    Business,
    Feedback,
    Meeting,
    MeetingAttendee,
    Milestone,
    Referral,
    ReferralRecipient,
    TaskingRequest,
    User,
    Visit,
    VisitAgency,
)
from core.store.locks import locked
from core.store.uow import UnitOfWork
from core.visibility import (
    EVERYONE,
    business_views,
    known_holdings,
    private_label,
    readable_business_ids,
    visit_premises,
)

OPEN = ("not started", "in progress")
AUTO_KINDS = ("action overdue", "milestone overdue", "action due", "action changed", "tasking", "new on risk list", "visits done", "feedback overdue")
TOP_NEW_BUSINESSES = 5
WORK_TIERS = (1, 2, 3)  # full, limited response, develop knowledge: each needs an owned action
DEFAULT_CYCLE_DAYS = 42
ITEM_STATES = {"pending": "to discuss", "discussed": "discussed", "carried": "carried"}  # an agenda item's status in words


def _meeting(s: Session, meeting_id: int, *, lock: bool = False) -> Meeting:
    """The meeting; with `lock`, locked until the unit of work ends (start, close, attendance and moves check its
    state and then write: two presses at once are answered in turn, the second seeing what the first did)."""
    m = locked(s, Meeting, meeting_id) if lock else s.get(Meeting, meeting_id)
    if m is None:
        raise NotFound(f"Meeting {meeting_id} does not exist.")
    return m


def _chairs(board: Board) -> set[int]:
    """Who runs the board's meetings: its chair and its deputy."""
    return {u for u in (board.chair_id, board.deputy_id) if u}


def _board(s: Session, board_id: int) -> Board:
    board = s.get(Board, board_id)
    if board is None:
        raise NotFound(f"Board {board_id} does not exist.")
    return board


def _ensure_runs(s: Session, actor: Actor, board_id: int) -> Board:
    board = _board(s, board_id)
    ensure(actor, "meeting.run", chairs=_chairs(board))
    return board


def _is_member(s: Session, board_id: int, user_id: int) -> bool:
    board = s.get(Board, board_id)
    if board is not None and user_id in _chairs(board):
        return True
    return s.scalar(select(BoardMember.user_id).where(BoardMember.board_id == board_id, BoardMember.user_id == user_id)) is not None


def _ensure_contributor(s: Session, actor: Actor, meeting: Meeting) -> None:
    """Chairs and administrators, and members of the meeting's board, may record in a meeting."""
    member = _is_member(s, meeting.board_id, actor.id)
    ensure(actor, "meeting.contribute", owner_id=actor.id if member else 0)


def _ensure_open(meeting: Meeting) -> None:
    if meeting.status == "closed":
        raise ValidationError("This meeting is closed and its record is frozen; record it against the next meeting.")


# --- reading ----------------------------------------------------------------------------------


def boards(uow: UnitOfWork, *, actor: Actor) -> list[dict[str, Any]]:
    session = uow.session
    ensure(actor, "meeting.view")
    listed = list(session.scalars(select(Board).where(Board.active.is_(True)).order_by(Board.id)))
    names = _names(session, {u for b in listed for u in _chairs(b)})
    members = Counter(session.scalars(select(BoardMember.board_id)))
    return [{"id": b.id, "name": b.name, "kind": b.kind, "chair": names.get(b.chair_id, ""), "deputy": names.get(b.deputy_id, ""),
             "chair_id": b.chair_id, "deputy_id": b.deputy_id, "quorum": b.quorum, "members": members[b.id],
             "can_run": allowed(actor, "meeting.run", chairs=_chairs(b)), "can_manage": allowed(actor, "board.manage")}
            for b in listed]


def opening_board(boards: list[dict[str, Any]]) -> int:
    """The board a Meetings screen opens on (`boards` as `boards()` gives them): the first this person runs, else the
    first (a coordinator who chairs only the Tasking Group opened on the Partnership Board)."""
    return next((b["id"] for b in boards if b["can_run"]), boards[0]["id"])


def _names(s: Session, user_ids: set[int]) -> dict[int | None, str]:
    return {uid: name for uid, name in s.execute(select(User.id, User.name).where(User.id.in_(user_ids)))} if user_ids else {}


def meetings(uow: UnitOfWork, *, actor: Actor, board_id: int) -> list[dict[str, Any]]:
    session = uow.session
    ensure(actor, "meeting.view")
    q = select(Meeting).where(Meeting.board_id == board_id).order_by(Meeting.scheduled_at.desc())
    return [{"id": m.id, "when": m.scheduled_at, "where": m.location, "status": m.status} for m in session.scalars(q)]


def next_meeting_id(uow: UnitOfWork, *, actor: Actor, board_id: int, now: datetime | None = None) -> int | None:
    """The live meeting if there is one, else the next planned one."""
    session = uow.session
    ensure(actor, "meeting.view")
    live = session.scalar(select(Meeting.id).where(Meeting.board_id == board_id, Meeting.status == "live"))
    if live:
        return live
    start = datetime.combine((now or datetime.now(timezone.utc)).date(), time.min, timezone.utc)
    return session.scalar(select(Meeting.id).where(Meeting.board_id == board_id, Meeting.status == "planned",
                                                   Meeting.scheduled_at >= start).order_by(Meeting.scheduled_at).limit(1))


@dataclass(frozen=True)
class MeetingView:
    id: int
    board_id: int
    board: str
    kind: str
    when: datetime
    where: str
    status: str
    current_position: int | None
    quorum: int
    members: list[dict[str, Any]]
    present: set[int]
    items: list[dict[str, Any]]
    can_run: bool
    can_contribute: bool
    version: int
    chair: str = ""  # who runs the meeting: the board's chair and deputy, by name
    deputy: str = ""

    @property
    def quorate(self) -> bool:
        return len(self.present) >= self.quorum


def view(uow: UnitOfWork, *, actor: Actor, meeting_id: int) -> MeetingView:
    """Everything a meeting screen shows; cheap enough to re-read every few seconds."""
    session = uow.session
    ensure(actor, "meeting.view")
    m = _meeting(session, meeting_id)
    board = session.get(Board, m.board_id)
    assert board is not None
    member_ids = set(session.scalars(select(BoardMember.user_id).where(BoardMember.board_id == board.id))) | _chairs(board)
    people = session.execute(select(User.id, User.name, Agency.name).join(Agency, Agency.id == User.agency_id)
                             .where(User.id.in_(member_ids)).order_by(Agency.name)).all()
    present = set(session.scalars(select(MeetingAttendee.user_id).where(MeetingAttendee.meeting_id == m.id, MeetingAttendee.present.is_(True))))
    items = [
        {"id": i.id, "position": i.position, "kind": i.kind, "title": i.title, "notes": i.notes, "decision": i.decision,
         "tier": i.tier, "status": i.status, "state": ITEM_STATES.get(i.status, i.status), "action_id": i.action_id, "business_id": i.business_id,
         "tasking_request_id": i.tasking_request_id, "carried": i.carried_from_id is not None}
        for i in session.scalars(select(AgendaItem).where(AgendaItem.meeting_id == m.id).order_by(AgendaItem.position))
    ]
    can_run = allowed(actor, "meeting.run", chairs=_chairs(board))
    names = {uid: name for uid, name, _ in people}
    return MeetingView(
        m.id, board.id, board.name, board.kind, m.scheduled_at, m.location, m.status, m.current_position, board.quorum,
        [{"id": uid, "name": name, "agency": agency, "chair": uid == board.chair_id} for uid, name, agency in people],
        present, items, can_run, can_run or actor.id in member_ids, m.version,
        names.get(board.chair_id, ""), names.get(board.deputy_id, ""),
    )


def item_card(uow: UnitOfWork, *, actor: Actor, meeting_id: int, item_id: int, today: date | None = None) -> dict[str, Any]:
    """What the shared screen shows for one agenda item: the item, and its action as a card.

    The card is the action as it stands now (an update on any screen shows at the next refresh): owner and agency
    by name, RAG, status, due date, each milestone with whether it is done, the latest progress note, and what
    changed since the board last met (the updates after the previous meeting closed, in words).
    """
    session = uow.session
    ensure(actor, "meeting.view")
    item = session.get(AgendaItem, item_id)
    if item is None or item.meeting_id != meeting_id:
        raise NotFound(f"Agenda item {item_id} is not on meeting {meeting_id}.")
    m = _meeting(session, meeting_id)
    card: dict[str, Any] = {"title": item.title, "kind": item.kind, "state": ITEM_STATES.get(item.status, item.status),
                            "carried": item.carried_from_id is not None, "notes": item.notes, "decision": item.decision,
                            "tier": item.tier, "action": None}
    if item.action_id is None:
        return card
    d = action_detail(uow, actor=actor, action_id=item.action_id, today=today)
    a = d["action"]
    owner = session.get(User, a["owner_id"]) if a["owner_id"] else None
    agency = session.get(Agency, a["agency_id"]) if a["agency_id"] else None
    prev = _previous_closed(session, m)
    since = (prev.closed_at or prev.scheduled_at) if prev else None
    changed = []
    if since is not None:
        since_utc = since if since.tzinfo else since.replace(tzinfo=timezone.utc)
        for u in session.scalars(select(ActionUpdate).where(ActionUpdate.action_id == item.action_id)
                                 .order_by(ActionUpdate.created_at)):
            at = u.created_at if u.created_at.tzinfo else u.created_at.replace(tzinfo=timezone.utc)
            if at > since_utc:
                changed.append({"at": at, "words": _update_words(u, _names(session, {u.author_id}).get(u.author_id, ""))})
    last = next((u for u in d["updates"] if u["note"].strip()), None)
    card["action"] = {
        "id": a["id"], "title": a["title"], "owner": owner.name if owner else "", "agency": agency.name if agency else "",
        "rag": d["rag"], "status": a["status"], "due_on": a["due_on"],
        "milestones": [{"title": x["title"], "due_on": x["due_on"], "done": x["completed_on"] is not None,
                        "completed_on": x["completed_on"]} for x in d["milestones"]],
        "progress": last, "since": since, "changed": changed, "can_edit": d["can_edit"],
    }
    return card


# --- boards and scheduling --------------------------------------------------------------------


def schedule(uow: UnitOfWork, *, actor: Actor, board_id: int, when: datetime, location: str = "") -> int:
    """Add a meeting to a board's calendar (its chair or deputy, or an administrator)."""
    s = uow.session
    _ensure_runs(s, actor, board_id)
    if when.tzinfo is None:
        raise ValidationError("Date and time: give a time zone (the app uses UTC).")
    clash = s.scalar(select(Meeting.id).where(Meeting.board_id == board_id, Meeting.scheduled_at == when))
    if clash:
        raise ValidationError("Date and time: this board already meets then.")
    m = Meeting(board_id=board_id, scheduled_at=when, location=location.strip(), status="planned", version=1)
    s.add(m)
    s.flush()
    record(s, actor, action="meeting.schedule", entity="meeting", entity_id=m.id,
           after={"board_id": board_id, "scheduled_at": when.isoformat(), "location": m.location}, summary=f"scheduled a meeting on {when:%d %b %Y}")
    uow.commit()
    return m.id


def set_members(uow: UnitOfWork, *, actor: Actor, board_id: int, user_ids: set[int]) -> None:
    """Who sits on the board (one lead per agency, typically); the chair and deputy are always members."""
    ensure(actor, "board.manage")
    s = uow.session
    board = _board(s, board_id)
    before = sorted(s.scalars(select(BoardMember.user_id).where(BoardMember.board_id == board_id)))
    for bm in s.scalars(select(BoardMember).where(BoardMember.board_id == board_id)):
        s.delete(bm)
    s.flush()
    for uid in sorted(user_ids):
        s.add(BoardMember(board_id=board_id, user_id=uid))
    record(s, actor, action="board.members", entity="board", entity_id=board_id, before={"members": before},
           after={"members": sorted(user_ids)}, summary=f"changed the members of {board.name}")
    uow.commit()


def set_chairs(uow: UnitOfWork, *, actor: Actor, board_id: int, chair_id: int | None, deputy_id: int | None) -> None:
    """Name who runs the board's meetings: a chair and, if the board has one, a deputy (any role)."""
    ensure(actor, "board.manage")
    s = uow.session
    board = _board(s, board_id)
    for word, uid in (("Chair", chair_id), ("Deputy", deputy_id)):
        if uid is not None and s.scalar(select(User.id).where(User.id == uid, User.active.is_(True))) is None:
            raise ValidationError(f"{word}: choose an active user of the partnership.")
    if chair_id is None and deputy_id is not None:
        raise ValidationError("Chair: name a chair before a deputy.")
    if chair_id is not None and chair_id == deputy_id:
        raise ValidationError("Deputy: choose someone other than the chair.")
    before = {"chair_id": board.chair_id, "deputy_id": board.deputy_id}
    board.chair_id, board.deputy_id = chair_id, deputy_id
    record(s, actor, action="board.chairs", entity="board", entity_id=board_id, before=before,
           after={"chair_id": chair_id, "deputy_id": deputy_id}, summary=f"named the chair and deputy of {board.name}")
    uow.commit()


# --- building the agenda ----------------------------------------------------------------------


def _previous_closed(s: Session, m: Meeting) -> Meeting | None:
    return s.scalars(select(Meeting).where(Meeting.board_id == m.board_id, Meeting.status == "closed",
                                           Meeting.scheduled_at < m.scheduled_at).order_by(Meeting.scheduled_at.desc()).limit(1)).first()


def _following(s: Session, m: Meeting) -> Meeting | None:
    return s.scalars(select(Meeting).where(Meeting.board_id == m.board_id, Meeting.scheduled_at > m.scheduled_at)
                     .order_by(Meeting.scheduled_at).limit(1)).first()


def _board_actions(s: Session, board_id: int) -> list[Action]:
    return list(s.scalars(select(Action).where(Action.board_id == board_id, Action.status.in_(OPEN)).order_by(Action.due_on)))


def _update_words(u: ActionUpdate, who: str = "") -> str:
    """An action update in words: "Jane Smith: status: not started → in progress; Test purchase booked"."""
    what = "; ".join(f"{k}: {old} → {new}" for k, (old, new) in (u.changes or {}).items())
    words = "; ".join(x for x in (what, u.note.strip()) if x)
    return f"{who}: {words}" if who else words


def proposed_items(s: Session, m: Meeting, today: date) -> list[dict[str, Any]]:
    """The automatic agenda for meeting `m` as of `today` (pure read)."""
    prev = _previous_closed(s, m)
    since = prev.closed_at or prev.scheduled_at if prev else datetime.combine(today - timedelta(days=DEFAULT_CYCLE_DAYS), time.min, timezone.utc)
    nxt = _following(s, m)
    horizon = nxt.scheduled_at.date() if nxt else m.scheduled_at.date() + timedelta(days=DEFAULT_CYCLE_DAYS)
    items: list[dict[str, Any]] = []

    if prev is not None:
        # Summary items (visits done, overdue feedback, risk list) are made afresh, not carried with old counts.
        fresh = ("visits done", "feedback overdue", "new on risk list")
        for it in s.scalars(select(AgendaItem).where(AgendaItem.meeting_id == prev.id, AgendaItem.status == "carried",
                                                     AgendaItem.kind.notin_(fresh)).order_by(AgendaItem.position)):
            items.append({"kind": it.kind, "title": it.title, "notes": it.notes, "action_id": it.action_id, "business_id": it.business_id,
                          "referral_id": it.referral_id, "visit_id": it.visit_id, "tasking_request_id": it.tasking_request_id,
                          "carried_from_id": it.id})
    carried_actions = {i["action_id"] for i in items if i["action_id"]}
    carried_tasking = {i["tasking_request_id"] for i in items if i["tasking_request_id"]}

    acts = _board_actions(s, m.board_id)
    ms: dict[int, list[tuple[date, date | None]]] = defaultdict(list)
    if acts:
        for aid, due, done in s.execute(select(Milestone.action_id, Milestone.due_on, Milestone.completed_on).where(Milestone.action_id.in_([a.id for a in acts]))):
            ms[aid].append((due, done))
    changes: dict[int, list[ActionUpdate]] = defaultdict(list)
    for u in s.scalars(select(ActionUpdate).where(ActionUpdate.created_at > since).order_by(ActionUpdate.created_at)):
        changes[u.action_id].append(u)
    for a in acts:
        if a.id in carried_actions:
            continue
        rag = rag_status(status=a.status, due_on=a.due_on, milestones=ms[a.id], today=today)
        if rag == "red":  # red for its own date, or for a milestone's
            kind = "action overdue" if a.due_on < today else "milestone overdue"
        elif a.due_on <= horizon:
            kind = "action due"
        elif changes.get(a.id):
            kind = "action changed"
        else:
            continue
        # What changed since the last meeting; the action's owner, status and dates are read live, never copied here
        # (a copy said "Status: not started" beside the live "in progress").
        notes = [f"{u.created_at:%d %b}: {_update_words(u)}" for u in changes.get(a.id, [])]
        items.append({"kind": kind, "title": a.title, "notes": "\n".join(notes), "action_id": a.id})

    # The agenda is read by the whole board: a business is named as every partner may see it, or labelled.
    requests = s.execute(select(TaskingRequest, Agency.name).outerjoin(User, User.id == TaskingRequest.requested_by_id)
                         .outerjoin(Agency, Agency.id == User.agency_id)
                         .where(TaskingRequest.status == "open").order_by(TaskingRequest.requested_at)).all()
    shared = business_views(s, EVERYONE, [tr.business_id for tr, _a in requests if tr.business_id])
    for tr, agency in requests:
        if tr.id in carried_tasking:
            continue
        if tr.business_id is None:
            subject = f"Referral {tr.referral_id}"
        elif tr.business_id in shared:
            subject = shared[tr.business_id].label
        else:
            subject = private_label(agency or "")
        items.append({"kind": "tasking", "title": f"Tasking: {subject}", "notes": tr.reason, "business_id": tr.business_id,
                      "referral_id": tr.referral_id, "tasking_request_id": tr.id})

    # Owner-only holdings help matching but are never counted for the board; names from fully shared records only.
    held = known_holdings(EVERYONE).subquery()
    counted = s.execute(
        select(Business.id, func.count(held.c.agency_id).label("n"))
        .join(held, held.c.business_id == Business.id)
        .where(Business.created_at > since, Business.active.is_(True), Business.id.in_(readable_business_ids(EVERYONE)))
        .group_by(Business.id).having(func.count(held.c.agency_id) >= 2)
    ).all()
    shared_new = business_views(s, EVERYONE, [b for b, _n in counted])
    top = sorted(((b, n) for b, n in counted if b in shared_new), key=lambda r: (-r[1], shared_new[r[0]].name, r[0]))
    top = top[:TOP_NEW_BUSINESSES]
    if top:
        items.append({"kind": "new on risk list", "title": f"New businesses at the top of the shared risk list: {len(top)}",
                      "notes": "\n".join(f"{shared_new[b].label}: held by {n} agencies" for b, n in top)})

    done = list(s.scalars(select(Visit).where(Visit.status == "done", Visit.starts_at > since).order_by(Visit.starts_at)))
    if done:
        # The agenda is read by the whole board: premises as every partner may see them, or withheld.
        premises = visit_premises(s, EVERYONE, done)
        outcomes: Counter[str] = Counter()
        for (outcome,) in s.execute(select(VisitAgency.outcome).where(VisitAgency.visit_id.in_([v.id for v in done]))):
            for result in (outcome or {}).get("result", []):
                outcomes[result] += 1
        lines = [f"{v.starts_at:%d %b}: {premises[v.id]}" for v in done]
        summary = ", ".join(f"{k} {n}" for k, n in outcomes.most_common()) or "no outcomes recorded yet"
        items.append({"kind": "visits done", "title": f"Visits done since the last meeting: {len(done)}",
                      "notes": f"Outcomes by agency: {summary}.\n" + "\n".join(lines)})

    has_feedback = exists().where(Feedback.recipient_id == ReferralRecipient.id)
    overdue = s.execute(
        select(Agency.name, func.count()).select_from(ReferralRecipient)
        .join(Referral, Referral.id == ReferralRecipient.referral_id).join(Agency, Agency.id == ReferralRecipient.agency_id)
        .where(Referral.status == "sent", ~has_feedback, ReferralRecipient.feedback_by < today)
        .group_by(Agency.name).order_by(func.count().desc())
    ).all()
    if overdue:
        total = sum(n for _, n in overdue)
        items.append({"kind": "feedback overdue", "title": f"Referrals waiting for feedback past the deadline: {total}",
                      "notes": "\n".join(f"{agency}: {n}" for agency, n in overdue)})
    return items


def build_agenda(uow: UnitOfWork, *, actor: Actor, meeting_id: int, today: date | None = None) -> int:
    """(Re)build the automatic part of the agenda; items added by hand and items already discussed stay."""
    s = uow.session
    m = _meeting(s, meeting_id)
    _ensure_runs(s, actor, m.board_id)
    _ensure_open(m)
    today = today or date.today()
    existing = list(s.scalars(select(AgendaItem).where(AgendaItem.meeting_id == m.id).order_by(AgendaItem.position)))
    keep = [i for i in existing if i.kind not in AUTO_KINDS or i.status != "pending" or i.carried_from_id]
    for i in existing:
        if i not in keep:
            s.delete(i)
    s.flush()
    have = {(i.kind, i.action_id, i.tasking_request_id, i.carried_from_id) for i in keep}
    proposed = [p for p in proposed_items(s, m, today)
                if (p["kind"], p.get("action_id"), p.get("tasking_request_id"), p.get("carried_from_id")) not in have]
    order = {kind: n for n, kind in enumerate(AUTO_KINDS, start=1)}
    proposed.sort(key=lambda p: (0 if p.get("carried_from_id") else order.get(p["kind"], 9)))
    manual = [i for i in keep if i.kind == "item"]
    auto_kept = [i for i in keep if i.kind != "item"]
    for pos, it in enumerate(auto_kept, start=1):
        it.position = pos
    pos = len(auto_kept)
    for p in proposed:
        pos += 1
        s.add(AgendaItem(meeting_id=m.id, position=pos, **{k: v for k, v in p.items() if v is not None}))
    for it in manual:
        pos += 1
        it.position = pos
    record(s, actor, action="meeting.build_agenda", entity="meeting", entity_id=m.id,
           after={"items": pos, "added": len(proposed)}, summary=f"built the agenda: {len(proposed)} new items, {pos} in all")
    uow.commit()
    return pos


def add_item(uow: UnitOfWork, *, actor: Actor, meeting_id: int, title: str, notes: str = "") -> int:
    s = uow.session
    m = _meeting(s, meeting_id)
    _ensure_contributor(s, actor, m)
    _ensure_open(m)
    title = " ".join(title.split())
    if not title:
        raise ValidationError("Agenda item: give it a title.")
    pos = (s.scalar(select(func.max(AgendaItem.position)).where(AgendaItem.meeting_id == m.id)) or 0) + 1
    item = AgendaItem(meeting_id=m.id, position=pos, kind="item", title=title, notes=notes.strip())
    s.add(item)
    s.flush()
    record(s, actor, action="agenda.add", entity="agenda_item", entity_id=item.id, after={"title": title, "meeting_id": m.id},
           summary=f"added agenda item {title!r}")
    uow.commit()
    return item.id


# --- running the meeting ----------------------------------------------------------------------


def set_attendance(uow: UnitOfWork, *, actor: Actor, meeting_id: int, present: set[int]) -> None:
    s = uow.session
    m = _meeting(s, meeting_id, lock=True)
    _ensure_runs(s, actor, m.board_id)
    _ensure_open(m)
    before = sorted(s.scalars(select(MeetingAttendee.user_id).where(MeetingAttendee.meeting_id == m.id, MeetingAttendee.present.is_(True))))
    for a in s.scalars(select(MeetingAttendee).where(MeetingAttendee.meeting_id == m.id)):
        s.delete(a)
    s.flush()
    for uid in sorted(present):
        s.add(MeetingAttendee(meeting_id=m.id, user_id=uid, present=True))
    record(s, actor, action="meeting.attendance", entity="meeting", entity_id=m.id, before={"present": before},
           after={"present": sorted(present)}, summary="recorded attendance")
    uow.commit()


def off_schedule(scheduled_at: datetime, now: datetime) -> str | None:
    """What to say before starting a meeting on another day than the one it is scheduled for, else None."""
    days = (scheduled_at.date() - now.date()).days
    if days == 0:
        return None
    when = f"{scheduled_at:%A} {scheduled_at.day} {scheduled_at:%B %Y}"
    gap = f"{abs(days)} day{'s' if abs(days) != 1 else ''} {'from now' if days > 0 else 'ago'}"
    return (f"This meeting is scheduled for {when}, {gap}. Start it today? Its minutes will be dated the day it is held; "
            "if this is the wrong meeting, choose another one above.")


def start(uow: UnitOfWork, *, actor: Actor, meeting_id: int) -> None:
    s = uow.session
    m = _meeting(s, meeting_id, lock=True)
    _ensure_runs(s, actor, m.board_id)
    _ensure_open(m)
    if m.status == "live":
        return
    if s.scalar(select(Meeting.id).where(Meeting.board_id == m.board_id, Meeting.status == "live", Meeting.id != m.id)):
        raise ValidationError("Another meeting of this board is live; close it first.")
    m.status, m.opened_at = "live", datetime.now(timezone.utc)
    m.current_position = s.scalar(select(func.min(AgendaItem.position)).where(AgendaItem.meeting_id == m.id))
    record(s, actor, action="meeting.start", entity="meeting", entity_id=m.id, after={"status": "live"}, summary="started the meeting")
    uow.commit()


def go_to(uow: UnitOfWork, *, actor: Actor, meeting_id: int, position: int, from_position: int | None) -> int:
    """Move the shared screen from item `from_position` (the one the chair's screen shows) to item `position`.

    Returns the item the meeting is on afterwards. If the meeting is no longer on `from_position` (a second
    click from a screen that had not caught up, or another chair's move), it stays where it is: a Next
    pressed twice moves one item, never two. The meeting is locked first, so presses at once are answered in turn.
    """
    s = uow.session
    m = _meeting(s, meeting_id, lock=True)
    _ensure_runs(s, actor, m.board_id)
    if m.status != "live":
        raise ValidationError("Start the meeting first.")
    title = s.scalar(select(AgendaItem.title).where(AgendaItem.meeting_id == m.id, AgendaItem.position == position))
    if title is None:
        raise ValidationError(f"There is no agenda item {position}.")
    before = m.current_position
    if before == position or before != from_position:
        return before
    m.current_position = position
    record(s, actor, action="meeting.go_to", entity="meeting", entity_id=m.id, before={"current_position": before},
           after={"current_position": position}, summary=f"moved the live meeting to item {position}: {title}")
    uow.commit()
    return position


def _open_item(s: Session, actor: Actor, item_id: int, *, chair_only: bool = False) -> tuple[AgendaItem, Meeting]:
    """The agenda item, checked: it exists, the actor may record on it, and its meeting is not closed."""
    item = s.get(AgendaItem, item_id)
    if item is None:
        raise NotFound(f"Agenda item {item_id} does not exist.")
    m = _meeting(s, item.meeting_id)
    if chair_only:
        _ensure_runs(s, actor, m.board_id)
    else:
        _ensure_contributor(s, actor, m)
    _ensure_open(m)
    return item, m


def record_item(uow: UnitOfWork, *, actor: Actor, item_id: int, notes: str | None = None, decision: str | None = None,
                status: str | None = None, expected: dict[str, str] | None = None) -> None:
    """Record notes, a decision or the item's status (discussed / pending) against an agenda item.

    `expected` is the notes and decision the person started from: if someone else recorded in
    between, nothing is saved and `Conflict` says what they wrote, so no one's words are lost.
    """
    s = uow.session
    item, _ = _open_item(s, actor, item_id)
    if expected:
        theirs = {k: getattr(item, k) for k, v in expected.items() if getattr(item, k) != v}
        if theirs:
            said = "; ".join(f"{k}: {v!r}" for k, v in theirs.items())
            raise Conflict(f"Someone else recorded on this item while you were typing ({said}). Nothing of yours was "
                           "saved: merge their words into yours and save again.")
    if status is not None and status not in ("pending", "discussed"):
        raise ValidationError("Status: an item is pending or discussed (unfinished items are carried when the meeting closes).")
    before = {"notes": item.notes, "decision": item.decision, "status": item.status}
    if notes is not None:
        item.notes = notes.strip()
    if decision is not None:
        item.decision = decision.strip()
    if status is not None:
        item.status = status
    record(s, actor, action="agenda.record", entity="agenda_item", entity_id=item.id, before=before,
           after={"notes": item.notes, "decision": item.decision, "status": item.status}, summary=f"recorded on {item.title[:80]!r}")
    uow.commit()


def add_item_action(uow: UnitOfWork, *, actor: Actor, item_id: int, data: ActionInput) -> int:
    """A new action agreed on this item: created, linked and minuted in one transaction."""
    s = uow.session
    item, m = _open_item(s, actor, item_id)
    links = {k: v for k, v in {"business_id": item.business_id, "referral_id": item.referral_id, "visit_id": item.visit_id}.items() if v}
    data = ActionInput(**{**data.__dict__, "board_id": data.board_id or m.board_id})
    action_id = add_action(uow, actor=actor, data=data, links=links or None, meeting_chairs=_chairs(_board(s, m.board_id)))
    note = f"New action: {data.title} (due {data.due_on:%d %b %Y})"
    item.decision = f"{item.decision}\n{note}".strip()
    item.status = "discussed"
    if item.action_id is None and item.kind in ("item", "tasking"):
        item.action_id = action_id
    else:
        # Appended, so positions stay unique and the shared screen stays on the item under discussion.
        last = s.scalar(select(func.max(AgendaItem.position)).where(AgendaItem.meeting_id == m.id)) or 0
        s.add(AgendaItem(meeting_id=m.id, position=last + 1, kind="new action", title=data.title, action_id=action_id,
                         status="discussed", decision=note))
    uow.commit()
    return action_id


def record_tier(uow: UnitOfWork, *, actor: Actor, item_id: int, tier: int, owner_id: int | None = None,
                agency_id: int | None = None, due_on: date | None = None, decision: str = "") -> int | None:
    """The meeting's response tier for a tasking item; tiers 1-3 call for work and create the owned action."""
    s = uow.session
    item, m = _open_item(s, actor, item_id, chair_only=True)
    if tier not in TIERS:
        raise ValidationError("Tier: choose a response tier from 1 to 5.")
    action_id = None
    if tier in WORK_TIERS:
        if owner_id is None or agency_id is None or due_on is None:
            raise ValidationError(f"Tier {tier} ({TIERS[tier].lower()}) needs work: name the owner, the owning agency and a due date.")
        links = {k: v for k, v in {"business_id": item.business_id, "referral_id": item.referral_id}.items() if v}
        action_id = add_action(uow, actor=actor, data=ActionInput(
            title=f"Tier {tier}: {item.title.removeprefix('Tasking: ')}"[:200], agency_id=agency_id, due_on=due_on,
            strand="Pursue", owner_id=owner_id, tier=tier, source=ActionSource.TASKING.value, board_id=m.board_id,
            description=decision), links=links or None, meeting_chairs=_chairs(_board(s, m.board_id)))
        item.action_id = action_id
    before = {"tier": item.tier, "status": item.status}
    item.tier, item.status = tier, "discussed"
    words = f"Tier {tier}: {TIERS[tier]}." + (f" {decision.strip()}" if decision.strip() else "")
    item.decision = f"{item.decision}\n{words}".strip() if item.decision else words
    if item.tasking_request_id:
        tr = s.get(TaskingRequest, item.tasking_request_id)
        if tr is not None:
            tr.tier, tr.status, tr.meeting_id = tier, "decided", m.id
    record(s, actor, action="tasking.tier", entity="agenda_item", entity_id=item.id, before=before,
           after={"tier": tier, "status": "discussed", "action_id": action_id}, summary=f"tier {tier} for {item.title[:80]!r}")
    uow.commit()
    return action_id


def close(uow: UnitOfWork, *, actor: Actor, meeting_id: int) -> int:
    """Close and freeze the meeting; items not discussed are carried to the next one. Returns how many."""
    s = uow.session
    m = _meeting(s, meeting_id, lock=True)
    _ensure_runs(s, actor, m.board_id)
    _ensure_open(m)
    carried = 0
    for item in s.scalars(select(AgendaItem).where(AgendaItem.meeting_id == m.id, AgendaItem.status == "pending")):
        item.status = "carried"
        carried += 1
    m.status, m.closed_at, m.current_position = "closed", datetime.now(timezone.utc), None
    record(s, actor, action="meeting.close", entity="meeting", entity_id=m.id, after={"status": "closed", "carried": carried},
           summary=f"closed the meeting; {carried} items carried to the next")
    uow.commit()
    return carried


def minutes(uow: UnitOfWork, *, actor: Actor, meeting_id: int) -> Minutes:
    """The minutes of a meeting (a draft until it is closed)."""
    session = uow.session
    v = view(uow, actor=actor, meeting_id=meeting_id)
    p = settings(session)
    m = _meeting(session, meeting_id)
    new_actions: dict[int, list[MinutesAction]] = defaultdict(list)
    item_actions = {i["id"]: i["action_id"] for i in v.items if i["action_id"]}
    if item_actions:
        rows = session.execute(select(Action, User.name, Agency.code).outerjoin(User, User.id == Action.owner_id)
                               .join(Agency, Agency.id == Action.agency_id).where(Action.id.in_(set(item_actions.values()))))
        by_id = {a.id: MinutesAction(a.title, owner or "", code, a.due_on, a.status) for a, owner, code in rows}
        # On review items (overdue, due, changed) the action is the one reviewed, not a new one.
        for item in v.items:
            if item["action_id"] and item["kind"] in ("tasking", "new action", "item"):
                new_actions[item["id"]].append(by_id[item["action_id"]])
    chair = next((p_["name"] for p_ in v.members if p_["chair"]), "")
    # What the board changed on the actions in front of it while the meeting was live.
    updates: dict[int, list[str]] = defaultdict(list)
    if m.opened_at is not None and item_actions:
        until = m.closed_at or datetime.now(timezone.utc)
        rows = session.execute(select(ActionUpdate, User.name).outerjoin(User, User.id == ActionUpdate.author_id)
                               .where(ActionUpdate.action_id.in_(set(item_actions.values())),
                                      ActionUpdate.created_at >= m.opened_at, ActionUpdate.created_at <= until)
                               .order_by(ActionUpdate.created_at, ActionUpdate.id))
        by_action: dict[int, list[str]] = defaultdict(list)
        for u, who in rows:
            by_action[u.action_id].append(f"{u.created_at:%H:%M} {_update_words(u, who or 'someone')}")
        for item_id, action_id in item_actions.items():
            updates[item_id] = by_action.get(action_id, [])
    return Minutes(
        partnership=p.name, board=v.board, classification=p.classification, scheduled_at=v.when, location=v.where, chair=chair,
        quorum=v.quorum,
        present=tuple((x["name"], x["agency"]) for x in v.members if x["id"] in v.present),
        apologies=tuple((x["name"], x["agency"]) for x in v.members if x["id"] not in v.present),
        items=tuple(MinutesItem(i["position"], i["kind"], i["title"], i["notes"], i["decision"], i["tier"], i["status"],
                                tuple(new_actions.get(i["id"], ())), tuple(updates.get(i["id"], ()))) for i in v.items),
        closed_at=m.closed_at, demo=p.demo, held_at=m.opened_at,
    )

