"""Threat: an answer of nested sets makes the host re-serialize it at every level, for minutes.

The built-in checkers compare answers in a lenient view (``effbench.checkers.canonical``) that
sorts a set's members (a tagged dict's pairs) by their JSON text. That text was computed anew at
every set level (``json.dumps`` of each member's whole subtree), and the check that a set stands
where the expert has one (``same_unordered_kinds``) rebuilt the lenient view of each member at
every level again: work in the answer's size times its set depth squared, on the host, outside
the measured span. A candidate returns (or writes by hand on its result pipe) frozensets nested
50 deep around a tuple of ints: 1 MB of it took 48 s of host CPU to check and 2 MB 101 s
(rt-host's red team, load 1.9; an earlier red team measured 60 s for 12 MB of a shallower shape).
Checks run in the host's worker threads: a handful of such answers stall a run for hours.

Invariants: the lenient view serializes each member once, bottom-up (the JSON text the host
produces is linear in the answer's size), the check makes a number of Python calls linear in
the answer's node count, and a built-in comparison that runs past the host-code bound
(``HOST_CODE_SECONDS``) is stopped there: the answer is ``wrong`` with ``CheckerError``, the run
goes on.
"""

from __future__ import annotations

import json
import sys
import types

from effbench import checkers, hostcode
from effbench.engine import classify
from effbench.sandboxes.base import Limits, TestRun
from effbench.verdicts import ErrorKind, Verdict

TAG = "__effbench__"
#: nesting of the answers below (each set level is two JSON levels: the tag's dict and its items)
SET_DEPTH = 40


def _nested_sets(leaf_items: list, depth: int = SET_DEPTH) -> dict:
    """Frozensets nested ``depth`` deep, each holding the next one and an int, around a tuple."""
    value: dict = {TAG: "tuple", "items": leaf_items}
    for level in range(depth):
        value = {TAG: "frozenset", "items": [value, level]}
    return value


def _nodes(value) -> int:
    """Values in a decoded answer (lists, dicts and scalars), counted iteratively."""
    count, stack = 0, [value]
    while stack:
        item = stack.pop()
        count += 1
        if isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, dict):
            stack.extend(item.values())
    return count


def test_nested_sets_are_serialized_once_for_their_sort(monkeypatch):
    """The lenient view of sets nested 40 deep produces at most twice the answer's JSON text in
    ``json.dumps`` output (each member's text computed once), not a copy per level above it."""
    answer = _nested_sets(list(range(100_000, 120_000)))
    size = len(json.dumps(answer))
    produced = [0]

    def counting_dumps(value, **kwargs):
        text = json.dumps(value, **kwargs)
        produced[0] += len(text)
        return text

    monkeypatch.setattr(checkers, "json", types.SimpleNamespace(dumps=counting_dumps))
    view = checkers.canonical(answer)
    assert produced[0] <= 2 * size, f"{produced[0]} characters serialized for a {size}-character answer"
    monkeypatch.undo()
    assert view == checkers.canonical(answer)
    assert view[0] == SET_DEPTH - 1 and view[1][0] == SET_DEPTH - 2  # sorted: the int before the set


def test_checking_nested_sets_costs_python_calls_linear_in_the_answer():
    """``check('exact', ..., unordered_kinds=True)`` of an answer of sets nested 40 deep around small
    tuples makes at most 30 Python calls per node of the two answers (before: each level rebuilt
    the lenient view of everything below it, about the depth times more)."""
    answer = _nested_sets([[i, i + 1] for i in range(2_000)])
    expected = json.loads(json.dumps(answer))
    calls = [0]

    def count(frame, event, arg):
        if event in ("call", "c_call"):
            calls[0] += 1

    sys.setprofile(count)
    try:
        assert checkers.check("exact", expected, answer, unordered_kinds=True)
    finally:
        sys.setprofile(None)
    nodes = _nodes(answer) + _nodes(expected)
    assert calls[0] <= 30 * nodes, f"{calls[0]} calls for {nodes} nodes"
    assert checkers.check("exact", expected, answer, unordered_kinds=True)


def test_a_comparison_past_the_host_code_bound_is_wrong_with_a_checker_error(monkeypatch, triangle):
    """A built-in comparison still running at the host-code bound is stopped there: the answer is
    ``wrong`` (``CheckerError`` naming the bound), never passed after the host waited for it. The
    comparison is made slow on purpose (a stand-in for any shape that makes it slow)."""
    monkeypatch.setattr(hostcode, "HOST_CODE_SECONDS", 0.2)
    spins = [0]

    def slow_equal(expected, actual, tolerance=None):
        for _ in range(300_000_000):  # far past the bound: seconds of CPU
            spins[0] += 1
        return True

    monkeypatch.setattr(checkers, "equal", slow_equal)
    test = triangle.level_tests(0)[0]
    answer = {"ok": True, "value": _nested_sets([1, 2, 3], depth=3)}
    run = TestRun(result=json.dumps(answer), exit_code=0)
    verdict, _answer, etype, detail = classify(run, test, answer["value"], triangle, Limits(wall_seconds=60))
    assert (verdict, etype) == (Verdict.WRONG, ErrorKind.CHECKER_ERROR.value), (verdict, etype, detail)
    assert "runs past 0.2 s" in detail
    assert spins[0] < 300_000_000
