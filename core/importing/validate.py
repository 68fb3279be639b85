"""Apply a column mapping to a file's rows: clean rows plus a report a person can act on.

Errors block the import (missing or duplicate reference, a date that cannot be read, a column the
mapping names that the file lacks); warnings do not (a postcode that is not a valid UK shape is kept
as keyed, a risk value outside the dataset's scale leaves the band empty, over-long text is cut).
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from typing import Any

import pandas as pd

from core.errors import ValidationError
from core.importing.mapping import MULTI, clean_columns, used_columns
from core.importing.risk import band_for
from core.matching.normalise import parse_postcode

# Column widths of agency_records: longer text is cut (a warning), a longer reference is an error.
WIDTHS = {"reference": 80, "trading_name": 200, "company_name": 200, "address": 300, "postcode": 12, "phone": 40,
          "contact": 120, "sector": 60, "risk_value": 40}
EXCEL_EPOCH = date(1899, 12, 30)
_MONTHS = {m: i for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1)}
_DMY = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2}|\d{4})$")
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ][\d:.]+(?:Z|[+-]\d{2}:?\d{2})?)?$")
_DMONY = re.compile(r"^(\d{1,2})(?:st|nd|rd|th)?[\s\-]+([A-Za-z]{3,9})\.?[\s\-,]+(\d{4})$")


def date_order(values: Iterable[Any]) -> str:
    """"mdy" when a column's slashed dates can only be month first (some have a day above 12 in the
    middle, none at the front: an export made with US settings), else the UK's "dmy"."""
    first = middle = False
    for v in values:
        if m := _DMY.match(str(v or "").strip()):
            first |= int(m[1]) > 12
            middle |= int(m[2]) > 12
    return "mdy" if middle and not first else "dmy"


def parse_date(text: str, *, serials: bool = True, order: str = "dmy") -> date | None:
    """ISO (2024-03-01), dd/mm/yyyy (also - or .; mm/dd/yyyy when `order` is "mdy"), d Mon yyyy
    (1 Mar 2024, 1 March 2024) or an Excel date number."""
    t = (text or "").strip()
    if not t:
        return None
    try:
        if m := _ISO.match(t):
            return date(int(m[1]), int(m[2]), int(m[3]))
        if m := _DMY.match(t):
            year = int(m[3]) + (2000 if len(m[3]) == 2 and int(m[3]) < 70 else 1900 if len(m[3]) == 2 else 0)
            day, month = (int(m[2]), int(m[1])) if order == "mdy" else (int(m[1]), int(m[2]))
            return date(year, month, day)
        if (m := _DMONY.match(t)) and m[2][:3].lower() in _MONTHS:
            return date(int(m[3]), _MONTHS[m[2][:3].lower()], int(m[1]))
        if serials and re.fullmatch(r"\d{4,5}(\.\d+)?", t) and 1 <= float(t) < 80_000:
            return EXCEL_EPOCH + timedelta(days=int(float(t)))
    except ValueError:
        return None
    return None


@dataclass(frozen=True)
class Issue:
    """One problem: the row as numbered in the file (headers are row 1), the column, what is wrong, the value."""

    row: int | None
    column: str
    problem: str
    value: str
    severity: str  # "error" | "warning"


@dataclass(frozen=True)
class CleanRow:
    row: int
    reference: str
    trading_name: str = ""
    company_name: str = ""
    address: str = ""
    postcode: str = ""
    phone: str = ""
    contact: str = ""
    sector: str = ""
    risk_value: str = ""
    risk_band: str | None = None
    last_contact: date | None = None
    extra: dict[str, str] = field(default_factory=dict)

    def values(self) -> dict[str, Any]:
        """The fields stored on an agency record."""
        d = asdict(self)
        d.pop("row")
        return d


class RejectedFile(ValidationError):
    """The file has errors; nothing was imported. `issues` is the full report."""

    def __init__(self, issues: list[Issue]) -> None:
        errors = [i for i in issues if i.severity == "error"]
        first = errors[0]
        where = f"row {first.row}, " if first.row else ""
        super().__init__(
            f"Nothing was imported: the file has {len(errors):,} error{'s' if len(errors) != 1 else ''} "
            f"(first: {where}{first.column}: {first.problem}). Correct the file (or the column mapping) and upload it again; "
            "the validation report lists every row.")
        self.issues = issues


@dataclass
class Checked:
    rows: list[CleanRow]
    issues: list[Issue]

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "error"]

    @property
    def warnings(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "warning"]

    @property
    def ok(self) -> bool:
        return not self.errors

    def raise_if_errors(self) -> None:
        if self.errors:
            raise RejectedFile(self.issues)


REPORT_COLUMNS = ["Row", "Severity", "Column", "Problem", "Value"]
REPORT_MARKING = "OFFICIAL-SENSITIVE"  # the report quotes the file's cells


def report_frame(issues: list[Issue]) -> pd.DataFrame:
    """The report as a table, errors first, then by row: Row, Severity, Column, Problem, Value."""
    frame = pd.DataFrame([{"Row": i.row, "Severity": i.severity, "Column": i.column, "Problem": i.problem, "Value": i.value}
                          for i in issues], columns=REPORT_COLUMNS)
    if frame.empty:
        return frame
    frame["_o"] = frame["Severity"].map({"error": 0, "warning": 1})
    return frame.sort_values(["_o", "Row"], kind="stable", na_position="first").drop(columns="_o").reset_index(drop=True)


def report_csv(issues: list[Issue], filename: str) -> bytes:
    """The report as a CSV for Excel: marked, and no cell (a value quoted from the file) runs as a formula."""
    from core.risk import to_csv

    frame = report_frame(issues)
    def plain(v: Any) -> Any:
        if v is None or (isinstance(v, float) and pd.isna(v)):
            return ""
        return int(v) if isinstance(v, float) and v.is_integer() else v

    rows = [[plain(v) for v in r] for r in frame.itertuples(index=False, name=None)]
    return to_csv(REPORT_COLUMNS, rows, REPORT_MARKING, note=f"Validation report for {filename}")


def _joined(row: Mapping[str, str], cols: list[str]) -> str:
    return ", ".join(v for c in cols if (v := " ".join(str(row.get(c) or "").split())))


def check(df: pd.DataFrame, columns: Mapping[str, Any], risk_scale: Mapping[str, Any] | None = None) -> Checked:
    """Apply `columns` (a mapping) to every row of `df`; see the module docstring for what is an error."""
    cols = clean_columns(columns)
    missing = [c for c in used_columns(cols) if c not in df.columns]
    if missing:
        raise ValidationError(f"Column mapping: {', '.join(repr(c) for c in missing)} is not a column of this file "
                              f"(its columns: {', '.join(map(str, df.columns))}). Choose the columns again.")
    if not cols["reference"]:
        raise ValidationError("Column mapping: choose the column that holds the agency's reference for each premises.")
    scale = risk_scale or {}
    issues: list[Issue] = []
    rows: list[CleanRow] = []
    first_row: dict[str, int] = {}
    ref_col, names, lines = cols["reference"], cols["name"], cols["address"]
    records = df.to_dict("records")
    file_rows = df.attrs.get("file_rows")
    if not file_rows or len(file_rows) != len(records):
        file_rows = range(2, len(records) + 2)  # row i of a plain table is line i + 2 (line 1 holds the headers)
    order = date_order(df[cols["last_contact"]]) if cols["last_contact"] else "dmy"
    if order == "mdy":
        issues.append(Issue(1, cols["last_contact"], "dates read month first (12/31/2024): some have a day above 12 "
                            "in the middle and none at the front", "", "warning"))
    for n, raw in zip(file_rows, records, strict=True):
        cell = lambda c: " ".join(str(raw.get(c) or "").split()) if c else ""  # noqa: E731

        def problem(column: str, text: str, value: str, severity: str = "error") -> None:
            issues.append(Issue(n, column, text, value, severity))

        before = len(issues)
        ref = cell(ref_col)
        if not ref:
            problem(ref_col, "the reference is missing: every row needs the agency's own reference", "")
        elif len(ref) > WIDTHS["reference"]:
            problem(ref_col, f"the reference is longer than {WIDTHS['reference']} characters", ref[:100])
        elif ref in first_row:
            problem(ref_col, f"duplicate reference: row {first_row[ref]} has the same one", ref)
        else:
            first_row[ref] = n
        values: dict[str, Any] = {
            "trading_name": cell(names[0]) if names else "",
            "company_name": _joined(raw, names[1:]) if len(names) > 1 else "",
            "address": _joined(raw, lines),
            "phone": cell(cols["phone"]), "contact": cell(cols["contact"]), "sector": cell(cols["sector"]),
            "risk_value": cell(cols["risk"]),
        }
        pc_raw = cell(cols["postcode"])
        if pc_raw:
            pc = parse_postcode(pc_raw)
            if pc is None:
                problem(cols["postcode"], "not a valid UK postcode: kept as written, matching relies on the address", pc_raw, "warning")
                pc = pc_raw.upper()
            values["postcode"] = pc
        last = None
        if (text := cell(cols["last_contact"])):
            last = parse_date(text, order=order)
            if last is None:
                problem(cols["last_contact"], "date not understood: write it as 2024-03-31, 31/03/2024 or 31 Mar 2024", text)
        band = None
        if values["risk_value"]:
            band = band_for(scale, values["risk_value"])
            if band is None and scale:
                problem(cols["risk"], "this value is not in the dataset's risk scale: the band is left empty until the scale covers it",
                        values["risk_value"], "warning")
        for key, width in WIDTHS.items():
            if key != "reference" and len(values.get(key) or "") > width:
                problem(_source_column(cols, key), f"longer than {width} characters: cut to fit", values[key][:60] + "…", "warning")
                values[key] = values[key][:width]
        if any(i.severity == "error" for i in issues[before:]):
            continue
        extra = {c: cell(c) for c in cols["extra"] if cell(c)}
        rows.append(CleanRow(n, ref, risk_band=band, last_contact=last, extra=extra, **values))
    return Checked(rows, issues)


def _source_column(cols: Mapping[str, Any], key: str) -> str:
    source = {"trading_name": ("name", 0), "company_name": ("name", 1), "address": ("address", None),
              "postcode": ("postcode", None), "phone": ("phone", None), "contact": ("contact", None),
              "sector": ("sector", None), "risk_value": ("risk", None)}[key]
    value = cols[source[0]]
    if source[0] in MULTI:
        return ", ".join(value if source[1] is None else value[source[1]:source[1] + 1])
    return value or ""
