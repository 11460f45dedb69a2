"""Candidate samples: JSONL files and the bundled reference tiers, validated before anything runs.

A line is ``{"task_id": ..., "solution": <full code>}`` or, HumanEval-style,
``{"task_id": ..., "completion": <body that continues the prompt>}``; ``"model"`` is optional
(default: the file's stem). Errors name the file and line.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from effbench.errors import SampleFileError
from effbench.problems import EXPERT, ProblemSet


@dataclass(frozen=True)
class Sample:
    model: str
    problem_id: str
    index: int
    code: str | None  # None: nothing to run (the reason is in meta["extraction"])
    origin: str = ""
    meta: dict = field(default_factory=dict, compare=False)


def _code_of(entry: dict, prompt: str, where: str) -> str:
    has_solution, has_completion = "solution" in entry, "completion" in entry
    if has_solution == has_completion:
        raise SampleFileError(f"{where}: needs exactly one of 'solution' or 'completion'")
    key = "solution" if has_solution else "completion"
    if not isinstance(entry[key], str):
        raise SampleFileError(f"{where}: '{key}' must be a string")
    return entry[key] if has_solution else prompt + entry[key]


def load_samples_file(path: Path, problems: ProblemSet, model: str | None = None) -> list[Sample]:
    """Read and validate a JSONL file; raises SampleFileError on the first bad line."""
    if not path.is_file():
        raise SampleFileError(f"{path}: no such file")
    counters: dict[tuple[str, str], int] = defaultdict(int)
    out: list[Sample] = []
    with path.open(encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            where = f"{path}:{lineno}"
            if not line.strip():
                continue
            try:
                entry = json.loads(line)
            except json.JSONDecodeError as exc:
                raise SampleFileError(f"{where}: invalid JSON: {exc.msg}") from None
            if not isinstance(entry, dict):
                raise SampleFileError(f"{where}: each line must be a JSON object")
            task_id = entry.get("task_id")
            if not isinstance(task_id, str):
                raise SampleFileError(f"{where}: missing field 'task_id'")
            if task_id not in problems.problems:
                raise SampleFileError(f"{where}: unknown task_id {task_id!r} (see `effbench problems list`)")
            name = model or entry.get("model") or path.stem
            if not isinstance(name, str):
                raise SampleFileError(f"{where}: 'model' must be a string")
            code = _code_of(entry, problems.problems[task_id].prompt, where)
            key = (name, task_id)
            out.append(Sample(name, task_id, counters[key], code, where))
            counters[key] += 1
    if not out:
        raise SampleFileError(f"{path}: no samples")
    return out


def reference_samples(problems: ProblemSet, ids: list[str] | None, tiers: list[str]) -> list[Sample]:
    """The bundled references as models: ``expert`` and ``slower`` (every non-expert tier)."""
    out: list[Sample] = []
    for problem in problems.select(ids):
        for tier in tiers:
            if tier == EXPERT:
                out.append(Sample(EXPERT, problem.id, 0, problem.expert_code, f"references/{problem.id}/expert.py"))
            elif tier == "slower":
                slow = [t for t in problem.tiers if t != EXPERT]
                for i, name in enumerate(slow):
                    out.append(
                        Sample(
                            "slower",
                            problem.id,
                            i,
                            problem.references[name],
                            f"references/{problem.id}/{name}.py",
                            {"tier": name},
                        )
                    )
            else:
                raise SampleFileError(f"unknown reference tier {tier!r}; use expert and/or slower")
    return out
