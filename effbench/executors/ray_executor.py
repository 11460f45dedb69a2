"""The ``ray`` executor: items spread over long-lived Ray actors, lost work retried elsewhere.

One actor per CPU of the cluster (``num_cpus=1``, spread over the nodes); each keeps its item
functions warm (an evaluator with its own local or docker sandbox on that node) across ``map``
calls, keyed by the function's pickled configuration. The calling process hands out items one
by one (two in flight per actor, so no actor waits for the next), so a slow item never holds
back a queue.

Shared facts (expert profiles and expected answers, see :mod:`effbench.executors.base`) are
computed once per key on some actor, fetched once and put in Ray's object store by this process
(which owns them, so they survive any worker), and fetched from there once per actor.

A worker process that dies (killed, out of memory, its node lost) loses no item: every item it
held is re-queued and runs on another actor (a replacement actor is started in its place); each
lost attempt is a :class:`~effbench.executors.base.Retry`, logged, kept in :attr:`retries` and
recorded in the item's result. An item that loses ``max_attempts`` workers fails the call with
:class:`~effbench.executors.base.ExecutorError`.

Without an ``address`` a local Ray runtime is started, on the loopback interface only.
"""

from __future__ import annotations

import hashlib
import logging
import os
import socket
import sys
import threading
from collections import deque
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any

from effbench.cpus import MAX_WORKERS_PER_CPU, usable_cpus
from effbench.executors.base import ExecutorError, ResultCallback, Retry, shared_keys_in_order, with_retries

log_ = logging.getLogger("effbench.executors")

#: calls queued per actor at once (one running, one waiting: no gap between items)
DEPTH = 2
#: seconds a new actor may take to start before the cluster is said to lack room for it
START_TIMEOUT = 120.0
#: seconds to wait for a TCP connection to a cluster's address before ``ray.init`` (see _check_reachable)
CONNECT_TIMEOUT = 10.0
#: seconds the actors get to close their sandboxes before they are killed (an item still running
#: is not waited for: Ctrl-C stays quick)
CLOSE_TIMEOUT = 5.0


def _import_ray(local: bool) -> Any:
    """The ``ray`` module; a local runtime is confined to the loopback interface.

    Raises:
        ExecutorError: Ray is not installed.
    """
    if local and "ray" not in sys.modules:
        # Ray's own switch for single-machine use (its default on macOS and Windows): every
        # process of the runtime binds and talks on 127.0.0.1, never on the machine's address
        os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
    try:
        import ray
    except ImportError:
        raise ExecutorError("executor ray: Ray is not installed: pip install 'effbench[ray]'") from None
    return ray


def address_host_port(address: str | None) -> tuple[str, int] | None:
    """The ``(host, port)`` of a cluster address; None for one left to Ray.

    Left to Ray: None, ``auto``, ``local``, another client scheme's ``scheme://...``. Else
    ``[ray://]HOST:PORT`` only, HOST without whitespace or ``/`` (IPv6 in brackets or bare), PORT
    1-65535 in ASCII digits. Before, anything else was handed to ``ray.init``: an address read
    from a file or ``$(cat ...)`` with its trailing newline (``127.0.0.1:1`` and a newline) skipped the
    reachability check and ``ray.init`` waited forever (killed after 50 s); a port of 20 digits
    raised OverflowError, ``:²`` ValueError, instead of an ExecutorError.

    Raises:
        ExecutorError: naming the address (``repr``, so whitespace shows) and the forms accepted.
    """
    if address is None or address in ("auto", "local"):
        return None
    if isinstance(address, str):
        rest = address.removeprefix("ray://")
        if "://" in rest and not address.startswith("ray://") and rest.split("://", 1)[0].isidentifier():
            return None  # another Ray client scheme: left to Ray
        host, sep, port = rest.rpartition(":")
        bare = host.strip("[]") if host.startswith("[") and host.endswith("]") else host
        if (
            sep
            and bare
            and not any(c.isspace() or c in "/[]" for c in bare)
            and port.isascii()
            and port.isdigit()
            and 1 <= int(port) <= 65535
        ):
            return bare, int(port)
    raise ExecutorError(
        f"executor ray: address {address!r} is not a Ray cluster's address: give [ray://]HOST:PORT "
        "(PORT 1-65535, IPv6 in brackets), 'auto' or 'local', or no address to start a local cluster"
    )


def _check_reachable(address: str | None, timeout: float) -> None:
    """Refuse a cluster address where nothing accepts a TCP connection, within ``timeout`` seconds.

    ``ray.init`` given such an address (a typo, a head not started or gone) retries in its C++
    client forever, every ~40 s, deaf to SIGTERM and Ctrl-C: the caller's first ``map`` (a
    reward model's first ``score_batch``, ``effbench evaluate --executor ray``) never returned
    (killed after 5 minutes). Addresses left to Ray by :func:`address_host_port` (``auto``,
    ``local``) are not checked.

    Raises:
        ExecutorError: a malformed address (:func:`address_host_port`), or nothing accepted a
            connection at HOST:PORT within ``timeout``.
    """
    where = address_host_port(address)
    if where is None:
        return
    try:
        with socket.create_connection(where, timeout=timeout):
            pass
    except OSError as exc:
        why = exc.strerror or type(exc).__name__
        raise ExecutorError(
            f"executor ray: nothing answers at {address} ({why}, waited up to {timeout:.0f} s): "
            "is the cluster's head running there? ('ray start --head' prints the address to give)"
        ) from None


def _is_loopback(address: str | None) -> bool:
    """Whether ``address`` is a head on this machine's loopback.

    Read by :func:`address_host_port`; a malformed address is not, and is refused where it is checked.
    """
    try:
        where = address_host_port(address)
    except ExecutorError:
        return False
    return where is not None and where[0] in ("127.0.0.1", "localhost", "::1")


class _Worker:
    """The actor: item functions kept warm by configuration key, with the shared facts they got."""

    def __init__(self) -> None:
        self._fns: dict[str, Any] = {}
        self._have: dict[str, set] = {}

    def info(self) -> dict[str, Any]:
        import ray

        return {"pid": os.getpid(), "node": ray.util.get_node_ip_address()}

    def _fn(self, fn_key: str, fn_box: list) -> Any:
        fn = self._fns.get(fn_key)
        if fn is None:
            import ray

            fn = ray.get(fn_box[0])
            self._fns[fn_key] = fn
            self._have[fn_key] = set()
        return fn

    def compute(self, fn_key: str, fn_box: list, key: Hashable) -> Any:
        return self._fn(fn_key, fn_box).compute_shared(key)

    def call(self, fn_key: str, fn_box: list, item: Any, shared: dict) -> Any:
        fn = self._fn(fn_key, fn_box)
        have = self._have[fn_key]
        missing = [k for k in shared if k not in have]
        if missing:
            import ray

            for key, value in zip(missing, ray.get([shared[k][0] for k in missing])):
                fn.use_shared(key, value)
                have.add(key)
        return fn(item)

    def close(self) -> None:
        fns, self._fns = list(self._fns.values()), {}
        for fn in fns:
            close = getattr(fn, "close", None)
            if close is not None:
                close()


@dataclass
class _Slot:
    """One actor as the caller sees it."""

    actor: Any
    pid: int
    node: str
    inflight: int = 0
    alive: bool = True

    @property
    def label(self) -> str:
        return f"pid {self.pid} on node {self.node}"


@dataclass
class _Task:
    """One unit of work: an item (index >= 0) or a shared fact (index -1, with its key)."""

    index: int
    key: Hashable = None
    attempts: int = 0
    lost: list[Retry] = field(default_factory=list)


class RayExecutor:
    """Long-lived Ray actors, one per CPU; see the module's docstring.

    Use it as a context manager (or call :meth:`close`): it stops its actors, and the Ray
    runtime when it started or connected to one itself.
    """

    name = "ray"

    def __init__(
        self,
        address: str | None = None,
        workers: int | None = None,
        max_attempts: int = 3,
        log: Callable[[str], None] | None = None,
        ray_options: dict[str, Any] | None = None,
    ) -> None:
        """Connect to (or start) Ray and start the actors.

        Args:
            address: a Ray cluster's address (``HOST:PORT`` of its head, or ``auto``); None
                starts a local Ray runtime with ``workers`` CPUs on 127.0.0.1.
            workers: actors (one CPU each); default: every CPU of the cluster (for a local
                runtime: the CPUs this process may use, :func:`effbench.cpus.usable_cpus`; at most
                :data:`~effbench.cpus.MAX_WORKERS_PER_CPU` per such CPU).
            max_attempts: attempts of one item before its loss fails the call (>= 1).
            log: where one-line messages go (retries); default: the ``effbench.executors`` logger.
            ray_options: more keyword arguments for ``ray.init`` (e.g. ``runtime_env``).

        Raises:
            ExecutorError: Ray is missing, the cluster cannot be reached, or it has fewer CPUs
                than ``workers``, or (local runtime) ``workers`` is above the cap.
        """
        if max_attempts < 1:
            raise ExecutorError(f"executor ray: max_attempts must be at least 1 (got {max_attempts})")
        if workers is not None and workers < 1:
            raise ExecutorError(f"executor ray: workers must be at least 1 (got {workers})")
        usable = usable_cpus()
        if address is None and workers is not None and workers > MAX_WORKERS_PER_CPU * usable:
            # a local runtime is given ``workers`` CPUs, so it would start them all, one actor each
            raise ExecutorError(
                f"executor ray: workers={workers} would start {workers} actors (each a sandbox runner) in a local "
                f"Ray runtime on the {usable} CPU(s) this process may use; at most {MAX_WORKERS_PER_CPU} per CPU "
                f"({MAX_WORKERS_PER_CPU * usable}), or give a cluster's address"
            )
        self.address = address
        self.max_attempts = max_attempts
        self.log = log or log_.warning
        self.retries: list[Retry] = []
        #: ``shared_computed``: shared facts computed (once each); ``items``: items finished
        self.stats = {"shared_computed": 0, "items": 0}
        self._slots: list[_Slot] = []
        # one map at a time (a RewardModel may be called from many threads), and close() waits for
        # the one running; re-entrant so that an on_result callback that closes cannot deadlock
        self._lock = threading.RLock()
        self._fn_refs: dict[str, Any] = {}  # fn key -> its ObjectRef (the configuration, put once)
        self._shared: dict[tuple[str, Hashable], Any] = {}  # (fn key, key) -> ObjectRef of the fact
        self._ray = ray = _import_ray(local=address is None or _is_loopback(address))
        self._owns_runtime = not ray.is_initialized()
        if self._owns_runtime:
            options: dict[str, Any] = {
                "include_dashboard": False,
                "log_to_driver": False,
                "logging_level": logging.WARNING,
                **(ray_options or {}),
            }
            if address is None:
                # the CPUs this process may use (its affinity mask: a container's cpuset, taskset),
                # not os.cpu_count(), the host's (a 2-CPU container on a 64-CPU host: 64 actors)
                options["num_cpus"] = workers or usable
            _check_reachable(address, CONNECT_TIMEOUT)
            try:
                ray.init(address=address, **options)
            except (ConnectionError, RuntimeError, ValueError) as exc:
                raise ExecutorError(f"executor ray: cannot connect to {address or 'a local runtime'}: {exc}") from None
        cpus = int(ray.cluster_resources().get("CPU", 0))
        self.workers = workers or max(1, cpus)
        if self.workers > cpus:
            self.close()
            raise ExecutorError(f"executor ray: {self.workers} workers asked, the cluster has {cpus} CPU(s)")
        self._actor_class = ray.remote(num_cpus=1, max_restarts=0, max_task_retries=0)(_Worker)
        self._lost_types = tuple(
            getattr(ray.exceptions, n)
            for n in ("RayActorError", "ActorUnavailableError", "WorkerCrashedError", "ObjectLostError")
            if hasattr(ray.exceptions, n)
        )
        try:
            self._start(self.workers)
        except BaseException:
            self.close()
            raise

    # -- actors ------------------------------------------------------------------------------------
    def _start(self, n: int) -> list[_Slot]:
        ray = self._ray
        actors = [self._actor_class.options(scheduling_strategy="SPREAD").remote() for _ in range(n)]
        try:
            infos = ray.get([a.info.remote() for a in actors], timeout=START_TIMEOUT)
        except ray.exceptions.GetTimeoutError:
            for a in actors:
                ray.kill(a)
            raise ExecutorError(f"executor ray: {n} worker(s) did not start within {START_TIMEOUT:.0f} s") from None
        slots = [_Slot(a, info["pid"], info["node"]) for a, info in zip(actors, infos)]
        self._slots += slots
        return slots

    def _lose(self, slot: _Slot) -> None:
        """Drop a dead actor and start one in its place (on any node with room)."""
        if not slot.alive:
            return
        slot.alive = False
        try:
            self._ray.kill(slot.actor)
        except Exception:  # noqa: BLE001 - already gone
            pass
        try:
            (new,) = self._start(1)
            self.log(f"ray worker {slot.label} lost; started worker {new.label} in its place")
        except Exception as exc:  # noqa: BLE001 - the other workers go on without it
            self.log(f"ray worker {slot.label} lost; no replacement: {str(exc).strip()[:200]}")

    def worker_pids(self) -> list[int]:
        """The process ids of the live actors (their Ray worker processes)."""
        return [s.pid for s in self._slots if s.alive]

    def describe(self) -> dict[str, Any]:
        """``{"executor": "ray", "address": ..., "workers": N, "nodes": [...]}``."""
        nodes = sorted({s.node for s in self._slots if s.alive})
        return {"executor": self.name, "address": self.address, "workers": self.workers, "nodes": nodes}

    # -- map ---------------------------------------------------------------------------------------
    def _fn_ref(self, fn: Callable[[Any], Any]) -> tuple[str, list]:
        """The function's key (a digest of its pickled configuration) and its object, put once."""
        from ray import cloudpickle

        key = hashlib.sha256(cloudpickle.dumps(fn)).hexdigest()[:24]
        if key not in self._fn_refs:
            self._fn_refs[key] = self._ray.put(fn)
        return key, [self._fn_refs[key]]

    def map(self, fn: Callable[[Any], Any], items: Sequence[Any], on_result: ResultCallback | None = None) -> list:
        """See :meth:`effbench.executors.base.Executor.map`.

        Shared facts first (each once, kept for later calls with an equal function), then the items.
        Thread-safe: concurrent calls run one after the other.
        """
        with self._lock:
            return self._map(fn, items, on_result)

    def _map(self, fn: Callable[[Any], Any], items: Sequence[Any], on_result: ResultCallback | None) -> list:
        if not self._slots:
            raise ExecutorError("executor ray: closed")
        fn_key, fn_box = self._fn_ref(fn)
        todo = [k for k in shared_keys_in_order(fn, items) if (fn_key, k) not in self._shared]
        if todo:
            facts = [_Task(-1, key) for key in todo]

            def put_fact(task: _Task, value: Any) -> None:
                self._shared[(fn_key, task.key)] = self._ray.put(value)  # owned here: outlives any worker
                self.stats["shared_computed"] += 1

            self._run(facts, lambda s, t: s.actor.compute.remote(fn_key, fn_box, t.key), put_fact)
        needs = {
            i: {k: [self._shared[(fn_key, k)]] for k in shared_keys_in_order(fn, [item])}
            for i, item in enumerate(items)
        }
        results: list[Any] = [None] * len(items)

        def done(task: _Task, value: Any) -> None:
            results[task.index] = value = with_retries(fn, value, task.lost)
            self.stats["items"] += 1
            if on_result is not None:
                on_result(task.index, value)

        hook = getattr(fn, "lost_result", None)

        def give_up(task: _Task) -> None:  # the item function's result for an item lost for good
            done(task, hook(items[task.index], list(task.lost)))  # type: ignore[misc]

        self._run(
            [_Task(i) for i in range(len(items))],
            lambda s, t: s.actor.call.remote(fn_key, fn_box, items[t.index], needs[t.index]),
            done,
            give_up if callable(hook) else None,
        )
        return results

    def _run(
        self,
        tasks: list[_Task],
        submit: Callable[[_Slot, _Task], Any],
        done: Callable[[_Task, Any], None],
        give_up: Callable[[_Task], None] | None = None,
    ) -> None:
        """Run every task on the actors, re-queueing the tasks of an actor that dies.

        ``give_up`` takes an item that lost ``max_attempts`` workers (else that fails the call).
        """
        ray = self._ray
        queue: deque[_Task] = deque(tasks)
        pending: dict[Any, tuple[_Slot, _Task]] = {}
        try:
            while queue or pending:
                for depth in range(1, DEPTH + 1):  # round robin: every actor gets work before any gets more
                    for slot in [s for s in self._slots if s.alive and s.inflight < depth]:
                        if queue:
                            task = queue.popleft()
                            task.attempts += 1
                            pending[submit(slot, task)] = (slot, task)
                            slot.inflight += 1
                if not pending:
                    raise ExecutorError("executor ray: every worker was lost and none could be started")
                ready, _ = ray.wait(list(pending), num_returns=1)
                for ref in ready:
                    slot, task = pending.pop(ref)
                    slot.inflight -= 1
                    try:
                        value = ray.get(ref)
                    except self._lost_types as exc:
                        self._retry(slot, task, exc, queue, give_up)
                        continue
                    except ray.exceptions.RayTaskError as exc:  # the function raised: its own error
                        cause = getattr(exc, "cause", None)
                        raise (cause if isinstance(cause, Exception) else exc) from None
                    done(task, value)
        except BaseException:
            for ref in pending:
                try:
                    ray.cancel(ref)
                except Exception:  # noqa: BLE001 - best effort
                    pass
            raise

    def _retry(
        self,
        slot: _Slot,
        task: _Task,
        exc: BaseException,
        queue: deque[_Task],
        give_up: Callable[[_Task], None] | None = None,
    ) -> None:
        """Record the lost attempt, replace the actor, put the task first in the queue.

        An item at its last attempt goes to ``give_up`` when there is one; else the call fails.
        """
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]
        retry = Retry(task.index, task.attempts, slot.label, reason, None if task.index >= 0 else repr(task.key))
        task.lost.append(retry)
        self.retries.append(retry)
        what = f"item {task.index}" if task.index >= 0 else f"shared fact {task.key!r}"
        if task.attempts >= self.max_attempts and give_up is not None and task.index >= 0:
            self.log(f"ray: {what} lost its worker {task.attempts} times (last: {slot.label}); given up")
            self._lose(slot)
            give_up(task)
            return
        if task.attempts >= self.max_attempts:
            raise ExecutorError(
                f"executor ray: {what} lost its worker {task.attempts} times (last: {slot.label}: {reason})"
            )
        self.log(f"ray: {what} lost with worker {slot.label} (attempt {task.attempts}); retrying on another worker")
        self._lose(slot)
        queue.appendleft(task)

    # -- life cycle ------------------------------------------------------------------------------
    def close(self) -> None:
        """Stop the actors (closing their item functions: their sandboxes) and the Ray runtime.

        The runtime only when this executor started or connected to it. Idempotent. A ``map``
        running in another thread is let finish first (as the local executor's threads are):
        stopping the actors under it lost its items and failed it with "every worker was lost".
        """
        with self._lock:
            self._close()

    def _close(self) -> None:
        ray = self._ray
        slots, self._slots = [s for s in self._slots if s.alive], []
        if slots:
            try:  # a few seconds to stop their sandboxes; killing an actor stops them too (the relay)
                ray.wait([s.actor.close.remote() for s in slots], num_returns=len(slots), timeout=CLOSE_TIMEOUT)
            except Exception:  # noqa: BLE001 - a dead or stuck actor is killed below anyway
                pass
            for s in slots:
                try:
                    ray.kill(s.actor)
                except Exception:  # noqa: BLE001
                    pass
        self._fn_refs.clear()
        self._shared.clear()
        if self._owns_runtime and ray.is_initialized():
            ray.shutdown()
            self._owns_runtime = False

    def __enter__(self) -> RayExecutor:
        """The executor itself."""
        return self

    def __exit__(self, *exc: object) -> None:
        """:meth:`close`."""
        self.close()
