"""Reading, mapping and checking agency exports before they are imported."""
from __future__ import annotations

import io
from datetime import date, datetime

import pandas as pd
import pytest
from openpyxl import Workbook

from core.demo_catalogue import DATASETS
from core.errors import ValidationError
from core.importing import reader
from core.importing.mapping import FileMapping, clean_columns, dump_mapping, load_mapping, suggest_mapping, used_columns
from core.importing.reader import read_table
from core.importing.risk import band_for, check_scale, suggest_risk_scale
from core.importing.validate import RejectedFile, check, parse_date, report_frame

HEADER = "FHRSID,BusinessName,AddressLine1,PostCode,RatingValue,RatingDate\n"


# --- reading ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("data", "encoding"), [
    ((HEADER + "1,Café Rouge,1 High St,KM1 1AA,5,2024-01-02\n").encode("utf-8"), "utf-8"),
    (b"\xef\xbb\xbf" + (HEADER + "1,Café Rouge,1 High St,KM1 1AA,5,2024-01-02\n").encode("utf-8"), "utf-8-sig"),
    ((HEADER + "1,Café Rouge,1 High St,KM1 1AA,5,2024-01-02\n").encode("cp1252"), "cp1252"),
])
def test_reads_utf8_bom_and_windows_1252(data: bytes, encoding: str) -> None:
    table = read_table(data, "fs.csv")
    assert table.encoding == encoding
    assert list(table.frame.columns)[0] == "FHRSID"  # no BOM glued to the first header
    assert table.frame.loc[0, "BusinessName"] == "Café Rouge"


def test_a_file_in_no_supported_encoding_is_refused_with_what_to_do() -> None:
    data = HEADER.encode() + b"1,Caf\x81,1 High St,KM1 1AA,5,2024-01-02\n"  # 0x81 is undefined in Windows-1252
    with pytest.raises(ValidationError, match="UTF-8, UTF-8 with BOM or Windows-1252"):
        read_table(data, "fs.csv")


@pytest.mark.parametrize("sep", [";", "\t", "|"])
def test_other_delimiters_are_sniffed(sep: str) -> None:
    text = "Ref{0}Name{0}Address\nA1{0}Kebab, Grill & Co{0}\"1, High St\"\nA2{0}Deli{0}2 Low Rd\n".replace("{0}", sep)
    table = read_table(text.encode(), "x.csv")
    assert table.delimiter == sep
    assert table.frame.to_dict("records")[0] == {"Ref": "A1", "Name": "Kebab, Grill & Co", "Address": "1, High St"}


def test_cells_are_strings_and_leading_zeros_survive() -> None:
    frame = read_table(b"Ref,Tel,Score\n007,01632960123,\n", "x.csv").frame
    assert frame.to_dict("records") == [{"Ref": "007", "Tel": "01632960123", "Score": ""}]


def test_reads_xlsx_with_dates_and_whole_numbers_as_text() -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(["Licence No", "Premises Name", "Last Inspection", "Score"])
    sheet.append(["PL/001", "The Crown", datetime(2024, 3, 1), 72.0])
    buf = io.BytesIO()
    book.save(buf)
    table = read_table(buf.getvalue(), "lic.xlsx")
    assert table.frame.to_dict("records") == [{"Licence No": "PL/001", "Premises Name": "The Crown",
                                               "Last Inspection": "2024-03-01", "Score": "72"}]


def test_size_and_row_limits_are_stated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reader, "MAX_BYTES", 100)
    with pytest.raises(ValidationError, match="the limit is 0 MB"):
        read_table(b"Ref\n" + b"A\n" * 100, "big.csv")
    monkeypatch.setattr(reader, "MAX_BYTES", 50 * 1024 * 1024)
    monkeypatch.setattr(reader, "MAX_ROWS", 3)
    with pytest.raises(ValidationError, match="more than 3 rows; the limit is 3 rows"):
        read_table(b"Ref\nA\nB\nC\nD\n", "big.csv")
    assert len(read_table(b"Ref\nA\nB\nC\n", "ok.csv").frame) == 3


def test_empty_and_non_text_files_are_refused() -> None:
    with pytest.raises(ValidationError, match="empty"):
        read_table(b"  \n", "x.csv")
    with pytest.raises(ValidationError, match="not a readable .xlsx"):
        read_table(b"PK\x03\x04 not really a zip", "x.xlsx")


# --- mapping ---------------------------------------------------------------------------------


@pytest.mark.parametrize("spec", DATASETS, ids=lambda s: s.agency)
def test_suggestion_from_the_demo_agencies_headers_matches_their_mapping(spec) -> None:  # noqa: ANN001
    want = {**clean_columns(spec.column_mapping), "extra": []}
    assert suggest_mapping(pd.DataFrame(columns=used_columns(spec.column_mapping))) == want


def test_suggestion_from_synonyms_and_address_lines() -> None:
    frame = pd.DataFrame(columns=["Licence No", "Trading Name", "Operator", "Address Line 1", "Address Line 2",
                                  "Post Code", "Tel", "DPS", "Risk Rating", "Last Visit"])
    assert suggest_mapping(frame) == {
        "reference": "Licence No", "name": ["Trading Name", "Operator"], "address": ["Address Line 1", "Address Line 2"],
        "postcode": "Post Code", "phone": "Tel", "contact": "DPS", "risk": "Risk Rating", "last_contact": "Last Visit",
        "sector": None, "extra": []}


def test_suggestion_from_content_when_headers_say_nothing() -> None:
    frame = pd.DataFrame({
        "col1": ["Kebab House", "Deli", "Grill"],
        "col2": ["X-101", "X-102", "X-103"],
        "col3": ["km1 2ab", "KM2 3CD", "KM3 4EF"],
        "col4": ["01632 960111", "07700 900123", "+44 1632 960999"],
        "col5": ["1 Mar 2024", "02/03/2023", "2022-01-01"],
    })
    got = suggest_mapping(frame)
    assert (got["reference"], got["postcode"], got["phone"], got["last_contact"]) == ("col2", "col3", "col4", "col5")


def test_mapping_yaml_round_trip_and_errors() -> None:
    entries = [FileMapping("FS_food_hygiene.csv", "FS", clean_columns(DATASETS[0].column_mapping)),
               FileMapping("ENV.csv", "ENV", clean_columns(DATASETS[4].column_mapping))]
    again = load_mapping(dump_mapping(entries))
    assert [(e.file, e.agency, e.columns) for e in again] == [(e.file, e.agency, e.columns) for e in entries]
    assert again[1].columns["extra"] == ["Notes"]
    readme_style = "datasets:\n  - file: a.csv\n    agency: FS\n    columns:\n      reference: FHRSID\n      name: [BusinessName, OperatorName]\n"
    assert load_mapping(readme_style)[0].columns["name"] == ["BusinessName", "OperatorName"]
    with pytest.raises(ValidationError, match="entry 1 .a.csv.: Mapping: unknown field"):
        load_mapping("datasets:\n  - file: a.csv\n    columns: {refrence: X}\n")
    with pytest.raises(ValidationError, match="top-level 'datasets:'"):
        load_mapping("- a\n")


# --- checking rows ---------------------------------------------------------------------------


def _frame(rows: list[dict[str, str]]) -> pd.DataFrame:
    return pd.DataFrame(rows, dtype=object)


COLUMNS = {"reference": "Ref", "name": ["Name", "Company"], "address": ["Line1", "Line2"], "postcode": "PC",
           "risk": "Risk", "last_contact": "Visited"}


def _row(ref: str, **kw: str) -> dict[str, str]:
    base = {"Ref": ref, "Name": "Deli", "Company": "Deli Ltd", "Line1": "1 High St", "Line2": "Town",
            "PC": "KM1 1AA", "Risk": "A", "Visited": "2024-03-01"}
    return {**base, **kw}


def test_clean_rows_join_address_lines_and_parse_dates_in_every_accepted_form() -> None:
    rows = [_row("R1"), _row("R2", Visited="31/03/2024", Line2=""), _row("R3", Visited="1 Mar 2024"),
            _row("R4", Visited="45352"), _row("R5", Visited="")]
    checked = check(_frame(rows), COLUMNS, {"A": "high"})
    assert checked.ok and not checked.issues
    first = checked.rows[0]
    assert (first.row, first.trading_name, first.company_name, first.address, first.risk_band) == (
        2, "Deli", "Deli Ltd", "1 High St, Town", "high")
    assert checked.rows[1].address == "1 High St"
    assert [r.last_contact for r in checked.rows] == [date(2024, 3, 1), date(2024, 3, 31), date(2024, 3, 1),
                                                      date(2024, 3, 1), None]


def test_report_names_row_column_problem_and_value_errors_first() -> None:
    rows = [_row("R1"), _row(""), _row("R1"), _row("R4", Visited="next Tuesday"), _row("R5", PC="NOT A PC"),
            _row("R6", Risk="Z")]
    checked = check(_frame(rows), COLUMNS, {"A": "high", "B": "medium"})
    report = report_frame(checked.issues)
    assert report.to_dict("records") == [
        {"Row": 3, "Severity": "error", "Column": "Ref", "Value": "",
         "Problem": "the reference is missing: every row needs the agency's own reference"},
        {"Row": 4, "Severity": "error", "Column": "Ref", "Value": "R1", "Problem": "duplicate reference: row 2 has the same one"},
        {"Row": 5, "Severity": "error", "Column": "Visited", "Value": "next Tuesday",
         "Problem": "date not understood: write it as 2024-03-31, 31/03/2024 or 31 Mar 2024"},
        {"Row": 6, "Severity": "warning", "Column": "PC", "Value": "NOT A PC",
         "Problem": "not a valid UK postcode: kept as written, matching relies on the address"},
        {"Row": 7, "Severity": "warning", "Column": "Risk", "Value": "Z",
         "Problem": "this value is not in the dataset's risk scale: the band is left empty until the scale covers it"},
    ]
    assert [r.reference for r in checked.rows] == ["R1", "R5", "R6"]
    assert checked.rows[1].postcode == "NOT A PC" and checked.rows[2].risk_band is None
    with pytest.raises(RejectedFile, match="3 errors .first: row 3, Ref: the reference is missing") as exc:
        checked.raise_if_errors()
    assert len(exc.value.issues) == 5


def test_a_mapping_naming_a_missing_column_is_refused() -> None:
    with pytest.raises(ValidationError, match="'Telephone' is not a column of this file"):
        check(_frame([_row("R1")]), {**COLUMNS, "phone": "Telephone"})
    with pytest.raises(ValidationError, match="choose the column that holds the agency's reference"):
        check(_frame([_row("R1")]), {**COLUMNS, "reference": None})


def test_postcodes_are_made_canonical() -> None:
    checked = check(_frame([_row("R1", PC="km11aa")]), COLUMNS)
    assert checked.rows[0].postcode == "KM1 1AA"


@pytest.mark.parametrize(("text", "expected"), [
    ("2024-02-29", date(2024, 2, 29)), ("2024-02-29 00:00:00", date(2024, 2, 29)), ("29/02/2024", date(2024, 2, 29)),
    ("29-02-2024", date(2024, 2, 29)), ("1 March 2024", date(2024, 3, 1)), ("01-Mar-2024", date(2024, 3, 1)),
    ("45352", date(2024, 3, 1)), ("30/02/2024", None), ("2024/13/01", None), ("soon", None),
])
def test_parse_date(text: str, expected: date | None) -> None:
    assert parse_date(text) == expected


# --- risk scales -----------------------------------------------------------------------------


@pytest.mark.parametrize(("values", "column", "expected"), [
    (["0", "1", "2", "3", "4", "5"], "RatingValue",
     {"0": "high", "1": "high", "2": "medium", "3": "low", "4": "low", "5": "low"}),
    (["1", "2", "3", "4", "5"], "Threat", {"5": "high", "4": "high", "3": "medium", "2": "low", "1": "low"}),
    (["High", "Medium", "Low"], "Risk", {"High": "high", "Medium": "medium", "Low": "low"}),
    (["A", "B", "C"], "Risk Rating", {"A": "high", "B": "medium", "C": "low"}),
    (["Red", "Amber", "Green"], "RAG", {"Red": "high", "Amber": "medium", "Green": "low"}),
    (["Level 1", "Level 2", "Level 3"], "", {"Level 3": "high", "Level 2": "medium", "Level 1": "low"}),
    ([str(v) for v in (3, 18, 44, 71, 99)], "Risk Score", {"type": "numeric", "high_from": 70, "medium_from": 40}),
    (["", " "], "Risk", {}),
])
def test_suggest_risk_scale(values: list[str], column: str, expected: dict) -> None:
    assert suggest_risk_scale(values, column) == expected


def test_band_for_categorical_and_numeric_scales() -> None:
    numeric = {"type": "numeric", "high_from": 70, "medium_from": 40}
    assert [band_for(numeric, v) for v in ("70", "69.5", "40", "12", "n/a", "")] == ["high", "medium", "medium", "low", None, None]
    stars = {"0": "high", "3": "low"}
    assert [band_for(stars, v) for v in ("0", " 3 ", "3.0", "4")] == ["high", "low", "low", None]
    assert band_for({"Red": "high"}, "RED") == "high"


def test_check_scale_refuses_what_is_not_a_band() -> None:
    assert check_scale({" A ": "High", "": "low"}) == {"A": "high"}
    with pytest.raises(ValidationError, match="band for 'B' must be high, medium or low"):
        check_scale({"B": "severe"})
    with pytest.raises(ValidationError, match="'medium from' must be lower"):
        check_scale({"type": "numeric", "high_from": 40, "medium_from": 70})
