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
    """A perf_event counter on each child: ``instructions`` (exact to the PMU) or another event.

    Attributes:
        event: the perf event counted (``instructions``, ``task-clock`` in ns, ...).
        unit: ``instructions`` for that event, else the event's own name.
    """

    name = "perf"

    def __init__(self, event: str = "instructions", repeats: int = 1) -> None:
        """Count ``event``; ``repeats`` runs per test (1: the counter is exact)."""
        self.event = event
        self.unit = "instructions" if event == "instructions" else event
        self.repeats = repeats

    def runner_options(self) -> list[str]:
        """``--meter perf --perf-event EVENT``."""
        return ["--meter", "perf", "--perf-event", self.event]

    def pair_cost(self, pair: dict, lookup: CountLookup) -> float | None:
        """``count(test) - count(baseline)``, in :attr:`unit`; None when a count is missing."""
        test, base = pair["test"].get("count"), pair["baseline"].get("count")
        if test is None or base is None:
            return None
        return float(test - base)

    def instruction_limit(self, budget: float, pairs_hint: float = 0.0) -> float | None:
        """The budget plus ``pairs_hint`` (the child's own start), polled by the runner."""
        return budget + pairs_hint

    def fingerprint(self) -> dict:
        """The base fingerprint, the event and the kernel release."""
        return {**super().fingerprint(), "event": self.event, "kernel": platform.release()}

    def describe(self) -> str:
        """``perf (EVENT)``."""
        return f"perf ({self.event})"
