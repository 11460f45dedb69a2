"""The evaluation engine: profile the expert, run candidates level by level, judge on the host.

Verdicts per test: ``ok``, ``wrong``, ``error`` (with the exception type), ``censored_budget``,
``censored_memory``, ``killed`` (by a signal it brought on itself) and ``infra`` (the harness
failed; never counted as slow or wrong code). A sample stops at its first failing test: a wrong
answer or error fails it, censoring at level ``l`` zeroes levels ``>= l``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from effbench import checkers, codec
from effbench.errors import CheckerError, EffbenchError, ProblemError
from effbench.meters.base import Meter
from effbench.meters.valgrind import MAX_THREADS
from effbench.problems import Problem, TestCase, input_hash, new_input_seed
from effbench.records import ReferenceProfile, SampleRecord, TestOutcome
from effbench.reference_cache import ReferenceCache
from effbench.sandboxes.base import Limits, Sandbox, TestRequest, TestRun
from effbench.verdicts import CENSORED, ErrorKind, KillReason, Verdict

log = logging.getLogger("effbench.engine")

# The verdicts under their historical module-level names (the enum is the one definition).
OK, WRONG, ERROR = Verdict.OK, Verdict.WRONG, Verdict.ERROR
CENSORED_BUDGET, CENSORED_MEMORY = Verdict.CENSORED_BUDGET, Verdict.CENSORED_MEMORY
KILLED, INFRA = Verdict.KILLED, Verdict.INFRA
#: ``expected`` for classify(): judge the answer against itself (the expert on a generated test)
SELF = object()

__all__ = [
    "CENSORED",
    "EngineSettings",
    "EngineStats",
    "Evaluator",
    "Interrupted",
    "ReferenceProfile",
    "SampleRecord",
    "TestOutcome",
    "classify",
    "code_hash",
]


#: runs of the expert's check test before a profile measured elsewhere is called not reproduced:
#: every one must give the same count, other than the profile's (an expert whose count varies
#: from run to run is not blamed on the environment; see Evaluator.reproduces)
CHECK_RUNS = 3


def _level_cost(test_costs: list[float]) -> float:
    """A level's cost in a profile: its tests' largest, at least 1 (in the meter's unit).

    The one rule :meth:`Evaluator._measure` builds a profile with and
    :meth:`Evaluator._inconsistency` checks a profile from elsewhere against.
    """
    return max([*test_costs, 1.0])


@dataclass(frozen=True)
class EngineSettings:
    """How candidates are run and judged.

    Attributes:
        alpha: budget factor, ``T = alpha * max_l r_l`` (DESIGN.md "Metric definitions").
        memory_bytes: memory limit per test, in bytes.
        cpu_slack: CPU-time limit of a candidate's test = ``cpu_slack * alpha * (expert's largest
            test CPU time) + cpu_floor`` seconds, enforced by the runner to within a poll. Where the
            meter cannot stop a run at the budget itself (valgrind counts only at exit), this is
            what stops a slow candidate early: at ``cpu_slack`` times the time the expert's pace
            would take to spend the budget ``T``, so a candidate is stopped before its budget only
            if it executes instructions at under ``1 / cpu_slack`` of the expert's rate. The
            censored verdict the stop gives is the same the budget would (DESIGN.md: a run past
            ``T`` is censored); a censored sample costs at most about ``cpu_slack`` times the
            budget's time.
        cpu_floor: see ``cpu_slack``, in seconds: a margin for the poll and for noise. The
            child's own start and exit are added by the runner, as the CPU time the baseline child
            of the same request took (sandbox/runner.py ``_with_start_up``), or under the time
            meter at one run by the host, as its calibrated null's (protocol.py ``request``).
        max_stop_factor: how far a candidate's own slower pace may move its CPU-time stop out: at
            most this many times the stop at the expert's pace (so a pace down to ``1 /
            max_stop_factor`` of the expert's still reaches the budget; the bundled experts' own
            paces under valgrind span about 6x). It bounds what a candidate that makes itself look
            slow can hold a worker for.
        reference_cpu_seconds: CPU-time limit of the expert's own runs, in seconds.
        input_seed: the secret seed of the generated tests of levels >= 1; None: a fresh secret
            per :class:`Evaluator` (DESIGN.md: "a fresh secret per run by default").
    """

    alpha: float = 2.0
    memory_bytes: int = 1 << 30
    cpu_slack: float = 2.0
    cpu_floor: float = 0.03
    max_stop_factor: float = 16.0
    reference_cpu_seconds: float = 300.0
    input_seed: str | None = None


class Interrupted(Exception):  # noqa: N818 - a request, not an error
    """Raised inside :meth:`Evaluator.evaluate` after :meth:`Evaluator.cancel`.

    The sample is abandoned at a test boundary and must not be recorded.
    """


@dataclass
class EngineStats:
    """Counters of one evaluator (updated under its lock).

    Attributes:
        profiles_measured: expert profiles measured in the sandbox.
        profiles_cached: expert profiles read from the cache.
        samples: samples evaluated (runnable or not).
        tests: candidate tests sent to the sandbox.
        profiles_rejected: profiles measured elsewhere (read from the cache, or handed over by
            another worker) that this sandbox did not reproduce under an exact meter (see
            :meth:`Evaluator.reproduces`): not used here.
    """

    profiles_measured: int = 0
    profiles_cached: int = 0
    samples: int = 0
    tests: int = 0
    profiles_rejected: int = 0


def code_hash(code: str) -> str:
    """SHA-256 of the code's UTF-8 bytes, 64 hex digits."""
    return hashlib.sha256(code.encode()).hexdigest()


def _killed(run: TestRun, limits: Limits) -> tuple[Verdict, Any, str | None, str]:
    """The verdict of a run killed by a signal (``run.signal`` is set)."""
    sig = run.signal
    assert sig is not None
    # a CPU-time signal the runner did not report as its limit (KillReason.CPU) is one the
    # candidate sent itself: a failure, never censoring
    name = signal.Signals(sig).name if sig in signal.Signals._value2member_map_ else str(sig)
    kind = ErrorKind.OUTPUT_LIMIT.value if sig == signal.SIGXFSZ else name
    return Verdict.KILLED, None, kind, f"killed by {name}; {run.stderr_tail[-300:]}"


#: the longest exception class name kept as a candidate's error type (characters)
MAX_ERROR_TYPE_CHARS = 100


def _exception_name(value: Any) -> str:
    """A candidate's exception type name as recorded, or ``Exception``.

    The name the child reported is kept when it is an identifier of at most
    :data:`MAX_ERROR_TYPE_CHARS` characters. It is the candidate's: a class may be named with a
    newline and a table row in its name, and a result written by hand can say anything. Taken as
    it came, a newline split the CLI's table and leaderboard.md's rows, and a 300,000-character
    name made a 600 kB sample record (16 MiB fit in a result: 32 MB per failing sample, in every
    record and summary that names it).
    """
    if type(value) is str and len(value) <= MAX_ERROR_TYPE_CHARS and value.isidentifier():
        return value
    return ErrorKind.EXCEPTION.value


def _failed_call(payload: dict) -> tuple[Verdict, Any, str | None, str]:
    """The verdict of a call that raised in the child (``payload["ok"]`` is false)."""
    etype = _exception_name(payload.get("error_type", ErrorKind.EXCEPTION.value))
    message = str(payload.get("message", ""))
    if etype in (ErrorKind.NOT_PLAIN_DATA, ErrorKind.RESULT_TOO_DEEP, ErrorKind.RESULT_TOO_LARGE):
        # an object whose __eq__ always says yes, or a result too deep or too large to cross the
        # boundary (refused in the child): not an answer
        return Verdict.WRONG, None, etype, message[:500]
    if "[Errno 27]" in message:  # EFBIG: the file-size limit
        return Verdict.ERROR, None, ErrorKind.OUTPUT_LIMIT.value, "wrote more than the output limit"
    return Verdict.ERROR, None, etype, message[:500]


def _observed_by_the_runner(run: TestRun, limits: Limits) -> tuple[Verdict, Any, str | None, str] | None:
    """The verdict decided by the trusted side's own observations (runner records), if any.

    Nothing the candidate printed or raised decides between censoring, failure and infra: an
    infrastructure failure, a meter anomaly, a scratch folder left unremovable, a limit the
    runner saw reached, an oversized result, a signal.
    """
    if run.infra_error:
        return Verdict.INFRA, None, ErrorKind.INFRASTRUCTURE.value, run.infra_error[:500]
    if run.meter_anomaly:
        # a result written by hand (os._exit right after: cheaper than the baseline's own way
        # out, so a negative count) is refused for what it is
        bad = _decoded(run)[1] if run.result else None
        return bad or (Verdict.ERROR, None, ErrorKind.METER_ANOMALY.value, run.meter_anomaly[:500])
    if run.scratch_left:
        detail = f"left files that could not be removed: {run.scratch_left}"
        return Verdict.ERROR, None, ErrorKind.SCRATCH_LEFT.value, detail
    if run.killed_for in (KillReason.WALL, KillReason.INSTRUCTIONS, KillReason.CPU):
        return Verdict.CENSORED_BUDGET, None, None, f"stopped at the {run.killed_for} limit"
    if run.killed_for == KillReason.MEMORY:
        return Verdict.CENSORED_MEMORY, None, None, f"stopped at the memory limit ({limits.memory_bytes >> 20} MiB)"
    if run.killed_for == KillReason.OUTPUT or run.result_too_large:
        return Verdict.ERROR, None, ErrorKind.OUTPUT_TOO_LARGE.value, "the result exceeded the size limit"
    if run.killed_for == KillReason.THREADS:
        detail = f"stopped at the thread limit: more than {MAX_THREADS - 1} threads at once, the main thread included"
        return Verdict.ERROR, None, ErrorKind.THREAD_LIMIT.value, detail
    if run.signal is not None:
        return _killed(run, limits)
    return None


def _decoded(run: TestRun) -> tuple[dict, None] | tuple[None, tuple[Verdict, Any, str | None, str]]:
    """Decode a run's result: ``(payload, None)``, or ``(None, verdict)`` refusing it.

    The verdict is the BadResult error of a result the runner could not have written.
    """
    try:
        payload = codec.loads(run.result)
        payload["ok"]  # noqa: B018 - the envelope's key must be there
        why = _not_what_the_runner_writes(payload)
    except (ValueError, KeyError, TypeError, RecursionError, MemoryError):
        return None, (Verdict.ERROR, None, ErrorKind.BAD_RESULT.value, "the child's result is not valid JSON")
    if why:
        return None, (Verdict.ERROR, None, ErrorKind.BAD_RESULT.value, f"the child's result {why}")
    return payload, None


def classify(
    run: TestRun, test: TestCase, expected: Any, problem: Problem, limits: Limits
) -> tuple[Verdict, Any, str | None, str]:
    """Judge one run on the host, before the budget check.

    Every repeat's answer is judged: where another repeat answered differently (``run.other_results``)
    and the decisive one passes, the first other answer that fails decides (a red team answered in
    the first of five repeats only and returned None in the others, where the first was the only
    one checked: a median cost near 0 and a reward of 1.6 against the expert's 1.0).

    Returns:
        (verdict, decoded answer or None, error type or None, one-line detail).
    """
    verdict = _classify_one(run, test, expected, problem, limits)
    if verdict[0] is not Verdict.OK:
        return verdict[0], verdict[1], verdict[2], _printable(verdict[3])
    for other in run.other_results:
        again = _classify_one(replace(run, result=other, other_results=[]), test, expected, problem, limits)
        if again[0] is not Verdict.OK:
            return again[0], again[1], again[2], _printable(f"a repeat answered otherwise: {again[3]}"[:500])
    return verdict


def _printable(detail: str) -> str:
    r"""A test's detail as one line of printable text: every other character as its escape.

    The detail quotes the candidate (its exception's message, its stderr's tail), which can hold
    a newline, a terminal's escape sequence, or a lone surrogate (``raise ValueError("\ud800")``
    crosses as JSON's ``"\ud800"``): a reward's ``reason`` printed by a trainer raised
    UnicodeEncodeError (rt-host's red team).
    """
    if detail.isprintable():
        return detail
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in detail)


def _classify_one(
    run: TestRun, test: TestCase, expected: Any, problem: Problem, limits: Limits
) -> tuple[Verdict, Any, str | None, str]:
    """:func:`classify` for ``run.result`` alone."""
    harness = _observed_by_the_runner(run, limits)
    if harness is not None:
        return harness
    if not run.result or run.exit_code != 0:
        # the runner's child writes a result and exits 0, and only then: a result from a child
        # that exited otherwise was written by the candidate itself (and skipped the end of the
        # measured span), so it is no answer
        detail = f"exited with code {run.exit_code} before returning; {run.stderr_tail[-300:]}"
        return Verdict.ERROR, None, ErrorKind.NO_RESULT.value, detail
    payload, bad = _decoded(run)
    if bad is not None:
        return bad
    if not payload["ok"]:
        return _failed_call(payload)
    answer = payload.get("value")
    try:
        accepted = checkers.check(
            problem.checker,
            answer if expected is SELF else expected,
            answer,
            problem.tolerance,
            test.args,
            problem.custom_check,
            unordered_kinds=not test.has_expected,
        )
    except CheckerError as exc:
        # the checker could not take this answer: for a candidate that is a failure it could have
        # caused (a result written by hand on its own pipe), never a reason to drop the sample;
        # on the expert's own answer, profiling stops the problem (see Evaluator.profile)
        return Verdict.WRONG, answer, ErrorKind.CHECKER_ERROR.value, str(exc)[:500]
    except (ValueError, TypeError, ArithmeticError, RecursionError, MemoryError) as exc:
        # ArithmeticError: a number past the float range (an OverflowError once stopped the run)
        return Verdict.ERROR, None, ErrorKind.BAD_RESULT.value, f"the answer cannot be checked: {exc}"[:500]
    if not accepted:
        return Verdict.WRONG, answer, None, f"answer differs from the expected one (got {_preview(answer)})"
    return Verdict.OK, answer, None, ""


#: deepest nesting of a JSON value in a result the runner writes: below the envelope (1), each of
#: the runner's MAX_DEPTH (100) levels of a value takes up to 3 (a tagged dict's value: the tag's
#: dict, its items, the pair), and the deepest level up to 3 more (a tuple of big ints: items, the
#: int's tag, its hex). Before, 104: a tuple nested 60 deep, which the runner writes, was refused
#: as a forged result (BadResult) from a candidate or an expert that returned it (rt-host's red
#: team); tests/threats/test_host_result_depth.py checks this figure against the runner's encoder
_MAX_RESULT_DEPTH = 1 + 3 * 100 + 3
#: longest decimal integer a result may carry (Python's default limit; the runner writes longer
#: ones as hex, which parses in linear time)
_MAX_DECIMAL_DIGITS = 4300


def _not_what_the_runner_writes(payload: Any) -> str | None:
    """Why a parsed result cannot have come from the runner's encoder, or None.

    A candidate can write its own bytes on its result pipe; the runner bounds what it writes
    (depth, decimal digits), so anything beyond those bounds is the candidate's, and is refused
    here, in linear time, before a checker recurses into it or parses a huge decimal. The walk
    holds one iterator per open level (memory in the depth, not the size: a stack of every value
    held 16 MiB of empty lists as 5.6 million entries, 385 MB; rt-host's red team), and a list of
    scalars is passed at C speed.
    """
    stack = [iter((payload,))]
    while stack:
        depth = len(stack)  # the depth of the members of the containers met in stack[-1]
        for value in stack[-1]:
            kind = type(value)
            if kind is dict:
                dec = value.get("dec")
                if isinstance(dec, str) and len(dec) > _MAX_DECIMAL_DIGITS + 1:
                    return f"carries a decimal integer of more than {_MAX_DECIMAL_DIGITS} digits"
                members = value.values()
            elif kind is list:
                members = value
            else:
                continue
            if not members:
                continue
            if depth > _MAX_RESULT_DEPTH:
                return f"is nested deeper than {_MAX_RESULT_DEPTH} levels"
            if kind is list and _JSON_SCALARS.issuperset(map(type, value)):
                continue
            stack.append(iter(members))
            break
        else:
            stack.pop()
    return None


#: the types json.loads gives a scalar
_JSON_SCALARS = frozenset({str, int, float, bool, type(None)})


def _preview(value: Any) -> str:
    """At most 80 characters of an answer, whatever it is (ints of any length included)."""
    try:
        text = json.dumps(value)
    except (ValueError, TypeError, RecursionError):
        text = f"<{type(value).__name__} that does not print>"
    return text if len(text) <= 80 else text[:77] + "..."


@dataclass
class _ProblemState:
    """Per-problem state of an evaluator: its lock, tests, encoded args and profile."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    tests: list[list[TestCase]] | None = None
    args: dict[str, Any] = field(default_factory=dict)  # test id -> encoded args
    hashes: dict[str, str] = field(default_factory=dict)  # test id -> input hash
    profile: ReferenceProfile | None = None


class Evaluator:
    """Runs candidates for problems in one sandbox with one meter. Thread-safe.

    Each problem's tests and expert profile are made exactly once, under a per-problem lock,
    however many threads ask first; :attr:`stats` is updated under a lock.
    """

    def __init__(
        self,
        sandbox: Sandbox,
        meter: Meter,
        settings: EngineSettings | None = None,
        cache: ReferenceCache | None = None,
        fingerprint: dict | None = None,
    ) -> None:
        """Set up an evaluator; nothing runs until the first call.

        Args:
            sandbox: where tests run (any :class:`~effbench.sandboxes.base.Sandbox`).
            meter: the meter the sandbox counts with.
            settings: alpha, limits and the input seed; the defaults of :class:`EngineSettings`.
            cache: where expert profiles are kept between runs (None: measured every time).
            fingerprint: the environment fingerprint the cache is keyed by (default: the meter's).
        """
        self.sandbox = sandbox
        self.meter = meter
        self.settings = settings or EngineSettings()
        #: the secret seed of generated tests of levels >= 1 (recorded in a run's config.json)
        self.input_seed = self.settings.input_seed or new_input_seed()
        self.cache = cache
        self.fingerprint = fingerprint or meter.fingerprint()
        self.stats = EngineStats()
        self._lock = threading.Lock()
        #: per (problem id, problem version): two problems with one id and different contents
        #: (an edited folder, two imported files) never share tests, answers or a profile
        self._states: dict[tuple[str, str], _ProblemState] = {}
        self._cancelled = threading.Event()

    def _state(self, problem: Problem) -> _ProblemState:
        with self._lock:
            return self._states.setdefault((problem.id, problem.version), _ProblemState())

    def _count(self, **increments: int) -> None:
        with self._lock:
            for name, n in increments.items():
                setattr(self.stats, name, getattr(self.stats, name) + n)

    def cancel(self) -> None:
        """Make every :meth:`evaluate` in progress raise :class:`Interrupted` before its next test."""
        self._cancelled.set()

    # -- tests and their encoded arguments -----------------------------------------------------
    def tests_of(self, problem: Problem) -> list[list[TestCase]]:
        """The problem's tests per level, generated once from :attr:`input_seed`."""
        state = self._state(problem)
        with state.lock:
            return self._tests_locked(problem, state)

    def _tests_locked(self, problem: Problem, state: _ProblemState) -> list[list[TestCase]]:
        if state.tests is None:
            levels = [problem.level_tests(lvl, self.input_seed) for lvl in range(len(problem.levels))]
            for tests in levels:
                for t in tests:
                    encoded = codec.encode_args(t.args)
                    state.args[t.test_id] = encoded
                    state.hashes[t.test_id] = input_hash(encoded)
            state.tests = levels
        return state.tests

    def _request(self, problem: Problem, code: str, test: TestCase, limits: Limits) -> TestRequest:
        args = self._state(problem).args[test.test_id]
        return TestRequest(problem.runnable(code), problem.entry_point, args, limits, self.meter.repeats)

    # -- the expert ------------------------------------------------------------------------------
    def profile(self, problem: Problem) -> ReferenceProfile:
        """The expert's costs and answers: from the cache, or measured now in this sandbox.

        Measured once per problem and evaluator, whatever the number of threads asking. The cache
        key includes a digest of every test input, so a profile is only reused for the very same
        inputs. Raises ProblemError when the expert fails one of its own tests (EffbenchError when
        the harness failed on it).
        """
        state = self._state(problem)
        with state.lock:
            if state.profile is None:
                state.profile = self._load_or_measure(problem, state)
            return state.profile

    def use_profile(self, problem: Problem, profile: ReferenceProfile) -> None:
        """Use an expert profile measured elsewhere (another Ray worker, same environment) for ``problem``.

        Kept only when this evaluator has none yet; it must be of this problem's version and
        meter and hold an answer for every test of this evaluator's inputs.

        Raises:
            EffbenchError: the profile is of another problem, version or meter, or lacks an input.
        """
        state = self._state(problem)
        with state.lock:
            tests = self._tests_locked(problem, state)
            missing = sum(state.hashes[t.test_id] not in profile.expected for lv in tests for t in lv)
            if (profile.problem_id, profile.problem_version, profile.meter) != (
                problem.id,
                problem.version,
                self.meter.name,
            ) or missing:
                raise EffbenchError(
                    f"problem {problem.id}: a shared expert profile ({profile.problem_id} {profile.problem_version}, "
                    f"{profile.meter}) does not fit this evaluator ({problem.version}, {self.meter.name}, "
                    f"{missing} input(s) missing: another input seed?)"
                )
            if state.profile is None:
                state.profile = profile

    def reproduces(self, problem: Problem, profile: ReferenceProfile) -> str | None:
        """Whether this sandbox counts the expert as the profile says, under an exact meter.

        A profile measured elsewhere (read from the disk cache, or handed over by another Ray
        worker) is only comparable with this sandbox's counts if the expert costs here what it cost
        there. The environment fingerprint records the declared facts (interpreter, libc, CPU,
        meter, runner), not everything a count depends on: measured, installing a package of
        separate debug symbols (valgrind-dbg) moved an expert's counts by 6 instructions per test
        in runners started after it, and a variable exported by a valgrind wrapper by hundreds.
        So the profile must first hold together (:meth:`_inconsistency`: every test has a finite
        cost, each level's cost is :func:`_level_cost` of its tests'), then the expert runs here on
        its check test (the largest-cost test of the first weighted level) and the count must equal
        the profile's, to the unit. Up to CHECK_RUNS runs tell an environment that counts
        differently (every run agrees on another count) from an expert whose own count varies
        (threads): only the first is reported. An expert with no count on the check test is
        reported too (a cached profile is then measured again, which says why).

        Args:
            problem: the problem (its tests are generated here from this evaluator's seed).
            profile: the profile to check (same problem, version, meter and inputs).

        Returns:
            None when the profile is reproduced, when the meter is not exact (nothing to compare
            to the unit) or when the expert's own count varies here; else one line saying what
            differs (the profile's own inconsistency, or the test and its counts here and in the
            profile) or that the expert had no count here.
        """
        if not self.meter.exact:
            return None
        state = self._state(problem)
        with state.lock:
            tests = self._tests_locked(problem, state)
        return self._reproduces_locked(problem, state, tests, profile)

    def _reproduces_locked(
        self, problem: Problem, state: _ProblemState, tests: list[list[TestCase]], profile: ReferenceProfile
    ) -> str | None:
        """:meth:`reproduces` with the problem's tests already made (callable under its lock)."""
        if not self.meter.exact:
            return None
        broken = self._inconsistency(state, tests, profile)
        if broken is not None:
            return broken
        check = self._check_test(problem, state, tests, profile)
        if check is None:
            return "the profile has no cost for any test of its first weighted level"
        expected = profile.test_costs[state.hashes[check.test_id]]
        limits = self._reference_limits()
        counts = []
        for _ in range(CHECK_RUNS):
            run = self.sandbox.run(self._request(problem, problem.expert_code, check, limits))
            if run.cost is None:
                # not reproduced: a cached profile is measured again (which says why the expert
                # fails here), a shared one is not adopted
                return f"the expert has no count here on its check test {check.test_id}"
            if run.cost.value == expected:
                return None
            counts.append(run.cost.value)
        if len(set(counts)) > 1:
            return None  # the expert's own count varies from run to run here: nothing to compare
        return (
            f"the expert costs {counts[0]:.0f} {profile.unit} here on test {check.test_id} "
            f"({CHECK_RUNS} runs), {expected:.0f} in the profile ({counts[0] - expected:+.0f})"
        )

    @staticmethod
    def _inconsistency(state: _ProblemState, tests: list[list[TestCase]], profile: ReferenceProfile) -> str | None:
        """Why the profile does not hold together under an exact meter, or None.

        Every test has a finite cost and each level's cost is its tests' largest (at least 1), as
        :meth:`_measure` makes it. A profile edited on disk (one level's cost, or its tests' costs
        emptied) fails here before any check run.
        """
        try:
            if len(profile.level_costs) != len(tests):
                return f"the profile has {len(profile.level_costs)} level costs for {len(tests)} levels"
            for i, level in enumerate(tests):
                costs = [profile.test_costs.get(state.hashes[t.test_id]) for t in level]
                if not all(isinstance(c, (int, float)) and not isinstance(c, bool) and math.isfinite(c) for c in costs):
                    return f"level {i}: a test has no cost in the profile"
                if _level_cost(costs) != profile.level_costs[i]:
                    return f"level {i}: its cost in the profile is not its tests' largest"
        except (TypeError, AttributeError, KeyError, ValueError) as exc:
            return f"the profile is malformed ({type(exc).__name__})"
        return None

    def adopt_profile(self, problem: Problem, profile: ReferenceProfile) -> str | None:
        """:meth:`use_profile` if this sandbox reproduces the profile (:meth:`reproduces`).

        Returns:
            None when the profile is now this evaluator's (or it already had one), else why it was
            rejected (counted in ``stats.profiles_rejected``; the profile is then measured here on
            first use).

        Raises:
            EffbenchError: as :meth:`use_profile`, for a profile of another problem or inputs.
        """
        if self._state(problem).profile is not None:
            return None
        why = self.reproduces(problem, profile)
        if why is not None:
            self._count(profiles_rejected=1)
            log.warning("problem %s: a profile measured elsewhere is not used: %s", problem.id, why)
            return why
        self.use_profile(problem, profile)
        return None

    def _check_test(
        self, problem: Problem, state: _ProblemState, tests: list[list[TestCase]], profile: ReferenceProfile
    ) -> TestCase | None:
        """The test :meth:`reproduces` runs: the largest-cost test of the first weighted level."""
        weighted = [i for i, lv in enumerate(problem.levels) if lv.weight > 0 and i < len(tests)] or [0]
        level = [t for t in tests[weighted[0]] if state.hashes[t.test_id] in profile.test_costs]
        if not level:
            return None
        return max(level, key=lambda t: profile.test_costs[state.hashes[t.test_id]])

    def _reference_limits(self) -> Limits:
        """The expert's own limits (generous: its profile must not be cut)."""
        return Limits(
            wall_seconds=4 * self.settings.reference_cpu_seconds,
            cpu_seconds=self.settings.reference_cpu_seconds,
            memory_bytes=self.settings.memory_bytes,
        )

    def _load_or_measure(self, problem: Problem, state: _ProblemState) -> ReferenceProfile:
        tests = self._tests_locked(problem, state)
        inputs = hashlib.sha256("\0".join(state.hashes[t.test_id] for lv in tests for t in lv).encode())
        key_data = {
            "problem": problem.id,
            "version": problem.version,
            "env": self.fingerprint,
            "inputs": inputs.hexdigest()[:32],
        }
        cached = self.cache.get(key_data) if self.cache else None
        if cached is not None:
            try:
                prof = ReferenceProfile.from_json(cached)
            except EffbenchError:
                prof = None
            if prof is not None and all(state.hashes[t.test_id] in prof.expected for lv in tests for t in lv):
                why = self._reproduces_locked(problem, state, tests, prof)
                if why is None:
                    self._count(profiles_cached=1)
                    return prof
                self._count(profiles_rejected=1)
                log.warning("problem %s: the cached expert profile is measured again: %s", problem.id, why)
        prof = self._measure(problem, state, tests)
        self._count(profiles_measured=1)
        if self.cache:
            self.cache.put(key_data, prof.to_json())
        return prof

    def _measure(self, problem: Problem, state: _ProblemState, tests: list[list[TestCase]]) -> ReferenceProfile:
        limits = self._reference_limits()
        level_costs, level_cpu, test_costs, expected = [], [], {}, {}
        for level in tests:
            costs, worst_cpu = [], 0.0
            for test in level:
                run = self.sandbox.run(self._request(problem, problem.expert_code, test, limits))
                exp = test.expected if test.has_expected else SELF
                verdict, answer, etype, detail = classify(run, test, exp, problem, limits)
                if etype == ErrorKind.CHECKER_ERROR or (
                    verdict == Verdict.WRONG and problem.checker == "custom" and exp is SELF
                ):
                    raise CheckerError(
                        f"problem {problem.id}: skipped: at test {test.test_id} on the expert's answer, "
                        + (
                            detail
                            if etype == ErrorKind.CHECKER_ERROR
                            else "the checker rejects the expert's own answer"
                        )
                    )
                if not test.has_expected and verdict == Verdict.WRONG:
                    verdict = Verdict.OK  # generated tests: the expert defines the answer
                if verdict != Verdict.OK or run.cost is None:
                    # the problem's own fault (its expert or tests), not the harness's: that
                    # problem is skipped and the run goes on (other problems' samples may be
                    # running by now); a harness failure still ends the run
                    raise (EffbenchError if verdict == Verdict.INFRA else ProblemError)(
                        f"problem {problem.id}: the expert reference fails test {test.test_id}: "
                        f"{verdict} {etype or ''} {detail}".strip()
                    )
                key = state.hashes[test.test_id]
                expected[key] = test.expected if test.has_expected else answer
                test_costs[key] = max(test_costs.get(key, 0.0), run.cost.value)
                costs.append(run.cost.value)
                worst_cpu = max(worst_cpu, run.cpu_seconds)
            level_costs.append(_level_cost(costs))
            level_cpu.append(worst_cpu)
        return ReferenceProfile(
            problem.id, problem.version, self.meter.name, self.meter.unit, level_costs, level_cpu, test_costs, expected
        )

    # -- candidates ------------------------------------------------------------------------------
    def budget(self, profile: ReferenceProfile) -> float:
        """``T = alpha * max_l r_l`` for this profile, in the meter's unit."""
        from effbench.scoring import budget

        return budget(self.settings.alpha, profile.level_costs)

    def candidate_limits(self, profile: ReferenceProfile, own_rate: float | None = None) -> Limits:
        """Limits of a candidate's test: the CPU-time stop, a wall backstop, the meter's budget.

        Args:
            profile: the expert's profile (its costs, and the CPU seconds of its largest test).
            own_rate: the candidate's own slowest pace seen so far, in cost units per CPU second
                (see :meth:`evaluate`), or None. Where it is slower than the expert's, the CPU
                stop moves out so that the candidate still gets ``cpu_slack`` times the time its
                own pace needs to spend the budget (never in).

        Returns:
            The :class:`Limits`: ``cpu_seconds = cpu_slack * alpha * c + cpu_floor``, ``c`` the
            expert's largest test CPU time, or the own-pace time when longer, at most
            ``max_stop_factor`` times the first (EngineSettings).
        """
        s = self.settings
        T = self.budget(profile)  # noqa: N806 - DESIGN.md's name
        expert_cpu = max(profile.level_cpu_seconds)
        cpu = s.cpu_slack * s.alpha * expert_cpu + s.cpu_floor
        if own_rate and own_rate > 0:
            # moved out for a slower pace, never past max_stop_factor times the expert-pace stop
            cpu = min(max(cpu, s.cpu_slack * T / own_rate + s.cpu_floor), s.max_stop_factor * cpu)
        return Limits(
            wall_seconds=2 * cpu + 5.0,
            cpu_seconds=cpu,
            memory_bytes=s.memory_bytes,
            instructions=self.meter.instruction_limit(T, pairs_hint=max(1e7, 0.05 * T)),
        )

    def _record(
        self,
        problem: Problem,
        prof: ReferenceProfile,
        code: str,
        model: str,
        sample_index: int,
        tests: list[TestOutcome],
        meta: dict | None,
        unrunnable: str | None = None,
    ) -> SampleRecord:
        """A record from raw facts, every derived field from :func:`effbench.scoring.score_sample`."""
        record = SampleRecord(
            model=model,
            problem_id=problem.id,
            sample_index=sample_index,
            code_sha256=code_hash(code) if unrunnable is None else "",
            verdict=Verdict.OK,
            failed=False,
            censored_level=None,
            level_costs=[None] * len(problem.levels),
            reference_level_costs=list(prof.level_costs),
            weights=[lv.weight for lv in problem.levels],
            efficiency=0.0,
            passed=False,
            speedup=None,
            peak_memory_kb=0,
            wall_seconds=0.0,
            cpu_seconds=0.0,
            tests=tests,
            meta=dict(meta or {}) if unrunnable is None else {**(meta or {}), "reason": unrunnable},
            unit=prof.unit,
            alpha=self.settings.alpha,
            unrunnable=unrunnable,
        )
        self._count(samples=1)
        return record.rescored(self.settings.alpha)

    def unrunnable(
        self, problem: Problem, model: str, sample_index: int, reason: str, meta: dict | None = None
    ) -> SampleRecord:
        """The record of a sample with no code to run (e.g. nothing could be extracted from an answer).

        It fails with that reason (error type ``NoCode``) and is never sent to the sandbox.
        """
        prof = self.profile(problem)
        return self._record(problem, prof, "", model, sample_index, [], meta, unrunnable=reason)

    def evaluate(
        self,
        problem: Problem,
        code: str,
        model: str = "candidate",
        sample_index: int = 0,
        meta: dict | None = None,
        on_test: Callable[[TestOutcome], None] | None = None,
    ) -> SampleRecord:
        """Run one candidate on every level (stopping at its first failure) and score it.

        Args:
            problem: the problem.
            code: the candidate's full source.
            model: the series label of the record (see :class:`SampleRecord`): one line of
                printable text, not blank, as the run dir's readers require.
            sample_index: the sample's index within (model, problem).
            meta: stored with the record (usage, strategy, chain, round...).
            on_test: called with each test's outcome as it is judged.

        Returns:
            The sample's record, scored by :func:`effbench.scoring.score_sample`.

        Raises:
            ProblemError: the expert fails its own tests (while profiling); EffbenchError when the
                harness failed on it.
            Interrupted: :meth:`cancel` was called.
        """
        from effbench.scoring import at_budget

        prof = self.profile(problem)
        T = self.budget(prof)  # noqa: N806 - DESIGN.md's name
        own_rate: float | None = None  # the candidate's slowest pace on its large tests so far
        limits = self.candidate_limits(prof)
        state = self._state(problem)
        outcomes: list[TestOutcome] = []
        for lvl, tests in enumerate(self.tests_of(problem)):
            for test in tests:
                if self._cancelled.is_set():
                    raise Interrupted(f"{problem.id}: evaluation cancelled")
                run = self.sandbox.run(self._request(problem, code, test, limits))
                self._count(tests=1)
                verdict, _answer, etype, detail = classify(
                    run, test, prof.expected[state.hashes[test.test_id]], problem, limits
                )
                outcome = at_budget(
                    TestOutcome(
                        test.test_id,
                        lvl,
                        verdict,
                        run.cost.value if run.cost else None,
                        run.cost.spread if run.cost else 0.0,
                        run.wall_seconds,
                        run.cpu_seconds,
                        run.peak_memory_kb,
                        etype,
                        detail,
                    ),
                    T,
                )
                outcomes.append(outcome)
                # the pace in user CPU time, the quantity the runner's stop watches: kernel time a
                # candidate burns (reading /dev/zero) must not make it look slow and move its stop out
                user = run.user_cpu_seconds or run.cpu_seconds
                if outcome.verdict == Verdict.OK and outcome.cost and user > 0 and outcome.cost >= 0.05 * T:
                    pace = outcome.cost / user  # large enough that its start-up is noise
                    if own_rate is None or pace < own_rate:
                        own_rate = pace
                        limits = self.candidate_limits(prof, own_rate)
                if on_test:
                    on_test(outcome)
                if outcome.verdict != Verdict.OK:
                    return self._record(problem, prof, code, model, sample_index, outcomes, meta)
        return self._record(problem, prof, code, model, sample_index, outcomes, meta)
