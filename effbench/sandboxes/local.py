"""The ``local`` backend: runner processes on this machine.

Each worker is one long-lived runner (under valgrind for the valgrind meter). Where ``unshare``
allows it the runner gets its own mount, network and PID namespaces (a user namespace too when
not root): no network, a private ``/tmp``, the problem and reference folders (and any other
``hide`` path) mounted over with an empty read-only tmpfs, and no view of host processes. Inside,
every test child runs with rlimits, dropped capabilities and a seccomp filter (see the runner).

It is the embedded default for a laptop or CI, not a security boundary against a determined
attacker with a kernel exploit: use the docker backend for that.
"""

from __future__ import annotations

import collections
import functools
import json
import os
import queue
import select
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterable
from typing import Any

from effbench import paths
from effbench.errors import InfrastructureError, SandboxUnavailable
from effbench.meters import sandbox_python
from effbench.meters.base import Meter
from effbench.meters.valgrind import parse_log_line
from effbench.sandboxes.base import TestRequest, TestRun

HELLO_TIMEOUT = 180.0
COUNT_WAIT = 15.0


@functools.lru_cache(maxsize=1)
def namespace_prefix() -> tuple[str, ...]:
    """``unshare`` options that work here, or () when namespaces are not available."""
    exe = shutil.which("unshare")
    if not exe:
        return ()
    common = ["--mount", "--net", "--pid", "--fork", "--mount-proc", "--kill-child"]
    candidates = [common] if os.geteuid() == 0 else [["--user", "--map-root-user", *common]]
    for flags in candidates:
        try:
            done = subprocess.run([exe, *flags, "true"], capture_output=True, timeout=30)
        except (OSError, subprocess.SubprocessError):
            continue
        if done.returncode == 0:
            return (exe, *flags)
    return ()


class RunnerProcess:
    """One runner: start, send one request at a time, read counts from valgrind's log."""

    def __init__(self, meter: Meter, hide: list[str], index: int, python: str | None = None) -> None:
        self.meter = meter
        self.python = python
        self.hide = hide
        self.index = index
        self.proc: subprocess.Popen[bytes] | None = None
        self.facts: dict[str, Any] = {}
        self._buf = b""
        self._counts: dict[int, int] = {}
        self._cond = threading.Condition()
        self._stderr: collections.deque[bytes] = collections.deque(maxlen=64)
        self._host_workdir: str | None = None
        self._seq = 0

    # -- life cycle ---------------------------------------------------------------------------
    def start(self) -> None:
        python = self.python or sandbox_python()
        prefix = list(namespace_prefix())
        runner_args = [*self.meter.runner_options()]
        if prefix:
            private_tmp = not python.startswith("/tmp/")
            if private_tmp:
                runner_args += ["--private-tmp", "--workdir", "/tmp/effbench-runner"]
            else:
                self._host_workdir = tempfile.mkdtemp(prefix="effbench-worker-")
                runner_args += ["--workdir", self._host_workdir]
            for path in self.hide:
                runner_args += ["--hide", path]
        else:
            self._host_workdir = tempfile.mkdtemp(prefix="effbench-worker-")
            runner_args += ["--workdir", self._host_workdir]
        log_r = log_w = None
        if self.meter.uses_log:
            log_r, log_w = os.pipe()
        cmd = (
            prefix
            + self.meter.command_prefix(log_w)
            + [python, "-S", "-s", "-P", str(paths.runner_path()), *runner_args]
        )
        env = {"PYTHONHASHSEED": "0", "PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": "/tmp"}
        self._buf = b""
        with self._cond:
            self._counts = {}
        self.proc = subprocess.Popen(
            cmd,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            pass_fds=(log_w,) if log_w is not None else (),
            start_new_session=True,
            env=env,
        )
        if log_w is not None:
            os.close(log_w)
            threading.Thread(target=self._read_log, args=(log_r,), daemon=True).start()
        threading.Thread(target=self._drain_stderr, args=(self.proc.stderr,), daemon=True).start()
        hello = self._read_response(time.monotonic() + HELLO_TIMEOUT)
        if not hello.get("hello"):
            self.stop()
            raise SandboxUnavailable(f"local sandbox: runner failed to start: {hello.get('error')}")
        self.facts = {**hello["facts"], "isolation": "namespaces" if prefix else "none"}

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is not None:
            try:
                os.killpg(proc.pid, 9)
            except OSError:
                pass
            for stream in (proc.stdin, proc.stdout):
                try:
                    stream.close()  # type: ignore[union-attr]
                except OSError:
                    pass
            proc.wait()
        if self._host_workdir:
            shutil.rmtree(self._host_workdir, ignore_errors=True)
            self._host_workdir = None

    # -- reader threads ----------------------------------------------------------------------
    def _read_log(self, fd: int) -> None:
        buf = b""
        with os.fdopen(fd, "rb", buffering=0) as f:
            while True:
                data = f.read(65536)
                if not data:
                    break
                buf += data
                *lines, buf = buf.split(b"\n")
                found = [p for p in map(parse_log_line, lines) if p]
                if found:
                    with self._cond:
                        self._counts.update(found)
                        self._cond.notify_all()

    def _drain_stderr(self, stream: Any) -> None:
        for line in iter(stream.readline, b""):
            self._stderr.append(line)

    def count_of(self, pid: int, expect: bool) -> int | None:
        deadline = time.monotonic() + (COUNT_WAIT if expect else 0.5)
        with self._cond:
            while pid not in self._counts:
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self._cond.wait(left)
            return self._counts.pop(pid)

    # -- protocol -----------------------------------------------------------------------------
    def _read_response(self, deadline: float) -> dict:
        assert self.proc is not None and self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        while b"\n" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise InfrastructureError("runner did not answer in time")
            ready, _, _ = select.select([fd], [], [], min(left, 1.0))
            if not ready:
                continue
            data = os.read(fd, 1 << 20)
            if not data:
                tail = b"".join(self._stderr).decode("utf-8", "replace")[-500:]
                raise InfrastructureError(f"runner exited unexpectedly: {tail.strip()}")
            self._buf += data
        line, _, self._buf = self._buf.partition(b"\n")
        return json.loads(line)

    def request(self, req: TestRequest) -> dict:
        if self.proc is None:
            self.start()
        assert self.proc is not None and self.proc.stdin is not None
        self._seq += 1
        message = {
            "op": "run",
            "id": self._seq,
            "code": req.code,
            "entry_point": req.entry_point,
            "args": req.args_json,
            "limits": req.limits.for_runner(),
            "repeats": req.repeats,
        }
        try:
            payload = json.dumps(message, separators=(",", ":")).encode()
            self.proc.stdin.write(b"%d\n" % len(payload) + payload)
            self.proc.stdin.flush()
        except OSError as exc:
            raise InfrastructureError(f"runner is gone: {exc}") from None
        budget = (req.limits.wall_seconds + 30.0) * 2 * max(1, req.repeats) + 60.0
        response = self._read_response(time.monotonic() + budget)
        if "error" in response or "runs" not in response:
            raise InfrastructureError(f"runner error: {response['error']}")
        if response.get("id") != self._seq:
            raise InfrastructureError("runner answered out of order")
        return response


def _first_failure(pairs: list[dict]) -> dict:
    """The test record that decides the verdict: a killed or failed repeat wins over clean ones."""
    for pair in pairs:
        t = pair["test"]
        if t.get("killed_for") or t.get("signal") or t.get("exit_code"):
            return t
    return pairs[0]["test"]


class LocalSandbox:
    """A pool of runner processes on this machine."""

    name = "local"

    def __init__(
        self,
        meter: Meter,
        workers: int = 1,
        hide: Iterable[str | os.PathLike[str]] = (),
        python: str | None = None,
    ) -> None:
        """``python``: the interpreter candidates run on (default: the real binary of this one)."""
        if workers < 1:
            raise SandboxUnavailable("local sandbox: --workers must be at least 1")
        self.meter = meter
        default_hide = [str(paths.problems_dir()), str(paths.references_dir()), str(paths.cache_dir())]
        self.hide = sorted({os.path.abspath(p) for p in [*default_hide, *map(str, hide)]})
        self._workers = [RunnerProcess(meter, self.hide, i, python) for i in range(workers)]
        self._free: queue.Queue[RunnerProcess] = queue.Queue()
        self._closed = False
        # start all workers in parallel: valgrind's start-up is seconds
        errors: list[BaseException] = []

        def boot(w: RunnerProcess) -> None:
            try:
                w.start()
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=boot, args=(w,)) for w in self._workers]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if errors:
            self.close()
            raise errors[0]
        for w in self._workers:
            self._free.put(w)
        first = self._workers[0].facts
        self.facts = {
            "backend": "local",
            "workers": workers,
            "isolation": first.get("isolation"),
            "private_tmp": bool(first.get("private_tmp")),
            "hidden": first.get("hidden", []),
            "seccomp": first.get("seccomp"),
            "python": first.get("python"),
            "meter": meter.describe(),
        }

    def __enter__(self) -> LocalSandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def run(self, request: TestRequest) -> TestRun:
        if self._closed:
            raise InfrastructureError("sandbox is closed")
        worker = self._free.get()
        try:
            last_error = ""
            for _attempt in range(2):  # an infrastructure failure is retried once, in a fresh runner
                try:
                    response = worker.request(request)
                    return self._to_run(worker, response["runs"])
                except (InfrastructureError, ValueError, OSError) as exc:
                    last_error = str(exc)
                    worker.stop()
                    try:
                        worker.start()
                    except BaseException as start_exc:
                        last_error = f"{last_error}; restart failed: {start_exc}"
                        break
            return TestRun(infra_error=last_error or "unknown infrastructure failure")
        finally:
            self._free.put(worker)

    def _to_run(self, worker: RunnerProcess, pairs: list[dict]) -> TestRun:
        decisive = _first_failure(pairs)
        infra = None
        for pair in pairs:
            for rec in (pair["baseline"], pair["test"]):
                if "infra_error" in rec:
                    infra = rec["infra_error"]
            base_result = pair["baseline"].get("result") or ""
            if pair["baseline"].get("exit_code") != 0 or "harness_error" in base_result:
                infra = f"baseline child failed: {base_result or pair['baseline']}"
            if "harness_error" in (pair["test"].get("result") or ""):
                infra = f"child set-up failed: {pair['test']['result']}"

        def lookup(pid: int) -> int | None:
            for pair in pairs:
                for rec in (pair["baseline"], pair["test"]):
                    if rec["pid"] == pid:
                        # valgrind writes a total only when the process exits on its own
                        expect = "signal" not in rec
                        return worker.count_of(pid, expect)
            return None

        cost = self.meter.cost(pairs, lookup) if infra is None else None
        if cost is None and infra is None and not decisive.get("signal"):
            infra = f"{self.meter.name} meter: no count for the test child"
        return TestRun(
            cost=cost,
            result=decisive.get("result"),
            exit_code=decisive.get("exit_code"),
            signal=decisive.get("signal"),
            killed_for=decisive.get("killed_for"),
            wall_seconds=sorted(p["test"]["wall_seconds"] for p in pairs)[len(pairs) // 2],
            cpu_seconds=sorted(p["test"]["cpu_seconds"] for p in pairs)[len(pairs) // 2],
            peak_memory_kb=max(0, max(p["test"]["max_rss_kb"] - p["baseline"]["max_rss_kb"] for p in pairs)),
            stderr_tail=decisive.get("stderr_tail", ""),
            infra_error=infra,
            result_too_large="result_too_large" in decisive,
        )

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        for w in self._workers:
            w.stop()
