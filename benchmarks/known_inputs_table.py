"""Stress inputs known in advance: a candidate that answers them from a table (docs/threat-model.md, "A fourth
red team on the one-run time meter").

Writes two samples per problem to a JSONL file and runs ``effbench evaluate`` on them (``--meter``,
default time, ``--no-cache``, ``--seed``): the expert as a sample, and the expert behind a table.
For ``count_primes_upto``, which counts the primes in a window [lo, hi) since the commit after
f28f548, a checkpoint candidate: pi(c2) - pi(c1) for the multiples of 1000 nearest lo and hi
(tabled here for the windows of ``--seed`` only; one entry per multiple up to 10**9 would be
10**6, and a source's constants cost nothing to load), then one sieve pass over the two short
segments between them (before, it tabled the answers of the dozen values its generator drew n
from, tests/threats/test_known_inputs.py); for ``catalan_mod``, the whole sequence C(0..3000) mod
1e9+7 (any n of the levels), used when the test's modulus is 1e9+7 (every test's before f28f548;
since, a prime drawn per test), the expert otherwise.
Prints the CLI's tables (eff@1 per model) and the load average before and after:

    .venv/bin/python benchmarks/known_inputs_table.py [--meter time]

Exit 0 (figures only; nothing here is a pass or fail).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from script_exit import run_main

from effbench.problems import load_problem_set

MOD = 1_000_000_007


def _run(code: str, entry: str, *args: object) -> object:
    """``entry`` of ``code`` called with ``args``, or the function itself when there are none."""
    namespace: dict = {}
    exec(code, namespace)  # noqa: S102 - the bundled expert
    return namespace[entry](*args) if args else namespace[entry]


#: checkpoints every STRIDE values: pi(c) for every multiple c of 1000 up to 10**9 is 10**6 entries,
#: a source's limit in one character each
STRIDE = 1000


def _checkpoint(x: int) -> int:
    return (x + STRIDE // 2) // STRIDE * STRIDE


#: the checkpoint candidate: pi(c2) - pi(c1) tabled for the nearest checkpoints of lo and hi, then
#: one pass of the primes up to sqrt over the two short segments between them and lo, hi
CHECKPOINT_PRIMES = """
from itertools import compress
from math import isqrt


def count_primes(lo, hi):
    lo = max(lo, 2)
    if lo >= hi:
        return 0
    c1 = (lo + _STRIDE // 2) // _STRIDE * _STRIDE
    c2 = (hi + _STRIDE // 2) // _STRIDE * _STRIDE
    if (c1, c2) not in _PI_DIFF:  # level 0 (public inputs): the expert
        return _expert(lo, hi)
    total = _PI_DIFF[c1, c2]
    a, b = min(lo, c1), max(lo, c1)
    c, d = min(hi, c2), max(hi, c2)
    top = max(hi, c2)
    r = isqrt(top - 1)
    base = bytearray([1]) * (r + 1)
    base[:2] = b"\\0\\0"
    for i in range(2, isqrt(r) + 1):
        if base[i]:
            base[i * i :: i] = bytes(len(range(i * i, r + 1, i)))
    left = bytearray([1]) * (b - a)
    right = bytearray([1]) * (d - c)
    for p in compress(range(r + 1), base):
        s = max(p * p, -(-a // p) * p) - a
        if s < b - a:
            left[s::p] = bytes((b - a - 1 - s) // p + 1)
        s = max(p * p, -(-c // p) * p) - c
        if s < d - c:
            right[s::p] = bytes((d - c - 1 - s) // p + 1)
    if a < 2:
        left[: 2 - a] = bytes(min(2 - a, b - a))
    total += left.count(1) if lo < c1 else -left.count(1)
    total += right.count(1) if hi > c2 else -right.count(1)
    return total
"""


def samples(seed: str) -> list[dict]:
    """The four samples: expert and table for count_primes_upto (its checkpoints near the inputs
    of ``seed``) and catalan_mod."""
    problems = load_problem_set()
    primes, catalan = problems.get("count_primes_upto"), problems.get("catalan_mod")
    expert = _run(primes.expert_code, "count_primes")
    table = {}
    for level_args in primes.generated_args(seed)[1:]:
        for lo, hi in level_args:
            c1, c2 = _checkpoint(max(lo, 2)), _checkpoint(hi)
            table[c1, c2] = expert(c1, c2)
    fallback = primes.expert_code.replace("def count_primes(", "def _expert(", 1)
    table_primes = f"_STRIDE = {STRIDE}\n_PI_DIFF = {table!r}\n" + CHECKPOINT_PRIMES + fallback
    top = catalan.levels[-1].size
    sequence = tuple(_run(catalan.expert_code, "catalan_numbers", top, MOD))
    guard = f"def catalan_numbers(n, p):\n    if n <= {top} and p == {MOD}:\n        return list(_C[:n + 1])\n"
    table_catalan = f"_C = {sequence!r}\n" + catalan.expert_code.replace("def catalan_numbers(n, p):\n", guard, 1)
    assert "_C[:n + 1]" in table_catalan
    return [
        {"task_id": primes.id, "solution": primes.expert_code, "model": "expert-as-sample"},
        {"task_id": catalan.id, "solution": catalan.expert_code, "model": "expert-as-sample"},
        {"task_id": primes.id, "solution": table_primes, "model": "table"},
        {"task_id": catalan.id, "solution": table_catalan, "model": "table"},
    ]


def main() -> int:
    """Write the samples, run the CLI on them, print its tables; returns the CLI's status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--meter", default="time")
    parser.add_argument("--seed", default="known-inputs-table", help="the run's seed of the inputs")
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "samples.jsonl"
        path.write_text("".join(json.dumps(s) + "\n" for s in samples(args.seed)))
        command = [sys.executable, "-m", "effbench", "evaluate", "--meter", args.meter, "--no-cache"]
        command += ["--seed", args.seed]
        command += ["--problems", "count_primes_upto,catalan_mod", "--samples", str(path)]
        command += ["--run-dir", str(Path(tmp) / "run")]
        done = subprocess.run(command, capture_output=True, text=True)
        print(done.stdout)
        if done.returncode:
            print(done.stderr[-2000:])
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    return done.returncode


if __name__ == "__main__":
    run_main(main, "known_inputs_table")
