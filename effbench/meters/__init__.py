"""Meters count what a run costs. ``choose_meter("auto")`` picks perf > valgrind > time."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass

from effbench.errors import SandboxUnavailable
from effbench.meters.base import Cost, Meter

METERS = ("auto", "perf", "valgrind", "time")

__all__ = ["METERS", "Cost", "Meter", "MeterChoice", "choose_meter", "perf_selftest"]


@dataclass(frozen=True)
class MeterChoice:
    """The meter ``choose_meter`` picked, and why (said to the user)."""

    meter: Meter
    reason: str


def sandbox_python() -> str:
    """The real interpreter binary (not a venv link or a pyenv shim): valgrind must see it."""
    return os.path.realpath(sys.executable)


def perf_selftest(event: str = "instructions") -> dict:
    """Ask the in-sandbox runner whether it can count ``event`` (runs in a fresh interpreter)."""
    from effbench import paths

    cmd = [sandbox_python(), "-I", "-S", str(paths.runner_path()), "--selftest", "--perf-event", event]
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=True)
        return json.loads(out.stdout)["perf"]
    except (OSError, subprocess.SubprocessError, ValueError, KeyError) as exc:
        return {"ok": False, "reason": f"self-test failed: {exc}"}


def get_meter(name: str, **options: object) -> Meter:
    """The meter called ``name`` (not ``auto``: see :func:`choose_meter`).

    Args:
        name: ``valgrind``, ``perf`` or ``time``.
        options: ``perf_event`` (perf, default ``instructions``); ``repeats`` (time: runs of each
            test input, default 1; more is forgeable by hostile code, for trusted code only).

    Raises:
        SandboxUnavailable: an unknown name, or a meter that cannot count here.
        ValueError: a ``repeats`` that is not a positive int.
    """
    if name == "valgrind":
        from effbench.meters.valgrind import ValgrindMeter, valgrind_version

        if valgrind_version() is None:
            raise SandboxUnavailable("meter valgrind: valgrind is not installed (apt-get install valgrind)")
        return ValgrindMeter()
    if name == "perf":
        from effbench.meters.perf import PerfMeter

        event = str(options.get("perf_event", "instructions"))
        probe = perf_selftest(event)
        if not probe.get("ok"):
            raise SandboxUnavailable(f"meter perf: cannot count {event} here: {probe.get('reason')}")
        return PerfMeter(event)
    if name == "time":
        from effbench.meters.timing import TimeMeter

        # one run per test input: repeats of one input can pass work between them (TimeMeter)
        return TimeMeter(options.get("repeats", 1))  # type: ignore[arg-type]
    raise SandboxUnavailable(f"unknown meter {name!r}; choose one of {', '.join(METERS)}")


def choose_meter(name: str = "auto", **options: object) -> MeterChoice:
    """The meter to use and why. ``auto`` prefers perf, then valgrind, then time.

    The reason is printed after the meter's description (``meter: valgrind (instructions) - auto:
    perf unavailable (...), so valgrind``): for ``auto`` it says why perf was not taken and ends
    with the meter chosen.
    """
    if name != "auto":
        return MeterChoice(get_meter(name, **options), f"requested --meter {name}")
    probe = perf_selftest("instructions")
    if probe.get("ok"):
        return MeterChoice(get_meter("perf"), "auto: the hardware instruction counter passed its self-test, so perf")
    why_not_perf = f"perf unavailable ({probe.get('reason')})"
    from effbench.meters.valgrind import valgrind_version

    if valgrind_version():
        return MeterChoice(get_meter("valgrind"), f"auto: {why_not_perf}, so valgrind")
    return MeterChoice(get_meter("time", **options), f"auto: {why_not_perf} and valgrind not installed, so time")
