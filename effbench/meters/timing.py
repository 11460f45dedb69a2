"""time meter: CPU time of the child (user + system), repeated; the median is the cost.

Wall time is recorded beside it. Not deterministic: each test runs ``repeats`` times and the
relative spread (max - min) / median is reported with the cost.
"""

from __future__ import annotations

from effbench.meters.base import CountLookup, Meter


class TimeMeter(Meter):
    """The child's CPU time beyond its baseline's, in ns; noisy, so each test runs ``repeats`` times.

    Each child's CPU time is counted from the moment it is let go (the runner reads it from
    ``/proc/<pid>/schedstat`` just before, ``cpu_before_go``): what its set-up cost (fork, copied
    pages, seccomp; noisy, and not the candidate's) is left out of both sides. One baseline child
    per request serves all its repeats (:attr:`shares_baseline`): the repeats cost one child each.
    """

    name = "time"
    unit = "ns"

    def __init__(self, repeats: int = 5, shares_baseline: bool = True) -> None:
        """A time meter.

        Args:
            repeats: runs per test; the cost is their median.
            shares_baseline: False forks a baseline child for every repeat, as before one per
                request was shared (for comparisons: ``benchmarks/meter_overhead.py``).
        """
        self.repeats = repeats
        self.shares_baseline = shares_baseline

    def pair_cost(self, pair: dict, lookup: CountLookup) -> float | None:
        """``cpu(test) - cpu(baseline)`` in whole ns (never below 0); None when one is missing.

        Each child's CPU time counts from its release at the attach point where the runner read
        it for both (``cpu_before_go``), else each child's whole CPU time.
        """
        test, base = pair["test"], pair["baseline"]
        if test.get("cpu_seconds") is None or base.get("cpu_seconds") is None:
            return None
        test_cpu, base_cpu = test["cpu_seconds"], base["cpu_seconds"]
        if test.get("cpu_before_go") is not None and base.get("cpu_before_go") is not None:
            test_cpu -= test["cpu_before_go"]
            base_cpu -= base["cpu_before_go"]
        # whole ns (the kernel's unit): the seconds' binary fractions would leave noise such as
        # 149999999.99999997 in costs and level costs
        return float(max(0, round((test_cpu - base_cpu) * 1e9)))

    def fingerprint(self) -> dict:
        """The base fingerprint, where CPU time is counted from, and the baseline children.

        Profiles measured with another definition of the cost are not reused.
        """
        baselines = "one per request" if self.shares_baseline else "one per repeat"
        return {**super().fingerprint(), "cpu_from": "release at the attach point", "baselines": baselines}
