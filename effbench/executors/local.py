"""The ``local`` executor: the item function called from a pool of threads in this process.

The item function's warm state (one evaluator, one sandbox with its runners) is shared by the
threads, so it must be thread-safe (:class:`~effbench.engine.Evaluator` is).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any

from effbench.executors.base import ExecutorError, ResultCallback, Retry, SharesFacts, shared_keys_in_order


class LocalExecutor:
    """Threads in this process; nothing is pickled, nothing is ever lost to a dead worker."""

    name = "local"

    def __init__(self, workers: int = 1, log: Callable[[str], None] | None = None) -> None:
        """Start the threads.

        Args:
            workers: threads calling the item function at once (>= 1).
            log: unused (the ``ray`` executor logs retries; no thread is ever lost here).

        Raises:
            ExecutorError: ``workers`` < 1.
        """
        if workers < 1:
            raise ExecutorError(f"local executor: workers must be at least 1 (got {workers})")
        self.workers = workers
        self.retries: list[Retry] = []
        self._pool: ThreadPoolExecutor | None = ThreadPoolExecutor(max_workers=workers)

    def map(self, fn: Callable[[Any], Any], items: Sequence[Any], on_result: ResultCallback | None = None) -> list:
        """See :meth:`effbench.executors.base.Executor.map`.

        Shared facts are computed first (in parallel, once per key) and given to ``fn`` (the same
        object: a no-op for an evaluator).
        """
        if self._pool is None:
            raise ExecutorError("local executor: closed")
        pool = self._pool
        keys = shared_keys_in_order(fn, items)
        if keys:
            assert isinstance(fn, SharesFacts)
            for key, value in zip(keys, pool.map(fn.compute_shared, keys)):
                fn.use_shared(key, value)
        results: list[Any] = [None] * len(items)
        futures: dict[Future, int] = {pool.submit(fn, item): i for i, item in enumerate(items)}
        outstanding = set(futures)
        try:
            while outstanding:
                done, outstanding = wait(outstanding, return_when=FIRST_COMPLETED)
                for fut in done:
                    index = futures[fut]
                    results[index] = fut.result()
                    if on_result is not None:
                        on_result(index, results[index])
        except BaseException:
            for fut in outstanding:
                fut.cancel()
            raise
        return results

    def describe(self) -> dict[str, Any]:
        """``{"executor": "local", "workers": N}``."""
        return {"executor": self.name, "workers": self.workers}

    def close(self) -> None:
        """Stop the threads (waiting for none that is queued). Idempotent."""
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)

    def __enter__(self) -> LocalExecutor:
        """The executor itself."""
        return self

    def __exit__(self, *exc: object) -> None:
        """:meth:`close`."""
        self.close()
