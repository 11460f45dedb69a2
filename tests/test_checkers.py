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


def test_tagged_values_reach_custom_checkers_as_real_python_values():
    """Tuples, sets, frozensets, bytes, complex and big ints keep their type for a checker that
    asks for Python values (the imported formats' checkers)."""
    from effbench.checkers import to_python

    big = 7**9000
    tagged = [
        {"__effbench__": "tuple", "items": [1, {"__effbench__": "tuple", "items": [2]}]},
        {"__effbench__": "set", "items": [[1, 2], 3]},
        {"__effbench__": "frozenset", "items": ["a"]},
        {"__effbench__": "bytes", "hex": "ff00"},
        {"__effbench__": "complex", "real": 1.5, "imag": -2.0},
        {"__effbench__": "int", "dec": _decimal(big)},
        {"__effbench__": "dict", "items": [[[1, 2], "pair"]]},
    ]
    got = to_python(tagged)
    assert got[0] == (1, (2,)) and type(got[0]) is tuple
    assert got[1] == {(1, 2), 3} and type(got[1]) is set
    assert got[2] == frozenset({"a"}) and type(got[2]) is frozenset
    assert got[3] == b"\xff\x00"
    assert got[4] == complex(1.5, -2.0)
    assert got[5] == big
    assert got[6] == {(1, 2): "pair"}
    # the runner's other spellings: complex as re/im, a big int in base 16
    assert to_python({"__effbench__": "complex", "re": 0.5, "im": 2}) == complex(0.5, 2)
    assert to_python({"__effbench__": "int", "hex": hex(-big)}) == -big


def _decimal(n: int) -> str:
    """Decimal digits of a big int without int.__str__'s digit limit."""
    digits = []
    while n:
        n, r = divmod(n, 10**1000)
        digits.append(str(r).zfill(1000))
    return "".join(reversed(digits)).lstrip("0") or "0"


def test_builtin_checkers_keep_their_leniency_for_tagged_values():
    """`exact` treats a tuple like a list and a frozenset like a set, as documented."""
    as_tuple = {"__effbench__": "tuple", "items": [1, 2]}
    assert check("exact", [1, 2], as_tuple)
    assert check("exact", {"__effbench__": "set", "items": [1, 2]}, {"__effbench__": "frozenset", "items": [2, 1]})
    assert check("exact", 5, {"__effbench__": "int", "dec": "5"})
    assert check("exact", 7**9000, {"__effbench__": "int", "hex": hex(7**9000)}) is False  # an int vs a huge one
    huge = {"__effbench__": "int", "hex": hex(7**9000)}
    assert check("exact", huge, {"__effbench__": "int", "dec": _decimal(7**9000)})
    assert not check("exact", [1, 2, 3], as_tuple)


def test_a_malformed_tag_is_a_checker_error_not_a_traceback():
    import pytest

    from effbench.checkers import wants_python_values
    from effbench.errors import CheckerError

    with pytest.raises(CheckerError, match="cannot decode"):
        check(
            "custom", 1, {"__effbench__": "int", "dec": "12x"}, args=[], custom=wants_python_values(lambda a, e, x: 1)
        )
