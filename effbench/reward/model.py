"""``RewardModel``: a thread-safe, batched reward for (problem, completion), for RL training loops.

DESIGN.md "The three entry points": ``effbench.RewardModel`` is a thread-safe, batched reward with TRL
and verl signatures (:mod:`effbench.reward.trl`, :mod:`effbench.reward.verl`), spread over a Ray
cluster where one machine is not enough (``executor="ray"``, :mod:`effbench.executors`).

Each item is scored by an :class:`~effbench.reward.scorer.ItemScorer` (extraction exactly as the model
adapters do, then the engine and :func:`effbench.scoring.score_sample`, then the shaping). The local
executor runs it on a thread pool over one warm sandbox with ``workers`` runners; the sandbox stays
open across calls until :meth:`RewardModel.close`.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import threading
import weakref
from collections.abc import Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

from effbench.cpus import MAX_WORKERS_PER_CPU, usable_cpus
from effbench.errors import EffbenchError
from effbench.reward.result import RewardResult
from effbench.reward.scorer import MODES, ItemScorer, RewardItem, ScorerConfig
from effbench.reward.shaping import Shaping, ShapingKind

EXECUTORS = ("local", "ray")


def select_problems(problems: Any = None, problem_set: str | None = None) -> Any:
    """The ``problems`` argument of the reward API, with a bundled set chosen by name.

    Args:
        problems: a problem set folder, a loaded ProblemSet, or None.
        problem_set: the name of a bundled set, as ``--problem-set`` takes it (``core``, ``starter``;
            see :func:`effbench.problems.bundled_problem_sets`), or None.

    Returns:
        ``problems`` unchanged when no name is given, else the named set's folder (a Path).

    Raises:
        EffbenchError: both are given; ProblemFormatError (an EffbenchError) for an unknown name,
            listing the known ones.
    """
    if problem_set is None:
        return problems
    if problems is not None:
        raise EffbenchError("reward: give one of problems= and problem_set=, not both")
    from effbench.problems import bundled_problem_set_dir

    return bundled_problem_set_dir(problem_set)


def _problem_folders(problems: Any) -> tuple[str | None, str | None]:
    """(problems folder, references folder) of a ``problems=`` argument."""
    if problems is None:
        return None, None
    if isinstance(problems, (str, os.PathLike)):
        return str(Path(problems).resolve()), None
    root = getattr(problems, "root", None)
    members = getattr(problems, "problems", None)
    if root is None or not isinstance(members, dict) or not members:
        raise EffbenchError("reward: problems must be a folder or a problem set loaded from one (load_problem_set)")
    first = next(iter(members.values()))
    refs = getattr(first, "reference_dir", None)
    return str(Path(root).resolve()), (str(Path(refs).parent.resolve()) if refs is not None else None)


def _results(futures: list[Future]) -> list[Any]:
    """The futures' results in order; if the wait is interrupted (Ctrl-C), the ones not started are cancelled."""
    try:
        return [f.result() for f in futures]
    except BaseException:
        for f in futures:
            f.cancel()
        raise


class _Handover:
    """Items handed to the threads by another thread, cancellable before, during or after.

    :meth:`cancel` (the awaiting coroutine was cancelled) cancels the items' futures if they are
    handed over already, else as soon as they are: those already running finish, the others are
    never scored. Without it, an async batch cancelled while a cold model started its sandbox ran
    every item in the background after the caller had gone (20 of 20).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cancelled = False
        self._futures: list[Future] = []

    def run(self, submit: Any, fn: Any, args: Sequence[Any]) -> list[Future]:
        """``submit(fn, args)``, its futures cancelled at once if :meth:`cancel` came first."""
        futures = submit(fn, args)
        with self._lock:
            self._futures = futures
            if self._cancelled:
                for future in futures:
                    future.cancel()
        return futures

    def cancel(self) -> None:
        """Cancel the items, now or when handed over."""
        with self._lock:
            self._cancelled = True
            for future in self._futures:
                future.cancel()


def _item_key(item: RewardItem, index: int) -> str:
    """What makes two items of a batch the same item to score: 64 hex digits, or ``#index``.

    The SHA-256 of their problem id, mode and completion as canonical JSON (chat messages
    included), hashed as it is encoded: the key never holds the completion itself, whose JSON
    escapes take up to 6 characters per character (a batch of 64 one-million-character
    completions of control characters made 390 MB of keys). An item that was not read
    (malformed, unreadable) is only ever itself.
    """
    if item.malformed is None and item.unreadable is None:
        digest = hashlib.sha256()
        try:
            for chunk in _KEY_ENCODER.iterencode([item.problem_id, item.mode, item.completion]):
                digest.update(chunk.encode("utf-8", "surrogatepass"))  # a lone surrogate is its own
        except (TypeError, ValueError):  # keys JSON cannot order or hold: never the same as another
            pass  # (the item holds plain data only, RewardItem.of: nothing of the caller's runs here)
        else:
            return digest.hexdigest()
    return f"#{index}"


#: the canonical JSON of an item's key (see _item_key)
_KEY_ENCODER = json.JSONEncoder(sort_keys=True, ensure_ascii=False)


def _with_copies(scored: list[RewardResult], firsts: list[int]) -> list[RewardResult]:
    """The batch's results in order, from ``scored`` (one per first item, in order).

    Each repeat gets its first item's result with ``copy_of`` set and no time, tests or lost
    attempts of its own.
    """
    by_first = dict(zip(sorted(set(firsts)), scored, strict=True))
    own = {"elapsed_seconds": 0.0, "run_seconds": 0.0, "tests_run": 0, "retries": ()}
    return [by_first[f] if f == i else replace(by_first[f], copy_of=f, **own) for i, f in enumerate(firsts)]


def _check_options(sandbox: Any, executor: str, address: Any, seed: Any, cache_dir: Any, **flags: Any) -> None:
    """Refuse, at construction, the options that cannot work, whatever ``warm`` and the executor.

    Checked without starting anything: the sandbox's name (in :data:`effbench.registry.SANDBOXES`),
    an ``address`` only with ``executor="ray"`` (else the caller's cluster would be silently unused,
    as ``effbench evaluate --ray-address`` without ``--executor ray`` is refused) and in the form
    ``[ray://]HOST:PORT``, ``auto`` or ``local`` (``ray_executor.address_host_port``), a seed that is
    None or a non-empty string (``""``, an empty environment variable, would draw a fresh secret in
    each process: verl's workers would score on different stress inputs), flags that are bools
    (``"false"`` is true), and a ``cache_dir`` that is a path (not ``""``: it silently meant the
    default cache).

    Raises:
        EffbenchError: naming the option and what it takes.
    """
    from effbench.registry import SANDBOXES

    if sandbox not in SANDBOXES.names:
        raise EffbenchError(f"reward: unknown sandbox {sandbox!r}; choose one of {', '.join(SANDBOXES.names)}")
    if address is not None and executor != "ray":
        raise EffbenchError(
            f"reward: address={address!r} is a Ray cluster's address; it needs executor='ray' "
            f"(executor is {executor!r})"
        )
    if address is not None:  # its form only (a trailing newline made ray.init wait forever); no network
        from effbench.executors.ray_executor import address_host_port

        address_host_port(address)
    if seed is not None and (not isinstance(seed, str) or not seed):
        raise EffbenchError(f"reward: seed must be None (a fresh secret) or a non-empty string, got {seed!r}")
    for name, value in flags.items():
        if not isinstance(value, bool):
            raise EffbenchError(f"reward: {name} must be True or False, got {value!r}")
    if cache_dir is not None and not isinstance(cache_dir, (str, os.PathLike)):
        raise EffbenchError(f"reward: cache_dir must be a folder's path, got {type(cache_dir).__name__}")
    if isinstance(cache_dir, str) and not cache_dir.strip():  # an empty environment variable
        raise EffbenchError(f"reward: cache_dir={cache_dir!r} names no folder; give a path or None (the default cache)")


class _HoldToken:
    """A model's hold of its warm sandbox, kept alive by the model and by each item it hands over."""


def _held(token: _HoldToken | None, fn: Any, arg: Any) -> Any:
    """``fn(arg)``, run on a model's thread while ``token`` (its sandbox hold) is referenced."""
    return fn(arg)


class RewardModel:
    """Rewards for (problem id, completion) items, scored in sandboxes. Thread-safe.

    Use it as a context manager (or call :meth:`close`) to stop its sandbox. A local model
    garbage-collected without close() gives its sandbox back at the process's next use of the
    reward API (another model made, scored or closed).

    Example::

        with RewardModel(meter="time", shaping="efficiency", workers=2) as rm:
            rm.score("max_subarray_sum", answer_text).reward
    """

    def __init__(
        self,
        problems: Any = None,
        sandbox: str = "local",
        meter: str = "auto",
        workers: int | None = None,
        shaping: str | ShapingKind | Shaping = "efficiency",
        alpha: float = 2.0,
        levels: int | None = None,
        seed: str | None = None,
        executor: str = "local",
        address: str | None = None,
        mode: str = "chat",
        cache: bool = True,
        cache_dir: str | os.PathLike[str] | None = None,
        warm: bool = True,
        problem_set: str | None = None,
        deduplicate: bool = True,
    ) -> None:
        """Configure the reward and (with ``warm``) start its sandbox now.

        Args:
            problems: a problem set folder, a :class:`~effbench.problems.ProblemSet` loaded from one, or
                None for effbench's bundled set.
            sandbox: ``local`` or ``docker`` (DESIGN.md "Sandbox backends").
            meter: ``auto`` (resolved once, here: perf, else valgrind, else time), ``perf``,
                ``valgrind`` or ``time``.
            workers: parallel items. Ray executor: the Ray actors (one CPU and one sandbox runner
                each, as an actor scores one item at a time; default: one per CPU of the cluster;
                without ``address``, the local runtime started has the CPUs this process may use,
                and at most :data:`~effbench.cpus.MAX_WORKERS_PER_CPU` workers per such CPU are
                accepted, as for the local executor).
                Local executor: threads, and runners of the sandbox; default: the CPUs this process
                may use (:func:`effbench.cpus.usable_cpus`, its affinity mask, which a container's
                cpuset or ``taskset`` narrows), whatever the meter. ``effbench evaluate``
                runs one worker by default under the time meter, whose CPU times parallel runners
                disturb (a neighbour streaming memory raised an expert's cost about 12%: docs/threat-model.md,
                "Known and not fixed", "Parallel runners under the time meter"); here throughput
                comes first: pass ``workers=1`` for the quieter figures.
            shaping: ``binary``, ``efficiency``, ``speedup``, ``acecode`` or a :class:`Shaping` with
                parameters (see :mod:`effbench.reward.shaping`).
            alpha: the budget factor ``T = alpha * max_l r_l``, > 1.
            levels: use only the first ``levels`` size levels of each problem (faster, less
                discriminating); None: all.
            seed: the secret seed of the stress inputs; None draws a fresh one (profiles are then
                measured once per RewardModel; pass a fixed seed to reuse them across processes
                and restarts from the cache on disk).
            executor: ``local`` (threads here) or ``ray`` (:func:`effbench.executors.get_executor`).
            address: the Ray cluster's address (``executor="ray"``): its head's ``HOST:PORT``, as
                ``ray start --head`` prints it (e.g. ``127.0.0.1:6379``), or ``auto``; None starts or
                joins a local one as Ray does. A Ray Client address (``ray://HOST:10001``) needs
                ``pip install 'ray[client]'``, which effbench's ``ray`` extra does not install.
            mode: how string completions are read: ``chat`` or ``completion`` (see
                :class:`~effbench.reward.scorer.RewardItem`).
            cache: keep expert profiles on disk (``$EFFBENCH_CACHE_DIR/references``).
            cache_dir: another cache folder.
            warm: start the sandbox and load the problems now, so that configuration errors raise
                here (local executor).
            problem_set: a bundled problem set by name instead of ``problems`` (``core``, the main set;
                ``starter``, short problems small models can solve), as ``--problem-set`` selects it.
            deduplicate: in :meth:`score_batch` (and the TRL/verl adapters, which call it), score
                items that repeat an earlier item of the same batch exactly (same problem id, mode
                and completion: a GRPO group often holds identical answers) once, and give each
                repeat a copy of that result with ``copy_of`` set to the first one's index and no
                tests of its own. Under valgrind a repeat would count the same instructions again
                (DESIGN.md "Meters"); under the time meter it gets the same reward instead of another
                noisy reading of the same program. False: every item is run.

        Raises:
            EffbenchError: a bad option (named in the message; whatever ``warm`` and the executor:
                see :func:`_check_options`), a problems folder that does not exist
                (ProblemFormatError), or with ``warm`` a sandbox or meter that cannot run here
                (SandboxUnavailable) or a malformed problem set.
        """
        from effbench.meters import METERS, choose_meter
        from effbench.problems import new_input_seed

        if executor not in EXECUTORS:
            raise EffbenchError(f"reward: unknown executor {executor!r}; choose one of {', '.join(EXECUTORS)}")
        if mode not in MODES:
            raise EffbenchError(f"reward: unknown mode {mode!r}; choose one of {', '.join(MODES)}")
        if meter not in METERS:
            raise EffbenchError(f"reward: unknown meter {meter!r}; choose one of {', '.join(METERS)}")
        _check_options(sandbox, executor, address, seed, cache_dir, cache=cache, warm=warm, deduplicate=deduplicate)
        n = usable_cpus() if workers is None else workers
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise EffbenchError(f"reward: workers must be a positive integer, got {workers!r}")
        if (executor == "local" or address is None) and n > MAX_WORKERS_PER_CPU * usable_cpus():
            # a local Ray runtime too: it would get n CPUs that are not there, one actor each
            raise EffbenchError(
                f"reward: workers={n} would start {n} sandbox runners on the {usable_cpus()} CPU(s) this "
                f"process may use; at most {MAX_WORKERS_PER_CPU} per CPU ({MAX_WORKERS_PER_CPU * usable_cpus()})"
            )
        self.workers = n
        #: Ray actors (one CPU and one sandbox runner each: an actor scores one item at a time);
        #: None: one per CPU of the cluster
        self._ray_workers = workers if executor == "ray" else None
        self.executor = executor
        self.address = address
        self.mode = mode
        self.meter_reason = f"requested meter {meter}"
        if meter == "auto":  # resolved once, so that every process of a batch counts with the same meter
            choice = choose_meter("auto")
            meter, self.meter_reason = choice.meter.name, choice.reason
        problems_dir, references_dir = _problem_folders(select_problems(problems, problem_set))
        if problems_dir is not None and not (Path(problems_dir) / "problemset.toml").is_file():
            from effbench.problems import load_problem_set

            load_problem_set(problems_dir)  # raises ProblemFormatError saying what is missing
        self.config = ScorerConfig(
            seed=seed if seed is not None else new_input_seed(),
            problems=problems_dir,
            references=references_dir,
            sandbox=sandbox,
            meter=meter,
            shaping=Shaping.of(shaping),
            alpha=alpha,
            levels=levels,
            sandbox_workers=n if executor == "local" else 1,
            cache=cache,
            cache_dir=str(cache_dir) if cache_dir is not None else None,
        )
        self.scorer = ItemScorer(self.config)
        self.deduplicate = deduplicate
        self._pool: ThreadPoolExecutor | None = None
        self._acquired = False
        self._remote: Any = None
        self._closed = False
        # guards the lazily made pool, sandbox hold and Ray executor, and the closed flag: every
        # item is handed to the pool under it, so close() (which sets the flag under it, then waits
        # for the pool) never gives the sandbox back under an item still running
        self._lock = threading.Lock()
        self._finalizer: weakref.finalize | None = None
        #: referenced by this model and by every item handed to its threads: the sandbox hold of a
        #: model dropped unclosed is given back when this is collected (see :meth:`_hold`)
        self._hold_token: _HoldToken | None = None
        if warm and executor == "local":
            self._hold()

    # -- properties --------------------------------------------------------------------------------
    @property
    def shaping(self) -> Shaping:
        """The shaping rewards are computed with."""
        return self.config.shaping

    @property
    def seed(self) -> str:
        """The stress inputs' seed (record it to reproduce the rewards)."""
        return self.config.seed

    @property
    def meter(self) -> str:
        """The meter's name."""
        return self.config.meter

    def problem_ids(self) -> list[str]:
        """The ids of the problems this model scores, sorted."""
        return sorted(self._warm().problem_set.problems)

    def stats(self) -> dict[str, int]:
        """This process's evaluator counters (see :class:`~effbench.engine.EngineStats`).

        ``profiles_measured``, ``profiles_cached`` (read from the cache), ``profiles_rejected``,
        ``samples``, ``tests``. With ``executor="ray"`` the items are scored in the cluster's
        workers, whose counters are not here (zeros, unless :meth:`prepare` measured profiles in
        this process); calling it starts this process's local sandbox.
        """
        from dataclasses import asdict

        return asdict(self._warm().evaluator.stats)

    def _warm(self) -> Any:
        with self._lock:
            return self._warm_locked()

    def _warm_locked(self) -> Any:
        """This model's warm evaluator, held once (caller holds ``_lock``); raises EffbenchError when closed."""
        if self._closed:
            raise EffbenchError("reward: this RewardModel is closed")
        if not self._acquired:
            self._hold()
        from effbench.reward.scorer import _warm

        return _warm(self.config)

    def _hold(self) -> None:
        """Take the warm sandbox; if this model is garbage-collected unclosed, it is given back.

        Given back (at the process's next use of the reward API: see
        :func:`effbench.reward.scorer.release_dropped`) when neither the model nor any item it
        handed to its threads is left: the finalizer watches a token that both reference, not the
        model. Items of an interrupted ``score_batch`` or a cancelled ``ascore_batch`` go on in the
        threads after the model is dropped; before, the sandbox was closed under them and each
        queued item built a new warm sandbox no one held (leaked until the process exited).
        """
        from effbench.reward.scorer import release_dropped

        self.scorer.acquire()
        self._acquired = True
        self._hold_token = _HoldToken()
        self._finalizer = weakref.finalize(self._hold_token, release_dropped, self.config)
        self._finalizer.atexit = False  # at exit, scorer.close_all closes every sandbox

    # -- scoring -----------------------------------------------------------------------------------
    def _item(self, value: Any) -> RewardItem:
        return RewardItem.of(value, self.mode)

    def _submit(self, fn: Any, args: Sequence[Any]) -> list[Future]:
        """``fn(arg)`` for each arg on the model's threads (sandbox held, pool made on first use).

        Raises:
            EffbenchError: the model is closed.
        """
        with self._lock:
            self._warm_locked()
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="effbench-reward")
            return [self._pool.submit(_held, self._hold_token, fn, a) for a in args]

    def _check_open(self) -> None:
        """Raises EffbenchError when the model is closed (for calls that start nothing otherwise)."""
        with self._lock:
            if self._closed:
                raise EffbenchError("reward: this RewardModel is closed")

    def _ray(self) -> Any:
        with self._lock:  # one executor (one set of actors) however many threads make the first call
            if self._closed:
                raise EffbenchError("reward: this RewardModel is closed")
            if self._remote is None:
                try:
                    from effbench.executors import get_executor  # type: ignore[import-not-found]
                except ImportError as exc:
                    raise EffbenchError(
                        "reward: executor='ray' needs effbench.executors (issue 14 item 4), not available here "
                        f"({exc}); use executor='local'"
                    ) from None
                self._remote = get_executor("ray", address=self.address, workers=self._ray_workers)
            return self._remote

    def score(self, problem_id: str, completion: Any) -> RewardResult:
        """The reward of one completion for one problem.

        Args:
            problem_id: a problem id of the model's set (an unknown one gives a failure result).
            completion: the model's answer: a string (read as ``mode`` says), or chat messages
                (a list of ``{"role", "content"}`` dicts; the last assistant message is read).

        Returns:
            A :class:`RewardResult`: ``reward`` (a finite float, per the shaping), the verdict,
            and the costs per level in ``unit`` (instructions, or ns under the time meter).
            Never raises for bad input: it is a result with a reason.

        Raises:
            EffbenchError: the model is closed; with ``warm=False`` (first call), what starting
                the sandbox raises (SandboxUnavailable: e.g. ``meter="perf"`` without a PMU);
                with ``executor="ray"``, an unreachable cluster (ExecutorError).
        """
        if self.executor == "ray":
            return self.score_batch([(problem_id, completion)])[0]
        (future,) = self._submit(self.scorer, [self._item((problem_id, completion))])
        return future.result()

    def score_batch(self, items: Iterable[Any]) -> list[RewardResult]:
        """Rewards of many items, in their order.

        Args:
            items: ``(problem_id, completion)`` pairs (or ``(problem_id, completion, mode)``,
                :class:`RewardItem`, or mappings with ``problem_id``/``task_id`` and ``completion``).

        Returns:
            One :class:`RewardResult` per item, same order. A bad item gives a result with a reason,
            never an exception.

        Raises:
            EffbenchError: as :meth:`score`: the model is closed (even for an empty batch), a
                sandbox that cannot start (first call with ``warm=False``), or the Ray executor is
                unavailable.
        """
        batch = [self._item(x) for x in items]
        if not batch:
            self._check_open()
            return []
        firsts, unique = self._unique(batch)
        if self.executor == "ray":
            return _with_copies(list(self._ray().map(self.scorer, unique)), firsts)
        return _with_copies(_results(self._submit(self.scorer, unique)), firsts)

    def _unique(self, batch: list[RewardItem]) -> tuple[list[int], list[RewardItem]]:
        """Which items of ``batch`` to score: (firsts, items).

        ``firsts[i]``: the index of the first item that item ``i`` repeats exactly (``i`` if none);
        items: the first of each. Without ``deduplicate``, every item is a first.
        """
        if not self.deduplicate:
            return list(range(len(batch))), batch
        seen: dict[str, int] = {}
        firsts = [seen.setdefault(_item_key(item, i), i) for i, item in enumerate(batch)]
        return firsts, [item for i, item in enumerate(batch) if firsts[i] == i]

    async def ascore(self, problem_id: str, completion: Any) -> RewardResult:
        """:meth:`score` without blocking the event loop (runs on the model's threads)."""
        return (await self.ascore_batch([(problem_id, completion)]))[0]

    async def ascore_batch(self, items: Iterable[Any]) -> list[RewardResult]:
        """:meth:`score_batch` without blocking the event loop; results in the items' order."""
        batch = [self._item(x) for x in items]
        if self.executor == "ray":
            return await asyncio.to_thread(self.score_batch, batch)
        if not batch:
            self._check_open()
            return []
        # finding the repeats hashes every completion (512 of 200,000 control characters: 5.3 s)
        firsts, unique = await asyncio.to_thread(self._unique, batch)
        # handing the items over may start the sandbox (seconds): a cancellation then must still
        # reach the items, whenever they are handed over (gather cancels them after that)
        handover = _Handover()
        try:
            futures = await asyncio.to_thread(handover.run, self._submit, self.scorer, unique)
        except asyncio.CancelledError:
            handover.cancel()
            raise
        return _with_copies(list(await asyncio.gather(*(asyncio.wrap_future(f) for f in futures))), firsts)

    def rewards(self, items: Iterable[Any]) -> list[float]:
        """Just the rewards of :meth:`score_batch` (floats, same order)."""
        return [r.reward for r in self.score_batch(items)]

    def prepare(self, problem_ids: Sequence[str] | None = None) -> dict[str, str]:
        """Measure (or read from the cache) the expert profiles now, in parallel, in this process.

        With ``executor="ray"`` this measures them here, one at a time (a local sandbox of one
        runner, as each actor has), not on the cluster: its workers read them only from a cache
        folder they share with this process (same machine, same ``seed``); otherwise the cluster
        measures each problem once, at its first batch.

        Args:
            problem_ids: the problems (default: all).

        Returns:
            ``{problem_id: why}`` for the problems whose profile could not be made (empty when all were).
        """
        ids = list(problem_ids) if problem_ids is not None else self.problem_ids()

        def one(pid: str) -> str | None:
            try:
                self.scorer.profile(pid)
            except Exception as exc:  # noqa: BLE001 - reported per problem
                return f"{type(exc).__name__}: {exc}"
            return None

        return {pid: why for pid, why in zip(ids, _results(self._submit(one, ids))) if why is not None}

    # -- lifetime ----------------------------------------------------------------------------------
    def close(self) -> None:
        """Stop the threads and give back the warm sandbox (closed when no other model uses it). Idempotent."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        if self._pool is not None:
            self._pool.shutdown(wait=True)
        if self._acquired:
            if self._finalizer is not None:
                self._finalizer.detach()
            self.scorer.release()
            self._acquired = False
        close = getattr(self._remote, "close", None)
        if callable(close):
            close()

    def __enter__(self) -> RewardModel:
        """The model itself."""
        return self

    def __exit__(self, *exc: object) -> None:
        """:meth:`close`."""
        self.close()

    def __repr__(self) -> str:
        """Its configuration in one line."""
        c = self.config
        return (
            f"RewardModel(shaping={c.shaping.kind.value!r}, meter={c.meter!r}, sandbox={c.sandbox!r}, "
            f"workers={self.workers}, alpha={c.alpha}, levels={c.levels}, executor={self.executor!r})"
        )


__all__ = ["EXECUTORS", "RewardModel"]
