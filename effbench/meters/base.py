"""What a meter is: how the runner is started, and how a test's cost is read from its records."""

from __future__ import annotations

import platform
import statistics
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Cost:
    """The cost of one test: the median over repeats, with its relative spread (max-min)/median."""

    value: float
    spread: float = 0.0
    repeats: int = 1


CountLookup = Callable[[int], "int | None"]


class Meter(ABC):
    """A way of counting what a candidate's run costs. Owned by the trusted side."""

    name: str
    unit: str
    #: runs per test; counters that are deterministic need one
    repeats: int = 1
    #: does the runner need valgrind's log descriptor (counts arrive there, by pid)?
    uses_log: bool = False
    #: deterministic to the unit: a negative cost (test below its baseline) cannot be noise
    exact: bool = False
    #: one baseline child per request, shared by its repeats, instead of one per repeat: for a
    #: meter whose cost does not depend on the runner's state to the unit (the time meter). An
    #: exact meter needs each test child forked back to back with its own baseline
    #: (sandbox/runner.py ``Runner.run_pair``).
    shares_baseline: bool = False
    #: at one run per test, no baseline child: the cost subtracts a null cost calibrated once per
    #: runner start instead (effbench/sandboxes/protocol.py ``RunnerClient.calibrate_null``). For
    #: the time meter only: an exact meter's baseline is a child forked back to back with the test's
    calibrated_null: bool = False

    def command_prefix(self, log_fd: int | None) -> list[str]:
        """Program and options that wrap the sandbox interpreter (e.g. valgrind)."""
        return []

    def runner_options(self) -> list[str]:
        """The runner's command-line options for this meter (``--meter NAME`` and its own)."""
        return ["--meter", self.name]

    @abstractmethod
    def pair_cost(self, pair: dict, lookup: CountLookup) -> float | None:
        """Cost of one (baseline, test) pair of child records, or None when unknown."""

    def cost(self, pairs: list[dict], lookup: CountLookup) -> Cost | None:
        """The test's cost from its repeats: the median of the pairs' costs, in :attr:`unit`.

        Args:
            pairs: the runner's (baseline, test) child records, one per repeat.
            lookup: pid -> count from the meter's own channel (valgrind's log), or None.

        Returns:
            The :class:`Cost`, or None when a pair's cost is unknown.
        """
        values = [self.pair_cost(p, lookup) for p in pairs]
        if not values or any(v is None for v in values):
            return None
        med = statistics.median(values)
        spread = (max(values) - min(values)) / med if med > 0 and len(values) > 1 else 0.0
        return Cost(float(med), spread, len(values))

    def instruction_limit(self, budget: float, pairs_hint: float = 0.0) -> float | None:
        """A limit the runner can enforce by polling the counter itself (perf only)."""
        return None

    def fingerprint(self) -> dict:
        """What the meter's figures depend on (part of the profile cache key, DESIGN.md)."""
        return {"meter": self.name, "unit": self.unit, "machine": platform.machine()}

    def describe(self) -> str:
        """One line for the user: the meter's name and unit."""
        return f"{self.name} ({self.unit})"
