"""Candidate samples: JSONL files and the bundled reference tiers, validated before anything runs.

A line is ``{"task_id": ..., "solution": <full code>}`` or, HumanEval-style,
``{"task_id": ..., "completion": <body that continues the prompt>}``; ``"model"`` is optional
(default: the file's stem). Errors name the file and line. Files are read one line at a time, so
validating a file of any size takes the memory of one line; bytes that are not UTF-8, lone
surrogates and files that are not regular files (a directory, a FIFO) are refused by name.
"""

from __future__ import annotations

import json
import stat
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from effbench.errors import SampleFileError
from effbench.lines import bounded_lines
from effbench.problems import EXPERT, ProblemSet


@dataclass(frozen=True)
class Sample:
    """One candidate program for one problem.

    Attributes:
        model: the label results are grouped under.
        problem_id: the problem's id.
        index: the sample's number among this model's samples of this problem (0-based).
        code: the program to run; None when there is nothing to run (the reason is in
            ``meta["extraction"]``).
        origin: where it came from (``file:line``, a reference path, ``model:problem:index``).
        meta: anything the record should keep (usage, extraction, strategy...).
    """

    model: str
    problem_id: str
    index: int
    code: str | None
    origin: str = ""
    meta: dict = field(default_factory=dict, compare=False)


MAX_LINE_BYTES = 16 << 20  # a longer line is refused before it is held in memory (bytes, newline not counted)
_FIELDS = ("task_id", "model", "solution", "completion")


def _code_of(entry: dict, prompt: str, where: str) -> str:
    has_solution, has_completion = "solution" in entry, "completion" in entry
    if has_solution == has_completion:
        raise SampleFileError(f"{where}: needs exactly one of 'solution' or 'completion'")
    key = "solution" if has_solution else "completion"
    if not isinstance(entry[key], str):
        raise SampleFileError(f"{where}: '{key}' must be a string")
    return entry[key] if has_solution else prompt + entry[key]


def _what_it_is(path: Path) -> str | None:
    """Say why ``path`` cannot be read as a samples file, or None for a regular file.

    It is never opened: opening a FIFO with no writer would block.
    """
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return "no such file"
    except NotADirectoryError:
        return "no such file (a parent is not a directory)"
    except OSError as exc:
        return f"cannot read: {exc.strerror}"
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "is a directory, not a samples file (give the .jsonl file inside it)"
    if stat.S_ISFIFO(mode):
        return "is a named pipe (FIFO), not a regular file: write the samples to a file first"
    if stat.S_ISSOCK(mode):
        return "is a socket, not a samples file"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "is a device, not a samples file"
    return "is not a regular file"


def _check_unicode(entry: dict, where: str) -> None:
    r"""Refuse strings that are not valid Unicode.

    JSON can spell a lone surrogate (``"\ud800"``), which no UTF-8 file can store.
    """
    for key in _FIELDS:
        value = entry.get(key)
        if isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError as exc:
                raise SampleFileError(
                    f"{where}: '{key}' holds a lone surrogate \\u{ord(value[exc.start]):04x} at character "
                    f"{exc.start}, which is not valid Unicode"
                ) from None


def _entry(raw: bytes, first: bool, where: str) -> dict | None:
    """Decode and parse one line of a samples file: its JSON object, or None for a blank line."""
    try:
        line = raw.decode("utf-8-sig" if first else "utf-8")
    except UnicodeDecodeError as exc:
        raise SampleFileError(
            f"{where}: not UTF-8 text (byte 0x{raw[exc.start]:02x} at byte {exc.start + 1} of the line)"
        ) from None
    if not line.strip():
        return None
    try:
        entry = json.loads(line)
    except json.JSONDecodeError as exc:
        raise SampleFileError(f"{where}: invalid JSON: {exc.msg}") from None
    except ValueError as exc:  # e.g. an integer longer than Python's 4300-digit limit
        raise SampleFileError(f"{where}: invalid JSON: {exc}") from None
    except RecursionError:
        raise SampleFileError(f"{where}: invalid JSON: nested too deeply") from None
    if not isinstance(entry, dict):
        raise SampleFileError(f"{where}: each line must be a JSON object")
    _check_unicode(entry, where)
    return entry


def _sample_fields(entry: dict, problems: ProblemSet, model: str, where: str) -> tuple[str, str, str]:
    """The (model, task id, code) of a parsed line, each checked."""
    task_id = entry.get("task_id")
    if not isinstance(task_id, str):
        raise SampleFileError(f"{where}: missing field 'task_id'")
    if task_id not in problems.problems:
        raise SampleFileError(f"{where}: unknown task_id {task_id!r} (see `effbench problems list`)")
    name = entry.get("model")
    if name is None or name == "":
        name = model
    if not isinstance(name, str):
        raise SampleFileError(f"{where}: 'model' must be a string")
    if not name.isprintable() or not name.strip():
        # the label is a row of every table, Markdown and HTML page: a newline or a control
        # character would split or garble it there
        source = "'model'" if entry.get("model") else "the file's name (the default label; give 'model')"
        raise SampleFileError(f"{where}: model label {name!r} from {source} is not one line of printable text")
    return name, task_id, _code_of(entry, problems.problems[task_id].prompt, where)


def iter_samples_file(
    path: Path, problems: ProblemSet, model: str | None = None, ids: Sequence[str] | None = None
) -> Iterator[Sample]:
    """Yield the samples of a JSONL file, validated one line at a time.

    Memory does not grow with the file: a line is at most :data:`MAX_LINE_BYTES` bytes.

    Args:
        path: the samples file.
        problems: the problem set the task ids must belong to.
        model: the model label of every sample (default: each line's ``"model"``, else the stem).
        ids: yield only these problems' samples (every line is validated all the same).

    Raises:
        SampleFileError: naming the file and line at the first bad line, or the file when it is
            not a regular file or holds no samples.
    """
    problem = _what_it_is(path)
    if problem:
        raise SampleFileError(f"{path}: {problem}")
    wanted = set(ids) if ids else None
    counters: dict[tuple[str, str], int] = defaultdict(int)
    try:
        f = path.open("rb")
    except OSError as exc:
        raise SampleFileError(f"{path}: cannot read: {exc.strerror}") from None
    with f:
        for lineno, raw in bounded_lines(f, MAX_LINE_BYTES, str(path), SampleFileError):
            assert raw is not None  # no overflow: a longer line raises
            where = f"{path}:{lineno}"
            entry = _entry(raw, lineno == 1, where)
            if entry is None:
                continue
            fields = _sample_fields(entry, problems, model or path.stem, where)
            if model:
                fields = (model, *fields[1:])
            index = counters[fields[:2]]
            counters[fields[:2]] += 1
            if wanted is None or fields[1] in wanted:
                yield Sample(fields[0], fields[1], index, fields[2], where)
            del entry, fields, raw
    if not counters:
        raise SampleFileError(f"{path}: no samples")


def count_samples_file(
    path: Path, problems: ProblemSet, model: str | None = None, ids: Sequence[str] | None = None
) -> dict[tuple[str, str], int]:
    """Validate a samples file in one streaming pass and count its samples.

    Memory stays flat whatever the file's size. Arguments as :func:`iter_samples_file`.

    Returns:
        The number of samples per (model, problem id), only for ``ids`` if given.

    Raises:
        SampleFileError: as :func:`iter_samples_file`.
    """
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for s in iter_samples_file(path, problems, model, ids):
        counts[(s.model, s.problem_id)] += 1
    return dict(counts)


def load_samples_file(
    path: Path, problems: ProblemSet, model: str | None = None, ids: Sequence[str] | None = None
) -> list[Sample]:
    """Read and validate a JSONL file (arguments as :func:`iter_samples_file`).

    Raises:
        SampleFileError: on the first bad line.
    """
    return list(iter_samples_file(path, problems, model, ids))


#: the model label of the bundled non-expert tiers, evaluated together as one model
SLOWER = "slower"
#: the ``--references`` tiers, each also the model label its samples get
REFERENCE_TIERS = (EXPERT, SLOWER)


def reference_samples(problems: ProblemSet, ids: list[str] | None, tiers: list[str]) -> list[Sample]:
    """The bundled references as models: ``expert`` and ``slower`` (every non-expert tier).

    Args:
        problems: the problem set whose references are read.
        ids: the selected problem ids (None: all).
        tiers: names from :data:`REFERENCE_TIERS`; each is the model label of its samples.

    Returns:
        One sample per problem for ``expert``, one per non-expert tier for ``slower``.

    Raises:
        SampleFileError: a tier not in :data:`REFERENCE_TIERS`.
    """
    out: list[Sample] = []
    for problem in problems.select(ids):
        for tier in tiers:
            if tier == EXPERT:
                out.append(Sample(EXPERT, problem.id, 0, problem.expert_code, f"references/{problem.id}/expert.py"))
            elif tier == SLOWER:
                slow = [t for t in problem.tiers if t != EXPERT]
                for i, name in enumerate(slow):
                    out.append(
                        Sample(
                            SLOWER,
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
