"""Metrics, exactly as ``DESIGN.md`` defines them.

- level efficiency ``e_l = max(0, T - t_l) / (T - r_l)`` with ``T = alpha * max_l r_l`` (not clipped
  above: faster than the expert gives ``e_l > 1``);
- a failed sample scores 0; censoring at level ``l`` zeroes levels ``j >= l`` (at level 0 it fails);
- sample efficiency ``e = sum_l h_l e_l / sum_l h_l``;
- ``eff@k``: the Rao-Blackwellized unbiased estimator of the expected best of ``k`` samples;
- ``pass@k = 1 - C(n-c, k) / C(n, k)``.

numpy is imported here, never at ``import effbench``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from effbench.errors import EffbenchError


def budget(alpha: float, reference_level_costs: Sequence[float]) -> float:
    return alpha * max(reference_level_costs)


def level_efficiency(T: float, r: float, t: float) -> float:
    if T <= r:
        raise ValueError(f"budget {T} must exceed the reference cost {r}")
    return max(0.0, T - t) / (T - r)


@dataclass(frozen=True)
class SampleScore:
    efficiency: float
    passed: bool
    level_efficiency: tuple[float, ...]
    censored_level: int | None


def sample_efficiency(
    level_costs: Sequence[float | None],
    reference_costs: Sequence[float],
    weights: Sequence[float],
    alpha: float,
    failed: bool,
    censored_level: int | None,
) -> SampleScore:
    """Score one sample from its per-level costs (``None`` for levels not run).

    ``censored_level`` is the first level stopped by a limit during the run; costs above the
    budget at this ``alpha`` censor their level too (so ``score`` can re-run with a lower alpha).
    """
    L = len(reference_costs)
    T = budget(alpha, reference_costs)
    cens = censored_level
    for lvl, t in enumerate(level_costs):
        if cens is not None and lvl >= cens:
            break
        if t is not None and t > T:
            cens = lvl
            break
    if failed or cens == 0:
        return SampleScore(0.0, False, (0.0,) * L, cens)
    effs = []
    for lvl in range(L):
        t = level_costs[lvl] if lvl < len(level_costs) else None
        if (cens is not None and lvl >= cens) or t is None:
            effs.append(0.0)
        else:
            effs.append(level_efficiency(T, reference_costs[lvl], t))
    total = float(sum(weights))
    e = sum(w * x for w, x in zip(weights, effs)) / total
    return SampleScore(e, True, tuple(effs), cens)


def _check_k(n: int, k: int) -> None:
    if k < 1:
        raise EffbenchError(f"k must be at least 1, got {k}")
    if k > n:
        raise EffbenchError(f"k={k} is larger than the number of samples n={n}")


def eff_at_k_weights(n: int, k: int) -> np.ndarray:
    """``w_i = C(i-1, k-1) / C(n, k)`` for i = 1..n, without large binomials.

    ``w_n = k / n`` and ``w_{i-1} = w_i * (i - k) / (i - 1)``: a reversed cumulative product of
    factors in [0, 1], so nothing overflows and the weights sum to 1.
    """
    _check_k(n, k)
    w = np.zeros(n)
    if n == 1:
        w[0] = 1.0
        return w
    i = np.arange(n, 1, -1, dtype=float)  # n, n-1, ..., 2
    ratios = np.clip((i - k) / (i - 1), 0.0, None)  # w_{i-1} / w_i
    w[n - 1] = k / n
    w[: n - 1] = (k / n) * np.cumprod(ratios)[::-1]
    return w


def eff_at_k(scores: Sequence[float], k: int) -> float:
    """Unbiased estimate of E[max of k samples drawn without replacement from the n scores]."""
    e = np.sort(np.asarray(scores, dtype=float))
    return float(np.dot(eff_at_k_weights(len(e), k), e))


def eff_at_ks(scores: Sequence[float], ks: Sequence[int]) -> dict[int, float]:
    e = np.sort(np.asarray(scores, dtype=float))
    return {k: float(np.dot(eff_at_k_weights(len(e), k), e)) for k in ks}


def pass_at_k(n: int, c: int, k: int) -> float:
    """``1 - C(n-c, k) / C(n, k)`` as the stable product ``1 - prod_{i=n-c+1}^{n} (1 - k/i)``."""
    _check_k(n, k)
    if not 0 <= c <= n:
        raise ValueError(f"c={c} outside [0, n={n}]")
    if n - c < k:
        return 1.0
    return float(1.0 - np.prod(1.0 - k / np.arange(n - c + 1, n + 1)))


def geometric_mean(values: Sequence[float]) -> float | None:
    vals = [v for v in values if v is not None and v > 0 and math.isfinite(v)]
    if not vals:
        return None
    return float(math.exp(sum(math.log(v) for v in vals) / len(vals)))


def default_ks(n_min: int) -> list[int]:
    return [k for k in (1, 5, 10, 25, 100) if k <= n_min] or [1]
