"""The demo partnership, "Kingsmere": deterministic data for every screen, at demo or county scale.

Everything comes from a fixed random seed and is dated relative to `today`, so seeding on the same
day twice gives the same partnership. Rows are built in memory with explicit ids, then written in
one transaction with bulk INSERTs (executemany); that is what keeps the county scale fast.
"""
from __future__ import annotations

import random
from bisect import bisect_right
from collections import Counter, defaultdict
from itertools import accumulate
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, TypeVar

from sqlalchemy import MetaData, bindparam, func, insert, select, text

from core import demo_catalogue as cat
from core import grading
from core.domain import TIERS
from core.errors import ConfigError
from core.passwords import hash_password
from core.store.engine import Store, upgrade_schema
from core.store.models import (
    Action,
    ActionAgency,
    ActionLink,
    ActionUpdate,
    Agency,
    AgencyPower,
    AgencyRecord,
    AgendaItem,
    AuditEvent,
    Base,
    Board,
    BoardMember,
    Business,
    Dataset,
    DatasetImport,
    Feedback,
    Indicator,
    Meeting,
    MeetingAttendee,
    Milestone,
    Operation,
    Referral,
    ReferralIndicator,
    ReferralMessage,
    ReferralRecipient,
    Setting,
    TaskingRequest,
    User,
    Visit,
    VisitAgency,
    VisitOfficer,
    WarningMarker,
)
from core.visibility import EVERYONE, Level, record_level

DEMO_PASSWORD = "partnership-demo"
PARTNERSHIP_NAME = "Kingsmere Partnership"
AREA = "Kingsmere"
EMAIL_DOMAIN = "kingsmere.example"
ACK_DAYS = 14
FEEDBACK_DAYS = 28

T = TypeVar("T")


@dataclass(frozen=True)
class Scale:
    """How much of everything to generate."""

    seed: int
    businesses: int
    extra_officers: int
    extra_analysts: int
    visits: int
    operations: int
    actions: int
    referrals: int
    drafts: int
    markers: int
    tasking_requests: int
    board_meetings: int
    tasking_meetings: int
    history_days: int


SCALES: dict[str, Scale] = {
    "demo": Scale(seed=20261122, businesses=1250, extra_officers=0, extra_analysts=0, visits=60, operations=1,
                  actions=60, referrals=200, drafts=6, markers=8, tasking_requests=5, board_meetings=3,
                  tasking_meetings=1, history_days=180),
    "county": Scale(seed=20261123, businesses=32_000, extra_officers=5, extra_analysts=1, visits=2000, operations=4,
                    actions=5200, referrals=20_500, drafts=150, markers=150, tasking_requests=25, board_meetings=8,
                    tasking_meetings=12, history_days=365),
}

# Written in this order so every foreign key points at a row already inserted.
TABLE_ORDER: tuple[type[Base], ...] = (
    Setting, Agency, AgencyPower, Indicator, User, Business, Dataset, DatasetImport, AgencyRecord, WarningMarker,
    Operation, Visit, VisitAgency, VisitOfficer, Board, BoardMember, Meeting, MeetingAttendee, Action, ActionAgency,
    Milestone, ActionUpdate, Referral, ReferralRecipient, ReferralIndicator, Feedback, ReferralMessage, ActionLink,
    TaskingRequest, AgendaItem, AuditEvent,
)

# --- people -----------------------------------------------------------------------------------

# (username, name, role, agency code); the first five are the documented demo sign-ins.
DEMO_USERS: tuple[tuple[str, str, str, str], ...] = (
    ("admin", "Sam Whitfield", "admin", "TS"),
    ("chair", "Helen Marsh", "chair", "POL"),
    ("coordinator", "Daniel Okafor", "coordinator", "LIC"),
    ("analyst", "Aisha Rahman", "analyst", "IE"),
    ("officer", "Tom Reilly", "officer", "FS"),
    ("priya.shah", "Priya Shah", "analyst", "TS"),
    ("mark.evans", "Mark Evans", "officer", "TS"),
    ("joanne.price", "Joanne Price", "officer", "TS"),
    ("kiran.patel", "Kiran Patel", "analyst", "FS"),
    ("lucy.brennan", "Lucy Brennan", "officer", "FS"),
    ("zoe.marshall", "Zoe Marshall", "analyst", "LIC"),
    ("owen.davies", "Owen Davies", "officer", "LIC"),
    ("claire.fowler", "Claire Fowler", "coordinator", "HOU"),
    ("ben.carter", "Ben Carter", "officer", "HOU"),
    ("ian.russell", "Ian Russell", "officer", "HOU"),
    ("sophie.turner", "Sophie Turner", "analyst", "ENV"),
    ("liam.walsh", "Liam Walsh", "officer", "ENV"),
    ("raj.kapoor", "Raj Kapoor", "analyst", "POL"),
    ("jack.moran", "Jack Moran", "officer", "POL"),
    ("emma.clarke", "Emma Clarke", "officer", "POL"),
    ("stuart.bell", "Stuart Bell", "coordinator", "FRS"),
    ("hannah.lewis", "Hannah Lewis", "officer", "FRS"),
    ("farah.ali", "Farah Ali", "analyst", "HMRC"),
    ("david.chen", "David Chen", "officer", "HMRC"),
    ("michael.osei", "Michael Osei", "officer", "IE"),
    ("grace.nowak", "Grace Nowak", "officer", "IE"),
    ("natalie.brooks", "Natalie Brooks", "analyst", "GLAA"),
    ("rob.fielding", "Rob Fielding", "officer", "GLAA"),
    ("james.whitaker", "James Whitaker", "analyst", "INS"),
)
FORMER_USER = ("former.officer", "Peter Lane", "officer", "TS")
# Analysts of the two agencies whose datasets a coordinator looked after, so that every agency holding data
# has someone who may import it. Created after everyone else and drawing nothing from the generator, so
# the rest of the demo (businesses, visits, referrals) is the same with or without them.
DATA_ANALYSTS: tuple[tuple[str, str, str, str], ...] = (
    ("amir.hussain", "Amir Hussain", "analyst", "HOU"),
    ("kate.morgan", "Kate Morgan", "analyst", "FRS"),
)
HOME_USERS = ("chair", "coordinator", "analyst", "officer")
STAFF_ROLES = ("officer", "coordinator", "analyst", "chair")

FIRST_NAMES = (
    "Ahmed", "Mohammed", "Ali", "Hassan", "Omar", "Yusuf", "Bilal", "Imran", "Tariq", "Faisal", "Arjun", "Ravi",
    "Sanjay", "Vikram", "Harpreet", "Gurpreet", "Mei", "Wei", "Hui", "Minh", "Duc", "Linh", "Andrei", "Mihai",
    "Elena", "Piotr", "Tomasz", "Agnieszka", "Marek", "Kemal", "Mehmet", "Emre", "Ayse", "Deniz", "Jose", "Maria",
    "David", "James", "John", "Paul", "Sarah", "Emma", "Claire", "Gary", "Darren", "Lee", "Kelly", "Nicola",
    "Kwame", "Kofi", "Ama", "Chidi", "Ngozi", "Azad", "Dilan", "Rebin", "Shvan", "Ardit", "Besnik", "Erion",
)
LAST_NAMES = (
    "Khan", "Ahmed", "Hussain", "Ali", "Rahman", "Patel", "Singh", "Kaur", "Sharma", "Gupta", "Chen", "Wang",
    "Zhang", "Nguyen", "Tran", "Pham", "Kowalski", "Nowak", "Popescu", "Ionescu", "Yilmaz", "Demir", "Kaya",
    "Celik", "Hoxha", "Krasniqi", "Berisha", "Gashi", "Smith", "Jones", "Taylor", "Brown", "Wilson", "Evans",
    "Walker", "Wright", "Robinson", "Thompson", "Okoro", "Mensah", "Boateng", "Adeyemi", "Karim", "Aziz",
    "Mahmoud", "Rashid", "Osman", "Farah", "Baker", "Hughes",
)

# --- geography --------------------------------------------------------------------------------

TOWNS: tuple[tuple[str, tuple[str, ...], float], ...] = (
    ("Kingsmere", ("KM1", "KM2", "KM3"), 0.38),
    ("Ashby Cross", ("KM4", "KM5"), 0.20),
    ("Fenwick", ("KM6",), 0.14),
    ("Holloway Green", ("KM7",), 0.10),
    ("Stanbridge", ("KM8", "KM9"), 0.18),
)
HIGH_STREETS = (
    "High Street", "The Broadway", "Market Place", "Station Road", "London Road", "Church Street", "Queens Parade",
    "Victoria Road", "Bridge Street", "King Street", "The Parade", "Market Street", "North Street", "Castle Street",
    "Northgate", "Chapel Street", "Mill Lane", "Sheep Street", "Corn Market", "Southgate",
)
STREET_STEMS = (
    "Albert", "Alexandra", "Beech", "Cedar", "Clarence", "Cromwell", "Elm", "Grange", "Grosvenor", "Hamilton",
    "Highfield", "Jubilee", "Lime", "Manor", "Marlborough", "Milton", "Nelson", "Oak", "Orchard", "Park", "Princes",
    "Richmond", "Rosebery", "St John's", "St Mary's", "Stanley", "Tennyson", "Trinity", "Wellington", "Westfield",
    "Willow", "Windsor", "York", "Balmoral", "Belvedere", "Brunswick", "Cambridge", "Canterbury", "Chestnut",
    "Coronation", "Denmark", "Dover", "Exeter", "Fairfield", "Gladstone", "Hawthorn", "Holly", "Hazel", "Lansdowne",
    "Laurel", "Lorne", "Melbourne", "Newton", "Osborne", "Palmerston", "Regent", "Salisbury", "Sandringham",
    "Shaftesbury", "Somerset", "Spencer", "Sutherland", "Sycamore", "Talbot", "Walnut", "Waverley", "Whitby",
    "Wolseley", "Ashdown", "Burford",
)
COMMERCIAL_TYPES = ("Road", "Street", "Parade")
RESIDENTIAL_TYPES = ("Road", "Street", "Avenue", "Lane", "Grove", "Close", "Terrace", "Crescent", "Gardens", "Way",
                     "Place", "Drive")
ESTATE_TYPES = ("Trading Estate", "Industrial Estate", "Business Park")
POSTCODE_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"  # the inward code never uses C, I, K, M, O or V
ABBREVIATIONS = (
    ("Street", "St"), ("Road", "Rd"), ("Avenue", "Ave"), ("Lane", "Ln"), ("Crescent", "Cres"), ("Parade", "Pde"),
    ("Trading Estate", "Trading Est"), ("Industrial Estate", "Ind Est"), ("Business Park", "Bus Pk"),
    ("Place", "Pl"), ("Gardens", "Gdns"), ("Terrace", "Ter"), ("Drive", "Dr"), ("Close", "Cl"),
)

# --- businesses -------------------------------------------------------------------------------

SECTOR_WEIGHTS: dict[str, float] = {
    "takeaway": 17, "restaurant": 9, "convenience store": 13, "off-licence": 5, "pub": 4, "car wash": 5,
    "nail bar": 6, "barber": 7, "vape shop": 5, "mobile phone shop": 3, "HMO": 15, "warehouse": 5, "factory": 3,
    "hotel": 3,
}
SECTOR_NAMES: dict[str, tuple[str, ...]] = {
    "takeaway": ("Chicken Shop", "Kebab King", "Golden Wok", "Best Pizza", "Dragon Garden", "Tasty Bites",
                 "Hot Spot Grill", "Spice Hut", "Royal Balti", "Istanbul Grill", "Happy Garden", "Sunny's Fish & Chips",
                 "Peri Peri Express", "Mama's Kitchen", "Pizza Palace", "Dixy Fried Chicken", "Noodle Bar"),
    "restaurant": ("The Olive Tree", "Taj Mahal", "Bella Napoli", "Golden Palace", "The Spice Route", "Lemon Grass",
                   "Anatolia Meze", "The Bengal Lancer", "Saigon Kitchen", "Casa Rosa", "Jade Garden"),
    "convenience store": ("Food & Wine", "Mini Market", "Day & Night Store", "Super Save", "Local Express",
                          "Family Mart", "Corner Shop", "Late Shop"),
    "off-licence": ("Booze Express", "Wine & Spirits", "Cellar Door Off Licence", "Liquor Stop", "Bottle Shop"),
    "pub": ("The Red Lion", "The Crown", "The Kings Arms", "The Plough", "The White Hart", "The Railway Tavern",
            "The Bell"),
    "car wash": ("Hand Car Wash", "Sparkle Hand Car Wash", "Valet Express", "Shine Car Wash", "Jet Wash Valeting"),
    "nail bar": ("Nails & Beauty", "Pro Nails", "Lotus Nails", "Crystal Nails", "Star Nails", "Glamour Nails"),
    "barber": ("Express Barbers", "Turkish Barbers", "Sharp Cutz", "Kingz Barbers", "Fade Masters", "Gents Barbers"),
    "vape shop": ("Vape Zone", "Cloud Nine Vapes", "Vape & Phone", "Smoke Station", "Vapour Lounge"),
    "mobile phone shop": ("Phone Fix", "Mobile World", "Unlock & Repair", "Phones 4 Less"),
    "warehouse": ("Distribution", "Logistics", "Wholesale", "Cash & Carry", "Fulfilment"),
    "factory": ("Packaging", "Textiles", "Food Processing", "Recycling"),
    "hotel": ("Guest House", "Lodge", "Hotel"),
}
# Generic names reused by unrelated businesses in several towns: a known trap for matching.
CHAIN_NAMES: dict[str, str] = {
    "convenience store": "Food & Wine", "car wash": "Hand Car Wash", "barber": "Express Barbers",
    "takeaway": "Chicken Shop", "nail bar": "Nails & Beauty", "vape shop": "Vape Zone",
}
COMPANY_WORDS = ("Foods", "Trading", "Enterprises", "Retail", "Holdings", "Group", "Services", "Ventures")
SECTOR_KIND: dict[str, tuple[tuple[str, float], ...]] = {
    "HMO": (("residential", 1.0),),
    "warehouse": (("estate", 1.0),),
    "factory": (("estate", 1.0),),
    "car wash": (("commercial", 0.6), ("estate", 0.4)),
    "convenience store": (("commercial", 0.8), ("residential", 0.2)),
    "takeaway": (("commercial", 0.88), ("residential", 0.12)),
}
# Which agencies tend to hold a sector (weights for sampling without replacement).
AFFINITY: dict[str, dict[str, float]] = {
    "takeaway": {"FS": 12, "LIC": 3, "TS": 2, "ENV": 3, "FRS": 2, "HMRC": 2, "IE": 3, "HOU": 2, "POL": 1},
    "restaurant": {"FS": 12, "LIC": 4, "FRS": 2, "HMRC": 2, "IE": 3, "ENV": 1},
    "convenience store": {"TS": 8, "FS": 5, "LIC": 5, "HMRC": 2, "POL": 1, "IE": 1, "ENV": 1, "HOU": 1},
    "off-licence": {"LIC": 9, "TS": 6, "HMRC": 2, "POL": 2, "IE": 1},
    "pub": {"LIC": 10, "FS": 6, "POL": 3, "FRS": 2},
    "car wash": {"ENV": 5, "GLAA": 4, "HMRC": 3, "IE": 4, "FRS": 1, "TS": 1},
    "nail bar": {"LIC": 4, "IE": 4, "GLAA": 3, "HMRC": 2, "TS": 2, "FRS": 1},
    "barber": {"TS": 3, "IE": 3, "HMRC": 3, "ENV": 1, "LIC": 1, "HOU": 1},
    "vape shop": {"TS": 10, "HMRC": 2, "POL": 1},
    "mobile phone shop": {"TS": 8, "POL": 2, "HMRC": 2},
    "HMO": {"HOU": 10, "FRS": 3, "ENV": 2, "POL": 1, "IE": 1},
    "warehouse": {"FRS": 6, "GLAA": 4, "HMRC": 3, "IE": 2, "TS": 2, "ENV": 2},
    "factory": {"FRS": 6, "GLAA": 5, "HMRC": 3, "IE": 3, "ENV": 3},
    "hotel": {"FS": 6, "LIC": 5, "FRS": 6, "IE": 1, "POL": 1},
}
# How many agencies hold a business: ~36% two or more, ~12% three or more (as the evaluation found).
AGENCY_COUNT_WEIGHTS: dict[int, float] = {1: 64, 2: 24, 3: 7.5, 4: 3, 5: 1, 6: 0.5}
BETA_BY_COUNT: dict[int, tuple[float, float]] = {1: (2, 5), 2: (3, 4)}
FS_TYPES: dict[str, str] = {
    "takeaway": "Takeaway/sandwich shop", "restaurant": "Restaurant/Cafe/Canteen", "pub": "Pub/bar/nightclub",
    "hotel": "Hotel/bed & breakfast/guest house", "convenience store": "Retailers - other",
}
LIC_TYPES: dict[str, str] = {
    "off-licence": "Premises licence (off sales)", "convenience store": "Premises licence (off sales)",
    "pub": "Premises licence (on sales)", "restaurant": "Premises licence (on sales)",
    "hotel": "Premises licence (on and off sales)", "takeaway": "Late night refreshment",
    "nail bar": "Special treatment licence", "barber": "Special treatment licence",
}
IMPORT_AGE_DAYS: dict[str, int] = {
    "FS": 6, "TS": 12, "LIC": 20, "HOU": 35, "ENV": 9, "FRS": 27, "HMRC": 48, "IE": 15, "GLAA": 120, "POL": 40,
}


@dataclass(frozen=True)
class _Style:
    """How one agency tends to write a business down (probabilities)."""

    upper: float = 0.0
    lower: float = 0.0
    abbrev: float = 0.2
    comma: float = 0.1
    town: float = 0.5
    drop_the: float = 0.2
    ltd: float = 0.05
    amp: float = 0.2
    typo: float = 0.03
    company_as_name: float = 0.0
    no_number: float = 0.02
    pc_nospace: float = 0.05
    pc_lower: float = 0.0
    pc_slip: float = 0.02
    pc_missing: float = 0.01
    phone: float = 0.0
    contact: float = 0.0


STYLES: dict[str, _Style] = {
    "FS": _Style(town=0.6, amp=0.15, phone=0.7, contact=0.9),
    "TS": _Style(upper=0.35, abbrev=0.5, comma=0.2, town=0.3, drop_the=0.3, ltd=0.1, amp=0.3, typo=0.05,
                 company_as_name=0.1, no_number=0.05, pc_nospace=0.3, pc_slip=0.04, pc_missing=0.03, phone=0.6,
                 contact=0.7),
    "LIC": _Style(town=0.8, drop_the=0.1, company_as_name=0.05, contact=0.9),
    "HOU": _Style(abbrev=0.3, comma=0.2, pc_nospace=0.1, pc_slip=0.03, pc_missing=0.02, contact=0.9),
    "ENV": _Style(abbrev=0.5, comma=0.3, town=0.2, no_number=0.15, pc_nospace=0.3, pc_lower=0.1, pc_slip=0.05,
                  pc_missing=0.25),
    "FRS": _Style(upper=0.1, abbrev=0.3, comma=0.15, drop_the=0.2, ltd=0.2, typo=0.04, company_as_name=0.3,
                  no_number=0.03, pc_nospace=0.1, pc_slip=0.03, pc_missing=0.02, contact=0.8),
    "HMRC": _Style(upper=0.6, abbrev=0.4, town=0.9, drop_the=0.5, ltd=0.0, amp=0.4, typo=0.02, company_as_name=0.6,
                   pc_nospace=0.6, pc_slip=0.03, pc_missing=0.02),
    "IE": _Style(lower=0.5, abbrev=0.5, comma=0.2, town=0.4, drop_the=0.4, amp=0.3, typo=0.08, no_number=0.25,
                 pc_nospace=0.3, pc_slip=0.05, pc_missing=0.2),
    "GLAA": _Style(upper=0.2, abbrev=0.4, drop_the=0.3, ltd=0.1, company_as_name=0.5, no_number=0.05,
                   pc_nospace=0.2, pc_missing=0.05, phone=0.5, contact=0.6),
    "POL": _Style(upper=0.5, abbrev=0.4, comma=0.1, town=0.3, drop_the=0.3, amp=0.3, typo=0.05, no_number=0.1,
                  pc_nospace=0.2, pc_missing=0.1),
}

# --- visits, actions, referrals ---------------------------------------------------------------

LEAD_PREFERENCE: dict[str, tuple[str, ...]] = {
    "takeaway": ("FS", "LIC", "FRS"), "restaurant": ("FS", "LIC", "FRS"), "hotel": ("FS", "FRS", "LIC"),
    "pub": ("LIC", "FS", "POL"), "off-licence": ("LIC", "TS", "POL"), "convenience store": ("LIC", "FS", "TS"),
    "HMO": ("HOU", "FRS", "POL"), "warehouse": ("FRS", "GLAA", "POL"), "factory": ("FRS", "GLAA", "POL"),
    "car wash": ("GLAA", "ENV", "POL"), "nail bar": ("LIC", "GLAA", "TS"), "barber": ("TS", "POL", "FRS"),
    "vape shop": ("TS", "POL"), "mobile phone shop": ("TS", "POL"),
}
OBJECTIVES: dict[str, str] = {
    "TS": "Check for illicit tobacco, counterfeit goods and age-restricted sales; seize where found.",
    "FS": "Food hygiene inspection: pest control, hand-washing, food storage and traceability.",
    "LIC": "Check premises licence conditions, hours and the designated premises supervisor.",
    "HOU": "Inspect living accommodation above or behind the premises for HMO conditions.",
    "ENV": "Check trade waste contract and waste transfer notes; inspect yard and bins.",
    "POL": "Officer safety; execute warrant where held; drugs, weapons and cash.",
    "FRS": "Fire safety audit, including any sleeping accommodation and escape routes.",
    "HMRC": "Check tills, records and payroll; minimum wage; duty-evaded goods.",
    "IE": "Right-to-work checks on everyone working at the premises.",
    "GLAA": "Speak to workers about pay, deductions, transport and accommodation.",
    "INS": "Establish who controls the business and any link to a dissolved company.",
}
OUTCOME_RESULTS: dict[str, tuple[str, ...]] = {
    "TS": ("seizures", "notices", "referrals"), "FS": ("notices", "referrals"), "LIC": ("notices", "referrals"),
    "HOU": ("notices", "penalties"), "ENV": ("penalties", "notices"), "POL": ("arrests", "seizures"),
    "FRS": ("notices", "referrals"), "HMRC": ("seizures", "penalties", "referrals"), "IE": ("arrests", "penalties"),
    "GLAA": ("referrals", "arrests"), "INS": ("referrals",),
}
OUTCOME_NOTES: dict[str, str] = {
    "notices": "Notices served; revisit booked.",
    "seizures": "Goods seized and bagged as evidence.",
    "arrests": "Arrests made; detained persons taken into custody.",
    "penalties": "Penalty notices issued to the business.",
    "referrals": "Referrals made to partner agencies from what was found.",
}
STRAND_TITLES: dict[str, tuple[str, ...]] = {
    "Pursue": ("Joint visit to {biz}", "Warrant application for {biz}", "Review premises licence of {biz}",
               "Prosecution file for seizure at {biz}", "Illicit tobacco disruption in {district}",
               "Test purchase operation at off-licences in {town}", "Closure order application for {biz}"),
    "Prevent": ("Awareness sessions for car wash operators in {town}",
                "Golden indicators training for {agency} officers",
                "Letters to landlords of flats above shops in {district}", "Advice clinic for new takeaways in {town}",
                "Right-to-work guidance for employers in {district}"),
    "Protect": ("Safeguarding referrals for workers found at {biz}",
                "Fire safety audits of flats above shops in {town}",
                "Support pathway for victims of labour exploitation", "Welfare check on occupants at {biz}",
                "Target hardening advice for shops on {street}"),
    "Prepare": ("Refresh shared risk list with {agency} data", "Agree data sharing agreement with {agency}",
                "Update the local profile for {town}", "Plan the next week of action in {town}",
                "Train officers on intelligence grading and handling codes"),
}
MILESTONE_TITLES = (
    "Agree scope and lead officer", "Gather and grade intelligence", "Brief officers", "Carry out visits",
    "Serve notices and record outcomes", "Report back to the board", "Send letters", "Review outcomes",
    "Agree data sharing", "Deliver training session", "Evaluate and close",
)
UPDATE_NOTES = (
    "Met with partners; plan agreed.", "Intelligence reviewed; two premises added.", "Visits booked for next week.",
    "Awaiting data from partner agency.", "Notices served; compliance check due.", "Slipped: officer on leave.",
    "Progress reported at tasking.", "Letters sent; responses coming in.", "Training delivered to frontline officers.",
)
DECISIONS = ("visit tasked", "added to risk list", "developed further", "no further action", "already known")
FEEDBACK_COMMENTS: dict[str, str] = {
    "visit tasked": "Joint visit tasked on the strength of this; thank you, please keep sending.",
    "added to risk list": "Added to our risk list; it raised the premises' priority.",
    "developed further": "Matched other intelligence we hold; being developed further.",
    "no further action": "Checked; nothing we can act on at present.",
    "already known": "Already known to us, but this confirms the picture.",
    "enforcement action taken": "Enforcement action taken: see the visit outcome.",
}
FEEDBACK_IMPROVE = (
    "Vehicle registrations would help.", "A photo of the accommodation would have helped.",
    "Please include the number of workers seen.", "Names or descriptions of the people in charge would help.", "",
)
SENDER_ACTIVITY: dict[str, str] = {
    "FS": "food hygiene inspection", "TS": "test purchase visit", "LIC": "licensing check", "HOU": "HMO inspection",
    "ENV": "waste duty-of-care check", "POL": "patrol", "FRS": "fire safety audit", "HMRC": "compliance visit",
    "IE": "enforcement visit", "GLAA": "labour inspection", "INS": "company investigation",
}
RECIPIENT_WEIGHTS: dict[str, float] = {
    "IE": 0.9, "HMRC": 1.2, "FRS": 1.0, "TS": 1.0, "HOU": 0.9, "ENV": 0.8, "GLAA": 0.8, "POL": 1.0, "LIC": 0.7,
    "FS": 0.7, "INS": 0.3,
}
# Some agencies are slower to feed back than others (so inboxes show overdue items).
FEEDBACK_RATE: dict[str, float] = {"IE": 0.75, "HMRC": 0.8, "INS": 0.7, "POL": 0.9}
MARKERS: tuple[tuple[str, str, str, str], ...] = (
    ("violence", "Owner's brother (male, 40s)", "Threatened a licensing officer in 2025; attend in pairs.", "POL"),
    ("dogs", "Premises", "Two large dogs loose in the rear yard.", "HOU"),
    ("weapons", "Premises", "Machete reported kept behind the counter.", "POL"),
    ("hazards", "Premises", "Unsafe floor in the rear storeroom; gas cylinders stored inside.", "FRS"),
    ("violence", "Manager", "Aggressive towards officers at the last inspection.", "FS"),
    ("hazards", "Premises", "Exposed wiring in the flat above.", "HOU"),
    ("dogs", "Occupant of flat above", "Dog kept in the stairwell; call ahead.", "ENV"),
    ("weapons", "Associate (male, 20s)", "Reported to carry a knife.", "POL"),
)

# What partners may know of each agency's data (its dataset's sharing limit in the catalogue).
SHARING: dict[str, str] = {spec.agency: spec.sharing for spec in cat.DATASETS}


def what_partners_see(agencies: Iterable[str]) -> tuple[bool, list[str]]:
    """Of a business held by `agencies`: may every partner read it by name (a fully shared dataset holds it),
    and which of its holdings may be listed in text every partner reads (any but owner-only data)."""
    levels = {a: record_level(SHARING.get(a, ""), 0, EVERYONE) for a in agencies}  # the one rule, for every partner
    return (any(level is Level.FULL for level in levels.values()), [a for a, level in levels.items() if level is not Level.NONE])


# --- in-memory entities -----------------------------------------------------------------------


@dataclass
class _Street:
    name: str
    town: str
    district: str
    kind: str
    next_number: int
    postcodes: dict[int, str] = field(default_factory=dict)


@dataclass
class _Person:
    id: int
    username: str
    name: str
    role: str
    agency: str
    active: bool = True


@dataclass
class _Biz:
    id: int
    name: str
    company: str
    sector: str
    number: str
    street: _Street
    postcode: str
    phone: str
    contact: str
    risk: float = 0.0
    agencies: list[str] = field(default_factory=list)
    bands: dict[str, str] = field(default_factory=dict)
    flat_above: bool = False  # an HMO flat above a shop: its own business at the shop's number
    old: bool = False

    @property
    def address(self) -> str:
        """The canonical address line, with the town."""
        return f"{self.premises}, {self.street.town}"

    @property
    def premises(self) -> str:
        """The number and street ("Flat above 12 High Street" for the flat above a shop)."""
        return f"{'Flat above ' if self.flat_above else ''}{self.number} {self.street.name}"

    @property
    def label(self) -> str:
        """How people refer to it: name and street address (just the address for an HMO)."""
        if self.sector == "HMO":
            return self.premises
        return f"{self.name}, {self.premises}"


@dataclass
class _Visit:
    id: int
    biz: _Biz
    starts: datetime
    status: str
    agencies: list[str]


@dataclass
class _Recipient:
    id: int
    referral_id: int
    agency: str
    sent: datetime
    decided: bool


# --- the generator ----------------------------------------------------------------------------


class _Generator:
    """Builds every row of the demo partnership in memory, ids included."""

    def __init__(self, scale: Scale, today: date, password_hash: str) -> None:
        """Start from the scale's seed; nothing is generated until build()."""
        self.s = scale
        self.rng = random.Random(scale.seed)
        self.today = today
        self.password_hash = password_hash
        self.rows: dict[type[Base], list[dict[str, Any]]] = defaultdict(list)
        self._ids: dict[type[Base], int] = defaultdict(int)
        self.agency_id: dict[str, int] = {}
        self.indicators: dict[str, list[tuple[int, str]]] = defaultdict(list)
        self.people: list[_Person] = []
        self.by_username: dict[str, _Person] = {}
        self.streets: list[_Street] = []
        self.businesses: list[_Biz] = []
        self.business_rows: dict[int, dict[str, Any]] = {}
        self.held_by: dict[str, list[_Biz]] = defaultdict(list)
        self.visits: list[_Visit] = []
        self.visits_by_business: dict[int, list[_Visit]] = defaultdict(list)
        self.done_visits: dict[str, list[_Visit]] = defaultdict(list)
        self.actions: list[dict[str, Any]] = []
        self.recipients: list[_Recipient] = []
        self.board_id = 0
        self.tasking_id = 0
        self.next_tasking_meeting = 0
        self._postcodes_used: set[str] = set()
        self._has_id: dict[type[Base], bool] = {}
        self._staff: dict[tuple[str, tuple[str, ...]], list[_Person]] = {}
        self._street_cum: dict[str, list[float]] = {}
        # Which agencies hold each business once the matcher has decided (see learn_matching).
        self.matched: dict[int, frozenset[str]] | None = None
        self._open: dict[str, list[_Biz]] = {}
        self._named: dict[int, bool] = {}

    # -- helpers --

    def add(self, model: type[Base], **values: Any) -> int:
        """Queue one row; gives it the next id when the table has an integer id."""
        has_id = self._has_id.get(model)
        if has_id is None:
            has_id = self._has_id[model] = "id" in model.__table__.c
        if not has_id:
            self.rows[model].append(values)
            return 0
        self._ids[model] += 1
        values["id"] = self._ids[model]
        self.rows[model].append(values)
        return self._ids[model]

    def at(self, days: int, hour: int = 9, minute: int = 0) -> datetime:
        """A UTC timestamp `days` from today at the given time."""
        return datetime.combine(self.today + timedelta(days=days), time(hour, minute), timezone.utc)

    def day(self, days: int) -> date:
        """The date `days` from today."""
        return self.today + timedelta(days=days)

    def pick(self, items: Sequence[T], weights: Sequence[float] | None = None) -> T:
        """One item, uniformly or in proportion to `weights` (a plain scan: faster than choices() here)."""
        if weights is None:
            return items[int(self.rng.random() * len(items))]
        r = self.rng.random() * sum(weights)
        for item, weight in zip(items, weights):
            r -= weight
            if r < 0:
                return item
        return items[-1]

    def sample_weighted(self, weights: dict[str, float], k: int) -> list[str]:
        """k distinct keys, drawn with probability proportional to weight."""
        pool = dict(weights)
        chosen: list[str] = []
        while pool and len(chosen) < k:
            key = self.pick(list(pool), list(pool.values()))
            chosen.append(key)
            del pool[key]
        return chosen

    def person_name(self) -> str:
        """A fictional first and last name."""
        return f"{self.pick(FIRST_NAMES)} {self.pick(LAST_NAMES)}"

    def users_of(self, agency: str, roles: tuple[str, ...] = STAFF_ROLES) -> list[_Person]:
        """Active staff of an agency in the given roles (cached: people are fixed once created)."""
        key = (agency, roles)
        if key not in self._staff:
            self._staff[key] = [p for p in self.people if p.agency == agency and p.role in roles and p.active]
        return self._staff[key]

    # -- build --

    def build(self) -> None:
        """Generate everything, in dependency order (without a store: the businesses as the generator meant them)."""
        self.build_records()
        self.build_rest()

    def build_records(self) -> None:
        """Agencies, people, businesses and the agencies' records: what the matcher works on."""
        self.settings()
        self.agencies()
        self.users()
        self.geography()
        self.make_businesses()
        self.datasets()

    def build_rest(self) -> None:
        """Markers, visits, meetings, actions, referrals and tasking, on the businesses as matched."""
        self.warning_markers()
        self.make_visits()
        self.boards()
        self.make_actions()
        self.referrals()
        self.link_referrals_to_actions()
        self.tasking_and_agendas()
        self.add(AuditEvent, at=datetime.now(timezone.utc), actor_id=None, actor_username="system",
                 actor_agency_id=None, action="demo.seed", entity="partnership", entity_id="",
                 summary=self.summary(), before=None, after=None)

    def summary(self) -> str:
        """The audit summary: how much of each main thing was seeded."""
        counts = {m.__tablename__: len(self.rows[m]) for m in TABLE_ORDER if self.rows[m]}
        keys = ("agencies", "users", "businesses", "agency_records", "visits", "actions", "referrals", "feedback")
        return "Demo partnership seeded: " + ", ".join(f"{counts.get(k, 0)} {k}" for k in keys)

    def settings(self) -> None:
        """Partnership-wide settings, marked as the demo."""
        values: dict[str, Any] = {
            "partnership_name": PARTNERSHIP_NAME, "area": AREA, "classification": "OFFICIAL", "demo": True,
            "grading_scheme": "5x5x5", "ack_days": ACK_DAYS, "feedback_days": FEEDBACK_DAYS, "stale_after_days": 90,
        }
        for key, value in values.items():
            self.add(Setting, key=key, value=value)

    def agencies(self) -> None:
        """Agencies, their powers and golden indicators, from the catalogue."""
        created = self.at(-400)
        for spec in cat.AGENCIES:
            aid = self.add(Agency, code=spec.code, name=spec.name, kind=spec.kind, remit=list(spec.remit),
                           contact_name=spec.contact_name, contact_email=spec.contact_email,
                           contact_phone=spec.contact_phone, active=True, created_at=created)
            self.agency_id[spec.code] = aid
            for p in spec.powers:
                self.add(AgencyPower, agency_id=aid, power=p.power, entry=p.entry, notice_hours=p.notice_hours,
                         premises_scope=p.premises_scope, statute=p.statute, notes=p.notes)
            for ind in spec.indicators:
                iid = self.add(Indicator, agency_id=aid, code=ind.code, label=ind.label, issue=ind.issue, active=True)
                self.indicators[spec.code].append((iid, ind.label))

    def users(self) -> None:
        """The named demo users, extra staff at county scale, and one deactivated account."""
        specs = list(DEMO_USERS)
        taken = {u for u, *_ in specs} | {FORMER_USER[0]}
        for spec in cat.AGENCIES:
            extra = [("officer", self.s.extra_officers), ("analyst", self.s.extra_analysts)]
            for role, n in extra:
                for _ in range(n):
                    name = self.person_name()
                    base = name.lower().replace(" ", ".")
                    username, i = base, 2
                    while username in taken:
                        username, i = f"{base}{i}", i + 1
                    taken.add(username)
                    specs.append((username, name, role, spec.code))
        specs.append(FORMER_USER)
        for username, name, role, agency in specs:
            active = username != FORMER_USER[0]
            email_name = name.lower().replace(" ", ".").replace("'", "")
            seen = self.at(-self.rng.randint(1, 10), 8) if role != "admin" else None
            uid = self.add(User, username=username, name=name, email=f"{email_name}@{EMAIL_DOMAIN}",
                           password_hash=self.password_hash, role=role, agency_id=self.agency_id[agency],
                           active=active, created_at=self.at(-380 + self.rng.randint(0, 60)),
                           last_sign_in_at=self.at(-self.rng.randint(1, 20), 9) if active else self.at(-200),
                           feedback_seen_at=seen)
            person = _Person(uid, username, name, role, agency, active)
            self.people.append(person)
            self.by_username[username] = person
        # The officer's home page shows feedback that arrived after this.
        self.user_row("officer")["feedback_seen_at"] = self.at(-6, 9)
        for username, name, role, agency in DATA_ANALYSTS:
            self.add(User, username=username, name=name, email=f"{username}@{EMAIL_DOMAIN}",
                     password_hash=self.password_hash, role=role, agency_id=self.agency_id[agency], active=True,
                     created_at=self.at(-120), last_sign_in_at=self.at(-3, 9), feedback_seen_at=self.at(-3, 9))

    # -- what partners may read (the sharing rules the product shows) --

    def learn_matching(self, session: Any) -> None:
        """Which agencies hold each business after the matcher ran: it may split a business's records or merge them
        into a neighbour's, and what partners may read follows the store, not the generator's intent."""
        conn = session.connection()  # Core rows: the ORM's row handling costs seconds at county scale
        merged = dict(conn.execute(select(Business.id, Business.merged_into_id)
                                   .where(Business.merged_into_id.is_not(None))).all())
        code = {aid: c for c, aid in self.agency_id.items()}
        held: dict[int, set[str]] = defaultdict(set)
        for bid, aid in conn.execute(select(AgencyRecord.business_id, AgencyRecord.agency_id)
                                     .where(AgencyRecord.current.is_(True), AgencyRecord.business_id.is_not(None))):
            held[bid].add(code[aid])
        self.matched = {}
        for biz in self.businesses:
            root, seen = biz.id, set()
            while root in merged and root not in seen:
                seen.add(root)
                root = merged[root]
            self.matched[biz.id] = frozenset(held.get(root, ()))
        self._open.clear()
        self._named.clear()

    def holders(self, biz: _Biz) -> Iterable[str]:
        """The agencies whose current records the business holds (as matched, once the matcher has run)."""
        return biz.agencies if self.matched is None else self.matched.get(biz.id, frozenset())

    def named_to_all(self, biz: _Biz) -> bool:
        """Every partner may read the business, so text that every partner reads may name it."""
        if self.matched is None:
            return what_partners_see(biz.agencies)[0]
        if biz.id not in self._named:
            self._named[biz.id] = what_partners_see(self.holders(biz))[0]
        return self._named[biz.id]

    def may_read(self, agency: str, biz: _Biz) -> bool:
        """The agency may read one of the business's records: a fully shared one, or its own."""
        return agency in self.holders(biz) or self.named_to_all(biz)

    def listed(self, biz: _Biz) -> list[str]:
        """The agencies that hold the business that text every partner reads may list (never owner-only data)."""
        return what_partners_see(biz.agencies)[1]

    def open_businesses(self, agency: str | None = None) -> list[_Biz]:
        """Businesses every partner may read: those the agency holds, or all of them (cached)."""
        key = agency or ""
        if key not in self._open:
            pool = self.held_by.get(agency, []) if agency else self.businesses
            self._open[key] = [b for b in pool if self.named_to_all(b)]
        return self._open[key]

    def stand_in(self, biz: _Biz, agency: str | None = None) -> _Biz:
        """`biz` if every partner may read it, otherwise one they may (the agency's if it holds any), chosen by id
        rather than drawn from the random generator, so the draws that follow (and what they make) do not move."""
        if self.named_to_all(biz):
            return biz
        pool = self.open_businesses(agency) or self.open_businesses()
        return pool[biz.id % len(pool)] if pool else biz

    def user_row(self, username: str) -> dict[str, Any]:
        """The queued row of a user, for adjusting after creation."""
        return self.rows[User][self.by_username[username].id - 1]

    # -- geography and businesses --

    def geography(self) -> None:
        """Streets per town: high streets and parades, residential roads, trading estates."""
        n = self.s.businesses
        for town, districts, weight in TOWNS:
            n_town = n * weight
            wanted = {"commercial": max(6, round(n_town * 0.66 / 18)), "residential": max(4, round(n_town * 0.2 / 6)),
                      "estate": max(1, round(n_town * 0.1 / 25))}
            high = list(HIGH_STREETS)
            self.rng.shuffle(high)
            commercial = [f"{stem} {t}" for stem in STREET_STEMS for t in COMMERCIAL_TYPES]
            residential = [f"{stem} {t}" for stem in STREET_STEMS for t in RESIDENTIAL_TYPES]
            estates = [f"{stem} {t}" for stem in STREET_STEMS + (town,) for t in ESTATE_TYPES]
            for pool in (commercial, residential, estates):
                self.rng.shuffle(pool)
            pools = {"commercial": high + commercial, "residential": residential, "estate": estates}
            used: set[str] = set()
            for kind, count in wanted.items():
                # At county scale the name pools run out first; streets then simply hold more premises.
                names = [name for name in pools[kind] if name not in used][:count]
                used.update(names)
                for name in names:
                    start = 1 if kind == "estate" else self.rng.randint(1, 30)
                    self.streets.append(_Street(name, town, self.pick(districts), kind, start))
        self.streets_by_kind: dict[str, list[_Street]] = defaultdict(list)
        for st in self.streets:
            self.streets_by_kind[st.kind].append(st)
        town_weights = {t: w for t, _, w in TOWNS}
        for kind, streets in self.streets_by_kind.items():
            self._street_cum[kind] = list(accumulate(town_weights[s.town] for s in streets))

    def street_for(self, kind: str) -> _Street:
        """A street of this kind, busier towns more likely."""
        cum = self._street_cum[kind]
        return self.streets_by_kind[kind][bisect_right(cum, self.rng.random() * cum[-1])]

    def next_number(self, street: _Street) -> str:
        """The next free house or unit number on a street (mostly next door but one)."""
        n = street.next_number
        if street.kind == "estate":
            street.next_number += 1
            return f"Unit {n}"
        street.next_number += 2 if self.rng.random() < 0.8 else 4
        return str(n)

    def postcode(self, street: _Street, number: str) -> str:
        """The postcode for a block of numbers on a street, unique in the area."""
        digits = "".join(ch for ch in number if ch.isdigit()) or "0"
        block = int(digits) // 16
        if block not in street.postcodes:
            while True:
                letters = self.pick(POSTCODE_LETTERS) + self.pick(POSTCODE_LETTERS)
                code = f"{street.district} {self.rng.randint(0, 9)}{letters}"
                if code not in self._postcodes_used:
                    break
            self._postcodes_used.add(code)
            street.postcodes[block] = code
        return street.postcodes[block]

    def business_name(self, sector: str, street: _Street) -> str:
        """A trading name: sometimes a generic chain name, sometimes the street's or town's."""
        if sector == "HMO":
            return ""
        if sector in CHAIN_NAMES and self.rng.random() < 0.1:
            return CHAIN_NAMES[sector]
        base = self.pick(SECTOR_NAMES[sector])
        if sector in ("warehouse", "factory"):
            return f"{self.pick(STREET_STEMS + (street.town,))} {base}"
        if sector == "hotel":
            return f"{self.pick(STREET_STEMS)} {base}"
        roll = self.rng.random()
        if roll < 0.12 and not base.startswith("The "):
            return f"{street.name.replace('The ', '').split()[0]} {base}"
        if roll < 0.2 and not base.startswith("The "):
            return f"{street.town.split()[0]} {base}"
        return base

    def company_name(self, name: str, contact: str) -> str:
        """The legal entity behind a trading name, or "" for a sole trader."""
        roll = self.rng.random()
        if not name:
            return f"{contact.split()[-1]} Properties Ltd" if roll < 0.4 else ""
        if roll < 0.35:
            return f"{name.removeprefix('The ')} Ltd"
        if roll < 0.65:
            if roll < 0.5:
                return f"{self.pick(POSTCODE_LETTERS)}&{self.pick(POSTCODE_LETTERS)} {self.pick(COMPANY_WORDS)} Ltd"
            return f"{contact.split()[-1]} {self.pick(COMPANY_WORDS)} Ltd"
        return ""

    def make_businesses(self) -> None:
        """Businesses with the agencies that hold them (how many follows the published shares)."""
        sectors, weights = list(SECTOR_WEIGHTS), list(SECTOR_WEIGHTS.values())
        counts, count_weights = list(AGENCY_COUNT_WEIGHTS), list(AGENCY_COUNT_WEIGHTS.values())
        phones_used: set[str] = set()
        n_old = round(self.s.businesses * 0.015)
        for _ in range(self.s.businesses - n_old):
            sector = self.pick(sectors, weights)
            kinds = SECTOR_KIND.get(sector, (("commercial", 1.0),))
            kind = self.pick([k for k, _ in kinds], [w for _, w in kinds])
            street = self.street_for(kind)
            number = self.next_number(street)
            contact = self.person_name()
            name = self.business_name(sector, street)
            phone = ""
            if self.rng.random() < 0.75:
                while not phone or phone in phones_used:
                    phone = f"01632 {self.rng.randint(100_000, 999_999)}"
                phones_used.add(phone)
            biz = self.new_business(name, self.company_name(name, contact), sector, number, street, phone, contact)
            k = self.pick(counts, count_weights)
            a, b = BETA_BY_COUNT.get(k, (4, 3))
            biz.risk = self.rng.betavariate(a, b)
            biz.agencies = self.sample_weighted(AFFINITY[sector], k)
        self.networks()
        self.phoenixes(n_old)
        self.flats_above_shops()

    def flats_above_shops(self) -> None:
        """Housing holds the HMO flat above a shop, not the shop: the flat is its own business at the shop's number
        (the matcher links the two as the same building, never merges them)."""
        for shop in [b for b in self.businesses if "HOU" in b.agencies and b.sector != "HMO"]:
            others = [a for a in shop.agencies if a != "HOU"]
            if not others:  # the shop was known to housing alone: another agency of its trade holds it instead
                others = self.sample_weighted({a: w for a, w in AFFINITY[shop.sector].items() if a != "HOU"}, 1)
            shop.agencies = others
            landlord = self.person_name()
            flat = self.new_business("", self.company_name("", landlord), "HMO", shop.number, shop.street, "", landlord)
            flat.flat_above, flat.risk = True, shop.risk
            flat.agencies = ["HOU"] + (["FRS"] if self.rng.random() < 0.3 else [])

    def new_business(self, name: str, company: str, sector: str, number: str, street: _Street, phone: str,
                     contact: str) -> _Biz:
        """Create a business at an address and register it."""
        biz = _Biz(len(self.businesses) + 1, name, company, sector, number, street, self.postcode(street, number),
                   phone, contact)
        self.businesses.append(biz)
        return biz

    def networks(self) -> None:
        """One owner behind several shopfronts: shared mobile number and contact name."""
        candidates = [b for b in self.businesses if b.sector not in ("HMO", "warehouse", "factory")]
        n_groups = max(3, round(len(candidates) * 0.02))
        for g in range(n_groups):
            group = self.rng.sample(candidates, self.pick([2, 3], [0.6, 0.4]))
            mobile = f"07700 9{g % 1000:05d}"
            owner = group[0].contact
            company = group[0].company if self.rng.random() < 0.4 else ""
            for biz in group:
                biz.contact, biz.phone = owner, mobile
                if company:
                    biz.company = company
                biz.risk = min(1.0, biz.risk + 0.15)

    def phoenixes(self, n: int) -> None:
        """Old businesses whose premises re-opened under a new name: same address, same people."""
        shops = [b for b in self.businesses if b.sector in ("takeaway", "convenience store", "car wash", "barber",
                                                             "nail bar", "off-licence")]
        for new in self.rng.sample(shops, min(n, len(shops))):
            old_name = self.pick(SECTOR_NAMES[new.sector])
            if old_name == new.name:
                old_name = f"{old_name} Express"
            old = self.new_business(old_name, f"{old_name.removeprefix('The ')} ({new.street.town}) Ltd", new.sector,
                                    new.number, new.street, new.phone, new.contact)
            old.old, old.risk = True, min(1.0, new.risk + 0.2)
            old.agencies = self.sample_weighted(AFFINITY[new.sector], self.pick([1, 2], [0.5, 0.5]))

    def business_row(self, biz: _Biz) -> dict[str, Any]:
        """The Business row: the canonical, matched view of the premises."""
        return {"id": biz.id, "name": biz.name or biz.premises, "address": biz.address,
                "postcode": biz.postcode, "district": biz.street.district, "sector": biz.sector,
                "created_at": self.at(-IMPORT_AGE_DAYS["GLAA"] - 10), "tasking_requested_at": None}

    # -- datasets and agency records --

    def datasets(self) -> None:
        """One dataset per agency that holds premises data, its import, and its records."""
        for biz in self.businesses:
            row = self.business_row(biz)
            self.business_rows[biz.id] = row
            self.rows[Business].append(row)
        self._ids[Business] = len(self.businesses)
        for spec in cat.DATASETS:
            holders = [b for b in self.businesses if spec.agency in b.agencies]
            self.held_by[spec.agency] = holders
            owner = (self.users_of(spec.agency, ("analyst", "coordinator")) or self.users_of(spec.agency))[0]
            age = IMPORT_AGE_DAYS[spec.agency]
            imported = self.at(-age, 10, 30)
            did = self.add(Dataset, agency_id=self.agency_id[spec.agency], name=spec.name,
                           description=spec.description, sharing=spec.sharing, column_mapping=spec.column_mapping,
                           risk_scale=spec.risk_scale, created_at=self.at(-age - 200), created_by_id=owner.id,
                           last_imported_at=imported)
            entries: list[tuple[_Biz, int]] = []
            for biz in holders:
                copies = 1
                if spec.agency == "ENV":
                    copies = self.pick([1, 2, 3], [0.65, 0.25, 0.1])
                elif spec.agency == "FS" and self.rng.random() < 0.04:
                    copies = 2
                entries += [(biz, i) for i in range(copies)]
            self.rng.shuffle(entries)
            import_id = self.add(DatasetImport, dataset_id=did, imported_at=imported, imported_by_id=owner.id,
                                 filename=f"{spec.name.lower().replace(' ', '_')}_{self.day(-age).isoformat()}.csv",
                                 row_count=len(entries), added=len(entries), removed=0, changed=0,
                                 report={"rows": len(entries), "errors": 0, "skipped": 0,
                                         "columns": sorted(spec.column_mapping)})
            values_by_band: dict[str, list[str]] = defaultdict(list)
            for value, band in spec.risk_scale.items():
                values_by_band[band].append(value)
            ref_start = self.rng.randint(1000, 40_000)
            for i, (biz, copy) in enumerate(entries):
                self.add(AgencyRecord, **self.record(spec, biz, copy, did, import_id, age,
                                                     f"{spec.reference_prefix}{ref_start + i * 3:06d}", values_by_band))

    def band_for(self, biz: _Biz) -> str:
        """A common band for one agency's view: the business's latent risk plus disagreement."""
        b = biz.risk + self.rng.gauss(0, 0.15)
        return "high" if b > 0.62 else "medium" if b > 0.4 else "low"

    def record(self, spec: cat.DatasetSpec, biz: _Biz, copy: int, dataset_id: int, import_id: int, age: int,
               reference: str, values_by_band: dict[str, list[str]]) -> dict[str, Any]:
        """One agency's own view of a business, written the way that agency writes things."""
        style = STYLES[spec.agency]
        rng = self.rng
        band = self.band_for(biz)
        value = self.pick(values_by_band[band])
        biz.bands.setdefault(spec.agency, band)
        flat = biz.flat_above
        trading = "" if spec.address_only else self.vary_name(biz, style)
        company = ""
        if spec.agency in ("FS", "TS", "LIC", "HMRC", "GLAA"):
            company = biz.company or (biz.contact if spec.agency in ("FS", "LIC") else "")
            if company.endswith(" Ltd") and rng.random() < 0.4:
                company = company[:-4] + " Limited"
        address = self.vary_address(biz, style, flat=flat)
        if spec.agency == "ENV":
            roll = rng.random()
            if roll < 0.25 and biz.name:
                address = f"{biz.name}, {address}"
            elif roll < 0.45:
                address = f"Rear of {address}"
        extra: dict[str, Any] = {}
        if spec.agency == "ENV":
            extra = {"notes": self.pick(("Black bags of food waste", "Cardboard and pallets", "Cooking oil drums",
                                         "Mattresses and furniture", "Tyres"))}
        if biz.old:
            last = self.day(-rng.randint(500, 1100))
        else:
            last = self.day(-age - rng.randint(0, 700 if band == "low" else 300))
        return {
            "dataset_id": dataset_id, "import_id": import_id, "agency_id": self.agency_id[spec.agency],
            "business_id": biz.id, "reference": reference if copy == 0 else f"{reference}-{copy}",
            "trading_name": trading, "company_name": company, "address": address,
            "postcode": self.vary_postcode(biz.postcode, style),
            "phone": self.vary_phone(biz.phone) if biz.phone and rng.random() < style.phone else "",
            "contact": self.vary_contact(biz.contact) if rng.random() < style.contact else "",
            "sector": self.agency_sector(spec.agency, biz, flat), "risk_value": value,
            "risk_band": spec.risk_scale[value], "last_contact": last, "match_score": None, "current": True,
            "extra": extra,
        }

    def vary_name(self, biz: _Biz, style: _Style) -> str:
        """The trading name as this agency records it."""
        rng = self.rng
        if biz.sector == "HMO":
            return ""
        name = biz.company if biz.company and rng.random() < style.company_as_name else biz.name
        if name.startswith("The ") and rng.random() < style.drop_the:
            name = name[4:]
        if "&" in name and rng.random() < style.amp:
            name = name.replace("&", "and")
        if name.endswith(" Ltd") and rng.random() < 0.4:
            name = name[:-4] + " Limited"
        elif not name.endswith(("Ltd", "Limited")) and rng.random() < style.ltd:
            name += " Ltd"
        if rng.random() < style.typo:
            name = self.typo(name)
        if rng.random() < style.upper:
            name = name.upper()
        elif rng.random() < style.lower:
            name = f"{name.lower()} ({biz.sector})"
        return name

    def typo(self, name: str) -> str:
        """A plausible keying slip: a dropped apostrophe or two letters swapped."""
        if "'" in name:
            return name.replace("'", "")
        letters = [i for i in range(1, len(name) - 1) if name[i].isalpha() and name[i + 1].isalpha()]
        if not letters:
            return name
        i = self.pick(letters)
        return name[:i] + name[i + 1] + name[i] + name[i + 2:]

    def vary_address(self, biz: _Biz, style: _Style, *, flat: bool = False) -> str:
        """The address as this agency records it: abbreviations, commas, flats and units."""
        rng = self.rng
        street = biz.street.name
        if rng.random() < style.abbrev:
            for full, short in ABBREVIATIONS:
                if street.endswith(full):
                    street = street[: -len(full)] + short
                    break
            else:
                street = street.removeprefix("The ")
        num = biz.number
        if num.startswith("Unit "):
            unit = num[5:]
            line = self.pick((f"Unit {unit}, {street}", f"{unit} {street}", f"Unit {unit} {street}"), (6, 2, 2))
        elif flat:
            line = self.pick((f"Flat above {num} {street}", f"{num}A {street}", f"First Floor Flat, {num} {street}",
                              f"Flat 1, {num} {street}"))
        elif rng.random() < style.no_number:
            line = street
        elif rng.random() < style.comma:
            line = f"{num}, {street}"
        else:
            line = f"{num} {street}"
        if rng.random() < style.town:
            line = f"{line}, {biz.street.town}"
        if rng.random() < style.upper:
            line = line.upper()
        return line

    def vary_postcode(self, postcode: str, style: _Style) -> str:
        """The postcode as keyed: spacing, case, the O/0 slip, or missing."""
        rng = self.rng
        if rng.random() < style.pc_missing:
            return ""
        outward, inward = postcode.split(" ")
        if rng.random() < style.pc_slip:
            # The classic slips: 0 keyed as O, or the last two letters transposed.
            inward = "O" + inward[1:] if inward[0] == "0" else inward[0] + inward[2] + inward[1]
        if rng.random() < style.pc_nospace:
            code = outward + inward
        else:
            code = f"{outward} {inward}"
        return code.lower() if rng.random() < style.pc_lower else code

    def vary_phone(self, phone: str) -> str:
        """The phone number in one of the ways people write it."""
        return self.pick((phone, phone.replace(" ", ""), "+44 " + phone[1:]), (6, 3, 1))

    def vary_contact(self, contact: str) -> str:
        """The contact's name in one of the ways agencies record it."""
        first, last = contact.split(" ", 1)
        return self.pick((contact, f"{first[0]}. {last}", f"{first[0]} {last}", f"{last.upper()}, {first}"),
                         (5, 2, 2, 1))

    def agency_sector(self, agency: str, biz: _Biz, flat: bool) -> str:
        """The sector in the agency's own vocabulary."""
        if agency == "FS":
            return FS_TYPES.get(biz.sector, "Other catering premises")
        if agency == "LIC":
            return LIC_TYPES.get(biz.sector, "Premises licence")
        if agency == "HOU":
            return "Flat above commercial premises" if flat else "HMO"
        if agency in ("ENV", "IE", "POL"):
            return ""
        return biz.sector

    # -- officer safety --

    def warning_markers(self) -> None:
        """Officer-safety markers on some of the riskiest premises."""
        risky = sorted((b for b in self.businesses if len(b.agencies) >= 2 and not b.old), key=lambda b: -b.risk)
        chosen: list[_Biz] = []
        for biz in risky:  # an agency marks premises it may read
            if len(chosen) == self.s.markers:
                break
            if self.may_read(MARKERS[len(chosen) % len(MARKERS)][3], biz):
                chosen.append(biz)
        for i, biz in enumerate(chosen):
            category, subject, details, agency = MARKERS[i % len(MARKERS)]
            author = self.users_of(agency)[0]
            self.add(WarningMarker, business_id=biz.id, subject=subject, category=category, details=details,
                     agency_id=self.agency_id[agency], created_by_id=author.id,
                     created_at=self.at(-self.rng.randint(20, 300)), active=True)
        self.marked = {b.id: MARKERS[i % len(MARKERS)] for i, b in enumerate(chosen)}

    # -- joint visits --

    def make_visits(self) -> None:
        """A week of action, past joint visits with outcomes, and a month of planned ones."""
        s, rng = self.s, self.rng
        coordinators = [p for p in self.people if p.role == "coordinator" and p.active]
        pool = [b for b in self.businesses if len(b.agencies) >= 2 and not b.old]
        pool.sort(key=lambda b: -b.risk)
        pool = pool[: max(s.visits * 3, 50)]
        rng.shuffle(pool)
        # Markered premises get visited: their warnings must reach the visit team.
        marked = [b for b in self.businesses if b.id in self.marked]
        pool = marked[:3] + [b for b in pool if b.id not in self.marked]
        slots = ((9, 30), (11, 0), (13, 30), (15, 30), (18, 30))
        booked: dict[int, set[date]] = defaultdict(set)
        plan: list[tuple[int, int, int | None]] = []  # (day offset, slot, operation id)
        for o in range(s.operations):
            start = -45 - o * (s.history_days // max(1, s.operations))
            start -= self.day(start).weekday()  # a Monday
            op_id = self.add(Operation, name=f"Operation {('Lantern', 'Beacon', 'Harbour', 'Keystone')[o % 4]}",
                             starts_on=self.day(start), ends_on=self.day(start + 4),
                             coordinator_id=self.by_username["coordinator"].id,
                             notes="Week of action: takeaways, car washes and flats above shops.",
                             created_at=self.at(start - 30))
            per_op = max(12, s.visits // 20)
            for i in range(per_op):
                plan.append((start + i % 5, (i // 5) % len(slots), op_id))
        future = max(12, s.visits // 6)
        past = s.visits - len(plan) - future
        for i in range(past):
            plan.append((-rng.randint(1, s.history_days - 60 if s.history_days > 180 else 120), rng.randrange(5), None))
        for i in range(future):
            plan.append((1 + (i * 29) // future, rng.randrange(5), None))
        plan.sort(key=lambda p: (p[0], p[1]))
        # A week of action picks premises its coordinator may read that two or more agencies hold (other agencies'
        # owner-only data not counted); any other pick is swapped for one of the premises no visit uses.
        picker = self.by_username["coordinator"].agency
        spare = iter([b for b in pool[len(plan):] if self.plannable(picker, b)])
        cancelled_done = False
        near_future = 0
        for n, (offset, slot, op_id) in enumerate(plan):
            biz = pool[n % len(pool)]
            if op_id is not None and not self.plannable(picker, biz):
                biz = next(spare, biz)
            hour, minute = slots[slot]
            starts = self.at(offset, hour, minute)
            if offset < 0:
                status = "done"
                if not cancelled_done and op_id is None and offset < -20:
                    status, cancelled_done = "cancelled", True
            else:
                status = self.pick(("confirmed", "proposed", "draft"), (5, 3, 2) if offset <= 14 else (2, 4, 3))
            must: list[str] = []
            if 0 < offset <= 14:
                near_future += 1
                must = [("FS", "IE"), ("LIC", "POL"), ("FS", "HMRC"), ("IE", "FRS")][near_future % 4]
                if near_future <= 2:
                    status = "proposed"
            self.visit(biz, starts, status, op_id, list(must), coordinators, booked)
        for v in self.visits:
            self.visits_by_business[v.biz.id].append(v)
            for code in v.agencies:
                if v.status == "done":
                    self.done_visits[code].append(v)

    def plannable(self, agency: str, biz: _Biz) -> bool:
        """A week of action's coordinator of `agency` could pick the business: readable, two or more holders."""
        held = set(what_partners_see(self.holders(biz))[1]) | ({agency} & set(self.holders(biz)))
        return self.may_read(agency, biz) and len(held) >= 2

    def visit(self, biz: _Biz, starts: datetime, status: str, op_id: int | None, must: list[str],
              coordinators: list[_Person], booked: dict[int, set[date]]) -> None:
        """One joint visit: lead by entry powers, partner agencies, answers, outcomes and named officers."""
        rng = self.rng
        candidates = [a for a in biz.agencies if a != "INS"] + must
        lead = next((a for a in LEAD_PREFERENCE[biz.sector] if a in candidates), LEAD_PREFERENCE[biz.sector][0])
        others = [a for a in dict.fromkeys(candidates) if a != lead]
        rng.shuffle(others)
        keep = [a for a in must if a != lead]
        others = keep + [a for a in others if a not in keep]
        agencies = [lead] + others[: rng.randint(max(0, len(keep)), 3)]
        if len(agencies) == 1 and rng.random() < 0.5:
            agencies.append(self.pick([a for a in ("IE", "HMRC", "FRS") if a != lead]))
        approach = self.pick(("enforcement", "supportive compliance", "mixed"), (70, 27, 3))
        hours = rng.choice((1, 2, 2, 3))
        created = min(starts - timedelta(days=rng.randint(7, 30)), self.at(-1, 8))
        creator = self.pick(coordinators)
        # Reasons and briefing are read by every partner: owner-only holdings are not listed, and premises not every
        # partner may read are not named (the visit itself shows them only to those who may).
        listed = self.listed(biz)
        reasons = [f"Held by {len(listed)} {'agency' if len(listed) == 1 else 'agencies'}: " + ", ".join(
            f"{a} ({biz.bands.get(a, 'interest')})" for a in listed)] if listed else []
        premises = biz.label if self.named_to_all(biz) else "Premises not named here (not every partner may read them)"
        briefing = f"{premises}. Approach: {approach}. Lead: {cat.AGENCY_BY_CODE[lead].name}."
        # Markers are not copied into the briefing: they reach only roles allowed to see them, on the visit.
        done = status == "done"
        vid = self.add(Visit, business_id=biz.id, premises_text=biz.label, operation_id=op_id, starts_at=starts,
                       ends_at=starts + timedelta(hours=hours), lead_agency_id=self.agency_id[lead],
                       entry_route=self.entry_route(lead, agencies), approach=approach, status=status,
                       briefing=briefing, reasons=reasons, overrides=[], created_by_id=creator.id, created_at=created,
                       updated_at=min(starts + timedelta(hours=hours + 20), self.at(-1, 17)) if done else created,
                       version=1)
        self.visits.append(_Visit(vid, biz, starts, status, agencies))
        declined = status == "confirmed" and len(agencies) > 2 and rng.random() < 0.15
        for i, code in enumerate(agencies):
            if status in ("done", "cancelled", "confirmed"):
                response = "declined" if declined and i == len(agencies) - 1 else "confirmed"
            elif status == "proposed":
                response = "confirmed" if i == 0 else self.pick(("pending", "confirmed"), (3, 1))
            else:
                response = "pending"
            staff = self.users_of(code)
            responder = self.pick(staff) if response != "pending" else None
            self.add(VisitAgency, visit_id=vid, agency_id=self.agency_id[code],
                     officers=rng.randint(2, 3) if i == 0 else rng.randint(1, 4 if code in ("IE", "POL") else 2),
                     objectives=OBJECTIVES[code], response=response,
                     responded_by_id=responder.id if responder else None,
                     responded_at=(min(created + timedelta(days=rng.randint(1, 4)), self.at(-1, 16))
                                   if responder else None),
                     outcome=self.outcome(code) if done else None, outcome_version=1 if done else 0,
                     outcome_recorded_at=min(starts + timedelta(days=rng.randint(0, 2), hours=hours + 2),
                                             self.at(-1, 18)) if done else None)
            if response == "declined":
                continue
            officers = [p for p in self.users_of(code, ("officer", "coordinator")) if starts.date() not in booked[p.id]]
            weights = [4.0 if p.username in HOME_USERS else 1.0 for p in officers]
            for person in self.sample_weighted({p.username: w for p, w in zip(officers, weights)}, rng.randint(1, 2)):
                p = self.by_username[person]
                booked[p.id].add(starts.date())
                self.add(VisitOfficer, visit_id=vid, user_id=p.id)

    def entry_route(self, lead: str, agencies: list[str]) -> str:
        """How the visit team gets through the door lawfully, from the lead's usual entry power."""
        spec = cat.AGENCY_BY_CODE[lead]
        power = next(p for p in spec.powers if p.power == "entry")  # the catalogue lists the usual route first
        route = f"{spec.name} leads: {cat.ENTRY_MODES[power.entry or 'consent'].lower()} ({power.statute})"
        if power.notice_hours:
            route += f"; {power.notice_hours} hours' notice given"
        route += "."
        if "IE" in agencies and lead != "IE":
            route += " Immigration Enforcement attends alongside the lead (consent, or named on the warrant)."
        return route

    def outcome(self, agency: str) -> dict[str, Any]:
        """One agency's recorded outcome of a done visit."""
        rng = self.rng
        counts = {"notices": 0, "seizures": 0, "arrests": 0, "penalties": 0, "referrals": 0}
        if rng.random() < 0.3:
            return {"result": ["nothing found"], **counts, "notes": "Compliant on the day; advice given."}
        options = OUTCOME_RESULTS[agency]
        results = self.rng.sample(options, self.pick([1, 2], [0.7, 0.3]) if len(options) > 1 else 1)
        for r in results:
            counts[r] = rng.randint(1, 3 if r != "arrests" else 2)
        notes = " ".join(OUTCOME_NOTES[r] for r in results)
        return {"result": sorted(results), **counts, "notes": notes}

    # -- boards and meetings --

    def boards(self) -> None:
        """The partnership board and tasking group, their members and meetings."""
        chair = self.by_username["chair"]
        coordinator = self.by_username["coordinator"]
        leads = [chair]
        for spec in cat.AGENCIES:
            if spec.code == chair.agency:
                continue
            staff = [p for p in self.people if p.agency == spec.code and p.active and p.role != "admin"]
            staff.sort(key=lambda p: ("coordinator", "analyst", "officer").index(p.role))
            leads.append(staff[0])
        tasking = [coordinator, self.by_username["analyst"]] + [
            p for p in self.people if p.active and p.role in ("analyst", "coordinator") and p not in (coordinator,)
            and p.username != "analyst"][:6]
        self.board_members = leads
        self.tasking_members = tasking
        # Each board's meetings are run by its chair or its deputy, whatever their role: a coordinator chairs tasking.
        self.board_id = self.add(Board, name="Kingsmere Partnership Board", kind="board",
                                 description="Strategic board: priorities, the action log and accountability.",
                                 chair_id=chair.id, deputy_id=leads[1].id, quorum=4, active=True)
        self.tasking_id = self.add(Board, name="Kingsmere Tasking Group", kind="tasking",
                                   description="Fortnightly tasking: which businesses, which agencies, which response.",
                                   chair_id=coordinator.id, deputy_id=self.by_username["analyst"].id, quorum=3, active=True)
        for p in leads:
            self.add(BoardMember, board_id=self.board_id, user_id=p.id)
        for p in tasking:
            self.add(BoardMember, board_id=self.tasking_id, user_id=p.id)
        self.board_meetings: list[tuple[int, int]] = []  # (meeting id, day offset), oldest first
        for i in reversed(range(self.s.board_meetings)):
            offset = -14 - 42 * i
            self.board_meetings.append((self.meeting(self.board_id, offset, 10, leads, "Kingsmere Civic Centre, "
                                                     "Committee Room 2"), offset))
        self.next_board_meeting = self.meeting(self.board_id, 10, 10, leads, "Kingsmere Civic Centre, Committee Room 2")
        self.tasking_meetings: list[tuple[int, int]] = []
        for i in reversed(range(self.s.tasking_meetings)):
            offset = -7 - 28 * i
            self.tasking_meetings.append((self.meeting(self.tasking_id, offset, 14, tasking,
                                                       "Kingsmere Police Station, Briefing Room"), offset))
        self.next_tasking_meeting = self.meeting(self.tasking_id, 5, 14, tasking, "Online (video call)")

    def meeting(self, board_id: int, offset: int, hour: int, members: list[_Person], location: str) -> int:
        """One meeting; closed ones have attendance."""
        closed = offset < 0
        start = self.at(offset, hour)
        mid = self.add(Meeting, board_id=board_id, scheduled_at=start, location=location,
                       status="closed" if closed else "planned", opened_at=start if closed else None,
                       closed_at=start + timedelta(hours=2) if closed else None, current_position=None, version=1)
        if closed:
            for p in members:
                # members[0] chairs and is always there
                self.add(MeetingAttendee, meeting_id=mid, user_id=p.id,
                         present=p is members[0] or self.rng.random() < 0.85)
        return mid

    # -- actions --

    def make_actions(self) -> None:
        """Actions across agencies, with red, amber and green work for each demo home page."""
        owners = [p for p in self.people if p.active and p.role != "admin"]
        for username in HOME_USERS:
            owner = self.by_username[username]
            # Something red, something amber and something green on each home page.
            self.action(owner, "in progress", due=-10, milestones=[(-30, True), (-5, False), (20, False)])
            self.action(owner, "not started", due=8, milestones=[(5, False)])
            self.action(owner, "in progress", due=60, milestones=[(-15, True), (4, False), (30, False)])
            self.action(owner, "complete", due=-20, milestones=[(-40, True), (-25, True)])
        while len(self.actions) < self.s.actions:
            owner = self.pick(owners)
            status = self.pick(("complete", "cancelled", "in progress", "not started"), (22, 4, 48, 26))
            if status in ("complete", "cancelled"):
                due = self.rng.randint(-60, 30)
            else:
                due = self.pick((self.rng.randint(-60, -1), self.rng.randint(0, 14), self.rng.randint(15, 120)),
                                (15, 20, 65))
            self.action(owner, status, due=due)

    def action(self, owner: _Person, status: str, *, due: int, milestones: list[tuple[int, bool]] | None = None,
               tasked: tuple[_Biz, int, int] | None = None) -> int:
        """One action with supporting agencies, milestones, links and progress updates.

        `tasked` is (business, tier, meeting day) for an action a tasking meeting created.
        """
        rng = self.rng
        strand = self.pick(("Pursue", "Prevent", "Protect", "Prepare"), (45, 20, 20, 15))
        source = self.pick(("local profile recommendation", "tasking decision", "visit follow-up", "other"),
                           (30, 35, 25, 10))
        done_visits = self.done_visits[owner.agency]
        visit = self.pick(done_visits) if source == "visit follow-up" and done_visits and not tasked else None
        biz = visit.biz if visit else self.pick(self.held_by.get(owner.agency) or self.businesses)
        agency_name = cat.AGENCY_BY_CODE[self.pick([a.code for a in cat.AGENCIES if a.code != owner.agency])].name
        template = self.pick(STRAND_TITLES[strand])
        if (visit or "{biz}" in template) and not self.named_to_all(biz):
            # Every partner reads action titles: name premises they may all read (the agency's own, if it has any).
            if visit:
                visits = [v for v in done_visits if self.named_to_all(v.biz)]
                visit = visits[visit.id % len(visits)] if visits else None
            biz = visit.biz if visit else self.stand_in(biz, owner.agency)
        title = template.format(biz=biz.label, district=biz.street.district, town=biz.street.town,
                                agency=agency_name, street=biz.street.name)
        tier = self.pick((1, 2, 3, 4, 5), (20, 30, 30, 15, 5))
        created = min(due - rng.randint(30, 150), -1)
        if visit:
            title = f"Follow up visit to {biz.label}"
        if tasked:
            biz, tier, created = tasked
            strand, source = "Pursue", "tasking decision"
            title = f"Tier {tier}: {', '.join(x for x in (self.business_rows[biz.id]['name'], biz.address) if x)}"
        started = None if status == "not started" else min(created + rng.randint(1, 20), -1)
        completed = min(due + rng.randint(-20, 5), -1) if status == "complete" else None
        if completed is not None and started is not None:
            completed = max(completed, started)
        aid = self.add(Action, title=title[:200], description=f"{strand}: {title}. Owner: {owner.name}.",
                       owner_id=owner.id, agency_id=self.agency_id[owner.agency],
                       board_id=self.board_id if source != "tasking decision" else self.tasking_id,
                       due_on=self.day(due), priority=self.pick(("high", "medium", "low"), (3, 5, 2)), strand=strand,
                       tier=tier, source=source, status=status,
                       started_on=self.day(started) if started is not None else None,
                       completed_on=self.day(completed) if completed is not None else None,
                       created_by_id=self.pick(self.board_members).id, created_at=self.at(created, 11),
                       updated_at=self.at(completed if completed is not None else max(created, -rng.randint(1, 20)),
                                          12),
                       version=1)
        self.actions.append({"id": aid, "owner": owner, "status": status, "due": due, "created": created})
        supporters = self.sample_weighted({a: 1.0 for a in self.agency_id if a != owner.agency},
                                          self.pick([0, 1, 2, 3], [25, 40, 25, 10]))
        for code in supporters:
            self.add(ActionAgency, action_id=aid, agency_id=self.agency_id[code])
        planned = milestones is not None  # a demo user's own milestones stay theirs
        if milestones is None:
            milestones = self.auto_milestones(status, created, due)
        for i, (m_due, m_done) in enumerate(milestones):
            m_owner = owner
            if supporters and not planned and rng.random() < 0.3:
                m_owner = self.pick(self.users_of(supporters[0]) or [owner])
            completed_on = self.day(min(m_due + rng.randint(-7, 3), -1)) if m_done else None
            self.add(Milestone, action_id=aid, title=MILESTONE_TITLES[(i * 3 + aid) % len(MILESTONE_TITLES)],
                     due_on=self.day(m_due), completed_on=completed_on, owner_id=m_owner.id)
        if visit:
            self.add(ActionLink, action_id=aid, business_id=None, visit_id=visit.id, referral_id=None)
        if "{biz}" in template or visit or tasked:
            self.add(ActionLink, action_id=aid, business_id=biz.id, visit_id=None, referral_id=None)
        self.updates(aid, owner, status, created, completed)
        return aid

    def auto_milestones(self, status: str, created: int, due: int) -> list[tuple[int, bool]]:
        """Milestones spread from creation to the due date, done or not as the status implies."""
        rng = self.rng
        n = rng.randint(1, 4)
        result = []
        for i in range(n):
            m_due = created + round((due - created) * (i + 1) / n) - (rng.randint(0, 5) if i == n - 1 else 0)
            if status == "complete":
                done = True
            elif status == "cancelled":
                done = m_due < -10
            elif status == "in progress":
                done = rng.random() < (0.8 if m_due < 0 else 0.08)
            else:
                done = False
            result.append((m_due, done))
        return result

    def updates(self, action_id: int, owner: _Person, status: str, created: int, completed: int | None) -> None:
        """Dated progress notes, some in the last week."""
        rng = self.rng
        if status == "not started":
            return
        last = completed if completed is not None else -1
        n = rng.randint(1, 4)
        days = sorted(rng.randint(min(created + 1, last), last) for _ in range(n))
        if status == "in progress" and rng.random() < 0.45:
            days[-1] = -rng.randint(1, 6)  # recent: "what changed since the last meeting"
            days.sort()
        for i, d in enumerate(days):
            changes: dict[str, Any] = {}
            note = self.pick(UPDATE_NOTES)
            if i == 0:
                changes = {"status": ["not started", "in progress"]}
            if i == len(days) - 1 and status in ("complete", "cancelled"):
                changes = {"status": ["in progress", status]}
                note = ("Completed: outcomes reported to the board." if status == "complete"
                        else "Cancelled by the board.")
            self.add(ActionUpdate, action_id=action_id, author_id=owner.id,
                     created_at=self.at(d, 15, rng.randint(0, 59)), note=note, changes=changes)

    # -- referrals and feedback --

    def referrals(self) -> None:
        """Sent referrals (the demo officer's planned) and a few drafts."""
        s, rng = self.s, self.rng
        officer = self.by_username["officer"]
        senders = [p for p in self.people if p.active and p.role in ("officer", "coordinator", "analyst")
                   and p is not officer]  # the demo officer's referrals are planned below
        sender_weights = [3.0 if p.role == "officer" else 1.0 for p in senders]
        officer_days = [-55, -48, -40, -33, -26, -19, -12, -4]
        for i in range(s.referrals):
            if i < len(officer_days):
                sender, days_ago = officer, -officer_days[i]
            else:
                sender = self.pick(senders, sender_weights)
                days_ago = rng.randint(1, s.history_days)
            self.referral(sender, self.at(-days_ago, rng.randint(8, 17), rng.randint(0, 59)), draft=False)
        for _ in range(s.drafts):
            self.referral(self.pick(senders, sender_weights), self.at(-rng.randint(1, 10), 16), draft=True)
        self.officer_feedback_after_seen()

    def referral(self, sender: _Person, sent: datetime, *, draft: bool) -> None:
        """One graded referral with its indicators, recipients and any messages."""
        rng = self.rng
        weights = {a: w for a, w in RECIPIENT_WEIGHTS.items() if a != sender.agency}
        recipients = self.sample_weighted(weights, self.pick([1, 2], [70, 30]))
        business = rng.random() < 0.92
        biz = self.pick(self.held_by.get(sender.agency) or self.businesses) if business else None
        if biz is not None and not self.may_read(sender.agency, biz):  # offered only businesses the sender may read
            biz = self.stand_in(biz, sender.agency)
        chosen: list[tuple[int, str]] = []
        for code in recipients:
            options = self.indicators[code]
            chosen += rng.sample(options, self.pick([1, 2], [75, 25]))
        labels = [label for _, label in chosen]
        observed = sent - timedelta(days=rng.randint(0, 4), hours=rng.randint(0, 5))
        if biz is not None:
            subject = f"{labels[0]} at {biz.label}"
            place = f"{biz.address} {biz.postcode}"
            body = (f"On {observed:%d %B %Y}, during a {SENDER_ACTIVITY[sender.agency]} at {biz.label}, I saw: "
                    f"{'; '.join(l.lower() for l in labels)}. The person in charge gave their name as {biz.contact}.")
            summary = f"{biz.sector.capitalize()} in {biz.street.district}: {'; '.join(l.lower() for l in labels)}."
        else:
            subject = f"{labels[0]}: man supplying workers to several premises"
            place = f"Various premises, {self.pick([t for t, _, _ in TOWNS])}"
            body = (f"On {observed:%d %B %Y} a man was seen dropping workers at several premises in a grey van. "
                    f"Signs seen: {'; '.join(l.lower() for l in labels)}.")
            summary = f"Person of interest in the area: {'; '.join(l.lower() for l in labels)}."
        grades = (self.pick("ABCDE", (5, 35, 40, 15, 5)), self.pick("12345", (10, 35, 35, 15, 5)),
                  self.pick("12345", (30, 30, 30, 6, 4)))
        keep_in = grading.visibility("5x5x5", grades[2]) == "originator"
        if keep_in and not draft:
            # Code 4 may not leave the agency: what was sent went with code 5 (partners see the sanitised summary).
            grades = (grades[0], grades[1], "5")
        rid = self.add(Referral, sender_id=sender.id, sender_agency_id=self.agency_id[sender.agency],
                       subject_type="business" if biz else "person", subject=subject[:300],
                       business_id=biz.id if biz else None, observed_at=observed, place=place[:300], body=body,
                       summary=summary, scheme="5x5x5", source_grade=grades[0], intel_grade=grades[1],
                       handling_code=grades[2], status="draft" if draft else "sent",
                       created_at=sent - timedelta(minutes=rng.randint(5, 90)), sent_at=None if draft else sent)
        for iid, _ in dict.fromkeys(chosen):
            self.add(ReferralIndicator, referral_id=rid, indicator_id=iid)
        for code in [] if keep_in and draft else recipients:  # a code-4 draft has no one to go to
            self.recipient(rid, code, sent, draft=draft, sender=sender, business_id=biz.id if biz else None)
        if not draft and rng.random() < 0.08:
            first = self.users_of(recipients[0])
            if first:
                asked = min(sent + timedelta(days=rng.randint(1, 5)), self.at(-1, 10))
                self.add(ReferralMessage, referral_id=rid, author_id=self.pick(first).id, created_at=asked,
                         body="Thanks. Do you have a vehicle registration or a description of the workers?")
                self.add(ReferralMessage, referral_id=rid, author_id=sender.id, created_at=asked + timedelta(hours=3),
                         body="Silver Transit van, partial index KM19; four workers, all male.")

    def recipient(self, referral_id: int, code: str, sent: datetime, *, draft: bool, sender: _Person,
                  business_id: int | None) -> None:
        """One receiving agency's handling of a referral, with feedback when it has given it."""
        rng = self.rng
        if draft:
            self.add(ReferralRecipient, referral_id=referral_id, agency_id=self.agency_id[code], status="new",
                     acknowledge_by=None, feedback_by=None, acknowledged_at=None, assigned_to_id=None, decision=None,
                     decision_reason="", decided_at=None, action_id=None, visit_id=None)
            return
        age = (self.today - sent.date()).days
        p_feedback = (0.15 if age < 7 else 0.45 if age < FEEDBACK_DAYS else 0.7) * FEEDBACK_RATE.get(code, 1.0)
        if sender.username == "officer":
            p_feedback = 0.0  # set by officer_feedback_after_seen
        has_feedback = rng.random() < p_feedback
        staff = self.users_of(code, ("analyst", "officer", "coordinator")) or self.users_of(code)
        assignee = self.pick(staff)
        latest = self.at(-1, 17)
        ack = min(sent + timedelta(days=rng.randint(1, 10), hours=rng.randint(0, 6)), latest)
        status, decision, decided, visit_id = "new", None, None, None
        if has_feedback:
            status = "decided"
            fb_time = min(sent + timedelta(days=rng.randint(3, 40)), latest)
            ack = min(ack, fb_time)
            outcome = self.pick(DECISIONS + ("enforcement action taken",), (20, 20, 20, 15, 15, 10))
            decision = outcome if outcome in DECISIONS else "visit tasked"
            decided = fb_time - timedelta(hours=1)
            if decision == "visit tasked" and business_id is not None:
                # Only a later visit to the same premises that this agency joined counts.
                later = [v for v in self.visits_by_business[business_id] if v.starts > sent and code in v.agencies]
                visit_id = later[0].id if later else None
        elif age >= 3:
            status = self.pick(("new", "acknowledged", "assigned", "decided"), (20, 40, 35, 5))
            if status == "decided":
                decision, decided = "developed further", ack + timedelta(days=1)
        rec_id = self.add(ReferralRecipient, referral_id=referral_id, agency_id=self.agency_id[code], status=status,
                          acknowledge_by=sent.date() + timedelta(days=ACK_DAYS),
                          feedback_by=sent.date() + timedelta(days=FEEDBACK_DAYS),
                          acknowledged_at=ack if status != "new" else None,
                          assigned_to_id=assignee.id if status in ("assigned", "decided") else None,
                          decision=decision, decision_reason=f"Decision at triage: {decision}." if decision else "",
                          decided_at=decided, action_id=None, visit_id=visit_id)
        self.recipients.append(_Recipient(rec_id, referral_id, code, sent, bool(decision)))
        if has_feedback:
            self.feedback(rec_id, assignee, outcome, fb_time)

    def feedback(self, recipient_id: int, author: _Person, outcome: str, created: datetime) -> None:
        """Feedback to the sender: how useful and what happened."""
        usefulness = {"no further action": (35, 35, 20, 10, 0), "already known": (5, 20, 45, 25, 5)}.get(
            outcome, (2, 6, 22, 40, 30))
        score = self.pick((1, 2, 3, 4, 5), usefulness)
        self.add(Feedback, recipient_id=recipient_id, author_id=author.id, created_at=created, usefulness=score,
                 outcome=outcome, comments=FEEDBACK_COMMENTS[outcome],
                 improve=self.pick(FEEDBACK_IMPROVE) if score <= 3 else "")

    def officer_feedback_after_seen(self) -> None:
        """The demo officer's referrals: older feedback already read, two new since, some still owed."""
        officer = self.by_username["officer"]
        sent_by_officer = {r["id"] for r in self.rows[Referral] if r["sender_id"] == officer.id}
        mine = [r for r in self.rows[ReferralRecipient] if r["referral_id"] in sent_by_officer]
        plan = {0: -45, 1: -38, 2: -30, 3: -3, 5: -1}  # index of recipient -> feedback day
        for i, row in enumerate(mine):
            if i not in plan:
                continue
            when = self.at(plan[i], 11 + i)
            staff = self.users_of(self.code_of(row["agency_id"]), ("analyst", "officer", "coordinator"))
            author = self.pick(staff or self.people)
            outcome = self.pick(("visit tasked", "added to risk list", "developed further"))
            row.update(status="decided", acknowledged_at=when - timedelta(days=2), assigned_to_id=author.id,
                       decision=outcome, decision_reason=f"Decision at triage: {outcome}.", decided_at=when)
            self.feedback(row["id"], author, outcome, when)

    def link_referrals_to_actions(self) -> None:
        """Some referrals were taken on as actions by the receiving agency: each side points at the other."""
        open_actions: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for a in self.actions:
            if a["status"] in ("not started", "in progress"):
                open_actions[a["owner"].agency].append(a)
        for rec in self.recipients:
            if not rec.decided or self.rng.random() >= 0.12:
                continue
            sent_day = (rec.sent.date() - self.today).days
            later = [a for a in open_actions[rec.agency] if a["created"] >= sent_day]
            if later:
                action = self.pick(later)
                self.rows[ReferralRecipient][rec.id - 1]["action_id"] = action["id"]
                self.add(ActionLink, action_id=action["id"], business_id=None, visit_id=None,
                         referral_id=rec.referral_id)

    def code_of(self, agency_id: int) -> str:
        """The code of an agency id."""
        return next(code for code, aid in self.agency_id.items() if aid == agency_id)

    # -- tasking and agendas --

    def tasking_and_agendas(self) -> None:
        """Tasking requests (open ones for the next meeting, decided ones in past meetings) and agendas."""
        rng = self.rng
        analysts = [p for p in self.people if p.role == "analyst" and p.active]
        # Tasking is read by every partner: businesses they may all read, held by three or more agencies as partners
        # see it (owner-only data not counted).
        candidates = sorted((b for b in self.businesses if len(self.listed(b)) >= 3 and not b.old
                             and self.named_to_all(b)), key=lambda b: -b.risk)
        for biz in candidates[: self.s.tasking_requests]:
            when = self.at(-rng.randint(1, 6), 10)
            self.add(TaskingRequest, business_id=biz.id, referral_id=None, requested_by_id=self.pick(analysts).id,
                     requested_at=when, reason=self.tasking_reason(biz), meeting_id=self.next_tasking_meeting,
                     tier=None, status="open")
            self.business_rows[biz.id]["tasking_requested_at"] = when
        sent = [r for r in self.rows[Referral] if r["status"] == "sent" and r["business_id"]
                and self.named_to_all(self.businesses[r["business_id"] - 1])]
        if sent:
            ref = ([r for r in sent if (r["source_grade"], r["intel_grade"]) == ("B", "2")] or sent)[-1]
            self.add(TaskingRequest, business_id=ref["business_id"], referral_id=ref["id"],
                     requested_by_id=self.by_username["analyst"].id, requested_at=self.at(-2, 9),
                     reason=f"Referral graded {ref['source_grade']}{ref['intel_grade']} that needs a multi-agency "
                            "decision.",
                     meeting_id=self.next_tasking_meeting, tier=None, status="open")
        decided = candidates[self.s.tasking_requests:]
        for n, (mid, offset) in enumerate(self.tasking_meetings):
            self.tasking_minutes(mid, offset, decided[n * 3: n * 3 + 3], analysts)
        self.board_minutes()

    def tasking_reason(self, biz: _Biz) -> str:
        """Why a business goes to tasking: which agencies hold it and how they rate it."""
        listed = self.listed(biz)  # read by every partner: owner-only holdings are not listed
        bands = ", ".join(f"{a} {biz.bands.get(a, 'interest')}" for a in listed)
        return f"Of interest to {len(listed)} agencies ({bands})."

    def tasking_minutes(self, meeting_id: int, offset: int, businesses: list[_Biz], analysts: list[_Person]) -> None:
        """A past tasking meeting: each business got a tier; tiers 1-3 became owned actions."""
        for pos, biz in enumerate(businesses, start=1):
            tier = self.pick((1, 2, 3, 4), (3, 3, 2, 1))
            tid = self.add(TaskingRequest, business_id=biz.id, referral_id=None,
                           requested_by_id=self.pick(analysts).id, requested_at=self.at(offset - 5, 10),
                           reason=self.tasking_reason(biz), meeting_id=meeting_id, tier=tier, status="decided")
            action_id = None
            if tier <= 3:
                owner = self.pick(self.users_of(self.listed(biz)[0]) or self.board_members)
                due = offset + self.rng.randint(28, 70)
                status = "in progress" if due >= 0 else self.pick(("complete", "in progress"), (3, 1))
                action_id = self.action(owner, status, due=due, tasked=(biz, tier, offset))
            words = f"Tier {tier}: {TIERS[tier]}."
            if tier == 1:
                words += f" Joint visit: {', '.join(self.listed(biz)[:3])}."
            named = ", ".join(x for x in (self.business_rows[biz.id]["name"], biz.address) if x)  # an HMO has no name
            self.agenda_item(meeting_id, pos, "tasking", f"Tasking: {named}",
                             status="discussed", notes=self.tasking_reason(biz), decision=words, tier=tier,
                             business_id=biz.id, tasking_request_id=tid, action_id=action_id)

    def board_minutes(self) -> None:
        """Closed board meetings: actions reviewed, visits and feedback noted, one item carried each time."""
        results: dict[int, list[str]] = defaultdict(list)
        for row in self.rows[VisitAgency]:
            if row["outcome"]:
                results[row["visit_id"]] += row["outcome"]["result"]
        feedback_day = {f["recipient_id"]: f["created_at"].date() for f in self.rows[Feedback]}
        sent = {r["id"] for r in self.rows[Referral] if r["status"] == "sent"}
        owed = [(r["feedback_by"], r["id"]) for r in self.rows[ReferralRecipient] if r["referral_id"] in sent]
        titles = {a["id"]: self.rows[Action][a["id"] - 1]["title"] for a in self.actions}
        carried: int | None = None
        previous = -10_000
        for mid, offset in self.board_meetings:
            day = self.day(offset)
            pos = 0
            live = [a for a in self.actions if a["created"] < offset and a["status"] != "cancelled"
                    and (a["status"] != "complete" or a["due"] >= offset)][:3]
            for a in live:
                pos += 1
                owner = a["owner"]
                kind = "action overdue" if a["due"] < offset else "action due"
                self.agenda_item(mid, pos, kind, titles[a["id"]], status="discussed", action_id=a["id"],
                                 notes=f"Owner: {owner.name}. Due {self.day(a['due']):%d %b %Y}.",
                                 decision=self.pick(("On track; no change.", "Deadline extended by four weeks.",
                                                     "Owner to report back at the next meeting.")))
            done = [v for v in self.visits if v.status == "done" and previous < (v.starts.date() - self.today).days
                    < offset]
            if done:
                counts = Counter(r for v in done for r in results[v.id])
                pos += 1
                self.agenda_item(mid, pos, "visits done", f"Visits done since the last meeting: {len(done)}",
                                 status="discussed", decision="Noted; follow-up actions agreed.",
                                 notes="Outcomes by agency: " + ", ".join(f"{k} {n}" for k, n in counts.most_common()))
            overdue = sum(1 for due, rid in owed if due < day and feedback_day.get(rid, date.max) >= day)
            if overdue:
                pos += 1
                self.agenda_item(mid, pos, "feedback overdue",
                                 f"Referrals waiting for feedback past the deadline: {overdue}", status="discussed",
                                 decision="Agencies to clear overdue feedback before the next meeting.")
            carried = self.agenda_item(mid, pos + 1, "item", "Data sharing agreement with HMRC", status="carried",
                                       notes="Awaiting HMRC legal review.", carried_from_id=carried)
            self.agenda_item(mid, pos + 2, "item", "Any other business", status="discussed",
                             decision="None raised.")
            previous = offset

    def agenda_item(self, meeting_id: int, position: int, kind: str, title: str, *, status: str, notes: str = "",
                    decision: str = "", tier: int | None = None, **links: int | None) -> int:
        """Queue one agenda item (kinds and statuses as core.services.meetings uses them)."""
        return self.add(AgendaItem, meeting_id=meeting_id, position=position, kind=kind, title=title[:300],
                        action_id=links.get("action_id"), business_id=links.get("business_id"),
                        referral_id=links.get("referral_id"), visit_id=links.get("visit_id"),
                        tasking_request_id=links.get("tasking_request_id"), notes=notes, decision=decision,
                        tier=tier, status=status, carried_from_id=links.get("carried_from_id"))


# --- public API -------------------------------------------------------------------------------


def is_empty(store: Store) -> bool:
    """True when the database has no users (so the demo may be seeded)."""
    with store.read() as session:
        return not session.session.scalar(select(func.count()).select_from(User))


def seed_demo(store: Store, *, scale: str = "demo", today: date | None = None) -> dict[str, int]:
    """Fill an empty, migrated database with the Kingsmere demo partnership; returns rows per table."""
    if scale not in SCALES:
        raise ValueError(f"scale must be one of {', '.join(SCALES)}, not {scale!r}")
    if not is_empty(store):
        raise ConfigError("The database already has users; the demo can only be seeded into an empty database "
                          "(reset it first).")
    generator = _Generator(SCALES[scale], today or date.today(), hash_password(DEMO_PASSWORD))
    generator.build_records()
    written: dict[type[Base], int] = defaultdict(int)

    def write(conn: Any) -> None:
        # Core executemany on the session's connection: same transaction, about twice as fast as ORM bulk insert.
        for model in TABLE_ORDER:
            rows = generator.rows[model][written[model]:]
            if rows and model is AuditEvent:
                # Audit rows go through the session, which links them into the chain (core/store/chain.py).
                uow.session.add_all(AuditEvent(**row) for row in rows)
                written[model] += len(rows)
            elif rows:
                conn.execute(insert(model.__table__), rows)
                written[model] += len(rows)

    with store.uow() as uow:
        write(uow.session.connection())
        if store.dialect == "postgresql":
            _reset_sequences(uow.session)
        # The generator knows which records are one business; the matcher decides, as it would for real data
        # (clusters keep the generator's business ids where they agree, so visits and referrals stay linked).
        from core.services.linking import relink

        relink(uow.session)
        # The rest of the demo (visits, actions, meetings, referrals) is built on the businesses as matched, so that
        # what it names, lists and links follows the sharing rules the product shows.
        generator.learn_matching(uow.session)
        generator.build_rest()
        write(uow.session.connection())
        tasked = [{"_id": r["id"], "at": r["tasking_requested_at"]} for r in generator.rows[Business]
                  if r["tasking_requested_at"] is not None]
        if tasked:
            table = Business.__table__
            uow.session.connection().execute(
                table.update().where(table.c.id == bindparam("_id")).values(tasking_requested_at=bindparam("at")),
                tasked)
        if store.dialect == "postgresql":
            _reset_sequences(uow.session)
        uow.commit()
    return {m.__tablename__: len(generator.rows[m]) for m in TABLE_ORDER}


def _reset_sequences(session: Any) -> None:
    """Explicit ids leave PostgreSQL's sequences at 1: move each past the highest id."""
    for model in TABLE_ORDER:
        table = model.__table__
        if "id" in table.c and table.c.id.primary_key:
            session.execute(text(
                f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                f"COALESCE((SELECT MAX(id) FROM {table.name}), 0) + 1, false)"
            ))


def reset_database(store: Store) -> None:
    """Drop every table (audit log and migration history included) and migrate an empty schema."""
    meta = MetaData()
    meta.reflect(store.engine)
    with store.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            for table in reversed(meta.sorted_tables):
                conn.execute(text(f'DROP TABLE IF EXISTS "{table.name}" CASCADE'))
            conn.execute(text("DROP FUNCTION IF EXISTS audit_events_refuse() CASCADE"))
            conn.execute(text("DROP FUNCTION IF EXISTS audit_events_chain_guard() CASCADE"))
            conn.execute(text("DROP FUNCTION IF EXISTS audit_chain_tail() CASCADE"))
        else:
            meta.drop_all(conn)
    upgrade_schema(store.engine)
