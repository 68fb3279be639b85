"""Referrals: grading before sending, handling codes, triage, feedback owed, and the sterile wall."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from core.domain import Role
from core.errors import Forbidden, NotFound, ValidationError
from core.permissions import Actor
from core.services import attention, referrals
from core.services.actions import ActionInput
from core.services.referrals import ReferralInput
from core.store.models import (
    Action, ActionLink, Agency, AgencyRecord, Business, Dataset, Indicator, Referral, ReferralRecipient, User, Visit,
)
from tests.store.conftest import _HASH, Small

NOW = datetime.now(timezone.utc)
TODAY = NOW.date()


@pytest.fixture
def people(small: Small) -> dict[str, Actor]:
    """Trading Standards sends, HMRC receives: an officer, an analyst and a chair on each side."""
    made = {}
    with small.store.uow() as uow:
        s = uow.session
        for username, role, agency in [("ts.officer", "officer", small.ts), ("ts.officer2", "officer", small.ts),
                                       ("ts.analyst", "analyst", small.ts), ("hmrc.officer", "officer", small.hmrc),
                                       ("hmrc.coord", "coordinator", small.hmrc), ("chair", "chair", small.ts)]:
            u = User(username=username, name=username.title(), role=role, agency_id=agency, password_hash=_HASH)
            s.add(u)
            s.flush()
            made[username] = Actor(u.id, username, u.name, Role(role), agency, "TS" if agency == small.ts else "HMRC")
        s.add_all([Indicator(agency_id=small.hmrc, code="two_tills", label="Two tills or cash only", issue="tax evasion"),
                   Indicator(agency_id=small.ts, code="fakes", label="Counterfeit goods", issue="counterfeit goods")])
        uow.commit()
    made["hmrc.analyst"] = small.analyst
    made["admin"] = small.admin
    return made


def _ind(small: Small, code: str) -> int:
    with small.store.read() as s:
        return s.session.scalar(select(Indicator.id).where(Indicator.code == code))


def _send(small: Small, who: Actor, *, handling: str = "1", summary: str = "", scheme: str = "5x5x5", to: list[int] | None = None) -> int:
    data = ReferralInput(subject="Chicken Shop, 12 The Broadway", body="Two tills; the owner said cash only. Source: my cousin.",
                         summary=summary, scheme=scheme, source_grade="B" if scheme == "5x5x5" else "2",
                         intel_grade="2" if scheme == "5x5x5" else "B", handling_code=handling,
                         indicator_ids=[_ind(small, "two_tills")], recipient_ids=to or [small.hmrc], observed_at=NOW - timedelta(hours=3))
    with small.store.uow() as uow:
        rid = referrals.save_draft(uow, actor=who, data=data)
    with small.store.uow() as uow:
        referrals.send(uow, actor=who, referral_id=rid, to=to or [small.hmrc], now=NOW)
    return rid


def _recipient(small: Small, referral_id: int) -> int:
    with small.store.read() as s:
        return s.session.scalar(select(ReferralRecipient.id).where(ReferralRecipient.referral_id == referral_id))


def _immigration_enforcement(small: Small) -> int:
    """A third agency, for referrals to more than one."""
    with small.store.uow() as uow:
        ie = Agency(code="IE", name="Immigration Enforcement", remit=[])
        uow.session.add(ie)
        uow.commit()
        return ie.id


def _recipients(small: Small, referral_id: int) -> list[ReferralRecipient]:
    with small.store.read() as s:
        return list(s.session.scalars(select(ReferralRecipient).where(ReferralRecipient.referral_id == referral_id)))


def test_recipients_are_suggested_from_the_indicators(small: Small, people: dict) -> None:
    with small.store.read() as s:
        assert referrals.suggest_recipients(s, actor=people["ts.officer"],
                                            indicator_ids=[_ind(small, "two_tills"),
                                                           _ind(small, "fakes")]) == [small.hmrc]


def test_a_report_cannot_be_sent_without_a_complete_grading(small: Small, people: dict) -> None:
    officer = people["ts.officer"]
    with small.store.uow() as uow:
        rid = referrals.save_draft(uow, actor=officer,
                                   data=ReferralInput(subject="Car wash", body="Workers sleeping on site",
                                                               source_grade="B", recipient_ids=[small.hmrc]))
    with pytest.raises(ValidationError, match="intelligence evaluation, the handling code"), small.store.uow() as uow:
        referrals.send(uow, actor=officer, referral_id=rid, to=[small.hmrc])
    with small.store.read() as s:
        assert referrals.my_referrals(s, actor=officer)[0]["Status"] == "draft"
        assert referrals.inbox(s, actor=small.analyst) == [], "drafts never reach the recipient"


def test_a_referral_goes_only_to_the_agencies_the_sender_confirmed(small: Small, people: dict) -> None:
    """Issue 17 bug 1: the sender confirms 'This goes to: ...'; if the list changed after that, nothing is sent."""
    officer = people["ts.officer"]
    ie_id = _immigration_enforcement(small)
    data = ReferralInput(subject="Car wash", body="Workers sleeping on site", source_grade="B", intel_grade="2",
                         handling_code="1", recipient_ids=[small.hmrc])
    with small.store.uow() as uow:
        rid = referrals.save_draft(uow, actor=officer, data=data)
    with small.store.read() as s:
        assert referrals.to_confirm(s, actor=officer, referral_id=rid) == {small.hmrc: "HM Revenue and Customs"}
    with small.store.uow() as uow:  # another screen adds a recipient after the officer confirmed HMRC alone
        referrals.save_draft(uow, actor=officer, referral_id=rid, data=ReferralInput(**{**data.__dict__, "recipient_ids": [small.hmrc, ie_id]}))
    with pytest.raises(ValidationError, match="changed after you confirmed them"), small.store.uow() as uow:
        referrals.send(uow, actor=officer, referral_id=rid, to=[small.hmrc])
    with small.store.uow() as uow:
        half_done = referrals.save_draft(uow, actor=officer, data=ReferralInput(subject="Half done", source_grade="B",
                                                                                recipient_ids=[small.hmrc]))
    with small.store.read() as s:
        assert s.session.get(Referral, rid).status == "draft", "nothing was sent"
        with pytest.raises(ValidationError, match="intelligence evaluation"):  # confirming checks what sending checks
            referrals.to_confirm(s, actor=officer, referral_id=half_done)
    with small.store.uow() as uow:
        referrals.send(uow, actor=officer, referral_id=rid, to=[ie_id, small.hmrc])
    with small.store.read() as s:
        assert s.session.get(Referral, rid).status == "sent"


@pytest.mark.parametrize(("scheme", "handling", "summary", "error"), [
    ("5x5x5", "4", "", "keeps this report inside your agency"),
    ("5x5x5", "5", "", "Sanitised summary"),
    ("3x5x2", "C", "", "Sanitised summary"),
])
def test_handling_codes_that_limit_sharing(small: Small, people: dict, scheme: str, handling: str, summary: str, error: str) -> None:
    with pytest.raises(ValidationError, match=error):
        _send(small, people["ts.officer"], scheme=scheme, handling=handling, summary=summary)


@pytest.mark.parametrize(("scheme", "handling", "sees_full"), [("5x5x5", "1", True), ("5x5x5", "5", False), ("3x5x2", "P", True), ("3x5x2", "C", False)])
def test_recipient_sees_full_text_only_when_the_code_allows(small: Small, people: dict, scheme: str, handling: str, sees_full: bool) -> None:
    rid = _send(small, people["ts.officer"], scheme=scheme, handling=handling, summary="Possible tax evasion at a takeaway")
    with small.store.read() as s:
        seen = referrals.referral_for_recipient(s, actor=small.analyst, recipient_id=_recipient(small, rid))
    if sees_full:
        assert "my cousin" in seen["text"] and not seen["text_is_summary"]
    else:
        assert seen["text"] == "Possible tax evasion at a takeaway" and seen["text_is_summary"]
        assert "cousin" not in str(seen)


# The sterile wall: who can see the content of a TS officer's referral to HMRC.
WALL = [
    ("ts.officer", "sender", True), ("ts.officer2", "another officer of the same agency", False),
    ("ts.analyst", "an analyst of the sending agency", False), ("hmrc.analyst", "an analyst of the receiving agency", True),
    ("hmrc.officer", "an officer of the receiving agency", False), ("hmrc.coord", "a coordinator of the receiving agency", False),
    ("chair", "the chair", False), ("admin", "the administrator", False),
]


@pytest.mark.parametrize(("who", "why", "sees"), WALL, ids=[w[1] for w in WALL])
def test_sterile_wall(small: Small, people: dict, who: str, why: str, sees: bool) -> None:
    rid = _send(small, people["ts.officer"])
    actor = people[who]
    with small.store.read() as s:
        can_own = bool(referrals.my_referrals(s, actor=actor)) if actor.role in (Role.OFFICER, Role.ANALYST,
                                                                                 Role.COORDINATOR) else False
        try:
            inbox = referrals.inbox(s, actor=actor)
        except Forbidden:
            inbox = []
        try:
            referrals.referral_for_recipient(s, actor=actor, recipient_id=_recipient(small, rid))
            detail = True
        except (Forbidden, NotFound):
            detail = False
        try:
            referrals.referral_for_sender(s, actor=actor, referral_id=rid)
            sender_detail = True
        except (Forbidden, NotFound):
            sender_detail = False
    assert (can_own or bool(inbox) or detail or sender_detail) is sees, why


def test_chair_sees_counts_and_outcomes_not_content(small: Small, people: dict) -> None:
    rid = _send(small, people["ts.officer"])
    with small.store.uow() as uow:
        referrals.give_feedback(uow, actor=small.analyst, recipient_id=_recipient(small, rid), usefulness=5,
                                outcome="visit tasked", comments="Visit booked")
    with small.store.read() as s:
        board = referrals.dashboard(s, actor=people["chair"])
    assert board["sent"] == 1 and board["answered_share"] == 1.0 and board["useful_share"] == 1.0
    assert board["outcomes"] == {"visit tasked": 1} and board["pairs"] == [{"From": "TS", "To": "HMRC", "Referrals": 1}]
    assert board["indicators"] == [("Two tills or cash only", 1)]
    assert board["by_month"] == {NOW.strftime("%Y-%m"): 1}
    assert board["median_days_to_feedback"] is not None and board["median_days_to_feedback"] >= 0
    assert "cousin" not in str(board) and "Chicken" not in str(board)
    with pytest.raises(Forbidden), small.store.read() as s:
        referrals.dashboard(s, actor=people["ts.officer"])


def test_triage_into_an_action_and_a_visit_with_feedback_to_the_officer(small: Small, people: dict) -> None:
    officer = people["ts.officer"]
    rid = _send(small, officer)
    rec = _recipient(small, rid)
    with small.store.uow() as uow:
        referrals.acknowledge(uow, actor=small.analyst, recipient_id=rec)
    with small.store.uow() as uow:
        referrals.assign(uow, actor=small.analyst, recipient_id=rec, user_id=people["hmrc.officer"].id)
    with pytest.raises(ValidationError, match="own agency"), small.store.uow() as uow:
        referrals.assign(uow, actor=small.analyst, recipient_id=rec, user_id=officer.id)
    with small.store.uow() as uow:
        biz = Business(name="Chicken Shop", address="12 The Broadway")
        uow.session.add(biz)
        uow.session.flush()
        ds = Dataset(agency_id=small.ts, name="ts register", sharing="full")
        uow.session.add(ds)
        uow.session.flush()
        uow.session.add(AgencyRecord(dataset_id=ds.id, agency_id=small.ts, business_id=biz.id, reference="T1",
                                     trading_name="Chicken Shop", address="12 The Broadway"))
        uow.commit()
    with small.store.uow() as uow:
        referrals.link_business(uow, actor=small.analyst, recipient_id=rec, business_id=biz.id)
    with small.store.uow() as uow:
        made = referrals.decide(uow, actor=small.analyst, recipient_id=rec, decision="raise an action",
                                action=ActionInput(
            title="Review turnover of Chicken Shop", agency_id=small.hmrc, due_on=TODAY + timedelta(days=30), strand="Pursue",
            owner_id=small.analyst.id))
    with small.store.read() as s:
        links = s.session.execute(select(ActionLink.referral_id,
                                         ActionLink.business_id).where(ActionLink.action_id == made["action_id"])).one()
        assert tuple(links) == (rid, biz.id)
        assert s.session.get(ReferralRecipient, rec).status == "decided"
    # a second recipient tasks a visit
    with small.store.uow() as uow:
        rid2 = referrals.save_draft(uow, actor=officer,
                                    data=ReferralInput(subject="Car wash", body="Workers sleep on site",
                                                       source_grade="B",
                                                                intel_grade="2", handling_code="1", recipient_ids=[small.hmrc]))
    with small.store.uow() as uow:
        referrals.send(uow, actor=officer, referral_id=rid2, to=[small.hmrc])
    with small.store.uow() as uow:
        made = referrals.decide(uow, actor=small.analyst, recipient_id=_recipient(small, rid2), decision="task a visit",
                                visit_on=NOW + timedelta(days=7))
    with small.store.read() as s:
        assert s.session.get(Visit, made["visit_id"]).status == "draft"
    with pytest.raises(ValidationError, match="why no further action"), small.store.uow() as uow:
        referrals.decide(uow, actor=small.analyst, recipient_id=_recipient(small, rid2), decision="no further action")
    with small.store.uow() as uow:
        referrals.give_feedback(uow, actor=small.analyst, recipient_id=rec, usefulness=4,
                                outcome="enforcement action taken", comments="Tills seized",
                                improve="Photos of the tills would help")
    with small.store.read() as s:
        mine = referrals.my_referrals(s, actor=officer)
        row = next(r for r in mine if r["referral_id"] == rid)
        assert (row["Useful (1-5)"], row["Outcome"], row["New"]) == (4, "enforcement action taken", True)
        home = {sec.key: sec for sec in attention.attention(s, actor=officer)}
        assert home["feedback"].rows[0]["Outcome"] == "enforcement action taken"
    with small.store.uow() as uow:
        attention.mark_feedback_seen(uow, actor=officer)
    with small.store.read() as s:
        assert not any(r["New"] for r in referrals.my_referrals(s, actor=officer))


def test_overdue_feedback_is_flagged_to_the_receiving_agency(small: Small, people: dict) -> None:
    with small.store.uow() as uow:
        rid = referrals.save_draft(uow, actor=people["ts.officer"],
                                   data=ReferralInput(subject="Old one", body="x", source_grade="A", intel_grade="1",
                                                                            handling_code="1", recipient_ids=[small.hmrc]))
    with small.store.uow() as uow:
        referrals.send(uow, actor=people["ts.officer"], referral_id=rid, to=[small.hmrc], now=NOW - timedelta(days=40))
    with small.store.read() as s:
        row = referrals.inbox(s, actor=small.analyst)[0]
        assert row["Overdue"] and row["Feedback by"] == (NOW - timedelta(days=40)).date() + timedelta(days=28)
        assert referrals.dashboard(s, actor=people["chair"])["overdue"] == 1


def test_only_sender_and_recipient_analysts_add_messages(small: Small, people: dict) -> None:
    rid = _send(small, people["ts.officer"])
    with small.store.uow() as uow:
        referrals.add_message(uow, actor=people["ts.officer"], referral_id=rid,
                              text="The shop reopened under a new name.")
    with small.store.uow() as uow:
        referrals.add_message(uow, actor=small.analyst, referral_id=rid, text="Thanks: which name?")
    with pytest.raises(Forbidden), small.store.uow() as uow:
        referrals.add_message(uow, actor=people["chair"], referral_id=rid, text="chair cannot")
    with small.store.read() as s:
        msgs = referrals.referral_for_sender(s, actor=people["ts.officer"], referral_id=rid)["messages"]
    assert [m["text"] for m in msgs] == ["The shop reopened under a new name.", "Thanks: which name?"]


def test_subject_suggestions_hide_owner_only_businesses(small: Small, people: dict) -> None:
    with small.store.uow() as uow:
        s = uow.session
        shared = Business(name="Chicken Shop", address="12 The Broadway", postcode="KM1 1AA")
        hidden = Business(name="Chicken Hut", address="14 The Broadway", postcode="KM1 1AA")
        s.add_all([shared, hidden])
        s.flush()
        full = Dataset(agency_id=small.ts, name="ts", sharing="full")
        owner_only = Dataset(agency_id=small.hmrc, name="hmrc", sharing="owner-only")
        s.add_all([full, owner_only])
        s.flush()
        s.add_all([AgencyRecord(dataset_id=full.id, agency_id=small.ts, business_id=shared.id, reference="1",
                                trading_name="Chicken Shop", address="12 The Broadway", postcode="KM1 1AA"),
                   AgencyRecord(dataset_id=owner_only.id, agency_id=small.hmrc, business_id=hidden.id, reference="2",
                                trading_name="Chicken Hut", address="14 The Broadway", postcode="KM1 1AA")])
        uow.commit()
    with small.store.read() as s:
        found = [x["label"] for x in referrals.suggest_subjects(s, actor=people["ts.officer"], text="chicken broadway")]
        assert found and all("Hut" not in f for f in found)
        assert any("Hut" in x["label"] for x in referrals.suggest_subjects(s, actor=people["hmrc.officer"],
                                                                           text="chicken broadway")), \
            "the owning agency still finds its own"


def test_a_decision_and_feedback_are_recorded_once(small: Small, people: dict) -> None:
    rec = _recipient(small, _send(small, people["ts.officer"]))
    with small.store.uow() as uow:
        referrals.decide(uow, actor=small.analyst, recipient_id=rec, decision="task a visit",
                         visit_on=NOW + timedelta(days=3))
    with pytest.raises(ValidationError, match="already recorded"), small.store.uow() as uow:
        referrals.decide(uow, actor=small.analyst, recipient_id=rec, decision="task a visit",
                         visit_on=NOW + timedelta(days=3))
    with small.store.uow() as uow:
        referrals.give_feedback(uow, actor=small.analyst, recipient_id=rec, usefulness=3, outcome="visit tasked")
    with pytest.raises(ValidationError, match="already given"), small.store.uow() as uow:
        referrals.give_feedback(uow, actor=small.analyst, recipient_id=rec, usefulness=3, outcome="visit tasked")
    with small.store.read() as s:
        assert len(list(s.session.scalars(select(Visit.id)))) == 1


def test_one_referral_is_one_thread_for_its_sender(small: Small, people: dict) -> None:
    """Issue 17: a referral to several agencies is one row in My referrals, and opening it shows each agency's
    status and feedback (new until read) beside the messages; it was one row per agency, and no feedback when opened."""
    officer = people["ts.officer"]
    ie_id = _immigration_enforcement(small)
    rid = _send(small, officer, to=[small.hmrc, ie_id])
    hmrc_rec = next(r for r in _recipients(small, rid) if r.agency_id == small.hmrc)
    with small.store.uow() as uow:
        referrals.give_feedback(uow, actor=small.analyst, recipient_id=hmrc_rec.id, usefulness=4,
                                outcome="enforcement action taken", comments="Tills seized", improve="Photos would help")
    with small.store.uow() as uow:
        referrals.add_message(uow, actor=small.analyst, referral_id=rid, text="Which door did you use?")
    with small.store.read() as s:
        [row] = [r for r in referrals.my_referrals(s, actor=officer) if r["referral_id"] == rid]
        assert (row["To"], row["Answered"], row["New"]) == ("HM Revenue and Customs, Immigration Enforcement", "1 of 2", True)
        assert (row["Useful (1-5)"], row["Outcome"], row["Feedback"]) == (4, "enforcement action taken", "HM Revenue and Customs: Tills seized")
        thread = referrals.referral_for_sender(s, actor=officer, referral_id=rid)
        by_agency = {a["agency"]: a for a in thread["agencies"]}
        hmrc, ie_row = by_agency["HM Revenue and Customs"], by_agency["Immigration Enforcement"]
        assert (hmrc["useful"], hmrc["comments"], hmrc["improve"], hmrc["new"]) == (4, "Tills seized", "Photos would help", True)
        assert ie_row["feedback_at"] is None and ie_row["status"] == "new" and ie_row["feedback_by"] is not None
        assert [m["text"] for m in thread["messages"]] == ["Which door did you use?"]
    with small.store.uow() as uow:
        attention.mark_feedback_seen(uow, actor=officer)
    with small.store.read() as s:
        thread = referrals.referral_for_sender(s, actor=officer, referral_id=rid)
        assert not any(a["new"] for a in thread["agencies"]), "read once, no longer new"


def test_the_inbox_names_the_linked_business_only_as_the_analyst_may_see_it(small: Small, people: dict) -> None:
    """The inbox shows what a referral is linked to: by the analyst's own reading of it, and never a business
    the analyst's agency may not read (the sender linked one only Trading Standards holds, owner-only)."""
    officer = people["ts.officer"]
    with small.store.uow() as uow:
        s = uow.session
        hidden, shared = Business(name="stored", address="x"), Business(name="stored too", address="y")
        s.add_all([hidden, shared])
        s.flush()
        own = Dataset(agency_id=small.ts, name="ts private", sharing="owner-only")
        full = Dataset(agency_id=small.ts, name="ts register", sharing="full")
        s.add_all([own, full])
        s.flush()
        s.add_all([AgencyRecord(dataset_id=own.id, agency_id=small.ts, business_id=hidden.id, reference="P1",
                                trading_name="PLANTED-SECRET Barbers", address="1 Quiet Row"),
                   AgencyRecord(dataset_id=full.id, agency_id=small.ts, business_id=shared.id, reference="F1",
                                trading_name="Chicken Shop", address="12 The Broadway")])
        uow.commit()
        hidden_id, shared_id = hidden.id, shared.id
    with small.store.uow() as uow:
        rid = referrals.save_draft(uow, actor=officer, data=ReferralInput(
            subject="Barbers", body="Cash only", source_grade="B", intel_grade="2", handling_code="1",
            recipient_ids=[small.hmrc], business_id=hidden_id))
    with small.store.uow() as uow:
        referrals.send(uow, actor=officer, referral_id=rid, to=[small.hmrc])
    rec = _recipient(small, rid)
    with small.store.read() as s:
        seen = referrals.referral_for_recipient(s, actor=small.analyst, recipient_id=rec)
        assert seen["business"] is None and "PLANTED-SECRET" not in repr(seen)
    with small.store.uow() as uow:
        referrals.link_business(uow, actor=small.analyst, recipient_id=rec, business_id=shared_id)
    with small.store.read() as s:
        assert referrals.referral_for_recipient(s, actor=small.analyst, recipient_id=rec)["business"] == \
            "Chicken Shop, 12 The Broadway"
