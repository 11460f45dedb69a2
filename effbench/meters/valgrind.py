"""valgrind meter: cachegrind's instruction count (``I refs``), deterministic to the instruction.

The runner lives under one valgrind for its whole life (startup paid once per worker). Valgrind
writes every process's total to its log descriptor when the process exits, so a child's count is
the runner's pre-fork count plus the child's own; the cost of a test is
``count(test child) - count(baseline child)``, the baseline being the same child routine with a
null candidate, forked just before.
"""

from __future__ import annotations

import functools
import re
import shutil
import subprocess

from effbench.meters.base import CountLookup, Meter

IREFS = re.compile(rb"^==(\d+)== I\s+refs:\s+([\d,]+)")


@functools.lru_cache(maxsize=1)
def valgrind_version() -> str | None:
    """``valgrind --version``'s answer (e.g. ``valgrind-3.19.0``), or None if it is not installed."""
    exe = shutil.which("valgrind")
    if not exe:
        return None
    try:
        out = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=30, check=True)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def parse_log_line(line: bytes) -> tuple[int, int] | None:
    """(pid, instruction count) from one line of valgrind's log, if it is a total."""
    m = IREFS.match(line)
    if not m:
        return None
    return int(m.group(1)), int(m.group(2).replace(b",", b""))


#: how valgrind's report begins when it stops a process itself (a panic: e.g. past --max-threads)
ABORT_START = b"valgrind: the 'impossible' happened:"
#: the report's line naming the process's first thread: ``Thread 1: status = ... (lwpid PID)``
ABORT_THREAD_ONE = re.compile(rb"^Thread 1: status = .*\(lwpid (\d+)\)")


def parse_abort_line(line: bytes, pending: str | None) -> tuple[str | None, tuple[int, str] | None]:
    """Follow valgrind's report of a process it stopped itself, one log line at a time.

    ``pending``: what the previous lines left (None outside a report, "" after its first line,
    then its reason). Returns (the new ``pending``, ``(pid, reason)`` once the report names its
    process, else None). The report's lines carry no ``==PID==`` prefix; its process is the one
    whose first thread's id is that pid (the runner forks every child from its first thread).
    """
    if line.startswith(ABORT_START):
        return "", None
    if pending is None:
        return None, None
    if pending == "":
        reason = line.strip().decode("utf-8", "replace")
        return (reason[:200] or ""), None
    m = ABORT_THREAD_ONE.match(line)
    if m:
        return None, (int(m.group(1)), pending)
    return pending, None


#: the most threads a process under the valgrind meter may run at once (valgrind's
#: ``--max-threads``, default 500; slot 0 is unused, so 63 threads, its main thread included).
#: The runner refuses to start a thread past it (sandbox/runner.py MAX_CHILD_THREADS); a child
#: that goes past it anyway is stopped by valgrind with no count, which the host reads in
#: valgrind's log (parse_abort_line) and reports at once, naming the limit
MAX_THREADS = 64

#: cachegrind's last-level cache, ``size,associativity,line size`` in bytes: 256 KB, 8-way, 64-byte
#: lines (4,096 tags, 32 KB), whatever the host's. Only its memory matters (see command_prefix)
LL_CACHE = "262144,8,64"


class ValgrindMeter(Meter):
    """cachegrind's ``I refs``: the instructions a child executed, exact and deterministic.

    The runner lives under one valgrind; each child's total arrives on valgrind's log, by pid,
    once (see effbench/sandboxes/protocol.py).
    """

    name = "valgrind"
    unit = "instructions"
    uses_log = True
    exact = True

    def command_prefix(self, log_fd: int | None) -> list[str]:
        """The valgrind command line (cachegrind, no cache simulation, its log on ``log_fd``)."""
        exe = shutil.which("valgrind") or "valgrind"
        return [
            exe,
            "--tool=cachegrind",
            "--cache-sim=no",
            # the simulated caches' geometry: without it cachegrind sizes its last-level cache
            # after the host's (here a 320 MB L3, simulated as 256 MB) and allocates and zeroes
            # that cache's tag array (32 MB) even with --cache-sim=no, in every process: every
            # fork copies its page tables and every exit unmaps it (measured: about 13% of a null
            # test's CPU time). Never used without --cache-sim=yes; counts do not move
            f"--LL={LL_CACHE}",
            "--vgdb=no",  # no gdbserver, and no memory page it would share between processes
            # thread slots: every fork clears all of them in the child (measured: about 5% of
            # a test's CPU time at the default 500); a child running more threads at once than
            # this gets no count (as it did past 500)
            f"--max-threads={MAX_THREADS}",
            "--cachegrind-out-file=/dev/null",
            f"--log-fd={log_fd}",
        ]

    def pair_cost(self, pair: dict, lookup: CountLookup) -> float | None:
        """``I refs(test) - I refs(baseline)`` in instructions; None when a total is missing."""
        test = lookup(pair["test"]["pid"])
        base = lookup(pair["baseline"]["pid"])
        if test is None or base is None:
            return None
        return float(test - base)

    def fingerprint(self) -> dict:
        """The base fingerprint and valgrind's version."""
        return {**super().fingerprint(), "valgrind": valgrind_version()}
