"""Typed records of a run: tests, samples, expert profiles, the run's config and its summary.

Every record carries a schema version (:data:`SCHEMA_VERSION`); ``from_json`` validates a
record and reads every version written so far (version 1: the files written before records had a
``schema`` field). Records store *raw facts* (per-test verdicts and costs, the expert's level costs,
the weights, the unit of cost); the fields derived from them (efficiency, passed, speedup, the
sample's verdict at an alpha...) are recomputed by :func:`effbench.scoring.score_sample` whenever a
record is read, never trusted from the file.
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

from effbench.errors import EffbenchError
from effbench.verdicts import Verdict

#: Version of the record formats written today. 1: no ``schema`` field; 2: adds ``schema``,
#: ``unit``, ``alpha``, ``strategy``, ``chain``, ``round``, ``model_name`` and ``unrunnable``.
SCHEMA_VERSION = 2

#: The label the refine strategy gave its rounds before they were record fields: ``name+refine:rN``.
_ROUND_LABEL = re.compile(r"^(?P<name>.*)\+(?P<strategy>[a-z_]+):r(?P<round>\d+)$")


class RecordFormatError(EffbenchError):
    """A record (a line of ``samples.jsonl``, ``config.json``, ``summary.json``) is malformed."""


def _check(cond: bool, what: str, message: str) -> None:
    if not cond:
        raise RecordFormatError(f"{what}: {message}")


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_amount(value: Any) -> bool:
    """A finite number >= 0 (a time, a memory size, a spread)."""
    return _is_number(value) and math.isfinite(value) and value >= 0


def _is_line(value: Any) -> bool:
    """One line of printable text, not blank: a label every table, page and terminal shows as it is."""
    return isinstance(value, str) and bool(value.strip()) and value.isprintable()


def _is_count(value: Any) -> bool:
    """An integer at least 0 (not a bool)."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


#: the figures of ``meta.usage`` (tokens, seconds, USD) that summaries, curves and the leaderboard add up
_USAGE_AMOUNTS = (
    "prompt_tokens",
    "completion_tokens",
    "abandoned_attempts",
    "abandoned_prompt_tokens",
    "abandoned_completion_tokens",
    "abandoned_seconds",
    "latency_seconds",
    "first_byte_seconds",
    "reasoning_tokens",
    "reasoning_chars",
    "cost_usd",
)
#: the figures of each ``meta.attempts`` entry (tokens, seconds) that the cost axes add up
_ATTEMPT_AMOUNTS = ("prompt_tokens", "completion_tokens", "seconds", "first_byte_seconds")


def _check_labels(data: dict, what: str) -> None:
    """``model_name``/``strategy`` (one printable line) and ``chain``/``round`` (counts) of a record or its meta."""
    for name in ("model_name", "strategy"):
        value = data.get(name)
        _check(value is None or _is_line(value), f"{what}.{name}", "must be one line of printable text, or null")
    for name in ("chain", "round"):
        value = data.get(name)
        _check(value is None or _is_count(value), f"{what}.{name}", "must be an integer at least 0, or null")


def _check_meta(meta: dict, what: str) -> None:
    """The parts of a record's ``meta`` that readers count are of their types.

    ``usage`` (tokens, seconds and money a summary, the curves and the leaderboard add up),
    ``attempts`` (the cost axes' tokens and seconds), ``selection`` (sel@k's pass and cost), and
    the series fields: each figure a finite number >= 0 or null. Raises RecordFormatError naming
    the field: a NaN or a negative count written by hand made `effbench score` print
    "spent -999999999800 prompt + nan completion tokens", `--json` and leaderboard.json invalid
    JSON (NaN), and `effbench curves` a traceback.
    """
    _check_labels(meta, what)
    if "usage" in meta:
        usage = meta["usage"]
        _check(isinstance(usage, dict), f"{what}.usage", "must be an object")
        for name in _USAGE_AMOUNTS:
            value = usage.get(name)
            _check(
                value is None or _is_amount(value),
                f"{what}.usage.{name}",
                "must be a finite number at least 0, or null",
            )
    if "attempts" in meta:
        attempts = meta["attempts"]
        _check(isinstance(attempts, list), f"{what}.attempts", "must be a list")
        for i, attempt in enumerate(attempts):
            where = f"{what}.attempts[{i}]"
            _check(isinstance(attempt, dict), where, "must be an object")
            for name in _ATTEMPT_AMOUNTS:
                value = attempt.get(name)
                _check(
                    value is None or _is_amount(value), f"{where}.{name}", "must be a finite number at least 0, or null"
                )
            share = attempt.get("share")
            _check(
                share is None or (_is_count(share) and share >= 1), f"{where}.share", "must be an integer at least 1"
            )
    if "selection" in meta:
        sel = meta["selection"]
        _check(isinstance(sel, dict), f"{what}.selection", "must be an object")
        _check(isinstance(sel.get("passed"), bool), f"{what}.selection.passed", "must be true or false")
        for name in ("cost", "seconds"):
            _check(_is_amount(sel.get(name)), f"{what}.selection.{name}", "must be a finite number at least 0")
        _check(_is_count(sel.get("examples", 0)), f"{what}.selection.examples", "must be an integer at least 0")


def _check_derived(data: dict, levels: int, what: str) -> None:
    """The derived fields as written are of their types (readers show them before any rescoring).

    Raises:
        RecordFormatError: naming the field.
    """
    if data.get("level_costs", 0) is None:
        del data["level_costs"]  # as if absent: filled with nulls below
    costs = data.get("level_costs")
    _check(
        costs is None
        or (isinstance(costs, list) and len(costs) == levels and all(c is None or _is_amount(c) for c in costs)),
        f"{what}.level_costs",
        "must be a list of finite numbers at least 0 or nulls, one per level",
    )
    for name in ("efficiency", "wall_seconds", "cpu_seconds", "peak_memory_kb"):
        _check(name not in data or _is_amount(data[name]), f"{what}.{name}", "must be a finite number at least 0")
    speedup = data.get("speedup")
    _check(speedup is None or _is_amount(speedup), f"{what}.speedup", "must be a finite number at least 0, or null")
    for name in ("failed", "passed"):
        _check(name not in data or isinstance(data[name], bool), f"{what}.{name}", "must be true or false")
    level = data.get("censored_level")
    _check(
        level is None or (isinstance(level, int) and not isinstance(level, bool) and 0 <= level < levels),
        f"{what}.censored_level",
        "must be a level of the problem, or null",
    )
    for name in ("failed_test", "error_type", "code_sha256"):
        value = data.get(name)
        _check(value is None or isinstance(value, str), f"{what}.{name}", "must be a string or null")


def _schema_of(data: Any, what: str) -> int:
    _check(isinstance(data, dict), what, "must be a JSON object")
    version = data.get("schema", 1)
    _check(
        isinstance(version, int) and 1 <= version <= SCHEMA_VERSION,
        f"{what}: schema",
        f"version {version!r} is not one this effbench reads (1..{SCHEMA_VERSION})",
    )
    return version


def _require_keys(data: dict, keys: tuple[str, ...], what: str) -> None:
    missing = [k for k in keys if k not in data]
    _check(not missing, what, f"missing field(s) {', '.join(missing)}")


def _verdict(value: Any, what: str) -> Verdict:
    try:
        return Verdict(value)
    except ValueError:
        raise RecordFormatError(f"{what}: unknown verdict {value!r}") from None


@dataclass
class TestOutcome:
    """One test of one candidate, as judged on the host.

    Attributes:
        test_id: ``L<level>.t<i>`` (a fixed correctness test) or ``L<level>.g<i>`` (generated).
        level: the test's level index.
        verdict: the test's :class:`Verdict` at the budget it was run with.
        cost: the candidate's cost in the meter's unit (instructions or ns); None when not measured.
        spread: relative spread (max-min)/median of the cost over the meter's repeats.
        wall_seconds: wall time of the test, in seconds.
        cpu_seconds: CPU time of the test, in seconds.
        peak_memory_kb: peak resident memory, in KiB.
        error_type: an :class:`~effbench.verdicts.ErrorKind` or the candidate's exception name.
        detail: one human-readable line.
    """

    __test__ = False  # not a pytest class

    test_id: str
    level: int
    verdict: Verdict
    cost: float | None = None
    spread: float = 0.0
    wall_seconds: float = 0.0
    cpu_seconds: float = 0.0
    peak_memory_kb: int = 0
    error_type: str | None = None
    detail: str = ""

    def __post_init__(self) -> None:
        """Coerce the verdict to the enum (a plain string is accepted)."""
        self.verdict = _verdict(self.verdict, f"test {self.test_id}")

    @classmethod
    def from_json(cls, data: Any, what: str = "test") -> TestOutcome:
        """Validate and build a test outcome; raises :class:`RecordFormatError`."""
        _check(isinstance(data, dict), what, "must be a JSON object")
        _require_keys(data, ("test_id", "level", "verdict"), what)
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        _check(not unknown, what, f"unknown field(s) {', '.join(sorted(unknown))}")
        _check(isinstance(data["test_id"], str), f"{what}.test_id", "must be a string")
        _check(isinstance(data["level"], int), f"{what}.level", "must be an integer")
        cost = data.get("cost")
        _check(
            cost is None or _is_amount(cost),
            f"{what}.cost",
            "must be a finite number at least 0, or null",
        )
        for name in ("spread", "wall_seconds", "cpu_seconds", "peak_memory_kb"):
            _check(name not in data or _is_amount(data[name]), f"{what}.{name}", "must be a finite number at least 0")
        for name in ("error_type", "detail"):
            value = data.get(name)
            _check(value is None or isinstance(value, str), f"{what}.{name}", "must be a string or null")
        return cls(**data)


@dataclass
class SampleRecord:
    """Everything measured about one sample; enough for ``effbench score`` to re-score it.

    Raw facts: ``tests`` (in the order they ran; the run stops at the first failing one),
    ``reference_level_costs`` (the expert's largest cost per level, ``r_l``), ``weights`` (``h_l``),
    ``alpha`` (the budget factor the tests were judged at), ``unit`` of every cost, and
    ``unrunnable`` (why a sample had no code to run). The derived fields (``verdict``, ``failed``,
    ``censored_level``, ``level_costs``, ``efficiency``, ``passed``, ``speedup``, ``peak_memory_kb``,
    ``wall_seconds``, ``cpu_seconds``, ``failed_test``, ``error_type``) are written for readers of
    the JSON but recomputed from the facts by :meth:`rescored` (DESIGN.md, "Results").

    ``model`` is the series label that summaries group by (for the refine strategy it is still
    ``<model_name>+refine:r<round>``, the form older files have); ``model_name``, ``strategy``,
    ``chain`` and ``round`` are the fields to use.
    """

    model: str
    problem_id: str
    sample_index: int
    code_sha256: str
    verdict: Verdict
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
    schema: int = SCHEMA_VERSION
    unit: str | None = None
    alpha: float | None = None
    model_name: str | None = None
    strategy: str | None = None
    chain: int | None = None
    round: int | None = None
    unrunnable: str | None = None

    def __post_init__(self) -> None:
        """Coerce the verdict to the enum and fill strategy/chain/round from meta or the label."""
        self.verdict = _verdict(self.verdict, f"sample {self.model}/{self.problem_id}/{self.sample_index}")
        if self.model_name is None:
            self.model_name = self.meta.get("model_name")
        if self.strategy is None:
            self.strategy = self.meta.get("strategy")
        if self.round is None and isinstance(self.meta.get("round"), int):
            self.round = self.meta["round"]
        if self.chain is None and isinstance(self.meta.get("chain"), int):
            self.chain = self.meta["chain"]
        match = _ROUND_LABEL.match(self.model)
        if match:  # the old label form: name+refine:rN
            self.model_name = self.model_name or match["name"]
            self.strategy = self.strategy or match["strategy"]
            if self.round is None:
                self.round = int(match["round"])
            if self.chain is None:
                self.chain = self.sample_index
        if self.model_name is None:
            self.model_name = self.model

    @property
    def key(self) -> tuple[str, str, int]:
        """(series label, problem id, sample index): unique within a run directory."""
        return (self.model, self.problem_id, self.sample_index)

    def to_json(self) -> dict:
        """Plain JSON-able data (verdicts as their strings); always the current schema."""
        data = asdict(self)
        data["schema"] = SCHEMA_VERSION
        return data

    def rescored(self, alpha: float | None = None) -> SampleRecord:
        """This record with every derived field recomputed from its raw facts at ``alpha``.

        ``alpha`` defaults to the record's own (or 2.0 for a version-1 record without one). An
        alpha above the one the tests were run with cannot be honoured (runs stopped at the old
        budget cannot be un-stopped): callers check it (:func:`effbench.summary.summarize`).
        """
        from effbench.scoring import score_sample

        a = alpha if alpha is not None else (self.alpha if self.alpha is not None else 2.0)
        score = score_sample(self.tests, self.reference_level_costs, self.weights, a, unrunnable=self.unrunnable)
        return replace(
            self,
            verdict=score.verdict,
            failed=score.failed,
            censored_level=score.censored_level,
            level_costs=list(score.level_costs),
            efficiency=score.efficiency,
            passed=score.passed,
            speedup=score.speedup,
            peak_memory_kb=score.peak_memory_kb,
            wall_seconds=score.wall_seconds,
            cpu_seconds=score.cpu_seconds,
            failed_test=score.failed_test,
            error_type=score.error_type,
            tests=list(score.tests),
            alpha=a,
        )

    @classmethod
    def from_json(cls, data: Any, what: str = "record") -> SampleRecord:
        """Validate a record of any schema version and build it; raises :class:`RecordFormatError`.

        Derived fields are kept as written; call :meth:`rescored` to recompute them.
        """
        version = _schema_of(data, what)
        data = dict(data)
        _require_keys(
            data,
            ("model", "problem_id", "sample_index", "verdict", "reference_level_costs", "weights", "tests"),
            what,
        )
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        _check(not unknown, what, f"unknown field(s) {', '.join(sorted(unknown))}")
        # the series label and the problem id are rows of every table, Markdown file, page and terminal
        _check(isinstance(data["model"], str), f"{what}.model", "must be a string")
        _check(_is_line(data["model"]), f"{what}.model", "must be one line of printable text")
        _check(isinstance(data["problem_id"], str), f"{what}.problem_id", "must be a string")
        _check(_is_line(data["problem_id"]), f"{what}.problem_id", "must be one line of printable text")
        _check_labels(data, what)
        _check(isinstance(data["sample_index"], int), f"{what}.sample_index", "must be an integer")
        refs, weights = data["reference_level_costs"], data["weights"]
        _check(
            isinstance(refs, list) and refs and all(_is_number(x) and x > 0 for x in refs),
            f"{what}.reference_level_costs",
            "must be a non-empty list of positive numbers",
        )
        _check(
            isinstance(weights, list)
            and len(weights) == len(refs)
            and all(_is_amount(x) for x in weights)
            and sum(weights) > 0,
            f"{what}.weights",
            "must be a list of finite numbers at least 0, one per level, not all 0",
        )
        _check_derived(data, len(refs), what)
        _check(isinstance(data["tests"], list), f"{what}.tests", "must be a list")
        data["tests"] = [TestOutcome.from_json(t, f"{what}.tests[{i}]") for i, t in enumerate(data["tests"])]
        for i, test in enumerate(data["tests"]):
            _check(
                0 <= test.level < len(refs),
                f"{what}.tests[{i}].level",
                f"must be a level of the problem (0..{len(refs) - 1})",
            )
        alpha = data.get("alpha")
        _check(
            alpha is None or (_is_number(alpha) and math.isfinite(alpha) and alpha > 1),
            f"{what}.alpha",
            "must be a finite number above 1",
        )
        data.setdefault("meta", {})
        _check(isinstance(data["meta"], dict), f"{what}.meta", "must be an object")
        _check_meta(data["meta"], f"{what}.meta")
        if version == 1 and not data["tests"] and data.get("error_type") == "NoCode":
            data["unrunnable"] = data["meta"].get("reason", "no code")
        _check(
            data.get("unrunnable") is None or isinstance(data["unrunnable"], str),
            f"{what}.unrunnable",
            "must be a string or null",
        )
        # a sample with code ran at least one test; with none it would pass with nothing measured
        _check(
            bool(data["tests"]) or data.get("unrunnable") is not None,
            f"{what}.tests",
            "is empty for a sample that had code to run (no test ran, so there is nothing to score)",
        )
        data["schema"] = SCHEMA_VERSION
        for name, default in (
            ("code_sha256", ""),
            ("failed", False),
            ("censored_level", None),
            ("level_costs", [None] * len(refs)),
            ("efficiency", 0.0),
            ("passed", False),
            ("speedup", None),
            ("peak_memory_kb", 0),
            ("wall_seconds", 0.0),
            ("cpu_seconds", 0.0),
        ):
            data.setdefault(name, default)
        try:
            return cls(**data)
        except TypeError as exc:
            raise RecordFormatError(f"{what}: {exc}") from None


@dataclass
class ReferenceProfile:
    """The expert's measured costs and answers for one problem, under one meter.

    ``test_costs`` and ``expected`` are keyed by :func:`effbench.problems.input_hash` of each
    test's encoded arguments, so an answer can only ever be used for the input it was computed on
    (DESIGN.md: "expected answers and costs are keyed by the inputs themselves"). Costs are in
    ``unit`` (instructions or ns); ``level_cpu_seconds`` in seconds.
    """

    problem_id: str
    problem_version: str
    meter: str
    unit: str
    level_costs: list[float]
    level_cpu_seconds: list[float]
    test_costs: dict[str, float]
    expected: dict[str, Any] = field(repr=False)
    schema: int = SCHEMA_VERSION

    def to_json(self) -> dict:
        """Plain JSON-able data."""
        return asdict(self)

    @classmethod
    def from_json(cls, data: Any, what: str = "profile") -> ReferenceProfile:
        """Validate and build a profile; raises :class:`RecordFormatError`.

        Version-1 profiles, keyed by test id, are refused: their answers are not tied to inputs.
        """
        version = _schema_of(data, what)
        _check(version >= 2, what, "profile keyed by test id (schema 1): re-measure it")
        _require_keys(data, tuple(f.name for f in fields(cls) if f.name != "schema"), what)
        _check(
            isinstance(data["level_costs"], list) and all(_is_number(x) for x in data["level_costs"]),
            f"{what}.level_costs",
            "must be a list of numbers",
        )
        _check(isinstance(data["expected"], dict), f"{what}.expected", "must be an object keyed by input hash")
        return cls(**data)


#: config.json keys every run directory has (version 1 and later).
_CONFIG_REQUIRED = ("problem_set_hash", "meter", "alpha")


@dataclass
class RunConfig:
    """A run directory's ``config.json``: what was run, where, with which meter and settings.

    The named fields are the ones effbench reads back; ``extra`` keeps every other key (model
    options, sandbox facts...) as written. ``input_seed`` is the secret seed of the generated
    tests (levels >= 1); None in version-1 runs, whose inputs came from the public fixed seed.
    """

    problem_set_hash: str
    meter: str
    alpha: float
    fingerprint: dict[str, Any] = field(default_factory=dict)
    samples_hash: str | None = None
    input_seed: str | None = None
    k: list[int] | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    schema: int = SCHEMA_VERSION

    def to_json(self) -> dict:
        """The config as written to ``config.json`` (``extra`` merged in at the top level)."""
        data = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "extra"}
        return {**self.extra, **data}

    @classmethod
    def from_json(cls, data: Any, what: str = "config.json") -> RunConfig:
        """Validate a config of any schema version; raises :class:`RecordFormatError`."""
        _schema_of(data, what)
        _require_keys(data, _CONFIG_REQUIRED, what)
        alpha = data["alpha"]
        _check(_is_number(alpha) and math.isfinite(alpha) and alpha > 1, f"{what}: alpha", "must be a number above 1")
        _check(isinstance(data["meter"], str), f"{what}: meter", "must be a string")
        _check(isinstance(data["problem_set_hash"], str), f"{what}: problem_set_hash", "must be a string")
        fingerprint = data.get("fingerprint")
        _check(fingerprint is None or isinstance(fingerprint, dict), f"{what}: fingerprint", "must be an object")
        samples_hash = data.get("samples_hash")
        _check(samples_hash is None or isinstance(samples_hash, str), f"{what}: samples_hash", "must be a string")
        k = data.get("k")
        _check(
            k is None or (isinstance(k, list) and all(isinstance(x, int) and x >= 1 for x in k)),
            f"{what}: k",
            "must be a list of positive integers",
        )
        seed = data.get("input_seed")
        _check(seed is None or isinstance(seed, str), f"{what}: input_seed", "must be a string")
        named = {f.name for f in fields(cls)} - {"extra", "schema"}
        return cls(
            **{k2: data[k2] for k2 in named if k2 in data},
            extra={k2: v for k2, v in data.items() if k2 not in named and k2 != "schema"},
        )


@dataclass
class Summary:
    """``summary.json``: pass@k, eff@k, speedup and verdict counts per model and problem.

    ``models`` maps a series label to ``{"overall": {...}, "problems": {pid: {...}}}`` exactly as
    :func:`effbench.summary.summarize` builds it (the layout the README documents).
    """

    alpha: float
    k: list[int]
    models: dict[str, Any]
    schema: int = SCHEMA_VERSION

    def to_json(self) -> dict:
        """Plain JSON-able data."""
        return {"schema": SCHEMA_VERSION, "alpha": self.alpha, "k": list(self.k), "models": self.models}

    @classmethod
    def from_json(cls, data: Any, what: str = "summary.json") -> Summary:
        """Validate a summary of any schema version; raises :class:`RecordFormatError`."""
        _schema_of(data, what)
        _require_keys(data, ("alpha", "k", "models"), what)
        _check(isinstance(data["models"], dict), f"{what}: models", "must be an object")
        for name, model in data["models"].items():
            _check(
                isinstance(model, dict) and "overall" in model and "problems" in model,
                f"{what}: models.{name}",
                "needs 'overall' and 'problems'",
            )
        return cls(data["alpha"], list(data["k"]), data["models"])


__all__ = [
    "SCHEMA_VERSION",
    "RecordFormatError",
    "ReferenceProfile",
    "RunConfig",
    "SampleRecord",
    "Summary",
    "TestOutcome",
]
