"""Throughput against workers: samples per second with 1 and with 2 workers, on the same work.

The work: every tier (expert and slower) of the chosen problems as samples, valgrind meter,
local sandbox. Expert profiles are computed first and not timed. Prints samples/s for each worker
count and the ratio (near-linear scaling means a ratio near the worker count); the figure is only
meaningful on an otherwise idle machine with at least as many free cores as workers.

    .venv/bin/python benchmarks/worker_scaling.py [--problems a,b,c] [--workers 1,2]
"""

from __future__ import annotations

import argparse
import os
import time
from concurrent.futures import ThreadPoolExecutor

from script_exit import run_main

from effbench.engine import EngineSettings, Evaluator
from effbench.meters.valgrind import ValgrindMeter
from effbench.problems import load_problem_set
from effbench.sandboxes.local import LocalSandbox


def samples_per_second(problems, workers: int) -> tuple[float, int]:
    """(samples per second, samples) for every tier of ``problems`` on ``workers`` runners."""
    meter = ValgrindMeter()
    with LocalSandbox(meter, workers=workers) as box:
        ev = Evaluator(box, meter, EngineSettings(input_seed="worker-scaling"), cache=None)
        for problem in problems:
            ev.profile(problem)
        jobs = [(p, p.references[tier]) for p in problems for tier in p.tiers]
        t0 = time.perf_counter()
        with ThreadPoolExecutor(max_workers=workers) as pool:
            records = list(pool.map(lambda job: ev.evaluate(job[0], job[1], model="scaling"), jobs))
        elapsed = time.perf_counter() - t0
    assert all(r.verdict != "infra" for r in records)
    return len(jobs) / elapsed, len(jobs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--problems", default="count_inversions,eval_expression,running_median,edit_distance")
    parser.add_argument("--workers", default="1,2")
    opts = parser.parse_args()
    problems = load_problem_set().select([p.strip() for p in opts.problems.split(",")])
    counts = [int(w) for w in opts.workers.split(",")]
    print(f"usable CPUs: {len(os.sched_getaffinity(0))}; load average: {os.getloadavg()[0]:.2f}")
    rates = {}
    for n in counts:
        rate, samples = samples_per_second(problems, n)
        rates[n] = rate
        print(f"workers {n}: {samples} samples, {rate:.3f} samples/s")
    base = rates[counts[0]]
    for n in counts[1:]:
        print(f"speed-up {n} vs {counts[0]} workers: {rates[n] / base:.2f}x")


if __name__ == "__main__":
    run_main(main, "worker_scaling")
