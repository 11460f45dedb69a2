"""Meter overhead and repeatability, measured in one run.

For each chosen problem, the expert solution runs on every test of every level:
  - natively: one plain Python process, the module executed and the entry point called per test;
  - through effbench: the local sandbox with the valgrind meter (one worker, runner already up).
It prints harness time / native time, then where one test's wall time goes (the harness phases
the runner and the host report: ``TestRun.phases``) and the fixed cost per test (everything but
the candidate's own metered work), then the repeat spread (max - min) / median of the cost of one
test measured N times by each meter available here (valgrind, time, perf or perf/task-clock).

    .venv/bin/python benchmarks/meter_overhead.py [--problems a,b] [--repeats 5]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import time

from script_exit import run_main

from effbench import codec
from effbench.engine import EngineSettings, Evaluator
from effbench.meters import choose_meter, perf_selftest, sandbox_python
from effbench.meters.perf import PerfMeter
from effbench.meters.timing import TimeMeter
from effbench.meters.valgrind import ValgrindMeter
from effbench.problems import load_problem_set
from effbench.sandboxes.base import Limits, TestRequest
from effbench.sandboxes.local import LocalSandbox

NATIVE = r"""
import json, sys, time
sys.set_int_max_str_digits(0)
spec = json.loads(sys.stdin.read())
t0 = time.perf_counter()
for args in spec["args"]:
    ns = {"__name__": "solution"}
    exec(compile(spec["code"], "solution.py", "exec"), ns)
    ns[spec["entry"]](*args)
print(time.perf_counter() - t0)
"""


def native_seconds(problem, tests) -> float:
    spec = {"code": problem.expert_code, "entry": problem.entry_point, "args": [t.args for t in tests]}
    out = subprocess.run(
        [sandbox_python(), "-c", NATIVE],
        input=json.dumps(codec.encode(spec)),
        capture_output=True,
        text=True,
        check=True,
    )
    return float(out.stdout)


PHASES = ("request", "decode_compile", "baseline_child", "test_child", "worker_other", "reply", "counts")


def sandbox_usage(box) -> tuple[float, int]:
    """(CPU seconds (user + system), minor page faults) used so far by every process of ``box``'s
    runners: the live ones and, through their parents' cumulative fields, the workers and test
    children already reaped.

    Read from /proc (Linux), so that a figure taken on a busy machine still says how much work
    the harness does per test: wall time there mostly measures waiting for a CPU."""
    parents: dict[int, int] = {}
    usage: dict[int, tuple[int, int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                parents[int(entry)] = int(fields[1])
                # utime stime cutime cstime; minflt cminflt
                usage[int(entry)] = (sum(int(x) for x in fields[11:15]), int(fields[7]) + int(fields[8]))
            except (OSError, ValueError, IndexError):
                continue
    tree = {w.proc.pid for w in box._workers if w.proc is not None}
    grew = True
    while grew:
        more = {pid for pid, parent in parents.items() if parent in tree} - tree
        tree |= more
        grew = bool(more)
    ticks = sum(usage.get(pid, (0, 0))[0] for pid in tree)
    return ticks / os.sysconf("SC_CLK_TCK"), sum(usage.get(pid, (0, 0))[1] for pid in tree)


def sandbox_cpu_seconds(box) -> float:
    """The CPU seconds of :func:`sandbox_usage`."""
    return sandbox_usage(box)[0]


def breakdown(box, problem, tests) -> tuple[dict[str, float], float, float, float]:
    """Mean seconds per test of each harness phase, the host's own share, the candidate's work
    and the sandbox's CPU seconds.

    Every test of ``problem`` goes through ``box.run`` once (the expert, as in the table above),
    with the meter's repeats. The candidate's own work is each test child's time beyond a
    baseline child's (a child running a null candidate), summed over the repeats: what the meter
    itself costs on the candidate's instructions.
    """
    repeats = box.meter.repeats
    baselines = 1 if box.meter.shares_baseline and repeats > 1 else repeats
    totals = dict.fromkeys(PHASES, 0.0)
    host = 0.0
    cpu_before = sandbox_cpu_seconds(box)
    for test in tests:
        request = TestRequest(problem.expert_code, problem.entry_point, codec.encode(test.args), Limits(), repeats)
        t0 = time.perf_counter()
        run = box.run(request)
        elapsed = time.perf_counter() - t0
        for name in PHASES:
            totals[name] += run.phases.get(name, 0.0)
        host += elapsed - sum(run.phases.values())
    n = len(tests)
    cpu = (sandbox_cpu_seconds(box) - cpu_before) / n
    means = {k: v / n for k, v in totals.items()}
    own = max(0.0, means["test_child"] - repeats * means["baseline_child"] / baselines)
    return means, host / n, own, cpu


def spread(values: list[float]) -> float:
    med = statistics.median(values)
    return (max(values) - min(values)) / med if med else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--problems", default="count_inversions", help="comma-separated bundled problem ids (default %(default)s)"
    )
    parser.add_argument(
        "--repeats",
        type=int,
        default=5,
        help="runs of one test in the repeat-spread section, per meter (default %(default)s; not the "
        "time meter's own repeats, which the phase table shows at 1 and 5)",
    )
    opts = parser.parse_args()
    if opts.repeats < 1:
        parser.error("--repeats must be at least 1")
    ps = load_problem_set()
    problems = ps.select([p.strip() for p in opts.problems.split(",")])

    print(f"valgrind meter overhead ({len(problems)} problem(s), expert solution, every test)")
    print(f"{'problem':32} {'tests':>5} {'native s':>9} {'effbench s':>10} {'ratio':>7}")
    total_native = total_harness = 0.0
    meter = ValgrindMeter()
    with LocalSandbox(meter, workers=1) as box:
        ev = Evaluator(box, meter, EngineSettings(), cache=None)
        for problem in problems:
            tests = [t for level in range(len(problem.levels)) for t in problem.level_tests(level)]
            ev.profile(problem)  # expected answers and budget; not timed
            native = native_seconds(problem, tests)
            t0 = time.perf_counter()
            rec = ev.evaluate(problem, problem.expert_code)
            harness = time.perf_counter() - t0
            assert rec.verdict == "ok", rec.verdict
            total_native += native
            total_harness += harness
            print(f"{problem.id:32} {len(tests):5d} {native:9.3f} {harness:10.2f} {harness / native:6.1f}x")
    print(f"{'total':32} {'':5} {total_native:9.3f} {total_harness:10.2f} {total_harness / total_native:6.1f}x\n")

    print("where one test's wall time goes (mean per test, ms)")
    print(f"{'meter / problem':30} " + " ".join(f"{n[:12]:>12}" for n in (*PHASES, "host", "fixed/test", "cpu/test")))
    rows = (
        ("valgrind", meter),
        ("time", TimeMeter(repeats=1)),
        ("time x5", TimeMeter(repeats=5)),
        # as before the repeats shared one baseline child: one per repeat
        ("time x5 own bases", TimeMeter(repeats=5, shares_baseline=False)),
    )
    for name, phase_meter in rows:
        with LocalSandbox(phase_meter, workers=1) as box:
            for problem in problems:
                tests = [t for level in range(len(problem.levels)) for t in problem.level_tests(level)]
                means, host, own, cpu = breakdown(box, problem, tests)
                fixed = sum(means.values()) + host - own
                cells = [means[n] for n in PHASES] + [host, fixed, cpu]
                label = f"{name} / {problem.id}"[:30]
                print(f"{label:30} " + " ".join(f"{1000 * c:12.1f}" for c in cells))
    print("fixed/test = every phase and the host's share, minus the candidate's own metered work")
    print("(the test child's time beyond the baseline child's); cpu/test = CPU time of every")
    print("process of the sandbox per test (the candidate's own work included): the harness's")
    print("work, which a busy machine does not inflate the way it inflates wall time. 'time': the")
    print("time meter's default, one run per test; 'time x5': the opt-in of 5 repeats per test")
    print("(forgeable by hostile code), sharing one baseline child; 'own bases': the same with a")
    print("baseline child for every repeat (as before they shared one)\n")

    print("early stop: an endless loop under the valgrind meter (stopped by CPU time, censored)")
    with LocalSandbox(meter, workers=1) as box:
        ev = Evaluator(box, meter, EngineSettings(), cache=None)
        for problem in problems:
            profile = ev.profile(problem)
            loop = f"def {problem.entry_point}(*args):\n    while True:\n        pass\n"
            t0 = time.perf_counter()
            rec = ev.evaluate(problem, loop, model="endless")
            elapsed = time.perf_counter() - t0
            stopped = rec.tests[-1]
            budget_time = ev.settings.alpha * max(profile.level_cpu_seconds)
            print(
                f"  {problem.id:30} verdict {rec.verdict}; stopped after {stopped.cpu_seconds:.2f} s CPU "
                f"({elapsed:.2f} s wall); the budget at the expert's pace: {budget_time:.2f} s; "
                f"ratio {stopped.cpu_seconds / budget_time:.2f}x"
            )
    print()

    problem = problems[0]
    test = problem.level_tests(len(problem.levels) - 1)[0]
    request = TestRequest(problem.expert_code, problem.entry_point, codec.encode(test.args), Limits())
    meters = [("valgrind", ValgrindMeter()), ("time", TimeMeter(repeats=1))]
    if perf_selftest("instructions").get("ok"):
        meters.append(("perf", PerfMeter("instructions")))
    elif perf_selftest("task-clock").get("ok"):
        meters.append(("perf/task-clock", PerfMeter("task-clock")))
    print(f"repeat spread of one test ({problem.id} {test.test_id}), {opts.repeats} runs, (max - min) / median")
    for name, m in meters:
        with LocalSandbox(m, workers=1) as box:
            costs = []
            for _ in range(opts.repeats):
                run = box.run(request)
                assert run.cost is not None, run
                costs.append(run.cost.value)
        print(f"  {name:16} median {statistics.median(costs):14.6g} {m.unit:12} spread {100 * spread(costs):.4f}%")
    choice = choose_meter("auto")
    print(f"\nauto meter here: {choice.meter.name} ({choice.reason})")


if __name__ == "__main__":
    run_main(main, "meter_overhead")
