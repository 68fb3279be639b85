"""Weights learned from the records being matched (core/matching/em.py through link(learn=True)).

On exports from bench/premises.py (a small run, made afresh): learning from a deliberately poor
start recovers most of the accuracy the hand weights reach (it learns, it does not copy the start);
the same records in another order give the same clusters and the same weights; decisions count.
"""
from __future__ import annotations

import random
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from core.cli import read_folder
from core.matching import MatchInput, MatchSettings, link

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))
from metrics import score  # noqa: E402

FLAT = {f: (2.0, 1.0, -1.0, -2.0) for f in ("name", "address", "number", "postcode", "phone", "contact")}


@pytest.fixture(scope="module")
def exports(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[MatchInput], dict[str, str]]:
    folder = tmp_path_factory.mktemp("premises")
    subprocess.run([sys.executable, str(ROOT / "bench" / "premises.py"), "--businesses", "600", "--seed", "5",
                    "--out", str(folder)], check=True, stdout=subprocess.DEVNULL)
    records = read_folder(folder, str(ROOT / "bench" / "premises_mapping.yaml"))
    assert records
    with open(folder / "truth.csv", encoding="utf-8") as fh:
        truth = dict(line.strip().split(",", 1) for line in fh.readlines()[1:])
    return records, truth


def partition(cluster_of: dict[str, int]) -> set[frozenset[str]]:
    groups: dict[int, set[str]] = {}
    for record, cluster in cluster_of.items():
        groups.setdefault(cluster, set()).add(record)
    return {frozenset(g) for g in groups.values()}


def test_learning_from_a_poor_start_recovers_the_accuracy(exports: tuple[list[MatchInput], dict[str, str]]) -> None:
    records, truth = exports
    flat = score(truth, link(records, settings=MatchSettings(**FLAT)).cluster_of)
    learned = score(truth, link(records, settings=MatchSettings(learn=True, **FLAT)).cluster_of)
    hand = score(truth, link(records).cluster_of)
    assert flat.f1 < 0.7                     # the start alone is poor
    assert learned.f1 > 0.88                 # learning from the records makes it usable
    assert learned.f1 > hand.f1 - 0.05       # and close to what years of hand tuning reached


def test_learned_weights_are_probabilities(exports: tuple[list[MatchInput], dict[str, str]]) -> None:
    records, truth = exports
    result = link(records, settings=MatchSettings(learn=True))
    assert result.settings is not None and not result.settings.learn
    # Among the pairs called a match, the share that truly are one business is about what the scores say.
    matched = [p for p in result.pairs if p.band == "match"]
    said = sum(p.score for p in matched) / 100
    right = sum(truth[p.a] == truth[p.b] for p in matched)
    assert abs(right - said) / len(matched) < 0.1


def test_the_same_records_in_another_order_give_the_same_clusters_and_weights(
        exports: tuple[list[MatchInput], dict[str, str]]) -> None:
    records, _ = exports
    shuffled = records[:]
    random.Random(3).shuffle(shuffled)
    a = link(records, settings=MatchSettings(learn=True))
    b = link(shuffled, settings=MatchSettings(learn=True))
    assert partition(a.cluster_of) == partition(b.cluster_of)
    assert a.settings == replace(b.settings, name_by_sources=a.settings.name_by_sources)
    assert sorted(a.settings.name_by_sources) == sorted(b.settings.name_by_sources)


def test_a_reviewers_decision_holds_and_is_learned_from(exports: tuple[list[MatchInput], dict[str, str]]) -> None:
    records, truth = exports
    result = link(records, settings=MatchSettings(learn=True))
    pair = next(p for p in result.pairs if p.band == "match")
    decided = link(records, decisions={(pair.a, pair.b): "no match"}, settings=MatchSettings(learn=True))
    assert decided.cluster_of[pair.a] != decided.cluster_of[pair.b]
