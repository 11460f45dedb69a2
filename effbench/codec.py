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
    """``sandbox/runner.py`` loaded as a module (it is standard library only)."""
    spec = importlib.util.spec_from_file_location("effbench_sandbox_runner", paths.runner_path())
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def encode(value: Any) -> Any:
    """Python value -> JSON-able plain data (raises the runner's NotPlainData otherwise)."""
    return runner_module().encode(value)


def decode(data: Any) -> Any:
    return runner_module().decode(data)


def _parse_int(text: str) -> int:
    """JSON integers as Python parses them by default (at most 4300 digits). The runner tags
    longer integers as hex, so a longer decimal one was written by a candidate on its own:
    refused (ValueError), never parsed in quadratic time."""
    return int(text)


def loads(text: str | bytes) -> Any:
    """Parse a child's JSON result on the host: integers of any length; the runner bounds its
    size and nesting before it leaves the child. Raises ValueError (or RecursionError)."""
    return json.loads(text, parse_int=_parse_int)


def _tag_big_ints(data: Any) -> Any:
    if type(data) is int:
        return data if data.bit_length() <= 13000 else {TAG: "int", "hex": format(data, "x")}
    if isinstance(data, list):
        return [_tag_big_ints(v) for v in data]
    if isinstance(data, dict):
        return {k: _tag_big_ints(v) for k, v in data.items()}
    return data


def encode_args(value: Any) -> Any:
    """A test's arguments as plain data for a request: ``encode``, with integers too long for
    JSON's decimal digits tagged as hex (the runner decodes them)."""
    return _tag_big_ints(encode(value))


def runner_hash() -> str:
    import hashlib

    return hashlib.sha256(paths.runner_path().read_bytes()).hexdigest()[:16]
