"""The typed result of scoring one (problem, completion) item as a reward.

A :class:`RewardResult` carries the reward (a finite float, whatever the input was) and the facts it
was computed from: the sample's verdict and why, whether it passed, its efficiency and speedup (as
:func:`effbench.scoring.score_sample` defines them), its cost per level in the meter's unit and the
expert's, how the code was extracted from the completion, and how long scoring took.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any

from effbench.verdicts import Verdict


class ItemStatus(StrEnum):
    """What happened to an item, before and around the sandbox.

    ``SCORED``: the code ran and was judged (its :class:`~effbench.verdicts.Verdict` says how it did).
    ``NO_CODE``: nothing to run was found in the completion (it is not text, it is empty, holds only
    reasoning, or no code defines the entry point); the sample fails with ``NoCode``.
    ``UNKNOWN_PROBLEM``: the problem id is not in the reward model's problem set.
    ``MALFORMED``: the item itself could not be read as ``(problem_id, completion[, mode])`` (not
    a pair or mapping, a problem id that is not text, an unknown extraction mode); the caller's
    fault, like an unknown problem, never the candidate's.
    ``HARNESS_ERROR``: effbench itself failed on this item (the expert reference failed its own
    tests, the sandbox could not start...); never the candidate's doing. Its reward is the shaping's
    failure value; trainers that can mask samples should mask these.
    """

    SCORED = "scored"
    NO_CODE = "no_code"
    UNKNOWN_PROBLEM = "unknown_problem"
    MALFORMED = "malformed"
    HARNESS_ERROR = "harness_error"


@dataclass(frozen=True)
class RewardResult:
    """The reward of one item and the facts behind it.

    Attributes:
        problem_id: the item's problem id (as given, even when unknown).
        reward: the shaped reward, always a finite float (see :mod:`effbench.reward.shaping`).
        passed: correct on every test it ran and not stopped at level 0 (DESIGN.md pass@k's "correct").
        efficiency: the sample efficiency ``e`` of DESIGN.md (0 for a failure; above 1 when faster
            than the expert).
        speedup: geometric mean of ``r_l / t_l`` over weighted levels for a sample that passed every
            level uncensored; None otherwise.
        verdict: the sample's verdict (its first failing test's, ``ok`` if none). ``error`` for an
            item with no code, ``infra`` for a malformed item, an unknown problem or a harness failure.
        status: see :class:`ItemStatus`.
        reason: one line: why it failed or was stopped ('' when it passed every test).
        error_type: an :class:`~effbench.verdicts.ErrorKind` or the candidate's exception name.
        censored_level: the first level stopped at the budget or memory limit, or None.
        level_costs: the candidate's largest cost per level (None: the level was not completed).
        reference_level_costs: the expert's largest cost per level, ``r_l``.
        unit: the unit of the costs: ``instructions`` (valgrind, perf) or ``ns`` (time).
        meter: the meter that counted (``valgrind``, ``perf``, ``time``; '' when nothing ran).
        extraction: how the code was found in the completion, or why none was.
        shaping: the shaping that turned the facts into ``reward``.
        elapsed_seconds: wall time spent scoring this item (extraction, sandbox, judging), seconds.
        run_seconds: the candidate's own wall time in the sandbox, summed over its tests (the median
            of the meter's repeats for each), seconds; the rest of ``elapsed_seconds`` is the harness's.
        tests_run: candidate tests sent to the sandbox.
        retries: with the Ray executor, the attempts lost with a worker that died while scoring
            this item (each ``{"item", "attempt", "worker", "reason"}``; it was then scored on
            another worker); empty otherwise.
        copy_of: in a batch, the index of the earlier item (same problem id, mode and completion)
            whose result this is a copy of, not scored again (``RewardModel(deduplicate=True)``,
            the default): its times and ``tests_run`` are then 0. None: scored itself.
    """

    problem_id: str
    reward: float
    passed: bool
    efficiency: float
    speedup: float | None
    verdict: Verdict
    status: ItemStatus
    reason: str
    error_type: str | None = None
    censored_level: int | None = None
    level_costs: tuple[float | None, ...] = ()
    reference_level_costs: tuple[float, ...] = ()
    unit: str = ""
    meter: str = ""
    extraction: str = ""
    shaping: str = ""
    elapsed_seconds: float = 0.0
    run_seconds: float = 0.0
    tests_run: int = 0
    retries: tuple[dict[str, Any], ...] = ()
    copy_of: int | None = None

    def __post_init__(self) -> None:
        """Refuse a non-finite reward: every shaping must return a finite float."""
        if not isinstance(self.reward, float) or not math.isfinite(self.reward):
            raise ValueError(f"reward must be a finite float, got {self.reward!r}")

    def facts(self) -> dict[str, Any]:
        """Every field except the times and lost attempts: what two scorings of the same item must agree on."""
        data = self.to_json()
        data.pop("elapsed_seconds")
        data.pop("run_seconds")
        data.pop("retries")
        return data

    def to_json(self) -> dict[str, Any]:
        """Plain JSON-able data (enums as their strings, tuples as lists)."""
        data = asdict(self)
        data["verdict"] = str(self.verdict)
        data["status"] = str(self.status)
        data["level_costs"] = list(self.level_costs)
        data["reference_level_costs"] = list(self.reference_level_costs)
        data["retries"] = [dict(r) for r in self.retries]
        return data


__all__ = ["ItemStatus", "RewardResult"]
