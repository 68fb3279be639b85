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

    multi, exact = recovered(truth, predicted, agency_of)
    return Scores(precision, recall, f1, len(multi), len(exact) / len(multi) if multi else 1.0, true_pairs,
                  predicted_pairs, correct)


def recovered(truth: Mapping[str, Hashable], predicted: Mapping[str, Hashable],
              agency_of: Mapping[str, str] | None = None) -> tuple[set[Hashable], set[Hashable]]:
    """(true entities with records from 2+ agencies, those of them that form exactly one predicted cluster)."""
    members: dict[Hashable, list[str]] = defaultdict(list)
    for r, e in truth.items():
        members[e].append(r)
    multi = {e for e, records in members.items()
             if len({agency_of[r] if agency_of else r.split("_", 1)[0] for r in records}) >= 2}
    return multi, exact_entities(truth, predicted) & multi


def exact_entities(truth: Mapping[str, Hashable], predicted: Mapping[str, Hashable]) -> set[Hashable]:
    """True entities whose records are exactly one predicted cluster: all together, nothing else with them."""
    lone = object()
    cluster = {r: predicted.get(r, (lone, r)) for r in truth}
    size = Counter(cluster.values())
    first: dict[Hashable, Hashable] = {}
    count: Counter[Hashable] = Counter()
    split: set[Hashable] = set()
    for r, e in truth.items():
        c = first.setdefault(e, cluster[r])
        if c != cluster[r]:
            split.add(e)
        count[e] += 1
    return {e for e, c in first.items() if e not in split and size[c] == count[e]}
