"""Threat: a large answer to an ``unordered`` problem holds the host for as long as it likes.

The ``unordered`` and ``unordered_inner`` checkers compare multisets of the members' JSON texts.
Each text was a ``json.dumps(..., sort_keys=True)`` call, which builds an encoder per call, and
Counter's ``==`` walks both counters in Python; none of it was bounded. 16 MiB of ints (2 million)
took the host 9.2 s to refuse against a two-element expected answer, 24 s to accept against an
equal one (load 6); the same 2 million ints passed the flat-answer path of the built-in checkers
unbounded (rt-host's red team).

Invariants: a multiset of another size than the expected one is refused without a key computed;
the unordered checkers run under the host-code bound (``wrong``/``CheckerError`` past it).
"""

from __future__ import annotations

from collections import Counter

import pytest

from effbench import checkers, hostcode
from effbench.errors import CheckerError


@pytest.mark.parametrize("kind", ["unordered", "unordered_inner"])
def test_an_unordered_answer_of_another_size_is_refused_without_a_key_computed(monkeypatch, kind):
    """200,000 members facing two: no member's JSON text is computed (before: one per member)."""
    answer = [[i] for i in range(200_000)] if kind == "unordered_inner" else list(range(200_000))
    keys = [0]
    for name in ("_sort_key", "_texts"):
        real = getattr(checkers, name, None)
        if real is None:
            continue

        def counted(value, real=real):
            keys[0] += len(value) if isinstance(value, list) else 1
            return real(value)

        monkeypatch.setattr(checkers, name, counted)
    assert not checkers.check(kind, [[1], [2]], answer)
    assert keys[0] == 0, f"{keys[0]} keys computed"
    assert checkers.check(kind, answer, answer)


@pytest.mark.parametrize("kind", ["unordered", "unordered_inner"])
def test_an_unordered_check_past_the_host_code_bound_is_a_checker_error(monkeypatch, kind):
    """A flat answer to an unordered problem is compared under the bound too: a comparison made slow
    on purpose is stopped there as a CheckerError (before: waited for, and passed)."""
    monkeypatch.setattr(hostcode, "HOST_CODE_SECONDS", 0.2)
    spins = [0]

    def slow_multiset(values):
        for _ in range(300_000_000):
            spins[0] += 1
        return Counter()

    monkeypatch.setattr(checkers, "_multiset", slow_multiset)
    answer = [[1, 2], [3]] if kind == "unordered_inner" else [1, 2, 3]
    with pytest.raises(CheckerError, match="runs past 0.2 s"):
        checkers.check(kind, answer, answer)
    assert spins[0] < 300_000_000
