"""A link to a page (e.g. a visit someone shared) lands on that page, not on Home: both when the tab is
already signed in by its cookie and when the person has to sign in first."""
from __future__ import annotations

import re

from playwright.sync_api import Page, expect
from sqlalchemy import select

from core.store import Store
from core.store.models import Agency, User, Visit, VisitAgency
from tests.browser.conftest import AppServer, wait_for_app_loaded, wait_for_app_run
from tests.browser.helpers import sign_in_as
from tests.browser.test_browser import DEMO_PASSWORD, expect_no_error


def _a_visit_of(app_server: AppServer, username: str) -> tuple[int, str]:
    """A visit the person's agency is on (so its premises are never withheld from them)."""
    store = Store(app_server.database_url, migrate=False)
    try:
        with store.read() as s:
            agency = s.session.scalar(select(User.agency_id).where(User.username == username))
            v = s.session.scalars(select(Visit).join(VisitAgency, VisitAgency.visit_id == Visit.id)
                          .where(VisitAgency.agency_id == agency, Visit.status != "cancelled")
                          .order_by(Visit.id)).first()
            assert v is not None and s.session.get(Agency, agency) is not None
            return v.id, v.premises_text
    finally:
        store.dispose()


def _expect_visit(pg: Page, visit_id: int, premises: str) -> None:
    expect(pg.get_by_test_id("stMain").get_by_role("heading", name=premises)).to_be_visible()
    assert re.search(rf"[?&]visit={visit_id}\b", pg.url), pg.url
    expect_no_error(pg, f"visit {visit_id} by link")


def test_a_link_opened_in_a_signed_in_browser_lands_on_its_page(page: Page, app_server: AppServer) -> None:
    visit_id, premises = _a_visit_of(app_server, "coordinator")
    sign_in_as(page, "coordinator")
    tab = page.context.new_page()  # the cookie signs this tab in, one run after it first ran signed out
    tab.goto(f"{app_server.url}visits?visit={visit_id}")
    wait_for_app_loaded(tab)
    wait_for_app_run(tab, quiet_ms=1000)
    _expect_visit(tab, visit_id, premises)


def test_a_link_opened_signed_out_lands_on_its_page_after_signing_in(page: Page, app_server: AppServer) -> None:
    visit_id, premises = _a_visit_of(app_server, "coordinator")
    page.goto(f"{app_server.url}visits?visit={visit_id}")
    wait_for_app_loaded(page)
    expect(page.get_by_role("button", name="Sign in", exact=True)).to_be_visible()
    assert premises not in page.get_by_test_id("stMain").inner_text()
    page.get_by_test_id("stCustomComponentV1").first.wait_for(state="attached")
    wait_for_app_run(page, initial_wait_ms=500, quiet_ms=800)
    page.get_by_role("textbox", name="Username", exact=True).fill("coordinator")
    page.get_by_role("textbox", name="Password", exact=True).fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    wait_for_app_run(page, quiet_ms=1000)
    _expect_visit(page, visit_id, premises)
