"""Visit outcomes on both databases: once per agency, corrections audited, the done transition, results."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from core.domain import Role
from core.errors import Conflict, Forbidden, NotFound, ValidationError
from core.permissions import Actor
from core.services import outcomes
from core.store.models import AuditEvent, Visit, VisitAgency
from core.visits.outcome import validate
from tests.store.conftest import Small
from tests.store.outcome_data import add_business, add_user, add_visit, third_agency


def _visit(small: Small, **kw) -> int:  # noqa: ANN003
    biz = add_business(small.store, "Kebab House")
    return add_visit(small.store, biz, {small.ts: 2, small.hmrc: 1}, **kw)


def _part(small: Small, visit_id: int, agency_id: int) -> VisitAgency:
    with small.store.read() as s:
        return s.session.scalar(select(VisitAgency).where(VisitAgency.visit_id == visit_id,
                                                          VisitAgency.agency_id == agency_id))


def _status(small: Small, visit_id: int) -> str:
    with small.store.read() as s:
        return s.session.get(Visit, visit_id).status


def test_first_outcome_makes_the_visit_done_and_is_kept_once(small: Small, officer: Actor) -> None:
    vid = _visit(small)
    assert _status(small, vid) == "confirmed"
    with small.store.uow() as uow:
        outcomes.record_outcome(uow, actor=officer, visit_id=vid,
                                data={"improvement_notices": 1, "prohibition_notices": 1, "arrests": 1})
    assert _status(small, vid) == "done"
    part = _part(small, vid, small.ts)
    assert part.outcome["result"] == ["notices", "arrests"] and part.outcome["notices"] == 2
    assert part.outcome_recorded_at is not None
    with small.store.read() as s:
        assert outcomes.awaiting_outcome(s, actor=officer).empty
        assert list(outcomes.recorded_outcomes(s, actor=officer)["Outcome"]) == ["2 notices, 1 arrest"]
    with small.store.uow() as uow, pytest.raises(Conflict, match="correct that record"):
        outcomes.record_outcome(uow, actor=officer, visit_id=vid, data={"seizures": 3})
    assert _part(small, vid, small.ts).outcome["seizures"] == 0, "the second record changed nothing"


def test_correction_by_the_same_agency_is_audited_before_and_after(small: Small, officer: Actor) -> None:
    vid = _visit(small)
    with small.store.uow() as uow:
        outcomes.record_outcome(uow, actor=officer, visit_id=vid, data={"seizures": 1})
    with small.store.uow() as uow:
        outcomes.correct_outcome(uow, actor=officer, visit_id=vid,
                                 data={"seizures": 4, "follow_up": True, "follow_up_note": "Interview the manager"},
                                 base_version=1)
    assert _part(small, vid, small.ts).outcome["seizures"] == 4
    with small.store.read() as s:
        events = s.session.scalars(select(AuditEvent).where(AuditEvent.entity == "visit",
                                                            AuditEvent.entity_id == str(vid))
                           .order_by(AuditEvent.id)).all()
    assert [e.action for e in events] == ["visit.outcome", "visit.status", "visit.outcome_corrected"]
    fix = events[-1]
    assert fix.actor_username == "olly"
    assert fix.before["outcome"]["seizures"] == 1 and fix.after["outcome"]["seizures"] == 4
    assert fix.after["outcome"]["follow_up_note"] == "Interview the manager"


def test_another_agency_may_not_record_or_correct(small: Small, officer: Actor) -> None:
    vid = _visit(small)
    with small.store.uow() as uow, pytest.raises(Forbidden, match="only for your own agency"):
        outcomes.record_outcome(uow, actor=small.analyst, visit_id=vid, data={"arrests": 1}, agency_id=small.ts)
    with small.store.uow() as uow:
        outcomes.record_outcome(uow, actor=officer, visit_id=vid, data={"arrests": 1})
    with small.store.uow() as uow, pytest.raises(Forbidden):
        outcomes.correct_outcome(uow, actor=small.analyst, visit_id=vid, data={"arrests": 0}, agency_id=small.ts,
                                 base_version=1)
    # The HMRC analyst records HMRC's own part; the TS outcome is untouched.
    with small.store.uow() as uow:
        outcomes.record_outcome(uow, actor=small.analyst, visit_id=vid, data={"penalties": 2})
    assert _part(small, vid, small.ts).outcome["arrests"] == 1
    assert _part(small, vid, small.hmrc).outcome["penalties"] == 2


def test_only_agencies_on_the_team_and_only_after_the_visit(small: Small, officer: Actor) -> None:
    fs = third_agency(small)
    fs_officer = add_user(small.store, "fran", Role.OFFICER, fs)
    vid = _visit(small)
    with small.store.uow() as uow, pytest.raises(NotFound, match="not on visit"):
        outcomes.record_outcome(uow, actor=fs_officer, visit_id=vid, data={})
    future = _visit(small, days=3)
    with small.store.uow() as uow, pytest.raises(ValidationError, match="not happened yet"):
        outcomes.record_outcome(uow, actor=officer, visit_id=future, data={})
    cancelled = _visit(small, status="cancelled")
    with small.store.uow() as uow, pytest.raises(ValidationError, match="cancelled"):
        outcomes.record_outcome(uow, actor=officer, visit_id=cancelled, data={})
    with small.store.uow() as uow, pytest.raises(Forbidden):
        outcomes.record_outcome(uow, actor=small.admin, visit_id=vid, data={})
    with small.store.uow() as uow, pytest.raises(ValidationError, match="negative"):
        outcomes.record_outcome(uow, actor=officer, visit_id=vid, data={"arrests": -1})
    assert _status(small, vid) == "confirmed", "a refused outcome leaves the visit as it was"


def test_awaiting_lists_my_agencys_past_visits_newest_first(small: Small, officer: Actor) -> None:
    older = _visit(small, days=-10)
    newer = _visit(small, days=-2)
    _visit(small, days=4)  # not yet
    declined = add_visit(small.store, None, {small.ts: 1, small.hmrc: 1}, declined=(small.ts,), lead=small.hmrc)
    with small.store.read() as s:
        ids = list(outcomes.awaiting_outcome(s, actor=officer)["visit_id"])
    assert ids == [newer, older]
    assert declined not in ids


def test_last_visit_for_the_risk_list(small: Small) -> None:
    a = add_business(small.store, "Alpha")
    b = add_business(small.store, "Bravo")
    never = add_business(small.store, "Charlie")
    add_visit(small.store, a, {small.ts: 1}, days=-30, status="done",
              outcomes={small.ts: validate({"improvement_notices": 2, "arrests": 1})})
    add_visit(small.store, a, {small.ts: 1, small.hmrc: 1}, days=-5, status="done",
              outcomes={small.ts: validate({"closure_notices": 1}), small.hmrc: validate({"arrests": 1, "seizures": 2})})
    add_visit(small.store, a, {small.ts: 1}, days=5, status="confirmed")  # planned, not a visit yet
    add_visit(small.store, b, {small.ts: 1}, days=-3, status="done", outcomes={small.ts: validate({})})
    with small.store.read() as s:
        last = outcomes.last_visit_for(s.session, [a, b, never])
    assert set(last) == {a, b}
    assert last[a][1] == "1 notice, 2 seizures, 1 arrest"
    assert last[a][0] > date(2000, 1, 1)
    assert last[b][1] == "nothing found"


def test_results_on_a_hand_made_partnership(small: Small, officer: Actor) -> None:
    fs = third_agency(small)
    biz = add_business(small.store, "Delta")
    # Visit 1: TS and HMRC both find something; FS finds nothing.  Visit 2: only TS finds something.
    # Visit 3: done, HMRC declined, TS found nothing.  Visit 4: cancelled.  Visit 5: planned.
    v1 = add_visit(small.store, biz, {small.ts: 2, small.hmrc: 1, fs: 1}, days=-40, status="done", officers=(officer.id,),
                   outcomes={small.ts: validate({"seizures": 2}), small.hmrc: validate({"penalties": 1}), fs: validate({})})
    v2 = add_visit(small.store, biz, {small.ts: 3}, days=-20, status="done",
                   outcomes={small.ts: validate({"improvement_notices": 1, "referrals": 2})})
    v3 = add_visit(small.store, biz, {small.ts: 1, small.hmrc: 4}, days=-10, status="done", declined=(small.hmrc,),
                   outcomes={small.ts: validate({"advice": True})})
    add_visit(small.store, biz, {small.ts: 1}, days=-15, status="cancelled")
    add_visit(small.store, biz, {small.ts: 1}, days=10, status="confirmed")
    with small.store.read() as s:
        r = outcomes.results(s, actor=officer)
    assert r.done == 3 and r.multi_agency_findings == 1
    assert r.multi_agency_share == pytest.approx(1 / 3)
    assert r.per_month["Visits"].sum() == 5
    assert set(r.per_month["Status"]) == {"done", "cancelled", "confirmed"}
    ts = r.by_agency.set_index("Agency").loc["Trading Standards"]
    assert (ts["Visits attended"], ts["Outcomes recorded"], ts["Nothing found"]) == (3, 3, 1)
    assert (ts["Seizures"], ts["Notices"], ts["Referrals"]) == (2, 1, 2)
    hmrc = r.by_agency.set_index("Agency").loc["HM Revenue and Customs"]
    assert (hmrc["Visits attended"], hmrc["Civil penalties"]) == (1, 1), "a declined part is not attendance"
    officers = r.officers.set_index("visit_id")
    assert officers.loc[v1, "Officers deployed"] == 4 and officers.loc[v1, "Officers named"] == 1
    assert officers.loc[v2, "Officers deployed"] == 3
    assert officers.loc[v3, "Officers deployed"] == 1 and officers.loc[v3, "Agencies"] == 1
    with small.store.read() as s:
        later = outcomes.results(s, actor=officer, since=date.today())
    assert later.done == 0 and later.per_month["Visits"].sum() == 1
