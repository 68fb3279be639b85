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
