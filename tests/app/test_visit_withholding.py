"""Withheld premises on the Visits page: a Food Safety officer sees Immigration Enforcement's visit to a
business only IE's owner-only data holds as "Visit by <lead> — premises withheld", cannot pick it to open,
and is refused with a clear message when opening it by URL; IE's own analyst sees the premises."""
from __future__ import annotations

import os
from collections.abc import Callable
from datetime import datetime, time, timedelta, timezone

from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from core.visibility import WITHHELD_CAPTION as CAPTION
from core.store import Store
from core.store.models import Agency, AgencyRecord, Business, Dataset, Visit, VisitAgency
from tests.app.conftest import shown as on_screen

SECRET = "Hidden Hand Car Wash, 3 Quarry Lane"


def _ie_visit(store: Store) -> int:
    """A proposed visit tomorrow, led by IE alone, to a business only IE's owner-only dataset holds."""
    with store.uow() as uow:
        s = uow.session
        ie = s.scalar(select(Agency).where(Agency.code == "IE"))
        ds = s.scalar(select(Dataset).where(Dataset.agency_id == ie.id, Dataset.sharing == "owner-only"))
        biz = Business(name="Hidden Hand Car Wash", address="3 Quarry Lane", postcode="KM9 9ZZ", sector="car wash")
        s.add(biz)
        s.flush()
        s.add(AgencyRecord(dataset_id=ds.id, agency_id=ie.id, business_id=biz.id, reference="TEST-HIDDEN",
                           trading_name=biz.name, address=biz.address, current=True))
        start = datetime.combine(datetime.now(timezone.utc).date() + timedelta(days=1), time(10, 0), timezone.utc)
        v = Visit(business_id=biz.id, premises_text=SECRET, starts_at=start, ends_at=start + timedelta(hours=2),
                  lead_agency_id=ie.id, status="proposed", entry_route="Warrant.", version=1, reasons=[], overrides=[])
        v.agencies = [VisitAgency(agency_id=ie.id, officers=2, response="confirmed")]
        s.add(v)
        uow.commit()
        return v.id


def _list_view(at: AppTest) -> AppTest:
    at.switch_page("pages/visits.py").run()
    assert not at.exception, at.exception
    return at.get("button_group")[0].set_value("List").run()


def test_the_visits_page_withholds_premises_from_another_agency(private_app: Callable[..., AppTest]) -> None:
    store = Store(os.environ["DATABASE_URL"], migrate=False)
    vid = _ie_visit(store)
    store.dispose()

    at = _list_view(private_app("officer"))  # Food Safety
    assert not at.exception, at.exception
    shown = at.dataframe[0].value
    assert "withheld" not in shown.columns
    assert "Visit by Immigration Enforcement — premises withheld" in set(shown["premises"])
    assert SECRET not in set(shown["premises"])
    assert any(c.value == CAPTION for c in at.caption)
    picker = next(w for w in at.selectbox if w.label == "Open a visit")
    assert not [o for o in picker.options if "withheld" in o or "Hidden Hand" in o], picker.options
    assert len(picker.options) == 1 + int((~shown["premises"].str.endswith("— premises withheld")).sum()), \
        "every visit not withheld (the demo may withhold others too) can still be opened"

    at.query_params["visit"] = str(vid)
    at.switch_page("pages/visits.py").run()
    assert not at.exception, at.exception
    assert any("premises and plan are withheld" in on_screen(e.value) and "Contact the lead agency (Immigration Enforcement)"
               in on_screen(e.value) for e in at.error)
    assert SECRET not in on_screen("\n".join(str(m.value) for m in [*at.markdown, *at.title, *at.caption]))

    ie = _list_view(private_app("analyst"))  # Immigration Enforcement
    assert SECRET in set(ie.dataframe[0].value["premises"])
