"""Regression tests for the leaks an outside probe found (issue 14), one or more per leak, on both databases.

Each is written as the partner who wants to know: Trading Standards people try to learn what HM Revenue and
Customs keeps owner-only or shares as interest only. The recognisable values planted in HMRC's records
("zq..." words) must never reach them; the refusals must be worded the same as for an id that does not exist.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from core.domain import Role
from core.errors import Forbidden, NotFound
from core.permissions import Actor
from core.services import audit, meetings, referrals, risklist, visits
from core.services.actions import ActionInput
from core.services.referrals import ReferralInput
from core.services.risklist import PrivateTasking, RiskFilters
from core.services.visits import TeamMember, VisitPlan
from core.store.models import (
    AgencyRecord,
    AgendaItem,
    AuditEvent,
    Board,
    Business,
    Dataset,
    Meeting,
    ReferralRecipient,
    TaskingRequest,
    Visit,
)
from tests.store.conftest import Small
from tests.store.outcome_data import add_user, add_visit

START = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=10)


@dataclass
class World:
    small: Small
    ts_coord: Actor
    ts_analyst: Actor
    ts_chair: Actor
    hmrc_coord: Actor
    secret: int  # HMRC owner-only: nothing of it may reach Trading Standards
    interest: int  # HMRC interest-only: TS may know HMRC holds it, and its band; nothing more
    mixed: int  # TS full record without a postcode + HMRC owner-only record with one
    own_and_interest: int  # TS owner-only record beside HMRC's interest-only spelling


def _dataset(s, agency_id: int, sharing: str) -> int:  # noqa: ANN001
    ds = s.scalars(select(Dataset).where(Dataset.agency_id == agency_id, Dataset.sharing == sharing)).first()
    if ds is None:
        ds = Dataset(agency_id=agency_id, name=f"register {agency_id} {sharing}", sharing=sharing)
        s.add(ds)
        s.flush()
    return ds.id


def _business(small: Small, stored: tuple[str, str, str], records: list[tuple[int, str, dict]]) -> int:
    """A business whose matcher-stored fields are `stored` (name, address, postcode), with one record per
    (agency, sharing, fields)."""
    with small.store.uow() as uow:
        s = uow.session
        b = Business(name=stored[0], address=stored[1], postcode=stored[2], district=stored[2].split(" ")[0])
        s.add(b)
        s.flush()
        for n, (agency_id, sharing, fields) in enumerate(records):
            s.add(AgencyRecord(dataset_id=_dataset(s, agency_id, sharing), agency_id=agency_id, business_id=b.id,
                               reference=f"R{b.id}-{n}", **fields))
        uow.commit()
        return b.id


@pytest.fixture
def world(small: Small) -> World:
    ts, hmrc = small.ts, small.hmrc
    secret_fields = {"trading_name": "zqsecretname", "address": "1 zqsecretstreet", "postcode": "ZQ1 1QZ",
                     "phone": "07700 900001", "contact": "zqsecretcontact"}
    secret = _business(small, ("zqsecretname", "1 zqsecretstreet", "ZQ1 1QZ"), [(hmrc, "owner-only", secret_fields)])
    interest = _business(small, ("zqinterestname", "2 zqintereststreet", "ZQ2 2QZ"),
                         [(hmrc, "interest-only", {"trading_name": "zqinterestname", "address": "2 zqintereststreet",
                                                    "postcode": "ZQ2 2QZ", "risk_band": "high"})])
    mixed = _business(small, ("zqstoredname", "3 Market St", "ZQ3 3QZ"),
                      [(ts, "full", {"trading_name": "Market Cafe", "address": "3 Market St", "postcode": ""}),
                       (hmrc, "owner-only", {"trading_name": "zqstoredname", "address": "3 Market St",
                                             "postcode": "ZQ3 3QZ"})])
    own_and_interest = _business(small, ("zqhmrcspelling", "4 Mill Lane", "KM4 4AA"),
                                 [(ts, "owner-only", {"trading_name": "Mill Lane Motors", "address": "4 Mill Lane",
                                                      "postcode": "KM4 4AA"}),
                                  (hmrc, "interest-only", {"trading_name": "zqhmrcspelling", "address": "4 Mill Lane",
                                                           "postcode": "KM4 4AA"})])
    return World(small, add_user(small.store, "cora", Role.COORDINATOR, ts), add_user(small.store, "tess", Role.ANALYST, ts),
                 add_user(small.store, "cheryl", Role.CHAIR, ts), add_user(small.store, "hank", Role.COORDINATOR, hmrc),
                 secret, interest, mixed, own_and_interest)


def _counts(small: Small) -> tuple[int, ...]:
    with small.store.read() as s:
        return tuple(s.session.scalar(select(func.count()).select_from(m)) for m in (Visit, AuditEvent, TaskingRequest))


def _plan(business_id: int, agency_id: int) -> VisitPlan:
    return VisitPlan(START, START + timedelta(hours=2), [TeamMember(agency_id)], agency_id, business_id)


# --- 1. planning a visit by id ----------------------------------------------------------------------------------


@pytest.mark.parametrize("which", ["secret", "interest"])
def test_1_planning_a_visit_at_a_business_the_planner_may_not_read_is_refused(world: World, which: str) -> None:
    before = _counts(world.small)
    with pytest.raises(NotFound) as refused, world.small.store.uow() as uow:
        visits.plan_visit(uow, actor=world.ts_coord, plan=_plan(getattr(world, which), world.small.ts))
    assert "zq" not in str(refused.value)
    with pytest.raises(NotFound) as missing, world.small.store.uow() as uow:
        visits.plan_visit(uow, actor=world.ts_coord, plan=_plan(999_999, world.small.ts))
    assert str(refused.value).replace(str(getattr(world, which)), "N") == str(missing.value).replace("999999", "N"), \
        "worded as for a business that does not exist"
    assert _counts(world.small) == before


def test_1_a_planned_visit_is_named_from_what_the_planner_may_read(world: World) -> None:
    with world.small.store.uow() as uow:
        vid = visits.plan_visit(uow, actor=world.ts_coord, plan=_plan(world.mixed, world.small.ts))
    with world.small.store.read() as s:
        v = s.session.get(Visit, vid)
        assert v.premises_text == "Market Cafe, 3 Market St" and "zq" not in v.premises_text.lower()


# --- 2. linking a referral to a business ------------------------------------------------------------------------


def _referral_to(world: World, sender: Actor, agency_id: int) -> int:
    with world.small.store.uow() as uow:
        rid = referrals.save_draft(uow, actor=sender, data=ReferralInput(
            subject="Two tills", body="Seen two tills", scheme="5x5x5", source_grade="B", intel_grade="2",
            handling_code="1", recipient_ids=[agency_id]))
    with world.small.store.uow() as uow:
        referrals.send(uow, actor=sender, referral_id=rid, to=[agency_id])
    with world.small.store.read() as s:
        return s.session.scalar(select(ReferralRecipient.id).where(ReferralRecipient.referral_id == rid))


def test_2_linking_a_referral_to_a_business_the_analyst_may_not_read_is_refused(world: World, officer: Actor) -> None:
    # HMRC refers to Trading Standards; TS's analyst tries to link it to HMRC's owner-only business.
    hmrc_officer = add_user(world.small.store, "hugo", Role.OFFICER, world.small.hmrc)
    rec = _referral_to(world, hmrc_officer, world.small.ts)
    before = _counts(world.small)
    for hidden in (world.secret, world.interest):
        with pytest.raises(NotFound), world.small.store.uow() as uow:
            referrals.link_business(uow, actor=world.ts_analyst, recipient_id=rec, business_id=hidden)
    # Nor can a sender link a draft to it (its recipients would then be handed the business).
    with pytest.raises(NotFound), world.small.store.uow() as uow:
        referrals.save_draft(uow, actor=officer, data=ReferralInput(subject="x", business_id=world.secret))
    assert _counts(world.small) == before
    # Raising an action from the referral never names a business the readers may not see.
    with world.small.store.uow() as uow:
        referrals.link_business(uow, actor=world.ts_analyst, recipient_id=rec, business_id=world.mixed)
    with world.small.store.uow() as uow:
        made = referrals.decide(uow, actor=world.ts_analyst, recipient_id=rec, decision="raise an action",
                                action=ActionInput(
            title="Check the cafe", agency_id=world.small.ts, due_on=date.today() + timedelta(days=20), strand="Pursue",
            owner_id=world.ts_analyst.id))
    from core.services import actions
    with world.small.store.read() as s:
        assert actions.action_detail(s, actor=world.small.admin, action_id=made["action_id"])["links"][0] == \
            "Business: Market Cafe, 3 Market St"


# --- 3. action links --------------------------------------------------------------------------------------------
# tests/store/test_actions.py::test_detail_names_what_the_action_is_linked_to


# --- 4. the audit log -------------------------------------------------------------------------------------------


def test_4_the_audit_log_keeps_markers_and_withheld_premises_from_those_who_may_not_see_them(world: World) -> None:
    hmrc_analyst = world.small.analyst
    with world.small.store.uow() as uow:
        visits.add_marker(uow, actor=hmrc_analyst, category="weapons",
                          details="zqmarkerdetails: knife under the counter",
                          business_id=world.secret, subject="zqmarkersubject")
    with world.small.store.uow() as uow:
        visits.add_marker(uow, actor=hmrc_analyst, category="dogs", details="two dogs", subject="zqpersonmarker")
    with world.small.store.uow() as uow:
        plan = VisitPlan(START, START + timedelta(hours=2), [TeamMember(world.small.hmrc)], world.small.hmrc,
                         world.secret, premises_text="zqvisitpremises, 1 zqsecretstreet", briefing="zqbriefing")
        vid = visits.plan_visit(uow, actor=world.hmrc_coord, plan=plan)
    with world.small.store.read() as s:
        as_admin = str(audit.list_events(s, actor=world.small.admin))  # TS administrator: never markers
        as_chair = str(audit.list_events(s, actor=world.ts_chair))  # TS chair: markers where they may read the premises
        as_hmrc_chair = str(audit.list_events(s,
                                              actor=add_user(world.small.store, "harriet", Role.CHAIR,
                                                             world.small.hmrc)))
        searched = audit.list_events(s, actor=world.ts_chair, flt=audit.AuditFilter(text="zq"))
    for words in ("zqmarkerdetails", "zqmarkersubject", "zqvisitpremises", "zqbriefing", "zqpersonmarker"):
        assert words not in as_admin
    for words in ("zqmarkerdetails", "zqmarkersubject", "zqvisitpremises", "zqbriefing"):
        assert words not in as_chair
    assert "zqpersonmarker" in as_chair, "a marker on a person reaches every role that may see markers"
    assert searched == [], "searching the log for withheld words finds nothing"
    assert f"'entity_id': '{vid}'" in as_chair, "the change itself is still in the log, without its premises"
    assert "zqvisitpremises" in as_hmrc_chair and "zqmarkersubject" in as_hmrc_chair, "HMRC's own chair reads it all"


# --- 5. values the matcher stored on a business -----------------------------------------------------------------


def test_5_the_risk_list_takes_postcode_name_and_address_from_records_the_viewer_may_read(world: World) -> None:
    with world.small.store.read() as unit:
        rl = risklist.risk_list(unit, actor=world.ts_analyst)
    row = rl.rows.set_index("business_id").loc[world.mixed]
    assert (row["name"], row["address"], row["postcode"], row["district"]) == ("Market Cafe", "3 Market St", "", "")
    assert "zq" not in rl.rows.to_string().lower()
    with world.small.store.read() as unit:
        assert risklist.risk_list(unit, actor=world.ts_analyst, filters=RiskFilters(area="ZQ3")).total == 0, \
        "the area filter does not find it by a postcode only HMRC holds"
    with world.small.store.uow() as unit:
        data, _ = risklist.export(unit, actor=world.ts_analyst, filters=RiskFilters(), fmt="csv",
                                  marking="OFFICIAL-SENSITIVE")
    assert b"zq" not in data.lower() and b"ZQ3" not in data
    with world.small.store.read() as unit:
        # HMRC, which holds the postcode, sees it.
        hmrc = risklist.risk_list(unit, actor=world.small.analyst).rows.set_index("business_id")
    assert hmrc.loc[world.mixed, "postcode"] == "ZQ3 3QZ"


def test_5_an_agency_sees_its_own_spelling_not_a_partners_interest_only_one(world: World) -> None:
    with world.small.store.read() as s:
        info = visits.interest(s, actor=world.ts_coord, business_id=world.own_and_interest)
        found = referrals.suggest_subjects(s, actor=add_user(world.small.store, "otis", Role.OFFICER, world.small.ts),
                                           text="Mill Lane")
    assert info["premises"] == "Mill Lane Motors, 4 Mill Lane, KM4 4AA"
    assert found and all("zq" not in f["label"] for f in found)
    with world.small.store.read() as unit:
        detail = risklist.business_detail(unit, actor=world.ts_coord, business_id=world.own_and_interest)
    assert detail["name"] == "Mill Lane Motors" and "zq" not in str(detail)


# --- 6. tasking -------------------------------------------------------------------------------------------------


def test_6_a_business_only_the_senders_agency_may_read_goes_to_tasking_only_under_a_label(world: World) -> None:
    own = _business(world.small, ("zqownonly", "5 Quay St", "KM5 5AA"),
                    [(world.small.ts, "owner-only", {"trading_name": "zqownonly", "address": "5 Quay St"})])
    before = _counts(world.small)
    with pytest.raises(PrivateTasking, match="only through your agency's data"):
        with world.small.store.uow() as unit:
            risklist.send_to_tasking(unit, actor=world.ts_analyst, business_ids=[own], reason="worth a look")
    assert _counts(world.small) == before, "nothing is sent until the analyst says so"
    with world.small.store.uow() as unit:
        assert risklist.send_to_tasking(unit, actor=world.ts_analyst, business_ids=[own, world.mixed],
                                        reason="worth a look",
                                        private_ok=True) == 2
    with world.small.store.uow() as uow:
        board = Board(name="Tasking Group", kind="tasking", chair_id=world.ts_chair.id)
        uow.session.add(board)
        uow.session.flush()
        meeting = Meeting(board_id=board.id, scheduled_at=START, status="planned", version=1)
        uow.session.add(meeting)
        uow.commit()
    with world.small.store.uow() as uow:
        meetings.build_agenda(uow, actor=world.ts_chair, meeting_id=meeting.id)
    with world.small.store.read() as s:
        titles = list(s.session.scalars(select(AgendaItem.title).where(AgendaItem.meeting_id == meeting.id,
                                                               AgendaItem.kind == "tasking")))
    assert "Tasking: a premises known to Trading Standards (ask them for the detail)" in titles
    assert "Tasking: Market Cafe, 3 Market St" in titles
    assert not any("zq" in t for t in titles)


def test_6_tasking_refuses_a_business_the_sender_may_not_read(world: World) -> None:
    before = _counts(world.small)
    for hidden in (world.secret, world.interest, 999_999):
        with pytest.raises(NotFound):
            with world.small.store.uow() as unit:
                risklist.send_to_tasking(unit, actor=world.ts_analyst, business_ids=[hidden], reason="worth a look",
                                         private_ok=True)
    assert _counts(world.small) == before


# --- visits withheld: refusals by id for reads and writes -------------------------------------------------------


def test_a_withheld_visit_refuses_every_change_and_read_by_id(world: World) -> None:
    vid = add_visit(world.small.store, world.secret, {world.small.hmrc: 1}, days=5, lead=world.small.hmrc,
                    status="proposed")
    before = _counts(world.small)
    with world.small.store.read() as s:
        version = s.session.get(Visit, vid).version
        for read in (lambda: visits.visit_detail(s, actor=world.ts_coord, visit_id=vid),
                     lambda: visits.visit_referral_issues(s, actor=world.ts_coord, visit_id=vid)):
            with pytest.raises(Forbidden):
                read()
        with pytest.raises(NotFound):
            visits.clashes(s, actor=world.ts_coord, plan=_plan(world.secret, world.small.ts))
    for write in (lambda uow: visits.set_status(uow, actor=world.ts_coord, visit_id=vid, status="cancelled",
                                                base_version=version, reason="x"),
                  lambda uow: visits.merge_into(uow, actor=world.ts_coord, target_id=vid,
                                                team=[TeamMember(world.small.ts)]),
                  lambda uow: visits.plan_visit(uow, actor=world.ts_coord, plan=VisitPlan(
                      START, START + timedelta(hours=1), [TeamMember(world.small.ts)], world.small.ts, None,
                      premises_text="typed over it"), visit_id=vid, base_version=version)):
        with pytest.raises(Forbidden), world.small.store.uow() as uow:
            write(uow)
    with pytest.raises(NotFound), world.small.store.uow() as uow:
        visits.add_marker(uow, actor=world.ts_analyst, category="dogs", details="loose dog", business_id=world.secret)
    assert _counts(world.small) == before


def test_an_agency_on_a_visit_at_a_business_it_may_not_read_can_still_replan_it(world: World) -> None:
    """The team knows where it goes: Trading Standards is on HMRC's visit to HMRC's owner-only business, so its
    coordinator sees the plan and may change it; the business stays, and nothing of HMRC's records is shown."""
    vid = add_visit(world.small.store, world.secret, {world.small.hmrc: 1, world.small.ts: 1}, days=6,
                    lead=world.small.hmrc, status="draft")
    with world.small.store.read() as s:
        d = visits.visit_detail(s, actor=world.ts_coord, visit_id=vid)
    assert d["premises"] == f"Premises {world.secret}" and "zq" not in str(d)
    plan = d["plan"]
    plan.briefing = "Meet at the car park"
    with world.small.store.uow() as uow:
        visits.plan_visit(uow, actor=world.ts_coord, plan=plan, visit_id=vid, base_version=d["version"])
    with world.small.store.read() as s:
        v = s.session.get(Visit, vid)
        assert (v.business_id, v.premises_text, v.briefing) == (world.secret, f"Premises {world.secret}",
                                                                 "Meet at the car park")
