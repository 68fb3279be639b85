"""Linking agency records into businesses: blocking, Fellegi-Sunter style scoring, constrained clustering.

A business here is a premises-based trading entity: records of one business share a location (postcode,
street and building number) and usually a name. Scores are sums of hand-set log2 likelihood ratios
(m/u weights) per field, mapped to 0-100. Clustering is union-find over "match" pairs, strongest first,
refusing any union that would put two records that must stay apart into one cluster.
"""

from __future__ import annotations

import itertools
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

import numpy as np
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from core.bulk import collector_paused
from core.matching.normalise import (
    HouseNumber,
    abbreviates,
    address_parts,
    company_name,
    extract_postcode,
    forenames_of,
    generic_name,
    known_forenames,
    house_number_of,
    normalise_contact,
    normalise_name,
    normalise_phone,
    parse_district,
    parse_postcode,
    person_name,
    postcode_district,
    postcode_sector,
    split_trading_as,
    street_of_parts,
)

FIELDS = ("name", "address", "number", "postcode", "phone", "contact")
WORKERS = -1   # rapidfuzz compares pairs on every core (its threads release the GIL); the result is the same
LEVELS = ("exact", "strong", "partial", "disagree", "missing")
EXACT, STRONG, PARTIAL, DISAGREE, MISSING = range(5)


@dataclass(frozen=True, slots=True)
class MatchInput:
    record_id: str
    source: str
    trading_name: str = ""
    company_name: str = ""
    address: str = ""
    postcode: str = ""
    phone: str = ""
    contact: str = ""
    last_contact: date | None = None


@dataclass(frozen=True, slots=True)
class FieldAgreement:
    level: str
    similarity: float
    weight: float


@dataclass(frozen=True, slots=True)
class PairScore:
    a: str
    b: str
    score: float
    band: str
    fields: dict[str, FieldAgreement]
    note: str = ""   # the telling part in words ("a flat and the premises below it: different premises")


CONNECTION_LABELS = {"phone": "Shared phone", "contact": "Shared contact", "building": "Same building"}


def connection_label(kind: str) -> str:
    """What a connection of this kind is called on screen ("Shared phone", "Same building")."""
    return CONNECTION_LABELS.get(kind, kind.replace("_", " ").capitalize())


@dataclass(frozen=True, slots=True)
class Connection:
    """Two businesses linked without being one: a shared phone or contact, or two parts of one building."""

    cluster_a: int
    cluster_b: int
    kind: str     # "phone" | "contact" | "building"
    value: str    # the shared phone, contact key, or the building ("12 high street")

    @property
    def label(self) -> str:
        return connection_label(self.kind)


@dataclass
class LinkResult:
    cluster_of: dict[str, int]
    score_of: dict[str, float]
    pairs: list[PairScore]
    review: list[PairScore]
    connections: list[Connection]
    stats: dict[str, float]
    settings: MatchSettings | None = None   # the settings used (with the learned weights when learning)
    site_of: dict[str, int] = field(default_factory=dict)   # record id -> site (one building or plot)
    questions: list[PairScore] = field(default_factory=list)  # the review pairs one reviewer would be asked


@dataclass(frozen=True, slots=True)
class MatchSettings:
    """Thresholds and weights (log2 likelihood ratios) of the matcher."""

    match_score: float = 85.0        # a pair at or above this is a "match"
    review_score: float = 40.0       # below this a pair is a "non-match" (and not kept in `pairs`)
    offset: float = 5.0              # total weight that maps to a score of 50
    max_block: int = 40              # blocks bigger than this are skipped (a generic name, a busy street)
    max_star_block: int = 200        # blocks where only the records missing a number/postcode pair with the rest
    attach_margin: float = 3.0       # address-only: clusters scoring within this of the best count as tied
    max_connection_clusters: int = 6  # a phone or contact shared by more clusters than this is not a network
    # weights per field and level: (exact, strong, partial, disagree); missing is 0
    name: tuple[float, float, float, float] = (6.0, 5.0, -5.0, -12.0)
    address: tuple[float, float, float, float] = (3.0, 2.5, -3.0, -6.0)
    number: tuple[float, float, float, float] = (4.0, 3.5, 1.0, -9.0)
    postcode: tuple[float, float, float, float] = (4.0, 3.0, -4.0, -6.0)   # exact, same sector, same district, other
    phone: tuple[float, float, float, float] = (5.0, 5.0, 0.0, -1.0)
    contact: tuple[float, float, float, float] = (2.0, 1.5, 1.0, -1.0)  # key, initial+surname, surname, other
    place_agrees: float = 1.5        # no postcode, but the town (or a unique street and number) is the district
    # Learned from the records (core/matching/em.py) when `learn` is set: the weights above become
    # log2(m/u), the name's per pair of sources where enough pairs say so, and `offset` the prior odds,
    # so that score / 100 is the probability that the two records are one business.
    learn: bool = False
    name_by_sources: tuple[tuple[str, str, tuple[float, float, float, float]], ...] = ()
    ambiguous_street_cap: float = 4.0  # most a missing number costs on a street of many premises (log2 of them)

    def band(self, score: float) -> str:
        return "match" if score >= self.match_score else "review" if score >= self.review_score else "non-match"


# --- preparing records -------------------------------------------------------------------------

_INCIDENT_LEAD = frozenset({"outside", "rear", "of", "behind", "alleyway", "alley", "side", "bins", "bin", "at",
                            "near", "opposite", "adjacent", "to", "front", "back", "by", "beside", "rubbish", "waste"})
_SKIP_LEAD = {"flat", "rear", "above", "outside", "floor", "first", "ground", "land", "unit", "of", "premises",
              "basement", "yard", "garage", "shop", "store"}


@lru_cache(maxsize=200_000)
def _names(trading: str, company: str) -> tuple[str, ...]:
    out: list[str] = []
    for text in (trading, company):
        company_part, trading_part = split_trading_as(text)
        for n in (trading_part, company_part):
            if n and n != "the" and n not in out and not generic_name(n):
                out.append(n)
    return tuple(out)


@lru_cache(maxsize=400_000)
def _address(address: str, postcode: str) -> tuple[str | None, str, HouseNumber, str, str, str, str, tuple[str, ...]]:
    pc = parse_postcode(postcode)
    found, rest = extract_postcode(address)
    pc = pc or found
    district = "" if pc else parse_district(postcode)   # "L8": the district alone
    words = address_parts(rest)
    hn = house_number_of(words)
    street = street_of_parts(words)
    # A leading part naming the premises ("Chicken Shop, 12 High St") serves as a name for address-only data.
    lead = incident = ""
    parts = [" ".join(w) for w in words]
    if len(parts) > 1 and not any(ch.isdigit() for ch in parts[0]) and parts[0] != street:
        # An incident logged where it happened names the premises after the place ("outside The Royal Oak",
        # "bins at rear of Dixy Chicken").
        first = list(itertools.dropwhile(_INCIDENT_LEAD.__contains__, words[0]))
        if first and not set(first) & _SKIP_LEAD:
            lead = normalise_name(" ".join(first))
            lead = "" if generic_name(lead) else lead
            if lead and len(first) < len(words[0]):
                incident = lead   # "outside The Royal Oak": as good as a name
    # A trailing part that is not the street is usually the town ("12 High St, Kingsmere").
    # The parts after the street name places: "Elswick, Newcastle upon Tyne, Tyne and Wear" (the last, usually
    # the town, is the locality; all of them say which districts a record without a postcode may be in).
    towns = tuple(x for x, w in zip(parts[1:], words[1:]) if x != street and not any(c.isdigit() for c in x)
                  and street not in x and not set(w) & _SKIP_LEAD)   # not "premises at the rear"
    locality = parts[-1] if len(parts) > 1 and parts[-1] != street and not any(c.isdigit() for c in parts[-1]) else ""
    return pc, street, hn, lead, locality, district, incident, towns


_cached_phone = lru_cache(maxsize=200_000)(normalise_phone)
_cached_contact = lru_cache(maxsize=200_000)(normalise_contact)
_cached_forename = lru_cache(maxsize=200_000)(forenames_of)


@dataclass
class _Prepared:
    """Column arrays of the prepared records (index i is records[i])."""

    n: int
    ids: list[str]
    names: list[tuple[str, ...]]     # trading and company names (empty for address-only records)
    lead: list[str]                  # a premises name found in the address
    locality: list[str]              # the town written after the street, if any
    pc: list[str]
    street: list[str]
    hn: list[HouseNumber]
    phone: list[str]
    contact: list[str]
    dates: list[date | None]
    source: list[str]
    # integer codes for vectorised comparison (-1 = missing)
    pc_code: np.ndarray = field(default_factory=lambda: np.zeros(0))
    sector_code: np.ndarray = field(default_factory=lambda: np.zeros(0))
    district_code: np.ndarray = field(default_factory=lambda: np.zeros(0))
    phone_code: np.ndarray = field(default_factory=lambda: np.zeros(0))
    contact_code: np.ndarray = field(default_factory=lambda: np.zeros(0))
    surname_code: np.ndarray = field(default_factory=lambda: np.zeros(0))
    initial_code: np.ndarray = field(default_factory=lambda: np.zeros(0))
    num: np.ndarray = field(default_factory=lambda: np.zeros(0))
    last: np.ndarray = field(default_factory=lambda: np.zeros(0))
    suffix_code: np.ndarray = field(default_factory=lambda: np.zeros(0))
    sub_code: np.ndarray = field(default_factory=lambda: np.zeros(0))
    kind: np.ndarray = field(default_factory=lambda: np.zeros(0))  # PREMISES | DWELLING bits (HouseNumber.kind)
    unit_code: np.ndarray = field(default_factory=lambda: np.zeros(0))  # a unit without its building's number
    unit_only: np.ndarray = field(default_factory=lambda: np.zeros(0))
    unit: np.ndarray = field(default_factory=lambda: np.zeros(0))       # a unit ("Unit 1, 29"), not a flat
    person: np.ndarray = field(default_factory=lambda: np.zeros(0))     # the record's names are a person's
    person_code: np.ndarray = field(default_factory=lambda: np.zeros(0))  # that person as a contact key (-1 if none)
    name_kind: np.ndarray = field(default_factory=lambda: np.zeros(0))    # 0 trading name, 1 person, 2 company
    k_pc: np.ndarray = field(default_factory=lambda: np.zeros(0))
    k_district: np.ndarray = field(default_factory=lambda: np.zeros(0))
    k_street: np.ndarray = field(default_factory=lambda: np.zeros(0))
    k_named: np.ndarray = field(default_factory=lambda: np.zeros(0))
    district_num: np.ndarray = field(default_factory=lambda: np.zeros(0))
    k_street_districts: np.ndarray = field(default_factory=lambda: np.zeros(0))  # districts with a street of the name
    place_districts: list[frozenset[int]] = field(default_factory=list)
    district_only: list[str] = field(default_factory=list)   # a postcode column holding the district alone ("L8")
    towns: list[tuple[str, ...]] = field(default_factory=list)  # the address parts naming places after the street
    district_names: list[str] = field(default_factory=list)  # district number -> outward code

    @property
    def named(self) -> np.ndarray:
        return np.array([bool(n) for n in self.names], dtype=bool)


def _codes(values: Sequence[str]) -> np.ndarray:
    table: dict[str, int] = {}
    return np.array([table.setdefault(v, len(table)) if v else -1 for v in values], dtype=np.int64)


def _read_fields(rows: Sequence[tuple[str, str, str, str, str, str]]) -> list[tuple]:
    """The normalised parts of records given as (address, postcode, trading, company, phone, contact)."""
    out = []
    for address, postcode, trading, company, phone, contact in rows:
        parts = _address(address.strip(), postcode.strip())
        out.append((*parts, _names(trading, company), _cached_phone(phone), _cached_contact(contact)))
    return out


def _prepare(records: Sequence[MatchInput]) -> _Prepared:
    ids, names, lead, pcs, streets, hns, phones, contacts, dates, places = [], [], [], [], [], [], [], [], [], []
    district_only: list[str] = []
    all_towns: list[tuple[str, ...]] = []
    rows = [(r.address or "", r.postcode or "", r.trading_name or "", r.company_name or "", r.phone or "",
             r.contact or "") for r in records]
    for r, got in zip(records, _read_fields(rows)):
        pc, street, hn, lead_name, locality, district, incident, towns, named, phone, contact = got
        ids.append(r.record_id)
        all_towns.append(towns)
        names.append(named or ((incident,) if incident else ()))
        district_only.append(district)
        lead.append(lead_name)
        places.append(locality)
        pcs.append(pc or "")
        streets.append(street)
        hns.append(hn)
        phones.append(phone)
        contacts.append(contact)
        dates.append(r.last_contact)
    p = _Prepared(len(ids), ids, names, lead, places, pcs, streets, hns, phones, contacts, dates,
                  [r.source for r in records])
    p.pc_code = _codes(pcs)
    p.sector_code = _codes([postcode_sector(pc) if pc else "" for pc in pcs])
    p.district_code = _codes([postcode_district(pc) if pc else "" for pc in pcs])
    p.phone_code = _codes(phones)
    p.surname_code = _codes([c.split()[-1] if c else "" for c in contacts])
    p.initial_code = _codes([c.split()[0] if " " in c else "" for c in contacts])
    p.num = np.array([h.number if h.number is not None else -1 for h in hns], dtype=np.int64)
    p.last = np.array([h.last if h.last is not None else (h.number if h.number is not None else -1) for h in hns],
                      dtype=np.int64)
    p.suffix_code = _codes([h.suffix for h in hns])
    # Flats and units within a building, and the number of a unit written without its building ("Unit 1, Bower
    # Parade"), coded together so that one compares with the other.
    subs_and_units = _codes([h.sub for h in hns] + [f"{h.number}{h.suffix}" if h.unit and not h.sub else "" for h in hns])
    p.sub_code, p.unit_code = subs_and_units[:len(hns)], subs_and_units[len(hns):]
    p.unit_only = p.unit_code >= 0
    p.unit = np.array([h.unit for h in hns], dtype=bool)
    p.kind = np.array([h.kind for h in hns], dtype=np.int8)
    p.district_only = district_only
    p.towns = all_towns
    # A record naming a person (the tax office's sole trader) against a trading name: the names say nothing,
    # unless the person is the other record's contact (the proprietor).
    # ... a person as the records' own contacts name people (their first names join the common ones).
    known = known_forenames(filter(None, map(_cached_forename, (r.contact or "" for r in records))))
    p.person = np.array([bool(ns) and all(person_name(n, known) for n in ns) for ns in names], dtype=bool)
    # Likewise a registered company's name against the name a business trades under ("T & B Leisure Ltd" and
    # "The Crown"): 0 a trading name, 1 a person, 2 a company.
    written = [[t for t in (r.trading_name, r.company_name) if t and t.strip()] for r in records]
    p.name_kind = np.array([1 if person else 2 if ns and raw and all(map(company_name, raw)) else 0
                            for ns, person, raw in zip(names, p.person, written)], dtype=np.int8)
    both = _codes(contacts + [_cached_contact(ns[0]) if person else "" for ns, person in zip(names, p.person)])
    p.contact_code, p.person_code = both[:len(ids)], both[len(ids):]
    _frequencies(p)
    return p


def _frequencies(p: _Prepared) -> None:
    """What the whole input says about places: how many premises share a street, which districts a town is in."""
    at_pc: dict[tuple[str, str], set[int]] = defaultdict(set)
    at_district: dict[tuple[str, str], set[int]] = defaultdict(set)
    on_street: dict[str, set[int]] = defaultdict(set)
    named_at: dict[tuple[str, str, str], set[tuple[str, int]]] = defaultdict(set)
    districts_of_place: dict[str, Counter] = defaultdict(Counter)
    districts_of_address: dict[tuple[str, int], set[str]] = defaultdict(set)
    districts_of_street: dict[str, set[str]] = defaultdict(set)
    districts = [pc[:-4] for pc in p.pc]   # canonical "KM1 0AB": the outward code is all but " 0AB"
    for i, (pc, street, hn, district) in enumerate(zip(p.pc, p.street, p.hn, districts)):
        num = hn.number
        if street and num is not None:
            on_street[street].add(num)
            if pc:
                at_pc[(pc, street)].add(num)
                at_district[(district, street)].add(num)
                districts_of_address[(street, num)].add(district)
            for name in p.names[i]:
                named_at[(district, street, name)].add((district, num))
                if district:
                    named_at[("", street, name)].add((district, num))
        if district:
            for town in p.towns[i]:
                districts_of_place[town][district] += 1
            if street:
                districts_of_street[street].add(district)
    # Premises (distinct building numbers) at the record's place: a record without a number is ambiguous
    # in proportion; and premises of that name on that street (in the district, or anywhere without a postcode).
    k_pc, k_district, k_street, k_named = [], [], [], []
    for pc, street, district, names in zip(p.pc, p.street, districts, p.names):
        k_pc.append(len(at_pc.get((pc, street), ())))
        k_district.append(len(at_district.get((district, street), ())))
        k_street.append(len(on_street.get(street, ())))
        k_named.append(min((len(named_at.get((district, street, n), ())) for n in names), default=0))
    p.k_pc, p.k_district, p.k_street, p.k_named = map(np.array, (k_pc, k_district, k_street, k_named))
    p.k_street_districts = np.array([len(districts_of_street.get(st, ())) for st in p.street], dtype=np.int64)
    district_table: dict[str, int] = {}
    for d in districts + p.district_only:
        if d:
            district_table.setdefault(d, len(district_table))
    p.district_names = list(district_table)
    p.district_num = np.array([district_table[d] if d else -1 for d in districts], dtype=np.int64)
    none: frozenset[int] = frozenset()
    p.place_districts = [none] * p.n
    for i in np.flatnonzero(p.district_num < 0).tolist():
        known = [districts_of_place[t] for t in p.towns[i] if t in districts_of_place]
        if p.district_only[i]:
            p.place_districts[i] = frozenset((district_table[p.district_only[i]],))
        elif known:   # each place's districts (those of a tenth of its records or more), together
            p.place_districts[i] = frozenset(district_table[d] for counts in known for d, c in counts.items()
                                             if c >= 0.1 * sum(counts.values()))
        elif p.street[i] and p.hn[i].number is not None:
            seen = districts_of_address.get((p.street[i], p.hn[i].number), ())
            if len(seen) == 1:
                p.place_districts[i] = frozenset(district_table[d] for d in seen)


# --- blocking ----------------------------------------------------------------------------------


def _block_pairs(p: _Prepared, s: MatchSettings) -> tuple[np.ndarray, np.ndarray, int]:
    """Candidate pairs (i < j) from several blocking passes; never all pairs.

    In each block a record is "full" (paired with the other full records: it has what the block is keyed on),
    "passive" (paired only with hubs) or a "hub" (a record missing a postcode or number, paired with all).
    """
    blocks: dict[tuple, tuple[list[int], list[int], list[int]]] = defaultdict(lambda: ([], [], []))
    FULL, PASSIVE, HUB = 0, 1, 2
    for i in range(p.n):
        pc, street, hn, d = p.pc[i], p.street[i], p.hn[i], int(p.district_num[i])
        numbers = list(hn.numbers)
        names = p.names[i] + ((p.lead[i],) if p.lead[i] else ())
        if p.phone[i]:
            blocks[("ph", p.phone[i])][FULL].append(i)
        if pc:
            blocks[("p", pc)][HUB if not numbers else PASSIVE].append(i)
            for num in numbers:
                blocks[("pn", pc, num)][FULL].append(i)
            for name in names:
                blocks[("dn", d, name)][FULL].append(i)
            if street:
                blocks[("ds", d, street)][PASSIVE].append(i)
                for num in numbers:
                    blocks[("dsn", d, street, num)][FULL].append(i)
                    blocks[("sn", street, num)][PASSIVE].append(i)
                    blocks[("sni", street, num, pc[-3:])][FULL].append(i)   # a slip in the outward code
                unit = hn.sub or (f"{hn.number}{hn.suffix}" if hn.unit else "")
                if unit:   # unit 1 of 29 and "Unit 1" on the same street
                    blocks[("dsu", d, street, unit)][FULL].append(i)
                for name in names:
                    blocks[("sname", street, name)][PASSIVE].append(i)
            continue
        places = p.place_districts[i]
        if places:  # no postcode, but the town says which districts
            for pd in sorted(places):
                for name in names:
                    blocks[("dn", pd, name)][HUB].append(i)
                if street:
                    blocks[("ds", pd, street)][HUB].append(i)
                    for num in numbers:
                        blocks[("dsn", pd, street, num)][HUB].append(i)
        elif street:
            for num in numbers:
                blocks[("sn", street, num)][HUB].append(i)
            for name in names:
                blocks[("sname", street, name)][HUB].append(i)
    keys: list[int] = []
    n = p.n
    used = 0
    for key, (full, passive, hub) in blocks.items():
        size = len(full) + len(passive) + len(hub)
        if size < 2:
            continue
        used += 1
        if 1 < len(full) <= s.max_block:
            keys.extend(a * n + b if a < b else b * n + a for a, b in itertools.combinations(full, 2))
        # A name shared by many premises is no block (generic names); a street or postcode may be bigger.
        if hub and size <= (s.max_block if key[0] in ("dn", "sname") else s.max_star_block):
            others = full + passive + hub
            keys.extend(a * n + b if a < b else b * n + a for a in hub for b in others if a != b)
    if not keys:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, used
    uniq = np.unique(np.array(keys, dtype=np.int64))
    return uniq // n, uniq % n, used


# --- scoring -----------------------------------------------------------------------------------


@dataclass
class _Scores:
    total: np.ndarray
    score: np.ndarray
    level: dict[str, np.ndarray]
    sim: dict[str, np.ndarray]
    weight: dict[str, np.ndarray]
    conflict: np.ndarray       # the two records cannot be one premises (another building or place)


def _best_name_similarity(p: _Prepared, ia: np.ndarray, ib: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Best token-sort similarity over the cross comparisons of names; and whether both sides had a name."""
    best = np.zeros(len(ia), dtype=np.float64)
    both = np.zeros(len(ia), dtype=bool)
    width = max((len(x) for x in p.names), default=0)
    cols = [[x[k] if k < len(x) else "" for x in p.names] for k in range(width)]
    lead = p.lead
    sides = [np.array(c, dtype=object) for c in cols]
    lead_arr = np.array(lead, dtype=object)
    for ka in range(width):
        for kb in range(width):
            a, b = sides[ka][ia], sides[kb][ib]
            mask = (a != "") & (b != "")
            if mask.any():
                la, lb = list(a[mask]), list(b[mask])
                sim = np.maximum(
                    process.cpdist(la, lb, scorer=fuzz.ratio, dtype=np.uint8, workers=WORKERS),
                    process.cpdist(la, lb, scorer=fuzz.token_sort_ratio, dtype=np.uint8, workers=WORKERS))
                best[mask] = np.maximum(best[mask], sim)
                both |= mask
    # A premises name written in an address-only record counts only when it agrees.
    for ka in range(width):
        for x_side, y_side in ((sides[ka][ia], lead_arr[ib]), (lead_arr[ia], sides[ka][ib])):
            mask = (x_side != "") & (y_side != "")
            if mask.any():
                sim = process.cpdist(list(x_side[mask]), list(y_side[mask]), scorer=fuzz.token_sort_ratio,
                                     dtype=np.uint8, workers=WORKERS).astype(np.float64)
                sim[sim < 90] = 0
                best[mask] = np.maximum(best[mask], sim)
                both[mask] |= sim > 0
    return best, both


def _score(p: _Prepared, ia: np.ndarray, ib: np.ndarray, s: MatchSettings) -> _Scores:
    level, sim = _compare(p, ia, ib)
    return _weigh(p, ia, ib, level, sim, s)


def _compare(p: _Prepared, ia: np.ndarray, ib: np.ndarray) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """The agreement level and similarity of every field of every pair (the costly part; no weights)."""
    m = len(ia)
    level: dict[str, np.ndarray] = {}
    sim: dict[str, np.ndarray] = {}

    # name
    best, both = _best_name_similarity(p, ia, ib)
    lv = np.full(m, MISSING, dtype=np.int8)
    lv[both & (best >= 97)] = EXACT
    lv[both & (best >= 88) & (best < 97)] = STRONG
    lv[both & (best >= 75) & (best < 88)] = PARTIAL
    lv[both & (best < 75)] = DISAGREE
    level["name"], sim["name"] = lv, best

    # address (street)
    st_a = np.array(p.street, dtype=object)[ia]
    st_b = np.array(p.street, dtype=object)[ib]
    has = (st_a != "") & (st_b != "")
    ssim = np.zeros(m, dtype=np.float64)
    if has.any():
        ssim[has] = process.cpdist(list(st_a[has]), list(st_b[has]), scorer=fuzz.ratio, dtype=np.uint8, workers=WORKERS)
        for k in np.flatnonzero(has & (ssim < 85)):
            if abbreviates(st_a[k], st_b[k]):
                ssim[k] = 90.0   # "bdwy" for "broadway": nearly the same street
    lv = np.full(m, MISSING, dtype=np.int8)
    lv[has & (ssim >= 95)] = EXACT
    lv[has & (ssim >= 85) & (ssim < 95)] = STRONG
    lv[has & (ssim >= 70) & (ssim < 85)] = PARTIAL
    lv[has & (ssim < 70)] = DISAGREE
    level["address"], sim["address"] = lv, ssim

    # building number: another number on the street is another premises (the shop next door)
    na, nb, la, lb = p.num[ia], p.num[ib], p.last[ia], p.last[ib]
    has = (na >= 0) & (nb >= 0)
    overlap = has & (na <= lb) & (nb <= la)
    same = overlap & (na == nb) & (la == lb)
    sfa, sfb = p.suffix_code[ia], p.suffix_code[ib]
    sba, sbb = p.sub_code[ia], p.sub_code[ib]
    one_kind = (p.kind[ia] & p.kind[ib]) != 0
    exact = same & (sfa == sfb) & (sba == sbb) & one_kind
    # Another part of the same building is other premises: 12A and 12B, flat 1 and flat 2, the flat above the shop.
    other_part = overlap & (((sfa >= 0) & (sfb >= 0) & (sfa != sfb)) | ((sba >= 0) & (sbb >= 0) & (sba != sbb))
                            | ~one_kind)
    lv = np.full(m, MISSING, dtype=np.int8)
    lv[overlap] = STRONG
    lv[exact] = EXACT
    lv[other_part | (has & ~overlap)] = DISAGREE
    # "Unit 1, Bower Parade" against "Unit 1, 29 Bower Parade": the unit's number is the other's unit, not its
    # building.
    ua, ub = p.unit_only[ia], p.unit_only[ib]
    one = has & (ua != ub)
    if one.any():
        unit_no = np.where(ua, p.unit_code[ia], p.unit_code[ib])
        other_sub = np.where(ua, np.where(p.unit[ib], sbb, -1), np.where(p.unit[ia], sba, -1))   # a unit's, not a flat's
        # against a plain number ("3 Oak Trading Estate") the numbers compare as they are (set above)
        unit_of = one & (other_sub >= 0)
        lv[unit_of] = np.where(other_sub[unit_of] == unit_no[unit_of], STRONG, DISAGREE)
    level["number"] = lv
    # A person's or a company's name against a trading name says nothing at one building number (the tax
    # office's sole trader, the licence holder's company); without a number to agree, the names still count.
    at_number = (lv == EXACT) | (lv == STRONG)
    name = level["name"]
    name[(p.name_kind[ia] != p.name_kind[ib]) & ((name == DISAGREE) | (name == PARTIAL)) & at_number] = MISSING
    sim["number"] = np.select([lv == EXACT, lv == STRONG, lv == PARTIAL], [100.0, 90.0, 50.0], 0.0)

    # postcode
    pa, pb = p.pc_code[ia], p.pc_code[ib]
    has = (pa >= 0) & (pb >= 0)
    lv = np.full(m, MISSING, dtype=np.int8)
    lv[has] = DISAGREE
    lv[has & (p.district_code[ia] == p.district_code[ib])] = PARTIAL
    lv[has & (p.sector_code[ia] == p.sector_code[ib])] = STRONG
    lv[has & (pa == pb)] = EXACT
    # One character mistyped or two swapped ("TR41 4AD" for "TR14 4AD"): a slip, read as the same district.
    other = np.flatnonzero(lv == DISAGREE)
    if len(other):
        pcs = np.array(p.pc, dtype=object)
        edits = process.cpdist(list(pcs[ia[other]]), list(pcs[ib[other]]), scorer=OSA.distance, dtype=np.int32,
                              workers=WORKERS)
        lv[other[edits <= 1]] = PARTIAL
    level["postcode"] = lv
    sim["postcode"] = np.select([lv == EXACT, lv == STRONG, lv == PARTIAL], [100.0, 80.0, 40.0], 0.0)

    # phone
    pa, pb = p.phone_code[ia], p.phone_code[ib]
    has = (pa >= 0) & (pb >= 0)
    lv = np.full(m, MISSING, dtype=np.int8)
    lv[has] = DISAGREE
    lv[has & (pa == pb)] = EXACT
    level["phone"] = lv
    sim["phone"] = np.where(lv == EXACT, 100.0, 0.0)

    # contact: "j smith" keys; a bare surname agrees partly
    ca, cb = p.contact_code[ia], p.contact_code[ib]
    has = (ca >= 0) & (cb >= 0)
    sur = has & (p.surname_code[ia] == p.surname_code[ib])
    lv = np.full(m, MISSING, dtype=np.int8)
    lv[has] = DISAGREE
    lv[sur] = PARTIAL
    lv[sur & ((p.initial_code[ia] < 0) | (p.initial_code[ib] < 0))] = STRONG
    lv[has & (ca == cb)] = EXACT
    # The person a tax record is filed under is the other record's contact: the proprietor.
    pa, pb = p.person_code[ia], p.person_code[ib]
    lv[((pa >= 0) & (pa == cb)) | ((pb >= 0) & (pb == ca))] = EXACT
    level["contact"] = lv
    sim["contact"] = np.select([lv == EXACT, lv == STRONG, lv == PARTIAL], [100.0, 80.0, 60.0], 0.0)
    return level, sim


def _weigh(p: _Prepared, ia: np.ndarray, ib: np.ndarray, compared: dict[str, np.ndarray],
           similarity: dict[str, np.ndarray], s: MatchSettings) -> _Scores:
    """Weights, total and score of compared pairs under settings `s` (the places without a postcode and
    premises without a number adjust levels too, so they work on copies)."""
    m = len(ia)
    level = {f: v.copy() for f, v in compared.items()}
    sim = {f: v.copy() for f, v in similarity.items()}
    weight: dict[str, np.ndarray] = {}
    for name in FIELDS:
        weight[name] = np.array(list(getattr(s, name)) + [0.0])[level[name]]
    if s.name_by_sources:
        src = np.array(p.source, dtype=object)
        sa, sb = src[ia], src[ib]
        for x, y, table in s.name_by_sources:
            here = ((sa == x) & (sb == y)) | ((sa == y) & (sb == x))
            weight["name"][here] = np.array(list(table) + [0.0])[level["name"][here]]
    _place_without_postcode(p, ia, ib, level, sim, weight, s)
    _premises_without_number(p, ia, ib, level, sim, weight, s)
    total = np.zeros(m, dtype=np.float64)
    for name in FIELDS:
        total += weight[name]
    score = 100.0 / (1.0 + np.exp2(-(total - s.offset)))
    street_differs = (level["address"] == DISAGREE) | (level["address"] == PARTIAL)
    place_differs = (level["postcode"] == DISAGREE) | ((level["postcode"] == PARTIAL) & street_differs)
    no_pc = (p.pc_code[ia] < 0) | (p.pc_code[ib] < 0)
    conflict = (level["number"] == DISAGREE) | place_differs | (no_pc & street_differs)
    return _Scores(total, np.round(score, 1), level, sim, weight, conflict)


def _place_without_postcode(p: _Prepared, ia: np.ndarray, ib: np.ndarray, level: dict[str, np.ndarray],
                            sim: dict[str, np.ndarray], weight: dict[str, np.ndarray], s: MatchSettings) -> None:
    """A record without a postcode: the town it names (or a street and number found in one district only)."""
    for k in np.flatnonzero((p.pc_code[ia] < 0) != (p.pc_code[ib] < 0)):
        i, j = int(ia[k]), int(ib[k])
        x, y = (i, j) if p.pc_code[i] < 0 else (j, i)
        places = p.place_districts[x]
        if not places:   # nowhere said: the street's name in another town is as likely as in this one
            weight["postcode"][k] = -min(s.ambiguous_street_cap, float(np.log2(max(1, int(p.k_street_districts[y])))))
            continue
        if int(p.district_num[y]) in places:
            level["postcode"][k], sim["postcode"][k], weight["postcode"][k] = PARTIAL, 50.0, s.place_agrees
        else:
            level["postcode"][k], sim["postcode"][k], weight["postcode"][k] = DISAGREE, 0.0, s.postcode[3]
    both = np.flatnonzero((p.pc_code[ia] < 0) & (p.pc_code[ib] < 0))
    for k in both:
        la, lb = p.locality[int(ia[k])], p.locality[int(ib[k])]
        da, db = p.district_only[int(ia[k])], p.district_only[int(ib[k])]
        if da and db:   # "L8" and "L8"
            la, lb = da, db
        if la and lb:
            agree = la == lb
            level["postcode"][k] = PARTIAL if agree else DISAGREE
            sim["postcode"][k] = 50.0 if agree else 0.0
            weight["postcode"][k] = s.place_agrees if agree else s.postcode[3]


def _premises_without_number(p: _Prepared, ia: np.ndarray, ib: np.ndarray, level: dict[str, np.ndarray],
                             sim: dict[str, np.ndarray], weight: dict[str, np.ndarray], s: MatchSettings) -> None:
    """Without a building number, the street tells more the fewer premises it holds (term frequency)."""
    missing = (level["number"] == MISSING) & (level["address"] <= STRONG)
    for k in np.flatnonzero(missing):
        i, j = int(ia[k]), int(ib[k])
        x, y = (i, j) if p.num[i] < 0 else (j, i)
        if p.pc[x] and p.pc_code[x] == p.pc_code[y]:
            premises = int(p.k_pc[x])
        elif p.pc[x] or p.pc[y]:
            premises = int(p.k_district[x] if p.pc[x] else p.k_district[y])
        else:
            premises = int(p.k_street[x])
        if level["name"][k] <= STRONG and p.names[x]:
            premises = min(premises, int(p.k_named[x]))
        if premises <= 1:
            level["number"][k], sim["number"][k], weight["number"][k] = STRONG, 90.0, s.number[1]
        else:
            weight["number"][k] = -min(s.ambiguous_street_cap, float(np.log2(premises)))


_AGREEMENTS: dict[tuple[int, float, float], FieldAgreement] = {}


def _agreement(level: int, similarity: float, weight: float) -> FieldAgreement:
    key = (level, similarity, weight)
    got = _AGREEMENTS.get(key)
    if got is None:
        got = _AGREEMENTS[key] = FieldAgreement(LEVELS[level], similarity, weight)
    return got


def _pair_score(p: _Prepared, sc: _Scores, k: int, i: int, j: int, s: MatchSettings) -> PairScore:
    a, b = p.ids[i], p.ids[j]
    if b < a:
        a, b = b, a
    fields = {f: _agreement(int(sc.level[f][k]), float(sc.sim[f][k]), float(sc.weight[f][k])) for f in FIELDS}
    score = float(sc.score[k])
    return PairScore(a, b, score, s.band(score), fields)


# --- sites -------------------------------------------------------------------------------------


def _sites(p: _Prepared, cluster: np.ndarray) -> np.ndarray:
    """A site per record: the building or plot it is at, numbered like the clusters (by first record id).

    A site is a building number (each number of a range) on a street in a postcode district: the shop,
    the flats above it, "12A", "Flat 3, 12" and "rear of 12" are all at the site of 12. The records of
    one business are at one site (its records without a number, or with the street misspelt, join the
    site of the others). A record without a postcode takes the district its town or its street and
    number point to, when that is one district. A record with no number and no business around it is a
    site of its own.
    """
    parent = list(range(p.n))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(a: int, b: int) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)

    first: dict[int, int] = {}
    for i in range(p.n):
        c = int(cluster[i])
        if c in first:
            union(first[c], i)
        else:
            first[c] = i
    districts = [pc[:-4] for pc in p.pc]
    district_name = p.district_names
    at: dict[tuple[str, str, int], int] = {}
    for i in range(p.n):
        hn, street = p.hn[i], p.street[i]
        if hn.number is None or not street:
            continue
        district = districts[i]
        if not district:
            places = p.place_districts[i]
            if len(places) != 1:
                continue
            district = district_name[next(iter(places))]
        for n in hn.numbers:
            key = (district, street, n)
            if key in at:
                union(at[key], i)
            else:
                at[key] = i
    roots = [find(i) for i in range(p.n)]
    first_id: dict[int, str] = {}
    for i, r in enumerate(roots):
        if r not in first_id or p.ids[i] < first_id[r]:
            first_id[r] = p.ids[i]
    number = {r: k for k, r in enumerate(sorted(first_id, key=first_id.__getitem__))}
    return np.array([number[r] for r in roots], dtype=np.int64)


# --- learning the weights ---------------------------------------------------------------------

RANDOM_PAIRS = 20_000         # pairs drawn at random: the starting u (EM then estimates u over the blocked pairs)
MIN_SOURCE_PAIRS = 300        # blocked pairs with names from two sources before their names get weights of their own
_N_LEVELS = 4                 # exact, strong, partial, disagree (missing counts nothing)


def _random_pairs(p: _Prepared) -> tuple[np.ndarray, np.ndarray]:
    """Pairs of records drawn at random with a fixed seed, over the records in id order (the input order
    does not change them)."""
    if p.n < 2:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    by_id = np.argsort(np.array(p.ids, dtype=object), kind="stable")
    rng = np.random.default_rng(20261204)
    k = min(RANDOM_PAIRS, p.n * (p.n - 1) // 2)
    x, y = rng.integers(0, p.n, k), rng.integers(0, p.n, k)
    keep = x != y
    a, b = by_id[x[keep]], by_id[y[keep]]
    return np.minimum(a, b), np.maximum(a, b)


def learned_settings(p: _Prepared, ia: np.ndarray, ib: np.ndarray, sc: _Scores, s: MatchSettings,
                     must: Sequence[tuple[int, int]] = (), never: Sequence[tuple[int, int]] = ()) -> MatchSettings:
    """The settings with weights estimated from these records (core/matching/em.py), starting from `s`'s.

    The name gets weights of its own for each pair of sources with enough compared pairs: a tax record
    names the proprietor, a fire audit writes "shop premises"; how far their names agree with another
    agency's is what the data says it is.
    """
    from dataclasses import replace

    from core.matching import em

    if len(ia) == 0:
        return replace(s, learn=False)
    ra, rb = _random_pairs(p)
    rnd = _score(p, ra, rb, replace(s, learn=False, name_by_sources=()))
    src = np.array(p.source, dtype=object)
    levels = {f: sc.level[f] for f in FIELDS}
    random_levels = {f: rnd.level[f] for f in FIELDS}
    n_levels = {f: _N_LEVELS for f in FIELDS}
    start = {f: np.array(getattr(s, f), dtype=np.float64) for f in FIELDS}
    # Names, per pair of sources that is common enough among the compared pairs.
    pair_key = np.where(src[ia] <= src[ib], src[ia] + "\x1f" + src[ib], src[ib] + "\x1f" + src[ia])
    rnd_key = np.where(src[ra] <= src[rb], src[ra] + "\x1f" + src[rb], src[rb] + "\x1f" + src[ra])
    named = sc.level["name"] < MISSING
    keys, counts = np.unique(pair_key[named], return_counts=True) if named.any() else ([], [])
    own = [str(k) for k, c in zip(keys, counts) if c >= MIN_SOURCE_PAIRS]
    general = sc.level["name"].copy()
    for key in own:
        here = pair_key == key
        levels[f"name:{key}"] = np.where(here, sc.level["name"], MISSING).astype(np.int8)
        general[here] = MISSING
        here_r = rnd_key == key
        random_levels[f"name:{key}"] = np.where(here_r, rnd.level["name"], MISSING).astype(np.int8)
        if (random_levels[f"name:{key}"] < MISSING).sum() < MIN_SOURCE_PAIRS:   # too few: the general u
            random_levels[f"name:{key}"] = rnd.level["name"]
        n_levels[f"name:{key}"] = _N_LEVELS
        start[f"name:{key}"] = start["name"]
    levels["name"] = general
    u = em.estimate_u(random_levels, n_levels)
    m0 = {c: em.m_from_weights(start[c], u[c]) for c in n_levels}
    labels = np.full(len(ia), -1, dtype=np.int8)
    if must or never:
        at = {(int(i), int(j)): k for k, (i, j) in enumerate(zip(ia.tolist(), ib.tolist()))}
        for value, decided in ((1, must), (0, never)):
            for pair in decided:
                if pair in at:
                    labels[at[pair]] = value
    prior0 = float(np.clip(np.mean(sc.score >= s.match_score), 1e-3, 0.5))
    model = em.expectation_maximisation(levels, n_levels, u, m0, prior0, labels=labels, fix_u=False)

    def table(c: str) -> tuple[float, float, float, float]:
        w = np.round(model.weights(c), 2)
        return (float(w[0]), float(w[1]), float(w[2]), float(w[3]))

    by_sources = tuple((k.split("\x1f")[0], k.split("\x1f")[1], table(f"name:{k}")) for k in own)
    return replace(s, learn=False, offset=round(-model.prior_weight, 2), name_by_sources=by_sources,
                   **{f: table(f) for f in FIELDS})


# --- clustering --------------------------------------------------------------------------------




def _slipped(a: set[str], b: set[str]) -> bool:
    """Whether a postcode of one set is a postcode of the other with one character mistyped or two swapped."""
    return any(OSA.distance(x, y) <= 1 for x in a for y in b)


class _Clusters:
    """Union-find with cannot-link constraints (checked on every union, so they hold transitively)."""

    def __init__(self, n: int, places: Sequence[tuple[str, str, HouseNumber]] = ()) -> None:
        self.parent = list(range(n))
        self.apart: dict[int, set[int]] = defaultdict(set)   # root -> records its cluster must not join
        # root -> where its records are: postcode sectors, the building numbers per street each record allows (a
        # business is one premises: "12-14" allows 12, 13 and 14, and the cluster keeps what all its records allow),
        # and which part of the building ("d" a flat or other part, "p" the premises) with flat numbers and suffixes.
        self.sectors: dict[int, set[str]] = {}
        self.numbers: dict[int, dict[str, set[int]]] = {}
        self.kinds: dict[int, int] = {}              # root -> the PREMISES / DWELLING bits all its records allow
        self.marks: dict[int, tuple[set[str], set[str]]] = {}   # root -> (suffixes, flat numbers) written
        self.postcodes: dict[int, set[str]] = {}    # root -> its postcodes (a slip of one may join another)
        for i, (postcode, street, hn) in enumerate(places):
            if postcode:
                self.sectors[i] = {postcode[:-2]}
                self.postcodes[i] = {postcode}
            if street and hn.number is not None:
                if hn.unit and not hn.sub:   # "Unit 1, Bower Parade": unit 1, in whichever building
                    self.numbers[i] = {f"{street}#unit": set(hn.numbers)}
                    self.marks[i] = (set(), {f"{hn.number}{hn.suffix}"})
                    continue
                self.numbers[i] = {street: set(hn.numbers)}
                self.kinds[i] = hn.kind
                if hn.suffix or hn.sub:
                    self.marks[i] = ({hn.suffix} if hn.suffix else set(), {hn.sub} if hn.sub else set())

    def same_premises(self, ra: int, rb: int) -> bool:
        """Whether two clusters could be one premises: no two postcode sectors, no two numbers on one street, not
        the flat and the shop below it (nor 12A and 12B, nor flat 1 and flat 2)."""
        da, db = self.sectors.get(ra), self.sectors.get(rb)
        if da and db and not da & db and not _slipped(self.postcodes[ra], self.postcodes[rb]):
            return False
        na, nb = self.numbers.get(ra), self.numbers.get(rb)
        if na and nb:
            for street, nums in na.items():
                other = nb.get(street)
                if other and not nums & other:
                    return False
        ka, kb = self.kinds.get(ra), self.kinds.get(rb)
        if ka and kb and not ka & kb:
            return False
        ma, mb = self.marks.get(ra), self.marks.get(rb)
        if ma and mb:
            for x, y in zip(ma, mb):
                if x and y and not x & y:
                    return False
        return True

    def find(self, x: int) -> int:
        root = x
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[x] != root:
            self.parent[x], x = root, self.parent[x]
        return root

    def forbid(self, a: int, b: int) -> None:
        self.apart[self.find(a)].add(b)
        self.apart[self.find(b)].add(a)

    def allowed(self, a: int, b: int) -> bool:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return True
        small, other = (ra, rb) if len(self.apart.get(ra, ())) <= len(self.apart.get(rb, ())) else (rb, ra)
        return all(self.find(x) != other for x in self.apart.get(small, ()))

    def union(self, a: int, b: int, *, force: bool = False) -> bool:
        """Join the clusters of a and b unless they must stay apart (force: a person decided they are one)."""
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return True
        if not self.allowed(a, b) or (not force and not self.same_premises(ra, rb)):
            return False
        if ra > rb:
            ra, rb = rb, ra
        self.parent[rb] = ra
        if rb in self.apart:
            self.apart[ra] |= self.apart.pop(rb)
        if rb in self.sectors:
            self.sectors.setdefault(ra, set()).update(self.sectors.pop(rb))
            self.postcodes.setdefault(ra, set()).update(self.postcodes.pop(rb))
        if rb in self.numbers:
            mine = self.numbers.setdefault(ra, {})
            for street, nums in self.numbers.pop(rb).items():
                held = mine.get(street)
                # The numbers both allow (12-14 with 12 is 12); a person's decision may join any two.
                mine[street] = (held & nums or held | nums) if held else set(nums)
        if rb in self.kinds:
            # What every record allows ("1/8" with the shop is the shop); a person's decision may join any two.
            mine_kind, theirs_kind = self.kinds.get(ra, 0), self.kinds.pop(rb)
            self.kinds[ra] = (mine_kind & theirs_kind or mine_kind | theirs_kind) if mine_kind else theirs_kind
        if rb in self.marks:
            theirs = self.marks.pop(rb)
            mine_marks = self.marks.setdefault(ra, (set(), set()))
            for x, y in zip(mine_marks, theirs):
                x.update(y)
        return True


@collector_paused()
def link(records: Sequence[MatchInput], *, decisions: Mapping[tuple[str, str], str] = {},
         settings: MatchSettings | None = None) -> LinkResult:
    """Cluster records into businesses; see the module docstring."""
    s = settings or MatchSettings()
    t0 = time.perf_counter()
    index = {}
    for i, r in enumerate(records):
        if r.record_id in index:
            raise ValueError(f"record_id {r.record_id!r} appears twice; record ids must be unique")
        index[r.record_id] = i
    p = _prepare(records)
    t1 = time.perf_counter()
    ia, ib, blocks = _block_pairs(p, s)
    t2 = time.perf_counter()

    must: list[tuple[int, int]] = []
    never: list[tuple[int, int]] = []
    decided: set[tuple[int, int]] = set()
    for (x, y), decision in sorted(decisions.items()):
        if x not in index or y not in index or x == y:
            continue
        i, j = sorted((index[x], index[y]))
        decided.add((i, j))
        if decision == "match":
            must.append((i, j))
        elif decision == "no match":
            never.append((i, j))
    compared = _compare(p, ia, ib)
    sc = _weigh(p, ia, ib, *compared, s)
    if s.learn:
        s = learned_settings(p, ia, ib, sc, s, must, never)
        sc = _weigh(p, ia, ib, *compared, s)
    t3 = time.perf_counter()

    cl = _Clusters(p.n, [(pc, st, hn) for pc, st, hn in zip(p.pc, p.street, p.hn)])
    for i, j in never:
        cl.forbid(i, j)
    for i, j in must:
        cl.union(i, j, force=True)
    named = p.named
    is_match = sc.score >= s.match_score
    # Named records: strongest edges first; a pair that is clearly two premises is kept apart.
    order = np.lexsort((ib, ia, -sc.score))
    # (Pairs that are clearly two premises need no cannot-link of their own: the clusters' places refuse them.)
    strong = order[is_match[order]]
    for i, j in zip(ia[strong].tolist(), ib[strong].tolist()):
        if named[i] and named[j]:
            cl.union(i, j)
    _attach_address_only(p, sc, ia, ib, is_match, order, cl, must, s)
    t4 = time.perf_counter()

    # Number clusters by their first record id so output is stable whatever the input order.
    members: dict[int, list[int]] = defaultdict(list)
    for i in range(p.n):
        members[cl.find(i)].append(i)
    roots = sorted(members, key=lambda r: min(p.ids[i] for i in members[r]))
    number_of = {root: k for k, root in enumerate(roots)}
    cluster = np.array([number_of[cl.find(i)] for i in range(p.n)], dtype=np.int64)
    cluster_of = {p.ids[i]: int(cluster[i]) for i in range(p.n)}
    site = _sites(p, cluster)
    site_of = {p.ids[i]: int(site[i]) for i in range(p.n)}

    score_of = {rid: 100.0 for rid in p.ids}
    best: dict[int, float] = {}
    same = cluster[ia] == cluster[ib]
    for k in np.flatnonzero(same & is_match):
        for x in (int(ia[k]), int(ib[k])):
            best[x] = max(best.get(x, 0.0), float(sc.score[k]))
    for root, ms in members.items():
        if len(ms) > 1:
            for x in ms:
                score_of[p.ids[x]] = best.get(x, 100.0 if any((min(x, y), max(x, y)) in decided for y in ms)
                                              else s.match_score)

    pairs: list[PairScore] = []
    review: list[PairScore] = []
    # A person is asked only what would change the list: a pair of records already in one business is not
    # kept for review. `questions` is what one reviewer who may read every record would be asked: of the pairs
    # between the same two businesses only the likeliest, and a record without a name (an incident at an
    # address) once, with the business it fits best (the review service asks each agency the same way, among
    # the pairs it may read).
    asked: set[tuple[int, int]] = set()
    unnamed_asked: set[int] = set()
    questions: list[PairScore] = []
    keep = np.flatnonzero(sc.score >= s.review_score).tolist()
    ids = p.ids
    # Ties broken by record ids, not positions: the same records in another order ask the same pairs.
    keep.sort(key=lambda k: (-sc.score[k], *sorted((ids[ia[k]], ids[ib[k]]))))
    for k in keep:
        i, j = int(ia[k]), int(ib[k])
        ps = _pair_score(p, sc, int(k), i, j, s)
        pairs.append(ps)
        if ps.band == "review" and (i, j) not in decided:
            ci, cj = int(cluster[i]), int(cluster[j])
            if ci == cj:
                continue
            review.append(ps)
            unnamed = [x for x in (i, j) if not named[x]]
            if (min(ci, cj), max(ci, cj)) not in asked and not set(unnamed) & unnamed_asked:
                asked.add((min(ci, cj), max(ci, cj)))
                unnamed_asked.update(unnamed)
                questions.append(ps)
    connections = _connections(p, cluster, s)
    t5 = time.perf_counter()
    stats = {
        "records": float(p.n), "clusters": float(len(roots)), "candidate_pairs": float(len(ia)),
        "blocks": float(blocks), "match_pairs": float(int(is_match.sum())), "review_pairs": float(len(review)),
        "connections": float(len(connections)), "review_questions": float(len(questions)),
        "seconds_prepare": t1 - t0, "seconds_block": t2 - t1,
        "seconds_score": t3 - t2, "seconds_cluster": t4 - t3, "seconds_output": t5 - t4, "seconds": t5 - t0,
    }
    return LinkResult(cluster_of, score_of, pairs, review, connections, stats, s, site_of, questions)


def _attach_address_only(p: _Prepared, sc: _Scores, ia: np.ndarray, ib: np.ndarray, is_match: np.ndarray,
                         order: np.ndarray, cl: _Clusters, must: list[tuple[int, int]], s: MatchSettings) -> None:
    """Each address-only record joins the one named cluster it fits best; it never joins two together."""
    named = p.named
    edges: dict[int, list[tuple[float, int]]] = defaultdict(list)   # address-only record -> (score, named record)
    loose: list[tuple[float, int, int]] = []                       # address-only <-> address-only
    for k in np.flatnonzero(is_match):
        i, j = int(ia[k]), int(ib[k])
        if named[i] and named[j]:
            continue
        if named[i] != named[j]:
            x, y = (j, i) if named[i] else (i, j)
            edges[x].append((float(sc.score[k]), y))
        else:
            loose.append((float(sc.score[k]), i, j))
    forced = {}
    for i, j in must:
        for x, y in ((i, j), (j, i)):
            if not named[x] and named[y]:
                forced[x] = y
    first: dict[int, int] = {}
    latest: dict[int, int] = {}
    for i in range(p.n):
        if named[i] and p.dates[i] is not None:
            root, day = cl.find(i), p.dates[i].toordinal()
            first[root] = min(first.get(root, day), day)
            latest[root] = max(latest.get(root, day), day)

    def gap(root: int, day: int | None) -> int:
        """Days between a record and the time a business was seen trading (0 within it)."""
        if day is None or root not in latest:
            return 0
        return max(first[root] - day, day - latest[root], 0)

    attached: dict[int, int] = {}   # address-only record -> named root
    for x in sorted(set(edges) | set(forced)):
        if x in forced and cl.allowed(x, forced[x]):
            attached[x] = cl.find(forced[x])
            continue
        by_root: dict[int, float] = {}
        for score, y in edges[x]:
            root = cl.find(y)
            if cl.allowed(x, y):
                by_root[root] = max(by_root.get(root, 0.0), score)
        if not by_root:
            continue
        top = max(by_root.values())
        tied = [r for r, v in by_root.items() if v >= top - s.attach_margin]
        # Same premises, several businesses over time: the one seen trading when the record was made, else
        # the one trading most recently.
        day = p.dates[x].toordinal() if p.dates[x] is not None else None
        tied.sort(key=lambda r: (gap(r, day), -latest.get(r, 0), -by_root[r], r))
        attached[x] = tied[0]
    # Address-only records tied only to other address-only records follow them (strongest edge first).
    loose.sort(key=lambda e: (-e[0], e[1], e[2]))
    changed = True
    while changed:
        changed = False
        for score, i, j in loose:
            for x, y in ((i, j), (j, i)):
                if x not in attached and y in attached and cl.allowed(x, attached[y]):
                    attached[x] = attached[y]
                    changed = True
    for x, root in sorted(attached.items()):
        cl.union(root, x)
    for score, i, j in loose:
        if i not in attached and j not in attached:
            cl.union(i, j)


def _connections(p: _Prepared, cluster: np.ndarray, s: MatchSettings) -> list[Connection]:
    """Phones and contact names shared across clusters: a possible network, never a merge by itself; and the
    businesses in one building (a flat and the shop below it): linked, never merged."""
    out: set[tuple[int, int, str, str]] = set()
    for kind, values in (("phone", p.phone), ("contact", p.contact)):
        groups: dict[str, set[int]] = defaultdict(set)
        for i, v in enumerate(values):
            if v and (kind == "phone" or " " in v):
                groups[v].add(int(cluster[i]))
        for value, cs in groups.items():
            if 1 < len(cs) <= s.max_connection_clusters:
                for a, b in itertools.combinations(sorted(cs), 2):
                    out.add((a, b, kind, value))
    # One building: the same number on the same street in the same postcode district (a range counts for each of
    # its numbers); linked when at least one of the two is a flat or other part of it (two businesses at the
    # premises itself are the same premises over time, not a building shared).
    parts: dict[tuple[int, str, int], tuple[set[int], set[int]]] = defaultdict(lambda: (set(), set()))
    for i in np.flatnonzero((p.num >= 0) & (p.district_num >= 0)).tolist():
        hn, street = p.hn[i], p.street[i]
        if not street:
            continue
        for num in hn.numbers:
            parts[(int(p.district_num[i]), street, num)][0 if hn.dwelling else 1].add(int(cluster[i]))
    for (_d, street, num), (flats, premises) in parts.items():
        if not flats or len(flats | premises) < 2 or len(flats | premises) > s.max_connection_clusters:
            continue
        value = f"{num} {street}"
        for a in flats:
            for b in flats | premises:
                if a != b:
                    out.add((min(a, b), max(a, b), "building", value))
    first: dict[tuple[int, int, str], str] = {}
    for a, b, kind, value in sorted(out):
        first.setdefault((a, b, kind), value)
    return [Connection(a, b, kind, value) for (a, b, kind), value in first.items()]


def connection_values(kind: str, record: MatchInput) -> set[str]:
    """The values by which this record takes part in a connection of this kind (its phone, its contact key, its
    building), as `link` stores them: so a viewer is shown a connection's value only from records they may read."""
    if kind == "phone":
        return {v} if (v := _cached_phone(record.phone or "")) else set()
    if kind == "contact":
        v = _cached_contact(record.contact or "")
        return {v} if " " in v else set()
    if kind == "building":
        _pc, street, hn, *_ = _address((record.address or "").strip(), (record.postcode or "").strip())
        return {f"{n} {street}" for n in hn.numbers} if street else set()
    return set()


@dataclass(frozen=True, slots=True)
class MatchContext:
    """Other records around a pair (the same streets and postcodes), so `explain` weighs a missing number by the
    premises really on the street and can say "a different flat at the same building", as `link` would."""

    records: tuple[MatchInput, ...] = ()

    @classmethod
    def of(cls, records: Iterable[MatchInput]) -> MatchContext:
        return cls(tuple(records))


def explain(a: MatchInput, b: MatchInput, settings: MatchSettings | None = None, *,
            context: MatchContext | None = None) -> PairScore:
    """The score of one pair field by field, as `link` computes it, with a note in words (for "why matched" and
    the review screen). Without a context the pair is weighed as if nothing else were on its street."""
    s = settings or MatchSettings()
    others = [r for r in (context.records if context else ()) if r.record_id not in (a.record_id, b.record_id)]
    p = _prepare([a, b, *others])
    ia, ib = np.array([0]), np.array([1])
    sc = _score(p, ia, ib, s)
    ps = _pair_score(p, sc, 0, 0, 1, s)
    return PairScore(ps.a, ps.b, ps.score, ps.band, ps.fields, _note(p, sc, 0, 1))


def _building(hn: HouseNumber, street: str) -> str:
    number = f"{hn.number}{hn.suffix.upper()}" + (f"-{hn.last}" if hn.last else "")
    return f"{number} {street}".strip()


def _part_of(hn: HouseNumber) -> str:
    if hn.sub:
        return f"{'unit' if hn.unit else 'flat'} {hn.sub}"
    if hn.suffix:
        return f"{hn.number}{hn.suffix.upper()}"
    if hn.part == "above":
        return "the flat above"
    if hn.part in ("floor", "flat"):
        return "a flat"
    return "the premises"


def _note(p: _Prepared, sc: _Scores, i: int, j: int) -> str:
    """The telling part of a pair's comparison in words (what a person checking the pair needs first)."""
    level = {f: int(sc.level[f][0]) for f in FIELDS}
    ha, hb = p.hn[i], p.hn[j]
    street = p.street[i] or p.street[j]
    # Other businesses the context knows at this building (a flat and a shop: two premises, one building).
    if level["number"] == DISAGREE and ha.number is not None and hb.number is not None:
        same_building = ha.number <= (hb.last or hb.number) and hb.number <= (ha.last or ha.number)
        if same_building:
            where = _building(ha if ha.number == hb.number and not ha.suffix else hb, street)
            if ha.dwelling and hb.dwelling:
                return (f"Different flats at the same building ({_part_of(ha)} and {_part_of(hb)}, {where}): "
                        "different premises, linked as the same building.")
            return (f"{_part_of(ha if ha.dwelling else hb).capitalize()} and the premises at street level "
                    f"({where}): different premises, linked as the same building.")
        return (f"Different numbers on {street or 'the street'} ({_building(ha, '')} and {_building(hb, '')}): "
                "another premises, such as the shop next door.")
    if level["number"] == STRONG and (ha.last or hb.last):
        ranged, single = (ha, hb) if ha.last else (hb, ha)
        return f"{_building(single, '')} is within {_building(ranged, '')}: the same building."
    if (ha.number is None) != (hb.number is None) and level["address"] in (EXACT, STRONG):
        premises = int(p.k_street[i if ha.number is not None else j])
        if premises > 1:
            return (f"One record has no building number; the records around it hold {premises} premises on "
                    f"{street}, so the street alone says little.")
        return f"One record has no building number; it is the only premises on {street} in the records around it."
    slip = level["postcode"] == PARTIAL and p.pc[i] and p.pc[j] and p.pc[i][:-2] != p.pc[j][:-2]
    if slip and OSA.distance(p.pc[i], p.pc[j]) <= 1:
        return (f"The postcodes differ by one character ({p.pc[i]} and {p.pc[j]}): read as a slip of the same "
                "postcode.")
    if level["name"] == MISSING and p.name_kind[i] != p.name_kind[j] and p.names[i] and p.names[j]:
        if p.person[i] or p.person[j]:
            return ("One record names a person (as a tax record names a sole trader), the other the business: the "
                    "names are not compared" + ("; the person is the other record's contact."
                                                if level["contact"] == EXACT else "."))
        return ("One record names the registered company, the other the name the business trades under: the names "
                "are not compared.")
    if level["name"] == DISAGREE and level["number"] in (EXACT, STRONG) and level["postcode"] in (EXACT, STRONG):
        return "Same premises, different names: perhaps a new business at an old one's premises."
    if level["name"] in (EXACT, STRONG) and level["number"] in (EXACT, STRONG):
        return "Same name at the same premises."
    return ""
