"""The time meter's noise from request to request: one run per test (the default, less the null
cost calibrated per runner) against one run less a baseline child's per request (as before the
calibrated null) and the median of 5 repeats (the opt-in for trusted code, which hostile code
can forge).

For each level of one bundled problem, the expert runs on the first ``--tests`` tests of that level
``--rounds`` times under ``TimeMeter()`` (one run per test input, the default), under
``TimeMeter(calibrated_null=False)`` and under ``TimeMeter(repeats=5)`` (5 repeats sharing one
baseline child, the default before one run), alternated round by round in one sandbox each. It
prints, per level, the mean cost, the median over tests of each test's median cost, and the
median over tests of the cost's relative standard deviation across rounds: how far one
measurement of a test can be from the next, and so what a user gives up with one run. Costs are the meter's, floor
(``TimeMeter.RESOLUTION_NS``) included; the load average is printed before and after.

    .venv/bin/python benchmarks/time_meter_noise.py [--problem count_inversions] [--rounds 8] [--tests 4]
"""

from __future__ import annotations

import argparse
import statistics

from script_exit import run_main

from effbench import codec
from effbench.meters.timing import TimeMeter
from effbench.problems import load_problem_set
from effbench.sandboxes.base import Limits, TestRequest
from effbench.sandboxes.local import LocalSandbox

LIMITS = Limits(wall_seconds=60, cpu_seconds=30)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--problem", default="count_inversions", help="a bundled problem id (default %(default)s)")
    parser.add_argument("--rounds", type=int, default=8, help="measurements of each test per way (default 8)")
    parser.add_argument("--tests", type=int, default=4, help="tests per level (default 4)")
    opts = parser.parse_args()
    if opts.rounds < 2 or opts.tests < 1:
        parser.error("--rounds must be at least 2 and --tests at least 1")
    problem = load_problem_set().get(opts.problem)
    ways = {
        "1 run": TimeMeter(),
        "1 run, baseline child": TimeMeter(calibrated_null=False),
        "5 repeats": TimeMeter(repeats=5),
    }
    boxes = {name: LocalSandbox(meter, workers=1) for name, meter in ways.items()}
    try:
        print(f"{problem.id}: expert, {opts.tests} tests per level, {opts.rounds} rounds")
        print(f"load average before: {' '.join(open('/proc/loadavg').read().split()[:3])}")
        for level in range(len(problem.levels)):
            tests = problem.level_tests(level)[: opts.tests]
            costs: dict[str, list[list[float]]] = {name: [[] for _ in tests] for name in ways}
            for _ in range(opts.rounds):
                for name, box in boxes.items():
                    for i, test in enumerate(tests):
                        request = TestRequest(
                            problem.expert_code,
                            problem.entry_point,
                            codec.encode_args(test.args),
                            LIMITS,
                            ways[name].repeats,
                        )
                        run = box.run(request)
                        costs[name][i].append(run.cost.value if run.cost else float("nan"))
            cells = []
            for name in ways:
                mean = statistics.mean(statistics.mean(c) for c in costs[name])
                median = statistics.median(statistics.median(c) for c in costs[name])
                rel = statistics.median(statistics.stdev(c) / statistics.mean(c) for c in costs[name])
                cells.append(
                    f"{name}: mean cost {mean / 1e3:7.1f} us, median {median / 1e3:7.1f} us, relative std {rel:.2f}"
                )
            print(f"  level {level}: " + " | ".join(cells), flush=True)
        print(f"load average after: {' '.join(open('/proc/loadavg').read().split()[:3])}")
    finally:
        for box in boxes.values():
            box.close()
    return 0


if __name__ == "__main__":
    run_main(main, "time_meter_noise")
