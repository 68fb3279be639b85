"""Synthetic exports of eight UK public agencies about the same businesses, for record-linkage benchmarks.

    python bench/exports_b.py --businesses 20000 --seed 1 --out FOLDER

Written without reading the matcher (issue 16): the habits below come from what real agency exports
look like, not from what the matcher handles. FOLDER receives

- one export per agency, each in its own layout and habits:
  FS_hygiene.csv (FSA open-data style), LIC_premises_licences.xlsx, HOU_hmo_register.xlsx,
  FIRE_audits.csv, HMRC_risk_cases.csv, IE_intel.xlsx, ENV_cases.csv, TS_complaints.csv;
- mapping.yaml: which column holds which field, per file;
- truth.csv (record_id,business_id,site_id): record_id is "<file stem>:<reference>";
- businesses.csv (business_id,site_id,cases): every business with a record, its (current) site and
  the hard situations its records take part in.

The world: towns with localities and postcode districts; shopping streets (the same "High Street",
"Station Road" in many districts), parades with shops numbered along them and some numbers split into
units, industrial estates with numbered units, residential streets. A site is one building or plot
(a number on a street in a postcode, or a unit on an estate). Businesses: takeaways, shops, pubs,
car washes, HMOs (an HMO above a shop shares the shop's site but is its own business), chains (the same
name at many sites, different businesses), frequent names ("Food & Wine", "Best Kebab") at unrelated
sites, sole traders (HMRC files them under the proprietor's name), companies, renamed and moved
businesses, a new business at a closed one's site, one owner's several shops sharing a phone.

Each agency has its habits: FS trading names without "Ltd" and address lines that shift (number alone
in line 1, "Unit 3" in line 1, the business name repeated in line 1); LIC a one-field address with the
postcode sometimes inside and the Postcode column often blank, licence holder a company or a person;
HOU flats ("Flat 2, 45 X", "45A X", "Flats 1-4, 45 X"); FIRE generic premises names ("Shop premises")
and separate number/street fields; HMRC upper case, abbreviated streets, postcodes without the space
or mistyped, sole traders under the proprietor's name, now and then the proprietor's home address;
IE misspelt names and streets, numbers and postcodes often missing; ENV locations relative to a
building ("alleyway behind 78 Rowe Parade", "o/s Jarvis Discount, Fry Pde"), district-only postcodes,
offender blank or a person; TS informal lower-case names, postcode only inside the address.

Cases in businesses.csv (only those that show in the business's records, plus a few facts of the
world): proprietor_name, company_name, frequent_name, generic_name, name_blank, misspelt_name, renamed,
chain_branch, owner_network, successor_at_site / predecessor_at_site, phoenix_same_contact, moved,
home_address, hmo_above, shop_below_hmo, hmo_holder_runs_shop, unit_on_parade, unit_dropped,
estate_unit, common_street, street_abbrev, street_misspelt, number_missing, postcode_typo,
postcode_missing, postcode_no_space, postcode_district_only, incident_location, placeholder_value,
duplicate_in_agency.

site_id is the site the record's address points at: a moved business's older records carry its old
site, a sole trader's HMRC record at home carries the home's site.

Same seed -> byte-identical files (xlsx timestamps are fixed). 100,000 businesses take ~15 s.
"""
from __future__ import annotations

import argparse
import csv
import io
import json
import math
import random
import re
import sys
import time
import zipfile
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

VERSION = "1"
REF_DATE = date(2024, 6, 30)
START_DATE = date(2015, 1, 1)
FIXED_ZIP_TIME = (2024, 7, 1, 0, 0, 0)

AGENCIES = ("FS", "LIC", "HOU", "FIRE", "HMRC", "IE", "ENV", "TS")
FILES = {
    "FS": "FS_hygiene.csv",
    "LIC": "LIC_premises_licences.xlsx",
    "HOU": "HOU_hmo_register.xlsx",
    "FIRE": "FIRE_audits.csv",
    "HMRC": "HMRC_risk_cases.csv",
    "IE": "IE_intel.xlsx",
    "ENV": "ENV_cases.csv",
    "TS": "TS_complaints.csv",
}

# --------------------------------------------------------------------------------------------------
# Geography
# --------------------------------------------------------------------------------------------------

# post town, phone area code, county (may be ""), [(locality, postcode district), ...]
TOWNS = [
    ("Ilford", "020", "Essex", [("Ilford", "IG1"), ("Seven Kings", "IG3"), ("Goodmayes", "IG3"), ("Gants Hill", "IG2"),
                                ("Newbury Park", "IG2"), ("Barkingside", "IG6")]),
    ("Romford", "01708", "Essex", [("Romford", "RM1"), ("Collier Row", "RM5"), ("Harold Hill", "RM3"),
                                   ("Gidea Park", "RM2"), ("Chadwell Heath", "RM6")]),
    ("London", "020", "", [("East Ham", "E6"), ("Walthamstow", "E17"), ("Leyton", "E10"), ("Stratford", "E15"),
                           ("Forest Gate", "E7"), ("Tottenham", "N17"), ("Edmonton", "N9"), ("Whitechapel", "E1")]),
    ("Barking", "020", "Essex", [("Barking", "IG11"), ("Dagenham", "RM9"), ("Becontree", "RM8")]),
    ("Wembley", "020", "Middlesex", [("Wembley", "HA0"), ("Wembley Park", "HA9"), ("Alperton", "HA0")]),
    ("Southall", "020", "Middlesex", [("Southall", "UB1"), ("Norwood Green", "UB2")]),
    ("Hounslow", "020", "Middlesex", [("Hounslow", "TW3"), ("Hounslow West", "TW4"), ("Cranford", "TW5")]),
    ("Croydon", "020", "Surrey", [("Croydon", "CR0"), ("Thornton Heath", "CR7"), ("Broad Green", "CR0")]),
    ("Luton", "01582", "Bedfordshire", [("Luton", "LU1"), ("Bury Park", "LU4"), ("Leagrave", "LU3"), ("Round Green", "LU2")]),
    ("Slough", "01753", "Berkshire", [("Slough", "SL1"), ("Chalvey", "SL1"), ("Langley", "SL3"), ("Cippenham", "SL1")]),
    ("Reading", "0118", "Berkshire", [("Reading", "RG1"), ("Caversham", "RG4"), ("Tilehurst", "RG30"), ("Earley", "RG6")]),
    ("Leicester", "0116", "Leicestershire", [("Leicester", "LE1"), ("Belgrave", "LE4"), ("Highfields", "LE2"),
                                             ("Evington", "LE5"), ("Braunstone", "LE3")]),
    ("Birmingham", "0121", "West Midlands", [("Sparkbrook", "B11"), ("Small Heath", "B10"), ("Handsworth", "B21"),
                                             ("Alum Rock", "B8"), ("Erdington", "B23"), ("Digbeth", "B5"),
                                             ("Edgbaston", "B15")]),
    ("Coventry", "024", "West Midlands", [("Coventry", "CV1"), ("Foleshill", "CV6"), ("Earlsdon", "CV5"), ("Stoke", "CV2")]),
    ("Wolverhampton", "01902", "West Midlands", [("Wolverhampton", "WV1"), ("Whitmore Reans", "WV6"), ("Bilston", "WV14")]),
    ("Stoke-on-Trent", "01782", "Staffordshire", [("Hanley", "ST1"), ("Longton", "ST3"), ("Burslem", "ST6"),
                                                  ("Tunstall", "ST6")]),
    ("Manchester", "0161", "Greater Manchester", [("Cheetham Hill", "M8"), ("Rusholme", "M14"), ("Levenshulme", "M19"),
                                                  ("Longsight", "M13"), ("Gorton", "M18")]),
    ("Oldham", "0161", "Greater Manchester", [("Oldham", "OL1"), ("Glodwick", "OL4"), ("Chadderton", "OL9")]),
    ("Bolton", "01204", "Greater Manchester", [("Bolton", "BL1"), ("Great Lever", "BL3"), ("Farnworth", "BL4")]),
    ("Blackburn", "01254", "Lancashire", [("Blackburn", "BB1"), ("Audley", "BB1"), ("Mill Hill", "BB2")]),
    ("Preston", "01772", "Lancashire", [("Preston", "PR1"), ("Deepdale", "PR1"), ("Ribbleton", "PR2")]),
    ("Bradford", "01274", "West Yorkshire", [("Bradford", "BD1"), ("Manningham", "BD8"), ("Girlington", "BD8"),
                                             ("Great Horton", "BD7"), ("Bradford Moor", "BD3")]),
    ("Leeds", "0113", "West Yorkshire", [("Leeds", "LS1"), ("Harehills", "LS8"), ("Beeston", "LS11"), ("Armley", "LS12"),
                                         ("Chapeltown", "LS7")]),
    ("Sheffield", "0114", "South Yorkshire", [("Sheffield", "S1"), ("Darnall", "S9"), ("Burngreave", "S4"), ("Sharrow", "S7")]),
    ("Nottingham", "0115", "Nottinghamshire", [("Nottingham", "NG1"), ("Hyson Green", "NG7"), ("Sneinton", "NG2"),
                                               ("Bulwell", "NG6")]),
    ("Derby", "01332", "Derbyshire", [("Derby", "DE1"), ("Normanton", "DE23"), ("Alvaston", "DE24")]),
    ("Peterborough", "01733", "Cambridgeshire", [("Peterborough", "PE1"), ("Millfield", "PE1"), ("Dogsthorpe", "PE1"),
                                                 ("Werrington", "PE4")]),
    ("Northampton", "01604", "Northamptonshire", [("Northampton", "NN1"), ("Far Cotton", "NN4"), ("Kingsthorpe", "NN2")]),
    ("Southend-on-Sea", "01702", "Essex", [("Southend-on-Sea", "SS1"), ("Westcliff-on-Sea", "SS0"), ("Leigh-on-Sea", "SS9"),
                                           ("Prittlewell", "SS2")]),
    ("Bristol", "0117", "", [("Easton", "BS5"), ("St Pauls", "BS2"), ("Bedminster", "BS3"), ("Fishponds", "BS16")]),
    ("Cardiff", "029", "South Glamorgan", [("Cardiff", "CF10"), ("Cathays", "CF24"), ("Grangetown", "CF11"), ("Splott", "CF24")]),
    ("Newcastle upon Tyne", "0191", "Tyne and Wear", [("Newcastle upon Tyne", "NE1"), ("Elswick", "NE4"), ("Heaton", "NE6"),
                                                      ("Byker", "NE6")]),
    ("Liverpool", "0151", "Merseyside", [("Liverpool", "L1"), ("Kensington", "L7"), ("Toxteth", "L8"), ("Anfield", "L4")]),
    ("Southampton", "023", "Hampshire", [("Southampton", "SO14"), ("Shirley", "SO15"), ("Portswood", "SO17")]),
    ("Plymouth", "01752", "Devon", [("Plymouth", "PL1"), ("Stonehouse", "PL1"), ("Mutley", "PL4")]),
    ("Camborne", "01209", "Cornwall", [("Camborne", "TR14"), ("Tuckingmill", "TR14")]),
    ("Redruth", "01209", "Cornwall", [("Redruth", "TR15"), ("Pool", "TR15")]),
    ("Glasgow", "0141", "", [("Govanhill", "G42"), ("Pollokshields", "G41"), ("Dennistoun", "G31"), ("Partick", "G11")]),
    ("Norwich", "01603", "Norfolk", [("Norwich", "NR1"), ("Heartsease", "NR7")]),
    ("Middlesbrough", "01642", "North Yorkshire", [("Middlesbrough", "TS1"), ("Linthorpe", "TS5")]),
]

# Streets found in almost every district: the same name in many postcodes and towns.
COMMON_STREETS = [("High", "Street"), ("High", "Road"), ("Station", "Road"), ("Church", "Road"), ("London", "Road"),
                  ("Victoria", "Road"), ("Green", "Lane"), ("Park", "Road"), ("The Broadway", ""), ("King", "Street"),
                  ("Market", "Place"), ("Queens", "Road"), ("Mill", "Lane"), ("North", "Street")]
STREET_BASES = (
    "Rowe Fry Demir Albert Alexandra Argyle Ashburton Balfour Beech Belgrave Birch Bramble Brook Cambridge Canterbury "
    "Carlton Cedar Chester Clarence Clifton Coventry Cromwell Dale Derby Devonshire Dover Durham Elm Essex Fairfield "
    "Farm Ferndale Gladstone Gordon Grange Grosvenor Hamilton Harrow Hawthorn Highfield Hillside Holly Kensington "
    "Kingsley Lansdowne Laurel Lime Lincoln Manor Maple Marlborough Meadow Melbourne Milton Nelson Newton Norfolk "
    "Oak Orchard Oxford Palmerston Percy Pretoria Princes Priory Raglan Ravenscourt Regent Richmond Ripley Rosebery "
    "Russell Salisbury Sandringham Selborne Seymour Shaftesbury Sherwood Somerset Spencer Stanley Stratford Sutton "
    "Sydney Talbot Tennyson Trafalgar Tudor Vicarage Walpole Warwick Waterloo Wellington Westbury Whitehall "
    "Willow Windsor Woodford Wykeham York Abbey Ainsley Akbar Alma Ampthill Anson Arden Aston Audley Barley "
    "Beaconsfield Bedford Bellamy Berkeley Blenheim Bower Bradley Brunswick Buckingham Burford Byron Cairns Calder "
    "Cavendish Chaucer Chiltern Clive Coleridge Compton Cowley Cranbrook Dalton Darwin Denmark Dickens Dorset Dudley "
    "Egerton Eldon Ellesmere Evelyn Exeter Falcon Faraday Fenwick Forest Fountain Garfield Gilbert Glebe Goodall "
    "Granville Gresham Hadley Halsey Harcourt Hartley Hastings Heathcote Herbert Hereford Hobart Horton Howard "
    "Ingram Jarvis Jubilee Keats Kenilworth Kimberley Lambert Leopold Lewis Linden Lorne Lyndhurst Malvern Mansfield "
    "Marsh Maxwell Meredith Mortimer Napier Neville Norman Norton Osborne Paget Parkfield Pelham Pembroke Portland "
    "Raleigh Redcliffe Rutland Sefton Shelley Southey Stafford Stanhope Stirling Temple Thornton Tyndale Vernon "
    "Wadham Wakefield Warren Welbeck Wentworth Whitley Wolsey Wordsworth").split()
MAIN_SUFFIXES = ["Road", "Road", "Road", "Street", "Street", "Lane", "Parade", "Broadway", "Hill", "Way", "Green", "Avenue"]
RES_SUFFIXES = ["Road", "Road", "Street", "Avenue", "Gardens", "Close", "Crescent", "Drive", "Grove", "Terrace", "Place",
                "Lane", "Way", "Court", "Walk"]
ESTATE_KINDS = ["Industrial Estate", "Trading Estate", "Business Park", "Business Centre", "Industrial Park"]
ABBREV = {"Road": "Rd", "Street": "St", "Avenue": "Ave", "Parade": "Pde", "Gardens": "Gdns", "Lane": "Ln",
          "Close": "Cl", "Crescent": "Cres", "Drive": "Dr", "Place": "Pl", "Terrace": "Terr", "Court": "Ct",
          "Grove": "Gr", "Green": "Grn", "Hill": "Hl", "Walk": "Wlk", "Broadway": "Bdwy",
          "Industrial Estate": "Ind Est", "Trading Estate": "Trad Est", "Business Park": "Bus Pk",
          "Business Centre": "Bus Centre", "Industrial Park": "Ind Pk"}
PC_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"


@dataclass(eq=False)
class Town:
    name: str
    phone_code: str
    county: str


@dataclass(eq=False)
class Locality:
    name: str
    district: str
    town: Town
    sectors: list[int]
    streets: dict[str, list["Street"]] = field(default_factory=dict)


@dataclass(eq=False)
class Street:
    base: str
    suffix: str
    kind: str  # shop, parade, res, estate
    loc: Locality
    maxnum: int
    host: str = ""  # estates: the road they are off
    common: bool = False
    used: dict[int, "Site"] = field(default_factory=dict)
    postcodes: dict[int, str] = field(default_factory=dict)
    unit_buildings: list["Site"] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"{self.base} {self.suffix}".strip()


@dataclass(eq=False)
class Site:
    id: str
    street: Street
    number: int
    postcode: str
    units: int = 0  # a parade building split into units 1..units
    units_taken: int = 0
    shop: "Business | None" = None  # the ground-floor business (for an HMO above)
    has_hmo: bool = False


@dataclass(eq=False)
class Person:
    first: str
    last: str
    title: str

    @property
    def full(self) -> str:
        return f"{self.first} {self.last}"


@dataclass(eq=False)
class Business:
    id: str
    sector: str
    site: Site
    name: str  # trading name; for an HMO the licence holder's name
    form: str  # sole, ltd, partnership, hmo_person, hmo_company
    proprietor: Person | None
    contact: Person | None
    company: str = ""
    phone: str = ""
    unit: int = 0
    hmo_form: str = ""  # above (over a shop) or house
    chain: "Chain | None" = None
    old_name: str = ""
    old_site: Site | None = None
    home_site: Site | None = None
    start: date = START_DATE
    end: date = REF_DATE
    rename_date: date | None = None
    move_date: date | None = None
    cases: set[str] = field(default_factory=set)
    agencies: list[str] = field(default_factory=list)


@dataclass(eq=False)
class Chain:
    brand: str
    sector: str
    company: str
    phone: str


class World:
    """Towns, streets and sites, created as businesses need them."""

    def __init__(self, rng: random.Random, n_businesses: int) -> None:
        self.rng = rng
        self.towns: list[Town] = []
        self.localities: list[Locality] = []
        self.used_postcodes: set[str] = set()
        self.site_count = 0
        per_loc = max(4, math.ceil(n_businesses / (40 * 160)))
        for tname, code, county, locs in TOWNS:
            town = Town(tname, code, county)
            self.towns.append(town)
            for lname, district in locs:
                sectors = rng.sample(range(1, 10), 3)
                loc = Locality(lname, district, town, sectors)
                self.localities.append(loc)
                self._streets(loc, per_loc)
        # Bigger towns get more businesses.
        self.loc_weights = [1.0 + (2.0 if loc.town.name in ("London", "Birmingham", "Manchester", "Leeds", "Bradford",
                                                              "Leicester", "Ilford") else 0.0) * rng.random()
                            for loc in self.localities]

    def _streets(self, loc: Locality, per_loc: int) -> None:
        rng = self.rng
        names_taken: set[str] = set()
        kinds: dict[str, list[Street]] = {"shop": [], "parade": [], "res": [], "estate": []}
        for base, suffix in rng.sample(COMMON_STREETS, 5):
            st = Street(base, suffix, "shop", loc, rng.randint(80, 400), common=True)
            kinds["shop"].append(st)
            names_taken.add(st.name)
        bases = rng.sample(STREET_BASES, min(len(STREET_BASES), 8 * per_loc + 10))
        bi = 0

        def next_base() -> str:
            nonlocal bi
            base = bases[bi % len(bases)]
            bi += 1
            return base

        for _ in range(2 * per_loc):
            st = Street(next_base(), rng.choice(MAIN_SUFFIXES), "shop", loc, rng.randint(40, 300))
            if st.name not in names_taken:
                names_taken.add(st.name)
                kinds["shop"].append(st)
        for _ in range(max(2, per_loc)):
            st = Street(next_base(), "Parade", "parade", loc, rng.randint(12, 60))
            if st.name not in names_taken:
                names_taken.add(st.name)
                kinds["parade"].append(st)
        for _ in range(max(1, per_loc // 2)):
            host = Street(next_base(), rng.choice(["Road", "Lane", "Way"]), "res", loc, 10)
            st = Street(next_base(), rng.choice(ESTATE_KINDS), "estate", loc, rng.randint(12, 60), host=host.name)
            if st.name not in names_taken:
                names_taken.add(st.name)
                kinds["estate"].append(st)
        for _ in range(4 * per_loc):
            st = Street(next_base(), rng.choice(RES_SUFFIXES), "res", loc, rng.randint(20, 180))
            if st.name not in names_taken:
                names_taken.add(st.name)
                kinds["res"].append(st)
        loc.streets = kinds

    def postcode(self, street: Street, number: int) -> str:
        block = 0 if street.kind == "estate" else (number - 1) // 24 * 2 + number % 2
        pc = street.postcodes.get(block)
        if pc:
            return pc
        rng = self.rng
        tries = 0
        while True:
            tries += 1
            sector = rng.choice(street.loc.sectors) if tries < 30 else rng.randrange(10)
            pc = f"{street.loc.district} {sector}{rng.choice(PC_LETTERS)}{rng.choice(PC_LETTERS)}"
            if pc not in self.used_postcodes:
                break
        self.used_postcodes.add(pc)
        street.postcodes[block] = pc
        return pc

    def new_site(self, kind: str, loc: Locality | None = None) -> Site:
        rng = self.rng
        while True:
            if loc is None or rng.random() < 0.02:
                loc_ = rng.choices(self.localities, self.loc_weights)[0]
            else:
                loc_ = loc
            streets = loc_.streets[kind]
            if kind == "shop" and rng.random() < 0.45:
                streets = streets[:5]  # the common high streets get more than their share
            street = rng.choice(streets)
            for _ in range(6):
                n = rng.randint(1, street.maxnum)
                if n not in street.used:
                    return self._make_site(street, n)
            street.maxnum += 20

    def _make_site(self, street: Street, n: int) -> Site:
        self.site_count += 1
        site = Site(f"S{self.site_count:06d}", street, n, self.postcode(street, n))
        street.used[n] = site
        return site


# --------------------------------------------------------------------------------------------------
# People and names
# --------------------------------------------------------------------------------------------------

MALE = ("Mehmet Ahmet Mustafa Ali Hasan Huseyin Ibrahim Mohammed Muhammad Imran Tariq Asif Zahid Khalid Rashid Arif "
        "Sajid Bilal Hamza Omar Yusuf Kamran Naveed Rizwan Sandeep Rajesh Harpreet Gurpreet Manjit Sukhdev Amit Vijay "
        "Sanjay Dinesh Ramesh Kiran Tomasz Piotr Marcin Krzysztof Pawel Andrzej Mihai Ionut Florin Bogdan Darius "
        "Wei Jian Hao Minh Tuan Duc Kwame Kofi Chukwuemeka Emeka Oluwaseun Tunde Abdi Mohamed Hussein Ahmed Dritan "
        "Arben Ilir Besnik Azad Karwan Rebwar Hemin John David Michael Paul Mark Peter James Robert Steven Gary Lee "
        "Daniel Thomas Christopher Andrew Kevin Jason Darren Craig Stuart Neil Ian Gareth Wayne Dean Luke Ryan").split()
FEMALE = ("Frances Ayse Fatma Elif Zeynep Emine Fatima Aisha Ayesha Nazia Shabana Samina Farzana Rukhsana Parveen "
          "Harjit Kulwinder Manpreet Sunita Priya Anita Kavita Meena Anna Katarzyna Magdalena Agnieszka Monika Ioana "
          "Elena Maria Andreea Mei Lan Linh Thi Hoa Ngoc Amina Hodan Sagal Blessing Chioma Ngozi Funmilayo Adaeze "
          "Susan Karen Julie Sarah Claire Helen Lisa Emma Nicola Joanne Tracey Michelle Rachel Louise Jennifer Kelly "
          "Donna Angela Sharon Amanda Rose").split()
SURNAMES = ("Rose Jarvis Demir Yilmaz Kaya Sahin Celik Ozturk Aydin Arslan Dogan Kilic Aslan Polat Khan Ahmed Hussain "
            "Ali Begum Akhtar Iqbal Mahmood Rashid Malik Chaudhry Butt Qureshi Siddiqui Sheikh Shah Patel Shah Singh Kaur "
            "Sharma Gill Sandhu Sidhu Dhillon Bains Kumar Gupta Mistry Parmar Chauhan Nowak Kowalski Wisniewski "
            "Wojcik Kaminski Lewandowski Zielinski Popescu Ionescu Popa Stan Dumitru Chen Wang Li Zhang Liu Nguyen "
            "Tran Pham Hoang Mensah Owusu Boateng Okafor Okonkwo Adeyemi Oyelaran Abdullahi Hassan Mohamud Warsame "
            "Hoxha Krasniqi Berisha Gashi Rahimi Karimi Ahmadi Hosseini Smith Jones Williams Taylor Brown Davies Evans "
            "Wilson Thomas Johnson Roberts Robinson Thompson Wright Walker White Edwards Hughes Green Hall Lewis Harris "
            "Clarke Jackson Wood Turner Martin Cooper Hill Ward Morris Moore King Watson Baker Harrison Morgan "
            "Patterson Fry Rowe O'Brien O'Connor McDonald MacLeod Campbell Stewart Murray").split()

PLACE_WORDS = ("Istanbul Ankara Efes Bosphorus Antalya Cappadocia Lahore Karachi Punjab Kashmir Bengal Sylhet Dhaka "
               "Delhi Bombay Madras Goa Kerala Saffron Tandoori Taj Shalimar Everest Kathmandu Shanghai Canton "
               "Hong Kong Peking Saigon Hanoi Bangkok Lagos Accra Mogadishu Tirana Krakow Warsaw Bucharest Milano "
               "Roma Napoli Sicilia Athena Olympus Cyprus Beirut Damascus Baghdad Erbil Kabul Tehran").split()
ADJ_WORDS = ("Best Royal Golden Star Express Perfect Tasty Lucky Happy Super Prime Premier Supreme Classic Crown "
             "Diamond Silver Sunrise Sunshine Rainbow Ocean Harbour Village City Metro Central Square Corner Union "
             "Tip Top Jolly Top Fresh Lovely Friendly Quality Value Smart Fast Red Blue Green White Black Oriental "
             "Imperial Regal Grand Noble Magic Dragon Jade Lotus Phoenix Eagle Lion Tiger Falcon Pearl").split()

GENERIC_NAMES = {
    "takeaway": ["Best Kebab", "Chicken Palace", "Perfect Fried Chicken", "Golden Dragon", "Pizza Go", "Fish Bar",
                 "Kebab House", "Tasty Chicken", "Jade Garden", "Chick King", "Dixy Fried Chicken", "Royal Fish Bar"],
    "restaurant": ["Mangal Ocakbasi", "Taj Mahal", "Shalimar Restaurant", "The Curry House", "Bella Italia Pizzeria",
                   "Golden Dragon"],
    "cafe": ["The Coffee Pot", "Cafe Bistro", "The Tea Room", "Corner Cafe", "Station Cafe"],
    "convenience": ["Food & Wine", "Best Food & Wine", "Premier Stores", "Local Shop", "Mini Market", "Costcutter",
                    "Express Supermarket", "Food & Wine Express", "Best One", "Family Shopper"],
    "off_licence": ["Wine Shop", "Beers Wines & Spirits", "Booze Express", "Wine Rack"],
    "pub": ["The Red Lion", "The Royal Oak", "The Crown", "The White Hart", "The Kings Arms", "The Plough",
            "The Railway Tavern", "The Bell", "The Swan", "The George", "The Black Horse", "The Rose and Crown",
            "The Queens Head", "The Wheatsheaf", "The Railway", "The New Inn"],
    "hotel": ["Station Hotel", "Park Hotel", "Central Hotel", "Royal Hotel"],
    "food_shop": ["Halal Meat", "Fresh Fruit & Veg", "Polski Sklep", "Halal Butchers", "Family Bakery"],
    "barber": ["Turkish Barbers", "Kutz", "Fade Masters", "Gents Barbers", "Istanbul Barbers"],
    "nails": ["Nails & Beauty", "Lotus Nails", "Star Nails", "Nail Bar", "Perfect Nails", "Lovely Nails"],
    "car_wash": ["Hand Car Wash", "Car Wash", "Sparkle Hand Car Wash", "Car Valeting Centre"],
    "vape_phone": ["Vape Express", "Phone Repair Centre", "Vape Shop", "Mobile Zone", "Fone Fix"],
    "minicab": ["Express Cars", "Star Cars", "A1 Cars", "Airport Cars", "Station Cars"],
    "retail": ["Pound Plus", "Discount Store", "99p Plus", "Fashion House", "Cash & Carry"],
    "warehouse": ["Euro Foods", "Star Wholesale", "Prime Distribution"],
    "garage": ["Tyre Express", "Car Sales", "MOT Centre", "Part Worn Tyres"],
    "service": ["Laundrette", "Dry Cleaners", "Money Transfer", "Travel Centre"],
}
NAME_PATTERNS = {
    "takeaway": ["{X} Kebab", "{X} Fried Chicken", "{X} Pizza", "{X} Fish Bar", "{X} Chinese Takeaway",
                 "{X} Kebab House", "{X} Grill", "{X} Peri Peri", "{P}'s Kebab", "{X} Chicken & Pizza"],
    "restaurant": ["{X} Restaurant", "{X} Tandoori", "{X} Mangal", "The {X} Indian", "{X} Bistro", "Trattoria {X}",
                   "{X} Balti House", "{X} Sushi", "{X} Ocakbasi", "{X} Cantonese Restaurant"],
    "cafe": ["{X} Cafe", "Cafe {X}", "{P}'s Cafe", "{X} Coffee House", "{X} Tea Rooms", "{X} Café", "{P}'s Kitchen"],
    "convenience": ["{X} Food & Wine", "{X} Convenience Store", "{X} Mini Market", "{X} Supermarket", "{X} Stores",
                    "{X} News", "{S} Discount", "{X} Express", "{X} Food Centre"],
    "off_licence": ["{X} Wines", "{X} Off Licence", "{X} Beers Wines & Spirits", "{X} Booze"],
    "pub": ["The {S} Arms", "The {X} Inn", "The {X} Tavern", "The {X} Lion", "The {X} Horse"],
    "hotel": ["{X} Hotel", "{X} Guest House", "{X} Lodge", "{X} B&B", "The {X} Hotel"],
    "food_shop": ["{X} Halal Meat", "{X} Butchers", "{S} & Sons Butchers", "{X} Fruit & Veg", "{X} Fresh Food Centre",
                  "{X} Polski Sklep", "{X} Bakery", "{X} Sweet Centre"],
    "barber": ["{X} Barbers", "{P} Barbers", "{X} Turkish Barbers", "{X} Hair Studio", "Fade {X}", "{X} Cutz"],
    "nails": ["{X} Nails", "{X} Nail Bar", "{X} Nails & Beauty", "Beauty {X}", "{X} Nails & Spa"],
    "car_wash": ["{X} Hand Car Wash", "{X} Car Valeting", "{X} Auto Spa", "{X} Car Wash"],
    "vape_phone": ["{X} Vapes", "{X} Vape Shop", "{X} Mobiles", "{X} Phone Zone", "{X} Tobacco & Vape",
                   "{X} Phone Repairs", "{X} Vape Lounge"],
    "minicab": ["{X} Cars", "{X} Minicabs", "{X} Private Hire", "{X} Taxis", "{X} Cars Ltd"],
    "retail": ["{X} Fashion", "{X} Pound Plus", "{S} Discount", "{X} Bazaar", "{X} Textiles", "{X} Hardware",
               "{X} Cash & Carry", "{X} Jewellers", "{X} Home Store"],
    "warehouse": ["{X} Foods", "{X} Wholesale", "{X} Distribution", "{X} Packaging", "{X} Textiles",
                  "{X} Meat Supplies", "{X} Logistics", "{S} Foods", "{X} Bakery Supplies"],
    "garage": ["{X} Motors", "{X} Tyres", "{X} Car Sales", "{X} Autos", "{X} MOT Centre", "{S} Motors"],
    "service": ["{X} Laundrette", "{X} Dry Cleaners", "{X} Travel", "{X} Money Transfer", "{X} Print",
                "{X} Lettings", "{X} Accountants"],
}
CHAIN_BRANDS = [
    ("Sunrise Convenience", "convenience"), ("Chicken Shack", "takeaway"), ("Mr Cod", "takeaway"),
    ("Hollywood Nails", "nails"), ("Dial A Car", "minicab"), ("Tasty Pizza", "takeaway"), ("Kwik Fone", "vape_phone"),
    ("Cuppa Coffee", "cafe"), ("Metro Food & Wine", "convenience"), ("Pound Palace", "retail"),
    ("Cuts & Co", "barber"), ("Vapour Zone", "vape_phone"), ("Bosphorus Grill", "restaurant"),
    ("Saver Wines", "off_licence"), ("Speedy Tyres", "garage"), ("Shine Hand Car Wash", "car_wash"),
    ("Village Inns", "pub"), ("Golden Fry", "takeaway"), ("Lahore Sweets", "food_shop"), ("Fresh Bake", "food_shop"),
    ("Star Money Transfer", "service"), ("Noodle Box", "takeaway"), ("Value Stores", "convenience"),
    ("Crown Cash & Carry", "warehouse"),
]

# sector: (weight, agency probabilities in AGENCIES order, site kind probabilities shop/parade/estate/res)
SECTORS = {
    "takeaway": (12, (0.85, 0.22, 0, 0.12, 0.10, 0.16, 0.13, 0.05), (0.62, 0.36, 0.0, 0.02)),
    "restaurant": (7, (0.85, 0.42, 0, 0.18, 0.09, 0.14, 0.09, 0.03), (0.75, 0.22, 0.0, 0.03)),
    "cafe": (6, (0.85, 0.06, 0, 0.07, 0.07, 0.05, 0.05, 0.03), (0.65, 0.30, 0.02, 0.03)),
    "convenience": (10, (0.55, 0.55, 0, 0.10, 0.09, 0.07, 0.09, 0.14), (0.55, 0.40, 0.0, 0.05)),
    "off_licence": (3, (0.25, 0.9, 0, 0.08, 0.09, 0.05, 0.05, 0.16), (0.6, 0.38, 0.0, 0.02)),
    "pub": (3, (0.7, 0.95, 0, 0.28, 0.05, 0.03, 0.06, 0.02), (0.7, 0.05, 0.0, 0.25)),
    "hotel": (2, (0.65, 0.45, 0, 0.6, 0.06, 0.08, 0.03, 0.02), (0.6, 0.0, 0.0, 0.4)),
    "food_shop": (4, (0.85, 0.05, 0, 0.05, 0.07, 0.05, 0.07, 0.07), (0.6, 0.37, 0.03, 0.0)),
    "barber": (5, (0, 0, 0, 0.07, 0.12, 0.18, 0.04, 0.03), (0.55, 0.45, 0.0, 0.0)),
    "nails": (4, (0, 0, 0, 0.06, 0.10, 0.25, 0.03, 0.05), (0.55, 0.45, 0.0, 0.0)),
    "car_wash": (3, (0, 0, 0, 0.04, 0.15, 0.35, 0.18, 0.04), (0.45, 0.0, 0.35, 0.2)),
    "vape_phone": (5, (0.04, 0, 0, 0.05, 0.10, 0.06, 0.04, 0.45), (0.6, 0.4, 0.0, 0.0)),
    "minicab": (2, (0, 0, 0, 0.05, 0.15, 0.15, 0.03, 0.1), (0.6, 0.4, 0.0, 0.0)),
    "retail": (6, (0, 0, 0, 0.07, 0.08, 0.05, 0.05, 0.25), (0.6, 0.35, 0.05, 0.0)),
    "warehouse": (3, (0.3, 0.05, 0, 0.35, 0.15, 0.2, 0.22, 0.05), (0.1, 0.0, 0.9, 0.0)),
    "garage": (3, (0, 0, 0, 0.08, 0.10, 0.08, 0.18, 0.28), (0.35, 0.0, 0.55, 0.1)),
    "service": (4, (0, 0, 0, 0.05, 0.08, 0.05, 0.03, 0.06), (0.6, 0.4, 0.0, 0.0)),
    "hmo": (15, (0, 0, 0.93, 0.18, 0.04, 0.05, 0.10, 0), (0, 0, 0, 1)),
}
SECTOR_NAMES = list(SECTORS)
SECTOR_WEIGHTS = [SECTORS[s][0] for s in SECTOR_NAMES]
ENFORCEMENT = {"FIRE", "HMRC", "IE", "ENV", "TS"}

FS_TYPES = {"takeaway": "Takeaway/sandwich shop", "restaurant": "Restaurant/Cafe/Canteen",
            "cafe": "Restaurant/Cafe/Canteen", "convenience": "Retailers - other", "off_licence": "Retailers - other",
            "pub": "Pub/bar/nightclub", "hotel": "Hotel/bed & breakfast/guest house", "food_shop": "Retailers - other",
            "warehouse": "Manufacturers/packers", "vape_phone": "Retailers - other"}
FS_TYPE_IDS = {"Takeaway/sandwich shop": 7844, "Restaurant/Cafe/Canteen": 1, "Retailers - other": 4613,
               "Pub/bar/nightclub": 7843, "Hotel/bed & breakfast/guest house": 7842, "Manufacturers/packers": 7839,
               "Retailers - supermarkets/hypermarkets": 7840, "Distributors/Transporters": 7,
               "Other catering premises": 7841}
SECTOR_WORDS = {"takeaway": "Takeaway", "restaurant": "Restaurant", "cafe": "Cafe", "convenience": "Convenience store",
                "off_licence": "Off licence", "pub": "Public house", "hotel": "Hotel", "food_shop": "Food retail",
                "barber": "Barbers", "nails": "Nail bar", "car_wash": "Car wash", "vape_phone": "Retail - vapes/phones",
                "minicab": "Private hire office", "retail": "Retail", "warehouse": "Warehouse/factory",
                "garage": "Motor trade", "service": "Services", "hmo": "HMO"}
PLACEHOLDERS = ["N/A", "-", "unknown", "Unknown", "n/a", "TBC", "none", "NK", "0"]


def person(rng: random.Random) -> Person:
    if rng.random() < 0.62:
        return Person(rng.choice(MALE), rng.choice(SURNAMES), "Mr")
    return Person(rng.choice(FEMALE), rng.choice(SURNAMES), rng.choice(["Mrs", "Ms", "Miss"]))


def fill_pattern(rng: random.Random, pattern: str, loc: Locality, owner: Person | None) -> str:
    x = rng.random()
    if x < 0.45:
        word = rng.choice(ADJ_WORDS)
    elif x < 0.75:
        word = rng.choice(PLACE_WORDS)
    elif x < 0.9:
        word = loc.name
    else:
        word = rng.choice(MALE) if owner is None else owner.first
    first = owner.first if owner is not None and rng.random() < 0.7 else rng.choice(MALE + FEMALE)
    last = owner.last if owner is not None and rng.random() < 0.7 else rng.choice(SURNAMES)
    return pattern.replace("{X}", word).replace("{P}", first).replace("{S}", last)


def company_name(rng: random.Random, trading: str, owner: Person | None, sector: str) -> str:
    suffix = "Ltd" if rng.random() < 0.6 else "Limited"
    x = rng.random()
    base = re.sub(r"\s+(Ltd|Limited)$", "", trading)
    if x < 0.35:
        return f"{base} {suffix}"
    if x < 0.45 and owner is not None:
        return f"{base} ({owner.last}) {suffix}"
    last = owner.last if owner is not None else rng.choice(SURNAMES)
    kind = {"pub": "Leisure", "restaurant": "Restaurants", "hotel": "Hospitality", "takeaway": "Foods",
            "warehouse": "Foods", "convenience": "Retail", "off_licence": "Retail", "garage": "Motors",
            "car_wash": "Services"}.get(sector, rng.choice(["Trading", "Enterprises", "Holdings", "Retail", "Group"]))
    if x < 0.7:
        return f"{last} {kind} {suffix}"
    if x < 0.85:
        a, b = rng.sample("ABDEFGHJKMNRSTZ", 2)
        return f"{a} & {b} {kind} {suffix}"
    return f"{rng.choice(ADJ_WORDS)} {kind} {suffix}"


def phone_number(rng: random.Random, town: Town, mobile_share: float = 0.45) -> str:
    """A canonical UK number as digits, e.g. 02085541234 or 07712345678."""
    if rng.random() < mobile_share:
        return "07" + rng.choice("345789") + "".join(rng.choice("0123456789") for _ in range(8))
    code = town.phone_code
    rest = 11 - len(code)
    first = rng.choice("2345678")
    return code + first + "".join(rng.choice("0123456789") for _ in range(rest - 1))


def phone_text(rng: random.Random, digits: str, style: str = "") -> str:
    """One of the ways people write a UK number."""
    if not digits:
        return ""
    style = style or rng.choice(["plain", "plain", "spaced", "spaced", "intl", "intl_spaced", "brackets", "dashed"])
    if digits.startswith("07"):
        a, b = digits[:5], digits[5:]
    elif digits.startswith(("020", "023", "024", "029")):
        a, b = digits[:3], digits[3:7] + " " + digits[7:]
    elif digits[:4] in ("0113", "0114", "0115", "0116", "0117", "0118", "0121", "0131", "0141", "0151", "0161",
                        "0191"):
        a, b = digits[:4], digits[4:7] + " " + digits[7:]
    else:
        a, b = digits[:5], digits[5:]
    if style == "plain":
        return digits
    if style == "spaced":
        return f"{a} {b}"
    if style == "intl":
        return "+44" + digits[1:]
    if style == "intl_spaced":
        return f"+44 {a[1:]} {b}"
    if style == "brackets":
        return f"({a}) {b}"
    return f"{a}-{b.replace(' ', '')}"


# --------------------------------------------------------------------------------------------------
# Slips
# --------------------------------------------------------------------------------------------------

VOWELS = "aeiou"
PHONETIC = [("ph", "f"), ("ck", "k"), ("c", "k"), ("ee", "i"), ("oo", "u"), ("ou", "ow"), ("s", "z"), ("y", "i"),
            ("i", "ee"), ("ai", "ay"), ("ch", "sh"), ("w", "v"), ("e", "a"), ("a", "e"), ("u", "oo")]


def misspell_word(rng: random.Random, word: str) -> str:
    if len(word) < 4 or not word.isalpha():
        return word
    low = word.lower()
    for _ in range(4):
        how = rng.random()
        if how < 0.4:
            src, dst = rng.choice(PHONETIC)
            i = low.find(src, 1)
            if i > 0:
                low = low[:i] + dst + low[i + len(src):]
                break
        elif how < 0.6:  # double a consonant, or undo a double
            i = rng.randrange(1, len(low))
            if low[i] == low[i - 1]:
                low = low[:i] + low[i + 1:]
            elif low[i] not in VOWELS:
                low = low[:i] + low[i] + low[i:]
            else:
                continue
            break
        elif how < 0.8:  # swap two neighbours
            i = rng.randrange(1, len(low) - 1)
            low = low[:i] + low[i + 1] + low[i] + low[i + 2:]
            break
        else:  # drop a letter
            i = rng.randrange(1, len(low))
            low = low[:i] + low[i + 1:]
            break
    if word.isupper():
        return low.upper()
    if word[0].isupper():
        return low[0].upper() + low[1:]
    return low


def misspell(rng: random.Random, text: str) -> str:
    words = text.split(" ")
    idx = [i for i, w in enumerate(words) if len(w) >= 4 and w.isalpha()]
    if not idx:
        return text
    i = rng.choice(idx)
    words[i] = misspell_word(rng, words[i])
    return " ".join(words)


def postcode_typo(rng: random.Random, pc: str) -> str:
    out, inn = pc.split(" ")
    for _ in range(5):
        how = rng.random()
        if how < 0.3:  # last two letters swapped
            if inn[1] != inn[2]:
                inn = inn[0] + inn[2] + inn[1]
                break
        elif how < 0.55:  # sector digit mistyped
            inn = str((int(inn[0]) + rng.choice([1, -1, 2])) % 10) + inn[1:]
            break
        elif how < 0.75:  # a letter mistyped
            j = rng.choice([1, 2])
            inn = inn[:j] + rng.choice(PC_LETTERS) + inn[j + 1:]
            break
        elif how < 0.87:  # district digit mistyped
            m = re.search(r"\d+$", out)
            if m:
                d = int(m.group())
                out = out[:m.start()] + str(d + 1 if d < 9 else d - 1)
                break
        else:  # O for 0
            if "0" in out or "0" in inn:
                out, inn = out.replace("0", "O"), inn.replace("0", "O")
                break
    return f"{out} {inn}"


# --------------------------------------------------------------------------------------------------
# Building the businesses
# --------------------------------------------------------------------------------------------------

def make_trading_name(rng: random.Random, sector: str, loc: Locality, owner: Person | None, cases: set[str]) -> str:
    if rng.random() < 0.2 or (sector == "pub" and rng.random() < 0.6):
        cases.add("frequent_name")
        return rng.choice(GENERIC_NAMES[sector])
    return fill_pattern(rng, rng.choice(NAME_PATTERNS[sector]), loc, owner)


class Builder:
    def __init__(self, n: int, rng: random.Random) -> None:
        self.n = n
        self.rng = rng
        self.world = World(rng, n)
        self.businesses: list[Business] = []
        self.shop_sites: list[Site] = []  # sites of ground-floor shops (for HMOs above)
        n_chains = min(len(CHAIN_BRANDS), max(6, n // 2500))
        self.chains = []
        for brand, sector in rng.sample(CHAIN_BRANDS, n_chains):
            company = f"{brand} {rng.choice(['Ltd', 'Limited', 'Group Ltd', 'Holdings Limited', 'Retail Ltd'])}"
            hq = rng.choice(self.world.towns)
            self.chains.append(Chain(brand, sector, company, phone_number(rng, hq, 0.0)))

    def _date_between(self, a: date, b: date) -> date:
        span = (b - a).days
        return a + timedelta(days=self.rng.randint(0, max(span, 0)))

    def build(self) -> list[Business]:
        rng = self.rng
        while len(self.businesses) < self.n:
            bid = f"B{len(self.businesses) + 1:06d}"
            sector = rng.choices(SECTOR_NAMES, SECTOR_WEIGHTS)[0]
            x = rng.random()
            if sector == "hmo":
                b = self._hmo(bid)
            elif x < 0.05:
                b = self._chain_branch(bid)
            elif x < 0.08 and self.businesses:
                b = self._successor(bid, sector)
            elif x < 0.11 and self.businesses:
                b = self._network(bid, sector)
            else:
                b = self._plain(bid, sector)
            self.businesses.append(b)
        self._life_events()
        return self.businesses

    def _site_for(self, sector: str, loc: Locality | None = None) -> tuple[Site, int]:
        rng = self.rng
        kind = rng.choices(["shop", "parade", "estate", "res"], SECTORS[sector][2])[0]
        if kind == "parade" and rng.random() < 0.35:
            return self._parade_unit(loc)
        site = self.world.new_site(kind, loc)
        if kind == "estate":
            return site, 0
        if kind in ("shop", "parade"):
            self.shop_sites.append(site)
        return site, 0

    def _parade_unit(self, loc: Locality | None) -> tuple[Site, int]:
        rng = self.rng
        loc = loc or rng.choices(self.world.localities, self.world.loc_weights)[0]
        street = rng.choice(loc.streets["parade"])
        open_buildings = [s for s in street.unit_buildings if s.units_taken < s.units]
        if open_buildings and rng.random() < 0.75:
            site = rng.choice(open_buildings)
        else:
            site = self.world.new_site("parade", loc)
            site.units = rng.randint(2, 6)
            site.street.unit_buildings.append(site)
        site.units_taken += 1
        return site, site.units_taken

    def _owner(self, sector: str) -> tuple[str, Person | None, Person | None]:
        rng = self.rng
        x = rng.random()
        if x < 0.45:
            p = person(rng)
            return "sole", p, p
        if x < 0.52:
            p = person(rng)
            return "partnership", p, p
        director = person(rng)
        return "ltd", director, director if rng.random() < 0.6 else person(rng)

    def _plain(self, bid: str, sector: str, loc: Locality | None = None, at: tuple[Site, int] | None = None) -> Business:
        rng = self.rng
        site, unit = at or self._site_for(sector, loc)
        form, owner, contact = self._owner(sector)
        cases: set[str] = set()
        name = make_trading_name(rng, sector, site.street.loc, owner, cases)
        b = Business(bid, sector, site, name, form, owner, contact, unit=unit, cases=cases)
        if form == "ltd":
            b.company = company_name(rng, name, owner, sector)
        if rng.random() < 0.8:
            b.phone = phone_number(rng, site.street.loc.town)
        b.start = self._date_between(date(1995, 1, 1), date(2023, 6, 1))
        if site.shop is None and unit == 0:
            site.shop = b
        return b

    def _chain_branch(self, bid: str) -> Business:
        rng = self.rng
        chain = rng.choice(self.chains)
        b = self._plain(bid, chain.sector)
        b.name = chain.brand
        b.cases.discard("frequent_name")
        b.cases.add("chain_branch")
        b.chain = chain
        b.form = "ltd"
        b.company = chain.company
        b.contact = person(rng)  # branch manager
        b.proprietor = None
        if rng.random() < 0.3:
            b.phone = chain.phone
        return b

    def _successor(self, bid: str, sector: str) -> Business:
        """A new business at a closed one's premises (phoenix or plain change of occupier)."""
        rng = self.rng
        cands = [self.businesses[rng.randrange(len(self.businesses))] for _ in range(3)]
        old = next((c for c in cands if c.sector not in ("hmo",) and c.chain is None and c.end == REF_DATE
                    and c.old_site is None), None)
        if old is None:
            return self._plain(bid, sector)
        b = self._plain(bid, old.sector if rng.random() < 0.6 else sector, at=(old.site, old.unit))
        closed = self._date_between(max(old.start + timedelta(days=200), date(2017, 1, 1)), date(2023, 6, 1))
        old.end = closed
        b.start = closed + timedelta(days=rng.randint(10, 200))
        old.cases.add("predecessor_at_site")
        b.cases.add("successor_at_site")
        if rng.random() < 0.35:  # phoenix: same people behind it
            b.phone = old.phone or b.phone
            b.contact = old.contact
            b.cases.add("phoenix_same_contact")
            old.cases.add("phoenix_same_contact")
        if rng.random() < 0.3 and old.sector == b.sector:
            b.name = old.name if rng.random() < 0.3 else b.name
        return b

    def _network(self, bid: str, sector: str) -> Business:
        """Another shop of an owner who already runs one: same person and often the same phone."""
        rng = self.rng
        other = self.businesses[rng.randrange(len(self.businesses))]
        if other.sector == "hmo" or other.chain is not None:
            return self._plain(bid, sector)
        b = self._plain(bid, other.sector if rng.random() < 0.5 else sector, other.site.street.loc)
        b.proprietor, b.contact, b.form = other.proprietor, other.contact, other.form
        if other.form == "ltd":
            b.company = other.company
        if rng.random() < 0.6:
            b.phone = other.phone
        b.cases.add("owner_network")
        other.cases.add("owner_network")
        return b

    def _hmo(self, bid: str) -> Business:
        rng = self.rng
        cases: set[str] = set()
        shop_site = None
        if self.shop_sites and rng.random() < 0.45:
            for _ in range(4):
                cand = self.shop_sites[rng.randrange(len(self.shop_sites))]
                if not cand.has_hmo and cand.shop is not None and cand.units == 0:
                    shop_site = cand
                    break
        if shop_site is not None:
            site, form = shop_site, "above"
            site.has_hmo = True
            cases.add("hmo_above")
            site.shop.cases.add("shop_below_hmo")
        else:
            site, form = self.world.new_site("res"), "house"
        if shop_site is not None and shop_site.shop.proprietor is not None and rng.random() < 0.25:
            holder = shop_site.shop.proprietor
            kind = "hmo_person"
            cases.add("hmo_holder_runs_shop")
            shop_site.shop.cases.add("hmo_holder_runs_shop")
            name = holder.full
        elif rng.random() < 0.62:
            holder, kind = person(rng), "hmo_person"
            name = holder.full
        else:
            holder, kind = person(rng), "hmo_company"
            base = rng.choice([site.street.loc.name, rng.choice(ADJ_WORDS), holder.last])
            name = f"{base} {rng.choice(['Lettings', 'Property Management', 'Estates', 'Homes', 'Properties'])} " \
                   f"{rng.choice(['Ltd', 'Limited'])}"
        b = Business(bid, "hmo", site, name, kind, holder, holder, hmo_form=form, cases=cases)
        b.phone = phone_number(rng, site.street.loc.town, 0.85) if rng.random() < 0.85 else ""
        if kind == "hmo_company":
            b.company = name
        b.start = self._date_between(date(2005, 1, 1), date(2022, 1, 1))
        return b

    def _life_events(self) -> None:
        rng = self.rng
        for b in self.businesses:
            if b.sector == "hmo" or b.chain is not None:
                continue
            x = rng.random()
            if x < 0.05:
                old = make_trading_name(rng, b.sector, b.site.street.loc, b.proprietor, set())
                if old != b.name:
                    b.old_name = old
                    b.rename_date = self._date_between(date(2017, 1, 1), date(2023, 1, 1))
            elif x < 0.075 and b.site.shop is b and not b.site.has_hmo and b.unit == 0:
                b.old_site, _ = self._site_for(b.sector, b.site.street.loc if rng.random() < 0.6 else None)
                b.move_date = self._date_between(date(2017, 1, 1), date(2023, 1, 1))
            if b.form == "sole" and rng.random() < 0.2:
                b.home_site = self.world.new_site("res", b.site.street.loc)


# --------------------------------------------------------------------------------------------------
# Rendering one record's view of a business
# --------------------------------------------------------------------------------------------------

@dataclass
class View:
    """What one record says about a business: which name, which site, when."""
    b: Business
    site: Site
    when: date
    name: str
    old: bool = False


def street_text(rng: random.Random, st: Street, abbrev: float, misspell_p: float, cases: set[str]) -> str:
    base, suffix = st.base, st.suffix
    if misspell_p and rng.random() < misspell_p and st.kind != "estate":
        nb = misspell(rng, base)
        if nb != base:
            base = nb
            cases.add("street_misspelt")
    if suffix and rng.random() < abbrev and suffix in ABBREV:
        suffix = ABBREV[suffix]
        cases.add("street_abbrev")
    return f"{base} {suffix}".strip()


def premise(rng: random.Random, v: View, cases: set[str], number_missing: float) -> tuple[str, str]:
    """(sub-building, number) as this record writes them."""
    b, site = v.b, v.site
    n = str(site.number)
    st = site.street
    if st.kind == "estate":
        cases.add("estate_unit")
        x = rng.random()
        if x < 0.6:
            return f"Unit {n}", ""
        if x < 0.8:
            return "", n
        if x < 0.9:
            return f"Unit {n}{rng.choice(['', 'A', 'B'])}" if rng.random() < 0.2 else f"Units {n}-{int(n) + 1}", ""
        cases.add("number_missing")
        return "", ""
    if rng.random() < number_missing:
        cases.add("number_missing")
        n = ""
    if b.sector == "hmo" and site is b.site and b.hmo_form == "above":
        x = rng.random()
        if x < 0.3:
            return "", (f"{n}A" if n else "")
        if x < 0.5:
            return f"Flat {rng.randint(1, 4)}", n
        if x < 0.65:
            return rng.choice(["First Floor Flat", "First & Second Floor", "Upper Floors", "Flat Above"]), n
        if x < 0.85:
            return f"Flats 1-{rng.randint(2, 6)}", n
        return "", n
    if b.sector == "hmo" and rng.random() < 0.15:
        return f"Flats 1-{rng.randint(3, 7)}", n
    if b.unit and site is b.site:
        cases.add("unit_on_parade")
        x = rng.random()
        if x < 0.45:
            return f"Unit {b.unit}", n
        if x < 0.65:
            return "", f"{b.unit}/{n}" if n else f"Unit {b.unit}"
        if x < 0.75:
            return f"Shop {b.unit}", n
        if x < 0.9:
            cases.add("unit_dropped")
            return "", n
        return f"Unit {b.unit}", ""
    return "", n


def postcode_variant(rng: random.Random, pc: str, rates: dict[str, float], cases: set[str]) -> str:
    x = rng.random()
    acc = 0.0
    for how, p in rates.items():
        acc += p
        if x < acc:
            break
    else:
        return pc
    if how == "missing":
        cases.add("postcode_missing")
        return ""
    if how == "nospace":
        cases.add("postcode_no_space")
        return pc.replace(" ", "")
    if how == "lower":
        return pc.lower()
    if how == "typo":
        cases.add("postcode_typo")
        return postcode_typo(rng, pc)
    if how == "typo_nospace":
        cases.add("postcode_typo")
        return postcode_typo(rng, pc).replace(" ", "")
    if how == "district":
        cases.add("postcode_district_only")
        return pc.split(" ")[0]
    return pc


def phone_or_placeholder(rng: random.Random, b: Business, keep: float, cases: set[str], style: str = "") -> str:
    if not b.phone or rng.random() > keep:
        if rng.random() < 0.25:
            cases.add("placeholder_value")
            return rng.choice(PLACEHOLDERS)
        return ""
    return phone_text(rng, b.phone, style)


def person_text(rng: random.Random, p: Person | None, style: str = "") -> str:
    if p is None:
        return ""
    style = style or rng.choice(["full", "full", "full", "title", "initial", "surname_first", "upper"])
    if style == "full":
        return p.full
    if style == "title":
        return f"{p.title} {p.full}"
    if style == "initial":
        return f"{p.first[0]} {p.last}" if rng.random() < 0.5 else f"{p.title} {p.first[0]} {p.last}"
    if style == "surname_first":
        return f"{p.last.upper()}, {p.first}"
    return p.full.upper()


class Renderer:
    def __init__(self, rng: random.Random, builder: Builder) -> None:
        self.rng = rng
        self.builder = builder
        self.rows: dict[str, list[tuple[list[str], str, str]]] = {a: [] for a in AGENCIES}  # (row, business, site)

    # ---- which agencies hold which business --------------------------------------------------
    def assign(self, businesses: list[Business]) -> None:
        rng = self.rng
        for b in businesses:
            # Enforcement agencies look at the same problem businesses: a few draw most of their attention.
            x = rng.random()
            risk = 0.7 if x < 0.75 else 1.6 if x < 0.95 else 3.5
            probs = [min(0.95, p * risk) if a in ENFORCEMENT else p for a, p in zip(AGENCIES, SECTORS[b.sector][1])]
            ags = [a for a, p in zip(AGENCIES, probs) if p and rng.random() < p]
            if b.chain is not None:
                ags = [a for a in ags if a != "HMRC"]
            if not ags:
                weights = [p if a != "HMRC" or b.chain is None else 0 for a, p in zip(AGENCIES, probs)]
                ags = [rng.choices(AGENCIES, weights)[0]]
            b.agencies = ags

    def view(self, b: Business) -> View:
        """A record of b at a random time in its life, with the name and site it had then."""
        rng = self.rng
        start = max(b.start, START_DATE)
        end = b.end if b.end >= start else start
        when = start + timedelta(days=rng.randint(0, (end - start).days))
        name, site, old = b.name, b.site, False
        rdate = b.rename_date
        if rdate is not None and rng.random() < 0.4:
            when = min(when, rdate - timedelta(days=rng.randint(1, 700)))
            name, old = b.old_name, True
        mdate = b.move_date
        if mdate is not None and b.old_site is not None and rng.random() < 0.4:
            when = min(when, mdate - timedelta(days=rng.randint(1, 700)))
            site = b.old_site
            b.cases.add("moved")
        if when < START_DATE:
            when = START_DATE + timedelta(days=rng.randint(0, 60))
        return View(b, site, when, name, old)

    def add(self, agency: str, v: View, row: list[str]) -> None:
        self.rows[agency].append((row, v.b.id, v.site.id))

    def render(self, businesses: list[Business]) -> None:
        for b in businesses:
            for a in b.agencies:
                getattr(self, "r_" + a)(b)

    def _trading(self, v: View, mark: bool = True) -> str:
        """The shop name (the old one before a renaming), chain branches sometimes with their town."""
        if v.old and mark:
            v.b.cases.add("renamed")
        name = v.name
        if v.b.chain is not None and self.rng.random() < 0.3:
            name = f"{name} ({v.site.street.loc.name})" if self.rng.random() < 0.5 else f"{name} - {v.site.street.name}"
        return name

    # ---- 1. Food safety (FSA open data) ---------------------------------------------------------
    def r_FS(self, b: Business) -> None:
        rng = self.rng
        copies = 2 if rng.random() < 0.03 else 1  # a second FHRS entry after a change of operator
        if copies == 2:
            b.cases.add("duplicate_in_agency")
        for _ in range(copies):
            v = self.view(b)
            cases = b.cases
            name = self._trading(v)
            x = rng.random()
            if x < 0.06 and b.company:
                name = b.company
                cases.add("company_name")
            elif x < 0.12:
                name = name.upper()
            sub, num = premise(rng, v, cases, 0.02)
            st = v.site.street
            street = street_text(rng, st, 0.08, 0, cases)
            loc, town = st.loc.name, st.loc.town.name
            y = rng.random()
            area = loc if loc != town else ""
            first = f"{num} {street}".strip()
            if st.kind == "estate":
                lines = [sub or num, street, st.host, town]
            elif y < 0.55:  # number and street in line 1 (a unit or flat on a line of its own)
                lines = [sub, first, area, town]
            elif y < 0.75:  # number alone in line 1, street in line 2
                lines = [sub, num, street, town]
            elif y < 0.85:  # the business name repeated in line 1, as some councils key it
                lines = [name, f"{sub} {first}".strip(), area, town]
            else:  # all on one line, then town and county
                lines = [", ".join(x for x in (sub, first) if x), town, st.loc.town.county]
            lines = [s.strip() for s in lines if s and s.strip()]
            lines = (lines + ["", "", "", ""])[:4]
            pc = postcode_variant(rng, v.site.postcode, {"missing": 0.02, "typo": 0.012, "lower": 0.005}, cases)
            rv = rng.choices(["5", "4", "3", "2", "1", "0", "Exempt", "AwaitingInspection"],
                             [40, 22, 12, 6, 5, 2, 5, 8])[0]
            rdate = "" if rv == "AwaitingInspection" else v.when.isoformat()
            btype = FS_TYPES.get(b.sector, "Other catering premises")
            if b.sector == "convenience" and rng.random() < 0.1:
                btype = "Retailers - supermarkets/hypermarkets"
            if b.sector == "warehouse" and rng.random() < 0.3:
                btype = "Distributors/Transporters"
            key = f"fhrs_{rv.lower()}_en-gb"
            row = ["", f"PI/{rng.randint(1, 999999):06d}", name, btype, str(FS_TYPE_IDS[btype]), *lines, pc, rv, key,
                   rdate, "True" if rng.random() < 0.04 else "False"]
            self.add("FS", v, row)

    # ---- 2. Licensing register -------------------------------------------------------------------
    def r_LIC(self, b: Business) -> None:
        rng = self.rng
        v = self.view(b)
        cases = b.cases
        name = self._trading(v)
        if rng.random() < 0.15:
            name = name.upper()
        if rng.random() < 0.03:
            name = ""
            cases.add("name_blank")
        sub, num = premise(rng, v, cases, 0.03)
        st = v.site.street
        street = street_text(rng, st, 0.05, 0, cases)
        first = ", ".join(s for s in (sub, f"{num} {street}".strip()) if s)
        parts = [first]
        if st.kind == "estate":
            parts.append(st.host)
        if st.loc.name != st.loc.town.name and rng.random() < 0.6:
            parts.append(st.loc.name)
        parts.append(st.loc.town.name)
        if st.loc.town.county and rng.random() < 0.4:
            parts.append(st.loc.town.county)
        pc = postcode_variant(rng, v.site.postcode, {"typo": 0.015, "nospace": 0.02}, cases)
        in_addr = rng.random() < 0.45
        if in_addr and pc:
            parts.append(pc)
        pc_col = pc if (not in_addr or rng.random() < 0.3) and rng.random() < 0.6 else ""
        if not pc_col and not in_addr:
            cases.add("postcode_missing")
        address = ", ".join(parts)
        if b.form == "ltd":
            holder = b.company if rng.random() < 0.7 else re.sub(r"\bLtd$", "Limited", b.company)
            cases.add("company_name")
        elif b.form == "partnership" and b.proprietor:
            holder = f"{b.proprietor.full} & {person(rng).full}"
        else:
            holder = person_text(rng, b.proprietor, rng.choice(["full", "title"]))
            cases.add("proprietor_name")
        dps = person_text(rng, b.contact or b.proprietor, rng.choice(["full", "full", "title"]))
        if b.sector not in ("pub", "off_licence", "convenience", "restaurant", "hotel") or rng.random() < 0.1:
            dps = ""  # late night refreshment only, or no alcohol
        phone = phone_or_placeholder(rng, b, 0.55, cases)
        status = "Current" if b.end == REF_DATE else rng.choice(["Surrendered", "Lapsed", "Revoked", "Transferred"])
        if status == "Current" and rng.random() < 0.03:
            status = "Suspended"
        activities = {"pub": "Sale of alcohol (on and off); Regulated entertainment",
                      "off_licence": "Sale of alcohol (off)", "convenience": "Sale of alcohol (off)",
                      "restaurant": "Sale of alcohol (on); Late night refreshment",
                      "hotel": "Sale of alcohol (on); Regulated entertainment",
                      "takeaway": "Late night refreshment"}.get(b.sector, "Late night refreshment")
        row = ["", name, address, pc_col, holder, dps, phone, "Premises Licence", activities, status,
               v.when.strftime("%d/%m/%Y")]
        self.add("LIC", v, row)

    # ---- 3. HMO register -------------------------------------------------------------------------
    def r_HOU(self, b: Business) -> None:
        # An expired licence stays in the register beside its renewal, under its own reference.
        self._hou(b, self.view(b))
        if self.rng.random() < 0.15:
            b.cases.add("duplicate_in_agency")
            self._hou(b, self.view(b))

    def _hou(self, b: Business, v: View) -> None:
        rng = self.rng
        cases = b.cases
        sub, num = premise(rng, v, cases, 0.0)
        st = v.site.street
        street = street_text(rng, st, 0.03, 0, cases)
        first = ", ".join(s for s in (sub, f"{num} {street}".strip()) if s)
        address = f"{first}, {st.loc.town.name}" if rng.random() < 0.7 else first
        pc = postcode_variant(rng, v.site.postcode, {"missing": 0.02, "typo": 0.01}, cases)
        if b.form == "hmo_company":
            holder = b.name
            agent = ""
        else:
            holder = person_text(rng, b.proprietor, rng.choice(["full", "title", "title", "initial"]))
            agent = "" if rng.random() < 0.6 else (
                f"{rng.choice([st.loc.name, rng.choice(ADJ_WORDS)])} {rng.choice(['Lettings', 'Estates', 'Residential'])}")
        ltype = "Mandatory" if rng.random() < 0.45 else rng.choice(["Additional", "Additional", "Selective"])
        occ = rng.randint(3, 12)
        start = v.when
        expiry = start + timedelta(days=365 * 5 - 1)
        phone = phone_or_placeholder(rng, b, 0.5, cases)
        row = ["", ltype, address, pc, holder, agent, phone, str(occ), str(max(2, occ - rng.randint(0, 3))),
               str(rng.choice([2, 3, 3, 4])), start.strftime("%d/%m/%Y"), expiry.strftime("%d/%m/%Y")]
        self.add("HOU", v, row)

    # ---- 4. Fire safety audits -------------------------------------------------------------------
    def r_FIRE(self, b: Business) -> None:
        rng = self.rng
        v = self.view(b)
        cases = b.cases
        generic = {"hmo": ["HMO", "Residential premises", "House in multiple occupation", "Flats above shop"],
                   "takeaway": ["Takeaway", "Shop premises", "Commercial premises", "Hot food takeaway"],
                   "hotel": ["Hotel", "Guest house"], "pub": ["Public house", "Licensed premises"],
                   "warehouse": ["Warehouse", "Industrial unit", "Factory"]}.get(
            b.sector, ["Commercial premises", "Shop premises", "Retail unit", "Shop with flat above"])
        x = rng.random()
        if b.sector == "hmo":
            name = rng.choice(generic) if x < 0.7 else ""
        elif x < 0.35:
            name = rng.choice(generic)
            cases.add("generic_name")
        elif x < 0.4:
            name = ""
            cases.add("name_blank")
        else:
            name = self._trading(v)
        sub, num = premise(rng, v, cases, 0.08)
        st = v.site.street
        street = street_text(rng, st, 0.15, 0, cases)
        if st.kind == "estate":
            street = f"{street}, {st.host}"
        pc = postcode_variant(rng, v.site.postcode, {"missing": 0.05, "typo": 0.02}, cases)
        if b.form == "ltd" and rng.random() < 0.5:
            rp = b.company
        elif b.form == "hmo_company":
            rp = b.name
        else:
            rp = person_text(rng, b.contact or b.proprietor)
        if not rp or rng.random() < 0.05:
            rp = rng.choice(["", "Not known", "N/A"])
        ptype = {"hmo": "HMO", "hotel": "Hotel", "pub": "Licensed premises", "warehouse": "Factory/Warehouse",
                 "takeaway": "Shop", "restaurant": "Restaurant"}.get(b.sector, "Shop")
        phone = phone_or_placeholder(rng, b, 0.35, cases)
        band = rng.choices(["Very High", "High", "Medium", "Low"], [5, 20, 45, 30])[0]
        outcome = rng.choices(["Broadly compliant", "Notification of deficiencies", "Enforcement notice",
                               "Prohibition notice"], [55, 30, 10, 5])[0]
        row = ["", name, ptype, sub, num, street, st.loc.town.name.upper() if rng.random() < 0.3 else st.loc.town.name,
               pc, rp, phone, v.when.strftime("%d/%m/%Y"), band, outcome]
        self.add("FIRE", v, row)

    # ---- 5. HMRC -------------------------------------------------------------------------------
    def r_HMRC(self, b: Business) -> None:
        rng = self.rng
        v = self.view(b)
        cases = b.cases
        site = v.site
        home = False
        if b.home_site is not None and rng.random() < 0.5:
            site = b.home_site  # a sole trader registered at home
            home = True
            cases.add("home_address")
        trading = ""
        if b.form in ("sole", "hmo_person"):
            p = b.proprietor
            taxpayer = rng.choice([p.full, p.full, f"{p.last} {p.first}", f"{p.title} {p.full}"]).upper()
            cases.add("proprietor_name")
            if b.form == "sole" and rng.random() < 0.3:
                trading = v.name.upper()
        elif b.form == "partnership":
            p = b.proprietor
            taxpayer = f"{p.first[0]} & {rng.choice('ABDFHJKMNRSZ')} {p.last}".upper()
            cases.add("proprietor_name")
            if rng.random() < 0.4:
                trading = v.name.upper()
        else:
            taxpayer = b.company.upper()
            if rng.random() < 0.3:
                taxpayer = taxpayer.replace(" LIMITED", " LTD")
            elif rng.random() < 0.2:
                taxpayer = taxpayer.replace(" LTD", " LIMITED")
            cases.add("company_name")
            if rng.random() < 0.2:
                trading = v.name.upper()
        if trading and v.old:
            cases.add("renamed")
        if trading:
            trading = "T/A " + trading if rng.random() < 0.3 else trading
        vv = View(b, site, v.when, v.name, v.old)
        if home:
            sub, num = "", str(site.number)
        else:
            sub, num = premise(rng, vv, cases, 0.04)
        st = site.street
        street = street_text(rng, st, 0.75, 0, cases)
        line1 = " ".join(s for s in (sub, num, street) if s).upper()
        if sub and num and rng.random() < 0.4:
            line1 = f"{sub.upper()} {num} {street.upper()}"
        line2 = st.host.upper() if st.kind == "estate" else (st.loc.name.upper() if st.loc.name != st.loc.town.name else "")
        line3 = st.loc.town.name.upper()
        pc = postcode_variant(rng, site.postcode, {"nospace": 0.28, "typo": 0.05, "typo_nospace": 0.03,
                                                   "missing": 0.04}, cases)
        pc = pc.upper()
        phone = phone_or_placeholder(rng, b, 0.4, cases, rng.choice(["plain", "plain", "intl"]))
        sic = SECTOR_WORDS[b.sector].upper()
        row = ["", taxpayer, trading, sic, line1, line2, line3, pc, phone, str(rng.randint(10, 99)),
               rng.choice(["VAT", "PAYE", "ITSA", "CT", "NMW"]), v.when.isoformat()]
        self.rows["HMRC"].append((row, b.id, site.id))

    # ---- 6. Immigration Enforcement -------------------------------------------------------------
    def r_IE(self, b: Business) -> None:
        # Intelligence arrives more than once about the same place, each report logged on its own.
        self._ie(b)
        while self.rng.random() < 0.22:
            b.cases.add("duplicate_in_agency")
            self._ie(b)

    def _ie(self, b: Business) -> None:
        rng = self.rng
        v = self.view(b)
        cases = b.cases
        x = rng.random()
        if b.sector == "hmo":
            name = rng.choice(["", "", "HMO", "Flat above shop", "Residential address", b.name])
            if not name:
                cases.add("name_blank")
        elif x < 0.3:
            name = misspell(rng, self._trading(v))
            if name != v.name:
                cases.add("misspelt_name")
        elif x < 0.38:
            name = rng.choice([SECTOR_WORDS[b.sector], SECTOR_WORDS[b.sector].lower(), "Unknown"])
            cases.add("generic_name")
        elif x < 0.42:
            name = ""
            cases.add("name_blank")
        else:
            name = self._trading(v)
        sub, num = premise(rng, v, cases, 0.25)
        st = v.site.street
        street = street_text(rng, st, 0.5, 0.25, cases)
        where = rng.choice([st.loc.town.name, st.loc.name, st.loc.name])
        pieces = [sub, f"{num} {street}".strip()]
        if st.kind == "estate":
            pieces.append(st.host)
        if b.sector == "hmo" and b.hmo_form == "above" and rng.random() < 0.4:
            pieces = [f"Flat above {num} {street}".strip()]
        pieces.append(where)
        pc = postcode_variant(rng, v.site.postcode, {"missing": 0.35, "typo": 0.03, "nospace": 0.08}, cases)
        pc_col = pc
        if pc and rng.random() < 0.2:
            pieces.append(pc)  # the postcode typed into the address instead
            pc_col = ""
        address = ", ".join(p for p in pieces if p)
        if rng.random() < 0.1:
            address = address.upper()
        phone = phone_or_placeholder(rng, b, 0.45, cases)
        grading = rng.choice("ABC") + rng.choice("12345")
        row = ["", name, SECTOR_WORDS[b.sector], address, pc_col, phone, v.when.strftime("%d/%m/%Y"),
               rng.choice(["Member of public", "Partner agency", "Crimestoppers", "Police", "Local authority"]),
               grading, rng.choice(["Open", "Closed - NFA", "Visit planned", "Visited - arrests", "Visited - no arrests"])]
        self.add("IE", v, row)

    # ---- 7. Enviro-crime case log ---------------------------------------------------------------
    def r_ENV(self, b: Business) -> None:
        rng = self.rng
        n = 1
        while rng.random() < 0.5 and n < 8:
            n += 1
        for _ in range(n):
            v = self.view(b)
            cases = b.cases
            sub, num = premise(rng, v, cases, 0.1)
            st = v.site.street
            street = street_text(rng, st, 0.4, 0.06, cases)
            addr = " ".join(s for s in (sub, num, street) if s)
            if num == f"{b.unit}/{v.site.number}":
                addr = f"{num} {street}"
            tname = self._trading(v, mark=False)
            x = rng.random()
            if b.sector == "hmo":
                phrases = [f"outside {addr}", f"front garden of {addr}", f"bins at {addr}", f"rear of {addr}",
                           f"alleyway behind {addr}", addr]
            else:
                phrases = [f"alleyway behind {addr}", f"rear of {addr}", f"outside {addr}", f"o/s {addr}",
                           f"outside {tname}, {street}", f"o/s {tname}, {street}", f"bins at rear of {tname}, {addr}",
                           f"service road behind {addr}", f"side of {addr}", addr, f"{tname}, {addr}"]
            location = rng.choice(phrases)
            if location != addr and not location.startswith(tname):
                cases.add("incident_location")
            if rng.random() < 0.15:
                location = location.lower()
            if st.kind == "estate":
                location += f", {st.host}"
            if rng.random() < 0.3:
                location += f", {st.loc.name}"
            pc = postcode_variant(rng, v.site.postcode, {"missing": 0.3, "district": 0.25, "typo": 0.02}, cases)
            y = rng.random()
            if y < 0.35:
                off = ""
                cases.add("name_blank")
            elif y < 0.55:
                off = person_text(rng, b.contact or b.proprietor)
                if b.sector != "hmo":
                    cases.add("proprietor_name")
            elif y < 0.6:
                off = rng.choice(PLACEHOLDERS[:4])
                cases.add("placeholder_value")
            elif y < 0.65 and b.company:
                off = b.company
            else:
                off = tname if b.sector != "hmo" else b.name
            if v.old and b.sector != "hmo" and (tname in location or off == tname):
                cases.add("renamed")
            ctype = "Fly-tipping" if rng.random() < 0.55 else rng.choice(
                ["Waste duty of care", "Commercial waste", "Trade waste bins", "Littering", "Waste transfer notes"])
            action = rng.choice(["FPN issued", "Warning letter", "NFA", "Section 34 notice", "Section 46 notice",
                                 "Investigation", "Cleared"])
            row = ["", ctype, location, pc, off, v.when.strftime("%d/%m/%Y"), action,
                   rng.choice(["Open", "Closed", "Closed"])]
            self.add("ENV", v, row)

    # ---- 8. Trading standards -------------------------------------------------------------------
    def r_TS(self, b: Business) -> None:
        rng = self.rng
        copies = 2 if rng.random() < 0.05 else 1  # logged twice under two references
        if copies == 2:
            b.cases.add("duplicate_in_agency")
        for _ in range(copies):
            v = self.view(b)
            cases = b.cases
            tname = self._trading(v)
            x = rng.random()
            if x < 0.35:
                name = tname.lower()
            elif x < 0.45 and v.site.street.loc.name not in tname:
                name = f"{tname} {v.site.street.loc.name}".lower()
            elif x < 0.5:
                name = tname.replace("&", "and").replace("'", "")
            elif x < 0.58 and b.company:
                name = b.company
                cases.add("company_name")
            elif x < 0.63:
                name = misspell(rng, tname).lower()
                cases.add("misspelt_name")
            else:
                name = tname
            if name.endswith(("s", "S")) is False and rng.random() < 0.03:
                name += "'s"
            sub, num = premise(rng, v, cases, 0.08)
            st = v.site.street
            street = street_text(rng, st, 0.5, 0.05, cases)
            parts = [sub, f"{num} {street}".strip()]
            if st.kind == "estate":
                parts.append(st.host)
            parts.append(st.loc.town.name if rng.random() < 0.7 else st.loc.name)
            pc = postcode_variant(rng, v.site.postcode, {"missing": 0.15, "typo": 0.03, "nospace": 0.1}, cases)
            parts.append(pc)
            sep = ", " if rng.random() < 0.7 else " "
            address = sep.join(p for p in parts if p)
            if rng.random() < 0.35:
                address = address.lower()
            phone = phone_or_placeholder(rng, b, 0.6, cases)
            contact = person_text(rng, b.contact or b.proprietor) if rng.random() < 0.55 else rng.choice(
                ["", "", "manager", "unknown"])
            cat = rng.choice(["Counterfeit goods", "Underage sales", "Illicit tobacco", "Illegal vapes",
                              "Misleading prices", "Food labelling", "Faulty goods", "Doorstep crime", "Weights & measures"])
            row = ["", name, address, phone, contact, str(1 + int(rng.expovariate(0.7))), cat, v.when.isoformat()]
            self.add("TS", v, row)


# --------------------------------------------------------------------------------------------------
# Files
# --------------------------------------------------------------------------------------------------

HEADERS = {
    "FS": ["FHRSID", "LocalAuthorityBusinessID", "BusinessName", "BusinessType", "BusinessTypeID", "AddressLine1",
           "AddressLine2", "AddressLine3", "AddressLine4", "PostCode", "RatingValue", "RatingKey", "RatingDate",
           "NewRatingPending"],
    "LIC": ["Licence No", "Premises Name", "Premises Address", "Postcode", "Licence Holder",
            "Designated Premises Supervisor", "Telephone", "Licence Type", "Licensable Activities", "Status",
            "Date Granted"],
    "HOU": ["Licence Ref", "Licence Type", "Property Address", "Postcode", "Licence Holder", "Managing Agent",
            "Holder Telephone", "Max Occupants", "Max Households", "Storeys", "Licence Start", "Licence Expiry"],
    "FIRE": ["PremisesID", "Premises Name", "Premises Type", "Sub Building", "Building Number", "Street", "Town",
             "Postcode", "Responsible Person", "Telephone", "Audit Date", "Risk Band", "Outcome"],
    "HMRC": ["CASE_REF", "TAXPAYER_NAME", "TRADING_NAME", "TRADE_CLASS", "ADDR_LINE_1", "ADDR_LINE_2", "ADDR_LINE_3",
             "POST_CODE", "TEL_NO", "RISK_SCORE", "REGIME", "LAST_CONTACT_DT"],
    "IE": ["Intel Ref", "Business Name", "Business Type", "Address", "Postcode", "Telephone", "Date Received",
           "Source", "Grading", "Status"],
    "ENV": ["Case Number", "Case Type", "Location", "Postcode", "Offender/Business", "Date Reported", "Action",
            "Status"],
    "TS": ["Trader Ref", "Trader Name", "Trader Address", "Trader Phone", "Contact Name", "Complaints", "Category",
           "Latest Complaint"],
}
MAPPING = {
    "FS": dict(reference="FHRSID", name=["BusinessName"],
               address=["AddressLine1", "AddressLine2", "AddressLine3", "AddressLine4"], postcode="PostCode",
               phone=None, contact=None, risk="RatingValue", last_contact="RatingDate", sector="BusinessType"),
    "LIC": dict(reference="Licence No", name=["Premises Name", "Licence Holder"], address=["Premises Address"],
                postcode="Postcode", phone="Telephone", contact="Designated Premises Supervisor", risk="Status",
                last_contact="Date Granted", sector="Licensable Activities"),
    "HOU": dict(reference="Licence Ref", name=["Licence Holder"], address=["Property Address"], postcode="Postcode",
                phone="Holder Telephone", contact=None, risk="Max Occupants", last_contact="Licence Start",
                sector="Licence Type"),
    "FIRE": dict(reference="PremisesID", name=["Premises Name"],
                 address=["Sub Building", "Building Number", "Street", "Town"], postcode="Postcode",
                 phone="Telephone", contact="Responsible Person", risk="Risk Band", last_contact="Audit Date",
                 sector="Premises Type"),
    "HMRC": dict(reference="CASE_REF", name=["TRADING_NAME", "TAXPAYER_NAME"],
                 address=["ADDR_LINE_1", "ADDR_LINE_2", "ADDR_LINE_3"], postcode="POST_CODE", phone="TEL_NO",
                 contact=None, risk="RISK_SCORE", last_contact="LAST_CONTACT_DT", sector="TRADE_CLASS"),
    "IE": dict(reference="Intel Ref", name=["Business Name"], address=["Address"], postcode="Postcode",
               phone="Telephone", contact=None, risk="Grading", last_contact="Date Received", sector="Business Type"),
    "ENV": dict(reference="Case Number", name=["Offender/Business"], address=["Location"], postcode="Postcode",
                phone=None, contact=None, risk="Action", last_contact="Date Reported", sector="Case Type"),
    "TS": dict(reference="Trader Ref", name=["Trader Name"], address=["Trader Address"], postcode=None,
               phone="Trader Phone", contact="Contact Name", risk="Complaints", last_contact="Latest Complaint",
               sector="Category"),
}


def assign_references(rng: random.Random, agency: str, rows: list[tuple[list[str], str, str]]) -> None:
    """Shuffle the rows (an export is not in business order) and give each its reference."""
    rng.shuffle(rows)
    n = len(rows)
    if agency == "FS":
        nums = rng.sample(range(200000, 200000 + max(20 * n, 1000000)), n)
        for (row, _, _), k in zip(rows, nums):
            row[0] = str(k)
        return
    if agency in ("LIC", "HOU", "ENV"):
        date_col = {"LIC": 10, "HOU": 10, "ENV": 5}[agency]
        counters: dict[str, int] = {}
        for row, _, _ in rows:
            year = row[date_col][-4:]
            if agency == "LIC":
                prefix = f"PL/{year}/"
            elif agency == "HOU":
                prefix = f"HMO/{year[2:]}/"
            else:
                prefix = ("FT" if row[1] == "Fly-tipping" else "EC") + f"/{year}/"
            k = counters.get(prefix, rng.randint(1, 40)) + rng.randint(1, 3)
            counters[prefix] = k
            row[0] = f"{prefix}{k:05d}"
        return
    nums = rng.sample(range(1000, 1000 + max(10 * n, 100000)), n)
    for (row, _, _), k in zip(rows, nums):
        if agency == "FIRE":
            row[0] = f"FP{k:07d}"
        elif agency == "HMRC":
            row[0] = f"RIS-{k:08d}"
        elif agency == "IE":
            row[0] = f"IE/INT/{row[6][-2:]}/{k:06d}"
        else:
            row[0] = f"TR{k:06d}"


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\r\n")
        w.writerow(header)
        w.writerows(rows)


def write_xlsx(path: Path, header: list[str], rows: list[list[str]], sheet: str) -> None:
    """openpyxl in write-only mode, then re-zipped with fixed timestamps so the bytes depend on the seed only."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(sheet)
    ws.append(header)
    for r in rows:
        ws.append([c if c != "" else None for c in r])
    buf = io.BytesIO()
    wb.save(buf)
    buf.seek(0)
    fixed = "2024-07-01T00:00:00Z"
    with zipfile.ZipFile(buf) as zin, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*", lambda m: m.group(1) + fixed.encode(),
                              data)
            zi = zipfile.ZipInfo(info.filename, date_time=FIXED_ZIP_TIME)
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o644 << 16
            zout.writestr(zi, data)


def yaml_scalar(v: object) -> str:
    if v is None:
        return "null"
    if isinstance(v, list):
        return "[" + ", ".join(json.dumps(x) for x in v) + "]"
    return json.dumps(v)


def write_mapping(path: Path) -> None:
    lines = ["# Which column of each export holds which field (written by bench/exports_b.py).", "datasets:"]
    for a in AGENCIES:
        lines.append(f"  - file: {FILES[a]}")
        lines.append(f"    agency: {a}")
        lines.append("    columns:")
        for k, v in MAPPING[a].items():
            lines.append(f"      {k}: {yaml_scalar(v)}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


SHEETS = {"LIC": "Premises Licences", "HOU": "HMO Register", "IE": "Intel"}


def generate(n_businesses: int, seed: int, out: Path) -> dict[str, int]:
    """Write the exports, mapping.yaml, truth.csv and businesses.csv into `out`; return records per agency."""
    rng = random.Random(f"exports_b:{VERSION}:{seed}")
    out.mkdir(parents=True, exist_ok=True)
    builder = Builder(n_businesses, rng)
    businesses = builder.build()
    renderer = Renderer(rng, builder)
    renderer.assign(businesses)
    renderer.render(businesses)
    for b in businesses:
        if b.site.street.common:
            b.cases.add("common_street")
    truth: list[tuple[str, str, str]] = []
    counts: dict[str, int] = {}
    held: set[str] = set()
    for a in AGENCIES:
        rows = renderer.rows[a]
        assign_references(rng, a, rows)
        stem = Path(FILES[a]).stem
        refs = set()
        for row, bid, sid in rows:
            assert row[0] and row[0] not in refs, (a, row[0])
            refs.add(row[0])
            truth.append((f"{stem}:{row[0]}", bid, sid))
            held.add(bid)
        path = out / FILES[a]
        body = [r for r, _, _ in rows]
        if path.suffix == ".xlsx":
            write_xlsx(path, HEADERS[a], body, SHEETS[a])
        else:
            write_csv(path, HEADERS[a], body)
        counts[a] = len(rows)
    write_mapping(out / "mapping.yaml")
    write_csv(out / "truth.csv", ["record_id", "business_id", "site_id"], [list(t) for t in truth])
    write_csv(out / "businesses.csv", ["business_id", "site_id", "cases"],
              [[b.id, b.site.id, ";".join(sorted(b.cases))] for b in businesses if b.id in held])
    return counts


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--businesses", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    counts = generate(args.businesses, args.seed, args.out)
    total = sum(counts.values())
    print(f"{args.businesses} businesses, {total} records ({total / args.businesses:.2f} each) in "
          f"{time.perf_counter() - t0:.1f} s: " + ", ".join(f"{a} {n}" for a, n in counts.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
