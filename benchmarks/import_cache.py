"""Cost of importing an ENAMEL-format file: inputs generated (cold cache) against cached (warm).

It writes a file of N rows in the ENAMEL format (our own generators: random integer lists of the
published level sizes' order of magnitude), then loads it twice, starting from an empty input cache,
in one run: the first load runs every generator in the limited subprocess, the second finds them
in the cache.
It prints the wall times: the cold load, the warm load (what `problems list` does: the cached
inputs are not even read) and the warm load plus reading every input (what `evaluate` needs), with
their ratios to the cold load (goal: well under a tenth for listing).

    .venv/bin/python benchmarks/import_cache.py [--rows 48]
"""

from __future__ import annotations

import argparse
import csv
import os
import tempfile
import time
from pathlib import Path

from script_exit import run_main

PROMPT = (
    'def top(nums, k):\n    """The k largest of nums, largest first.\n    >>> top([3, 1, 2], 2)\n    [3, 2]\n    """\n'
)
GENERATOR = (
    "def generate_input(size, lid, cid):\n"
    "    nums = [random.randint(-10 ** 9, 10 ** 9) for _ in range(size)]\n"
    "    return (nums, max(1, size // 10))\n"
)


def write_file(path: Path, rows: int) -> None:
    with path.open("w", newline="") as f:
        w = csv.DictWriter(
            f,
            fieldnames=[
                "task_id",
                "prompt",
                "entry_point",
                "input_generator",
                "input_levels",
                "reference_solution",
                "checker",
            ],
        )
        w.writeheader()
        for i in range(rows):
            w.writerow(
                {
                    "task_id": f"Bench/{i}",
                    "prompt": PROMPT,
                    "entry_point": "top",
                    "input_generator": GENERATOR + f"# row {i}\n",
                    "input_levels": "10 1000 10000 100000",
                    "reference_solution": "import heapq\ndef top(nums, k):\n    return heapq.nlargest(k, nums)\n",
                    "checker": "def __check(__input, __answer, __output):\n    return __output == __answer\n",
                }
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=48)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["EFFBENCH_CACHE_DIR"] = str(Path(tmp) / "cache")
        from effbench.importers import load_dataset_problems

        path = Path(tmp) / "bench.csv"
        write_file(path, args.rows)
        start = time.perf_counter()
        ps = load_dataset_problems(f"enamel:{path}", warn=print)
        cold = time.perf_counter() - start
        assert len(ps.problems) == args.rows
        start = time.perf_counter()
        ps = load_dataset_problems(f"enamel:{path}", warn=print)
        listed = time.perf_counter() - start
        start = time.perf_counter()
        n = sum(1 for p in ps.problems.values() for _ in p.all_tests())
        read = time.perf_counter() - start
        print(f"rows: {args.rows} ({n // args.rows} generated tests each, sizes 10..100000)")
        print(f"load, inputs generated (cold cache):        {cold:.2f} s")
        print(f"load, inputs cached (e.g. `problems list`): {listed:.2f} s   ratio {listed / cold:.3f}")
        print(f"  + reading every cached input (evaluate):  {listed + read:.2f} s   ratio {(listed + read) / cold:.3f}")


if __name__ == "__main__":
    run_main(main, "import_cache")
