"""The demo partnership: who is in it, what it holds, and that seeding is deterministic and safe."""
from __future__ import annotations

import hashlib
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from core import demo_catalogue as cat
from core.demo import DEMO_PASSWORD, is_empty, reset_database, seed_demo
from core.errors import ConfigError
from core.passwords import check_password
from core.rag import rag_status
from core.services.partnership import settings
from core.store import Store
from core.store.models import (
    Action,
    ActionLink,
    ActionUpdate,
    Agency,
    AgencyPower,
    AgencyRecord,
    AgendaItem,
    AuditEvent,
    Board,
    BoardMember,
    Business,
    Dataset,
    DatasetImport,
    Feedback,
    Indicator,
    Meeting,
    MeetingAttendee,
    Milestone,
    Operation,
    Referral,
    ReferralIndicator,
    ReferralRecipient,
    TaskingRequest,
    User,
    Visit,
    VisitAgency,
    VisitOfficer,
    WarningMarker,
)

HOME = {"admin": ("admin", "TS"), "chair": ("chair", "POL"), "coordinator": ("coordinator", "LIC"),
        "analyst": ("analyst", "IE"), "officer": ("officer", "FS")}
FIXED_DAY = date(2026, 11, 22)


@pytest.fixture
def demo(demo_url: str) -> Iterator[Session]:
    """A read-only session on the session-wide seeded demo database (seeded for today)."""
    store = Store(demo_url, migrate=False)
    with store.read() as unit:
        yield unit.session
    store.dispose()


def codes(session: Session) -> dict[int, str]:
    return {a.id: a.code for a in session.scalars(select(Agency))}


def count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


# --- people and agencies ----------------------------------------------------------------------


def test_the_five_demo_sign_ins_have_their_roles_in_five_agencies(demo: Session) -> None:
    agency = codes(demo)
    users = {u.username: u for u in demo.scalars(select(User))}
    for username, (role, code) in HOME.items():
        assert users[username].role == role
        assert agency[users[username].agency_id] == code
        assert users[username].active
    assert len({users[u].agency_id for u in HOME}) == 5


def test_the_demo_password_signs_every_demo_user_in(demo: Session) -> None:
    users = {u.username: u for u in demo.scalars(select(User))}
    for username in HOME:
        assert check_password(DEMO_PASSWORD, users[username].password_hash), username
    assert not check_password("wrong-password", users["admin"].password_hash)


def test_every_agency_holding_a_dataset_has_an_analyst_who_may_import_it(demo: Session) -> None:
    from core.permissions import allowed
    from core.services.accounts import load_actor

    holders = set(demo.scalars(select(Dataset.agency_id)))
    importers = {a.agency_id for a in (load_actor(demo, u.username) for u in demo.scalars(select(User).where(User.active.is_(True))))
                 if a is not None and allowed(a, "dataset.manage", agency_id=a.agency_id)}
    assert holders and holders <= importers, sorted(codes(demo)[i] for i in holders - importers)


def test_about_thirty_users_over_the_agencies_with_one_deactivated(demo: Session) -> None:
    users = list(demo.scalars(select(User)))
    assert 25 <= len(users) <= 35
    assert all(u.username == u.username.lower() and u.email.endswith("@kingsmere.example") for u in users)
    assert [u.username for u in users if not u.active] == ["former.officer"]
    roles = Counter(u.role for u in users)
    assert roles["admin"] == 1 and roles["chair"] == 1 and roles["coordinator"] >= 3
    assert roles["analyst"] >= 8 and roles["officer"] >= 10
    assert len({u.agency_id for u in users}) == count(demo, Agency)


def test_agencies_come_from_the_catalogue_with_powers_and_indicators(demo: Session) -> None:
    agencies = list(demo.scalars(select(Agency)))
    assert 10 <= len(agencies) <= 11
    assert {a.code for a in agencies} == {a.code for a in cat.AGENCIES}
    for agency in agencies:
        spec = cat.AGENCY_BY_CODE[agency.code]
        assert agency.kind in cat.AGENCY_KINDS and agency.remit and agency.contact_email
        powers = list(demo.scalars(select(AgencyPower).where(AgencyPower.agency_id == agency.id)))
        assert len(powers) == len(spec.powers) >= 3
        assert any(p.power == "entry" for p in powers), agency.code
        for p in powers:
            assert p.power in cat.POWERS and p.statute
            assert (p.entry is None) == (p.power != "entry")
        indicators = list(demo.scalars(select(Indicator).where(Indicator.agency_id == agency.id)))
        assert 3 <= len(indicators) <= 5
        assert all(i.issue in cat.ISSUES for i in indicators)


def test_powers_reflect_how_each_agency_gets_through_the_door() -> None:
    entry = {a.code: {p.entry for p in a.powers if p.power == "entry"} for a in cat.AGENCIES}
    assert "without_warrant" in entry["FS"] and "without_warrant" in entry["LIC"]
    assert entry["IE"] == {"warrant_only", "consent"}
    hmo = next(p for p in cat.AGENCY_BY_CODE["HOU"].powers if p.power == "entry")
    assert hmo.entry == "with_notice" and hmo.notice_hours == 24
    assert any(p.power == "director_disqualification" for p in cat.AGENCY_BY_CODE["INS"].powers)


def test_settings_mark_the_demo_partnership(demo: Session) -> None:
    p = settings(demo)
    assert p.demo is True
    assert (p.name, p.area) == ("Kingsmere Partnership", "Kingsmere")
    assert (p.classification, p.grading_scheme) == ("OFFICIAL", "5x5x5")
    assert (p.ack_days, p.feedback_days, p.stale_after_days) == (14, 28, 90)


# --- shared risk lists ------------------------------------------------------------------------


def test_a_few_thousand_records_and_a_realistic_share_held_by_several_agencies(demo: Session) -> None:
    # The matcher (not the generator) decides which records are one business.
    n_business = demo.scalar(select(func.count()).select_from(Business).where(Business.active.is_(True)))
    assert 1100 <= n_business <= 1400
    assert count(demo, AgencyRecord) >= 1900
    held = dict(demo.execute(
        select(AgencyRecord.business_id, func.count(func.distinct(AgencyRecord.agency_id)))
        .where(AgencyRecord.current.is_(True)).group_by(AgencyRecord.business_id)).all())
    assert None not in held and len(held) == n_business
    two = sum(n >= 2 for n in held.values()) / n_business
    three = sum(n >= 3 for n in held.values()) / n_business
    assert 0.30 <= two <= 0.42, two
    assert 0.08 <= three <= 0.18, three
    assert max(held.values()) >= 5


def test_each_dataset_has_its_own_scale_mapped_to_bands(demo: Session) -> None:
    agency = codes(demo)
    datasets = list(demo.scalars(select(Dataset)))
    assert len(datasets) == len(cat.DATASETS)
    sharing = {agency[d.agency_id]: d.sharing for d in datasets}
    assert (sharing["HMRC"], sharing["IE"], sharing["POL"], sharing["FS"]) == (
        "interest-only", "owner-only", "interest-only", "full")
    for d in datasets:
        assert d.risk_scale and d.column_mapping and d.last_imported_at is not None
        assert count_where(demo, DatasetImport, DatasetImport.dataset_id == d.id) == 1
        records = list(demo.scalars(select(AgencyRecord).where(AgencyRecord.dataset_id == d.id)))
        assert records and all(r.current and r.import_id and r.agency_id == d.agency_id for r in records)
        assert all(d.risk_scale[r.risk_value] == r.risk_band for r in records), d.name
        assert len({r.reference for r in records}) == len(records)
        if agency[d.agency_id] in ("HOU", "ENV"):
            assert all(r.trading_name == "" for r in records), "address-only datasets carry no name"
    fs = next(d for d in datasets if agency[d.agency_id] == "FS")
    assert set(fs.risk_scale) == {"0", "1", "2", "3", "4", "5"}


def count_where(session: Session, model: type, *where: object) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def test_the_same_business_is_written_differently_by_different_agencies(demo: Session) -> None:
    records: dict[int, list[AgencyRecord]] = defaultdict(list)
    for r in demo.scalars(select(AgencyRecord)):
        records[r.business_id].append(r)
    differing = [b for b, rs in records.items() if len({(r.trading_name, r.address, r.postcode) for r in rs}) > 1]
    assert len(differing) >= 300
    everything = [r for rs in records.values() for r in rs]
    addresses = [r.address for r in everything]
    assert any(a.startswith("Flat above") or "A " in a.split(",")[0] for a in addresses)
    assert any(a.startswith("Rear of") for a in addresses)
    assert any(" St" in a and "Street" not in a for a in addresses)
    assert any(r.postcode and " " not in r.postcode for r in everything)
    assert any(r.postcode == "" for r in everything)
    assert any(r.company_name.endswith("Limited") for r in everything)
    # Generic names are shared by unrelated businesses in several towns.
    chains = demo.execute(select(Business.id, Business.district).join(AgencyRecord, AgencyRecord.business_id == Business.id)
                          .where(func.lower(AgencyRecord.trading_name).in_(["food & wine", "food and wine"]))
                          .distinct()).all()
    assert len(chains) >= 5 and len({d for _b, d in chains}) >= 3, "matching keeps them apart"


def test_networks_and_phoenixes_link_businesses(demo: Session) -> None:
    mobiles: dict[str, set[int]] = defaultdict(set)
    for r in demo.scalars(select(AgencyRecord).where(AgencyRecord.phone.like("07700%"))):
        mobiles[r.phone.replace(" ", "")].add(r.business_id)
    assert any(len(b) >= 2 for b in mobiles.values()), "a shared mobile links one owner to several shopfronts"
    by_address = Counter(b.address for b in demo.scalars(select(Business)))
    assert sum(n >= 2 for n in by_address.values()) >= 5, "new businesses at old premises"


def test_postcodes_are_in_the_fictional_km_area(demo: Session) -> None:
    businesses = list(demo.scalars(select(Business).where(Business.active.is_(True))))
    assert sum(bool(b.postcode) for b in businesses) / len(businesses) > 0.9, "nearly every business has a postcode"
    for b in businesses:
        if not b.postcode:  # none of its records had a readable postcode
            continue
        outward, inward = b.postcode.split(" ")
        assert outward == b.district and outward[:2] == "KM" and 1 <= int(outward[2:]) <= 9
        assert len(inward) == 3 and inward[0].isdigit() and inward[1:].isalpha()


def test_markered_premises_are_visited_but_markers_stay_out_of_briefings(demo: Session) -> None:
    markers = list(demo.scalars(select(WarningMarker)))
    assert 4 <= len(markers) <= 12
    assert {m.category for m in markers} == {"violence", "dogs", "weapons", "hazards"}
    marked = {m.business_id for m in markers}
    visited = [v for v in demo.scalars(select(Visit)) if v.business_id in marked]
    # Markers reach the team on the visit itself (roles allowed "marker.view"), never in free text.
    assert visited and not any(m.details in v.briefing for v in visited for m in markers)


# --- visits -----------------------------------------------------------------------------------


def test_visits_over_four_months_with_past_done_and_future_planned(demo: Session) -> None:
    today = date.today()
    visits = list(demo.scalars(select(Visit)))
    assert 50 <= len(visits) <= 70
    statuses = Counter(v.status for v in visits)
    assert statuses["cancelled"] == 1
    for v in visits:
        offset = (v.starts_at.date() - today).days
        assert -121 <= offset <= 31
        assert v.version == 1 and v.business_id and v.lead_agency_id and v.entry_route
        assert v.approach in ("enforcement", "supportive compliance", "mixed")
        if offset < 0:
            assert v.status in ("done", "cancelled")
        else:
            assert v.status in ("confirmed", "proposed", "draft")
    assert statuses["done"] >= 30 and statuses["confirmed"] + statuses["proposed"] + statuses["draft"] >= 8


def test_each_visit_has_one_to_four_agencies_with_outcomes_when_done(demo: Session) -> None:
    today = date.today()
    visits = {v.id: v for v in demo.scalars(select(Visit))}
    parts: dict[int, list[VisitAgency]] = defaultdict(list)
    for va in demo.scalars(select(VisitAgency)):
        parts[va.visit_id].append(va)
    assert set(parts) == set(visits)
    pending_soon = 0
    for vid, rows in parts.items():
        visit = visits[vid]
        assert 1 <= len(rows) <= 4
        assert visit.lead_agency_id in {r.agency_id for r in rows}
        for r in rows:
            assert 1 <= r.officers <= 4 and r.objectives
            if visit.status == "done":
                assert r.outcome is not None and r.outcome["result"]
            else:
                assert r.outcome is None
            if r.response == "pending" and (visit.starts_at.date() - today).days <= 14:
                pending_soon += 1
    assert pending_soon >= 2
    outcomes = [r.outcome for rows in parts.values() for r in rows if r.outcome]
    assert any(o["result"] == ["nothing found"] for o in outcomes)
    assert any(o.get("arrests", 0) > 0 for o in outcomes) and any(o.get("notices", 0) > 0 for o in outcomes)


def test_named_officers_and_a_week_of_action(demo: Session) -> None:
    users = {u.id: u for u in demo.scalars(select(User))}
    named = list(demo.scalars(select(VisitOfficer)))
    assert named and all(users[n.user_id].active for n in named)
    officer = next(u for u in users.values() if u.username == "officer")
    mine = [n.visit_id for n in named if n.user_id == officer.id]
    assert len(mine) >= 3
    op = demo.scalars(select(Operation)).one()
    assert (op.ends_on - op.starts_on).days == 4
    in_op = list(demo.scalars(select(Visit).where(Visit.operation_id == op.id)))
    assert len(in_op) >= 10
    assert all(op.starts_on <= v.starts_at.date() <= op.ends_on for v in in_op)


# --- boards, meetings, actions ----------------------------------------------------------------


def test_board_and_tasking_meetings(demo: Session) -> None:
    today = date.today()
    users = {u.username: u for u in demo.scalars(select(User))}
    board = demo.scalars(select(Board).where(Board.kind == "board")).one()
    tasking = demo.scalars(select(Board).where(Board.kind == "tasking")).one()
    assert board.name == "Kingsmere Partnership Board" and board.chair_id == users["chair"].id and board.quorum == 4
    members = list(demo.scalars(select(BoardMember.user_id).where(BoardMember.board_id == board.id)))
    assert len(members) == count(demo, Agency) and users["chair"].id in members
    meetings = list(demo.scalars(select(Meeting).where(Meeting.board_id == board.id).order_by(Meeting.scheduled_at)))
    assert [m.status for m in meetings] == ["closed", "closed", "closed", "planned"]
    assert 8 <= (meetings[-1].scheduled_at.date() - today).days <= 12
    gaps = [(b.scheduled_at - a.scheduled_at).days for a, b in zip(meetings, meetings[1:-1])]
    assert all(35 <= g <= 49 for g in gaps)
    for m in meetings[:-1]:
        assert count_where(demo, MeetingAttendee, MeetingAttendee.meeting_id == m.id) >= 4
        items = list(demo.scalars(select(AgendaItem).where(AgendaItem.meeting_id == m.id)))
        assert len(items) >= 3 and any(i.decision for i in items)
    assert all(count_where(demo, AgendaItem, AgendaItem.meeting_id == m.id) == 0 for m in meetings[-1:]), \
        "the next meeting's agenda is built by the meetings service"
    items = list(demo.scalars(select(AgendaItem)))
    assert {i.status for i in items} <= {"discussed", "carried"}
    assert {i.kind for i in items} <= {"item", "action overdue", "action due", "action changed", "tasking",
                                       "visits done", "feedback overdue", "new action"}
    carried = [i for i in items if i.carried_from_id]
    assert carried and all(demo.get(AgendaItem, i.carried_from_id).status == "carried" for i in carried)
    tiers = [i for i in items if i.kind == "tasking"]
    assert tiers and all(i.tier and i.decision.startswith(f"Tier {i.tier}:") and i.tasking_request_id for i in tiers)
    assert all(i.action_id for i in tiers if i.tier <= 3), "tiers 1-3 create owned actions"
    t_meetings = list(demo.scalars(
        select(Meeting).where(Meeting.board_id == tasking.id).order_by(Meeting.scheduled_at)))
    assert [m.status for m in t_meetings] == ["closed", "planned"]
    assert 4 <= (t_meetings[-1].scheduled_at.date() - today).days <= 6


def test_actions_mix_strands_tiers_sources_and_rag(demo: Session) -> None:
    today = date.today()
    actions = list(demo.scalars(select(Action)))
    assert 50 <= len(actions) <= 70
    assert {a.strand for a in actions} == {"Pursue", "Prevent", "Protect", "Prepare"}
    assert {a.tier for a in actions} <= {1, 2, 3, 4, 5} and len({a.tier for a in actions}) >= 4
    assert {a.source for a in actions} == {
        "local profile recommendation", "tasking decision", "visit follow-up", "other"}
    assert {"not started", "in progress", "complete"} <= {a.status for a in actions}
    assert all(a.version == 1 for a in actions)
    ms: dict[int, list[Milestone]] = defaultdict(list)
    for m in demo.scalars(select(Milestone)):
        ms[m.action_id].append(m)
    assert all(1 <= len(ms[a.id]) <= 4 for a in actions)
    rag = Counter(
        rag_status(status=a.status, due_on=a.due_on, milestones=[(m.due_on, m.completed_on) for m in ms[a.id]],
                   today=today)
        for a in actions)
    assert rag["red"] >= 5 and rag["amber"] >= 5 and rag["green"] >= 10 and rag["complete"] >= 5
    assert all(-60 <= (a.due_on - today).days <= 120 for a in actions)
    assert count(demo, ActionLink) >= 10
    recent = datetime.now(timezone.utc) - timedelta(days=7)
    assert count_where(demo, ActionUpdate, ActionUpdate.created_at >= recent) >= 3


def test_home_users_own_overdue_and_due_soon_work(demo: Session) -> None:
    today = date.today()
    users = {u.username: u for u in demo.scalars(select(User))}
    for username in ("chair", "coordinator", "analyst", "officer"):
        uid = users[username].id
        open_actions = list(demo.scalars(select(Action).where(Action.owner_id == uid,
                                                              Action.status.in_(("not started", "in progress")))))
        assert len(open_actions) >= 3, username
        assert any(a.due_on < today for a in open_actions), username
        assert any(0 <= (a.due_on - today).days <= 14 for a in open_actions), username
        mine = list(demo.scalars(select(Milestone).where(Milestone.owner_id == uid, Milestone.completed_on.is_(None))))
        assert any(m.due_on < today for m in mine), username
        assert any(0 <= (m.due_on - today).days <= 14 for m in mine), username


# --- referrals and feedback -------------------------------------------------------------------


def test_referrals_are_graded_and_sent_to_other_agencies(demo: Session) -> None:
    referrals = {r.id: r for r in demo.scalars(select(Referral))}
    sent = [r for r in referrals.values() if r.status == "sent"]
    drafts = [r for r in referrals.values() if r.status == "draft"]
    assert 180 <= len(sent) <= 220 and 1 <= len(drafts) <= 10
    assert all(r.sent_at is None for r in drafts)
    for r in sent:
        assert r.scheme == "5x5x5" and r.subject and r.body and r.summary and r.sent_at
        assert r.source_grade in "ABCDE" and r.intel_grade in "12345" and r.handling_code in "12345"
    assert Counter(r.handling_code for r in sent)["5"] + Counter(r.handling_code for r in sent)["4"] >= 2
    recipients: dict[int, list[ReferralRecipient]] = defaultdict(list)
    for rec in demo.scalars(select(ReferralRecipient)):
        recipients[rec.referral_id].append(rec)
    indicator_agency = {i.id: i.agency_id for i in demo.scalars(select(Indicator))}
    chosen: dict[int, set[int]] = defaultdict(set)
    for ri in demo.scalars(select(ReferralIndicator)):
        chosen[ri.referral_id].add(indicator_agency[ri.indicator_id])
    for r in sent:
        recs = recipients[r.id]
        assert 1 <= len(recs) <= 2
        assert r.sender_agency_id not in {x.agency_id for x in recs}
        assert chosen[r.id] <= {x.agency_id for x in recs} and chosen[r.id]
        for x in recs:
            assert x.acknowledge_by == r.sent_at.date() + timedelta(days=14)
            assert x.feedback_by == r.sent_at.date() + timedelta(days=28)


def test_about_sixty_percent_have_feedback_and_some_are_overdue(demo: Session) -> None:
    today = date.today()
    rows = list(demo.execute(
        select(ReferralRecipient, Referral.sent_at).join(Referral).where(Referral.status == "sent")))
    feedback = {f.recipient_id: f for f in demo.scalars(select(Feedback))}
    share = sum(rec.id in feedback for rec, _ in rows) / len(rows)
    assert 0.5 <= share <= 0.72, share
    assert all(1 <= f.usefulness <= 5 and f.outcome and f.comments for f in feedback.values())
    assert len({f.outcome for f in feedback.values()}) >= 5
    overdue = [rec for rec, _ in rows if rec.id not in feedback and rec.feedback_by < today]
    assert len(overdue) >= 20
    assert all(rows_rec.status == "decided" for rows_rec, _ in rows if rows_rec.id in feedback)


def test_the_officer_has_new_feedback_and_the_analysts_agency_owes_some(demo: Session) -> None:
    today = date.today()
    agency = {code: aid for aid, code in codes(demo).items()}
    officer = demo.scalars(select(User).where(User.username == "officer")).one()
    mine = list(demo.scalars(select(Referral).where(Referral.sender_id == officer.id)))
    assert 6 <= len(mine) <= 10
    new = demo.scalar(
        select(func.count()).select_from(Feedback).join(ReferralRecipient).join(Referral)
        .where(Referral.sender_id == officer.id, Feedback.created_at > officer.feedback_seen_at))
    assert new >= 2
    to_ie = list(demo.execute(
        select(ReferralRecipient).join(Referral)
        .where(ReferralRecipient.agency_id == agency["IE"], Referral.status == "sent")).scalars())
    assert 15 <= len(to_ie) <= 40
    answered = set(demo.scalars(select(Feedback.recipient_id)))
    assert sum(r.id not in answered and r.feedback_by < today for r in to_ie) >= 3


def test_tasking_requests_and_the_seed_is_audited(demo: Session) -> None:
    open_requests = list(demo.scalars(select(TaskingRequest).where(TaskingRequest.status == "open")))
    assert 3 <= len(open_requests) <= 10
    nxt = {r.meeting_id for r in open_requests}
    assert len(nxt) == 1 and demo.get(Meeting, nxt.pop()).status == "planned"
    flagged = demo.scalars(select(Business).where(Business.tasking_requested_at.is_not(None))).all()
    assert len(flagged) >= 3
    audit = demo.scalars(select(AuditEvent)).one()
    assert (audit.action, audit.entity, audit.actor_username) == ("demo.seed", "partnership", "system")
    assert "businesses" in audit.summary


# --- seeding rules ----------------------------------------------------------------------------


def digest(store: Store) -> str:
    """A stable fingerprint of the generated content (ids included, audit time excluded)."""
    with store.read() as s:
        parts = [
            sorted(s.session.execute(select(AgencyRecord.reference, AgencyRecord.trading_name, AgencyRecord.address,
                                    AgencyRecord.postcode, AgencyRecord.risk_value)).all()),
            sorted(s.session.execute(select(User.username, User.role, User.agency_id)).all()),
            sorted(s.session.execute(select(Visit.id, Visit.starts_at, Visit.status, Visit.business_id)).all()),
            sorted(s.session.execute(select(Action.id, Action.title, Action.due_on, Action.status)).all()),
            sorted(s.session.execute(select(Referral.id, Referral.subject, Referral.sent_at)).all()),
            sorted(s.session.execute(select(Feedback.recipient_id, Feedback.usefulness, Feedback.created_at)).all()),
        ]
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def test_seeding_twice_gives_identical_content(databases) -> None:  # noqa: ANN001
    digests = []
    for _ in range(2):
        store = Store(databases.empty(), migrate=False)
        seed_demo(store, today=FIXED_DAY)
        digests.append(digest(store))
        store.dispose()
    assert digests[0] == digests[1]


def test_dates_follow_the_day_of_seeding(store: Store) -> None:
    counts = seed_demo(store, today=FIXED_DAY)
    assert counts["users"] == 32 and counts["audit_events"] == 1
    with store.read() as s:
        first = s.session.scalar(select(func.min(Visit.starts_at)))
        last = s.session.scalar(select(func.max(Visit.starts_at)))
    assert FIXED_DAY - timedelta(days=121) <= first.date() and last.date() <= FIXED_DAY + timedelta(days=31)


def test_seeding_a_database_with_users_is_refused(store: Store) -> None:
    assert is_empty(store)
    seed_demo(store, today=FIXED_DAY)
    assert not is_empty(store)
    with pytest.raises(ConfigError, match="empty"):
        seed_demo(store)


def test_unknown_scale_is_rejected(store: Store) -> None:
    with pytest.raises(ValueError, match="county"):
        seed_demo(store, scale="national")
    assert is_empty(store)


def test_new_rows_get_fresh_ids_after_seeding(store: Store) -> None:
    """Seeding writes explicit ids; the database's own id sequences must continue after them."""
    seed_demo(store, today=FIXED_DAY)
    with store.uow() as uow:
        agency_id = uow.session.scalar(select(Agency.id).where(Agency.code == "TS"))
        user = User(username="new.user", name="New User", password_hash="x", role="officer", agency_id=agency_id)
        referral = Referral(sender_id=1, sender_agency_id=agency_id, subject="test")
        uow.session.add_all([user, referral])
        uow.commit()
    with store.read() as s:
        assert user.id == s.session.scalar(select(func.max(User.id))) and user.id > 30
        assert referral.id == s.session.scalar(select(func.max(Referral.id)))


def test_reset_database_empties_and_remigrates(store: Store) -> None:
    seed_demo(store, today=FIXED_DAY)
    reset_database(store)
    assert is_empty(store)
    with store.read() as s:
        assert s.session.scalar(select(func.count()).select_from(AuditEvent)) == 0
        assert s.session.scalar(select(func.count()).select_from(AgencyRecord)) == 0
        assert s.session.scalar(text("SELECT COUNT(*) FROM alembic_version")) == 1
    seed_demo(store, today=FIXED_DAY)  # works again on the fresh schema
    with store.uow() as uow, pytest.raises(DBAPIError, match="append-only"):
        uow.session.execute(text("UPDATE audit_events SET summary = 'changed'"))


# --- county scale -----------------------------------------------------------------------------


def test_county_scale_is_big_and_fast_on_sqlite(tmp_path: Path) -> None:
    """County scale: >= 50k records, 5k actions, 20k referrals, seeded well inside a minute."""
    store = Store(f"sqlite:///{tmp_path / 'county.db'}")
    try:
        started = time.perf_counter()
        counts = seed_demo(store, scale="county", today=FIXED_DAY)
        elapsed = time.perf_counter() - started
        assert counts["agency_records"] >= 50_000
        assert counts["actions"] >= 5_000 and counts["milestones"] >= 5_000
        assert counts["referrals"] >= 20_000 and counts["referral_recipients"] >= 20_000
        assert counts["feedback"] >= 10_000 and counts["visits"] >= 1_500
        assert 80 <= counts["users"] <= 120
        with store.read() as s:
            assert s.session.scalar(select(func.count()).select_from(AgencyRecord)) == counts["agency_records"]
        assert elapsed < 60, f"county seeding took {elapsed:.0f} s"
    finally:
        store.dispose()
