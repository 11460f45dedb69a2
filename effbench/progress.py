"""Progress bars on stderr: tqdm's bars drawn in place on a terminal, whole lines in a log.

tqdm redraws a bar in place: a carriage return before each refresh, and for a second bar drawn
at once (``position`` 1) newlines and cursor-up sequences (``ESC [ A``). On a terminal that is
the bar a user watches; in a file (``2> log``, ``nohup``, a CI's log) it is one long line of
carriage returns and escape codes that ``less`` and editors show garbled. Where stderr is not a
terminal, each bar writes through :class:`LogLines` instead: one plain line per refresh, at most
one every :data:`LOG_INTERVAL_SECONDS` per bar, and its last state when it closes.
"""

from __future__ import annotations

import re
import sys
from typing import Any, TextIO

#: seconds between two lines of one bar in a log (a terminal's bar refreshes at tqdm's 0.1 s)
LOG_INTERVAL_SECONDS = 30.0

#: a terminal's control sequence (CSI: ESC [ parameters, a final letter), as tqdm writes them
_CONTROL = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


class LogLines:
    """A text file for tqdm that writes each refresh of a bar as one whole line to ``stream``.

    Control sequences are dropped, carriage returns and newlines end a line, blank lines (a bar
    cleared before a log message) are dropped, and a line equal to the last one written (a bar
    redrawn after a message) is written once.
    """

    def __init__(self, stream: TextIO) -> None:
        """Lines go to ``stream`` (stderr, a file)."""
        self.stream = stream
        self._last: str | None = None

    def write(self, text: str) -> int:
        """Write ``text``'s non-blank parts as lines; returns ``len(text)`` as a file's write does."""
        for part in re.split(r"[\r\n]", _CONTROL.sub("", text)):
            line = part.strip()
            if line and line != self._last:
                self.stream.write(line + "\n")
                self._last = line
        return len(text)

    def flush(self) -> None:
        """Flush ``stream``."""
        self.stream.flush()


def _is_terminal(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False


def progress_bar(total: int, desc: str, unit: str, enabled: bool = True, position: int = 0) -> Any:
    """A tqdm bar on stderr (as it is when called) for ``total`` items of ``unit``.

    Args:
        total: the number of items; 0 draws nothing (a resumed run with nothing left).
        desc: the bar's label.
        unit: what an item is (``sample``, ``problem``, ``answer``), for its rate.
        enabled: False draws nothing.
        position: the bar's line (0 the first) for two bars drawn at once on a terminal.

    Returns:
        A ``tqdm.tqdm``: drawn in place on a terminal, written as :class:`LogLines` otherwise.
    """
    from tqdm import tqdm

    stream = sys.stderr
    disable = not enabled or total == 0
    if _is_terminal(stream):
        return tqdm(
            total=total, desc=desc, unit=unit, file=stream, disable=disable, dynamic_ncols=True, position=position
        )
    # maxinterval: tqdm's monitor thread would otherwise force a line of a fast bar every 10 s
    return tqdm(
        total=total,
        desc=desc,
        unit=unit,
        file=LogLines(stream),
        disable=disable,
        mininterval=LOG_INTERVAL_SECONDS,
        maxinterval=LOG_INTERVAL_SECONDS,
    )
