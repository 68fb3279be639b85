"""EM recovers the m, u and prior of pairs drawn from a known Fellegi-Sunter model."""
from __future__ import annotations

import numpy as np
import pytest

from core.matching import em

TRUE_M = {"name": np.array([0.70, 0.15, 0.10, 0.05]), "street": np.array([0.85, 0.10, 0.05]),
          "postcode": np.array([0.80, 0.12, 0.05, 0.03])}
TRUE_U = {"name": np.array([0.01, 0.02, 0.07, 0.90]), "street": np.array([0.05, 0.10, 0.85]),
          "postcode": np.array([0.02, 0.05, 0.13, 0.80])}
N_LEVELS = {c: len(v) for c, v in TRUE_M.items()}
MISSING = 9


def draw(n: int, prior: float, seed: int, missing: float = 0.1) -> tuple[dict[str, np.ndarray], np.ndarray]:
    rng = np.random.default_rng(seed)
    is_match = rng.random(n) < prior
    levels = {}
    for c in TRUE_M:
        lv = np.where(is_match, rng.choice(N_LEVELS[c], n, p=TRUE_M[c]), rng.choice(N_LEVELS[c], n, p=TRUE_U[c]))
        lv[rng.random(n) < missing] = MISSING
        levels[c] = lv.astype(np.int8)
    return levels, is_match


def flat_start() -> dict[str, np.ndarray]:
    # A poor but sensible start: agreement somewhat likelier among matches, as hand weights would say.
    return {c: np.linspace(2.0, 1.0, n) / np.linspace(2.0, 1.0, n).sum() for c, n in N_LEVELS.items()}


def test_em_recovers_m_and_the_prior_from_pairs_of_a_known_model() -> None:
    levels, is_match = draw(60_000, prior=0.25, seed=7)
    random_levels, _ = draw(60_000, prior=0.0, seed=8)     # random pairs: none is a match
    u = em.estimate_u(random_levels, N_LEVELS)
    for c in TRUE_U:
        assert u[c] == pytest.approx(TRUE_U[c], abs=0.01)
    model = em.expectation_maximisation(levels, N_LEVELS, u, flat_start(), prior_start=0.05)
    assert model.prior == pytest.approx(0.25, abs=0.01)
    for c in TRUE_M:
        assert model.m[c] == pytest.approx(TRUE_M[c], abs=0.02), c
    # The learned probabilities separate the pairs: almost every pair above 0.5 is a true match.
    p = em.probability(em.match_weight(levels, model.m, model.u, N_LEVELS), model.prior)
    assert (is_match[p >= 0.5]).mean() > 0.95
    assert (p[is_match] >= 0.5).mean() > 0.9


def test_missing_comparisons_count_nothing() -> None:
    levels = {"name": np.array([MISSING, 0]), "street": np.array([0, 0]), "postcode": np.array([0, 0])}
    w = em.match_weight(levels, TRUE_M, TRUE_U, N_LEVELS)
    assert w[1] - w[0] == pytest.approx(np.log2(0.70 / 0.01))


def test_decided_pairs_keep_their_label() -> None:
    levels, is_match = draw(4_000, prior=0.3, seed=3)
    u = em.estimate_u(draw(20_000, prior=0.0, seed=4)[0], N_LEVELS)
    labels = np.where(is_match, 1, 0).astype(np.int8)   # every pair decided: m is simply counted
    model = em.expectation_maximisation(levels, N_LEVELS, u, flat_start(), 0.5, labels=labels)
    for c in TRUE_M:
        counted = em.level_shares(levels[c][is_match], N_LEVELS[c])
        assert model.m[c] == pytest.approx(counted, abs=1e-9)
    assert model.prior == pytest.approx(is_match.mean())


def test_the_same_pairs_in_another_order_give_the_same_model() -> None:
    levels, _ = draw(10_000, prior=0.2, seed=11)
    u = em.estimate_u(draw(10_000, prior=0.0, seed=12)[0], N_LEVELS)
    order = np.random.default_rng(5).permutation(10_000)
    a = em.expectation_maximisation(levels, N_LEVELS, u, flat_start(), 0.1)
    b = em.expectation_maximisation({c: v[order] for c, v in levels.items()}, N_LEVELS, u, flat_start(), 0.1)
    for c in N_LEVELS:
        assert np.round(a.weights(c), 6) == pytest.approx(np.round(b.weights(c), 6))


def test_no_pairs_keeps_the_start() -> None:
    empty = {c: np.zeros(0, dtype=np.int8) for c in N_LEVELS}
    model = em.expectation_maximisation(empty, N_LEVELS, TRUE_U, TRUE_M, 0.2)
    assert model.iterations == 0 and model.prior == 0.2


def test_u_estimated_with_m_when_not_fixed() -> None:
    levels, _ = draw(60_000, prior=0.3, seed=21)
    start_u = {c: np.full(n, 1.0 / n) for c, n in N_LEVELS.items()}     # a poor start for u too
    model = em.expectation_maximisation(levels, N_LEVELS, start_u, flat_start(), 0.1, fix_u=False, iterations=200)
    assert model.prior == pytest.approx(0.3, abs=0.02)
    for c in TRUE_M:
        assert model.m[c] == pytest.approx(TRUE_M[c], abs=0.03), c
        assert model.u[c] == pytest.approx(TRUE_U[c], abs=0.03), c
