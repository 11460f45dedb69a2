"""The ENAMEL format: one row per problem with the columns

``task_id, prompt, entry_point, input_generator, input_levels, reference_solution, checker``.

- ``input_generator`` is code that defines ``generate_input(size, lid, cid)`` returning the
  argument tuple of one call. It runs on the host with ``random`` seeded per test, in a scope that
  holds the helpers of the published ``enam`` package (``enam.datautils``) when it is installed.
- ``input_levels`` is a space-separated list of sizes, one per level.
- ``reference_solution`` is the expert's code (with the prompt prepended when it does not define
  the entry point itself).
- ``checker`` is code that defines ``__check(__input, __answer, __output) -> bool``; it runs on the
  host on plain data, never in the candidate's process.

Defaults follow the format's published evaluation: hardness weights 0, 3, 3, 4 and 8, 4, 4, 4
tests per level.
"""

from __future__ import annotations

import math
import random
import string
import time
from typing import Any

from effbench.errors import ProblemFormatError
from effbench.importers.common import make_problem, require_columns, row_hash, safe_id
from effbench.problems import Level, Problem, TestCase

COLUMNS = ("task_id", "prompt", "entry_point", "input_generator", "input_levels", "reference_solution", "checker")
HARDNESS = (0.0, 3.0, 3.0, 4.0)
TESTS_PER_LEVEL = (8, 4, 4, 4)


def _helper_scope() -> dict[str, Any]:
    scope: dict[str, Any] = {"random": random, "math": math, "string": string, "time": time}
    try:
        from enam import datautils  # the format's published helper module, when installed

        scope.update({k: v for k, v in vars(datautils).items() if not k.startswith("__")})
    except ImportError:
        pass
    return scope


def _generate(row: dict, where: str, sizes: list[int], counts: tuple[int, ...]) -> list[list[TestCase]]:
    code = row["prompt"] + "\n" + row["input_generator"]
    levels = []
    for lid, size in enumerate(sizes):
        tests = []
        for cid in range(counts[lid]):
            scope = _helper_scope()
            rng_state = random.getstate()
            random.seed(f"{row['task_id']}/{lid}/{cid}")
            try:
                exec(compile(code, f"{where}:input_generator", "exec"), scope)  # noqa: S102 - benchmark code
                args = scope["generate_input"](size=size, lid=lid, cid=cid)
            except Exception as exc:  # noqa: BLE001
                raise ProblemFormatError(
                    f"{where}: input_generator fails at level {lid}: {type(exc).__name__}: {exc}"
                ) from None
            finally:
                random.setstate(rng_state)
            if not isinstance(args, (list, tuple)):
                raise ProblemFormatError(f"{where}: generate_input must return a tuple of arguments")
            tests.append(TestCase(f"L{lid}.g{cid}", lid, list(args)))
        levels.append(tests)
    return levels


def _checker(row: dict, where: str):  # noqa: ANN202 - a callable (args, expected, actual) -> bool
    scope: dict[str, Any] = {}
    try:
        exec(compile(row["prompt"] + "\n    pass\n" + row["checker"], f"{where}:checker", "exec"), scope)  # noqa: S102
    except Exception as exc:  # noqa: BLE001
        raise ProblemFormatError(f"{where}: checker does not load: {type(exc).__name__}: {exc}") from None
    check = scope.get("__check")
    if not callable(check):
        raise ProblemFormatError(f"{where}: checker must define __check(__input, __answer, __output)")
    return lambda args, expected, actual: bool(check(tuple(args or ()), expected, actual))


def problem_from_row(row: dict, where: str, hardness=HARDNESS, counts=TESTS_PER_LEVEL) -> Problem:  # noqa: ANN001
    require_columns(row, COLUMNS, where)
    try:
        sizes = [int(x) for x in str(row["input_levels"]).split()]
    except ValueError:
        raise ProblemFormatError(f"{where}: input_levels must be space-separated integers") from None
    if len(sizes) != len(hardness) or len(counts) != len(hardness):
        raise ProblemFormatError(f"{where}: {len(sizes)} input levels but {len(hardness)} hardness weights")
    entry = str(row["entry_point"])
    expert = str(row["reference_solution"])
    if f"def {entry}(" not in expert:
        expert = row["prompt"] + "\n" + expert
    return make_problem(
        pid=safe_id(row["task_id"]),
        title=str(row["task_id"]),
        source="enamel",
        entry_point=entry,
        prompt=str(row["prompt"]),
        references={"expert": expert},
        levels=[Level(i, s, float(h), counts[i]) for i, (s, h) in enumerate(zip(sizes, hardness))],
        generated=_generate(row, where, sizes, counts),
        checker="custom",
        custom_check=_checker(row, where),
        version=row_hash(row, [list(hardness), list(counts)]),
    )


def problems_from_rows(rows: list[dict], where: str) -> list[Problem]:
    return [problem_from_row(row, f"{where}: row {i} ({row.get('task_id')})") for i, row in enumerate(rows)]
