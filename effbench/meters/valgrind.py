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


#: the most threads a process under the valgrind meter may run at once (valgrind's
#: ``--max-threads``, default 500); a test child that starts more has no count
MAX_THREADS = 64


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
