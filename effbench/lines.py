"""Line-oriented files (JSON lines) read one bounded line at a time.

Reading a whole file and splitting it holds the file twice, and one huge line is then parsed
whole: a 120 MB single-line ``samples.jsonl`` took 743 MB to refuse (``effbench score``), a
160 MB single-line EvalPerf ``.jsonl`` 1.9 GB. Every JSON-lines reader of effbench reads through
:func:`bounded_lines`: memory is at most one line of at most the reader's limit, and a longer
line is refused with one line naming the file, the line and the limit before it is held.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import IO, AnyStr

from effbench.errors import EffbenchError

#: the longest line of a run directory's ``samples.jsonl`` or of an imported ``.jsonl`` dataset,
#: in bytes (characters for a decompressed dataset), newline not counted. A record holds a model's
#: answer (at most 16 Mi characters, client.MAX_ANSWER_CHARS, escaped as JSON); the writer leaves
#: an answer out rather than write a longer line (rundir.RunDir.append)
MAX_RECORD_LINE_BYTES = 64 << 20

#: how much of an over-long line is read at once while it is skipped or copied aside (bytes)
_CHUNK = 1 << 20


class LineTooLong(EffbenchError):
    """A line longer than its reader's limit: refused before it is held in memory."""


def too_long(where: str, limit: int) -> str:
    """The message for a line of ``where`` (``path:line``) over ``limit`` bytes."""
    size = f"{limit >> 20} MiB" if limit >= 1 << 20 and not limit % (1 << 20) else f"{limit} bytes"
    return f"{where}: line longer than {size}"


def bounded_lines(
    f: IO[AnyStr],
    limit: int,
    where: str,
    error: type[EffbenchError] = LineTooLong,
    overflow: Callable[[AnyStr], None] | None = None,
) -> Iterator[tuple[int, AnyStr | None]]:
    """Yield ``(line number, line)`` for each line of ``f`` (from 1), each with its newline if it has one.

    Only the last line can lack its newline (a line cut short). A line over ``limit`` units (bytes
    of a binary file, characters of a text one; its newline not counted) is never held whole:
    without ``overflow`` it raises ``error`` (:func:`too_long`'s message, ``where`` the file);
    with it, its pieces (newline included) are passed to ``overflow`` one at a time, then
    ``(line number, None)`` is yielded.

    Raises:
        error: a line over ``limit`` and no ``overflow``.
    """
    lineno = 0
    while line := f.readline(limit + 1):
        lineno += 1
        if len(line) <= limit or line[-1:] in ("\n", b"\n"):
            yield lineno, line
            continue
        if overflow is None:
            raise error(too_long(f"{where}:{lineno}", limit))
        piece = line
        while piece:
            overflow(piece)
            if piece[-1:] in ("\n", b"\n"):
                break
            piece = f.readline(_CHUNK)
        yield lineno, None
