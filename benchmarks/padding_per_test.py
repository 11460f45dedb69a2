"""Does a program that does more ever cost less, test by test? (issue 14; the per-test companion of
``benchmarks/padding_monotonicity.py``, which compares each level's largest cost.)

Runs a problem's expert and the expert padded with ``k`` empty lists (at module level, and at the
start of each call) on the first ``--tests`` tests of its last level, straight through the local
sandbox under the valgrind meter, and prints, per test and padding kind: the expert's count, how
much the cheapest padded item costs above it, and every step where a larger ``k`` cost less than
the ``k`` before it. The allocator is the one ``EFFBENCH_ALLOCATOR`` names (see
effbench/sandboxes/allocator.py), so that the choices can be compared:

    EFFBENCH_ALLOCATOR=effalloc-pymalloc .venv/bin/python benchmarks/padding_per_test.py \
        [--problem decode_nested_repeat] [--pads 0,10,...,300] [--tests 2]

Exit 1 if any step is negative or any padded item costs less than the expert; 0 otherwise.
"""

from __future__ import annotations

import os
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from effbench import codec
from effbench.meters.valgrind import ValgrindMeter
from effbench.sandboxes.allocator import CHOICE_VARIABLE
from effbench.sandboxes.base import Limits, TestRequest
from effbench.sandboxes.local import LocalSandbox

sys.path.insert(0, str(Path(__file__).parent))
from padding_monotonicity import chosen_problem, padded, padding_parser  # noqa: E402
from script_exit import run_main

LIMITS = Limits(wall_seconds=300.0, cpu_seconds=200.0)


def main(argv: list[str] | None = None) -> int:
    """Run the comparison; returns the exit status (0: every step positive, 1: not)."""
    parser = padding_parser(__doc__.split("\n\n")[0])
    parser.add_argument("--pads", default=",".join(str(k) for k in range(0, 301, 10)), help="numbers of lists")
    parser.add_argument("--tests", type=int, default=2, help="tests of the last level (the first N)")
    parser.add_argument("--seed", default="reward-throughput", help="the generated inputs' seed")
    args = parser.parse_args(argv)
    _, problem = chosen_problem(parser, args)
    try:
        pads = sorted({int(k) for k in args.pads.split(",")})
    except ValueError:
        parser.error("--pads takes comma-separated whole numbers")
    if min(pads) < 0 or args.tests < 1 or args.workers < 1:
        parser.error("--pads must not be negative, --tests and --workers at least 1")
    tests = list(problem.level_tests(len(problem.levels) - 1, args.seed))[: args.tests]
    rows = [(None, 0, problem.expert_code)]
    rows += [
        (where, k, padded(problem.expert_code, problem.entry_point, k, where))
        for where in ("module", "call")
        for k in pads
    ]
    jobs = [(i, j) for i in range(len(rows)) for j in range(len(tests))]
    with LocalSandbox(ValgrindMeter(), workers=args.workers) as box:

        def one(job: tuple[int, int]) -> float:
            i, j = job
            request = TestRequest(rows[i][2], problem.entry_point, codec.encode(tests[j].args), LIMITS)
            run = box.run(request)
            if run.cost is None:
                raise SystemExit(f"padding_per_test: no count for {rows[i][:2]} on test {j}: {run}")
            return run.cost.value

        with ThreadPoolExecutor(args.workers) as pool:
            values = dict(zip(jobs, pool.map(one, jobs)))
    allocator = os.environ.get(CHOICE_VARIABLE) or "effalloc"
    print(f"{problem.id}, allocator {allocator}, pads {pads[0]}..{pads[-1]} ({len(pads)}), last level's tests:")
    failures = 0
    for where in ("module", "call"):
        indices = [i for i, row in enumerate(rows) if row[0] == where]
        for j in range(len(tests)):
            expert = values[(0, j)]
            costs = [values[(i, j)] for i in indices]
            steps = [(rows[i][1], b - a) for i, a, b in zip(indices[1:], costs, costs[1:])]
            negative = [(k, step) for k, step in steps if step < 0]
            failures += len(negative) + sum(c < expert for c in costs)
            print(
                f"  {where:6s} test {j}: expert {expert:,.0f}; cheapest padded {min(costs) - expert:+,.0f}; "
                f"negative steps {len(negative)}/{len(steps)}"
                + (" at " + ", ".join(f"k={k} ({step:+,.0f})" for k, step in negative) if negative else "")
            )
    print("every step positive, nothing below the expert: " + ("yes" if not failures else "no"))
    return 1 if failures else 0


if __name__ == "__main__":
    run_main(main, "padding_per_test")
