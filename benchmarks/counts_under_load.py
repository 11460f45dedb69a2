"""Counts are the algorithm's, not the machine's: under load, across runs, across checkouts.

Three checks, each printed with its outcome (exit status 1 if one fails):

1. **Under load.** With one busy process per usable CPU running beside it, every chosen
   problem's expert, submitted as a sample (with a comment, so that its text differs from the
   reference's), must score eff 1.0 exactly (within 1e-9) against a profile measured in the same
   run.
2. **Across runs.** Two evaluations of the same candidates in two fresh sandboxes give the same
   count on every test.
3. **Across checkouts.** The problems and references copied to two folders at different paths
   give the same expert profile, test by test.

Bounded in time by the problem list (default: five problems, a few minutes under valgrind;
``--problems all``: every bundled problem, about six evaluations of the whole set). Problems are
spread over ``--workers`` threads sharing one sandbox of as many workers.

    .venv/bin/python benchmarks/counts_under_load.py [--problems a,b|all] [--workers N]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import shutil
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from script_exit import run_main

from effbench import paths
from effbench.engine import EngineSettings, Evaluator
from effbench.meters.valgrind import ValgrindMeter
from effbench.problems import load_problem_set
from effbench.sandboxes.local import LocalSandbox

SEED = "counts-under-load"


def _burn() -> None:
    x = 0
    while True:
        x = (x * 1103515245 + 12345) % 2147483648


def evaluate(problem_set, ids, workers: int) -> tuple[dict[str, list[float | None]], list[str]]:
    """{problem: per-test costs} of each expert resubmitted as a sample, and checks eff == 1."""
    meter = ValgrindMeter()
    with LocalSandbox(meter, workers=workers) as box:
        ev = Evaluator(box, meter, EngineSettings(input_seed=SEED), cache=None)

        def one(problem):
            return ev.evaluate(problem, "# resubmitted\n" + problem.expert_code, model="expert-as-sample")

        with ThreadPoolExecutor(workers) as pool:
            records = list(pool.map(one, problem_set.select(ids)))
    out = {rec.problem_id: [t.cost for t in rec.tests] for rec in records}
    failures = [
        f"{rec.problem_id}: verdict {rec.verdict}, eff {rec.efficiency!r}"
        for rec in records
        if rec.verdict != "ok" or abs(rec.efficiency - 1.0) > 1e-9
    ]
    return out, failures


def profiles(root: Path, ids, workers: int) -> dict[str, dict[str, float]]:
    """{problem: {input hash: cost}} of the expert profiles, problems loaded from ``root``."""
    problem_set = load_problem_set(root / "problems", root / "references")
    meter = ValgrindMeter()
    with LocalSandbox(meter, workers=workers) as box:
        ev = Evaluator(box, meter, EngineSettings(input_seed=SEED), cache=None)
        with ThreadPoolExecutor(workers) as pool:
            profs = list(pool.map(ev.profile, problem_set.select(ids)))
    return {prof.problem_id: dict(prof.test_costs) for prof in profs}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--problems", default="running_median,topological_order_lexmin,count_inversions,edit_distance,eval_expression"
    )
    parser.add_argument("--workers", type=int, default=len(os.sched_getaffinity(0)))
    opts = parser.parse_args()
    problem_set = load_problem_set()
    if opts.problems == "all":
        ids = sorted(problem_set.problems)
    else:
        ids = [p.strip() for p in opts.problems.split(",")]
    ok = True

    hogs = [multiprocessing.Process(target=_burn, daemon=True) for _ in os.sched_getaffinity(0)]
    for hog in hogs:
        hog.start()
    try:
        first, failures = evaluate(problem_set, ids, opts.workers)
    finally:
        for hog in hogs:
            hog.kill()
    print(f"1. under load ({len(hogs)} busy processes beside it): expert as a sample scores exactly 1: ", end="")
    print("yes" if not failures else "NO: " + "; ".join(failures))
    ok &= not failures

    second, _ = evaluate(problem_set, ids, opts.workers)
    differ = [p for p in ids if first.get(p) != second.get(p)]
    print(f"2. two runs, every test's count equal: {'yes' if not differ else 'NO: ' + ', '.join(differ)}")
    ok &= not differ

    with tempfile.TemporaryDirectory(prefix="effbench-a-") as a, tempfile.TemporaryDirectory(prefix="eb-") as b:
        copies = []
        for top in (Path(a) / "one", Path(b) / "deeper" / "two"):
            shutil.copytree(paths.problems_dir(), top / "problems")
            shutil.copytree(paths.references_dir(), top / "references")
            copies.append(profiles(top, ids, opts.workers))
    differ = [p for p in ids if copies[0].get(p) != copies[1].get(p)]
    print(f"3. two checkouts at different paths, equal profiles: {'yes' if not differ else 'NO: ' + ', '.join(differ)}")
    ok &= not differ
    return 0 if ok else 1


if __name__ == "__main__":
    run_main(main, "counts_under_load")
