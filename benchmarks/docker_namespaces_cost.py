"""What the docker backend's own namespaces cost per test: the same small tests in a container
whose set-up step makes its namespaces (fixed pids: the next worker forked once the current one
is gone) and in one that does not (workers pipelined), alternated in one run.

    .venv/bin/python benchmarks/docker_namespaces_cost.py [--meter valgrind|time] [--tests 20] [--rounds 2]

Needs a running Docker engine and the sandbox image (``effbench sandbox build``). Prints, per
round and setting, the median wall time of one test (ms), and the load average.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

from effbench.meters.timing import TimeMeter
from effbench.meters.valgrind import ValgrindMeter
from effbench.sandboxes.base import Limits, TestRequest
from effbench.sandboxes.docker import DockerSandbox

CODE = "def f(n):\n    return sum(range(n))\n"


def per_test_ms(box: DockerSandbox, tests: int) -> float:
    """Median wall milliseconds of ``tests`` one-test requests on ``box`` (after one warm-up)."""
    limits = Limits(wall_seconds=60, cpu_seconds=30)
    box.run(TestRequest(CODE, "f", [1000], limits))
    times = []
    for i in range(tests):
        start = time.perf_counter()
        run = box.run(TestRequest(CODE, "f", [1000 + i], limits))
        times.append((time.perf_counter() - start) * 1000)
        assert run.result is not None, run
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--meter", choices=["valgrind", "time"], default="valgrind")
    parser.add_argument("--tests", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    meter = ValgrindMeter if args.meter == "valgrind" else TimeMeter
    for round_ in range(1, args.rounds + 1):
        for own in (True, False):
            with DockerSandbox(meter(), workers=1, own_namespaces=own) as box:
                assert box.facts["fixed_pids"] == own, box.facts
                ms = per_test_ms(box, args.tests)
            load = os.getloadavg()[0]
            print(f"round {round_} own_namespaces={own!s:5} {args.meter}: {ms:7.1f} ms/test (load {load:.1f})")


if __name__ == "__main__":
    main()
