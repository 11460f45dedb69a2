"""What the sandbox runs of a candidate's source (effbench/canonical.py)."""

from __future__ import annotations

import textwrap

from effbench.canonical import canonical_source

PLAIN = textwrap.dedent("""
    import heapq
    class Box:
        def __init__(self, v):
            self.v = v
    def best(xs, k):
        if not xs:
            return []
        return heapq.nlargest(k, xs)
""")

DECORATED = textwrap.dedent('''
    """Module docstring
    over two lines."""
    # a comment
    import heapq   # trailing


    class Box:
        """A box."""

        def __init__(self, v):
            "docstring in single quotes"
            self.v = v  # keep


    def best(xs, k):
        """The k largest."""
        "a string standing alone"
        ...
        if not xs:
            return []
        # why nlargest: fewer comparisons
        return heapq.nlargest(k, xs)
''')


def test_comments_docstrings_and_layout_give_the_same_text():
    """Invariant: two sources that differ only in text that is not code are sent identically."""
    assert canonical_source(PLAIN) == canonical_source(DECORATED)


def test_the_canonical_text_is_the_same_program():
    """Invariant: the canonical text defines functions that behave as the original's."""
    original, canonical = {}, {}
    exec(compile(DECORATED, "a", "exec"), original)
    exec(compile(canonical_source(DECORATED), "b", "exec"), canonical)
    data = [5, 1, 9, 3, 7]
    assert canonical["best"](data, 2) == original["best"](data, 2) == [9, 7]
    assert canonical["Box"](4).v == 4


def test_a_body_of_only_a_docstring_stays_valid():
    """Invariant: a function or class whose body was only its docstring still compiles."""
    text = canonical_source('def f():\n    """only this."""\nclass C:\n    "doc"\n')
    namespace = {}
    exec(compile(text, "c", "exec"), namespace)
    assert namespace["f"]() is None


def test_source_that_does_not_parse_is_sent_unchanged():
    """Invariant: a syntax error reaches the sandbox as written (its compiler reports it)."""
    broken = "def f(:\n    return 1\n"
    assert canonical_source(broken) == broken


def test_future_imports_and_strings_in_expressions_survive():
    """Invariant: only statements that are bare constants are dropped, never a value in use."""
    text = canonical_source('from __future__ import annotations\nX = "kept"\ndef f() -> int:\n    return len("abc")\n')
    assert text.startswith("from __future__ import annotations")
    assert '"kept"' in text or "'kept'" in text
    assert "abc" in text
