"""Answers are compared on the host as plain data: no candidate object takes part."""

from effbench.checkers import check


def test_exact_distinguishes_bool_from_int():
    assert not check("exact", 1, True)
    assert check("exact", 3, 3.0)
    assert not check("exact", [1, 2], [2, 1])


def test_float_tolerance_is_relative_and_absolute():
    assert check("float", 1e9, 1e9 * (1 + 1e-7), tolerance=1e-6)
    assert not check("float", 1.0, 1.01, tolerance=1e-6)
    assert check("float", [0.0, 2.5], [1e-8, 2.5], tolerance=1e-6)


def test_unordered_is_a_multiset_comparison():
    assert check("unordered", [1, 2, 2], [2, 1, 2])
    assert not check("unordered", [1, 2, 2], [1, 2])
    assert check("unordered_inner", [[1, 2], [3]], [[3], [2, 1]])


def test_tagged_sets_compare_as_sorted_lists():
    tagged = {"__effbench__": "set", "items": [3, 1, 2]}
    assert check("exact", [1, 2, 3], tagged)
