"""How much each level of each comparison counts, learned from the records being matched.

Fellegi-Sunter, as Splink estimates it: for every comparison (a field, or a field for one pair of
sources) and each of its agreement levels, m = P(level | the two records are one business) and
u = P(level | they are not). A pair's weight is the sum of log2(m/u) over its comparisons; with the
prior odds of a match among the compared pairs, that is a probability.

- u comes from pairs drawn at random (almost all of them are two different businesses);
- m and the prior come from expectation-maximisation over the blocked pairs, starting from the
  hand-set weights, with u held fixed (as Splink does: estimating u by EM drifts towards whatever
  the blocking makes common);
- pairs a reviewer has decided are labelled: their match probability is fixed to 1 or 0 throughout.

A level never observed keeps a small probability (additive smoothing), so no weight is infinite.
Everything here is plain numpy over arrays of levels: deterministic, and independent of input order
(sums do not depend on the order of the pairs beyond floating-point rounding, which the fixed
iteration count and the tolerance make irrelevant to the rounded weights the matcher uses).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

SMOOTHING = 1.0          # pseudo-count added to every level, for m and for u
MIN_PRIOR, MAX_PRIOR = 1e-6, 0.999


@dataclass(frozen=True)
class Model:
    """Per comparison: m and u per level (levels 0..n-1; "missing" is not a level and counts nothing)."""

    m: Mapping[str, np.ndarray]
    u: Mapping[str, np.ndarray]
    prior: float          # share of the compared (blocked) pairs that are one business
    iterations: int

    def weights(self, comparison: str) -> np.ndarray:
        """log2(m/u) per level."""
        return np.log2(self.m[comparison] / self.u[comparison])

    @property
    def prior_weight(self) -> float:
        return float(np.log2(self.prior / (1.0 - self.prior)))


def level_shares(levels: np.ndarray, n_levels: int, weights: np.ndarray | None = None) -> np.ndarray:
    """The (weighted) share of pairs at each level, ignoring pairs where the comparison is missing
    (a level outside 0..n_levels-1), smoothed so that no level has probability 0."""
    present = (levels >= 0) & (levels < n_levels)
    w = np.ones(len(levels)) if weights is None else weights
    counts = np.bincount(levels[present].astype(np.int64), weights=w[present], minlength=n_levels)[:n_levels]
    counts = counts + SMOOTHING
    return counts / counts.sum()


def estimate_u(random_levels: Mapping[str, np.ndarray], n_levels: Mapping[str, int]) -> dict[str, np.ndarray]:
    """u per comparison from pairs drawn at random."""
    return {c: level_shares(random_levels[c], n_levels[c]) for c in n_levels}


def match_weight(levels: Mapping[str, np.ndarray], m: Mapping[str, np.ndarray], u: Mapping[str, np.ndarray],
                 n_levels: Mapping[str, int]) -> np.ndarray:
    """Each pair's summed log2(m/u) (the prior not included)."""
    total: np.ndarray | None = None
    for c, n in n_levels.items():
        lv = levels[c]
        table = np.append(np.log2(m[c] / u[c]), 0.0)          # index n: missing, weighs nothing
        w = table[np.where((lv >= 0) & (lv < n), lv, n).astype(np.int64)]
        total = w if total is None else total + w
    assert total is not None, "no comparisons"
    return total


def probability(weight: np.ndarray, prior: float) -> np.ndarray:
    """Match probability from the summed weight and the prior."""
    logit = weight + np.log2(prior / (1.0 - prior))
    return 1.0 / (1.0 + np.exp2(-np.clip(logit, -60.0, 60.0)))


def expectation_maximisation(levels: Mapping[str, np.ndarray], n_levels: Mapping[str, int],
                             u: Mapping[str, np.ndarray], m_start: Mapping[str, np.ndarray], prior_start: float, *,
                             labels: np.ndarray | None = None, iterations: int = 30,
                             tolerance: float = 1e-4, fix_u: bool = True) -> Model:
    """Estimate m per comparison and the prior from blocked pairs (and u too unless `fix_u`).

    With u from random pairs held fixed, pairs that blocking made alike (same postcode, same street)
    look more like matches than random pairs do whatever they are; over blocked pairs only, estimate
    u as well (the u of pairs that blocking brought together), starting from the random pairs' u.

    labels: per pair 1 (decided a match), 0 (decided not), -1 (undecided); decided pairs keep their
    label as their probability. Stops when no m moves more than `tolerance`.
    """
    m = {c: np.asarray(m_start[c], dtype=np.float64) for c in n_levels}
    u = {c: np.asarray(u[c], dtype=np.float64) for c in n_levels}
    prior = float(np.clip(prior_start, MIN_PRIOR, MAX_PRIOR))
    n_pairs = len(next(iter(levels.values()))) if levels else 0
    done = 0
    if n_pairs == 0:
        return Model(m, u, prior, 0)
    # Each comparison once as (pairs where it is present, their levels): a comparison of one pair of sources
    # is present in few pairs, so every step costs what is there, not pairs x comparisons.
    present = {}
    for c, n in n_levels.items():
        lv = np.asarray(levels[c])
        idx = np.flatnonzero((lv >= 0) & (lv < n))
        present[c] = (idx, lv[idx].astype(np.int64))

    def shares(c: str, weights: np.ndarray) -> np.ndarray:
        idx, lv = present[c]
        counts = np.bincount(lv, weights=weights[idx], minlength=n_levels[c])[:n_levels[c]] + SMOOTHING
        return counts / counts.sum()

    decided = labels is not None and (labels >= 0).any()
    for done in range(1, iterations + 1):
        weight = np.zeros(n_pairs)
        for c, (idx, lv) in present.items():
            weight[idx] += np.log2(m[c] / u[c])[lv]
        p = probability(weight, prior)
        if decided:
            p = np.where(labels >= 0, labels.astype(np.float64), p)
        new_m = {c: shares(c, p) for c in n_levels}
        prior = float(np.clip(p.mean(), MIN_PRIOR, MAX_PRIOR))
        moved = max(float(np.abs(new_m[c] - m[c]).max()) for c in n_levels)
        m = new_m
        if not fix_u:
            q = 1.0 - p
            new_u = {c: shares(c, q) for c in n_levels}
            moved = max(moved, *(float(np.abs(new_u[c] - u[c]).max()) for c in n_levels))
            u = new_u
        if moved < tolerance:
            break
    return Model(m, u, prior, done)


def m_from_weights(weights: np.ndarray, u: np.ndarray) -> np.ndarray:
    """The m that hand-set weights imply for this u (the starting point of EM), normalised."""
    m = u * np.exp2(np.asarray(weights, dtype=np.float64))
    return m / m.sum()
