"""The shared risk list: one row per business with the agencies that hold it, as one viewer may see it.

Sharing limits (`core.visibility`, the one statement of the rule) are applied here, in the query, for every
page and export: a record the viewer reads in full shows its details; an interest-only one only that the agency
holds the business, and its band; an owner-only one of another agency nothing at all (it still helped the
matching). A business is listed only when the viewer may read at least one of its records, and its name,
address, postcode and district come from such records (`visibility.describe`), never from one the viewer may
not read nor from the values the matcher stored on the business.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from itertools import groupby
from operator import itemgetter
from datetime import date, datetime, timezone
from typing import Any

import pandas as pd
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from core import risk
from core.errors import NotFound, ValidationError
from core.visibility import (
    DESCRIBE_COLUMNS,
    EVERYONE,
    BusinessView,
    Level,
    business_views,
    describe,
    ensure_business,
    private_label,
    readable_businesses,
    record_level,
    roots,
    search_businesses,
)
from core.permissions import Actor, ensure
from core.services.audit import record
from core.services.outcomes import last_visit_for
from core.store.uow import UnitOfWork
from core.store.models import (
    Agency,
    AgencyRecord,
    AuditEvent,
    Business,
    BusinessLink,
    Dataset,
    TaskingRequest,
)

MAX_ROWS_SHOWN = 500  # a meeting screen; the export holds every row
# Shown as the business of a row whose visible records give only an address (housing, fly-tipping): a blank
# cell would look like missing data.
NO_NAME = "(no name given)"
# Audited entities whose changes can change the list: imports and settings, match decisions, tasking, visits.
LIST_ENTITIES = ("dataset", "match_decision", "business", "risk_list", "visit")
COLUMNS = ["business_id", "name", "address", "postcode", "district", "sector", "agencies", "n_agencies",
           "site_agencies", "n_site_agencies", "site_businesses", "score",
           "bands", "last_contact", "last_visit", "last_visit_result", "data_as_of", "stale", "connected", "tasking"]


@dataclass(frozen=True)
class RiskFilters:
    text: str = ""
    districts: tuple[str, ...] = ()
    area: str = ""  # a postcode prefix, e.g. "KM1" or "KM1 4"
    sector: str = ""
    agency_codes: tuple[str, ...] = ()
    min_agencies: int = 1
    tasking_only: bool = False
    by_site: bool = False   # "at least N agencies" counts the agencies at the site, and the list ranks by site first


@dataclass
class RiskList:
    rows: pd.DataFrame  # COLUMNS plus one column per agency code (band, "interest", or "")
    agency_codes: list[str]
    total: int  # rows matching the filters (rows may be capped for display)
    formula: str = risk.SCORE_FORMULA
    interest_codes: tuple[str, ...] = ()  # agencies whose data this viewer sees as interest and band only
    datasets: pd.DataFrame = field(default_factory=pd.DataFrame)


def _visible_datasets(session: Session, actor: Actor) -> pd.DataFrame:
    """Every dataset with what this viewer may see of it, its freshness and its owner's code."""
    rows = session.execute(
        select(Dataset.id, Dataset.name, Dataset.sharing, Dataset.agency_id, Agency.code, Dataset.last_imported_at,
               Dataset.stale_after_days)
        .join(Agency, Agency.id == Dataset.agency_id)
    ).all()
    out = pd.DataFrame(rows, columns=["dataset_id", "dataset", "sharing", "agency_id", "agency", "last_imported_at",
                                      "stale_after_days"])
    out["see"] = [record_level(s, a, actor.agency_id).value for s, a in zip(out["sharing"], out["agency_id"], strict=True)]
    today = datetime.now(timezone.utc)
    out["age_days"] = [(today - t).days if t is not None else None for t in out["last_imported_at"]]
    out["stale"] = [a is None or a > s for a, s in zip(out["age_days"], out["stale_after_days"], strict=True)]
    return out


def dataset_freshness(uow: UnitOfWork, *, actor: Actor) -> pd.DataFrame:
    """Each dataset the viewer may know of, with its age and whether it is stale (for the chart)."""
    ensure(actor, "risklist.view")
    s = uow.session
    ds = _visible_datasets(s, actor)
    return ds[ds["see"] != Level.NONE].drop(columns=["see"]).reset_index(drop=True)


def _frame(session: Session, stmt: Any) -> pd.DataFrame:
    """A query's rows as a DataFrame, through Core (the ORM's row handling costs more than the query at 100,000 rows)."""
    result = session.connection().execute(stmt)
    keys = list(result.keys())
    columns = list(zip(*result.fetchall(), strict=True)) or [()] * len(keys)
    return pd.DataFrame({k: pd.Series(list(v), dtype=object) for k, v in zip(keys, columns, strict=True)})


def _records(session: Session, actor: Actor, datasets: pd.DataFrame) -> pd.DataFrame:
    """The current records this viewer may see (in full or as an interest), one row each."""
    detail = [int(i) for i in datasets.loc[datasets["see"] == Level.FULL, "dataset_id"]]
    interest = [int(i) for i in datasets.loc[datasets["see"] == Level.INTEREST, "dataset_id"]]
    if not detail:
        return pd.DataFrame(columns=["business_id", "record_id", "dataset_id", "agency_id", "trading_name",
                                     "company_name", "address", "postcode", "sector", "risk_band", "last_contact"])
    frame = _frame(session, select(
        AgencyRecord.business_id, AgencyRecord.id.label("record_id"), AgencyRecord.dataset_id, AgencyRecord.agency_id,
        AgencyRecord.trading_name,
        AgencyRecord.company_name, AgencyRecord.address, AgencyRecord.postcode, AgencyRecord.sector,
        AgencyRecord.risk_band, AgencyRecord.last_contact)
        .where(AgencyRecord.current.is_(True), AgencyRecord.business_id.is_not(None),
               AgencyRecord.dataset_id.in_(detail)))
    if interest:
        # Interest-only: which agency holds which business, and the band; nothing else is read.
        iframe = _frame(session, select(
            AgencyRecord.business_id, AgencyRecord.dataset_id, AgencyRecord.agency_id, AgencyRecord.risk_band)
            .where(AgencyRecord.current.is_(True), AgencyRecord.business_id.is_not(None),
                   AgencyRecord.dataset_id.in_(interest)))
        frame = pd.concat([frame, iframe], ignore_index=True)
    return frame


def risk_list(uow: UnitOfWork, *, actor: Actor, filters: RiskFilters = RiskFilters(),
              limit: int | None = MAX_ROWS_SHOWN) -> RiskList:
    """The ranked list as `actor` may see it, filtered; highest score first."""
    return narrow(whole_list(uow, actor=actor), filters, limit=limit)


def narrow(whole: RiskList, filters: RiskFilters, *, limit: int | None = MAX_ROWS_SHOWN) -> RiskList:
    """A filtered view of a whole list (the page builds the whole list once per run)."""
    if filters.min_agencies < 1:
        raise ValidationError("At least: choose 1 or more agencies.")
    out = _filter(whole.rows, filters)
    if filters.by_site:
        out = out.sort_values(["n_site_agencies", "score", "n_agencies", "name"], ascending=[False, False, False, True],
                              kind="stable")
    total = len(out)
    if limit is not None:
        out = out.head(limit)
    return RiskList(out.reset_index(drop=True), whole.agency_codes, total, datasets=whole.datasets,
                    interest_codes=whole.interest_codes)


def version(uow: UnitOfWork, *, actor: Actor) -> tuple[Any, ...]:
    """Changes whenever anything the list shows may have changed (every write is audited; matching
    stamps the businesses it touches): pages cache the whole list per agency on this. Sign-ins and
    other unrelated writes leave it alone."""
    ensure(actor, "risklist.view")
    s = uow.session
    changed = s.scalar(select(func.max(AuditEvent.id)).where(AuditEvent.entity.in_(LIST_ENTITIES),
                                                             AuditEvent.action != "risklist.export"))
    return (changed, s.scalar(select(func.max(Business.matched_at))),
            s.scalar(select(func.count()).select_from(AgencyRecord)))


def whole_list(uow: UnitOfWork, *, actor: Actor) -> RiskList:
    """Every business the viewer may see, ranked (no filter, no cap)."""
    ensure(actor, "risklist.view")
    s = uow.session
    datasets = _visible_datasets(s, actor)
    recs = _records(s, actor, datasets)
    codes = dict(s.execute(select(Agency.id, Agency.code)).all())
    if recs.empty:
        return RiskList(pd.DataFrame(columns=COLUMNS), [], 0, datasets=datasets)
    meta = datasets.set_index("dataset_id")
    recs["see"] = recs["dataset_id"].map(meta["see"])
    recs["agency"] = recs["agency_id"].map(codes)
    recs["imported"] = recs["dataset_id"].map(meta["last_imported_at"])
    recs["stale"] = recs["dataset_id"].map(meta["stale"])
    detail = recs[recs["see"] == Level.FULL]
    listed = detail["business_id"].unique()
    recs = recs[recs["business_id"].isin(listed)]

    # Per business and agency: the highest band that agency gives it (vectorised: 100,000 businesses).
    recs["rank"] = recs["risk_band"].map(risk.BAND_RANK).fillna(0).astype(int)
    recs["is_interest"] = recs["see"] == Level.INTEREST
    per_agency = (recs.groupby(["business_id", "agency"], as_index=False, sort=True)
                  .agg(rank=("rank", "max"), interest=("is_interest", "min")))
    per_agency["band"] = per_agency["rank"].map(risk.RANK_BAND)
    per_agency["shown"] = per_agency["band"].where(per_agency["band"] != "",
                                                   per_agency["interest"].map({True: "interest", False: "held"}))
    per_agency["points"] = per_agency["band"].map(risk.BAND_POINTS).fillna(risk.UNBANDED_POINTS).astype(int)
    by_business = per_agency.groupby("business_id")
    n_agencies = by_business.size()
    scores = by_business["points"].sum() + risk.EXTRA_AGENCY_POINTS * (n_agencies - 1)
    agencies = _joined(per_agency["business_id"], per_agency["agency"])
    summaries = _joined(per_agency["business_id"], per_agency["agency"] + " " + per_agency["shown"])
    wide = per_agency.pivot(index="business_id", columns="agency", values="shown").fillna("")

    # Name, address, postcode and sector from the records the viewer may read in full (one rule, per viewer).
    described = describe(detail[DESCRIBE_COLUMNS])
    out = pd.DataFrame(index=pd.Index(listed, name="business_id"))
    for col in ("name", "address", "postcode", "district", "sector"):
        out[col] = described[col].reindex(out.index).fillna("")
    out["name"] = out["name"].where(out["name"] != "", NO_NAME)
    out["agencies"] = agencies
    out["n_agencies"] = n_agencies
    out["score"] = scores
    out["bands"] = summaries
    last = pd.to_datetime(detail["last_contact"], errors="coerce")
    out["last_contact"] = last.groupby(detail["business_id"]).max().dt.date
    contributing = recs.groupby("business_id")
    out["data_as_of"] = contributing["imported"].min()
    out["stale"] = contributing["stale"].any()

    biz = _frame(s, select(Business.id.label("business_id"), Business.tasking_requested_at, Business.site_key)
                 .where(Business.active.is_(True))).set_index("business_id")
    out = out.join(biz)
    out["tasking"] = out["tasking_requested_at"].notna()
    _at_sites(out, per_agency)
    out = out.drop(columns=["tasking_requested_at", "site_key"])
    links = s.execute(select(BusinessLink.business_a_id, BusinessLink.business_b_id)).all()
    visits = _last_visits(s, [int(i) for i in listed])

    listed_set = set(int(i) for i in listed)
    connected: dict[int, int] = {}
    for a, b in links:
        if a in listed_set and b in listed_set:
            connected[a] = connected.get(a, 0) + 1
            connected[b] = connected.get(b, 0) + 1
    out["connected"] = [connected.get(int(b), 0) for b in out.index]
    out["last_visit"] = [visits.get(int(b), (None, ""))[0] for b in out.index]
    out["last_visit_result"] = [visits.get(int(b), (None, ""))[1] for b in out.index]
    out = out.join(wide)
    out = out.reset_index()
    out = out.sort_values(["score", "n_agencies", "name"], ascending=[False, False, True], kind="stable")
    agency_codes = sorted(wide.columns)
    interest_codes = tuple(sorted(set(datasets.loc[datasets["see"] == Level.INTEREST, "agency"]) - set(
        datasets.loc[datasets["see"] == Level.FULL, "agency"])))
    return RiskList(out[COLUMNS + agency_codes].reset_index(drop=True), agency_codes, len(out), datasets=datasets,
                    interest_codes=interest_codes)


def _at_sites(out: pd.DataFrame, per_agency: pd.DataFrame) -> None:
    """The agencies at each listed business's site (the building: the shop and the flats above it), from the
    listed businesses only: a business the viewer may not list never shows, not even as a count at a site."""
    site = out["site_key"].fillna("")
    site = site.where(site != "", "b" + out.index.astype(str))      # not matched into a site yet: its own
    held = per_agency[["business_id", "agency"]].assign(site=per_agency["business_id"].map(site))
    held = held.drop_duplicates(["site", "agency"]).sort_values(["site", "agency"], kind="stable")
    agencies = _joined(held["site"], held["agency"])
    out["site_agencies"] = site.map(agencies).fillna("")
    out["n_site_agencies"] = site.map(held.groupby("site").size()).fillna(0).astype(int)
    out["site_businesses"] = site.map(site.value_counts()).astype(int)


def _joined(keys: pd.Series, values: pd.Series) -> pd.Series:
    """", ".join of `values` per key, for keys already in order (one pass; pandas' join per group is slow)."""
    out: dict[Any, str] = {}
    for key, group in groupby(zip(keys.tolist(), values.tolist(), strict=True), key=itemgetter(0)):
        out[key] = ", ".join(v for _k, v in group)
    return pd.Series(out, dtype=object)


def _filter(out: pd.DataFrame, f: RiskFilters) -> pd.DataFrame:
    keep = out["n_site_agencies" if f.by_site else "n_agencies"] >= f.min_agencies
    if f.districts:
        keep &= out["district"].isin(list(f.districts))
    if f.area.strip():
        keep &= out["postcode"].fillna("").str.upper().str.startswith(f.area.strip().upper())
    if f.sector:
        keep &= out["sector"] == f.sector
    for code in f.agency_codes:
        keep &= out["agencies"].str.split(", ").map(lambda v, c=code: c in v)
    if f.text.strip():
        needle = f.text.strip().lower()
        keep &= (out["name"].str.lower().str.contains(needle, regex=False)
                 | out["address"].str.lower().str.contains(needle, regex=False)
                 | out["postcode"].fillna("").str.lower().str.contains(needle, regex=False))
    if f.tasking_only:
        keep &= out["tasking"]
    return out[keep]


def _last_visits(session: Session, business_ids: list[int]) -> dict[int, tuple[date | None, str]]:
    """The latest visit done at each business, and what it found."""
    return {b: (d if isinstance(d, date) and not isinstance(d, datetime) else d.date() if d else None, summary)
            for b, (d, summary) in last_visit_for(session, business_ids).items()}


# --- one business ---------------------------------------------------------------------------------


def find_businesses(uow: UnitOfWork, *, actor: Actor, text: str, limit: int = 8) -> list[dict[str, Any]]:
    """Businesses on the shared list like `text` (name, address or postcode), as the actor may see them: the
    picker wherever a person names a business (split, merge, a week of action), never a bare id."""
    ensure(actor, "risklist.view")
    return search_businesses(uow.session, actor, text, limit)


def business_labels(uow: UnitOfWork, *, actor: Actor, business_ids: list[int]) -> dict[int, str]:
    """{id: "Name, address, postcode"} as the actor may see each; ids the actor may not read are left out."""
    ensure(actor, "risklist.view")
    views = business_views(uow.session, actor, business_ids)
    return {b: views[b].label for b in business_ids if b in views}


def business_detail(uow: UnitOfWork, *, actor: Actor, business_id: int) -> dict[str, Any]:
    """Everything the viewer may see of one business: its records, why they were matched, its connections."""
    ensure(actor, "risklist.view")
    s = uow.session
    datasets = _visible_datasets(s, actor).set_index("dataset_id")
    biz = s.get(Business, ensure_business(s, actor, business_id))
    recs = s.execute(
        select(AgencyRecord, Agency.code).join(Agency, Agency.id == AgencyRecord.agency_id)
        .where(AgencyRecord.business_id == biz.id, AgencyRecord.current.is_(True))
    ).all()
    shown, interest = [], []
    for rec, code in recs:
        see = datasets.at[rec.dataset_id, "see"] if rec.dataset_id in datasets.index else "none"
        if see == Level.FULL:
            shown.append((rec, code, datasets.at[rec.dataset_id, "dataset"]))
        elif see == Level.INTEREST:
            interest.append({"agency": code, "band": rec.risk_band or "interest"})
    if not shown:
        raise NotFound(f"Business {business_id} is not on the risk list.")
    links = s.execute(
        select(BusinessLink.kind, BusinessLink.value, Business.id)
        .join(Business, or_(and_(BusinessLink.business_a_id == biz.id, Business.id == BusinessLink.business_b_id),
                            and_(BusinessLink.business_b_id == biz.id, Business.id == BusinessLink.business_a_id)))
    ).all()
    readable = [int(i) for i in datasets.index[datasets["see"] == Level.FULL]]
    linked = _readable_records(s, [b for _k, _v, b in links], readable)
    named = business_views(s, actor, [biz.id, *linked])
    context = _readable_context(s, [r for r, _c, _d in shown], readable)
    records = [{"agency": code, "dataset": ds, "reference": r.reference, "trading_name": r.trading_name,
                "company_name": r.company_name, "address": r.address, "postcode": r.postcode, "phone": r.phone,
                "contact": r.contact, "sector": r.sector, "risk_value": r.risk_value, "band": r.risk_band or "",
                "last_contact": r.last_contact, "match_score": r.match_score} for r, code, ds in shown]
    me = named[biz.id]
    return {
        "id": biz.id, "name": me.name, "address": me.address, "postcode": me.postcode, "records": records,
        "interest": interest, "why": _why_matched([r for r, _c, _d in shown], context),
        "connections": _connections([r for r, _c, _d in shown], links, linked, named),
    }


def _readable_records(session: Session, business_ids: list[int], readable: list[int]) -> dict[int, list[AgencyRecord]]:
    """The current records of these businesses in datasets the viewer may read in full."""
    if not business_ids or not readable:
        return {}
    out: dict[int, list[AgencyRecord]] = {}
    for r in session.scalars(select(AgencyRecord).where(
            AgencyRecord.business_id.in_(business_ids), AgencyRecord.current.is_(True),
            AgencyRecord.dataset_id.in_(readable))):
        out.setdefault(r.business_id, []).append(r)
    return out


def _connections(mine: list[AgencyRecord], links: list[Any], linked: dict[int, list[AgencyRecord]],
                 named: dict[int, BusinessView]) -> list[dict[str, Any]]:
    """Connected businesses the viewer may see, named and addressed from records the viewer may read; the shared
    value (phone, contact, building) only when readable records on both sides carry it."""
    from core.matching import connection_label, connection_values

    out = []
    for kind, value, bid in links:
        theirs = linked.get(bid)
        if not theirs or bid not in named:
            continue  # known to the viewer only through data they may not read: not shown at all
        ours_carry = any(value in connection_values(kind, _as_input(r)) for r in mine)
        theirs_carry = any(value in connection_values(kind, _as_input(r)) for r in theirs)
        out.append({"label": connection_label(kind), "business_id": bid,
                    "name": named[bid].name, "address": named[bid].address,
                    "kind": kind, "value": value if ours_carry and theirs_carry else ""})
    return out


# Records read around a business to weigh "why matched" as the matching did (premises on the same streets).
MAX_CONTEXT_RECORDS = 500


def _readable_context(session: Session, recs: list[AgencyRecord], readable: list[int]) -> list[AgencyRecord]:
    """Readable current records at the business's postcodes (other premises on its streets), for "why matched"."""
    postcodes = sorted({r.postcode for r in recs if r.postcode})
    if len(recs) < 2 or not postcodes or not readable:
        return []
    return list(session.scalars(select(AgencyRecord).where(
        AgencyRecord.postcode.in_(postcodes), AgencyRecord.current.is_(True), AgencyRecord.dataset_id.in_(readable))
        .order_by(AgencyRecord.id).limit(MAX_CONTEXT_RECORDS)))


def _as_input(r: AgencyRecord) -> Any:
    from core.matching import MatchInput

    return MatchInput(record_id=f"{r.dataset_id}:{r.reference}", source=str(r.dataset_id),
                      trading_name=r.trading_name, company_name=r.company_name, address=r.address,
                      postcode=r.postcode, phone=r.phone, contact=r.contact, last_contact=r.last_contact)


def _why_matched(recs: list[AgencyRecord], context: list[AgencyRecord] = ()) -> list[dict[str, Any]]:
    """For each record after the first: how it compares with the record it agrees with most, weighed among the
    readable records on the same streets (as the matching weighed it), with a note in words."""
    if len(recs) < 2:
        return []
    from core.matching import MatchContext, explain
    from core.matching.calibration import in_words, percent
    from core.matching.patterns import describe_levels

    inputs = [_as_input(r) for r in recs]
    mine = {r.id for r in recs}
    around = MatchContext.of(inputs + [_as_input(r) for r in context if r.id not in mine])
    out = []
    for i, rec in enumerate(inputs[1:], start=1):
        best = max((explain(rec, other, context=around) for j, other in enumerate(inputs) if j != i),
                   key=lambda p: p.score)
        other = best.b if best.a == rec.record_id else best.a
        said = describe_levels({k: f.level for k, f in best.fields.items()})
        out.append({"record": rec.record_id.split(":", 1)[1], "with": other.split(":", 1)[1], "score": percent(best.score),
                    "fields": {k: f"{f.level} ({round(f.similarity)})" for k, f in best.fields.items()},
                    "note": f"{in_words(best.score)}: {said}." + (f" {best.note}" if best.note else "")})
    return out


# --- tasking and exports ------------------------------------------------------------------------------


class PrivateTasking(ValidationError):
    """Some businesses sent to tasking are readable by the sender's agency alone: the board would see a label."""

    def __init__(self, names: list[str], label: str) -> None:
        self.names = names
        super().__init__(
            f"{len(names)} of these {'business is' if len(names) == 1 else 'businesses are'} known to the partnership "
            f"only through your agency's data ({'; '.join(names[:5])}{'…' if len(names) > 5 else ''}). The board's "
            f"agenda and minutes will show {'it' if len(names) == 1 else 'them'} as '{label}' and your reason as you "
            "wrote it, so keep the reason free of names. Choose 'send with a label' to go ahead.")


def send_to_tasking(uow: UnitOfWork, *, actor: Actor, business_ids: list[int], reason: str,
                    private_ok: bool = False) -> int:
    """Mark businesses for the next tasking meeting and for visit planning; returns how many were added.

    The board reads the agenda: a business every partner may not read goes on it under a label naming only the
    sender's agency, and only once the sender has said so (`private_ok`)."""
    ensure(actor, "tasking.request")
    try:
        wanted = sorted({int(b) for b in business_ids})
    except (TypeError, ValueError):
        raise ValidationError("Choose the businesses from the list.") from None
    if not wanted:
        raise ValidationError("Choose at least one business to send to tasking.")
    reason = " ".join(reason.split())
    if not reason:
        raise ValidationError("Reason: say in a few words why these businesses should go to tasking.")
    s = uow.session
    if set(wanted) - readable_businesses(s, actor, wanted):
        raise NotFound("Some of the chosen businesses are not on your risk list; refresh the list and choose again.")
    root_of = roots(s, wanted)
    ids = sorted(set(root_of.values()))
    private = sorted(set(ids) - readable_businesses(s, EVERYONE, ids))
    if private and not private_ok:
        views = business_views(s, actor, private)
        raise PrivateTasking([views[b].label for b in private if b in views], private_label(actor.agency_name))
    already = set(s.scalars(select(TaskingRequest.business_id).where(TaskingRequest.business_id.in_(ids),
                                                                     TaskingRequest.status == "open")))
    now = datetime.now(timezone.utc)
    added = 0
    for bid in ids:
        if bid in already:
            continue
        tr = TaskingRequest(business_id=bid, requested_by_id=actor.id, requested_at=now, reason=reason, status="open")
        s.add(tr)
        s.get(Business, bid).tasking_requested_at = now
        s.flush()
        record(s, actor, action="tasking.request", entity="business", entity_id=bid,
               after={"tasking_request_id": tr.id, "reason": reason, "labelled": bid in private},
               summary=f"Sent business {bid} to tasking" + (" (shown to the board with a label)" if bid in private else ""))
        added += 1
    uow.commit()
    return added


def export(uow: UnitOfWork, *, actor: Actor, filters: RiskFilters, fmt: str, marking: str) -> tuple[bytes, str]:
    """The filtered list as CSV or XLSX, safe to open in Excel, marked; the export is audited."""
    ensure(actor, "risklist.export")
    if fmt not in ("csv", "xlsx"):
        raise ValidationError("Export: choose CSV or XLSX.")
    rl = risk_list(uow, actor=actor, filters=filters, limit=None)
    header = ["Business", "Name", "Address", "Postcode", "Sector", "Agencies", "Number of agencies",
              "Agencies at the site", "Number of agencies at the site", "Businesses at the site", "Score", "Bands", "Last contact", "Last visit", "Last visit result", "Data as of", "Stale", "Connected businesses",
              "Sent to tasking"]
    cols = ["business_id", "name", "address", "postcode", "sector", "agencies", "n_agencies", "site_agencies",
            "n_site_agencies", "site_businesses", "score", "bands",
            "last_contact", "last_visit", "last_visit_result", "data_as_of", "stale", "connected", "tasking"]
    frame = rl.rows[cols].astype(object).where(rl.rows[cols].notna(), None)
    rows = [[_plain(v) for v in row] for row in frame.itertuples(index=False)]
    note = f"shared risk list · {len(rows)} businesses · exported by {actor.name} · {risk.SCORE_FORMULA}"
    if fmt == "csv":
        data = risk.to_csv(header, rows, marking, note)
    else:
        data = risk.to_xlsx(header, rows, marking, title="Shared risk list", note=note)
    record(uow.session, actor, action="risklist.export", entity="risk_list", entity_id=fmt,
           after={"rows": len(rows), "filters": {k: list(v) if isinstance(v, tuple) else v
                                                 for k, v in filters.__dict__.items()}},
           summary=f"Exported {len(rows)} businesses as {fmt.upper()}")
    uow.commit()
    return data, f"shared-risk-list-{date.today():%Y-%m-%d}.{fmt}"


def _plain(v: Any) -> Any:
    if isinstance(v, pd.Timestamp):
        return v.to_pydatetime().strftime("%Y-%m-%d")
    if isinstance(v, datetime):
        return v.strftime("%Y-%m-%d")
    if isinstance(v, date):
        return v.isoformat()
    if hasattr(v, "item"):
        return v.item()
    return v


# --- charts' data --------------------------------------------------------------------------------------


def overlaps(rl: RiskList) -> pd.DataFrame:
    """Businesses held by each pair of agencies (the diagonal: by the agency at all), from a list's rows."""
    codes = rl.agency_codes
    held = rl.rows[codes].ne("") if codes else pd.DataFrame()
    matrix = pd.DataFrame(0, index=codes, columns=codes)
    for a in codes:
        for b in codes:
            matrix.at[a, b] = int((held[a] & held[b]).sum())
    return matrix
