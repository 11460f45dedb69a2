"""Executors: where item functions run. ``local`` (threads here) or ``ray`` (a Ray cluster).

``get_executor(name, **options).map(fn, items)`` returns ``[fn(item) for item in items]``, in
order, computed on the executor's workers; see :mod:`effbench.executors.base` for the contract an
item function follows (picklable configuration, lazily built warm state, optional shared facts).
"""

from __future__ import annotations

from typing import Any

from effbench.executors.base import Executor, ExecutorError, Retry, SharesFacts
from effbench.registry import EXECUTORS

__all__ = ["EXECUTORS", "Executor", "ExecutorError", "Retry", "SharesFacts", "get_executor"]


def get_executor(name: str, **options: Any) -> Executor:
    """Start the executor registered as ``name``.

    Options: ``local``: ``workers``; ``ray``: ``address``, ``workers``, ``max_attempts``, ``log``,
    ``ray_options`` (see each class).

    Raises:
        EffbenchError: ``name`` is unknown (the message lists the known ones);
        ExecutorError: the executor cannot start (e.g. Ray is not installed or unreachable).
    """
    return EXECUTORS.get(name)(**options)
