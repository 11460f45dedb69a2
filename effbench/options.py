"""Command-line input checks shared by every command.

Number types that refuse NaN and infinity, and the pre-flight check that a run directory can be
written, made before anything runs.

Every failure is an :class:`~effbench.errors.EffbenchError` (or a click ``BadParameter``) whose
message names the option and the value, so the CLI prints it as one line with exit code 2.
"""

from __future__ import annotations

import math
import os
import stat
import tempfile
from pathlib import Path

import click

from effbench.errors import EffbenchError


class OutputDir(click.Path):
    """A folder a command writes into (``--run-dir``, ``--out``): a :class:`pathlib.Path`, never empty.

    An empty or blank value (``--run-dir "$UNSET"``) is refused by name instead of meaning the
    current folder, as ``--problems ''`` is; whether the folder can be written is checked later
    (:func:`check_writable_dir`).
    """

    def __init__(self, file_okay: bool = True) -> None:
        """``file_okay=False``: click refuses an existing file (``--out``); with True the command says so."""
        super().__init__(file_okay=file_okay, path_type=Path)

    def convert(self, value: object, param: click.Parameter | None, ctx: click.Context | None) -> Path:
        """The value as a Path; fails (click's BadParameter) when it is empty or only blanks."""
        if isinstance(value, str) and not value.strip():
            self.fail(
                f"{value!r} names no folder (an unset variable?); give a path, or leave the option out", param, ctx
            )
        return super().convert(value, param, ctx)


class FiniteFloatRange(click.FloatRange):
    """A float option that must be finite and inside a range.

    ``nan``, ``inf`` and ``-inf`` are refused; the range is ``click.FloatRange``'s ``[min, max]``
    (either end optionally open).
    """

    name = "finite float"

    def convert(self, value: object, param: click.Parameter | None, ctx: click.Context | None) -> float:
        """Parse ``value`` as a float; fail (click's BadParameter) unless it is finite and in range."""
        number = click.FLOAT.convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number", param, ctx)
        return super().convert(number, param, ctx)


def comma_numbers(
    text: str, option: str, kind: type[int] | type[float], least: float, malformed: str, out_of_range: str
) -> list:
    """The distinct numbers of a comma-separated option value (``--k 1,5,10``), sorted ascending.

    ``kind`` (int or float) parses each item; blank items are passed over. Every number must be
    finite and at least ``least``, and there must be one.

    Raises:
        EffbenchError: ``"<option> '<text>': <malformed>"`` when an item is not a ``kind``, and
            ``"<option> '<text>': <out_of_range>"`` when there is none or one is below ``least``
            or not finite.
    """
    try:
        values = sorted({kind(x) for x in text.split(",") if x.strip()})
    except ValueError:
        raise EffbenchError(f"{option} {text!r}: {malformed}") from None
    if not values or values[0] < least or not all(math.isfinite(x) for x in values):
        raise EffbenchError(f"{option} {text!r}: {out_of_range}")
    return values


def check_writable_dir(path: Path, what: str) -> None:
    """Check that ``path`` is a directory this process can write in, or can be created as one.

    Not a file, not below a file, not on a read-only file system, not in a directory without
    write permission. Nothing is left behind (an empty probe directory is made and removed at once).

    Args:
        path: the directory to check.
        what: the option it came from, named in the message (e.g. ``"--run-dir"``).

    Raises:
        EffbenchError: one line naming the option, the path and what is wrong.
    """
    if path.exists() or path.is_symlink():
        if not path.is_dir():
            raise EffbenchError(f"{what} {path}: is a file (or a broken link), not a directory")
        _check_dir(path, path, what)
        return
    for parent in path.absolute().parents:
        if parent.is_symlink() and not parent.exists():  # a dangling link, or a loop of links (ELOOP)
            raise EffbenchError(
                f"{what} {path}: {parent} is a broken link (or a loop of links), so no directory can be made below it"
            )
        if parent.exists():
            if not parent.is_dir():
                raise EffbenchError(f"{what} {path}: {parent} is a file, so no directory can be made below it")
            _check_dir(path, parent, what)
            return


def _check_dir(path: Path, directory: Path, what: str) -> None:
    try:
        read_only = bool(os.statvfs(directory).f_flag & os.ST_RDONLY)
    except OSError as exc:
        raise EffbenchError(f"{what} {path}: cannot inspect {directory}: {exc.strerror}") from None
    if read_only:
        raise EffbenchError(f"{what} {path}: {directory} is on a read-only file system")
    if not os.access(directory, os.W_OK | os.X_OK):
        raise EffbenchError(f"{what} {path}: no permission to write in {directory}")
    try:  # what the checks above cannot see (sysfs, an immutable directory...): try, and undo
        os.rmdir(tempfile.mkdtemp(prefix=".effbench-write-check-", dir=directory))
    except OSError as exc:
        raise EffbenchError(f"{what} {path}: cannot create anything in {directory}: {exc.strerror}") from None


def check_readable_file(path: Path, what: str) -> None:
    """Check that ``path`` is a regular file, without opening it (opening a FIFO would block).

    Args:
        path: the file an option names.
        what: the option, named in the message (e.g. ``"--prompt-template"``).

    Raises:
        EffbenchError: one line saying what the path is instead (missing, a directory, a FIFO...).
    """
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        raise EffbenchError(f"{what} {path}: {exc.strerror}") from None
    if stat.S_ISREG(mode):
        return
    kind = "a directory" if stat.S_ISDIR(mode) else "a named pipe (FIFO)" if stat.S_ISFIFO(mode) else "a special file"
    raise EffbenchError(f"{what} {path}: is {kind}, not a regular file")
