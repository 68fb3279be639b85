"""The headless `python -m core.cli link` command: a folder of exports in, clusters out."""
from __future__ import annotations

import csv
from pathlib import Path

import pytest

from core.cli import main

FS = ("FHRSID,BusinessName,AddressLine1,PostCode,Telephone,RatingValue,RatingDate\n"
      "F1,Chicken Shop,12 The Broadway,KM1 1AA,01632 960123,1,01/02/2024\n"
      "F2,Nail Bar,3 High St,KM1 2BB,,4,2024-02-01\n")
TS = ("Premises Ref;Trading Name;Address;Postcode;Phone;Risk Rating\n"
      "T1;The Chicken Shop;12 Broadway;KM1 1AA;01632960123;A\n"
      "T2;Vape World;9 Station Rd;KM3 4DD;;B\n")


def _rows(path: Path) -> dict[str, dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return {r["record_id"]: r for r in csv.DictReader(fh)}


def test_link_a_folder_with_suggested_mappings(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "FS_food.csv").write_text(FS, encoding="utf-8")
    (tmp_path / "TS.csv").write_bytes(TS.encode("cp1252"))
    (tmp_path / "truth.csv").write_text("record_id,business_id\nFS_food:F1,1\n", encoding="utf-8")
    out = tmp_path / "clusters.csv"
    assert main(["link", str(tmp_path), "--out", str(out)]) == 0
    rows = _rows(out)
    assert set(rows) == {"FS_food:F1", "FS_food:F2", "TS:T1", "TS:T2"}
    assert rows["FS_food:F1"]["cluster_id"] == rows["TS:T1"]["cluster_id"]  # the same chicken shop
    assert len({r["cluster_id"] for r in rows.values()}) == 3
    assert all(0 <= float(r["score"]) <= 100 for r in rows.values())
    err = capsys.readouterr().err
    assert "FS_food.csv: agency FS_food, 2 records" in err and "truth.csv: no reference" in err and "stages:" in err


def test_link_with_a_mapping_file(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text("Id,Shop,Street,Code\nA1,Chicken Shop,12 The Broadway,KM1 1AA\n", encoding="utf-8")
    (tmp_path / "b.csv").write_text("Id,Shop,Street,Code\nB1,Chicken Shop Ltd,12 The Broadway,KM1 1AA\n", encoding="utf-8")
    cols = "    columns: {reference: Id, name: [Shop], address: [Street], postcode: Code}\n"
    (tmp_path / "m.yaml").write_text(f"datasets:\n  - file: a.csv\n    agency: FS\n{cols}  - file: b.csv\n    agency: TS\n{cols}")
    out, pairs = tmp_path / "out.csv", tmp_path / "pairs.out"
    assert main(["link", str(tmp_path), "--mapping", str(tmp_path / "m.yaml"), "--out", str(out),
                 "--pairs", str(pairs)]) == 0
    rows = _rows(out)
    assert set(rows) == {"a:A1", "b:B1"} and rows["a:A1"]["cluster_id"] == rows["b:B1"]["cluster_id"]
    with pairs.open(newline="", encoding="utf-8") as f:
        scored = list(csv.DictReader(f))
    assert [(r["record_a"], r["record_b"]) for r in scored] == [("a:A1", "b:B1")] and float(scored[0]["score"]) >= 85


def test_errors_in_a_file_are_printed_and_the_command_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "FS.csv").write_text(FS + "F1,Duplicate,1 A St,KM1 1AA,,3,\n", encoding="utf-8")
    out = tmp_path / "clusters.csv"
    assert main(["link", str(tmp_path), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "FS.csv: 1 error(s)" in err and "duplicate reference: row 2 has the same one" in err
    assert not out.exists()
    assert main(["link", str(tmp_path), "--mapping", str(tmp_path / "none.yaml"), "--out", str(out)]) == 2
    assert "Mapping file" in capsys.readouterr().err
