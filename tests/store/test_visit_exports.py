"""Calendar feeds and briefing sheets from the store: who is in them and what each reader may see."""
from __future__ import annotations

from sqlalchemy import update

from core.permissions import Actor
from core.store.models import Visit, WarningMarker
from core.visits.exports import agency_calendar, briefing, person_calendar
from tests.store.conftest import Small
from tests.store.outcome_data import add_business, add_visit


def test_agency_feed_leaves_out_drafts_and_declined_visits(small: Small, officer: Actor) -> None:
    biz = add_business(small.store, "Kebab House")
    on = add_visit(small.store, biz, {small.ts: 2, small.hmrc: 1}, days=3, officers=(officer.id,))
    draft = add_visit(small.store, biz, {small.ts: 1}, days=4, status="draft")
    declined = add_visit(small.store, biz, {small.ts: 1, small.hmrc: 1}, days=5, declined=(small.ts,), lead=small.hmrc)
    cancelled = add_visit(small.store, biz, {small.ts: 1}, days=6, status="cancelled")
    with small.store.read() as s:
        ics = agency_calendar(s, actor=officer, agency_id=small.ts)
        mine = person_calendar(s, actor=small.analyst, user_id=officer.id)
    assert f"UID:visit-{on}@partnership-hub" in ics and f"UID:visit-{cancelled}@partnership-hub" in ics
    assert f"visit-{draft}@" not in ics and f"visit-{declined}@" not in ics
    assert "STATUS:CANCELLED" in ics
    assert "Team: HM Revenue and Customs (1 officer)\\; Trading Standards (2 officers)" in ics.replace("\r\n ", "")
    assert mine.count("BEGIN:VEVENT") == 1 and f"visit-{on}@" in mine


def test_briefing_shows_markers_only_to_those_who_may_see_them(small: Small, officer: Actor) -> None:
    biz = add_business(small.store, "Kebab House")
    vid = add_visit(small.store, biz, {small.ts: 2, small.hmrc: 1}, days=3, lead=small.ts, officers=(officer.id,))
    with small.store.uow() as uow:
        uow.session.add(WarningMarker(business_id=biz, subject="Manager", category="violence",
                                      details="Aggressive towards officers.", agency_id=small.hmrc))
        uow.session.add(WarningMarker(business_id=biz, subject="Old", category="dog", details="Retired.",
                                      agency_id=small.hmrc, active=False))
        uow.session.execute(update(Visit).where(Visit.id == vid).values(briefing="WARNING: aggressive manager"))
        uow.commit()
    with small.store.read() as s:
        seen = briefing(s, actor=officer, visit_id=vid)
        admin = briefing(s, actor=small.admin, visit_id=vid)
    assert [m.details for m in seen.markers] == ["Aggressive towards officers."]
    assert seen.notes == "WARNING: aggressive manager"
    assert admin.markers is None and admin.notes is None, "administrators may not see markers, nor notes that repeat them"
    assert [m.agency for m in seen.team] == ["Trading Standards", "HM Revenue and Customs"], "lead first"
    assert seen.officers == (("Olly Officer", "Trading Standards"),)
