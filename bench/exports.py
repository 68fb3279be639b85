"""Read a folder of agency exports with a mapping YAML into one table, through core.importing.

The same reading and checking `python -m core.cli link` does (core.importing's reader: CSV in any
usual encoding and delimiter, .xlsx; its checks: rows with errors make the file fail), so Splink gets
exactly the records our pipeline gets.
"""
from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from core.importing.mapping import load_mapping  # noqa: E402
from core.importing.reader import read_table  # noqa: E402
from core.importing.validate import check  # noqa: E402

COLUMNS = ("record_id", "source", "agency", "trading_name", "company_name", "address", "postcode", "phone",
           "contact")


def read_exports(folder: Path, mapping_path: Path) -> pd.DataFrame:
    """Every mapped file in `folder` as rows of COLUMNS; record_id = "<file stem>:<reference>"."""
    rows: list[tuple[str, ...]] = []
    for entry in load_mapping(mapping_path.read_text(encoding="utf-8")):
        path = folder / entry.file
        table = read_table(path.read_bytes(), path.name)
        checked = check(table.frame, entry.columns)
        if checked.errors:
            raise ValueError(f"{path.name}: {len(checked.errors)} rows with errors, e.g. {checked.errors[0]}")
        stem = path.stem
        agency = entry.agency or stem
        rows += [(f"{stem}:{r.reference}", stem, agency, r.trading_name, r.company_name, r.address, r.postcode,
                  r.phone, r.contact) for r in checked.rows]
    return pd.DataFrame(rows, columns=list(COLUMNS))
