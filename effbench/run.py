"""One evaluation run: profile the experts, score every sample, write the run directory."""

from __future__ import annotations

import hashlib
import json
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from effbench import __version__, paths
from effbench.engine import EngineSettings, Evaluator, SampleRecord
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
        digest.update(f"{s.model}\0{s.problem_id}\0{s.index}\0".encode() + s.code.encode() + b"\0")
    return digest.hexdigest()[:16]


def _progress(total: int, desc: str, enabled: bool):  # noqa: ANN202 - tqdm or a no-op
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit="sample", file=sys.stderr, disable=not enabled, dynamic_ncols=True)


def evaluate_samples(
    samples: Sequence[Sample],
    problems: ProblemSet,
    choice: MeterChoice,
    run_dir: Path,
    sandbox: str = "local",
    workers: int = 1,
    settings: EngineSettings | None = None,
    use_cache: bool = True,
    extra_config: dict | None = None,
    hide: Sequence[str] = (),
    progress: bool = True,
    log: Callable[[str], None] = lambda s: None,
) -> list[SampleRecord]:
    settings = settings or EngineSettings()
    meter = choice.meter
    fingerprint = environment_fingerprint(meter, sandbox)
    rd = RunDir(run_dir)
    config = {
        "effbench_version": __version__,
        "problem_set": problems.name,
        "problem_set_version": problems.version,
        "problem_set_hash": problems.hash,
        "meter": meter.name,
        "meter_reason": choice.reason,
        "fingerprint": fingerprint,
        "alpha": settings.alpha,
        "memory_bytes": settings.memory_bytes,
        "sandbox": sandbox,
        "workers": workers,
        "samples_hash": samples_hash(samples),
        "models": sorted({s.model for s in samples}),
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        **(extra_config or {}),
    }
    done = rd.open(config)
    todo = [s for s in samples if (s.model, s.problem_id, s.index) not in done]
    if done:
        log(f"resuming {run_dir}: {len(done)} sample(s) already scored, {len(todo)} to go")
    cache = ReferenceCache(paths.cache_dir() / "references") if use_cache else None
    # candidates must not read the run directory (other samples' records) or the samples files
    hidden = sorted({str(run_dir.resolve()), *(str(Path(h).resolve()) for h in hide)})
    with open_sandbox(sandbox, meter, workers=workers, hide=hidden) as box:
        rd_config = rd.config()
        rd_config["sandbox_facts"] = box.facts
        (run_dir / "config.json").write_text(json.dumps(rd_config, indent=2, sort_keys=True) + "\n")
        evaluator = Evaluator(box, meter, settings, cache, fingerprint)
        needed = sorted({s.problem_id for s in todo})
        with ThreadPoolExecutor(max_workers=workers) as pool:
            with _progress(len(needed), "expert profiles", progress) as bar:
                futures = [pool.submit(evaluator.profile, problems.get(pid)) for pid in needed]
                for fut in as_completed(futures):
                    fut.result()
                    bar.update(1)
            with _progress(len(todo), "samples", progress) as bar:
                futures = [
                    pool.submit(evaluator.evaluate, problems.get(s.problem_id), s.code, s.model, s.index, s.meta)
                    for s in todo
                ]
                for fut in as_completed(futures):
                    rd.append(fut.result())
                    bar.update(1)
    return rd.records()
