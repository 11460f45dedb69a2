"""What the measured interpreter's allocator costs and changes (issue 14): sandbox/effalloc.c
(preloaded with PYTHONMALLOC=malloc, the default) against the interpreter's own (glibc's malloc and
CPython's pools, ``EFFBENCH_ALLOCATOR=glibc``).

For each allocator, runs the expert of each chosen problem on every test of every level through
the local sandbox twice: under the valgrind meter (instruction counts; wall seconds per test) and
under the time meter (peak memory over the baseline child, kB; wall seconds per test natively).
Then a few synthetic programs whose memory an allocator decides (many small objects, strings,
blocks of one size freed and then blocks of another): their peak memory under the time meter.
Prints one line per problem or program with both allocators' figures and their ratio
(effalloc / glibc):

    .venv/bin/python benchmarks/allocator_cost.py [--problems decode_nested_repeat,eval_expression]
        [--workers 2] [--no-valgrind]

Exit 0 (figures only; nothing here is a pass or fail). Generous limits: no test is stopped.
"""

from __future__ import annotations

import argparse
import os
import time
from concurrent.futures import ThreadPoolExecutor

from script_exit import run_main

from effbench import codec
from effbench.meters.timing import TimeMeter
from effbench.meters.valgrind import ValgrindMeter
from effbench.problems import bundled_problem_set_dir, load_problem_set
from effbench.sandboxes.allocator import CHOICE_VARIABLE
from effbench.sandboxes.base import Limits, TestRequest
from effbench.sandboxes.local import LocalSandbox

LIMITS = Limits(wall_seconds=600.0, cpu_seconds=300.0, memory_bytes=4 << 30)
DEFAULT_PROBLEMS = (
    "decode_nested_repeat,eval_expression,word_frequency_top,dijkstra_distances,count_distinct_substrings"
)

#: programs whose peak memory the allocator decides (entry point f, no arguments)
SYNTHETIC = {
    "2M small ints": "def f():\n    x = [i * 3 for i in range(2_000_000)]\n    return len(x)\n",
    "1M short strings": "def f():\n    x = [str(i) * 3 for i in range(1_000_000)]\n    return len(x)\n",
    "300k small dicts": "def f():\n    x = [{'a': i, 'b': i + 1} for i in range(300_000)]\n    return len(x)\n",
    "12 MB of one size, freed, then another (x5)": (
        "def f():\n"
        "    for size in (40, 200, 700, 3000, 20000):\n"
        "        x = [bytes(size) for _ in range(12_000_000 // size)]\n"
        "        del x\n"
        "    return 0\n"
    ),
    "a growing string (s += c)": (
        "def f():\n    s = ''\n    for i in range(2_000_000):\n        s += 'ab'\n    return len(s)\n"
    ),
}


def _runs(box: LocalSandbox, requests: list[TestRequest], workers: int) -> list:
    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(box.run, requests))


def measure(allocator: str, problems: list, workers: int, valgrind: bool) -> dict:
    """``{"counts": {problem: [largest count per level]}, "vg_wall": {problem: s/test}, "memory":
    {name: peak kB}, "wall": {name: s/test}}`` under one allocator."""
    os.environ[CHOICE_VARIABLE] = allocator
    out: dict = {"counts": {}, "vg_wall": {}, "memory": {}, "wall": {}}
    jobs = []
    for problem in problems:
        for level in range(len(problem.levels)):
            for test in problem.level_tests(level, None):
                req = TestRequest(problem.expert_code, problem.entry_point, codec.encode(test.args), LIMITS)
                jobs.append((problem.id, level, req))
    meters = [("time", TimeMeter(repeats=1))] + ([("valgrind", ValgrindMeter())] if valgrind else [])
    for name, meter in meters:
        with LocalSandbox(meter, workers=workers) as box:
            runs = _runs(box, [req for _, _, req in jobs], workers)
            for (pid, level, _), run in zip(jobs, runs):
                if name == "valgrind":
                    levels = out["counts"].setdefault(pid, {})
                    value = run.cost.value if run.cost is not None else float("nan")
                    levels[level] = max(levels.get(level, 0.0), value)
                    out["vg_wall"].setdefault(pid, []).append(run.wall_seconds)
                else:
                    out["memory"][pid] = max(out["memory"].get(pid, 0), run.peak_memory_kb)
                    out["wall"].setdefault(pid, []).append(run.wall_seconds)
            if name == "time":
                synthetic = _runs(box, [TestRequest(code, "f", [], LIMITS) for code in SYNTHETIC.values()], workers)
                for label, run in zip(SYNTHETIC, synthetic):
                    out["memory"][label] = run.peak_memory_kb
                    out["wall"][label] = [run.wall_seconds]
    return out


def main(argv: list[str] | None = None) -> int:
    """Measure both allocators and print the comparison; returns 0."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--problems", default=DEFAULT_PROBLEMS, help="comma-separated core problem ids")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--no-valgrind", action="store_true", help="only the time meter (memory, native wall time)")
    args = parser.parse_args(argv)
    problem_set = load_problem_set(bundled_problem_set_dir("core"))
    ids = [p.strip() for p in args.problems.split(",") if p.strip()]
    unknown = [p for p in ids if p not in problem_set.problems]
    if unknown or not ids or args.workers < 1:
        parser.error(f"unknown problems {unknown}" if unknown else "--problems names none / --workers < 1")
    problems = [problem_set.problems[p] for p in ids]
    started = time.monotonic()
    results = {a: measure(a, problems, args.workers, not args.no_valgrind) for a in ("glibc", "effalloc")}
    glibc, eff = results["glibc"], results["effalloc"]

    def mean(values: list[float]) -> float:
        return sum(values) / len(values)

    if not args.no_valgrind:
        print("instructions, the largest test of the last level (valgrind), and wall seconds per test under valgrind:")
        for pid in ids:
            last = max(glibc["counts"][pid])
            g, e = glibc["counts"][pid][last], eff["counts"][pid][last]
            gw, ew = mean(glibc["vg_wall"][pid]), mean(eff["vg_wall"][pid])
            print(f"  {pid:28s} glibc {g:>14,.0f}  effalloc {e:>14,.0f}  ratio {e / g:.3f}   ", end="")
            print(f"wall {gw:.2f} s -> {ew:.2f} s ({ew / gw:.2f}x)")
    print("peak memory over the baseline child (kB) and native wall seconds per test (time meter):")
    for name in [*ids, *SYNTHETIC]:
        g, e = glibc["memory"][name], eff["memory"][name]
        gw, ew = mean(glibc["wall"][name]), mean(eff["wall"][name])
        ratio = f"{e / g:.2f}" if g else "-"
        print(f"  {name:44s} glibc {g:>9,} kB  effalloc {e:>9,} kB  ratio {ratio:>5s}   ", end="")
        print(f"wall {gw:.3f} s -> {ew:.3f} s")
    print(f"{time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    run_main(main, "allocator_cost")
