"""The home page's attention sections, on a small hand-made partnership."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from core.errors import Forbidden
from core.permissions import Actor
from core.domain import Role
from core.services import attention
from core.store.models import (
    Action, Board, Dataset, Feedback, MatchReview, Meeting, Milestone, Referral, ReferralRecipient, User, Visit,
    VisitAgency, VisitOfficer,
)
from tests.store.conftest import _HASH, Small

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=timezone.utc)
TODAY = NOW.date()


def days(n: int) -> date:
    return TODAY + timedelta(days=n)




def _sections(small: Small, actor: Actor) -> dict[str, attention.Section]:
    with small.store.read() as s:
        return {sec.key: sec for sec in attention.attention(s, actor=actor, today=TODAY, now=NOW)}


def test_my_actions_worst_first_and_only_mine(small: Small, officer: Actor) -> None:
    with small.store.uow() as uow:
        s = uow.session
        s.add_all([
            Action(title="green one", owner_id=officer.id, agency_id=small.ts, due_on=days(60), strand="Pursue", status="in progress"),
            Action(title="overdue", owner_id=officer.id, agency_id=small.ts, due_on=days(-3), strand="Protect", status="in progress"),
            Action(title="amber: not started", owner_id=officer.id, agency_id=small.ts, due_on=days(10), strand="Prevent"),
            Action(title="done", owner_id=officer.id, agency_id=small.ts, due_on=days(-30), strand="Prepare", status="complete"),
            Action(title="someone else's", owner_id=small.analyst.id, agency_id=small.hmrc, due_on=days(-3), strand="Pursue"),
        ])
        with_ms = Action(title="late milestone", owner_id=officer.id, agency_id=small.ts, due_on=days(90), strand="Pursue", status="in progress")
        with_ms.milestones = [Milestone(title="draft plan", due_on=days(-1), owner_id=officer.id),
                              Milestone(title="sign off", due_on=days(5), owner_id=small.admin.id)]
        s.add(with_ms)
        uow.commit()
    sec = _sections(small, officer)["actions"]
    assert [(r["Action"], r["RAG"]) for r in sec.rows] == [
        ("overdue", "red"), ("late milestone", "red"), ("amber: not started", "amber"), ("green one", "green")]
    assert sec.metrics == {"red": 2, "open": 4}
    ms = _sections(small, officer)["milestones"]
    assert [(r["Milestone"], r["Overdue"]) for r in ms.rows] == [("draft plan", True)], "only my own milestones"


def test_feedback_is_new_until_marked_read(small: Small, officer: Actor) -> None:
    with small.store.uow() as uow:
        s = uow.session
        ref = Referral(sender_id=officer.id, sender_agency_id=small.ts, subject="Workers sleeping in storeroom",
                       status="sent", sent_at=NOW - timedelta(days=20))
        other = Referral(sender_id=small.analyst.id, sender_agency_id=small.hmrc, subject="Not olly's", status="sent",
                         sent_at=NOW - timedelta(days=20))
        s.add_all([ref, other])
        s.flush()
        rec = ReferralRecipient(referral_id=ref.id, agency_id=small.hmrc, status="decided", feedback_by=days(8))
        rec2 = ReferralRecipient(referral_id=other.id, agency_id=small.ts, status="new", feedback_by=days(-1))
        s.add_all([rec, rec2])
        s.flush()
        s.add_all([Feedback(recipient_id=rec.id, usefulness=5, outcome="visit tasked", created_at=NOW - timedelta(days=1)),
                   Feedback(recipient_id=rec2.id, usefulness=1, outcome="x", created_at=NOW - timedelta(days=1))])
        uow.commit()
    sec = _sections(small, officer)["feedback"]
    assert [(r["Referral"], r["Outcome"]) for r in sec.rows] == [("Workers sleeping in storeroom", "visit tasked")]
    with small.store.uow() as uow:
        attention.mark_feedback_seen(uow, actor=officer)
    assert _sections(small, officer)["feedback"].rows == []


def test_analyst_inbox_lists_what_their_agency_owes(small: Small, officer: Actor) -> None:
    with small.store.uow() as uow:
        s = uow.session
        refs = [Referral(sender_id=officer.id, sender_agency_id=small.ts, subject=f"r{i}", status="sent", sent_at=NOW) for i in range(3)]
        s.add_all(refs)
        s.flush()
        overdue = ReferralRecipient(referral_id=refs[0].id, agency_id=small.hmrc, status="new", feedback_by=days(-2))
        fresh = ReferralRecipient(referral_id=refs[1].id, agency_id=small.hmrc, status="acknowledged", feedback_by=days(20))
        answered = ReferralRecipient(referral_id=refs[2].id, agency_id=small.hmrc, status="decided", feedback_by=days(-5))
        s.add_all([overdue, fresh, answered])
        s.flush()
        s.add(Feedback(recipient_id=answered.id, usefulness=3))
        uow.commit()
    sec = _sections(small, small.analyst)["inbox"]
    assert [(r["Referral"], r["Overdue"]) for r in sec.rows] == [("r0", True), ("r1", False)]
    assert sec.metrics == {"overdue": 1, "not acknowledged": 1}
    assert "inbox" not in _sections(small, officer), "officers have no agency inbox (sterile wall)"
    with pytest.raises(Forbidden), small.store.read() as s:
        attention.inbox_due(s, actor=officer, today=TODAY)


def test_visits_for_my_agency_with_pending_answers(small: Small, officer: Actor) -> None:
    with small.store.uow() as uow:
        s = uow.session
        mine = Visit(premises_text="12 The Broadway", starts_at=NOW + timedelta(days=2), ends_at=NOW + timedelta(days=2, hours=2), status="proposed")
        mine.agencies = [VisitAgency(agency_id=small.ts, response="pending"), VisitAgency(agency_id=small.hmrc, response="confirmed")]
        theirs = Visit(premises_text="Elsewhere", starts_at=NOW + timedelta(days=3), ends_at=NOW + timedelta(days=3, hours=1), status="confirmed")
        theirs.agencies = [VisitAgency(agency_id=small.hmrc, response="confirmed")]
        later = Visit(premises_text="Too late", starts_at=NOW + timedelta(days=30), ends_at=NOW + timedelta(days=30, hours=1))
        later.agencies = [VisitAgency(agency_id=small.ts)]
        s.add_all([mine, theirs, later])
        s.flush()
        s.add(VisitOfficer(visit_id=mine.id, user_id=officer.id))
        uow.commit()
    sec = _sections(small, officer)["visits"]
    assert [(r["Premises"], r["Your agency's answer"], r["You are on it"]) for r in sec.rows] == [("12 The Broadway", "pending", True)]
    assert sec.metrics == {"awaiting answer": 1}


def test_chair_and_admin_see_partnership_counts_and_next_meetings(small: Small) -> None:
    with small.store.uow() as uow:
        s = uow.session
        board = Board(name="Board")
        s.add(board)
        s.flush()
        s.add_all([
            Meeting(board_id=board.id, scheduled_at=NOW + timedelta(days=10), status="planned", location="Town Hall"),
            Meeting(board_id=board.id, scheduled_at=NOW - timedelta(days=30), status="closed"),
            Action(title="late", agency_id=small.ts, due_on=days(-1), strand="Pursue"),
            Action(title="soon", agency_id=small.ts, due_on=days(5), strand="Pursue"),
        ])
        uow.commit()
    sec = _sections(small, small.admin)["overview"]
    assert sec.metrics["actions red"] == 1 and sec.metrics["actions due in 14 days"] == 1
    assert [r["Where"] for r in sec.rows] == ["Town Hall"]
    assert "overview" not in _sections(small, small.analyst)


def test_analysts_see_their_agency_data_freshness_and_pairs_to_review(small: Small, officer: Actor) -> None:
    with small.store.uow() as uow:
        s = uow.session
        fresh = Dataset(agency_id=small.hmrc, name="Tax risk", sharing="interest-only", last_imported_at=NOW - timedelta(days=3))
        stale = Dataset(agency_id=small.hmrc, name="Old list", sharing="full", last_imported_at=NOW - timedelta(days=120))
        theirs = Dataset(agency_id=small.ts, name="TS premises", sharing="full", last_imported_at=None)
        s.add_all([fresh, stale, theirs])
        s.flush()
        s.add(MatchReview(a_dataset_id=fresh.id, a_reference="H1", b_dataset_id=theirs.id, b_reference="T1", score=60))
        s.add(MatchReview(a_dataset_id=theirs.id, a_reference="T2", b_dataset_id=theirs.id, b_reference="T3", score=60))
        uow.commit()
    sec = _sections(small, small.analyst)["data"]
    assert [(r["Dataset"], r["Stale"]) for r in sec.rows] == [("Old list", True), ("Tax risk", False)]
    assert sec.metrics == {"stale datasets": 1, "match pairs to review": 1}
    assert "data" not in _sections(small, officer), "officers do not manage datasets"
