"""Threat: an answer whose members all hash alike makes the host build a set or dict for hours.

A checker that wants real Python values (an imported ENAMEL row's ``__check``, marked with
``checkers.wants_python_values``) gets the candidate's answer through ``checkers.to_python``,
which builds Python sets, frozensets and dicts of the candidate's values on the host. The hash
of an int is the int modulo 2**61 - 1, so the multiples of that prime all hash to 0 (tuples of
them, and floats of the same value, alike), and every insertion probes past every earlier one:
quadratic. A candidate writes such a set by hand on its result pipe (it finds it through its
caller's frame; a result written by hand is judged like a returned one), 16 MiB of it (about
650,000 members), at no cost to itself: about an hour of the host's time (rt-cand's red team;
20,000 members took 4.7 s here, load 3.4), a run stopped on one sample. The checker itself was
bounded by ``HOST_CODE_SECONDS``; turning the answer into its values was not.

Invariant: turning a candidate's answer into a custom checker's view is bounded as the checker
is; past the bound the sample is judged by CheckerError (``wrong``), and the run goes on.
"""

from __future__ import annotations

import pytest

from effbench import checkers, hostcode
from effbench.errors import CheckerError

TAG = "__effbench__"
#: every multiple of this prime hashes to 0
PRIME = (1 << 61) - 1
#: members per answer: 19-77 s to build unbounded here (load 12-15), far past the bound below
MEMBERS = 30_000


def _flood(shape: str) -> dict:
    """A tagged answer of MEMBERS values that all hash alike, in one of the shapes to_python builds."""
    values = [PRIME * k for k in range(1, MEMBERS + 1)]
    if shape == "set":
        return {TAG: "set", "items": values}
    if shape == "frozenset":
        return {TAG: "frozenset", "items": values}
    if shape == "dict_keys":
        return {TAG: "dict", "items": [[v, 0] for v in values]}
    if shape == "set_of_tuples":  # lists inside a set become tuples, whose hash follows their members'
        return {TAG: "set", "items": [[v] for v in values]}
    raise AssertionError(shape)


@pytest.mark.parametrize("shape", ["set", "frozenset", "dict_keys", "set_of_tuples"])
def test_an_answer_that_floods_the_hosts_hash_tables_is_stopped_at_the_checkers_bound(monkeypatch, shape):
    """The conversion of a hash-flooding answer for a Python-values checker runs under the host-code
    bound: CheckerError naming it, not a host busy for as long as the candidate likes."""
    monkeypatch.setattr(hostcode, "HOST_CODE_SECONDS", 0.3)
    seen = []

    @checkers.wants_python_values
    def check_answer(args, expected, actual):
        seen.append(actual)
        return expected == actual

    with pytest.raises(CheckerError, match="runs past"):
        checkers.check("custom", 1, _flood(shape), args=[[1, 2]], custom=check_answer)
    assert not seen, "the checker was called on an answer that took past the bound to build"


def test_a_normal_answer_still_reaches_a_python_values_checker():
    """The bound changes nothing for an ordinary answer: the checker gets real Python values."""

    @checkers.wants_python_values
    def check_answer(args, expected, actual):
        return isinstance(actual, set) and actual == expected

    answer = {TAG: "set", "items": [3, 1, 2]}
    assert checkers.check("custom", answer, answer, args=[[1, 2, 3]], custom=check_answer)
    assert not checkers.check("custom", answer, [1, 2, 3], args=[[1, 2, 3]], custom=check_answer)
