"""time meter: CPU time of the child (user + system) beyond a baseline child's; one run per test.

Wall time is recorded beside it. Not deterministic. By default each test input runs once: repeats
of one input (``TimeMeter(repeats=N)``, the median of N runs, with the relative spread
(max - min) / median reported) are an opt-in for trusted code, because hostile code can pass its
work from one repeat to the next (docs/threat-model.md, "One run per test under the time meter").
"""

from __future__ import annotations

from effbench.meters.base import CountLookup, Meter


class TimeMeter(Meter):
    """The child's CPU time beyond its baseline's, in ns; one run per test unless asked otherwise.

    Why one run: the repeats of one input run one after another on one machine, and a machine
    always leaves a channel between them (the pipe inode counter, the wall clock a repeat may
    sleep on for free, the page cache), so a candidate's first repeat can do the work and hand
    the answer on (copy), or each repeat can do 1/R of it and hand the partial result on
    (split). For every aggregate g that grows with each cost, g(C/R, ..., C/R) < g(C, ..., C):
    neither the median, mean, minimum nor maximum of repeats resists both. A single run has no
    earlier run of its input to learn from. ``repeats > 1`` is kept for trusted code and
    comparisons; such a meter says so in :meth:`describe` and :meth:`fingerprint` (so in a run's
    ``config.json``).

    Each child's CPU time is counted from the moment it is let go (the runner reads it from
    ``/proc/<pid>/schedstat`` just before, ``cpu_before_go``): what its set-up cost (fork, copied
    pages, seccomp; noisy, and not the candidate's) is left out of both sides. One baseline child
    per request serves all its repeats (:attr:`shares_baseline`): the repeats cost one child each.

    At one run (the default, ``calibrated_null``) a request forks no baseline child: what is
    subtracted is a null cost the host measured on the runner when it started (the median, over
    21 null tests served through the same path, of the test child's CPU time from its release to
    its exit plus the cleanup; ``RunnerClient.calibrate_null``), before any candidate ran there.
    A test then costs two forked processes instead of three, its cost is one noisy measurement
    less a stable constant instead of the difference of two, and no candidate can inflate what is
    subtracted from its own cost. What a baseline child also cancelled, the exit's tearing down
    of what the test child inherited from its worker beyond a null request's (the decoded
    arguments, the compiled module: 1.7 ms for a list of 10**6 ints), is subtracted at a CPU time
    per kB held at the release, calibrated at the same time (a null child inheriting a written
    ballast; 23-64 µs per MB here). What the candidate allocates after its release is never
    subtracted: its teardown is the candidate's (docs/performance.md, "The time meter's own cost per test").

    Below :attr:`resolution_ns` the meter does not tell costs apart: a null candidate's cost
    (test child minus baseline child) reads 0 to a few hundred µs, so every cost is at least the
    resolution. Without that floor an expert whose work is a few µs was profiled at 0 on every
    test, its budget became alpha x 1 ns, and the expert itself, measured again as a sample, was
    censored whenever its noise read above that (a flaky CI test on a 4-level toy problem).
    """

    #: the default floor of a cost, in ns: the median over runs of the 99th percentile of a null
    #: candidate's cost at one run, rounded up to 50 µs (``benchmarks/time_meter_cost.py``, five
    #: runs of 300-500 requests on this project's 2-core VM, load 0.2-5.8: p99 212-303 µs, median
    #: of them 256; median cost 0, max 349-767). The budget is at least alpha times it, so an
    #: expert whose work is below it, measured again as a sample, is censored only where its
    #: noise reads above alpha x 300 µs (600 µs at alpha 2: above every run's maximum but one)
    RESOLUTION_NS = 300_000

    #: what a meter that repeats one input says of itself (describe, fingerprint)
    FORGEABLE = "repeats of one input: hostile code can pass work between them (for trusted code only)"

    name = "time"
    unit = "ns"
    #: against a calibrated null, the kB held at the release beyond what the worker held before
    #: compiling the candidate's code that are still credited (:meth:`pair_cost`): an honest
    #: module's code objects, a few hundred kB; at the calibrated slope (24-58 us per MB) this
    #: is at most about 0.1 ms, under :attr:`RESOLUTION_NS`
    CODE_SLACK_KB = 2 << 10

    def __init__(
        self,
        repeats: int = 1,
        shares_baseline: bool = True,
        resolution_ns: int = RESOLUTION_NS,
        calibrated_null: bool = True,
    ) -> None:
        """A time meter.

        Args:
            repeats: runs of each test input, 1 by default; the cost is their median. More than
                one is forgeable by hostile code (see the class): for trusted code and
                comparisons only.
            shares_baseline: False forks a baseline child for every repeat, as before one per
                request was shared (for comparisons: ``benchmarks/meter_overhead.py``).
            resolution_ns: the least cost, in ns (see :attr:`RESOLUTION_NS`); 0 for none.
            calibrated_null: at one run per test (``repeats`` 1), no baseline child per request:
                the test child's CPU time less a null cost the host calibrated on the runner when
                it started (see the class). False forks a baseline child per request, as before
                (for comparisons: ``benchmarks/time_meter_noise.py``).

        Raises:
            ValueError: ``repeats`` is not a positive int, or ``resolution_ns`` a negative one.
        """
        if isinstance(repeats, bool) or not isinstance(repeats, int) or repeats < 1:
            raise ValueError(f"TimeMeter: repeats must be a positive int, got {repeats!r}")
        if isinstance(resolution_ns, bool) or not isinstance(resolution_ns, int) or resolution_ns < 0:
            raise ValueError(f"TimeMeter: resolution_ns must be an int >= 0, got {resolution_ns!r}")
        self.repeats = repeats
        self.shares_baseline = shares_baseline
        self.resolution_ns = resolution_ns
        self.calibrated_null = bool(calibrated_null)

    def pair_cost(self, pair: dict, lookup: CountLookup) -> float | None:
        """``cpu(test) - cpu(baseline)`` in whole ns, at least ``resolution_ns``; None if one is missing.

        Each child's CPU time counts from its release at the attach point where the runner read
        it for both (``cpu_before_go``), else each child's whole CPU time. The test's side includes
        the runner's CPU time emptying its scratch folder afterwards (``cleanup_cpu_seconds``).
        Against a calibrated null (``base["calibrated"]``, see the class), the baseline's side
        also has the exit's cost of what the test child held at its release beyond the null's
        (``rss_at_go_kb``), at the calibrated ``exit_seconds_per_kb``: at most what its worker
        held before compiling its code beyond the null's (``rss_before_code_kb``, its arguments),
        plus :attr:`CODE_SLACK_KB`.
        """
        test, base = pair["test"], pair["baseline"]
        if test.get("cpu_seconds") is None or base.get("cpu_seconds") is None:
            return None
        # the worker's CPU time emptying the test's scratch folder is the test's: what the
        # candidate kept there (a shared mapping of a tmpfs file) is freed by that unlink, not by
        # its own exit (the runner's _empty_scratch)
        test_cpu = test["cpu_seconds"] + test.get("cleanup_cpu_seconds", 0.0)
        base_cpu = base["cpu_seconds"]
        if test.get("cpu_before_go") is not None and base.get("cpu_before_go") is not None:
            test_cpu -= test["cpu_before_go"]
            base_cpu -= base["cpu_before_go"]
        if base.get("calibrated"):
            # a calibrated null (no baseline child): the exit's tearing down of what the test
            # child held at its release beyond the null's (inherited from its worker: the decoded
            # arguments, the compiled module) is the harness's, as a baseline child of the same
            # request cancelled it; at the calibrated CPU seconds per kB
            extra_kb = max(0, (test.get("rss_at_go_kb") or 0) - base["rss_at_go_kb"])
            # but only as far as the worker held more before compiling the candidate's code (the
            # request's arguments): what compiling added is the candidate's to choose (a source
            # padded with folded constants held 100 MB per 110 kB at its release and earned a credit
            # as large as it liked: tests/threats/test_padded_source_exit_credit.py); a record
            # without the figure is credited the slack only
            if base.get("rss_before_code_kb") is not None:
                before = test.get("rss_before_code_kb")
                args_kb = 0 if before is None else max(0, before - base["rss_before_code_kb"])
                extra_kb = min(extra_kb, args_kb + self.CODE_SLACK_KB)
            base_cpu += base["exit_seconds_per_kb"] * extra_kb
        # whole ns (the kernel's unit): the seconds' binary fractions would leave noise such as
        # 149999999.99999997 in costs and level costs
        return float(max(self.resolution_ns, round((test_cpu - base_cpu) * 1e9)))

    def fingerprint(self) -> dict:
        """The base fingerprint and how this meter defines a cost.

        Where CPU time is counted from, the baseline children, the floor, the runs per test input
        (``repeats``) and, when more than one, that they are forgeable (``repeats_forgeable``).
        Profiles measured with another definition of the cost are not reused.
        """
        baselines = "one per request" if self.shares_baseline else "one per repeat"
        if self.calibrated_null and self.repeats == 1:
            baselines = "a null cost calibrated per runner start"
        facts = {
            **super().fingerprint(),
            "cpu_from": "release at the attach point",
            "cleanup": "the runner's CPU time emptying the test's scratch folder is the test's",
            "baselines": baselines,
            "resolution_ns": self.resolution_ns,
            "repeats": self.repeats,
        }
        if self.repeats > 1:
            facts["repeats_forgeable"] = self.FORGEABLE
        return facts

    def describe(self) -> str:
        """One line for the user: ``time (ns)``, with the repeats and their warning when more than one."""
        if self.repeats == 1:
            return super().describe()
        return f"{self.name} ({self.unit}; median of {self.repeats} runs per test: {self.FORGEABLE})"
