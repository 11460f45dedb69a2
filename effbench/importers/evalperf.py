"""The EvalPerf format: one row per task with ``task_id, entry_point, prompt, reference, pe_input``
and optionally ``scores``.

- ``reference`` is a list of solutions ordered from slow to fast: the last is the expert, the
  others become slower tiers ``ref0, ref1, ...``.
- ``pe_input`` holds the performance-exercising inputs: a list (or its JSON / Python-literal text)
  of argument lists. They form one level of weight 1: a run censored there fails, as in the
  format's own evaluation.
- ``scores`` (one per reference) is kept in the problem's metadata, not used for scoring.
"""

from __future__ import annotations

import ast
import json
from typing import Any

from effbench.errors import ProblemFormatError
from effbench.importers.common import make_problem, require_columns, row_hash, safe_id
from effbench.problems import Level, Problem, TestCase

COLUMNS = ("task_id", "entry_point", "prompt", "reference", "pe_input")


def _parse(value: Any, where: str, column: str) -> Any:
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except ValueError:
        pass
    try:
        return ast.literal_eval(value)
    except (ValueError, SyntaxError):
        raise ProblemFormatError(f"{where}: {column} is neither JSON nor a Python literal") from None


def problem_from_row(row: dict, where: str) -> Problem:
    require_columns(row, COLUMNS, where)
    refs = _parse(row["reference"], where, "reference")
    if not isinstance(refs, list) or not refs or not all(isinstance(r, str) for r in refs):
        raise ProblemFormatError(f"{where}: reference must be a non-empty list of solutions (slow to fast)")
    inputs = _parse(row["pe_input"], where, "pe_input")
    if not isinstance(inputs, list) or not inputs or not all(isinstance(a, (list, tuple)) for a in inputs):
        raise ProblemFormatError(f"{where}: pe_input must be a non-empty list of argument lists")
    references = {"expert": refs[-1]} | {f"ref{i}": code for i, code in enumerate(refs[:-1])}
    tests = [[TestCase(f"L0.pe{i}", 0, list(args)) for i, args in enumerate(inputs)]]
    return make_problem(
        pid=safe_id(row["task_id"]),
        title=str(row["task_id"]),
        source="evalperf",
        entry_point=str(row["entry_point"]),
        prompt=str(row["prompt"]),
        references=references,
        levels=[Level(0, 0, 1.0, len(inputs))],
        generated=tests,
        version=row_hash(row),
    )


def problems_from_rows(rows: list[dict], where: str) -> list[Problem]:
    return [problem_from_row(row, f"{where}: row {i} ({row.get('task_id')})") for i, row in enumerate(rows)]
