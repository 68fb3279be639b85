"""The shared risk list: businesses that worry several agencies, ranked, as this viewer may see them."""
from __future__ import annotations

import hashlib
from datetime import date

import streamlit as st

from core import charts
from core.permissions import allowed
from core.services import risklist
from ui.legend import agency_legend
from ui.context import context, marking, user_errors
from ui.text import escape_md



@st.cache_resource(ttl=900, max_entries=24, show_spinner="Building the risk list…")
def whole_list(database: str, agency_id: int, version: tuple, _actor: object) -> risklist.RiskList:  # noqa: ARG001
    """The whole list as one agency sees it, rebuilt when anything it shows changes (see risklist.version).

    Shared, not copied (cache_data would unpickle the whole list on every run: ~40 ms at county scale):
    nothing on this page may change `everything` in place; filters and views make new frames."""
    with ctx.store.read() as unit:
        return risklist.whole_list(unit, actor=_actor)


def _export(filters: risklist.RiskFilters, fmt: str, mark: str) -> bytes:
    """The export, made (and audited) when the download is asked for."""
    with ctx.store.uow() as unit:
        return risklist.export(unit, actor=ctx.actor, filters=filters, fmt=fmt, marking=mark)[0]


# Column headings of the business detail's tables (the service's keys are not for people).
DETAIL_LABELS = {"agency": "Agency", "dataset": "Dataset", "reference": "Reference", "trading_name": "Trading name",
                 "company_name": "Company name", "address": "Address", "postcode": "Postcode", "phone": "Phone",
                 "contact": "Contact", "sector": "Sector", "risk_value": "Risk value", "band": "Band",
                 "last_contact": st.column_config.DateColumn("Last contact", format="DD/MM/YYYY"),
                 "match_score": "Match likelihood (%)", "record": "Record", "with": "Agrees most with",
                 "score": "Likely (%)",
                 "name": "Name", "number": "House number", "business_id": "Business", "kind": "Shared", "value": "Value",
                 "label": "Connection", "note": "Note"}
WEEK_OF_ACTION_MAX = 80  # a few days of four visits a day per team

ctx = context()
marking(ctx.partnership, sensitive=True)
st.title("Shared risk list")
st.caption(risklist.risk.SCORE_FORMULA + " Each agency's column shows its band, or *interest* where that agency "
           "shares only that it holds the business. Owner-only data helps the matching but is never shown to partners.")

with user_errors():
    with ctx.store.read() as unit:
        list_version = risklist.version(unit, actor=ctx.actor)
    everything = whole_list(ctx.store.url, ctx.actor.agency_id, list_version, ctx.actor)
    districts = sorted(d for d in everything.rows["district"].dropna().unique() if d)
    sectors = sorted(s for s in everything.rows["sector"].dropna().unique() if s)

    f1, f2, f3, f4 = st.columns([3, 2, 2, 1.4])
    text = f1.text_input("Search name, address or postcode", key="rl_text")
    area = f2.text_input("Postcode area or district starts with", key="rl_area", placeholder="e.g. KM1 or KM1 4")
    sector = f3.selectbox("Sector", ["", *sectors], format_func=lambda v: v or "All sectors", key="rl_sector")
    least = f4.selectbox("At least", [1, 2, 3, 4], index=1, format_func=lambda n: f"{n} agenc{'y' if n == 1 else 'ies'}",
                         key="rl_least")
    g1, g2, g3 = st.columns([3, 3, 1.4])
    chosen_districts = g1.multiselect("Postcode districts", districts, key="rl_districts", select_all=False)
    agencies = g2.multiselect("Held by (all of)", everything.agency_codes, key="rl_agencies", select_all=False)
    tasking_only = g3.toggle("Sent to tasking", key="rl_tasking")
    by_site = g3.toggle("Count agencies by site", key="rl_by_site",
                        help="A site is the building: the shop, the flats above it and anything reported at its back "
                             "door. On, 'At least' counts the agencies at the site and sites with most agencies come first.")
    filters = risklist.RiskFilters(text=text, districts=tuple(chosen_districts), area=area, sector=sector,
                                   agency_codes=tuple(agencies), min_agencies=least, tasking_only=tasking_only,
                                   by_site=by_site)
    listing = risklist.narrow(everything, filters)

    stale = everything.datasets[(everything.datasets["see"] != "none") & everything.datasets["stale"]]
    if not stale.empty:
        st.warning("Stale data (older than its dataset's limit): " + escape_md("; ".join(
            f"{r.agency} {r.dataset} ({'never imported' if r.age_days is None else f'{r.age_days} days old'})"
            for r in stale.itertuples())), icon="⏳")

    tab_list, tab_charts = st.tabs(["List", "Charts"])
    with tab_list:
        shown = len(listing.rows)
        if sent := st.session_state.pop("rl_sent", None):
            st.success(escape_md(sent))
        st.write(f"**{listing.total:,}** business{'' if listing.total == 1 else 'es'} match{'es' if listing.total == 1 else ''}"
                 + (f" (the top {shown:,} are shown)" if shown < listing.total else ""))
        view = listing.rows.drop(columns=["bands"]).copy()
        view["tasking"] = view["tasking"].map({True: "yes", False: ""})
        # A selection is of row positions: a new filter or a changed list starts a new table (and selection),
        # or the rows picked before would silently become other businesses.
        table_key = f"rl_table_{hashlib.sha1(repr((filters, list_version)).encode()).hexdigest()[:12]}"
        event = st.dataframe(
            view, hide_index=True, on_select="rerun", selection_mode="multi-row", key=table_key,
            column_order=["score", "n_agencies", "n_site_agencies", "name", "address", "postcode", *listing.agency_codes,
                          "site_agencies", "last_contact",
                          "last_visit", "last_visit_result", "connected", "data_as_of", "tasking", "sector"],
            column_config={
                "score": st.column_config.NumberColumn("Score", help=risklist.risk.SCORE_FORMULA, width="small"),
                "n_agencies": st.column_config.NumberColumn("Agencies", width="small"),
                "n_site_agencies": st.column_config.NumberColumn(
                    "At site", width="small", help="Agencies holding a business at the same building (the shop, the "
                                                   "flats above it), among the businesses you may see"),
                "site_agencies": st.column_config.TextColumn("Agencies at the site"),
                "name": st.column_config.TextColumn("Business", width="medium"),
                "address": st.column_config.TextColumn("Address", width="medium"),
                "postcode": st.column_config.TextColumn("Postcode", width="small"),
                "last_contact": st.column_config.DateColumn("Last contact", format="DD/MM/YYYY"),
                "last_visit": st.column_config.DateColumn("Last visit", format="DD/MM/YYYY"),
                "last_visit_result": st.column_config.TextColumn("Visit result"),
                "connected": st.column_config.NumberColumn("Connected", help="Other businesses sharing a phone number, "
                                                           "a contact name or the building: a possible network", width="small"),
                "data_as_of": st.column_config.DatetimeColumn("Data as of", format="DD/MM/YYYY",
                                                              help="The oldest import behind this row"),
                "tasking": st.column_config.TextColumn("Tasking", width="small"),
                **{code: st.column_config.TextColumn(f"{code} (interest)", help=f"{escape_md(code)} shares only that it holds the "
                                                     "business, and its band") for code in listing.interest_codes},
            },
        )
        agency_legend(ctx, set(listing.agency_codes))
        picked = [int(listing.rows.iloc[i]["business_id"]) for i in event.selection.rows] if event else []
        if not picked and allowed(ctx.actor, "visit.plan") and 0 < listing.total <= WEEK_OF_ACTION_MAX:
            if st.button(f"Plan a week of action with {'this business' if listing.total == 1 else f'these {listing.total:d} businesses'}",
                         key="rl_operation_all",
                         help="Hands the filtered list to Weeks of action, where you choose the operation and dates."):
                st.session_state["operation_business_ids"] = [int(b) for b in listing.rows["business_id"]]
                st.switch_page("pages/operations.py")
        if picked:
            st.write(f"{len(picked)} selected: " + escape_md("; ".join(listing.rows.set_index("business_id").loc[picked, "name"])))
            a1, a2, a3 = st.columns([3, 2, 2])
            if allowed(ctx.actor, "tasking.request"):
                with a1.form("tasking", clear_on_submit=True):
                    reason = st.text_input("Why should tasking look at these?")
                    private_ok = st.checkbox("Send with a label any that only my agency's data shows",
                                             help="The board's agenda and minutes then say 'a premises known to "
                                                  "<your agency>' instead of the name.")
                    if st.form_submit_button("Send to tasking", type="primary"):
                        with user_errors():
                            with ctx.store.uow() as unit:
                                n = risklist.send_to_tasking(unit, actor=ctx.actor, business_ids=picked, reason=reason,
                                                             private_ok=private_ok)
                            # Run again so the list shows them as sent (and the selection starts afresh).
                            st.session_state["rl_sent"] = (f"{n} sent to the next tasking meeting and to visit planning"
                                                           + (f"; {len(picked) - n} were already waiting."
                                                              if n < len(picked) else "."))
                            st.rerun()
            if allowed(ctx.actor, "visit.plan"):
                a2.page_link("pages/visit_planner.py", label="Plan a visit to the first selected",
                             icon=":material/event:", query_params={"business": str(picked[0])})
                if a2.button(f"Plan a week of action with {'this business' if len(picked) == 1 else f'these {len(picked):d}'}",
                             key="rl_operation"):
                    st.session_state["operation_business_ids"] = picked
                    st.switch_page("pages/operations.py")
            if a3.button("Why these records were matched", key="rl_detail"):
                st.session_state["rl_open"] = picked[0]

        if allowed(ctx.actor, "risklist.export"):
            mark = ctx.partnership.classification if ctx.partnership.classification.endswith("SENSITIVE") \
                else "OFFICIAL-SENSITIVE"
            e1, e2, _ = st.columns([1, 1, 4])
            e1.download_button("Export CSV", data=lambda: _export(filters, "csv", mark),
                               file_name=f"shared-risk-list-{date.today():%Y-%m-%d}.csv", mime="text/csv",
                               on_click="ignore", icon=":material/download:")
            e2.download_button("Export XLSX", data=lambda: _export(filters, "xlsx", mark),
                               file_name=f"shared-risk-list-{date.today():%Y-%m-%d}.xlsx", on_click="ignore",
                               mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                               icon=":material/download:")

    with tab_charts:
        if st.toggle("Show charts", key="rl_charts", help="Charts are drawn on request to keep the list quick."):
            c1, c2 = st.columns(2)
            c1.plotly_chart(charts.businesses_by_agency_count(everything.rows), width="stretch")
            with ctx.store.read() as unit:
                c2.plotly_chart(charts.stale_datasets(risklist.dataset_freshness(unit, actor=ctx.actor)),
                                width="stretch")
            st.plotly_chart(charts.overlap_heatmap(risklist.overlaps(everything)), width="stretch")

opened = st.session_state.get("rl_open")
if opened:

    @st.dialog("Business on the risk list", width="large")
    def show(business_id: int) -> None:
        with user_errors():
            with ctx.store.read() as unit:
                d = risklist.business_detail(unit, actor=ctx.actor, business_id=business_id)
            st.subheader(escape_md(d["name"] or "(no name: address-only records)"))
            st.dataframe(d["records"], hide_index=True, column_config=DETAIL_LABELS)
            if d["interest"]:
                st.write("Interest only: " + escape_md(", ".join(f"{i['agency']} ({i['band']})" for i in d["interest"])))
            if d["why"]:
                st.markdown("**Why these records were matched** (each compared with the record it agrees with most)")
                st.dataframe([{"record": w["record"], "with": w["with"], "score": w["score"], "note": w["note"],
                               **w["fields"]} for w in d["why"]],
                             hide_index=True, column_config=DETAIL_LABELS)
            if d["connections"]:
                st.markdown("**Connected businesses** (same building, shared phone or shared contact: a possible network, "
                            "not the same business)")
                st.dataframe(d["connections"], hide_index=True, column_config=DETAIL_LABELS)
        st.session_state.pop("rl_open", None)

    show(int(opened))
