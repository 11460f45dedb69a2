"""The RL reward API (issue 14): efficiency of (problem, completion) as a reward for trainers.

- :class:`RewardModel` (:mod:`effbench.reward.model`): ``score``, ``score_batch`` and their async forms.
- :class:`RewardResult` (:mod:`effbench.reward.result`): the typed result.
- :class:`Shaping` (:mod:`effbench.reward.shaping`): binary, efficiency, speedup, acecode.
- :class:`ItemScorer` (:mod:`effbench.reward.scorer`): the picklable unit of work executors run.
- Adapters: :mod:`effbench.reward.trl` (GRPOTrainer) and :mod:`effbench.reward.verl` (``compute_score``).

Names resolve lazily: importing this package loads none of the engine.
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY = {
    "RewardModel": "effbench.reward.model",
    "RewardResult": "effbench.reward.result",
    "ItemStatus": "effbench.reward.result",
    "Shaping": "effbench.reward.shaping",
    "ShapingKind": "effbench.reward.shaping",
    "ItemScorer": "effbench.reward.scorer",
    "ScorerConfig": "effbench.reward.scorer",
    "RewardItem": "effbench.reward.scorer",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    """Resolve a public name on first use (PEP 562)."""
    try:
        module = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'effbench.reward' has no attribute {name!r}") from None
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """The public names."""
    return sorted(__all__)
