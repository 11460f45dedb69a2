"""Evaluation runs: profile the experts, score samples, write the run directory.

:class:`EvaluationRun` keeps one sandbox open across calls (refinement rounds evaluate, ask the
model again, and evaluate again); :func:`evaluate_samples` is the one-shot form. The run owns its
outputs: it writes ``config.json`` (with the secret input seed), appends each record as it is
scored and writes ``summary.json`` when it ends, each atomically, through one :class:`RunDir`.

Ctrl-C (KeyboardInterrupt) stops a run at once: queued samples are cancelled, samples in progress
are abandoned at their next test, every sample that finished is recorded, and the interrupt is
re-raised (the CLI exits with 130). The CLI turns SIGTERM into :class:`effbench.errors.Terminated`,
a KeyboardInterrupt, so it stops a run the same way (exit code 143).
"""

from __future__ import annotations

import contextlib
import hashlib
import heapq
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import replace
from pathlib import Path
from typing import Any

from effbench import __version__, paths
from effbench.engine import EngineSettings, Evaluator, SampleRecord, code_hash
from effbench.errors import ProblemError
from effbench.fingerprint import environment_fingerprint
from effbench.meters import MeterChoice
from effbench.problems import ProblemSet, new_input_seed
from effbench.reference_cache import ReferenceCache
from effbench.rundir import RunDir
from effbench.samples import Sample
from effbench.sandboxes import namespaces_refused_note, open_sandbox

#: how long an interrupted run waits for samples in progress to reach a test boundary, in seconds
INTERRUPT_GRACE_SECONDS = 1.0


def samples_hash(samples: Sequence[Sample]) -> str:
    """16 hex digits identifying a job's samples (model, problem, index, code), for resume checks."""
    digest = hashlib.sha256()
    for s in samples:
        digest.update(f"{s.model}\0{s.problem_id}\0{s.index}\0".encode() + (s.code or "").encode() + b"\0")
    return digest.hexdigest()[:16]


def recorded_code_admits(codes: Mapping[tuple[str, str, int], str]) -> Callable[[SampleRecord], str | None]:
    """The judge of a resumed run given its code: a record is reused only as that sample's measurement.

    A resume reuses a sample's record by its key (model, problem, sample index). A record of
    another run's line (prepended, joined) or of a sample whose code changed since would then
    be reported for code this run was never given; a record of a key not among the samples
    (a foreign line) would be counted in the summary beside them. :meth:`RunDir.open` refuses
    both, naming the line, before it changes anything, as a changed option is
    (:data:`effbench.rundir.RESUME_KEYS`): the fix is a new ``--run-dir``.

    Args:
        codes: the ``code_sha256`` every record must hold, by key (see :class:`EvaluationRun`).

    Returns:
        ``judge(record) -> None`` (the sample's measurement) or one clause saying why not.
    """

    def judge(r: SampleRecord) -> str | None:
        if r.key not in codes:
            return "not among the samples given (another run's line, or the samples changed since)"
        if r.code_sha256 != codes[r.key]:
            said = (r.code_sha256 or "no code")[:12], (codes[r.key] or "no code")[:12]
            return (
                f"its record is of other code than that sample's (sha256 {said[0]} recorded, {said[1]} given: "
                "another run's line, or the sample changed since)"
            )
        return None

    return judge


def _progress(total: int, desc: str, enabled: bool, unit: str = "sample", position: int = 0):  # noqa: ANN202 - tqdm or a no-op
    """A progress bar on stderr for ``total`` items (a tqdm), a no-op when ``total`` is 0 or not ``enabled``.

    A resumed run with nothing left to run draws no empty bar. ``position``: the bar's line
    (0 the first), for two bars drawn at once. In a log (stderr not a terminal) each refresh is
    a whole line (:func:`effbench.progress.progress_bar`).
    """
    from effbench.progress import progress_bar

    return progress_bar(total, desc, unit, enabled, position)


def _start_clock(bar: Any) -> None:
    """Start a bar's clock now: its elapsed time, rate and estimate count from this moment.

    The samples' bar is drawn from the start, beside the profiles' bar, but no sample runs until
    the profiles are handed out: without this its clock ran through the profiles, so the first
    sample's line of a newcomer's main job read '1/156 [01:51<4:47:31, 111.30s/sample]' and its
    last '156/156 [07:29, 2.88s/sample]' for samples that took 5:48 (2.23 s/sample). Call it
    before the first item is counted (``tqdm.reset`` sets the count back to 0).
    """
    if bar.n == 0:
        bar.reset()


def _stop_clock(bar: Any) -> None:
    """Freeze a finished bar's elapsed time and rate at their values now.

    The profiles' bar is closed with the samples' bar, after the last sample: without this its last
    line gave the whole run's time as the profiles' (a newcomer's main job: 'expert profiles:
    61/61 [11:42, 11.52s/problem]' for profiles done at 4:13). tqdm has no public way to stop a
    bar's clock; it reads the time through the bar's ``_time``.
    """
    frozen = bar._time()
    bar._time = lambda: frozen
    bar.refresh()


#: the harness's own wall time per test beside the child's CPU time, in seconds (valgrind meter,
#: measured on the main job: 0.1-0.2 s), for :func:`expected_seconds`
FIXED_SECONDS_PER_TEST = 0.15


def expected_seconds(tests: Sequence[Sequence[Any]], profile: Any) -> float:
    """A rough guess of a sample's wall time, to hand out long samples first, in seconds.

    Args:
        tests: the problem's tests per level (:meth:`Evaluator.tests_of`).
        profile: its expert profile (``level_cpu_seconds``: each level's largest test CPU time).

    Returns:
        ``sum over levels of n_tests * (FIXED_SECONDS_PER_TEST + level CPU seconds)``: the
        expert's pace; only the order of the guesses is used, never a limit.
    """
    cpu = list(getattr(profile, "level_cpu_seconds", None) or [])
    return sum(
        len(level) * (FIXED_SECONDS_PER_TEST + (cpu[i] if i < len(cpu) else 0.0)) for i, level in enumerate(tests)
    )


#: the signals that stop a run (Ctrl-C, and SIGTERM once the CLI turns it into an exception)
_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


@contextlib.contextmanager
def _stop_signals_deferred() -> Iterator[None]:
    """Hold Ctrl-C (SIGINT) and SIGTERM back for the block (main thread only); acted on right after.

    Only a signal whose handler is Python code is held (SIGINT's KeyboardInterrupt, the CLI's
    SIGTERM handler): one left to the kernel (default, ignored) is not touched. After the block,
    the signal's own handler is called, so it raises what it would have raised.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    held = {sig: signal.getsignal(sig) for sig in _STOP_SIGNALS}
    held = {sig: handler for sig, handler in held.items() if callable(handler)}
    pending: list[int] = []
    old = {sig: signal.signal(sig, lambda signum, frame: pending.append(signum)) for sig in held}
    try:
        yield
    finally:
        for sig, handler in old.items():
            signal.signal(sig, handler)
    if pending:
        held[pending[0]](pending[0], None)


class _Schedule:
    """What :meth:`EvaluationRun.evaluate` hands to its next free thread.

    Every needed expert profile first (in the problems' order), then the samples whose problem's
    profile is ready, longest expected first (``estimate``, in seconds; ties in the given order).
    A problem's samples are never handed out before its profile is ready (they would hold a
    thread waiting on the profile's lock), nor at all once it is skipped. Samples with no code
    need no profile measured first (their record says why they cannot run) and are ready at once.
    """

    def __init__(self, todo: Sequence[Sample], estimate: Callable[[Sample], float]) -> None:
        """Plan ``todo`` (samples not yet recorded); ``estimate`` is called once a sample is ready."""
        #: problems whose profile is measured before any of their samples run, in order
        self.needed = sorted({s.problem_id for s in todo if s.code is not None})
        self._profiles = list(self.needed)
        self._waiting: dict[str, list[tuple[int, Sample]]] = {}
        for i, s in enumerate(todo):
            self._waiting.setdefault(s.problem_id, []).append((i, s))
        self._estimate = estimate
        self._ready: list[tuple[float, int, Sample]] = []  # a heap
        for pid in [p for p in self._waiting if p not in self.needed]:
            self.profile_ready(pid)

    def next(self) -> str | Sample | None:
        """The next job: a problem id (measure its profile), a ready sample, or None (nothing ready now)."""
        if self._profiles:
            return self._profiles.pop(0)
        if self._ready:
            return heapq.heappop(self._ready)[2]
        return None

    def profile_ready(self, problem_id: str) -> None:
        """The problem's profile is ready: its samples may run."""
        for i, s in self._waiting.pop(problem_id, []):
            heapq.heappush(self._ready, (-self._estimate(s), i, s))

    def skip(self, problem_id: str) -> int:
        """The problem cannot be evaluated: its samples never run. Returns how many were dropped."""
        return len(self._waiting.pop(problem_id, []))


class EvaluationRun:
    """A run directory and an open sandbox; ``evaluate`` may be called many times.

    Use it as a context manager. ``settings.input_seed`` fixes the generated inputs (``--seed``);
    by default a fresh secret is drawn, recorded in ``config.json`` and reused on resume.
    """

    def __init__(
        self,
        problems: ProblemSet,
        choice: MeterChoice,
        run_dir: Path,
        job_hash: str,
        sandbox: str = "local",
        workers: int = 1,
        settings: EngineSettings | None = None,
        use_cache: bool = True,
        extra_config: dict | None = None,
        hide: Sequence[str] = (),
        rootfs: str | None = None,
        progress: bool = True,
        log: Callable[[str], None] = lambda s: None,
        executor: str = "local",
        executor_options: dict[str, Any] | None = None,
        pending: Sequence[tuple[str, str, int]] | None = None,
        codes: Mapping[tuple[str, str, int], str] | None = None,
    ) -> None:
        """Describe a run; nothing is written or started before ``__enter__``.

        Args:
            problems: the problem set.
            choice: the meter, and why it was chosen.
            run_dir: the run directory (created, or resumed when it has a config.json).
            job_hash: identifies the job's samples (:func:`samples_hash`); resuming needs the same.
            sandbox: a name in :data:`effbench.registry.SANDBOXES`.
            workers: parallel runners (and threads).
            settings: alpha, limits, input seed.
            use_cache: reuse cached expert profiles.
            extra_config: more keys for config.json (``k``, model options...).
            hide: paths the candidates must not see (samples files).
            rootfs: a root filesystem for the local backend.
            progress: show progress bars on stderr.
            log: where one-line messages go.
            executor: ``local`` (threads here), or a name in :data:`effbench.registry.EXECUTORS`
                (``ray``) whose workers each run their own ``sandbox``.
            executor_options: the executor's options (``address``, ``workers``...).
            pending: the keys ``(model, problem_id, index)`` of every sample the run will be asked
                to evaluate, when known: a resumed run that has already scored all of them starts
                no sandbox (starting one takes seconds: its runners and the meter's calibration).
                None (the default): the sandbox is always started.
            codes: for a run given its code (samples files, references): the ``code_sha256`` each
                sample's record must hold (:func:`effbench.engine.code_hash` of its code, "" for a
                sample with no code), by key. A resume refuses (EffbenchError, before anything in
                the run directory changes or any sandbox starts) a record whose key is not among
                them or whose code differs (:func:`recorded_code_admits`). None (a model run): the
                records are judged by the run's config instead
                (:func:`effbench.rundir.model_run_admits`).
        """
        self.problems = problems
        self.choice = choice
        self.run_dir = Path(run_dir)
        self.sandbox_name = sandbox
        self.workers = workers
        self.settings = settings or EngineSettings()
        self._seed_given = self.settings.input_seed is not None
        self.use_cache = use_cache
        self.hide = hide
        self.rootfs = rootfs
        self.progress = progress
        self.log = log
        self.executor_name = executor
        self.executor_options = dict(executor_options or {})
        self._executor: Any = None
        self.pending = None if pending is None else set(pending)
        self.codes = None if codes is None else dict(codes)
        #: paths hidden from candidates (set when the run starts)
        self.hidden: list[str] = []
        self.fingerprint = environment_fingerprint(choice.meter, sandbox, rootfs=rootfs)
        self.rundir = RunDir(self.run_dir)
        self.config = {
            "effbench_version": __version__,
            "problem_set": problems.name,
            "problem_set_version": problems.version,
            "problem_set_hash": problems.hash,
            "meter": choice.meter.name,
            "meter_reason": choice.reason,
            "fingerprint": self.fingerprint,
            "alpha": self.settings.alpha,
            "memory_bytes": self.settings.memory_bytes,
            "sandbox": sandbox,
            "rootfs": rootfs,
            "workers": workers,
            **({"executor": executor} if executor != "local" else {}),
            "samples_hash": job_hash,
            "input_seed": self.settings.input_seed,
            "input_seed_source": "--seed" if self._seed_given else "fresh secret",
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            **(extra_config or {}),
        }
        self._box: Any = None
        self.evaluator: Evaluator | None = None
        self._done: dict[tuple[str, str, int], SampleRecord] = {}
        #: problems skipped because they cannot be evaluated (ProblemError), with why
        self.skipped: dict[str, str] = {}

    def __enter__(self) -> EvaluationRun:
        """Create or resume the run directory, start the sandbox and the evaluator.

        The run directory is held by this run until it ends: a second run of it at the same time
        is refused (EffbenchError), as RunDir.open says.
        """
        admits = None if self.codes is None else recorded_code_admits(self.codes)
        done = self.rundir.open(self.config, log=self.log, admits=admits)
        try:
            return self._start(done)
        except BaseException:
            self._close_sandbox()
            raise

    def _start(self, done: set[tuple[str, str, int]]) -> EvaluationRun:
        if self.config.get("input_seed") is None:  # a new run, or a resumed run from before seeds
            self.config["input_seed"] = new_input_seed()
            self.config["input_seed_source"] = "fresh secret"
        self.settings = replace(self.settings, input_seed=self.config["input_seed"])
        if done:
            self._done = {r.key: r for r in self.rundir.records()}
            self.log(f"resuming {self.run_dir}: {len(done)} sample(s) already scored")
        # candidates must not read the run directory (other samples' records) or the samples files
        hidden = sorted({str(self.run_dir.resolve()), *(str(Path(h).resolve()) for h in self.hide)})
        self.hidden = hidden
        if done and self.pending is not None and self.pending <= done:
            # nothing left to run: the sandbox (seconds of runners starting and calibrating) is not needed
            facts = self.rundir.config().get("sandbox_facts")
        elif self.executor_name != "local":  # the executor's workers run the sandboxes (effbench.executors)
            from effbench.executors import get_executor

            self._executor = get_executor(self.executor_name, log=self.log, **self.executor_options)
            facts = self._executor.describe()
        else:
            options: dict[str, Any] = {"hide": hidden}
            if self.rootfs is not None:
                options["rootfs"] = self.rootfs
            meter = self.choice.meter.name
            self.log(f"starting the {self.sandbox_name} sandbox: {self.workers} runner(s), {meter} meter")
            self._box = open_sandbox(self.sandbox_name, self.choice.meter, workers=self.workers, **options)
            facts = self._box.facts
            refused = namespaces_refused_note(facts)
            if refused:
                self.log(refused)
        config = {**self.rundir.config(), **self.config, "sandbox_facts": facts}
        if done:
            config["created"] = self.rundir.config().get("created", config["created"])
        self.rundir.write_config(config)
        if self._box is not None:
            cache = ReferenceCache(paths.cache_dir() / "references") if self.use_cache else None
            self.evaluator = Evaluator(self._box, self.choice.meter, self.settings, cache, self.fingerprint)
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        """Write ``summary.json`` (when the run ended normally) and stop the sandbox."""
        try:
            if exc_type is None:
                self.write_summary()
        finally:
            self._close_sandbox()

    def _close_sandbox(self) -> None:
        # and let go of the run directory (RunDir.open held it)
        try:
            if self._box is not None:
                self._box.close()
            if self._executor is not None:
                self._executor.close()
        finally:
            self.rundir.release()

    def summarize(self, ks: Sequence[int] | None = None, alpha: float | None = None) -> dict:
        """The summary of every record in the run directory (see :func:`effbench.summary.summarize`).

        ``ks`` defaults to the config's ``k``, else to :func:`effbench.scoring.default_ks` of the
        smallest n (:func:`effbench.summary.fewest_scored`), without the k larger than that n
        (said in the log); ``alpha`` to the run's.
        """
        from effbench.scoring import default_ks
        from effbench.summary import fewest_scored, scorable_ks, summarize

        records = self.rundir.records()
        if ks is None:  # the run's own k: only those its scored samples allow (infra ones are not)
            ks = self.config.get("k") or default_ks(max(fewest_scored(records), 1))
            ks, left_out = scorable_ks(ks, records)
            if left_out:
                self.log(
                    f"note: k={','.join(map(str, left_out))} is larger than the n={fewest_scored(records)} samples "
                    "scored of some problem (a sample lost to an infrastructure failure is not the model's): "
                    "left out of the summary"
                )
        return summarize(records, ks, self.settings.alpha if alpha is None else alpha, self.settings.alpha)

    def write_summary(self) -> dict | None:
        """Write ``summary.json`` atomically; returns it (None when there is no record yet)."""
        if not self.rundir.records():
            return None
        summary = self.summarize()
        self.rundir.write_summary(summary)
        return summary

    def _record(self, record: SampleRecord) -> None:
        # Ctrl-C (and SIGTERM) is held back while a record is written and marked done, so a sample is recorded
        # exactly once: never half, never twice
        with _stop_signals_deferred():
            if record.key not in self._done:
                self.rundir.append(record)
                self._done[record.key] = record

    def record_of(self, key: tuple[str, str, int]) -> SampleRecord | None:
        """The record of the sample ``key`` = (model label, problem id, index) if this run holds one, else None.

        A resumed run holds its recorded samples from the start: a model run asks nothing for them.
        """
        return self._done.get(key)

    def is_done(self, sample: Sample) -> bool:
        """True when the sample's record is already in the run directory (a resumed run)."""
        return (sample.model, sample.problem_id, sample.index) in self._done

    def evaluate(self, samples: Sequence[Sample], desc: str = "samples") -> list[SampleRecord]:
        """Records for the samples, in order: finished ones from the run directory, others run now.

        The expert profiles the samples need are measured first, and a problem's samples may
        start as soon as its own profile is ready, while other profiles are still measured (no
        barrier between the two phases). Work is handed to the threads one item at a time as
        they free up: profiles first, then the ready samples longest first
        (:func:`expected_seconds`), so that the run does not end on one long sample keeping one
        runner busy while the others idle. A sample's record does not depend on this order.

        Raises KeyboardInterrupt after recording every finished sample when interrupted.
        """
        todo = [s for s in samples if (s.model, s.problem_id, s.index) not in self._done]
        if not todo:  # a resumed run with nothing left (it may have started no sandbox: `pending`)
            return self._recorded(samples)
        if self._executor is not None:
            from effbench.executors.evaluation import evaluate_on_executor

            return evaluate_on_executor(self, self._executor, samples, desc)
        self._run_here(todo, desc)
        return self._recorded(samples)

    def _run_here(self, todo: list[Sample], desc: str) -> None:
        """Profile the experts ``todo`` needs, then run and record ``todo`` in this process's sandbox."""
        assert self.evaluator is not None, "use EvaluationRun as a context manager"
        ev = self.evaluator

        def estimate(s: Sample) -> float:
            problem = self.problems.get(s.problem_id)
            return expected_seconds(ev.tests_of(problem), ev.profile(problem)) if s.code is not None else 0.0

        plan = _Schedule(todo, estimate)

        def one(s: Sample) -> SampleRecord:
            problem = self.problems.get(s.problem_id)
            if s.code is None:
                return ev.unrunnable(problem, s.model, s.index, s.meta.get("extraction", "no code"), s.meta)
            return ev.evaluate(problem, s.code, s.model, s.index, s.meta)

        pool = ThreadPoolExecutor(max_workers=self.workers)
        outstanding: set[Future] = set()
        profile_of: dict[Future, str] = {}
        sample_started = False
        try:
            with (
                _progress(len(plan.needed), "expert profiles", self.progress, "problem") as profile_bar,
                _progress(len(todo), desc, self.progress, position=1 if plan.needed else 0) as bar,
            ):
                while True:
                    while len(outstanding) < self.workers and (job := plan.next()) is not None:
                        if isinstance(job, str):
                            fut = pool.submit(ev.profile, self.problems.get(job))
                            profile_of[fut] = job
                        else:
                            if not sample_started:  # its elapsed time and rate are the samples', not the profiles'
                                _start_clock(bar)
                                sample_started = True
                            fut = pool.submit(one, job)
                        outstanding.add(fut)
                    if not outstanding:
                        break
                    finished, _ = wait(outstanding, return_when=FIRST_COMPLETED)
                    for fut in finished:
                        outstanding.discard(fut)
                        self._settle(fut, profile_of.pop(fut, None), plan, bar, profile_bar)
        except KeyboardInterrupt:
            self._stop(pool, outstanding)
            raise
        except BaseException:
            ev.cancel()
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        pool.shutdown(wait=True)

    def _recorded(self, samples: Sequence[Sample]) -> list[SampleRecord]:
        """The records of those of ``samples`` already scored, in the samples' order."""
        return [self._done[k] for k in ((s.model, s.problem_id, s.index) for s in samples) if k in self._done]

    def _settle(self, fut: Future, problem_id: str | None, plan: _Schedule, bar: Any, profile_bar: Any) -> None:
        """A finished job of :meth:`evaluate`: record a sample, or let a profiled problem's samples run.

        ``problem_id`` is the problem whose profile ``fut`` measured, None for a sample. A problem
        whose profile raised ProblemError (e.g. its checker raises) is skipped, with a warning;
        any other exception propagates.
        """
        if problem_id is None:
            self._record(fut.result())
            bar.update(1)
            return
        try:
            fut.result()
        except ProblemError as exc:  # e.g. its checker raises: skip that problem, go on
            from tqdm import tqdm

            with tqdm.external_write_mode(file=sys.stderr):  # bars cleared: a line of its own, not inside one
                self.log(f"warning: {exc}")
            self.skipped[problem_id] = str(exc)
            bar.total -= plan.skip(problem_id)
            bar.refresh()
        else:
            plan.profile_ready(problem_id)
        profile_bar.update(1)
        if profile_bar.total is not None and profile_bar.n >= profile_bar.total:
            _stop_clock(profile_bar)

    def _stop(self, pool: ThreadPoolExecutor, outstanding: set[Future]) -> None:
        """On Ctrl-C: cancel what has not started and record every sample that finished.

        Samples in progress stop at their next test; they get at most
        :data:`INTERRUPT_GRACE_SECONDS` to finish the one they are in.
        """
        assert self.evaluator is not None
        self.evaluator.cancel()
        pool.shutdown(wait=False, cancel_futures=True)
        running = {f for f in outstanding if not f.cancelled()}
        wait(running, timeout=INTERRUPT_GRACE_SECONDS)
        for fut in running:
            if fut.done() and not fut.cancelled() and fut.exception() is None:
                record = fut.result()
                if isinstance(record, SampleRecord):  # not a profile
                    self._record(record)

    def records(self) -> list[SampleRecord]:
        """Every record in the run directory."""
        return self.rundir.records()


def evaluate_samples(
    samples: Sequence[Sample],
    problems: ProblemSet,
    choice: MeterChoice,
    run_dir: Path,
    **options: Any,
) -> list[SampleRecord]:
    """One-shot: evaluate every sample (resuming the run directory if it exists).

    Writes the run directory (config, records, summary) and returns every record in it.
    ``options`` are those of :class:`EvaluationRun`.
    """
    options.setdefault("pending", [(s.model, s.problem_id, s.index) for s in samples])
    options.setdefault(
        "codes", {(s.model, s.problem_id, s.index): code_hash(s.code) if s.code is not None else "" for s in samples}
    )
    with EvaluationRun(problems, choice, run_dir, samples_hash(samples), **options) as run:
        run.evaluate(samples)
        return run.records()
