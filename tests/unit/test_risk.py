"""The risk list's pure rules: the combined score and Excel-safe cells (what each sharing level shows: test_visibility)."""
from __future__ import annotations

import pytest

from core import risk


@pytest.mark.parametrize(("bands", "score"), [
    ([], 0),
    (["low"], 1),
    (["high"], 3),
    (["high", "high"], 3 + 3 + 2),
    (["high", "medium", "low"], 3 + 2 + 1 + 4),
    ([None, "medium"], 1 + 2 + 2),  # an agency with no band still counts as holding the business
    (["", "", "", ""], 4 + 6),
])
def test_combined_score(bands: list[str | None], score: int) -> None:
    assert risk.combined_score(bands) == score


def test_more_agencies_outrank_one_high_band() -> None:
    assert risk.combined_score(["low", "low"]) > risk.combined_score(["high"])


@pytest.mark.parametrize(("value", "expected"), [
    ("=SUM(A1:A2)", "'=SUM(A1:A2)"),
    ("+44 1632", "'+44 1632"),
    ("-1", "'-1"),
    ("@cmd", "'@cmd"),
    ("\tx", "'\tx"),
    ("Chicken Shop", "Chicken Shop"),
    ("", ""),
    (5, 5),
])
def test_excel_safe(value: object, expected: object) -> None:
    assert risk.excel_safe(value) == expected


def test_csv_has_bom_marking_and_safe_cells() -> None:
    data = risk.to_csv(["Name"], [["=1+1"], ["ok"]], "OFFICIAL-SENSITIVE", "note")
    assert data.startswith("\ufeff".encode())
    lines = data.decode("utf-8-sig").splitlines()
    assert lines[0] == "OFFICIAL-SENSITIVE · note" and lines[-1] == "OFFICIAL-SENSITIVE"
    assert lines[2] == "'=1+1"
