"""The day rules on both databases: once a visit's day has passed it cannot be planned, proposed, confirmed,
joined or answered; outcomes need a confirmed visit whose day has come; weeks of action plan only
the days still to come."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

import pytest
from sqlalchemy import select

from core.domain import Role
from core.errors import ValidationError
from core.permissions import Actor
from core.services import operations, outcomes, referrals, visits
from core.services.operations import OperationInput
from core.services.visits import TeamMember, VisitPlan
from core.store.models import AuditEvent, Visit
from tests.store.conftest import Small
from tests.store.outcome_data import add_business, add_user, add_visit
from tests.store.test_referrals import _recipient, _send, people  # noqa: F401 (a fixture)


def _today() -> date:
    return datetime.now(timezone.utc).date()


def _version(small: Small, vid: int) -> int:
    with small.store.read() as s:
        return s.session.get(Visit, vid).version


def _status(small: Small, vid: int) -> str:
    with small.store.read() as s:
        return s.session.get(Visit, vid).status


def _plan(small: Small, day: date) -> VisitPlan:
    start = datetime.combine(day, time(23, 0), timezone.utc)
    return VisitPlan(start, start + timedelta(minutes=45), [TeamMember(small.ts)], small.ts, None, "Typed Premises, 9 High St")


def test_a_visit_is_planned_for_today_or_later_never_for_a_past_day(small: Small) -> None:
    yesterday = _today() - timedelta(days=1)
    with small.store.uow() as uow, pytest.raises(ValidationError, match=f"When: {yesterday.day} {yesterday:%b %Y} has passed"):
        visits.plan_visit(uow, actor=small.admin, plan=_plan(small, yesterday))
    with small.store.uow() as uow:
        vid = visits.plan_visit(uow, actor=small.admin, plan=_plan(small, _today()))
    assert _status(small, vid) == "draft"
    with small.store.read() as s:
        assert s.session.scalar(select(AuditEvent.action).where(AuditEvent.entity_id == str(vid))) == "visit.plan"


def test_a_past_visit_can_no_longer_be_changed(small: Small) -> None:
    past = add_visit(small.store, None, {small.ts: 1}, days=-2, status="proposed")
    with small.store.read() as s:
        plan = visits.visit_detail(s, actor=small.admin, visit_id=past)["plan"]
    moved = VisitPlan(plan.starts_at + timedelta(days=5), plan.ends_at + timedelta(days=5), plan.team, plan.lead_agency_id,
                      None, "Premises None")
    with small.store.uow() as uow, pytest.raises(ValidationError, match="it can no longer be changed. Cancel it"):
        visits.plan_visit(uow, actor=small.admin, plan=moved, visit_id=past, base_version=_version(small, past))


@pytest.mark.parametrize(("status", "target", "message"), [
    ("draft", "proposed", "can no longer be proposed. Cancel it"),
    ("proposed", "confirmed", "can no longer be confirmed. Cancel it"),
    ("confirmed", "proposed", "can no longer be proposed. Record its outcome if it took place, or cancel it."),
])
def test_a_past_visit_is_not_proposed_or_confirmed(small: Small, status: str, target: str, message: str) -> None:
    vid = add_visit(small.store, None, {small.ts: 1}, days=-3, status=status)
    when = (datetime.now(timezone.utc) - timedelta(days=3)).date()
    with small.store.uow() as uow, pytest.raises(ValidationError, match=f"This visit was on {when.day} {when:%b %Y}; it {message}"):
        visits.set_status(uow, actor=small.admin, visit_id=vid, status=target, base_version=_version(small, vid),
                          reason="all agreed")
    assert _status(small, vid) == status
    with small.store.read() as s:
        assert visits.visit_detail(s, actor=small.admin,
                                   visit_id=vid)["next"] == (["done", "cancelled"] if status == "confirmed"
                                                                     else ["cancelled"])
    with small.store.uow() as uow:
        visits.set_status(uow, actor=small.admin, visit_id=vid, status="cancelled", base_version=_version(small, vid),
                          reason="did not happen")
    assert _status(small, vid) == "cancelled"


def test_done_only_once_the_day_has_come(small: Small) -> None:
    future = add_visit(small.store, None, {small.ts: 1}, days=2)
    with small.store.uow() as uow, pytest.raises(ValidationError, match="it can be marked done on that day or afterwards"):
        visits.set_status(uow, actor=small.admin, visit_id=future, status="done", base_version=_version(small, future))
    past = add_visit(small.store, None, {small.ts: 1}, days=-1)
    with small.store.uow() as uow:
        visits.set_status(uow, actor=small.admin, visit_id=past, status="done", base_version=_version(small, past))
    assert _status(small, past) == "done"


def test_a_past_visit_is_not_answered_or_joined(small: Small) -> None:
    past = add_visit(small.store, None, {small.ts: 1, small.hmrc: 1}, days=-2, status="proposed")
    soon = add_visit(small.store, None, {small.ts: 1, small.hmrc: 1}, days=1, status="proposed")
    with small.store.uow() as uow, pytest.raises(ValidationError, match="can no longer be answered"):
        visits.respond(uow, actor=small.analyst, visit_id=past, answer="declined", note="too late")
    with small.store.uow() as uow, pytest.raises(ValidationError, match="can no longer be joined"):
        visits.merge_into(uow, actor=small.admin, target_id=past, team=[TeamMember(small.hmrc)], from_visit_id=soon)
    assert _status(small, soon) == "proposed", "the refused join cancelled nothing"
    with small.store.read() as s:
        assert visits.visit_detail(s, actor=small.analyst, visit_id=past)["can_respond"] is False
        assert visits.visit_detail(s, actor=small.analyst, visit_id=soon)["can_respond"] is True
    with small.store.uow() as uow:
        visits.respond(uow, actor=small.analyst, visit_id=soon, answer="declined", note="crew elsewhere")


def test_outcomes_only_on_confirmed_visits_whose_day_has_come(small: Small, officer: Actor) -> None:
    biz = add_business(small.store, "Kebab House")
    proposed = add_visit(small.store, biz, {small.ts: 1}, days=-2, status="proposed")
    draft = add_visit(small.store, biz, {small.ts: 1}, days=-3, status="draft")
    later_today = datetime.combine(_today(), time(23, 59), timezone.utc)
    today = add_visit(small.store, biz, {small.ts: 1}, days=(later_today - datetime.now(timezone.utc)).total_seconds() / 86400)
    tomorrow = add_visit(small.store, biz, {small.ts: 1}, days=1.5)
    for vid, message in ((proposed, "still proposed: only a confirmed visit has an outcome"), (draft, "still draft"),
                         (tomorrow, "has not happened yet")):
        with small.store.uow() as uow, pytest.raises(ValidationError, match=message):
            outcomes.record_outcome(uow, actor=officer, visit_id=vid, data={"advice": True})
    with small.store.read() as s:
        assert list(outcomes.awaiting_outcome(s, actor=officer)["visit_id"]) == [today], \
            "only visits whose outcome can be recorded are waiting for one"
    with small.store.uow() as uow:
        outcomes.record_outcome(uow, actor=officer, visit_id=today, data={"advice": True})
    assert _status(small, today) == "done" and _status(small, proposed) == "proposed"


@pytest.fixture
def coordinator(small: Small) -> Actor:
    return add_user(small.store, "cora", Role.COORDINATOR, small.ts)


def test_a_week_of_action_plans_only_the_days_still_to_come(small: Small, coordinator: Actor) -> None:
    today = _today()
    with small.store.uow() as uow:
        op_id = operations.create_operation(uow, actor=coordinator, data=OperationInput(
            "Operation Halfway", today - timedelta(days=6), today + timedelta(days=7), coordinator.id))
    ids = [add_business(small.store, f"Shop {i}", {small.ts: "full"}) for i in range(6)]
    with small.store.uow() as uow:
        planned = operations.plan_operation_visits(uow, actor=coordinator, operation_id=op_id, business_ids=ids)
    with small.store.read() as s:
        days = [v.starts_at.date() for v in s.session.scalars(select(Visit).where(Visit.id.in_(planned.visit_ids)))]
    assert len(days) == 6 and min(days) >= today and all(d.weekday() < 5 for d in days)
    assert len(set(days)) == min(6, len([d for d in (today + timedelta(days=i) for i in range(8)) if d.weekday() < 5]))


def test_a_week_of_action_that_is_over_plans_nothing(small: Small, coordinator: Actor) -> None:
    today = _today()
    with small.store.uow() as uow:
        op_id = operations.create_operation(uow, actor=coordinator, data=OperationInput(
            "Operation Over", today - timedelta(days=9), today - timedelta(days=5), coordinator.id))
    biz = add_business(small.store, "Shop", {small.ts: "full"})
    last = today - timedelta(days=5)
    with small.store.uow() as uow, pytest.raises(
            ValidationError, match=f"Operation Over ended on {last.day} {last:%b %Y}; no days are left to plan visits on"):
        operations.plan_operation_visits(uow, actor=coordinator, operation_id=op_id, business_ids=[biz])
    with small.store.read() as s:
        assert s.session.scalar(select(Visit.id).where(Visit.operation_id == op_id)) is None


def test_a_referral_tasks_a_visit_only_for_today_or_later(small: Small, people: dict) -> None:
    rec = _recipient(small, _send(small, people["ts.officer"]))
    last_week = datetime.now(timezone.utc) - timedelta(days=7)
    with small.store.uow() as uow, pytest.raises(ValidationError, match="Visit: .* has passed; plan the visit for today"):
        referrals.decide(uow, actor=small.analyst, recipient_id=rec, decision="task a visit", visit_on=last_week)
    with small.store.read() as s:
        assert s.session.scalar(select(Visit.id)) is None, "nothing was planned"
