"""The visit status table and day rules, case by case (pure: no database)."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from core.visits import status

TODAY = date(2026, 11, 10)
YESTERDAY = datetime(2026, 11, 9, 15, 30, tzinfo=timezone.utc)
EARLIER_TODAY = datetime(2026, 11, 10, 7, 0, tzinfo=timezone.utc)
LATER_TODAY = datetime(2026, 11, 10, 18, 30, tzinfo=timezone.utc)
TOMORROW = datetime(2026, 11, 11, 9, 30, tzinfo=timezone.utc)

TRANSITION_CASES = [
    # (description, current, target, starts_at, expected message fragment or None when allowed)
    ("a future draft is proposed", "draft", "proposed", TOMORROW, None),
    ("a draft cannot skip to confirmed", "draft", "confirmed", TOMORROW, "can move to proposed, cancelled, not confirmed"),
    ("a draft cannot be done", "draft", "done", YESTERDAY, "can move to proposed, cancelled, not done"),
    ("a proposed visit is confirmed", "proposed", "confirmed", TOMORROW, None),
    ("a proposed visit goes back to draft", "proposed", "draft", TOMORROW, None),
    ("a confirmed visit goes back to proposed", "confirmed", "proposed", LATER_TODAY, None),
    ("a confirmed visit is done on its day", "confirmed", "done", EARLIER_TODAY, None),
    ("a confirmed visit later today may be marked done", "confirmed", "done", LATER_TODAY, None),
    ("a confirmed visit is done after its day", "confirmed", "done", YESTERDAY, None),
    ("a confirmed visit is not done before its day", "confirmed", "done", TOMORROW, "it can be marked done on that day"),
    ("done is final", "done", "cancelled", YESTERDAY, "can move to nothing (it is final)"),
    ("a cancelled visit is reinstated", "cancelled", "draft", TOMORROW, None),
    ("a past draft is cancelled", "draft", "cancelled", YESTERDAY, None),
    ("a past confirmed visit is cancelled", "confirmed", "cancelled", YESTERDAY, None),
    ("a past draft cannot be proposed", "draft", "proposed", YESTERDAY,
     "This visit was on 9 Nov 2026; it can no longer be proposed. Cancel it"),
    ("a past proposed visit cannot be confirmed", "proposed", "confirmed", YESTERDAY,
     "it can no longer be confirmed. Cancel it"),
    ("a past confirmed visit cannot go back to proposed", "confirmed", "proposed", YESTERDAY,
     "it can no longer be proposed. Record its outcome if it took place, or cancel it."),
    ("a past cancelled visit is not reinstated", "cancelled", "draft", YESTERDAY,
     "can no longer be made a draft again. Plan a new visit"),
    ("an unknown status", "draft", "postponed", TOMORROW, "Status: choose draft, proposed, confirmed, done, cancelled"),
]


@pytest.mark.parametrize(("description", "current", "target", "starts_at", "expected"), TRANSITION_CASES,
                         ids=[c[0] for c in TRANSITION_CASES])
def test_transitions(description: str, current: str, target: str, starts_at: datetime, expected: str | None) -> None:
    problem = status.transition_problem(current, target, starts_at, TODAY)
    if expected is None:
        assert problem is None, description
    else:
        assert problem is not None and expected in problem, (description, problem)


@pytest.mark.parametrize(("current", "starts_at", "offered"), [
    ("draft", TOMORROW, ("proposed", "cancelled")),
    ("draft", YESTERDAY, ("cancelled",)),
    ("proposed", YESTERDAY, ("cancelled",)),
    ("confirmed", TOMORROW, ("proposed", "cancelled")),
    ("confirmed", EARLIER_TODAY, ("done", "proposed", "cancelled")),
    ("confirmed", YESTERDAY, ("done", "cancelled")),
    ("cancelled", YESTERDAY, ()),
    ("done", YESTERDAY, ()),
])
def test_next_statuses_offer_only_what_the_day_allows(current: str, starts_at: datetime, offered: tuple[str, ...]) -> None:
    assert status.next_statuses(current, starts_at, TODAY) == offered


@pytest.mark.parametrize(("current", "starts_at", "expected"), [
    ("confirmed", YESTERDAY, None),
    ("confirmed", EARLIER_TODAY, None),
    ("confirmed", LATER_TODAY, None),
    ("done", YESTERDAY, None),
    ("confirmed", TOMORROW, "has not happened yet (it is on 11 Nov 2026)"),
    ("proposed", YESTERDAY, "still proposed: only a confirmed visit has an outcome"),
    ("draft", EARLIER_TODAY, "still draft"),
    ("cancelled", YESTERDAY, "cancelled; there is no outcome"),
])
def test_outcomes_need_a_confirmed_visit_whose_day_has_come(current: str, starts_at: datetime, expected: str | None) -> None:
    problem = status.outcome_problem(current, starts_at, TODAY)
    assert problem is None if expected is None else expected in (problem or "")


@pytest.mark.parametrize(("check", "current", "starts_at", "expected"), [
    (status.answer_problem, "proposed", LATER_TODAY, None),
    (status.answer_problem, "proposed", EARLIER_TODAY, None),
    (status.answer_problem, "proposed", YESTERDAY, "it can no longer be answered"),
    (status.answer_problem, "done", YESTERDAY, "is done; there is nothing to answer"),
    (status.join_problem, "confirmed", TOMORROW, None),
    (status.join_problem, "confirmed", YESTERDAY, "it can no longer be joined. Record its outcome"),
    (status.join_problem, "cancelled", TOMORROW, "plan a new visit instead"),
])
def test_answers_and_joins_stop_when_the_day_has_passed(check, current: str, starts_at: datetime,  # noqa: ANN001
                                                        expected: str | None) -> None:
    problem = check(current, starts_at, TODAY)
    assert problem is None if expected is None else expected in (problem or "")


@pytest.mark.parametrize(("starts_at", "current", "was_at", "expected"), [
    (TOMORROW, None, None, None),
    (EARLIER_TODAY, None, None, None),
    (YESTERDAY, None, None, "When: 9 Nov 2026 has passed; plan the visit for today or a later day"),
    (TOMORROW, "proposed", TOMORROW, None),
    (TOMORROW, "proposed", YESTERDAY, "This visit was on 9 Nov 2026; it can no longer be changed"),
    (YESTERDAY, "draft", TOMORROW, "When: 9 Nov 2026 has passed"),
    (TOMORROW, "done", YESTERDAY, "This visit is done; its plan can no longer change"),
    (TOMORROW, "cancelled", TOMORROW, "This visit is cancelled; reinstate it as a draft"),
])
def test_plans_are_for_today_or_later(starts_at: datetime, current: str | None, was_at: datetime | None,
                                      expected: str | None) -> None:
    problem = status.plan_problem(starts_at, TODAY, status=current, was_at=was_at)
    assert problem is None if expected is None else expected in (problem or "")


def test_every_status_has_a_row_and_every_target_is_a_status() -> None:
    assert set(status.TRANSITIONS) == set(status.STATUSES)
    assert all(t in status.STATUSES for targets in status.TRANSITIONS.values() for t in targets)
    assert status.visit_day(datetime(2026, 11, 10, 23, 30, tzinfo=timezone.utc)) == TODAY
