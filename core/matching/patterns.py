"""Patterns of review pairs: pairs whose fields agree the same way, between the same two agencies.

A reviewer who has seen that "HMRC and TS: same number, street and postcode; names differ" pairs are the
same business (HMRC files a sole trader under the proprietor's name) can decide all of them at once. The
pattern is the agencies of the two records and each field's agreement level, so a pattern never mixes
pairs that differ in anything the reviewer was shown about them.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

PATTERN_FIELDS = ("name", "address", "number", "postcode", "phone", "contact")
_WORDS = {"name": "name", "address": "street", "number": "number", "postcode": "postcode", "phone": "phone",
          "contact": "contact"}
_SAID = {"exact": "same", "strong": "nearly the same", "partial": "partly the same", "disagree": "different"}


def pattern_key(fields: Mapping[str, Any], agency_a: str, agency_b: str) -> str:
    """"HMRC+TS|name=disagree,address=exact,...": the same for every pair agreeing the same way."""
    levels = ",".join(f"{f}={(fields.get(f) or {}).get('level', 'missing')}" for f in PATTERN_FIELDS)
    return f"{'+'.join(sorted((agency_a, agency_b)))}|{levels}"


def describe_pattern(key: str) -> str:
    """The pattern in words: "HMRC and TS records: same street, number and postcode; different name; no phone"."""
    agencies, levels = key.split("|", 1)
    codes = agencies.split("+")
    who = f"two {codes[0]} records" if codes[0] == codes[1] else f"{codes[0]} and {codes[1]} records"
    return f"{who}: " + describe_levels(dict(item.split("=", 1) for item in levels.split(",")))


def describe_levels(levels: Mapping[str, str]) -> str:
    """How two records' fields agree, in words: "same street, number and postcode; different name; no phone or
    contact to compare" (field -> level, as the matcher names them; a field left out counts as missing)."""
    by_level: dict[str, list[str]] = {}
    for field in PATTERN_FIELDS:
        by_level.setdefault(levels.get(field) or "missing", []).append(_WORDS[field])
    parts = [f"{_SAID[level]} {_list(by_level[level])}" for level in _SAID if level in by_level]
    if "missing" in by_level:
        parts.append(f"no {_list(by_level['missing'], 'or')} to compare")
    return "; ".join(parts)


def _list(words: list[str], last: str = "and") -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} {last} {words[-1]}"
