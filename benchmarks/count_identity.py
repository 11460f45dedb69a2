"""Counts identical to the instruction before and after a change to the harness (issue 13).

Records the valgrind count of every bundled reference on every test it is given (the expert on
every level; the slower tiers on the first ``--tier-levels`` levels, where they finish quickly),
run straight through the local sandbox with generous limits (no budget, no early stop: nothing
here depends on CPU time), then either writes them or compares them with a recording made before
the change:

    .venv/bin/python benchmarks/count_identity.py --record before.json [--problems a,b|all]
    (change the runner, the sandbox, the codec...)
    .venv/bin/python benchmarks/count_identity.py --compare before.json

``--compare`` prints every (problem, reference, test) whose count moved, or was missing on one
side, and exits 1 if there is one; 0 when every count is identical. The recording holds the
interpreter's and valgrind's versions: a comparison across either is refused (exit 2).
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from effbench import codec
from effbench.meters.valgrind import ValgrindMeter, valgrind_version
from effbench.problems import load_problem_set
from effbench.sandboxes.base import Limits, TestRequest
from effbench.sandboxes.local import LocalSandbox

#: generous limits: a reference is never stopped here (a count, not a verdict, is what is compared)
LIMITS = Limits(wall_seconds=600.0, cpu_seconds=300.0)


def record(ids: list[str] | None, tier_levels: int, workers: int) -> dict:
    """``{"env": {...}, "counts": {problem: {tier: {test_id: instructions | None}}}}``.

    A test whose run has no count (an error, a limit) is recorded as None with its verdict beside
    it, so that a change that makes a reference fail shows as a difference too.
    """
    problems = load_problem_set().select(ids)
    jobs = []
    for problem in problems:
        for tier in problem.tiers:
            levels = range(len(problem.levels)) if tier == "expert" else range(min(tier_levels, len(problem.levels)))
            for level in levels:
                for test in problem.level_tests(level):
                    jobs.append((problem, tier, test))
    meter = ValgrindMeter()
    counts: dict[str, dict[str, dict[str, float | str | None]]] = {}
    started = time.monotonic()
    with LocalSandbox(meter, workers=workers) as box:

        def one(job):
            problem, tier, test = job
            request = TestRequest(problem.references[tier], problem.entry_point, codec.encode(test.args), LIMITS)
            run = box.run(request)
            if run.cost is not None:
                return problem.id, tier, test.test_id, run.cost.value
            why = run.killed_for or run.infra_error or run.meter_anomaly or f"exit {run.exit_code}"
            return problem.id, tier, test.test_id, f"no count: {why}"

        with ThreadPoolExecutor(workers) as pool:
            for i, (pid, tier, test_id, value) in enumerate(pool.map(one, jobs), 1):
                counts.setdefault(pid, {}).setdefault(tier, {})[test_id] = value
                if i % 50 == 0 or i == len(jobs):
                    print(f"  {i}/{len(jobs)} runs, {time.monotonic() - started:.0f} s", file=sys.stderr)
    env = {"python": platform.python_version(), "valgrind": valgrind_version(), "machine": platform.machine()}
    return {"env": env, "tier_levels": tier_levels, "counts": counts}


def differences(before: dict, after: dict) -> list[str]:
    """One line per (problem, tier, test) present in ``before`` whose count differs in ``after``."""
    out = []
    for pid, tiers in before["counts"].items():
        for tier, tests in tiers.items():
            for test_id, value in tests.items():
                now = after["counts"].get(pid, {}).get(tier, {}).get(test_id, "absent")
                if now != value:
                    delta = f" ({now - value:+,.0f})" if isinstance(now, float) and isinstance(value, float) else ""
                    out.append(f"{pid} {tier} {test_id}: {value} -> {now}{delta}")
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("--record", type=Path, help="write the counts to this JSON file")
    what.add_argument("--compare", type=Path, help="compare with a recording made before the change")
    parser.add_argument("--problems", default="all", help="comma-separated ids, or all (default)")
    parser.add_argument("--tier-levels", type=int, default=2, help="levels run by the slower tiers (default 2)")
    parser.add_argument("--workers", type=int, default=2)
    opts = parser.parse_args()
    if opts.compare is not None:
        try:
            before = json.loads(opts.compare.read_text())
        except (OSError, ValueError) as exc:
            print(f"count_identity: cannot read {opts.compare}: {exc}", file=sys.stderr)
            return 2
        ids = sorted(before["counts"])
        opts.tier_levels = before.get("tier_levels", opts.tier_levels)
    else:
        ids = None if opts.problems == "all" else [p.strip() for p in opts.problems.split(",")]
    t0 = time.monotonic()
    now = record(ids, opts.tier_levels, opts.workers)
    n = sum(len(tests) for tiers in now["counts"].values() for tests in tiers.values())
    print(f"{n} counts over {len(now['counts'])} problems in {time.monotonic() - t0:.0f} s")
    if opts.record is not None:
        opts.record.write_text(json.dumps(now, indent=1, sort_keys=True))
        print(f"written to {opts.record}")
        return 0
    if before["env"] != now["env"]:
        print(f"count_identity: recorded under {before['env']}, now {now['env']}: not comparable", file=sys.stderr)
        return 2
    diff = differences(before, now)
    for line in diff:
        print("  " + line)
    print(f"identical: {'yes' if not diff else 'no'} ({len(diff)} of {n} counts differ)")
    return 1 if diff else 0


if __name__ == "__main__":
    sys.exit(main())
