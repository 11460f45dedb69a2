"""Threat: the host refuses as forged an answer the runner itself wrote, nested within its bound.

The runner encodes a value nested at most ``MAX_DEPTH`` (100) levels deep; a tagged level (a
tuple, a set, a dict with other keys than strings) takes two or three JSON levels. The host
refused, as a result the candidate wrote by hand (``BadResult``), any result nested deeper than
104 JSON levels: a tuple nested 60 deep (a cons list, ``(1, (2, (3, ...)))``) returned honestly
was an ``error``, never checked, and the same answer from the expert skipped the problem
(rt-host's red team). The verdict was the host's, not the candidate's.

Invariant: every result the runner's encoder writes passes the host's depth check, and the
deepest it can write is exactly the host's bound; one level more is still refused.
"""

from __future__ import annotations

import json

import pytest

from effbench import codec
from effbench.engine import _MAX_RESULT_DEPTH, _not_what_the_runner_writes, classify
from effbench.sandboxes.base import Limits, TestRun
from effbench.verdicts import Verdict


def _json_depth(value) -> int:
    """The deepest nesting of a JSON value (the document itself at depth 0), iteratively."""
    deepest, stack = 0, [(value, 0)]
    while stack:
        item, depth = stack.pop()
        deepest = max(deepest, depth)
        if isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
        elif isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
    return deepest


def _written_by_the_runner(value) -> str:
    runner = codec.runner_module()
    return runner._dumps_result({"ok": True, "value": runner.encode(value)})


def _nested(leaf, levels: int, wrap) -> object:
    for _ in range(levels):
        leaf = wrap(leaf)
    return leaf


WRAPS = {
    "tuple": lambda v: (v, 0),
    "frozenset": lambda v: frozenset([v]),
    "dict_with_int_keys": lambda v: {0: v},
}


@pytest.mark.parametrize("wrap", list(WRAPS))
def test_an_answer_the_runner_writes_at_its_depth_bound_is_judged_not_refused(triangle, wrap):
    """A value nested as deep as the runner encodes, in each tagged shape, is checked and passes
    against itself (before: ``error``/``BadResult`` past 104 JSON levels)."""
    max_depth = codec.runner_module().MAX_DEPTH
    value = _nested((7, "x"), max_depth, WRAPS[wrap])
    text = _written_by_the_runner(value)
    assert _json_depth(json.loads(text)) <= _MAX_RESULT_DEPTH
    assert _not_what_the_runner_writes(json.loads(text)) is None
    test = triangle.level_tests(0)[0]
    expected = json.loads(text)["value"]
    verdict, _answer, etype, detail = classify(
        TestRun(result=text, exit_code=0), test, expected, triangle, Limits(wall_seconds=60)
    )
    assert (verdict, etype) == (Verdict.OK, None), (verdict, etype, detail)


def test_the_hosts_depth_bound_is_the_deepest_the_runner_writes():
    """The bound is reached by the runner's deepest encoding (a dict nested MAX_DEPTH deep around a
    tuple of big ints), and a value one level deeper is refused in the child."""
    runner = codec.runner_module()
    deepest = _nested((10**5000,), runner.MAX_DEPTH, WRAPS["dict_with_int_keys"])
    assert _json_depth(json.loads(_written_by_the_runner(deepest))) == _MAX_RESULT_DEPTH
    with pytest.raises(runner.ResultTooDeep):
        runner.encode({0: deepest})
    past: list = [1]
    for _ in range(_MAX_RESULT_DEPTH - 1):
        past = [past]
    assert _not_what_the_runner_writes({"ok": True, "value": past}) is not None
