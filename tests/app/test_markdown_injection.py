"""Markdown injection: text from agencies' records and from users renders as text on every page that shows it.

A value holding an image (``![t](http://evil.example/t.png)``: every viewer's browser would fetch it), a link
and a Streamlit colour directive is planted in a business's record name, a visit's premises, a referral's
subject, a warning marker's details and an action's title; each page that shows it is opened as the demo
user who sees it, and no Markdown the page sends holds it unescaped (the escaped text is there instead).
"""
from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from google.protobuf.message import Message
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from core.services import accounts, actions, referrals, visits
from core.services.actions import ActionInput
from core.services.referrals import ReferralInput
from core.services.visits import TeamMember, VisitPlan
from core.store import Store
from core.store.models import Agency, AgencyRecord, Business, Dataset, ReferralRecipient
from tests.app.conftest import shown
from ui.text import escape_md

NASTY = "![t](http://evil.example/t.png) [x](http://evil.example/) :red[boom]"
RAW = ("![t](", "](http://evil.example", ":red[boom]")
BUSINESS = f"Shop {NASTY}"
PREMISES = f"Typed premises {NASTY}, 1 Test Street"
SUBJECT = f"Subject {NASTY}"
MARKER = f"Marker {NASTY}"
ACTION = f"Action {NASTY}"
# Proto fields whose text Streamlit renders as Markdown. Selectbox and multiselect options, text input values
# and dataframes are shown as plain text, so they are not read here.
MARKDOWN_FIELDS = {"body", "label", "help", "text", "captions", "delta", "title"}
MARKDOWN_OPTIONS = {"Radio", "ButtonGroup"}  # their `options` render Markdown too


def _strings(message: Message) -> Iterator[str]:
    for field, value in message.ListFields():
        items = list(value) if isinstance(value, Sequence) and not isinstance(value, str) else [value]  # a repeated field's, or one
        if field.message_type is not None:
            for item in items:
                yield from _strings(item)
        elif field.type == field.TYPE_STRING and (field.name in MARKDOWN_FIELDS or
                                                  field.name == "options" and type(message).__name__ in MARKDOWN_OPTIONS):
            yield from items


def markdown_sources(at: AppTest) -> list[str]:
    """Every Markdown source the page sent: element bodies, labels, tooltips, captions, radio options."""
    found: list[str] = []

    def walk(node: Any) -> None:  # noqa: ANN401
        proto = getattr(node, "proto", None)
        if isinstance(proto, Message):
            found.extend(_strings(proto))
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)  # noqa: SLF001 - the whole tree, dialogs and sidebar included
    return found


def assert_shown_as_text(at: AppTest, planted: str) -> None:
    assert not at.exception, at.exception
    sources = markdown_sources(at)
    leaks = [s for s in sources if any(raw in s for raw in RAW)]
    assert leaks == [], f"unescaped Markdown reached the page: {leaks}"
    assert any(escape_md(planted) in s for s in sources), f"{planted!r} is not on the page"
    assert any(planted in shown(s) for s in sources)


def _store() -> Store:
    return Store(os.environ["DATABASE_URL"], migrate=False)


def _actor(store: Store, username: str):  # noqa: ANN202
    with store.read() as s:
        return accounts.load_actor(s.session, username)


def _agency(store: Store, code: str) -> int:
    with store.read() as s:
        return s.session.scalar(select(Agency.id).where(Agency.code == code))


def _plant_business(store: Store) -> int:
    """The first business in the food hygiene register (shared in full), its records now all named BUSINESS
    (the business detail is named from whichever readable record comes first)."""
    with store.uow() as uow:
        business = uow.session.scalar(
            select(AgencyRecord.business_id).join(Dataset, Dataset.id == AgencyRecord.dataset_id)
            .where(Dataset.name == "Food hygiene register", Dataset.sharing == "full", AgencyRecord.current.is_(True),
                   AgencyRecord.business_id.is_not(None))
            .order_by(AgencyRecord.business_id).limit(1))
        for record in uow.session.scalars(select(AgencyRecord).where(AgencyRecord.business_id == business)):
            record.trading_name = BUSINESS
        uow.session.get(Business, business).name = BUSINESS
        uow.commit()
        return business


def test_planted_markdown_renders_as_text_on_every_page(private_app: Callable[..., AppTest]) -> None:
    store = _store()
    fs, lic, ie = _agency(store, "FS"), _agency(store, "LIC"), _agency(store, "IE")
    coordinator, officer, analyst = _actor(store, "coordinator"), _actor(store, "officer"), _actor(store, "analyst")
    business = _plant_business(store)
    starts = datetime.combine(date.today() + timedelta(days=9), time(10), timezone.utc)
    with store.uow() as uow:
        visit = visits.plan_visit(uow, actor=coordinator,
                                  plan=VisitPlan(starts, starts + timedelta(hours=2), [TeamMember(lic), TeamMember(fs)],
                                                              lic, business, PREMISES), clash_reason="test")
    with store.uow() as uow:
        visits.add_marker(uow, actor=coordinator, category=visits.MARKER_CATEGORIES[0], details=MARKER,
                          business_id=business)
    with store.uow() as uow:
        referral = referrals.save_draft(uow, actor=officer, data=ReferralInput(
            subject=SUBJECT, place=f"Place {NASTY}", body=f"Body {NASTY}\n\n# not a heading", source_grade="B",
            intel_grade="2", handling_code="1", recipient_ids=[ie]))
    with store.uow() as uow:
        referrals.send(uow, actor=officer, referral_id=referral, to=[ie])
    with store.uow() as uow:  # due long ago: first on the owner's My actions, whose editor opens the first row
        actions.create_action(uow, actor=analyst, data=ActionInput(title=ACTION, agency_id=ie, owner_id=analyst.id,
                                                        due_on=date.today() - timedelta(days=3000), strand="Pursue",
                                                        description=f"Description {NASTY}"))
    with store.read() as s:
        recipient = s.session.scalar(select(ReferralRecipient.id).where(ReferralRecipient.referral_id == referral))
    store.dispose()

    # The business's record name: the risk list's business detail (the coordinator may read the register).
    at = private_app("coordinator")
    at.session_state["rl_open"] = business
    at.switch_page("pages/risk_list.py").run()
    assert_shown_as_text(at, BUSINESS)

    # The visit's premises and the warning marker, to an officer of an attending agency.
    at = private_app("officer")
    at.query_params["visit"] = str(visit)
    at.switch_page("pages/visits.py").run()
    assert_shown_as_text(at, PREMISES)
    assert_shown_as_text(at, MARKER)

    # The marker again on the planner, and the retire box's label, to the coordinator who added it.
    at = private_app("coordinator")
    at.query_params["visit"] = str(visit)
    at.switch_page("pages/visits.py").run()
    assert_shown_as_text(at, MARKER)
    at.query_params["visit"] = str(visit)
    at.switch_page("pages/visit_planner.py").run()
    assert_shown_as_text(at, PREMISES)
    assert_shown_as_text(at, MARKER)

    # The referral's subject to its sender (My referrals) and to the receiving analyst (the inbox).
    at = private_app("officer")
    at.query_params["referral"] = str(referral)
    at.switch_page("pages/my_referrals.py").run()
    assert_shown_as_text(at, SUBJECT)
    at = private_app("analyst")
    at.switch_page("pages/inbox.py").run()
    at.selectbox(key="inbox_open").set_value(recipient).run()
    assert_shown_as_text(at, SUBJECT)
    assert_shown_as_text(at, f"Place {NASTY}")
    assert "# not a heading" in shown(" ".join(markdown_sources(at))), "the body's lines are text too"

    # The action's title to its owner (My actions opens the first action).
    at = private_app("analyst")
    at.switch_page("pages/my_actions.py").run()
    assert_shown_as_text(at, ACTION)
    assert_shown_as_text(at, f"Description {NASTY}")


def test_the_check_sees_unescaped_markdown() -> None:
    """The test's own reader finds a planted value that reaches Markdown raw (so a pass above means something)."""
    at = AppTest.from_string(f"import streamlit as st\nst.markdown({f'### {SUBJECT}'!r})\nst.button({ACTION!r})\n").run()
    sources = markdown_sources(at)
    assert [s for s in sources if any(raw in s for raw in RAW)] == [f"### {SUBJECT}", ACTION]
