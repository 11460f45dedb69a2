"""Per-test overhead of the docker backend against the local one, measured in one run.

The same expert solutions run on the same tests (every level) through both backends, each with
one warm worker (started before the clock runs) and the same meter and interpreter (Debian's
/usr/bin/python3.11 locally, the image's identical one in docker). It prints the mean wall time
per test of each backend and their ratio (goal: docker / local under 1.5).

    .venv/bin/python benchmarks/docker_overhead.py [--problems a,b] [--meter valgrind|time]
"""

from __future__ import annotations

import argparse
import os
import time

from script_exit import run_main

from effbench import codec
from effbench.meters.timing import TimeMeter
from effbench.meters.valgrind import ValgrindMeter
from effbench.problems import load_problem_set
from effbench.sandboxes.base import Limits, TestRequest
from effbench.sandboxes.docker import DockerSandbox
from effbench.sandboxes.docker_image import build_image
from effbench.sandboxes.local import LocalSandbox


def per_test_seconds(box, requests) -> float:
    box.run(requests[0])  # warm: the runner is up and has served once
    start = time.perf_counter()
    for req in requests:
        run = box.run(req)
        assert run.infra_error is None, run.infra_error
    return (time.perf_counter() - start) / len(requests)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problems", default="count_inversions,top_k_frequent")
    parser.add_argument("--meter", choices=["valgrind", "time"], default="valgrind")
    opts = parser.parse_args()
    meter = ValgrindMeter() if opts.meter == "valgrind" else TimeMeter(repeats=1)
    problems = load_problem_set()
    requests = []
    for pid in opts.problems.split(","):
        p = problems.get(pid)
        for level in range(len(p.levels)):
            for t in p.level_tests(level):
                requests.append(TestRequest(p.expert_code, p.entry_point, codec.encode(t.args), Limits()))
    image = build_image("auto")
    python = "/usr/bin/python3.11" if os.path.exists("/usr/bin/python3.11") else None
    with LocalSandbox(meter, workers=1, python=python) as local:
        t_local = per_test_seconds(local, requests)
    with DockerSandbox(meter, workers=1, image=image) as docker:
        t_docker = per_test_seconds(docker, requests)
    print(f"{opts.problems}: {len(requests)} tests, meter {opts.meter}, one warm worker each")
    print(f"  local   {t_local * 1000:8.1f} ms/test")
    print(f"  docker  {t_docker * 1000:8.1f} ms/test   docker / local = {t_docker / t_local:.2f}x")


if __name__ == "__main__":
    run_main(main, "docker_overhead")
