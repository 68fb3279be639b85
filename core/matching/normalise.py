"""Normalising names, addresses, postcodes, phones and contacts so records of one business compare equal."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

# --- postcodes ---------------------------------------------------------------------------------

# Outward code shapes (A = letter, 9 = digit): A9, A99, AA9, AA99, A9A, AA9A; inward code 9AA.
_OUTWARD_SHAPES: dict[int, tuple[str, ...]] = {2: ("A9",), 3: ("A99", "AA9", "A9A"), 4: ("AA99", "AA9A")}
_TO_DIGIT = {"O": "0", "I": "1"}
_TO_LETTER = {"0": "O", "1": "I"}
_POSTCODE_IN_TEXT = re.compile(r"(?<![A-Z0-9])([A-Z][A-Z0-9]{1,3}) ?([0-9OI][A-Z]{2})(?![A-Z0-9])")


def _coerce(text: str, shape: str) -> tuple[str, int] | None:
    """Text forced into a letter/digit shape by the O/0 and I/1 slips, with the number of fixes made."""
    out, fixes = [], 0
    for ch, kind in zip(text, shape):
        if kind == "A":
            if ch.isalpha():
                out.append(ch)
            elif ch in _TO_LETTER:
                out.append(_TO_LETTER[ch])
                fixes += 1
            else:
                return None
        elif ch.isdigit():
            out.append(ch)
        elif ch in _TO_DIGIT:
            out.append(_TO_DIGIT[ch])
            fixes += 1
        else:
            return None
    return "".join(out), fixes


@lru_cache(maxsize=100_000)
def parse_postcode(text: str) -> str | None:
    """Canonical "AB1 2CD" or None when the text is not a UK postcode shape (fixes O/0, I/1 slips by position)."""
    if not text:
        return None
    compact = re.sub(r"[^A-Z0-9]", "", text.upper())
    if not 5 <= len(compact) <= 7:
        return None
    outward, inward = compact[:-3], compact[-3:]
    fixed_in = _coerce(inward, "9AA")
    if fixed_in is None:
        return None
    best: tuple[int, int, str] | None = None
    for order, shape in enumerate(_OUTWARD_SHAPES.get(len(outward), ())):
        fixed = _coerce(outward, shape)
        if fixed is not None and (best is None or (fixed[1], order) < best[:2]):
            best = (fixed[1], order, fixed[0])
    if best is None:
        return None
    return f"{best[2]} {fixed_in[0]}"


@lru_cache(maxsize=10_000)
def parse_district(text: str) -> str:
    """The outward code alone ("L8", "ls12 ") when that is all a record gives (an incident log's district), else ""."""
    compact = re.sub(r"[^A-Z0-9]", "", (text or "").upper())
    fixed = [f for shape in _OUTWARD_SHAPES.get(len(compact), ()) if (f := _coerce(compact, shape)) is not None]
    return min(fixed, key=lambda f: f[1])[0] if fixed else ""


def postcode_district(pc: str | None) -> str:
    """The outward code ("KM1 0AB" -> "KM1"), "" when there is no postcode."""
    return pc.split(" ")[0] if pc else ""


def postcode_sector(pc: str | None) -> str:
    """The sector ("KM1 0AB" -> "KM1 0"), "" when there is no postcode."""
    return pc[:-2] if pc else ""


def extract_postcode(text: str) -> tuple[str | None, str]:
    """A postcode found inside a one-line address (the last one wins), and the address without it."""
    if not text:
        return None, ""
    upper = text.upper()
    for m in reversed(list(_POSTCODE_IN_TEXT.finditer(upper))):
        pc = parse_postcode(m.group(1) + m.group(2))
        if pc is None:
            continue
        rest = (text[: m.start()] + text[m.end():]).strip()
        rest = re.sub(r"\s*,\s*(,\s*)+", ", ", rest).strip(" ,")
        return pc, rest
    return None, text.strip()


# --- names -------------------------------------------------------------------------------------

_LEGAL = {"ltd", "limited", "plc", "llp", "llc", "inc", "incorporated", "cic"}
_TRADING_AS = re.compile(r"\s+(?:t\s*/\s*a|t\.a\.|trading\s+as|trading\s+under)\s+", re.IGNORECASE)


def _words(text: str) -> list[str]:
    text = text.lower().replace("&", " and ").replace("+", " and ")
    text = re.sub(r"['’`]", "", text)  # "Sunny's" -> "sunnys"
    text = re.sub(r"[^a-z0-9]+", " ", text)
    return text.split()


def normalise_name(text: str) -> str:
    """Lower case, no punctuation, "&" -> "and", no Ltd/Limited/plc, no leading "the", no bracketed notes."""
    if not text:
        return ""
    if _TRADING_AS.search(f" {text} "):
        company, trading = split_trading_as(text)
        return trading or company
    text = re.sub(r"\([^)]*\)", " ", text)
    words = [w for w in _words(text) if w not in _LEGAL]
    while words and words[-1] in ("co", "company") and len(words) > 2 and words[-2] == "and":
        words = words[:-2]  # "Smith & Co Ltd" keeps "smith"
    if len(words) > 1 and words[0] == "the":
        words = words[1:]
    return " ".join(words)


def split_trading_as(text: str) -> tuple[str, str]:
    """("company", "trading name") from "ABC Ltd t/a The Chicken Shop"; ("", name) when there is no "t/a"."""
    if not text:
        return "", ""
    parts = _TRADING_AS.split(f" {text} ", maxsplit=1)
    if len(parts) == 1:
        return "", normalise_name(text)
    return normalise_name(parts[0]), normalise_name(parts[1])


# What a record names when it does not know the business: a fire audit's "Commercial premises", an enviro-crime
# log's "Unknown". Such a name says nothing about which business it is.
_GENERIC_WORDS = frozenset("""
    commercial shop shops retail premises unit units takeaway take away restaurant cafe office offices warehouse
    industrial store stores business property building residential dwelling house flat flats hmo mixed use vacant
    unknown unnamed none nil tbc not known various other lock up garage yard land site empty private domestic
    public pub hot food with above below licensed bar hotel supermarket convenience newsagent guest
    """.split())
_PLACEHOLDERS = frozenset({"n a", "na", "n k", "nk", "x", "tba"})


def generic_name(name: str) -> bool:
    """Whether a normalised name only describes the premises or stands for none ("shop premises", "n a")."""
    return name in _PLACEHOLDERS or all(w in _GENERIC_WORDS for w in name.split())


# Common forenames in the UK (ONS baby names and the census's most frequent, all communities), to tell a
# person's name ("FRANCES ROSE", a sole trader as the tax office files them) from a trading name.
_FORENAMES = frozenset("""
    aaron abdul abdullah abigail adam adrian ahmed aisha alan alex alexander ali alice alison amanda amir amy andrea
    andrew angela ann anna anne anthony antonio arjun asif ayesha barbara barry ben benjamin beverley bilal brian
    bushra carl carol caroline catherine charles charlie charlotte chris christine christopher claire colin craig
    daniel darren david dawn dean deborah denise dennis diane dimitri donna dorothy duncan edward elaine eleanor
    elizabeth emily emma eric fatima fiona frances francesca frank gary george georgina gillian graham grace hannah
    harry hassan helen ian imran irene jack jacqueline james jamie jane janet jason javed jean jennifer jessica joan
    john jonathan joseph josephine joyce julie karen kate katherine kathleen kelly kenneth kevin kim lee leslie
    linda lisa louise lucy luke lynn mandeep marcin margaret maria marie mark martin mary matthew maureen mehmet
    michael michelle mohammed mohammad mohamed muhammad nadia natalie neil nicholas nicola nigel olivia omar pamela
    patricia paul pauline peter philip piotr priya rachel rajesh raj ravi rebecca richard robert ronald rose ruth
    ryan sadia sally samantha samuel sandra sarah scott sean sharon shirley simon sophie stephen steven stuart
    susan suzanne tariq teresa thomas timothy tom tomasz tony tracey tracy usman valerie vanessa victoria vikram
    wayne william yasmin yusuf zainab zoe
    """.split())
# Words a trading name holds and a person's name does not ("Rose Cafe", "Frances Rose Hair").
_TRADE_WORDS = _GENERIC_WORDS | frozenset("""
    and bar barber barbers bakery butchers car cars wash express food foods wine wines kebab pizza chicken grill
    nails beauty hair salon spa motors garage services trading enterprises group solutions supplies stores mart
    market mini minimarket newsagents off licence pharmacy chemist tailors fashion mobile phones repairs vape
    tea rooms kitchen tavern inn arms lounge guest properties property lettings homes estates
    """.split()) - {"and"}


_LEGAL_FORM = re.compile(r"\b(?:ltd|limited|plc|llp|cic)\b\.?", re.IGNORECASE)


# Words of a holding company's name, not of a shop's ("ABC Trading Ltd", "Okoro Ventures Limited").
_HOLDING_WORDS = frozenset("""trading holdings holding ventures enterprises enterprise services retail group leisure
    investments investment management properties solutions international uk developments associates partners
    capital commercial""".split())
_INITIALS = re.compile(r"^\s*[A-Za-z]\s*&\s*[A-Za-z]\b")   # "T & B Leisure", "X&H Retail"


def legal_form(text: str) -> bool:
    """Whether a name as written carries a company's legal form (Ltd, Limited, plc, LLP, CIC)."""
    return bool(_LEGAL_FORM.search(text or ""))


def company_name(text: str) -> bool:
    """Whether a name as written is a registered company's that need not be the name the business trades
    under: a legal form and a holding company's words or initials ("T & B Leisure Ltd", "ABC Trading Ltd"),
    not a shop incorporated under its own name ("Golden Wok Ltd")."""
    if not text or not _LEGAL_FORM.search(text) or _TRADING_AS.search(f" {text} "):
        return False
    return bool(_INITIALS.match(text)) or any(w in _HOLDING_WORDS for w in _words(text))


def person_name(name: str, forenames: frozenset[str] = frozenset()) -> bool:
    """Whether a normalised name reads as a person's ("frances rose", "j smith", "mr bogdan dogan", "patterson
    ramesh", "a and f lewandowski", "sarah dumitru and wayne siddiqui"), not a trading name. `forenames` adds
    the first names the records at hand give their contacts to the common ones (known_forenames)."""
    known = forenames or _FORENAMES
    people = name.split(" and ")
    if len(people) > 1:   # partners: "a and f lewandowski", "sarah dumitru and wayne siddiqui"
        return all(len(p) == 1 and p.isalpha() for p in people[:-1]) and _one_person(people[-1], known) or all(
            _one_person(p, known) for p in people)
    return _one_person(name, known)


def _one_person(name: str, known: frozenset[str]) -> bool:
    words = name.split()
    titled = bool(words) and words[0] in _TITLES   # "mr bogdan dogan": a title says it is a person
    if titled:
        words = words[1:]
    if not 2 <= len(words) <= 3 or any(w in _TRADE_WORDS for w in words):
        return False
    initial = len(words[0]) == 1 and words[0].isalpha() and len(words[-1]) > 2
    return titled or initial or words[0] in known or (len(words) == 2 and words[1] in known)   # "patterson ramesh"


def known_forenames(extra: Iterable[str] = ()) -> frozenset[str]:
    """The common first names and `extra` (the first names of the contacts in the records at hand)."""
    return _FORENAMES.union(extra)


def forenames_of(contact: str) -> str:
    """The first name in a contact as written ("Mr Darren Kowalski", "STEWART, Andrew"), or ""."""
    if "," in (contact or ""):
        last, _, first = contact.partition(",")
        contact = f"{first} {last}"
    words = [w for w in _words(contact or "") if w not in _TITLES and not w.isdigit()]
    return words[0] if len(words) >= 2 and len(words[0]) > 1 else ""


# --- addresses ---------------------------------------------------------------------------------

_ABBREVIATIONS = {
    "st": "street", "str": "street", "rd": "road", "ave": "avenue", "av": "avenue", "ln": "lane", "la": "lane",
    "cres": "crescent", "cresc": "crescent", "pde": "parade", "pl": "place", "gdns": "gardens", "gdn": "garden",
    "ter": "terrace", "terr": "terrace", "tce": "terrace", "dr": "drive", "cl": "close", "ct": "court",
    "sq": "square", "gr": "grove", "gro": "grove", "hwy": "highway", "pk": "park", "est": "estate",
    "ind": "industrial", "bus": "business", "ctr": "centre", "cntr": "centre", "center": "centre", "bldg": "building",
    "bldgs": "buildings", "ho": "house", "mkt": "market", "wy": "way", "cv": "cove", "mt": "mount", "nth": "north",
    "sth": "south", "gt": "great", "lt": "little", "flr": "floor", "fl": "flat",
}
_STREET_TYPES = {
    "street", "road", "avenue", "lane", "crescent", "parade", "place", "gardens", "terrace", "drive", "close",
    "court", "square", "grove", "way", "row", "hill", "walk", "rise", "mews", "green", "broadway", "gate",
    "estate", "park", "market", "highway", "yard", "circus", "arcade", "centre", "precinct", "northgate",
    "southgate", "parkway", "boulevard", "quay", "wharf", "view", "vale", "bank", "end", "croft",
}


@lru_cache(maxsize=100_000)
def abbreviates(a: str, b: str) -> bool:
    """Whether one street is the other written short, word for word ("bdwy" for "broadway", "stn road" for
    "station road"): each short word starts as the long one does and keeps its letters in order."""
    wa, wb = a.split(), b.split()
    if len(wa) != len(wb) or a == b:
        return False
    for x, y in zip(wa, wb):
        short, long = (x, y) if len(x) <= len(y) else (y, x)
        if short == long:
            continue
        if len(short) < 3 or len(short) > len(long) - 2 or short[0] != long[0]:
            return False
        rest = iter(long[1:])
        if not all(ch in rest for ch in short[1:]):
            return False
    return True


def normalise_address(text: str) -> str:
    """Lower case, St/Rd/Ave... spelt out, "&" -> "and", punctuation dropped; commas kept between parts."""
    return ", ".join(" ".join(words) for words in address_parts(text))


_APOSTROPHES = re.compile(r"['’`.]")
_NUMBER_RANGE = re.compile(r"(?<=\d)\s*-\s*(?=\d)")
_NUMBER_SLASH = re.compile(r"(?<=\d)\s*/\s*(?=\d)")
_OUTSIDE = re.compile(r"\bo\s*/\s*s\b")
_NOT_ADDRESS = re.compile(r"[^a-z0-9/\-,]+")


def _raw_parts(text: str) -> list[list[str]]:
    """Lower-case words per comma-separated part, numbers kept whole ("12-14", "3/12")."""
    text = _APOSTROPHES.sub("", text.lower().replace("&", " and "))
    text = _NUMBER_RANGE.sub("-", text)  # "12 - 14" -> "12-14"
    text = _NUMBER_SLASH.sub("/", text)  # "3 / 12" -> "3/12"
    text = _OUTSIDE.sub(" outside ", text)
    text = _NOT_ADDRESS.sub(" ", text)
    return [[w for w in part.split() if w.strip("-/")] for part in text.split(",")]


def address_parts(text: str) -> list[list[str]]:
    """The normalised words of each part of an address (abbreviations spelt out, no leading "the")."""
    parts = []
    for raw in _raw_parts(text or ""):
        words = [_ABBREVIATIONS.get(w, w) for w in raw]
        if len(words) > 1 and words[0] == "the":
            words = words[1:]
        if words:
            parts.append(words)
    return parts


# --- house numbers -----------------------------------------------------------------------------


MAX_RANGE = 10  # "12-14" stands for 12, 13 and 14; a range is read for at most this many numbers after the first


@dataclass(frozen=True, slots=True)
class HouseNumber:
    """Where on a street: the building number and what part of it (a flat, a unit, the rear, outside)."""

    number: int | None = None   # the building's number (the lower one of a range)
    suffix: str = ""            # "a" in 12A
    last: int | None = None     # 14 in 12-14
    sub: str = ""               # a flat or unit within the building: "3" in 3/12 or "Flat 3, 12"
    unit: bool = False          # an estate unit ("Unit 3"): the number is the unit's own
    part: str = ""              # "above" | "floor" | "rear" | "outside" | "flat" | "" (the premises itself)
    slash: bool = False         # written "3/12": flat 3 or unit 3 of number 12, as the agency's habit has it

    @property
    def present(self) -> bool:
        return self.number is not None

    def covers(self, n: int) -> bool:
        """Whether number n is this building (in its range)."""
        return self.number is not None and self.number <= n <= (self.last or self.number)

    @property
    def numbers(self) -> range:
        """The building numbers it stands for: 12, or 12 to 14 for "12-14" (at most MAX_RANGE more than the first;
        a longer "range" is a slip, not a terrace); empty without a number."""
        if self.number is None:
            return range(0)
        return range(self.number, min(self.last or self.number, self.number + MAX_RANGE) + 1)

    @property
    def dwelling(self) -> bool:
        """A flat or other separate part of the building ("Flat above 12", "Flat 1, 12", "3/12", "12A"), not the
        premises at street level; the rear of or outside a building is still the premises, and so is a unit of it
        ("Unit 1, 8 Fry Pde" is a shop)."""
        return bool(self.suffix) or (bool(self.sub) and not self.unit) or self.part in _DWELLING_PARTS

    @property
    def kind(self) -> int:
        """What it can be, as bits: PREMISES (a shop, a unit), DWELLING (a flat) or both for "1/8", which is unit 1
        of number 8 in one agency's habit and the flat on floor 1 in another's (the other records decide)."""
        if self.slash:
            return PREMISES | DWELLING
        return DWELLING if self.dwelling else PREMISES


PREMISES, DWELLING = 1, 2
_NUM = re.compile(r"^(\d{1,5})([a-z]?)$")
_RANGE = re.compile(r"^(\d{1,5})([a-z]?)-(\d{1,5})([a-z]?)$")
_SLASH = re.compile(r"^(\d{1,4}[a-z]?)/(\d{1,5})([a-z]?)$")
_FLOORS = {"ground", "first", "second", "third", "fourth", "basement", "top", "upper", "lower", "1st", "2nd", "3rd"}
_FLAT_WORDS = {"flat", "flats", "apartment", "apt", "maisonette", "room", "rooms", "floor", "storey"}
_DWELLING_PARTS = frozenset({"above", "floor", "flat"})
_POSITION = {"above": "above", "over": "above", "rear": "rear", "back": "rear", "behind": "rear", "outside": "outside",
             "adjacent": "outside", "opposite": "outside", "beside": "outside", "side": "rear", "land": "outside"}


def house_number(text: str) -> HouseNumber:
    """The building number and the part of it from an address line ("Flat above 12 High St" -> 12, above)."""
    return house_number_of(address_parts(text))


def house_number_of(parts: list[list[str]]) -> HouseNumber:
    """house_number() of an address already split by address_parts()."""
    words = [w for part in parts for w in part]
    sub, unit = "", False
    found = set()
    for i, w in enumerate(words):
        if w in _POSITION:
            found.add(_POSITION[w])
        elif w in _FLOORS and i + 1 < len(words) and words[i + 1] in _FLAT_WORDS:
            if w != "ground" or words[i + 1] != "floor":  # the ground floor is the shop itself
                found.add("floor")
        elif w in ("flat", "apartment", "apt", "room", "maisonette"):
            found.add("flat")
    # The most telling position wins: "Flat above 12" is above, "First floor flat" is a floor, and "o/s First Floor
    # Flat, 12" is still the flat (outside or behind a flat is where the flat's rubbish is, not the shop's).
    part = next((p for p in ("above", "floor", "flat", "rear", "outside") if p in found), "")
    # Numbers are read part by part: in "Flat 1, 12 High St" the 1 is the flat and 12 the building.
    words = [w for part in parts for w in [","] + part]
    pending = ""  # "First floor flat 12 High St": a flat's number with no other number after it is the building's
    unit_number = ""
    for i, w in enumerate(words):
        prev = words[i - 1] if i else ","
        m = _SLASH.match(w)
        if m:  # "3/12": flat or unit 3 at number 12
            return HouseNumber(int(m.group(2)), m.group(3), None, m.group(1), False, part, slash=True)
        m = _RANGE.match(w)
        if m:
            first, last = int(m.group(1)), int(m.group(3))
            if prev in ("flats", "flat", "apartments", "rooms"):
                sub = w   # "Flats 1-3, 21 Beaconsfield Parade": the flats of number 21
                pending = pending or w
                continue
            if last > first:
                return HouseNumber(first, m.group(2), last, sub, unit, part)
            continue
        if len(w) == 1 and w.isalpha() and prev in ("flat", "apartment", "apt", "room", "suite"):
            sub = w  # "Flat A, 45 High St": flat A (another flat than flat B), keep looking for the building
            continue
        m = _NUM.match(w)
        if not m:
            continue
        if prev in ("flat", "apartment", "apt", "room", "suite") or (prev == "floor" and i > 2):
            sub = m.group(1) + m.group(2)  # "Flat 1, 12 High St": 1 is the flat, keep looking for the building
            pending = pending or w
            continue
        if prev in ("unit", "units", "plot", "workshop", "bay", "shop"):
            # "Unit 3, Mill Estate": the unit's own number; "Unit 1, 8 Fry Pde": unit 1 of number 8 (as "1/8")
            unit = True
            unit_number = unit_number or w
            continue
        return HouseNumber(int(m.group(1)), m.group(2), None, unit_number or sub, unit, part)
    if unit_number:
        m = _NUM.match(unit_number)
        return HouseNumber(int(m.group(1)), m.group(2), None, sub, True, part)
    if pending:  # "First floor flat 13, Sheep St": no other number, so 13 is the building's
        m = _NUM.match(pending)
        if m:
            return HouseNumber(int(m.group(1)), m.group(2), None, "", unit, part)
        m = _RANGE.match(pending)   # "Flats 1-3 High St": read as numbers 1 to 3, as a range of buildings is
        if int(m.group(3)) > int(m.group(1)):
            return HouseNumber(int(m.group(1)), m.group(2), int(m.group(3)), "", unit, part)
    return HouseNumber(None, "", None, sub, unit, part)


_DIGIT = re.compile(r"\d")
_NOT_STREET = _FLAT_WORDS | _FLOORS | set(_POSITION) | {"of", "unit", "units", "plot", "workshop", "bay", "the", "to",
                                                         "at", "and", "suite", "premises", "shop"}


def street_of(address: str) -> str:
    """The street part of a normalised address: the words after the number, or the first part naming a street."""
    return street_of_parts([p.split() for p in address.split(", ") if p])


def street_of_parts(parts: list[list[str]]) -> str:
    """street_of() of an address already split by address_parts()."""
    skip = _NOT_STREET
    for k, words in enumerate(parts):
        idx = [i for i, w in enumerate(words) if _DIGIT.search(w)]
        if not idx:
            continue
        after = [w for w in words[idx[-1] + 1:] if w not in skip and not _DIGIT.search(w)]
        if after:
            return " ".join(after)
        for nxt in parts[k + 1:]:
            rest = [w for w in nxt if w not in skip and not _DIGIT.search(w)]
            if rest:
                return " ".join(rest)
        break
    for words in parts:
        if any(w in _STREET_TYPES for w in words):
            return " ".join(w for w in words if w not in skip and not _DIGIT.search(w))
    for words in parts:
        rest = [w for w in words if w not in skip and not _DIGIT.search(w)]
        if rest:
            return " ".join(rest)
    return ""


# --- phones and contacts -----------------------------------------------------------------------


def normalise_phone(text: str) -> str:
    """UK digits with the leading 0 ("+44 1632 960123" -> "01632960123"); "" when it is not a usable number."""
    if not text:
        return ""
    text = re.split(r"(?i)\s*(?:ext|x)\.?\s*\d+\s*$", text.strip())[0]
    digits = re.sub(r"\D", "", text)
    if digits.startswith("0044"):
        digits = "0" + digits[4:]
    elif digits.startswith("44") and len(digits) in (11, 12):
        digits = "0" + digits[2:]
    if digits.startswith("00"):
        return ""
    if not digits.startswith("0"):
        digits = "0" + digits
    if digits.startswith("00") or not 10 <= len(digits) <= 11 or len(set(digits[1:])) == 1:
        return ""
    return digits


_TITLES = {"mr", "mrs", "ms", "miss", "dr", "prof", "sir", "rev", "mx"}


_NO_CONTACT = frozenset({"n a", "na", "n k", "nk", "not known", "unknown", "none", "nil", "tbc", "tba", "manager",
                         "the manager", "owner", "the owner", "proprietor", "the proprietor", "occupier",
                         "the occupier", "dps", "licence holder", "licensee", "resident", "tenant", "staff"})


def normalise_contact(text: str) -> str:
    """A comparable key "initial surname" ("SMITH, John" / "J. Smith" / "John Smith" -> "j smith"); a company
    named as the contact is one word ("kilic_restaurants"); "Not known", "Manager" and the like are no one."""
    if not text:
        return ""
    if " ".join(_words(text)) in _NO_CONTACT:
        return ""
    if legal_form(text):
        return "_".join(normalise_name(text).split())
    if "," in text:
        last, _, first = text.partition(",")
        text = f"{first} {last}"
    words = [w for w in _words(text) if w not in _TITLES and not w.isdigit()]
    if not words:
        return ""
    if len(words) == 1:
        return words[0]
    return f"{words[0][0]} {words[-1]}"
