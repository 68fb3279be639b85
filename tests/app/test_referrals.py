"""Referrals in the app: an officer submits graded intelligence, the receiving analyst triages it and
gives feedback, the officer sees it; the chair sees counts only."""
from __future__ import annotations

import os
from collections.abc import Callable

from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from core.services import accounts, referrals
from core.store import Store
from core.store.models import Agency, Referral, ReferralRecipient
from tests.app.conftest import shown


def _by_label(widgets, label: str):  # noqa: ANN001, ANN202
    return next(w for w in widgets if w.label == label)


def _agency_id(store: Store, code: str) -> int:
    with store.read() as s:
        return s.session.scalar(select(Agency.id).where(Agency.code == code))


def test_officer_to_analyst_and_back(private_app: Callable[..., AppTest]) -> None:
    store = Store(os.environ["DATABASE_URL"], migrate=False)
    ie = _agency_id(store, "IE")

    officer = private_app("officer")
    officer.switch_page("pages/referral_new.py").run()
    assert not officer.exception
    _by_label(officer.text_input, "Subject: business, person, vehicle or place").input("Test Takeaway, 1 Test Street").run()
    _by_label(officer.text_area, "What you saw").input("Mattresses in the store room; workers would not give names.")
    _by_label(officer.multiselect, "Send to").set_value([ie])
    officer = _by_label(officer.button, "Send").click().run()
    assert any("choose the source evaluation" in e.value for e in officer.error), "no grading, no sending"
    # A refusal keeps exactly what was typed (issue 17 bug 2).
    assert _by_label(officer.text_input, "Subject: business, person, vehicle or place").value == "Test Takeaway, 1 Test Street"
    assert _by_label(officer.text_area, "What you saw").value.startswith("Mattresses in the store room")
    assert _by_label(officer.multiselect, "Send to").value == [ie]

    _by_label(officer.radio, "Source evaluation").set_value("B")
    _by_label(officer.radio, "Intelligence evaluation").set_value("2")
    _by_label(officer.radio, "Handling code").set_value("1")
    officer = _by_label(officer.button, "Send").click().run()
    # Nothing goes until the officer has seen where it goes (issue 17 bug 1).
    assert not officer.exception and not officer.error, [e.value for e in officer.error]
    assert not officer.success
    assert any("This goes to: Immigration Enforcement" in m.value for m in officer.markdown), [m.value for m in officer.markdown]
    with store.read() as s:
        assert s.session.scalars(select(Referral.status).where(Referral.subject == "Test Takeaway, 1 Test Street")).one() == "draft"
    officer = _by_label(officer.button, "Send now").click().run()
    assert not officer.exception and not officer.error, [e.value for e in officer.error]
    assert any("sent to Immigration Enforcement" in s.value for s in officer.success)
    # After a send the form is empty on the screen and on the server (issue 17 bug 2).
    assert _by_label(officer.text_input, "Subject: business, person, vehicle or place").value == ""
    assert _by_label(officer.text_area, "What you saw").value == ""
    assert _by_label(officer.multiselect, "Send to").value == []
    officer = _by_label(officer.button, "Send").click().run()
    assert any(shown(e.value).startswith("Subject: say who or what") for e in officer.error), "the empty form is refused as empty"

    with store.read() as s:
        ref = s.session.scalars(select(Referral).where(Referral.subject == "Test Takeaway, 1 Test Street")).one()
        rec_id = s.session.scalar(select(ReferralRecipient.id).where(ReferralRecipient.referral_id == ref.id))
        analyst = accounts.load_actor(s.session, "analyst")
        assert any(r["recipient_id"] == rec_id for r in referrals.inbox(s, actor=analyst)), "it reached the IE inbox"

    inbox = private_app("analyst")
    inbox.switch_page("pages/inbox.py").run()
    assert not inbox.exception
    assert "Test Takeaway, 1 Test Street" in set(inbox.dataframe[0].value["Subject"])

    _by_label(inbox.selectbox, "Open a referral").set_value(rec_id).run()
    assert not inbox.exception
    assert "Mattresses in the store room" in " ".join(m.value for m in inbox.markdown), "handling code 1: the full text passes"
    _by_label(inbox.selectbox, "Decision").set_value("task a visit")
    inbox = _by_label(inbox.button, "Record decision").click().run()
    assert not inbox.error, [e.value for e in inbox.error]
    assert any("created visit" in x.value for x in inbox.success)
    _by_label(inbox.slider, "How useful was it? (1 not useful – 5 very useful)").set_value(5)
    _by_label(inbox.selectbox, "What happened").set_value("visit tasked")
    _by_label(inbox.text_area, "What we did with it").input("Joint visit booked with Licensing")
    inbox = _by_label(inbox.button, "Send feedback").click().run()
    assert not inbox.error and not inbox.exception
    officer.switch_page("pages/my_referrals.py").run()
    assert not officer.exception
    assert any("new pieces of feedback" in s.value for s in officer.success)
    mine = officer.dataframe[0].value
    row = mine[mine["Subject"] == "Test Takeaway, 1 Test Street"].iloc[0]
    assert (row["Outcome"], row["Useful (1-5)"], bool(row["New"])) == ("visit tasked", 5, True)
    store.dispose()


def test_chair_dashboard_shows_counts_not_content(open_app: Callable[..., AppTest]) -> None:
    at = open_app("chair")
    at.switch_page("pages/referral_dashboard.py").run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert int(metrics["Referrals"]) > 0 and metrics["Answered"].endswith("%")
    text = " ".join(m.value for m in at.markdown) + " ".join(c.value for c in at.caption)
    assert "Content is never shown here" in text
    assert not at.dataframe, "no table of referrals for the chair"


def test_a_draft_is_kept_and_can_be_finished_later(private_app: Callable[..., AppTest]) -> None:
    at = private_app("officer")
    at.switch_page("pages/referral_new.py").run()
    _by_label(at.text_input, "Subject: business, person, vehicle or place").input("Draft Barbers, 9 Mill Lane").run()
    _by_label(at.text_area, "What you saw").input("Cash only, two tills")
    at = _by_label(at.button, "Save draft").click().run()
    assert any("Only you can see it" in s.value for s in at.success)

    store = Store(os.environ["DATABASE_URL"], migrate=False)
    with store.read() as s:
        draft = s.session.scalar(select(Referral.id).where(Referral.subject == "Draft Barbers, 9 Mill Lane",
                                                           Referral.status == "draft"))
    store.dispose()
    assert draft is not None

    later = private_app("officer")  # another day, another screen
    later.query_params["referral"] = str(draft)
    later.switch_page("pages/my_referrals.py").run()
    later = _by_label(later.button, "Continue this draft").click().run()
    assert not later.exception
    assert _by_label(later.text_input, "Subject: business, person, vehicle or place").value == "Draft Barbers, 9 Mill Lane"
    assert _by_label(later.text_area, "What you saw").value == "Cash only, two tills"


def test_my_referrals_opens_one_thread_per_referral(open_app: Callable[..., AppTest]) -> None:
    """Issue 17: one row per referral, and the referral opened (?referral=ID, as Home links to it) shows each
    agency's status and feedback; before, a referral to 9 agencies was 9 rows and opening one showed no feedback."""
    store = Store(os.environ["DATABASE_URL"], migrate=False)
    with store.read() as s:
        officer = accounts.load_actor(s.session, "officer")
        rows = referrals.my_referrals(s, actor=officer)
        answered = next(r for r in rows if r["Feedback"])
        thread = referrals.referral_for_sender(s, actor=officer, referral_id=answered["referral_id"])
    store.dispose()
    at = open_app("officer")
    at.switch_page("pages/my_referrals.py").run()
    assert not at.exception
    listed = at.dataframe[0].value
    assert len(listed) == len(rows) == len({r["referral_id"] for r in rows}), "one row per referral"
    at.query_params["referral"] = str(answered["referral_id"])
    at.switch_page("pages/my_referrals.py").run()
    assert not at.exception
    agencies = next(d.value for d in at.dataframe if "Agency" in d.value.columns)
    assert list(agencies["Agency"]) == [a["agency"] for a in thread["agencies"]]
    given = next(a for a in thread["agencies"] if a["comments"])
    assert given["comments"] in set(agencies["What they did"])


def test_the_inbox_links_a_referral_to_a_business_and_takes_messages(private_app: Callable[..., AppTest]) -> None:
    """Dead ends found in issue 17: the service could link a referral to a business but the inbox had no control,
    and 'add a message to the referral' pointed at a box the inbox did not have."""
    at = private_app("analyst")
    at.switch_page("pages/inbox.py").run()
    at = _by_label(at.selectbox, "Open a referral").select_index(1).run()
    assert not at.exception
    rec_id = _by_label(at.selectbox, "Open a referral").value
    store = Store(os.environ["DATABASE_URL"], migrate=False)
    with store.read() as s:
        analyst = accounts.load_actor(s.session, "analyst")
        target = referrals.suggest_subjects(s, actor=analyst, text="Market")[0]
    _by_label(at.text_input, "Find the business it is about (name or address)").input("Market").run()
    _by_label(at.selectbox, "Link it to").set_value(target["business_id"]).run()
    at = _by_label(at.button, "Link").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    with store.read() as s:
        assert referrals.referral_for_recipient(s, actor=analyst, recipient_id=rec_id)["business"] == target["label"]
    _by_label(at.text_area, "Message to the sender and the other agencies it went to").input("Which door did you use?")
    at = _by_label(at.button, "Add message").click().run()
    assert not at.exception and not at.error
    assert any("Which door did you use?" in shown(m.value) for m in at.markdown)
    store.dispose()
