"""Imports that cannot hurt, in a real browser on the real server.

1. An analyst imports a dataset's export, then a partial one: before anything is written the page says how
   many records are no longer in the file, warns that the file is much smaller than the dataset and will not
   import until the analyst says what the file is; "Add and update only" keeps the rest; then the analyst
   undoes that import from the history and the dataset is as it was.
2. The dimension bomb (a 1.6 KB .xlsx whose cells span A1:XFD1048576, which made the reader abort the whole
   server) and a two-million-row workbook are refused with a message, and the server carries on: the
   uploader's next page loads, and so does a second person's sign-in and page.

Each test makes its own dataset (a random token in its name); the files use ZZ postcodes, nowhere near the
demo's premises, so nothing else on the shared risk list changes. Screenshots: artefacts/screenshots/<backend>/imports-*.png.
"""
from __future__ import annotations

import re
import secrets
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from core.store import Store
from core.store.models import AgencyRecord, Dataset
from tests.browser.conftest import AppServer, wait_for_app_run
from tests.browser.helpers import alerts, metric, open_page, sign_in_as
from tests.browser.test_browser import expect_no_error, screenshot
from tests.browser.test_risk_flow import create_dataset, csv_bytes, import_button, main_of, open_tab, upload

pytestmark = pytest.mark.browser

UPLOADS = Path(__file__).resolve().parents[1] / "fixtures" / "uploads"
HEADER = ["Case Ref", "Trading Name", "Address", "Postcode", "Risk", "Last Contact"]


def shot(page: Page, backend: str, name: str) -> None:
    screenshot(page, backend, f"imports-{name}")


def records(server: AppServer, dataset: str) -> dict[str, tuple[bool, str]]:
    """The dataset's records as the store holds them: reference -> (current, risk value)."""
    store = Store(server.database_url, migrate=False)
    try:
        with store.read() as s:
            rows = s.session.execute(select(AgencyRecord.reference, AgencyRecord.current, AgencyRecord.risk_value)
                             .join(Dataset, Dataset.id == AgencyRecord.dataset_id).where(Dataset.name == dataset)).all()
    finally:
        store.dispose()
    return {ref: (current, risk) for ref, current, risk in rows}


def test_a_partial_file_is_added_without_removing_the_rest_then_undone(page: Page, app_server: AppServer) -> None:
    backend = app_server.backend
    t = secrets.token_hex(3)
    dataset = f"Tax watch list {t}"
    rows = [[f"TW-{t}-{i}", f"Harbour Trader {t} {i}", f"{i} Nowhere Quay", f"ZZ9 {i}ZA", "Medium", "2026-10-01"]
            for i in range(1, 11)]
    full, partial = f"tax-watch-{t}.csv", f"tax-watch-{t}-partial.csv"

    sign_in_as(page, "farah.ali")  # HMRC's analyst
    open_page(page, "Datasets and imports")
    main = main_of(page)
    create_dataset(page, dataset)
    upload(page, full, csv_bytes(HEADER, rows))
    expect(main.get_by_text("10 new, 0 changed, 0 no longer in this file")).to_be_visible()
    expect(main.get_by_text("Add and update only", exact=True)).to_have_count(0)  # nothing to choose: none would go
    import_button(page).click()
    wait_for_app_run(page)
    expect(alerts(page, "Success")).to_contain_text(f"Imported {full}: 10 rows; 10 added, 0 changed, 0 removed.")
    before = records(app_server, dataset)
    assert len(before) == 10 and all(current for current, _r in before.values())

    # Next month a colleague exports only three of them (one changed) and one new business.
    part = [rows[0], [*rows[1][:4], "High", rows[1][5]], rows[2],
            [f"TW-{t}-11", f"Quayside Vapes {t}", "11 Nowhere Quay", "ZZ9 1ZB", "High", "2026-11-01"]]
    upload(page, partial, csv_bytes(HEADER, part))
    expect(metric(main, "Rows ready")).to_have_text("4")
    expect(main.get_by_text("1 new, 1 changed, 7 no longer in this file")).to_be_visible()
    expect(alerts(page, "Warning").filter(has_text="This file has 4 rows; the dataset has 10 current records")).to_be_visible()
    expect(import_button(page)).to_be_disabled()  # not until the analyst says what the file is
    main.get_by_text(re.compile(r"^No longer in this file: all")).click()  # the sample, open for the screenshot
    wait_for_app_run(page)
    shot(page, backend, "1-partial-preview")
    main.get_by_text("Add and update only", exact=True).click()
    wait_for_app_run(page)
    expect(main.get_by_text("(they stay as they are)")).to_be_visible()
    expect(import_button(page)).to_be_enabled()
    import_button(page).click()
    wait_for_app_run(page)
    expect_no_error(page, "importing the partial file")
    done = alerts(page, "Success")
    expect(done).to_contain_text(f"Imported {partial}: 4 rows; 1 added, 1 changed, 0 removed.")
    expect(done).to_contain_text("Kept as they were (add and update only): 7 records not in the file.")
    after = records(app_server, dataset)
    assert sum(current for current, _r in after.values()) == 11 and after[f"TW-{t}-2"] == (True, "High")
    shot(page, backend, "2-partial-imported")

    # The analyst undoes it from the history.
    open_tab(page, "Import history")
    panel = main.get_by_test_id("stTabPanel").filter(visible=True)
    expect(panel.get_by_text(f"Undoing the import of {partial}", exact=False)).to_be_visible()
    panel.get_by_role("button", name=f"Undo the import of {partial}").click()
    wait_for_app_run(page)
    expect_no_error(page, "undoing the import")
    expect(alerts(page, "Success")).to_contain_text(
        f"Undone: the import of {partial}. Put back as before: 1 record; no longer current: 1 record.")
    expect(panel.get_by_role("button", name=f"Undo the import of {full}")).to_be_visible()  # the one before is next
    assert {ref: v for ref, v in records(app_server, dataset).items() if v[0]} == before
    shot(page, backend, "3-undone")


def _health(server: AppServer) -> str:
    with urllib.request.urlopen(f"{server.url}_stcore/health", timeout=5) as resp:
        return resp.read().decode().strip()


def test_the_server_survives_the_dimension_bomb(page: Page, browser_for: Callable[[str], Page], app_server: AppServer) -> None:
    backend = app_server.backend
    sign_in_as(page, "natalie.brooks")  # GLAA's analyst
    open_page(page, "Datasets and imports")
    create_dataset(page, f"Workbooks {secrets.token_hex(3)}")
    main = main_of(page)
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    # The message is shown through escape_md, which puts an invisible word joiner after a colon before text.
    for name, says in (("dimension_bomb.xlsx", re.compile("dimension_bomb.xlsx declares its cells as A1:\u2060?XFD1048576")),
                       ("rows_2000000.xlsx", "rows_2000000.xlsx has more than 500,000 rows")):
        page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(
            files=[{"name": name, "mimeType": xlsx, "buffer": (UPLOADS / name).read_bytes()}])
        wait_for_app_run(page)
        expect(alerts(page, "Error")).to_contain_text(says)
        expect(import_button(page)).to_have_count(0)
        expect_no_error(page, f"uploading {name}")
        assert _health(app_server) == "ok"
        if name == "dimension_bomb.xlsx":
            shot(page, backend, "4-bomb-refused")

    # The server is still there for everybody: a second person signs in and a page loads; the uploader carries on.
    other = browser_for("second")
    sign_in_as(other, "officer")
    open_page(other, "Visits")
    expect_no_error(other, "a second user's page after the bomb")
    open_page(page, "Home")
    expect_no_error(page, "the uploader's next page")
    assert main.is_visible()
