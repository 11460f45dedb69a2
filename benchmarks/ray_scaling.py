"""Ray scaling: the same evaluation on 1 Ray worker and on 2, as a speed ratio (goal: >= 1.8x).

The work: the expert and slower references of the first ``--problems`` bundled problems, each
``--copies`` times (as separate samples), evaluated by ``SampleEvaluation`` on the ``ray``
executor with a fixed input seed. Each configuration starts its own local Ray runtime with as
many CPUs as workers, warms up (every worker starts its sandbox runner; the expert profiles are
measured and shared) and is then timed on the whole batch: the ratio is the throughput of the
batch alone, start-up excluded. The two configurations alternate ``--rounds`` times (1, 2, 1, 2...)
so that a change in the machine's load does not favour one; the load average is printed, and
how many of the machine's CPUs were busy during each batch (all processes: a sandbox worker
already keeps more than one busy part of the time, so 2 workers on 2 CPUs cannot double it).
With valgrind every round's results are checked against the first's: the same verdicts, and
counts equal or within 1e-4 (a runner's count drifts by a few instructions with its history, the
same between two local runs; docs/performance.md's issue-10 drift).

    .venv/bin/python benchmarks/ray_scaling.py [--problems 6] [--copies 2] [--meter valgrind] [--rounds 1]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

import psutil
from script_exit import run_main

from effbench.engine import EngineSettings
from effbench.executors import get_executor
from effbench.executors.evaluation import SampleEvaluation
from effbench.meters import get_meter
from effbench.problems import load_problem_set
from effbench.samples import reference_samples
from effbench.verdicts import Verdict


def workload(n_problems: int, copies: int):
    problems = load_problem_set()
    ids = [p.id for p in problems.select(None)][:n_problems]
    base = reference_samples(problems, ids, ["expert", "slower"])
    samples = [
        type(s)(s.model, s.problem_id, s.index + c * 1000, s.code, s.origin) for c in range(copies) for s in base
    ]
    return problems, ids, samples


def facts(records):
    """What must not depend on the executor: verdicts and uncensored costs per test."""
    out = []
    for r in records:
        for t in r.tests:
            cost = t.cost if t.verdict == Verdict.OK else None
            out.append((r.model, r.problem_id, r.sample_index, t.test_id, t.verdict, cost))
    return out


def compare(a, b) -> str:
    """'' when the verdicts are equal and the counts agree; else what differs. Counts may drift by a
    few instructions with a runner's history (docs/performance.md, issue 10's drift: 32 instructions seen), the
    same between two local runs: a relative gap above 1e-4 is an error, smaller ones are counted."""
    if [x[:5] for x in a] != [y[:5] for y in b]:
        return "verdicts differ between configurations"
    gaps = [abs(x[5] - y[5]) / max(x[5], 1.0) for x, y in zip(a, b) if x[5] is not None and x[5] != y[5]]
    if gaps and max(gaps) > 1e-4:
        return f"counts differ by up to {max(gaps):.2e} (relative)"
    counted = sum(x[5] is not None for x in a)
    print(f"  same verdicts; counts: {counted - len(gaps)}/{counted} identical, max gap {max(gaps, default=0):.1e}")
    return ""


def busy_cpu_seconds() -> float:
    """CPU seconds the whole machine has spent busy so far (every process, not idle or iowait)."""
    t = psutil.cpu_times()
    return sum(t) - t.idle - getattr(t, "iowait", 0.0)


def one(workers: int, job, samples, warmup, address: str | None):
    """Time the batch on ``workers`` Ray workers: (seconds, load average, records, CPUs busy),
    CPUs busy being the machine's busy CPU seconds over the batch's wall seconds (at most the
    number of CPUs: what is left of the machine for a second worker)."""
    with get_executor("ray", workers=workers, address=address) as ex:
        ex.map(job, warmup)  # sandboxes started, profiles measured and shared
        load = os.getloadavg()[0]
        busy0, t0 = busy_cpu_seconds(), time.perf_counter()
        records = ex.map(job, samples)
        seconds = time.perf_counter() - t0
        busy = (busy_cpu_seconds() - busy0) / seconds
    return seconds, load, records, busy


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--problems", type=int, default=6)
    ap.add_argument("--copies", type=int, default=2)
    ap.add_argument("--meter", default="valgrind", choices=["valgrind", "time"])
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--address", default=None, help="a Ray cluster (default: a local runtime per configuration)")
    args = ap.parse_args()

    problems, ids, samples = workload(args.problems, args.copies)
    meter = get_meter(args.meter) if args.meter == "valgrind" else get_meter("time", repeats=1)
    job = SampleEvaluation(problems, meter, settings=EngineSettings(input_seed="ray-scaling"))
    # one expert sample per problem, and at least one item per worker
    warmup = [s for s in samples if s.model == "expert" and s.index < 1000]
    print(f"command: {' '.join([os.path.basename(sys.executable), *sys.argv])}")
    print(f"work: {len(samples)} samples ({', '.join(ids)}; expert+slower x {args.copies}), meter {meter.name}")
    print(f"machine: {os.cpu_count()} CPUs, load average before: {os.getloadavg()[0]:.2f}")
    times: dict[int, list[float]] = {1: [], 2: []}
    reference = None
    for rnd in range(args.rounds):
        for workers in (1, 2):
            seconds, load, records, busy = one(workers, job, samples, warmup, args.address)
            got = facts(records)
            if reference is None:
                reference = got
            elif meter.name == "valgrind":
                problem = compare(reference, got)
                if problem:
                    print(f"ERROR: {problem}", file=sys.stderr)
                    return 1
            times[workers].append(seconds)
            rate = len(samples) / seconds
            print(
                f"round {rnd + 1}: {workers} worker(s): {seconds:7.1f} s, {rate:.3f} samples/s (load {load:.2f}; "
                f"CPUs busy {busy:.2f} of {os.cpu_count()})"
            )
    t1, t2 = statistics.median(times[1]), statistics.median(times[2])
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    print(f"speed-up, 2 workers vs 1: {t1 / t2:.2f}x (goal >= 1.8x; median of {args.rounds} round(s))")
    return 0


if __name__ == "__main__":
    run_main(main, "ray_scaling")
