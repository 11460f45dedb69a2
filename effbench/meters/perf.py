"""perf meter: a hardware instruction counter (user space) opened by the runner on each child.

The counter is inherited by the child's threads, enabled before the child starts the candidate
and read after it exits; the child never holds its descriptor. Cost is
``count(test child) - count(baseline child)``. The runner also polls the counter to stop a run
at the budget. ``event="task-clock"`` (a software event, in ns) exercises the same plumbing on
machines without a PMU; tests use it.
"""

from __future__ import annotations

import platform

from effbench.meters.base import CountLookup, Meter


class PerfMeter(Meter):
    name = "perf"

    def __init__(self, event: str = "instructions", repeats: int = 1) -> None:
        self.event = event
        self.unit = "instructions" if event == "instructions" else event
        self.repeats = repeats

    def runner_options(self) -> list[str]:
        return ["--meter", "perf", "--perf-event", self.event]

    def pair_cost(self, pair: dict, lookup: CountLookup) -> float | None:
        test, base = pair["test"].get("count"), pair["baseline"].get("count")
        if test is None or base is None:
            return None
        return float(test - base)

    def instruction_limit(self, budget: float, pairs_hint: float = 0.0) -> float | None:
        return budget + pairs_hint

    def fingerprint(self) -> dict:
        return {**super().fingerprint(), "event": self.event, "kernel": platform.release()}

    def describe(self) -> str:
        return f"perf ({self.event})"
