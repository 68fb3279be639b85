"""The shared risk list end to end, as analysts do it, in a real browser (issue 3's "done when").

1. Every demo agency with an analyst: the analyst creates a dataset, uploads a small export written
   with that agency's own headers, finds the mapping suggested, imports it and sees what it added and
   that one record now shares a business with another agency.
2. The full journey (the Insolvency Service analyst, whose agency starts with no dataset): a
   Windows-1252, semicolon-separated file with an invalid postcode (kept, a warning) and a date that
   cannot be read (an error for that row, nothing imported); the corrected file; fixing the mapping;
   import; the history; a changed file re-imported (added, changed, removed); the risk scale; a pair
   decided in Match review with the keyboard; the Shared risk list filtered to two agencies, the
   business matched across the imported record and Food Safety's, why it matched, the CSV export
   (marked, no cell Excel would run) and sending it to tasking.
3. The limits in the browser: once the dataset is owner-only, Food Safety's analyst sees the
   business without the Insolvency Service (row and export); once it is interest-only, the column
   shows only the band and the detail only "interest".

Each test makes its own dataset (a random token in its name) so the demo agencies' own datasets, which
the other browser tests read, are never replaced. Files are built from records in the server's store
(the business to match) so they follow the demo data. Data grids are read with `find_in_grid` (see
test_referral_flow).

Screenshots: artefacts/screenshots/<backend>/risk-*.png.
"""
from __future__ import annotations

import csv
import io
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect
from sqlalchemy import select

from core.demo import DATA_ANALYSTS, DEMO_USERS
from core.demo_catalogue import DATASETS
from core.importing.mapping import clean_columns
from core.services.datasets import SHARING_HELP
from core.matching import MatchInput, MatchSettings, explain
from core.store import Store
from core.store.models import Agency, AgencyRecord, Dataset
from tests.browser.conftest import AppServer, wait_for_app_run
from tests.browser.helpers import alerts, choose, find_in_grid, metric, open_page, sign_in_as, tick, widget
from tests.browser.test_browser import expect_no_error, screenshot

pytestmark = pytest.mark.browser

ANALYST_OF = {code: username for username, _name, role, code in (*DEMO_USERS, *DATA_ANALYSTS) if role == "analyst"}
SPEC_OF = {spec.agency: spec for spec in DATASETS}
JOURNEY_AGENCY = "INS"  # the Insolvency Service: an analyst, and no dataset until this test makes one
PARTNER_AGENCY = "FS"  # Food Safety: holds the business the journey's file matches
MARKING = "OFFICIAL-SENSITIVE"


def shot(page: Page, backend: str, name: str) -> None:
    screenshot(page, backend, f"risk-{name}")


@dataclass(frozen=True)
class Held:
    """A record another agency holds, as the store has it (the business a file should match)."""

    agency: str
    reference: str
    name: str
    address: str
    postcode: str


def held_records(server: AppServer, agency: str, n: int) -> list[Held]:
    """`n` named records of `agency`'s fully shared dataset, each of a different business and postcode."""
    store = Store(server.database_url, migrate=False)
    try:
        with store.read() as s:
            rows = s.session.execute(
                select(AgencyRecord.reference, AgencyRecord.trading_name, AgencyRecord.address, AgencyRecord.postcode,
                       AgencyRecord.business_id)
                .join(Dataset, Dataset.id == AgencyRecord.dataset_id).join(Agency, Agency.id == Dataset.agency_id)
                .where(Agency.code == agency, Dataset.sharing == "full", AgencyRecord.current.is_(True),
                       AgencyRecord.trading_name != "", AgencyRecord.address != "", AgencyRecord.postcode != "")
                .order_by(AgencyRecord.id)
            ).all()
            # Every business's names and addresses: a search for a chosen name must find only its own business.
            named = s.session.execute(select(AgencyRecord.business_id, AgencyRecord.trading_name,
                                             AgencyRecord.company_name,
                                     AgencyRecord.address)
                              .where(AgencyRecord.current.is_(True))).all()
    finally:
        store.dispose()
    names_of: dict[int, set[str]] = {}
    for business, *texts in named:
        names_of.setdefault(business, set()).update(t.lower() for t in texts if t)

    def unique(name: str, business: int) -> bool:
        needle = name.lower()
        return not any(needle in n for b, ns in names_of.items() if b != business for n in ns)

    out: list[Held] = []
    businesses: set[int] = set()
    postcodes: set[str] = set()
    names: set[str] = set()
    for ref, name, address, postcode, business in rows:
        if business in businesses or postcode in postcodes or name in names or not re.match(r"^\d+ ", address) \
                or not unique(name, business):
            continue
        businesses.add(business)
        postcodes.add(postcode)
        names.add(name)
        out.append(Held(agency, ref, name, address, postcode))
        if len(out) == n:
            break
    assert len(out) == n, f"the demo store has fewer than {n} usable {agency} records"
    return out


def as_input(rid: str, name: str, address: str, postcode: str) -> MatchInput:
    return MatchInput(record_id=rid, source=rid, trading_name=name, company_name="", address=address, postcode=postcode,
                      phone="", contact="", last_contact=None)


def unsure_variant(candidates: list[Held]) -> tuple[Held, str]:
    """A record and a trading name for it that the matcher is unsure about (a pair for Match review)."""
    settings = MatchSettings()
    for held in candidates:
        for suffix in (" Express", " Two", " Kitchen"):
            name = held.name + suffix
            score = explain(as_input("a", name, held.address, held.postcode),
                            as_input("b", held.name, held.address, held.postcode)).score
            if settings.band(score) == "review":
                return held, name
    pytest.fail("no record of the partner agency gives an unsure pair with a suffixed name")


def csv_bytes(header: list[str], rows: list[list[str]], *, delimiter: str = ",", encoding: str = "utf-8") -> bytes:
    buf = io.StringIO()
    csv.writer(buf, delimiter=delimiter, lineterminator="\r\n").writerows([header, *rows])
    return buf.getvalue().encode(encoding)


def main_of(page: Page) -> Locator:
    return page.get_by_test_id("stMain")


def create_dataset(page: Page, name: str) -> None:
    main = main_of(page)
    field = main.get_by_role("textbox", name="Name", exact=True)
    if not field.is_visible():
        main.get_by_test_id("stExpander").filter(has_text="New dataset").get_by_text("New dataset").click()
    field.fill(name)
    field.press("Tab")  # the form holds the name once the field is left (as a person moves on to the button)
    wait_for_app_run(page)
    main.get_by_role("button", name="Create dataset").click()
    wait_for_app_run(page)
    expect_no_error(page, "creating a dataset")
    # The new dataset is the one open (an upload into the agency's other dataset would replace its records).
    expect(widget(main, "stSelectbox", "Dataset").get_by_role("combobox")).to_have_value(name)


def upload(page: Page, filename: str, data: bytes) -> None:
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(
        files=[{"name": filename, "mimeType": "text/csv", "buffer": data}])
    wait_for_app_run(page)
    expect(main_of(page).get_by_text(f"{filename}:", exact=False).first).to_be_visible()
    expect_no_error(page, f"uploading {filename}")


def expect_choice(page: Page, field_label: str, column: str) -> None:
    """The mapping's selectbox for a field shows `column`."""
    combo = widget(main_of(page), "stSelectbox", field_label).get_by_role("combobox")
    expect(combo).to_have_value(column)


def expect_picked(page: Page, field_label: str, columns: list[str]) -> None:
    """The mapping's multiselect for a field holds `columns`, in order."""
    box = widget(main_of(page), "stMultiSelect", field_label)
    expect(box.locator("[data-tag]")).to_have_text(columns) if columns else expect(box.locator("[data-tag]")).to_have_count(0)


def label(field: str) -> str:
    from core.importing.mapping import FIELD_LABELS

    return FIELD_LABELS[field]


def import_button(page: Page) -> Locator:
    return main_of(page).get_by_role("button", name=re.compile(r"^Import \d[\d,]* rows into "))


def open_tab(page: Page, name: str) -> None:
    main_of(page).get_by_role("tab", name=name).click()
    wait_for_app_run(page)


# --- 1. every agency with an analyst imports a file of its own --------------------------------


def agency_file(code: str, token: str, match: Held) -> tuple[bytes, dict]:
    """Three rows with the agency's own headers (its demo dataset's mapping); the first is `match` as written."""
    spec = SPEC_OF[code]
    cols = clean_columns(spec.column_mapping)
    header = [c for v in cols.values() for c in (v if isinstance(v, list) else [v]) if c]
    header = list(dict.fromkeys(header))
    risk_value = next(iter(spec.risk_scale))
    names = [match.name, f"Harbour Stores {token}", f"Mill Lane Traders {token}"]
    # The other two are nowhere near the demo's premises (ZZ is no postcode area of Kingsmere).
    streets = [match.address, "12 Nowhere Quay", "3 Faraway Row"]
    postcodes = [match.postcode, "ZZ9 9ZA", "ZZ9 9ZB"]
    rows = []
    for i in range(3):
        values = {cols["reference"]: f"{spec.reference_prefix}{token}-{i + 1}", cols["postcode"]: postcodes[i]}
        for n, c in enumerate(cols["name"]):
            values[c] = names[i] if n == 0 else f"{names[i]} Ltd"
        for n, c in enumerate(cols["address"]):
            values[c] = streets[i] if n == 0 else ""
        for f, v in (("phone", ""), ("contact", "Sam Ellis"), ("risk", risk_value), ("last_contact", "2026-10-01"),
                     ("sector", "Restaurant")):
            if cols[f]:
                values[cols[f]] = v
        for c in cols["extra"]:
            values[c] = "a note"
        rows.append([values.get(h, "") for h in header])
    return csv_bytes(header, rows), cols


@pytest.mark.parametrize("code", sorted(c for c in ANALYST_OF if c != JOURNEY_AGENCY))
def test_each_agency_analyst_imports_its_own_export(page: Page, app_server: AppServer, code: str) -> None:
    backend = app_server.backend
    token = secrets.token_hex(3)
    other = PARTNER_AGENCY if code != PARTNER_AGENCY else "TS"
    match = held_records(app_server, other, 20)[sorted(ANALYST_OF).index(code)]
    data, cols = agency_file(code, token, match)
    filename = f"{code.lower()}-export-{token}.csv"
    name = f"{SPEC_OF[code].name} (test {token})"

    sign_in_as(page, ANALYST_OF[code])
    open_page(page, "Datasets and imports")
    create_dataset(page, name)
    upload(page, filename, data)
    main = main_of(page)
    expect(main.get_by_text(f"{filename}: 3 rows, {len(data.splitlines()[0].split(b','))} columns (UTF-8, comma-separated)",
                            exact=False)).to_be_visible()
    expect(main.get_by_text("Suggested from the column names")).to_be_visible()
    for f in ("reference", "postcode", "risk"):
        expect_choice(page, label(f), cols[f])
    expect_picked(page, label("name"), cols["name"])
    expect_picked(page, label("address"), cols["address"])
    expect(metric(main, "Rows ready")).to_have_text("3")
    expect(metric(main, "Errors (block the import)")).to_have_text("0")

    import_button(page).click()
    wait_for_app_run(page)
    expect_no_error(page, f"{code} import")
    done = alerts(page, "Success")
    expect(done).to_contain_text(f"Imported {filename}: 3 rows; 3 added, 0 changed, 0 removed.")
    expect(done).to_contain_text(re.compile(r"[1-9]\d* of this dataset's records now share a business with another agency"))
    shot(page, backend, f"agency-{code}-imported")


# --- 2 and 3. the full journey, then the limits --------------------------------------------------


ROW_PX = 35  # a data grid's header and row height
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def grids(page: Page) -> Locator:
    return main_of(page).get_by_test_id("stDataFrame")


def pick_only_row(page: Page) -> None:
    """Tick the selection box of the list's only row (the grid draws on a canvas: click where the box is)."""
    main = main_of(page)
    expect(main.get_by_text(re.compile(r"^1 business matches"))).to_be_visible()
    grid = grids(page).first
    grid.scroll_into_view_if_needed()
    box = grid.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + 18, box["y"] + ROW_PX * 1.5)  # below the header row
    wait_for_app_run(page)
    expect(main.get_by_text(re.compile(r"^1 selected: "))).to_be_visible()


def download(page: Page, button: str, folder: Path) -> Path:
    with page.expect_download() as info:
        main_of(page).get_by_role("button", name=button).click()
    path = folder / info.value.suggested_filename
    info.value.save_as(path)
    return path


def read_export(path: Path) -> tuple[list[str], list[dict[str, str]], str]:
    """(first line's cells, the rows as dicts by header, last line) of an exported CSV."""
    text = path.read_bytes().decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(text)))
    header = lines[1]
    return lines[0], [dict(zip(header, r, strict=False)) for r in lines[2:-1]], ",".join(lines[-1])


def set_filters(page: Page, *, text: str | None = None, least: str | None = None) -> None:
    main = main_of(page)
    if least is not None:
        choose(main, "At least", least)
        wait_for_app_run(page)
    if text is not None:
        box = main.get_by_role("textbox", name="Search name, address or postcode")
        box.fill(text)
        box.press("Enter")
        wait_for_app_run(page)


def open_why_matched(page: Page) -> Locator:
    main_of(page).get_by_role("button", name="Why these records were matched").click()
    wait_for_app_run(page)
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_text("Business on the risk list")).to_be_visible()
    expect_no_error(page, "why matched")
    return dialog


def close_dialog(page: Page) -> None:
    page.get_by_role("dialog").get_by_role("button", name="Close").click()
    wait_for_app_run(page)
    expect(page.get_by_role("dialog")).to_have_count(0)


def test_analyst_imports_reviews_lists_exports_and_the_limits_hold(
        page: Page, browser_for: Callable[[str], Page], app_server: AppServer, tmp_path: Path) -> None:
    backend = app_server.backend
    t = secrets.token_hex(3)
    held = held_records(app_server, PARTNER_AGENCY, 40)
    matched = held[30]
    unsure, unsure_name = unsure_variant(held[31:])
    ref = [f"INS-{t}-{i}" for i in range(6)]
    dataset = f"Insolvency watch list {t}"
    header = ["Case Ref", "Company Name", "Registered Office", "Postcode", "Risk", "Last Contact", "Insolvency Type"]
    rows = [
        [ref[1], matched.name, matched.address, matched.postcode, "High", "01/11/2026", "Compulsory liquidation"],
        [ref[2], unsure_name, unsure.address, unsure.postcode, "Medium", "2026-10-15", "Administration"],
        [ref[3], f"Café Lumière {t}", "1 Wharf Road", "NOT KNOWN", "Low", "31 Oct 2026", "Voluntary liquidation"],
        [ref[4], f"=SUM(1+1) Traders {t}", "2 Wharf Road", "KM1 1AA", "Low", "someday", "Voluntary liquidation"],
    ]
    first = f"ins-watch-{t}.csv"
    awkward = csv_bytes(header, rows, delimiter=";", encoding="cp1252")

    # 2a. The analyst makes the agency's first dataset and uploads an awkward file.
    analyst = page
    sign_in_as(analyst, ANALYST_OF[JOURNEY_AGENCY])
    open_page(analyst, "Datasets and imports")
    main = main_of(analyst)
    expect(main.get_by_text("Your agency has no datasets yet")).to_be_visible()
    create_dataset(analyst, dataset)
    upload(analyst, first, awkward)
    expect(main.get_by_text(f"{first}: 4 rows, 7 columns (Windows-1252, semicolon-separated)")).to_be_visible()
    expect(main.get_by_text("Suggested from the column names")).to_be_visible()
    preview = grids(analyst).nth(1)
    assert [h for _r, h, _v in find_in_grid(preview, f"Café Lumière {t}")] == ["Company Name"]  # the é read as cp1252
    expect(metric(main, "Errors (block the import)")).to_have_text("1")
    expect(metric(main, "Rows ready")).to_have_text("3")
    expect(grids(analyst).nth(2)).to_be_visible()  # the report (its content is read from its download below)
    expect(alerts(analyst, "Error")).to_contain_text("Correct the errors in the file")
    expect(import_button(analyst)).to_have_count(0)
    saved = download(analyst, "Download the validation report (CSV)", tmp_path)
    marked = saved.read_text(encoding="utf-8-sig").splitlines()
    assert marked[0].startswith(MARKING) and marked[-1] == MARKING  # marked, and safe for Excel (see test_upload_safety)
    report_rows = list(csv.DictReader(io.StringIO("\n".join(marked[1:-1]))))
    assert {(r["Row"], r["Severity"], r["Column"], r["Value"]) for r in report_rows} >= {
        ("5", "error", "Last Contact", "someday"), ("4", "warning", "Postcode", "NOT KNOWN")}, report_rows
    shot(analyst, backend, "1-awkward-file-report")

    # 2b. The corrected file; the mapping fixed (the address and sector columns were not recognised).
    rows[3][5] = "30/09/2026"
    fixed = f"ins-watch-{t}-fixed.csv"
    upload(analyst, fixed, csv_bytes(header, rows, delimiter=";", encoding="cp1252"))
    expect_picked(analyst, label("address"), [])
    tick(analyst, label("address"), "Registered Office")
    choose(main, label("sector"), "Insolvency Type")
    wait_for_app_run(analyst)
    expect_choice(analyst, label("reference"), "Case Ref")
    expect_picked(analyst, label("name"), ["Company Name"])
    expect_choice(analyst, label("last_contact"), "Last Contact")
    expect(metric(main, "Errors (block the import)")).to_have_text("0")
    expect(metric(main, "Rows ready")).to_have_text("4")
    shot(analyst, backend, "2-mapping-fixed")
    import_button(analyst).click()
    wait_for_app_run(analyst)
    expect_no_error(analyst, "first import")
    done = alerts(analyst, "Success")
    expect(done).to_contain_text(f"Imported {fixed}: 4 rows; 4 added, 0 changed, 0 removed.")
    expect(done).to_contain_text(re.compile(r"[1-9]\d* of this dataset's records now share a business with another agency"))
    shot(analyst, backend, "3-imported")

    open_tab(analyst, "Import history")
    history = main.get_by_test_id("stTabPanel").filter(visible=True).get_by_test_id("stDataFrame")
    assert [h for _r, h, _v in find_in_grid(history, fixed)] == ["File"]

    # 2c. Next month's file: one risk changed, one business gone, one new.
    open_tab(analyst, "Import a file")
    rows[0][4] = "Medium"
    del rows[2]
    rows.append([ref[5], f"Wharf Garage {t}", "5 Wharf Road", "KM1 1AB", "High", "2026-11-20", "Administration"])
    second = f"ins-watch-{t}-december.csv"
    upload(analyst, second, csv_bytes(header, rows, delimiter=";", encoding="cp1252"))
    expect(main.get_by_text("Filled in from this dataset's last import.")).to_be_visible()
    expect_picked(analyst, label("address"), ["Registered Office"])
    expect_choice(analyst, label("sector"), "Insolvency Type")
    expect(main.get_by_text("1 new, 1 changed, 1 no longer in this file")).to_be_visible()
    main.get_by_text("This file is the whole dataset", exact=True).click()  # the business gone from the file goes
    wait_for_app_run(analyst)
    import_button(analyst).click()
    wait_for_app_run(analyst)
    expect(alerts(analyst, "Success")).to_contain_text(f"Imported {second}: 4 rows; 1 added, 1 changed, 1 removed.")
    open_tab(analyst, "Import history")
    changes = main.get_by_test_id("stExpander").filter(has_text="Which references the latest import added")
    changes.get_by_text("Which references the latest import added").click()
    for kind, which in (("Added", ref[5]), ("Changed", ref[1]), ("Removed", ref[3])):
        expect(changes.get_by_text(f"{kind}: {which}", exact=True)).to_be_visible()
    shot(analyst, backend, "4-history")

    # 2d. The risk scale, suggested from the values and saved.
    open_tab(analyst, "Risk scale")
    scale_tab = main.get_by_test_id("stTabPanel").filter(visible=True)
    scale_tab.get_by_role("button", name="Suggest bands from the values in the data").click()
    wait_for_app_run(analyst)
    expect(scale_tab.get_by_text("have no band yet")).to_have_count(0)
    scale_tab.get_by_role("button", name="Save the risk scale").click()
    wait_for_app_run(analyst)
    expect(alerts(analyst, "Success")).to_have_text("Saved. 4 record(s) changed band.")
    expect_no_error(analyst, "risk scale")
    shot(analyst, backend, "5-risk-scale")

    # 2e. Match review: the unsure pair, decided with the keyboard.
    open_page(analyst, "Match review")
    waiting = metric(main, "Pairs waiting for your agency")
    before = int(waiting.inner_text().replace(",", ""))
    assert before >= 1, "the file's unsure record should wait in Match review"
    pair = grids(analyst).first
    assert {h for _r, h, _v in find_in_grid(pair, unsure_name)} and find_in_grid(pair, unsure.name)
    shot(analyst, backend, "6-match-review")
    main.get_by_role("heading", name=re.compile("Same business")).click()  # focus the page, not a field
    analyst.keyboard.press("n")
    wait_for_app_run(analyst)
    expect_no_error(analyst, "deciding a pair")
    expect(waiting).to_have_text(f"{before - 1:,}")
    apply = main.get_by_role("button", name=re.compile(r"^Apply \d+ decisions? now$"))
    apply.click()
    wait_for_app_run(analyst)
    expect(alerts(analyst, "Success").filter(has_text=re.compile(r"^Done: [\d,]+ records in [\d,]+ businesses"))).to_be_visible()
    expect(apply).to_have_count(0)  # applied: nothing left to apply
    expect_no_error(analyst, "applying decisions")
    shot(analyst, backend, "7-match-review-applied")

    # 2f. The shared risk list: everything the agency holds, exported; then the business two agencies hold.
    open_page(analyst, "Shared risk list")
    set_filters(analyst, least="1 agency")
    tick(analyst, "Held by (all of)", JOURNEY_AGENCY)
    exported = download(analyst, "Export CSV", tmp_path)
    top, listed, bottom = read_export(exported)
    assert top[0].startswith(MARKING) and bottom.startswith(MARKING)
    assert len(listed) == 4 and all(JOURNEY_AGENCY in r["Agencies"].split(", ") for r in listed), listed
    cells = [v for r in listed for v in r.values()]
    assert f"'=SUM(1+1) Traders {t}" in cells, "the formula-like name is exported as text"
    assert not [v for v in cells if v.startswith(FORMULA_START)], "a cell Excel would run as a formula"
    business = next(r["Business"] for r in listed if r["Postcode"] == matched.postcode and PARTNER_AGENCY in r["Agencies"])
    tick(analyst, "Held by (all of)", PARTNER_AGENCY)
    set_filters(analyst, least="2 agencies", text=matched.postcode)
    expect(main.get_by_text(re.compile(r"^1 business matches"))).to_be_visible()
    grid = grids(analyst).first
    assert [h for _r, h, _v in find_in_grid(grid, matched.name)] == ["Business"]
    shot(analyst, backend, "8-risk-list-filtered")
    pick_only_row(analyst)
    dialog = open_why_matched(analyst)
    expect(dialog.get_by_text("Why these records were matched")).to_be_visible()
    for reference in (ref[1], matched.reference):
        assert find_in_grid(dialog.get_by_test_id("stDataFrame").first, reference)
    shot(analyst, backend, "9-why-matched")
    close_dialog(analyst)
    tasking = main.get_by_test_id("stForm").filter(has_text="Why should tasking look at these?")
    tasking.get_by_role("textbox").fill(f"Insolvent but still trading ({t})")
    tasking.get_by_role("button", name="Send to tasking").click()
    wait_for_app_run(analyst)
    expect_no_error(analyst, "send to tasking")
    expect(alerts(analyst, "Success")).to_have_text("1 sent to the next tasking meeting and to visit planning.")
    expect(main.get_by_text(re.compile(r"^\d+ selected: "))).to_have_count(0)  # the list was rebuilt: nothing picked
    assert [v for _r, _h, v in find_in_grid(grids(analyst).first, "yes")] == ["yes"]  # its Tasking column
    shot(analyst, backend, "10-sent-to-tasking")

    # 3. The limits, seen by Food Safety's analyst.
    def set_sharing(limit: str) -> None:
        open_page(analyst, "Datasets and imports")
        open_tab(analyst, "Sharing and freshness")
        panel = main.get_by_test_id("stTabPanel").filter(visible=True)
        panel.get_by_text(limit, exact=True).click()
        wait_for_app_run(analyst)
        panel.get_by_role("button", name="Save sharing and freshness").click()
        wait_for_app_run(analyst)
        expect_no_error(analyst, f"sharing {limit}")
        expect(alerts(analyst, "Success")).to_contain_text(f"Saved: {SHARING_HELP[limit]}")
        expect(panel.get_by_role("radio", name=limit, exact=True)).to_be_checked()

    partner = browser_for("partner")
    sign_in_as(partner, ANALYST_OF[PARTNER_AGENCY])

    def partner_sees() -> tuple[dict[str, str], Locator]:
        open_page(partner, "Shared risk list")
        set_filters(partner, least="1 agency", text=matched.name)
        _top, rows_out, _bottom = read_export(download(partner, "Export CSV", tmp_path))
        row = next(r for r in rows_out if r["Business"] == business)
        pick_only_row(partner)
        dialog = open_why_matched(partner)
        expect(dialog.get_by_role("heading", name=re.compile(re.escape(matched.name), re.I))).to_be_visible()
        return row, dialog

    set_sharing("owner-only")
    row, dialog = partner_sees()
    assert JOURNEY_AGENCY not in row["Agencies"].split(", ") and JOURNEY_AGENCY not in row["Bands"], row
    expect(dialog.get_by_text("Interest only:")).to_have_count(0)
    expect(dialog).not_to_contain_text(ref[1])
    shot(partner, backend, "11-partner-owner-only")
    close_dialog(partner)

    set_sharing("interest-only")
    row, dialog = partner_sees()
    assert JOURNEY_AGENCY in row["Agencies"].split(", ") and f"{JOURNEY_AGENCY} medium" in row["Bands"], row
    expect(dialog.get_by_text(re.compile(rf"^Interest only: .*\b{JOURNEY_AGENCY} \(medium\)"))).to_be_visible()
    expect(dialog).not_to_contain_text(ref[1])
    shot(partner, backend, "12-partner-interest-only")
