"""Seeded generator of multi-agency premises exports with ground truth, for the matching benchmark.

    .venv/bin/python bench/premises.py --businesses 100000 --seed 1 --out /tmp/premises

Writes one file per agency, each with its own columns and habits, `truth.csv`
(`record_id,business_id`, record_id = "<file name without extension>:<reference>") and
`businesses.csv` (each true business, its agencies and the hard cases it takes part in):

  FS_food_hygiene.csv       address split over AddressLine1..3, ratings 0-5, ISO dates
  TS_trading_standards.xlsx upper case, postcode only inside the one-line address, complaint counts
  LIC_licensing.csv         semicolon-delimited; premises name and licence holder ("Ltd t/a ...")
  HOU_hmo_register.csv      address only (HMOs; "Flat above 12", "12A", "Flat 1, 12", "First floor flat 12")
  ENV_fly_tipping.csv       address only, often no postcode, one row per incident (repeats)
  FRS_fire_audits.csv       Windows-1252 ("Café", "£"), risk High/Medium/Low, SQL-style date-times
  HMRC_tax_risk.csv         interest only: company name in capitals, address, postcode
  GLAA_labour.xlsx          company and trading name, contact, priority P1-P3

Hard cases come at fixed rates: generic and chain names in many towns, the shop next door (adjacent
numbers, same trade), phoenixes (a new business at an old one's premises, old records older), flats
above shops (an HMO known to housing: its own business at the shop's number, never the shop; sometimes two
flats, "Flat 1" and "Flat 2", above one shop; the shop's fly-tipping "o/s 12" or "Rear of 12" stays the
shop's), trading vs company names, networks (one owner, several shopfronts sharing a phone or a
contact: different businesses), units on industrial estates, within-agency duplicates.
Deterministic for a seed; 100,000 businesses take a few seconds.
"""
from __future__ import annotations

import argparse
import csv
import random
import string
import sys
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from core.demo import FIRST_NAMES, HIGH_STREETS, LAST_NAMES, STREET_STEMS  # noqa: E402  (name lists only)

TODAY = date(2026, 11, 1)

# --- agencies and their files ---------------------------------------------------------------

FILES: dict[str, str] = {
    "FS": "FS_food_hygiene.csv",
    "TS": "TS_trading_standards.xlsx",
    "LIC": "LIC_licensing.csv",
    "HOU": "HOU_hmo_register.csv",
    "ENV": "ENV_fly_tipping.csv",
    "FRS": "FRS_fire_audits.csv",
    "HMRC": "HMRC_tax_risk.csv",
    "GLAA": "GLAA_labour.xlsx",
}

# --- businesses -------------------------------------------------------------------------------

SECTOR_WEIGHTS: dict[str, float] = {
    "takeaway": 15, "restaurant": 8, "cafe": 6, "convenience store": 12, "off-licence": 4, "pub": 4,
    "car wash": 5, "nail bar": 6, "barber": 7, "vape shop": 4, "phone shop": 3, "HMO": 14, "warehouse": 5,
    "factory": 3, "hotel": 2, "clothing": 2,
}
SECTOR_NAMES: dict[str, tuple[str, ...]] = {
    "takeaway": ("Chicken Shop", "Kebab King", "Golden Wok", "Best Pizza", "Dragon Garden", "Tasty Bites",
                 "Hot Spot Grill", "Spice Hut", "Royal Balti", "Istanbul Grill", "Happy Garden", "Fish Bar",
                 "Peri Peri Express", "Mama's Kitchen", "Pizza Palace", "Fried Chicken", "Noodle Bar", "Kebab House",
                 "Chippy", "Curry Corner", "Lucky Star", "New China", "Pizza Express Delivery", "Tandoori Nights"),
    "restaurant": ("The Olive Tree", "Taj Mahal", "Bella Napoli", "Golden Palace", "The Spice Route", "Lemon Grass",
                   "Anatolia Meze", "The Bengal Lancer", "Saigon Kitchen", "Casa Rosa", "Jade Garden", "Bombay Brasserie",
                   "La Trattoria", "Thai Orchid", "The Mezze House", "Shanghai Nights", "El Toro"),
    "cafe": ("Café Rouge", "Corner Café", "The Coffee House", "Café Bella", "Beans & Bites", "The Tea Room",
             "Daily Grind", "Sunrise Café", "The Breakfast Club", "Café Nero's"),
    "convenience store": ("Mini Market", "Day & Night Store", "Super Save", "Local Express", "Family Mart",
                          "Corner Shop", "Late Shop", "Euro Market", "Polski Sklep", "Convenience Store", "Supermarket"),
    "off-licence": ("Booze Express", "Wine & Spirits", "Cellar Door Off Licence", "Liquor Stop", "Bottle Shop",
                    "Off Licence"),
    "pub": ("The Red Lion", "The Crown", "The Kings Arms", "The Plough", "The White Hart", "The Railway Tavern",
            "The Bell", "The Royal Oak", "The Swan", "The George", "The Wheatsheaf", "The Black Horse"),
    "car wash": ("Sparkle Car Wash", "Valet Express", "Shine Car Wash", "Jet Wash Valeting", "Hand Wash & Valet",
                 "Auto Spa"),
    "nail bar": ("Pro Nails", "Lotus Nails", "Crystal Nails", "Star Nails", "Glamour Nails", "Nails & Beauty",
                 "Luxury Nails", "Perfect Nails"),
    "barber": ("Turkish Barbers", "Sharp Cutz", "Kingz Barbers", "Fade Masters", "Gents Barbers", "Barber Shop",
               "Clippers", "The Barber Lounge"),
    "vape shop": ("Vape Zone", "Cloud Nine Vapes", "Vape & Phone", "Smoke Station", "Vapour Lounge", "Vape Hub"),
    "phone shop": ("Phone Fix", "Mobile World", "Unlock & Repair", "Phones 4 Less", "Mobile Zone", "Fone Doctor"),
    "warehouse": ("Distribution", "Logistics", "Wholesale", "Cash & Carry", "Fulfilment", "Storage"),
    "factory": ("Packaging", "Textiles", "Food Processing", "Recycling", "Engineering", "Print"),
    "hotel": ("Guest House", "Lodge", "Hotel", "Inn"),
    "clothing": ("Fashion", "Boutique", "Designer Outlet", "Sportswear"),
}
# Generic names and real chains used by many unrelated businesses in many towns: the classic trap.
GENERIC_NAMES: dict[str, tuple[str, ...]] = {
    "convenience store": ("Food & Wine", "Food and Wine", "Londis", "Premier", "Costcutter", "Nisa Local"),
    "car wash": ("Hand Car Wash",),
    "cafe": ("Costa Coffee", "Greggs", "Subway"),
    "takeaway": ("Chicken Shop", "Domino's Pizza", "Fish & Chips", "Chinese Takeaway"),
    "barber": ("Express Barbers", "Turkish Barbers"),
    "nail bar": ("Nails & Beauty",),
    "vape shop": ("Vape Zone",),
    "off-licence": ("Bargain Booze",),
    "phone shop": ("Phone Repair",),
}
GENERIC = {n for names in GENERIC_NAMES.values() for n in names}
GENERIC_RATE: dict[str, float] = {"cafe": 0.30, "convenience store": 0.22, "car wash": 0.35, "takeaway": 0.10,
                                  "barber": 0.10, "nail bar": 0.08, "vape shop": 0.08, "off-licence": 0.10,
                                  "phone shop": 0.10}
COMPANY_WORDS = ("Foods", "Trading", "Enterprises", "Retail", "Holdings", "Group", "Services", "Ventures", "UK",
                 "International", "Catering", "Investments")
KIND: dict[str, tuple[tuple[str, float], ...]] = {
    "HMO": (("residential", 1.0),),
    "warehouse": (("estate", 1.0),),
    "factory": (("estate", 1.0),),
    "car wash": (("commercial", 0.5), ("estate", 0.5)),
    "convenience store": (("commercial", 0.8), ("residential", 0.2)),
    "takeaway": (("commercial", 0.9), ("residential", 0.1)),
    "hotel": (("commercial", 0.6), ("residential", 0.4)),
}
# Which agencies hold a sector: weights for choosing k agencies without replacement.
AFFINITY: dict[str, dict[str, float]] = {
    "takeaway": {"FS": 14, "LIC": 3, "TS": 1, "ENV": 3, "FRS": 2, "HMRC": 3, "GLAA": 1},
    "restaurant": {"FS": 14, "LIC": 4, "FRS": 2, "HMRC": 2, "ENV": 1, "GLAA": 1},
    "cafe": {"FS": 14, "LIC": 1, "HMRC": 1, "ENV": 1, "FRS": 1},
    "convenience store": {"TS": 8, "FS": 6, "LIC": 6, "HMRC": 2, "ENV": 1},
    "off-licence": {"LIC": 9, "TS": 6, "HMRC": 2, "FS": 1},
    "pub": {"LIC": 10, "FS": 6, "FRS": 2, "ENV": 1},
    "car wash": {"ENV": 5, "GLAA": 5, "HMRC": 3, "FRS": 1, "TS": 1},
    "nail bar": {"LIC": 4, "GLAA": 4, "HMRC": 3, "TS": 2, "FRS": 1},
    "barber": {"TS": 3, "HMRC": 4, "ENV": 1, "LIC": 2, "GLAA": 1},
    "vape shop": {"TS": 10, "HMRC": 2},
    "phone shop": {"TS": 8, "HMRC": 2},
    "HMO": {"HOU": 12, "FRS": 3, "ENV": 2},
    "warehouse": {"FRS": 6, "GLAA": 4, "HMRC": 3, "TS": 2, "ENV": 2},
    "factory": {"FRS": 6, "GLAA": 5, "HMRC": 3, "ENV": 3, "FS": 1},
    "hotel": {"FS": 6, "LIC": 5, "FRS": 6, "GLAA": 1},
    "clothing": {"TS": 8, "HMRC": 3, "GLAA": 2},
}
# How many agencies hold a business: ~35% two or more (the published evaluation found 35%).
AGENCY_COUNTS = (1, 2, 3, 4, 5)
AGENCY_COUNT_WEIGHTS = (65.0, 22.0, 8.5, 3.3, 1.2)

# --- rates of the hard cases (per business unless said) ---------------------------------------
NEIGHBOUR_RATE = 0.05      # a business opened next door to another, same trade
PHOENIX_RATE = 0.02        # a business closed and a new one opened at its premises
FLAT_ABOVE_RATE = 0.25     # share of HMOs that are flats above a shop
SECOND_FLAT_RATE = 0.2     # a flat above a shop written "Flat 1, 12" has a "Flat 2, 12" above it too
NETWORK_RATE = 0.015       # owners with 2-4 shopfronts (shared phone and/or contact)
DUPLICATE_RATE = 0.03      # an agency holds the same business twice (re-registration)

TOWN_WITHOUT_POSTCODE = 0.85  # an address with neither postcode nor town is rare

AREAS = ("KM", "AX", "FW", "HG", "SB", "RT", "WD", "LX", "NP", "QE", "TZ", "BV", "CY", "DN", "EG", "GU")
INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"  # the inward code never uses C, I, K, M, O or V
TOWN_STEMS = ("Kings", "Ash", "Fen", "Hollo", "Stan", "Brad", "Carl", "Dun", "Elm", "Fair", "Glen", "Hart", "Ives",
              "Kel", "Lang", "Marl", "Nor", "Oak", "Pen", "Ravens", "Shel", "Thorn", "Up", "Wal", "Wey", "Yarn",
              "Bex", "Chal", "Dor", "Ever", "Gras", "Hal", "Lyn", "Mel", "Ned", "Ot", "Pres", "Rox", "Sand", "Tad")
TOWN_ENDS = ("mere", "by", "wick", "ford", "ton", "ham", "bridge", "field", "ley", "worth", "borough", "stead")
ESTATE_TYPES = ("Industrial Estate", "Trading Estate", "Business Park")
RESIDENTIAL_TYPES = ("Road", "Street", "Avenue", "Lane", "Grove", "Close", "Terrace", "Crescent", "Gardens", "Way")
ABBREV = (("Street", "St"), ("Road", "Rd"), ("Avenue", "Ave"), ("Lane", "Ln"), ("Crescent", "Cres"),
          ("Industrial Estate", "Ind Est"), ("Trading Estate", "Trad Est"), ("Business Park", "Bus Pk"),
          ("Gardens", "Gdns"), ("Terrace", "Terr"), ("Parade", "Pde"), ("Close", "Cl"))
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass
class Street:
    name: str
    town: str
    district: str
    kind: str                 # commercial | residential | estate
    next_number: int = 1
    postcodes: dict[int, str] = field(default_factory=dict)


@dataclass
class Business:
    id: str
    sector: str
    name: str                 # trading name ("" for an HMO)
    company: str              # legal entity ("" for a sole trader)
    number: str               # "12", "12A", "Unit 3", "Flat above 12", "Flat 1, 12", "First floor flat 12"
    street: Street
    postcode: str
    phone: str
    contact: str              # "John Smith"
    opened: date
    closed: date | None = None
    agencies: list[str] = field(default_factory=list)
    cases: set[str] = field(default_factory=set)   # the hard cases it takes part in (businesses.csv)
    housing: bool = False     # a flat above a shop: always on the housing (HMO) register


class Generator:
    """Builds businesses, then each agency's rows; all randomness from one seeded Random."""

    def __init__(self, businesses: int, seed: int) -> None:
        self.n = businesses
        self.rng = random.Random(seed)
        self.biz: list[Business] = []
        self._postcodes: set[str] = set()
        self._phones: set[str] = set()
        self.rows: dict[str, list[tuple[str, dict[str, object]]]] = {a: [] for a in FILES}  # (business_id, row)
        self._refs: dict[str, int] = {a: 0 for a in FILES}

    # --- geography ------------------------------------------------------------------------
    def geography(self) -> None:
        r = self.rng
        n_towns = max(4, self.n // 1500)
        names: list[str] = []
        seen: set[str] = set()
        while len(names) < n_towns:
            name = r.choice(TOWN_STEMS) + r.choice(TOWN_ENDS)
            if len(seen) > 400:  # more towns than stems x ends: add a qualifier
                name = f"{name} {r.choice(('Green', 'Cross', 'Magna', 'Parva', 'Heath', 'Vale'))}"
            if name not in seen:
                seen.add(name)
                names.append(name)
        self.streets: dict[str, list[Street]] = {"commercial": [], "residential": [], "estate": []}
        self.town_weight: list[float] = []
        district_no: dict[str, int] = {}
        for i, town in enumerate(names):
            area = AREAS[i % len(AREAS)]
            size = r.paretovariate(1.6)
            districts = []
            for _ in range(1 + min(3, int(size))):
                district_no[area] = district_no.get(area, 0) + 1
                districts.append(f"{area}{district_no[area]}")
            scale = max(1, round(size * 3))
            highs = r.sample(HIGH_STREETS, min(len(HIGH_STREETS), 3 + scale))
            for s in highs:
                self.streets["commercial"].append(Street(s, town, r.choice(districts), "commercial"))
            for _ in range(6 + scale * 4):
                s = f"{r.choice(STREET_STEMS)} {r.choice(RESIDENTIAL_TYPES)}"
                self.streets["residential"].append(Street(s, town, r.choice(districts), "residential"))
            for _ in range(1 + scale // 3):
                s = f"{r.choice(STREET_STEMS)} {r.choice(ESTATE_TYPES)}"
                self.streets["estate"].append(Street(s, town, r.choice(districts), "estate"))

    def postcode(self, street: Street, number: int) -> str:
        """One postcode per block of ~14 numbers on a street, unique across the area."""
        block = number // 14
        code = street.postcodes.get(block)
        if code is None:
            while True:
                code = f"{street.district} {self.rng.randint(0, 9)}{self.rng.choice(INWARD_LETTERS)}" \
                       f"{self.rng.choice(INWARD_LETTERS)}"
                if code not in self._postcodes:
                    break
            self._postcodes.add(code)
            street.postcodes[block] = code
        return code

    def place(self, kind: str) -> tuple[Street, str, int]:
        """A new address of this kind: street, the house number as written, and its number."""
        street = self.rng.choice(self.streets[kind])
        n = street.next_number
        if kind == "estate":
            street.next_number += 1
            return street, f"Unit {n}", n
        street.next_number += 2 if self.rng.random() < 0.85 else 4
        return street, str(n), n

    # --- people and names -----------------------------------------------------------------
    def person(self) -> str:
        return f"{self.rng.choice(FIRST_NAMES)} {self.rng.choice(LAST_NAMES)}"

    def phone(self) -> str:
        while True:
            if self.rng.random() < 0.45:
                p = f"07{self.rng.randint(100, 999)}{self.rng.randint(100000, 999999)}"
            else:
                p = f"01{self.rng.randint(100, 999)}{self.rng.randint(100000, 999999)}"
            if p not in self._phones:
                self._phones.add(p)
                return p

    def trading_name(self, sector: str, street: Street, contact: str) -> str:
        r = self.rng
        if sector == "HMO":
            return ""
        if sector in GENERIC_NAMES and r.random() < GENERIC_RATE[sector]:
            return r.choice(GENERIC_NAMES[sector])
        base = r.choice(SECTOR_NAMES[sector])
        if sector in ("warehouse", "factory", "clothing"):
            return f"{r.choice(STREET_STEMS + (street.town,))} {base}"
        if sector == "hotel":
            return f"{r.choice(STREET_STEMS)} {base}"
        roll = r.random()
        if base.startswith("The "):
            return base
        if roll < 0.12:
            return f"{street.name.replace('The ', '').split()[0]} {base}"
        if roll < 0.22:
            return f"{street.town.split()[0]} {base}"
        if roll < 0.30:
            return f"{contact.split()[0]}'s {base}"
        return base

    def company_name(self, name: str, contact: str) -> str:
        r = self.rng
        roll = r.random()
        if not name:
            return f"{contact.split()[-1]} Properties Ltd" if roll < 0.35 else ""
        if roll < 0.30 and name not in GENERIC:
            return f"{name.removeprefix('The ')} Ltd"
        if roll < 0.45:
            return f"{r.choice(string.ascii_uppercase)}&{r.choice(string.ascii_uppercase)} {r.choice(COMPANY_WORDS)} Ltd"
        if roll < 0.62:
            return f"{contact.split()[-1]} {r.choice(COMPANY_WORDS)} Ltd"
        return ""

    # --- businesses -----------------------------------------------------------------------
    def new_business(self, sector: str, street: Street, number: str, n: int, *, name: str | None = None,
                     company: str | None = None, phone: str | None = None, contact: str | None = None,
                     opened: date | None = None) -> Business:
        contact = contact or self.person()
        name = self.trading_name(sector, street, contact) if name is None else name
        company = self.company_name(name, contact) if company is None else company
        opened = opened or TODAY - timedelta(days=int(self.rng.expovariate(1 / 2000)) + 30)
        b = Business(f"B{len(self.biz) + 1:07d}", sector, name, company, number, street,
                     self.postcode(street, n), phone or self.phone(), contact, opened)
        if name in GENERIC:
            b.cases.add("generic or chain name")
        if number.startswith("Unit "):
            b.cases.add("unit on an estate")
        if company and name and company.removesuffix(" Ltd").removeprefix("The ") != name.removeprefix("The "):
            b.cases.add("trading name differs from company")
        self.biz.append(b)
        return b

    def businesses(self) -> None:
        r = self.rng
        sectors, weights = list(SECTOR_WEIGHTS), list(SECTOR_WEIGHTS.values())
        shops: list[Business] = []
        flats: set[str] = set()   # shops with flats above them already
        while len(self.biz) < self.n:
            sector = r.choices(sectors, weights)[0]
            kinds = KIND.get(sector, (("commercial", 1.0),))
            kind = r.choices([k for k, _ in kinds], [w for _, w in kinds])[0]
            if sector == "HMO" and shops and r.random() < FLAT_ABOVE_RATE and (shop := r.choice(shops)).id not in flats:
                # A flat above a shop: same number and postcode, its own business (an HMO known to housing). One
                # set of flats per shop: "Flat above 12" and "12A" written by two agencies may well be one flat.
                flats.add(shop.id)
                style = r.choices(("above", "suffix", "numbered", "floor"), (40, 25, 20, 15))[0]
                numbers = {"above": [f"Flat above {shop.number}"], "suffix": [f"{shop.number}A"],
                           "floor": [f"First floor flat {shop.number}"],
                           "numbered": [f"Flat {k}, {shop.number}" for k in
                                        ((1, 2) if r.random() < SECOND_FLAT_RATE else (1,))]}[style]
                for number in numbers:
                    if len(self.biz) >= self.n:
                        break
                    flat = self.new_business("HMO", shop.street, number, int(shop.number))
                    flat.cases.add("flat above a shop")
                    flat.housing = True
                shop.cases.add("flat above a shop")
                continue
            street, number, n = self.place(kind)
            b = self.new_business(sector, street, number, n)
            if kind == "commercial":
                shops.append(b)
            roll = r.random()
            if roll < NEIGHBOUR_RATE and len(self.biz) < self.n:
                # the shop next door: adjacent number, same trade, often a similar or generic name
                n2 = n + 2 if kind != "estate" else n + 1
                street.next_number = max(street.next_number, n2 + 2)
                num2 = f"Unit {n2}" if kind == "estate" else str(n2)
                same = b.name if (b.name in GENERIC and r.random() < 0.5) else None
                b2 = self.new_business(sector, street, num2, n2, name=same)
                b.cases.add("shop next door")
                b2.cases.add("shop next door")
            elif roll < NEIGHBOUR_RATE + PHOENIX_RATE and len(self.biz) < self.n:
                # phoenix: the old business closed, a new one opened at the same premises (often same people)
                b.closed = TODAY - timedelta(days=r.randint(60, 900))
                b.opened = min(b.opened, b.closed - timedelta(days=365))
                keep_people = r.random() < 0.6
                b2 = self.new_business(sector, street, number, n, phone=b.phone if keep_people and r.random() < 0.7
                                       else None, contact=b.contact if keep_people else None,
                                       opened=b.closed + timedelta(days=r.randint(5, 50)))
                b.cases.add("phoenix (old)")
                b2.cases.add("phoenix (new)")
            elif roll < NEIGHBOUR_RATE + PHOENIX_RATE + NETWORK_RATE and kind != "residential":
                # a network: one owner, 1-3 more shopfronts elsewhere sharing a phone and/or a contact
                share_phone = r.random() < 0.6
                for _ in range(r.randint(1, 3)):
                    if len(self.biz) >= self.n:
                        break
                    s2, num2, n2 = self.place(kind)
                    b2 = self.new_business(sector, s2, num2, n2, company=b.company if r.random() < 0.5 else None,
                                           phone=b.phone if share_phone else None,
                                           contact=b.contact if (not share_phone or r.random() < 0.5) else None)
                    b.cases.add("network (shared phone or contact)")
                    b2.cases.add("network (shared phone or contact)")

    def assign_agencies(self) -> None:
        r = self.rng
        for b in self.biz:
            aff = AFFINITY[b.sector]
            k = min(r.choices(AGENCY_COUNTS, AGENCY_COUNT_WEIGHTS)[0], len(aff))
            names, weights = list(aff), list(aff.values())
            chosen: list[str] = []
            for _ in range(k):
                a = r.choices(names, weights)[0]
                i = names.index(a)
                names.pop(i)
                weights.pop(i)
                chosen.append(a)
            if b.housing and "HOU" not in chosen:
                chosen[0] = "HOU"
            b.agencies = chosen

    # --- how an agency writes things down -----------------------------------------------
    def typo(self, s: str) -> str:
        r = self.rng
        if len(s) < 5:
            return s
        i = r.randint(1, len(s) - 2)
        kind = r.random()
        if kind < 0.4:
            return s[:i] + s[i + 1:]
        if kind < 0.7:
            return s[:i] + s[i + 1] + s[i] + s[i + 2:]
        return s[:i] + r.choice(string.ascii_lowercase) + s[i + 1:]

    def name_as(self, b: Business, *, upper: float = 0.0, typo: float = 0.03, amp: float = 0.15,
                drop_the: float = 0.2) -> str:
        r = self.rng
        s = b.name
        if s.startswith("The ") and r.random() < drop_the:
            s = s[4:]
        if "&" in s and r.random() < amp:
            s = s.replace("&", "and")
        if r.random() < typo:
            s = self.typo(s)
        if r.random() < upper:
            s = s.upper()
        return s

    def company_as(self, b: Business, *, upper: float = 0.0, ltd: float = 0.4) -> str:
        s = b.company
        if s and self.rng.random() < ltd:
            s = s.replace(" Ltd", " Limited")
        if self.rng.random() < 0.02:
            s = self.typo(s)
        return s.upper() if self.rng.random() < upper else s

    def street_as(self, street: str, abbrev: float) -> str:
        if self.rng.random() < abbrev:
            for long, short in ABBREV:
                if street.endswith(long):
                    return street[: -len(long)] + short
        return street

    def number_as(self, b: Business, comma: float) -> str:
        """The house number with the agency's habits ("12," or "12A" or "Flat above 12")."""
        num = b.number
        if num.startswith("Flat above ") and self.rng.random() < 0.3:
            num = f"First Floor Flat, {num[11:]}"
        elif num.startswith("First floor flat ") and self.rng.random() < 0.3:
            num = f"Flat above {num[17:]}"
        return num + ("," if self.rng.random() < comma else "")

    def address_lines(self, b: Business, postcode: str, *, abbrev: float = 0.3, comma: float = 0.1,
                      town: float = 0.6, no_number: float = 0.02) -> list[str]:
        """[number+street, town] or for estates [Unit n, estate, town]; the town is nearly always there
        when the record has no postcode (an officer writes down where it is somehow)."""
        r = self.rng
        street = self.street_as(b.street.name, abbrev)
        lines: list[str]
        if b.number.startswith("Unit "):
            lines = [b.number, street] if r.random() < 0.6 else [f"{b.number} {street}"]
        elif r.random() < no_number:
            lines = [street]
        else:
            lines = [f"{self.number_as(b, comma)} {street}"]
        if r.random() < (town if postcode else TOWN_WITHOUT_POSTCODE):
            lines.append(b.street.town)
        return lines

    def postcode_as(self, b: Business, *, missing: float = 0.04, nospace: float = 0.1, lower: float = 0.0,
                    slip: float = 0.02, wrong: float = 0.01) -> str:
        r = self.rng
        if r.random() < missing:
            return ""
        pc = b.postcode
        if r.random() < wrong:  # a neighbouring postcode on the same street
            others = list(b.street.postcodes.values())
            pc = r.choice(others)
        if r.random() < slip:  # keying slips: 0 for O, 1 for I, or O for 0
            out, inw = pc.split(" ")
            if "0" in inw:
                inw = inw.replace("0", "O")
            elif "1" in out[2:]:
                out = out[:2] + out[2:].replace("1", "I")
            else:
                inw = inw[0] + inw[2] + inw[1]  # transposed letters
            pc = f"{out} {inw}"
        if r.random() < nospace:
            pc = pc.replace(" ", "")
        if r.random() < lower:
            pc = pc.lower()
        return pc

    def phone_as(self, b: Business, present: float) -> str:
        r = self.rng
        if r.random() >= present:
            return ""
        p = b.phone
        roll = r.random()
        if roll < 0.35:
            return f"{p[:5]} {p[5:]}"
        if roll < 0.5:
            return f"+44 {p[1:5]} {p[5:]}"
        if roll < 0.6:
            return f"+44{p[1:]}"
        if roll < 0.7:
            return f"({p[:5]}) {p[5:8]} {p[8:]}"
        return p

    def contact_as(self, b: Business, present: float, style: str) -> str:
        r = self.rng
        if r.random() >= present:
            return ""
        first, last = b.contact.split(" ", 1)
        if style == "surname_first":
            return f"{last.upper()}, {first}"
        roll = r.random()
        if roll < 0.4:
            return f"{first[0]} {last}"
        if roll < 0.5:
            return f"Mr {first[0]}. {last}"
        return b.contact

    def when(self, b: Business, fmt: str) -> object:
        """A date of contact within the business's life, in the agency's format."""
        r = self.rng
        end = b.closed or TODAY
        span = max(1, (end - b.opened).days)
        d = end - timedelta(days=int(min(span, r.expovariate(1 / 400))))
        if fmt == "iso":
            return d.isoformat()
        if fmt == "uk":
            return d.strftime("%d/%m/%Y")
        if fmt == "uk_short":
            return d.strftime("%d-%m-%y")
        if fmt == "text":
            return f"{d.day} {MONTHS[d.month - 1]} {d.year}"
        if fmt == "sql":
            return f"{d.isoformat()} 00:00:00"
        return datetime(d.year, d.month, d.day)  # a real date cell in a spreadsheet

    # --- rows per agency -------------------------------------------------------------------
    def _next(self, agency: str) -> int:
        self._refs[agency] += 1
        return self._refs[agency]

    def ref(self, agency: str, prefix: str, width: int = 6) -> str:
        return f"{prefix}{self._next(agency) + 1000:0{width}d}"

    def emit(self, agency: str, b: Business) -> None:
        getattr(self, f"row_{agency.lower()}")(b)

    def row_fs(self, b: Business) -> None:
        r = self.rng
        pc = self.postcode_as(b, missing=0.03, nospace=0.05)
        name = self.name_as(b)
        if b.company and r.random() < 0.08:
            name = f"{b.company} t/a {name}"
        lines = self.address_lines(b, pc, abbrev=0.15, comma=0.05, town=0.9)
        if len(lines) < 3 and r.random() < 0.3:
            lines.append("Kingsmereshire")
        lines += [""] * (3 - len(lines))
        types = {"takeaway": "Takeaway/sandwich shop", "restaurant": "Restaurant/Cafe/Canteen",
                 "cafe": "Restaurant/Cafe/Canteen", "pub": "Pub/bar/nightclub", "hotel": "Hotel/bed & breakfast/guest house",
                 "factory": "Manufacturers/packers"}
        self.rows["FS"].append((b.id, {
            "FHRSID": str(100000 + self._next("FS")), "LocalAuthorityBusinessID": f"PI/{r.randint(10000, 99999)}",
            "BusinessName": name, "BusinessType": types.get(b.sector, "Retailers - other"),
            "AddressLine1": lines[0], "AddressLine2": lines[1], "AddressLine3": lines[2],
            "PostCode": pc,
            "RatingValue": r.choices("012345", (2, 4, 8, 14, 30, 42))[0], "RatingDate": self.when(b, "iso"),
        }))

    def row_ts(self, b: Business) -> None:
        r = self.rng
        name = self.company_as(b, ltd=0.3) if (b.company and r.random() < 0.35) else self.name_as(b, typo=0.05)
        pc = self.postcode_as(b, missing=0.06, nospace=0.3, slip=0.04)
        address = ", ".join(self.address_lines(b, pc, abbrev=0.6, comma=0.0, town=0.5))
        self.rows["TS"].append((b.id, {
            "TS REF": self.ref("TS", "TS/", 6), "TRADER": name.upper(),
            "TRADER ADDRESS": f"{address} {pc}".strip().upper(),
            "PHONE": self.phone_as(b, 0.6), "CONTACT": self.contact_as(b, 0.7, "surname_first"),
            "COMPLAINTS (12M)": int(r.expovariate(0.5)), "LAST COMPLAINT": self.when(b, "cell"),
        }))

    def row_lic(self, b: Business) -> None:
        r = self.rng
        pc = self.postcode_as(b, missing=0.02, nospace=0.1)
        holder = self.company_as(b) if b.company else b.contact
        if b.company and r.random() < 0.15:
            holder = f"{holder} t/a {b.name}"
        self.rows["LIC"].append((b.id, {
            "Licence No": self.ref("LIC", "LN/", 6), "Premises Name": self.name_as(b, drop_the=0.1),
            "Licence Holder": holder,
            "Premises Address": ", ".join(self.address_lines(b, pc, abbrev=0.2, town=0.8)),
            "Postcode": pc,
            "DPS": self.contact_as(b, 0.85, "initial"), "Telephone": self.phone_as(b, 0.5),
            "Granted": self.when(b, "text"), "Status": r.choices(("Granted", "Under review", "Suspended"), (90, 8, 2))[0],
        }))

    def row_hou(self, b: Business) -> None:
        r = self.rng
        pc = self.postcode_as(b, missing=0.02, nospace=0.15, slip=0.03)
        self.rows["HOU"].append((b.id, {
            "HMO Licence": self.ref("HOU", "HMO-", 5),
            "Property Address": ", ".join(self.address_lines(b, pc, abbrev=0.4, comma=0.2, town=0.7)),
            "Post Code": pc,
            "Occupants": r.randint(3, 12), "Licence Expiry": self.when(b, "uk"),
        }))

    def row_env(self, b: Business) -> None:
        r = self.rng
        for _ in range(1 + min(5, int(r.expovariate(0.7)))):  # repeat incidents at one premises
            pc = self.postcode_as(b, missing=0.35, nospace=0.2, slip=0.03)
            lines = self.address_lines(b, pc, abbrev=0.5, comma=0.0, town=0.4, no_number=0.05)
            where = r.choices(("", "o/s ", "Rear of ", "Outside "), (60, 20, 12, 8))[0]
            self.rows["ENV"].append((b.id, {
                "Incident ID": self.ref("ENV", "FT", 7), "Location": where + ", ".join(lines),
                "Postcode": pc,
                "Date Reported": self.when(b, "uk_short"),
                "Waste Type": r.choice(("Commercial", "Black bags", "Cardboard", "Tyres", "Builders rubble", "Food waste")),
            }))

    def row_frs(self, b: Business) -> None:
        r = self.rng
        pc = self.postcode_as(b, missing=0.03, nospace=0.1, slip=0.02)
        name = self.name_as(b) if b.name else (self.company_as(b) or "")
        self.rows["FRS"].append((b.id, {
            "Audit Ref": self.ref("FRS", "FSA", 6), "Premises": name,
            "Responsible Person": self.contact_as(b, 0.8, "initial"),
            "Address": ", ".join(self.address_lines(b, pc, abbrev=0.3, town=0.7)),
            "Post Code": pc,
            "Tel": self.phone_as(b, 0.6), "Risk": r.choices(("High", "Medium", "Low"), (15, 45, 40))[0],
            "Fine (£)": r.choice(("", "", "", "£500", "£1,200")), "Audit Date": self.when(b, "sql"),
        }))

    def row_hmrc(self, b: Business) -> None:
        pc = self.postcode_as(b, missing=0.02, nospace=0.4)
        first, last = b.contact.split(" ", 1)
        name = self.company_as(b, upper=1.0) if b.company else f"MR {first} {last} T/A {b.name}".upper()
        self.rows["HMRC"].append((b.id, {
            "HMRC Ref": self.ref("HMRC", "X", 8), "Entity Name": name,
            "Address": ", ".join(self.address_lines(b, pc, abbrev=0.5, town=0.9)).upper(),
            "Postcode": pc,
            "Interest": "Y",
        }))

    def row_glaa(self, b: Business) -> None:
        r = self.rng
        pc = self.postcode_as(b, missing=0.05)
        self.rows["GLAA"].append((b.id, {
            "Case No": self.ref("GLAA", "GLAA-", 5), "Business": self.name_as(b),
            "Operator": self.company_as(b), "Contact": self.contact_as(b, 0.7, "surname_first" if r.random() < 0.5
                                                                        else "initial"),
            "Phone": self.phone_as(b, 0.7),
            "Site Address": ", ".join(self.address_lines(b, pc, abbrev=0.3, town=0.8)),
            "Postcode": pc, "Priority": r.choice(("P1", "P2", "P2", "P3", "P3")),
            "Opened": self.when(b, "cell"),
        }))

    def records(self) -> None:
        for b in self.biz:
            for a in b.agencies:
                self.emit(a, b)
                if a not in ("ENV",) and self.rng.random() < DUPLICATE_RATE:
                    self.emit(a, b)

    def build(self) -> None:
        self.geography()
        self.businesses()
        self.assign_agencies()
        self.records()


def write(gen: Generator, out: Path) -> dict[str, int]:
    """Write each agency's file and truth.csv; returns rows per file."""
    out.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    truth: list[tuple[str, str]] = []
    ref_col = {"FS": "FHRSID", "TS": "TS REF", "LIC": "Licence No", "HOU": "HMO Licence", "ENV": "Incident ID",
               "FRS": "Audit Ref", "HMRC": "HMRC Ref", "GLAA": "Case No"}
    for agency, file in FILES.items():
        rows = gen.rng.sample(gen.rows[agency], len(gen.rows[agency]))  # exports are not in business order
        stem = Path(file).stem
        truth += [(f"{stem}:{row[ref_col[agency]]}", bid) for bid, row in rows]
        dicts = [row for _, row in rows]
        path = out / file
        if file.endswith(".xlsx"):
            _write_xlsx(path, dicts)
        elif agency == "LIC":
            _write_csv(path, dicts, delimiter=";")
        elif agency == "FRS":
            _write_csv(path, dicts, encoding="cp1252")
        else:
            _write_csv(path, dicts)
        counts[file] = len(dicts)
    with open(out / "truth.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(("record_id", "business_id"))
        w.writerows(sorted(truth))
    with open(out / "businesses.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(("business_id", "sector", "trading_name", "company_name", "address", "postcode", "agencies",
                    "cases"))
        w.writerows((b.id, b.sector, b.name, b.company, f"{b.number} {b.street.name}, {b.street.town}", b.postcode,
                     ";".join(b.agencies), ";".join(sorted(b.cases))) for b in gen.biz)
    return counts


def _write_csv(path: Path, rows: list[dict[str, object]], *, delimiter: str = ",", encoding: str = "utf-8") -> None:
    with open(path, "w", newline="", encoding=encoding, errors="replace") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]), delimiter=delimiter)
        w.writeheader()
        w.writerows(rows)


def _write_xlsx(path: Path, rows: list[dict[str, object]]) -> None:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Export")
    ws.append(list(rows[0]))
    for row in rows:
        ws.append(list(row.values()))
    wb.save(path)


def generate(businesses: int, seed: int, out: Path) -> dict[str, int]:
    gen = Generator(businesses, seed)
    gen.build()
    return write(gen, out)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--businesses", type=int, default=2000)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--out", type=Path, required=True)
    args = p.parse_args(argv)
    started = time.perf_counter()
    counts = generate(args.businesses, args.seed, args.out)
    total = sum(counts.values())
    for file, n in counts.items():
        print(f"  {file:<28} {n:>8,}")
    print(f"{total:,} records of {args.businesses:,} businesses ({total / args.businesses:.2f} per business) "
          f"in {time.perf_counter() - started:.1f} s -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
