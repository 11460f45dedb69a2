"""Counts identical to the instruction before and after a change to the harness (issue 13).

Records the valgrind count of every bundled reference on every test it is given (the expert on
every level; the slower tiers on the first ``--tier-levels`` levels, where they finish quickly),
run straight through the local sandbox with generous limits (no budget, no early stop: nothing
here depends on CPU time), then either writes them or compares them with a recording made before
the change:

    .venv/bin/python benchmarks/count_identity.py --record before.json [--problems a,b|all]
    (change the runner, the sandbox, the codec...)
    .venv/bin/python benchmarks/count_identity.py --compare before.json

``--expert-levels N`` records the expert on its first N levels only and ``--seed S`` generates the
inputs of levels >= 1 from the secret seed S (as ``RewardModel(seed=S, levels=N)`` and ``evaluate
--seed`` do) instead of the public one; both are kept in the recording, and ``--compare`` uses them.
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

from script_exit import run_main

from effbench import codec
from effbench.meters.valgrind import ValgrindMeter, valgrind_version
from effbench.problems import load_problem_set
from effbench.sandboxes.base import Limits, TestRequest
from effbench.sandboxes.local import LocalSandbox

#: generous limits: a reference is never stopped here (a count, not a verdict, is what is compared)
LIMITS = Limits(wall_seconds=600.0, cpu_seconds=300.0)


def record(
    ids: list[str] | None, tier_levels: int, workers: int, expert_levels: int | None = None, seed: str | None = None
) -> dict:
    """``{"env": {...}, "tier_levels": N, "expert_levels": N|None, "seed": S|None, "counts": {problem: {tier:
    {test_id: instructions | str}}}}``; ``expert_levels`` None: every level; ``seed`` None: the public inputs.

    A test whose run has no count (an error, a limit) is recorded as the text ``"no count: <why>"``,
    so that a change that makes a reference fail shows as a difference too.
    """
    problems = load_problem_set().select(ids)
    jobs = []
    for problem in problems:
        for tier in problem.tiers:
            last = len(problem.levels) if expert_levels is None else min(expert_levels, len(problem.levels))
            levels = range(last) if tier == "expert" else range(min(tier_levels, len(problem.levels)))
            for level in levels:
                for test in problem.level_tests(level, seed):
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
    env = environment()
    return {"env": env, "tier_levels": tier_levels, "expert_levels": expert_levels, "seed": seed, "counts": counts}


def differences(before: dict, after: dict) -> list[str]:
    """One line per (problem, tier, test) whose count differs between the two recordings, or that
    one of them has and the other has not."""
    out = []
    keys = set()
    for side in (before, after):
        for pid, tiers in side["counts"].items():
            for tier, tests in tiers.items():
                keys.update((pid, tier, test_id) for test_id in tests)
    for pid, tier, test_id in sorted(keys):
        was = before["counts"].get(pid, {}).get(tier, {}).get(test_id, "absent")
        now = after["counts"].get(pid, {}).get(tier, {}).get(test_id, "absent")
        if now != was:
            delta = f" ({now - was:+,.0f})" if isinstance(now, float) and isinstance(was, float) else ""
            out.append(f"{pid} {tier} {test_id}: {was} -> {now}{delta}")
    return out


def environment() -> dict:
    """What the counts depend on besides the code: the interpreter, valgrind, the machine."""
    return {"python": platform.python_version(), "valgrind": valgrind_version(), "machine": platform.machine()}


def _recording(path: Path) -> dict:
    """A recording written by ``--record``, checked for shape; raises ValueError naming the fault."""
    data = json.loads(path.read_text())
    if not isinstance(data, dict) or not isinstance(data.get("counts"), dict) or not isinstance(data.get("env"), dict):
        raise ValueError("not a recording of benchmarks/count_identity.py (needs 'env' and 'counts')")
    if not data["counts"]:
        raise ValueError("the recording holds no counts")
    return data


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("--record", type=Path, help="write the counts to this JSON file")
    what.add_argument("--compare", type=Path, help="compare with a recording made before the change")
    parser.add_argument("--problems", default="all", help="comma-separated ids, or all (default)")
    parser.add_argument("--tier-levels", type=int, default=2, help="levels run by the slower tiers (default 2)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--expert-levels", type=int, default=None, help="the expert's first N levels (default all)")
    parser.add_argument("--seed", default=None, help="secret seed of the generated inputs (default: the public ones)")
    opts = parser.parse_args()
    if opts.workers < 1 or opts.tier_levels < 0 or (opts.expert_levels is not None and opts.expert_levels < 1):
        parser.error("--workers and --expert-levels must be at least 1, --tier-levels at least 0")
    before = None
    if opts.compare is not None:
        try:
            before = _recording(opts.compare)
        except (OSError, ValueError) as exc:
            print(f"count_identity: cannot use {opts.compare}: {exc}", file=sys.stderr)
            return 2
        if before["env"] != environment():
            print(
                f"count_identity: {opts.compare} was recorded under {before['env']}, this is {environment()}: "
                "not comparable",
                file=sys.stderr,
            )
            return 2
        ids = sorted(before["counts"])
        opts.tier_levels = before.get("tier_levels", opts.tier_levels)
        opts.expert_levels, opts.seed = before.get("expert_levels"), before.get("seed")
    else:
        ids = None if opts.problems == "all" else [p.strip() for p in opts.problems.split(",") if p.strip()]
        if ids == []:
            parser.error("--problems names no problem")
        try:
            opts.record.touch()
        except OSError as exc:
            print(f"count_identity: cannot write {opts.record}: {exc}", file=sys.stderr)
            return 2
    known = {p.id for p in load_problem_set().select(None)}
    unknown = sorted(set(ids or ()) - known)
    if unknown:
        print(f"count_identity: unknown problem(s): {', '.join(unknown)}", file=sys.stderr)
        return 2
    t0 = time.monotonic()
    now = record(ids, opts.tier_levels, opts.workers, opts.expert_levels, opts.seed)
    n = sum(len(tests) for tiers in now["counts"].values() for tests in tiers.values())
    print(f"{n} counts over {len(now['counts'])} problems in {time.monotonic() - t0:.0f} s")
    if before is None:
        opts.record.write_text(json.dumps(now, indent=1, sort_keys=True))
        print(f"written to {opts.record}")
        return 0
    diff = differences(before, now)
    for line in diff:
        print("  " + line)
    print(f"identical: {'yes' if not diff else 'no'} ({len(diff)} of {n} counts differ or are missing on one side)")
    return 1 if diff else 0


if __name__ == "__main__":
    run_main(main, "count_identity")
