"""Reward shapings: from a scored sample's facts to one finite float.

Every shaping is a pure function of ``(passed, efficiency, speedup, censored_level)`` as
:func:`effbench.scoring.score_sample` computes them (DESIGN.md "Metric definitions"), and returns a
finite float for every input, the failure value included. An item with no code, a syntax error, a
hostile program, an unknown problem id or a harness failure gets the shaping's failure value.

``binary``
    ``1.0`` if the sample passed, else ``0.0``. The pass/fail reward of execution-feedback RL for
    code (e.g. the test-pass reward of AceCoder, Zeng et al. 2025, arXiv:2502.01718).
``efficiency``
    ``e``, the sample efficiency of DESIGN.md, exactly as eff@1 averages it:
    ``e = sum_l h_l e_l / sum_l h_l`` with ``e_l = max(0, T - t_l) / (T - r_l)`` and
    ``T = alpha * max_l r_l``; ``0`` for a failure, ``1`` at the expert's cost, above 1 when faster
    (not clipped), ``0`` for levels past the budget. Bounded above by ``T / (T - r_l) <= alpha / (alpha - 1)``
    per level.
``speedup``
    ``clip(ln s, -c, +c)`` where ``s`` is the speedup vs the expert (the geometric mean of
    ``r_l / t_l`` over weighted levels, DESIGN.md's "speedup vs expert") and ``c =
    speedup_clip`` (default 2.0: speedups beyond ``e**2 ~ 7.4x`` either way are not told apart).
    A sample that passed but was stopped at the budget on some level gets ``-c``; one that passed
    every level at a cost too small to measure (no speedup: ``r_l / 0``) gets ``+c``; a failure gets
    ``-c - speedup_fail_margin`` (default ``-3.0``), below every passing sample. The
    logarithm makes 2x faster and 2x slower symmetric; the clip bounds the reward, as group-relative
    advantages (GRPO) are sensitive to outliers. The log and clip are our choice.
``acecode``
    A step function in the spirit of ACECode (Yang et al. 2024, arXiv:2412.17264: a reward from
    execution feedback that is a step function of correctness first, then of runtime against a
    reference solution): ``step_fail`` (0.0) for a failure < ``step_slower`` (0.5) for a sample that
    passed but is slower than the expert (stopped at the budget on some level, or speedup below
    ``step_threshold``) < ``step_faster`` (1.0) for a sample that passed every level with speedup
    ``>= step_threshold`` (or at a cost too small to measure). ``step_threshold`` defaults to 0.99:
    within 1% of the expert's cost counts as reaching it, so the expert itself lands in the top step
    despite measurement spread. The reference is effbench's expert (the fastest known solution); the
    step values and threshold are ours, not the paper's.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

from effbench.errors import EffbenchError


class ShapingKind(StrEnum):
    """The shapings, by name (see the module docstring for each formula and source)."""

    BINARY = "binary"
    EFFICIENCY = "efficiency"
    SPEEDUP = "speedup"
    ACECODE = "acecode"


@dataclass(frozen=True)
class Shaping:
    """A shaping and its parameters. Picklable; build one with :meth:`of`.

    Attributes:
        kind: which formula.
        speedup_clip: ``c`` of the ``speedup`` shaping (natural-log units), > 0.
        speedup_fail_margin: how far below ``-c`` a failure lands in the ``speedup`` shaping, > 0.
        step_fail: the ``acecode`` reward of a failure.
        step_slower: the ``acecode`` reward of a pass slower than the expert.
        step_faster: the ``acecode`` reward of a pass at least as fast as the expert.
        step_threshold: the speedup from which a pass counts as "as fast as the expert".
    """

    kind: ShapingKind = ShapingKind.EFFICIENCY
    speedup_clip: float = 2.0
    speedup_fail_margin: float = 1.0
    step_fail: float = 0.0
    step_slower: float = 0.5
    step_faster: float = 1.0
    step_threshold: float = 0.99

    def __post_init__(self) -> None:
        """Validate the parameters; raises EffbenchError naming the bad one."""
        try:
            object.__setattr__(self, "kind", ShapingKind(self.kind))
        except ValueError:
            names = ", ".join(k.value for k in ShapingKind)
            raise EffbenchError(f"unknown reward shaping {self.kind!r}; choose one of {names}") from None
        for name in ("speedup_clip", "speedup_fail_margin", "step_threshold"):
            value = getattr(self, name)
            if isinstance(value, bool) or not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
                raise EffbenchError(f"shaping {self.kind}: {name} must be a positive finite number, got {value!r}")
        steps = (self.step_fail, self.step_slower, self.step_faster)
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in steps) or not (
            self.step_fail < self.step_slower < self.step_faster
        ):
            raise EffbenchError(
                f"shaping {self.kind}: steps must be finite with step_fail < step_slower < step_faster, got {steps}"
            )
        if not math.isfinite(self.failure):  # -c - margin overflows for constants near the largest float
            raise EffbenchError(
                f"shaping {self.kind}: the failure reward -(speedup_clip + speedup_fail_margin) overflows "
                f"({self.speedup_clip!r} + {self.speedup_fail_margin!r})"
            )

    @classmethod
    def of(cls, value: str | ShapingKind | Shaping) -> Shaping:
        """A shaping from its name (default parameters) or itself; raises EffbenchError for an unknown name."""
        if isinstance(value, Shaping):
            return value
        try:
            return cls(ShapingKind(value))
        except ValueError:
            names = ", ".join(k.value for k in ShapingKind)
            raise EffbenchError(f"unknown reward shaping {value!r}; choose one of {names}") from None

    @property
    def failure(self) -> float:
        """The reward of a failed item (no code, wrong, crash, hostile, unknown problem, harness error)."""
        if self.kind is ShapingKind.SPEEDUP:
            return float(-self.speedup_clip - self.speedup_fail_margin)
        if self.kind is ShapingKind.ACECODE:
            return float(self.step_fail)
        return 0.0

    def reward(self, passed: bool, efficiency: float, speedup: float | None, censored_level: int | None) -> float:
        """The shaped reward of a scored sample; always a finite float.

        Args:
            passed: the sample passed (see :class:`~effbench.scoring.ScoredSample`).
            efficiency: its sample efficiency ``e`` (dimensionless).
            speedup: its speedup vs the expert (None unless it passed every level uncensored).
            censored_level: the first level stopped at a limit, or None.
        """
        if not passed:
            return self.failure
        if self.kind is ShapingKind.BINARY:
            return 1.0
        if self.kind is ShapingKind.EFFICIENCY:
            e = float(efficiency)
            return e if math.isfinite(e) and e >= 0 else 0.0
        if censored_level is not None:  # passed, but stopped at the budget on some level: slower
            ln = -math.inf
        elif speedup is None:  # passed every level at a cost too small to measure: fastest
            ln = math.inf
        else:
            ln = math.log(speedup) if speedup > 0 else -math.inf
            ln = ln if not math.isnan(ln) else -math.inf
        if self.kind is ShapingKind.SPEEDUP:
            return float(min(self.speedup_clip, max(-self.speedup_clip, ln)))
        # ACECODE
        if ln >= math.log(self.step_threshold):
            return float(self.step_faster)
        return float(self.step_slower)


__all__ = ["Shaping", "ShapingKind"]
