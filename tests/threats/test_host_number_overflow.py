"""Threat: an answer with an int past the float range stops the whole run.

Where a problem's checker is ``float`` (``median_two_sorted``), the host compared numbers as
``abs(actual - expected) <= tolerance * max(1, abs(expected))``: an int answer of 400 digits (a
plain JSON int, or a hex-tagged one of any length) facing a float made that an OverflowError,
which no one caught: it left ``engine.classify``, the sample's future, and the run stopped
(rt-host's red team). The same for a tagged complex part past the float range given to a checker
that wants Python values. A candidate decides what it returns: its answer must be judged, not
crash the judge.

Invariant: any number the codec carries gets a verdict of its own under every checker (``wrong``
for a wrong answer, ``wrong``/``CheckerError`` for a value a checker cannot take), and ints past
the float range compare exactly under a tolerance.
"""

from __future__ import annotations

import dataclasses
import json

import pytest

from effbench import checkers
from effbench.engine import classify
from effbench.sandboxes.base import Limits, TestRun
from effbench.verdicts import ErrorKind, Verdict

TAG = "__effbench__"
HUGE = 10**400


@pytest.mark.parametrize(
    ("expected", "answer"),
    [
        (2.5, HUGE),
        ([2.5], [HUGE]),
        (2.5, {TAG: "int", "hex": "f" * 2000}),
        (2.5, -HUGE),
        (HUGE, 2.5),
        (HUGE, HUGE + 10**395),
    ],
    ids=["int", "in_a_list", "hex_tagged", "negative", "expected_huge", "both_huge"],
)
def test_an_int_past_the_float_range_where_a_float_is_due_is_wrong_not_a_crash(triangle, expected, answer):
    """A wrong answer past the float range is judged ``wrong`` under the ``float`` checker."""
    problem = dataclasses.replace(triangle, checker="float")
    test = triangle.level_tests(0)[0]
    run = TestRun(result=json.dumps({"ok": True, "value": answer}), exit_code=0)
    verdict, _answer, etype, detail = classify(run, test, expected, problem, Limits(wall_seconds=60))
    assert (verdict, etype) == (Verdict.WRONG, None), (verdict, etype, detail)


def test_ints_past_the_float_range_compare_exactly_under_a_tolerance():
    """Close is close at any size: the relative tolerance holds for ints no float can hold."""
    assert checkers.check("float", HUGE, HUGE + 10**390, tolerance=1e-6)
    assert not checkers.check("float", HUGE, HUGE + 10**395, tolerance=1e-6)
    assert checkers.check("float", [HUGE, 1.0], [HUGE, 1.0 + 1e-9], tolerance=1e-6)


def test_a_complex_part_past_the_float_range_is_wrong_with_a_checker_error(triangle):
    """A tagged complex no Python complex can hold, given to a checker that wants Python values,
    is ``wrong``/``CheckerError`` (the checker cannot take it), not an exception out of the judge."""

    @checkers.wants_python_values
    def check_answer(args, expected, actual):
        return expected == actual

    problem = dataclasses.replace(triangle, checker="custom", custom_check=check_answer)
    test = triangle.level_tests(0)[0]
    answer = {TAG: "complex", "re": HUGE, "im": 0}
    run = TestRun(result=json.dumps({"ok": True, "value": answer}), exit_code=0)
    verdict, _answer, etype, detail = classify(run, test, 1, problem, Limits(wall_seconds=60))
    assert (verdict, etype) == (Verdict.WRONG, ErrorKind.CHECKER_ERROR.value), (verdict, etype, detail)
