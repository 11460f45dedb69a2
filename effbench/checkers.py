"""Compare a candidate's answer with the expected one, outside the candidate's process.

Both sides are plain data decoded from JSON (see ``sandbox/runner.py``): the candidate cannot
bring an object with a forged ``__eq__`` across the boundary. Values that JSON cannot hold travel
tagged: ``{"__effbench__": TAG, ...}`` with TAG one of ``tuple``, ``set``, ``frozenset`` (field
``items``), ``dict`` (``items``: key/value pairs), ``bytes`` (``hex``), ``complex`` (``real``,
``imag``, or ``re``, ``im``) and ``int`` (a big integer: ``dec`` in decimal or ``hex`` in base 16).

Two views of a tagged value:

- :func:`canonical` (the built-in checkers): the bundled problems' documented leniency, a tuple
  compares like a list, a set or frozenset like a sorted list, a dict with non-string keys like a
  sorted list of pairs.
  A bundled problem's ``checker.py`` gets this view too (problems/README.md).
- :func:`to_python` (checkers of imported formats, e.g. the ENAMEL format's ``__check``, marked
  with :func:`wants_python_values`): the real Python value, so a checker that demands a tuple gets
  a tuple, and decides itself how strict it is.
"""

from __future__ import annotations

import json
import math
import operator
from collections import Counter
from collections.abc import Callable
from fractions import Fraction
from typing import Any

from effbench.errors import CheckerError

TAG = "__effbench__"
#: decimal digits converted by one int() call; more go through big_int in chunks (Python limits
#: int(str) to 4300 digits by default, and a candidate may return a larger integer)
_INT_CHUNK = 4000


def big_int(text: str) -> int:
    """A decimal string (optional sign) -> int, for any length; ValueError if not decimal."""
    sign, digits = (-1, text[1:]) if text[:1] == "-" else (1, text.lstrip("+"))
    if not digits or not digits.isascii() or not digits.isdigit():
        raise ValueError(f"not a decimal integer: {text[:40]!r}")
    if len(digits) <= _INT_CHUNK:
        return sign * int(digits)
    value = 0
    head = len(digits) % _INT_CHUNK or _INT_CHUNK
    value = int(digits[:head])
    scale = 10**_INT_CHUNK
    for i in range(head, len(digits), _INT_CHUNK):
        value = value * scale + int(digits[i : i + _INT_CHUNK])
    return sign * value


def _tagged_int(value: dict) -> int:
    """``{"__effbench__": "int", "dec": "-123..."}`` or ``{..., "hex": "-7b..."}`` -> int."""
    if "hex" in value:
        text = str(value["hex"])
        digits = text[1:] if text[:1] == "-" else text
        digits = digits[2:] if digits[:2].lower() == "0x" else digits
        if not digits or not digits.isascii() or any(c not in "0123456789abcdefABCDEF" for c in digits):
            raise ValueError(f"not a hexadecimal integer: {text[:40]!r}")
        return int(text, 16)  # no digit limit for base 16
    return big_int(str(value.get("dec", "")))


def _items(value: dict) -> list:
    items = value.get("items")
    if not isinstance(items, list):
        raise ValueError(f"tagged {value.get(TAG)!r} without a list of items")
    return items


def _hashable(value: Any) -> Any:
    """Lists inside set members or dict keys become tuples (JSON has no tuple)."""
    if isinstance(value, list):
        return tuple(_hashable(v) for v in value)
    if isinstance(value, dict | set):
        return frozenset(_hashable(v) for v in (value.items() if isinstance(value, dict) else value))
    return value


def to_python(value: Any) -> Any:
    """Decoded plain data -> the Python value it stands for (tuples, sets, bytes, big ints...).

    Raises ValueError on a malformed or unknown tag (which only the runner writes).
    """
    if isinstance(value, list):
        return [to_python(v) for v in value]
    if not isinstance(value, dict):
        return value
    tag = value.get(TAG)
    if tag is None:
        return {k: to_python(v) for k, v in value.items()}
    if tag == "tuple":
        return tuple(to_python(v) for v in _items(value))
    if tag == "set":
        return {_hashable(to_python(v)) for v in _items(value)}
    if tag == "frozenset":
        return frozenset(_hashable(to_python(v)) for v in _items(value))
    if tag == "dict":
        return {_hashable(to_python(k)): to_python(v) for k, v in _items(value)}
    if tag == "bytes":
        return bytes.fromhex(str(value.get("hex", "")))
    if tag == "int":
        return _tagged_int(value)
    if tag == "complex":
        return _tagged_complex(value)
    raise ValueError(f"unknown tag {tag!r}")


def _tagged_complex(value: dict) -> complex:
    """``{"__effbench__": "complex", "re": x, "im": y}`` (or ``real``/``imag``, or ``items``)."""
    if "items" in value:
        real, imag = _items(value)
    else:
        real, imag = value.get("re", value.get("real")), value.get("im", value.get("imag"))
    if not all(isinstance(x, int | float) and not isinstance(x, bool) for x in (real, imag)):
        raise ValueError("tagged complex without a real and an imaginary part")
    return complex(real, imag)


def canonical(value: Any) -> Any:
    """The lenient view of a value, for the built-in checkers.

    The lenient view: tuples become lists, sets and frozensets sorted lists, tagged dicts
    sorted pair lists, big ints ints (while short enough to print); the rest is unchanged. A set's
    members (a tagged dict's ``[key, value]`` pairs) are sorted by their JSON text
    (``json.dumps(member_view, sort_keys=True)``), computed once per member, bottom-up
    (:func:`_keyed`): the work is linear in the answer's size times the depth of its nested sets,
    not in the size times the depth squared.

    Raises ValueError or TypeError on a malformed tagged value (a dict's item that is no pair).
    """
    return _lenient(value, None)


#: types whose lenient view is the value itself and whose JSON text ``json.dumps`` gives at once
_SCALAR_TYPES = frozenset({str, int, float, bool, type(None)})
_FIRST = operator.itemgetter(0)
_SECOND = operator.itemgetter(1)


def _lenient(value: Any, marks: dict[int, tuple[str, list]] | None, share: bool = False) -> Any:
    """:func:`canonical`, noting in ``marks`` (when given) each list that stands for a set or dict.

    ``marks[id(view)] = (kind, view)`` with kind ``"set"`` or ``"dict"`` (see
    :func:`_same_marks`); the view is kept there so that its id stays its own. With ``share``, a
    list or dict whose view would be an equal copy is its own view (the built-in checkers, which
    never change a view: a 16 MiB answer of millions of small lists is not copied on the host);
    without, every list and dict of the view is new (a custom checker may change its arguments).
    """
    if isinstance(value, list | tuple):
        if share and type(value) is list and _SCALAR_TYPES.issuperset(map(type, value)):
            return value
        view = [_lenient(v, marks, share) for v in value]
        return value if share and type(value) is list and all(map(operator.is_, view, value)) else view
    if not isinstance(value, dict):
        return value
    tag = value.get(TAG)
    if tag == "tuple":
        items = value.get("items", [])
        return _lenient(items if type(items) is list else list(items), marks, share)
    if tag in ("set", "frozenset", "dict"):
        return _sorted_members(value, tag, marks)[0]
    if tag == "bytes":
        return {TAG: "bytes", "hex": value.get("hex")}
    if tag == "int":
        number = _lenient_int(value)
        if number is not None:
            return number
    view_dict = {k: _lenient(v, marks, share) for k, v in value.items()}
    return value if share and all(view_dict[k] is v for k, v in value.items()) else view_dict


def _lenient_int(value: dict) -> Any:
    """A tagged int's lenient view: an int while short enough to print, else one hex normal form.

    None when the tag does not hold an integer (the dict is then kept as it is, walked).
    """
    try:
        number = _tagged_int(value)
    except ValueError:
        return None
    return number if number.bit_length() <= _INT_CHUNK * 3 else {TAG: "int", "hex": hex(number)}


def _sorted_members(value: dict, tag: str, marks: dict[int, tuple[str, list]] | None) -> tuple[list, list[str]]:
    """A tagged set's (or dict's) lenient view, a sorted list, and its members' JSON texts in order."""
    if tag == "dict":
        members = []
        for k, v in value.get("items", []):
            (key_view, key_text), (val_view, val_text) = _keyed(k, marks), _keyed(v, marks)
            members.append(([key_view, val_view], f"[{key_text}, {val_text}]"))
    else:
        members = [_keyed(v, marks) for v in value.get("items", [])]
    members.sort(key=_SECOND)
    view = list(map(_FIRST, members))
    if marks is not None:
        marks[id(view)] = ("dict" if tag == "dict" else "set", view)
    return view, list(map(_SECOND, members))


def _keyed(value: Any, marks: dict[int, tuple[str, list]] | None) -> tuple[Any, str]:
    """``(view, text)``: :func:`_lenient`'s view of ``value`` and ``json.dumps(view, sort_keys=True)``.

    The text is built from the members' texts, each computed once (a set's sort key): before, every
    set re-serialized its whole subtree, and every set above it again (a red team, rt-host: 1 MB of
    frozensets nested 50 deep took 48 s of host CPU to check).
    """
    if type(value) in _SCALAR_TYPES:
        return value, _SCALAR_TEXT[type(value)](value)
    if isinstance(value, list | tuple) or (isinstance(value, dict) and value.get(TAG) == "tuple"):
        items = value if not isinstance(value, dict) else value.get("items", [])
        if isinstance(items, list | tuple) and _SCALAR_TYPES.issuperset(map(type, items)):
            view = list(items)
            return view, json.dumps(view)
        pairs = [_keyed(v, marks) for v in items]
        return list(map(_FIRST, pairs)), "[" + ", ".join(map(_SECOND, pairs)) + "]"
    if not isinstance(value, dict):
        view = _lenient(value, marks)
        return view, json.dumps(view, sort_keys=True)
    tag = value.get(TAG)
    if tag in ("set", "frozenset", "dict"):
        view, texts = _sorted_members(value, tag, marks)
        return view, "[" + ", ".join(texts) + "]"
    if tag == "bytes":
        view = {TAG: "bytes", "hex": value.get("hex")}
        return view, json.dumps(view, sort_keys=True)
    if tag == "int":
        number = _lenient_int(value)
        if number is not None:
            return number, json.dumps(number, sort_keys=True)
    entries = {k: _keyed(v, marks) for k, v in value.items()}
    view = {k: entry[0] for k, entry in entries.items()}
    text = "{" + ", ".join(f"{json.dumps(k)}: {entries[k][1]}" for k in sorted(entries)) + "}"
    return view, text


#: ``json.dumps(value, sort_keys=True)`` without building an encoder per call (json.dumps does,
#: given any option: 4.5 us a scalar, most of a 2-million-int ``unordered`` check's 24 s)
_KEY_ENCODER = json.JSONEncoder(sort_keys=True)


def _sort_key(value: Any) -> str:
    """``json.dumps(value, sort_keys=True)``: a scalar's at C speed, a container's by the encoder."""
    text_of = _SCALAR_TEXT.get(type(value))
    return text_of(value) if text_of is not None else _KEY_ENCODER.encode(value)


def _float_text(x: float) -> str:
    """A float's JSON text as json.dumps writes it (``NaN``, ``Infinity``, ``-Infinity`` included)."""
    if x != x:
        return "NaN"
    if x in (math.inf, -math.inf):
        return "Infinity" if x > 0 else "-Infinity"
    return float.__repr__(x)


#: the JSON text of a scalar, by type, as json.dumps writes it (JSONEncoder.encode builds an
#: encoder per call for anything but a str: about 4 us a number, 19 s of a 2-million-int
#: ``unordered`` check)
_SCALAR_TEXT: dict[type, Callable[[Any], str]] = {
    int: int.__repr__,
    str: json.encoder.encode_basestring_ascii,
    float: _float_text,
    bool: lambda b: "true" if b else "false",
    type(None): lambda _: "null",
}


def _texts(values: list) -> list[str]:
    """``[_sort_key(v) for v in values]``, at C speed for a list of ints only or strs only."""
    kinds = set(map(type, values))
    if len(kinds) == 1 and (kind := next(iter(kinds))) in (int, str):
        return list(map(_SCALAR_TEXT[kind], values))
    return list(map(_sort_key, values))


#: scalar types on which :func:`equal` is Python's ``==`` (no bool, which equals only a bool; no
#: float, whose NaN is never equal, nor close under a tolerance)
_EXACT_BY_EQ = frozenset({str, int, type(None)})


def _nan(x: int | float) -> bool:
    """Whether ``x`` is a float NaN (``math.isnan`` of an int past the float range overflows)."""
    return isinstance(x, float) and math.isnan(x)


def _inf(x: int | float) -> bool:
    """Whether ``x`` is a float infinity (an int is never one, however large)."""
    return isinstance(x, float) and math.isinf(x)


def _within(expected: int | float, actual: int | float, tolerance: float) -> bool:
    """``|actual - expected| <= tolerance * max(1, |expected|)``, for finite numbers of any size.

    In floats where they reach; exactly, in fractions, where an int is past the float range (an
    answer of ``10**400`` where a float is due: OverflowError escaped the check and stopped the
    run, a red team, rt-host).
    """
    try:
        return abs(actual - expected) <= tolerance * max(1.0, abs(expected))
    except OverflowError:
        exp, act = Fraction(expected), Fraction(actual)
        return abs(act - exp) <= Fraction(tolerance) * max(Fraction(1), abs(exp))


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
        if _nan(expected) or _nan(actual):
            return _nan(expected) and _nan(actual)
        if _inf(expected) or _inf(actual):
            return expected == actual
        return _within(expected, actual, tolerance)
    if isinstance(expected, list) and isinstance(actual, list):
        if len(expected) != len(actual):
            return False
        if _EXACT_BY_EQ.issuperset(map(type, expected)) and _EXACT_BY_EQ.issuperset(map(type, actual)):
            return expected == actual  # ints, strs and None: Python's == is this function's, at C speed
        return all(equal(e, a, tolerance) for e, a in zip(expected, actual))
    if isinstance(expected, dict) and isinstance(actual, dict):
        return expected.keys() == actual.keys() and all(equal(expected[k], actual[k], tolerance) for k in expected)
    return type(expected) is type(actual) and expected == actual


def _multiset(values: list) -> Counter:
    return Counter(_texts(values))


def _same_counts(a: Counter, b: Counter) -> bool:
    """``a == b`` at C speed: the same answer, as neither holds a zero count.

    Counter's own ``==`` walks both in Python: 7 s for 2 million keys.
    """
    return dict.__eq__(a, b)


def wants_python_values(check: Callable) -> Callable:
    """Mark a custom checker as one that gets real Python values.

    Mark a custom checker as one that gets real Python values (:func:`to_python`) rather than
    the lenient view; returns it.
    """
    check.effbench_python_values = True  # type: ignore[attr-defined]
    return check


def run_custom(custom: Callable[[Any, Any, Any], Any], args: Any, expected: Any, actual: Any) -> bool:
    """Call a custom checker on real Python values: ``custom(args, expected, actual) -> bool``.

    ``args`` is the list of arguments of the call; ``expected`` is the expert's answer (or the
    test's fixed answer) and ``actual`` the candidate's, both given to the checker as real Python
    values (:func:`to_python`) if it was marked with :func:`wants_python_values`, else in the
    lenient view (:func:`canonical`).
    Raises CheckerError (a problem error, never the candidate's fault) when the checker raises
    (SystemExit too), runs past :data:`effbench.hostcode.HOST_CODE_SECONDS`, or is called
    without the arguments of the call; also when turning the answers into the checker's view
    fails or runs past that limit (a hand-written set of ints that all hash alike).
    """
    if args is None:
        raise CheckerError("a custom checker needs the arguments of the call (got none)")
    view = to_python if getattr(custom, "effbench_python_values", False) else canonical
    from effbench.hostcode import HostCodeTimeout, call_bounded

    # the answer is turned into the checker's view inside the time bound too: to_python builds
    # sets and dicts of the candidate's values, and ints (floats, tuples of them) hash to values
    # anyone can choose, so a set of 650,000 multiples of 2**61 - 1 written by hand on the result
    # pipe (16 MiB) took the host quadratic time to build, about an hour (a red team, rt-cand)
    try:
        exp, act = call_bounded(lambda: (view(expected), view(actual)))
    except HostCodeTimeout as exc:
        raise CheckerError(f"turning an answer into the checker's values {exc}") from None
    except (ValueError, TypeError, ArithmeticError) as exc:  # the last: a complex part past the float range
        raise CheckerError(f"cannot decode an answer for the checker: {exc}") from None
    try:
        return bool(call_bounded(lambda: custom(list(args), exp, act)))
    except HostCodeTimeout as exc:
        raise CheckerError(f"the checker {exc} on one answer (it must return True or False)") from None
    except (Exception, SystemExit) as exc:  # noqa: BLE001 - benchmark code: any failure is the checker's
        raise CheckerError(f"the checker raises {type(exc).__name__}: {str(exc)[:200]}") from None


def same_unordered_kinds(expected: Any, actual: Any) -> bool:
    """Whether every set or dict in ``actual`` stands where ``expected`` has one of its kind.

    The lenient view (:func:`canonical`) sorts a set's items and a dict's pairs on the host. When
    ``expected`` holds an ordered list there, a candidate that answers with a set instead would
    have its answer sorted by the host, outside the measured span, for free (a red team's
    finding: ``check('exact', [1, 2, 3], a set of 3, 1, 2)`` passed). Arguments are the answers as
    decoded JSON (tagged values); returns False at the first set or dict facing anything else,
    at any depth (inside a set's members and a dict's keys and values too, paired in the lenient
    view's sorted order). Linear in the answers' size (see :func:`canonical`).
    """
    marks: dict[int, tuple[str, list]] = {}
    return _same_marks(_lenient(expected, marks, share=True), _lenient(actual, marks, share=True), marks)


def _same_marks(expected: Any, actual: Any, marks: dict[int, tuple[str, list]]) -> bool:
    """:func:`same_unordered_kinds` on two lenient views whose set and dict lists are in ``marks``.

    Iterative, so a deep answer cannot exhaust the stack.
    """
    stack = [(expected, actual)]
    while stack:
        exp, act = stack.pop()
        act_kind = marks.get(id(act), (None,))[0] if isinstance(act, list) else None
        exp_kind = marks.get(id(exp), (None,))[0] if isinstance(exp, list) else None
        if act_kind is not None:
            if exp_kind != act_kind:
                return False
            # both unordered: the lenient view compares them sorted, as documented; their
            # members (a dict's keys and values) are walked too, paired in that sorted order
            # (a set or dict nested in a dict's values or in a set's members would otherwise
            # be sorted by the host where the expert has a list or tuple: {1: {3, 1, 2}} passed
            # for {1: [1, 2, 3]}, a set of frozensets for a set of sorted tuples)
            if not _SCALAR_TYPES.issuperset(map(type, act)):  # scalar members hold no set: no walk
                stack.extend(zip(exp, act))
        elif exp_kind is not None:
            continue  # the candidate's own list facing a set: compared in the set's sorted order
        elif isinstance(act, list) and isinstance(exp, list):
            if not _SCALAR_TYPES.issuperset(map(type, act)):
                stack.extend(zip(exp, act))
        elif isinstance(act, dict) and isinstance(exp, dict) and TAG not in act and TAG not in exp:
            stack.extend((exp[k], act[k]) for k in act.keys() & exp.keys())
    return True


def check(
    kind: str,
    expected: Any,
    actual: Any,
    tolerance: float = 1e-6,
    args: list | None = None,
    custom: Any = None,
    unordered_kinds: bool = False,
) -> bool:
    """Does ``actual`` answer the test whose answer is ``expected``, under checker ``kind``?

    Args:
        kind: ``exact``, ``float``, ``unordered``, ``unordered_inner`` or ``custom``.
        expected: the expected answer as decoded JSON (tagged values, :mod:`effbench.codec`).
        actual: the candidate's answer, likewise.
        tolerance: relative tolerance of ``float``.
        args: the call's arguments (``custom`` only).
        custom: the problem's checker function (``custom`` only).
        unordered_kinds: for ``exact`` and ``float``, a set or dict in ``actual`` passes only where
            ``expected`` has a set or dict (:func:`same_unordered_kinds`). The engine asks for it
            where the expected answer is the expert's own value (generated tests), so the host
            never sorts a candidate's answer into the order the expert produced itself; an
            author-written answer (a problem's fixed tests, plain JSON with no sets) keeps the
            documented leniency.

    Raises:
        CheckerError: a custom checker raises (see :func:`run_custom`), or turning the answers
            into the lenient view and comparing them runs past the host-code bound
            (:data:`effbench.hostcode.HOST_CODE_SECONDS` of CPU time, :func:`~effbench.hostcode.call_bounded`):
            whatever shape a candidate returns, the host's work on it is bounded, and the
            verdict says so (the engine fails the answer, ``wrong``/``CheckerError``).
        ValueError, TypeError: a malformed tagged value; ValueError for an unknown ``kind``.
    """
    if kind == "custom":
        return run_custom(custom, args, expected, actual)
    if kind not in _BUILT_IN_KINDS:
        raise ValueError(f"unknown checker {kind!r}")
    if kind in ("exact", "float") and _flat(expected) and _flat(actual):  # the common answer: one pass at C speed
        return _check_built_in(kind, expected, actual, tolerance, unordered_kinds)
    from effbench.hostcode import HostCodeTimeout, call_bounded

    try:
        return call_bounded(lambda: _check_built_in(kind, expected, actual, tolerance, unordered_kinds))
    except HostCodeTimeout as exc:
        raise CheckerError(f"comparing the answers (the {kind} checker) {exc}") from None


_BUILT_IN_KINDS = ("exact", "float", "unordered", "unordered_inner")


def _sorted_by_text(values: list) -> list:
    """``sorted(values, key=_sort_key)``, each key computed once (see :func:`_texts`)."""
    return [v for _, v in sorted(zip(_texts(values), values), key=_FIRST)]


def _flat(value: Any) -> bool:
    """Whether ``value`` is a scalar or a list of scalars (checked in one linear pass, unbounded).

    Checked at C speed: a bound (a watcher thread) costs a few hundred microseconds per call.
    """
    return type(value) in _SCALAR_TYPES or (type(value) is list and _SCALAR_TYPES.issuperset(map(type, value)))


def _check_built_in(kind: str, expected: Any, actual: Any, tolerance: float, unordered_kinds: bool) -> bool:
    """:func:`check` for a built-in ``kind``, unbounded (linear in the answers' size, see :func:`canonical`)."""
    marks: dict[int, tuple[str, list]] | None = {} if unordered_kinds and kind in ("exact", "float") else None
    expected, actual = _lenient(expected, marks, share=True), _lenient(actual, marks, share=True)
    if marks is not None and not _same_marks(expected, actual, marks):
        return False
    if kind == "exact":
        return equal(expected, actual)
    if kind == "float":
        return equal(expected, actual, tolerance)
    if not (isinstance(actual, list) and isinstance(expected, list)) or len(actual) != len(expected):
        return False  # a multiset of another size: no key computed (16 MiB facing a short answer)
    if kind == "unordered":
        return _same_counts(_multiset(expected), _multiset(actual))
    if not all(isinstance(x, list) for x in actual):
        return False
    norm = lambda outer: _multiset([_sorted_by_text(inner) for inner in outer])  # noqa: E731
    return _same_counts(norm(expected), norm(actual))
