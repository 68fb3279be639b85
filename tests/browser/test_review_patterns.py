"""Match review by pattern, in a real browser: an analyst clears a whole pattern of unsure pairs in one
decision and the shared risk list changes.

The Gangmasters and Labour Abuse Authority's analyst imports, into a dataset of its own (a random token in
its name), three records that each name a Food Safety business slightly differently at the same address: pairs
the matcher is unsure about, all agreeing the same way. Match review offers them as one pattern; "All 3 are
matches", then "Apply decisions now"; the risk list, which showed none of the three businesses as held by both
agencies, now shows each of them.

Screenshots: artefacts/screenshots/<backend>/pattern-*.png.
"""
from __future__ import annotations

import re
import secrets

import pytest
from playwright.sync_api import Page, expect

from core.matching import explain
from core.matching.patterns import describe_pattern, pattern_key
from core.services import accounts, review
from core.store import Store
from tests.browser.conftest import AppServer, wait_for_app_run
from tests.browser.helpers import alerts, choose, metric, open_page, sign_in_as, tick
from tests.browser.test_browser import expect_no_error, screenshot
from tests.browser.test_risk_flow import (
    ANALYST_OF, SPEC_OF, Held, as_input, create_dataset, csv_bytes, held_records, import_button, main_of, set_filters,
    upload,
)
from core.importing.mapping import clean_columns
from core.matching import MatchSettings

pytestmark = pytest.mark.browser

AGENCY, PARTNER = "GLAA", "FS"


def same_pattern_variants(candidates: list[Held], n: int) -> list[tuple[Held, str]]:
    """`n` records and a name for each that the matcher is unsure about, all pairs agreeing the same way."""
    settings = MatchSettings()
    by_pattern: dict[str, list[tuple[Held, str]]] = {}
    for held in candidates:
        for suffix in (" Express", " Two", " Kitchen"):
            name = held.name + suffix
            scored = explain(as_input("a", name, held.address, held.postcode),
                             as_input("b", held.name, held.address, held.postcode))
            if settings.band(scored.score) == "review":
                key = pattern_key({f: {"level": a.level} for f, a in scored.fields.items()}, AGENCY, PARTNER)
                by_pattern.setdefault(key, []).append((held, name))
                if len(by_pattern[key]) == n:
                    return by_pattern[key]
                break
    pytest.fail(f"no {n} {PARTNER} records give unsure pairs of one pattern")


def glaa_file(token: str, variants: list[tuple[Held, str]]) -> bytes:
    spec = SPEC_OF[AGENCY]
    cols = clean_columns(spec.column_mapping)
    header = list(dict.fromkeys(c for v in cols.values() for c in (v if isinstance(v, list) else [v]) if c))
    rows = []
    for i, (held, name) in enumerate(variants):
        values = {cols["reference"]: f"{spec.reference_prefix}{token}-{i + 1}", cols["postcode"]: held.postcode}
        for k, c in enumerate(cols["name"]):
            values[c] = name if k == 0 else ""
        for k, c in enumerate(cols["address"]):
            values[c] = held.address if k == 0 else ""
        for f, v in (("risk", next(iter(spec.risk_scale))), ("last_contact", "2026-10-01")):
            if cols[f]:
                values[cols[f]] = v
        rows.append([values.get(h, "") for h in header])
    return csv_bytes(header, rows)


def our_pattern(server: AppServer, variants: list[tuple[Held, str]]) -> tuple[str, int]:
    """The label and size of the pattern our pairs are in, as the analyst's queue has it."""
    store = Store(server.database_url, migrate=False)
    try:
        with store.read() as unit:
            actor = accounts.load_actor(unit.session, ANALYST_OF[AGENCY])
            pairs, _n = review.queue(unit, actor=actor, limit=10_000)
            ours = {p.id for p in pairs if {p.a.get("postcode"), p.b.get("postcode")} & {h.postcode for h, _ in variants}
                    and {p.a["agency"], p.b["agency"]} == {AGENCY, PARTNER}}
            assert len(ours) == len(variants), "each imported record should wait in Match review"
            keys = {pattern_key(p.fields, p.a["agency"], p.b["agency"]) for p in pairs if p.id in ours}
            assert len(keys) == 1, keys
            key = keys.pop()
            group = next(g for g in review.patterns(unit, actor=actor) if g.key == key)
            return describe_pattern(key), group.pairs
    finally:
        store.dispose()


def held_by_both(page: Page, held: Held) -> None:
    """Filter the list to businesses held by both agencies with this name (held_records' names are unique)."""
    set_filters(page, least="2 agencies", text=held.name)
    wait_for_app_run(page)


def test_an_analyst_clears_a_pattern_in_one_decision_and_the_list_changes(page: Page, app_server: AppServer) -> None:
    backend = app_server.backend
    token = secrets.token_hex(3)
    variants = same_pattern_variants(held_records(app_server, PARTNER, 30)[20:30], 3)
    filename = f"glaa-pattern-{token}.csv"

    sign_in_as(page, ANALYST_OF[AGENCY])
    open_page(page, "Datasets and imports")
    create_dataset(page, f"Labour exploitation watch (test {token})")
    upload(page, filename, glaa_file(token, variants))
    import_button(page).click()
    wait_for_app_run(page)
    expect_no_error(page, "importing the file")
    expect(alerts(page, "Success")).to_contain_text(f"Imported {filename}: 3 rows; 3 added")

    # Before: none of the three businesses is on the list as held by both agencies.
    open_page(page, "Shared risk list")
    tick(page, "Held by (all of)", AGENCY)
    for held, _name in variants:
        held_by_both(page, held)
        expect(main_of(page).get_by_text(re.compile(r"^0 businesses match"))).to_be_visible()

    label, pairs = our_pattern(app_server, variants)
    open_page(page, "Match review")
    main = main_of(page)
    waiting = metric(main, "Pairs waiting for your agency")
    before = int(waiting.inner_text().replace(",", ""))
    choose(main, "Pattern", label)
    screenshot(page, backend, "pattern-1-chosen")
    main.get_by_role("button", name=f"All {pairs:,} are matches").click()
    wait_for_app_run(page)
    expect_no_error(page, "deciding the pattern")
    expect(alerts(page, "Success").filter(has_text=f"Recorded match for {pairs:,} pairs")).to_be_visible()
    expect(waiting).to_have_text(f"{before - pairs:,}")
    main.get_by_role("button", name=re.compile(r"^Apply \d+ decisions? now$")).click()
    wait_for_app_run(page)
    expect(alerts(page, "Success").filter(has_text=re.compile(r"^Done: "))).to_be_visible()
    expect_no_error(page, "applying the decisions")
    screenshot(page, backend, "pattern-2-applied")

    # After: each is one business, held by both agencies.
    open_page(page, "Shared risk list")
    tick(page, "Held by (all of)", AGENCY)
    for held, _name in variants:
        held_by_both(page, held)
        expect(main_of(page).get_by_text(re.compile(r"^1 business matches"))).to_be_visible()
    screenshot(page, backend, "pattern-3-list")
