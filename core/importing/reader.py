"""Read an uploaded CSV or XLSX file into a table of strings, or say clearly why it cannot be read.

The file is parsed in a child process with memory and time limits (`core.importing.sandbox`, which runs
`core.importing.parse`); this process only builds the table from the rows it sends back.
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from core.importing import sandbox
from core.importing.parse import ENCODING_LABELS, Limits

MAX_BYTES = 50 * 1024 * 1024
MAX_ROWS = 500_000
MAX_COLUMNS = 500
MAX_CELLS = 10_000_000  # a workbook sheet's rows x columns
DELIMITER_LABELS = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe", "": "spreadsheet"}


@dataclass(frozen=True)
class Table:
    """A file's rows as strings; `frame.attrs["file_rows"][i]` is the row of the file that `frame`'s row i
    came from (the header is row 1; blank rows are skipped; a quoted value may span lines)."""

    frame: pd.DataFrame
    filename: str
    encoding: str = ""
    delimiter: str = ""
    reader_peak_kb: int = 0  # the child process's peak resident memory while reading

    def describe(self) -> str:
        how = ENCODING_LABELS.get(self.encoding, "spreadsheet") if self.encoding else "spreadsheet"
        sep = f", {DELIMITER_LABELS[self.delimiter]}-separated" if self.delimiter else ""
        return f"{len(self.frame):,} rows, {len(self.frame.columns)} columns ({how}{sep})"


def limits() -> Limits:
    """The limits in force (read when a file is read, so a test or a deployment can change them)."""
    return Limits(max_bytes=MAX_BYTES, max_rows=MAX_ROWS, max_columns=MAX_COLUMNS, max_cells=MAX_CELLS,
                  max_text_chars=max(2 * MAX_BYTES, 1_000_000))


def read_table(data: bytes, filename: str) -> Table:
    """CSV or XLSX (chosen by the name, or by content for a zip-based workbook); every cell a string.

    Raises ValidationError (`sandbox.Refused`) naming what to fix; the file is never half read.
    """
    found = sandbox.run(data, filename, limits=limits())
    frame = pd.DataFrame(dict(zip(found.header, found.columns, strict=True)), columns=found.header, dtype=object)
    found.columns.clear()
    frame.attrs["file_rows"] = found.file_rows
    return Table(frame, filename, found.encoding, found.delimiter, found.peak_kb)
