"""Importers for published benchmark formats (``--dataset FORMAT:SOURCE``).

Importers for published benchmark formats: ``--dataset enamel:PATH_OR_HUB_ID`` or
``--dataset evalperf:PATH_OR_HUB_ID``.

A local ``.csv``, ``.json`` or ``.jsonl`` file (each also gzip-compressed, ``.jsonl.gz``) is read
with the standard library, row by row (a malformed line is one skipped row, not a refused file); a
local file of another kind is refused by name, never looked up on the hub; ``.parquet`` files and
hub ids go through
the ``datasets`` package. Imported problems run through the same runner, meters and scorer as the
bundled ones. effbench ships none of these benchmarks' content: only the code that reads their
formats (README: "Published formats").

Loading is in two steps so that bad input is refused before anything expensive runs:
:func:`load_dataset_problems` with ``generate=False`` parses and checks every row (cheap), and
:meth:`ImportedSet.generate` then runs the input generators of the selected problems (in a
subprocess, under limits, cached by row content).
"""

from __future__ import annotations

import csv
import io
import stat
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from effbench.errors import EffbenchError, ProblemFormatError
from effbench.importers.common import (
    ImportedProblem,
    ImportedSet,
    RowError,
    Warn,
    _stderr,
    id_text,
    json_loads,
    one_line,
)
from effbench.importers.generate import GeneratorLimits
from effbench.lines import MAX_RECORD_LINE_BYTES, bounded_lines
from effbench.registry import IMPORTERS

FORMATS = IMPORTERS.names

__all__ = ["FORMATS", "ImportedSet", "load_dataset_problems", "read_rows"]


#: the kinds of local file read with the standard library, each also gzip-compressed (``.jsonl.gz``)
TEXT_KINDS = (".csv", ".json", ".jsonl")
_GZIP_MAGIC = b"\x1f\x8b"


def _kind(path: Path) -> str:
    """A local file's kind by its name: ``.csv``, ``.json``, ``.jsonl``, ``.parquet``, or another suffix.

    A ``.gz`` ending is the compression, not the kind: ``rows.jsonl.gz`` is ``.jsonl``.
    """
    return path.with_suffix("").suffix if path.suffix == ".gz" else path.suffix


def _open_text(path: Path, newline: str | None = None) -> Any:
    """``path`` opened as UTF-8 text (a BOM dropped), decompressed when its bytes are gzip's.

    gzip is told by the file's first bytes, not its name, so ``rows.jsonl`` that holds gzip data
    reads too. Raises OSError like :func:`open`.
    """
    with path.open("rb") as f:
        gzipped = f.read(2) == _GZIP_MAGIC
    if gzipped:
        import gzip

        return gzip.open(path, "rt", encoding="utf-8-sig", newline=newline)
    return path.open(encoding="utf-8-sig", newline=newline)


def _unreadable(path: Path, exc: BaseException) -> EffbenchError:
    """One line for a file that cannot be read as text: not UTF-8, or a truncated or corrupt gzip stream."""
    import gzip

    if isinstance(exc, UnicodeDecodeError):
        if exc.start == 0 and exc.object[:2] in (b"\xff\xfe", b"\xfe\xff"):
            return EffbenchError(f"{path}: UTF-16 text (it starts with a UTF-16 byte-order mark): save it as UTF-8")
        return EffbenchError(f"{path}: not UTF-8 text: {exc}")
    if isinstance(exc, OSError) and not isinstance(exc, gzip.BadGzipFile):
        return EffbenchError(f"{path}: cannot read: {exc.strerror or exc}")
    return EffbenchError(f"{path}: a truncated or corrupt gzip file ({type(exc).__name__}: {exc}): copy it again")


def _read_csv(path: Path) -> list[Any]:
    import zlib

    csv.field_size_limit(sys.maxsize)
    try:
        with _open_text(path, newline="") as f:  # a BOM (as Excel writes) is no column
            return [dict(row) for row in csv.DictReader(f)]
    except (EOFError, OSError, zlib.error, UnicodeDecodeError) as exc:
        raise _unreadable(path, exc) from None
    except (csv.Error, ValueError) as exc:
        raise EffbenchError(f"{path}: not a readable CSV file: {exc}") from None


def _read_json(path: Path) -> list[Any]:
    """The rows of a ``.json`` list (or JSON lines in a ``.json`` file) or of a ``.jsonl`` file.

    A ``.jsonl`` file is read one line at a time: a line over :data:`MAX_RECORD_LINE_BYTES`
    characters is refused (EffbenchError naming the file and line) before it is held in memory.
    A ``.json`` file is one document and is read whole. An unparsable line is a :class:`RowError`.
    """
    import zlib

    if _kind(path) == ".json":
        try:
            with _open_text(path) as f:
                content = f.read()
        except (UnicodeDecodeError, EOFError, OSError, zlib.error) as exc:
            raise _unreadable(path, exc) from None
        try:
            data = json_loads(content)
        except (ValueError, RecursionError):
            data = None  # maybe JSON lines in a .json file
        if isinstance(data, list):
            return data
        if isinstance(data, dict):
            raise EffbenchError(f"{path}: expected a JSON list of rows (or JSON lines), found an object")
        return _json_lines(path, io.StringIO(content))
    try:
        with _open_text(path) as f:
            return _json_lines(path, f)
    except (UnicodeDecodeError, EOFError, OSError, zlib.error) as exc:
        raise _unreadable(path, exc) from None


def _json_lines(path: Path, f: Any) -> list[Any]:
    """The rows of the JSON lines of text stream ``f`` (of ``path``), each a value or a RowError.

    Raises:
        EffbenchError: a line over :data:`MAX_RECORD_LINE_BYTES` characters.
    """
    rows: list[Any] = []
    for lineno, line in bounded_lines(f, MAX_RECORD_LINE_BYTES, str(path)):
        if line is None or not line.strip():
            continue
        try:
            rows.append(json_loads(line))
        except (ValueError, RecursionError) as exc:
            rows.append(RowError(one_line(f"{path.name}: line {lineno}: skipped: invalid JSON: {exc}")))
    return rows


def _check_regular_file(path: Path, source: str) -> None:
    """Refuse ``path`` unless it is a regular file, saying what it is instead.

    It is never opened: opening a FIFO with no writer would block.

    Raises:
        EffbenchError: one line naming ``source``: missing, a directory, a named pipe, other.
    """
    try:
        mode = path.stat().st_mode
    except (FileNotFoundError, NotADirectoryError):
        raise EffbenchError(f"{source}: no such file") from None
    except OSError as exc:
        raise EffbenchError(f"{source}: cannot read: {exc.strerror}") from None
    if stat.S_ISREG(mode):
        return
    if stat.S_ISDIR(mode):
        raise EffbenchError(f"{source}: is a directory, not a data file (give the file inside it)")
    if stat.S_ISFIFO(mode):
        raise EffbenchError(f"{source}: is a named pipe (FIFO), not a regular file: write the rows to a file first")
    raise EffbenchError(f"{source}: is not a regular file")


def _could_be_a_hub_id(source: str) -> bool:
    """Whether ``source`` has the shape of a hub dataset id: ``NAME`` or ``OWNER/NAME``, ``#SPLIT`` optional.

    A path that is absolute, relative to ``.``/``..``/``~``, or has more than two parts is no id.
    """
    name = source.partition("#")[0]
    parts = name.split("/")
    return 1 <= len(parts) <= 2 and all(p and p not in (".", "..") and not p.startswith("~") for p in parts)


def read_rows(source: str) -> list[Any]:
    """Rows of a local file or a hub dataset: dicts, or a RowError for a line that is no row.

    A hub dataset (or a local dataset folder) with one split is read whole; with several, name one
    as ``SOURCE#SPLIT`` (e.g. ``evalplus/evalperf#test``).
    """
    path = Path(source)
    kind = _kind(path)
    if kind in TEXT_KINDS or path.suffix == ".parquet":
        _check_regular_file(path, source)
        if kind == ".csv":
            return _read_csv(path)
        if path.suffix != ".parquet":
            return _read_json(path)
    elif path.suffix == ".gz" or path.is_file():  # a local file: never looked up on the hub as an id
        _check_regular_file(path, source)
        raise EffbenchError(
            f"{source}: not a kind of file effbench reads ({''.join(path.suffixes[-2:]) or 'no suffix'}): "
            f"name it {', '.join(TEXT_KINDS)} (each also .gz-compressed) or .parquet by what it holds"
        )
    elif not Path(source.partition("#")[0]).is_dir() and (path.is_symlink() or not _could_be_a_hub_id(source)):
        # a local path that names nothing (a typo, a broken link): never sent to the hub, whose
        # client would retry it for about 25 s, logging each retry, before failing
        what = "a broken link" if path.is_symlink() else "no such file or folder"
        raise EffbenchError(f"{source}: {what} (and not a hub dataset id, OWNER/NAME[#SPLIT])")
    try:
        import datasets
    except ImportError:
        raise EffbenchError(
            f"{source}: reading parquet files and hub datasets needs the datasets package: "
            "pip install 'effbench[formats]'"
        ) from None
    datasets.disable_progress_bars()
    datasets.logging.set_verbosity_error()
    name, _, split = source.partition("#") if path.suffix != ".parquet" else (source, "", "")
    try:
        if path.suffix == ".parquet":
            loaded = datasets.load_dataset("parquet", data_files=str(path))
        else:
            loaded = datasets.load_dataset(name)
    except Exception as exc:  # noqa: BLE001 - datasets raises many kinds; one line for the user
        raise EffbenchError(f"{source}: cannot load with datasets: {type(exc).__name__}: {exc}") from None
    splits = list(loaded)
    if split and split not in splits:
        raise EffbenchError(f"{source}: no split {split!r} (splits: {', '.join(splits)})")
    if not split:
        if len(splits) != 1:
            raise EffbenchError(f"{source}: several splits ({', '.join(splits)}): name one as {name}#SPLIT")
        split = splits[0]
    return [dict(row) for row in loaded[split]]


def _parse_rows(
    fmt: str, rows: list[Any], name: str, prompts: dict[str, str] | None = None
) -> tuple[dict[str, ImportedProblem], dict[str, str], list[str]]:
    """Parse every row: usable problems, and one line of why for each skipped row.

    (usable problems by id, skipped rows by id -> why, skipped rows without an id -> why);
    ``prompts`` receives the prompt of each skipped row that has one.
    """
    prompts = {} if prompts is None else prompts
    problem_from_row = IMPORTERS.get(fmt).problem_from_row
    columns = getattr(IMPORTERS.get(fmt), "COLUMNS", ())
    problems: dict[str, ImportedProblem] = {}
    skipped: dict[str, str] = {}
    anonymous: list[str] = []
    for index, row in enumerate(rows):
        if isinstance(row, RowError):
            anonymous.append(str(row))
            continue
        task_id = row.get("task_id") if isinstance(row, dict) else None
        tid = id_text(task_id)
        # an id that is not printable is shown escaped, and no row can be asked for by it
        label = f" ({one_line(tid[:60])})" if tid else ""
        tid = tid if tid.isprintable() else ""
        where = f"{one_line(name)}: row {index}{label}"
        try:
            problem = problem_from_row(row, index, where)
        except RowError as exc:
            reason = str(exc) if str(exc).startswith(where) else f"{where}: {exc}"
            reason = one_line(reason.replace(f"{where}: ", f"{where}: skipped: ", 1))
            if tid and tid not in problems and tid not in skipped:
                skipped[tid] = reason
                if isinstance(row.get("prompt"), str):
                    prompts[tid] = row["prompt"]
            else:
                anonymous.append(reason)
            continue
        except (RecursionError, MemoryError) as exc:
            anonymous.append(f"{where}: skipped: {type(exc).__name__}")
            continue
        if problem.id in problems and _same_row(rows[problems[problem.id].row_index], row, columns):
            anonymous.append(
                f"{where}: skipped: duplicate task_id {problem.id!r} (the same row as row "
                f"{problems[problem.id].row_index}, which is used)"
            )
            continue
        if problem.id in problems:
            # two rows, one id, other content: a sample of that id would be scored against
            # whichever came first; neither is used, and naming the id says why
            first = problems.pop(problem.id).row_index
            skipped[problem.id] = (
                f"{where}: skipped: task_id {problem.id!r} is also row {first}, with other content: "
                "neither row is used (which one would a sample of that id answer?)"
            )
            prompts.pop(problem.id, None)
            continue
        if problem.id in skipped:
            anonymous.append(f"{where}: skipped: duplicate task_id {problem.id!r}")
            continue
        problems[problem.id] = problem
    return problems, skipped, anonymous


def _same_row(a: Any, b: Any, columns: Sequence[str]) -> bool:
    """Do rows ``a`` and ``b`` hold the same values in the format's ``columns``?"""
    return all(a.get(c) == b.get(c) for c in columns) if columns else a == b


def load_dataset_problems(
    spec: str,
    ids: Sequence[str] | None = None,
    *,
    generate: bool = True,
    warn: Warn | None = None,
    limits: GeneratorLimits | None = None,
) -> ImportedSet:
    """``FORMAT:SOURCE`` -> the set of its usable rows.

    ``ids`` selects problems by published task id or named selection (``@enamel``); only those
    are generated, and only bad rows among them are reported. A bad row is skipped with a
    one-line warning (``warn``, default stderr); raises ProblemFormatError (exit 2) when a row
    named in ``ids`` is bad, an id is unknown, or no selected row is usable. With ``generate``
    False nothing is generated yet: call :meth:`ImportedSet.generate` (tests are also generated
    lazily, on first use).
    """
    fmt, sep, source = spec.partition(":")
    if not sep or fmt not in FORMATS or not source:
        raise EffbenchError(
            f"--dataset {spec!r}: expected FORMAT:PATH_OR_HUB_ID with FORMAT one of {', '.join(FORMATS)}"
        )
    warn = warn or _stderr
    rows = read_rows(source)
    if not rows:
        raise EffbenchError(f"{source}: no rows")
    name = Path(source).name
    prompts: dict[str, str] = {}
    problems, skipped, anonymous = _parse_rows(fmt, rows, name, prompts)
    selections = getattr(IMPORTERS.get(fmt), "selections", lambda _ids: {})

    ps = ImportedSet(
        name=f"{fmt}:{name}",
        version="imported",
        problems=dict(problems),
        skipped=skipped,
        selections=selections(list(problems) + list(skipped)),
        skipped_prompts=prompts,
        skipped_rows=anonymous,
    )
    wanted = ps.expand(list(ids) if ids else None)
    explicit = [i for i in (ids or ()) if not i.startswith("@")]
    for pid in explicit:
        if pid not in problems and pid not in skipped:
            raise ProblemFormatError(f"unknown problem id {pid!r} in {ps.name} (see `effbench problems list`)")
    for pid in explicit:
        if pid in skipped:
            raise RowError(skipped[pid])
    in_scope = [why for pid, why in skipped.items() if wanted is None or pid in wanted]
    for why in in_scope + (anonymous if wanted is None else []):
        warn(f"warning: {why}")
    usable = [pid for pid in (wanted if wanted is not None else problems) if pid in problems]
    if not usable:
        raise ProblemFormatError(f"{name}: no usable row ({len(skipped) + len(anonymous)} skipped)")
    if generate:
        ps.generate(usable, explicit, warn, limits)
    return ps
