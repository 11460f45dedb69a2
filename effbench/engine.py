"""The evaluation engine: profile the expert, run candidates level by level, judge on the host.

Verdicts per test: ``ok``, ``wrong``, ``error`` (with the exception type), ``censored_budget``,
``censored_memory``, ``killed`` (by a signal it brought on itself) and ``infra`` (the harness
failed; never counted as slow or wrong code). A sample stops at its first failing test: a wrong
answer or error fails it, censoring at level ``l`` zeroes levels ``>= l``.
"""

from __future__ import annotations

import hashlib
import json
import signal
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from effbench import checkers, codec
from effbench.errors import CheckerError, EffbenchError
from effbench.meters.base import Meter
from effbench.problems import Problem, TestCase
from effbench.reference_cache import ReferenceCache
from effbench.sandboxes.base import Limits, Sandbox, TestRequest, TestRun

OK, WRONG, ERROR = "ok", "wrong", "error"
CENSORED_BUDGET, CENSORED_MEMORY, KILLED, INFRA = "censored_budget", "censored_memory", "killed", "infra"
CENSORED = (CENSORED_BUDGET, CENSORED_MEMORY)
#: ``expected`` for classify(): judge the answer against itself (the expert on a generated test)
SELF = object()


@dataclass(frozen=True)
class EngineSettings:
    alpha: float = 2.0
    memory_bytes: int = 1 << 30
    #: CPU-time limit = cpu_slack * alpha * (expert's largest CPU time) + cpu_floor seconds
    cpu_slack: float = 4.0
    cpu_floor: float = 1.0
    reference_cpu_seconds: float = 300.0


@dataclass
class TestOutcome:
    __test__ = False  # not a pytest class

    test_id: str
    level: int
    verdict: str
    cost: float | None = None
    spread: float = 0.0
    wall_seconds: float = 0.0
    cpu_seconds: float = 0.0
    peak_memory_kb: int = 0
    error_type: str | None = None
    detail: str = ""


@dataclass
class ReferenceProfile:
    """The expert's measured costs and answers for one problem, under one meter."""

    problem_id: str
    problem_version: str
    meter: str
    unit: str
    level_costs: list[float]
    level_cpu_seconds: list[float]
    test_costs: dict[str, float]
    expected: dict[str, Any] = field(repr=False)

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> ReferenceProfile:
        return cls(**data)


@dataclass
class SampleRecord:
    """Everything measured about one sample; enough for ``effbench score`` to re-score it."""

    model: str
    problem_id: str
    sample_index: int
    code_sha256: str
    verdict: str
    failed: bool
    censored_level: int | None
    level_costs: list[float | None]
    reference_level_costs: list[float]
    weights: list[float]
    efficiency: float
    passed: bool
    speedup: float | None
    peak_memory_kb: int
    wall_seconds: float
    cpu_seconds: float
    tests: list[TestOutcome]
    failed_test: str | None = None
    error_type: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> SampleRecord:
        data = dict(data)
        data["tests"] = [TestOutcome(**t) for t in data["tests"]]
        return cls(**data)


def code_hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def classify(
    run: TestRun, test: TestCase, expected: Any, problem: Problem, limits: Limits
) -> tuple[str, Any, str | None, str]:
    """(verdict, decoded answer, error type, detail) of one run, before the budget check."""
    if run.infra_error:
        return INFRA, None, "InfrastructureError", run.infra_error[:500]
    if run.killed_for in ("wall", "instructions"):
        return CENSORED_BUDGET, None, None, f"stopped at the {run.killed_for} limit"
    if run.killed_for == "memory":
        return CENSORED_MEMORY, None, None, f"stopped at the memory limit ({limits.memory_bytes >> 20} MiB)"
    if run.killed_for == "output" or run.result_too_large:
        return ERROR, None, "OutputTooLarge", "the result exceeded the size limit"
    if run.signal is not None:
        if run.signal == signal.SIGXCPU or (
            run.signal == signal.SIGKILL and run.cpu_seconds >= limits.cpu_seconds - 0.05
        ):
            return CENSORED_BUDGET, None, None, "stopped at the CPU-time limit"
        name = signal.Signals(run.signal).name if run.signal in signal.Signals._value2member_map_ else str(run.signal)
        kind = "OutputLimit" if run.signal == signal.SIGXFSZ else name
        return KILLED, None, kind, f"killed by {name}; {run.stderr_tail[-300:]}"
    if not run.result:
        return ERROR, None, "NoResult", f"exited with code {run.exit_code} before returning; {run.stderr_tail[-300:]}"
    try:
        payload = json.loads(run.result)
        ok = payload["ok"]
    except (ValueError, KeyError, TypeError):
        return ERROR, None, "BadResult", "the child's result is not valid JSON"
    if not ok:
        etype = str(payload.get("error_type", "Exception"))
        if etype == "NotPlainData":  # e.g. an object whose __eq__ always says yes: not an answer
            return WRONG, None, etype, str(payload.get("message", ""))[:500]
        if "[Errno 27]" in str(payload.get("message", "")):  # EFBIG: the file-size limit
            return ERROR, None, "OutputLimit", "wrote more than the output limit"
        if etype == "MemoryError":
            return CENSORED_MEMORY, None, etype, "MemoryError at the address-space limit"
        return ERROR, None, etype, str(payload.get("message", ""))[:500]
    answer = payload.get("value")
    try:
        accepted = checkers.check(
            problem.checker,
            answer if expected is SELF else expected,
            answer,
            problem.tolerance,
            test.args,
            problem.custom_check,
        )
    except CheckerError as exc:  # the problem's fault, never the candidate's
        return INFRA, answer, "CheckerError", str(exc)[:500]
    if not accepted:
        return WRONG, answer, None, f"answer differs from the expected one ({_preview(answer)})"
    return OK, answer, None, ""


def _preview(value: Any) -> str:
    text = json.dumps(value)
    return text if len(text) <= 80 else text[:77] + "..."


class Evaluator:
    """Runs candidates for problems in one sandbox with one meter. Thread-safe."""

    def __init__(
        self,
        sandbox: Sandbox,
        meter: Meter,
        settings: EngineSettings | None = None,
        cache: ReferenceCache | None = None,
        fingerprint: dict | None = None,
    ) -> None:
        self.sandbox = sandbox
        self.meter = meter
        self.settings = settings or EngineSettings()
        self.cache = cache
        self.fingerprint = fingerprint or meter.fingerprint()
        self._profiles: dict[str, ReferenceProfile] = {}
        self._tests: dict[str, list[list[TestCase]]] = {}
        self._args: dict[tuple[str, str], Any] = {}

    # -- tests and their encoded arguments -----------------------------------------------------
    def tests_of(self, problem: Problem) -> list[list[TestCase]]:
        if problem.id not in self._tests:
            levels = [problem.level_tests(lvl) for lvl in range(len(problem.levels))]
            for tests in levels:
                for t in tests:
                    self._args[(problem.id, t.test_id)] = codec.encode(t.args)
            self._tests[problem.id] = levels
        return self._tests[problem.id]

    def _request(self, problem: Problem, code: str, test: TestCase, limits: Limits) -> TestRequest:
        return TestRequest(
            code, problem.entry_point, self._args[(problem.id, test.test_id)], limits, self.meter.repeats
        )

    # -- the expert ------------------------------------------------------------------------------
    def profile(self, problem: Problem) -> ReferenceProfile:
        """The expert's costs and answers: from the cache, or measured now in this sandbox."""
        if problem.id in self._profiles:
            return self._profiles[problem.id]
        key_data = {"problem": problem.id, "version": problem.version, "env": self.fingerprint}
        cached = self.cache.get(key_data) if self.cache else None
        if cached is not None:
            prof = ReferenceProfile.from_json(cached)
            self._profiles[problem.id] = prof
            self.tests_of(problem)
            return prof
        limits = Limits(
            wall_seconds=4 * self.settings.reference_cpu_seconds,
            cpu_seconds=self.settings.reference_cpu_seconds,
            memory_bytes=self.settings.memory_bytes,
        )
        level_costs, level_cpu, test_costs, expected = [], [], {}, {}
        for tests in self.tests_of(problem):
            worst, worst_cpu = 0.0, 0.0
            for test in tests:
                run = self.sandbox.run(self._request(problem, problem.expert_code, test, limits))
                exp = test.expected if test.has_expected else SELF
                verdict, answer, etype, detail = classify(run, test, exp, problem, limits)
                if etype == "CheckerError" or (verdict == WRONG and problem.checker == "custom" and exp is SELF):
                    raise CheckerError(
                        f"problem {problem.id}: skipped: at test {test.test_id} on the expert's answer, "
                        + (detail if etype == "CheckerError" else "the checker rejects the expert's own answer")
                    )
                if not test.has_expected and verdict == WRONG:
                    verdict = OK  # generated tests: the expert defines the answer
                if verdict != OK or run.cost is None:
                    raise EffbenchError(
                        f"problem {problem.id}: the expert reference fails test {test.test_id}: "
                        f"{verdict} {etype or ''} {detail}".strip()
                    )
                expected[test.test_id] = test.expected if test.has_expected else answer
                test_costs[test.test_id] = run.cost.value
                worst = max(worst, run.cost.value)
                worst_cpu = max(worst_cpu, run.cpu_seconds)
            level_costs.append(max(worst, 1.0))
            level_cpu.append(worst_cpu)
        prof = ReferenceProfile(
            problem.id, problem.version, self.meter.name, self.meter.unit, level_costs, level_cpu, test_costs, expected
        )
        if self.cache:
            self.cache.put(key_data, prof.to_json())
        self._profiles[problem.id] = prof
        return prof

    # -- candidates ------------------------------------------------------------------------------
    def candidate_limits(self, profile: ReferenceProfile) -> Limits:
        s = self.settings
        T = s.alpha * max(profile.level_costs)
        cpu = s.cpu_slack * s.alpha * max(profile.level_cpu_seconds) + s.cpu_floor
        return Limits(
            wall_seconds=2 * cpu + 5.0,
            cpu_seconds=cpu,
            memory_bytes=s.memory_bytes,
            instructions=self.meter.instruction_limit(T, pairs_hint=max(1e7, 0.05 * T)),
        )

    def unrunnable(
        self, problem: Problem, model: str, sample_index: int, reason: str, meta: dict | None = None
    ) -> SampleRecord:
        """The record of a sample with no code to run (e.g. nothing could be extracted from the
        model's answer): a failure with that reason, never sent to the sandbox."""
        prof = self.profile(problem)
        return SampleRecord(
            model=model,
            problem_id=problem.id,
            sample_index=sample_index,
            code_sha256="",
            verdict=ERROR,
            failed=True,
            censored_level=None,
            level_costs=[None] * len(problem.levels),
            reference_level_costs=prof.level_costs,
            weights=[lv.weight for lv in problem.levels],
            efficiency=0.0,
            passed=False,
            speedup=None,
            peak_memory_kb=0,
            wall_seconds=0.0,
            cpu_seconds=0.0,
            tests=[],
            failed_test=None,
            error_type="NoCode",
            meta={**(meta or {}), "reason": reason},
        )

    def evaluate(
        self,
        problem: Problem,
        code: str,
        model: str = "",
        sample_index: int = 0,
        meta: dict | None = None,
        on_test: Callable[[TestOutcome], None] | None = None,
    ) -> SampleRecord:
        """Run one candidate on every level (stopping at its first failure) and score it."""
        from effbench.scoring import geometric_mean, sample_efficiency

        prof = self.profile(problem)
        limits = self.candidate_limits(prof)
        T = self.settings.alpha * max(prof.level_costs)
        outcomes: list[TestOutcome] = []
        level_costs: list[float | None] = [None] * len(problem.levels)
        failed, censored, stop_verdict, failed_test, error_type = False, None, OK, None, None
        infra = False
        for lvl, tests in enumerate(self.tests_of(problem)):
            worst = 0.0
            for test in tests:
                run = self.sandbox.run(self._request(problem, code, test, limits))
                verdict, _answer, etype, detail = classify(run, test, prof.expected[test.test_id], problem, limits)
                cost = run.cost.value if run.cost else None
                if verdict == OK and cost is not None and cost > T:
                    verdict, detail = CENSORED_BUDGET, f"cost {cost:.4g} exceeds the budget {T:.4g}"
                if verdict == OK and cost is None:
                    verdict, etype, detail = INFRA, "InfrastructureError", "no cost measured"
                outcome = TestOutcome(
                    test.test_id,
                    lvl,
                    verdict,
                    cost,
                    run.cost.spread if run.cost else 0.0,
                    run.wall_seconds,
                    run.cpu_seconds,
                    run.peak_memory_kb,
                    etype,
                    detail,
                )
                outcomes.append(outcome)
                if on_test:
                    on_test(outcome)
                if verdict != OK:
                    stop_verdict, failed_test, error_type = verdict, test.test_id, etype
                    if verdict in CENSORED:
                        censored = lvl
                    elif verdict == INFRA:
                        infra = True
                    else:
                        failed = True
                    break
                worst = max(worst, cost or 0.0)
            if stop_verdict != OK:
                break
            level_costs[lvl] = worst
        weights = [lv.weight for lv in problem.levels]
        score = sample_efficiency(
            level_costs, prof.level_costs, weights, self.settings.alpha, failed or infra, censored
        )
        speedups = [
            prof.level_costs[i] / c
            for i, c in enumerate(level_costs)
            if c is not None and c > 0 and weights[i] > 0 and (censored is None or i < censored)
        ]
        return SampleRecord(
            model=model,
            problem_id=problem.id,
            sample_index=sample_index,
            code_sha256=code_hash(code),
            verdict=stop_verdict,
            failed=failed or infra,
            censored_level=censored,
            level_costs=level_costs,
            reference_level_costs=prof.level_costs,
            weights=weights,
            efficiency=score.efficiency,
            passed=score.passed,
            speedup=geometric_mean(speedups) if score.passed and censored is None else None,
            peak_memory_kb=max((o.peak_memory_kb for o in outcomes), default=0),
            wall_seconds=sum(o.wall_seconds for o in outcomes),
            cpu_seconds=sum(o.cpu_seconds for o in outcomes),
            tests=outcomes,
            failed_test=failed_test,
            error_type=error_type,
            meta=dict(meta or {}),
        )
