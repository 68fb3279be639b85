"""Joint visits in the app: the coordinator plans from a business on the risk list, officers see the
calendar and the warning markers, the administrator never sees markers."""
from __future__ import annotations

import os
from collections.abc import Callable
from datetime import date, timedelta

from sqlalchemy import func, select
from streamlit.testing.v1 import AppTest

from core.services import accounts, visits
from core.store import Store
from core.store.models import AgencyRecord, Business, Dataset, Visit, WarningMarker
from tests.app.conftest import shown


def _by_label(widgets, label: str):  # noqa: ANN001, ANN202
    return next(w for w in widgets if w.label == label)


def _text(at: AppTest) -> str:
    parts = [shown(m.value) for m in at.markdown] + [shown(e.value) for e in at.error] + [shown(w.value) for w in at.warning]
    return "\n".join(str(p) for p in parts)


def _food_business(store: Store) -> int:
    """A business held in the food hygiene register (full sharing) and nothing owner-only."""
    with store.read() as s:
        owner_only = select(AgencyRecord.business_id).join(Dataset, Dataset.id == AgencyRecord.dataset_id).where(
            Dataset.sharing == "owner-only", AgencyRecord.business_id.is_not(None))
        return s.session.scalar(select(Business.id).join(AgencyRecord, AgencyRecord.business_id == Business.id)
                        .join(Dataset, Dataset.id == AgencyRecord.dataset_id)
                        .where(Dataset.name == "Food hygiene register", AgencyRecord.current.is_(True),
                               Business.sector.ilike("%takeaway%"), Business.id.not_in(owner_only))
                        .order_by(Business.id).limit(1))


def test_coordinator_plans_from_a_business_and_saves(private_app: Callable[..., AppTest]) -> None:
    store = Store(os.environ["DATABASE_URL"], migrate=False)
    biz = _food_business(store)
    at = private_app("coordinator")
    at.query_params["business"] = str(biz)
    at.switch_page("pages/visit_planner.py").run()
    assert not at.exception, at.exception
    assert "Recommendation" in _text(at) and "Food Safety" in _text(at), "a recommendation names the food team"
    assert "leads" in _text(at)
    with store.read() as s:
        before = s.session.scalar(select(func.count()).select_from(Visit).where(Visit.business_id == biz))
    for clash in (w for w in at.text_input if w.label.startswith("Reason to proceed")):
        clash.input("Agreed at tasking")  # the demo may already have a visit there
    at = _by_label(at.button, "Save as draft").click().run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert any("saved" in x.value for x in at.success)
    with store.read() as s:
        v = s.session.scalars(select(Visit).where(Visit.business_id == biz).order_by(Visit.id.desc())).first()
        after = s.session.scalar(select(func.count()).select_from(Visit).where(Visit.business_id == biz))
    assert after == before + 1 and v.status == "draft" and v.reasons and v.lead_agency_id is not None
    # The planner now holds the saved visit: saving again changes it instead of planning a duplicate.
    for clash in (w for w in at.text_input if w.label.startswith("Reason to proceed")):
        clash.input("Agreed at tasking")
    at = _by_label(at.button, "Save plan").click().run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    with store.read() as s:
        again = s.session.scalar(select(func.count()).select_from(Visit).where(Visit.business_id == biz))
    assert again == after, "a second save planned a duplicate visit"
    store.dispose()


def test_officer_sees_the_calendar_and_a_visits_markers(open_app: Callable[..., AppTest]) -> None:
    store = Store(os.environ["DATABASE_URL"], migrate=False)
    with store.read() as s:
        marked = s.session.scalar(select(Visit.id).join(WarningMarker, WarningMarker.business_id == Visit.business_id)
                          .where(WarningMarker.active.is_(True)).order_by(Visit.id).limit(1))
    store.dispose()
    at = open_app("officer")
    at.switch_page("pages/visits.py").run()
    assert not at.exception, at.exception
    assert any(m.value.endswith(("visits", "visit")) or " visits" in m.value for m in at.markdown)
    for view in ("Week", "List", "Month"):
        at = at.get("button_group")[0].set_value(view).run()
        assert not at.exception, (view, at.exception)
    at.query_params["visit"] = str(marked)
    at.switch_page("pages/visits.py").run()
    assert not at.exception, at.exception
    assert any("Officer safety" in e.value for e in at.error), "markers reach the team"


def test_admin_does_not_see_markers(open_app: Callable[..., AppTest]) -> None:
    store = Store(os.environ["DATABASE_URL"], migrate=False)
    with store.read() as s:
        marked = s.session.scalar(select(Visit.id).join(WarningMarker, WarningMarker.business_id == Visit.business_id)
                          .where(WarningMarker.active.is_(True)).order_by(Visit.id).limit(1))
    store.dispose()
    at = open_app("admin")
    at.query_params["visit"] = str(marked)
    at.switch_page("pages/visits.py").run()
    assert not at.exception, at.exception
    assert not any("Officer safety" in e.value for e in at.error)
    assert "Officer safety" not in _text(at) and "Warning marker" not in _text(at)


def test_planner_opens_a_saved_visit_and_the_catalogue_is_editable_by_its_lead(private_app: Callable[..., AppTest]) -> None:
    store = Store(os.environ["DATABASE_URL"], migrate=False)
    with store.read() as s:
        vid = s.session.scalar(select(Visit.id).where(Visit.status == "proposed").order_by(Visit.starts_at.desc()).limit(1))
    store.dispose()
    at = private_app("coordinator")
    at.query_params["visit"] = str(vid)
    at.switch_page("pages/visit_planner.py").run()
    assert not at.exception, at.exception
    assert any(f"Visit {vid}" in h.value for h in at.subheader)
    assert _by_label(at.button, "Save plan")

    at.query_params.clear()
    at.switch_page("pages/catalogue.py").run()
    assert not at.exception, at.exception
    assert _by_label(at.selectbox, "Agency").value is not None
    _by_label(at.text_input, "Contact name or team").input("Night-time economy team")
    at = _by_label(at.button, "Save contact point").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any("Contact point saved" in x.value for x in at.success)
    at = _by_label(at.button, "Save powers").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]


def test_officer_reads_the_catalogue_without_editors(open_app: Callable[..., AppTest]) -> None:
    at = open_app("officer")
    at.switch_page("pages/catalogue.py").run()
    assert not at.exception, at.exception
    assert not [b for b in at.button if b.label.startswith("Save")]
    assert len(at.dataframe) >= 2


def test_coordinator_confirms_its_agencys_part_from_the_visit(private_app: Callable[..., AppTest]) -> None:
    from core.store.models import Agency, VisitAgency

    store = Store(os.environ["DATABASE_URL"], migrate=False)
    with store.read() as s:
        lic = s.session.scalar(select(Agency.id).where(Agency.code == "LIC"))
        vid = s.session.scalar(select(Visit.id).join(VisitAgency, VisitAgency.visit_id == Visit.id)
                       .where(VisitAgency.agency_id == lic, VisitAgency.response == "pending",
                              Visit.status.in_(("draft", "proposed"))).order_by(Visit.id).limit(1))
    at = private_app("coordinator")
    at.query_params["visit"] = str(vid)
    at.switch_page("pages/visits.py").run()
    assert not at.exception, at.exception
    at = _by_label(at.button, "Confirm our part").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    with store.read() as s:
        answer = s.session.scalar(select(VisitAgency.response).where(VisitAgency.visit_id == vid,
                                                                     VisitAgency.agency_id == lic))
    assert answer == "confirmed"
    store.dispose()


def test_a_decline_after_the_page_was_drawn_stops_the_confirmation_and_says_who(private_app: Callable[..., AppTest]) -> None:
    """The coordinator sees every agency confirmed; a partner declines before the click: the confirmation is refused."""
    from datetime import datetime, timezone

    from core.services import accounts, visits
    from core.store.models import Agency, User, VisitAgency

    store = Store(os.environ["DATABASE_URL"], migrate=False)
    with store.uow() as uow:
        s = uow.session
        lic = s.scalar(select(Agency.id).where(Agency.code == "LIC"))
        partners = select(VisitAgency.visit_id).where(VisitAgency.agency_id != lic)
        visit = s.scalars(select(Visit).join(VisitAgency, VisitAgency.visit_id == Visit.id)
                          .where(VisitAgency.agency_id == lic, Visit.status == "proposed", Visit.id.in_(partners),
                                 Visit.starts_at > datetime.now(timezone.utc)).order_by(Visit.id)).first()
        for va in visit.agencies:
            va.response = "confirmed"
        partner = next(va.agency_id for va in visit.agencies if va.agency_id != lic)
        vid = visit.id
        uow.commit()
    with store.read() as s:
        username = s.session.scalar(select(User.username).where(User.agency_id == partner,
                                                                User.role.in_(("analyst", "coordinator")),
                                                        User.active.is_(True)).order_by(User.id).limit(1))
        declining = accounts.load_actor(s.session, username)
    at = private_app("coordinator")
    at.query_params["visit"] = str(vid)
    at.switch_page("pages/visits.py").run()
    assert not at.exception, at.exception
    _by_label(at.selectbox, "Move to").set_value("confirmed")
    with store.uow() as uow:  # meanwhile, the partner declines
        visits.respond(uow, actor=declining, visit_id=vid, answer="declined", note="crew on another job")
    at = _by_label(at.button, "Change status").click().run()
    assert not at.exception
    assert any(declining.name in e.value and "declined" in e.value for e in at.error), [e.value for e in at.error]
    with store.read() as s:
        assert s.session.get(Visit, vid).status == "proposed"
    store.dispose()


def test_planner_warns_when_the_lead_cannot_give_its_notice_in_time(open_app: Callable[..., AppTest]) -> None:
    """Liquor Stop, KM2 6XB: Trading Standards leads, entering after 48 hours' notice; a visit today is too soon."""
    store = Store(os.environ["DATABASE_URL"], migrate=False)
    with store.read() as s:
        biz = s.session.scalar(select(Business.id).where(Business.name == "Liquor Stop",
                                                         Business.postcode == "KM2 6XB"))
    store.dispose()
    at = open_app("coordinator")
    at.query_params["business"] = str(biz)
    at.switch_page("pages/visit_planner.py").run()
    assert not at.exception, at.exception
    assert "Trading Standards leads" in _text(at)
    assert not [w for w in at.warning if "hours' notice" in shown(w.value)], "a week ahead leaves time to give notice"
    _by_label(at.date_input, "Date").set_value(date.today()).run()
    assert not at.exception, at.exception
    [warning] = [shown(w.value) for w in at.warning if "hours' notice" in shown(w.value)]
    assert warning.startswith("Trading Standards enters after giving 48 hours' notice")


def test_a_visit_reopened_in_the_planner_links_to_its_page(open_app: Callable[..., AppTest]) -> None:
    """Issue 17: reopening a saved visit in the planner offered no way back to the visit's page."""
    store = Store(os.environ["DATABASE_URL"], migrate=False)
    with store.read() as s:
        coordinator = accounts.load_actor(s.session, "coordinator")
        visit = next(v for v in visits.calendar(s, actor=coordinator, start=date.today() - timedelta(days=60),
                                                 end=date.today() + timedelta(days=60)) if not v["withheld"])
    store.dispose()
    at = open_app("coordinator")
    at.query_params["visit"] = str(visit["id"])
    at.switch_page("pages/visit_planner.py").run()
    assert not at.exception, at.exception
    links = [e.proto for e in at.get("page_link")]
    assert any(link.page.endswith("visits") and f"visit={visit['id']}" in link.query_string for link in links), links


def test_the_month_grid_links_each_visit_in_its_day_and_marks_clashes(private_app: Callable[..., AppTest]) -> None:
    """Issue 17, a calendar people recognise: the month as weeks of days; each visit a link that opens it
    (?visit=ID); two visits to one premises in the same week both marked "clash", with the reason as help."""
    from datetime import datetime, time, timezone

    from core.store.models import Agency, VisitAgency

    store = Store(os.environ["DATABASE_URL"], migrate=False)
    day = date.today().replace(day=10)
    ids = []
    with store.uow() as uow:
        s = uow.session
        lic = s.scalar(select(Agency).where(Agency.code == "LIC"))
        for n, hour in enumerate((10, 14)):
            start = datetime.combine(day + timedelta(days=n), time(hour), timezone.utc)
            v = Visit(premises_text="Gridtest Grill, 5 Calendar Row", starts_at=start, ends_at=start + timedelta(hours=2),
                      lead_agency_id=lic.id, status="proposed", version=1, reasons=[], overrides=[])
            v.agencies = [VisitAgency(agency_id=lic.id, officers=1, response="pending")]
            s.add(v)
            s.flush()
            ids.append(v.id)
        uow.commit()
    store.dispose()
    at = private_app("coordinator")
    at.switch_page("pages/visits.py").run()
    assert not at.exception, at.exception
    links = [p for p in at.get("page_link") if "Gridtest Grill" in p.proto.label]
    assert len(links) == 2, [p.proto.label for p in at.get("page_link")]
    assert all(":red-badge[clash]" in p.proto.label and "same premises" in shown(p.proto.help) for p in links)
    assert {p.proto.query_string for p in links} == {f"visit={i}" for i in ids}
    assert sorted(p.proto.label[:5] for p in links) == ["10:00", "14:00"]


def test_agency_codes_have_a_legend_and_match_review_shows_no_none(open_app: Callable[..., AppTest]) -> None:
    """Issue 17: agency codes without a legend; "None" in Match review's empty cells."""
    at = open_app("coordinator")
    at.switch_page("pages/visits.py").run()
    assert any(c.value.startswith("Agencies: ") and "LIC Licensing" in c.value for c in at.caption), [c.value for c in at.caption]
    at = open_app("analyst")
    at.switch_page("pages/match_review.py").run()
    assert not at.exception
    table = at.dataframe[0].value
    assert not table.isna().any().any() and "None" not in table.astype(str).to_numpy().ravel().tolist()
    assert "House number (from the address)" in set(table["Field"])
