"""Where a null test's CPU time and page faults go under the time meter, by process (issue 13 item 5).

Runs ``time_meter_cost.py --serve N`` (one local sandbox, one worker, N null tests at one run
after 3 warm-up requests) under ``perf record`` (software events: ``cpu-clock`` sampled at
``--frequency``, and ``page-faults`` counted one by one), then attributes every sample to a
process by perf's fork records:

- host: the Python process perf started (``LocalSandbox.run``: framing, JSON, ``select``);
- zygote: the process that forks the workers (one per request, or under the time meter since
  helper-73 one per many requests);
- worker: a child of the zygote; test child: a worker's child (the time meter at one run forks no
  baseline child), or where a worker has two, baseline child and test child: its first and second;
- relay and the runner's other ancestors: every other process of the tree.

Only samples after the ``--skip``-th fork of a worker's child count (the runner's start, its
calibration of the null cost, 28 requests, and the warm-up rounds are left out); per test means
per test child forked in that window. Prints, per process: CPU ms per test, the kernel's share of its samples,
page faults per test, and its three most sampled functions. Needs ``perf`` and permission for
software events (``perf_event_paranoid`` <= 2 for one's own processes); hardware counters are
not used.

    .venv/bin/python benchmarks/time_meter_profile.py [--tests 200] [--skip 40] [--frequency 4000]
"""

from __future__ import annotations

import argparse
import collections
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from script_exit import run_main

FORK = re.compile(r"PERF_RECORD_FORK\((\d+):(\d+)\):\((\d+):(\d+)\)")
SAMPLE = re.compile(r"\s*(\d+)/(\d+)\s+(\d+\.\d+):\s+(\d+)\s+(\S+):?\s+[0-9a-f]+\s+(.*)\((.*)\)\s*$")
TIME = re.compile(r"(\d+\.\d+):")


def record(event_args: list[str], tests: int, out: Path) -> None:
    """``perf record`` the null-test loop into ``out``; raises CalledProcessError if perf fails."""
    script = Path(__file__).with_name("time_meter_cost.py")
    loop = [sys.executable, str(script), "--serve", str(tests)]
    cmd = ["perf", "record", "-q", *event_args, "-o", str(out), "--", *loop]
    subprocess.run(cmd, check=True, stdout=sys.stderr)


def attribute(data: Path, skip: int) -> tuple[dict[str, collections.Counter], dict[str, int], int]:
    """Parse ``perf script`` of ``data``: per role, {"samples", "period", "kernel"} totals and
    leaf-function counts; returns (totals by role, leaf counts by role as "role|function", tests)."""
    text = subprocess.run(
        ["perf", "script", "-i", str(data), "--show-task-events", "-G", "-F", "pid,tid,time,period,event,ip,sym,dso"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    parent: dict[int, int] = {}
    forks: list[tuple[float, int, int]] = []
    samples: list[tuple[float, int, int, str, str]] = []
    root = None
    for line in text.splitlines():
        m = FORK.search(line)
        if m:
            child, _, par, _ = map(int, m.groups())
            if child != par:  # a process, not a thread
                parent[child] = par
                forks.append((float(TIME.search(line).group(1)), child, par))
            continue
        if "PERF_RECORD" in line:
            continue
        m = SAMPLE.match(line)
        if m:
            pid = int(m.group(1))
            root = pid if root is None else root
            samples.append((float(m.group(3)), pid, int(m.group(4)), m.group(6).strip().split("+")[0], m.group(7)))
    children: dict[int, list[int]] = collections.defaultdict(list)
    for _, child, par in forks:
        children[par].append(child)
    # the busiest parent among the last forks: the zygote, where it forks a worker per request
    # (its parent forked throwaway children at start, the runner's checks), or a worker that
    # serves many requests (the time meter since helper-73), whose parent is then the zygote
    busiest = max({par for _, _, par in forks[-60:]}, key=lambda p: len(children[p]))
    forking = sum(1 for c in children[busiest] if children.get(c))
    zygote = busiest if 2 * forking >= len(children[busiest]) else parent[busiest]
    workers = set(children[zygote])
    # one test child per request (the time meter at one run forks no baseline child)
    test_forks = [t for t, _, par in forks if par in workers]
    if len(test_forks) <= skip + 1:
        raise SystemExit(f"time_meter_profile: only {len(test_forks)} test children forked; lower --skip")
    start = test_forks[skip]
    tests = len(test_forks) - skip
    role = {}
    for worker in workers:
        role[worker] = "worker"
        kids = children.get(worker, [])
        names = ("baseline child", "test child") if len(kids) == 2 else ("test child",) * len(kids)
        for i, child in enumerate(kids):
            role[child] = names[i]
    role[zygote] = "zygote"
    role[root] = "host"
    totals: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    leaves: dict[str, int] = collections.Counter()
    for t, pid, period, sym, dso in samples:
        if t < start:
            continue
        name = role.get(pid, "relay and other runner processes")
        totals[name]["samples"] += 1
        totals[name]["period"] += period
        totals[name]["kernel"] += "kernel" in dso
        leaves[f"{name}|{sym}"] += 1
    return totals, leaves, tests


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tests", type=int, default=200, help="null tests to serve (default %(default)s)")
    parser.add_argument("--skip", type=int, default=40, help="test children left out first (default %(default)s)")
    parser.add_argument("--frequency", type=int, default=4000, help="cpu-clock samples/s (default %(default)s)")
    opts = parser.parse_args()
    if shutil.which("perf") is None:
        parser.error("perf is not installed")
    if opts.tests <= opts.skip + 1:
        parser.error("--tests must be above --skip + 1")
    print(f"load average before: {' '.join(open('/proc/loadavg').read().split()[:3])}")
    with tempfile.TemporaryDirectory() as tmp:
        cpu_data, fault_data = Path(tmp, "cpu.data"), Path(tmp, "faults.data")
        record(["-e", "cpu-clock", "-F", str(opts.frequency)], opts.tests, cpu_data)
        record(["-e", "page-faults", "-c", "1"], opts.tests, fault_data)
        cpu, leaves, cpu_tests = attribute(cpu_data, opts.skip)
        faults, _, fault_tests = attribute(fault_data, opts.skip)
    print(f"load average after: {' '.join(open('/proc/loadavg').read().split()[:3])}")
    print(f"{cpu_tests} null tests (cpu-clock), {fault_tests} (page-faults); per test:")
    print(f"{'process':34s} {'cpu ms':>7s} {'kernel':>7s} {'faults':>7s}  most sampled functions")
    total_ms = total_faults = 0.0
    for name in sorted(cpu, key=lambda n: -cpu[n]["period"]):
        ms = cpu[name]["period"] / 1e6 / cpu_tests
        share = 100 * cpu[name]["kernel"] / cpu[name]["samples"]
        nfaults = faults.get(name, collections.Counter())["samples"] / fault_tests
        total_ms, total_faults = total_ms + ms, total_faults + nfaults
        top = sorted(((v, k.split("|", 1)[1]) for k, v in leaves.items() if k.startswith(name + "|")), reverse=True)[:3]
        where = ", ".join(f"{sym} {100 * v / cpu[name]['samples']:.0f}%" for v, sym in top)
        print(f"{name:34s} {ms:7.2f} {share:6.0f}% {nfaults:7.0f}  {where}")
    print(f"{'all':34s} {total_ms:7.2f} {'':7s} {total_faults:7.0f}")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    run_main(main, "time_meter_profile")
