"""Read a folder of agency exports with a column mapping (the format in README/MATCHING-API) into one table.

The benchmark's own reader, so that Splink gets the same records as our pipeline: CSV in UTF-8 or
Windows-1252, comma or semicolon separated, and .xlsx; every value read as text.
"""
from __future__ import annotations

import csv
import io
from datetime import datetime
from pathlib import Path

import pandas as pd
import yaml

COLUMNS = ("record_id", "source", "agency", "trading_name", "company_name", "address", "postcode", "phone",
           "contact")


def _as_list(spec: object) -> list[str]:
    if spec is None:
        return []
    return [spec] if isinstance(spec, str) else [str(c) for c in spec]


def _cell(v: object) -> str:
    """A spreadsheet cell as text; a date cell as its ISO date."""
    if v is None:
        return ""
    if isinstance(v, datetime):
        return v.date().isoformat()
    return str(v)


def read_file(path: Path) -> pd.DataFrame:
    """One export as text columns, whatever its encoding and delimiter."""
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        from openpyxl import load_workbook

        wb = load_workbook(path, read_only=True, data_only=True)
        rows = wb.worksheets[0].iter_rows(values_only=True)
        header = [str(h) for h in next(rows)]
        data = [[_cell(v) for v in row] for row in rows]
        wb.close()
        return pd.DataFrame(data, columns=header)
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252")
    header = text.split("\n", 1)[0]
    delimiter = ";" if header.count(";") > header.count(",") else ","
    return pd.read_csv(io.StringIO(text), sep=delimiter, dtype=str, keep_default_na=False, quoting=csv.QUOTE_MINIMAL)


def read_exports(folder: Path, mapping_path: Path) -> pd.DataFrame:
    """Every mapped file in `folder` as rows of COLUMNS; record_id = "<file stem>:<reference>"."""
    mapping = yaml.safe_load(mapping_path.read_text(encoding="utf-8"))
    frames = []
    for spec in mapping["datasets"]:
        path = folder / spec["file"]
        if not path.exists():
            continue
        df = read_file(path)
        cols = spec["columns"]
        stem = path.stem
        out = pd.DataFrame({"record_id": stem + ":" + df[cols["reference"]].astype(str)})
        out["source"] = stem
        out["agency"] = spec.get("agency", stem.split("_", 1)[0])
        names = _as_list(cols.get("name"))
        out["trading_name"] = df[names[0]] if names else ""
        out["company_name"] = df[names[1]] if len(names) > 1 else ""
        address = _as_list(cols.get("address"))
        if address:
            out["address"] = [", ".join(v for v in parts if v) for parts in zip(*(df[c].str.strip() for c in address))]
        else:
            out["address"] = ""
        for key in ("postcode", "phone", "contact"):
            out[key] = df[cols[key]] if cols.get(key) else ""
        frames.append(out)
    return pd.concat(frames, ignore_index=True)[list(COLUMNS)]
