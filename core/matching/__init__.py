"""Matching agency records into businesses: normalising fields, then linking records (pure, no database)."""

from core.matching.link import (
    CONNECTION_LABELS,
    Connection,
    FieldAgreement,
    LinkResult,
    MatchContext,
    MatchInput,
    MatchSettings,
    PairScore,
    connection_label,
    connection_values,
    explain,
    link,
)
from core.matching.normalise import (
    HouseNumber,
    extract_postcode,
    house_number,
    normalise_address,
    normalise_contact,
    normalise_name,
    normalise_phone,
    parse_postcode,
    postcode_district,
    postcode_sector,
    split_trading_as,
)

__all__ = [
    "CONNECTION_LABELS", "Connection", "FieldAgreement", "HouseNumber", "LinkResult", "MatchContext", "MatchInput",
    "MatchSettings", "PairScore", "connection_label", "connection_values", "explain", "extract_postcode",
    "house_number", "link", "normalise_address", "normalise_contact", "normalise_name", "normalise_phone",
    "parse_postcode", "postcode_district", "postcode_sector", "split_trading_as",
]
