"""The one RAG rule, case by case."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from core.rag import rag_status

TODAY = date(2026, 11, 22)


def d(days: int) -> date:
    return TODAY + timedelta(days=days)


CASES = [
    {"why": "complete is shown apart even when late", "status": "complete", "due": d(-30), "ms": [], "rag": "complete"},
    {"why": "cancelled is shown apart", "status": "cancelled", "due": d(5), "ms": [], "rag": "complete"},
    {"why": "overdue action", "status": "in progress", "due": d(-1), "ms": [], "rag": "red"},
    {"why": "due today is not overdue", "status": "in progress", "due": d(0), "ms": [], "rag": "green"},
    {"why": "open milestone overdue", "status": "in progress", "due": d(60), "ms": [(d(-1), None)], "rag": "red"},
    {"why": "late milestone completed does not count", "status": "in progress", "due": d(60), "ms": [(d(-10), d(-2))], "rag": "green"},
    {"why": "not started, due within 14 days", "status": "not started", "due": d(14), "ms": [], "rag": "amber"},
    {"why": "not started, due in 15 days", "status": "not started", "due": d(15), "ms": [], "rag": "green"},
    {"why": "in progress, due within 14 days", "status": "in progress", "due": d(3), "ms": [], "rag": "green"},
    {"why": "milestone due within 7 days", "status": "in progress", "due": d(60), "ms": [(d(7), None)], "rag": "amber"},
    {"why": "milestone due in 8 days", "status": "in progress", "due": d(60), "ms": [(d(8), None)], "rag": "green"},
    {"why": "red beats amber", "status": "not started", "due": d(3), "ms": [(d(-1), None)], "rag": "red"},
]


@pytest.mark.parametrize("case", CASES, ids=[c["why"] for c in CASES])
def test_rag_rule(case: dict) -> None:
    assert rag_status(status=case["status"], due_on=case["due"], milestones=case["ms"], today=TODAY) == case["rag"]
