"""Uncertainty and pairwise ratings over problems, with scipy.

- :func:`bootstrap_mean` : a percentile bootstrap interval of a mean over problems
  (``scipy.stats.bootstrap``, problems resampled with replacement, a fixed seed);
- :func:`paired_permutation_test` : a two-sided paired permutation (sign-flip) test of the mean
  per-problem difference between two rows (``scipy.stats.permutation_test`` with
  ``permutation_type="samples"``; exact, over all ``2^P`` sign patterns, when ``2^P`` does not
  exceed the number of resamples);
- :func:`bradley_terry` : Bradley-Terry strengths from per-problem comparisons of eff@1 (a win to
  the higher, ties within :data:`TIE_TOLERANCE` split), the maximum a posteriori estimate under a
  standard normal prior on the log-strengths (which keeps a row that wins every comparison
  finite), fitted by Newton's method in numpy; :func:`bradley_terry_intervals` bootstraps it over
  problems (at most :func:`rating_resamples` refits, fewer than asked for many rows).

Bradley, R. A. and Terry, M. E. (1952), "Rank analysis of incomplete block designs".
Ratings are reported on the Elo scale: ``1000 + 400 * theta / ln(10)``.

Every function is deterministic for a given seed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

ELO_BASE = 1000.0
ELO_SCALE = 400.0 / math.log(10.0)
#: standard deviation of the normal prior on Bradley-Terry log-strengths
BT_PRIOR_SD = 1.0
#: eff@1 values closer than this on a problem are a tie: an expert measured as a sample can land a
#: few instructions from its own profile (eff 1.00003), which is no win
TIE_TOLERANCE = 1e-4


@dataclass(frozen=True)
class Interval:
    """A confidence interval ``[low, high]`` at ``confidence`` (e.g. 0.95)."""

    low: float
    high: float
    confidence: float

    def to_json(self) -> dict:
        """``{"low", "high", "confidence"}``."""
        return {"low": self.low, "high": self.high, "confidence": self.confidence}


def bootstrap_mean(values: np.ndarray, seed: int, n_resamples: int, confidence: float = 0.95) -> Interval | None:
    """Percentile bootstrap interval of ``mean(values)`` over problems.

    Args:
        values: one figure per problem (shape ``(P,)``), e.g. eff@1 per problem.
        seed: seeds ``numpy.random.default_rng``; the same seed gives the same interval.
        n_resamples: bootstrap resamples.
        confidence: the interval's level.

    Returns:
        The interval, or None with fewer than 2 problems. All-equal values give ``[v, v]``.
    """
    from scipy import stats

    x = np.asarray(values, dtype=float)
    if x.size < 2:
        return None
    if np.ptp(x) == 0:
        return Interval(float(x[0]), float(x[0]), confidence)
    res = stats.bootstrap(
        (x,),
        np.mean,
        n_resamples=n_resamples,
        confidence_level=confidence,
        method="percentile",
        vectorized=True,
        rng=np.random.default_rng(seed),
    )
    return Interval(float(res.confidence_interval.low), float(res.confidence_interval.high), confidence)


def paired_permutation_test(x: np.ndarray, y: np.ndarray, seed: int, n_resamples: int) -> float:
    """Two-sided p-value that rows ``x`` and ``y`` have the same mean.

    ``x`` and ``y`` hold one value per problem, in the same order; the test flips the sign of
    per-problem differences.

    Returns 1.0 when every difference is zero, or with fewer than 2 problems (nothing to tell
    apart: one paired observation cannot be tested).
    """
    from scipy import stats

    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if x.shape != y.shape:
        raise ValueError(f"paired samples differ in shape: {x.shape} vs {y.shape}")
    if x.size < 2 or np.all(x == y):
        return 1.0

    def mean_difference(a: np.ndarray, b: np.ndarray, axis: int) -> np.ndarray:
        return np.mean(a - b, axis=axis)

    res = stats.permutation_test(
        (x, y),
        mean_difference,
        permutation_type="samples",
        vectorized=True,
        n_resamples=n_resamples,
        alternative="two-sided",
        rng=np.random.default_rng(seed),
    )
    return float(min(1.0, res.pvalue))


def win_matrices(scores: np.ndarray) -> np.ndarray:
    """Per-problem comparison counts from a ``(P, R)`` matrix of eff@1 (problem x row).

    Returns ``W`` of shape ``(P, R, R)``: ``W[p, i, j]`` is 1 when row ``i`` beats row ``j`` on
    problem ``p``, 0.5 for a tie (within :data:`TIE_TOLERANCE`), 0 otherwise; the diagonal is 0.
    """
    s = np.asarray(scores, dtype=float)
    diff = s[:, :, None] - s[:, None, :]
    w = np.where(diff > TIE_TOLERANCE, 1.0, np.where(np.abs(diff) <= TIE_TOLERANCE, 0.5, 0.0))
    idx = np.arange(s.shape[1])
    w[:, idx, idx] = 0.0
    return w


def bradley_terry(wins: np.ndarray, prior_sd: float = BT_PRIOR_SD, start: np.ndarray | None = None) -> np.ndarray:
    """Bradley-Terry log-strengths ``theta`` (shape ``(R,)``, mean 0) from a win matrix.

    ``P(i beats j) = sigmoid(theta_i - theta_j)``; ``wins[i, j]`` counts i's wins over j (ties as
    halves). Maximises ``sum_ij wins[i, j] * log sigmoid(theta_i - theta_j) - |theta|^2 / (2 sd^2)``
    by Newton's method with the exact gradient and Hessian (numpy, vectorised over all pairs; a
    Cholesky solve per step, halved while the objective does not decrease) until the largest
    gradient component is below ``1e-9``, from ``start`` (default zeros; a bootstrap refit starts
    from the full-data estimate). The objective is strictly convex (the prior makes the Hessian
    positive definite), so the start changes the iterations, not the answer.
    """
    from scipy.linalg import cho_factor, cho_solve
    from scipy.special import expit, log_expit

    w = np.asarray(wins, dtype=float)
    r = w.shape[0]
    if r == 1:
        return np.zeros(1)
    lam = 1.0 / prior_sd**2
    wsym = w + w.T

    def nll(theta: np.ndarray) -> float:
        return -float(np.sum(w * log_expit(theta[:, None] - theta[None, :]))) + 0.5 * lam * float(theta @ theta)

    theta = np.zeros(r) if start is None else np.array(start, dtype=float)
    value = nll(theta)
    for _ in range(100):
        p = expit(theta[:, None] - theta[None, :])
        g = w * (1.0 - p)  # d/d theta_i of w_ij log sigmoid(theta_i - theta_j)
        grad = -(g.sum(axis=1) - g.sum(axis=0)) + lam * theta
        if float(np.max(np.abs(grad))) < 1e-9:
            break
        c = wsym * p * (1.0 - p)
        h = -c
        h[np.diag_indices(r)] = c.sum(axis=1) + lam
        step = cho_solve(cho_factor(h, check_finite=False), grad, check_finite=False)
        t = 1.0
        while True:  # damped: a full step from far away can overshoot
            candidate = theta - t * step
            new_value = nll(candidate)
            if new_value <= value + 1e-12 * abs(value) or t < 1e-6:
                break
            t *= 0.5
        if np.array_equal(candidate, theta):
            break
        theta, value = candidate, new_value
    return theta - theta.mean()


#: the rating bootstrap refits Bradley-Terry once per resample, each fit a few Cholesky solves of an
#: ``R x R`` Hessian (``~R^3`` operations): :func:`rating_resamples` caps the resamples so that
#: ``resamples * R^3`` stays near this budget, with at least :data:`BT_MIN_RESAMPLES`
BT_WORK_BUDGET = 2 * 10**9
#: the fewest resamples of the rating bootstrap, however many rows (a 95% percentile interval then
#: rests on the 5th and 195th of 200 sorted refits)
BT_MIN_RESAMPLES = 200


def rating_resamples(n_rows: int, n_resamples: int) -> int:
    """Resamples of the Bradley-Terry bootstrap for ``n_rows`` rows when ``n_resamples`` are asked.

    ``min(n_resamples, max(BT_MIN_RESAMPLES, BT_WORK_BUDGET // n_rows^3))``: every asked resample
    up to about 100 rows at the default 2000, 250 at 200 rows, 200 from 216 rows on.
    """
    return int(min(n_resamples, max(BT_MIN_RESAMPLES, BT_WORK_BUDGET // max(1, n_rows) ** 3)))


def elo(theta: np.ndarray) -> np.ndarray:
    """Log-strengths to the Elo scale (1000 for an average row, +400 for 10:1 odds)."""
    return ELO_BASE + ELO_SCALE * np.asarray(theta, dtype=float)


def bradley_terry_intervals(
    scores: np.ndarray, seed: int, n_resamples: int, confidence: float = 0.95
) -> tuple[np.ndarray, list[Interval] | None]:
    """Elo-scale Bradley-Terry ratings of the rows of ``scores`` with bootstrap intervals.

    ``scores`` has shape ``(P, R)``; problems are resampled with replacement by
    ``scipy.stats.bootstrap`` (percentile intervals), :func:`rating_resamples` ``(R, n_resamples)``
    times (fewer than ``n_resamples`` for many rows). A resample's win matrix is the per-problem
    win counts weighted by how often it drew each problem (one matrix product), and its fit starts
    from the full-data estimate.

    Returns ``(ratings (R,), intervals)``; intervals are None with fewer than 2 problems.
    """
    from scipy import stats

    per_problem = win_matrices(scores)
    p, r = per_problem.shape[0], per_problem.shape[1]
    flat = per_problem.reshape(p, r * r)
    theta = bradley_terry(per_problem.sum(axis=0))
    ratings = elo(theta)
    if p < 2 or r < 2:
        return ratings, None

    def statistic(idx: np.ndarray) -> np.ndarray:
        counts = np.bincount(np.asarray(idx, dtype=int), minlength=p).astype(float)
        return elo(bradley_terry((counts @ flat).reshape(r, r), start=theta))

    res = stats.bootstrap(
        (np.arange(p),),
        statistic,
        n_resamples=rating_resamples(r, n_resamples),
        confidence_level=confidence,
        method="percentile",
        vectorized=False,
        rng=np.random.default_rng(seed),
    )
    lows, highs = np.atleast_1d(res.confidence_interval.low), np.atleast_1d(res.confidence_interval.high)
    return ratings, [Interval(float(lo), float(hi), confidence) for lo, hi in zip(lows, highs)]
