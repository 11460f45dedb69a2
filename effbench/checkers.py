"""Compare a candidate's answer with the expected one, outside the candidate's process.

Both sides are plain data decoded from JSON (see ``sandbox/runner.py``): the candidate cannot
bring an object with a forged ``__eq__`` across the boundary.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from typing import Any

TAG = "__effbench__"


def canonical(value: Any) -> Any:
    """Tagged sets become sorted lists and tagged dicts sorted pair lists; the rest is unchanged."""
    if isinstance(value, list):
        return [canonical(v) for v in value]
    if isinstance(value, dict):
        tag = value.get(TAG)
        if tag == "set":
            return sorted((canonical(v) for v in value["items"]), key=_sort_key)
        if tag == "dict":
            return sorted(([canonical(k), canonical(v)] for k, v in value["items"]), key=_sort_key)
        if tag == "bytes":
            return {TAG: "bytes", "hex": value["hex"]}
        return {k: canonical(v) for k, v in value.items()}
    return value


def _sort_key(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def _number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def equal(expected: Any, actual: Any, tolerance: float | None = None) -> bool:
    """Structural equality: bools only equal bools; ints and floats compare by value.

    With a tolerance, numbers match when ``|a - e| <= tolerance * max(1, |e|)``.
    """
    if isinstance(expected, bool) or isinstance(actual, bool):
        return type(expected) is type(actual) and expected == actual
    if _number(expected) and _number(actual):
        if tolerance is None:
            return expected == actual
        if math.isnan(expected) or math.isnan(actual):
            return math.isnan(expected) and math.isnan(actual)
        if math.isinf(expected) or math.isinf(actual):
            return expected == actual
        return abs(actual - expected) <= tolerance * max(1.0, abs(expected))
    if isinstance(expected, list) and isinstance(actual, list):
        return len(expected) == len(actual) and all(equal(e, a, tolerance) for e, a in zip(expected, actual))
    if isinstance(expected, dict) and isinstance(actual, dict):
        return expected.keys() == actual.keys() and all(equal(expected[k], actual[k], tolerance) for k in expected)
    return type(expected) is type(actual) and expected == actual


def _multiset(values: list) -> Counter:
    return Counter(_sort_key(v) for v in values)


def check(
    kind: str, expected: Any, actual: Any, tolerance: float = 1e-6, args: list | None = None, custom: Any = None
) -> bool:
    """Does ``actual`` answer the test whose answer is ``expected``, under checker ``kind``?"""
    expected, actual = canonical(expected), canonical(actual)
    if kind == "exact":
        return equal(expected, actual)
    if kind == "float":
        return equal(expected, actual, tolerance)
    if kind == "unordered":
        return isinstance(actual, list) and isinstance(expected, list) and _multiset(expected) == _multiset(actual)
    if kind == "unordered_inner":
        if not (isinstance(actual, list) and isinstance(expected, list)):
            return False
        if not all(isinstance(x, list) for x in actual):
            return False
        norm = lambda outer: _multiset([sorted(inner, key=_sort_key) for inner in outer])  # noqa: E731
        return norm(expected) == norm(actual)
    if kind == "custom":
        return bool(custom(args, expected, actual))
    raise ValueError(f"unknown checker {kind!r}")
