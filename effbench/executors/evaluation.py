"""Evaluating samples on an executor: the picklable item function and the run's distributed path.

:class:`SampleEvaluation` is the item function: its configuration (problem set, meter, sandbox,
settings with a fixed input seed) travels to every worker, where it lazily builds one warm
:class:`~effbench.engine.Evaluator` with its own sandbox. Expert profiles are its shared facts
(see :mod:`effbench.executors.base`): measured once per problem on one worker and given to every
other through the executor (Ray's object store), so every worker judges against the very same
expert costs and answers, as a local run does.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from effbench.engine import EngineSettings, Evaluator
from effbench.errors import ProblemError
from effbench.executors.base import Executor, ExecutorError, Retry
from effbench.problems import new_input_seed
from effbench.records import ReferenceProfile, SampleRecord
from effbench.samples import Sample

if TYPE_CHECKING:
    from effbench.meters.base import Meter
    from effbench.problems import ProblemSet
    from effbench.run import EvaluationRun

_WARM = ("_lock", "_evaluator", "_skipped")


@dataclass(frozen=True)
class Skipped:
    """The result for a sample of a problem that cannot be evaluated, with why.

    Its expert fails, or its checker raises (a :class:`~effbench.errors.ProblemError`).
    """

    problem_id: str
    reason: str


def _differences(a: dict, b: dict) -> str:
    keys = sorted(k for k in {*a, *b} if a.get(k) != b.get(k))
    return "; ".join(f"{k}: {a.get(k)!r} here, {b.get(k)!r} there" for k in keys)


class SampleEvaluation:
    """Item function: a :class:`~effbench.samples.Sample` to its :class:`SampleRecord`.

    Picklable configuration; the evaluator and its sandbox are built on first use in each
    process and stopped by :meth:`close`. Thread-safe (the evaluator is).
    """

    def __init__(
        self,
        problems: ProblemSet,
        meter: Meter,
        sandbox: str = "local",
        settings: EngineSettings | None = None,
        rootfs: str | None = None,
        hide: Sequence[str] = (),
        use_cache: bool = True,
        sandbox_workers: int = 1,
    ) -> None:
        """Describe the evaluation; nothing starts before the first call.

        Args:
            problems: the problem set (pickled whole to every worker).
            meter: the meter the sandboxes count with.
            sandbox: a name in :data:`effbench.registry.SANDBOXES`, started on each worker's node.
            settings: alpha, limits, input seed; a missing seed is drawn now, so every worker
                generates the same inputs.
            rootfs: a root filesystem for the local backend (a path on every node).
            hide: paths the candidates must not see (those that exist on a worker's node).
            use_cache: reuse expert profiles cached on the node's disk.
            sandbox_workers: runners of each worker's sandbox (one per item function call at a time).
        """
        settings = settings or EngineSettings()
        self.problems = problems
        self.meter = meter
        self.sandbox = sandbox
        self.settings = settings if settings.input_seed is not None else replace(settings, input_seed=new_input_seed())
        self.rootfs = rootfs
        self.hide = tuple(hide)
        self.use_cache = use_cache
        self.sandbox_workers = sandbox_workers
        self._init_warm()

    def _init_warm(self) -> None:
        self._lock = threading.Lock()
        self._evaluator: Evaluator | None = None
        self._skipped: dict[str, str] = {}

    def __getstate__(self) -> dict[str, Any]:
        """The configuration only (no sandbox, no evaluator)."""
        return {k: v for k, v in self.__dict__.items() if k not in _WARM}

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Configuration back; warm state is built on first use."""
        self.__dict__.update(state)
        self._init_warm()

    def evaluator(self) -> Evaluator:
        """This process's evaluator, started on first use (its sandbox with ``sandbox_workers`` runners)."""
        with self._lock:
            if self._evaluator is None:
                from effbench import paths
                from effbench.fingerprint import environment_fingerprint
                from effbench.reference_cache import ReferenceCache
                from effbench.sandboxes import open_sandbox

                options: dict[str, Any] = {"hide": [h for h in self.hide if os.path.exists(h)]}
                if self.rootfs is not None:
                    options["rootfs"] = self.rootfs
                box = open_sandbox(self.sandbox, self.meter, workers=self.sandbox_workers, **options)
                fingerprint = environment_fingerprint(self.meter, self.sandbox, rootfs=self.rootfs)
                cache = ReferenceCache(paths.cache_dir() / "references") if self.use_cache else None
                self._evaluator = Evaluator(box, self.meter, self.settings, cache, fingerprint)
            return self._evaluator

    # -- shared facts: the expert profiles ----------------------------------------------------------
    def shared_keys(self, sample: Sample) -> tuple[str]:
        """The profile a sample is judged against: its problem's."""
        return (sample.problem_id,)

    def compute_shared(self, problem_id: str) -> dict[str, Any]:
        """``{"profile": ReferenceProfile, "fingerprint": ...}``, or ``{"skipped": why, ...}``."""
        ev = self.evaluator()
        try:
            return {"profile": ev.profile(self.problems.get(problem_id)), "fingerprint": ev.fingerprint}
        except ProblemError as exc:
            return {"skipped": str(exc), "fingerprint": ev.fingerprint}

    def use_shared(self, problem_id: str, value: dict[str, Any]) -> None:
        """Judge this problem's samples against a profile measured by any worker.

        Raises:
            ExecutorError: this worker's environment (interpreter, libc, CPU, meter, runner)
                differs from the one the profile was measured in, or (exact meters) its sandbox
                does not reproduce the expert's count on the profile's check test
                (:meth:`effbench.engine.Evaluator.adopt_profile`): its counts would not compare.
        """
        ev = self.evaluator()
        if value["fingerprint"] != ev.fingerprint:
            raise ExecutorError(
                f"problem {problem_id}: this worker's environment differs from the one the expert was measured in "
                f"({_differences(ev.fingerprint, value['fingerprint'])}): give the cluster identical nodes"
            )
        if "skipped" in value:
            self._skipped[problem_id] = value["skipped"]
            return
        profile = value["profile"]
        assert isinstance(profile, ReferenceProfile)
        why = ev.adopt_profile(self.problems.get(problem_id), profile)
        if why is not None:  # one run, one profile per problem: a worker that counts otherwise cannot join
            raise ExecutorError(
                f"problem {problem_id}: this worker does not reproduce the expert's profile ({why}): its "
                "environment counts differently in a way the fingerprint does not record (e.g. debug symbols "
                "or a valgrind wrapper installed on one node only): give the cluster identical nodes"
            )

    # -- items -----------------------------------------------------------------------------------------
    def __call__(self, sample: Sample) -> SampleRecord | Skipped:
        """The sample's record (see :meth:`effbench.engine.Evaluator.evaluate`), or :class:`Skipped`."""
        if sample.problem_id in self._skipped:
            return Skipped(sample.problem_id, self._skipped[sample.problem_id])
        ev = self.evaluator()
        problem = self.problems.get(sample.problem_id)
        if sample.code is None:
            reason = sample.meta.get("extraction", "no code")
            return ev.unrunnable(problem, sample.model, sample.index, reason, sample.meta)
        return ev.evaluate(problem, sample.code, sample.model, sample.index, sample.meta)

    def record_retries(self, result: SampleRecord | Skipped, retries: list[Retry]) -> SampleRecord | Skipped:
        """The record with ``meta["retries"]``: each lost attempt (worker, reason)."""
        if not isinstance(result, SampleRecord):
            return result
        return replace(result, meta={**result.meta, "retries": [r.to_json() for r in retries]})

    def close(self) -> None:
        """Stop this process's sandbox. Idempotent."""
        with self._lock:
            ev, self._evaluator = self._evaluator, None
        if ev is not None:
            ev.sandbox.close()


def evaluate_on_executor(run: EvaluationRun, executor: Executor, samples: Sequence[Sample], desc: str) -> list:
    """:meth:`effbench.run.EvaluationRun.evaluate` on an executor (``--executor ray``).

    Samples already in the run directory are not run again; each record is appended as it
    arrives (a Ctrl-C keeps every finished one). Problems whose expert cannot be profiled are
    skipped with a warning, as in a local run.

    Returns:
        The samples' records, in order.
    """
    from effbench.run import _progress

    todo = [s for s in samples if (s.model, s.problem_id, s.index) not in run._done]
    job = SampleEvaluation(
        run.problems, run.choice.meter, run.sandbox_name, run.settings, run.rootfs, run.hidden, run.use_cache
    )
    facts = executor.describe()
    where = f"{facts.get('workers')} {executor.name} worker(s) on {', '.join(facts.get('nodes', [])) or 'this machine'}"
    run.log(f"{len(todo)} sample(s) on {where}; each expert profile is measured once, first, and shared")
    with _progress(len(todo), desc, run.progress) as bar:

        def arrived(_index: int, result: SampleRecord | Skipped) -> None:
            if isinstance(result, Skipped):
                if result.problem_id not in run.skipped:
                    run.log(f"warning: {result.reason}")
                    run.skipped[result.problem_id] = result.reason
            else:
                run._record(result)
            bar.update(1)

        executor.map(job, todo, arrived)
    keys = ((s.model, s.problem_id, s.index) for s in samples)
    return [run._done[k] for k in keys if k in run._done]
