"""What judging one hostile answer costs the host: CPU seconds and peak memory of effbench's
process, from the result's text to the verdict (``engine.classify``: parsing, the check that the
runner could have written it, the built-in checker, the preview of a wrong answer), on a generated
test (the expected answer is the expert's own value).

Each shape is a result a candidate can write by hand on its result pipe (or return), built to
the size asked:

- ``nested_sets``: frozensets nested ``--depth`` deep, each holding the next and an int, around a
  tuple of ints (rt-host's red team: 48 s of host CPU for 1 MB at depth 50 before 1465b5e);
- ``small_lists``: a list of empty lists (3 bytes of JSON, a Python list each).

The expected answer is the same value (an expert that answered alike) or, with ``--small-expected``,
``[[1, 2]]``. One shape per run, so that the peak memory is this case's:

    .venv/bin/python benchmarks/host_judging.py [--shape nested_sets|small_lists] [--mb 16]
        [--depth 50] [--small-expected]

Prints one line: the shape, the result's bytes, the verdict, CPU seconds of the judging thread
and the process's peak resident memory. Exit 0 (a figure, not a pass or fail). Quote it with the
load average (``uptime``).
"""

from __future__ import annotations

import argparse
import json
import resource
import time

from script_exit import run_main

from effbench.engine import classify
from effbench.problems import TestCase, load_problem_set
from effbench.sandboxes.base import Limits, TestRun

TAG = "__effbench__"


def nested_sets(megabytes: float, depth: int) -> object:
    """Frozensets nested ``depth`` deep around a tuple of 7-digit ints, about ``megabytes`` MB."""
    value: object = {TAG: "tuple", "items": [1_000_000 + i for i in range(int(megabytes * 1e6 / 8))]}
    for level in range(depth):
        value = {TAG: "frozenset", "items": [value, level]}
    return value


def small_lists(megabytes: float) -> object:
    """A list of empty lists, about ``megabytes`` MB of JSON."""
    return [[] for _ in range(int(megabytes * 1e6 / 3))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shape", choices=("nested_sets", "small_lists"), default="nested_sets")
    parser.add_argument("--mb", type=float, default=16.0, help="size of the result's JSON, in MB (at most 16)")
    parser.add_argument("--depth", type=int, default=50, help="nesting of nested_sets (at most 150)")
    parser.add_argument("--small-expected", action="store_true", help="compare with [[1, 2]], not the same value")
    args = parser.parse_args()
    value = nested_sets(args.mb, args.depth) if args.shape == "nested_sets" else small_lists(args.mb)
    text = json.dumps({"ok": True, "value": value}, separators=(",", ":"))
    expected = [[1, 2]] if args.small_expected else json.loads(text)["value"]
    del value
    problem = load_problem_set().get("count_inversions")  # checker "exact"
    # a generated test (no fixed expected answer): the engine judges it as the expert's own value,
    # with the check that a set stands where the expert has one (checkers.same_unordered_kinds)
    test = TestCase("L1.g0", 1, problem.level_tests(0)[0].args)
    start = time.thread_time()
    verdict, _answer, etype, _detail = classify(
        TestRun(result=text, exit_code=0), test, expected, problem, Limits(wall_seconds=60)
    )
    cpu = time.thread_time() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"{args.shape} depth={args.depth if args.shape == 'nested_sets' else '-'} bytes={len(text)} "
        f"expected={'small' if args.small_expected else 'same'}: {verdict.value}{f' ({etype})' if etype else ''}, "
        f"{cpu:.2f} s CPU of the judging thread, peak RSS {peak_mb:.0f} MB"
    )
    return 0


if __name__ == "__main__":
    run_main(main, "host_judging")
