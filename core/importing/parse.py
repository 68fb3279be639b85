"""Turn an untrusted upload (CSV or .xlsx) into rows of text, or refuse it saying which row and column to fix.

This runs in the upload sandbox's child process (`core.importing.sandbox`), under memory and time limits,
so it imports only the standard library (and python-calamine for a workbook) and holds little:

- A CSV is checked for its encoding by scanning the bytes (UTF-8, UTF-8 with BOM or Windows-1252; a file
  mixing UTF-8 with stray other bytes is refused rather than garbled), then decoded and split a line at a
  time (strict quoting: an unclosed quotation mark is refused, never allowed to swallow the rows after it).
- An .xlsx is checked before python-calamine may read it: the zip's declared sizes, then the first sheet's
  XML streamed and scanned (bounded) for its declared `<dimension>`, its rows and the cells' extent,
  because calamine allocates the whole rectangle the cells span and aborts the process when it cannot.
- Every cell: no NUL character (PostgreSQL refuses it; SQLite would keep it), at most Excel's 32,767
  characters; no row with values beyond the columns the header names.

`read(data, filename, limits)` returns the header and encoding, and an iterator of (row as numbered in
the file, cells) that raises ValidationError when it meets a problem (the import is all or nothing).
"""
from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any
from xml.sax.saxutils import unescape

from core.errors import ValidationError

ENCODING_LABELS = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8 with BOM", "cp1252": "Windows-1252"}
DELIMITERS = (",", ";", "\t", "|")
BOM = b"\xef\xbb\xbf"
NOTHING = "Nothing was imported."
_NOT_BLANK = re.compile(rb"\S")


@dataclass(frozen=True)
class Limits:
    """What one upload may hold; the parent process sends them with the file."""

    max_bytes: int = 50 * 1024 * 1024
    max_rows: int = 500_000
    max_columns: int = 500
    max_cells: int = 10_000_000  # rows x columns of a workbook's sheet (calamine allocates the rectangle)
    max_cell_chars: int = 32_767  # Excel's own limit for one cell
    max_text_chars: int = 100_000_000  # all cells together (a workbook can repeat one long shared string)
    max_unzipped_bytes: int = 1024 * 1024 * 1024  # a workbook's parts, as its zip declares them
    max_zip_entries: int = 10_000

    def too_many_rows(self, filename: str) -> ValidationError:
        return ValidationError(f"{filename} has more than {self.max_rows:,} rows; the limit is {self.max_rows:,} rows "
                               f"and {self.max_bytes // 1024 // 1024} MB. Split it into smaller files. {NOTHING}")


Rows = Iterator[tuple[int, list[str]]]


def read(data: bytes, filename: str, limits: Limits) -> tuple[dict[str, Any], Rows]:
    """({"header", "encoding", "delimiter"}, rows) of a CSV or .xlsx (chosen by the name, or a zip's magic)."""
    name = filename.lower()
    if name.endswith(".xls"):
        raise ValidationError(f"{filename}: old-style .xls workbooks are not supported. Save it as .xlsx or CSV.")
    _size_check(data, filename, limits)
    if name.endswith((".xlsx", ".xlsm")) or data[:4] == b"PK\x03\x04":
        return read_xlsx(data, filename, limits)
    return read_csv(data, filename, limits)


def _size_check(data: bytes, filename: str, limits: Limits) -> None:
    if not data or _NOT_BLANK.search(data) is None:  # (data.strip() would copy the whole file)
        raise ValidationError("The file is empty: export the data again with a header row and at least one row.")
    if len(data) > limits.max_bytes:
        raise ValidationError(f"The file is {len(data) / 1024 / 1024:.1f} MB; the limit is {limits.max_bytes // 1024 // 1024} MB "
                              f"and {limits.max_rows:,} rows. Split it or leave out columns the partnership does not use.")


def unique_headers(raw: list[object]) -> list[str]:
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


def _column(header: list[str] | None, index: int) -> str:
    return f"column '{header[index]}'" if header and 0 <= index < len(header) else f"column {index + 1}"


class _Cells:
    """Checks every cell of a file as it goes: NUL characters, one cell's length, all the text together."""

    def __init__(self, filename: str, limits: Limits) -> None:
        self.filename, self.limits, self.text = filename, limits, 0

    def check(self, row: int, cells: list[str], header: list[str] | None) -> None:
        for i, cell in enumerate(cells):
            if "\x00" in cell:
                raise ValidationError(
                    f"{self.filename}: row {row}, {_column(header, i)} holds a NUL character (byte 0x00, binary data, "
                    "not text): the file is damaged or not a plain export. Remove it (or export the file again) and "
                    f"upload it again. {NOTHING}")
            if len(cell) > self.limits.max_cell_chars:
                raise ValidationError(
                    f"{self.filename}: row {row}, {_column(header, i)} holds {len(cell):,} characters; one cell may hold "
                    f"{self.limits.max_cell_chars:,}. {NOTHING}")
            self.text += len(cell)
        if self.text > self.limits.max_text_chars:
            raise ValidationError(f"{self.filename} holds more than {self.limits.max_text_chars:,} characters of text; "
                                  f"split it into smaller files. {NOTHING}")


# --- CSV -------------------------------------------------------------------------------------

# One well-formed UTF-8 sequence of two to four bytes (no overlongs, no surrogates).
_UTF8_SEQUENCE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|\xe0[\xa0-\xbf][\x80-\xbf]|[\xe1-\xec\xee\xef][\x80-\xbf]{2}"
                            rb"|\xed[\x80-\x9f][\x80-\xbf]|\xf0[\x90-\xbf][\x80-\xbf]{2}|[\xf1-\xf3][\x80-\xbf]{3}"
                            rb"|\xf4[\x80-\x8f][\x80-\xbf]{2}")
_NOT_CP1252 = re.compile(rb"[\x81\x8d\x8f\x90\x9d]")
_CHUNK = 1 << 20


def first_bad_utf8(data: bytes, start: int = 0) -> int | None:
    """The offset of the first byte that is not UTF-8, decoding a chunk at a time (no copy of the file)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    view = memoryview(data)
    for offset in range(start, len(data), _CHUNK):
        pending = len(decoder.getstate()[0])
        try:
            decoder.decode(view[offset:offset + _CHUNK], final=offset + _CHUNK >= len(data))
        except UnicodeDecodeError as exc:
            return offset - pending + exc.start
    return None


def _where(data: bytes, offset: int, delimiter: str, header: list[str] | None) -> tuple[int, str]:
    """(row as numbered in the file, 'column ...') of a byte offset, counting separators outside quotes."""
    line_start = data.rfind(b"\n", 0, offset) + 1
    row = data.count(b"\n", 0, line_start) + 1
    quoted, index = False, 0
    for b in data[line_start:offset]:
        if b == 0x22:
            quoted = not quoted
        elif b == ord(delimiter) and not quoted:
            index += 1
    return row, _column(header, index)


def _encoding(data: bytes, filename: str) -> str:
    """UTF-8, UTF-8 with BOM or Windows-1252 for the whole file; a mix of them is refused (it would be garbled)."""
    bom = data.startswith(BOM)
    start = len(BOM) if bom else 0
    bad = first_bad_utf8(data, start)
    if bad is None:
        return "utf-8-sig" if bom else "utf-8"
    utf8 = _UTF8_SEQUENCE.search(data, start)
    if bom or utf8 is not None:
        head = data[start:start + 65536].decode("utf-8", errors="replace")
        delimiter = sniff_delimiter(head)
        header = unique_headers(next(csv.reader(io.StringIO(head, newline=""), delimiter=delimiter), []))
        row, column = _where(data, bad, delimiter, header)
        example = ""
        if utf8 is not None:
            example_row, _ = _where(data, utf8.start(), delimiter, header)
            example = f" (row {example_row} has '{utf8.group().decode('utf-8')}' written in UTF-8)"
        raise ValidationError(
            f"{filename} mixes text encodings: row {row}, {column} has the byte 0x{data[bad]:02X}, which is not UTF-8, "
            f"while the rest of the file is UTF-8{example}. Read either way, some names would come out garbled. "
            f"Save it again as CSV UTF-8 (in Excel: Save As > CSV UTF-8) and upload it again. {NOTHING}")
    if _NOT_CP1252.search(data):
        raise ValidationError("The file's text encoding is not UTF-8, UTF-8 with BOM or Windows-1252. "
                              "Save it again as 'CSV UTF-8' (in Excel: Save As > CSV UTF-8) and upload it again.")
    return "cp1252"


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


def _records(data: bytes, encoding: str, delimiter: str) -> int:
    """How many non-blank records a CSV holds (a quick count, no checks)."""
    stream = io.TextIOWrapper(io.BytesIO(data), encoding=encoding, newline="")
    try:
        return sum(1 for record in csv.reader(stream, delimiter=delimiter) if any(record))
    except csv.Error:
        return 0  # the reading proper says what is wrong


class _Lines:
    """The file's lines for csv.reader, counted, keeping the first line of the record being read."""

    def __init__(self, stream: io.TextIOBase) -> None:
        self.stream, self.number, self.first = stream, 0, ""
        self._marked = False

    def mark(self) -> None:
        self._marked = True

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        line = self.stream.readline()
        if not line:
            raise StopIteration
        self.number += 1
        if self._marked:
            self.first, self._marked = line, False
        return line


def _open_quote(line: str, delimiter: str) -> int:
    """Which cell of one physical line holds a quotation mark that is not closed properly (0-based)."""
    index, quoted, at_start, closed = 0, False, True, False
    for ch in line.rstrip("\r\n"):
        if quoted:
            if ch == '"':
                quoted, closed = False, True
            continue
        if closed and ch == '"':  # "" inside a quoted cell
            quoted, closed = True, False
            continue
        if closed and ch != delimiter:
            return index  # text straight after a closing quote
        closed = False
        if ch == delimiter:
            index, at_start = index + 1, True
        elif ch == '"' and at_start:
            quoted = True
        else:
            at_start = False
    return index


def _quote_problem(filename: str, row: int, column: str, extra: str = "") -> ValidationError:
    return ValidationError(
        f"{filename}: row {row}, {column}: a quotation mark opens a value that is not closed where the value ends, "
        f"so the lines after it would be read into this one cell{extra}. Close the quote (or remove it) and upload "
        f"the file again. {NOTHING}")


def read_csv(data: bytes, filename: str, limits: Limits) -> tuple[dict[str, Any], Rows]:
    _size_check(data, filename, limits)
    if data[:4096].count(b"\x00") > 8 or data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise ValidationError("This does not look like a CSV text file (it holds binary data, or it is UTF-16). "
                              "Upload a CSV (UTF-8) or an .xlsx file.")
    encoding = _encoding(data, filename)
    delimiter = sniff_delimiter(data[:65536].decode(encoding, errors="replace").lstrip("\ufeff"))
    if data.count(b"\n") > limits.max_rows + 1 and _records(data, encoding, delimiter) > limits.max_rows + 1:
        raise limits.too_many_rows(filename)  # said before a single row is sent
    lines = _Lines(io.TextIOWrapper(io.BytesIO(data), encoding=encoding, newline=""))
    reader = csv.reader(lines, delimiter=delimiter, strict=True)
    cells = _Cells(filename, limits)

    def records() -> Iterator[tuple[int, list[str]]]:
        while True:
            start = lines.number + 1
            lines.mark()
            try:
                record = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                text = str(exc)
                if "field larger than field limit" in text:
                    raise ValidationError(f"{filename}: row {start} holds a value longer than {csv.field_size_limit():,} "
                                          f"characters (an unclosed quotation mark?). {NOTHING}") from None
                raise _quote_problem(filename, start, _column(header, _open_quote(lines.first, delimiter))) from None
            if any(c.strip() for c in record):
                yield start, record

    header: list[str] | None = None
    found = records()
    first = next(found, None)
    if first is None:
        raise ValidationError(f"{filename}: no header row found. The first row must name the columns.")
    cells.check(first[0], first[1], None)
    header = unique_headers([c.strip() for c in first[1]])
    width = len(header)
    if width > limits.max_columns:
        raise ValidationError(f"{filename} has {width:,} columns; the limit is {limits.max_columns:,}. {NOTHING}")
    rows_left = limits.max_rows

    def rows() -> Rows:
        nonlocal rows_left
        for row, record in found:
            if len(record) > width and any(c.strip() for c in record[width:]):
                raise ValidationError(
                    f"{filename}: row {row} has {len(record)} values but the header names {width} columns (a separator "
                    f"inside a value that is not in quotes?). Correct the row and upload the file again. {NOTHING}")
            for i, cell in enumerate(record):
                if "\n" in cell or "\r" in cell:
                    inner = cell.replace("\r\n", "\n").replace("\r", "\n").split("\n")[1:]
                    if width >= 3 and any(part.count(delimiter) >= width - 1 for part in inner):
                        raise _quote_problem(filename, row, _column(header, i),
                                             f" (it holds {len(inner)} more lines that look like rows of the file)")
            record = [c.strip() for c in record[:width]] + [""] * (width - len(record))
            cells.check(row, record, header)
            rows_left -= 1
            if rows_left < 0:
                raise limits.too_many_rows(filename)
            yield row, record

    return {"header": header, "encoding": encoding, "delimiter": delimiter}, rows()


# --- XLSX ------------------------------------------------------------------------------------

_TAG = re.compile(rb"<(?:[A-Za-z_][\w.\-]*:)?(row|c)((?:\s+[^\s=/>]+\s*=\s*(?:\"[^\"]*\"|'[^']*'))*)\s*/?>")
_R_ATTR = re.compile(rb"""(?:^|\s)r\s*=\s*["']([^"']*)["']""")
_CELL = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d{1,7})$")
_SHEET = re.compile(rb"<(?:[A-Za-z_][\w.\-]*:)?sheet\s([^>]*)>")
_ATTR = re.compile(rb"""([\w:.\-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_RELATIONSHIP = re.compile(rb"<(?:[A-Za-z_][\w.\-]*:)?Relationship\s([^>]*)>")
_PREFIX = rb"<(?:[A-Za-z_][\w.\-]*:)?"
_ANY_CELL = re.compile(_PREFIX + rb"c[\s/>]")
_CELL_REF_PLAIN = re.compile(rb'<c r="([A-Z]{1,3})(\d{1,7})"')
_CELL_REF = re.compile(_PREFIX + rb"c\s[^>]*?\br=[\"']\$?([A-Za-z]{1,3})\$?(\d{1,7})[\"']")
_DIMENSION = re.compile(_PREFIX + rb"dimension\s[^>]*?\bref=[\"']([^\"']*)[\"']")
_MAX_META_PART = 16 * 1024 * 1024
_XLSX_ROWS, _XLSX_COLUMNS = 1_048_576, 16_384


def column_letters(index: int) -> str:
    """1 -> A, 16384 -> XFD."""
    out = ""
    while index:
        index, rest = divmod(index - 1, 26)
        out = chr(65 + rest) + out
    return out


def _column_number(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n


def _cell_ref(text: str) -> tuple[int, int] | None:
    m = _CELL.match(text.strip())
    return (int(m[2]), _column_number(m[1])) if m else None


def _attrs(raw: bytes) -> dict[str, str]:
    return {m[1].decode("ascii", "replace"): unescape((m[2] if m[2] is not None else m[3]).decode("utf-8", "replace"),
                                                     {"&quot;": '"', "&apos;": "'"}) for m in _ATTR.finditer(raw)}


def _unreadable(filename: str, why: str = "") -> ValidationError:
    return ValidationError(f"{filename}: this is not a readable .xlsx workbook{f' ({why})' if why else ''}. "
                           "Save it from Excel as .xlsx, or export it as CSV.")


def _part(zf: zipfile.ZipFile, name: str, filename: str) -> bytes:
    try:
        info = zf.getinfo(name)
    except KeyError:
        raise _unreadable(filename, f"it has no {name}") from None
    if info.file_size > _MAX_META_PART:
        raise _unreadable(filename, f"its {name} is {info.file_size:,} bytes")
    return zf.read(info)


def first_sheet(zf: zipfile.ZipFile, filename: str) -> tuple[str, str]:
    """(name, zip path) of the workbook's first sheet, the one read."""
    workbook = _part(zf, "xl/workbook.xml", filename)
    sheet = _SHEET.search(workbook)
    if sheet is None:
        raise _unreadable(filename, "it lists no sheets")
    attrs = _attrs(sheet[1])
    rid = next((v for k, v in attrs.items() if k.endswith(":id") or k == "id"), "")
    for rel in _RELATIONSHIP.finditer(_part(zf, "xl/_rels/workbook.xml.rels", filename)):
        r = _attrs(rel[1])
        if r.get("Id") == rid:
            target = r.get("Target", "")
            path = target.lstrip("/") if target.startswith("/") else "xl/" + target
            parts: list[str] = []
            for p in path.split("/"):
                if p == "..":
                    if parts:
                        parts.pop()
                elif p and p != ".":
                    parts.append(p)
            return attrs.get("name", ""), "/".join(parts)
    raise _unreadable(filename, "its first sheet cannot be found")


@dataclass
class SheetScan:
    """What a sheet's XML says about its size, found by streaming it (calamine has not seen it)."""

    dimension: str = ""
    rows: int = 0  # rows holding at least one cell
    cells: int = 0
    first_row: int = 0
    last_row: int = 0
    first_col: int = 0
    last_col: int = 0

    def span(self) -> str:
        return f"{column_letters(self.first_col)}{self.first_row} to {column_letters(self.last_col)}{self.last_row}"


def _check_dimension(ref: str, filename: str, limits: Limits) -> None:
    corners = [_cell_ref(p) for p in ref.split(":")]
    if not ref or any(c is None for c in corners):
        return  # calamine ignores what it cannot read; the cells are counted anyway
    (r1, c1), (r2, c2) = corners[0], corners[-1]  # type: ignore[misc]
    rows, cols = abs(r2 - r1) + 1, abs(c2 - c1) + 1
    if rows > limits.max_rows + 1 or cols > limits.max_columns or rows * cols > limits.max_cells:
        raise ValidationError(
            f"{filename} declares its cells as {ref} ({rows:,} rows by {cols:,} columns); an import takes up to "
            f"{limits.max_rows:,} rows and {limits.max_columns:,} columns. Copy only the data into a new workbook "
            f"(or export it as CSV) and upload that. {NOTHING}")


class _SheetScanner:
    """Counts a sheet's cells and how far they reach, one piece of its XML (ending at a tag's end) at a time."""

    def __init__(self, filename: str, limits: Limits) -> None:
        self.filename, self.limits = filename, limits
        self.scan = SheetScan()
        self.row = self.col = 0  # where the last cell was (cells and rows without an r="" follow on from it)
        self.row_has_cells = False
        self.span_rows = limits.max_rows + 1  # and the header row

    def piece(self, buf: bytes) -> None:
        if not self.scan.dimension and (dim := _DIMENSION.search(buf)):
            self.scan.dimension = dim[1].decode("ascii", "replace")
            _check_dimension(self.scan.dimension, self.filename, self.limits)
        cells = len(_ANY_CELL.findall(buf))
        if not cells:
            return self._sequential(buf)  # rows only, or nothing of interest
        refs = _CELL_REF_PLAIN.findall(buf)  # <c r="B7" ...>: as Excel, LibreOffice and the usual libraries write
        if len(refs) != cells:
            refs = _CELL_REF.findall(buf)  # a namespace prefix, r="" not first ...
        if len(refs) != cells:
            return self._sequential(buf)  # some cells without r="": count them one by one
        # Every cell says where it is: in bulk.
        numbers = sorted({int(r) for r in {r for _c, r in refs}})
        letters = {_column_number(c.decode("ascii")) for c in {c for c, _r in refs}}
        scan = self.scan
        scan.rows += len(numbers) - (1 if self.row_has_cells and numbers[0] == self.row else 0)
        self.row, self.col, self.row_has_cells = int(refs[-1][1]), _column_number(refs[-1][0].decode("ascii")), True
        self._extend(numbers[0], min(letters), cells)
        self._extend(numbers[-1], max(letters), 0)

    def _extend(self, row: int, col: int, cells: int) -> None:
        scan, limits = self.scan, self.limits
        scan.cells += cells
        if col > _XLSX_COLUMNS or row > _XLSX_ROWS or row < 1 or col < 1:
            raise _unreadable(self.filename, "a cell lies outside the sheet")
        if not scan.first_row:
            scan.first_row = scan.last_row = row
            scan.first_col = scan.last_col = col
        scan.first_row, scan.last_row = min(scan.first_row, row), max(scan.last_row, row)
        scan.first_col, scan.last_col = min(scan.first_col, col), max(scan.last_col, col)
        height = scan.last_row - scan.first_row + 1
        width = scan.last_col - scan.first_col + 1
        if scan.rows > self.span_rows or (height > self.span_rows and width <= limits.max_columns
                                          and height * width <= 2 * limits.max_cells):
            raise limits.too_many_rows(self.filename)
        if height > self.span_rows or width > limits.max_columns or height * width > limits.max_cells \
                or scan.cells > limits.max_cells:
            raise ValidationError(
                f"{self.filename}: its cells run from {scan.span()} ({height:,} rows by {width:,} columns); an import "
                f"takes up to {limits.max_rows:,} rows and {limits.max_columns:,} columns. Copy only the data "
                f"into a new workbook (or export it as CSV) and upload that. {NOTHING}")

    def _sequential(self, buf: bytes) -> None:
        for m in _TAG.finditer(buf):
            if m[1] == b"c":
                r = _R_ATTR.search(m[2])
                ref = _cell_ref(r[1].decode("ascii", "replace")) if r else None
                if ref is None:
                    self.col += 1
                else:
                    self.row, self.col = ref
                if not self.row_has_cells:
                    self.row_has_cells = True
                    self.scan.rows += 1
                self._extend(self.row, self.col, 1)
            elif m[1] == b"row":
                r = _R_ATTR.search(m[2])
                self.row = int(r[1]) if r and r[1].isdigit() else self.row + 1
                self.col, self.row_has_cells = 0, False


def scan_sheet(stream: io.BufferedIOBase, filename: str, limits: Limits) -> SheetScan:
    """Stream a sheet's XML: its declared dimension, how many rows, and how far its cells reach. Stops (refusing
    the file) as soon as a limit is passed, so a sheet of millions of rows costs only the first 500,001."""
    scanner = _SheetScanner(filename, limits)
    tail = b""
    while True:
        chunk = stream.read(_CHUNK)
        buf = tail + chunk
        if not chunk:
            scanner.piece(buf)
            return scanner.scan
        cut = buf.rfind(b">") + 1  # pieces end at a tag's end (a tag never straddles two)
        if cut == 0 and len(buf) > 4 * _CHUNK:
            raise _unreadable(filename, "its sheet is not XML")
        scanner.piece(buf[:cut])
        tail = buf[cut:]


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


def read_xlsx(data: bytes, filename: str, limits: Limits) -> tuple[dict[str, Any], Rows]:
    """The first worksheet of an .xlsx workbook; dates come out as ISO dates, whole numbers without '.0'.

    Read with calamine (Rust, about thirty times faster than openpyxl on a 20,000-row export), once the
    sheet's XML has shown it fits the limits.
    """
    _size_check(data, filename, limits)
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise _unreadable(filename, type(exc).__name__) from None
    if len(infos) > limits.max_zip_entries:
        raise _unreadable(filename, f"it holds {len(infos):,} parts")
    unzipped = sum(i.file_size for i in infos)
    if unzipped > limits.max_unzipped_bytes:
        raise ValidationError(f"{filename} unpacks to {unzipped / 1024 / 1024:,.0f} MB; an import takes a workbook that "
                              f"unpacks to at most {limits.max_unzipped_bytes // 1024 // 1024:,} MB. Export it as CSV. {NOTHING}")
    name, path = first_sheet(zf, filename)
    try:
        with zf.open(path) as stream:
            scan_sheet(stream, filename, limits)
    except KeyError:
        raise _unreadable(filename, "its first sheet is missing") from None
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, zlib.error) as exc:
        raise _unreadable(filename, type(exc).__name__) from None

    from python_calamine import CalamineWorkbook

    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheet = book.get_sheet_by_name(name) if name else book.get_sheet_by_index(0)
        raw = sheet.iter_rows()  # from the sheet's first row (empty ones included), from its first used column
    except Exception as exc:  # noqa: BLE001 - calamine raises several types for a file that is not a workbook
        raise _unreadable(filename, type(exc).__name__) from None
    cells = _Cells(filename, limits)
    found = ((i, [_cell(v) for v in row]) for i, row in enumerate(raw, start=1))
    header: list[str] | None = None
    for row, values in found:
        if any(values):
            cells.check(row, values, None)
            header = unique_headers(values)
            break
    if header is None:
        raise ValidationError(f"{filename}: no header row found. The first row must name the columns.")
    width = len(header)
    if width > limits.max_columns:
        raise ValidationError(f"{filename} has {width:,} columns; the limit is {limits.max_columns:,}. {NOTHING}")

    def rows() -> Rows:
        left = limits.max_rows
        for row, values in found:
            if not any(values):
                continue
            values = (values + [""] * width)[:width]
            cells.check(row, values, header)
            left -= 1
            if left < 0:
                raise limits.too_many_rows(filename)
            yield row, values

    return {"header": header, "encoding": "", "delimiter": ""}, rows()
