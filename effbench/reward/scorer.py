"""Scoring one item: the picklable unit of work every executor runs (local threads, Ray workers).

:class:`ItemScorer` holds configuration only (:class:`ScorerConfig`: where the problems are, the
sandbox, the meter, the shaping, alpha, the levels, the input seed). Called on an item it builds,
once per process, a warm :class:`~effbench.engine.Evaluator` (an open sandbox with its runners
started, the problem set loaded) kept in a module-level cache keyed by the configuration, and scores
the item with it. Pickling an ItemScorer sends only its configuration, so a Ray worker that receives
it builds its own warm evaluator on first use and reuses it for every later item.

Expert profiles and expected answers come from :class:`~effbench.reference_cache.ReferenceCache` on
disk, keyed by problem version + environment fingerprint + meter + a digest of the test inputs
(which the seed decides): computed once per (problem version, environment, meter, seed), then
reused by every process that shares the cache folder.

Scoring never raises for a bad item: a completion that is not text, holds no code, does not parse,
or is hostile, an unknown problem id, a malformed item, and a harness failure all come back as a
:class:`~effbench.reward.result.RewardResult` with the shaping's failure reward and a reason.
"""

from __future__ import annotations

import atexit
import dataclasses
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from effbench.errors import EffbenchError, ProblemFormatError
from effbench.reward.result import ItemStatus, RewardResult
from effbench.reward.shaping import Shaping
from effbench.verdicts import ErrorKind, Verdict

#: completions longer than this many characters are not read (a reward model must not spend
#: unbounded time extracting code from a runaway generation); they score as no code
MAX_COMPLETION_CHARS = 200_000
#: the extraction modes of :mod:`effbench.models.extract`
MODES = ("chat", "completion")


@dataclass(frozen=True)
class RewardItem:
    """One (problem, completion) pair to score. Picklable.

    Attributes:
        problem_id: the problem's id in the reward model's problem set.
        completion: the model's output: a string, or chat messages (a list of ``{"role", "content"}``
            dicts, or one such dict) whose last assistant message is the answer.
        mode: ``chat`` (code in a fenced block or bare, as the chat model adapter reads it) or
            ``completion`` (the problem's prompt continued by the completion, as the completion
            adapter reads it).
        malformed: why the item could not be read as a (problem_id, completion) pair, if it could not.
        unreadable: why the completion could not be read (it is kept out of the item), if it could not.
    """

    problem_id: str
    completion: Any
    mode: str = "chat"
    malformed: str | None = None
    unreadable: str | None = None

    @classmethod
    def of(cls, value: Any, mode: str = "chat") -> RewardItem:
        """Read an item; never raises.

        Accepted: a RewardItem (checked as a tuple is, unless already read), a
        ``(problem_id, completion[, mode])`` tuple or list, or a mapping with ``problem_id`` (or
        ``task_id``) and ``completion`` keys. Anything else is a malformed item (scored as such,
        :attr:`~effbench.reward.result.ItemStatus.MALFORMED`): the caller's fault, never the
        model's, so a mapping without a ``completion`` key (a dataset column named otherwise) is
        malformed, not a completion with no code; so is a mapping that is not a ``dict`` and raises
        when it is read.

        What is kept is plain built-in data (:func:`_plain_copy`): a subclass of ``str``, ``dict``,
        ``list`` or ``tuple`` (numpy's ``str_``, a string enum, a named tuple) is read through the
        built-in's own methods and kept as the built-in value it holds, so that no method of the
        caller's classes runs, now or later (hashing the problem id, reading or hashing the
        completion, pickling it to a Ray worker), where its exception would be a harness error or
        escape ``score_batch``.
        """
        try:
            return cls._read(value, mode)
        except Exception as exc:  # noqa: BLE001 - the caller's object raised while read: malformed
            return cls("", None, "chat", f"the item could not be read: {_describe(exc)}")

    @classmethod
    def _read(cls, value: Any, mode: Any) -> RewardItem:
        """:meth:`of`, which may raise what the caller's objects raise."""
        if isinstance(value, RewardItem):
            if value.malformed is not None or value.unreadable is not None:
                pid = _text(value.problem_id) or ""
                malformed = None if value.malformed is None else str(_text(value.malformed))
                unreadable = None if value.unreadable is None else str(_text(value.unreadable))
                return cls(pid, None, _text(value.mode) or "chat", malformed, unreadable)
            value = (value.problem_id, value.completion, value.mode)
        value = _builtin(value)
        pid: Any
        completion: Any = None
        if isinstance(value, Mapping):
            keys = ", ".join(sorted(repr(k) for k in value)[:8]) or "none"
            if "problem_id" not in value and "task_id" not in value:
                return cls("", None, "chat", f"a mapping item needs a 'problem_id' or 'task_id' key (its keys: {keys})")
            if "completion" not in value:
                return cls("", None, "chat", f"a mapping item needs a 'completion' key (its keys: {keys})")
            pid = value.get("problem_id", value.get("task_id"))
            completion = value["completion"]
            mode = value.get("mode", mode)
        elif isinstance(value, (tuple, list)) and len(value) in (2, 3):
            pid, completion = value[0], value[1]
            if len(value) == 3:
                mode = value[2]
        else:
            return cls("", None, "chat", f"an item must be (problem_id, completion), got {type(value).__name__}")
        if (text := _text(pid)) is None:
            return cls("", None, "chat", f"the problem id must be a string, got {type(pid).__name__}")
        pid = text
        if (name := _text(mode)) not in MODES:
            return cls(pid, None, "chat", f"unknown extraction mode {mode!r}; choose one of {', '.join(MODES)}"[:300])
        mode = name
        try:
            completion = _plain_copy(completion)
        except _NotPlain:
            return cls(
                pid, None, mode, None, f"the completion is not text or chat messages ({type(completion).__name__})"
            )
        return cls(pid, completion, mode)


def _builtin(value: Any) -> Any:
    """A subclass of dict, list or tuple as the built-in it is, read through the built-in's own methods."""
    if isinstance(value, dict) and type(value) is not dict:
        return dict(dict.items(value))
    if isinstance(value, list) and type(value) is not list:
        return list(list.__iter__(value))
    if isinstance(value, tuple) and type(value) is not tuple:
        return tuple(tuple.__iter__(value))
    return value


def _describe(exc: BaseException) -> str:
    """``Type: message`` of an exception, bounded; never raises (its ``__str__`` may)."""
    try:
        text = str(exc)
    except Exception:  # noqa: BLE001 - a hostile __str__
        text = ""
    return f"{type(exc).__name__}: {text}"[:300]


def _text(value: Any) -> str | None:
    """``value`` as an exact ``str`` if it is text (a subclass's own methods never run), else None."""
    if isinstance(value, str):
        return value if type(value) is str else str.__str__(value)
    return None


class _NotPlain(Exception):  # noqa: N818 - a control-flow signal of _plain_copy
    """The value is not plain data (see :func:`_plain_copy`)."""


def _plain_copy(value: Any, depth: int = 0) -> Any:
    """``value`` as plain built-in data: text, chat messages, numbers or None, copied.

    What can be pickled to a worker and read as a completion: ``str``, ``int``, ``float``, ``bool``,
    None, and lists (from lists or tuples) and ``str``-keyed dicts (from any mapping) of them, at
    most 5 deep. Subclasses become their base type, read through the base type's own methods (a
    ``dict`` subclass's overridden ``items``, a ``list``'s ``__iter__`` never run).

    Raises:
        _NotPlain: anything else (bytes, objects, deeper nesting, a mapping with a non-text key).
    """
    if value is None or type(value) in (str, int, float, bool):
        return value
    if isinstance(value, str):
        return str.__str__(value)
    if isinstance(value, int):
        return int.__int__(value)
    if isinstance(value, float):
        return float.__float__(value)
    if depth > 4:
        raise _NotPlain
    if isinstance(value, Mapping):
        pairs = dict.items(value) if isinstance(value, dict) else value.items()
        out: dict[str, Any] = {}
        for k, v in pairs:
            key = _text(k)
            if key is None:
                raise _NotPlain
            out[key] = _plain_copy(v, depth + 1)
        return out
    if isinstance(value, list):
        return [_plain_copy(v, depth + 1) for v in list.__iter__(value)]
    if isinstance(value, tuple):
        return [_plain_copy(v, depth + 1) for v in tuple.__iter__(value)]
    raise _NotPlain


def _not_unicode(code: str) -> str | None:
    """Why ``code`` is not Unicode text (a lone surrogate, which no UTF-8 file holds), or None.

    Such code cannot be written as a source file, hashed or stored; it is the candidate's failure
    (no code), never the harness's, so that a policy cannot escape its penalty with one.
    """
    try:
        code.encode("utf-8")
    except UnicodeEncodeError as exc:
        return (
            f"the code holds a lone surrogate \\u{ord(code[exc.start]):04x} at character {exc.start}, "
            "which is not valid Unicode"
        )
    return None


def _content_text(content: Any) -> str | None:
    """A message's content as text: a string, or the text parts of a list of content parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, (list, tuple)):
        parts = [p.get("text") for p in content if isinstance(p, Mapping) and isinstance(p.get("text"), str)]
        return "".join(parts) if parts else None
    return None


def completion_text(completion: Any) -> tuple[str | None, str]:
    """The answer's text in a completion, and why there is none when there is none.

    A string is the answer. Chat messages (TRL's conversational completions are a list of message
    dicts) give their last ``assistant`` message's content (a message without a role counts as the
    assistant's); its reasoning is removed later, by extraction, exactly as for the model adapters.
    """
    if isinstance(completion, str):
        return completion, ""
    messages = [completion] if isinstance(completion, Mapping) else completion
    if isinstance(messages, (list, tuple)) and messages and all(isinstance(m, Mapping) for m in messages):
        answers = [m for m in messages if m.get("role", "assistant") == "assistant"]
        if not answers:
            return None, "the chat messages hold no assistant message"
        text = _content_text(answers[-1].get("content"))
        if text is None:
            return None, "the assistant message has no text content"
        return text, ""
    if completion is None:
        return None, "no completion"
    return None, f"the completion is not text or chat messages ({type(completion).__name__})"


@dataclass(frozen=True)
class ScorerConfig:
    """Everything that decides how an item is scored. Frozen, hashable and picklable.

    Attributes:
        problems: the problem set's folder (None: effbench's bundled set).
        references: its references' folder (None: next to ``problems``, as :func:`load_problem_set` finds it).
        sandbox: a sandbox backend name (``local``, ``docker``).
        meter: a meter name (``valgrind``, ``perf``, ``time``; ``auto`` is resolved in each process).
        shaping: how the scored facts become a reward.
        alpha: the budget factor, ``T = alpha * max_l r_l`` (DESIGN.md), > 1.
        levels: use only the first ``levels`` size levels of each problem (None: all of them); at least 2.
        seed: the secret seed of the generated tests of levels >= 1 (it decides the stress inputs).
        sandbox_workers: runners of the warm sandbox in each process.
        cache: keep expert profiles on disk between processes.
        cache_dir: the cache folder (None: :func:`effbench.paths.cache_dir` of the process).
    """

    seed: str
    problems: str | None = None
    references: str | None = None
    sandbox: str = "local"
    meter: str = "auto"
    shaping: Shaping = field(default_factory=Shaping)
    alpha: float = 2.0
    levels: int | None = None
    sandbox_workers: int = 1
    cache: bool = True
    cache_dir: str | None = None

    def __post_init__(self) -> None:
        """Validate what can be checked without running anything; raises EffbenchError naming the option."""
        if not isinstance(self.seed, str) or not self.seed:
            raise EffbenchError("reward: seed must be a non-empty string")
        if not (isinstance(self.alpha, (int, float)) and self.alpha > 1 and self.alpha < float("inf")):
            raise EffbenchError(f"reward: alpha must be a finite number above 1, got {self.alpha!r}")
        if self.levels is not None and (not isinstance(self.levels, int) or self.levels < 2):
            raise EffbenchError(
                f"reward: levels must be an integer >= 2 (level 0 is correctness only), got {self.levels!r}"
            )
        if not isinstance(self.sandbox_workers, int) or self.sandbox_workers < 1:
            raise EffbenchError(f"reward: workers must be a positive integer, got {self.sandbox_workers!r}")
        object.__setattr__(self, "shaping", Shaping.of(self.shaping))

    @property
    def engine_key(self) -> ScorerConfig:
        """The configuration without its shaping: what a warm evaluator depends on."""
        return dataclasses.replace(self, shaping=Shaping())


class _Warm:
    """A warm evaluator of one configuration in this process: problem set, meter, open sandbox."""

    def __init__(self, config: ScorerConfig) -> None:
        from effbench import paths
        from effbench.engine import EngineSettings, Evaluator
        from effbench.fingerprint import environment_fingerprint
        from effbench.meters import choose_meter
        from effbench.problems import load_problem_set
        from effbench.reference_cache import ReferenceCache
        from effbench.sandboxes import open_sandbox

        self.config = config
        self.problem_set = load_problem_set(config.problems, config.references)
        self.choice = choose_meter(config.meter)
        self.meter = self.choice.meter
        hide = sorted({str(p.directory.parent) for p in self.problem_set.problems.values() if p.directory})
        hide += sorted({str(p.reference_dir.parent) for p in self.problem_set.problems.values() if p.reference_dir})
        self.sandbox = open_sandbox(config.sandbox, self.meter, workers=config.sandbox_workers, hide=hide)
        try:
            self.fingerprint = environment_fingerprint(self.meter, config.sandbox)
            cache_root = Path(config.cache_dir) if config.cache_dir else paths.cache_dir()
            cache = ReferenceCache(cache_root / "references") if config.cache else None
            settings = EngineSettings(alpha=float(config.alpha), input_seed=config.seed)
            self.evaluator = Evaluator(self.sandbox, self.meter, settings, cache, self.fingerprint)
        except BaseException:
            self.sandbox.close()
            raise
        self._problems: dict[str, Any] = {}
        self._lock = threading.Lock()
        self.refs = 0

    def problem(self, problem_id: str) -> Any:
        """The problem (cut to the configured levels), or None when the id is unknown."""
        with self._lock:
            if problem_id in self._problems:
                return self._problems[problem_id]
            original = self.problem_set.problems.get(problem_id)
            problem = original
            n = self.config.levels
            if original is not None and n is not None and n < len(original.levels):
                problem = dataclasses.replace(
                    original,
                    levels=original.levels[:n],
                    generated_tests=original.generated_tests[:n] if original.generated_tests is not None else None,
                    _generated_cache={},
                )
            if problem is not None:
                self._problems[problem_id] = problem
            return problem

    def close(self) -> None:
        self.sandbox.close()


_WARM: dict[ScorerConfig, _Warm] = {}
_WARM_LOCK = threading.Lock()
#: holds of reward models garbage-collected without close() (:func:`release_dropped`), given back
#: by the next :func:`_warm` or :func:`release` call of this process
_DROPPED: list[ScorerConfig] = []


def _warm(config: ScorerConfig, acquire: bool = False) -> _Warm:
    """This process's warm evaluator for ``config`` (built on first use).

    Also gives back the holds of models dropped without close() since the last call (their
    sandboxes are closed when no one else holds them).
    """
    key = config.engine_key
    with _WARM_LOCK:
        warm = _WARM.get(key)
        if warm is None:
            warm = _WARM[key] = _Warm(key)
        if acquire:
            warm.refs += 1
        dropped = _take_dropped_locked()
    _close_dropped(dropped)
    return warm


def release(config: ScorerConfig) -> None:
    """Give back a warm evaluator taken by :meth:`ItemScorer.acquire`; the last one out closes its sandbox."""
    with _WARM_LOCK:
        closing = _release_locked(config.engine_key)
        dropped = _take_dropped_locked()
    _close_dropped(dropped)
    _close(closing)


def release_dropped(config: ScorerConfig) -> None:
    """Give back, later, the hold of a reward model garbage-collected without close().

    A finalizer's call (any thread, at any allocation, perhaps while this module's lock is held):
    it only appends to a list; the next :func:`_warm` or :func:`release` of this process gives the
    hold back. Before, a model dropped unclosed (made per call by a careless loop) kept its sandbox
    and runners until the process exited: 5 calls, 5 sandboxes, 51 processes.
    """
    _DROPPED.append(config)


def _release_locked(key: ScorerConfig) -> list[_Warm]:
    """One hold of ``key`` given back (caller holds ``_WARM_LOCK``); the evaluator to close if it was the last."""
    warm = _WARM.get(key)
    if warm is None:
        return []
    warm.refs -= 1
    if warm.refs > 0:
        return []
    del _WARM[key]
    return [warm]


def _take_dropped_locked() -> list[_Warm]:
    """The holds of dropped models given back (caller holds ``_WARM_LOCK``); the evaluators to close."""
    closing: list[_Warm] = []
    while _DROPPED:
        closing += _release_locked(_DROPPED.pop().engine_key)
    return closing


def _close(warms: list[_Warm]) -> None:
    """Close these warm evaluators' sandboxes (outside the lock: it waits for their runners)."""
    for warm in warms:
        warm.close()


def _close_dropped(warms: list[_Warm]) -> None:
    """Close the sandboxes of models dropped without close(); a failure is not the caller's error.

    The caller is whichever use of the API came next (another model made, an item scored): before,
    a dropped sandbox that failed to close (a docker daemon gone) failed that unrelated call.
    """
    for warm in warms:
        try:
            warm.close()
        except Exception:  # noqa: BLE001, S110 - no one is left to tell; the caller's call goes on
            pass


@atexit.register
def close_all() -> None:
    """Close every warm sandbox of this process (runs at exit)."""
    with _WARM_LOCK:
        warms = list(_WARM.values())
        _WARM.clear()
    for warm in warms:
        try:
            warm.close()
        except Exception:  # noqa: BLE001, S110 - at exit, closing the others matters more
            pass


@dataclass(frozen=True)
class ItemScorer:
    """Scores one item (see the module docstring). Picklable: it holds its configuration only.

    ``scorer(item) -> RewardResult`` is safe to call from many threads at once; the sandbox's
    runners are shared by them.
    """

    config: ScorerConfig

    def acquire(self) -> Any:
        """Build (or take) this process's warm evaluator now and hold it until :meth:`release`.

        Raises what starting it raises (SandboxUnavailable, ProblemFormatError...): configuration
        errors surface here, not as a failure reward on every item.
        """
        return _warm(self.config, acquire=True)

    def release(self) -> None:
        """Give back what :meth:`acquire` took."""
        release(self.config)

    def evaluator(self) -> Any:
        """This process's warm :class:`~effbench.engine.Evaluator` for the configuration."""
        return _warm(self.config).evaluator

    def profile(self, problem_id: str) -> Any:
        """The expert profile of a problem (measured now or read from the cache); raises on failure."""
        warm = _warm(self.config)
        problem = warm.problem(problem_id)
        if problem is None:
            raise ProblemFormatError(f"unknown problem id {problem_id!r} in problem set {warm.problem_set.name}")
        return warm.evaluator.profile(problem)

    # -- shared facts (effbench.executors.base.SharesFacts): on Ray, each expert profile is measured
    # once for the whole cluster and reaches every worker through the object store
    def shared_keys(self, item: Any) -> tuple[str, ...]:
        """The profile an item is judged against (its problem id); none for a malformed item."""
        it = RewardItem.of(item)
        return () if it.malformed is not None else (it.problem_id,)

    def compute_shared(self, problem_id: str) -> dict[str, Any]:
        """The problem's expert profile and the environment it was measured in.

        Returns ``{"profile": ReferenceProfile | None, "fingerprint": ...}``: None for an unknown id
        or a failing expert (its items then fail as they would locally). Never raises an EffbenchError.
        """
        warm = _warm(self.config)
        problem = warm.problem(problem_id)
        try:
            profile = warm.evaluator.profile(problem) if problem is not None else None
        except EffbenchError:
            profile = None
        return {"profile": profile, "fingerprint": warm.fingerprint}

    def use_shared(self, problem_id: str, value: dict[str, Any]) -> None:
        """Judge this problem's items against a profile measured by another worker.

        Only when it was measured in this worker's environment (same fingerprint) and, under an
        exact meter, this worker's sandbox reproduces it (the expert costs here what the profile
        says on its check test: :meth:`effbench.engine.Evaluator.adopt_profile`); otherwise the
        profile is measured here, as without an executor, so that no worker judges its items
        against counts its own sandbox does not make. A rejected profile is logged and counted in
        :meth:`RewardModel.stats`'s ``profiles_rejected`` of that worker.
        """
        warm = _warm(self.config)
        problem = warm.problem(problem_id)
        if problem is not None and value["profile"] is not None and value["fingerprint"] == warm.fingerprint:
            warm.evaluator.adopt_profile(problem, value["profile"])

    def record_retries(self, result: RewardResult, retries: list[Any]) -> RewardResult:
        """The result with the attempts lost with a dead Ray worker (``RewardResult.retries``)."""
        return dataclasses.replace(result, retries=result.retries + tuple(r.to_json() for r in retries))

    def lost_result(self, item: Any, retries: list[Any]) -> RewardResult:
        """The result of an item that lost every Ray worker it was sent to (a harness error).

        The Ray executor's hook (:mod:`effbench.executors.base`): a reward batch goes on without
        it instead of failing, as ``score_batch`` never raises for one item. ``retries`` are the
        lost attempts (:class:`~effbench.executors.base.Retry`), recorded in the result by the
        executor through :meth:`record_retries`.
        """
        last = retries[-1] if retries else None
        where = f" (last: {last.worker}: {last.reason})" if last is not None else ""
        reason = f"lost its Ray worker {len(retries)} time{'s' if len(retries) != 1 else ''}{where}"
        return self._failed(RewardItem.of(item), time.perf_counter(), ItemStatus.HARNESS_ERROR, reason[:500])

    def __call__(self, item: Any) -> RewardResult:
        """Score one item (anything :meth:`RewardItem.of` reads). Never raises an Exception."""
        start = time.perf_counter()
        it = RewardItem.of(item)  # never raises: an object that raises when read is malformed
        try:
            return self._score(it, start)
        except Exception as exc:  # noqa: BLE001 - a harness failure is a result, never an exception out
            return self._failed(it, start, ItemStatus.HARNESS_ERROR, f"{type(exc).__name__}: {exc}"[:500])

    # -- internals ---------------------------------------------------------------------------------
    def _failed(
        self, item: RewardItem, start: float, status: ItemStatus, reason: str, extraction: str = ""
    ) -> RewardResult:
        shaping = self.config.shaping
        verdict = Verdict.ERROR if status is ItemStatus.NO_CODE else Verdict.INFRA
        error_type = {
            ItemStatus.NO_CODE: ErrorKind.NO_CODE.value,
            ItemStatus.HARNESS_ERROR: ErrorKind.INFRASTRUCTURE.value,
            ItemStatus.MALFORMED: ErrorKind.MALFORMED_ITEM.value,
        }.get(status, ErrorKind.UNKNOWN_PROBLEM.value)
        return RewardResult(
            problem_id=item.problem_id,
            reward=shaping.failure,
            passed=False,
            efficiency=0.0,
            speedup=None,
            verdict=verdict,
            status=status,
            reason=reason,
            error_type=error_type,
            extraction=extraction,
            shaping=shaping.kind.value,
            elapsed_seconds=time.perf_counter() - start,
        )

    def _score(self, item: RewardItem, start: float) -> RewardResult:
        from effbench.models.extract import extract_chat, extract_completion

        if item.malformed is not None:
            return self._failed(item, start, ItemStatus.MALFORMED, item.malformed)
        warm = _warm(self.config)
        problem = warm.problem(item.problem_id)
        if problem is None:
            reason = f"unknown problem id {item.problem_id[:200]!r} in problem set {warm.problem_set.name}"
            return self._failed(item, start, ItemStatus.UNKNOWN_PROBLEM, reason)
        text, why = completion_text(item.completion) if item.unreadable is None else (None, item.unreadable)
        if text is not None and len(text) > MAX_COMPLETION_CHARS:
            text, why = None, f"the completion is longer than {MAX_COMPLETION_CHARS} characters"
        if text is None:
            found_code, extraction = None, why
        else:
            if item.mode == "completion":
                found = extract_completion(problem.prompt, text, problem.entry_point)
            else:
                found = extract_chat(text, problem.entry_point)
            found_code, extraction = found.code, found.reason
        if found_code is not None and (bad := _not_unicode(found_code)):
            found_code, extraction = None, bad
        ev = warm.evaluator
        if found_code is None:
            record = ev.unrunnable(problem, "reward", 0, extraction)
            status, reason = ItemStatus.NO_CODE, extraction
        else:
            record = ev.evaluate(problem, found_code, "reward", 0)
            status = ItemStatus.HARNESS_ERROR if record.verdict == Verdict.INFRA else ItemStatus.SCORED
            stop = next((t for t in record.tests if t.verdict != Verdict.OK), None)
            # a bare exception (raise KeyboardInterrupt, MemoryError) has no detail: name it
            why = (stop.detail or stop.error_type or str(stop.verdict)) if stop else ""
            reason = f"{stop.test_id}: {why}" if stop else ""
        shaping = self.config.shaping
        reward = (
            shaping.failure
            if status is ItemStatus.HARNESS_ERROR
            else shaping.reward(record.passed, record.efficiency, record.speedup, record.censored_level)
        )
        return RewardResult(
            problem_id=item.problem_id,
            reward=float(reward),
            passed=bool(record.passed) and status is ItemStatus.SCORED,
            efficiency=float(record.efficiency),
            speedup=record.speedup,
            verdict=Verdict(record.verdict),
            status=status,
            reason=reason[:500],
            error_type=record.error_type,
            censored_level=record.censored_level,
            level_costs=tuple(record.level_costs),
            reference_level_costs=tuple(record.reference_level_costs),
            unit=record.unit or warm.meter.unit,
            meter=warm.meter.name,
            extraction=extraction,
            shaping=shaping.kind.value,
            elapsed_seconds=time.perf_counter() - start,
            run_seconds=float(record.wall_seconds),
            tests_run=len(record.tests),
        )


def score_items(scorer: ItemScorer, items: Sequence[Any]) -> list[RewardResult]:
    """Score items one after the other in this thread (the reference executor), in order."""
    return [scorer(item) for item in items]


__all__ = [
    "MAX_COMPLETION_CHARS",
    "MODES",
    "ItemScorer",
    "RewardItem",
    "ScorerConfig",
    "close_all",
    "completion_text",
    "release",
    "release_dropped",
    "score_items",
]
