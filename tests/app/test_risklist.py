"""The shared risk list and match review in the app, signed in as each role."""
from __future__ import annotations

from collections.abc import Callable

import pytest
from streamlit.testing.v1 import AppTest

from tests.app.conftest import shown

OWNER_ONLY_AGENCY = "IE"  # the demo's Immigration Enforcement data is owner-only


@pytest.mark.parametrize("role", ["admin", "chair", "coordinator", "analyst"])
def test_risk_list_renders_for_each_role_that_has_it(open_app: Callable[..., AppTest], role: str) -> None:
    at = open_app(role).switch_page("pages/risk_list.py").run()
    assert not at.exception
    assert [t.value for t in at.title] == ["Shared risk list"]
    assert any("businesses match" in m.value for m in at.markdown)
    table = at.dataframe[0].value
    assert len(table) > 0
    assert (table["n_agencies"] >= 2).all(), "the list opens on businesses held by two or more agencies"
    assert list(table["score"]) == sorted(table["score"], reverse=True)
    if role != "analyst":  # the demo analyst is Immigration Enforcement's: only they see its column
        assert OWNER_ONLY_AGENCY not in table.columns


def test_immigration_analyst_sees_its_own_owner_only_data(open_app: Callable[..., AppTest]) -> None:
    at = open_app("analyst").switch_page("pages/risk_list.py").run()
    assert OWNER_ONLY_AGENCY in at.dataframe[0].value.columns


def test_filter_narrows_the_list(open_app: Callable[..., AppTest]) -> None:
    at = open_app("coordinator").switch_page("pages/risk_list.py").run()
    before = len(at.dataframe[0].value)
    at.selectbox(key="rl_least").set_value(3).run()
    after = at.dataframe[0].value
    assert not at.exception
    assert 0 < len(after) < before and (after["n_agencies"] >= 3).all()


def test_match_review_for_analysts(open_app: Callable[..., AppTest]) -> None:
    at = open_app("analyst").switch_page("pages/match_review.py").run()
    assert not at.exception
    assert [t.value for t in at.title] == ["Match review"]
    assert at.metric[0].label == "Pairs waiting for your agency"


def test_applying_decisions_stops_offering_to_apply_them(private_app: Callable[..., AppTest]) -> None:
    """After "Apply N decisions now" the page says what the matching did and no longer offers the button."""
    at = private_app("analyst").switch_page("pages/match_review.py").run()
    assert at.metric[0].value != "0", "the demo analyst has pairs to review"
    at.button(key="rv_no").click().run()
    assert not at.exception, at.exception
    apply = [b for b in at.button if b.label.startswith("Apply ")]
    assert [b.label for b in apply] == ["Apply 1 decision now"]
    apply[0].click().run()
    assert not at.exception, at.exception
    assert [s.value for s in at.success if shown(s.value).startswith("Done: ")], [s.value for s in at.success]
    assert not [b for b in at.button if b.label.startswith("Apply ")], "still offers to apply what was just applied"


def test_an_analyst_splits_a_business_found_by_name_not_by_number(private_app: Callable[..., AppTest]) -> None:
    """Issue 17: split and merge asked for business numbers the screens never show; now the business is found
    by its name and address and its records are chosen by what they say."""
    import os

    from sqlalchemy import func, select

    from core.services import accounts, review, risklist
    from core.store import Store
    from core.store.models import Agency, AgencyRecord

    store = Store(os.environ["DATABASE_URL"], migrate=False)
    with store.read() as s:
        analyst = accounts.load_actor(s.session, "analyst")
        ie = s.session.scalar(select(Agency.id).where(Agency.code == OWNER_ONLY_AGENCY))
        held = s.session.execute(select(AgencyRecord.business_id, func.count()).where(AgencyRecord.current.is_(True))
                                 .group_by(AgencyRecord.business_id).having(func.count() >= 2)).all()
        ours = set(s.session.scalars(select(AgencyRecord.business_id).where(AgencyRecord.agency_id == ie)))
        business, records = next((b, review.records_of(s, actor=analyst, business_id=b)) for b, n in sorted(held)
                                 if b in ours and len(review.records_of(s, actor=analyst, business_id=b)) == n)
        label = next(f["label"] for f in risklist.find_businesses(s, actor=analyst, text=records[0]["label"].split(": ", 1)[1])
                     if f["business_id"] == business)
    at = private_app("analyst").switch_page("pages/match_review.py").run()
    at.text_input(key="sp_q").input(label).run()
    assert not at.exception
    pick = at.selectbox(key="sp_pick")
    assert label in pick.options and not any(o.isdigit() for o in pick.options), pick.options
    at = pick.set_value(business).run()
    chosen = at.multiselect(key="sp_records")
    assert sorted(chosen.options) == sorted(r["label"] for r in records)
    at = chosen.set_value([(records[-1]["dataset_id"], records[-1]["reference"])]).run()
    at = next(b for b in at.button if b.label == "Split").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any(shown(s.value).startswith("Split.") for s in at.success)
    with store.read() as s:
        now = [s.session.scalar(select(AgencyRecord.business_id).where(
            AgencyRecord.dataset_id == r["dataset_id"], AgencyRecord.reference == r["reference"],
            AgencyRecord.current.is_(True))) for r in (records[0], records[-1])]
    store.dispose()
    assert now[0] != now[1], "the record chosen was taken out of the business"
