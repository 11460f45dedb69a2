"""The metric contract of DESIGN.md: eff@k, pass@k and the per-level efficiency rules."""

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from effbench.errors import EffbenchError
from effbench.scoring import eff_at_k, eff_at_k_weights, level_efficiency, pass_at_k, sample_efficiency


def brute_eff_at_k(scores, k):
    subsets = list(itertools.combinations(scores, k))
    return sum(max(s) for s in subsets) / len(subsets)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(0, 3, allow_nan=False), min_size=1, max_size=12), st.data())
def test_eff_at_k_equals_brute_force_over_all_subsets(scores, data):
    """eff@k is the exact mean over all k-subsets of the best score in the subset."""
    k = data.draw(st.integers(1, len(scores)))
    assert eff_at_k(scores, k) == pytest.approx(brute_eff_at_k(scores, k), rel=1e-12, abs=1e-12)


def test_eff_at_1_is_mean_and_eff_at_n_is_max():
    rng = np.random.default_rng(0)
    scores = rng.uniform(0, 2, size=37)
    assert eff_at_k(scores, 1) == pytest.approx(scores.mean(), rel=1e-13)
    assert eff_at_k(scores, 37) == pytest.approx(scores.max(), rel=1e-13)


def test_eff_at_k_stable_for_n_1000():
    """n = 1000, every k: finite, weights sum to 1, non-decreasing in k, ends at the max."""
    rng = np.random.default_rng(1)
    scores = rng.uniform(0, 1.5, size=1000)
    values = []
    for k in range(1, 1001):
        w = eff_at_k_weights(1000, k)
        assert np.all(np.isfinite(w)) and np.all(w >= 0)
        assert w.sum() == pytest.approx(1.0, abs=1e-9)
        values.append(eff_at_k(scores, k))
    assert all(b >= a - 1e-12 for a, b in zip(values, values[1:]))
    assert values[0] == pytest.approx(scores.mean(), rel=1e-12)
    assert values[-1] == pytest.approx(scores.max(), rel=1e-12)
    # exact against Python's big-integer binomials at a few k
    e = np.sort(scores)
    for k in (2, 10, 500):
        exact = sum(math.comb(i - 1, k - 1) * e[i - 1] for i in range(k, 1001)) / math.comb(1000, k)
        assert eff_at_k(scores, k) == pytest.approx(exact, rel=1e-9)


@pytest.mark.parametrize("n,c,k", [(10, 3, 1), (10, 3, 5), (20, 0, 3), (20, 20, 7), (200, 17, 50), (5, 1, 5)])
def test_pass_at_k_matches_binomial_formula(n, c, k):
    exact = 1 - math.comb(n - c, k) / math.comb(n, k)
    assert pass_at_k(n, c, k) == pytest.approx(exact, rel=1e-12, abs=1e-15)


def test_k_larger_than_n_is_an_error():
    with pytest.raises(EffbenchError, match="larger than"):
        eff_at_k([0.5, 0.7], 3)
    with pytest.raises(EffbenchError, match="larger than"):
        pass_at_k(2, 1, 3)


def test_level_efficiency_keeps_faster_than_expert_unclipped():
    T = 200.0
    assert level_efficiency(T, 100.0, 100.0) == 1.0
    assert level_efficiency(T, 100.0, 50.0) == 1.5
    assert level_efficiency(T, 100.0, 250.0) == 0.0


def test_sample_efficiency_censoring_and_failure_rules():
    ref, w = [10.0, 100.0, 1000.0], [0, 1, 3]
    full = sample_efficiency([10, 100, 1000], ref, w, 2.0, False, None)
    assert full.efficiency == pytest.approx(1.0) and full.passed
    # censored at level 2: that level and above count 0, lower levels keep their value
    cens = sample_efficiency([10, 100, None], ref, w, 2.0, False, 2)
    assert cens.passed and cens.efficiency == pytest.approx(1.0 * 1 / 4)
    # a level whose cost passes the budget is censored even if the run finished
    over = sample_efficiency([10, 100, 2500], ref, w, 2.0, False, None)
    assert over.censored_level == 2 and over.efficiency == pytest.approx(0.25)
    # censoring at level 0 fails the sample; any failure scores 0
    assert not sample_efficiency([None, None, None], ref, w, 2.0, False, 0).passed
    assert sample_efficiency([10, 100, 1000], ref, w, 2.0, True, None).efficiency == 0.0
