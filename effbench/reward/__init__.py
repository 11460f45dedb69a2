"""The RL reward API (issue 14): efficiency of (problem, completion) as a reward for trainers.

- :class:`RewardModel` (:mod:`effbench.reward.model`): ``score``, ``score_batch`` and their async forms.
- :class:`RewardResult` (:mod:`effbench.reward.result`): the typed result.
- :class:`Shaping` (:mod:`effbench.reward.shaping`): binary, efficiency, speedup, acecode.
- :class:`ItemScorer` (:mod:`effbench.reward.scorer`): the picklable unit of work executors run.
- Adapters: :mod:`effbench.reward.trl` (GRPOTrainer) and :mod:`effbench.reward.verl` (``compute_score``).

Names resolve lazily: importing this package loads none of the engine.
"""

from __future__ import annotations

from effbench.lazy import lazy_names

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
__getattr__, __dir__ = lazy_names(__name__, globals(), {name: (module, name) for name, module in _LAZY.items()})
