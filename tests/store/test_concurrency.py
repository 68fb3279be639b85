"""Two people clicking at once, on SQLite and PostgreSQL: nothing is recorded twice and nothing is silently lost.

Each race starts N threads behind a barrier, each with its own unit of work (as N browser sessions would). Exactly
one wins; every other gets a `HubError` that says what happened and what to do (never a traceback or a database
error); and what is stored is consistent: one feedback row, one decision with one visit or action, no confirmed
visit with a declined agency unless an override is recorded, and the surviving outcome is the winner's.
"""
from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from core.domain import Role
from core.errors import Conflict, HubError, ValidationError
from core.permissions import Actor
from core.services import outcomes, referrals, visits
from core.services.actions import ActionInput
from core.services.referrals import ReferralInput
from core.store import Store
from core.store.engine import MIGRATIONS_DIR, upgrade_schema
from core.store.models import (
    Action, ActionLink, Agency, AuditEvent, Feedback, Referral, ReferralMessage, ReferralRecipient, User, Visit, VisitAgency,
)
from core.visits.outcome import validate
from tests.conftest import DatabaseFactory, pg_create_database
from tests.store.conftest import Small
from tests.store.outcome_data import add_user, add_visit

N = 10
ROUNDS = 20  # visits raced one after another in the decline-versus-confirm race


def race(n: int, work: Callable[[int], Any]) -> list[tuple[str, Any]]:
    """Run work(0..n-1) in n threads released together; ("ok", result), ("refused", HubError) or ("crashed", exc)."""
    barrier = threading.Barrier(n)
    results: list[tuple[str, Any]] = [("not run", None)] * n

    def run(i: int) -> None:
        try:
            barrier.wait(60)
            results[i] = ("ok", work(i))
        except HubError as exc:
            results[i] = ("refused", exc)
        except BaseException as exc:  # noqa: BLE001 - a traceback the person would have seen
            results[i] = ("crashed", exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(180)
    crashed = [repr(r) for kind, r in results if kind not in ("ok", "refused")]
    assert not crashed, f"someone got a traceback instead of a message: {crashed}"
    return results


def winners(results: list[tuple[str, Any]]) -> list[int]:
    return [i for i, (kind, _r) in enumerate(results) if kind == "ok"]


def refusals(results: list[tuple[str, Any]]) -> list[HubError]:
    return [r for kind, r in results if kind == "refused"]


def _people(small: Small, prefix: str, role: Role, agency_id: int, n: int = N) -> list[Actor]:
    return [add_user(small.store, f"{prefix}{i}", role, agency_id) for i in range(n)]


def _received(small: Small) -> int:
    """A referral Trading Standards sent to HMRC; returns HMRC's recipient row."""
    officer = add_user(small.store, "sender", Role.OFFICER, small.ts)
    data = ReferralInput(subject="Chicken Shop, 12 The Broadway", body="Two tills; cash only.", source_grade="B",
                         intel_grade="2", handling_code="1", recipient_ids=[small.hmrc])
    with small.store.uow() as uow:
        rid = referrals.save_draft(uow, officer, data)
    with small.store.uow() as uow:
        referrals.send(uow, officer, rid)
    with small.store.read() as s:
        return s.scalar(select(ReferralRecipient.id).where(ReferralRecipient.referral_id == rid))


def _count(small: Small, query) -> int:  # noqa: ANN001
    with small.store.read() as s:
        return s.scalar(select(func.count()).select_from(query.subquery()))


# --- feedback: one per referral recipient ------------------------------------------------------------------


def test_feedback_is_given_once_when_analysts_send_it_at_once(small: Small) -> None:
    rec = _received(small)
    analysts = _people(small, "hmrc.analyst", Role.ANALYST, small.hmrc)

    def give(i: int) -> int:
        with small.store.uow() as uow:
            return referrals.give_feedback(uow, analysts[i], rec, usefulness=1 + i % 5, outcome="visit tasked",
                                           comments=f"feedback {i}")

    results = race(N, give)
    won = winners(results)
    assert len(won) == 1, f"{len(won)} of {N} feedback saves succeeded"
    assert all(isinstance(e, ValidationError) for e in refusals(results))
    winner = analysts[won[0]]
    for e in refusals(results):
        assert "already given" in str(e) and winner.name in str(e), str(e)
    with small.store.read() as s:
        rows = s.scalars(select(Feedback).where(Feedback.recipient_id == rec)).all()
        assert [(f.author_id, f.comments) for f in rows] == [(winner.id, f"feedback {won[0]}")]
        assert s.scalar(select(func.count()).where(AuditEvent.action == "referral.feedback")) == 1


# --- a decision, and the visit or action it creates, once --------------------------------------------------


@pytest.mark.parametrize("decision", ["task a visit", "raise an action"])
def test_a_decision_is_made_once_when_analysts_decide_at_once(small: Small, decision: str) -> None:
    rec = _received(small)
    analysts = _people(small, "hmrc.analyst", Role.ANALYST, small.hmrc)
    visit_on = datetime.now(timezone.utc) + timedelta(days=7)

    def decide(i: int) -> dict:
        action = ActionInput(title=f"Follow up {i}", agency_id=small.hmrc, owner_id=analysts[i].id,
                             due_on=visit_on.date(), strand="Pursue") if decision == "raise an action" else None
        with small.store.uow() as uow:
            return referrals.decide(uow, analysts[i], rec, decision=decision, action=action,
                                    visit_on=visit_on if decision == "task a visit" else None)

    results = race(N, decide)
    won = winners(results)
    assert len(won) == 1, f"{len(won)} of {N} decisions were recorded"
    made = results[won[0]][1]
    assert all(isinstance(e, ValidationError) for e in refusals(results))
    for e in refusals(results):
        assert "already recorded" in str(e) and analysts[won[0]].name in str(e), str(e)
    with small.store.read() as s:
        r = s.get(ReferralRecipient, rec)
        assert (r.decision, r.visit_id, r.action_id) == (decision, made["visit_id"], made["action_id"])
        assert s.scalar(select(func.count()).select_from(Visit)) == (1 if decision == "task a visit" else 0)
        assert s.scalar(select(func.count()).select_from(Action)) == (1 if decision == "raise an action" else 0)
        assert s.scalar(select(func.count()).select_from(ActionLink)) == (1 if decision == "raise an action" else 0)
        assert s.scalar(select(func.count()).where(AuditEvent.action == "referral.decide")) == 1
