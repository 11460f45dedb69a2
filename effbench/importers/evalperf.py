"""The EvalPerf format.

The EvalPerf format: one row per task with ``task_id, entry_point, prompt, reference, pe_input``
and optionally ``scores`` (other columns are ignored).

- ``reference`` is a list of solutions ordered from slow to fast (or its JSON / Python-literal
  text): the last is the expert, the others become slower tiers ``ref0, ref1, ...`` (``ref0`` the
  slowest), as the format's own evaluator reads them (it profiles them back to front).
- ``pe_input`` holds the performance-exercising inputs: a list (or its JSON / Python-literal text,
  the published file stores JSON text) of argument lists. They form one level of weight 1: a run
  censored there fails, as in the format's own evaluation. The expert's output on each is the
  expected answer (``exact`` checker).
- ``scores`` (one per reference, the format's DPS weights) is not used: effbench reports eff@k.
"""

from __future__ import annotations

import ast
import json
from typing import Any

from effbench.importers.common import (
    ImportedProblem,
    RowError,
    defines,
    make_problem,
    parse_module,
    row_hash,
    task_id_of,
    text,
)
from effbench.problems import Level, TestCase

COLUMNS = ("task_id", "entry_point", "prompt", "reference", "pe_input")


def _parse(value: Any, where: str, column: str) -> Any:
    if value is None or (isinstance(value, str) and not value.strip()):
        raise RowError(f"{where}: missing column {column}")
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except (ValueError, RecursionError):
        pass
    try:
        return ast.literal_eval(value)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        raise RowError(f"{where}: {column} is neither JSON nor a Python literal") from None


def problem_from_row(row: dict, index: int, where: str) -> ImportedProblem:
    """One row -> a problem with its performance-exercising inputs; RowError if unusable."""
    if not isinstance(row, dict):
        raise RowError(f"{where}: not a row of columns")
    pid = task_id_of(row, where)
    entry = text(row, "entry_point", where).strip()
    if not entry.isidentifier():
        raise RowError(f"{where}: entry_point {entry[:40]!r} is not a Python identifier")
    prompt = text(row, "prompt", where)
    refs = _parse(row.get("reference"), where, "reference")
    if not isinstance(refs, list | tuple) or not refs or not all(isinstance(r, str) for r in refs):
        raise RowError(f"{where}: reference must be a non-empty list of solutions (slow to fast)")
    for i, code in enumerate(refs):
        if not defines(parse_module(code, where, f"reference[{i}]"), entry):
            raise RowError(f"{where}: reference[{i}] does not define {entry}()")
    inputs = _parse(row.get("pe_input"), where, "pe_input")
    if not isinstance(inputs, list | tuple) or not inputs or not all(isinstance(a, list | tuple) for a in inputs):
        raise RowError(f"{where}: pe_input must be a non-empty list of argument lists")
    references = {"expert": refs[-1]} | {f"ref{i}": code for i, code in enumerate(refs[:-1])}
    tests = [[TestCase(f"L0.pe{i}", 0, list(args)) for i, args in enumerate(inputs)]]
    return make_problem(
        pid=pid,
        source="evalperf",
        entry_point=entry,
        prompt=prompt,
        references=references,
        levels=[Level(0, 0, 1.0, len(inputs))],
        generated=tests,
        version=row_hash({c: row.get(c) for c in COLUMNS}),
        row_index=index,
        where=where,
    )
