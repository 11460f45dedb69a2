"""time meter: CPU time of the child (user + system), repeated; the median is the cost.

Wall time is recorded beside it. Not deterministic: each test runs ``repeats`` times and the
relative spread (max - min) / median is reported with the cost.
"""

from __future__ import annotations

from effbench.meters.base import CountLookup, Meter


class TimeMeter(Meter):
    name = "time"
    unit = "ns"

    def __init__(self, repeats: int = 5) -> None:
        self.repeats = repeats

    def pair_cost(self, pair: dict, lookup: CountLookup) -> float | None:
        test, base = pair["test"].get("cpu_seconds"), pair["baseline"].get("cpu_seconds")
        if test is None or base is None:
            return None
        return max(0.0, (test - base) * 1e9)
