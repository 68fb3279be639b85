"""Weeks of action on both databases: create, pick premises, plan in bulk over the days, summary."""
from __future__ import annotations

from datetime import date, time

import pytest
from sqlalchemy import func, select

from core.domain import Role
from core.errors import Forbidden, NotFound, ValidationError
from core.permissions import Actor
from core.services import operations
from core.services.operations import OperationInput
from core.store.models import AuditEvent, Visit, VisitAgency
from core.visits.outcome import validate
from tests.store.conftest import Small
from tests.store.outcome_data import add_business, add_user, add_visit, third_agency

MONDAY = date(2031, 3, 3)


@pytest.fixture
def coordinator(small: Small) -> Actor:
    return add_user(small.store, "cora", Role.COORDINATOR, small.ts)


def _operation(small: Small, actor: Actor, days: int = 4) -> int:
    with small.store.uow() as uow:
        return operations.create_operation(uow, actor=actor,
                                           data=OperationInput("Operation Test", MONDAY, date(2031, 3, 3 + days),
                                                               actor.id))


def test_create_checks_role_and_dates(small: Small, coordinator: Actor, officer: Actor) -> None:
    with small.store.uow() as uow, pytest.raises(Forbidden):
        operations.create_operation(uow, actor=officer, data=OperationInput("Op", MONDAY, MONDAY))
    with small.store.uow() as uow, pytest.raises(ValidationError, match="before the first day"):
        operations.create_operation(uow, actor=coordinator, data=OperationInput("Op", MONDAY, date(2031, 3, 1)))
    with small.store.uow() as uow, pytest.raises(ValidationError, match="Name"):
        operations.create_operation(uow, actor=coordinator, data=OperationInput("  ", MONDAY, MONDAY))
    op_id = _operation(small, coordinator)
    with small.store.read() as s:
        ops = operations.list_operations(s, actor=officer)
        assert list(ops["Operation"]) == ["Operation Test"] and list(ops["Visits"]) == [0]
        assert s.session.scalar(select(AuditEvent.action).where(AuditEvent.entity == "operation")) == "operation.create"
    assert op_id


def test_candidates_are_held_by_two_agencies_the_actor_may_know_of(small: Small, coordinator: Actor) -> None:
    fs = third_agency(small)
    both = add_business(small.store, "Both", {small.ts: "full", small.hmrc: "full"})
    add_business(small.store, "Only TS", {small.ts: "full"})
    # HMRC's owner-only dataset is invisible to a TS coordinator, so this counts as one agency for them.
    hidden = add_business(small.store, "Hidden", {small.ts: "full", small.hmrc: "owner-only"})
    own = add_business(small.store, "Own", {small.hmrc: "full", small.ts: "owner-only"})
    three = add_business(small.store, "Three", {small.ts: "full", small.hmrc: "interest-only", fs: "full"})
    with small.store.read() as s:
        pool = operations.candidates(s, actor=coordinator)
    assert list(pool["business_id"]) == [three, both, own]
    assert hidden not in set(pool["business_id"])
    assert pool.set_index("business_id").loc[three, "Held by"] == "FS, HMRC, TS"


def test_bulk_plan_spreads_draft_visits_over_the_weekdays(small: Small, coordinator: Actor, officer: Actor) -> None:
    fs = third_agency(small)
    op_id = _operation(small, coordinator, days=6)  # Monday to Sunday: visits on the five weekdays
    ids = [add_business(small.store, f"Shop {i}", {small.ts: "full", fs: "full", small.hmrc: "full"}) for i in range(7)]
    with small.store.uow() as uow:
        result = operations.plan_operation_visits(uow, actor=coordinator, operation_id=op_id, business_ids=ids)
    assert len(result.visit_ids) == 7 and not result.skipped
    with small.store.read() as s:
        visits = s.session.scalars(select(Visit).where(Visit.operation_id == op_id).order_by(Visit.starts_at)).all()
        teams = {v.id: {a.agency_id for a in v.agencies} for v in visits}
        leads = {v.lead_agency_id for v in visits}
    assert {v.status for v in visits} == {"draft"}
    assert [(v.starts_at.date().isoformat(), v.starts_at.time()) for v in visits] == [
        ("2031-03-03", time(9, 30)), ("2031-03-03", time(11, 0)), ("2031-03-04", time(9, 30)), ("2031-03-04", time(11, 0)),
        ("2031-03-05", time(9, 30)), ("2031-03-06", time(9, 30)), ("2031-03-07", time(9, 30))]
    assert all(team == {small.ts, small.hmrc, fs} for team in teams.values())
    assert leads == {fs}, "the agency that enters without a warrant leads"
    assert all("Food Safety leads: enters without a warrant" in v.entry_route for v in visits)

    # Planning the same premises again skips them; more than the slots hold is refused.
    with small.store.uow() as uow:
        again = operations.plan_operation_visits(uow, actor=coordinator, operation_id=op_id, business_ids=ids[:2])
    assert again.visit_ids == [] and len(again.skipped) == 2
    many = [add_business(small.store, f"More {i}", {small.ts: "full"}) for i in range(14)]
    with small.store.uow() as uow, pytest.raises(ValidationError, match="Too many premises"):
        operations.plan_operation_visits(uow, actor=coordinator, operation_id=op_id, business_ids=many)
    with small.store.uow() as uow, pytest.raises(Forbidden):
        operations.plan_operation_visits(uow, actor=officer, operation_id=op_id, business_ids=many[:1])


def test_a_business_the_planner_may_not_read_is_refused_without_being_named(small: Small, coordinator: Actor) -> None:
    """Nobody the planner can see holds these (no records; HMRC's owner-only data): the whole plan is refused, the
    message gives ids only (a name would tell Trading Standards what HMRC keeps to itself), nothing is written."""
    op_id = _operation(small, coordinator)
    orphan = add_business(small.store, "Orphan")
    secret = add_business(small.store, "Secret", {small.hmrc: "owner-only"})
    open_ = add_business(small.store, "Open", {small.ts: "full"})
    with small.store.uow() as uow, pytest.raises(NotFound) as refused:
        operations.plan_operation_visits(uow, actor=coordinator, operation_id=op_id,
                                         business_ids=[open_, orphan, secret])
    assert "Secret" not in str(refused.value) and str(secret) in str(refused.value)
    with small.store.read() as s:
        assert s.session.scalar(select(func.count()).select_from(Visit)) == 0


def test_summary_counts_and_follow_up(small: Small, coordinator: Actor, officer: Actor) -> None:
    op_id = _operation(small, coordinator)
    ids = [add_business(small.store, f"Shop {i}", {small.ts: "full", small.hmrc: "full"}) for i in range(3)]
    with small.store.uow() as uow:
        plan = operations.plan_operation_visits(uow, actor=coordinator, operation_id=op_id, business_ids=ids)
    with small.store.uow() as uow:
        visit = uow.session.get(Visit, plan.visit_ids[0])
        visit.status = "cancelled"
        part = uow.session.scalar(select(VisitAgency).where(VisitAgency.visit_id == plan.visit_ids[1],
                                                            VisitAgency.agency_id == small.hmrc))
        part.response = "declined"
        uow.commit()
    # History: TS served 2 notices and made 1 arrest on each of five visits.
    for _ in range(5):
        add_visit(small.store, None, {small.ts: 1}, days=-50, status="done",
                  outcomes={small.ts: validate({"improvement_notices": 2, "arrests": 1})})
    with small.store.read() as s:
        summary = operations.operation_summary(s, actor=officer, operation_id=op_id)
    assert summary.by_status["draft"] == 2 and summary.by_status["cancelled"] == 1
    agencies = summary.agencies.set_index("Agency")
    assert agencies.loc["Trading Standards", "Visits"] == 2
    assert agencies.loc["HM Revenue and Customs", "Visits"] == 1
    assert agencies.loc["HM Revenue and Customs", "Declined"] == 1
    follow = summary.follow_up.set_index("Agency")
    assert follow.loc["Trading Standards", "Notices to follow up"] == 4.0
    assert follow.loc["Trading Standards", "Interviews"] == 2.0
    assert follow.loc["Trading Standards", "Prosecution files"] == 0.5
    assert "its history (5" in follow.loc["Trading Standards", "Based on"]
    # HMRC has no history of its own: it borrows that of its kind (both are "local" in this small partnership).
    assert follow.loc["HM Revenue and Customs", "Based on"].startswith("history of local agencies")
    assert len(summary.visits) == 3
