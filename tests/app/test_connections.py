"""A business's connections in the risk list's detail: the flat above a shop shows as "Same building"."""
from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from core.store import Store
from core.store.models import BusinessLink


def test_the_shop_below_a_flat_shows_the_flat_as_same_building(open_app: Callable[..., AppTest],
                                                                app_db_url: str) -> None:
    store = Store(app_db_url, migrate=False)
    try:
        with store.read() as s:
            links = s.session.execute(select(BusinessLink.business_a_id, BusinessLink.business_b_id)
                              .where(BusinessLink.kind == "building")).all()
    finally:
        store.dispose()
    assert links, "the demo has flats above shops, each linked to its shop as the same building"
    at = open_app("coordinator").switch_page("pages/risk_list.py")
    for a, b in links:  # the first building link whose businesses the coordinator may see
        at.session_state["rl_open"] = a
        at.run()
        assert not at.exception
        tables = [t.value for t in at.dataframe if "label" in t.value.columns]
        if tables:
            connections = tables[0]
            assert "Same building" in set(connections["label"])
            assert {"name", "address", "value"} <= set(connections.columns)
            return
    raise AssertionError("no business with a Same building connection opened on the risk list")
