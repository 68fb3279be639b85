"""What a person may SEE: the partnership's sharing rules, written once.

`core.permissions` says what a role may DO; this module says which records, businesses, visits, referral
texts and warning markers a viewer may READ. Services join against its SQL clauses for lists and ask it
about every id that comes from a user; nothing else restates the rule.

The rule (`record_level`, tested as a table): an agency's own records are read in full; a partner's
records in a fully shared dataset are read in full; in an interest-only dataset only that the agency
holds the business, and its band; in an owner-only dataset nothing at all (not even that it exists).

The viewer is a person (`Actor`) or `EVERYONE`: the reader of text the whole partnership reads (agenda
items, minutes, action titles, the shared calendar), who belongs to no agency in particular. Text the
system writes about a business for many readers is written for `EVERYONE`.

From the rule follow:
- a business is readable when the viewer may read one of its current records; its name, address and
  postcode are taken per viewer from those records only (`business_views`), never from the values the
  matcher stored on the business;
- a visit's premises (`visit_premises`): typed premises (no business) are partnership text; the agencies
  on the visit read the premises as planned; anyone else reads their own view of the business, or
  "Visit by <lead> — premises withheld" when they may not read it;
- a referral's text (`referral_text_level`): its sender reads all of it; analysts of a receiving agency
  read the body when the handling code lets it pass, the sanitised summary otherwise; nobody else
  reads any of it (chairs and administrators see counts: the sterile wall);
- officer-safety markers (`may_see_markers`): roles allowed "marker.view", on premises they may read or
  visit.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final, NamedTuple

import pandas as pd
from rapidfuzz import fuzz, process, utils
from sqlalchemy import ColumnElement, Select, or_, select
from sqlalchemy.orm import Session

from core import grading
from core.domain import Sharing
from core.errors import Forbidden, NotFound
from core.permissions import Actor, allowed
from core.store.models import Agency, AgencyRecord, Business, Dataset, Visit, VisitAgency

Viewer = Actor | None
EVERYONE: Final[Viewer] = None  # the whole partnership: text on agendas, minutes, titles, the shared calendar
CHUNK = 900  # ids per IN (...) list: well under SQLite's bound-parameter limit


class Level(StrEnum):
    """How much of a record a viewer may read."""

    FULL = "full"  # every field
    INTEREST = "interest"  # that the agency holds the business, and its band
    NONE = "none"  # nothing, not even that it exists


def record_level(sharing: str, owner_agency_id: int, viewer_agency_id: int | None) -> Level:
    """THE sharing rule: what a viewer of `viewer_agency_id` (None: everyone) may read of one dataset's records."""
    if viewer_agency_id is not None and owner_agency_id == viewer_agency_id:
        return Level.FULL
    if sharing == Sharing.FULL.value:
        return Level.FULL
    if sharing == Sharing.INTEREST.value:
        return Level.INTEREST
    return Level.NONE


DEFAULT_SHARING = Sharing.FULL.value
# The rule in the words an analyst chooses a dataset's limit by.
SHARING_EXPLAINED = {
    Sharing.FULL.value: "Partners see the records: names, addresses, your risk band and last contact.",
    Sharing.INTEREST.value: "Partners see only that your agency has an interest in a business, not the detail.",
    Sharing.OWNER.value: "Only your agency sees these records; partners are not told they exist.",
}


def describe_rank(sharing: str) -> int:
    """Which record the matcher stores as a business's description: fully shared first, owner-only last."""
    return {Sharing.FULL.value: 0, Sharing.INTEREST.value: 1}.get(sharing, 2)


def _agency(viewer: Viewer) -> int | None:
    return viewer.agency_id if viewer is not None else None


# --- datasets and records as SQL clauses ---------------------------------------------------------------------


def readable_datasets(viewer: Viewer) -> ColumnElement[bool]:
    """On `Dataset`: datasets whose records the viewer reads in full (`record_level` FULL)."""
    clause: ColumnElement[bool] = Dataset.sharing == Sharing.FULL.value
    if viewer is not None:
        clause = or_(clause, Dataset.agency_id == viewer.agency_id)
    return clause


def known_datasets(viewer: Viewer) -> ColumnElement[bool]:
    """On `Dataset`: datasets the viewer may know of (FULL or INTEREST): owner-only ones of other agencies are not."""
    return or_(readable_datasets(viewer), Dataset.sharing == Sharing.INTEREST.value)


def readable_business_ids(viewer: Viewer) -> Select[tuple[int]]:
    """Businesses with a current record the viewer reads in full (use with `.in_(...)`)."""
    return (select(AgencyRecord.business_id).join(Dataset, Dataset.id == AgencyRecord.dataset_id)
            .where(AgencyRecord.current.is_(True), AgencyRecord.business_id.is_not(None), readable_datasets(viewer)))


def known_holdings(viewer: Viewer) -> Select[tuple[int, int]]:
    """Distinct (business id, agency id) pairs the viewer may know of: who holds what, owner-only data left out."""
    return (select(AgencyRecord.business_id, AgencyRecord.agency_id).join(Dataset, Dataset.id == AgencyRecord.dataset_id)
            .where(AgencyRecord.current.is_(True), AgencyRecord.business_id.is_not(None), known_datasets(viewer))
            .distinct())


def dataset_levels(session: Session, viewer: Viewer) -> dict[int, Level]:
    """{dataset id: level} for every dataset (few: one per export an agency keeps)."""
    return {i: record_level(s, a, _agency(viewer))
            for i, s, a in session.execute(select(Dataset.id, Dataset.sharing, Dataset.agency_id))}


# --- businesses by id ----------------------------------------------------------------------------------------


def _chunks(ids: list[int]) -> Iterable[list[int]]:
    for i in range(0, len(ids), CHUNK):
        yield ids[i:i + CHUNK]


def roots(session: Session, ids: Iterable[int]) -> dict[int, int]:
    """Each business mapped to the business its records live in now (following merges)."""
    ids = set(ids)
    if not ids:
        return {}
    parent = dict(session.execute(select(Business.id, Business.merged_into_id)
                                  .where(Business.merged_into_id.is_not(None))).all())
    out = {}
    for i in ids:
        seen, j = set(), i
        while j in parent and j not in seen:
            seen.add(j)
            j = parent[j]
        out[i] = j
    return out


def readable_businesses(session: Session, viewer: Viewer, ids: Iterable[int]) -> set[int]:
    """Which of these business ids (each through the business it was merged into) the viewer may read."""
    root_of = roots(session, ids)
    found: set[int] = set()
    for chunk in _chunks(sorted(set(root_of.values()))):
        found |= set(session.scalars(readable_business_ids(viewer).where(AgencyRecord.business_id.in_(chunk))))
    return {i for i, r in root_of.items() if r in found}


def ensure_business(session: Session, viewer: Viewer, business_id: Any) -> int:
    """The business (its root) when the viewer may read it; otherwise NotFound, worded the same whether it
    exists or not (a refusal must not confirm that another agency holds something)."""
    try:
        bid = int(business_id)
    except (TypeError, ValueError):
        raise NotFound(f"Business {business_id!r}: choose one from your shared risk list.") from None
    if not readable_businesses(session, viewer, [bid]):
        raise NotFound(f"No business {bid} on your shared risk list; choose one from the list.")
    return roots(session, [bid])[bid]


# --- what a business is called, per viewer -------------------------------------------------------------------


@dataclass(frozen=True)
class BusinessView:
    """A business as one viewer may see it: from the best record that viewer may read."""

    id: int
    name: str
    address: str
    postcode: str
    district: str
    sector: str

    @property
    def label(self) -> str:
        """"Name, address, postcode" (an address-only premises: its address)."""
        return ", ".join(x for x in (self.name, self.address, self.postcode) if x) or f"business {self.id}"


DESCRIBE_COLUMNS = ["business_id", "record_id", "trading_name", "company_name", "address", "postcode", "sector",
                    "last_contact"]


def describe(records: pd.DataFrame) -> pd.DataFrame:
    """Name, address, postcode, district and sector per business, from records one viewer may read (one row each,
    `DESCRIBE_COLUMNS`): the best record names it (named first, then the latest contact, then the oldest record);
    the postcode is the best record's, else the first readable one that is a postcode; the sector the first given."""
    from core.matching.normalise import parse_postcode, postcode_district

    out_cols = ["name", "address", "postcode", "district", "sector"]
    if records.empty:
        return pd.DataFrame(columns=out_cols, index=pd.Index([], name="business_id"))
    recs = records.assign(
        named=(records["trading_name"].fillna("") != "") | (records["company_name"].fillna("") != ""),
        contact=pd.to_datetime(records["last_contact"], errors="coerce"))
    recs = recs.sort_values(["business_id", "named", "contact", "record_id"], ascending=[True, False, False, True],
                            na_position="last", kind="stable")
    first = recs.drop_duplicates("business_id").set_index("business_id")
    out = pd.DataFrame(index=first.index)
    trading = first["trading_name"].fillna("")
    out["name"] = trading.where(trading != "", first["company_name"].fillna(""))
    out["address"] = first["address"].fillna("")
    parsed = recs["postcode"].fillna("").map(lambda p: parse_postcode(p) or "")
    # The best record's postcode when it is one; otherwise the first readable record's that is.
    fallback = parsed[parsed != ""].groupby(recs["business_id"]).first()
    best = parsed.groupby(recs["business_id"]).first()
    postcode = best.where(best != "", fallback.reindex(best.index)).fillna("")
    out["postcode"] = postcode.reindex(out.index).fillna("")
    out["district"] = out["postcode"].map(lambda p: postcode_district(p or None))
    sector = recs["sector"].fillna("")
    out["sector"] = sector[sector != ""].groupby(recs["business_id"]).first().reindex(out.index).fillna("")
    return out


def _readable_records(session: Session, viewer: Viewer, business_ids: list[int]) -> pd.DataFrame:
    rows: list[tuple[Any, ...]] = []
    for chunk in _chunks(business_ids):
        rows += session.execute(
            select(AgencyRecord.business_id, AgencyRecord.id, AgencyRecord.trading_name, AgencyRecord.company_name,
                   AgencyRecord.address, AgencyRecord.postcode, AgencyRecord.sector, AgencyRecord.last_contact)
            .join(Dataset, Dataset.id == AgencyRecord.dataset_id)
            .where(AgencyRecord.business_id.in_(chunk), AgencyRecord.current.is_(True), readable_datasets(viewer))
        ).all()
    return pd.DataFrame(rows, columns=DESCRIBE_COLUMNS, dtype=object)


def business_views(session: Session, viewer: Viewer, ids: Iterable[int]) -> dict[int, BusinessView]:
    """{business id: how the viewer sees it} for the ids the viewer may read (merged ids through their root);
    ids the viewer may not read are absent."""
    root_of = roots(session, ids)
    described = describe(_readable_records(session, viewer, sorted(set(root_of.values()))))
    out = {}
    for bid, root in root_of.items():
        if root in described.index:
            row = described.loc[root]
            out[bid] = BusinessView(root, row["name"], row["address"], row["postcode"], row["district"], row["sector"])
    return out


def ensure_business_view(session: Session, viewer: Viewer, business_id: Any) -> BusinessView:
    """The business as the viewer sees it, or NotFound (as `ensure_business`)."""
    bid = ensure_business(session, viewer, business_id)
    return business_views(session, viewer, [bid])[bid]


def private_label(agency_name: str) -> str:
    """What every partner reads instead of a business only some may read, named by the agency that brought it
    up (who chose to say it has an interest)."""
    return f"a premises known to {agency_name or 'one agency'} (ask them for the detail)"


# --- visits --------------------------------------------------------------------------------------------------

WITHHELD_CAPTION = ("Visits shown as 'Visit by <lead> — premises withheld' rest on another agency's data; contact "
                    "the lead agency if you need to know more.")


class VisitRef(NamedTuple):
    id: int
    business_id: int | None
    lead_agency_id: int | None
    premises_text: str = ""


def withheld_label(lead: str) -> str:
    """What a viewer sees instead of premises they may not know."""
    return f"Visit by {lead or 'another agency'} — premises withheld"


def _refs(visits: Iterable[Any]) -> list[VisitRef]:
    return [VisitRef(v.id, v.business_id, v.lead_agency_id, getattr(v, "premises_text", "") or "") for v in visits]


def _on_visit(session: Session, viewer: Viewer, visit_ids: list[int]) -> set[int]:
    if viewer is None or not visit_ids:
        return set()
    out: set[int] = set()
    for chunk in _chunks(sorted(set(visit_ids))):
        out |= set(session.scalars(select(VisitAgency.visit_id).where(VisitAgency.visit_id.in_(chunk),
                                                                       VisitAgency.agency_id == viewer.agency_id)))
    return out


def withheld_visits(session: Session, viewer: Viewer, visits: Iterable[Any]) -> dict[int, str]:
    """{visit id: lead agency's name} for the visits whose premises the viewer may not know: at a business the
    viewer may not read, with the viewer's agency not on the visit."""
    refs = [r for r in _refs(visits) if r.business_id is not None]
    if not refs:
        return {}
    on = _on_visit(session, viewer, [r.id for r in refs])
    asked = [r for r in refs if r.id not in on]
    readable = readable_businesses(session, viewer, {r.business_id for r in asked if r.business_id is not None})
    hidden = [r for r in asked if r.business_id not in readable]
    if not hidden:
        return {}
    names = dict(session.execute(select(Agency.id, Agency.name)).all())
    return {r.id: names.get(r.lead_agency_id or -1, "") for r in hidden}


def visit_premises(session: Session, viewer: Viewer, visits: Iterable[Any]) -> dict[int, str]:
    """{visit id: its premises as the viewer may see them}: typed premises as typed; the premises as planned for
    the agencies on the visit; the viewer's own view of the business for others who may read it; otherwise
    "Visit by <lead> — premises withheld"."""
    refs = _refs(visits)
    with_business = [r for r in refs if r.business_id is not None]
    on = _on_visit(session, viewer, [r.id for r in with_business])
    others = [r for r in with_business if r.id not in on]
    views = business_views(session, viewer, {r.business_id for r in others if r.business_id is not None})
    hidden = withheld_visits(session, viewer, [r for r in others if r.business_id not in views])
    out = {}
    for r in refs:
        if r.business_id is None or r.id in on:
            out[r.id] = r.premises_text
        elif r.business_id in views:
            out[r.id] = views[r.business_id].label
        else:
            out[r.id] = withheld_label(hidden.get(r.id, ""))
    return out


def ensure_visit(session: Session, actor: Actor, visit: Visit) -> None:
    """Refuse a visit's detail, briefing, or any change to it when its premises are withheld from the actor."""
    hidden = withheld_visits(session, actor, [visit])
    if visit.id in hidden:
        raise Forbidden(f"Visit {visit.id} rests on another agency's data, so its premises and plan are withheld from "
                       f"{actor.agency_name or 'your agency'}. Contact the lead agency ({hidden[visit.id] or 'another agency'}) "
                       "if you need to know more.")


# --- officer-safety markers ----------------------------------------------------------------------------------


def may_see_markers(session: Session, actor: Viewer, business_id: int | None) -> bool:
    """Markers on these premises reach roles allowed "marker.view" who may read the business, or whose agency is
    on a visit there (officer safety: the team always gets them). Markers on a person or typed premises
    (`business_id` None) reach every such role."""
    if actor is None or not allowed(actor, "marker.view"):
        return False
    if business_id is None:
        return True
    if readable_businesses(session, actor, [business_id]):
        return True
    root = roots(session, [business_id])[business_id]
    return session.scalar(select(VisitAgency.id).join(Visit, Visit.id == VisitAgency.visit_id).where(
        Visit.business_id.in_({business_id, root}), VisitAgency.agency_id == actor.agency_id).limit(1)) is not None


# --- referral text -------------------------------------------------------------------------------------------


class TextLevel(StrEnum):
    """How much of a referral's content a viewer may read."""

    ALL = "all"  # the sender: everything they wrote
    FULL = "full"  # a receiving agency's analyst, when the handling code lets the text pass
    SUMMARY = "summary"  # a receiving agency's analyst otherwise: subject, place and the sanitised summary
    NONE = "none"  # everyone else: counts only (the sterile wall)


def referral_text_level(actor: Actor, *, sender_id: int, recipient_agency_ids: Iterable[int], scheme: str,
                        handling_code: str | None) -> TextLevel:
    """What `actor` may read of one referral's content."""
    if actor.id == sender_id:
        return TextLevel.ALL
    if not allowed(actor, "referral.view_inbox", agency_id=list(recipient_agency_ids)) \
            or actor.agency_id not in set(recipient_agency_ids):
        return TextLevel.NONE
    if handling_code and grading.visibility(scheme, handling_code) == "full":
        return TextLevel.FULL
    return TextLevel.SUMMARY


def referral_text(level: TextLevel, *, body: str, summary: str) -> tuple[str, bool]:
    """(the text a reader of `level` sees, whether it is the sanitised summary)."""
    if level in (TextLevel.ALL, TextLevel.FULL):
        return body, False
    if level is TextLevel.SUMMARY:
        return summary, True
    return "", True


# --- the audit log -------------------------------------------------------------------------------------------

REDACTED = "(withheld)"
# Audited fields that name or describe premises, per entity: withheld from readers who may not know them.
_PREMISES_FIELDS = ("premises_text", "briefing", "business_id", "entry_route", "reasons", "overrides", "premises")


def redact_audit(session: Session, viewer: Viewer, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Audit rows as the viewer may read them: warning markers only for those who may see them there; visits
    withheld from the viewer without their premises."""
    from core.store.models import WarningMarker

    marker_ids = [int(r["entity_id"]) for r in rows if r["entity"] == "warning_marker" and str(r["entity_id"]).isdigit()]
    marker_business = dict(session.execute(select(WarningMarker.id, WarningMarker.business_id)
                                           .where(WarningMarker.id.in_(marker_ids or [-1]))).all())
    visit_ids = [int(r["entity_id"]) for r in rows if r["entity"] == "visit" and str(r["entity_id"]).isdigit()]
    visits = list(session.scalars(select(Visit).where(Visit.id.in_(visit_ids or [-1]))))
    hidden_visits = withheld_visits(session, viewer, visits)
    seen_markers: dict[int | None, bool] = {}
    out = []
    for r in rows:
        r = dict(r)
        eid = int(r["entity_id"]) if str(r["entity_id"]).isdigit() else None
        if r["entity"] == "warning_marker":
            where = marker_business.get(eid) if eid is not None else None
            if where not in seen_markers:
                seen_markers[where] = may_see_markers(session, viewer, where)
            if not seen_markers[where]:
                r.update(summary=f"{r['action']}: a warning marker {REDACTED}", before=_blank(r["before"]),
                         after=_blank(r["after"]))
        elif r["entity"] == "visit" and eid in hidden_visits:
            r.update(summary=f"{r['action']}: {withheld_label(hidden_visits[eid])}",
                     before=_blank(r["before"], _PREMISES_FIELDS), after=_blank(r["after"], _PREMISES_FIELDS))
        out.append(r)
    return out


def _blank(values: Mapping[str, Any] | None, keys: tuple[str, ...] | None = None) -> dict[str, Any] | None:
    if values is None:
        return None
    return {k: (REDACTED if keys is None or k in keys else v) for k, v in values.items()}


__all__ = [
    "DEFAULT_SHARING", "EVERYONE", "REDACTED", "SHARING_EXPLAINED", "WITHHELD_CAPTION", "BusinessView", "Level", "TextLevel", "Viewer", "VisitRef",
    "business_views", "dataset_levels", "describe", "describe_rank", "ensure_business", "ensure_business_view",
    "ensure_visit", "known_datasets", "known_holdings", "may_see_markers", "private_label", "readable_business_ids",
    "readable_businesses", "readable_datasets", "record_level", "redact_audit", "referral_text", "referral_text_level",
    "roots", "visit_premises", "withheld_label", "withheld_visits",
]


def search_businesses(session: Session, viewer: Viewer, text: str, limit: int = 8) -> list[dict[str, Any]]:
    """Businesses that look like `text` (a name, an address, a postcode), as the viewer may see them, best first.

    Searched over every spelling the viewer may read (each readable record) and named as the viewer sees the
    business; a business the viewer may not read is never offered. Each: business_id, label, score (0-100).
    """
    if len(text.strip()) < 3:
        return []
    rows = session.execute(
        select(AgencyRecord.id, AgencyRecord.business_id, AgencyRecord.trading_name, AgencyRecord.company_name,
               AgencyRecord.address, AgencyRecord.postcode)
        .join(Dataset, Dataset.id == AgencyRecord.dataset_id)
        .where(AgencyRecord.current.is_(True), AgencyRecord.business_id.is_not(None), readable_datasets(viewer))
    ).all()
    choices = {r.id: ", ".join(x for x in (r.trading_name or r.company_name, f"{r.address} {r.postcode}".strip()) if x)
               for r in rows}
    business_of = {r.id: r.business_id for r in rows}
    best: dict[int, float] = {}
    for _label, score, key in process.extract(text, choices, scorer=fuzz.WRatio, processor=utils.default_process,
                                              limit=limit * 4, score_cutoff=60):
        bid = business_of[key]
        best[bid] = max(best.get(bid, 0.0), score)
    ranked = sorted(best.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]
    views = business_views(session, viewer, [b for b, _s in ranked])
    return [{"business_id": b, "label": views[b].label, "score": round(sc)} for b, sc in ranked if b in views]
