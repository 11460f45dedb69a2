r"""Text from run directories written into Markdown as the text it is, never as markup.

Model labels, problem ids, seeds, problem set names and folder paths come from files a user can
write (a samples file's ``model``, ``--model``, ``--seed``, a hand-edited record): written raw into
``leaderboard.md`` or ``cheapest.md``, ``<script>`` or ``<!--`` became HTML (a comment swallowed the
rest of the page), ``\|`` or a newline split a table row, and ``[x](javascript:...)`` a link.
:func:`md_text` and :func:`md_code` make any string one line of literal text.
"""

from __future__ import annotations

import unicodedata

#: ASCII punctuation that starts or ends an inline Markdown construct (emphasis, code, links,
#: images, autolinks, strike-through, table cells); each is backslash-escaped (CommonMark: any
#: ASCII punctuation may be). ``<``, ``>`` and ``&`` become entities instead, which every renderer
#: reads as text, so no raw HTML survives even where backslash escapes are not honoured.
_ESCAPED = set("\\`*_[]|~!#$")
_ENTITIES = {"<": "&lt;", ">": "&gt;", "&": "&amp;"}


def one_line(text: object) -> str:
    r"""``text`` as one line, for a Markdown line or a terminal's.

    Each control, line/paragraph separator or format character (a newline, ESC, U+202E
    RIGHT-TO-LEFT OVERRIDE...) is shown as its code point, ``\u000a``.
    """
    out = []
    for ch in str(text):
        if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp", "Cs"):
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return "".join(out)


def md_text(text: object) -> str:
    """``text`` (any object, as ``str``) as Markdown that renders exactly that text, on one line.

    Safe in a table cell, a heading, a list item and at the start of a line: no HTML, link,
    emphasis, code span, heading or cell separator can come out of it.
    """
    out = []
    line = one_line(text)
    for i, ch in enumerate(line):
        if ch in _ENTITIES:
            out.append(_ENTITIES[ch])
        elif ch == "_" and line[i - 1 : i].isalnum() and line[i + 1 : i + 2].isalnum():
            out.append(ch)  # between two letters or digits (tri_01) it can neither open nor close emphasis
        elif ch in _ESCAPED:
            out.append("\\" + ch)
        else:
            out.append(ch)
    line = "".join(out)
    # a line that starts with a list marker ("1." "-" "+") or a setext/thematic rule is a block;
    # the caller may put the text at a line's start, so its first character is escaped too
    if line[:1] in ("-", "+", "=") or (line[:1].isdigit() and line.lstrip("0123456789")[:1] in (".", ")")):
        head = len(line) - len(line.lstrip("0123456789")) if line[:1].isdigit() else 0
        line = line[:head] + "\\" + line[head:]
    if line[:1] == " ":  # four spaces at a line's start would make an indented code block
        line = "&#32;" + line[1:]
    return line


def md_code(text: object) -> str:
    """``text`` as an inline code span of one line (a path, a command): shown verbatim, backticks too.

    The fence is one backtick longer than the longest run of backticks inside (CommonMark), padded
    with a space when the text starts or ends with a backtick. Not for table cells (a ``|`` would
    still split the cell there); use :func:`md_text`.
    """
    line = one_line(text)
    longest, run = 0, 0
    for ch in line:
        run = run + 1 if ch == "`" else 0
        longest = max(longest, run)
    fence = "`" * (longest + 1)
    pad = " " if line[:1] == "`" or line[-1:] == "`" or not line.strip() else ""
    return f"{fence}{pad}{line}{pad}{fence}"
