"""How the leaderboard's time grows with its rows (a sweep, many checkpoints of one RL run).

Builds one synthetic run directory of ``N`` models on the twelve problems of
``tests/leaderboard_runs.py`` (one sample per problem, scored by the real engine over a scripted
sandbox; model ``m`` costs ``1.05 + m / N`` times the expert, with a small per-problem wobble), then
times each step of ``effbench leaderboard`` on it: ranking (intervals, paired tests, Bradley-Terry
ratings and their bootstrap), plots, and rendering (Markdown, JSON, HTML). Prints the seconds per
step for each ``N`` and the load average before and after:

    PYTHONPATH=. .venv/bin/python benchmarks/leaderboard_scale.py [--rows 50 200 500] [--resamples 2000]

Exit 0 (figures only; nothing here is a pass or fail).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from script_exit import run_main

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from leaderboard_runs import PROBLEMS, candidate_code, make_problem_set, write_run  # noqa: E402

from effbench.leaderboard import Settings, build  # noqa: E402
from effbench.leaderboard.plots import write_plots  # noqa: E402
from effbench.leaderboard.render import render_html, render_markdown  # noqa: E402


def samples(n_rows: int) -> list:
    """One parallel sample per problem for each of ``n_rows`` models."""
    out = []
    for m in range(n_rows):
        for i, pid in enumerate(PROBLEMS):
            f = 1.05 + m / n_rows + 0.03 * ((i * 7 + m) % 5 - 2)
            meta = {"strategy": "parallel", "model_name": f"ckpt-{m:04d}"}
            out.append((f"ckpt-{m:04d}", pid, 0, candidate_code(f), meta))
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, nargs="+", default=[50, 200, 500])
    ap.add_argument("--resamples", type=int, default=2000)
    args = ap.parse_args()
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"{'rows':>5} {'runs built s':>12} {'rank s':>8} {'plots s':>8} {'render s':>9} {'total s':>8}")
    with tempfile.TemporaryDirectory(prefix="board-scale-") as tmp:
        root = Path(tmp)
        problems = make_problem_set(root / "set")
        for n in args.rows:
            t0 = time.perf_counter()
            run = write_run(root / f"runs-{n}", problems, samples(n))
            t1 = time.perf_counter()
            tables, doc = build([run], Settings(bootstrap_resamples=args.resamples))
            t2 = time.perf_counter()
            out = root / f"out-{n}"
            for table in tables:
                write_plots(table, out / "plots")
            t3 = time.perf_counter()
            doc["tables"] = [t.doc for t in tables]
            (out / "leaderboard.json").write_text(json.dumps(doc, indent=1))
            (out / "leaderboard.md").write_text(render_markdown(doc))
            (out / "index.html").write_text(render_html(doc, out))
            t4 = time.perf_counter()
            print(
                f"{n:>5} {t1 - t0:>12.1f} {t2 - t1:>8.1f} {t3 - t2:>8.1f} {t4 - t3:>9.1f} {t4 - t1:>8.1f}", flush=True
            )
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    run_main(main, "leaderboard_scale")
