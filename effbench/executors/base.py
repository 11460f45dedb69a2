"""What an executor is: ``map(fn, items)`` over warm workers, order kept, lost work retried.

An executor applies one *item function* to many items and returns the results in the items'
order. The item function is a picklable callable that holds only configuration (problem set,
meter, sandbox, settings) and builds its warm per-process state (an
:class:`~effbench.engine.Evaluator` with its sandbox runners) lazily, on first use, in whatever
process calls it; it must drop that state when pickled (``__getstate__``) so that it travels as
configuration only. Executors: ``local`` (threads in this process) and ``ray`` (long-lived Ray
actors, one per CPU of the cluster, each with its own sandboxes).

Optional hooks an item function may define (both executors honour them):

- **Shared facts** (expert profiles, expected answers): ``shared_keys(item) -> tuple`` names the
  facts an item needs; ``compute_shared(key) -> value`` computes one, once per key, on one worker;
  ``use_shared(key, value)`` gives it to a worker before it runs an item that needs it. On Ray the
  value goes through the object store: computed once, fetched once per node.
- **Retries**: ``record_retries(result, retries) -> result`` stores the :class:`Retry` records of an
  item whose worker died (the executor re-runs it elsewhere) in its result; without the hook a
  result that has a ``meta`` dict gets them under ``meta["retries"]``. Every retry is also logged
  and kept in the executor's ``retries`` list.
- **Given up**: ``lost_result(item, retries) -> result`` is the result of an item that lost
  ``max_attempts`` workers (the retries are then recorded in it as above); without the hook, such
  an item fails the ``map`` call with :class:`ExecutorError`.
- ``close()``: called in every worker process when the executor closes (stops the sandboxes).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Protocol, TypeVar, runtime_checkable

from effbench.errors import EffbenchError

I = TypeVar("I")  # noqa: E741 - an item
R = TypeVar("R")  # a result

#: called in the calling process with (item index, result) as each item finishes
ResultCallback = Callable[[int, Any], None]


class ExecutorError(EffbenchError):
    """An executor cannot start (Ray missing, cluster unreachable) or an item was lost for good."""


@dataclass(frozen=True)
class Retry:
    """One lost attempt of an item: its worker died (or became unreachable) while running it.

    Attributes:
        item: the item's index in the ``map`` call (-1 for a shared fact).
        attempt: which attempt was lost (1 = the first).
        worker: the lost worker, e.g. ``"pid 1234 on node 127.0.0.1"``.
        reason: the first line of the error Ray reported.
        key: the shared fact's key, for a lost ``compute_shared`` (else None).
    """

    item: int
    attempt: int
    worker: str
    reason: str
    key: str | None = None

    def to_json(self) -> dict[str, Any]:
        """Plain JSON-able data."""
        return asdict(self)


@runtime_checkable
class SharesFacts(Protocol):
    """An item function whose items need facts computed once (see the module's docstring)."""

    def shared_keys(self, item: Any) -> Sequence[Hashable]:
        """The keys of the facts ``item`` needs (hashable, picklable)."""
        ...

    def compute_shared(self, key: Hashable) -> Any:
        """Compute the fact ``key`` (picklable); may raise, which fails the ``map`` call."""
        ...

    def use_shared(self, key: Hashable, value: Any) -> None:
        """Take the fact ``key`` computed by any worker (possibly on another machine)."""
        ...


class Executor(Protocol):
    """Runs an item function over items. Implementations: ``local``, ``ray``."""

    name: str
    #: every lost attempt so far, over all ``map`` calls
    retries: list[Retry]

    def map(self, fn: Callable[[Any], Any], items: Sequence[Any], on_result: ResultCallback | None = None) -> list:
        """``[fn(item) for item in items]``, spread over the executor's workers.

        Args:
            fn: the item function (picklable for ``ray``; thread-safe for ``local``).
            items: the items (picklable for ``ray``).
            on_result: called in this process with ``(index, result)`` as each item finishes (in
                completion order), e.g. to append a record or move a progress bar.

        Returns:
            The results, in the items' order.

        Raises:
            Whatever ``fn`` raised (the first failure; the other items are abandoned);
            ExecutorError: an item lost its worker more times than allowed (unless ``fn`` has a
                ``lost_result`` hook, whose result it then gets).
        """
        ...

    def describe(self) -> dict[str, Any]:
        """Facts for a run's config (executor name, workers, nodes)."""
        ...

    def close(self) -> None:
        """Stop the workers (and a Ray runtime this executor started). Idempotent."""
        ...


def shared_keys_in_order(fn: Any, items: Sequence[Any]) -> list[Hashable]:
    """The distinct shared keys of ``items``, in first-use order ([] when ``fn`` shares none)."""
    if not isinstance(fn, SharesFacts):
        return []
    seen: dict[Hashable, None] = {}
    for item in items:
        for key in fn.shared_keys(item):
            seen.setdefault(key, None)
    return list(seen)


def with_retries(fn: Any, result: Any, retries: list[Retry]) -> Any:
    """``result`` with its item's retries recorded (see the module's docstring); unchanged when none."""
    if not retries:
        return result
    hook = getattr(fn, "record_retries", None)
    if hook is not None:
        return hook(result, retries)
    meta = getattr(result, "meta", None)
    if isinstance(meta, dict):
        meta["retries"] = [*meta.get("retries", []), *(r.to_json() for r in retries)]
    return result
