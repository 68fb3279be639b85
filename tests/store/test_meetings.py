"""Meetings: the automatic agenda, live recording, tasking tiers, closing, carrying and minutes."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from core.domain import Role
from core.errors import Forbidden, ValidationError
from core.permissions import Actor
from core.services import meetings
from core.services.actions import ActionInput
from core.store.models import (
    Action, ActionLink, ActionUpdate, Agency, AuditEvent, AgencyRecord, AgendaItem, Board, BoardMember, Business, Dataset, Meeting,
    Milestone, TaskingRequest, User,
)
from tests.store.conftest import _HASH, Small

TODAY = datetime.now(timezone.utc).date()
NOON = datetime.combine(TODAY, datetime.min.time(), timezone.utc) + timedelta(hours=12)


def d(n: int) -> date:
    return TODAY + timedelta(days=n)


@pytest.fixture
def board(small: Small) -> dict:
    """A board (chair = admin, member = the HMRC analyst), a closed meeting 6 weeks ago, the next in 7 days."""
    with small.store.uow() as uow:
        s = uow.session
        chair = User(username="cheryl", name="Cheryl Chair", role="chair", agency_id=small.ts, password_hash=_HASH)
        outsider = User(username="otto", name="Otto Outsider", role="officer", agency_id=small.ts, password_hash=_HASH)
        s.add_all([chair, outsider])
        s.flush()
        b = Board(name="Board", chair_id=chair.id, quorum=2)
        s.add(b)
        s.flush()
        s.add(BoardMember(board_id=b.id, user_id=small.analyst.id))
        last = Meeting(board_id=b.id, scheduled_at=NOON - timedelta(days=42), status="closed", closed_at=NOON - timedelta(days=42))
        nxt = Meeting(board_id=b.id, scheduled_at=NOON + timedelta(days=7), status="planned", location="Town Hall")
        after = Meeting(board_id=b.id, scheduled_at=NOON + timedelta(days=49), status="planned")
        s.add_all([last, nxt, after])
        s.flush()
        s.add(AgendaItem(meeting_id=last.id, position=1, kind="item", title="Unfinished from last time", status="carried"))
        s.add(AgendaItem(meeting_id=last.id, position=2, kind="item", title="Done last time", status="discussed"))
        overdue = Action(title="Overdue action", agency_id=small.ts, board_id=b.id, due_on=d(-3), strand="Pursue", status="in progress", owner_id=small.analyst.id)
        soon = Action(title="Due before next", agency_id=small.ts, board_id=b.id, due_on=d(20), strand="Protect")
        later = Action(title="Quiet and later", agency_id=small.ts, board_id=b.id, due_on=d(120), strand="Prevent", status="in progress")
        changed = Action(title="Changed lately", agency_id=small.ts, board_id=b.id, due_on=d(100), strand="Prepare", status="in progress")
        s.add_all([overdue, soon, later, changed])
        s.flush()
        s.add(ActionUpdate(action_id=changed.id, note="Warrant granted", changes={"status": ["not started", "in progress"]}))
        s.add(Milestone(action_id=later.id, title="done", due_on=d(-50), completed_on=d(-51)))
        biz = Business(name="Chicken Shop", address="12 The Broadway")
        s.add(biz)
        s.flush()
        tr = TaskingRequest(business_id=biz.id, reason="HMRC, FS and IE all hold it", status="open")
        s.add(tr)
        ie = Agency(code="IE", name="Immigration Enforcement", remit=[])
        s.add(ie)
        s.flush()
        for agency_id, sharing in ((small.ts, "full"), (small.hmrc, "interest-only"), (ie.id, "owner-only")):
            ds = Dataset(agency_id=agency_id, name="premises", sharing=sharing)
            s.add(ds)
            s.flush()
            s.add(AgencyRecord(dataset_id=ds.id, agency_id=agency_id, business_id=biz.id, reference=f"R{agency_id}",
                               trading_name="Chicken Shop", address="12 The Broadway"))
        uow.commit()
        ids = {"board": b.id, "next": nxt.id, "last": last.id, "chair": chair.id, "business": biz.id, "tasking": tr.id,
               "outsider": Actor(outsider.id, "otto", outsider.name, Role.OFFICER, small.ts, "Trading Standards"),
               "chair_actor": Actor(chair.id, "cheryl", chair.name, Role.CHAIR, small.ts, "Trading Standards")}
    return ids


def _items(small: Small, meeting_id: int) -> list[AgendaItem]:
    with small.store.read() as s:
        return list(s.session.scalars(select(AgendaItem).where(AgendaItem.meeting_id == meeting_id).order_by(AgendaItem.position)))


def test_agenda_is_built_from_the_store(small: Small, board: dict) -> None:
    chair = board["chair_actor"]
    with small.store.uow() as uow:
        meetings.build_agenda(uow, actor=chair, meeting_id=board["next"], today=TODAY)
    items = [(i.kind, i.title) for i in _items(small, board["next"])]
    assert items == [
        ("item", "Unfinished from last time"),
        ("action overdue", "Overdue action"),
        ("action due", "Due before next"),
        ("action changed", "Changed lately"),
        ("tasking", "Tasking: Chicken Shop, 12 The Broadway"),
        ("new on risk list", "New businesses at the top of the shared risk list: 1"),
    ], "carried first, then overdue, due, changed, tasking, risk list; quiet actions and discussed items are left out"
    top = next(i for i in _items(small, board["next"]) if i.kind == "new on risk list")
    assert top.notes == "Chicken Shop, 12 The Broadway: held by 2 agencies", "the owner-only dataset is not counted"
    changed = next(i for i in _items(small, board["next"]) if i.kind == "action changed")
    assert "Warrant granted" in changed.notes and "not started → in progress" in changed.notes
    with small.store.uow() as uow:  # building again does not duplicate, and keeps manual items
        meetings.add_item(uow, actor=chair, meeting_id=board["next"], title="Any other business")
        meetings.build_agenda(uow, actor=chair, meeting_id=board["next"], today=TODAY)
    kinds = [i.kind for i in _items(small, board["next"])]
    assert len(kinds) == 7 and kinds[-1] == "item"


def test_only_chairs_run_and_only_members_record(small: Small, board: dict) -> None:
    with small.store.uow() as uow:
        meetings.build_agenda(uow, actor=board["chair_actor"], meeting_id=board["next"], today=TODAY)
    first = _items(small, board["next"])[0]
    with pytest.raises(Forbidden), small.store.uow() as uow:
        meetings.start(uow, actor=small.analyst, meeting_id=board["next"])
    with pytest.raises(Forbidden), small.store.uow() as uow:
        meetings.record_item(uow, actor=board["outsider"], item_id=first.id, notes="not a member")
    with small.store.uow() as uow:  # the HMRC analyst is a member
        meetings.record_item(uow, actor=small.analyst, item_id=first.id, notes="HMRC will check the tills",
                             status="discussed")
    assert _items(small, board["next"])[0].notes == "HMRC will check the tills"


def test_the_boards_chair_and_deputy_run_its_meetings_whatever_their_role(small: Small, board: dict) -> None:
    """A tasking group chaired by a coordinator: the coordinator and the deputy run it; a board chair of another board may not."""
    with small.store.uow() as uow:
        coordinator = User(username="cora", name="Cora Ordinator", role="coordinator", agency_id=small.hmrc, password_hash=_HASH)
        uow.session.add(coordinator)
        uow.flush()
        cora = Actor(coordinator.id, "cora", coordinator.name, Role.COORDINATOR, small.hmrc, "HM Revenue and Customs")
        uow.commit()
    with pytest.raises(Forbidden, match="may not"), small.store.uow() as uow:  # only administrators and chairs name chairs
        meetings.set_chairs(uow, actor=cora, board_id=board["board"], chair_id=cora.id, deputy_id=None)
    with small.store.uow() as uow:
        meetings.set_chairs(uow, actor=small.admin, board_id=board["board"], chair_id=cora.id, deputy_id=small.analyst.id)
    with small.store.read() as s:
        assert meetings.view(s, actor=cora, meeting_id=board["next"]).can_run
        assert meetings.view(s, actor=small.analyst, meeting_id=board["next"]).can_run
        former = meetings.view(s, actor=board["chair_actor"], meeting_id=board["next"])
        assert not former.can_run and (former.chair, former.deputy) == ("Cora Ordinator", "Ana Lyst")
        assert [b["can_run"] for b in meetings.boards(s, actor=cora)] == [True]
    with small.store.uow() as uow:  # the coordinator builds, takes attendance, starts, moves and closes
        meetings.build_agenda(uow, actor=cora, meeting_id=board["next"], today=TODAY)
        meetings.set_attendance(uow, actor=cora, meeting_id=board["next"], present={cora.id, small.analyst.id})
        meetings.start(uow, actor=cora, meeting_id=board["next"])
        meetings.go_to(uow, actor=small.analyst, meeting_id=board["next"], position=2, from_position=1)  # the deputy
    with pytest.raises(Forbidden, match="chair or deputy"), small.store.uow() as uow:
        meetings.go_to(uow, actor=board["chair_actor"], meeting_id=board["next"], position=3, from_position=2)
    with small.store.uow() as uow:
        meetings.close(uow, actor=cora, meeting_id=board["next"])
    with small.store.read() as s:
        assert meetings.view(s, actor=cora, meeting_id=board["next"]).status == "closed"
    with pytest.raises(ValidationError, match="active"), small.store.uow() as uow:
        meetings.set_chairs(uow, actor=small.admin, board_id=board["board"], chair_id=999_999, deputy_id=None)
    with pytest.raises(ValidationError, match="Deputy: choose someone other"), small.store.uow() as uow:
        meetings.set_chairs(uow, actor=small.admin, board_id=board["board"], chair_id=cora.id, deputy_id=cora.id)


def test_the_chair_who_is_a_coordinator_records_what_the_meeting_agreed_for_any_agency(small: Small, board: dict) -> None:
    """Found running the Tasking Group in Chromium: its chair, a Licensing coordinator, could not record an action
    the group agreed for Food Safety ("You may create actions ... only for your own agency"), nor a tier 1-3 owned
    by a partner. What the meeting agrees is recorded by whoever runs it, for any agency; a coordinator who is only
    a member still creates actions for their own agency only, and the refusal says so plainly."""
    with small.store.uow() as uow:
        s = uow.session
        c = User(username="cora", name="Cora Ordinator", role="coordinator", agency_id=small.hmrc, password_hash=_HASH)
        m = User(username="mo", name="Mo Member", role="coordinator", agency_id=small.hmrc, password_hash=_HASH)
        s.add_all([c, m])
        s.flush()
        s.add(BoardMember(board_id=board["board"], user_id=m.id))
        cora = Actor(c.id, "cora", c.name, Role.COORDINATOR, small.hmrc, "HM Revenue and Customs")
        mo = Actor(m.id, "mo", m.name, Role.COORDINATOR, small.hmrc, "HM Revenue and Customs")
        uow.commit()
    with small.store.uow() as uow:
        meetings.set_chairs(uow, actor=small.admin, board_id=board["board"], chair_id=cora.id, deputy_id=None)
    with small.store.uow() as uow:
        meetings.build_agenda(uow, actor=cora, meeting_id=board["next"], today=TODAY)
        meetings.start(uow, actor=cora, meeting_id=board["next"])
    items = _items(small, board["next"])
    agreed = ActionInput(title="Test purchase at the Chicken Shop", agency_id=small.ts, owner_id=small.analyst.id,
                         due_on=d(30), strand="Pursue")
    with small.store.uow() as uow:
        action_id = meetings.add_item_action(uow, actor=cora, item_id=items[0].id, data=agreed)
    with small.store.read() as s:
        assert s.session.get(Action, action_id).agency_id == small.ts
    tasking = next(i for i in items if i.kind == "tasking")
    with small.store.uow() as uow:
        tier_action = meetings.record_tier(uow, actor=cora, item_id=tasking.id, tier=1, owner_id=small.analyst.id,
                                           agency_id=small.ts, due_on=d(14))
    assert tier_action is not None
    with pytest.raises(Forbidden, match=r"^You may create actions only for your own agency \(HM Revenue and Customs\)\.$"), \
            small.store.uow() as uow:
        meetings.add_item_action(uow, actor=mo, item_id=items[1].id, data=agreed)
    with small.store.uow() as uow:
        meetings.add_item_action(uow, actor=mo, item_id=items[1].id,
                                 data=ActionInput(**{**agreed.__dict__, "agency_id": small.hmrc}))


def test_moving_the_live_meeting_is_audited(small: Small, board: dict) -> None:
    chair = board["chair_actor"]
    with small.store.uow() as uow:
        meetings.build_agenda(uow, actor=chair, meeting_id=board["next"], today=TODAY)
    with small.store.uow() as uow:
        meetings.start(uow, actor=chair, meeting_id=board["next"])
    second = _items(small, board["next"])[1]
    with small.store.uow() as uow:
        meetings.go_to(uow, actor=chair, meeting_id=board["next"], position=2, from_position=1)
    with small.store.read() as s:
        row = s.session.scalars(select(AuditEvent).where(AuditEvent.action == "meeting.go_to")).one()
    assert (row.actor_username, row.entity, row.entity_id) == ("cheryl", "meeting", str(board["next"]))
    assert row.after == {"current_position": 2} and row.before["current_position"] != 2
    assert second.title in row.summary


def test_two_clicks_on_next_from_one_screen_move_one_item(small: Small, board: dict) -> None:
    """Issue 17 bug 5: during a rerun the chair's screen showed two Next buttons; both asked for the item after
    the one on screen, and the second skipped an item. A move names the item it moves from."""
    chair = board["chair_actor"]
    with small.store.uow() as uow:
        meetings.build_agenda(uow, actor=chair, meeting_id=board["next"], today=TODAY)
        meetings.start(uow, actor=chair, meeting_id=board["next"])
    for _ in range(2):  # both clicks come from the screen that shows item 1
        with small.store.uow() as uow:
            at = meetings.go_to(uow, actor=chair, meeting_id=board["next"], position=2, from_position=1)
        assert at == 2
    with small.store.uow() as uow:  # a Next from a screen still on item 1 (the meeting is on 2) does not move it
        assert meetings.go_to(uow, actor=chair, meeting_id=board["next"], position=2, from_position=1) == 2
        assert meetings.go_to(uow, actor=chair, meeting_id=board["next"], position=3, from_position=2) == 3
    with small.store.read() as s:
        assert meetings.view(s, actor=chair, meeting_id=board["next"]).current_position == 3
        assert s.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "meeting.go_to")) == 2


def test_minutes_are_dated_when_held_and_carry_the_live_action_updates(small: Small, board: dict) -> None:
    """Issue 17 bug 4: minutes dated the scheduled day, and missing the action updates made in the meeting."""
    from core.services import actions

    chair = board["chair_actor"]
    with small.store.uow() as uow:
        meetings.build_agenda(uow, actor=chair, meeting_id=board["next"], today=TODAY)
        meetings.start(uow, actor=chair, meeting_id=board["next"])
    overdue = next(i for i in _items(small, board["next"]) if i.kind == "action overdue")
    with small.store.uow() as uow:
        actions.update_action(uow, actor=small.analyst, action_id=overdue.action_id, base_version=1,
                              changes={"status": "complete"}, note="Closed at the board")
    with small.store.uow() as uow:
        meetings.close(uow, actor=chair, meeting_id=board["next"])
    with small.store.read() as s:
        m = meetings.minutes(s, actor=chair, meeting_id=board["next"])
    assert m.held_at is not None and m.held_at.date() == datetime.now(timezone.utc).date() != m.scheduled_at.date()
    item = next(i for i in m.items if i.title == "Overdue action")
    assert len(item.updates) == 1 and "Ana Lyst: status: in progress → complete; Closed at the board" in item.updates[0]
    assert all(not i.updates for i in m.items if i is not item)


def test_an_agenda_item_never_copies_the_actions_status(small: Small, board: dict) -> None:
    """Issue 17 bug 5: an item's notes said "Status: not started" beside the action's live status."""
    with small.store.uow() as uow:
        meetings.build_agenda(uow, actor=board["chair_actor"], meeting_id=board["next"], today=TODAY)
    for item in _items(small, board["next"]):
        if item.action_id:
            assert "Status:" not in item.notes and "Owner:" not in item.notes, item.notes


def test_live_meeting_records_a_decision_and_a_new_action_in_one_go(small: Small, board: dict) -> None:
    chair = board["chair_actor"]
    with small.store.uow() as uow:
        meetings.build_agenda(uow, actor=chair, meeting_id=board["next"], today=TODAY)
        meetings.start(uow, actor=chair, meeting_id=board["next"])
    with small.store.read() as s:
        v = meetings.view(s, actor=chair, meeting_id=board["next"])
    assert v.status == "live" and v.current_position == 1
    item = v.items[0]
    with small.store.uow() as uow:
        aid = meetings.add_item_action(uow, actor=small.analyst, item_id=item["id"], data=ActionInput(
            title="HMRC to review turnover", agency_id=small.hmrc, due_on=d(30), strand="Pursue", owner_id=small.analyst.id))
    with small.store.read() as s:
        a = s.session.get(Action, aid)
        assert a.board_id == board["board"]
        it = s.session.get(AgendaItem, item["id"])
        assert "New action: HMRC to review turnover" in it.decision and it.status == "discussed"


def test_tasking_tier_that_calls_for_work_creates_the_linked_action(small: Small, board: dict) -> None:
    chair = board["chair_actor"]
    with small.store.uow() as uow:
        meetings.build_agenda(uow, actor=chair, meeting_id=board["next"], today=TODAY)
    tasking = next(i for i in _items(small, board["next"]) if i.kind == "tasking")
    with pytest.raises(ValidationError, match="name the owner"), small.store.uow() as uow:
        meetings.record_tier(uow, actor=chair, item_id=tasking.id, tier=1)
    with small.store.uow() as uow:
        aid = meetings.record_tier(uow, actor=chair, item_id=tasking.id, tier=1, owner_id=small.analyst.id,
                                   agency_id=small.hmrc, due_on=d(21),
                                   decision="Joint visit with FS and IE")
    with small.store.read() as s:
        a = s.session.get(Action, aid)
        assert (a.tier, a.source, a.owner_id) == (1, "tasking decision", small.analyst.id)
        assert s.session.scalar(select(ActionLink.business_id).where(ActionLink.action_id == aid)) == board["business"]
        tr = s.session.get(TaskingRequest, board["tasking"])
        assert (tr.status, tr.tier, tr.meeting_id) == ("decided", 1, board["next"])
        assert "Tier 1: Full operational" in s.session.get(AgendaItem, tasking.id).decision
    with small.store.uow() as uow:  # tier 4 (monitoring) creates no action
        other = meetings.add_item(uow, actor=chair, meeting_id=board["next"], title="Monitor car wash")
    with small.store.uow() as uow:
        assert meetings.record_tier(uow, actor=chair, item_id=other, tier=4) is None


def test_closing_freezes_the_record_and_carries_what_was_not_discussed(small: Small, board: dict) -> None:
    chair = board["chair_actor"]
    with small.store.uow() as uow:
        meetings.build_agenda(uow, actor=chair, meeting_id=board["next"], today=TODAY)
        meetings.set_attendance(uow, actor=chair, meeting_id=board["next"], present={board["chair"], small.analyst.id})
    items = _items(small, board["next"])
    with small.store.uow() as uow:
        meetings.record_item(uow, actor=chair, item_id=items[0].id, decision="Closed off", status="discussed")
    with small.store.uow() as uow:
        carried = meetings.close(uow, actor=chair, meeting_id=board["next"])
    assert carried == len(items) - 1
    with pytest.raises(ValidationError, match="frozen"), small.store.uow() as uow:
        meetings.record_item(uow, actor=chair, item_id=items[0].id, notes="too late")
    with small.store.read() as s:
        nxt = s.session.scalars(select(Meeting).where(Meeting.board_id == board["board"],
                                                      Meeting.status == "planned")).one()
    with small.store.uow() as uow:
        meetings.build_agenda(uow, actor=chair, meeting_id=nxt.id, today=TODAY)
    titles = [i.title for i in _items(small, nxt.id)]
    assert "Overdue action" in titles and "Closed off" not in titles
    assert any(i.carried_from_id for i in _items(small, nxt.id))
    with small.store.read() as s:
        m = meetings.minutes(s, actor=chair, meeting_id=board["next"])
    assert m.closed_at is not None and len(m.present) == 2 and m.items[0].decision == "Closed off"
    assert {name for name, _ in m.present} == {"Cheryl Chair", "Ana Lyst"}


def test_chair_schedules_meetings_and_sets_members(small: Small, board: dict) -> None:
    chair = board["chair_actor"]
    when = NOON + timedelta(days=90)
    with small.store.uow() as uow:
        mid = meetings.schedule(uow, actor=chair, board_id=board["board"], when=when, location="Council chamber")
    with pytest.raises(ValidationError, match="already meets"), small.store.uow() as uow:
        meetings.schedule(uow, actor=chair, board_id=board["board"], when=when)
    with pytest.raises(Forbidden), small.store.uow() as uow:
        meetings.schedule(uow, actor=small.analyst, board_id=board["board"], when=when + timedelta(days=1))
    with small.store.uow() as uow:
        meetings.set_members(uow, actor=chair, board_id=board["board"], user_ids={board["outsider"].id})
    with small.store.read() as s:
        v = meetings.view(s, actor=chair, meeting_id=mid)
        assert v.where == "Council chamber" and v.status == "planned"
        assert {m["name"] for m in v.members} == {"Cheryl Chair", "Otto Outsider"}
    with small.store.uow() as uow:  # the new member may now record; the old one may not
        item = meetings.add_item(uow, actor=board["outsider"], meeting_id=mid, title="Raised by Otto")
    with pytest.raises(Forbidden), small.store.uow() as uow:
        meetings.record_item(uow, actor=small.analyst, item_id=item, notes="no longer a member")


def test_two_members_recording_on_one_item_never_overwrite_each_other(small: Small, board: dict) -> None:
    chair = board["chair_actor"]
    with small.store.uow() as uow:
        meetings.build_agenda(uow, actor=chair, meeting_id=board["next"], today=TODAY)
    item = _items(small, board["next"])[0]
    blank = {"notes": item.notes, "decision": item.decision}
    with small.store.uow() as uow:
        meetings.record_item(uow, actor=small.analyst, item_id=item.id, decision="HMRC will visit", expected=blank)
    from core.errors import Conflict

    with pytest.raises(Conflict, match="HMRC will visit"), small.store.uow() as uow:
        meetings.record_item(uow, actor=chair, item_id=item.id, decision="Chair's words", expected=blank)
    assert _items(small, board["next"])[0].decision == "HMRC will visit"
    with small.store.uow() as uow:
        meetings.record_item(uow, actor=chair, item_id=item.id, decision="HMRC will visit; chair to write",
                             expected={**blank, "decision": "HMRC will visit"})
    assert _items(small, board["next"])[0].decision == "HMRC will visit; chair to write"


@pytest.mark.parametrize(("days", "said"), [
    (0, None), (10, "scheduled for Monday 14 December 2026, 10 days from now"), (1, "1 day from now"), (-2, "2 days ago")])
def test_starting_on_another_day_is_said_first(days: int, said: str | None) -> None:
    """Issue 17 bug 4: a meeting started 10 days early gave no warning (and its minutes took the scheduled day)."""
    scheduled = datetime(2026, 12, 14, 10, 0, tzinfo=timezone.utc)
    warning = meetings.off_schedule(scheduled, scheduled - timedelta(days=days, hours=1))
    assert warning is None if said is None else said in warning


def test_the_shared_screen_shows_the_action_as_a_card_with_what_changed_since_the_board_last_met(small: Small, board: dict) -> None:
    """Presenter view: owner and agency by name, RAG, due date, milestones with ticks, the latest progress note, and
    only the updates made after the previous meeting closed (an older one is not 'changed since')."""
    chair = board["chair_actor"]
    with small.store.uow() as uow:
        s = uow.session
        later = s.scalars(select(Action).where(Action.title == "Quiet and later")).one()
        s.add(Milestone(action_id=later.id, title="Warrant drafted", due_on=d(10)))
        s.add(ActionUpdate(action_id=later.id, note="Before the last meeting", created_at=NOON - timedelta(days=60)))
        s.add(ActionUpdate(action_id=later.id, author_id=small.analyst.id, note="Premises visited",
                           changes={"status": ["not started", "in progress"]}, created_at=NOON - timedelta(days=2)))
        later.owner_id = small.analyst.id
        uow.commit()
        later_id = later.id
    with small.store.uow() as uow:
        meetings.build_agenda(uow, actor=chair, meeting_id=board["next"], today=TODAY)
        item = uow.session.scalars(select(AgendaItem).where(AgendaItem.meeting_id == board["next"])).first()
        uow.session.add(AgendaItem(meeting_id=board["next"], position=99, kind="item", title="Quiet one", action_id=later_id))
        uow.commit()
    extra = next(i for i in _items(small, board["next"]) if i.title == "Quiet one")
    with small.store.read() as s:
        card = meetings.item_card(s, actor=small.analyst, meeting_id=board["next"], item_id=extra.id, today=TODAY)
        plain = meetings.item_card(s, actor=small.analyst, meeting_id=board["next"], item_id=item.id, today=TODAY)
    a = card["action"]
    assert (a["title"], a["owner"], a["agency"], a["status"], a["due_on"]) == (
        "Quiet and later", "Ana Lyst", "Trading Standards", "in progress", d(120))
    assert a["rag"] == "green" and card["state"] == "to discuss"
    assert [(m["title"], m["done"]) for m in a["milestones"]] == [("done", True), ("Warrant drafted", False)]
    assert a["progress"]["note"] == "Premises visited"
    assert [c["words"] for c in a["changed"]] == ["Ana Lyst: status: not started → in progress; Premises visited"]
    assert plain["title"] and (plain["action"] is None) == (item.action_id is None)
    with pytest.raises(Exception, match="not on meeting"), small.store.read() as s:
        meetings.item_card(s, actor=small.analyst, meeting_id=board["last"], item_id=extra.id)
