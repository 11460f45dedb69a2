"""The text of a candidate that the sandbox runs: its code, without what is not code.

DESIGN.md ("Meters") charges a test for the candidate's module execution, the call and returning
its result, never for the length of its source. The runner compiles outside any count; what is
left is that the source text itself lives in the heap every test child starts from, so a longer
comment or docstring shifts the allocator's state and moves a count by a few hundred
instructions. The host therefore sends the canonical text: the module parsed, docstrings (and
any other constant standing alone as a statement) dropped, and printed back (``ast.unparse``), so
that two candidates that differ only in comments, docstrings, blank lines or layout send the same
text and get the same counts.
"""

from __future__ import annotations

import ast
import functools
import warnings


def _drop_docstrings(tree: ast.Module) -> None:
    """Drop, in place, every statement that is a bare constant.

    Docstrings, and strings or ``...`` standing alone, which the compiler drops anyway; an
    emptied body gets ``pass``.
    """
    for node in ast.walk(tree):
        for field in ("body", "orelse", "finalbody"):
            body = getattr(node, field, None)
            if not isinstance(body, list) or not body or not isinstance(body[0], ast.stmt):
                continue
            kept = [s for s in body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))]
            if len(kept) != len(body):
                body[:] = kept or [ast.Pass()]


@functools.lru_cache(maxsize=256)
def canonical_source(code: str) -> str:
    """``code`` without comments, docstrings and layout (the same program, printed by ``ast``).

    Args:
        code: a candidate's module source.

    Returns:
        The canonical text, or ``code`` unchanged when it does not parse here (the sandbox's
        compiler then reports the candidate's own SyntaxError) or cannot be printed back.
        Never raises. Cached (every test of a sample sends the same source).
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # invalid escape sequences and the like: the sandbox's to report
            tree = ast.parse(code)
            _drop_docstrings(tree)
            text = ast.unparse(tree) + "\n"
            ast.parse(text)  # printed back, it must parse again
    except (SyntaxError, ValueError, RecursionError, MemoryError, TypeError):
        return code
    return text
