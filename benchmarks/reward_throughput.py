"""Reward throughput (issue 14 item 5): a fixed mixed workload through RewardModel.score_batch.

The workload (effbench/reward/workload.py): per problem, 4 correct-fast (expert) completions, 4
correct-slow (the slowest other reference tier), 3 wrong, 3 crashing, 2 timing-out (never return) and
4 hostile ones, over the first 20 bundled problems by id: 400 items, interleaved by problem.

For each meter asked for (default: every meter available here) and each executor (``local``; ``ray``
too when ``effbench.executors`` provides it), it prints:

- profile time: the experts' profiles for the 20 problems, measured before the batch (not cached);
- items/s of one ``score_batch`` call over the whole workload, and p50/p95 of the per-item latency
  (``RewardResult.elapsed_seconds``: extraction, sandbox, judging);
- harness time / native time of the same code: for the correct items, the item's latency over the
  time a plain Python process takes to execute the same code on the same tests (module executed once
  per test, as the sandbox does);
- seconds per candidate test: the latency of the items that ran over the tests they ran;
- per-item overhead: latency minus the candidate's own runs in the sandbox (``run_seconds`` times the
  meter's repeats), p50/p95, for items that ran; and its p50 over the items that ran one test (a
  wrong, crashing, timing-out answer) and over those that ran more, apart: about half the workload's
  items stop at their first test, so the p50 of all falls between two groups of overheads about ten
  times apart and moves from one to the other with a few items;
- with ``--phases`` (local executor), where each test's harness time went: the median per test of
  each phase of ``effbench.sandboxes.protocol.harness_phases`` (``request``: the host's send to the
  worker's start; ``decode_compile``; ``test_child``: the candidate's run; ``worker_other``: the
  worker's forks, the child's set-up, the scratch folder; ``reply``: the answer back; ``counts``)
  and each phase's sum as a share of the items' summed latency;
- the invariants: results in order, and no hostile completion above the honest correct completion
  of the same problem (its twin: the expert, which it wraps). Either fails the script (exit 1),
  but a hostile above its twin only under an exact meter: under the time meter the same program
  lands above its own twin about as often (its efficiency on small tests moves by tens of
  percent from run to run), so that line is printed for information.

    .venv/bin/python benchmarks/reward_throughput.py [--meters time,valgrind] [--workers 2] [--problems 20]
        [--twice] [--phases]

With ``--twice`` it scores the workload a second time on the same warm model and compares every
item (verdict, reward, efficiency, per-level costs). When both executors run, it compares them item
by item (with or without ``--twice``). Under an exact meter (valgrind, perf) a difference fails the
script (exit 1). The time meter's costs are
never identical, so its comparison is printed for information only.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict

from script_exit import run_main

from effbench.meters import choose_meter, sandbox_python
from effbench.problems import load_problem_set
from effbench.reward import RewardModel
from effbench.reward.scorer import _warm
from effbench.reward.workload import MIX, Kind, mixed_workload
from effbench.sandboxes import protocol

NATIVE = r"""
import json, sys, time
from effbench import codec
sys.set_int_max_str_digits(0)
jobs = json.loads(sys.stdin.read())
out = []
for job in jobs:
    args_list = [codec.decode(a) for a in job["args"]]
    code = compile(job["code"], "solution.py", "exec")
    t0 = time.perf_counter()
    for args in args_list:
        ns = {"__name__": "solution"}
        exec(code, ns)
        ns[job["entry"]](*args)
    out.append(time.perf_counter() - t0)
print(json.dumps(out))
"""


def available_meters() -> list[str]:
    from effbench.meters import perf_selftest
    from effbench.meters.valgrind import valgrind_version

    meters = ["time"]
    if valgrind_version():
        meters.append("valgrind")
    if perf_selftest("instructions").get("ok"):
        meters.append("perf")
    return meters


def ray_available() -> bool:
    try:
        from effbench.executors import get_executor  # type: ignore[import-not-found]  # noqa: F401
    except ImportError:
        return False
    return True


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def native_seconds(rm: RewardModel, items, results) -> dict[int, float]:
    """Native time of the correct items' code on the tests each ran: {index: seconds}."""
    from effbench.models.extract import extract_chat

    warm = _warm(rm.config)
    jobs, index = [], []
    for i, (it, r) in enumerate(zip(items, results)):
        if it.kind not in (Kind.CORRECT_FAST, Kind.CORRECT_SLOW) or r.tests_run == 0:
            continue
        problem = warm.problem(it.problem_id)
        tests = [t for level in warm.evaluator.tests_of(problem) for t in level][: r.tests_run]
        state = warm.evaluator._state(problem)
        code = extract_chat(it.completion, problem.entry_point).code
        jobs.append({"code": code, "entry": problem.entry_point, "args": [state.args[t.test_id] for t in tests]})
        index.append(i)
    env = {**os.environ, "PYTHONPATH": os.path.dirname(os.path.dirname(os.path.abspath(__file__)))}
    out = subprocess.run(
        [sandbox_python(), "-c", NATIVE], input=json.dumps(jobs), capture_output=True, text=True, env=env, check=True
    )
    return dict(zip(index, json.loads(out.stdout)))


def check_invariants(items, results) -> list[str]:
    problems = []
    if [r.problem_id for r in results] != [it.problem_id for it in items]:
        problems.append("results are not in the items' order")
    honest: dict[str, float] = defaultdict(lambda: float("-inf"))
    for it, r in zip(items, results):
        if it.kind is Kind.CORRECT_FAST:
            honest[it.problem_id] = max(honest[it.problem_id], r.reward)
    for it, r in zip(items, results):
        if it.kind is Kind.HOSTILE and r.reward > honest[it.problem_id] + 1e-9:
            problems.append(f"hostile {it.name} on {it.problem_id}: {r.reward} > honest {honest[it.problem_id]}")
    return problems


#: the harness phases of one test (effbench/sandboxes/protocol.py harness_phases), in print order
PHASES = ("request", "decode_compile", "test_child", "worker_other", "reply", "counts")


@contextlib.contextmanager
def collected_phases(on: bool):
    """While in the block (``on``), every test the local sandbox runs in this process appends its
    harness phases (``TestRun.phases``: seconds per phase, see harness_phases) to the list yielded."""
    seen: list[dict[str, float]] = []
    if not on:
        yield seen
        return
    original = protocol.RunnerPool.run

    def run(pool, request):
        test = original(pool, request)
        seen.append(dict(test.phases or {}))  # list.append is atomic: the model's threads share it
        return test

    protocol.RunnerPool.run = run
    try:
        yield seen
    finally:
        protocol.RunnerPool.run = original


def phase_figures(seen: list[dict[str, float]], latency_s: float) -> dict:
    """Per phase: its median per test (ms) and its sum over the batch as a share of the summed
    latency of the items that ran (``test_child`` is the candidate's runs; the other phases and
    what is in none of them, the host's own work, are the overhead)."""
    out = {}
    for name in PHASES:
        values = [p[name] for p in seen if name in p]
        if values:
            out[name] = {
                "median_ms": 1000 * statistics.median(values),
                "share": sum(values) / latency_s if latency_s > 0 else float("nan"),
            }
    return out


def run(meter: str, executor: str, args, items, problem_ids) -> dict:
    with tempfile.TemporaryDirectory(prefix="effbench-reward-bench-") as cache:
        rm = RewardModel(
            meter=meter,
            workers=args.workers,
            levels=args.levels,
            seed=args.seed,
            executor=executor,
            address=args.ray_address if executor == "ray" else None,
            cache_dir=cache,
            warm=executor == "local",
        )
        try:
            t0 = time.perf_counter()
            if executor == "local":
                failed = rm.prepare(problem_ids)
            else:  # the remote workers profile on their first items
                failed = {}
            profile_s = time.perf_counter() - t0
            t0 = time.perf_counter()
            with collected_phases(args.phases and executor == "local") as seen:
                results = rm.score_batch([it.item for it in items])
            wall = time.perf_counter() - t0
            again = rm.score_batch([it.item for it in items]) if args.twice else None
            native = native_seconds(rm, items, results) if executor == "local" else {}
            repeats = _warm(rm.config).meter.repeats if executor == "local" else choose_meter(meter).meter.repeats
        finally:
            rm.close()
    lat = [r.elapsed_seconds for r in results]
    ran = [r for r in results if r.tests_run]
    overhead = [r.elapsed_seconds - repeats * r.run_seconds for r in ran]
    one = [o for o, r in zip(overhead, ran) if r.tests_run == 1]
    many = [o for o, r in zip(overhead, ran) if r.tests_run > 1]
    ratios = [results[i].elapsed_seconds / s for i, s in native.items() if s > 0]
    tests = sum(r.tests_run for r in ran)
    by_kind: dict[str, Counter] = defaultdict(Counter)
    for it, r in zip(items, results):
        by_kind[it.kind.value][f"{r.verdict}" + (f"/{r.status}" if r.status != "scored" else "")] += 1
    return {
        "meter": meter,
        "executor": executor,
        "items": len(results),
        "profile_s": profile_s,
        "profile_failures": failed,
        "wall_s": wall,
        "items_per_s": len(results) / wall,
        "p50_s": pct(lat, 0.5),
        "p95_s": pct(lat, 0.95),
        "seconds_per_test": sum(r.elapsed_seconds for r in ran) / tests if tests else float("nan"),
        "tests": tests,
        "overhead_p50_ms": 1000 * pct(overhead, 0.5),
        "overhead_p95_ms": 1000 * pct(overhead, 0.95),
        "overhead_one_test": (len(one), 1000 * pct(one, 0.5) if one else float("nan")),
        "overhead_many_tests": (len(many), 1000 * pct(many, 0.5) if many else float("nan")),
        "phases": phase_figures(seen, sum(r.elapsed_seconds for r in ran)) if seen else {},
        "harness_native_median": statistics.median(ratios) if ratios else float("nan"),
        "harness_native_total": (
            sum(results[i].elapsed_seconds for i in native) / sum(native.values()) if native else float("nan")
        ),
        "by_kind": {k: dict(v) for k, v in by_kind.items()},
        "invariant_failures": check_invariants(items, results),
        "order_broken": [r.problem_id for r in results] != [it.problem_id for it in items],
        "facts": [facts(r) for r in results],
        "second_call_differs": None if again is None else differing(results, again),
        "facts_again": None if again is None else [facts(r) for r in again],
    }


def facts(r) -> dict:
    """What must be identical between two scorings of one item under an exact meter, by field name.

    The expert's level costs the item was judged against are among them: two executors that measured
    the expert differently give every passing item of that problem another efficiency.
    """
    return {
        "problem_id": r.problem_id,
        "status": str(r.status),
        "verdict": str(r.verdict),
        "passed": r.passed,
        "reward": r.reward,
        "efficiency": r.efficiency,
        "level_costs": list(r.level_costs),
        "reference_level_costs": list(r.reference_level_costs),
    }


def differing(a, b) -> list[int]:
    """Indices of the items whose facts differ between two lists of results."""
    missing = list(range(min(len(a), len(b)), max(len(a), len(b))))
    return [i for i, (x, y) in enumerate(zip(a, b)) if facts(x) != facts(y)] + missing


def extraction_ms(items) -> float:
    """The reward layer's own work before the sandbox, per item: reading the item and extracting the code."""
    from effbench.models.extract import extract_chat
    from effbench.reward.scorer import RewardItem, completion_text

    ps = load_problem_set()
    t0 = time.perf_counter()
    for it in items:
        item = RewardItem.of(it.item)
        text, _ = completion_text(item.completion)
        extract_chat(text, ps.get(item.problem_id).entry_point)
    return 1000 * (time.perf_counter() - t0) / len(items)


def parse_options() -> tuple[argparse.ArgumentParser, argparse.Namespace]:
    """The command line, checked before any work: bad values exit 2 with one line."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--meters", help="comma-separated meters (default: every one available here)")
    parser.add_argument("--executors", default="local,ray", help="local and/or ray (ray when available)")
    parser.add_argument("--ray-address", default=None)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--problems", type=int, default=20, help="the first N bundled problems by id")
    parser.add_argument("--only", help="these bundled problems (comma-separated ids) instead of the first N")
    parser.add_argument("--levels", type=int, default=None, help="size levels used (default: all)")
    parser.add_argument("--seed", default="reward-throughput")
    parser.add_argument("--json", help="also write the figures to this JSON file")
    parser.add_argument("--extraction-only", action="store_true", help="only time the reward layer's extraction")
    parser.add_argument(
        "--phases",
        action="store_true",
        help="local executor: also print where each test's harness time went (each phase's median ms per test, "
        "and its share of the items' summed latency)",
    )
    parser.add_argument(
        "--twice",
        action="store_true",
        help="score the workload a second time on the same (warm) model and compare every item's facts "
        "(verdict, reward, efficiency, per-level costs)",
    )
    opts = parser.parse_args()
    if opts.problems < 1 or opts.workers < 1:
        parser.error("--problems and --workers must be at least 1")
    unknown = sorted(set(opts.executors.split(",")) - {"local", "ray"})
    if unknown:
        parser.error(f"--executors: unknown executor(s) {', '.join(unknown)} (local, ray)")
    if opts.json:
        folder = os.path.dirname(os.path.abspath(opts.json))
        if not os.path.isdir(folder) or not os.access(folder, os.W_OK):
            parser.error(f"--json: cannot write in {folder}")
    return parser, opts


def main() -> None:
    parser, opts = parse_options()
    ps = load_problem_set()
    if opts.only is not None:
        wanted = [p.strip() for p in opts.only.split(",") if p.strip()]
        unknown = sorted(set(wanted) - {p.id for p in ps.select(None)})
        if not wanted or unknown:
            parser.error(f"--only: unknown problem(s) {', '.join(unknown)}" if unknown else "--only names no problem")
        problems = ps.select(wanted)
    else:
        problems = ps.select(None)[: opts.problems]
    items = mixed_workload(problems)
    print(f"reward layer before the sandbox (item reading + code extraction): {extraction_ms(items):.2f} ms per item")
    if opts.extraction_only:
        return
    meters = opts.meters.split(",") if opts.meters else available_meters()
    executors = [e for e in opts.executors.split(",") if e == "local" or ray_available()]
    if "ray" in opts.executors.split(",") and "ray" not in executors:
        print("ray executor: effbench.executors is not available here; local only\n")
    mix = ", ".join(f"{n} {k.value}" for k, n in MIX.items())
    print(
        f"workload: {len(items)} items over {len(problems)} problems ({mix} per problem); "
        f"workers {opts.workers}; levels {opts.levels or 'all'}\n"
    )
    rows = []
    for meter in meters:
        for executor in executors:
            row = run(meter, executor, opts, items, [p.id for p in problems])
            rows.append(row)
            print_row(row, items)
            if opts.json:  # after every row: a later failure keeps what was measured
                with open(opts.json, "w") as f:
                    json.dump(rows, f, indent=1)
    executors_differ = compare_executors(rows, meters, items)
    if opts.json:
        with open(opts.json, "w") as f:
            json.dump(rows, f, indent=1)
    exact = {m for m in meters if choose_meter(m).meter.exact}
    differ = any(r["second_call_differs"] for r in rows if r["meter"] in exact) or bool(exact & set(executors_differ))
    # a noisy meter's hostile-above-twin lines are for information: under it an honest program
    # scores above its own twin as often (docs/performance.md, "Reward throughput: the time meter's runs")
    broken = any(r["invariant_failures"] for r in rows if r["meter"] in exact or r["order_broken"])
    if broken or differ:
        sys.exit(1)


def print_row(row: dict, items) -> None:
    """Print one (meter, executor) row: throughput, latency, verdicts by kind, invariants, the second call."""
    print(
        f"{row['meter']:>8} {row['executor']:>5}: {row['items']} items in {row['wall_s']:.1f} s = "
        f"{row['items_per_s']:.2f} items/s; latency p50 {row['p50_s']:.3f} s, p95 {row['p95_s']:.3f} s; "
        f"{row['seconds_per_test']:.3f} s per candidate test ({row['tests']} tests); "
        f"overhead beyond the candidate's runs p50 {row['overhead_p50_ms']:.0f} ms, "
        f"p95 {row['overhead_p95_ms']:.0f} ms; harness/native (correct items) median "
        f"{row['harness_native_median']:.1f}x, total {row['harness_native_total']:.1f}x; "
        f"profiles {row['profile_s']:.1f} s",
        flush=True,
    )
    (n1, o1), (n2, o2) = row["overhead_one_test"], row["overhead_many_tests"]
    print(f"{'':16}overhead p50: {o1:.0f} ms over the {n1} items that ran one test, {o2:.0f} ms over the {n2} others")
    if row["phases"]:
        print(
            f"{'':16}per test, median ms (share of the items' summed latency): "
            + ", ".join(f"{k} {v['median_ms']:.2f} ({100 * v['share']:.0f}%)" for k, v in row["phases"].items())
        )
    for kind, counts in row["by_kind"].items():
        print(f"{'':16}{kind:>13}: " + ", ".join(f"{v} {k}" for k, v in sorted(counts.items())))
    if row["profile_failures"]:
        print(f"{'':16}profile failures: {row['profile_failures']}")
    failures = row["invariant_failures"]
    noisy = "" if not failures or choose_meter(row["meter"]).meter.exact else " (a noisy meter: for information)"
    print(f"{'':16}invariants: {'order kept; no hostile above its honest twin' if not failures else failures}{noisy}")
    if row["second_call_differs"] is not None:
        print(f"{'':16}a second call, item by item: " + same_or_not(items, row["second_call_differs"]))
        print_differences(items, row["second_call_differs"], row["facts"], row["facts_again"], 18)


def compare_executors(rows: list[dict], meters: list[str], items) -> list[str]:
    """Print, per meter scored on both executors, whether they gave every item the same facts.

    Returns the meters whose executors differ on some item.
    """
    differ = []
    for meter in meters:
        by_exec = {r["executor"]: r for r in rows if r["meter"] == meter}
        if len(by_exec) > 1:
            local, other = by_exec["local"], by_exec["ray"]
            diff = [i for i, (x, y) in enumerate(zip(local["facts"], other["facts"])) if x != y]
            print(f"{meter:>8} local vs ray, item by item: " + same_or_not(items, diff))
            print_differences(items, diff, local["facts"], other["facts"], 11)
            if diff:
                differ.append(meter)
    return differ


def print_differences(items, diff: list[int], first: list[dict], second: list[dict], indent: int) -> None:
    """Print the fields that differ for the first five differing items (``first -> second``)."""
    for i in diff[:5]:
        if i < min(len(first), len(second)):
            where = f"{items[i].kind.value}/{items[i].problem_id}"
            print(f"{'':>{indent}}{where}: " + fields_that_differ(first[i], second[i]))


def fields_that_differ(first: dict, second: dict) -> str:
    """``field: first -> second`` for each field two results' facts disagree on (long values cut)."""
    keys = sorted(k for k in first.keys() | second.keys() if first.get(k) != second.get(k))
    return "; ".join(f"{k}: {str(first.get(k))[:120]} -> {str(second.get(k))[:120]}" for k in keys)


def same_or_not(items, diff: list[int]) -> str:
    """``identical (N items)`` or the count and the first few that differ."""
    if not diff:
        return f"identical ({len(items)} items)"
    shown = ", ".join(f"{items[i].kind.value}/{items[i].problem_id}" for i in diff[:5])
    return f"{len(diff)} of {len(items)} differ (first: {shown})"


if __name__ == "__main__":
    run_main(main, "reward_throughput")
