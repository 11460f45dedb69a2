"""The plain-data codec, shared with the in-sandbox runner (one implementation, in the runner)."""

from __future__ import annotations

import functools
import importlib.util
from types import ModuleType
from typing import Any

from effbench import paths


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


def runner_hash() -> str:
    import hashlib

    return hashlib.sha256(paths.runner_path().read_bytes()).hexdigest()[:16]
