"""Where a joint visit may go next, and what its day allows: pure rules, no database.

A visit moves draft -> proposed -> confirmed -> done. Any visit not yet done may be cancelled, and a
cancelled one reinstated as a draft; a proposed visit may go back to draft, a confirmed one back to
proposed (a partner changed its mind). Done is final.

Days are UTC dates, as every visit time in the hub. Once a visit's day has passed, nobody can be
asked any more: it can no longer be planned, proposed, confirmed, joined or answered; what is left
is to record its outcome (confirmed visits) or cancel it. An outcome is recorded only on a confirmed
or done visit whose day has come (a visit later today counts: officers record on the day).
"""
from __future__ import annotations

from datetime import date, datetime, timezone

from core.domain import VisitStatus

DRAFT, PROPOSED, CONFIRMED, DONE, CANCELLED = (s.value for s in VisitStatus)
STATUSES: tuple[str, ...] = (DRAFT, PROPOSED, CONFIRMED, DONE, CANCELLED)
TRANSITIONS: dict[str, tuple[str, ...]] = {
    DRAFT: (PROPOSED, CANCELLED),
    PROPOSED: (CONFIRMED, DRAFT, CANCELLED),
    CONFIRMED: (DONE, PROPOSED, CANCELLED),
    DONE: (),
    CANCELLED: (DRAFT,),
}
# Statuses in which partners are still being asked: the plan may change, agencies answer or join.
OPEN: tuple[str, ...] = (DRAFT, PROPOSED, CONFIRMED)
# Statuses in which a visit can have an outcome.
WITH_OUTCOME: tuple[str, ...] = (CONFIRMED, DONE)


def today(now: datetime | None = None) -> date:
    """Today's date in UTC (the hub's one time zone for visits)."""
    return (now or datetime.now(timezone.utc)).astimezone(timezone.utc).date()


def visit_day(starts_at: datetime) -> date:
    """The UTC date a visit takes place on."""
    return starts_at.astimezone(timezone.utc).date() if starts_at.tzinfo else starts_at.date()


def day_label(day: date) -> str:
    """'3 Nov 2026': how messages name a day."""
    return f"{day.day} {day:%b %Y}"


def has_passed(starts_at: datetime, on: date) -> bool:
    """True when the visit's day is before `on` (a visit earlier today has not passed)."""
    return visit_day(starts_at) < on


def has_come(starts_at: datetime, on: date) -> bool:
    """True when the visit's day is `on` or earlier."""
    return visit_day(starts_at) <= on


def passed_problem(status: str, starts_at: datetime, doing: str) -> str:
    """The message for something no longer possible because the visit's day has passed."""
    if status in WITH_OUTCOME:
        what_next = "Record its outcome if it took place, or cancel it."
    elif status == CANCELLED:
        what_next = "Plan a new visit if one is still needed."
    else:
        what_next = "Cancel it, and plan a new visit if one is still needed."
    return f"This visit was on {day_label(visit_day(starts_at))}; it can no longer be {doing}. {what_next}"


def transition_problem(current: str, target: str, starts_at: datetime, on: date) -> str | None:
    """Why the visit cannot move from `current` to `target` on day `on`, or None when it can."""
    if target not in STATUSES:
        return f"Status: choose {', '.join(STATUSES)}."
    if target not in TRANSITIONS.get(current, ()):
        allowed_next = ", ".join(TRANSITIONS.get(current, ())) or "nothing (it is final)"
        return f"A {current} visit can move to {allowed_next}, not {target}."
    if target in OPEN and has_passed(starts_at, on):
        return passed_problem(current, starts_at, {DRAFT: "made a draft again"}.get(target, target))
    if target == DONE and not has_come(starts_at, on):
        return (f"This visit is on {day_label(visit_day(starts_at))}; it can be marked done on that day or "
                "afterwards.")
    return None


def next_statuses(current: str, starts_at: datetime, on: date) -> tuple[str, ...]:
    """The statuses the visit may move to now (what a coordinator is offered)."""
    return tuple(t for t in TRANSITIONS.get(current, ()) if transition_problem(current, t, starts_at, on) is None)


def outcome_problem(status: str, starts_at: datetime, on: date) -> str | None:
    """Why no outcome can be recorded on this visit on day `on`, or None when it can."""
    if status == CANCELLED:
        return "This visit was cancelled; there is no outcome to record."
    if status not in WITH_OUTCOME:
        return (f"This visit is still {status}: only a confirmed visit has an outcome. Confirm it before its day, "
                "or cancel it if it did not take place.")
    if not has_come(starts_at, on):
        return (f"This visit has not happened yet (it is on {day_label(visit_day(starts_at))}); record the outcome "
                "on the day or afterwards.")
    return None


def _still_asking(status: str, starts_at: datetime, on: date, doing: str, when_closed: str) -> str | None:
    """Why partners can no longer be asked (the visit is closed, or its day has passed), or None."""
    if status not in OPEN:
        return f"This visit is {status}; {when_closed}"
    if has_passed(starts_at, on):
        return passed_problem(status, starts_at, doing)
    return None


def answer_problem(status: str, starts_at: datetime, on: date) -> str | None:
    """Why an agency can no longer confirm or decline its part, or None when it can."""
    return _still_asking(status, starts_at, on, "answered", "there is nothing to answer.")


def join_problem(status: str, starts_at: datetime, on: date) -> str | None:
    """Why other agencies can no longer join this visit, or None when they can."""
    return _still_asking(status, starts_at, on, "joined", "plan a new visit instead.")


def plan_problem(starts_at: datetime, on: date, *, status: str | None = None,
                 was_at: datetime | None = None) -> str | None:
    """Why a plan (new, or a change to the visit `status` that was at `was_at`) cannot be saved, or None."""
    if status == DONE:
        return "This visit is done; its plan can no longer change (plan a new visit instead)."
    if status is not None and status not in OPEN:
        return f"This visit is {status}; reinstate it as a draft before changing it."
    if was_at is not None and status is not None and has_passed(was_at, on):
        return passed_problem(status, was_at, "changed")
    if has_passed(starts_at, on):
        return (f"When: {day_label(visit_day(starts_at))} has passed; plan the visit for today or a later day "
                "(record what happened at a past visit as its outcome).")
    return None
