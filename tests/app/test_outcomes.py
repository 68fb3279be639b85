"""Joint visit outcomes in the app: an officer records and corrects an outcome; a coordinator plans a week
of action; the results page shows the partnership's figures to every role."""
from __future__ import annotations

import os
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from core.services import accounts, operations, outcomes
from core.store import Store
from core.store.models import Agency, AuditEvent, Operation, User, Visit, VisitAgency
from tests.app.conftest import DEMO_USERS, shown


def _by_label(widgets, label: str):  # noqa: ANN001, ANN202
    return next(w for w in widgets if w.label == label)


def _past_visit_for(store: Store, code: str) -> int:
    """Move one of the agency's planned visits to yesterday, so it awaits the agency's outcome."""
    with store.uow() as uow:
        s = uow.session
        agency = s.scalar(select(Agency.id).where(Agency.code == code))
        visit = s.scalars(select(Visit).join(VisitAgency, VisitAgency.visit_id == Visit.id)
                          .where(VisitAgency.agency_id == agency, VisitAgency.response != "declined",
                                 Visit.status == "confirmed").order_by(Visit.starts_at)).first()
        visit.starts_at = datetime.now(timezone.utc) - timedelta(days=1)
        visit.ends_at = visit.starts_at + timedelta(hours=2)
        uow.commit()
        return visit.id


def test_officer_records_then_corrects_an_outcome(private_app: Callable[..., AppTest]) -> None:
    store = Store(os.environ["DATABASE_URL"], migrate=False)
    vid = _past_visit_for(store, "FS")
    at = private_app("officer")
    at.switch_page("pages/visit_outcomes.py").run()
    assert not at.exception, at.exception
    with store.read() as s:
        premises = s.session.get(Visit, vid).premises_text
    assert premises in set(at.dataframe[0].value["Premises"]), "the visit awaits FS's outcome"
    _by_label(at.selectbox, "Visit").set_value(vid).run()
    _by_label(at.number_input, "Improvement notices").set_value(2)
    _by_label(at.number_input, "Arrests").set_value(1)
    _by_label(at.checkbox, "Follow-up needed").check()
    at = next(b for b in at.button if b.label == "Record outcome").click().run()
    assert not at.exception
    assert any("say what follow-up is needed" in shown(e.value) for e in at.error), "follow-up needs a note"
    _by_label(at.text_input, "Follow-up: what and by when").input("Revisit in 28 days")
    at = next(b for b in at.button if b.label == "Record outcome").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any("Outcome recorded" in s.value for s in at.success)
    with store.read() as s:
        visit = s.session.get(Visit, vid)
        assert visit.status == "done"
        officer = accounts.load_actor(s.session, "officer")
        assert outcomes.last_visit_for(s.session,
                                       [visit.business_id])[visit.business_id][1].startswith("2 notices, 1 arrest")

    _by_label(at.radio, "What to do").set_value("Correct a recorded outcome").run()
    _by_label(at.selectbox, "Visit").set_value(vid).run()
    assert _by_label(at.number_input, "Improvement notices").value == 2, "the form starts from what was recorded"
    _by_label(at.number_input, "Arrests").set_value(0)
    at = next(b for b in at.button if b.label == "Save correction").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    with store.read() as s:
        part = s.session.scalar(select(VisitAgency).where(VisitAgency.visit_id == vid,
                                                          VisitAgency.agency_id == officer.agency_id))
        assert part.outcome["arrests"] == 0 and part.outcome["notices"] == 2
        fix = s.session.scalars(select(AuditEvent).where(AuditEvent.action == "visit.outcome_corrected")).one()
        assert fix.before["outcome"]["arrests"] == 1 and fix.after["outcome"]["arrests"] == 0
    store.dispose()


def test_a_save_from_a_form_someone_else_saved_over_is_refused_and_says_who(private_app: Callable[..., AppTest]) -> None:
    """Two FS officers on one visit: the second submits the form drawn before the first saved, and is told."""
    store = Store(os.environ["DATABASE_URL"], migrate=False)
    vid = _past_visit_for(store, "FS")
    with store.read() as s:
        officer = accounts.load_actor(s.session, "officer")
        colleague = next(a for a in (accounts.load_actor(s.session, u) for u in s.session.scalars(
            select(User.username).where(User.agency_id == officer.agency_id, User.role == "officer",
                                        User.username != "officer", User.active.is_(True)))) if a is not None)
    at = private_app("officer")
    at.switch_page("pages/visit_outcomes.py").run()
    _by_label(at.selectbox, "Visit").set_value(vid).run()
    _by_label(at.number_input, "Seizures").set_value(3)
    with store.uow() as uow:  # meanwhile, the colleague records FS's outcome
        outcomes.record_outcome(uow, actor=colleague, visit_id=vid, data={"arrests": 2})
    at = next(b for b in at.button if b.label == "Record outcome").click().run()
    assert not at.exception
    assert any(colleague.name in e.value and "2 arrests" in e.value for e in at.error), [e.value for e in at.error]
    with store.read() as s:
        part = s.session.scalar(select(VisitAgency).where(VisitAgency.visit_id == vid,
                                                          VisitAgency.agency_id == officer.agency_id))
        assert (part.outcome["arrests"], part.outcome["seizures"], part.outcome_version) == (2, 0, 1)

    # Correcting: the form shows version 1; the colleague corrects first; the officer's correction is refused.
    _by_label(at.radio, "What to do").set_value("Correct a recorded outcome").run()
    _by_label(at.selectbox, "Visit").set_value(vid).run()
    assert _by_label(at.number_input, "Arrests").value == 2
    _by_label(at.number_input, "Seizures").set_value(4)
    with store.uow() as uow:
        outcomes.correct_outcome(uow, actor=colleague, visit_id=vid, data={"arrests": 1}, base_version=1)
    at = next(b for b in at.button if b.label == "Save correction").click().run()
    assert not at.exception
    assert any(colleague.name in e.value and "you started from 1" in e.value for e in at.error), [e.value for e in at.error]
    with store.read() as s:
        part = s.session.scalar(select(VisitAgency).where(VisitAgency.visit_id == vid,
                                                          VisitAgency.agency_id == officer.agency_id))
        assert (part.outcome["arrests"], part.outcome["seizures"], part.outcome_version) == (1, 0, 2)
    assert _by_label(at.number_input, "Arrests").value == 1, "the form now shows what the colleague saved"
    store.dispose()


def test_coordinator_plans_a_week_of_action(private_app: Callable[..., AppTest]) -> None:
    store = Store(os.environ["DATABASE_URL"], migrate=False)
    at = private_app("coordinator")
    at.switch_page("pages/operations.py").run()
    assert not at.exception, at.exception
    _by_label(at.text_input, "Name").input("Operation Test Week")
    at = next(b for b in at.button if b.label == "Create operation").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any("Created Operation Test Week" in s.value for s in at.success)
    pool = at.dataframe[-1].value
    assert len(pool) > 3 and (pool["Agencies"] >= 2).all(), "the picker offers businesses two or more agencies hold"
    with store.read() as s:
        offered = operations.candidates(s, actor=accounts.load_actor(s.session, "coordinator"))
    assert list(offered["Business"]) == list(pool["Business"])
    # Found by name and address, as a coordinator knows them (the page asked for business ids before).
    for _, row in offered.head(3).iterrows():
        at.text_input(key="op_find_q").input(f"{row['Business']}, {row['Address']}").run()
        at.selectbox(key="op_find_pick").set_value(int(row["business_id"])).run()
        at = next(b for b in at.button if b.label == "Add it").click().run()
        assert not at.exception, at.exception
    chosen = next(m for m in at.multiselect if m.label == "Premises to plan")
    assert len(chosen.value) == 3 and not any(str(v).isdigit() for v in chosen.options)
    at = next(b for b in at.button if b.label.startswith("Plan ")).click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any("Planned 3 draft visits in Operation Test Week" in s.value for s in at.success)
    with store.read() as s:
        op = s.session.scalars(select(Operation).where(Operation.name == "Operation Test Week")).one()
        visits = s.session.scalars(select(Visit).where(Visit.operation_id == op.id)).all()
    assert len(visits) == 3 and {v.status for v in visits} == {"draft"}
    assert {v.starts_at.date() for v in visits} <= {op.starts_on + timedelta(days=i) for i in range(5)}
    store.dispose()


@pytest.mark.parametrize("role", list(DEMO_USERS))
def test_results_page_shows_the_partnership_figures(open_app: Callable[..., AppTest], role: str) -> None:
    at = open_app(DEMO_USERS[role])
    at.switch_page("pages/visit_results.py").run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    store = Store(os.environ["DATABASE_URL"], migrate=False)
    with store.read() as s:
        actor = accounts.load_actor(s.session, DEMO_USERS[role])
        done = outcomes.results(s, actor=actor, since=datetime.now(timezone.utc).date() - timedelta(days=365)).done
    store.dispose()
    assert done > 0
    assert _by_label(at.metric, "Visits done").value == str(done)
    assert len(at.get("plotly_chart")) >= 3
    labels = {b.label for b in at.get("download_button")}
    assert {"My visits calendar (.ics)", "Visits I am named on (.ics)"} <= labels


def _downloads_script(visit_id: int) -> None:
    import os

    from core.services import accounts
    from core.services.partnership import settings
    from core.store import Store
    from ui import visit_downloads
    from ui.context import Context

    store = Store(os.environ["DATABASE_URL"], migrate=False)
    with store.read() as s:
        ctx = Context(store, accounts.load_actor(s.session, "officer"), settings(s.session))
    visit_downloads.render(ctx, visit_id)


def test_visit_download_buttons(open_app: Callable[..., AppTest]) -> None:
    open_app()  # points the environment at the demo copy
    at = AppTest.from_function(_downloads_script, args=(1,), default_timeout=30).run()
    assert not at.exception, at.exception
    assert [b.label for b in at.get("download_button")] == ["Briefing sheet (PDF)", "Add to calendar (.ics)"]
