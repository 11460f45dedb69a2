"""time meter: CPU time of the child (user + system), repeated; the median is the cost.

Wall time is recorded beside it. Not deterministic: each test runs ``repeats`` times and the
relative spread (max - min) / median is reported with the cost.
"""

from __future__ import annotations

from effbench.meters.base import CountLookup, Meter


class TimeMeter(Meter):
    """The child's CPU time beyond its baseline's, in ns; noisy, so each test runs ``repeats`` times."""

    name = "time"
    unit = "ns"

    def __init__(self, repeats: int = 5) -> None:
        """``repeats`` runs per test; the cost is their median."""
        self.repeats = repeats

    def pair_cost(self, pair: dict, lookup: CountLookup) -> float | None:
        """``cpu(test) - cpu(baseline)`` in ns (never below 0); None when one is missing."""
        test, base = pair["test"].get("cpu_seconds"), pair["baseline"].get("cpu_seconds")
        if test is None or base is None:
            return None
        return max(0.0, (test - base) * 1e9)
