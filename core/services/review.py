"""The review queue: people decide the pairs the matcher was unsure about, and correct clusters.

Decisions are stored against (dataset, reference), so every later matching run respects them: a
"match" always links the two records, a "no match" never lets them share a business, even through
other records. A pair is reviewed by an analyst of an agency holding one of its records, and only
when the other record is one that agency may read (a fully shared dataset or its own).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import and_, delete, func, or_, select
from sqlalchemy.orm import Session, aliased

from core.errors import Conflict, Forbidden, NotFound, ValidationError
from core.matching.calibration import decided_bands, in_words
from core.matching.patterns import describe_levels, describe_pattern, pattern_key
from core.permissions import Actor, allowed, ensure
from core.services.audit import record
from core.services.linking import LinkSummary, last_run, lock_matching, relink
from core.store.uow import UnitOfWork
from core.store.models import Agency, AgencyRecord, Dataset, MatchDecision, MatchReview
from core.visibility import ensure_business, readable_datasets

DECISIONS = ("match", "no match", "unsure")
FIELDS = ("trading_name", "company_name", "address", "postcode", "phone", "contact", "sector", "risk_value",
          "last_contact")


@dataclass(frozen=True)
class ReviewPair:
    id: int
    score: int
    fields: dict[str, Any]
    a: dict[str, Any]
    b: dict[str, Any]
    likely: str = ""   # "64% likely, says the matcher; the partnership's analysts found 7 of 19 ..."

    @property
    def in_words(self) -> str:
        """"Same street, number and postcode; different name; no phone or contact to compare"."""
        return describe_levels({f: (a or {}).get("level", "") for f, a in (self.fields or {}).items()}).capitalize()


def _readable(session: Session, actor: Actor) -> dict[int, tuple[int, str]]:
    """Datasets whose records this analyst may read in full: dataset id -> (agency id, agency code)."""
    rows = session.execute(
        select(Dataset.id, Dataset.agency_id, Agency.code).join(Agency, Agency.id == Dataset.agency_id)
        .where(readable_datasets(actor))
    ).all()
    return {d: (a, c) for d, a, c in rows}


def _may_review(actor: Actor, readable: dict[int, tuple[int, str]], a_ds: int, b_ds: int) -> bool:
    if a_ds not in readable or b_ds not in readable:
        return False
    return allowed(actor, "match.review", agency_id=[readable[a_ds][0], readable[b_ds][0]])


def _record(session: Session, dataset_id: int, reference: str, code: str) -> dict[str, Any]:
    rec = session.scalars(select(AgencyRecord).where(AgencyRecord.dataset_id == dataset_id,
                                                     AgencyRecord.reference == reference,
                                                     AgencyRecord.current.is_(True))).first()
    if rec is None:
        return {"agency": code, "reference": reference, "missing": True}
    return {"agency": code, "reference": reference, "business_id": rec.business_id,
            **{f: getattr(rec, f) for f in FIELDS}}


def _reviewable(session: Session, actor: Actor) -> tuple[list[MatchReview], dict[int, tuple[int, str]]]:
    """The queued pairs this analyst may decide, the ones that change the list most first: pairs whose
    two businesses hold the most agencies between them (joining or splitting a multi-agency business),
    then the likeliest match. Agencies are counted from records the analyst may read."""
    readable = _readable(session, actor)
    own = [d for d, (a, _c) in readable.items() if a == actor.agency_id]
    if not own:
        return [], readable
    pending = session.scalars(
        select(MatchReview).where(or_(MatchReview.a_dataset_id.in_(own), MatchReview.b_dataset_id.in_(own)))
        .order_by(MatchReview.score.desc(), MatchReview.id)
    ).all()
    mine = [p for p in pending if _may_review(actor, readable, p.a_dataset_id, p.b_dataset_id)]
    if not mine:
        return [], readable
    keys = {(p.a_dataset_id, p.a_reference) for p in mine} | {(p.b_dataset_id, p.b_reference) for p in mine}
    business: dict[tuple[int, str], int | None] = {}
    unnamed: set[tuple[int, str]] = set()
    for d, ref, bid, trading, company in session.execute(
            select(AgencyRecord.dataset_id, AgencyRecord.reference, AgencyRecord.business_id,
                   AgencyRecord.trading_name, AgencyRecord.company_name)
            .where(AgencyRecord.current.is_(True), AgencyRecord.dataset_id.in_({d for d, _r in keys}))):
        if (d, ref) in keys:
            business[(d, ref)] = bid
            if not (trading or "").strip() and not (company or "").strip():
                unnamed.add((d, ref))
    agencies: dict[int, set[int]] = {}
    ids = {b for b in business.values() if b is not None}
    if ids:
        for bid, agency in session.execute(
                select(AgencyRecord.business_id, AgencyRecord.agency_id).distinct()
                .where(AgencyRecord.current.is_(True), AgencyRecord.business_id.in_(ids),
                       AgencyRecord.dataset_id.in_(list(readable)))):
            agencies.setdefault(bid, set()).add(agency)

    def reach(p: MatchReview) -> int:
        held = {readable[p.a_dataset_id][0], readable[p.b_dataset_id][0]}
        for key in ((p.a_dataset_id, p.a_reference), (p.b_dataset_id, p.b_reference)):
            held |= agencies.get(business.get(key) or -1, set())
        return len(held)

    mine.sort(key=lambda p: (-reach(p), -p.score, p.id))
    # One question per two businesses (the first of their pairs this analyst may decide), and an address-only
    # record once: deciding it settles the rest, and the next matching run asks again if it does not.
    asked: set[tuple[int, int]] = set()
    asked_unnamed: set[tuple[int, str]] = set()
    questions = []
    for p in mine:
        a, b = (p.a_dataset_id, p.a_reference), (p.b_dataset_id, p.b_reference)
        ba, bb = business.get(a), business.get(b)
        pair = (min(ba, bb), max(ba, bb)) if ba is not None and bb is not None else None
        bare = {a, b} & unnamed
        if (pair is not None and pair in asked) or bare & asked_unnamed:
            continue
        if pair is not None:
            asked.add(pair)
        asked_unnamed |= bare
        questions.append(p)
    return questions, readable


def queue(uow: UnitOfWork, *, actor: Actor, limit: int = 50) -> tuple[list[ReviewPair], int]:
    """The pairs waiting for this analyst's agency (those that change the list most first), and how many."""
    ensure(actor, "match.review")
    s = uow.session
    mine, readable = _reviewable(s, actor)
    bands = _decided_bands(s)
    out = [_review_pair(s, p, readable, bands) for p in mine[:limit]]
    return out, len(mine)


def _decided_bands(session: Session) -> dict:
    """How often the partnership's reviewed pairs turned out one business, per band of the matcher's score
    (counts only: no record of any agency is read)."""
    return decided_bands(session.execute(select(MatchDecision.score, MatchDecision.decision)
                                         .where(MatchDecision.score.is_not(None))).all())


def _review_pair(session: Session, p: MatchReview, readable: dict[int, tuple[int, str]],
                 bands: dict | None = None) -> ReviewPair:
    return ReviewPair(p.id, p.score, p.fields,
                      _record(session, p.a_dataset_id, p.a_reference, readable[p.a_dataset_id][1]),
                      _record(session, p.b_dataset_id, p.b_reference, readable[p.b_dataset_id][1]),
                      likely=in_words(p.score, bands))


def _pattern(p: MatchReview, readable: dict[int, tuple[int, str]]) -> str:
    return pattern_key(p.fields or {}, readable[p.a_dataset_id][1], readable[p.b_dataset_id][1])


@dataclass(frozen=True)
class Pattern:
    key: str
    label: str        # in words: "HMRC and TS records: same street, number and postcode; different name"
    pairs: int
    mean_score: int
    example: ReviewPair
    likely: str = ""   # the mean score in words, with the partnership's decisions in its band


def patterns(uow: UnitOfWork, *, actor: Actor, min_pairs: int = 2) -> list[Pattern]:
    """The analyst's queue grouped by pattern (the two agencies and how each field agrees), biggest first."""
    ensure(actor, "match.review")
    s = uow.session
    mine, readable = _reviewable(s, actor)
    groups: dict[str, list[MatchReview]] = {}
    for p in mine:
        groups.setdefault(_pattern(p, readable), []).append(p)
    bands = _decided_bands(s)
    out = []
    for k, ps in groups.items():
        if len(ps) >= min_pairs:
            mean = round(sum(p.score for p in ps) / len(ps))
            out.append(Pattern(k, describe_pattern(k), len(ps), mean, _review_pair(s, ps[0], readable, bands),
                               in_words(mean, bands)))
    return sorted(out, key=lambda g: (-g.pairs, g.key))


def decide_pattern(uow: UnitOfWork, *, actor: Actor, key: str, decision: str, expected: int) -> int:
    """Decide every queued pair of one pattern that this analyst may decide, in one step.

    `expected` is how many pairs the analyst was shown: if the queue changed since (a colleague decided
    some, or matching ran again), nothing is recorded and the analyst is asked to look again."""
    ensure(actor, "match.review")
    if decision not in DECISIONS:
        raise ValidationError(f"Decision: choose one of {', '.join(DECISIONS)}.")
    s = uow.session
    lock_matching(s)
    mine, readable = _reviewable(s, actor)
    chosen = [p for p in mine if _pattern(p, readable) == key]
    if not chosen or len(chosen) != expected:
        raise Conflict(f"The queue has changed since you looked: {len(chosen):,} pairs have this pattern now, not "
                       f"{expected:,}. Nothing was recorded; look at the pattern again and decide.")
    # Take the pairs off the queue first: a colleague deciding the same pairs at the same moment then finds
    # fewer than expected, and everything of theirs is rolled back.
    gone = s.execute(delete(MatchReview).where(MatchReview.id.in_([p.id for p in chosen])))
    if gone.rowcount != len(chosen):
        raise Conflict("A colleague decided some of these pairs at the same moment. Nothing was recorded; look "
                       "at the pattern again.")
    label = describe_pattern(key)
    for p in chosen:
        _decide(s, actor, (p.a_dataset_id, p.a_reference), (p.b_dataset_id, p.b_reference), decision,
                f"Pattern ({label})")
    if decision != "unsure":
        _settle(s, [(p.a_dataset_id, p.a_reference, p.b_dataset_id, p.b_reference) for p in chosen])
    uow.commit()
    return len(chosen)


def _settle(session: Session, decided: list[tuple[int, str, int, str]]) -> None:
    """Take off the queue the other pairs between the same two businesses as pairs decided "match" or "no
    match": one decision settles them (the next matching run joins the two businesses, or keeps them apart)."""
    def business(dataset_id: int, reference: str) -> int | None:
        return session.scalar(select(AgencyRecord.business_id).where(
            AgencyRecord.dataset_id == dataset_id, AgencyRecord.reference == reference, AgencyRecord.current.is_(True)))

    settled = set()
    for a_dataset, a_reference, b_dataset, b_reference in decided:
        ba, bb = business(a_dataset, a_reference), business(b_dataset, b_reference)
        if ba is not None and bb is not None and ba != bb:
            settled.add((min(ba, bb), max(ba, bb)))
    if not settled:
        return
    ra, rb = aliased(AgencyRecord), aliased(AgencyRecord)
    held = {b for pair in settled for b in pair}
    rows = session.execute(
        select(MatchReview.id, ra.business_id, rb.business_id)
        .join(ra, and_(ra.dataset_id == MatchReview.a_dataset_id, ra.reference == MatchReview.a_reference,
                       ra.current.is_(True)))
        .join(rb, and_(rb.dataset_id == MatchReview.b_dataset_id, rb.reference == MatchReview.b_reference,
                       rb.current.is_(True)))
        .where(ra.business_id.in_(held), rb.business_id.in_(held))).all()
    gone = [rid for rid, x, y in rows if x is not None and y is not None and (min(x, y), max(x, y)) in settled]
    if gone:
        session.execute(delete(MatchReview).where(MatchReview.id.in_(gone)))


def _decide(session: Session, actor: Actor, a: tuple[int, str], b: tuple[int, str], decision: str, why: str,
            score: int | None = None) -> None:
    if a > b:
        a, b = b, a
    d = MatchDecision(a_dataset_id=a[0], a_reference=a[1], b_dataset_id=b[0], b_reference=b[1], decision=decision,
                      decided_by_id=actor.id, decided_at=datetime.now(timezone.utc), score=score)
    session.add(d)
    session.flush()
    record(session, actor, action="match.decide", entity="match_decision", entity_id=d.id,
           after={"a": f"{a[0]}:{a[1]}", "b": f"{b[0]}:{b[1]}", "decision": decision},
           summary=f"{why}: {a[1]} / {b[1]} → {decision}")


def decide(uow: UnitOfWork, *, actor: Actor, review_id: int, decision: str) -> None:
    """Record a decision on a queued pair; it leaves the queue and binds every later matching run. The pair's
    score is kept with it: the partnership's decisions per band of score are shown beside later scores (a
    pattern decided at once is not counted there: its pairs were not each looked at)."""
    if decision not in DECISIONS:
        raise ValidationError(f"Decision: choose one of {', '.join(DECISIONS)}.")
    s = uow.session
    pair = s.get(MatchReview, review_id)
    if pair is None:
        raise NotFound("That pair has already been decided (perhaps by a colleague); the queue has moved on.")
    readable = _readable(s, actor)
    if not _may_review(actor, readable, pair.a_dataset_id, pair.b_dataset_id):
        raise Forbidden("You may decide only pairs that include your agency's records and records it may read.")
    _decide(s, actor, (pair.a_dataset_id, pair.a_reference), (pair.b_dataset_id, pair.b_reference), decision,
            "Reviewed pair", pair.score)
    key = (pair.a_dataset_id, pair.a_reference, pair.b_dataset_id, pair.b_reference)
    s.delete(pair)
    s.flush()
    if decision != "unsure":
        _settle(s, [key])
    uow.commit()


def pending_decisions(uow: UnitOfWork, *, actor: Actor) -> int:
    """Decisions recorded since the last matching run (they take effect when it runs again)."""
    ensure(actor, "match.review")
    s = uow.session
    last = last_run(s)
    q = select(func.count()).select_from(MatchDecision)
    if last is not None:
        q = q.where(MatchDecision.decided_at > last)
    return int(s.scalar(q) or 0)


def apply_decisions(uow: UnitOfWork, *, actor: Actor, progress: Any = None) -> LinkSummary:
    """Run the matching again now, so recorded decisions, splits and merges show on the list."""
    ensure(actor, "match.review")
    summary = relink(uow.session, progress=progress)
    record(uow.session, actor, action="match.relink", entity="risk_list",
           after={"records": summary.records, "businesses": summary.businesses,
                  "review_pairs": summary.review_pairs},
           summary=f"Re-matched {summary.records} records into {summary.businesses} businesses")
    uow.commit()
    return summary


def _business_records(session: Session, actor: Actor, business_id: int) -> list[tuple[int, str, int]]:
    """The business's current records, when the analyst's agency may read the business at all (NotFound otherwise)."""
    business_id = ensure_business(session, actor, business_id)
    rows = session.execute(
        select(AgencyRecord.dataset_id, AgencyRecord.reference, AgencyRecord.agency_id)
        .where(AgencyRecord.business_id == business_id, AgencyRecord.current.is_(True))
    ).all()
    if not rows:
        raise NotFound(f"Business {business_id} has no current records.")
    return [(d, r, a) for d, r, a in rows]


def split(uow: UnitOfWork, *, actor: Actor, business_id: int, references: list[tuple[int, str]]) -> LinkSummary:
    """Take records out of a business: they may never again share a business with the rest."""
    ensure(actor, "match.review")
    s = uow.session
    rows = _business_records(s, actor, business_id)
    readable = _readable(s, actor)
    ensure(actor, "match.review", agency_id=[a for _d, _r, a in rows])
    if any(d not in readable for d, _r, _a in rows):
        raise ValidationError("This business holds records your agency may not read; ask the owning agency's "
                              "analyst to split it.")
    moving = {(int(d), r) for d, r in references}
    keys = {(d, r) for d, r, _a in rows}
    if not moving or not moving <= keys:
        raise ValidationError("Choose one or more of this business's records to split off.")
    if moving == keys:
        raise ValidationError("Leave at least one record in the business; choose fewer records to split off.")
    for a in sorted(moving):
        for b in sorted(keys - moving):
            _decide(s, actor, a, b, "no match", f"Split business {business_id}")
    summary = relink(s)
    uow.commit()
    return summary


def merge(uow: UnitOfWork, *, actor: Actor, business_id: int, other_id: int) -> LinkSummary:
    """Join two businesses: one record of each is decided a match, so they stay together."""
    ensure(actor, "match.review")
    if business_id == other_id:
        raise ValidationError("Choose two different businesses to merge.")
    s = uow.session
    first, second = _business_records(s, actor, business_id), _business_records(s, actor, other_id)
    readable = _readable(s, actor)
    ensure(actor, "match.review", agency_id=[a for _d, _r, a in first + second])
    if any(d not in readable for d, _r, _a in first + second):
        raise ValidationError("One of these businesses holds records your agency may not read; ask the owning "
                              "agency's analyst to merge them.")
    _decide(s, actor, first[0][:2], second[0][:2], "match", f"Merged businesses {business_id} and {other_id}")
    summary = relink(s)
    uow.commit()
    return summary


def records_of(uow: UnitOfWork, *, actor: Actor, business_id: int) -> list[dict[str, Any]]:
    """The business's records the analyst may read, to choose which to split off: dataset_id, reference, label."""
    ensure(actor, "match.review")
    s = uow.session
    readable = _readable(s, actor)
    out = []
    for d, r, _a in sorted(_business_records(s, actor, business_id), key=lambda x: (readable.get(x[0], (0, ""))[1], x[1])):
        if d in readable:
            rec = _record(s, d, r, readable[d][1])
            where = ", ".join(x for x in (rec.get("trading_name") or rec.get("company_name"), rec.get("address"),
                                          rec.get("postcode")) if x)
            out.append({"dataset_id": d, "reference": r, "label": f"{readable[d][1]} {r}: {where}"})
    return out


def references_for(uow: UnitOfWork, *, actor: Actor, business_id: int, text: str) -> list[tuple[int, str]]:
    """The business's records named in `text` (comma separated references), for a split."""
    ensure(actor, "match.review")
    wanted = [t.strip() for t in text.split(",") if t.strip()]
    if not wanted:
        raise ValidationError("References: list the records to split off, separated by commas.")
    s = uow.session
    rows = _business_records(s, actor, business_id)
    codes = dict(s.execute(select(Dataset.id, Agency.code).join(Agency, Agency.id == Dataset.agency_id)).all())
    found, unknown = [], []
    for w in wanted:
        code, ref = "", w
        if ":" in w and not any(r == w for _d, r, _a in rows):  # "FS:FHRS-001" names the agency too
            code, ref = w.split(":", 1)
        hits = [(d, r) for d, r, _a in rows if r == ref and (not code or codes.get(d) == code)]
        if hits:
            found.extend(hits)
        else:
            unknown.append(w)
    if unknown:
        raise ValidationError(f"Business {business_id} holds no record {', '.join(unknown)}; check the references "
                              "shown in its details on the risk list.")
    return found
