"""The typical agencies of a UK enforcement partnership: remits, powers, golden indicators, datasets.

Pure data, used to seed the demo and as a starting point a partnership edits. Powers and statutes
are the typical case (see DOMAIN.md), not legal advice: every row is editable in the product.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# The vocabulary (issues, powers, entry modes, agency kinds, sectors) lives in core.vocabulary, which the services
# read too; the demo's data below is written in it.
from core.vocabulary import AGENCY_KINDS, ENTRY_MODES, ISSUES, POWERS, SECTORS  # noqa: F401

# --- record types -----------------------------------------------------------------------------


@dataclass(frozen=True)
class PowerSpec:
    """One row for AgencyPower."""

    power: str
    entry: str | None
    premises_scope: str
    statute: str
    notice_hours: int | None = None
    notes: str = ""


@dataclass(frozen=True)
class IndicatorSpec:
    """A golden indicator: a sign other agencies' officers watch for on this agency's behalf."""

    code: str
    label: str
    issue: str


@dataclass(frozen=True)
class AgencySpec:
    """An agency as the partnership configures it."""

    code: str
    name: str
    kind: str
    remit: tuple[str, ...]
    contact_name: str
    contact_email: str
    contact_phone: str
    powers: tuple[PowerSpec, ...]
    indicators: tuple[IndicatorSpec, ...]


@dataclass(frozen=True)
class DatasetSpec:
    """An agency's recurring premises export and how its own risk scale maps to the common band."""

    agency: str
    name: str
    description: str
    sharing: str
    risk_scale: dict[str, str]
    column_mapping: dict[str, Any]  # the `columns` shape of a mapping (see core.importing.mapping)
    reference_prefix: str
    address_only: bool = False


def _numeric_scale(low: int, high: int, *, high_from: int, medium_from: int) -> dict[str, str]:
    """A {"value": "band"} mapping for a numeric score from `low` to `high`."""
    return {
        str(v): "high" if v >= high_from else "medium" if v >= medium_from else "low" for v in range(low, high + 1)
    }


# --- the agencies -----------------------------------------------------------------------------

AGENCIES: tuple[AgencySpec, ...] = (
    AgencySpec(
        code="TS",
        name="Trading Standards",
        kind="council",
        remit=("counterfeit goods", "illicit tobacco", "illicit alcohol", "underage sales", "unsafe products",
               "rogue trading", "food fraud"),
        contact_name="Trading Standards intelligence desk",
        contact_email="ts.intelligence@kingsmere.example",
        contact_phone="01632 960101",
        powers=(
            PowerSpec("entry", "with_notice", "business premises at reasonable hours (routine inspection)",
                      "Consumer Rights Act 2015, Sch 5 para 23", notice_hours=48,
                      notes="Two working days' notice; none needed where the officer reasonably suspects a breach."),
            PowerSpec("entry", "warrant_only", "premises where entry was refused or notice would defeat the purpose",
                      "Consumer Rights Act 2015, Sch 5 para 32"),
            PowerSpec("inspect_sample", None, "goods offered for sale, including test purchases",
                      "Consumer Rights Act 2015, Sch 5 paras 25-27"),
            PowerSpec("seize_goods", None, "goods reasonably suspected of breaching the law (e.g. counterfeit, "
                      "illicit tobacco)", "Consumer Rights Act 2015, Sch 5 para 28"),
            PowerSpec("seize_documents", None, "documents that may be required as evidence",
                      "Consumer Rights Act 2015, Sch 5 para 29"),
            PowerSpec("closure_notice", None, "premises persistently selling illicit tobacco (applied for at court)",
                      "Anti-social Behaviour, Crime and Policing Act 2014, s76"),
        ),
        indicators=(
            IndicatorSpec("ts_advice_ignored", "Repeated failure to heed compliance advice", "rogue trading"),
            IndicatorSpec("ts_counterfeit", "Counterfeit branded goods on display", "counterfeit goods"),
            IndicatorSpec("ts_illicit_tobacco", "Foreign-labelled or unbranded tobacco, hidden stock",
                          "illicit tobacco"),
            IndicatorSpec("ts_underage", "Sales of age-restricted products to young people", "underage sales"),
            IndicatorSpec("ts_evasive_owner", "Evasive about who owns or runs the business", "rogue trading"),
        ),
    ),
    AgencySpec(
        code="FS",
        name="Food Safety (Environmental Health)",
        kind="council",
        remit=("food hygiene", "food fraud", "pests"),
        contact_name="Food and Safety Team duty officer",
        contact_email="food.safety@kingsmere.example",
        contact_phone="01632 960102",
        powers=(
            PowerSpec("entry", "without_warrant", "food premises at all reasonable hours",
                      "Food Safety Act 1990, s32"),
            PowerSpec("inspect_sample", None, "food, records and processes", "Food Safety Act 1990, ss29 and 32"),
            PowerSpec("seize_goods", None, "food failing food safety requirements (detain or seize)",
                      "Food Safety Act 1990, s9"),
            PowerSpec("seize_documents", None, "records kept by the food business (inspect, copy or take away)",
                      "Food Safety Act 1990, s32(5)-(6)"),
            PowerSpec("improvement_notice", None, "food business operators in breach of hygiene rules",
                      "Food Safety and Hygiene (England) Regulations 2013, reg 6"),
            PowerSpec("prohibition_notice", None, "premises or processes posing an imminent risk to health",
                      "Food Safety and Hygiene (England) Regulations 2013, reg 8",
                      notes="Hygiene emergency prohibition notice; confirmed by a magistrates' court."),
        ),
        indicators=(
            IndicatorSpec("fs_pests", "Signs of rats, mice or cockroaches", "pests"),
            IndicatorSpec("fs_dirty_kitchen", "Dirty kitchen or food stored on the floor", "food hygiene"),
            IndicatorSpec("fs_no_water", "No hot water or hand-washing facilities", "food hygiene"),
            IndicatorSpec("fs_unlabelled_food", "Unlabelled or out-of-date food, meat of unknown origin", "food fraud"),
        ),
    ),
    AgencySpec(
        code="LIC",
        name="Licensing",
        kind="council",
        remit=("licensing breach", "underage sales", "anti-social behaviour"),
        contact_name="Licensing enforcement team",
        contact_email="licensing@kingsmere.example",
        contact_phone="01632 960103",
        powers=(
            PowerSpec("entry", "without_warrant", "licensed premises at any reasonable time",
                      "Licensing Act 2003, s179"),
            PowerSpec("inspect_sample", None, "premises licence, plan, conditions and records",
                      "Licensing Act 2003, ss57 and 179"),
            PowerSpec("licence_review", None, "premises licences and club certificates",
                      "Licensing Act 2003, s51"),
        ),
        indicators=(
            IndicatorSpec("lic_hours", "Trading or selling alcohol outside licensed hours", "licensing breach"),
            IndicatorSpec("lic_no_licence", "Premises licence or summary not displayed", "licensing breach"),
            IndicatorSpec("lic_no_dps", "No designated premises supervisor or personal licence holder present",
                          "licensing breach"),
            IndicatorSpec("lic_asb", "Drunkenness or disorder outside the premises", "anti-social behaviour"),
        ),
    ),
    AgencySpec(
        code="HOU",
        name="Private Sector Housing",
        kind="council",
        remit=("HMO conditions", "overcrowding", "fire safety"),
        contact_name="Private Sector Housing duty officer",
        contact_email="housing.standards@kingsmere.example",
        contact_phone="01632 960104",
        powers=(
            PowerSpec("entry", "with_notice", "residential premises including HMOs, to survey or inspect",
                      "Housing Act 2004, s239", notice_hours=24,
                      notes="At least 24 hours' notice to the owner and occupier."),
            PowerSpec("entry", "warrant_only", "premises where entry was refused or notice would defeat the purpose",
                      "Housing Act 2004, s240"),
            PowerSpec("entry", "without_warrant", "an HMO suspected of being unlicensed or breaching HMO "
                      "management regulations", "Housing Act 2004, s239(7)",
                      notes="No notice needed for these HMO offences."),
            PowerSpec("seize_documents", None, "documents about the ownership and management of the property",
                      "Housing Act 2004, s235"),
            PowerSpec("improvement_notice", None, "residential premises with category 1 or 2 hazards",
                      "Housing Act 2004, s11"),
            PowerSpec("prohibition_notice", None, "residential premises unfit for use (prohibition order)",
                      "Housing Act 2004, s20"),
            PowerSpec("civil_penalty", None, "landlords committing housing offences (up to the statutory maximum)",
                      "Housing Act 2004, s249A"),
        ),
        indicators=(
            IndicatorSpec("hou_overcrowding", "More people living at the address than it can hold", "overcrowding"),
            IndicatorSpec("hou_locked_rooms", "Locks on bedroom doors or kitchen cupboards", "HMO conditions"),
            IndicatorSpec("hou_flat_above", "People living in a flat or rooms above commercial premises",
                          "HMO conditions"),
            IndicatorSpec("hou_disrepair", "Damp, mould or serious disrepair", "HMO conditions"),
        ),
    ),
    AgencySpec(
        code="ENV",
        name="Environmental Crime (District Council)",
        kind="council",
        remit=("waste offences", "pests", "anti-social behaviour"),
        contact_name="Environmental Crime team",
        contact_email="envcrime@kingsmere.example",
        contact_phone="01632 960105",
        powers=(
            PowerSpec("entry", "without_warrant", "non-residential premises at any reasonable time "
                      "(residential: 7 days' notice or a warrant)", "Environment Act 1995, s108"),
            PowerSpec("inspect_sample", None, "premises, waste and samples of it (examine, photograph, sample)",
                      "Environment Act 1995, s108(4)"),
            PowerSpec("seize_documents", None, "waste transfer notes and duty-of-care records",
                      "Environmental Protection Act 1990, s34(5)"),
            PowerSpec("civil_penalty", None, "businesses failing the waste duty of care (fixed penalty notice)",
                      "Environmental Protection Act 1990, s34A"),
            PowerSpec("seize_vehicle", None, "vehicles used for fly-tipping or unlicensed waste carrying",
                      "Control of Pollution (Amendment) Act 1989, s5B"),
            PowerSpec("improvement_notice", None, "persistent conduct harming the community (community "
                      "protection notice)", "Anti-social Behaviour, Crime and Policing Act 2014, s43"),
        ),
        indicators=(
            IndicatorSpec("env_waste_dumped", "Commercial waste dumped or burnt behind the premises", "waste offences"),
            IndicatorSpec("env_no_waste_contract", "No trade waste contract or waste transfer notes", "waste offences"),
            IndicatorSpec("env_pests", "Signs of pests: rats, mice or cockroaches", "pests"),
            IndicatorSpec("env_living", "Signs of sleeping, living or washing in commercial premises "
                          "(mattresses, towels)", "overcrowding"),
        ),
    ),
    AgencySpec(
        code="POL",
        name="Kingsmere Police",
        kind="police",
        remit=("drugs", "violence", "modern slavery", "anti-social behaviour", "licensing breach",
               "counterfeit goods"),
        contact_name="Partnership tasking desk",
        contact_email="partnership.tasking@kingsmere-police.example",
        contact_phone="01632 960106",
        powers=(
            PowerSpec("entry", "warrant_only", "any premises named on a magistrates' search warrant",
                      "Police and Criminal Evidence Act 1984, s8"),
            PowerSpec("entry", "without_warrant", "to arrest for an indictable offence or save life (s17); "
                      "licensed premises to investigate offences", "Police and Criminal Evidence Act 1984, s17; "
                      "Licensing Act 2003, s180"),
            PowerSpec("arrest", None, "any person reasonably suspected of an offence",
                      "Police and Criminal Evidence Act 1984, s24"),
            PowerSpec("seize_goods", None, "evidence found lawfully on premises",
                      "Police and Criminal Evidence Act 1984, s19"),
            PowerSpec("seize_cash", None, "cash of £1,000 or more suspected to be criminal property",
                      "Proceeds of Crime Act 2002, s294"),
            PowerSpec("closure_notice", None, "premises causing nuisance or disorder (closure notice, then order)",
                      "Anti-social Behaviour, Crime and Policing Act 2014, s76"),
            PowerSpec("licence_review", None, "licensed premises linked to serious crime or disorder "
                      "(summary review)", "Licensing Act 2003, s53A"),
        ),
        indicators=(
            IndicatorSpec("pol_drugs", "Drug dealing or drug use at or around the premises", "drugs"),
            IndicatorSpec("pol_weapons", "Weapons seen or reported at the premises", "violence"),
            IndicatorSpec("pol_cash", "Large amounts of cash handled or moved off the premises", "drugs"),
            IndicatorSpec("pol_controlled", "Workers seem controlled by others or not free to leave",
                          "modern slavery"),
        ),
    ),
    AgencySpec(
        code="FRS",
        name="Kingsmere Fire and Rescue Service",
        kind="fire",
        remit=("fire safety", "overcrowding"),
        contact_name="Protection team (fire safety)",
        contact_email="fire.protection@kingsmere-fire.example",
        contact_phone="01632 960107",
        powers=(
            PowerSpec("entry", "without_warrant", "any relevant premises (non-domestic, including common parts of "
                      "HMOs and flats above shops) at any reasonable time",
                      "Regulatory Reform (Fire Safety) Order 2005, art 27"),
            PowerSpec("inspect_sample", None, "premises, fire precautions and records",
                      "Regulatory Reform (Fire Safety) Order 2005, art 27"),
            PowerSpec("improvement_notice", None, "responsible persons failing fire safety duties",
                      "Regulatory Reform (Fire Safety) Order 2005, art 30",
                      notes="Called an enforcement notice."),
            PowerSpec("prohibition_notice", None, "premises where the risk to people is so serious that use "
                      "(e.g. sleeping) must be prohibited or restricted",
                      "Regulatory Reform (Fire Safety) Order 2005, art 31"),
        ),
        indicators=(
            IndicatorSpec("frs_sleeping", "Inappropriate or dangerous sleeping conditions", "fire safety"),
            IndicatorSpec("frs_exits_blocked", "Fire exits blocked or locked while people are inside", "fire safety"),
            IndicatorSpec("frs_no_alarms", "No working smoke alarms or fire alarm system", "fire safety"),
            IndicatorSpec("frs_storage", "Combustible storage in escape routes or overloaded sockets", "fire safety"),
        ),
    ),
    AgencySpec(
        code="HMRC",
        name="HM Revenue and Customs",
        kind="national",
        remit=("tax evasion", "minimum wage", "illicit tobacco", "illicit alcohol"),
        contact_name="HMRC local compliance liaison",
        contact_email="partnership.liaison@hmrc.example",
        contact_phone="01632 960108",
        powers=(
            PowerSpec("entry", "with_notice", "business premises to inspect assets, premises and documents",
                      "Finance Act 2008, Sch 36 para 12", notice_hours=168,
                      notes="Seven days' notice, or without notice if an authorised officer approves."),
            PowerSpec("entry", "without_warrant", "premises where workers are employed, to enforce the national "
                      "minimum wage", "National Minimum Wage Act 1998, s14"),
            PowerSpec("seize_goods", None, "duty-evaded goods such as illicit tobacco and alcohol",
                      "Customs and Excise Management Act 1979, s139"),
            PowerSpec("inspect_sample", None, "business premises, assets and documents (inspection)",
                      "Finance Act 2008, Sch 36 para 10"),
            PowerSpec("seize_documents", None, "statutory records and business documents",
                      "Finance Act 2008, Sch 36 paras 1 and 16"),
            PowerSpec("seize_cash", None, "cash suspected to be the proceeds of crime",
                      "Proceeds of Crime Act 2002, s294"),
            PowerSpec("civil_penalty", None, "employers underpaying the minimum wage (notice of underpayment)",
                      "National Minimum Wage Act 1998, s19"),
            PowerSpec("tax_security_deposit", None, "businesses at risk of not paying VAT or PAYE",
                      "Value Added Tax Act 1994, Sch 11 para 4; Income Tax (PAYE) Regulations 2003, reg 97N"),
        ),
        indicators=(
            IndicatorSpec("hmrc_two_tills", "Two tills, or cash only with no card machine", "tax evasion"),
            IndicatorSpec("hmrc_poor_records", "Poor or no business records", "tax evasion"),
            IndicatorSpec("hmrc_high_trade", "Unexpectedly high volume of trade for the premises", "tax evasion"),
            IndicatorSpec("hmrc_cash_wages", "Workers paid cash in hand, below minimum wage", "minimum wage"),
        ),
    ),
    AgencySpec(
        code="IE",
        name="Immigration Enforcement",
        kind="national",
        remit=("illegal working", "immigration offences", "modern slavery"),
        contact_name="Immigration Compliance and Enforcement (ICE) team",
        contact_email="ice.kingsmere@homeoffice.example",
        contact_phone="01632 960109",
        powers=(
            PowerSpec("entry", "warrant_only", "premises named on a magistrates' warrant",
                      "Immigration Act 1971, s28B and s28D",
                      notes="Often enters alongside an agency with entry powers, or named on its warrant."),
            PowerSpec("entry", "consent", "business premises with the occupier's informed consent",
                      "Immigration Act 1971 (consent; no statutory power)"),
            PowerSpec("arrest", None, "persons suspected of immigration offences", "Immigration Act 1971, s28A"),
            PowerSpec("seize_documents", None, "documents relevant to immigration offences found on search",
                      "Immigration Act 1971, s28E and s28G"),
            PowerSpec("civil_penalty", None, "employers of illegal workers",
                      "Immigration, Asylum and Nationality Act 2006, s15"),
            PowerSpec("closure_notice", None, "premises of employers with a history of illegal working",
                      "Immigration Act 2016, Sch 6"),
        ),
        indicators=(
            IndicatorSpec("ie_nervous", "Workers appear nervous or avoid officers", "illegal working"),
            IndicatorSpec("ie_living", "People living or sleeping on the premises", "illegal working"),
            IndicatorSpec("ie_not_speaking", "Workers not allowed to speak for themselves", "modern slavery"),
            IndicatorSpec("ie_no_documents", "Workers cannot show identity or right-to-work documents",
                          "illegal working"),
        ),
    ),
    AgencySpec(
        code="GLAA",
        name="Gangmasters and Labour Abuse Authority",
        kind="national",
        remit=("labour exploitation", "modern slavery", "minimum wage"),
        contact_name="GLAA intelligence team",
        contact_email="intelligence@glaa.example",
        contact_phone="01632 960110",
        powers=(
            PowerSpec("entry", "without_warrant", "premises of labour providers and users at any reasonable time",
                      "Gangmasters (Licensing) Act 2004, s17"),
            PowerSpec("seize_documents", None, "records of labour supply, pay and accommodation",
                      "Gangmasters (Licensing) Act 2004, s16-17"),
            PowerSpec("arrest", None, "labour market offences (PACE powers of GLAA labour abuse prevention "
                      "officers)", "Immigration Act 2016, s114"),
            PowerSpec("licence_review", None, "gangmaster licences (revocation)",
                      "Gangmasters (Licensing) Act 2004, s9"),
            PowerSpec("civil_penalty", None, "employment agencies breaching conduct rules (labour market "
                      "enforcement undertakings and orders)", "Immigration Act 2016, ss14-18"),
        ),
        indicators=(
            IndicatorSpec("glaa_transport", "Workers dropped off and collected in groups by minibus",
                          "labour exploitation"),
            IndicatorSpec("glaa_deductions", "Workers say their wages go to someone else or pay off a debt",
                          "labour exploitation"),
            IndicatorSpec("glaa_no_ppe", "No protective equipment, unsafe working conditions", "labour exploitation"),
            IndicatorSpec("glaa_same_address", "Many workers give the same home address", "modern slavery"),
        ),
    ),
    AgencySpec(
        code="INS",
        name="Insolvency Service",
        kind="national",
        remit=("phoenix company", "director misconduct"),
        contact_name="Investigation and Enforcement Services",
        contact_email="intelligence@insolvency.example",
        contact_phone="01632 960111",
        powers=(
            PowerSpec("seize_documents", None, "books and papers of a company under investigation",
                      "Companies Act 1985, s447"),
            PowerSpec("entry", "warrant_only", "premises where company documents are held",
                      "Companies Act 1985, s448"),
            PowerSpec("director_disqualification", None, "directors of insolvent or misconducted companies",
                      "Company Directors Disqualification Act 1986, ss6 and 8"),
        ),
        indicators=(
            IndicatorSpec("ins_new_name", "Business re-opened under a new company name at the same premises",
                          "phoenix company"),
            IndicatorSpec("ins_owner_unclear", "The person running the business is not the named director",
                          "director misconduct"),
            IndicatorSpec("ins_unpaid_debts", "Creditors or bailiffs chasing a previous company at the address",
                          "phoenix company"),
        ),
    ),
)

AGENCY_BY_CODE: dict[str, AgencySpec] = {a.code: a for a in AGENCIES}


# --- the datasets agencies export (one per agency that holds premises data) --------------------

DATASETS: tuple[DatasetSpec, ...] = (
    DatasetSpec(
        agency="FS", name="Food hygiene register",
        description="Registered food businesses with their food hygiene rating (0-5 stars).",
        sharing="full",
        risk_scale={"0": "high", "1": "high", "2": "medium", "3": "low", "4": "low", "5": "low"},
        column_mapping={"reference": "FHRSID", "name": ["BusinessName", "OperatorName"], "address": ["AddressLine1"],
                        "postcode": "PostCode", "phone": "Telephone", "contact": "ContactName", "risk": "RatingValue",
                        "last_contact": "RatingDate", "sector": "BusinessType"},
        reference_prefix="FHRS-",
    ),
    DatasetSpec(
        agency="TS", name="Trading standards premises",
        description="Premises on the trading standards risk register (A high, B medium, C low).",
        sharing="full",
        risk_scale={"A": "high", "B": "medium", "C": "low"},
        column_mapping={"reference": "Premises Ref", "name": ["Trading Name", "Trader"], "address": ["Address"],
                        "postcode": "Postcode", "phone": "Phone", "contact": "Contact", "risk": "Risk Rating",
                        "last_contact": "Last Visit", "sector": "Trade Type"},
        reference_prefix="TSP/",
    ),
    DatasetSpec(
        agency="LIC", name="Licensed premises",
        description="Premises licences (alcohol, late-night refreshment, special treatments) with the "
                    "compliance level the licensing team gives them.",
        sharing="full",
        risk_scale={"Level 3": "high", "Level 2": "medium", "Level 1": "low"},
        column_mapping={"reference": "Licence No", "name": ["Premises Name", "Licence Holder"],
                        "address": ["Premises Address"], "postcode": "Postcode", "phone": None, "contact": "DPS",
                        "risk": "Compliance Level", "last_contact": "Last Inspection", "sector": "Licence Type"},
        reference_prefix="PL/",
    ),
    DatasetSpec(
        agency="HOU", name="HMO register",
        description="Licensed and known houses in multiple occupation, including flats above shops; "
                    "address only.",
        sharing="full",
        risk_scale={"Category 1 hazard": "high", "Category 2 hazard": "medium", "No hazard found": "low"},
        column_mapping={"reference": "HMO Ref", "name": [], "address": ["Property Address"], "postcode": "Postcode",
                        "phone": None, "contact": "Licence Holder", "risk": "Hazard Rating",
                        "last_contact": "Last Inspected", "sector": None},
        reference_prefix="HMO-",
        address_only=True,
    ),
    DatasetSpec(
        agency="ENV", name="Fly-tipping and waste",
        description="Fly-tipping and commercial waste incidents traced to a premises; address only.",
        sharing="full",
        risk_scale={"Repeat": "high", "Second": "medium", "First": "low"},
        column_mapping={"reference": "Incident", "name": [], "address": ["Location"], "postcode": "Postcode",
                        "phone": None, "contact": None, "risk": "Offence Level", "last_contact": "Date",
                        "sector": None, "extra": ["Notes"]},
        reference_prefix="FT-",
        address_only=True,
    ),
    DatasetSpec(
        agency="FRS", name="Fire safety audits",
        description="Fire safety audits of relevant premises with the audit's risk outcome.",
        sharing="full",
        risk_scale={"High": "high", "Medium": "medium", "Low": "low"},
        column_mapping={"reference": "UPRN/Audit", "name": ["Premises"], "address": ["Address"],
                        "postcode": "Post Code", "phone": None, "contact": "Responsible Person", "risk": "Risk",
                        "last_contact": "Audit Date", "sector": "Occupancy"},
        reference_prefix="FSA-",
    ),
    DatasetSpec(
        agency="HMRC", name="Tax risk list",
        description="Businesses HMRC holds a tax or minimum wage risk on (score 1-100). Partners see only "
                    "that HMRC has an interest.",
        sharing="interest-only",
        risk_scale=_numeric_scale(1, 100, high_from=70, medium_from=40),
        column_mapping={"reference": "Case Ref", "name": ["Entity", "Legal Name"], "address": ["Trading Address"],
                        "postcode": "Postcode", "phone": None, "contact": None, "risk": "Risk Score",
                        "last_contact": None, "sector": None},
        reference_prefix="HMRC-",
    ),
    DatasetSpec(
        agency="IE", name="Illegal working intelligence",
        description="Premises with illegal working intelligence (threat 1-5). Only Immigration Enforcement "
                    "sees the rows; partners see nothing.",
        sharing="owner-only",
        risk_scale={"5": "high", "4": "high", "3": "medium", "2": "low", "1": "low"},
        column_mapping={"reference": "Intel Ref", "name": ["Business"], "address": ["Address"],
                        "postcode": "Postcode", "phone": None, "contact": None, "risk": "Threat",
                        "last_contact": "Last Intel", "sector": None},
        reference_prefix="IWI-",
    ),
    DatasetSpec(
        agency="GLAA", name="Labour market",
        description="Labour users and providers of interest to the GLAA (risk high/medium/low).",
        sharing="full",
        risk_scale={"High": "high", "Medium": "medium", "Low": "low"},
        column_mapping={"reference": "Ref", "name": ["Business Name", "Company"], "address": ["Site Address"],
                        "postcode": "Postcode", "phone": "Tel", "contact": "Contact", "risk": "Risk",
                        "last_contact": None, "sector": "Sector"},
        reference_prefix="GLAA-",
    ),
    DatasetSpec(
        agency="POL", name="Licensed premises of concern",
        description="Licensed and late-night premises linked to crime or disorder (RAG). Partners see only "
                    "that the police have an interest.",
        sharing="interest-only",
        risk_scale={"Red": "high", "Amber": "medium", "Green": "low"},
        column_mapping={"reference": "Location ID", "name": ["Venue"], "address": ["Address"], "postcode": "Postcode",
                        "phone": None, "contact": None, "risk": "RAG", "last_contact": "Last Incident",
                        "sector": None},
        reference_prefix="LPC",
    ),
)
