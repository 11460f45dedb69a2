"""The time meter's own cost per test, and its noise, in one short run (issue 13 item 5).

Three sections, all on a local sandbox with one worker, runner already up:

- null tests (a candidate that returns None at once) at 1 repeat (the time meter's default: one
  run per test) and 5 (the opt-in for trusted code): wall time per test as
  the host sees it (median and mean), the CPU time of every process of the sandbox per test, and
  the median of each harness phase (``TestRun.phases``). A null test's wall time is all harness;
- the spread of the time meter's cost of one expert test measured N times (count_inversions, its
  smallest and its largest level's first test, one repeat each): median, 10th and 90th
  percentile, in microseconds. The raw costs (``TimeMeter(resolution_ns=0)``, never below 0): a
  score counts a cost below ``TimeMeter.RESOLUTION_NS`` as that resolution;
- a null test's cost at one run with no floor, over ``--null-costs`` requests: min, median, 90th,
  95th and 99th percentile, max, in microseconds (what ``TimeMeter.RESOLUTION_NS`` is chosen from).

    .venv/bin/python benchmarks/time_meter_cost.py [--tests 40] [--runs 40] [--null-costs 300]
    .venv/bin/python benchmarks/time_meter_cost.py --interleave OTHER/runner.py [--tests 150]
    .venv/bin/python benchmarks/time_meter_cost.py --baseline-child [--tests 150]
    .venv/bin/python benchmarks/time_meter_cost.py --serve 200

``--serve N`` only serves N null tests at one run (after 3 warm-up requests) and prints their
mean wall time: the loop ``benchmarks/time_meter_profile.py`` runs under ``perf record``.

To compare two versions of the runner, run this file with ``PYTHONPATH`` pointing at each
checkout in turn (the sandbox runs the ``sandbox/runner.py`` of the ``effbench`` it imports).
``--interleave`` instead starts two sandboxes at once, one with this checkout's runner (A) and
one with the given runner file (B; started by this checkout's host code and allocator, so it
must accept this checkout's command line), and runs null tests on each in turn, at 1 and 5
repeats: both see the same load, which a shared machine moves more than most changes.
``--baseline-child`` does the same at 1 repeat on this checkout's runner, A with the time
meter's calibrated null cost, B with a baseline child per request (as before it).
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from meter_overhead import PHASES, sandbox_usage
from script_exit import run_main

from effbench import codec, paths
from effbench.meters.timing import TimeMeter
from effbench.problems import load_problem_set
from effbench.sandboxes.base import Limits, TestRequest
from effbench.sandboxes.local import LocalSandbox

NULL = "def f(*args):\n    return None\n"


def null_tests(repeats: int, tests: int) -> None:
    """Print wall time, CPU time and the phases' medians per null test at ``repeats`` repeats."""
    with LocalSandbox(TimeMeter(repeats=repeats), workers=1) as box:
        request = TestRequest(NULL, "f", codec.encode([]), Limits(), repeats)
        for _ in range(3):  # the runner's first requests
            box.run(request)
        walls: list[float] = []
        phases: dict[str, list[float]] = {name: [] for name in PHASES}
        cpu_before, faults_before = sandbox_usage(box)
        for _ in range(tests):
            t0 = time.perf_counter()
            run = box.run(request)
            walls.append(time.perf_counter() - t0)
            for name in PHASES:
                phases[name].append(run.phases.get(name, 0.0))
        cpu_after, faults_after = sandbox_usage(box)
        cpu, faults = (cpu_after - cpu_before) / tests, (faults_after - faults_before) / tests
    print(
        f"  {repeats} repeat(s): wall/test median {1000 * statistics.median(walls):6.2f} ms, "
        f"mean {1000 * statistics.mean(walls):6.2f} ms; cpu/test {1000 * cpu:6.2f} ms; "
        f"page faults/test {faults:6.0f}"
    )
    print("    phases (median ms): " + " ".join(f"{n}={1000 * statistics.median(v):.2f}" for n, v in phases.items()))


def serve(tests: int) -> None:
    """Serve ``tests`` null tests at one run after 3 warm-up requests; print the mean wall time."""
    with LocalSandbox(TimeMeter(), workers=1) as box:
        request = TestRequest(NULL, "f", codec.encode([]), Limits(), 1)
        for _ in range(3):  # the runner's first requests
            box.run(request)
        t0 = time.perf_counter()
        for _ in range(tests):
            box.run(request)
        print(f"{tests} null tests: wall/test mean {1000 * (time.perf_counter() - t0) / tests:.2f} ms")


def interleaved(other: str | None, repeats: int, tests: int) -> None:
    """Print wall time (median, quartiles) and the sandbox's CPU time per null test at ``repeats``
    repeats, on this checkout's runner (A) and on the runner file ``other`` (B), one test on each
    in turn (A first on even rounds, B first on odd ones). ``other`` None: B is this checkout's
    runner too, with a baseline child per request (``TimeMeter(calibrated_null=False)``)."""
    boxes = {}
    try:
        sides = (
            ("A", paths.runner_path(), True),
            ("B", Path(other).resolve() if other else paths.runner_path(), other is not None),
        )
        for name, path, calibrated in sides:
            original = paths.runner_path
            paths.runner_path = lambda path=path: path  # read by the sandbox's start only
            try:
                boxes[name] = LocalSandbox(TimeMeter(repeats=repeats, calibrated_null=calibrated), workers=1)
            finally:
                paths.runner_path = original
        request = TestRequest(NULL, "f", codec.encode([]), Limits(), repeats)
        for _ in range(3):  # the runners' first requests
            for box in boxes.values():
                box.run(request)
        walls: dict[str, list[float]] = {name: [] for name in boxes}
        cpu = dict.fromkeys(boxes, 0.0)
        faults = dict.fromkeys(boxes, 0)
        for i in range(tests):
            for name in ("A", "B") if i % 2 == 0 else ("B", "A"):
                cpu_before, faults_before = sandbox_usage(boxes[name])
                t0 = time.perf_counter()
                boxes[name].run(request)
                walls[name].append(time.perf_counter() - t0)
                cpu_after, faults_after = sandbox_usage(boxes[name])
                cpu[name] += cpu_after - cpu_before
                faults[name] += faults_after - faults_before
        for name, values in walls.items():
            q1, _, q3 = statistics.quantiles(values, n=4)
            print(
                f"  {name} {repeats} repeat(s): wall/test median {1000 * statistics.median(values):6.2f} ms "
                f"(q1 {1000 * q1:6.2f}, q3 {1000 * q3:6.2f}); cpu/test {1000 * cpu[name] / tests:6.2f} ms; "
                f"page faults/test {faults[name] / tests:6.0f}"
            )
    finally:
        for box in boxes.values():
            box.close()


def _costs_us(box: LocalSandbox, request: TestRequest, runs: int, warm_up: int) -> list[float]:
    """The cost of ``runs`` runs of ``request`` in ``box``, in µs, after ``warm_up`` runs not kept."""
    for _ in range(warm_up):
        box.run(request)
    costs = []
    for _ in range(runs):
        run = box.run(request)
        assert run.cost is not None, run
        costs.append(run.cost.value / 1e3)
    return costs


def null_costs(requests: int) -> None:
    """Print the distribution of a null test's cost at one run (``TimeMeter(resolution_ns=0)``):
    the test child's CPU time beyond its baseline's, in µs, over ``requests`` requests. What
    ``TimeMeter.RESOLUTION_NS`` is chosen from (about the 99th percentile)."""
    with LocalSandbox(TimeMeter(repeats=1, resolution_ns=0), workers=1) as box:
        request = TestRequest(NULL, "f", codec.encode([]), Limits(), 1)
        costs = _costs_us(box, request, requests, warm_up=3)  # past the runner's first requests
    pct = statistics.quantiles(costs, n=100, method="inclusive")
    print(
        f"  {requests} requests: min {min(costs):.0f}, median {statistics.median(costs):.0f}, "
        f"p90 {pct[89]:.0f}, p95 {pct[94]:.0f}, p99 {pct[98]:.0f}, max {max(costs):.0f} us; "
        f"at 0: {sum(c == 0 for c in costs)}"
    )


def spread(runs: int) -> None:
    """Print the time meter's cost of count_inversions' first test at its smallest and largest level."""
    problem = load_problem_set().get("count_inversions")
    with LocalSandbox(TimeMeter(repeats=1, resolution_ns=0), workers=1) as box:
        for level in (0, len(problem.levels) - 1):
            test = problem.level_tests(level)[0]
            request = TestRequest(problem.expert_code, problem.entry_point, codec.encode(test.args), Limits(), 1)
            costs = _costs_us(box, request, runs, warm_up=1)
            deciles = statistics.quantiles(costs, n=10)
            print(
                f"  {problem.id} {test.test_id}: median {statistics.median(costs):8.1f} us, "
                f"p10 {deciles[0]:8.1f}, p90 {deciles[-1]:8.1f}, p90 - p10 {deciles[-1] - deciles[0]:8.1f} us"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tests", type=int, default=40, help="null tests per repeat count (default %(default)s)")
    parser.add_argument("--runs", type=int, default=40, help="runs of each expert test (default %(default)s)")
    parser.add_argument(
        "--null-costs", type=int, default=300, help="null requests for the cost distribution (default %(default)s)"
    )
    parser.add_argument(
        "--interleave",
        metavar="RUNNER",
        help="instead: null tests on this checkout's runner (A) and on this runner file (B), in turn",
    )
    parser.add_argument(
        "--baseline-child",
        action="store_true",
        help="instead: null tests at 1 repeat with the calibrated null cost (A) and with a baseline child "
        "per request (B, TimeMeter(calibrated_null=False)), in turn, on this checkout's runner",
    )
    parser.add_argument("--serve", type=int, metavar="N", help="instead: only serve N null tests (for a profiler)")
    opts = parser.parse_args()
    if opts.serve is not None:
        if opts.serve < 1:
            parser.error("--serve must be at least 1")
        serve(opts.serve)
        return
    if opts.tests < 1 or opts.runs < 2 or opts.null_costs < 2:
        parser.error("--tests must be at least 1, --runs and --null-costs at least 2")
    if opts.baseline_child:
        print("A: calibrated null cost (no baseline child); B: a baseline child per request")
        print(f"null tests under the time meter ({opts.tests} per line and way, one worker each, interleaved)")
        print(f"load average before: {' '.join(open('/proc/loadavg').read().split()[:3])}")
        interleaved(None, 1, opts.tests)
        print(f"load average after: {' '.join(open('/proc/loadavg').read().split()[:3])}")
        return
    if opts.interleave:
        if not Path(opts.interleave).is_file():
            parser.error(f"--interleave: no such file: {opts.interleave}")
        print(f"A: {paths.runner_path()}\nB: {Path(opts.interleave).resolve()}")
        print(f"null tests under the time meter ({opts.tests} per line and runner, one worker each, interleaved)")
        print(f"load average before: {' '.join(open('/proc/loadavg').read().split()[:3])}")
        for repeats in (1, 5):
            interleaved(opts.interleave, repeats, opts.tests)
        print(f"load average after: {' '.join(open('/proc/loadavg').read().split()[:3])}")
        return
    print(f"runner: {paths.runner_path()}")
    print(f"load average before: {' '.join(open('/proc/loadavg').read().split()[:3])}")
    print(f"null tests under the time meter ({opts.tests} per line, one worker)")
    for repeats in (1, 5):
        null_tests(repeats, opts.tests)
    print(f"time meter cost of one expert test, {opts.runs} runs of 1 repeat")
    spread(opts.runs)
    print("a null test's cost at 1 repeat, no resolution floor (TimeMeter(resolution_ns=0))")
    null_costs(opts.null_costs)
    print(f"load average after: {' '.join(open('/proc/loadavg').read().split()[:3])}")


if __name__ == "__main__":
    run_main(main, "time_meter_cost")
