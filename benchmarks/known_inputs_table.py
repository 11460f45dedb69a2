"""Stress inputs known in advance: a candidate that answers them from a table (README, "A fourth
red team on the one-run time meter").

Writes two samples per problem to a JSONL file and runs ``effbench evaluate`` on them (``--meter``,
default time, ``--no-cache``): the expert as a sample, and the expert behind a table. For
``count_primes_upto`` the table holds the answers of the values its generator drew from before
tests/threats/test_known_inputs.py (per level: the size, the largest prime not above it, a prime
square below it, the size minus 1-9); for ``catalan_mod``, the whole sequence C(0..3000) mod
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


def _is_prime(x: int) -> bool:
    if x < 2:
        return False
    d = 2
    while d * d <= x:
        if x % d == 0:
            return False
        d += 1
    return True


def _run(code: str, entry: str, *args: object) -> object:
    namespace: dict = {}
    exec(code, namespace)  # noqa: S102 - the bundled expert
    return namespace[entry](*args)


def samples() -> list[dict]:
    """The four samples: expert and table for count_primes_upto and catalan_mod."""
    problems = load_problem_set()
    primes, catalan = problems.get("count_primes_upto"), problems.get("catalan_mod")
    table = {}
    for level in primes.levels[1:]:
        size = level.size
        values = list(range(size - 9, size + 1))
        n = size
        while not _is_prime(n):
            n -= 1
        r = int(size**0.5)
        while r > 2 and not _is_prime(r):
            r -= 1
        for v in [*values, n, r * r]:
            table[v] = _run(primes.expert_code, "count_primes", v)
    guard = "def count_primes(n):\n    if n in _KNOWN:\n        return _KNOWN[n]\n"
    table_primes = f"_KNOWN = {table!r}\n" + primes.expert_code.replace("def count_primes(n):\n", guard, 1)
    top = catalan.levels[-1].size
    sequence = tuple(_run(catalan.expert_code, "catalan_numbers", top, MOD))
    guard = f"def catalan_numbers(n, p):\n    if n <= {top} and p == {MOD}:\n        return list(_C[:n + 1])\n"
    table_catalan = f"_C = {sequence!r}\n" + catalan.expert_code.replace("def catalan_numbers(n, p):\n", guard, 1)
    assert "_KNOWN[n]" in table_primes and "_C[:n + 1]" in table_catalan
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
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "samples.jsonl"
        path.write_text("".join(json.dumps(s) + "\n" for s in samples()))
        command = [sys.executable, "-m", "effbench", "evaluate", "--meter", args.meter, "--no-cache"]
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
