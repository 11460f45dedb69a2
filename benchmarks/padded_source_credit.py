"""A source padded with folded constants against its honest twin, under the time meter at one run
(docs/threat-model.md, "A red team on the calibrated null").

The same work (a loop of ``--n`` additions), once as is and once after ``--mb`` MiB of constants
the compiler folds from ``"a"*4096 + ...`` (held by the worker, so by the test child at its
release: before the fix the meter credited their teardown at the runner's calibrated slope).
Alternated ``--rounds`` times on one local runner, ``TimeMeter()``; prints the runner's calibrated
null, each one's median cost and the load average before and after:

    .venv/bin/python benchmarks/padded_source_credit.py [--mb 48] [--rounds 10] [--n 300000]

Exit 0 (figures only; nothing here is a pass or fail).
"""

from __future__ import annotations

import argparse
import os
import statistics

from script_exit import run_main

from effbench.meters.timing import TimeMeter
from effbench.sandboxes.base import Limits, TestRequest

WORK = "def f(n):\n    t = 0\n    for i in range(n):\n        t += i\n    return t\n"


def padded(mb: int) -> str:
    """WORK after ``mb`` MiB of folded string constants (groups of 100 terms of 4096 characters,
    each group's first term distinct, so the compiler keeps them apart)."""
    groups = mb * 1024 // 400
    return (
        "".join(f"_P{g} = ({str(g)!r}+" + "+".join('"a"*4096' for _ in range(100)) + ")\n" for g in range(groups))
        + WORK
    )


def main() -> int:
    """Run the rounds and print the medians; returns 0."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=48)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--n", type=int, default=300_000)
    args = parser.parse_args()
    from effbench.sandboxes.local import LocalSandbox

    limits = Limits(wall_seconds=60.0, cpu_seconds=30.0)
    sources = {"honest": WORK, "padded": padded(args.mb)}
    costs: dict[str, list[float]] = {"honest": [], "padded": []}
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    with LocalSandbox(TimeMeter(), workers=1) as box:
        null = box._workers[0].null_baseline or {}
        slope = null.get("exit_seconds_per_kb", 0.0) * 1024 * 1e6
        print(f"null: rss at release {null.get('rss_at_go_kb')} kB, slope {slope:.1f} us per MB")
        for r in range(args.rounds):
            for name in ("honest", "padded") if r % 2 == 0 else ("padded", "honest"):
                run = box.run(TestRequest(sources[name], "f", [args.n], limits))
                if run.cost is not None:
                    costs[name].append(run.cost.value / 1e3)
    for name, values in costs.items():
        print(f"{name:7} median {statistics.median(values):8.0f} us  {[round(v) for v in values]}")
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    run_main(main, "padded_source_credit")
