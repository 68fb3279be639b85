"""Matching the partnership's agency records into businesses: the persisted side of core.matching.

`relink(session)` runs inside the caller's unit of work, so an import and the matching it triggers
land together or not at all. Business ids stay stable: a cluster keeps the business id most of its
records already had, so referrals, visits and actions that point at a business keep pointing at it.
A business left with no records is kept (inactive); one whose records all moved into another is
marked `merged_into_id` so links to it can be followed.
"""
from __future__ import annotations

import hashlib
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import bindparam, delete, insert, or_, select, text
from sqlalchemy.orm import Session

from core.bulk import collector_paused
from core.errors import Conflict
from core.visibility import describe_rank
from core.matching import MatchInput, link
from core.matching.normalise import parse_postcode, postcode_district
from core.store.models import AgencyRecord, Business, BusinessLink, Dataset, MatchDecision, MatchReview, Setting

Progress = Callable[[float, str], None]
MAX_REVIEW_PAIRS = 5_000
LAST_RUN_KEY = "matching.last_run"


@dataclass(frozen=True)
class LinkSummary:
    records: int
    businesses: int
    multi_agency: int
    review_pairs: int
    connections: int
    seconds: float


MATCHING_LOCK = 72_410_002  # PostgreSQL advisory lock: one matching run (and one import) writes at a time
MATCHING_LOCK_WAIT_S = 300.0


def lock_matching(session: Session, *, wait_s: float | None = None) -> None:
    """Hold the partnership's matching lock until the caller's transaction ends.

    Matching rewrites every business, so two runs (two imports of different datasets, an import and
    "Apply decisions now") must not interleave: on PostgreSQL a transaction-scoped advisory lock, waited
    for (a run takes seconds) up to `wait_s`; on SQLite the database's single write lock does the same.
    Taking it again in the same transaction is harmless. An import takes it before it writes a record, so
    it never waits for it while holding rows another run needs.
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    deadline = time.monotonic() + (MATCHING_LOCK_WAIT_S if wait_s is None else wait_s)
    while not session.execute(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": MATCHING_LOCK}).scalar():
        if time.monotonic() > deadline:
            raise Conflict("Another import or matching run has been saving for several minutes; try again when it "
                           "has finished. Nothing was changed.")
        time.sleep(0.1)


def record_key(dataset_id: int, reference: str) -> str:
    """The matcher's record id for an agency record: stable across re-imports."""
    return f"{dataset_id}:{reference}"


def split_key(key: str) -> tuple[int, str]:
    dataset_id, reference = key.split(":", 1)
    return int(dataset_id), reference


def pair_key(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a < b else (b, a)


def load_decisions(session: Session) -> dict[tuple[str, str], str]:
    """Every person's match decision, the latest per pair."""
    out: dict[tuple[str, str], str] = {}
    for d in session.scalars(select(MatchDecision).order_by(MatchDecision.decided_at, MatchDecision.id)):
        out[pair_key(record_key(d.a_dataset_id, d.a_reference), record_key(d.b_dataset_id, d.b_reference))] = d.decision
    return out


def _noop(_fraction: float, _message: str) -> None:
    return None


@collector_paused()
def relink(session: Session, *, progress: Progress | None = None) -> LinkSummary:
    """Re-match every current agency record and store the clusters as businesses (caller commits)."""
    started = time.perf_counter()
    say = progress or _noop
    lock_matching(session)
    say(0.05, "Reading the partnership's current records")
    cols = (AgencyRecord.id, AgencyRecord.dataset_id, AgencyRecord.reference, AgencyRecord.agency_id,
            AgencyRecord.trading_name, AgencyRecord.company_name, AgencyRecord.address, AgencyRecord.postcode,
            AgencyRecord.phone, AgencyRecord.contact, AgencyRecord.last_contact, AgencyRecord.business_id,
            AgencyRecord.match_score, AgencyRecord.sector, Dataset.sharing)
    rows = session.execute(
        select(*cols).join(Dataset, Dataset.id == AgencyRecord.dataset_id).where(AgencyRecord.current.is_(True))
    ).all()
    inputs = [
        MatchInput(record_id=record_key(r.dataset_id, r.reference), source=str(r.dataset_id),
                   trading_name=r.trading_name or "", company_name=r.company_name or "", address=r.address or "",
                   postcode=r.postcode or "", phone=r.phone or "", contact=r.contact or "", last_contact=r.last_contact)
        for r in rows
    ]
    say(0.15, f"Matching {len(inputs):,} records")
    result = link(inputs, decisions=load_decisions(session))
    say(0.75, "Saving businesses")

    members: dict[int, list[Any]] = defaultdict(list)
    for r in rows:
        members[result.cluster_of[record_key(r.dataset_id, r.reference)]].append(r)
    now = datetime.now(timezone.utc)
    site_key = _site_keys(result.site_of)
    described = {cluster: _describe(recs) | {"site_key": site_key[result.site_of[record_key(recs[0].dataset_id,
                                                                                          recs[0].reference)]]}
                 for cluster, recs in members.items()}
    current = {b.id: b for b in session.execute(
        select(Business.id, Business.name, Business.address, Business.postcode, Business.district, Business.sector,
               Business.active, Business.merged_into_id, Business.site_key))}
    business_of, created = _assign_businesses(session, members, described, now)

    # Records that moved (or are new) and their confidence.
    changes = []
    for cluster, recs in members.items():
        bid = business_of[cluster]
        for r in recs:
            score = round(result.score_of.get(record_key(r.dataset_id, r.reference), 0))
            if r.business_id != bid or r.match_score != score:
                changes.append({"id": r.id, "business_id": bid, "match_score": score})
    if changes:
        _update_by_id(session, AgencyRecord, changes)

    _refresh_businesses(session, members, business_of, described, current, created, now)
    say(0.9, "Saving connections and the review queue")
    n_links = _store_connections(session, result.connections, business_of)
    _store_review(session, result.review)
    n_review = len(result.questions)   # what a reviewer reading every record would be asked
    multi = sum(1 for recs in members.values() if len({r.agency_id for r in recs}) >= 2)
    _stamp(session, LAST_RUN_KEY, datetime.now(timezone.utc).isoformat())
    say(1.0, "Done")
    return LinkSummary(len(rows), len(members), multi, n_review, n_links, time.perf_counter() - started)


def _update_by_id(session: Session, model: Any, rows: list[dict[str, Any]]) -> None:
    """Core executemany UPDATE by primary key, grouped by the set of columns changed (the ORM's bulk
    update costs several times more per row at 100,000 rows)."""
    table = model.__table__
    by_cols: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_cols[tuple(sorted(k for k in row if k != "id"))].append(row)
    conn = session.connection()
    for cols, batch in by_cols.items():
        stmt = table.update().where(table.c.id == bindparam("_id")).values({c: bindparam(c) for c in cols})
        conn.execute(stmt, [{"_id": r["id"], **{c: r[c] for c in cols}} for r in batch])


def _stamp(session: Session, key: str, value: Any) -> None:
    row = session.get(Setting, key)
    if row is None:
        session.add(Setting(key=key, value=value))
    else:
        row.value = value


def last_run(session: Session) -> datetime | None:
    """When the matching last ran (decisions made since then are not yet applied)."""
    row = session.get(Setting, LAST_RUN_KEY)
    return datetime.fromisoformat(row.value) if row is not None and row.value else None


def _assign_businesses(session: Session, members: dict[int, list[Any]], described: dict[int, dict[str, Any]],
                       now: datetime) -> tuple[dict[int, int], set[int]]:
    """A business id per cluster: the id most of its records already had, else a new business, stored with its
    description. Returns the ids and which of them are new."""
    business_of: dict[int, int] = {}
    claimed: set[int] = set()
    # Bigger clusters choose first, so a split leaves the old id with the larger part.
    for cluster in sorted(members, key=lambda c: (-len(members[c]), c)):
        held = Counter(r.business_id for r in members[cluster] if r.business_id is not None)
        for bid, _n in sorted(held.items(), key=lambda kv: (-kv[1], kv[0])):
            if bid not in claimed:
                business_of[cluster] = bid
                claimed.add(bid)
                break
    fresh = [c for c in members if c not in business_of]
    if not fresh:
        return business_of, set()
    new_ids = session.connection().execute(
        insert(Business.__table__).returning(Business.__table__.c.id, sort_by_parameter_order=True),
        [{**described[c], "created_at": now, "matched_at": now} for c in fresh],
    ).scalars().all()
    business_of.update(zip(fresh, new_ids, strict=True))
    return business_of, set(new_ids)


def _best(recs: list[Any]) -> Any:
    """The record that describes the business: most shareable, named, most recently in contact."""
    return min(recs, key=lambda r: (describe_rank(r.sharing), not (r.trading_name or r.company_name),
                                    -(r.last_contact.toordinal() if r.last_contact else 0), r.id))


def _site_keys(site_of: dict[str, int]) -> dict[int, str]:
    """A key per site that stays the same from run to run while its first record does: a digest of the
    smallest record key at the site (opaque: it says nothing of the records)."""
    first: dict[int, str] = {}
    for key, site in site_of.items():
        if site not in first or key < first[site]:
            first[site] = key
    return {site: hashlib.sha256(key.encode()).hexdigest()[:16] for site, key in first.items()}


def _describe(recs: list[Any]) -> dict[str, Any]:
    """Name, address, postcode, district and sector of a business, from its best record."""
    best = _best(recs)
    pc = parse_postcode(best.postcode or "") or next(
        (p for p in (parse_postcode(r.postcode or "") for r in recs) if p), "")
    sector = next((r.sector for r in sorted(recs, key=lambda r: describe_rank(r.sharing)) if r.sector), "")
    return {"name": (best.trading_name or best.company_name or "")[:200], "address": (best.address or "")[:300],
            "postcode": pc, "district": postcode_district(pc), "sector": sector[:60], "active": True,
            "merged_into_id": None}


def _refresh_businesses(session: Session, members: dict[int, list[Any]], business_of: dict[int, int],
                        described: dict[int, dict[str, Any]], current: dict[int, Any], created: set[int],
                        now: datetime) -> None:
    """Bring each business that was there before the run up to date (`current`: as it was); retire the ones
    left empty."""
    updates = []
    for cluster, values in described.items():
        bid = business_of[cluster]
        if bid in created:
            continue
        old = current.get(bid)
        if old is None or any(getattr(old, k) != v for k, v in values.items()):
            updates.append({"id": bid, "matched_at": now, **values})
    # Businesses no cluster claimed: retired; if all their records went to one other business, merged into it.
    claimed = set(business_of.values())
    went_to: dict[int, set[int]] = defaultdict(set)
    for cluster, recs in members.items():
        for r in recs:
            if r.business_id is not None and r.business_id not in claimed:
                went_to[r.business_id].add(business_of[cluster])
    for bid, old in current.items():
        if bid in claimed or not old.active:
            continue
        targets = went_to.get(bid, set())
        updates.append({"id": bid, "active": False, "matched_at": now,
                        "merged_into_id": next(iter(targets)) if len(targets) == 1 else None})
    if updates:
        _update_by_id(session, Business, updates)


def _store_connections(session: Session, connections: list[Any], business_of: dict[int, int]) -> int:
    """Businesses linked by a shared phone or contact (a possible network) or one building (a flat and the shop
    below), replaced on every run."""
    session.execute(delete(BusinessLink))
    seen: dict[tuple[int, int, str], str] = {}
    for c in connections:
        a, b = business_of[c.cluster_a], business_of[c.cluster_b]
        if a == b:
            continue
        a, b = min(a, b), max(a, b)
        seen.setdefault((a, b, c.kind), c.value)
    if seen:
        now = datetime.now(timezone.utc)
        session.connection().execute(insert(BusinessLink.__table__), [
            {"business_a_id": a, "business_b_id": b, "kind": kind, "value": value[:200], "created_at": now}
            for (a, b, kind), value in seen.items()
        ])
    return len(seen)


def connected_businesses(session: Session, business_id: int) -> dict[int, str]:
    """Businesses connected to this one, each with what connects them ("Shared phone, Same building")."""
    return connected_businesses_of(session, {business_id})[business_id]


def connected_businesses_of(session: Session, business_ids: set[int]) -> dict[int, dict[int, str]]:
    """`connected_businesses` for several businesses at once (a calendar's month of visits): one query per 900."""
    from core.matching import connection_label

    kinds: dict[int, dict[int, list[str]]] = {b: defaultdict(list) for b in business_ids}
    ids = sorted(business_ids)
    for chunk in (ids[i:i + 900] for i in range(0, len(ids), 900)):
        for a, b, kind in session.execute(
                select(BusinessLink.business_a_id, BusinessLink.business_b_id, BusinessLink.kind)
                .where(or_(BusinessLink.business_a_id.in_(chunk), BusinessLink.business_b_id.in_(chunk)))
                .order_by(BusinessLink.kind)):
            if a in kinds:
                kinds[a][b].append(connection_label(kind))
            if b in kinds:
                kinds[b][a].append(connection_label(kind))
    return {b: {other: ", ".join(labels) for other, labels in found.items()} for b, found in kinds.items()}


def _store_review(session: Session, review: list[Any]) -> int:
    """The uncertain pairs waiting for a person, most likely first (replaced on every run)."""
    session.execute(delete(MatchReview))
    pairs = sorted(review, key=lambda p: -p.score)[:MAX_REVIEW_PAIRS]
    if pairs:
        now = datetime.now(timezone.utc)
        batch = []
        for p in pairs:
            a_ds, a_ref = split_key(p.a)
            b_ds, b_ref = split_key(p.b)
            batch.append({"a_dataset_id": a_ds, "a_reference": a_ref, "b_dataset_id": b_ds, "b_reference": b_ref,
                          "score": round(p.score), "created_at": now,
                          "fields": {k: {"level": f.level, "similarity": round(f.similarity), "weight": round(f.weight, 2)}
                                     for k, f in p.fields.items()}})
        session.connection().execute(insert(MatchReview.__table__), batch)
    return len(pairs)
