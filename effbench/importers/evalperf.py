"""The EvalPerf format.

The EvalPerf format: one row per task with ``task_id, entry_point, prompt, reference, pe_input``
and optionally ``scores`` (other columns are ignored).

- ``reference`` is a list of solutions ordered from slow to fast (or its JSON / Python-literal
  text): the last is the expert, the others become slower tiers ``ref0, ref1, ...`` (``ref0`` the
  slowest), as the format's own evaluator reads them (it profiles them back to front).
- ``pe_input`` holds the performance-exercising inputs: a list (or its JSON / Python-literal text,
  the published file stores JSON text) of argument lists. They form one level of weight 1: a run
  censored there fails, as in the format's own evaluation. The expert's output on each is the
  expected answer, compared as the format's evaluator (EvalPlus) compares answers
  (:func:`evalplus_equal`): Python ``==``, and floats within a tolerance.
- ``scores`` (one per reference, the format's DPS weights) is not used: effbench reports eff@k.
"""

from __future__ import annotations

import ast
import math
from typing import Any

from effbench import checkers
from effbench.importers.common import (
    ImportedProblem,
    RowError,
    defines,
    json_loads,
    make_problem,
    parse_module,
    row_hash,
    task_id_of,
    text,
)
from effbench.problems import Level, TestCase

COLUMNS = ("task_id", "entry_point", "prompt", "reference", "pe_input")
#: EvalPlus's float tolerance where a task sets none: ``numpy.testing.assert_allclose`` with this
#: ``atol`` and its default ``rtol``
FLOAT_ATOL = 1e-6
FLOAT_RTOL = 1e-7
#: bumped when the meaning of a row changes (the problem's version): 2, EvalPlus's equality
SEMANTICS = 2


def _is_floats(value: Any) -> bool:
    """EvalPlus's test for a float answer: a float, or a list or tuple whose items are all floats."""
    if isinstance(value, float):
        return True
    return isinstance(value, list | tuple) and all(isinstance(v, float) for v in value)


def _close(actual: Any, expected: float) -> bool:
    """``|actual - expected| <= atol + rtol * |expected|`` for a real number ``actual``; NaN equals NaN."""
    if not isinstance(actual, int | float):  # bool is an int, as numpy takes it
        return False
    try:
        a = float(actual)
    except OverflowError:  # an int past the float range
        return False
    if math.isnan(a) or math.isnan(expected):
        return math.isnan(a) and math.isnan(expected)
    if math.isinf(a) or math.isinf(expected):
        return a == expected
    return abs(a - expected) <= FLOAT_ATOL + FLOAT_RTOL * abs(expected)


def evalplus_equal(args: list, expected: Any, actual: Any) -> bool:
    """Does ``actual`` answer like ``expected``, as EvalPlus (the format's evaluator) judges it?

    ``actual == expected`` (Python equality on the real values: a tuple is not a list, ``1 == 1.0``),
    or, when ``expected`` is a float or a list or tuple of floats, every number within
    :data:`FLOAT_ATOL` + :data:`FLOAT_RTOL` x ``|expected|`` of it (NaN matching NaN), items in the
    same number (numpy's broadcast of one number against a list is not reproduced). ``args``
    (the call's arguments) is not used.
    """
    if actual == expected:
        return True
    if isinstance(expected, float):
        return _close(actual, expected)
    if not _is_floats(expected) or not isinstance(actual, list | tuple) or len(actual) != len(expected):
        return False
    return all(_close(a, e) for a, e in zip(actual, expected))


_EVALPLUS_EQUAL = checkers.wants_python_values(evalplus_equal)


def _parse(value: Any, where: str, column: str) -> Any:
    if value is None or (isinstance(value, str) and not value.strip()):
        raise RowError(f"{where}: missing column {column}")
    if not isinstance(value, str):
        return value
    try:
        return json_loads(value)
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
        checker="custom",
        custom_check=_EVALPLUS_EQUAL,
        version=row_hash({c: row.get(c) for c in COLUMNS}, SEMANTICS),
        row_index=index,
        where=where,
    )
