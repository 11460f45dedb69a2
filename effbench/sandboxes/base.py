"""The sandbox interface: run one test of one candidate and report what happened.

A backend runs the in-sandbox runner (``sandbox/runner.py``) somewhere (a local process, a
container) and returns a :class:`TestRun`. It never judges answers: the engine does, on the host.
Backends are thread-safe; ``run`` blocks until a worker is free.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from effbench.meters.base import Cost


@dataclass(frozen=True)
class Limits:
    """Limits enforced from outside the candidate's process."""

    wall_seconds: float = 60.0
    cpu_seconds: float = 30.0
    memory_bytes: int = 1 << 30
    file_bytes: int = 16 << 20
    instructions: float | None = None

    def for_runner(self) -> dict[str, str]:
        """The limits as the runner reads them: whole numbers as 20-digit strings.

        Every key present; microseconds, bytes and instructions.

        The runner's state when it forks a test's children must not depend on the limit values,
        since every child starts from that state. Two things in CPython would carry them: the
        allocator (the JSON parser makes a temporary string of each number's text, whose size
        class follows its length) and the float parser's own pool of big numbers (``dtoa.c``'s
        Bigint free lists: parsing "6.266136" leaves them otherwise than "1200.0", and a
        candidate that formats a float, as every float result is, then costs more or fewer
        instructions). Fixed-width decimal integers are read with neither (``int``, then
        ``float(int)``). Measured: a float-returning expert's count moved by 216 instructions
        with the wall-time limit's text alone (tests/test_count_determinism.py).
        """
        values = {
            "wall_us": round(self.wall_seconds * 1e6),
            "cpu_us": round(self.cpu_seconds * 1e6),
            "memory_bytes": int(self.memory_bytes),
            "address_space_bytes": 2 * int(self.memory_bytes) + (512 << 20),
            "file_bytes": int(self.file_bytes),
            "instructions": int(self.instructions or 0),  # 0: no counter limit
        }
        return {key: f"{max(0, value):020d}" for key, value in values.items()}


@dataclass(frozen=True)
class TestRequest:
    """One test to run: the candidate's source, its entry point, encoded arguments and limits."""

    __test__ = False  # not a pytest class

    code: str
    entry_point: str
    args_json: Any  # plain data, already encoded (see sandbox/runner.py encode)
    limits: Limits = field(default_factory=Limits)
    repeats: int = 1


@dataclass
class TestRun:
    """What the sandbox saw. ``result`` is the child's raw JSON text, still to be decoded."""

    __test__ = False  # not a pytest class

    cost: Cost | None = None
    result: str | None = None
    exit_code: int | None = None
    signal: int | None = None
    killed_for: str | None = None
    wall_seconds: float = 0.0
    cpu_seconds: float = 0.0
    #: the user-space part of ``cpu_seconds``: what the runner's CPU-time stop watches
    user_cpu_seconds: float = 0.0
    #: the baseline child's CPU seconds (the child's own start and exit; the runner adds it to
    #: the test child's CPU-time limit, see sandbox/runner.py _with_start_up)
    baseline_cpu_seconds: float = 0.0
    peak_memory_kb: int = 0
    stderr_tail: str = ""
    infra_error: str | None = None
    result_too_large: bool = False
    #: the meter's count could not be trusted for this test (see protocol.to_test_run)
    meter_anomaly: str | None = None
    #: the test left files its scratch folder could not be emptied of (its runner was replaced)
    scratch_left: str | None = None
    #: the results of the other repeats where they differ from ``result`` (the raw JSON texts,
    #: None for a repeat that wrote none), in repeat order: each is judged too
    #: (engine.classify), so that a candidate cannot answer in one repeat and skip the work in
    #: the others
    other_results: list[str | None] = field(default_factory=list)
    #: where this test's wall time went, in seconds per phase (harness profiling; see
    #: protocol.harness_phases): never part of a cost
    phases: dict[str, float] = field(default_factory=dict)


class Sandbox(Protocol):
    """A place where candidates run. Implementations: ``local`` (and test doubles)."""

    name: str
    facts: dict[str, Any]

    def run(self, request: TestRequest) -> TestRun:
        """Run one test (with its baseline) and return the raw observations and cost."""
        ...

    def close(self) -> None:
        """Stop every worker. Idempotent."""
        ...
