"""The partnership's shared vocabulary: the issues a visit may expect, the powers an agency may hold and how it
gains entry, the kinds of agency and the sectors of premises.

The services validate against it and the catalogue page offers it; the demo seeds from it. A partnership
that words these differently edits this module (every value is stored as text, so no schema change).
"""
from __future__ import annotations

ISSUES: tuple[str, ...] = (
    "counterfeit goods",
    "illicit tobacco",
    "illicit alcohol",
    "underage sales",
    "unsafe products",
    "rogue trading",
    "food hygiene",
    "food fraud",
    "licensing breach",
    "HMO conditions",
    "overcrowding",
    "fire safety",
    "illegal working",
    "immigration offences",
    "tax evasion",
    "minimum wage",
    "labour exploitation",
    "modern slavery",
    "waste offences",
    "pests",
    "phoenix company",
    "director misconduct",
    "drugs",
    "violence",
    "anti-social behaviour",
)

POWERS: dict[str, str] = {
    "entry": "Enter premises",
    "inspect_sample": "Inspect, test and take samples",
    "seize_goods": "Seize or detain goods",
    "seize_documents": "Require, copy or seize documents",
    "seize_cash": "Seize cash",
    "seize_vehicle": "Seize vehicles",
    "improvement_notice": "Serve an improvement (or enforcement) notice",
    "prohibition_notice": "Prohibit use of premises or processes",
    "closure_notice": "Close premises",
    "arrest": "Arrest",
    "civil_penalty": "Impose a civil or fixed penalty",
    "licence_review": "Review, suspend or revoke a licence",
    "director_disqualification": "Disqualify company directors",
    "tax_security_deposit": "Require a tax security deposit",
}

ENTRY_MODES: dict[str, str] = {
    "without_warrant": "Enters without a warrant",
    "with_notice": "Enters after giving notice",
    "warrant_only": "Needs a warrant",
    "consent": "Enters only with the occupier's consent",
}

AGENCY_KINDS: tuple[str, ...] = ("council", "police", "fire", "national")

SECTORS: tuple[str, ...] = (
    "takeaway",
    "restaurant",
    "convenience store",
    "off-licence",
    "pub",
    "car wash",
    "nail bar",
    "barber",
    "vape shop",
    "mobile phone shop",
    "HMO",
    "warehouse",
    "factory",
    "hotel",
)
