"""Values cross the sandbox boundary as plain JSON data, never as pickles or objects."""

import json

import pytest

from effbench.codec import decode, encode, runner_module


def test_round_trip_of_plain_data():
    value = [1, -2.5, "x", None, True, [1, [2]], {"a": 1}, {1: "b"}, {3, 4}, b"\x00\xff", (5, 6)]
    back = decode(json.loads(json.dumps(encode(value))))
    assert back[:7] == [1, -2.5, "x", None, True, [1, [2]], {"a": 1}]
    assert back[7] == {1: "b"} and back[8] == {3, 4} and back[9] == b"\x00\xff" and back[10] == [5, 6]


def test_objects_are_not_plain_data():
    class Liar:
        def __eq__(self, other):
            return True

    with pytest.raises(runner_module().NotPlainData):
        encode(Liar())
    with pytest.raises(runner_module().NotPlainData):
        encode([1, {"k": lambda: 0}])
