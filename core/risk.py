"""The shared risk list's rules as pure functions: the combined score and safe exports (who sees what: core.visibility).

The score is deliberately simple so a board can check it by hand (it is printed on the page):
each agency that holds the business adds its band's points, and every agency beyond the first
adds a bonus, because a business that worries several agencies is what the partnership is for.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

from core.domain import Band

BAND_POINTS = {Band.HIGH.value: 3, Band.MEDIUM.value: 2, Band.LOW.value: 1}
UNBANDED_POINTS = 1
EXTRA_AGENCY_POINTS = 2
SCORE_FORMULA = (
    "Score = for each agency holding the business: high 3, medium 2, low 1 (1 if it gives no band); "
    "plus 2 for every agency beyond the first."
)
BAND_RANK = {None: 0, "": 0, Band.LOW.value: 1, Band.MEDIUM.value: 2, Band.HIGH.value: 3}
RANK_BAND = {0: "", 1: Band.LOW.value, 2: Band.MEDIUM.value, 3: Band.HIGH.value}


def combined_score(bands: Iterable[str | None]) -> int:
    """The combined score of one business from each holding agency's band (one entry per agency)."""
    bands = list(bands)
    if not bands:
        return 0
    points = sum(BAND_POINTS.get(b or "", UNBANDED_POINTS) for b in bands)
    return points + EXTRA_AGENCY_POINTS * (len(bands) - 1)


FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n", "|", "%")


def excel_safe(value: Any) -> Any:
    """A cell Excel will show as text rather than run: values starting like a formula get a quote."""
    if isinstance(value, str) and value and value[0] in FORMULA_PREFIXES:
        return "'" + value
    return value


def to_csv(header: Sequence[str], rows: Iterable[Sequence[Any]], marking: str, note: str = "") -> bytes:
    """CSV for Excel: UTF-8 with BOM, the marking as the first and last line, no formula can run."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow([excel_safe(f"{marking} · {note}" if note else marking)])
    writer.writerow([excel_safe(h) for h in header])
    for row in rows:
        writer.writerow(["" if v is None else excel_safe(v) for v in row])
    writer.writerow([marking])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def to_xlsx(header: Sequence[str], rows: Iterable[Sequence[Any]], marking: str, *, title: str, note: str = "") -> bytes:
    """An XLSX workbook with the marking above the table and in the page header and footer."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = title[:31]
    ws.append([excel_safe(f"{marking} · {note}" if note else marking)])
    ws["A1"].font = Font(bold=True)
    ws.append([excel_safe(h) for h in header])
    for cell in ws[2]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append(["" if v is None else excel_safe(v) for v in row])
    ws.append([marking])
    ws.oddHeader.center.text = marking
    ws.oddFooter.center.text = marking
    ws.freeze_panes = "A3"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
