"""Premises withheld on both databases: a viewer whose agency is not on a visit and who may not read its
business (known to them only through another agency's owner-only or interest-only data) sees
"Visit by <lead> — premises withheld" everywhere, and cannot open the visit or its briefing."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

import pytest
from core.domain import Role
from core.errors import Forbidden
from core.permissions import Actor
from core.services import meetings, operations, outcomes, visits
from core.services.operations import OperationInput
from core.services.visits import TeamMember, VisitPlan
from core.store.models import Board, Meeting, Visit, WarningMarker
from core.visits.exports import agency_calendar, briefing, person_calendar
from core.visits.outcome import validate
from tests.store.conftest import Small
from tests.store.outcome_data import add_business, add_user, add_visit

LABEL = "Visit by HM Revenue and Customs — premises withheld"
# How Trading Standards sees the fully shared business: from the record it may read, not the planner's words.
SHARED_VIEW = "Open Kebabs, 1 Open Kebabs Street, KM1 1AA"


@dataclass
class World:
    small: Small
    ts_officer: Actor
    ts_coord: Actor
    hmrc_coord: Actor
    secret: int  # business HMRC holds owner-only: TS may not read it
    interest: int  # business HMRC holds interest-only: TS may not read it
    shared: int  # business HMRC holds fully shared
    hidden_visit: int  # HMRC's visit to the secret business
    interest_visit: int
    shared_visit: int
    joint_visit: int  # TS on the team of a visit to the secret business
    typed_visit: int  # premises typed, no business


@pytest.fixture
def world(small: Small, officer: Actor) -> World:
    ts_coord = add_user(small.store, "cora", Role.COORDINATOR, small.ts)
    hmrc_coord = add_user(small.store, "hank", Role.COORDINATOR, small.hmrc)
    secret = add_business(small.store, "Secret Nails", {small.hmrc: "owner-only"})
    interest = add_business(small.store, "Quiet Car Wash", {small.hmrc: "interest-only"})
    shared = add_business(small.store, "Open Kebabs", {small.hmrc: "full"})
    hidden = add_visit(small.store, secret, {small.hmrc: 2}, days=3, lead=small.hmrc)
    interest_visit = add_visit(small.store, interest, {small.hmrc: 1}, days=4, lead=small.hmrc)
    shared_visit = add_visit(small.store, shared, {small.hmrc: 1}, days=5, lead=small.hmrc)
    joint = add_visit(small.store, secret, {small.hmrc: 1, small.ts: 1}, days=20, lead=small.hmrc, officers=(officer.id,))
    typed = add_visit(small.store, None, {small.hmrc: 1}, days=6, lead=small.hmrc)
    with small.store.uow() as uow:
        for vid, name in ((hidden, "Secret Nails, 1 Secret Nails Street"), (interest_visit, "Quiet Car Wash, 1 Quiet St"),
                          (shared_visit, "Open Kebabs, 1 Open St"), (joint, "Secret Nails, 1 Secret Nails Street"),
                          (typed, "Typed Premises, 9 High St")):
            uow.session.get(Visit, vid).premises_text = name
        uow.commit()
    return World(small, officer, ts_coord, hmrc_coord, secret, interest, shared, hidden, interest_visit, shared_visit,
                 joint, typed)


def _calendar(w: World, actor: Actor) -> dict[int, dict]:
    today = datetime.now(timezone.utc).date()
    with w.small.store.read() as s:
        return {r["id"]: r for r in visits.calendar(s, actor=actor, start=today, end=today + timedelta(days=30))}


@pytest.mark.parametrize("who", ["ts_officer", "ts_coord", "admin"])
def test_a_viewer_of_another_agency_sees_the_withheld_label(world: World, who: str) -> None:
    actor = world.small.admin if who == "admin" else getattr(world, who)  # the admin is Trading Standards too
    rows = _calendar(world, actor)
    for vid in (world.hidden_visit, world.interest_visit):
        assert rows[vid]["premises"] == LABEL and rows[vid]["withheld"] is True
        assert rows[vid]["lead"] == "HMRC", "the lead agency is still shown"
    assert rows[world.shared_visit]["premises"] == SHARED_VIEW and not rows[world.shared_visit]["withheld"]
    assert rows[world.joint_visit]["premises"].startswith("Secret Nails"), "an agency on the visit knows where it goes"
    assert rows[world.typed_visit]["premises"] == "Typed Premises, 9 High St"


@pytest.mark.parametrize("who", ["analyst", "hmrc_coord"])
def test_the_lead_agency_sees_its_premises(world: World, who: str) -> None:
    actor = world.small.analyst if who == "analyst" else world.hmrc_coord
    rows = _calendar(world, actor)
    assert rows[world.hidden_visit]["premises"].startswith("Secret Nails")
    assert rows[world.interest_visit]["premises"].startswith("Quiet Car Wash")
    assert not any(r["withheld"] for r in rows.values())
    with world.small.store.read() as s:
        assert visits.visit_detail(s, actor=actor, visit_id=world.hidden_visit)["premises"].startswith("Secret Nails")
        assert briefing(s, actor=actor, visit_id=world.hidden_visit).premises.startswith("Secret Nails")


def test_detail_and_briefing_are_refused_with_a_clear_message(world: World) -> None:
    with world.small.store.read() as s:
        for read in (visits.visit_detail, briefing):
            with pytest.raises(Forbidden, match=r"premises and plan are withheld from Trading Standards\. Contact the "
                                                r"lead agency \(HM Revenue and Customs\)"):
                read(s, actor=world.ts_officer, visit_id=world.hidden_visit)
        assert visits.visit_detail(s, actor=world.ts_officer,
                                   visit_id=world.joint_visit)["premises"].startswith("Secret Nails")
        assert visits.visit_detail(s, actor=world.ts_officer, visit_id=world.shared_visit)["premises"] == SHARED_VIEW


def test_calendar_feeds_show_only_the_label(world: World) -> None:
    with world.small.store.read() as s:
        hmrc_feed = agency_calendar(s, actor=world.ts_officer, agency_id=world.small.hmrc).replace("\r\n ", "")
        own_feed = agency_calendar(s, actor=world.small.analyst, agency_id=world.small.hmrc).replace("\r\n ", "")
        mine = person_calendar(s, actor=world.ts_officer, user_id=world.ts_officer.id).replace("\r\n ", "")
    events = {e.split("UID:")[1].split("@")[0]: e for e in hmrc_feed.split("BEGIN:VEVENT")[1:]}
    hidden = events[f"visit-{world.hidden_visit}"]
    assert f"SUMMARY:Joint visit: {LABEL}" in hidden and "Secret Nails" not in hidden
    assert "Quiet Car Wash" not in events[f"visit-{world.interest_visit}"]
    assert "Secret Nails" in events[f"visit-{world.joint_visit}"]
    assert "Secret Nails" in own_feed and "Quiet Car Wash" in own_feed and LABEL not in own_feed
    assert "Secret Nails" in mine, "the officer named on the joint visit gets its premises"


def test_results_and_operation_summary_hide_the_premises(world: World) -> None:
    small = world.small
    done = add_visit(small.store, world.secret, {small.hmrc: 1}, days=-2, status="done", lead=small.hmrc,
                     outcomes={small.hmrc: validate({"penalties": 1})})
    with small.store.uow() as uow:
        op_id = operations.create_operation(uow, actor=world.hmrc_coord, data=OperationInput(
            "Operation Quiet", date.today(), date.today() + timedelta(days=10), world.hmrc_coord.id))
    with small.store.uow() as uow:
        uow.session.get(Visit, world.hidden_visit).operation_id = op_id
        uow.session.get(Visit, world.shared_visit).operation_id = op_id
        uow.commit()
    with small.store.read() as s:
        theirs = outcomes.results(s, actor=world.ts_officer)
        ours = outcomes.results(s, actor=small.analyst)
        summary = operations.operation_summary(s, actor=world.ts_officer, operation_id=op_id)
        lead_summary = operations.operation_summary(s, actor=world.hmrc_coord, operation_id=op_id)
    assert theirs.findings.set_index("visit_id").loc[done, "Premises"] == LABEL
    assert theirs.officers.set_index("visit_id").loc[done, "Premises"] == LABEL
    assert ours.findings.set_index("visit_id").loc[done, "Premises"] == "Premises %d" % world.secret
    table = summary.visits.set_index("visit_id")["Premises"]
    assert table[world.hidden_visit] == LABEL and table[world.shared_visit] == SHARED_VIEW
    assert lead_summary.visits.set_index("visit_id")["Premises"][world.hidden_visit].startswith("Secret Nails")


def test_a_clash_with_a_withheld_visit_fires_but_names_only_the_lead(world: World) -> None:
    with world.small.store.read() as s:
        start = s.session.get(Visit, world.hidden_visit).starts_at
    plan = VisitPlan(start + timedelta(days=1), start + timedelta(days=1, hours=1), [TeamMember(world.small.ts)],
                     world.small.ts, None, "Secret Nails, 1 Secret Nails Street")
    with world.small.store.read() as s:
        found = visits.clashes(s, actor=world.ts_coord, plan=plan)
        lead_view = visits.clashes(s, actor=world.hmrc_coord, plan=plan)
    clash = next(c for c in found if c.visit_id == world.hidden_visit)
    assert clash.kind == "same premises" and LABEL in clash.message
    assert "Secret Nails" not in clash.message.replace(LABEL, "")
    assert "Secret Nails" in next(c for c in lead_view if c.visit_id == world.hidden_visit).message
    with world.small.store.uow() as uow, pytest.raises(Forbidden, match="Contact the lead agency"):
        visits.merge_into(uow, actor=world.ts_coord, target_id=world.hidden_visit, team=[TeamMember(world.small.ts)])
    with world.small.store.read() as s:
        assert {va.agency_id for va in s.session.get(Visit, world.hidden_visit).agencies} == {world.small.hmrc}, \
            "joining would have revealed the premises"


def test_markers_need_a_business_the_viewer_may_read_or_a_place_on_its_visit(world: World) -> None:
    small = world.small
    with small.store.uow() as uow:
        mid = visits.add_marker(uow, actor=small.analyst, category="dogs", details="Two dogs behind the counter",
                                business_id=world.secret)
    outsider = add_user(small.store, "fred", Role.OFFICER, small.ts)
    with small.store.uow() as uow:  # TS leaves the joint visit: now no TS part anywhere at the secret business
        v = uow.session.get(Visit, world.joint_visit)
        v.agencies = [va for va in v.agencies if va.agency_id != small.ts]
        uow.commit()
    with small.store.read() as s:
        assert visits.markers_for(s, actor=outsider, business_id=world.secret) == []
        assert [m["id"] for m in visits.markers_for(s, actor=small.analyst, business_id=world.secret)] == [mid]
    add_visit(small.store, world.secret, {small.hmrc: 1, small.ts: 1}, days=25, lead=small.hmrc)
    with small.store.read() as s:
        assert [m["id"] for m in visits.markers_for(s, actor=outsider, business_id=world.secret)] == [mid], \
            "a team member always gets the safety warnings"
        assert s.session.get(WarningMarker, mid).active


def test_officers_to_name_are_listed_for_planners_only(world: World) -> None:
    with world.small.store.read() as s:
        with pytest.raises(Forbidden, match="plan, change and cancel joint visits"):
            visits.officers_for(s, actor=world.ts_officer, agency_ids=[world.small.ts])
        people = visits.officers_for(s, actor=world.ts_coord, agency_ids=[world.small.ts])
    assert {p["label"] for p in people} >= {"Olly Officer (TS)", "Cora (TS)"}


def test_the_agenda_names_only_premises_every_board_member_may_know(world: World) -> None:
    small = world.small
    add_visit(small.store, world.secret, {small.hmrc: 1}, days=-2, status="done", lead=small.hmrc,
              outcomes={small.hmrc: validate({})})
    add_visit(small.store, world.shared, {small.hmrc: 1}, days=-3, status="done", lead=small.hmrc,
              outcomes={small.hmrc: validate({})})
    with small.store.uow() as uow:
        board = Board(name="Tasking", kind="tasking")
        uow.session.add(board)
        uow.flush()
        meeting = Meeting(board_id=board.id, scheduled_at=datetime.now(timezone.utc) + timedelta(days=1))
        uow.session.add(meeting)
        uow.commit()
    with small.store.read() as s:
        items = meetings.proposed_items(s.session, s.session.get(Meeting, meeting.id), date.today())
    done = next(i for i in items if i["kind"] == "visits done")
    assert "Visits done since the last meeting: 2" == done["title"]
    assert LABEL in done["notes"] and "Secret Nails" not in done["notes"]
    assert "Open Kebabs" in done["notes"]


def test_the_calendars_clash_marks_never_place_a_withheld_visit(world: World) -> None:
    """A second visit to the secret business near the hidden one: the grid shows Trading Standards no clash on the
    withheld visits (that would say they are at the same premises), and the owner's coordinator sees both marked."""
    small = world.small
    again = add_visit(small.store, world.secret, {small.hmrc: 1}, days=5, lead=small.hmrc)
    start, end = date.today(), date.today() + timedelta(days=30)
    with small.store.read() as s:
        ts = {r["id"]: r for r in visits.calendar(s, actor=world.ts_officer, start=start, end=end)}
        hmrc = {r["id"]: r for r in visits.calendar(s, actor=world.hmrc_coord, start=start, end=end)}
    assert ts[world.hidden_visit]["withheld"] and ts[world.hidden_visit]["clashes"] == []
    assert ts[again]["withheld"] and ts[again]["clashes"] == []
    assert all("Secret Nails" not in m for r in ts.values() for m in r["clashes"])
    assert hmrc[world.hidden_visit]["clashes"] and hmrc[again]["clashes"]
