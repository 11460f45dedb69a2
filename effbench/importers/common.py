"""What both importers share: rows that become problems, rows that are skipped, and the set.

A row is imported under its published task id (``HumanEval/0``): samples written with the
benchmark's own ids are accepted, and tables show them. A row that cannot be imported is skipped
with one line naming it and why (:class:`RowError`); the command fails (exit 2) only when the user
named that row explicitly or when no row is usable.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from effbench.errors import ProblemError, ProblemFormatError
from effbench.hostcode import HostCodeTimeout, call_bounded
from effbench.importers.generate import GeneratorJob, GeneratorLimits, GeneratorOutcome, run_generators
from effbench.problems import Level, Problem, ProblemSet, TestCase

Warn = Callable[[str], None]


class RowError(ProblemFormatError):
    """A row of a published file that cannot be imported; the message names the row and why."""


def text(row: dict, column: str, where: str, *, required: bool = True) -> str:
    """A column that must be non-empty text."""
    value = row.get(column)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise RowError(f"{where}: missing column {column}")
        return ""
    if not isinstance(value, str):
        raise RowError(f"{where}: column {column} must be text, not {type(value).__name__}")
    return value


def one_line(text: str) -> str:
    r"""``text`` as one line of printable text: every other character as its Python escape.

    A newline, an escape sequence or another control or format character becomes ``\n``,
    ``\x1b``...: it can neither move the cursor, colour or clear a terminal, nor split a message
    or a table row.
    """
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def json_loads(text: str) -> Any:
    """``json.loads(text)``, integers of any length included (Python's int() stops at 4300 digits).

    Raises ValueError (or RecursionError) as :func:`json.loads` does for text that is not JSON.
    """
    try:
        return json.loads(text)
    except ValueError as exc:
        if "digits" not in str(exc):
            raise
    from effbench.checkers import big_int

    return json.loads(text, parse_int=big_int)


#: the most digits of a task id given as a number (a longer one is no id: it is refused, not printed)
MAX_ID_DIGITS = 60


def id_text(value: Any) -> str:
    """A task id column's value as text, stripped; "" when it is no id.

    No id: missing, neither text nor an int, a bool, or a number of more than
    :data:`MAX_ID_DIGITS` digits.
    """
    if isinstance(value, bool) or not isinstance(value, str | int):
        return ""
    if isinstance(value, int) and abs(value) >= 10**MAX_ID_DIGITS:
        return ""
    return str(value).strip()


def task_id_of(row: dict, where: str) -> str:
    """The row's published task id, as text; RowError when missing or not one line of printable text.

    The id is a row of every table, Markdown and HTML page and of every message: a control or
    format character (newline, escape, a bidirectional override) would split or garble them.
    """
    pid = id_text(row.get("task_id"))
    if not pid:
        raise RowError(f"{where}: missing column task_id")
    if not pid.isprintable():
        raise RowError(f"{where}: task_id {pid[:60]!r} is not one line of printable text")
    return pid


def parse_module(code: str, where: str, what: str) -> ast.Module:
    """Python source -> its AST; RowError on a syntax error."""
    try:
        return ast.parse(code)
    except (SyntaxError, ValueError) as exc:  # ValueError: NUL bytes
        line = getattr(exc, "lineno", None)
        raise RowError(f"{where}: {what} is not valid Python{f' (line {line})' if line else ''}: {exc}") from None


def defines(tree: ast.Module, name: str) -> bool:
    """Does the module define a function ``name`` at top level?"""
    return any(isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef) and n.name == name for n in tree.body)


def row_hash(row: dict, extra: Any = None) -> str:
    """Content hash of a row (and settings that change its problem): the problem's version."""
    try:
        data = json.dumps({"row": row, "extra": extra}, sort_keys=True, default=repr)
    except ValueError:  # an integer past int()'s 4300 digits: written in hex, which has no limit
        data = json.dumps({"row": _hex_ints(row), "extra": extra}, sort_keys=True, default=repr)
    return hashlib.sha256(data.encode()).hexdigest()[:16]


def _hex_ints(value: Any) -> Any:
    """``value`` with every int written as a hex string tagged ``int`` (lists, tuples and dicts walked)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return {"int": hex(value)}
    if isinstance(value, list | tuple):
        return [_hex_ints(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _hex_ints(v) for k, v in value.items()}
    return value


class CheckerNotLoaded(Exception):  # noqa: N818 - reads as what happened
    """A format's checker that cannot be loaded; the message says why (a problem error when raised)."""


class HostChecker:
    """A format's checker module, loaded into this process on first use: ``(args, expected, actual) -> bool``.

    A format's checker judges answers on the host, on real Python values (:func:`checkers.wants_python_values`).
    Its module-level code is never run here before it ran in the generator's limited child
    (``probe``: the row's checker-only :class:`GeneratorJob`, whose outcome is cached): a checker
    that loops, allocates without bound, calls ``os._exit`` or forks is refused there, so parsing a
    file never runs a row's code in effbench's process. Here it then runs bounded in time
    (:func:`effbench.hostcode.call_bounded`); a process it forks ends as soon as the fork returns to
    effbench's code. ``__check`` is called with the call's arguments as a tuple, as the format does.

    Raises (when called) :class:`CheckerNotLoaded` when the checker failed in the child or here,
    and what ``__check`` raises.
    """

    effbench_python_values = True

    def __init__(self, source: str, filename: str, probe: GeneratorJob) -> None:
        """``source``: the checker's module (the prompt, ``pass``, the checker); ``filename``: for tracebacks."""
        self.source, self.filename, self.probe = source, filename, probe
        self._lock = threading.Lock()
        self._check: Callable[..., Any] | None = None
        self._error = ""

    def __getstate__(self) -> dict:
        """What travels to another process (a Ray worker): the source, never the loaded module."""
        return {"source": self.source, "filename": self.filename, "probe": self.probe}

    def __setstate__(self, state: dict) -> None:
        """Rebuilt from :meth:`__getstate__`: loaded again on first use."""
        self.__init__(**state)  # type: ignore[misc]

    def _load(self) -> Callable[..., Any]:
        with self._lock:
            if self._check is None and not self._error:
                outcome = run_generators([self.probe])[0]
                if not outcome.ok:
                    self._error = f"the checker does not load: {outcome.why or outcome.kind}"
                else:
                    try:
                        scope: dict[str, Any] = {}
                        code = compile(self.source, self.filename, "exec")
                        _in_this_process(lambda: call_bounded(lambda: exec(code, scope)))  # noqa: S102
                        if not callable(scope.get("__check")):
                            raise TypeError("__check is not a function")
                        self._check = scope["__check"]
                    except HostCodeTimeout as exc:
                        self._error = f"the checker does not load: its module-level code {exc}"
                    except (Exception, SystemExit) as exc:  # noqa: BLE001 - benchmark code
                        self._error = f"the checker does not load: {type(exc).__name__}: {str(exc)[:200]}"
            if self._error:
                raise CheckerNotLoaded(one_line(self._error))
            assert self._check is not None
            return self._check

    def __call__(self, args: list, expected: Any, actual: Any) -> bool:
        """The checker's verdict on ``actual`` (the expert's answer ``expected``, the call's ``args``)."""
        check = self._load()
        return bool(_in_this_process(lambda: check(tuple(args), expected, actual)))


def _in_this_process(fn: Callable[[], Any]) -> Any:
    """``fn()``; a process it forked, once back here, ends at once (it never runs effbench's code)."""
    pid = os.getpid()
    try:
        return fn()
    finally:
        if os.getpid() != pid:
            os._exit(0)


@dataclass
class ImportedProblem(Problem):
    """A problem imported from a row of a published file.

    A problem imported from a row. ``job`` generates its tests (ENAMEL) when they are first
    needed, from the format's public seeds; ``make_job(seed)`` the job for a run's secret input
    seed (levels >= 1, DESIGN.md); ``row_index`` is its position in the file; ``where`` names it
    in messages.
    """

    job: GeneratorJob | None = field(default=None, repr=False)
    counts: tuple[int, ...] = ()
    row_index: int = 0
    where: str = ""
    #: generated inputs not read yet (in the cache): read on first use
    inputs: GeneratorOutcome | None = field(default=None, repr=False)
    make_job: Callable[[str], GeneratorJob] | None = field(default=None, repr=False)
    #: tests generated from a run's secret seed, by seed
    seeded_tests: dict[str, list[list[TestCase]]] = field(default_factory=dict, repr=False)

    @property
    def needs_inputs(self) -> bool:
        """True until the inputs are generated (or found in the cache)."""
        return self.generated_tests is None and self.inputs is None and self.job is not None

    def level_tests(self, level: int, seed: str | None = None) -> list[TestCase]:
        """Tests of one level, generated on first use.

        Tests of one level. With a run's ``seed``, levels >= 1 are generated from it (in the
        limited subprocess, cached); a generator that fails then raises ProblemError (the run
        skips that problem). Level 0, and every level without a seed, use the public seeds.
        """
        if seed is not None and level > 0 and self.make_job is not None:
            return self._seeded(seed)[level]
        if self.generated_tests is None and self.inputs is not None:
            try:
                self.generated_tests = _as_tests(self.inputs.load(), self.counts)
            except (OSError, ValueError):
                self.inputs = None  # unreadable: generate again
        if self.generated_tests is None:
            failure = generate_tests([self])
            if failure:
                raise RowError(failure[self.id])
            if self.generated_tests is None and self.inputs is not None:
                self.generated_tests = _as_tests(self.inputs.load(), self.counts)
        assert self.generated_tests is not None
        return self.generated_tests[level]

    def _seeded(self, seed: str) -> list[list[TestCase]]:
        if seed not in self.seeded_tests:
            assert self.make_job is not None
            outcome = run_generators([self.make_job(seed)])[0]
            try:
                if not outcome.ok:
                    raise ValueError(f"{_KINDS.get(outcome.kind, 'fails')}: {outcome.why or 'no inputs'}")
                self.seeded_tests[seed] = _as_tests(outcome.load(), self.counts)
            except (OSError, ValueError) as exc:
                raise ProblemError(
                    one_line(f"{self.where}: skipped: its input_generator, with this run's seed, {exc}")
                ) from None
        return self.seeded_tests[seed]

    def check_input(self, args: list) -> None:
        """No input constraints: the format has none of its own."""
        return None  # the format has no input constraints of its own


_KINDS = {"timeout": "exceeds the time limit", "memory": "exceeds the memory limit"}


def _as_tests(levels: list[list[list]], counts: tuple[int, ...]) -> list[list[TestCase]]:
    """Generated argument lists -> test cases; ValueError when they do not match the levels."""
    if [len(t) for t in levels] != list(counts) or not all(isinstance(a, list) for t in levels for a in t):
        raise ValueError("generated inputs do not match the levels")
    return [
        [TestCase(f"L{lid}.g{cid}", lid, list(args)) for cid, args in enumerate(tests)]
        for lid, tests in enumerate(levels)
    ]


def make_problem(
    *,
    pid: str,
    source: str,
    entry_point: str,
    prompt: str,
    references: dict[str, str],
    levels: list[Level],
    generated: list[list[TestCase]] | None,
    version: str,
    row_index: int,
    where: str,
    checker: str = "exact",
    custom_check: Any = None,
    job: GeneratorJob | None = None,
    make_job: Callable[[str], GeneratorJob] | None = None,
    code_prefix: str = "",
) -> ImportedProblem:
    """An ImportedProblem with the fields every imported problem shares."""
    return ImportedProblem(
        id=pid,
        title=pid,
        category="imported",
        complexity="?",
        entry_point=entry_point,
        prompt=prompt,
        checker=checker,
        tolerance=1e-6,
        levels=levels,
        tests=[],
        directory=None,  # type: ignore[arg-type]
        reference_dir=None,  # type: ignore[arg-type]
        references=references,
        source=source,
        generated_tests=generated,
        custom_check=custom_check,
        code_prefix=code_prefix,
        version=version,
        job=job,
        make_job=make_job,
        counts=tuple(lv.tests for lv in levels),
        row_index=row_index,
        where=where,
    )


def generate_tests(
    problems: Sequence[ImportedProblem],
    limits: GeneratorLimits | None = None,
    progress: Callable[[], None] | None = None,
) -> dict[str, str]:
    """Generate the tests of every problem that has none yet.

    Generate the tests of every problem that has none yet (in a subprocess, under limits,
    cached). Returns ``{problem id: one-line reason}`` for those whose generator failed.
    """
    todo = [p for p in problems if p.needs_inputs]
    probed = [p for p in problems if isinstance(p.custom_check, HostChecker)]
    failures: dict[str, str] = {}

    def done(job: GeneratorJob, _outcome: object) -> None:
        if progress and job.counts:  # a checker's probe is no problem of the bar
            progress()

    jobs = [p.job for p in todo] + [p.custom_check.probe for p in probed]  # type: ignore[union-attr]
    outcomes = run_generators(jobs, limits, progress=done)  # type: ignore[arg-type]
    for p, outcome in zip(probed, outcomes[len(todo) :]):
        if not outcome.ok:
            failures[p.id] = one_line(f"{p.where}: skipped: its checker does not load: {outcome.why or outcome.kind}")
    for p, outcome in zip(todo, outcomes):
        if p.id in failures:
            continue
        if outcome.ok and outcome.levels is not None:
            try:
                p.generated_tests = _as_tests(outcome.levels, p.counts)
                continue
            except ValueError as exc:
                outcome = GeneratorOutcome(False, None, "error", str(exc))
        if outcome.ok:
            p.inputs = outcome  # in the cache: read on first use
        else:
            kind = _KINDS.get(outcome.kind, "fails")
            failures[p.id] = one_line(f"{p.where}: skipped: its input_generator {kind}: {outcome.why or 'no inputs'}")
    return failures


@dataclass
class ImportedSet(ProblemSet):
    """The usable rows of a published file, and why each other row was skipped.

    The usable rows of a published file. ``skipped`` holds, for each row that is not usable,
    the one line saying why; asking for such a row by id raises that line.
    """

    skipped: dict[str, str] = field(default_factory=dict)
    #: named selections (``@name``) of this format: name -> ids in the file
    selections: dict[str, list[str]] = field(default_factory=dict)
    #: the prompt of each skipped row that has one (completions in samples files continue it)
    skipped_prompts: dict[str, str] = field(default_factory=dict)
    #: why each skipped row that has no usable task id (or a duplicate one) was skipped
    skipped_rows: list[str] = field(default_factory=list)

    def with_skipped(self) -> ProblemSet:
        """This set plus a stand-in for each skipped row, for reading samples files.

        This set plus a stand-in (its prompt only) for each skipped row that has a task id: for
        reading samples files, whose samples of skipped rows are then dropped, not refused.
        """
        stand_ins = {
            pid: make_problem(
                pid=pid,
                source="skipped",
                entry_point="",
                prompt=self.skipped_prompts.get(pid, ""),
                references={},
                levels=[],
                generated=[],
                version="",
                row_index=-1,
                where=why,
            )
            for pid, why in self.skipped.items()
        }
        return ProblemSet(self.name, self.version, {**stand_ins, **self.problems})

    def get(self, problem_id: str) -> Problem:
        """The problem ``problem_id``; raises RowError (why) for a skipped row."""
        if problem_id in self.skipped:
            raise RowError(self.skipped[problem_id])
        return super().get(problem_id)

    def expand(self, ids: Sequence[str] | None) -> list[str] | None:
        """Ids with each named selection replaced by its ids.

        Ids with each named selection ``@name`` replaced by its usable ids (in the file); an id
        named literally stays, so that asking for a skipped row says why it was skipped.
        """
        if not ids:
            return None
        out: list[str] = []
        for pid in ids:
            if pid.startswith("@"):
                name = pid[1:]
                if name not in self.selections:
                    known = ", ".join(f"@{n}" for n in self.selections) or "none for this format"
                    raise ProblemFormatError(f"--problems {pid}: unknown named selection (known: {known})")
                if not self.selections[name]:
                    raise ProblemFormatError(f"--problems {pid}: none of its task ids is in {self.name}")
                # rows of a selection that are skipped were already reported: left out here
                out += [i for i in self.selections[name] if i not in out and i not in self.skipped]
            elif pid not in out:
                out.append(pid)
        return out

    def select(self, ids: list[str] | None) -> list[Problem]:
        """Problems by id or named selection (all usable ones when ``ids`` is empty)."""
        expanded = self.expand(ids)
        if expanded is None:
            return [self.problems[k] for k in sorted(self.problems, key=_natural)]
        return [self.get(i) for i in expanded]

    def generate(
        self,
        ids: Sequence[str] | None,
        explicit: Sequence[str] = (),
        warn: Warn | None = None,
        limits: GeneratorLimits | None = None,
    ) -> list[str]:
        """Generate the inputs of the selected problems, skipping those that fail.

        Generate the inputs of the selected problems (all by default). A problem whose
        generator fails is skipped with a warning, or raises RowError when its id is in
        ``explicit``; returns the ids that are usable. Raises ProblemFormatError when none is.
        """
        selected = [p for p in self.select(list(ids) if ids else None) if isinstance(p, ImportedProblem)]
        bar = _bar(sum(p.needs_inputs for p in selected))
        try:
            failures = generate_tests(selected, limits, progress=bar.update if bar else None)
        finally:
            if bar:
                bar.close()
        for pid, why in failures.items():
            self.skipped[pid] = why
            self.problems.pop(pid, None)
        named = [pid for pid in explicit if pid in failures]
        if named:
            raise RowError(failures[named[0]])
        for why in failures.values():
            (warn or _stderr)(f"warning: {why}")
        usable = [p.id for p in selected if p.id not in failures]
        if not usable:
            raise ProblemFormatError(f"{self.name}: no usable problem ({len(failures)} skipped)")
        return usable


def _natural(pid: str) -> tuple:
    """Sort key: 'HumanEval/10' after 'HumanEval/9'."""
    import re

    return tuple(int(t) if t.isdigit() else t for t in re.split(r"(\d+)", pid))


def _bar(total: int):  # noqa: ANN202 - a tqdm bar, or None
    if total < 2:
        return None
    import sys

    from tqdm import tqdm

    return tqdm(
        total=total, desc="generating inputs", unit="problem", file=sys.stderr, dynamic_ncols=True, disable=None
    )


def _stderr(message: str) -> None:
    import sys

    print(f"effbench: {message}", file=sys.stderr)
