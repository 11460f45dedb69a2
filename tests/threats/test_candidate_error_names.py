"""Threat: a candidate names its own exception class to break the harness's tables and records.

A test whose call raised is recorded with the exception's type name (``error_type``), which the
CLI's table, ``summary.json``, ``leaderboard.md`` and the HTML leaderboard show per problem. The
name is the candidate's: ``type("Boom\\n| row | ...", (Exception,), {})`` makes such a class, and
a result written by hand on the result pipe can name anything. Before, the name was taken as it
came (rt-cand's red team, ``effbench evaluate --meter time`` on max_subarray_sum): a newline
split the CLI's table into a forged row, and a 300,000-character name made a 600 kB sample record
and a 300 kB summary for one sample (a result holds 16 MiB: 32 MB per failing sample).

Invariant: a candidate's error type is an identifier of at most ``MAX_ERROR_TYPE_CHARS``
characters (its class name where it is one, else ``Exception``), whatever the child reports.
"""

from __future__ import annotations

import json

import pytest

from effbench.engine import MAX_ERROR_TYPE_CHARS, Evaluator, classify
from effbench.meters.timing import TimeMeter
from effbench.sandboxes.base import Limits, TestRun
from effbench.sandboxes.local import LocalSandbox
from effbench.verdicts import Verdict

FORGED = "Boom\n| triangle | 9 | 9 | 1.000 | 1.000 | 9.99x | ok:9"


def _raised(error_type) -> TestRun:
    payload = {"ok": False, "error_type": error_type, "message": "no"}
    return TestRun(exit_code=0, result=json.dumps(payload))


@pytest.mark.parametrize(
    "reported",
    [FORGED, "x" * 300_000, "A" * (MAX_ERROR_TYPE_CHARS + 1), "Two words", "", 42, None, ["ValueError"]],
)
def test_an_error_type_the_child_reports_is_kept_only_as_a_short_identifier(triangle, reported):
    """Whatever the result says (written by hand, or a class named so), the recorded error type is
    one short identifier."""
    test = next(iter(triangle.all_tests()))
    verdict, _, etype, _ = classify(_raised(reported), test, test.expected, triangle, Limits())
    assert verdict == Verdict.ERROR
    assert etype == "Exception"


def test_a_candidates_own_class_name_is_kept_when_it_is_a_name(triangle):
    """An ordinary exception keeps its class name (what the tables are for)."""
    test = next(iter(triangle.all_tests()))
    for name in ("ZeroDivisionError", "MyError", "Ünïcode_Error"):
        assert classify(_raised(name), test, test.expected, triangle, Limits())[2] == name


def test_a_class_named_to_forge_a_table_row_is_recorded_as_exception_in_the_sandbox(triangle):
    """End to end in the local sandbox: the candidate's class with a newline and a row of the CLI's
    table in its name, 300,000 characters long, is recorded as ``Exception`` in the sample and
    its failing test."""
    code = (
        f"E = type({FORGED!r} + 'x' * 300_000, (Exception,), {{}})\n"
        f"def {triangle.entry_point}(*args):\n"
        "    raise E('no')\n"
    )
    with LocalSandbox(TimeMeter(), workers=1) as box:
        record = Evaluator(box, box.meter).evaluate(triangle, code)
    assert record.verdict == Verdict.ERROR
    assert record.error_type == "Exception"
    assert [t.error_type for t in record.tests] == ["Exception"]
    assert len(json.dumps(record.to_json())) < 10_000
