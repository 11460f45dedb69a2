"""Evaluation runs: profile the experts, score samples, write the run directory.

:class:`EvaluationRun` keeps one sandbox open across calls (refinement rounds evaluate, ask the
model again, and evaluate again); :func:`evaluate_samples` is the one-shot form.
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path
from typing import Any

from effbench import __version__, paths
from effbench.engine import EngineSettings, Evaluator, SampleRecord
from effbench.errors import ProblemError
from effbench.fingerprint import environment_fingerprint
from effbench.meters import MeterChoice
from effbench.problems import ProblemSet
from effbench.reference_cache import ReferenceCache
from effbench.rundir import RunDir
from effbench.samples import Sample
from effbench.sandboxes import open_sandbox


def samples_hash(samples: Sequence[Sample]) -> str:
    digest = hashlib.sha256()
    for s in samples:
        digest.update(f"{s.model}\0{s.problem_id}\0{s.index}\0".encode() + (s.code or "").encode() + b"\0")
    return digest.hexdigest()[:16]


def _progress(total: int, desc: str, enabled: bool, unit: str = "sample"):  # noqa: ANN202 - tqdm or a no-op
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit=unit, file=sys.stderr, disable=not enabled, dynamic_ncols=True)


class EvaluationRun:
    """A run directory and an open sandbox; ``evaluate`` may be called many times."""

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
    ) -> None:
        self.problems = problems
        self.choice = choice
        self.run_dir = Path(run_dir)
        self.sandbox_name = sandbox
        self.workers = workers
        self.settings = settings or EngineSettings()
        self.use_cache = use_cache
        self.hide = hide
        self.rootfs = rootfs
        self.progress = progress
        self.log = log
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
            "samples_hash": job_hash,
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            **(extra_config or {}),
        }
        self._box: Any = None
        self.evaluator: Evaluator | None = None
        self._done: dict[tuple[str, str, int], SampleRecord] = {}
        #: problems skipped because they cannot be evaluated (ProblemError), with why
        self.skipped: dict[str, str] = {}

    def __enter__(self) -> EvaluationRun:
        done = self.rundir.open(self.config)
        if done:
            self._done = {(r.model, r.problem_id, r.sample_index): r for r in self.rundir.records()}
            self.log(f"resuming {self.run_dir}: {len(done)} sample(s) already scored")
        # candidates must not read the run directory (other samples' records) or the samples files
        hidden = sorted({str(self.run_dir.resolve()), *(str(Path(h).resolve()) for h in self.hide)})
        options: dict[str, Any] = {"hide": hidden}
        if self.rootfs is not None:
            options["rootfs"] = self.rootfs
        self._box = open_sandbox(self.sandbox_name, self.choice.meter, workers=self.workers, **options)
        config = self.rundir.config()
        config["sandbox_facts"] = self._box.facts
        (self.run_dir / "config.json").write_text(json.dumps(config, indent=2, sort_keys=True) + "\n")
        cache = ReferenceCache(paths.cache_dir() / "references") if self.use_cache else None
        self.evaluator = Evaluator(self._box, self.choice.meter, self.settings, cache, self.fingerprint)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._box is not None:
            self._box.close()

    def evaluate(self, samples: Sequence[Sample], desc: str = "samples") -> list[SampleRecord]:
        """Records for the samples, in order: finished ones from the run directory, others run now."""
        assert self.evaluator is not None, "use EvaluationRun as a context manager"
        ev = self.evaluator
        todo = [s for s in samples if (s.model, s.problem_id, s.index) not in self._done]
        needed = sorted({s.problem_id for s in todo if s.code is not None})
        with ThreadPoolExecutor(max_workers=self.workers) as pool:
            if needed:
                with _progress(len(needed), "expert profiles", self.progress, "problem") as bar:
                    futures = {pool.submit(ev.profile, self.problems.get(pid)): pid for pid in needed}
                    for fut in as_completed(futures):
                        try:
                            fut.result()
                        except ProblemError as exc:  # e.g. its checker raises: skip that problem, go on
                            self.log(f"warning: {exc}")
                            self.skipped[futures[fut]] = str(exc)
                        bar.update(1)
            todo = [s for s in todo if s.problem_id not in self.skipped]
            with _progress(len(todo), desc, self.progress) as bar:

                def one(s: Sample) -> SampleRecord:
                    problem = self.problems.get(s.problem_id)
                    if s.code is None:
                        return ev.unrunnable(problem, s.model, s.index, s.meta.get("extraction", "no code"), s.meta)
                    return ev.evaluate(problem, s.code, s.model, s.index, s.meta)

                for fut in as_completed([pool.submit(one, s) for s in todo]):
                    record = fut.result()
                    self.rundir.append(record)
                    self._done[(record.model, record.problem_id, record.sample_index)] = record
                    bar.update(1)
        return [self._done[k] for k in ((s.model, s.problem_id, s.index) for s in samples) if k in self._done]

    def records(self) -> list[SampleRecord]:
        return self.rundir.records()


def evaluate_samples(
    samples: Sequence[Sample],
    problems: ProblemSet,
    choice: MeterChoice,
    run_dir: Path,
    **options: Any,
) -> list[SampleRecord]:
    """One-shot: evaluate every sample (resuming the run directory if it exists)."""
    with EvaluationRun(problems, choice, run_dir, samples_hash(samples), **options) as run:
        run.evaluate(samples)
        return run.records()
