"""The plain-data codec, shared with the in-sandbox runner (one implementation, in the runner)."""

from __future__ import annotations

import functools
import importlib.util
import json
from types import ModuleType
from typing import Any

from effbench import paths

TAG = "__effbench__"


@functools.lru_cache(maxsize=1)
def runner_module() -> ModuleType:
    """Load ``sandbox/runner.py`` as a module, once per process (it is standard library only)."""
    spec = importlib.util.spec_from_file_location("effbench_sandbox_runner", paths.runner_path())
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def encode(value: Any) -> Any:
    """Turn a Python value into JSON-able plain data.

    Lists, str-keyed dicts and scalars stay as they are; tuples, sets, other dicts, bytes and
    complex numbers are tagged so that their types survive the sandbox boundary.

    Raises:
        NotPlainData: (the runner's TypeError subclass) for values that cannot cross the boundary.
    """
    return runner_module().encode(value)


def decode(data: Any) -> Any:
    """Turn plain data from a result or a test file back into Python values.

    The inverse of ``encode``: tagged tuples, sets, frozensets, non-str-keyed dicts, bytes,
    complex numbers and hex-tagged long integers come back as their types.

    Args:
        data: JSON-parsed plain data (lists, dicts, scalars, tagged dicts).

    Returns:
        The Python value it encodes.

    Raises:
        ValueError: on an unknown tag.
    """
    return runner_module().decode(data)


def _parse_int(text: str) -> int:
    """Parse a JSON integer as Python does by default (at most 4300 digits).

    The runner tags longer integers as hex, so a longer decimal one was written by a candidate
    on its own: it is refused (ValueError), never parsed in quadratic time.
    """
    return int(text)


def loads(text: str | bytes) -> Any:
    """Parse a child's JSON result on the host.

    Integers of any length arrive hex-tagged (see ``encode_args``); the runner bounds the
    result's size (bytes) and nesting before it leaves the child.

    Args:
        text: the JSON document, as str or UTF-8 bytes.

    Returns:
        The parsed plain data (still tagged: pass it to ``decode``).

    Raises:
        ValueError: on malformed JSON or a decimal integer longer than 4300 digits.
        RecursionError: on nesting deeper than the parser's stack.
    """
    return json.loads(text, parse_int=_parse_int)


def _tag_big_ints(data: Any) -> Any:
    """Replace integers longer than 13000 bits (about 3900 decimal digits) by hex tags, recursively."""
    if type(data) is int:
        return data if data.bit_length() <= 13000 else {TAG: "int", "hex": format(data, "x")}
    if isinstance(data, list):
        return [_tag_big_ints(v) for v in data]
    if isinstance(data, dict):
        return {k: _tag_big_ints(v) for k, v in data.items()}
    return data


def encode_args(value: Any) -> Any:
    """Encode a test's arguments as plain data for a request to the runner.

    This is ``encode``, with integers too long for JSON's decimal digits tagged as hex (the
    runner decodes them).

    Args:
        value: the arguments (any plain-data Python value).

    Returns:
        JSON-able plain data.

    Raises:
        NotPlainData: (the runner's TypeError subclass) for values that cannot cross the boundary.
    """
    return _tag_big_ints(encode(value))


def runner_hash() -> str:
    """Identify the in-sandbox runner's code, for cache keys and fingerprints.

    Returns:
        The first 16 hex digits of the SHA-256 of ``sandbox/runner.py``.
    """
    import hashlib

    return hashlib.sha256(paths.runner_path().read_bytes()).hexdigest()[:16]
