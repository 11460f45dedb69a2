"""Problem code that runs in effbench's own process, bounded in time.

A custom checker (a problem folder's ``checker.py``, an ENAMEL row's ``__check``) runs on the host
on real Python values, never in the candidate's sandbox, and a problem folder's ``generator.py``
is loaded on the host for its ``check_input``. Such code comes with the problem set, which a user
may have written carelessly: a loop that never ends must not hang a run. :func:`call_bounded`
stops it after :data:`HOST_CODE_SECONDS` by raising an exception in the thread running it (any
thread: ``--workers`` checks answers in a pool), at its next Python instruction. The limit is
on that thread's CPU time (a busy machine must not stop code within it), with a wall-time backstop
of :data:`BLOCKED_FACTOR` times it for code that blocks.
"""

from __future__ import annotations

import ctypes
import threading
import time
from collections.abc import Callable
from typing import TypeVar

#: The longest a problem's host-side code may run for one call (loading a checker, checking one
#: answer), in seconds: far above what a checker needs (microseconds to milliseconds).
HOST_CODE_SECONDS = 20.0
#: How often the stop is raised again while the code still runs (it may catch it), in seconds.
_AGAIN_SECONDS = 0.5
#: The limit is on the CPU time of the thread running the code, so that a busy machine (which
#: makes it wait for a CPU) or the host's other threads (the GIL) do not stop code within it; code
#: that blocks instead (a sleep, a read) is stopped at this many times the limit in wall time.
BLOCKED_FACTOR = 16

T = TypeVar("T")


class HostCodeTimeout(Exception):  # noqa: N818 - reads as what happened
    """A problem's host-side code ran past its time limit; the message says how long."""


class _Stop(BaseException):
    """Raised inside the code that runs too long (a BaseException: `except Exception` keeps it out)."""


def _raise_in(thread_id: int, exc: type[BaseException] | None) -> None:
    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread_id), ctypes.py_object(exc) if exc else None)


def _deliver_stray_stop() -> None:
    """Let a stop raised but not yet delivered arrive here, and drop it.

    It is delivered at the thread's next check of the interpreter's pending events, which a short
    loop reaches. It is never cleared with ``PyThreadState_SetAsyncExc(id, NULL)``: on CPython 3.11
    that call signals the thread's pending events and nothing unsignals them, so every later
    instruction took the slow path, and code traced with ``sys.settrace`` (a debugger, coverage, a
    test counting lines) looped forever at its next line (measured: a traced extraction after one
    ``call_bounded(lambda: 1)`` never returned; 0.46 s before the call).
    """
    try:
        for _ in range(1000):
            pass
    except _Stop:
        pass


def _thread_clock(ident: int) -> int | None:
    """The CPU-time clock of thread ``ident`` (a ``threading.get_ident()``), or None where there is none."""
    try:
        return time.pthread_getcpuclockid(ident)
    except (AttributeError, OSError):
        return None


def _cpu(clock: int | None) -> float:
    """Seconds of CPU time on ``clock`` (0.0 without one)."""
    if clock is None:
        return 0.0
    try:
        return time.clock_gettime(clock)
    except OSError:
        return 0.0


def call_bounded(fn: Callable[[], T], seconds: float | None = None) -> T:
    """``fn()``, stopped past ``seconds`` of its thread's CPU time (default :data:`HOST_CODE_SECONDS`).

    Or past :data:`BLOCKED_FACTOR` times ``seconds`` of wall time (code that sleeps or blocks);
    where the thread's CPU clock cannot be read, past ``seconds`` of wall time, as before.

    Returns what ``fn`` returns and raises what it raises. Code stuck in one C call (a huge
    ``sum(range(...))``) is stopped only when that call returns.

    Raises:
        HostCodeTimeout: ``fn`` still ran after ``seconds``.
    """
    limit = HOST_CODE_SECONDS if seconds is None else seconds
    target = threading.get_ident()
    lock = threading.Lock()
    done = threading.Event()
    inside = [True]
    raised = [False]
    clock = _thread_clock(target)
    cpu_start, started = _cpu(clock), time.monotonic()

    def watch() -> None:
        wait = limit
        while not done.wait(wait):
            with lock:
                if not inside[0]:
                    return
                used = _cpu(clock) - cpu_start if clock is not None else limit
                if raised[0] or used >= limit or time.monotonic() - started >= BLOCKED_FACTOR * limit:
                    raised[0] = True
                    _raise_in(target, _Stop)
                    wait = _AGAIN_SECONDS
                else:
                    wait = max(0.05, min(limit - used, BLOCKED_FACTOR * limit - (time.monotonic() - started)))

    watcher = threading.Thread(target=watch, name="effbench-host-code-limit", daemon=True)
    watcher.start()
    try:
        try:
            return fn()
        finally:
            with lock:
                inside[0] = False
                stray = raised[0]
            done.set()
            if stray:
                _deliver_stray_stop()
    except _Stop:
        raise HostCodeTimeout(f"runs past {limit:g} s") from None
