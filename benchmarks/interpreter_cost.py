"""The sandbox's cost per test on two (or more) interpreters, interleaved in one run.

Candidates run on the interpreter effbench's virtual environment was made from
(``meters.sandbox_python()``; ``scripts/setup.sh`` picks Debian's ``/usr/bin/python3.11`` where
it is there). Under the valgrind meter every test child's exit has cachegrind write one count per
source line it knows, so an interpreter built with debug information (pyenv's, ~23 MB of
``libpython``) pays for a larger table in every child than a stripped one. This script measures
that (since effbench/sandboxes/stripped.py, the valgrind meter loads a stripped copy of such a
``libpython``: the script says so): for each interpreter, one local sandbox (one warm worker)
runs the expert solution of each chosen problem on every test, rounds alternating between the
interpreters so that a busy machine weighs on all of them alike, and prints per test the wall
time, the fixed cost (everything but the candidate's own metered work) and the CPU time of every
process of the sandbox, then each interpreter's CPU per test against the first one's. Counts
differ between interpreters (each is its own environment, named by the fingerprint).

    .venv/bin/python benchmarks/interpreter_cost.py \
        --pythons /root/.pyenv/versions/3.11.7/bin/python3.11,/usr/bin/python3.11 \
        [--problems count_inversions,eval_expression] [--rounds 2] [--meter valgrind|time]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess

from meter_overhead import PHASES, breakdown
from script_exit import run_main

from effbench.errors import EffbenchError
from effbench.meters.timing import TimeMeter
from effbench.meters.valgrind import ValgrindMeter
from effbench.problems import load_problem_set
from effbench.sandboxes import stripped
from effbench.sandboxes.local import LocalSandbox


def interpreter_facts(python: str) -> str:
    """``"3.11.2, stripped"``-style description of ``python`` (version; debug information or not).

    Raises:
        EffbenchError: ``python`` does not run.
    """
    try:
        out = subprocess.run(
            [
                python,
                "-c",
                "import os, sys, sysconfig; print(sys.version.split()[0]);"
                "print(os.path.realpath(sys.executable)); print(sysconfig.get_config_var('LDLIBRARY') or '')"
                ";print(sysconfig.get_config_var('LIBDIR') or '')",
            ],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        ).stdout.split("\n")
    except (OSError, subprocess.SubprocessError) as exc:
        raise EffbenchError(f"--pythons: {python} does not run ({exc})") from exc
    version, real, ldlibrary, libdir = out[:4]
    shared = os.path.join(libdir, ldlibrary) if ldlibrary.endswith(".so") or ".so." in ldlibrary else ""
    binaries = [real] + ([shared] if shared and os.path.exists(shared) else [])
    debug = any(b".debug_line" in _section_names(b) for b in binaries)
    copy = stripped.stripped_library(real)
    said = f"; the valgrind meter loads a copy without them ($EFFBENCH_STRIP={stripped.strip_choice()})" if copy else ""
    return f"{version}, {'with' if debug else 'without'} debug line tables{said}"


def _section_names(path: str) -> bytes:
    """The ELF section names of ``path`` as ``readelf -S`` prints them (b"" if readelf is missing)."""
    try:
        return subprocess.run(["readelf", "-S", "-W", path], capture_output=True, timeout=60).stdout
    except (OSError, subprocess.SubprocessError):
        return b""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pythons", required=True, help="comma-separated interpreter paths (at least two)")
    parser.add_argument("--problems", default="count_inversions,eval_expression", help="default %(default)s")
    parser.add_argument("--rounds", type=int, default=2, help="alternations (default %(default)s)")
    parser.add_argument("--meter", choices=("valgrind", "time"), default="valgrind")
    opts = parser.parse_args()
    pythons = [p.strip() for p in opts.pythons.split(",") if p.strip()]
    if len(pythons) < 2:
        parser.error("--pythons needs at least two interpreters")
    if opts.rounds < 1:
        parser.error("--rounds must be at least 1")
    facts = {p: interpreter_facts(p) for p in pythons}
    problems = load_problem_set().select([p.strip() for p in opts.problems.split(",")])
    meter = ValgrindMeter() if opts.meter == "valgrind" else TimeMeter()
    print(f"{opts.meter} meter, expert solutions, every test; {opts.rounds} round(s) alternating")
    for i, p in enumerate(pythons, 1):
        print(f"  #{i} {p}: {facts[p]}")
    cpu: dict[str, list[float]] = {p: [] for p in pythons}
    boxes = {p: LocalSandbox(meter, workers=1, python=p) for p in pythons}
    try:
        print(f"{'round':>5} {'#':>2} {'problem':22} {'wall/test':>9} {'fixed/test':>10} {'cpu/test':>8} (ms)")
        for rnd in range(opts.rounds):
            for i, (p, box) in enumerate(boxes.items(), 1):
                for problem in problems:
                    tests = [t for level in range(len(problem.levels)) for t in problem.level_tests(level)]
                    means, host, own, cpu_per_test = breakdown(box, problem, tests)
                    wall = sum(means[n] for n in PHASES) + host
                    cpu[p].append(cpu_per_test)
                    print(
                        f"{rnd:5d} {i:2d} {problem.id[:22]:22} {1000 * wall:9.1f} "
                        f"{1000 * (wall - own):10.1f} {1000 * cpu_per_test:8.1f}"
                    )
    finally:
        for box in boxes.values():
            box.close()
    first = pythons[0]
    base = statistics.mean(cpu[first])
    print("mean cpu/test against the first interpreter's:")
    for i, p in enumerate(pythons, 1):
        print(f"  #{i} {p}: {1000 * statistics.mean(cpu[p]):.1f} ms, {statistics.mean(cpu[p]) / base:.2f}x")


if __name__ == "__main__":
    run_main(main, "interpreter_cost")
