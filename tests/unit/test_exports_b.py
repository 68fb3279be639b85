"""bench/exports_b.py: the second synthetic-exports generator, on small runs (300 businesses)."""
from __future__ import annotations

import csv
import importlib.util
import sys
from collections import defaultdict
from pathlib import Path

import pytest
import yaml
from openpyxl import load_workbook

ROOT = Path(__file__).resolve().parents[2]
N = 300


def _load_generator():
    spec = importlib.util.spec_from_file_location("exports_b", ROOT / "bench" / "exports_b.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["exports_b"] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


gen = _load_generator()


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = {}
    for key, seed in (("a", 1), ("b", 1), ("c", 2)):
        folder = tmp_path_factory.mktemp(f"exports_{key}")
        gen.generate(N, seed, folder)
        out[key] = folder
    return out


def _read_table(path: Path) -> tuple[list[str], list[list[str]]]:
    if path.suffix == ".xlsx":
        ws = load_workbook(path, read_only=True).active
        rows = [["" if c is None else str(c) for c in r] for r in ws.iter_rows(values_only=True)]
    else:
        with path.open(encoding="utf-8", newline="") as f:
            rows = list(csv.reader(f))
    return rows[0], rows[1:]


def _csv_dicts(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _datasets(folder: Path) -> list[dict]:
    return yaml.safe_load((folder / "mapping.yaml").read_text(encoding="utf-8"))["datasets"]


def _mapped_columns(entry: dict) -> list[str]:
    cols = []
    for value in entry["columns"].values():
        if isinstance(value, list):
            cols += value
        elif value is not None:
            cols.append(value)
    return cols


def test_the_same_seed_gives_identical_files(runs: dict[str, Path]) -> None:
    names = sorted(p.name for p in runs["a"].iterdir())
    assert names == sorted(p.name for p in runs["b"].iterdir())
    assert {"mapping.yaml", "truth.csv", "businesses.csv"} <= set(names)
    for name in names:
        assert (runs["a"] / name).read_bytes() == (runs["b"] / name).read_bytes(), name


def test_another_seed_gives_other_data(runs: dict[str, Path]) -> None:
    assert (runs["a"] / "truth.csv").read_bytes() != (runs["c"] / "truth.csv").read_bytes()
    for entry in _datasets(runs["a"]):
        assert (runs["a"] / entry["file"]).read_bytes() != (runs["c"] / entry["file"]).read_bytes(), entry["file"]


def test_eight_agencies_each_with_its_own_file_some_xlsx(runs: dict[str, Path]) -> None:
    datasets = _datasets(runs["a"])
    assert sorted(d["agency"] for d in datasets) == sorted(["FS", "LIC", "HOU", "FIRE", "HMRC", "IE", "ENV", "TS"])
    files = [d["file"] for d in datasets]
    assert len(set(files)) == 8
    assert sum(f.endswith(".xlsx") for f in files) >= 2
    assert sum(f.endswith(".csv") for f in files) >= 2
    exports = {p.name for p in runs["a"].iterdir()} - {"mapping.yaml", "truth.csv", "businesses.csv"}
    assert exports == set(files)


def test_every_mapped_column_exists_and_references_are_unique(runs: dict[str, Path]) -> None:
    for entry in _datasets(runs["a"]):
        header, rows = _read_table(runs["a"] / entry["file"])
        cols = entry["columns"]
        assert isinstance(cols["reference"], str)
        assert cols["name"] is None or isinstance(cols["name"], list)
        assert cols["address"] is None or isinstance(cols["address"], list)
        missing = [c for c in _mapped_columns(entry) if c not in header]
        assert missing == [], (entry["file"], missing)
        assert rows, entry["file"]
        refs = [r[header.index(cols["reference"])] for r in rows]
        assert all(ref.strip() for ref in refs), entry["file"]
        assert len(refs) == len(set(refs)), entry["file"]


def test_truth_has_every_record_exactly_once(runs: dict[str, Path]) -> None:
    folder = runs["a"]
    truth = _csv_dicts(folder / "truth.csv")
    assert list(truth[0]) == ["record_id", "business_id", "site_id"]
    ids = [t["record_id"] for t in truth]
    assert len(ids) == len(set(ids))
    records = []
    for entry in _datasets(folder):
        header, rows = _read_table(folder / entry["file"])
        stem = Path(entry["file"]).stem
        i = header.index(entry["columns"]["reference"])
        records += [f"{stem}:{r[i]}" for r in rows]
    assert len(records) == len(set(records))
    assert set(records) == set(ids)
    assert all(t["business_id"] and t["site_id"] for t in truth)
    assert 1.4 <= len(records) / N <= 2.0


def test_businesses_cover_every_business_of_the_truth(runs: dict[str, Path]) -> None:
    folder = runs["a"]
    truth = _csv_dicts(folder / "truth.csv")
    businesses = _csv_dicts(folder / "businesses.csv")
    assert list(businesses[0]) == ["business_id", "site_id", "cases"]
    ids = [b["business_id"] for b in businesses]
    assert len(ids) == len(set(ids))
    assert set(ids) == {t["business_id"] for t in truth}
    assert len(ids) == N  # every generated business has at least one record
    cases = {c for b in businesses for c in b["cases"].split(";") if c}
    assert {"hmo_above", "chain_branch", "proprietor_name", "postcode_typo", "incident_location"} <= cases


def test_a_share_of_businesses_is_held_by_several_agencies(runs: dict[str, Path]) -> None:
    agencies: dict[str, set[str]] = defaultdict(set)
    for t in _csv_dicts(runs["a"] / "truth.csv"):
        agencies[t["business_id"]].add(t["record_id"].split("_")[0])
    held = [len(a) for a in agencies.values()]
    several = sum(n >= 2 for n in held) / len(held)
    assert 0.15 <= several <= 0.45
    assert sum(n == 1 for n in held) > len(held) / 2
    assert max(held) >= 3


def test_an_hmo_shares_the_site_of_the_shop_below(runs: dict[str, Path]) -> None:
    folder = runs["a"]
    businesses = {b["business_id"]: b for b in _csv_dicts(folder / "businesses.csv")}
    on_site: dict[str, set[str]] = defaultdict(set)
    for t in _csv_dicts(folder / "truth.csv"):
        on_site[t["site_id"]].add(t["business_id"])
    hmos = [b for b in businesses.values() if "hmo_above" in b["cases"].split(";")]
    assert hmos
    for hmo in hmos:
        others = on_site[hmo["site_id"]] - {hmo["business_id"]}
        assert others, hmo
        assert any("shop_below_hmo" in businesses[o]["cases"].split(";") for o in others), hmo
        assert hmo["business_id"] in on_site[hmo["site_id"]]


def test_records_of_a_chain_are_different_businesses_at_different_sites(runs: dict[str, Path]) -> None:
    businesses = _csv_dicts(runs["a"] / "businesses.csv")
    branches = [b for b in businesses if "chain_branch" in b["cases"].split(";")]
    assert len(branches) >= 2
    assert len({b["site_id"] for b in branches}) == len(branches)


def test_the_command_line_writes_the_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert gen.main(["--businesses", "50", "--seed", "3", "--out", str(tmp_path / "out")]) == 0
    assert (tmp_path / "out" / "mapping.yaml").exists()
    assert "50 businesses" in capsys.readouterr().out
