"""Running published input generators: in a subprocess, under limits, cached by row content.

A generator is benchmark code, but still code: one may loop forever or allocate until the machine
swaps (a published ENAMEL row the benchmark itself excludes does both). So generators never run in
the effbench process: :func:`run_generators` starts one worker (:mod:`effbench.importers.genworker`)
with ``PYTHONHASHSEED=0`` (its output must not depend on the host's hash seed), which forks one
child per row under a wall-clock, CPU-time and address-space limit. A row that exceeds them, or
raises, comes back as a failed :class:`GeneratorOutcome` with the reason; the caller skips it.

Generated inputs are cached on disk (``$EFFBENCH_CACHE_DIR/inputs``) by a key over everything they
depend on (the row's code and levels, the seeds, the helper module's source, the Python version):
a second command on the same file generates nothing. Rows that fail with an exception (or whose
checker fails to load) are cached as failures too; time-outs and memory failures are not (they
depend on the machine's load).

A format's checker, which the host loads into its own process to judge answers, is tried first
in such a child (``GeneratorJob.checker``): one that loops, allocates without bound, exits or
forks there is refused before the host runs any of it.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from effbench import codec, hostcode, paths

#: cache entries carry this; bump it when the worker's semantics change
CACHE_FORMAT = 1


@dataclass(frozen=True)
class GeneratorLimits:
    """Limits of one row's input generation.

    Limits of one row's generation (all its tests): seconds of wall-clock time (the CPU-time
    limit is one more) and bytes of address space.
    """

    seconds: float = 60.0
    memory_bytes: int = 2 << 30

    @classmethod
    def from_env(cls) -> GeneratorLimits:
        """``EFFBENCH_GENERATOR_SECONDS`` and ``EFFBENCH_GENERATOR_MB`` override the defaults."""
        seconds, mb = os.environ.get("EFFBENCH_GENERATOR_SECONDS"), os.environ.get("EFFBENCH_GENERATOR_MB")
        try:
            return cls(
                float(seconds) if seconds else cls.seconds,
                int(mb) << 20 if mb else cls.memory_bytes,
            )
        except ValueError:
            from effbench.errors import EffbenchError

            raise EffbenchError(
                "EFFBENCH_GENERATOR_SECONDS / EFFBENCH_GENERATOR_MB must be numbers (seconds, MiB)"
            ) from None


@dataclass(frozen=True)
class GeneratorJob:
    """One row's input generation.

    One row: ``code`` defines ``generate_input(size, lid, cid)``; level ``l`` has ``counts[l]``
    tests of size ``sizes[l]``, test ``c`` seeded with ``seeds[l][c]``. ``name`` is for messages.
    ``checker``, when not empty, is a checker module the host will load into its own process: it
    is run first in the same limited child (a job with no levels only tries the checker).
    """

    name: str
    code: str
    sizes: tuple[int, ...]
    counts: tuple[int, ...]
    seeds: tuple[tuple[int, ...], ...]
    helper_module: str = ""
    checker: str = ""

    @property
    def key(self) -> str:
        """The cache key: a hash of everything the generated inputs depend on."""
        data = json.dumps(
            {
                "format": CACHE_FORMAT,
                "code": self.code,
                "sizes": self.sizes,
                "counts": self.counts,
                "seeds": self.seeds,
                "helper": helper_identity(self.helper_module),
                "checker": self.checker,
                "python": list(sys.version_info[:2]),
                "worker": _worker_hash(),
            },
            sort_keys=True,
        )
        return hashlib.sha256(data.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class GeneratorOutcome:
    """What one row's input generation gave.

    When ``ok``, the inputs: ``levels[l][c]`` is the argument list of test ``c`` of level ``l``
    (Python values), or, for inputs in the cache, ``path`` to read them from with :meth:`load`
    (only when they are needed: listing problems never reads them). When not ``ok``, ``kind``
    (``timeout``, ``memory``, ``error``) and ``why`` say what went wrong.
    """

    ok: bool
    levels: list[list[list]] | None = None
    kind: str = ""
    why: str = ""
    cached: bool = False
    path: Path | None = None

    def load(self) -> list[list[list]]:
        """The inputs; raises ValueError (or OSError) when the file is unreadable or corrupt."""
        if self.levels is not None:
            return self.levels
        if self.path is None:
            raise ValueError("no inputs")
        text = self.path.read_text()
        try:
            data = json.loads(text)
        except ValueError as exc:
            if "digits" not in str(exc):
                raise
            from effbench.checkers import big_int  # an input integer past int()'s 4300 digits

            data = json.loads(text, parse_int=big_int)
        if not isinstance(data, dict) or not data.get("ok") or not isinstance(data.get("levels"), list):
            raise ValueError(f"{self.path}: not a file of generated inputs")
        try:
            return [[_decode(args) for args in tests] for tests in data["levels"]]
        except (TypeError, KeyError, AttributeError) as exc:
            raise ValueError(f"{self.path}: generated inputs cannot be decoded: {exc}") from None


def helper_identity(name: str) -> str:
    """An identity of the installed helper package.

    The helper package's version and the hash of its data-helper source, without importing it
    (importing the published one loads pandas); "absent" when it is not installed.
    """
    if not name:
        return "none"
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        spec = None
    if spec is None or not spec.origin:
        return "absent"
    digest = hashlib.sha256()
    for path in sorted(Path(spec.origin).parent.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def _worker_hash() -> str:
    return hashlib.sha256(Path(__file__).with_name("genworker.py").read_bytes()).hexdigest()[:12] + codec.runner_hash()


def _cache_path(key: str, failed: bool = False) -> Path:
    return paths.cache_dir() / "inputs" / key[:2] / f"{key}{'.failed' if failed else ''}.json"


def _read_cache(key: str) -> GeneratorOutcome | None:
    """A cached outcome: inputs by path (not read yet), or a cached failure; None if absent."""
    path = _cache_path(key)
    if path.is_file():
        return GeneratorOutcome(True, cached=True, path=path)
    try:
        data = json.loads(_cache_path(key, failed=True).read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    return GeneratorOutcome(False, None, str(data.get("kind", "error")), str(data.get("why", "")), True)


def _write_failure(key: str, data: dict) -> None:
    path = _cache_path(key, failed=True)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        with os.fdopen(fd, "w") as f:
            json.dump({"ok": False, "kind": data.get("kind", "error"), "why": data.get("why", "")}, f)
        os.replace(tmp, path)
    except (OSError, ValueError):
        pass  # a cache that cannot be written only costs time


def _adopt(key: str, path: Path) -> GeneratorOutcome:
    """Take the worker's result file for ``key`` into the cache.

    The worker's result file for ``key``, moved into the cache (same file system: no copy) and
    read when needed; read now if it cannot be moved (the worker's folder is removed after).
    """
    target = _cache_path(key)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(path, target)
        return GeneratorOutcome(True, path=target)
    except OSError:
        pass  # a cache that cannot be written only costs time
    try:
        return GeneratorOutcome(True, GeneratorOutcome(True, path=path).load())
    except (OSError, ValueError) as exc:
        return GeneratorOutcome(False, None, "error", f"the generated inputs cannot be read: {exc}")


def _decode(data: Any) -> Any:
    """codec.decode, with lists of scalars (most generated inputs) passed through at C speed."""
    if type(data) is list:
        if _SCALARS.issuperset(map(type, data)):
            return data
        return [_decode(v) for v in data]
    return codec.decode(data)


_SCALARS = frozenset({int, float, str, bool, type(None)})


def run_generators(
    jobs: Sequence[GeneratorJob],
    limits: GeneratorLimits | None = None,
    parallel: int | None = None,
    progress: Callable[[GeneratorJob, GeneratorOutcome], None] | None = None,
) -> list[GeneratorOutcome]:
    """The outcome of every job, in order: from the cache, or generated now in one worker process.

    ``parallel`` rows run at once (default: the CPU count). ``progress`` is called once per job as
    it finishes. Never raises for a bad row: its outcome says why.
    """
    limits = limits or GeneratorLimits.from_env()
    outcomes: list[GeneratorOutcome | None] = [None] * len(jobs)
    todo: dict[str, list[int]] = {}
    for i, job in enumerate(jobs):
        cached = _read_cache(job.key)
        if cached is not None:
            outcomes[i] = cached
            if progress:
                progress(job, outcomes[i])  # type: ignore[arg-type]
        else:
            todo.setdefault(job.key, []).append(i)
    if todo:
        by_helper: dict[str, list[str]] = {}
        for key, idx in todo.items():
            by_helper.setdefault(jobs[idx[0]].helper_module, []).append(key)
        for helper, keys in by_helper.items():
            for key, data in _run_worker(jobs, todo, keys, helper, limits, parallel):
                if data.get("ok"):
                    outcome = _adopt(key, Path(data["file"]))
                else:
                    if data.get("kind") in ("error", "checker") and not data.get("transient"):
                        _write_failure(key, data)
                    outcome = GeneratorOutcome(False, None, str(data.get("kind", "error")), str(data.get("why", "")))
                for i in todo[key]:
                    outcomes[i] = outcome
                    if progress:
                        progress(jobs[i], outcome)
    return [o if o is not None else GeneratorOutcome(False, None, "error", "not generated") for o in outcomes]


def _run_worker(
    jobs: Sequence[GeneratorJob],
    todo: dict[str, list[int]],
    keys: list[str],
    helper: str,
    limits: GeneratorLimits,
    parallel: int | None,
) -> Iterator[tuple[str, dict]]:
    """(key, result line) per row as the worker finishes it; rows it never answered fail."""
    parallel = parallel or max(1, os.cpu_count() or 1)
    rows = []
    for key in keys:
        job = jobs[todo[key][0]]
        rows.append(
            {
                "key": key,
                "code": job.code,
                "sizes": list(job.sizes),
                "counts": list(job.counts),
                "seeds": [list(s) for s in job.seeds],
                "checker": job.checker,
                "checker_seconds": min(hostcode.HOST_CODE_SECONDS, limits.seconds),
            }
        )
    base = paths.cache_dir() / "inputs"
    try:
        base.mkdir(parents=True, exist_ok=True)
        out_dir = tempfile.mkdtemp(prefix=".gen-", dir=base)  # beside the cache: results move in
    except OSError:
        out_dir = tempfile.mkdtemp(prefix="effbench-gen-")
    request = {
        "out_dir": out_dir,
        "helper_module": helper,
        "seconds": limits.seconds,
        "memory_bytes": limits.memory_bytes,
        "parallel": parallel,
        "rows": rows,
    }
    env = dict(os.environ, PYTHONHASHSEED="0")
    # the worker imports effbench from wherever this process does
    root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH", "")) if p)
    try:
        yield from _talk(request, env, keys, todo, limits, parallel, len(rows))
    finally:
        shutil.rmtree(out_dir, ignore_errors=True)


def _talk(
    request: dict,
    env: dict,
    keys: list[str],
    todo: dict[str, list[int]],
    limits: GeneratorLimits,
    parallel: int,
    n_rows: int,
) -> Iterator[tuple[str, dict]]:
    done: set[str] = set()
    with tempfile.TemporaryFile() as err:
        from effbench.generator_server import _namespaced_command

        # in a PID namespace of its own where the kernel allows it: what a row starts ends with it
        command = _namespaced_command("from effbench.importers.genworker import main\nmain()\n", init_forks=False)
        proc = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=err,
            env=env,
            text=True,
        )
        assert proc.stdin is not None and proc.stdout is not None
        # the worker enforces each row's limit; this bounds the whole (e.g. a hung worker)
        rounds = -(-n_rows // parallel)
        timer = threading.Timer(rounds * (limits.seconds + 5.0) + 30.0, proc.kill)
        timer.start()
        try:
            proc.stdin.write(json.dumps(request))
            proc.stdin.close()
            for line in proc.stdout:
                try:
                    data = json.loads(line)
                except ValueError:
                    continue
                if isinstance(data, dict) and data.get("key") in todo and data["key"] not in done:
                    done.add(data["key"])
                    yield data["key"], data
            proc.wait()
        finally:
            timer.cancel()
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        err.seek(0)
        tail = err.read()[-400:].decode(errors="replace").strip().splitlines()
    why = f"the generator worker exited with code {proc.returncode}" + (f": {tail[-1]}" if tail else "")
    for key in keys:
        if key not in done:
            yield key, {"ok": False, "kind": "timeout", "why": why}
