"""Read an uploaded CSV or XLSX file into a table of strings, or say clearly why it cannot be read."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, time

import pandas as pd

from core.errors import ValidationError

MAX_BYTES = 50 * 1024 * 1024
MAX_ROWS = 500_000
# Tried strictly in this order; the first that decodes the whole file wins.
ENCODINGS = ("utf-8", "utf-8-sig", "cp1252")
ENCODING_LABELS = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8 with BOM", "cp1252": "Windows-1252"}
DELIMITERS = (",", ";", "\t", "|")
DELIMITER_LABELS = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe", "": "spreadsheet"}
_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class Table:
    """A file's rows as strings; `frame`'s row i is line i + 2 of the file (line 1 holds the headers)."""

    frame: pd.DataFrame
    filename: str
    encoding: str = ""
    delimiter: str = ""

    def describe(self) -> str:
        how = ENCODING_LABELS.get(self.encoding, "spreadsheet") if self.encoding else "spreadsheet"
        sep = f", {DELIMITER_LABELS[self.delimiter]}-separated" if self.delimiter else ""
        return f"{len(self.frame):,} rows, {len(self.frame.columns)} columns ({how}{sep})"


def _size_check(data: bytes) -> None:
    if not data or not data.strip():
        raise ValidationError("The file is empty: export the data again with a header row and at least one row.")
    if len(data) > MAX_BYTES:
        raise ValidationError(f"The file is {len(data) / 1024 / 1024:.1f} MB; the limit is {MAX_BYTES // 1024 // 1024} MB "
                              f"and {MAX_ROWS:,} rows. Split it or leave out columns the partnership does not use.")


def _rows_check(n: int) -> None:
    if n > MAX_ROWS:
        raise ValidationError(f"The file has more than {MAX_ROWS:,} rows; the limit is {MAX_ROWS:,} rows "
                              f"and {MAX_BYTES // 1024 // 1024} MB. Split it into smaller files.")


def decode(data: bytes) -> tuple[str, str]:
    """The text and the encoding, trying UTF-8, UTF-8 with BOM and Windows-1252 strictly in that order."""
    if b"\x00" in data[:4096]:
        raise ValidationError("This does not look like a CSV text file (it holds binary data). Upload a CSV or an .xlsx file.")
    for encoding in ENCODINGS:
        if encoding == "utf-8" and data.startswith(_BOM):
            continue  # plain UTF-8 would keep the BOM glued to the first header
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise ValidationError("The file's text encoding is not UTF-8, UTF-8 with BOM or Windows-1252. "
                          "Save it again as 'CSV UTF-8' (in Excel: Save As > CSV UTF-8) and upload it again.")


def sniff_delimiter(text: str) -> str:
    """Comma, semicolon, tab or pipe: the one that splits the first lines most consistently."""
    sample = "\n".join(text.splitlines()[:50])
    try:
        return csv.Sniffer().sniff(sample, delimiters="".join(DELIMITERS)).delimiter
    except csv.Error:
        header = sample.splitlines()[0] if sample else ""
        counts = {d: header.count(d) for d in DELIMITERS}
        best = max(counts, key=lambda d: counts[d])
        return best if counts[best] else ","


def _unique_headers(raw: list[object]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for i, h in enumerate(raw, start=1):
        name = " ".join(str(h if h is not None else "").split()) or f"Column {i}"
        if name in seen:
            seen[name] += 1
            name = f"{name} ({seen[name]})"
        else:
            seen[name] = 1
        out.append(name)
    return out


def _frame(rows: list[list[str]], filename: str) -> pd.DataFrame:
    if not rows:
        raise ValidationError(f"{filename}: no header row found. The first row must name the columns.")
    headers = _unique_headers(list(rows[0]))
    width = len(headers)
    body = [(r + [""] * width)[:width] for r in rows[1:]]
    _rows_check(len(body))
    return pd.DataFrame(body, columns=headers, dtype=object)


def read_csv(data: bytes, filename: str = "file.csv") -> Table:
    _size_check(data)
    text, encoding = decode(data)
    delimiter = sniff_delimiter(text)
    try:
        rows = [[c.strip() for c in row] for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)]
    except csv.Error as exc:
        raise ValidationError(f"{filename}: the CSV is malformed ({exc}). Check for an unclosed quotation mark.") from exc
    rows = [r for r in rows if any(r)]
    return Table(_frame(rows, filename), filename, encoding, delimiter)


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def read_xlsx(data: bytes, filename: str = "file.xlsx") -> Table:
    """The first worksheet of an .xlsx workbook; dates come out as ISO dates, whole numbers without '.0'.

    Read with calamine (Rust): about thirty times faster than openpyxl on a 20,000-row export.
    """
    from python_calamine import CalamineWorkbook

    _size_check(data)
    try:
        sheet = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0)
        raw = sheet.to_python(skip_empty_area=True)
    except Exception as exc:  # calamine raises several types for a file that is not a workbook
        raise ValidationError(f"{filename}: this is not a readable .xlsx workbook ({type(exc).__name__}). "
                              "Save it from Excel as .xlsx, or export it as CSV.") from exc
    rows = []
    for row in raw:
        cells = [_cell(v) for v in row]
        if any(cells):
            rows.append(cells)
            _rows_check(len(rows) - 1)
    return Table(_frame(rows, filename), filename)


def read_table(data: bytes, filename: str) -> Table:
    """CSV or XLSX (chosen by the name, or by content for a zip-based workbook); every cell a string."""
    name = filename.lower()
    if name.endswith(".xls"):
        raise ValidationError(f"{filename}: old-style .xls workbooks are not supported. Save it as .xlsx or CSV.")
    if name.endswith((".xlsx", ".xlsm")) or data[:4] == b"PK\x03\x04":
        return read_xlsx(data, filename)
    return read_csv(data, filename)
