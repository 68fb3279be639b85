"""The one RAG rule for actions, shown the same way everywhere.

- complete / cancelled: shown apart ("complete"), never red, amber or green.
- red: the action is overdue, or any open milestone is overdue.
- amber: due within 14 days and not started, or an open milestone is due within 7 days.
- green: otherwise.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Literal

Rag = Literal["red", "amber", "green", "complete"]
ACTION_AMBER_DAYS = 14
MILESTONE_AMBER_DAYS = 7
RAG_ORDER: dict[str, int] = {"red": 0, "amber": 1, "green": 2, "complete": 3}
RAG_LABELS: dict[str, str] = {"red": "Red", "amber": "Amber", "green": "Green", "complete": "Complete"}
RAG_COLOURS: dict[str, str] = {"red": "#c62828", "amber": "#ef8f00", "green": "#2e7d32", "complete": "#757575"}


def rag_status(
    *,
    status: str,
    due_on: date,
    milestones: Iterable[tuple[date, date | None]] = (),
    today: date,
) -> Rag:
    """RAG for one action; `milestones` are (due_on, completed_on) pairs."""
    if status in ("complete", "cancelled"):
        return "complete"
    open_due = [due for due, done in milestones if done is None]
    if due_on < today or any(due < today for due in open_due):
        return "red"
    if status == "not started" and (due_on - today).days <= ACTION_AMBER_DAYS:
        return "amber"
    if any((due - today).days <= MILESTONE_AMBER_DAYS for due in open_due):
        return "amber"
    return "green"
