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

    Below :attr:`resolution_ns` the meter does not tell costs apart: a null candidate's cost
    (test child minus baseline child) reads 0 to a few hundred µs, so every cost is at least the
    resolution. Without that floor an expert whose work is a few µs was profiled at 0 on every
    test, its budget became alpha x 1 ns, and the expert itself, measured again as a sample, was
    censored whenever its noise read above that (a flaky CI test on a 4-level toy problem).
    """

    #: the default floor of a cost, in ns: null candidates on this project's 2-core VM (load
    #: 1.4, 200 requests) read 0-290 µs at 1 repeat (median 35, p90 143) and 0-31 µs as the
    #: median of the default 5 repeats (98 of 100 at 0); the budget is at least alpha times it
    RESOLUTION_NS = 100_000

    name = "time"
    unit = "ns"

    def __init__(self, repeats: int = 5, shares_baseline: bool = True, resolution_ns: int = RESOLUTION_NS) -> None:
        """A time meter.

        Args:
            repeats: runs per test; the cost is their median.
            shares_baseline: False forks a baseline child for every repeat, as before one per
                request was shared (for comparisons: ``benchmarks/meter_overhead.py``).
            resolution_ns: the least cost, in ns (see :attr:`RESOLUTION_NS`); 0 for none.
        """
        self.repeats = repeats
        self.shares_baseline = shares_baseline
        self.resolution_ns = resolution_ns

    def pair_cost(self, pair: dict, lookup: CountLookup) -> float | None:
        """``cpu(test) - cpu(baseline)`` in whole ns, at least ``resolution_ns``; None if one is missing.

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
        return float(max(self.resolution_ns, round((test_cpu - base_cpu) * 1e9)))

    def fingerprint(self) -> dict:
        """The base fingerprint, where CPU time is counted from, and the baseline children.

        Profiles measured with another definition of the cost are not reused.
        """
        baselines = "one per request" if self.shares_baseline else "one per repeat"
        return {
            **super().fingerprint(),
            "cpu_from": "release at the attach point",
            "baselines": baselines,
            "resolution_ns": self.resolution_ns,
        }
