"""An expert's time-meter cost beside a neighbour on the other runner (docs/threat-model.md, "Known and not
fixed": parallel runners under the time meter in the reward API).

``LocalSandbox(TimeMeter(resolution_ns=0), workers=2)``: the expert of ``--problem`` on its top
level's first test, alone, beside a pure-Python loop, and beside two threads streaming 48 MiB
buffers (run again and again on the other runner while the expert's test runs), alternated
``--rounds`` times; prints each case's median cost and the load average before and after:

    .venv/bin/python benchmarks/time_meter_neighbour.py [--problem count_inversions] [--rounds 6]

Exit 0 (figures only; nothing here is a pass or fail).
"""

from __future__ import annotations

import argparse
import os
import statistics
import textwrap
import threading
import time

from script_exit import run_main

from effbench.meters.timing import TimeMeter
from effbench.problems import load_problem_set
from effbench.sandboxes.base import Limits, TestRequest

NEIGHBOURS = {
    "alone": None,
    "python_loop": "def f():\n    s = 0\n    for i in range(6_000_000):\n        s += i\n    return s\n",
    "memory_2_threads": textwrap.dedent(
        """
        import threading

        def _burn(b):
            for _ in range(12):
                b[:] = b'\\x01' * len(b)
                b[:] = bytes(len(b))

        def f():
            ts = [threading.Thread(target=_burn, args=(bytearray(48 << 20),)) for _ in range(2)]
            for t in ts:
                t.start()
            for t in ts:
                t.join()
            return 0
        """
    ),
}


def main() -> int:
    """Run the rounds and print the medians; returns 0."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problem", default="count_inversions")
    parser.add_argument("--rounds", type=int, default=6)
    args = parser.parse_args()
    from effbench.sandboxes.local import LocalSandbox

    problem = load_problem_set().get(args.problem)
    test = problem.level_tests(len(problem.levels) - 1, "neighbour")[0]
    limits = Limits(wall_seconds=120, cpu_seconds=60)
    costs: dict[str, list[float]] = {name: [] for name in NEIGHBOURS}
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    with LocalSandbox(TimeMeter(resolution_ns=0), workers=2) as box:
        for _ in range(args.rounds):
            for name, code in NEIGHBOURS.items():
                stop = threading.Event()

                def neighbour(code: str = code, stop: threading.Event = stop) -> None:
                    while not stop.is_set():
                        box.run(TestRequest(code, "f", [], limits, 1))

                thread = threading.Thread(target=neighbour) if code else None
                if thread:
                    thread.start()
                    time.sleep(0.15)
                run = box.run(TestRequest(problem.expert_code, problem.entry_point, test.args, limits, 1))
                stop.set()
                if thread:
                    thread.join()
                if run.cost is not None:
                    costs[name].append(run.cost.value / 1e6)
    for name, values in costs.items():
        print(f"{name:16} median {statistics.median(values):7.2f} ms  {[round(v, 2) for v in values]}")
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    run_main(main, "time_meter_neighbour")
