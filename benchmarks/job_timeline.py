"""Where an `effbench evaluate` run's wall time goes beyond the tests themselves (issue 13).

Runs ``effbench evaluate`` with the given arguments in this process, records when each runner is
busy with a test (``RunnerPool.run``), each profile and each sample, and samples from a second
process, every 20 ms, how many tasks of the run's process tree are runnable (state R: running
or waiting for a CPU). Then prints:

- the wall time, the load average, the process tree's CPU seconds (the host and every runner,
  read from /proc while the runners are up) and the host process's own;
- the seconds with 0, 1 and 2+ tests in flight, each phase's span, the one-runner tail at the
  end, the profile phase's end against the first sample's start, and the host's waits for
  valgrind totals (the ``counts`` phase);
- the share of samples with 0, 1 and 2+ runnable tasks: on a machine with N idle cores, the
  time with fewer than N runnable is the time a core idles (on a loaded machine the tasks also
  wait for a CPU, so the shares are an upper bound of the run's own parallelism).

    .venv/bin/python benchmarks/job_timeline.py --references expert,slower --no-cache --seed S
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict

_SAMPLER = r"""
import json, os, signal, sys, time
root, out = int(sys.argv[1]), sys.argv[2]
hist = {}
stopped = []
signal.signal(signal.SIGTERM, lambda *a: stopped.append(1))
def tree():
    kids = {}
    for p in os.listdir("/proc"):
        if p.isdigit():
            try:
                f = open(f"/proc/{p}/stat").read()
            except OSError:
                continue
            kids.setdefault(int(f[f.rfind(")") + 2:].split()[1]), []).append(int(p))
    res, stack = [], [root]
    while stack:
        q = stack.pop()
        res.append(q)
        stack.extend(kids.get(q, []))
    return res
while not stopped:
    r = 0
    for p in tree():
        try:
            for t in os.listdir(f"/proc/{p}/task"):
                s = open(f"/proc/{p}/task/{t}/stat").read()
                r += s[s.rfind(")") + 2] == "R"
        except OSError:
            pass
    hist[r] = hist.get(r, 0) + 1
    time.sleep(0.02)
json.dump(hist, open(out, "w"))
"""


def _tree_cpu(root: int) -> float:
    """CPU seconds (user+system) of ``root``'s live descendants and their reaped children, and root's own."""
    kids: dict[int, list[int]] = {}
    times: dict[int, tuple[int, int]] = {}
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            f = open(f"/proc/{p}/stat").read()
        except OSError:
            continue
        rest = f[f.rfind(")") + 2 :].split()
        kids.setdefault(int(rest[1]), []).append(int(p))
        times[int(p)] = (int(rest[11]) + int(rest[12]), int(rest[13]) + int(rest[14]))
    total, stack = 0, [root]
    while stack:
        q = stack.pop()
        if q in times:
            total += times[q][0] + (times[q][1] if q != root else 0)
        stack.extend(kids.get(q, []))
    return total / os.sysconf("SC_CLK_TCK")


def main() -> int:
    """Run the evaluation with its arguments (``sys.argv[1:]``), then print the timeline's figures."""
    from effbench import engine
    from effbench.sandboxes import protocol

    t0 = time.monotonic()
    spans: list[tuple[str, str, float, float, dict]] = []
    lock = threading.Lock()

    def timed(kind: str, cls: type, name: str, extra) -> None:  # noqa: ANN001 - a function of the call
        orig = getattr(cls, name)

        def wrapper(self, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202 - as the original
            start = time.monotonic() - t0
            result = orig(self, *args, **kwargs)
            with lock:
                spans.append((kind, threading.current_thread().name, start, time.monotonic() - t0, extra(args, result)))
            return result

        setattr(cls, name, wrapper)

    timed("test", protocol.RunnerPool, "run", lambda a, r: {"counts": (r.phases or {}).get("counts", 0.0)})
    timed("profile", engine.Evaluator, "_load_or_measure", lambda a, r: {"problem": a[0].id})
    timed("sample", engine.Evaluator, "evaluate", lambda a, r: {"problem": a[0].id})
    cpu = [0.0]
    stop = threading.Event()

    def poll_cpu() -> None:
        while not stop.wait(0.5):
            cpu[0] = max(cpu[0], _tree_cpu(os.getpid()))

    threading.Thread(target=poll_cpu, daemon=True).start()
    out = tempfile.mktemp(suffix=".json")
    sampler = subprocess.Popen([sys.executable, "-c", _SAMPLER, str(os.getpid()), out])
    from effbench.cli import main as effbench_main

    status = 0
    sys.argv = ["effbench", "evaluate", *sys.argv[1:]]
    try:
        effbench_main()
    except SystemExit as exc:
        status = exc.code if isinstance(exc.code, int) else 1
    stop.set()
    wall = time.monotonic() - t0
    own = resource.getrusage(resource.RUSAGE_SELF)
    load = os.getloadavg()
    sampler.terminate()
    sampler.wait()
    _report(spans, wall, cpu[0], own.ru_utime + own.ru_stime, load)
    try:
        with open(out) as f:
            hist = {int(k): v for k, v in json.load(f).items()}
        os.unlink(out)
    except (OSError, ValueError):
        hist = {}
    if hist:
        n = sum(hist.values())
        low = {k: hist.get(k, 0) / n for k in (0, 1)}
        print(f"runnable tasks of the run: 0 {low[0]:.1%}, 1 {low[1]:.1%}, 2+ {1 - low[0] - low[1]:.1%} ({n} samples)")
    return status


def _report(spans: list, wall: float, tree_cpu: float, host_cpu: float, load: tuple) -> None:
    """Print the figures of one traced run (see the module's docstring)."""
    print(f"\nwall {wall:.1f} s, load average at the end {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")
    share = tree_cpu / (2 * wall)
    print(f"CPU: the process tree {tree_cpu:.1f} s ({share:.0%} of 2 cores' wall), the host {host_cpu:.1f} s")
    tests = [s for s in spans if s[0] == "test"]
    if not tests:
        return
    events = sorted([(s[2], 1) for s in tests] + [(s[3], -1) for s in tests])
    in_flight: dict[int, float] = defaultdict(float)
    level, prev = 0, 0.0
    for t, delta in events:
        in_flight[min(level, 2)] += t - prev
        level, prev = level + delta, t
    in_flight[0] += wall - prev
    print("seconds with tests in flight: " + ", ".join(f"{k}: {in_flight[k]:.1f}" for k in (0, 1, 2)))
    print(
        f"{len(tests)} tests; waiting for valgrind totals after the reply: {sum(s[4]['counts'] for s in tests):.1f} s"
    )
    for kind in ("profile", "sample"):
        of = sorted((s for s in spans if s[0] == kind), key=lambda s: s[3])
        if of:
            print(f"{kind}s: {len(of)}, from {min(s[2] for s in of):.1f} to {of[-1][3]:.1f} s")
    profiles = [s for s in spans if s[0] == "profile"]
    samples = sorted((s for s in spans if s[0] == "sample"), key=lambda s: s[3])
    if profiles and samples:
        last, first = max(s[3] for s in profiles), min(s[2] for s in samples)
        print(f"last profile ends {last:.1f} s, first sample starts {first:.1f} s")
    if len(samples) > 1:
        tail = samples[-1][3] - samples[-2][3]
        print(f"one-runner tail: the last sample ({samples[-1][4]['problem']}) ends {tail:.1f} s after the one before")


if __name__ == "__main__":
    from script_exit import run_main

    run_main(main, "job_timeline")
