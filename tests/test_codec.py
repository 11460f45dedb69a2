"""Values cross the sandbox boundary as plain JSON data, never as pickles or objects.

Invariants: every type a candidate may return survives the trip with its type (tuples, sets,
frozensets, bytes, complex, big ints); results too deep are refused before they reach the host;
the host parses integers of any length.
"""

import json

import pytest

from effbench.codec import decode, encode, encode_args, loads, runner_module


def test_round_trip_of_plain_data_keeps_every_type():
    value = [1, -2.5, "x", None, True, [1, [2]], {"a": 1}, {1: "b"}, {3, 4}, b"\x00\xff", (5, 6)]
    value += [frozenset({7}), 1 + 2j, ((1, 2), [3])]
    back = decode(json.loads(json.dumps(encode(value))))
    assert back[:7] == [1, -2.5, "x", None, True, [1, [2]], {"a": 1}]
    assert back[7] == {1: "b"} and back[8] == {3, 4} and back[9] == b"\x00\xff"
    assert back[10] == (5, 6) and type(back[10]) is tuple
    assert back[11] == frozenset({7}) and type(back[11]) is frozenset
    assert back[12] == 1 + 2j and back[13] == ((1, 2), [3])


def test_result_nested_too_deep_is_refused_before_crossing():
    """A result nested past MAX_DEPTH raises ResultTooDeep in the child (a wrong answer), not a
    RecursionError in the host's decoder."""
    runner = runner_module()
    deep = []
    for _ in range(runner.MAX_DEPTH + 5):
        deep = [deep]
    with pytest.raises(runner.ResultTooDeep):
        encode(deep)
    shallow = []
    for _ in range(runner.MAX_DEPTH - 1):
        shallow = [shallow]
    assert encode(shallow) is not None


def test_integers_longer_than_4300_digits_cross_both_ways():
    """Host->runner arguments and runner->host results tag big ints as hex (linear to parse); a
    long *decimal* integer can only have been written by a candidate itself: refused, never
    parsed in quadratic time."""
    big = 7**6000  # 5,071 decimal digits: past int()'s default limit
    tagged = encode_args([big, 5])
    assert tagged[0]["__effbench__"] == "int" and tagged[1] == 5
    assert decode(json.loads(json.dumps(tagged))) == [big, 5]
    result = runner_module()._dumps_result(encode([big, 3]))
    assert decode(loads(result)) == [big, 3]
    with pytest.raises(ValueError):
        loads('{"ok":true,"value":[' + "9" * 6000 + "]}")


def test_a_set_of_integers_longer_than_4300_digits_is_an_answer_not_an_error():
    """Invariant: a set or frozenset holding an int past Python's default digit limit (which
    candidates run under) is encoded and crosses to the host whole, as the same int in a list
    does. Threat (red team rt-host): the runner ordered a set's members by their decimal JSON
    text, which raised ValueError, so an honest answer was judged error/ValueError (and the
    same answer from an expert skipped the problem)."""
    import sys

    runner = runner_module()
    big = 7**6000  # 5,071 decimal digits
    before = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(4300)  # a test child's limit
    try:
        encoded = [runner.encode({big, 2}), runner.encode(frozenset({(big, 1), (3, 4)}))]
        texts = [runner._dumps_result(e) for e in encoded]
    finally:
        sys.set_int_max_str_digits(before)
    assert decode(loads(texts[0])) == {big, 2}
    assert decode(loads(texts[1])) == frozenset({(big, 1), (3, 4)})


def test_objects_are_not_plain_data():
    class Liar:
        def __eq__(self, other):
            return True

    with pytest.raises(runner_module().NotPlainData):
        encode(Liar())
    with pytest.raises(runner_module().NotPlainData):
        encode([1, {"k": lambda: 0}])
