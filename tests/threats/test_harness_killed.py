"""A harness killed with SIGKILL (no clean-up of its own) leaves no sandbox process behind.

Invariant: every process a local sandbox started (``unshare``, the set-up step that relays the
runner's streams, the runner under valgrind, its worker and a test child in the middle of a run)
is gone within seconds of the harness's death (milliseconds on an idle machine). The relay sees
its stdin close and kills the runner; workers and children follow through their parent-death
signals.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

HARNESS = textwrap.dedent("""
    import sys, threading
    from effbench.meters.valgrind import ValgrindMeter
    from effbench.sandboxes.base import Limits, TestRequest
    from effbench.sandboxes.local import LocalSandbox
    box = LocalSandbox(ValgrindMeter(), workers=1)
    code = "def f(n):\\n    while True:\\n        pass\\n"
    limits = Limits(wall_seconds=300, cpu_seconds=300)
    threading.Thread(target=lambda: box.run(TestRequest(code, "f", [1], limits))).start()
    print("ready", flush=True)
    threading.Event().wait()
""")


def _children() -> dict[int, int]:
    """{pid: parent pid} of every process on this machine."""
    out = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", "rb") as f:
                    stat = f.read()
                out[int(entry)] = int(stat[stat.rindex(b")") + 2 :].split()[1])
            except (OSError, ValueError, IndexError):
                pass
    return out


def _descendants(root: int) -> set[int]:
    parents = _children()
    found, frontier = set(), {root}
    while frontier:
        frontier = {pid for pid, ppid in parents.items() if ppid in frontier} - found
        found |= frontier
    return found


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
    except OSError:
        return False
    return stat[stat.rindex(b")") + 2 :].split()[0] != b"Z"


def test_sandbox_processes_die_with_a_killed_harness():
    harness = subprocess.Popen([sys.executable, "-c", HARNESS], stdout=subprocess.PIPE, text=True)
    try:
        assert harness.stdout.readline().strip() == "ready"
        deadline = time.monotonic() + 60
        sandbox = set()
        while time.monotonic() < deadline and len(sandbox) < 5:  # unshare, relay, runner, worker, child
            time.sleep(0.2)
            sandbox = _descendants(harness.pid)
        assert len(sandbox) >= 5, f"the test child never started: {sandbox}"
        os.kill(harness.pid, signal.SIGKILL)
        killed_at = time.monotonic()
        harness.wait()
        while time.monotonic() - killed_at < 10 and any(_alive(p) for p in sandbox):
            time.sleep(0.05)
        lingering = [p for p in sandbox if _alive(p)]
        elapsed = time.monotonic() - killed_at
        assert not lingering, f"still alive after {elapsed:.1f} s: {lingering}"
        # event-driven (the relay's stdin closes), so milliseconds; the bound is generous for a
        # loaded machine, and far below the ~30 s a runner used to linger
        assert elapsed < 5.0, f"sandbox processes took {elapsed:.1f} s to die"
    finally:
        if harness.poll() is None:
            harness.kill()
