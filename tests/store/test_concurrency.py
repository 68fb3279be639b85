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
from core.visits.outcome import summarise, validate
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
        rid = referrals.save_draft(uow, actor=officer, data=data)
    with small.store.uow() as uow:
        referrals.send(uow, actor=officer, referral_id=rid, to=[small.hmrc])
    with small.store.read() as s:
        return s.session.scalar(select(ReferralRecipient.id).where(ReferralRecipient.referral_id == rid))


def _count(small: Small, query) -> int:  # noqa: ANN001
    with small.store.read() as s:
        return s.session.scalar(select(func.count()).select_from(query.subquery()))


# --- feedback: one per referral recipient ------------------------------------------------------------------


def test_feedback_is_given_once_when_analysts_send_it_at_once(small: Small) -> None:
    rec = _received(small)
    analysts = _people(small, "hmrc.analyst", Role.ANALYST, small.hmrc)

    def give(i: int) -> int:
        with small.store.uow() as uow:
            return referrals.give_feedback(uow, actor=analysts[i], recipient_id=rec, usefulness=1 + i % 5,
                                           outcome="visit tasked",
                                           comments=f"feedback {i}")

    results = race(N, give)
    won = winners(results)
    assert len(won) == 1, f"{len(won)} of {N} feedback saves succeeded"
    assert all(isinstance(e, ValidationError) for e in refusals(results))
    winner = analysts[won[0]]
    for e in refusals(results):
        assert "already given" in str(e) and winner.name in str(e), str(e)
    with small.store.read() as s:
        rows = s.session.scalars(select(Feedback).where(Feedback.recipient_id == rec)).all()
        assert [(f.author_id, f.comments) for f in rows] == [(winner.id, f"feedback {won[0]}")]
        assert s.session.scalar(select(func.count()).where(AuditEvent.action == "referral.feedback")) == 1


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
            return referrals.decide(uow, actor=analysts[i], recipient_id=rec, decision=decision, action=action,
                                    visit_on=visit_on if decision == "task a visit" else None)

    results = race(N, decide)
    won = winners(results)
    assert len(won) == 1, f"{len(won)} of {N} decisions were recorded"
    made = results[won[0]][1]
    assert all(isinstance(e, ValidationError) for e in refusals(results))
    for e in refusals(results):
        assert "already recorded" in str(e) and analysts[won[0]].name in str(e), str(e)
    with small.store.read() as s:
        r = s.session.get(ReferralRecipient, rec)
        assert (r.decision, r.visit_id, r.action_id) == (decision, made["visit_id"], made["action_id"])
        assert s.session.scalar(select(func.count()).select_from(Visit)) == (1 if decision == "task a visit" else 0)
        assert s.session.scalar(select(func.count()).select_from(Action)) == (1 if decision == "raise an action" else 0)
        assert s.session.scalar(select(func.count()).select_from(ActionLink)) == (1 if decision == "raise an action" else 0)
        assert s.session.scalar(select(func.count()).where(AuditEvent.action == "referral.decide")) == 1


# --- an agency declines while the coordinator confirms -----------------------------------------------------


def _confirmed_with_a_decline_and_no_override(small: Small, visit_ids: list[int]) -> list[int]:
    bad = []
    with small.store.read() as s:
        for vid in visit_ids:
            v = s.session.get(Visit, vid)
            answers = [va.response for va in s.session.scalars(select(VisitAgency).where(VisitAgency.visit_id == vid))]
            overridden = any(o.get("what") == "confirmed without every answer" for o in v.overrides or [])
            if v.status == "confirmed" and "declined" in answers and not overridden:
                bad.append(vid)
    return bad


def _version(small: Small, vid: int) -> int:
    with small.store.read() as s:
        return s.session.get(Visit, vid).version


def test_a_decline_racing_a_confirmation_never_leaves_a_confirmed_visit_with_a_declined_agency(small: Small) -> None:
    """The agency's page does not name a version here (an older client): its decline must still never be lost."""
    ids = []
    for _ in range(ROUNDS):
        vid = add_visit(small.store, None, {small.ts: 1, small.hmrc: 1}, days=3, status="proposed", lead=small.ts)
        base = _version(small, vid)

        def act(i: int, vid: int = vid, base: int = base) -> str:
            with small.store.uow() as uow:
                if i == 0:
                    visits.set_status(uow, actor=small.admin, visit_id=vid, status="confirmed", base_version=base)
                else:
                    visits.respond(uow, actor=small.analyst, visit_id=vid, answer="declined",
                                   note="crew on another job")
            return "done"

        results = race(2, act)
        for e in refusals(results):
            assert "declined" in str(e), str(e)  # the coordinator is told the agency declined
        ids.append(vid)
    bad = _confirmed_with_a_decline_and_no_override(small, ids)
    assert bad == [], f"{len(bad)} of {ROUNDS} visits confirmed with a declined agency and no override"
    with small.store.read() as s:
        answers = s.session.scalars(select(VisitAgency.response).where(VisitAgency.visit_id.in_(ids),
                                                                       VisitAgency.agency_id == small.hmrc))
        assert set(answers) == {"declined"}, "every decline was kept"


def test_when_both_pages_name_their_version_one_of_decline_and_confirm_wins_and_the_other_is_told(small: Small) -> None:
    ids = []
    for _ in range(ROUNDS):
        vid = add_visit(small.store, None, {small.ts: 1, small.hmrc: 1}, days=3, status="proposed", lead=small.ts)
        base = _version(small, vid)

        def act(i: int, vid: int = vid, base: int = base) -> str:
            with small.store.uow() as uow:
                if i == 0:
                    visits.set_status(uow, actor=small.admin, visit_id=vid, status="confirmed", base_version=base)
                    return "confirmed"
                visits.respond(uow, actor=small.analyst, visit_id=vid, answer="declined", note="crew on another job",
                               base_version=base)
                return "declined"

        results = race(2, act)
        won = winners(results)
        assert len(won) == 1, results
        (refused,) = refusals(results)
        assert isinstance(refused, Conflict), refused
        # The loser is told who did what first: the coordinator that HMRC declined, HMRC that the visit was confirmed.
        first = small.analyst.name if won == [1] else small.admin.name
        assert first in str(refused) and ("declined" if won == [1] else "proposed → confirmed") in str(refused), str(refused)
        with small.store.read() as s:
            assert s.session.get(Visit, vid).status == ("confirmed" if won == [0] else "proposed")
        ids.append(vid)
    assert _confirmed_with_a_decline_and_no_override(small, ids) == []


def test_decline_then_stale_confirmation_and_confirmation_then_decline(small: Small) -> None:
    """Both orders, one after the other: the second step always acts on what the first stored."""
    # 1. HMRC declines; the coordinator then confirms from the page drawn before the decline.
    vid = add_visit(small.store, None, {small.ts: 1, small.hmrc: 1}, days=3, status="proposed", lead=small.ts)
    seen = _version(small, vid)
    with small.store.uow() as uow:
        visits.respond(uow, actor=small.analyst, visit_id=vid, answer="declined", note="crew on another job",
                       base_version=seen)
    with small.store.uow() as uow, pytest.raises(Conflict, match=rf"{small.analyst.name} .* declined visit {vid}: crew"):
        visits.set_status(uow, actor=small.admin, visit_id=vid, status="confirmed", base_version=seen)
    with small.store.uow() as uow, pytest.raises(ValidationError, match=r"Not every agency has confirmed: .*\(declined\)"):
        visits.set_status(uow, actor=small.admin, visit_id=vid, status="confirmed", base_version=_version(small, vid))
    with small.store.uow() as uow:  # a recorded reason is the only way to confirm it now
        visits.set_status(uow, actor=small.admin, visit_id=vid, status="confirmed", base_version=_version(small, vid),
                          reason="HMRC not needed")
    assert _confirmed_with_a_decline_and_no_override(small, [vid]) == []
    # 2. The coordinator confirms; HMRC then declines: from a stale page it is told, without a version it lands.
    vid = add_visit(small.store, None, {small.ts: 1, small.hmrc: 1}, days=3, status="proposed", lead=small.ts)
    seen = _version(small, vid)
    with small.store.uow() as uow:
        visits.set_status(uow, actor=small.admin, visit_id=vid, status="confirmed", base_version=seen)
    with small.store.uow() as uow, pytest.raises(Conflict, match=rf"{small.admin.name} .* proposed → confirmed"):
        visits.respond(uow, actor=small.analyst, visit_id=vid, answer="declined", note="crew on another job",
                       base_version=seen)
    with small.store.uow() as uow:
        visits.respond(uow, actor=small.analyst, visit_id=vid, answer="declined", note="crew on another job")
    with small.store.read() as s:
        assert s.session.get(Visit, vid).status == "proposed", "the decline sent the confirmed visit back to proposed"


# --- outcomes: a save names the version it started from ------------------------------------------------------


def _done_visit(small: Small) -> int:
    """Yesterday's visit, already done with HMRC's outcome; Trading Standards has yet to record its own."""
    return add_visit(small.store, None, {small.ts: 2, small.hmrc: 1}, days=-1, status="done", lead=small.ts,
                     outcomes={small.hmrc: validate({"arrests": 1})})


def _stored(small: Small, vid: int, agency_id: int) -> VisitAgency:
    with small.store.read() as s:
        return s.session.scalar(select(VisitAgency).where(VisitAgency.visit_id == vid,
                                                          VisitAgency.agency_id == agency_id))


def test_simultaneous_first_outcomes_record_one_and_tell_the_others(small: Small) -> None:
    vid = _done_visit(small)
    officers = _people(small, "ts.officer", Role.OFFICER, small.ts)

    def save(i: int) -> None:
        with small.store.uow() as uow:
            outcomes.record_outcome(uow, actor=officers[i], visit_id=vid, data={"seizures": i + 1})

    results = race(N, save)
    won = winners(results)
    assert len(won) == 1, f"{len(won)} of {N} first outcomes were recorded"
    assert _stored(small, vid, small.ts).outcome["seizures"] == won[0] + 1, "the surviving outcome is the winner's"
    for e in refusals(results):
        assert isinstance(e, Conflict) and officers[won[0]].name in str(e), str(e)
        theirs = summarise([validate({"seizures": won[0] + 1})])  # e.g. "3 seizures"
        assert "correct that record instead of adding another" in str(e) and theirs in str(e), str(e)
    stored = _stored(small, vid, small.ts)
    assert (stored.outcome_version, stored.outcome_by_id) == (1, officers[won[0]].id)
    with small.store.read() as s:
        assert s.session.scalar(select(func.count()).where(AuditEvent.action == "visit.outcome")) == 1


def test_two_agencies_recording_their_first_outcomes_at_once_both_succeed(small: Small) -> None:
    """Not a conflict: each agency records its own part. The visit becomes done once."""
    vid = add_visit(small.store, None, {small.ts: 2, small.hmrc: 1}, days=-1, status="confirmed", lead=small.ts)
    ts_officer = add_user(small.store, "ts.officer", Role.OFFICER, small.ts)

    def save(i: int) -> None:
        with small.store.uow() as uow:
            outcomes.record_outcome(uow, actor=(ts_officer, small.analyst)[i], visit_id=vid, data={"arrests": i + 1})

    assert winners(race(2, save)) == [0, 1]
    assert _stored(small, vid, small.ts).outcome["arrests"] == 1 and _stored(small, vid, small.hmrc).outcome["arrests"] == 2
    with small.store.read() as s:
        assert s.session.get(Visit, vid).status == "done"
        assert s.session.scalar(select(func.count()).where(AuditEvent.action == "visit.status")) == 1


def test_simultaneous_corrections_keep_one_and_tell_the_others(small: Small) -> None:
    vid = _done_visit(small)
    officers = _people(small, "ts.officer", Role.OFFICER, small.ts)
    with small.store.uow() as uow:
        outcomes.record_outcome(uow, actor=officers[0], visit_id=vid, data={"advice": True})

    def correct(i: int) -> None:
        with small.store.uow() as uow:
            outcomes.correct_outcome(uow, actor=officers[i], visit_id=vid, data={"seizures": i + 1}, base_version=1)

    results = race(N, correct)
    won = winners(results)
    assert len(won) == 1, f"{len(won)} of {N} corrections succeeded (the others overwritten)"
    stored = _stored(small, vid, small.ts)
    assert (stored.outcome["seizures"], stored.outcome_version, stored.outcome_by_id) == (won[0] + 1, 2, officers[won[0]].id)
    for e in refusals(results):
        assert isinstance(e, Conflict) and officers[won[0]].name in str(e), str(e)
        theirs = summarise([validate({"seizures": won[0] + 1})])
        assert "now version 2, you started from 1" in str(e) and theirs in str(e), str(e)
    with small.store.read() as s:
        assert s.session.scalar(select(func.count()).where(AuditEvent.action == "visit.outcome_corrected")) == 1


def test_a_correction_from_an_old_form_is_refused(small: Small) -> None:
    vid = _done_visit(small)
    first, second = _people(small, "ts.officer", Role.OFFICER, small.ts, 2)
    with small.store.uow() as uow:
        outcomes.record_outcome(uow, actor=first, visit_id=vid, data={"advice": True})
    with small.store.read() as s:
        form = outcomes.outcome_of(s, actor=second, visit_id=vid)
    assert (form["correction"], form["version"]) == (True, 1)
    with small.store.uow() as uow:
        outcomes.correct_outcome(uow, actor=first, visit_id=vid, data={"arrests": 2}, base_version=1)
    with small.store.uow() as uow, pytest.raises(Conflict, match=rf"{first.name} saved .* version 2, you started from 1\): 2 arrests"):
        outcomes.correct_outcome(uow, actor=second, visit_id=vid, data={"seizures": 5}, base_version=form["version"])
    assert _stored(small, vid, small.ts).outcome["arrests"] == 2, "the first correction survives"


# --- the schema: one feedback row per referral recipient, and the upgrade that makes it so --------------------


def test_the_database_refuses_a_second_feedback_row(small: Small) -> None:
    """The backstop under the lock: even a writer that skipped `give_feedback` cannot store two."""
    rec = _received(small)
    with small.store.uow() as uow:
        referrals.give_feedback(uow, actor=small.analyst, recipient_id=rec, usefulness=4, outcome="visit tasked")
    with pytest.raises(IntegrityError), small.store.uow() as uow:
        uow.session.add(Feedback(recipient_id=rec, author_id=small.analyst.id, usefulness=1, outcome="already known"))
        uow.flush()


def _database_at(databases: DatabaseFactory, revision: str) -> Store:
    if databases.backend == "sqlite":
        url = f"sqlite:///{databases.tmp / (uuid.uuid4().hex[:10] + '.db')}"
    else:
        url = pg_create_database()
        databases.urls.append(url)
    store = Store(url, migrate=False)
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    with store.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
    return store


def test_the_upgrade_keeps_the_first_feedback_and_the_repeats_as_messages(databases: DatabaseFactory) -> None:
    store = _database_at(databases, "0005")  # the revision before 0006
    try:
        at = datetime(2026, 11, 2, 10, 0, tzinfo=timezone.utc)
        with store.uow() as uow:
            s = uow.session
            ts, hmrc = Agency(code="TS", name="Trading Standards", remit=[]), Agency(code="HMRC", name="HMRC", remit=[])
            s.add_all([ts, hmrc])
            s.flush()
            ana = User(username="ana", name="Ana", role="analyst", agency_id=hmrc.id, password_hash="x")
            olly = User(username="olly", name="Olly", role="officer", agency_id=ts.id, password_hash="x")
            s.add_all([ana, olly])
            s.flush()
            ref = Referral(sender_id=olly.id, sender_agency_id=ts.id, subject="Chicken Shop", status="sent", sent_at=at)
            s.add(ref)
            s.flush()
            twice, once = (ReferralRecipient(referral_id=ref.id, agency_id=hmrc.id),
                           ReferralRecipient(referral_id=ref.id, agency_id=ts.id))
            s.add_all([twice, once])
            s.flush()
            for i, comments in enumerate(["first", "second", "third"]):
                s.add(Feedback(recipient_id=twice.id, author_id=ana.id, usefulness=4 - i, outcome="visit tasked",
                               comments=comments, created_at=at + timedelta(seconds=i)))
                s.flush()
            s.add(Feedback(recipient_id=once.id, author_id=olly.id, usefulness=5, outcome="already known"))
            visit = Visit(premises_text="Chicken Shop", starts_at=at, ends_at=at + timedelta(hours=2), status="done")
            s.add(visit)
            s.flush()
            parts = sa.table("visit_agencies", sa.column("visit_id"), sa.column("agency_id"), sa.column("officers"),
                             sa.column("objectives"), sa.column("response"), sa.column("outcome", sa.JSON),
                             sa.column("outcome_recorded_at", sa.DateTime(timezone=True)))
            s.execute(parts.insert(), [
                {"visit_id": visit.id, "agency_id": ts.id, "officers": 1, "objectives": "", "response": "confirmed",
                 "outcome": validate({"arrests": 1}), "outcome_recorded_at": at},
                {"visit_id": visit.id, "agency_id": hmrc.id, "officers": 1, "objectives": "", "response": "confirmed",
                 "outcome": None, "outcome_recorded_at": None}])
            uow.commit()
        upgrade_schema(store.engine)
        with store.read() as s:
            kept = s.session.scalars(select(Feedback).where(Feedback.recipient_id == twice.id)).all()
            assert [f.comments for f in kept] == ["first"]
            assert s.session.scalar(select(func.count()).select_from(Feedback)) == 2, "the other recipient's feedback stays"
            moved = s.session.scalars(select(ReferralMessage).where(ReferralMessage.referral_id == ref.id).order_by(ReferralMessage.id)).all()
            assert [(m.author_id, m.created_at) for m in moved] == [(ana.id, at + timedelta(seconds=1)), (ana.id, at + timedelta(seconds=2))]
            assert "useful 3/5; visit tasked; second" in moved[0].body and "useful 2/5; visit tasked; third" in moved[1].body
            assert "2 repeated feedback rows kept as referral messages" in s.session.scalar(
                select(AuditEvent.summary).where(AuditEvent.action == "upgrade.feedback_once"))
            versions = dict(s.session.execute(select(VisitAgency.agency_id, VisitAgency.outcome_version)).all())
            assert versions == {ts.id: 1, hmrc.id: 0}, "outcomes already recorded start at version 1"
        from core.store.chain import verify

        with store.engine.connect() as conn:
            assert verify(conn).ok, "the upgrade's audit row joins the audit chain"
        with pytest.raises(IntegrityError), store.uow() as uow:
            uow.session.add(Feedback(recipient_id=twice.id, author_id=ana.id, usefulness=1, outcome="already known"))
            uow.flush()
    finally:
        store.dispose()


def test_ten_presses_of_next_at_once_move_the_meeting_one_item(small: Small) -> None:
    """The chair's screen and a stale copy of it (or a double click) all press Next from item 1 at once: the meeting
    moves to item 2, once (one audit row), and every press gets an answer, none a traceback."""
    from core.services import meetings
    from core.store.models import AgendaItem, Board, Meeting

    with small.store.uow() as uow:
        s = uow.session
        board = Board(name="Board", chair_id=small.admin.id, quorum=1)
        s.add(board)
        s.flush()
        m = Meeting(board_id=board.id, scheduled_at=datetime.now(timezone.utc), status="live", current_position=1, version=1)
        s.add(m)
        s.flush()
        s.add_all([AgendaItem(meeting_id=m.id, position=p, kind="item", title=f"Item {p}") for p in (1, 2, 3)])
        uow.commit()
        meeting_id = m.id

    def press_next(_i: int) -> int:
        with small.store.uow() as uow:
            return meetings.go_to(uow, actor=small.admin, meeting_id=meeting_id, position=2, from_position=1)

    results = race(N, press_next)
    assert [r for _kind, r in results] == [2] * N
    assert _count(small, select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "meeting.go_to")) == 1
    with small.store.read() as s:
        assert s.session.get(Meeting, meeting_id).current_position == 2


def _planned_meeting(small: Small, *, status: str = "planned") -> int:
    from core.store.models import AgendaItem, Board, Meeting

    with small.store.uow() as uow:
        s = uow.session
        board = Board(name=f"Board {uuid.uuid4().hex[:6]}", chair_id=small.admin.id, quorum=1)
        s.add(board)
        s.flush()
        m = Meeting(board_id=board.id, scheduled_at=datetime.now(timezone.utc), status=status,
                    current_position=1 if status == "live" else None, version=1)
        s.add(m)
        s.flush()
        s.add_all([AgendaItem(meeting_id=m.id, position=p, kind="item", title=f"Item {p}") for p in (1, 2, 3)])
        uow.commit()
        return m.id


def test_ten_presses_of_start_at_once_start_the_meeting_once(small: Small) -> None:
    """A double click on Start (or the chair and the deputy at once): the meeting is live, started once (one audit
    row), on its first item, and every press gets an answer, none a traceback."""
    from core.services import meetings
    from core.store.models import Meeting

    meeting_id = _planned_meeting(small)

    def press_start(_i: int) -> None:
        with small.store.uow() as uow:
            meetings.start(uow, actor=small.admin, meeting_id=meeting_id)

    race(N, press_start)
    assert _count(small, select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "meeting.start")) == 1
    with small.store.read() as s:
        m = s.session.get(Meeting, meeting_id)
        assert (m.status, m.current_position) == ("live", 1)


def test_ten_presses_of_close_at_once_close_the_meeting_once(small: Small) -> None:
    """Close pressed ten times at once: one close (one audit row, its carried count right), the others are told the
    meeting is closed, none gets a traceback."""
    from core.services import meetings
    from core.store.models import AgendaItem, Meeting

    meeting_id = _planned_meeting(small, status="live")

    def press_close(_i: int) -> int:
        with small.store.uow() as uow:
            return meetings.close(uow, actor=small.admin, meeting_id=meeting_id)

    results = race(N, press_close)
    assert [r for kind, r in results if kind == "ok"] == [3]
    assert all("closed" in str(e) for e in refusals(results))
    closes = _count(small, select(AuditEvent.id).where(AuditEvent.action == "meeting.close"))
    assert closes == 1
    with small.store.read() as s:
        assert s.session.get(Meeting, meeting_id).status == "closed"
        assert s.session.scalar(select(func.count()).select_from(AgendaItem).where(
            AgendaItem.meeting_id == meeting_id, AgendaItem.status == "carried")) == 3


def test_attendance_saved_from_two_screens_at_once_is_one_of_them_whole(small: Small) -> None:
    """The chair and the deputy tick attendance at once: what is stored is exactly one screen's list (never a mix
    or a doubled row), and neither gets a traceback."""
    from core.services import meetings
    from core.store.models import MeetingAttendee

    meeting_id = _planned_meeting(small)
    people = _people(small, "attendee", Role.OFFICER, small.ts, n=4)
    lists = [{people[0].id, people[1].id}, {people[2].id, people[3].id}] * (N // 2)

    def save(i: int) -> None:
        with small.store.uow() as uow:
            meetings.set_attendance(uow, actor=small.admin, meeting_id=meeting_id, present=lists[i])

    race(N, save)
    with small.store.read() as s:
        stored = set(s.session.scalars(select(MeetingAttendee.user_id).where(MeetingAttendee.meeting_id == meeting_id)))
    assert stored in (lists[0], lists[1])
    assert _count(small, select(MeetingAttendee.user_id).where(MeetingAttendee.meeting_id == meeting_id)) == 2
