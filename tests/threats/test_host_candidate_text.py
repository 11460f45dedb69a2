r"""Threat: a candidate's exception message reaches a trainer's terminal or log as raw text.

A test's detail quotes the candidate: its exception's message (up to 500 characters, as the
runner writes it, or anything it writes on its result pipe by hand). A message may hold a
newline, a terminal's escape sequence (``\x1b[2J`` clears the screen) or a lone surrogate
(``raise ValueError("\ud800")``, which JSON carries as ``"\ud800"``); the detail became
``RewardResult.reason`` as it was, and a trainer that printed it raised UnicodeEncodeError
(rt-host's red team).

Invariant: every test detail is one line of printable text, encodable as UTF-8.
"""

from __future__ import annotations

import json

import pytest

from effbench.engine import classify
from effbench.sandboxes.base import Limits, TestRun
from effbench.verdicts import Verdict

MESSAGES = {
    "lone_surrogate": "bad \ud800 value",
    "newline_and_table_row": "ok\n| sum_list | 1.00 | passed |",
    "terminal_escape": "\x1b[2J\x1b[Hall tests passed",
}


@pytest.mark.parametrize("name", list(MESSAGES))
def test_a_candidates_exception_message_is_recorded_as_one_printable_line(triangle, name):
    """The detail of a test whose call raised is printable, one line, and UTF-8 encodable."""
    text = json.dumps({"ok": False, "error_type": "ValueError", "message": MESSAGES[name]})
    run = TestRun(result=text, exit_code=0, other_results=[])
    verdict, _answer, etype, detail = classify(run, triangle.level_tests(0)[0], 1, triangle, Limits(wall_seconds=60))
    assert (verdict, etype) == (Verdict.ERROR, "ValueError")
    assert detail.isprintable(), repr(detail)
    detail.encode("utf-8")
