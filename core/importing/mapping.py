"""Which column of a file holds which field: suggestions from headers and content, and the YAML format.

A mapping's `columns` dict (also what `Dataset.column_mapping` stores):

    {"reference": "FHRSID", "name": ["BusinessName", "OperatorName"], "address": ["AddressLine1", ...],
     "postcode": "PostCode", "phone": None, "contact": "ContactName", "risk": "RatingValue",
     "last_contact": "RatingDate", "sector": "BusinessType", "extra": ["Notes"]}

`name` is [trading name, company name]; `address` lines are joined in order with ", "; `extra`
(optional) lists columns kept as they are beside the record. Any field may be None.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import yaml

from core.errors import ValidationError

FIELDS = ("reference", "name", "address", "postcode", "phone", "contact", "risk", "last_contact", "sector")
MULTI = ("name", "address", "extra")
FIELD_LABELS = {
    "reference": "Reference (the agency's own id for the premises)",
    "name": "Name (trading name, then company name)",
    "address": "Address (lines in order)",
    "postcode": "Postcode",
    "phone": "Phone",
    "contact": "Contact (owner, DPS, responsible person)",
    "risk": "Risk value (the agency's own scale)",
    "last_contact": "Last contact (visit, inspection or rating date)",
    "sector": "Sector or business type",
    "extra": "Other columns to keep",
}

Columns = dict[str, Any]


def _key(header: str) -> str:
    return re.sub(r"[^a-z0-9]", "", header.lower())


# Header synonyms (compared with case, spaces and punctuation removed), most specific first.
_SYNONYMS: dict[str, tuple[str, ...]] = {
    "reference": ("fhrsid", "premisesref", "premisesreference", "premisesid", "licenceno", "licencenumber",
                  "licenseno", "licensenumber", "licenceref", "caseref", "casereference", "intelref", "hmoref",
                  "uprnaudit", "auditref", "locationid", "incident", "incidentref", "incidentno", "reference",
                  "ref", "refno", "referencenumber", "id", "urn", "uprn", "accountref", "recordid"),
    "trading": ("tradingname", "businessname", "premisesname", "shopname", "venue", "entity", "business",
                "premises", "establishment", "establishmentname", "tradingas", "name"),
    "company": ("operatorname", "operator", "companyname", "company", "legalname", "trader", "proprietor",
                "registeredname", "foodbusinessoperator", "fbo", "licenceholder", "licenseholder"),
    "address": ("address", "premisesaddress", "propertyaddress", "tradingaddress", "siteaddress", "businessaddress",
                "fulladdress", "location", "street", "town", "locality", "city", "district"),
    "postcode": ("postcode", "postalcode", "pcode", "zip", "zipcode"),
    "phone": ("tel", "telephone", "telephoneno", "telephonenumber", "phone", "phoneno", "phonenumber", "mobile",
              "contactnumber", "contacttel"),
    "contact": ("contactname", "contact", "dps", "designatedpremisessupervisor", "responsibleperson", "manager",
                "owner", "director", "keyholder", "premisesmanager"),
    "risk": ("riskrating", "ratingvalue", "riskscore", "risklevel", "riskband", "risk", "rating", "score",
             "compliancelevel", "hazardrating", "threat", "threatlevel", "rag", "offencelevel", "priority"),
    "last_contact": ("lastvisit", "lastinspection", "lastinspected", "lastcontact", "lastintel", "lastincident",
                     "ratingdate", "auditdate", "inspectiondate", "visitdate", "dateofvisit", "lastaudit", "date"),
    "sector": ("businesstype", "sector", "tradetype", "licencetype", "licensetype", "occupancy", "premisestype",
               "type", "category", "activity"),
}
_ADDRESS_LINE = re.compile(r"^(address|addr|premisesaddress)(line)?\d$")
_HOLDERS = {"licenceholder", "licenseholder"}


def empty_columns() -> Columns:
    return {f: [] if f in MULTI else None for f in (*FIELDS, "extra")}


def clean_columns(columns: Mapping[str, Any]) -> Columns:
    """A mapping with every field present, lists for name/address/extra, None for unmapped fields."""
    unknown = set(columns) - set(FIELDS) - {"extra"}
    if unknown:
        raise ValidationError(f"Mapping: unknown field(s) {', '.join(sorted(unknown))}; the fields are {', '.join(FIELDS)} (and extra).")
    out = empty_columns()
    for f, v in columns.items():
        if f in MULTI:
            items = [v] if isinstance(v, str) else list(v or [])
            out[f] = [str(x) for x in items if x not in (None, "")]
        else:
            if isinstance(v, (list, tuple)):
                raise ValidationError(f"Mapping: {f} takes one column, not a list ({v!r}).")
            out[f] = str(v) if v not in (None, "") else None
    return out


def used_columns(columns: Mapping[str, Any]) -> list[str]:
    """Every file column a mapping reads, in field order."""
    out: list[str] = []
    for v in clean_columns(columns).values():
        for c in v if isinstance(v, list) else [v]:
            if c and c not in out:
                out.append(c)
    return out


# --- suggestions -----------------------------------------------------------------------------


def _by_header(headers: list[str]) -> Columns:
    keys = {h: _key(h) for h in headers}
    taken: set[str] = set()
    found: dict[str, str] = {}

    def first(kind: str) -> str | None:
        for syn in _SYNONYMS[kind]:
            for h, k in keys.items():
                if h not in taken and k == syn:
                    taken.add(h)
                    return h
        return None

    for kind in ("reference", "postcode", "phone", "last_contact", "risk", "trading", "company", "contact", "sector"):
        if (h := first(kind)) is not None:
            found[kind] = h
    out = empty_columns()
    out["reference"] = found.get("reference")
    holder = found.get("company")
    if holder and _key(holder) in _HOLDERS and "trading" not in found and "contact" not in found:
        # A licence holder beside no premises name is the person to contact (an HMO register).
        found["contact"], holder = holder, None
    out["name"] = [n for n in (found.get("trading"), holder) if n]
    for f in ("postcode", "phone", "contact", "risk", "last_contact", "sector"):
        out[f] = found.get(f)
    lines = [h for h in headers if h not in taken and _ADDRESS_LINE.match(keys[h])]
    if not lines:
        lines = [h for h in headers if h not in taken and keys[h] in _SYNONYMS["address"]][:1]
    out["address"] = lines
    return out


def _sample(series: pd.Series, n: int = 200) -> list[str]:
    values = [str(v).strip() for v in series.tolist() if str(v or "").strip()]
    return values[:n]


def _share(values: list[str], test: Any) -> float:
    return sum(1 for v in values if test(v)) / len(values) if values else 0.0


def _looks_like_phone(v: str) -> bool:
    digits = re.sub(r"\D", "", v)
    if digits.startswith("44"):
        digits = "0" + digits[2:]
    return bool(re.fullmatch(r"[\d\s()+\-.]+", v)) and len(digits) in (10, 11) and digits.startswith("0")


def _looks_like_id(values: list[str], series: pd.Series) -> bool:
    full = [str(v).strip() for v in series.tolist()]
    return (bool(values) and all(full) and len(set(full)) == len(full)
            and _share(values, lambda v: " " not in v and any(c.isdigit() for c in v) and len(v) <= 40) >= 0.95)


def suggest_mapping(df: pd.DataFrame) -> Columns:
    """A mapping proposed from the headers (known names and synonyms), then from what the columns hold."""
    from core.importing.validate import parse_date, parse_postcode

    headers = [str(c) for c in df.columns]
    out = _by_header(headers)
    taken = set(used_columns(out))
    for h in headers:
        if h in taken:
            continue
        values = _sample(df[h])
        if not values:
            continue
        if out["postcode"] is None and _share(values, lambda v: parse_postcode(v) is not None) >= 0.7:
            out["postcode"] = h
        elif out["phone"] is None and _share(values, _looks_like_phone) >= 0.7:
            out["phone"] = h
        elif out["last_contact"] is None and _share(values, lambda v: parse_date(v, serials=False) is not None) >= 0.7:
            out["last_contact"] = h
        elif out["reference"] is None and _looks_like_id(values, df[h]):
            out["reference"] = h
        else:
            continue
        taken.add(h)
    return out


# --- the YAML mapping file -------------------------------------------------------------------


@dataclass
class FileMapping:
    """One file's entry in a mapping YAML: which agency it is and how its columns map."""

    file: str
    agency: str = ""
    columns: Columns = field(default_factory=empty_columns)


def load_mapping(text: str) -> list[FileMapping]:
    """Parse a mapping YAML (see README, 'Datasets and imports'); errors name the entry to fix."""
    try:
        doc = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise ValidationError(f"Mapping file: not valid YAML ({exc}).") from exc
    entries = doc.get("datasets") if isinstance(doc, dict) else None
    if not isinstance(entries, list):
        raise ValidationError("Mapping file: expected a top-level 'datasets:' list.")
    out = []
    for i, e in enumerate(entries, start=1):
        if not isinstance(e, dict) or not e.get("file"):
            raise ValidationError(f"Mapping file: entry {i} needs a 'file:' name.")
        if not isinstance(e.get("columns") or {}, dict):
            raise ValidationError(f"Mapping file: entry {i} ({e['file']}): 'columns:' must map fields to column names.")
        try:
            cols = clean_columns(e.get("columns") or {})
        except ValidationError as exc:
            raise ValidationError(f"Mapping file: entry {i} ({e['file']}): {exc}") from exc
        out.append(FileMapping(str(e["file"]), str(e.get("agency") or ""), cols))
    return out


def dump_mapping(entries: list[FileMapping]) -> str:
    """The YAML text for some file mappings (unmapped multi-column fields are left out)."""
    doc = {"datasets": []}
    for e in entries:
        cols: dict[str, Any] = {}
        for f, v in clean_columns(e.columns).items():
            if f in MULTI and not v and f != "name" and f != "address":
                continue
            cols[f] = v if v != [] else None
        doc["datasets"].append({"file": e.file, "agency": e.agency, "columns": cols})
    return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)
