"""What both importers share: turning a row into a Problem with pre-generated tests."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from effbench.errors import ProblemFormatError
from effbench.problems import Level, Problem, TestCase


def require_columns(row: dict, columns: tuple[str, ...], where: str) -> None:
    missing = [c for c in columns if row.get(c) in (None, "")]
    if missing:
        raise ProblemFormatError(f"{where}: missing column(s) {', '.join(missing)}")


def safe_id(task_id: Any) -> str:
    """A problem id usable on the command line: 'HumanEval/12' -> 'humaneval_12'."""
    return re.sub(r"[^a-z0-9_]+", "_", str(task_id).lower()).strip("_") or "task"


def row_hash(row: dict, extra: Any = None) -> str:
    data = json.dumps({"row": row, "extra": extra}, sort_keys=True, default=str)
    return hashlib.sha256(data.encode()).hexdigest()[:16]


def make_problem(
    *,
    pid: str,
    title: str,
    source: str,
    entry_point: str,
    prompt: str,
    references: dict[str, str],
    levels: list[Level],
    generated: list[list[TestCase]],
    checker: str = "exact",
    custom_check: Any = None,
    version: str,
) -> Problem:
    return Problem(
        id=pid,
        title=title,
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
    )
