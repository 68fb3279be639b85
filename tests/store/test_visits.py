"""Joint visits on both databases: plan from a business, answers, transitions, overrides, markers,
owner-only records not leaking, audit rows and version conflicts."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from core.domain import Role
from core.errors import Conflict, Forbidden, NotFound, ValidationError
from core.permissions import Actor
from core.services import accounts, visits
from core.services.visits import ClashError, TeamMember, VisitPlan
from core.store import Store
from core.store.models import Agency, AgencyRecord, AuditEvent, Business, Dataset, User, Visit
from tests.store.conftest import _HASH

START = datetime(2027, 3, 2, 10, 0, tzinfo=timezone.utc)


def _actor(store: Store, username: str) -> Actor:
    with store.read() as s:
        actor = accounts.load_actor(s.session, username)
    assert actor is not None
    return actor


def _ids(store: Store) -> dict[str, int]:
    with store.read() as s:
        return dict(s.session.execute(select(Agency.code, Agency.id)).all())


def _business(store: Store, holders: tuple[str, ...], name: str = "Test Kebab House") -> int:
    """A takeaway held by the given agencies' datasets (IE's dataset is owner-only)."""
    with store.uow() as uow:
        s = uow.session
        biz = Business(name=name, address="1 Test Street", postcode="KM1 1AA", sector="takeaway")
        s.add(biz)
        s.flush()
        for code in holders:
            ds = s.scalars(select(Dataset).join(Agency, Agency.id == Dataset.agency_id).where(Agency.code == code)).first()
            s.add(AgencyRecord(dataset_id=ds.id, agency_id=ds.agency_id, business_id=biz.id, reference=f"T-{code}-{biz.id}",
                               trading_name=name, address="1 Test Street", postcode="KM1 1AA", sector="takeaway",
                               risk_band="high", current=True))
        uow.commit()
        return biz.id


def _user(store: Store, username: str, role: str, code: str) -> Actor:
    with store.uow() as uow:
        agency = uow.session.scalars(select(Agency).where(Agency.code == code)).one()
        u = User(username=username, name=username.title(), role=role, agency_id=agency.id, password_hash=_HASH)
        uow.session.add(u)
        uow.commit()
    return Actor(u.id, username, u.name, Role(role), agency.id, agency.name)


def _plan(store: Store, actor: Actor, biz: int, *, issues: list[str], start: datetime = START, **kw) -> int:
    with store.read() as s:
        info = visits.interest(s, actor=actor, business_id=biz)
        rec = visits.recommend_team(s, actor=actor, issues=issues, kind=info["kind"])
    team = kw.pop("team", None) or [TeamMember(a, rec.officers.get(a, 1)) for a in rec.team]
    clash_reason = kw.pop("clash_reason", "")
    plan = VisitPlan(start, start + timedelta(hours=2), team, kw.pop("lead", rec.lead_id), biz, issues=issues,
                     premises_kind=info["kind"], **kw)
    with store.uow() as uow:
        return visits.plan_visit(uow, actor=actor, plan=plan, recommendation=rec, override_reason="known to the team",
                                 clash_reason=clash_reason)


def test_plan_from_a_business_stores_the_recommendation_and_its_reasons(demo_store: Store) -> None:
    coord = _actor(demo_store, "coordinator")
    ids = _ids(demo_store)
    biz = _business(demo_store, ("FS", "LIC"))
    with demo_store.read() as s:
        info = visits.interest(s, actor=coord, business_id=biz)
    suggested = {i["issue"] for i in info["issues"]}
    assert {"food hygiene", "licensing breach"} <= suggested and info["kind"] == "food business"
    vid = _plan(demo_store, coord, biz, issues=["food hygiene", "illegal working"])
    with demo_store.read() as s:
        d = visits.visit_detail(s, actor=coord, visit_id=vid)
        audit = s.session.scalars(select(AuditEvent).where(AuditEvent.entity == "visit",
                                                           AuditEvent.entity_id == str(vid))).all()
    assert d["status"] == "draft" and d["lead_agency_id"] == ids["FS"]
    assert {t["agency_id"] for t in d["team"]} == {ids["FS"], ids["IE"]}
    assert "enters alongside" in " ".join(d["reasons"]) and d["entry_route"].startswith("Food Safety")
    assert d["overrides"] == [] and d["not_answered"] == ["Food Safety (Environmental Health)", "Immigration Enforcement"]
    assert [a.action for a in audit] == ["visit.plan"]


def test_overrides_are_recorded_with_who_and_why(demo_store: Store) -> None:
    coord = _actor(demo_store, "coordinator")
    ids = _ids(demo_store)
    biz = _business(demo_store, ("FS",))
    team = [TeamMember(ids["FS"]), TeamMember(ids["IE"], 2), TeamMember(ids["POL"], 2)]
    vid = _plan(demo_store, coord, biz, issues=["food hygiene", "illegal working"], team=team, lead=ids["POL"])
    with demo_store.read() as s:
        overrides = s.session.get(Visit, vid).overrides
    assert {o["what"] for o in overrides} == {"team", "lead"}
    lead = next(o for o in overrides if o["what"] == "lead")
    assert (lead["recommended"], lead["chosen"], lead["by"], lead["reason"]) == (
        "Food Safety (Environmental Health)", "Kingsmere Police", "coordinator", "known to the team")


def test_answers_and_transitions(demo_store: Store) -> None:
    coord = _actor(demo_store, "coordinator")
    ids = _ids(demo_store)
    biz = _business(demo_store, ("LIC",), "Test Bar")
    vid = _plan(demo_store, coord, biz, issues=["licensing breach", "fire safety"], start=START + timedelta(days=40))
    fire = _actor(demo_store, "stuart.bell")  # Fire's coordinator

    def version() -> int:
        with demo_store.read() as s:
            return s.session.get(Visit, vid).version

    with demo_store.uow() as uow:
        with pytest.raises(ValidationError, match="can move to proposed, cancelled, not done"):
            visits.set_status(uow, actor=coord, visit_id=vid, status="done", base_version=version())
    with demo_store.uow() as uow:
        visits.set_status(uow, actor=coord, visit_id=vid, status="proposed", base_version=version())
    with demo_store.uow() as uow:
        visits.respond(uow, actor=coord, visit_id=vid, answer="confirmed")  # Licensing's own part
    with demo_store.uow() as uow:
        with pytest.raises(ValidationError, match="Not every agency has confirmed: Kingsmere Fire"):
            visits.set_status(uow, actor=coord, visit_id=vid, status="confirmed", base_version=version())
    with demo_store.uow() as uow:
        with pytest.raises(Forbidden):
            visits.respond(uow, actor=coord, visit_id=vid, answer="confirmed", agency_id=ids["FRS"])
    with demo_store.uow() as uow:
        visits.respond(uow, actor=fire, visit_id=vid, answer="confirmed")
    with demo_store.uow() as uow:
        visits.set_status(uow, actor=coord, visit_id=vid, status="confirmed", base_version=version())
    with demo_store.uow() as uow:
        with pytest.raises(ValidationError, match="say why"):
            visits.respond(uow, actor=fire, visit_id=vid, answer="declined")
    with demo_store.uow() as uow:
        visits.respond(uow, actor=fire, visit_id=vid, answer="declined", note="crew on another job")
    with demo_store.read() as s:
        d = visits.visit_detail(s, actor=coord, visit_id=vid)
    assert d["status"] == "proposed", "a decline after confirmation sends the plan back"
    with demo_store.uow() as uow:
        visits.set_status(uow, actor=coord, visit_id=vid, status="confirmed", base_version=d["version"],
                          reason="Fire not needed: audit done last month")
    with demo_store.read() as s:
        v = s.session.get(Visit, vid)
        actions = [a.action for a in s.session.scalars(select(AuditEvent).where(AuditEvent.entity_id == str(vid),
                                                                                AuditEvent.entity == "visit"))]
    assert v.status == "confirmed" and v.overrides[-1]["what"] == "confirmed without every answer"
    assert actions.count("visit.respond") == 3 and actions.count("visit.status") == 3


def test_stale_edit_is_refused(demo_store: Store) -> None:
    coord = _actor(demo_store, "coordinator")
    biz = _business(demo_store, ("FS",))
    vid = _plan(demo_store, coord, biz, issues=["food hygiene"], start=START + timedelta(days=60))
    with demo_store.read() as s:
        d = visits.visit_detail(s, actor=coord, visit_id=vid)
    with demo_store.uow() as uow:
        visits.set_status(uow, actor=coord, visit_id=vid, status="proposed", base_version=d["version"])
    said = rf"{coord.name} \(.+\) changed this visit on .* \(visit {vid}: draft → proposed\) since you opened it"
    with demo_store.uow() as uow:
        with pytest.raises(Conflict, match=said):
            visits.set_status(uow, actor=coord, visit_id=vid, status="cancelled", base_version=d["version"], reason="x")
    with demo_store.uow() as uow:
        with pytest.raises(Conflict, match=said):
            visits.plan_visit(uow, actor=coord, plan=d["plan"], visit_id=vid, base_version=d["version"])


def test_a_clash_needs_a_reason_and_is_recorded(demo_store: Store) -> None:
    coord = _actor(demo_store, "coordinator")
    biz = _business(demo_store, ("FS",))
    _plan(demo_store, coord, biz, issues=["food hygiene"], start=START + timedelta(days=80))
    with pytest.raises(ClashError, match="same premises"):
        _plan(demo_store, coord, biz, issues=["food hygiene"], start=START + timedelta(days=83))
    with demo_store.read() as s:
        info = visits.interest(s, actor=coord, business_id=biz)
        rec = visits.recommend_team(s, actor=coord, issues=["food hygiene"], kind=info["kind"])
    plan = VisitPlan(START + timedelta(days=83), START + timedelta(days=83, hours=1), [TeamMember(rec.lead_id)], rec.lead_id, biz)
    with demo_store.uow() as uow:
        vid = visits.plan_visit(uow, actor=coord, plan=plan, recommendation=rec,
                                clash_reason="follow-up revisit agreed")
    with demo_store.read() as s:
        assert s.session.get(Visit, vid).overrides[-1]["what"] == "clash"


def test_owner_only_records_do_not_leak_to_other_agencies(demo_store: Store) -> None:
    coord = _actor(demo_store, "coordinator")  # Licensing
    ie_coord = _user(demo_store, "ice.coord", "coordinator", "IE")
    both = _business(demo_store, ("FS", "IE"))
    with demo_store.read() as s:
        theirs = visits.interest(s, actor=coord, business_id=both)
        ours = visits.interest(s, actor=ie_coord, business_id=both)
    assert "Immigration Enforcement" not in theirs["agencies"]
    assert "illegal working" not in {i["issue"] for i in theirs["issues"]}
    assert "illegal working" in {i["issue"] for i in ours["issues"]}, "IE's own planner sees its own interest"
    only_ie = _business(demo_store, ("IE",), "Hidden Car Wash")
    with demo_store.read() as s:
        with pytest.raises(NotFound):
            visits.interest(s, actor=coord, business_id=only_ie)


def test_markers_reach_only_roles_allowed_to_see_them(demo_store: Store) -> None:
    coord = _actor(demo_store, "coordinator")
    officer = _actor(demo_store, "officer")
    admin = _actor(demo_store, "admin")
    biz = _business(demo_store, ("FS",))
    vid = _plan(demo_store, coord, biz, issues=["food hygiene"], start=START + timedelta(days=100))
    with demo_store.uow() as uow:
        with pytest.raises(Forbidden):
            visits.add_marker(uow, actor=officer, category="dogs", details="Two dogs", business_id=biz)
    with demo_store.uow() as uow:
        mid = visits.add_marker(uow, actor=coord, category="dogs", details="Two large dogs in the yard",
                                business_id=biz)
    with demo_store.read() as s:
        assert [m["details"] for m in visits.visit_detail(s, actor=officer,
                                                          visit_id=vid)["markers"]] == ["Two large dogs in the yard"]
        assert visits.visit_detail(s, actor=admin, visit_id=vid)["markers"] == []
        assert visits.markers_for(s, actor=admin, business_id=biz) == []
    fire = _actor(demo_store, "stuart.bell")
    with demo_store.uow() as uow:
        with pytest.raises(Forbidden):
            visits.retire_marker(uow, actor=fire, marker_id=mid, reason="gone")
    with demo_store.uow() as uow:
        visits.retire_marker(uow, actor=coord, marker_id=mid, reason="Dogs rehomed")
    with demo_store.read() as s:
        assert visits.markers_for(s, actor=officer, business_id=biz) == []
        actions = [a.action for a in s.session.scalars(select(AuditEvent).where(AuditEvent.entity == "warning_marker",
                                                                        AuditEvent.entity_id == str(mid)))]
    assert actions == ["marker.add", "marker.retire"]


def test_merge_into_the_other_visit(demo_store: Store) -> None:
    coord = _actor(demo_store, "coordinator")
    ids = _ids(demo_store)
    biz = _business(demo_store, ("FS",))
    first = _plan(demo_store, coord, biz, issues=["food hygiene"], start=START + timedelta(days=120))
    with demo_store.uow() as uow:
        visits.merge_into(uow, actor=coord, target_id=first, team=[TeamMember(ids["HMRC"], 1, "Tills and payroll")])
    with demo_store.read() as s:
        d = visits.visit_detail(s, actor=coord, visit_id=first)
    assert "HM Revenue and Customs" in d["not_answered"]


def test_calendar_filters_by_agency_and_status(demo_store: Store) -> None:
    officer = _actor(demo_store, "officer")
    ids = _ids(demo_store)
    today = datetime.now(timezone.utc).date()
    with demo_store.read() as s:
        rows = visits.calendar(s, actor=officer, start=today, end=today + timedelta(days=30))
        fs = visits.calendar(s, actor=officer, start=today, end=today + timedelta(days=30), agency_id=ids["FS"],
                             statuses=["confirmed"])
    assert rows and all(r["status"] != "done" for r in rows)
    assert fs and all("FS" in r["agencies"].split(", ") and r["status"] == "confirmed" for r in fs)


def test_the_calendar_marks_each_visit_that_clashes_and_keeps_a_withheld_ones_clashes_to_itself(demo_store: Store) -> None:
    """Month grid: two visits to one business five days apart are each marked with the other; a visit the viewer may
    not see is not marked (its clash would say where it is); a cancelled one clashes with nothing."""
    coord = _actor(demo_store, "coordinator")
    biz = _business(demo_store, ("FS", "LIC"), name="Clash Kebab House")
    first = _plan(demo_store, coord, biz, issues=["food hygiene"], start=START + timedelta(days=200))
    second = _plan(demo_store, coord, biz, issues=["food hygiene"], start=START + timedelta(days=205),
                   clash_reason="Second look, agreed with Food Safety")
    lone = _plan(demo_store, coord, _business(demo_store, ("FS",), name="Quiet Cafe"), issues=["food hygiene"],
                 start=START + timedelta(days=203))
    day = (START + timedelta(days=200)).date()
    with demo_store.read() as s:
        rows = {r["id"]: r for r in visits.calendar(s, actor=coord, start=day, end=day + timedelta(days=7))}
    assert len(rows[first]["clashes"]) == 1 and "Clash Kebab House" in rows[first]["clashes"][0]
    assert len(rows[second]["clashes"]) == 1 and "same premises" in rows[second]["clashes"][0]
    assert rows[lone]["clashes"] == []
    with demo_store.uow() as uow:
        visits.set_status(uow, actor=coord, visit_id=second, status="cancelled", reason="Merged into the first",
                          base_version=1)
    with demo_store.read() as s:
        rows = {r["id"]: r for r in visits.calendar(s, actor=coord, start=day, end=day + timedelta(days=7))}
    assert rows[first]["clashes"] == []


def test_a_lead_without_entry_powers_is_warned_about(demo_store: Store) -> None:
    coord = _actor(demo_store, "coordinator")
    ids = _ids(demo_store)
    with demo_store.read() as s:
        text, warning = visits.entry_route_for(s, actor=coord, lead_id=ids["IE"], kind="licensed premises",
                                               team_ids=[ids["IE"], ids["LIC"]])
        good, none = visits.entry_route_for(s, actor=coord, lead_id=ids["LIC"], kind="licensed premises",
                                            team_ids=[ids["IE"], ids["LIC"]])
    assert text.startswith("Immigration Enforcement leads: enters with a warrant")
    assert "Licensing can" in warning and "enter alongside" in warning
    assert good.endswith("Immigration Enforcement enters alongside the lead.") and none == ""


def test_a_visit_tasked_from_a_referral_suggests_its_indicators_issues_to_the_agencies_involved(demo_store: Store) -> None:
    from core.store.models import Indicator, Referral, ReferralIndicator, ReferralRecipient

    coord = _actor(demo_store, "coordinator")  # Licensing
    fire = _actor(demo_store, "stuart.bell")  # Fire: neither sent nor received it
    ids = _ids(demo_store)
    biz = _business(demo_store, ("FS",))
    vid = _plan(demo_store, coord, biz, issues=["food hygiene"], start=START + timedelta(days=140))
    with demo_store.uow() as uow:
        s = uow.session
        ind = s.scalars(select(Indicator).where(Indicator.issue == "illegal working")).first()
        ref = Referral(sender_id=coord.id, sender_agency_id=ids["LIC"], subject="Test Kebab House", status="sent",
                       sent_at=datetime.now(timezone.utc))
        s.add(ref)
        s.flush()
        s.add_all([ReferralIndicator(referral_id=ref.id, indicator_id=ind.id),
                   ReferralRecipient(referral_id=ref.id, agency_id=ids["IE"], visit_id=vid)])
        uow.commit()
    with demo_store.read() as s:
        assert [i["issue"] for i in visits.visit_referral_issues(s, actor=coord, visit_id=vid)] == ["illegal working"]
        assert visits.visit_referral_issues(s, actor=fire, visit_id=vid) == []


@pytest.mark.parametrize(("sector", "holders", "kind"), [
    ("Takeaway/sandwich shop", set(), "food business"), ("Pub/bar/nightclub", set(), "licensed premises"),
    ("Premises licence (off sales)", set(), "licensed premises"), ("Flat above commercial premises", set(), "HMO/residential"),
    ("HMO", {"FS"}, "HMO/residential"), ("", {"LIC", "FS"}, "licensed premises"), ("car wash", set(), "other"), ("barber", set(), "other"),
])
def test_premises_kind_from_any_agencys_sector_words(sector: str, holders: set[str], kind: str) -> None:
    assert visits.premises_kind(sector, holders) == kind
