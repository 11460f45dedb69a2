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
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from effbench.errors import ProblemError, ProblemFormatError
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


def task_id_of(row: dict, where: str) -> str:
    """The row's published task id, as text; RowError when missing."""
    value = row.get("task_id")
    if isinstance(value, bool) or value is None or not isinstance(value, (str, int)) or not str(value).strip():
        raise RowError(f"{where}: missing column task_id")
    return str(value).strip()


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
    data = json.dumps({"row": row, "extra": extra}, sort_keys=True, default=repr)
    return hashlib.sha256(data.encode()).hexdigest()[:16]


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
                raise ProblemError(f"{self.where}: skipped: its input_generator, with this run's seed, {exc}") from None
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
    failures: dict[str, str] = {}

    def done(_job: GeneratorJob, _outcome: object) -> None:
        if progress:
            progress()

    outcomes = run_generators([p.job for p in todo], limits, progress=done)  # type: ignore[misc]
    for p, outcome in zip(todo, outcomes):
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
            failures[p.id] = f"{p.where}: skipped: its input_generator {kind}: {outcome.why or 'no inputs'}"
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
