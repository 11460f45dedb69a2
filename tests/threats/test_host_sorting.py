"""Threat: a candidate makes the host do its work by answering with a set where a list is due.

The built-in checkers compare answers in a lenient view (effbench.checkers.canonical) that sorts
a set's items and a dict's pairs on the host, outside the measured span. Where the expert's
answer is an ordered list (e.g. the sorted distinct values of the input) and the order of the
lenient sort agrees with it (same-width non-negative ints sort the same as text and as numbers),
a candidate returning ``set(xs)`` skipped the sort and passed (helper-64's red team): the host
sorted for free. The expected answer of a generated test is the expert's own value, so its kind
(list, set, dict) is known: a set or dict passes only where the expert answered one.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from effbench.checkers import check
from effbench.engine import EngineSettings, Evaluator
from effbench.problems import load_problem_set

MINI = Path(__file__).resolve().parent.parent / "fixtures" / "mini"

SET = {"__effbench__": "set", "items": [300, 100, 200]}
DICT = {"__effbench__": "dict", "items": [[2, 7], [1, 5]]}

PROBLEM = '''id = "distinct_sorted"
title = "Distinct values in increasing order"
category = "sorting"
complexity = "O(n log n)"
entry_point = "distinct_sorted"
checker = "exact"
prompt = """
def distinct_sorted(xs: list[int]) -> list[int]:
    \\"\\"\\"The distinct values of xs in increasing order.

    >>> distinct_sorted([200, 100, 200])
    [100, 200]
    \\"\\"\\"
"""
levels = [
  { size = 4, weight = 0, tests = 1 },
  { size = 3000, weight = 1, tests = 1 },
  { size = 30000, weight = 2, tests = 1 },
]
'''
GENERATOR = """import random


def generate(size: int, rng: random.Random) -> list:
    return [[rng.randrange(100000, 1000000) for _ in range(size)]]
"""
TESTS = '[{"args": [[200, 100, 200]], "expected": [100, 200]}]'
EXPERT = "def distinct_sorted(xs):\n    return sorted(set(xs))\n"
SLOWER = """def distinct_sorted(xs):
    out = []
    for x in sorted(xs):
        if not out or out[-1] != x:
            out.append(x)
    return out
"""
SET_ANSWER = "def distinct_sorted(xs):\n    return set(xs)\n"


def test_a_set_never_answers_an_expected_ordered_list_on_a_generated_test():
    """Invariant: with the expert's own answer as the expected value, an exact or float check
    refuses a set (or frozenset) or dict standing where the expert has a list; sets still match
    sets and tuples still match lists."""
    assert check("exact", [100, 200, 300], SET)  # an author-written answer keeps its leniency
    assert not check("exact", [100, 200, 300], SET, unordered_kinds=True)
    assert not check("float", [[1, 5], [2, 7]], DICT, unordered_kinds=True)
    assert not check("exact", [[100, 200, 300]], [SET], unordered_kinds=True)  # nested too
    assert check("exact", {"__effbench__": "frozenset", "items": [200, 100, 300]}, SET, unordered_kinds=True)
    assert check("exact", [1, 2], {"__effbench__": "tuple", "items": [1, 2]}, unordered_kinds=True)
    assert check("exact", {"k": [1, 2]}, {"k": [1, 2]}, unordered_kinds=True)


def test_a_set_nested_in_a_set_or_a_dict_never_answers_an_expected_ordered_list():
    """Invariant: the refusal holds at every depth, inside a set's members and a tagged dict's
    keys and values too: a candidate's set (or dict) in there, where the expert's answer has a
    list or tuple, is never sorted by the host for free. Equal unordered answers still match."""
    from effbench.codec import encode

    def strict(expected, actual):
        return check("exact", encode(expected), encode(actual), unordered_kinds=True)

    assert not strict({1: [1, 2, 3], 2: [4, 5]}, {1: {3, 1, 2}, 2: {5, 4}})  # in a dict's values
    assert not strict({(1, 2), (3, 4)}, {frozenset({2, 1}), frozenset({4, 3})})  # in a set's members
    assert not strict({(1, 2): "a"}, {frozenset({2, 1}): "a"})  # in a dict's keys
    assert not strict([{5: [(1, 2)]}], [{5: [{2: 1}]}])  # a dict deeper down
    assert strict({1: {3, 1, 2}, 2: {5, 4}}, {2: {4, 5}, 1: {2, 3, 1}})
    assert strict({frozenset({1, 2}), frozenset({3})}, {frozenset({3}), frozenset({2, 1})})
    assert strict({(1, 2): [1], (0, 5): [2]}, {(0, 5): [2], (1, 2): [1]})
    assert check("exact", encode({1: [1, 2, 3]}), encode({1: {3, 1, 2}}))  # author-written: lenient


def test_a_candidate_answering_a_set_is_wrong_where_the_expert_sorts(valgrind_box, tmp_path):
    """Invariant, end to end: a candidate returning ``set(xs)`` for a problem whose expert returns
    the sorted distinct values (same-width ints, where the host's sort of a set agrees with the
    numeric order) is WRONG at its first generated test; the expert scores 1."""
    root = tmp_path / "set"
    shutil.copytree(MINI / "problems", root / "problems", ignore=shutil.ignore_patterns("triangle", "reverse_words"))
    folder = root / "problems" / "distinct_sorted"
    folder.mkdir()
    (folder / "problem.toml").write_text(PROBLEM)
    (folder / "generator.py").write_text(GENERATOR)
    (folder / "tests.json").write_text(TESTS)
    (root / "references" / "distinct_sorted").mkdir(parents=True)
    (root / "references" / "distinct_sorted" / "expert.py").write_text(EXPERT)
    (root / "references" / "distinct_sorted" / "loop.py").write_text(SLOWER)
    problem = load_problem_set(root / "problems").get("distinct_sorted")
    evaluator = Evaluator(valgrind_box, valgrind_box.meter, EngineSettings(input_seed="host-sorting"))
    expert = evaluator.evaluate(problem, EXPERT, "expert")
    assert expert.passed and expert.efficiency == 1.0
    forger = evaluator.evaluate(problem, SET_ANSWER, "forger")
    assert not forger.passed, forger.tests
    failing = forger.tests[-1]
    assert ".g" in failing.test_id and failing.verdict.value == "wrong", failing  # a generated test
