"""Clustering quality against ground truth, by counting (never by enumerating pairs)."""
from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Hashable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Scores:
    precision: float          # of the pairs put together, the share that are one business
    recall: float             # of the pairs that are one business, the share put together
    f1: float
    multi_agency: int         # true businesses whose records come from 2+ agencies
    multi_agency_exact: float  # share of those recovered exactly (one cluster, the same set of records)
    true_pairs: int
    predicted_pairs: int
    correct_pairs: int


def _pairs(n: int) -> int:
    return n * (n - 1) // 2


def score(truth: Mapping[str, Hashable], predicted: Mapping[str, Hashable],
          agency_of: Mapping[str, str] | None = None) -> Scores:
    """Pairwise precision/recall/F1 and exact recovery of multi-agency businesses.

    truth: record -> true entity; predicted: record -> cluster. A record of the truth missing from
    `predicted` counts as a cluster of its own; predicted records not in the truth are ignored.
    agency_of: record -> agency (default: the record id up to the first "_", as "FS_food_hygiene:123").
    """
    lone = object()
    cluster = {r: predicted.get(r, (lone, r)) for r in truth}
    true_pairs = sum(_pairs(n) for n in Counter(truth.values()).values())
    predicted_pairs = sum(_pairs(n) for n in Counter(cluster.values()).values())
    correct = sum(_pairs(n) for n in Counter((truth[r], cluster[r]) for r in truth).values())
    precision = correct / predicted_pairs if predicted_pairs else 1.0
    recall = correct / true_pairs if true_pairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0

    members: dict[Hashable, list[str]] = defaultdict(list)
    for r, e in truth.items():
        members[e].append(r)
    size = Counter(cluster.values())
    multi = exact = 0
    for records in members.values():
        agencies = {agency_of[r] if agency_of else r.split("_", 1)[0] for r in records}
        if len(agencies) < 2:
            continue
        multi += 1
        # exact: every record in one cluster and that cluster holds nothing else
        first = cluster[records[0]]
        if size[first] == len(records) and all(cluster[r] == first for r in records):
            exact += 1
    return Scores(precision, recall, f1, multi, exact / multi if multi else 1.0, true_pairs, predicted_pairs,
                  correct)
