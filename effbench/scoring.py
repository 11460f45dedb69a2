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
from dataclasses import dataclass, replace

import numpy as np

from effbench.errors import EffbenchError
from effbench.records import TestOutcome
from effbench.verdicts import ErrorKind, Verdict


def budget(alpha: float, reference_level_costs: Sequence[float]) -> float:
    """The budget ``T = alpha * max_l r_l`` (DESIGN.md "Metric definitions"), in the meter's unit."""
    return alpha * max(reference_level_costs)


def level_efficiency(T: float, r: float, t: float) -> float:  # noqa: N803 - DESIGN.md's names
    """``e_l = max(0, T - t_l) / (T - r_l)``, not clipped above; raises ValueError if ``T <= r``."""
    if T <= r:
        raise ValueError(f"budget {T} must exceed the reference cost {r}")
    return max(0.0, T - t) / (T - r)


@dataclass(frozen=True)
class SampleScore:
    """The efficiency part of a score (kept for :func:`sample_efficiency`'s callers)."""

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

    Args:
        level_costs: ``t_l``, the candidate's largest cost per level (meter's unit), None if not run.
        reference_costs: ``r_l``, the expert's, same unit.
        weights: ``h_l``.
        alpha: the budget factor; ``T = alpha * max_l r_l``.
        failed: a wrong answer, error, kill or infrastructure failure at any level.
        censored_level: the first level stopped by a limit during the run; costs above the budget
            at this ``alpha`` censor their level too.

    Returns:
        The sample's efficiency ``e = sum_l h_l e_l / sum_l h_l`` (DESIGN.md), whether it passed,
        ``e_l`` per level and the censored level at this alpha.
    """
    L = len(reference_costs)  # noqa: N806 - DESIGN.md's name
    T = budget(alpha, reference_costs)  # noqa: N806
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


def at_budget(outcome: TestOutcome, T: float) -> TestOutcome:  # noqa: N803
    """A test's outcome judged against the budget ``T`` (meter's unit).

    An ``ok`` test that cost more than ``T`` is ``censored_budget``; an ``ok`` test with no cost
    measured is an ``error`` (``MeterAnomaly``): the runner reports its own failures as ``infra``
    before any judging, so a missing cost is one the candidate may have caused (DESIGN.md's
    threat model: such a sample fails, it is never left out of scoring); others are unchanged.
    """
    if outcome.verdict != Verdict.OK:
        return outcome
    if outcome.cost is None:
        return replace(
            outcome,
            verdict=Verdict.ERROR,
            error_type=ErrorKind.METER_ANOMALY.value,
            detail="no cost measured for a run that answered",
        )
    if outcome.cost > T:
        return replace(
            outcome, verdict=Verdict.CENSORED_BUDGET, detail=f"cost {outcome.cost:.4g} exceeds the budget {T:.4g}"
        )
    return outcome


@dataclass(frozen=True)
class ScoredSample:
    """Every derived field of a sample (see :class:`effbench.records.SampleRecord`).

    Costs are in the meter's unit (instructions or ns), times in seconds, memory in KiB.
    """

    verdict: Verdict
    failed: bool
    censored_level: int | None
    level_costs: tuple[float | None, ...]
    level_efficiency: tuple[float, ...]
    efficiency: float
    passed: bool
    speedup: float | None
    peak_memory_kb: int
    wall_seconds: float
    cpu_seconds: float
    failed_test: str | None
    error_type: str | None
    tests: tuple[TestOutcome, ...]


def score_sample(
    tests: Sequence[TestOutcome],
    reference_level_costs: Sequence[float],
    weights: Sequence[float],
    alpha: float,
    unrunnable: str | None = None,
) -> ScoredSample:
    """THE scoring function: raw facts of one sample to every derived field (DESIGN.md "Results").

    The engine, :func:`effbench.summary.summarize`, ``effbench score`` and the reward API all call
    it, so re-scoring at another alpha equals a fresh run at that alpha.

    Args:
        tests: the outcomes in the order they ran (the run stopped at its first failing test).
        reference_level_costs: ``r_l``, the expert's largest cost per level (meter's unit).
        weights: ``h_l``, one per level.
        alpha: the budget factor; ``T = alpha * max_l r_l``. Must not exceed the alpha the tests
            ran with (a test stopped at the old budget stays stopped).
        unrunnable: why the sample had no code to run (then it fails with ``NoCode``).

    Returns:
        A :class:`ScoredSample`. The tests are re-judged at ``T`` in order and cut after the first
        one that is not ``ok`` (where a fresh run would have stopped); the sample's verdict is that
        test's, ``ok`` if none; a wrong answer, error, kill or infrastructure failure fails it;
        censoring at level ``l`` zeroes levels ``>= l`` (at level 0 it fails). ``speedup`` is the
        geometric mean of ``r_l / t_l`` over weighted levels, for samples that pass uncensored.
        Wall, CPU and memory are summed (peak: max) over the tests kept.
    """
    L = len(reference_level_costs)  # noqa: N806 - DESIGN.md's name
    if unrunnable is not None:
        return ScoredSample(
            Verdict.ERROR, True, None, (None,) * L, (0.0,) * L, 0.0, False, None, 0, 0.0, 0.0, None,
            ErrorKind.NO_CODE.value, (),
        )  # fmt: skip
    T = budget(alpha, reference_level_costs)  # noqa: N806
    kept: list[TestOutcome] = []
    worst: list[float | None] = [None] * L
    complete = [False] * L
    stop: TestOutcome | None = None
    for raw in tests:
        outcome = at_budget(raw, T)
        kept.append(outcome)
        if outcome.verdict != Verdict.OK:
            stop = outcome
            break
        worst[outcome.level] = max(worst[outcome.level] or 0.0, outcome.cost or 0.0)
    levels_run = {t.level for t in kept}
    for lvl in range(L):
        complete[lvl] = lvl in levels_run and (stop is None or lvl < stop.level)
    level_costs = tuple(worst[lvl] if complete[lvl] else None for lvl in range(L))
    verdict = stop.verdict if stop is not None else Verdict.OK
    censored = stop.level if stop is not None and verdict.censored else None
    failed = verdict.failed
    score = sample_efficiency(level_costs, reference_level_costs, weights, alpha, failed, censored)
    speedup = None
    if score.passed and censored is None:
        speedup = geometric_mean(
            [
                reference_level_costs[i] / c
                for i, c in enumerate(level_costs)
                if c is not None and c > 0 and weights[i] > 0
            ]
        )
    return ScoredSample(
        verdict=verdict,
        failed=failed,
        censored_level=censored,
        level_costs=level_costs,
        level_efficiency=score.level_efficiency,
        efficiency=score.efficiency,
        passed=score.passed,
        speedup=speedup,
        peak_memory_kb=max((t.peak_memory_kb for t in kept), default=0),
        wall_seconds=sum(t.wall_seconds for t in kept),
        cpu_seconds=sum(t.cpu_seconds for t in kept),
        failed_test=stop.test_id if stop is not None else None,
        error_type=stop.error_type if stop is not None else None,
        tests=tuple(kept),
    )


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
    """:func:`eff_at_k` for several k at once: ``{k: eff@k}``; raises EffbenchError for k > n."""
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
    """Geometric mean of the positive finite values (others are skipped); None when there are none."""
    vals = [v for v in values if v is not None and v > 0 and math.isfinite(v)]
    if not vals:
        return None
    return float(math.exp(sum(math.log(v) for v in vals) / len(vals)))


def default_ks(n_min: int) -> list[int]:
    """The k reported by default: those of 1, 5, 10, 25, 100 that are at most ``n_min``."""
    return [k for k in (1, 5, 10, 25, 100) if k <= n_min] or [1]
