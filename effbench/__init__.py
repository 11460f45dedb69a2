"""effbench: how efficient is the code a language model writes?

Importing this package is cheap: the public API is resolved lazily on first use, so
``import effbench`` pulls in neither numpy nor any sandbox backend.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_LAZY = {
    "load_problem_set": ("effbench.problems", "load_problem_set"),
    "ProblemSet": ("effbench.problems", "ProblemSet"),
    "Problem": ("effbench.problems", "Problem"),
    "eff_at_k": ("effbench.scoring", "eff_at_k"),
    "pass_at_k": ("effbench.scoring", "pass_at_k"),
    "Evaluator": ("effbench.engine", "Evaluator"),
    "choose_meter": ("effbench.meters", "choose_meter"),
    "open_sandbox": ("effbench.sandboxes", "open_sandbox"),
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    try:
        module_name, attr = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'effbench' has no attribute {name!r}") from None
    value = getattr(importlib.import_module(module_name), attr)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
