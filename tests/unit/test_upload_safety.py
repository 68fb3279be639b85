"""Uploads that used to hurt: read in a child process with limits, refused with the row and column to fix.

The files are in tests/fixtures/uploads/ (see make_uploads.py for what each one is and why).
"""
from __future__ import annotations

import csv
import io
import random
import time
from pathlib import Path

import pytest

from core.errors import ValidationError
from core.importing import sandbox
from core.importing.parse import Limits
from core.importing.reader import read_table
from core.importing.validate import check, report_csv
from tests.fixtures.uploads.make_uploads import SHEET_HEAD, inline, workbook

UPLOADS = Path(__file__).resolve().parents[1] / "fixtures" / "uploads"
MB = 1024 * 1024


def upload(name: str) -> bytes:
    return (UPLOADS / name).read_bytes()


# --- .xlsx: sizes checked from the XML before any reader sees the workbook ---------------------


def test_the_dimension_bomb_is_refused_from_its_declared_range() -> None:
    started = time.perf_counter()
    with pytest.raises(sandbox.Refused, match=r"declares its cells as A1:XFD1048576") as exc:
        read_table(upload("dimension_bomb.xlsx"), "bomb.xlsx")
    message = str(exc.value)
    assert "1,048,576 rows by 16,384 columns" in message and "500,000 rows" in message, message
    assert time.perf_counter() - started < 10
    assert exc.value.peak_kb * 1024 < 100 * MB


def test_cells_in_far_corners_are_refused_without_a_declared_range() -> None:
    data = workbook([SHEET_HEAD, "<sheetData>", f'<row r="1">{inline("A1", "Ref")}</row>',
                     f'<row r="1048576">{inline("XFD1048576", "x")}</row>', "</sheetData></worksheet>"])
    with pytest.raises(sandbox.Refused, match=r"cells run from A1 to XFD1048576"):
        read_table(data, "corners.xlsx")


def test_rows_are_counted_from_the_xml_before_reading_two_million_of_them() -> None:
    data = upload("rows_2000000.xlsx")
    started = time.perf_counter()
    with pytest.raises(sandbox.Refused, match=r"more than 500,000 rows; the limit is 500,000 rows") as exc:
        read_table(data, "rows.xlsx")
    assert time.perf_counter() - started < 20
    assert exc.value.peak_kb * 1024 < 100 * MB, f"child peaked at {exc.value.peak_kb / 1024:.0f} MB"


def test_a_legible_workbook_still_reads_with_its_excel_row_numbers() -> None:
    data = workbook([SHEET_HEAD, "<sheetData>",
                     f'<row r="3">{inline("B3", "Ref")}{inline("C3", "Name")}</row>',
                     f'<row r="4">{inline("B4", "R1")}{inline("C4", "Deli")}</row>',
                     f'<row r="6">{inline("B6", "R2")}{inline("C6", "Grill")}</row>', "</sheetData></worksheet>"])
    table = read_table(data, "ok.xlsx")
    assert table.frame.to_dict("records") == [{"Ref": "R1", "Name": "Deli"}, {"Ref": "R2", "Name": "Grill"}]
    assert table.frame.attrs["file_rows"] == [4, 6]


def test_an_xlsx_cell_holding_a_nul_is_refused_naming_row_and_column() -> None:
    data = workbook([SHEET_HEAD, "<sheetData>", f'<row r="1">{inline("A1", "Ref")}{inline("B1", "Name")}</row>',
                     f'<row r="2">{inline("A2", "R1")}{inline("B2", "Nail_x0000_Bar")}</row>', "</sheetData></worksheet>"])
    with pytest.raises(ValidationError, match=r"row 2, column 'Name'.*NUL"):
        read_table(data, "nul.xlsx")


# --- the child process: the worst a reader can do costs one refused upload ----------------------


def test_the_memory_limit_stops_a_reader_that_aborts_the_process() -> None:
    """python-calamine handed the bomb with no check before it: the child aborts (SIGABRT), we refuse the file."""
    with pytest.raises(sandbox.Refused, match=r"bomb.xlsx could not be read within the limits of an import: "
                                              r"it needed more memory than the \d[\d,]* MB"):
        sandbox.run(upload("dimension_bomb.xlsx"), "bomb.xlsx", target="tests.unit.sandbox_targets:calamine_unchecked")


def test_a_memory_error_in_python_is_a_refusal_too() -> None:
    with pytest.raises(sandbox.Refused, match=r"needed more memory than the 256 MB"):
        sandbox.run(b"x", "x.csv", target="tests.unit.sandbox_targets:hoard", memory_mb=256)


def test_a_reader_that_runs_too_long_is_stopped() -> None:
    started = time.perf_counter()
    with pytest.raises(sandbox.Refused, match=r"took longer than the 2 seconds"):
        sandbox.run(b"x", "x.csv", target="tests.unit.sandbox_targets:spin", seconds=2)
    assert time.perf_counter() - started < 10


def test_a_reader_sending_more_than_any_upload_holds_is_stopped() -> None:
    with pytest.raises(sandbox.Refused, match=r"more data than"):
        sandbox.run(b"Ref\nA\n", "x.csv", target="tests.unit.sandbox_targets:chatter",
                    limits=Limits(max_text_chars=1_000_000))


def test_the_child_gets_no_secrets_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://hub:secret@db/partnership")
    monkeypatch.setenv("PH_COOKIE_KEY", "not-for-the-child")
    assert sandbox.child_environment().keys() <= {"PATH", "LANG", "LC_ALL"}


# --- CSV: streamed, and refused with the row and column when it would lose data ----------------


def _big_csv(rows: int) -> bytes:
    rnd = random.Random(7)
    lines = ["Ref,Name,Address,Postcode,Risk,Last Visit"]
    lines += [f"R{i},Shop {rnd.randint(0, 99999)},{rnd.randint(1, 200)} High Street,KM1 {rnd.randint(1, 9)}AA,"
              f"{rnd.randint(0, 5)},2024-0{rnd.randint(1, 9)}-1{rnd.randint(0, 9)}" for i in range(rows)]
    return ("\n".join(lines) + "\n").encode()


def test_a_600001_row_csv_is_refused_while_streaming_well_under_its_size_in_memory() -> None:
    data = _big_csv(600_001)
    with pytest.raises(sandbox.Refused, match=r"more than 500,000 rows") as exc:
        read_table(data, "big.csv")
    # The old reader peaked at 588 MB for this 32 MB file, in the server's own process (bench/import_memory.py).
    assert exc.value.peak_kb * 1024 < 2.5 * len(data), f"child peaked at {exc.value.peak_kb / 1024:.0f} MB for {len(data) / MB:.0f} MB"


def test_a_large_csv_is_read_streaming() -> None:
    data = _big_csv(200_000)
    table = read_table(data, "large.csv")
    assert len(table.frame) == 200_000 and table.frame.iloc[-1]["Ref"] == "R199999"
    assert table.reader_peak_kb * 1024 < 2 * len(data) + 40 * MB, f"child peaked at {table.reader_peak_kb / 1024:.0f} MB"


def test_an_unclosed_quote_is_refused_naming_row_and_column() -> None:
    with pytest.raises(ValidationError, match=r"row 42, column 'BusinessName': a quotation mark") as exc:
        read_table(upload("unclosed_quote.csv"), "unclosed_quote.csv")
    assert "Nothing was imported" in str(exc.value)


def test_a_quote_closed_in_the_wrong_place_is_refused() -> None:
    data = (b'Ref,Name,Address\nR1,"Kebab House,1 High St\nR2,Deli,"2, Low Rd"\nR3,Grill,3 Mill Lane\n')
    with pytest.raises(ValidationError, match=r"row 2, column 'Name': a quotation mark"):
        read_table(data, "x.csv")


def test_a_cell_that_swallowed_whole_rows_is_refused() -> None:
    data = (b'Ref,Name,Address,Postcode\nR1,"Kebab House,1 High St,KM1 1AA\nR2,Deli,2 Low Rd,KM1 1AB\n'
            b'R3,Grill,3 Mill Lane,KM1 1AC",KM1 1AD\nR4,Cafe,4 Quay,KM1 1AE\n')
    with pytest.raises(ValidationError, match=r"row 2, column 'Name': a quotation mark"):
        read_table(data, "x.csv")


def test_quoted_values_with_line_breaks_are_kept_and_rows_numbered_as_in_the_file() -> None:
    data = b'Ref,Name,Notes\nR1,Deli,"first line\nsecond line"\n\nR2,Grill,plain\n'
    table = read_table(data, "notes.csv")
    assert table.frame.to_dict("records") == [{"Ref": "R1", "Name": "Deli", "Notes": "first line\nsecond line"},
                                              {"Ref": "R2", "Name": "Grill", "Notes": "plain"}]
    assert table.frame.attrs["file_rows"] == [2, 5]
    checked = check(table.frame, {"reference": "Ref", "name": ["Name"], "last_contact": "Notes"})
    assert [i.row for i in checked.errors] == [2, 5]  # rows as numbered in the file


def test_a_nul_byte_is_refused_naming_row_and_column() -> None:
    with pytest.raises(ValidationError, match=r"row 81, column 'BusinessName'.*NUL"):
        read_table(upload("nul_byte.csv"), "nul_byte.csv")


def test_a_file_of_mixed_encodings_is_refused_naming_the_stray_byte() -> None:
    with pytest.raises(ValidationError, match=r"row 31, column 'BusinessName'.*0xE8.*UTF-8") as exc:
        read_table(upload("mixed_encoding.csv"), "mixed_encoding.csv")
    assert "Save it again as CSV UTF-8" in str(exc.value)


def test_a_whole_windows_1252_file_is_still_read() -> None:
    data = "Ref,Name\nR1,Crème Brûlée Bar\nR2,Café Noir\n".encode("cp1252")
    table = read_table(data, "ansi.csv")
    assert table.encoding == "cp1252" and list(table.frame["Name"]) == ["Crème Brûlée Bar", "Café Noir"]


def test_a_row_with_more_values_than_the_header_names_is_refused() -> None:
    data = b"Ref,Name,Address\nR1,Deli,1 High St\nR2,Smith, Jones and Co,2 High St\nR3,Grill,,\n"
    with pytest.raises(ValidationError, match=r"row 3 has 4 values but the header names 3 columns"):
        read_table(data, "x.csv")


def test_the_validation_report_csv_is_safe_for_excel() -> None:
    table = read_table(upload("formula_cells.csv"), "formula_cells.csv")
    mapping = {"reference": "FHRSID", "name": ["BusinessName"], "address": ["AddressLine1"], "postcode": "PostCode",
               "risk": "RatingValue", "last_contact": "RatingDate"}
    checked = check(table.frame, mapping, {"1": "high"})
    values = {i.value for i in checked.issues}
    assert any(v.startswith("=HYPERLINK(") for v in values) and "=1+1" in values  # the report is about these cells
    rows = list(csv.reader(io.StringIO(report_csv(checked.issues, "formula_cells.csv").decode("utf-8-sig"))))
    assert rows[0][0].startswith("OFFICIAL-SENSITIVE") and rows[-1] == ["OFFICIAL-SENSITIVE"]
    assert rows[1] == ["Row", "Severity", "Column", "Problem", "Value"]
    cells = [c for r in rows for c in r]
    assert not [c for c in cells if c.startswith(("=", "+", "-", "@", "\t", "\r"))], cells
    assert "'=1+1" in cells and "'@SUM(A1:A9)" in cells
