"""The hostile-partner probe's world: the demo partnership with a recognisable token planted in every value that
some user must not see, a few ordinary things users do on top, and an oracle saying which tokens each user may see.

The oracle is written here from the partnership's promises, with plain SQL reads. It deliberately does not use the
application's own visibility helpers (risk.visibility, risklist.listed_business_ids, withholding, permissions):
the probe is an independent check of them.

Tokens are "zqk" + a kind letter + four letters (no digits, so phone numbers and house numbers stay as they were).
Agency records keep their own text and get the token added where the matcher's normalised view of the record is
unchanged (a bracketed note on a name, a word before the house number...), so matching the planted records again
gives the demo's businesses, whose stored name, address and postcode then come from planted records.
"""
from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from sqlalchemy import select, text

from core.domain import Role
from core.errors import HubError
from core.grading import visibility as handling_visibility
from core.matching.link import _address, _names
from core.matching.normalise import extract_postcode, normalise_contact, normalise_phone, parse_postcode
from core.permissions import Actor
from core.services import linking, meetings, risklist, visits
from core.services.visits import TeamMember, VisitPlan
from core.store import Store
from core.store.models import (
    Agency,
    AgencyRecord,
    Board,
    Business,
    Dataset,
    Feedback,
    Referral,
    ReferralMessage,
    ReferralRecipient,
    User,
    Visit,
    VisitAgency,
    WarningMarker,
)

PREFIX = "zqk"
TOKEN_RE = re.compile(r"zqk[a-z]{5}")
KINDS = {
    "t": "record trading name", "c": "record company name", "a": "record address", "p": "record phone",
    "n": "record contact",
    "s": "referral subject", "l": "referral place", "b": "referral body", "m": "referral summary",
    "g": "referral message", "f": "feedback comments", "i": "feedback improve",
    "w": "marker subject", "d": "marker details",
    "v": "visit premises", "r": "visit briefing",
}
# A postcode as written (upper-cased first).
POSTCODE_RE = re.compile(r"(?<![A-Z0-9])([A-Z]{1,2}[0-9][A-Z0-9]?) ?([0-9][A-Z]{2})(?![A-Z0-9])")
MARKER_VIEW_ROLES = {Role.CHAIR, Role.COORDINATOR, Role.ANALYST, Role.OFFICER}  # never administrators


def token(kind: str, n: int) -> str:
    """A unique lower-case token for the n-th thing of a kind (four letters: up to 456,976 of each)."""
    assert kind in KINDS and 0 <= n < 26 ** 4
    letters = ""
    for _ in range(4):
        n, r = divmod(n, 26)
        letters = chr(97 + r) + letters
    return f"{PREFIX}{kind}{letters}"


def postcodes_in(value: str) -> set[str]:
    """Postcodes written in a text, as 'KM1 4AB'."""
    return {f"{a} {b}" for a, b in POSTCODE_RE.findall(value.upper())} if value else set()


def record_postcodes(postcode: str, address: str) -> set[str]:
    """The postcodes a record gives: its postcode field as the matcher reads it (O/0 and I/1 slips fixed), and any
    written in its address."""
    out = postcodes_in(postcode) | postcodes_in(address)
    for pc in (parse_postcode(postcode or ""), extract_postcode(address or "")[0]):
        if pc:
            out.add(pc)
    return out


@dataclass(frozen=True)
class Secret:
    kind: str
    owner: str  # what holds it, e.g. "record 12 (IE, owner-only)", "referral 7", "visit 3"


# --- planting ----------------------------------------------------------------------------------------------------


def _plant_name(value: str, tok: str) -> str:
    return f"{value} ({tok})"


def _plant_address(value: str, postcode: str, tok: str) -> str:
    """The token added where the matcher reads the same street, number, premises name and town."""
    want = _address(value.strip(), postcode.strip())
    parts = value.split(",")
    candidates = []
    for k, part in enumerate(parts):  # before the first word with a digit
        words = part.split(" ")
        i = next((j for j, w in enumerate(words) if re.search(r"\d", w)), None)
        if i is not None:
            candidates.append(",".join(parts[:k] + [" ".join(words[:i] + [tok] + words[i:])] + parts[k + 1:]))
            break
    candidates.append(f"{tok} {value}")
    candidates.append(",".join(parts[:-1] + [f"{parts[-1]} ({tok})"]) if len(parts) > 1 else f"{value} {tok}")
    candidates.append(",".join([f"{parts[0]} {tok}"] + parts[1:]))
    # No house number: a part of its own that the matcher reads as neither the premises' name nor the street.
    candidates += [",".join(parts[:k] + [f"{' ' if k else ''}premises {tok}"] + parts[k:]) for k in range(len(parts) + 1)]
    for c in candidates:
        if _address(c.strip(), postcode.strip()) == want:
            return c
    return candidates[0]


def _plant_contact(value: str, tok: str) -> str:
    want = normalise_contact(value)
    if "," in value:
        last, _, first = value.partition(",")
        candidates = [f"{last}, {first.strip()} {tok}"]
    else:
        words = value.split()
        candidates = [" ".join(words[:-1] + [tok, words[-1]])] if len(words) > 1 else []
    candidates += [f"{value} ({tok})"]
    return next((c for c in candidates if normalise_contact(c) == want), candidates[-1])


@dataclass
class Planted:
    secrets: dict[str, Secret]
    records_changed_by_matching: int  # records whose normalised view changed (0 is ideal)
    businesses_before: int
    businesses_after: int
    multi_agency_before: int
    multi_agency_after: int


def _multi_agency(session: Any) -> tuple[int, int]:
    rows = session.execute(text(
        "SELECT business_id, COUNT(DISTINCT agency_id) FROM agency_records WHERE current = :t AND business_id IS NOT NULL "
        "GROUP BY business_id"), {"t": True}).all()
    return len(rows), sum(1 for _b, n in rows if n >= 2)


def plant(store: Store) -> Planted:
    """Plant a token into every withholdable value, then match the records again (committed)."""
    secrets: dict[str, Secret] = {}
    changed = 0
    with store.uow() as uow:
        s = uow.session
        before = _multi_agency(s)
        ds_meta = {d.id: (code, d.sharing) for d, code in s.execute(
            select(Dataset, Agency.code).join(Agency, Agency.id == Dataset.agency_id))}
        for r in s.scalars(select(AgencyRecord).order_by(AgencyRecord.id)):
            code, sharing = ds_meta[r.dataset_id]
            owner = f"record {r.id} ({code} {sharing}, dataset {r.dataset_id})"
            old_names, old_addr = _names(r.trading_name or "", r.company_name or ""), _address(r.address.strip(), r.postcode.strip())
            old_phone, old_contact = normalise_phone(r.phone), normalise_contact(r.contact)
            for kind, attr in (("t", "trading_name"), ("c", "company_name"), ("a", "address"), ("p", "phone"),
                               ("n", "contact")):
                value = getattr(r, attr) or ""
                if not value.strip():
                    continue  # an empty field stays empty (an address-only record stays unnamed)
                tok = token(kind, r.id)
                if kind in ("t", "c"):
                    new = _plant_name(value, tok)
                elif kind == "a":
                    new = _plant_address(value, r.postcode or "", tok)
                elif kind == "p":
                    new = f"{value} {tok}"
                else:
                    new = _plant_contact(value, tok)
                setattr(r, attr, new)
                secrets[tok] = Secret(kind, owner)
            if (_names(r.trading_name or "", r.company_name or "") != old_names
                    or _address(r.address.strip(), r.postcode.strip()) != old_addr
                    or normalise_phone(r.phone) != old_phone or normalise_contact(r.contact) != old_contact):
                changed += 1

        def put(obj: Any, attr: str, kind: str, n: int, owner: str) -> None:
            tok = token(kind, n)
            setattr(obj, attr, tok)  # the whole value: its original text may name what it is about
            secrets[tok] = Secret(kind, owner)

        for ref in s.scalars(select(Referral).order_by(Referral.id)):
            for kind, attr in (("s", "subject"), ("l", "place"), ("b", "body"), ("m", "summary")):
                put(ref, attr, kind, ref.id, f"referral {ref.id} ({ref.status})")
        for msg in s.scalars(select(ReferralMessage).order_by(ReferralMessage.id)):
            put(msg, "body", "g", msg.id, f"message {msg.id} on referral {msg.referral_id}")
        for fb in s.scalars(select(Feedback).order_by(Feedback.id)):
            put(fb, "comments", "f", fb.id, f"feedback {fb.id} (recipient {fb.recipient_id})")
            put(fb, "improve", "i", fb.id, f"feedback {fb.id} (recipient {fb.recipient_id})")
        for mk in s.scalars(select(WarningMarker).order_by(WarningMarker.id)):
            put(mk, "subject", "w", mk.id, f"marker {mk.id} on business {mk.business_id}")
            put(mk, "details", "d", mk.id, f"marker {mk.id} on business {mk.business_id}")
        for v in s.scalars(select(Visit).order_by(Visit.id)):
            put(v, "premises_text", "v", v.id, f"visit {v.id} at business {v.business_id}")
            put(v, "briefing", "r", v.id, f"visit {v.id} at business {v.business_id}")
        s.flush()
        linking.relink(s)
        after = _multi_agency(s)
        uow.commit()
    return Planted(secrets, changed, before[0], after[0], before[1], after[1])


# --- what ordinary users do next (each may be refused once the app is fixed) -------------------------------------


def actor_of(session: Any, username: str) -> Actor:
    u, agency = session.execute(select(User, Agency.name).join(Agency, Agency.id == User.agency_id)
                                .where(User.username == username)).one()
    return Actor(u.id, u.username, u.name, Role(u.role), u.agency_id, agency)


def only_held_by(session: Any, code: str) -> list[int]:
    """Active businesses whose only current records are the agency's (ids, ascending)."""
    rows = session.execute(text(
        "SELECT r.business_id FROM agency_records r JOIN agencies a ON a.id = r.agency_id "
        "JOIN businesses b ON b.id = r.business_id WHERE r.current = :t AND b.active = :t "
        "GROUP BY r.business_id HAVING MIN(a.code) = :c AND MAX(a.code) = :c ORDER BY r.business_id"),
        {"t": True, "c": code}).all()
    return [b for (b,) in rows]


@dataclass
class Scenario:
    """What the probe's users did after planting, and what was refused."""

    done: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)


def act(store: Store) -> Scenario:
    """Everyday use that leaves a business's name or a marker's text where others read it (the audit log, an
    agenda): each user here may read what they act on."""
    out = Scenario()
    n = 100_000  # token numbers beyond the demo's own markers and visits
    with store.read() as s:
        ie_analyst, hmrc_analyst, pol_analyst = (actor_of(s.session, u) for u in ("analyst", "farah.ali", "raj.kapoor"))
        chair = actor_of(s.session, "chair")
        ie_only, hmrc_only, pol_only = only_held_by(s.session, "IE"), only_held_by(s.session,
                                                                                   "HMRC"), only_held_by(s.session,
                                                                                                         "POL")
        pol = s.session.scalar(select(Agency.id).where(Agency.code == "POL"))
        tasking_board = s.session.scalar(select(Board.id).where(Board.kind == "tasking").order_by(Board.id))

    def attempt(what: str, fn: Any) -> Any:
        try:
            result = fn()
        except HubError as e:
            out.refused.append(f"{what}: {type(e).__name__}: {e}")
            return None
        out.done.append(what)
        return result

    for who, biz in ((ie_analyst, ie_only[:1]), (hmrc_analyst, hmrc_only[:1])):
        for bid in biz:
            n += 1
            subject, details = token("w", n), token("d", n)
            with store.uow() as uow:
                attempt(f"{who.username} adds a marker on business {bid}", lambda: visits.add_marker(
                    uow, actor=who, category="dogs", details=details, business_id=bid, subject=subject))
    for bid in pol_only[:1]:  # the chair (Police) plans a visit to premises only Police hold
        premises, notes = token("v", n), token("r", n)
        day = datetime.combine(date.today() + timedelta(days=9), time(10, 0), timezone.utc)
        plan = VisitPlan(day, day + timedelta(hours=2), [TeamMember(pol, 2)], pol, bid, premises, briefing=notes)
        with store.uow() as uow:
            attempt(f"chair plans a visit to business {bid}",
                    lambda: visits.plan_visit(uow, actor=chair, plan=plan, clash_reason="probe: known clash"))
    for who, biz in ((ie_analyst, ie_only[:1]), (hmrc_analyst, hmrc_only[:1]), (pol_analyst, pol_only[:1])):
        if biz:
            with store.uow() as uow:
                attempt(f"{who.username} sends business {biz[0]} to tasking",
                        lambda who=who, biz=biz: risklist.send_to_tasking(uow, actor=who, business_ids=biz,
                                                                          reason="probe: worth a look"))
    with store.read() as s:
        nxt = meetings.next_meeting_id(s, actor=chair, board_id=tasking_board)
    if nxt is not None:
        with store.uow() as uow:
            attempt(f"chair builds the agenda of meeting {nxt}",
                    lambda: meetings.build_agenda(uow, actor=chair, meeting_id=nxt))
    return out


# --- the oracle ---------------------------------------------------------------------------------------------------


@dataclass
class Viewer:
    actor: Actor
    label: str  # "analyst/IE (analyst)"
    allowed: set[str]
    readable_datasets: set[int]
    readable_businesses: set[int]  # businesses this viewer may read (merged ones by the business they joined)
    hidden_businesses: list[int]  # active businesses this viewer may not read, those that matter first
    hidden_visits: list[int]  # visits whose premises are withheld from this viewer
    hidden_postcodes: set[str]  # postcodes only records this viewer may not read hold
    readable_postcodes: dict[int, set[str]]  # business -> postcodes its readable records give


@dataclass
class Oracle:
    secrets: dict[str, Secret]
    viewers: list[Viewer]
    roots: dict[int, int]


def _root(parent: dict[int, int], b: int) -> int:
    seen = set()
    while b in parent and b not in seen:
        seen.add(b)
        b = parent[b]
    return b


def _tokens(*values: str | None, kinds: str) -> list[str]:
    """The planted tokens of these kinds written in the values."""
    return [tok for v in values if v for tok in TOKEN_RE.findall(v.lower()) if tok[3] in kinds]


def build_oracle(store: Store) -> Oracle:
    """Which tokens each active user may see, from the rules: plain reads of the final state of the store, the
    tokens found in each stored value and who may see that value (so what the scenario added is covered too)."""
    with store.read() as s:
        users = [actor_of(s.session,
                          u) for u in s.session.scalars(select(User.username).where(User.active.is_(True)).order_by(User.id))]
        codes = dict(s.session.execute(select(Agency.id, Agency.code)).all())
        datasets = {d: (a, sh) for d, a,
                    sh in s.session.execute(select(Dataset.id, Dataset.agency_id, Dataset.sharing))}
        records = s.session.execute(select(AgencyRecord.id, AgencyRecord.dataset_id, AgencyRecord.business_id,
                                   AgencyRecord.current, AgencyRecord.trading_name, AgencyRecord.company_name,
                                   AgencyRecord.address, AgencyRecord.phone, AgencyRecord.contact,
                                   AgencyRecord.postcode)).all()
        parent = {b: m for b, m in s.session.execute(select(Business.id, Business.merged_into_id)
                                             .where(Business.merged_into_id.is_not(None)))}
        businesses = {b: (active, pc) for b, active,
                      pc in s.session.execute(select(Business.id, Business.active, Business.postcode))}
        refs = s.session.execute(select(Referral.id, Referral.sender_id, Referral.status, Referral.scheme,
                                        Referral.handling_code,
                                Referral.subject, Referral.place, Referral.summary, Referral.body)).all()
        recipients: dict[int, set[int]] = defaultdict(set)
        recipient_agency: dict[int, tuple[int, int]] = {}
        for rid, ref_id, agency in s.session.execute(select(ReferralRecipient.id, ReferralRecipient.referral_id,
                                                    ReferralRecipient.agency_id)):
            recipients[ref_id].add(agency)
            recipient_agency[rid] = (ref_id, agency)
        messages = s.session.execute(select(ReferralMessage.id, ReferralMessage.referral_id,
                                            ReferralMessage.body)).all()
        feedback = s.session.execute(select(Feedback.id, Feedback.recipient_id, Feedback.comments,
                                            Feedback.improve)).all()
        markers = s.session.execute(select(WarningMarker.id, WarningMarker.business_id, WarningMarker.subject,
                                   WarningMarker.details)).all()
        visit_rows = s.session.execute(select(Visit.id, Visit.business_id, Visit.premises_text, Visit.briefing)).all()
        on_visit: dict[int, set[int]] = defaultdict(set)
        for vid, agency in s.session.execute(select(VisitAgency.visit_id, VisitAgency.agency_id)):
            on_visit[vid].add(agency)
        # What matters most to probe: businesses with visits, markers, links, referrals or tasking.
        mattering = {b for (b,) in s.session.execute(text(
            "SELECT business_id FROM visits WHERE business_id IS NOT NULL UNION SELECT business_id FROM warning_markers "
            "WHERE business_id IS NOT NULL UNION SELECT business_id FROM action_links WHERE business_id IS NOT NULL "
            "UNION SELECT business_id FROM referrals WHERE business_id IS NOT NULL UNION SELECT business_id FROM "
            "tasking_requests WHERE business_id IS NOT NULL")).all()}
    roots = {b: _root(parent, b) for b in businesses}

    # Every token, with what holds it (a record's token is the record's, wherever else it was copied).
    secrets: dict[str, Secret] = {}
    rec_toks: dict[int, list[str]] = {}
    for r in records:
        agency, sharing = datasets[r.dataset_id]
        rec_toks[r.id] = _tokens(r.trading_name, r.company_name, r.address, r.phone, r.contact, kinds="tcapn")
        for tok in rec_toks[r.id]:
            secrets[tok] = Secret(tok[3], f"record {r.id} ({codes[agency]} {sharing})")
    ref_toks = {}
    for ref in refs:
        open_toks = _tokens(ref.subject, ref.place, ref.summary, kinds="slm")
        body_toks = _tokens(ref.body, kinds="b")
        ref_toks[ref.id] = (open_toks, body_toks)
        for tok in open_toks + body_toks:
            secrets.setdefault(tok, Secret(tok[3], f"referral {ref.id} ({ref.status}, handling {ref.handling_code})"))
    msg_toks = {m.id: _tokens(m.body, kinds="g") for m in messages}
    for m in messages:
        for tok in msg_toks[m.id]:
            secrets.setdefault(tok, Secret("g", f"message {m.id} on referral {m.referral_id}"))
    fb_toks = {f.id: _tokens(f.comments, f.improve, kinds="fi") for f in feedback}
    for f in feedback:
        for tok in fb_toks[f.id]:
            secrets.setdefault(tok, Secret(tok[3], f"feedback {f.id} on referral {recipient_agency[f.recipient_id][0]}"))
    mk_toks = {m.id: _tokens(m.subject, m.details, kinds="wd") for m in markers}
    for m in markers:
        for tok in mk_toks[m.id]:
            secrets.setdefault(tok, Secret(tok[3], f"marker {m.id} on business {m.business_id}"))
    v_toks = {v.id: _tokens(v.premises_text, v.briefing, kinds="vr") for v in visit_rows}
    for v in visit_rows:
        for tok in v_toks[v.id]:
            secrets.setdefault(tok, Secret(tok[3], f"visit {v.id} at business {v.business_id}"))

    def pcs_of(rec: Any) -> set[str]:
        return record_postcodes(rec.postcode or "", rec.address or "")

    all_postcodes: set[str] = set()
    for r in records:
        all_postcodes |= pcs_of(r)
    sender_of = {ref.id: ref.sender_id for ref in refs}
    sent = {ref.id for ref in refs if ref.status == "sent"}
    viewers = []
    for a in users:
        readable_ds = {d for d, (agency, sharing) in datasets.items() if agency == a.agency_id or sharing == "full"}
        allowed: set[str] = set()
        readable_biz: set[int] = set()
        readable_pcs: dict[int, set[str]] = defaultdict(set)
        known_pcs: set[str] = set()
        for r in records:  # sharing limits: the owner, or a fully shared dataset
            if r.dataset_id in readable_ds:
                allowed.update(rec_toks[r.id])
                known_pcs |= pcs_of(r)
                if r.current and r.business_id is not None:
                    readable_biz.add(r.business_id)
                    readable_pcs[r.business_id] |= pcs_of(r)
        may_read = {b for b in businesses if roots[b] in readable_biz}
        visited = {b for vid, b, *_ in visit_rows if b is not None and a.agency_id in on_visit[vid]}
        visited |= {roots[b] for b in visited}
        for b in visited:
            known_pcs |= postcodes_in(businesses[b][1] or "")
        analyst = a.role == Role.ANALYST
        for ref in refs:  # the sender; analysts of a receiving agency (the body only when its handling lets it pass)
            open_toks, body_toks = ref_toks[ref.id]
            if ref.sender_id == a.id:
                allowed.update(open_toks + body_toks)
            elif analyst and ref.id in sent and a.agency_id in recipients[ref.id]:
                allowed.update(open_toks)
                if ref.handling_code and handling_visibility(ref.scheme, ref.handling_code) == "full":
                    allowed.update(body_toks)
        for m in messages:  # the sender and the receiving agencies' analysts
            if sender_of[m.referral_id] == a.id or (analyst and m.referral_id in sent
                                                      and a.agency_id in recipients[m.referral_id]):
                allowed.update(msg_toks[m.id])
        for f in feedback:  # the sender and the analysts of the agency that gave it
            ref_id, agency = recipient_agency[f.recipient_id]
            if sender_of[ref_id] == a.id or (analyst and a.agency_id == agency):
                allowed.update(fb_toks[f.id])
        if a.role in MARKER_VIEW_ROLES:  # never administrators; on a business: readers of it, or agencies visiting it
            for m in markers:
                if m.business_id is None or m.business_id in may_read or m.business_id in visited \
                        or roots.get(m.business_id) in visited:
                    allowed.update(mk_toks[m.id])
        hidden_visits = []
        for v in visit_rows:  # premises withheld unless typed, the agency is on it, or the business is readable
            if v.business_id is None or a.agency_id in on_visit[v.id] or v.business_id in may_read:
                allowed.update(v_toks[v.id])
            else:
                hidden_visits.append(v.id)
        hidden = [b for b, (active, _pc) in businesses.items() if active and b not in may_read]
        hidden.sort(key=lambda b: (b not in mattering, b))
        viewers.append(Viewer(a, f"{a.username} ({a.role.value}, {codes[a.agency_id]})", allowed, readable_ds,
                              may_read, hidden, sorted(hidden_visits), all_postcodes - known_pcs, dict(readable_pcs)))
    return Oracle(secrets, viewers, roots)
