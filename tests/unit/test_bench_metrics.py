"""The benchmark's clustering metrics on small hand-made examples."""
from __future__ import annotations

import sys
from itertools import combinations
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from metrics import score  # noqa: E402

TRUTH = {  # business A held by FS and TS (3 records), B by FS and LIC, C by ENV only (2 incidents), D alone
    "FS_x:1": "A", "FS_x:2": "A", "TS_x:1": "A",
    "FS_x:3": "B", "LIC_x:1": "B",
    "ENV_x:1": "C", "ENV_x:2": "C",
    "HOU_x:1": "D",
}


def _enumerated(truth: dict[str, str], predicted: dict[str, object]) -> tuple[float, float]:
    """Precision and recall by listing every pair: the slow definition the counting must agree with."""
    same_true = {p for p in combinations(sorted(truth), 2) if truth[p[0]] == truth[p[1]]}
    cluster = {r: predicted.get(r, ("lone", r)) for r in truth}
    same_pred = {p for p in combinations(sorted(truth), 2) if cluster[p[0]] == cluster[p[1]]}
    both = same_true & same_pred
    return (len(both) / len(same_pred) if same_pred else 1.0), (len(both) / len(same_true) if same_true else 1.0)


def test_perfect_clustering_scores_one_and_recovers_every_multi_agency_business() -> None:
    s = score(TRUTH, {r: f"c{e}" for r, e in TRUTH.items()})
    assert (s.precision, s.recall, s.f1) == (1.0, 1.0, 1.0)
    assert s.multi_agency == 2 and s.multi_agency_exact == 1.0
    assert s.true_pairs == 3 + 1 + 1


def test_everything_alone_has_no_recall_and_vacuous_precision() -> None:
    s = score(TRUTH, {})
    assert s.recall == 0.0 and s.precision == 1.0 and s.f1 == 0.0
    assert s.multi_agency_exact == 0.0


def test_over_merging_two_businesses_costs_precision_and_both_exact_recoveries() -> None:
    predicted = {r: ("AB" if e in "AB" else e) for r, e in TRUTH.items()}
    s = score(TRUTH, predicted)
    assert s.recall == 1.0
    assert s.predicted_pairs == 10 + 1  # the 5 records of A and B together, plus C's pair
    assert s.precision == pytest.approx(5 / 11)
    assert s.multi_agency_exact == 0.0


def test_a_business_split_or_with_a_stranger_is_not_recovered_exactly() -> None:
    predicted = {r: e for r, e in TRUTH.items()}
    predicted["TS_x:1"] = "elsewhere"      # A split: FS records together, TS alone
    predicted["HOU_x:1"] = "B"             # D wrongly joins B
    s = score(TRUTH, predicted)
    assert s.multi_agency == 2 and s.multi_agency_exact == 0.0
    p, r = _enumerated(TRUTH, predicted)
    assert (s.precision, s.recall) == (pytest.approx(p), pytest.approx(r))


@pytest.mark.parametrize("predicted", [
    {"FS_x:1": 1, "FS_x:2": 1, "TS_x:1": 2, "FS_x:3": 2, "LIC_x:1": 2, "ENV_x:1": 3, "ENV_x:2": 1},
    {"FS_x:1": 1, "TS_x:1": 1, "LIC_x:1": 1, "ENV_x:1": 1, "HOU_x:1": 1},
    {r: 0 for r in TRUTH},
])
def test_counting_agrees_with_enumerating_pairs(predicted: dict[str, object]) -> None:
    s = score(TRUTH, predicted)
    p, r = _enumerated(TRUTH, predicted)
    assert (s.precision, s.recall) == (pytest.approx(p), pytest.approx(r))


def test_predicted_records_unknown_to_the_truth_are_ignored() -> None:
    predicted = {r: f"c{e}" for r, e in TRUTH.items()} | {"XX_y:9": "cA"}
    assert score(TRUTH, predicted).precision == 1.0


def test_generated_exports_match_their_mapping_and_truth(tmp_path: Path) -> None:
    """Every record the mapping reads is in truth.csv and back; the same seed gives the same files."""
    import csv

    from exports import read_exports
    from premises import FILES, generate

    bench = Path(__file__).resolve().parents[2] / "bench"
    counts = generate(300, 5, tmp_path / "a")
    generate(300, 5, tmp_path / "b")
    assert set(counts) == set(FILES.values())
    records = read_exports(tmp_path / "a", bench / "premises_mapping.yaml")
    with open(tmp_path / "a" / "truth.csv", encoding="utf-8") as f:
        truth = {row["record_id"]: row["business_id"] for row in csv.DictReader(f)}
    assert sorted(records["record_id"]) == sorted(truth)
    assert len(records) == sum(counts.values())
    assert (tmp_path / "a" / "FRS_fire_audits.csv").read_bytes() == (tmp_path / "b" / "FRS_fire_audits.csv").read_bytes()
    by_business: dict[str, set[str]] = {}
    for rid, bid in truth.items():
        by_business.setdefault(bid, set()).add(rid.split("_", 1)[0])
    multi = sum(len(a) >= 2 for a in by_business.values()) / len(by_business)
    assert 0.25 < multi < 0.45  # about 35% of businesses held by 2+ agencies


def test_exact_entities_counts_every_business_kept_whole_and_apart() -> None:
    from metrics import exact_entities

    predicted = {r: e for r, e in TRUTH.items()}
    predicted["HOU_x:1"] = "C"  # D (alone) joins C: neither is exact any more
    assert exact_entities(TRUTH, predicted) == {"A", "B"}
    assert exact_entities(TRUTH, {}) == {"D"}  # nothing linked: only the one-record business is right
