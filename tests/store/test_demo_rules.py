"""The demo partnership obeys every sharing rule the product shows (README, "Pages").

Partnerships judge the product on the demo, so the demo's own content must not break the rules the
pages enforce. What each reader may see is computed here with plain queries (the app's visibility
helpers are deliberately not used, so a bug there cannot hide a breach here):

- a dataset is "full" (partners read its records), "interest-only" (partners see only that the agency
  holds the business, and its band) or "owner-only" (partners see nothing, not even that it holds it);
- a business may be named to a reader only when the reader may read one of its current records (a
  full dataset's, or the reader's own agency's);
- text many people read (actions, agenda items and minutes, tasking reasons, visit reasons and
  briefings, referral decisions, milestones, updates, operation notes, audit summaries) is read by
  every partner: it may name a business only when the business has a current record in a fully shared
  dataset, and may list an agency's holding only when it is not owner-only data;
- a referral whose handling code keeps it inside the originating agency is never sent; one whose
  partners see only a summary carries a sanitised summary that does not repeat the body.
"""
from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from core import grading
from core.store import Store
from core.store.models import (
    Action,
    ActionLink,
    ActionUpdate,
    Agency,
    AgencyRecord,
    AgendaItem,
    AuditEvent,
    Business,
    Dataset,
    Meeting,
    Milestone,
    Operation,
    Referral,
    ReferralRecipient,
    TaskingRequest,
    User,
    Visit,
    VisitAgency,
    WarningMarker,
)

BANDS = ("high", "medium", "low", "interest", "held")
SHOWN = 8  # breaches quoted in a failure message


@dataclass(frozen=True)
class Text:
    """One piece of shared text: where it is, the business it is about (if any), and the words."""

    where: str
    business_id: int | None
    words: str


@dataclass
class Demo:
    """What every reader may see of the seeded demo, from plain queries."""

    codes: dict[int, str]
    full: set[int]  # businesses with a current record in a fully shared dataset: every partner may read them
    own: dict[int, set[int]]  # agency id -> businesses it holds a current record of (any sharing)
    shared_holders: dict[int, set[str]]  # business -> agencies holding it in data that is not owner-only
    owner_only_holders: dict[int, set[str]]  # business -> agencies holding it only in owner-only data
    owner_only_codes: set[str]  # agencies whose every dataset is owner-only: never listed by others' text
    names: dict[int, set[str]]  # business -> every name it carries (its own and its records'), normalised
    places: dict[int, set[str]]  # business -> its number and street, as each record writes it, normalised
    readable_names: set[str]  # names carried by records in fully shared datasets: every partner may read them
    root: dict[int, int]  # business -> the business it was merged into (itself if not merged)
    premises: dict[int, set[str]] = field(default_factory=dict)  # business -> how visits write its premises
    texts: list[Text] = field(default_factory=list)

    def readable_by(self, agency_id: int) -> set[int]:
        return self.full | self.own.get(agency_id, set())


# Street words as agencies abbreviate them, so "37 KING ST" and "37 King Street" read as the same premises.
ABBREVIATED = {"st": "street", "rd": "road", "ave": "avenue", "ln": "lane", "cres": "crescent", "pde": "parade",
               "est": "estate", "ind": "industrial", "bus": "business", "pk": "park", "pl": "place",
               "gdns": "gardens", "ter": "terrace", "dr": "drive", "cl": "close", "limited": "ltd"}


def norm(text: str) -> str:
    """Lower case, "&" as "and", punctuation as spaces, street words written out."""
    words = re.sub(r"[^\w'\s]", " ", text.lower().replace("&", " and ")).split()
    return " ".join(ABBREVIATED.get(w, w) for w in words)


def aliases(name: str) -> set[str]:
    """The ways text may write a name: as recorded, without "Ltd" or a leading "The", without a "(sector)" note."""
    bare = re.sub(r"\s*\([^)]*\)\s*$", "", name)
    out = {norm(name), norm(bare)}
    for n in list(out):
        n = n.removesuffix(" ltd").removeprefix("the ")
        out.add(n)
    return {n for n in out if n}


def street_address(address: str) -> str:
    """The number and street of an address ("12 High Street" of "12, High St, Kingsmere"; "unit 3 oak trading estate"
    of "Unit 3, Oak Trading Est"), "" without a number."""
    parts = [p.strip() for p in address.split(",")]
    line = " ".join(parts[:2]) if re.fullmatch(r"(?i)((unit|flat) )?\d+\w?", parts[0]) else parts[0]
    line = norm(line)
    return line if any(ch.isdigit() for ch in line) else ""


def mentions(text: str, name: str) -> bool:
    """`name` appears in `text` as whole words (both normalised)."""
    return re.search(rf"(?<![\w]){re.escape(name)}(?![\w])", text) is not None


def load(session: Session) -> Demo:
    codes = dict(session.execute(select(Agency.id, Agency.code)).all())
    sharing = {d: (s, a) for d, s, a in session.execute(select(Dataset.id, Dataset.sharing, Dataset.agency_id))}
    agency_sharing: dict[int, set[str]] = defaultdict(set)
    for s, a in sharing.values():
        agency_sharing[a].add(s)
    owner_only_codes = {codes[a] for a, kinds in agency_sharing.items() if kinds == {"owner-only"}}

    merged = dict(session.execute(select(Business.id, Business.merged_into_id)).all())

    def root_of(b: int) -> int:
        seen = set()
        while merged.get(b) is not None and b not in seen:
            seen.add(b)
            b = merged[b]
        return b

    root = {b: root_of(b) for b in merged}
    full: set[int] = set()
    own: dict[int, set[int]] = defaultdict(set)
    shared_holders: dict[int, set[str]] = defaultdict(set)
    all_holders: dict[int, set[str]] = defaultdict(set)
    names: dict[int, set[str]] = defaultdict(set)
    places: dict[int, set[str]] = defaultdict(set)
    readable_names: set[str] = set()
    for bid, name, address in session.execute(select(Business.id, Business.name, Business.address)):
        names[root[bid]] |= aliases(name)
        places[root[bid]] |= {street_address(address)} - {""}
    records = session.execute(select(AgencyRecord.business_id, AgencyRecord.dataset_id, AgencyRecord.agency_id,
                                     AgencyRecord.trading_name, AgencyRecord.company_name, AgencyRecord.address)
                              .where(AgencyRecord.current.is_(True), AgencyRecord.business_id.is_not(None))).all()
    for bid, did, aid, trading, company, address in records:
        bid, kind = root[bid], sharing[did][0]
        own[aid].add(bid)
        all_holders[bid].add(codes[aid])
        if kind == "full":
            full.add(bid)
            readable_names |= aliases(trading) | aliases(company)
        if kind != "owner-only":
            shared_holders[bid].add(codes[aid])
        names[bid] |= aliases(trading) | aliases(company)
        places[bid] |= {street_address(address)} - {""}
    demo = Demo(codes=codes, full=full, own=dict(own), shared_holders=dict(shared_holders),
                owner_only_holders={b: hs - shared_holders.get(b, set()) for b, hs in all_holders.items()},
                owner_only_codes=owner_only_codes, names=dict(names), places=dict(places),
                readable_names=readable_names, root=root)
    demo.texts = shared_texts(session, demo)
    return demo


def shared_texts(session: Session, demo: Demo) -> list[Text]:
    """Every piece of demo text every partner reads, with the business it is about."""
    out: list[Text] = []

    def add(where: str, business_id: int | None, *words: str | None) -> None:
        for w in words:
            if w:
                out.append(Text(where, demo.root.get(business_id, business_id) if business_id else None, w))

    linked: dict[int, set[int]] = defaultdict(set)
    for action_id, business_id in session.execute(select(ActionLink.action_id, ActionLink.business_id)
                                                  .where(ActionLink.business_id.is_not(None))):
        linked[action_id].add(business_id)
    for a in session.scalars(select(Action)):
        for b in linked.get(a.id) or [None]:
            add(f"action {a.id}", b, a.title, a.description)
    for m in session.scalars(select(Milestone)):
        add(f"milestone {m.id}", None, m.title)
    for u in session.scalars(select(ActionUpdate)):
        add(f"action update {u.id}", None, u.note)
    for i in session.scalars(select(AgendaItem)):  # an action's item is about the action's business
        for b in [i.business_id] if i.business_id or not i.action_id else linked.get(i.action_id) or [None]:
            add(f"agenda item {i.id}", b, i.title, i.notes, i.decision)
    for t in session.scalars(select(TaskingRequest)):
        add(f"tasking request {t.id}", t.business_id, t.reason)
    for v in session.scalars(select(Visit)):
        add(f"visit {v.id}", v.business_id, v.briefing, *(v.reasons or []))
        if v.business_id:
            demo.premises.setdefault(demo.root.get(v.business_id, v.business_id), set()).update(
                aliases(v.premises_text) | aliases(v.premises_text.split(",")[0]))
    for va in session.scalars(select(VisitAgency)):
        add(f"visit {va.visit_id} agency {va.agency_id}", None, va.objectives, (va.outcome or {}).get("notes"))
    for r in session.scalars(select(ReferralRecipient)):
        add(f"referral {r.referral_id} decision", None, r.decision_reason)
    for o in session.scalars(select(Operation)):
        add(f"operation {o.id}", None, o.name, o.notes)
    for m in session.scalars(select(Meeting)):
        add(f"meeting {m.id}", None, m.location)
    for e in session.scalars(select(AuditEvent)):
        add(f"audit event {e.id}", None, e.summary)
    return out


@pytest.fixture(scope="module")
def demo(demo_url: str) -> Iterator[Demo]:
    """The seeded demo (session-wide, read only) as every reader may see it."""
    store = Store(demo_url, migrate=False)
    with store.read() as session:
        yield load(session.session)
    store.dispose()


def breaches(found: list[str]) -> str:
    return f"{len(found)} breaches, e.g.:\n  " + "\n  ".join(found[:SHOWN])


# --- naming a business ------------------------------------------------------------------------------


def test_shared_text_names_only_businesses_every_partner_may_read(demo: Demo) -> None:
    """Text every partner reads names a business only if it has a current record in a fully shared dataset.

    Two checks: text about a business (its visit, tasking request, agenda item, linked action) that not every
    partner may read carries none of its names, nor its number and street; and no other shared text (text about
    no business, or about one not every partner may read) carries a name that only such businesses carry (a name
    a readable business also carries, like a chain's, is no breach).
    """
    found = []
    for t in demo.texts:
        if t.business_id is None or t.business_id in demo.full:
            continue
        words = norm(t.words)
        known = (demo.names.get(t.business_id, set()) | demo.places.get(t.business_id, set())
                 | demo.premises.get(t.business_id, set()))
        hits = sorted(n for n in known if len(n) >= 4 and mentions(words, n))
        if hits:
            found.append(f"{t.where} is about business {t.business_id} (no fully shared record) and names it "
                         f"{hits[0]!r}: {t.words[:120]!r}")
    hidden_names = {n for b, ns in demo.names.items() if b not in demo.full for n in ns
                    if len(n) >= 6 and " " in n} - demo.readable_names
    for t in demo.texts:
        if t.business_id in demo.full:  # about a business every partner may read: the rule lets it name it
            continue
        words = norm(t.words)
        for n in sorted(hidden_names):
            if n in words and mentions(words, n):
                found.append(f"{t.where} names {n!r}, carried only by businesses no partner may read: {t.words[:120]!r}")
                break
    assert not found, breaches(found)


def test_actions_and_tasking_link_only_businesses_every_partner_may_read(demo_url: str, demo: Demo) -> None:
    """An action's linked business, a tasking request's business and an agenda item's business are shown by name
    to everyone who reads the action or the agenda ("Business: <name>, <address>", "Tasking: <name>")."""
    store = Store(demo_url, migrate=False)
    found = []
    with store.read() as s:
        for model, where in ((ActionLink, "action {}"), (TaskingRequest, "tasking request {}"),
                             (AgendaItem, "agenda item {}")):
            for row in s.session.scalars(select(model).where(model.business_id.is_not(None))):
                bid = demo.root.get(row.business_id, row.business_id)
                if bid not in demo.full:
                    key = row.action_id if model is ActionLink else row.id
                    found.append(f"{where.format(key)} links business {bid}, which no partner outside its holders "
                                 f"may read (held by {sorted(demo.owner_only_holders.get(bid, set()) | demo.shared_holders.get(bid, set()))})")
    store.dispose()
    assert not found, breaches(found)


# --- listing holdings -----------------------------------------------------------------------------------


def test_shared_text_never_lists_an_owner_only_holding(demo: Demo) -> None:
    """"Held by: TS (high), HMRC (interest)" is fine; an agency that holds the business only in owner-only data is
    never listed, nor counted ("Held by 3 agencies" with two listed)."""
    found = []
    owner_only = "|".join(sorted(map(re.escape, demo.owner_only_codes))) or "(?!)"
    listed = re.compile(rf"\b({owner_only})\b\s*\(?\s*({'|'.join(BANDS)})\b")
    code_re = re.compile(r"\b([A-Z]{2,5})\b")
    count_re = re.compile(r"\b(\d+) agencies\b")
    for t in demo.texts:
        if m := listed.search(t.words):
            found.append(f"{t.where} lists an owner-only holding {m.group(0)!r}: {t.words[:120]!r}")
            continue
        if t.business_id is None:
            continue
        codes = set(code_re.findall(t.words)) & set(demo.codes.values())
        hidden = codes & demo.owner_only_holders.get(t.business_id, set())
        if hidden:
            found.append(f"{t.where} names {sorted(hidden)}, which hold business {t.business_id} only in owner-only "
                         f"data: {t.words[:120]!r}")
            continue
        if (m := count_re.search(t.words)) and codes and int(m.group(1)) != len(codes):
            found.append(f"{t.where} counts {m.group(1)} agencies but lists {sorted(codes)}: {t.words[:120]!r}")
    assert not found, breaches(found)


# --- referrals --------------------------------------------------------------------------------------------


def test_a_report_kept_inside_the_originating_agency_is_never_sent(demo_url: str) -> None:
    """5x5x5 handling code 4 ("within the originating agency only"): no recipients, never sent."""
    store = Store(demo_url, migrate=False)
    with store.read() as s:
        refs = list(s.session.scalars(select(Referral).where(Referral.handling_code.is_not(None))))
        recipients: dict[int, int] = defaultdict(int)
        for rid in s.session.scalars(select(ReferralRecipient.referral_id)):
            recipients[rid] += 1
    store.dispose()
    kept = [r for r in refs if grading.visibility(r.scheme, r.handling_code) == "originator"]
    found = [f"referral {r.id} ({r.scheme} handling {r.handling_code}) is {r.status} to {recipients[r.id]} agencies"
             for r in kept if r.status == "sent" or r.sent_at is not None or recipients[r.id]]
    assert not found, breaches(found)


def test_referrals_are_about_businesses_their_sender_may_read(demo_url: str, demo: Demo) -> None:
    """Submit intelligence offers (and links) only businesses the sender may read: held in a fully shared dataset or
    by the sender's own agency, never one only another agency's owner-only or interest-only data holds."""
    store = Store(demo_url, migrate=False)
    with store.read() as s:
        refs = s.session.execute(select(Referral.id, Referral.business_id, Referral.sender_agency_id)
                         .where(Referral.business_id.is_not(None))).all()
    store.dispose()
    found = [f"referral {rid} from {demo.codes[aid]} is about business {demo.root.get(bid, bid)}, which "
             f"{demo.codes[aid]} may not read" for rid, bid, aid in refs
             if demo.root.get(bid, bid) not in demo.readable_by(aid)]
    assert refs
    assert not found, breaches(found)


def sentences(text: str) -> list[str]:
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+", text) if len(s.strip()) >= 20]


def test_summary_only_reports_carry_a_sanitised_summary(demo_url: str) -> None:
    """Handling codes whose partners see only the summary (5x5x5 code 5, 3x5x2 C): the summary is there and does
    not repeat the body (nor any sentence of it)."""
    store = Store(demo_url, migrate=False)
    with store.read() as s:
        refs = list(s.session.scalars(select(Referral).where(Referral.status == "sent")))
    store.dispose()
    found = []
    summary_only = [r for r in refs if grading.visibility(r.scheme, r.handling_code) == "summary"]
    for r in summary_only:
        summary, body = norm(r.summary or ""), norm(r.body or "")
        if not summary:
            found.append(f"referral {r.id} (handling {r.handling_code}) has no summary")
        elif summary == body or (body and body in summary) or any(norm(x) in summary for x in sentences(r.body or "")):
            found.append(f"referral {r.id} (handling {r.handling_code}) repeats its body in the summary: {r.summary[:120]!r}")
    assert summary_only, "the demo shows summary-only handling"
    assert not found, breaches(found)


# --- markers and weeks of action ------------------------------------------------------------------------------


def test_warning_markers_are_placed_by_agencies_that_may_read_the_premises(demo_url: str, demo: Demo) -> None:
    """An agency adds markers to premises it knows: a business it may read, or one it visits."""
    store = Store(demo_url, migrate=False)
    with store.read() as s:
        markers = list(s.session.scalars(select(WarningMarker).where(WarningMarker.business_id.is_not(None))))
        on_visit: dict[int, set[int]] = defaultdict(set)
        for bid, aid in s.session.execute(select(Visit.business_id, VisitAgency.agency_id)
                                  .join(VisitAgency, VisitAgency.visit_id == Visit.id)):
            on_visit[aid].add(demo.root.get(bid, bid))
    store.dispose()
    found = []
    for m in markers:
        bid = demo.root.get(m.business_id, m.business_id)
        if bid not in demo.readable_by(m.agency_id) and bid not in on_visit[m.agency_id]:
            found.append(f"marker {m.id} by {demo.codes[m.agency_id]} on business {bid}, which "
                         f"{demo.codes[m.agency_id]} may not read")
    assert markers
    assert not found, breaches(found)


def test_weeks_of_action_visit_premises_their_coordinator_could_pick(demo_url: str, demo: Demo) -> None:
    """Weeks of action pick premises that two or more agencies hold, other agencies' owner-only data not counted,
    and that the coordinator may read."""
    store = Store(demo_url, migrate=False)
    with store.read() as s:
        rows = s.session.execute(select(Visit.id, Visit.business_id, User.agency_id)
                         .join(Operation, Operation.id == Visit.operation_id)
                         .join(User, User.id == Operation.coordinator_id)).all()
    store.dispose()
    found = []
    for vid, bid, aid in rows:
        bid = demo.root.get(bid, bid)
        code = demo.codes[aid]
        held = demo.shared_holders.get(bid, set()) | ({code} if bid in demo.own.get(aid, set()) else set())
        if bid not in demo.readable_by(aid) or len(held) < 2:
            found.append(f"visit {vid} in a week of action is at business {bid}, held by {sorted(held)} as its "
                         f"coordinator's agency ({code}) sees it")
    assert rows
    assert not found, breaches(found)
