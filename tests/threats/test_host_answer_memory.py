"""Threat: an answer of millions of small containers costs the host its size many times over.

A result is capped at 16 MiB of JSON, but ``[]`` is 3 bytes of it and 56 bytes of a Python list
on the host: 16 MiB of empty lists is 5.6 million lists, and every pass over them that kept a
copy multiplied that. The check that a result is what the runner writes (``engine.
_not_what_the_runner_writes``) pushed an entry for every value onto its stack (385 MB and 7.8 s
of host CPU for that answer, load 7), and the built-in checkers' lenient view copied every list
of the answer even facing a two-element expected answer (5.2 s; the whole judging of such an
answer against one of its shape: 29 s and 1.6 GB of host memory, per test; rt-host's red team).

Invariants: the validation's memory grows with the answer's depth, not its size; the built-in
checkers do not copy an answer's lists and dicts where the lenient view leaves them as they are
(while :func:`effbench.checkers.canonical`, which custom checkers get, still gives new ones).
"""

from __future__ import annotations

import tracemalloc

from effbench import checkers
from effbench.engine import _MAX_RESULT_DEPTH, _not_what_the_runner_writes

#: small containers in the answers below
COUNT = 200_000


def _peak_bytes(fn) -> int:
    """The peak of memory allocated (tracemalloc) while ``fn()`` runs, above what was held before."""
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        before = tracemalloc.get_traced_memory()[0]
        fn()
        return tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()


def test_validating_a_result_of_many_small_containers_holds_memory_in_its_depth():
    """Checking depth and decimals of 200,000 empty lists and dicts allocates under 64 KiB
    (before: an entry per value, megabytes)."""
    payload = {"ok": True, "value": [[] if i % 2 else {} for i in range(COUNT)] + [[[1, 2]]]}
    peak = _peak_bytes(lambda: _not_what_the_runner_writes(payload))
    assert peak < 64 << 10, f"{peak} bytes to validate {COUNT} containers"
    deep: list = [1]
    for _ in range(_MAX_RESULT_DEPTH - 1):  # the 1 inside one level past the bound (the envelope is depth 0)
        deep = [deep]
    assert (
        _not_what_the_runner_writes({"ok": True, "value": deep}) == f"is nested deeper than {_MAX_RESULT_DEPTH} levels"
    )
    assert _not_what_the_runner_writes({"ok": True, "value": deep[0]}) is None


def test_the_built_in_checkers_do_not_copy_an_answer_of_many_small_lists():
    """``check('exact', [[1, 2]], 200,000 small lists)`` allocates less than one copy of the
    answer's outer list and its members would take (before: every list copied)."""
    answer = [[i] for i in range(COUNT)]
    peak = _peak_bytes(lambda: checkers.check("exact", [[1, 2]], answer, unordered_kinds=True))
    assert peak < COUNT * 8 + (64 << 10), f"{peak} bytes to compare {COUNT} lists"
    assert checkers.check("exact", [[i] for i in range(COUNT)], answer, unordered_kinds=True)


def test_custom_checkers_still_get_views_of_their_own():
    """The lenient view given to a custom checker is new: changing it changes no answer."""
    answer = [[3, 1], {"k": [2]}, {"__effbench__": "tuple", "items": [5, 4]}]
    view = checkers.canonical(answer)
    view[0].sort()
    view[1]["k"].append(9)
    view[2].sort()
    assert answer == [[3, 1], {"k": [2]}, {"__effbench__": "tuple", "items": [5, 4]}]
