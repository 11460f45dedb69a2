r"""The host side of the runner protocol, shared by every backend that runs ``sandbox/runner.py``.

A :class:`RunnerClient` is one long-lived runner, wherever it lives (a local process, a process
exec'd in a container): requests go out framed as ``<length>\\n<json>``, responses come back as
JSON lines, and with the valgrind meter every process's instruction count arrives on valgrind's
log as ``==PID== I   refs: N``. Subclasses only say how to start and stop the runner and how
bytes move (:meth:`_send`, :meth:`_recv`). A :class:`RunnerPool` hands tests to free runners,
retries an infrastructure failure once in a fresh runner and turns records into a ``TestRun``.
"""

from __future__ import annotations

import collections
import dataclasses
import json
import queue
import secrets
import statistics
import threading
import time
from typing import Any

from effbench.canonical import canonical_source
from effbench.errors import InfrastructureError, SandboxUnavailable
from effbench.meters.base import Cost, Meter
from effbench.meters.valgrind import MAX_THREADS, parse_abort_line, parse_log_line
from effbench.sandboxes.base import Limits, TestRequest, TestRun

HELLO_TIMEOUT = 180.0


def request_deadline_seconds(req: TestRequest) -> float:
    """How long the host waits for a request's answer before it calls the runner hung, in seconds.

    Each child's wall limit (time it held the worker) plus its CPU-time limit at a 1 /
    ``BUSY_MACHINE_FACTOR`` share of a CPU (time a busy machine may make it wait: the runner's
    constant, past which it stops the child as a busy machine's infrastructure failure), with a
    margin, for the baseline and the test child of each repeat. Before, ``(wall + 30) * 2 + 60``:
    a within-limits test child waiting for a CPU on a busy machine could outlast it, and its
    request end as an infrastructure failure.
    """
    from effbench import codec

    limits = req.limits
    factor = codec.runner_module().BUSY_MACHINE_FACTOR
    child = limits.wall_seconds + factor * (limits.cpu_seconds or limits.wall_seconds) + 30.0
    return child * 2 * max(1, req.repeats) + 60.0


#: the null candidate a runner's null cost is calibrated on (RunnerClient.calibrate_null), and
#: how many of its tests are served first and not kept, then kept (their median is the constant)
NULL_CODE = "def f(*args):\n    return None\n"
NULL_CALIBRATION_WARM_UP = 2
NULL_CALIBRATION_KEPT = 21
#: the memory the worker writes before forking the null test child of the exit's calibration
#: (the runner's ``ballast_kb``), in kB, and how many such tests are kept (RunnerClient.calibrate_null)
NULL_BALLAST_KB = 32 << 10
NULL_BALLAST_KEPT = 5
COUNT_WAIT = 15.0

#: the environment the runner starts with, in every backend (counts must not depend on it)
RUNNER_ENV = {"PYTHONHASHSEED": "0", "PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": "/tmp"}
#: the host's separate debug symbols (Debian's *-dbg packages): the local backend's set-up step
#: hides them (an empty read-only tmpfs) before valgrind starts, because valgrind reads them when
#: it starts and some counts depend on them (measured: installing valgrind-dbg moved an expert's
#: counts by 6 to 11 instructions per test; hiding libc6-dbg's too moved 290 of 324 counts by
#: tens). A container, and a root filesystem exported from its image, hold the image's own
#: packages, the same everywhere. Without namespaces nothing can be hidden.
HOST_DEBUG_SYMBOLS = "/usr/lib/debug"
#: the runner's working folder (a private tmpfs in both backends)
RUNNER_WORKDIR = "/tmp/effbench-runner"
#: where the set-up step installs the runner before exec'ing it (same path, same argv everywhere):
#: as bytecode under every meter (sandbox/runner.py runner_bytecode)
RUNNER_IN_SANDBOX = "/tmp/effbench/runner.py"
#: the host name the runner sees (a UTS namespace locally, the container's name in docker)
SANDBOX_HOSTNAME = "sandbox"
#: the interpreter of the sandbox image, and of a root filesystem exported from it
SANDBOX_PYTHON = "/usr/bin/python3.11"


#: a pid below half the largest seen, once that is above this, means the pid counter wrapped
WRAP_FLOOR = 4096
#: the latest arrivals kept across a wrap (a request's processes and the pipelined next one's)
RECENT_PIDS = 8
#: totals kept waiting to be taken (the workers' own are never taken)
MAX_PENDING_COUNTS = 4096
#: where the runner fixes pids (its hello's ``fixed_pids``), every worker is this pid and its
#: processes are the block up to FIXED_PID_BASE + FIXED_PID_BLOCK (sandbox/runner.py PID_BASE and
#: PID_STRIDE)
FIXED_PID_BASE = 10000
FIXED_PID_BLOCK = 256
#: the line the runner writes on valgrind's log once a worker that answered is gone, where it
#: fixes pids: the fence between one request's totals and the next's (sandbox/runner.py FENCE_LINE)
FENCE_LINE = b"effbench: worker reaped"
#: the workers that run before the first request, where the hello does not say (its
#: ``warm_up_workers``; sandbox/runner.py WARM_UP_WORKERS)
WARM_UP_WORKERS = 2


class RunnerClient:
    """One runner: send one request at a time, read its answers and valgrind's counts."""

    backend = "runner"

    def __init__(self, meter: Meter, index: int) -> None:
        """A runner for ``meter``; ``index`` numbers it within its pool (names, log lines)."""
        self.meter = meter
        self.index = index
        self.facts: dict[str, Any] = {}
        self._buf = b""
        self._log_buf = b""
        #: totals not yet taken, by pid, oldest first (a worker's own total is never taken: the
        #: oldest are dropped past MAX_PENDING_COUNTS)
        self._counts: collections.OrderedDict[int, int] = collections.OrderedDict()
        #: pids whose total arrived more than once (each is accepted once: a second total means
        #: the channel carried something valgrind did not write for that process)
        self._duplicates: collections.OrderedDict[int, None] = collections.OrderedDict()
        self._accepted: collections.OrderedDict[int, None] = collections.OrderedDict()
        #: processes valgrind stopped with no total (its own abort), and why, by pid; and the
        #: abort being read from the log (its reason, until its process's pid comes)
        self._aborted: collections.OrderedDict[int, str] = collections.OrderedDict()
        self._abort_in_progress: str | None = None
        #: the largest pid accepted since the pid counter last wrapped, and the latest arrivals
        #: (the processes of the request in progress and the pipelined next one)
        self._max_pid = 0
        self._recent: collections.deque[int] = collections.deque(maxlen=RECENT_PIDS)
        #: where pids are fixed: the fences (FENCE_LINE) read since the runner started, and
        #: how many must precede a total of the request in progress for it to be that request's
        #: (None: no request sent yet)
        self._fences = 0
        self._requests = 0
        self._want_fences: int | None = None
        self._cond = threading.Condition()
        self._stderr: collections.deque[bytes] = collections.deque(maxlen=64)
        #: under a meter with ``calibrated_null``: the baseline record this runner's one-run
        #: requests are measured against (see :meth:`calibrate_null`), None until calibrated
        self.null_baseline: dict[str, Any] | None = None

    # -- to implement --------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        """Whether the runner process is up (a request starts it when not)."""
        raise NotImplementedError

    def start(self) -> None:
        """Start the runner and read its hello. Raises SandboxUnavailable if it cannot start."""
        raise NotImplementedError

    def stop(self) -> None:
        """Stop the runner and everything it started; safe to call twice."""
        raise NotImplementedError

    def _send(self, data: bytes) -> None:
        raise NotImplementedError

    def _recv(self, timeout: float) -> bytes | None:
        """Protocol bytes from the runner; None when nothing came within ``timeout``, b"" at EOF."""
        raise NotImplementedError

    # -- shared --------------------------------------------------------------------------------
    def _reset_streams(self) -> None:
        self._buf = b""
        self._log_buf = b""
        with self._cond:
            self._counts = collections.OrderedDict()
            self._duplicates.clear()
            self._accepted.clear()
            self._aborted.clear()
            self._abort_in_progress = None
            self._max_pid = 0
            self._recent.clear()
            self._fences = 0
            self._requests = 0
            self._want_fences = None

    def _feed_log(self, data: bytes) -> None:
        """Bytes of valgrind's log (and, in a container, the runner's other stderr)."""
        self._log_buf += data
        *lines, self._log_buf = self._log_buf.split(b"\n")
        # in the log's order: where pids are fixed, which request a line belongs to is the number
        # of fences before it
        events: list[tuple[int, int | None, str | None]] = []
        for line in lines:
            parsed = parse_log_line(line)
            if parsed:
                events.append((parsed[0], parsed[1], None))
            elif line == FENCE_LINE:
                events.append((-1, None, None))  # a fence: no pid
            elif line and not line.startswith(b"=="):
                self._stderr.append(line)
                self._abort_in_progress, done = parse_abort_line(line, self._abort_in_progress)
                if done:
                    events.append((done[0], None, done[1]))
        if events:
            with self._cond:
                for pid, count, why in events:
                    if pid == -1:
                        self._fences += 1  # counted whatever the mode: the hello may not be read yet
                    elif count is not None:
                        self._accept(pid, count)
                    elif self._fixed_pids() and not self._of_request_in_progress(pid):
                        pass  # an earlier request's process (its pid is reused), or a warm-up's
                    else:
                        self._aborted[pid] = str(why)
                        while len(self._aborted) > 4096:
                            self._aborted.popitem(last=False)
                self._cond.notify_all()

    def _fixed_pids(self) -> bool:
        """Whether this runner fixes pids (one block, reused by every request: see _accept)."""
        return bool(self.facts.get("fixed_pids"))

    def _of_request_in_progress(self, pid: int) -> bool:
        """Where pids are fixed: whether a log line for ``pid``, read now, is about the request's.

        Under the lock. True for a pid of the block past the worker's, read after exactly as many
        fences as the children of the request in progress follow.
        """
        in_block = FIXED_PID_BASE < pid < FIXED_PID_BASE + FIXED_PID_BLOCK
        return in_block and self._want_fences is not None and self._fences == self._want_fences

    def _request_over(self) -> bool:
        """Where pids are fixed: whether the fence closing the request in progress has been read.

        Under the lock. The runner writes FENCE_LINE once the request's worker is killed and
        reaped, after every total of its children: past it, a total not read is one valgrind
        never wrote (a child killed by SIGKILL at a limit has none), so waiting for it is idle
        time (measured on the main job: 0.5 s for each of 31 censored tests).
        """
        return self._fixed_pids() and self._want_fences is not None and self._fences > self._want_fences

    def _new_request(self) -> None:
        """Before a request is sent, where pids are fixed: forget the earlier requests' totals.

        Every total, acceptance and abort of the earlier ones goes (their pids come back in this
        one), and this one's children are expected after one more fence (its worker is forked
        once the previous one has exited).
        """
        if not self._fixed_pids():
            return
        with self._cond:
            warm_up = self.facts.get("warm_up_workers", WARM_UP_WORKERS)
            self._want_fences = int(warm_up) + self._requests
            self._requests += 1
            self._counts.clear()
            self._accepted.clear()
            self._duplicates.clear()
            self._aborted.clear()

    def _accept(self, pid: int, count: int) -> None:
        """Take one total (under the lock): once per process, however long the runner lives.

        Where the runner fixes pids, every request's processes have the same pids (one block,
        FIXED_PID_BASE on): FENCE_LINE, which the runner writes once a worker that answered is
        gone (after every total of its children, before any of the next worker's), is a fence. A total
        is taken only for a child of the request in progress (as many fences before it as before
        that request's children: see _new_request), once: a second one for the same pid in that
        request is a duplicate, and a late total of an earlier request (one the host gave up
        waiting for) is never taken for a later process.

        Elsewhere the kernel hands out pids in increasing order until the counter wraps (at pid_max, 32768
        on many systems: ~10,000 tests, or fewer when candidates start threads). A pid far below
        the largest seen means a wrap: every total and every record of an acceptance from before
        it is forgotten, but for the latest arrivals (the request in progress), so that a reused
        pid is neither refused as a duplicate nor answered with an old process's total.
        """
        if self._fixed_pids():
            if self._of_request_in_progress(pid):
                self._take_once(pid, count)
            return
        if self._max_pid > WRAP_FLOOR and pid < self._max_pid // 2:
            keep = set(self._recent)
            for table in (self._counts, self._duplicates):
                for old in [p for p in table if p not in keep]:
                    del table[old]
            # a recent pid whose total was taken belongs to a finished request: forgotten too
            for old in [p for p in self._accepted if p not in self._counts and p not in self._duplicates]:
                del self._accepted[old]
            # an abort is kept only for a process of the new round (a recent one of the old
            # round's would answer for that pid's next process at once)
            for old in [p for p in self._aborted if p not in keep or p >= self._max_pid // 2]:
                del self._aborted[old]
            self._max_pid = 0
        self._max_pid = max(self._max_pid, pid)
        self._recent.append(pid)
        self._take_once(pid, count)

    def _take_once(self, pid: int, count: int) -> None:
        """Keep ``count`` for ``count_of``, unless ``pid``'s total came before: a duplicate.

        Under the lock. A duplicate pid has no total at all.
        """
        if pid in self._accepted:
            self._counts.pop(pid, None)
            self._duplicates[pid] = None
            while len(self._duplicates) > 4096:
                self._duplicates.popitem(last=False)
            return
        self._accepted[pid] = None
        while len(self._accepted) > 65536:
            self._accepted.popitem(last=False)
        self._counts[pid] = count
        while len(self._counts) > MAX_PENDING_COUNTS:
            self._counts.popitem(last=False)

    def stderr_tail(self) -> str:
        """The runner's last stderr lines (at most 500 characters), for error messages."""
        return b"\n".join(self._stderr).decode("utf-8", "replace")[-500:].strip()

    def count_of(self, pid: int, expect: bool) -> int | None:
        """The one total valgrind wrote for ``pid``, in instructions, or None.

        Waits up to COUNT_WAIT seconds when the process exited by itself (``expect``), else up to
        0.5 s; not at all once valgrind's log said it stopped the process itself (see
        :meth:`aborted`), nor once the request's own fence is read where pids are fixed (see
        :meth:`_request_over`: no total of its processes can follow it). A pid whose total
        arrived twice has none.
        """
        deadline = time.monotonic() + (COUNT_WAIT if expect else 0.5)
        with self._cond:
            while (
                pid not in self._counts
                and pid not in self._duplicates
                and pid not in self._aborted
                and not self._request_over()
            ):
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self._cond.wait(left)
            if pid in self._duplicates:
                return None
            return self._counts.pop(pid, None)  # None: valgrind stopped it (aborted)

    def aborted(self, pid: int) -> str | None:
        """Why valgrind stopped process ``pid`` itself, with no total, or None.

        The reason is its log's own words (e.g. ``Max number of threads is too low``).
        """
        with self._cond:
            return self._aborted.get(pid)

    def duplicated(self, pid: int) -> bool:
        """Did more than one total arrive for ``pid``?"""
        with self._cond:
            return pid in self._duplicates

    def _read_response(self, deadline: float) -> dict:
        while b"\n" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0:
                tail = self.stderr_tail()
                raise InfrastructureError("runner did not answer in time" + (f" (its stderr: {tail})" if tail else ""))
            data = self._recv(min(left, 1.0))
            if data is None:
                continue
            if not data:
                raise InfrastructureError(f"runner exited unexpectedly: {self.stderr_tail()}")
            self._buf += data
        line, _, self._buf = self._buf.partition(b"\n")
        return json.loads(line)

    def hello(self) -> dict:
        """The runner's first line: its facts, or a SandboxUnavailable naming what failed."""
        hello = self._read_response(time.monotonic() + HELLO_TIMEOUT)
        if not hello.get("hello"):
            self.stop()
            raise SandboxUnavailable(f"{self.backend} sandbox: runner failed to start: {hello.get('error')}")
        return hello["facts"]

    def calibrate_null(self) -> None:
        """Measure this runner's null cost, once per start, before any candidate's request.

        Under a meter with ``calibrated_null`` (the time meter), a one-run request forks no
        baseline child (sandbox/runner.py ``Runner.run_alone``): its cost is the test child's CPU
        time from its release to its exit, plus the runner's cleanup, minus this constant, the
        median of the same figure over NULL_CALIBRATION_KEPT null tests served through the same
        path (after NULL_CALIBRATION_WARM_UP not kept). It is measured when the runner starts,
        on our own null code only, so no candidate can move it. Each backend calls this at the
        end of its ``start``; a no-op under any other meter.

        Raises:
            SandboxUnavailable: the runner failed a null test (an infrastructure failure).
        """
        self.null_baseline = None
        if not getattr(self.meter, "calibrated_null", False):
            return
        null = TestRequest(NULL_CODE, "f", [], Limits(wall_seconds=10.0, cpu_seconds=5.0))
        try:
            small = self._null_tests(null, NULL_CALIBRATION_WARM_UP, NULL_CALIBRATION_KEPT, 0)
            big = self._null_tests(null, 0, NULL_BALLAST_KEPT, NULL_BALLAST_KB)
        except (InfrastructureError, OSError, ValueError, KeyError, TypeError) as exc:
            self.stop()
            raise SandboxUnavailable(f"{self.backend} sandbox: calibrating the null cost failed: {exc}") from None
        span, whole, rss, rss_at_go, before_code = (statistics.median(column) for column in zip(*small))
        big_span, _, _, big_rss_at_go, _ = (statistics.median(column) for column in zip(*big))
        # the exit's CPU time per kB the test child holds when it is let go beyond a null test's
        # (what it inherited from its worker: a large request's decoded arguments, its compiled
        # module), which a baseline child of the same request tore down too
        per_kb = max(0.0, big_span - span) / (big_rss_at_go - rss_at_go) if big_rss_at_go > rss_at_go else 0.0
        # the shape of a baseline child's record: what to_test_run and the meter read of it
        self.null_baseline = {
            "pid": 0,
            "exit_code": 0,
            "calibrated": True,
            "cpu_seconds": whole,
            "cpu_before_go": whole - span,
            "rss_at_go_kb": rss_at_go,
            "exit_seconds_per_kb": per_kb,
            # what the worker held before compiling the null's code: the meter credits a test the
            # exit's teardown of what it held at its release beyond the null's only as far as its
            # worker held more before compiling its code (its arguments, not its constants)
            "rss_before_code_kb": before_code,
            "wall_seconds": 0.0,
            "max_rss_kb": int(rss),
            "result": '{"ok":true,"value":null}',
        }

    def _null_tests(self, null: TestRequest, warm_up: int, kept: int, ballast_kb: int) -> list[tuple[float, ...]]:
        """``kept`` null tests (after ``warm_up`` not kept) with no baseline child.

        The worker holds ``ballast_kb`` more kB when it forks. For each test: (CPU seconds from
        the release to the exit plus the cleanup, whole CPU seconds, peak RSS kB, RSS kB at the
        release, the worker's RSS kB before compiling the code).

        Raises:
            InfrastructureError: a null test failed or its record lacks a figure.
        """
        out = []
        for i in range(warm_up + kept):
            test = self.request(null, ballast_kb)["runs"][0]["test"]
            figures = (test.get("cpu_before_go"), test.get("rss_at_go_kb"), test.get("rss_before_code_kb"))
            if test.get("exit_code") != 0 or "infra_error" in test or None in figures:
                raise InfrastructureError(f"null test failed: {str(test)[:300]}")
            if i >= warm_up:
                span = test["cpu_seconds"] - test["cpu_before_go"] + test.get("cleanup_cpu_seconds", 0.0)
                figures = (test["max_rss_kb"], test["rss_at_go_kb"], test["rss_before_code_kb"])
                out.append((span, test["cpu_seconds"], *figures))
        return out

    def request(self, req: TestRequest, ballast_kb: int = 0) -> dict:
        """Send one test (its canonical source, arguments, limits) and return the runner's answer.

        Under a meter with ``calibrated_null``, a one-run request asks for no baseline child and
        each run's ``"baseline"`` is the calibrated record (:meth:`calibrate_null`; during the
        calibration itself, no ``"baseline"``). ``ballast_kb``: for that calibration only (see
        :meth:`_null_tests`).

        Raises InfrastructureError when the runner is gone, answers an error or out of order.
        """
        if not self.running:
            self.start()
        alone = getattr(self.meter, "calibrated_null", False) and req.repeats == 1
        limits = req.limits
        if alone and self.null_baseline is not None and limits.cpu_seconds:
            # the child's own set-up and exit, which a baseline child's CPU time gave the runner
            # (sandbox/runner.py _with_start_up): the calibrated null's whole CPU time
            limits = dataclasses.replace(limits, cpu_seconds=limits.cpu_seconds + self.null_baseline["cpu_seconds"])
        self._new_request()
        message = {
            "op": "run",
            # random, of fixed width: the worker's frames hold the request, and a child can walk up
            # to them (sys._getframe); a counter there told it how many requests its runner had
            # served, which a sample chooses (it stops at its first failing test): a channel to
            # every later sample
            "id": f"{secrets.randbelow(10**12):012d}",
            "code": canonical_source(req.code),
            "entry_point": req.entry_point,
            "args": req.args_json,
            "limits": limits.for_runner(),
            "repeats": req.repeats,
        }
        if self.meter.shares_baseline and req.repeats > 1:
            # one baseline child for all repeats (sandbox/runner.py Runner.run_repeats); the key is
            # sent only then, so that every other meter's requests keep their bytes
            message["baseline"] = "once"
        elif alone:
            message["baseline"] = "none"  # no baseline child: see calibrate_null
            if ballast_kb:
                message["ballast_kb"] = int(ballast_kb)
        payload = json.dumps(message, separators=(",", ":")).encode()
        # padded to a multiple of 4 KiB (JSON ignores trailing blanks): requests for the same test
        # with other limits have the same size, so the runner's buffers are the same too
        payload += b" " * (-len(payload) % 4096)
        sent = time.monotonic()
        try:
            self._send(b"%d\n" % len(payload) + payload)
        except OSError as exc:
            raise InfrastructureError(f"runner is gone: {exc}") from None
        budget = request_deadline_seconds(req)
        response = self._read_response(time.monotonic() + budget)
        if "error" in response or "runs" not in response:
            raise InfrastructureError(f"runner error: {response.get('error')}")
        if response.get("id") != message["id"]:
            raise InfrastructureError("runner answered out of order")
        response["host_timing"] = {"sent": sent, "answered": time.monotonic()}
        if alone:
            self._with_null_baseline(response["runs"])
        return response

    def _with_null_baseline(self, runs: list) -> None:
        """Give each run of a request with no baseline child the calibrated null's record.

        Raises:
            InfrastructureError: the runner answered a baseline child anyway.
        """
        for pair in runs:
            if not isinstance(pair, dict) or "baseline" in pair:
                raise InfrastructureError("runner answered a baseline child it was not asked for")
            if self.null_baseline is not None:
                pair["baseline"] = dict(self.null_baseline)
                pair["baseline_shared"] = True  # no child of this request: no wall time of its own


def harness_phases(response: dict, counted: float) -> dict[str, float]:
    """Where one request's wall time went, in seconds.

    The runner's clock is the host's monotonic clock (the same kernel, locally and in docker).
    ``request``: sending it and the worker picking it up; ``decode_compile``: decoding the
    arguments and compiling the source; ``baseline_child`` / ``test_child``: each child from its
    start signal to its exit being reaped (valgrind's exit summary included); ``worker_other``:
    the rest of the worker's time (forks, pipes, limits, emptying the scratch folder);
    ``reply``: the answer back to the host; ``counts``: waiting for valgrind's totals on its log.
    Empty when the runner did not report its timing.
    """
    timing, host = response.get("timing"), response.get("host_timing")
    if not timing or not host:
        return {}
    pairs = response.get("runs", [])
    baseline = sum(p["baseline"].get("wall_seconds", 0.0) for p in pairs if not p.get("baseline_shared"))
    test = sum(p["test"].get("wall_seconds", 0.0) for p in pairs)
    return {
        "request": timing["started"] - host["sent"],
        "decode_compile": timing["compiled"] - timing["started"],
        "baseline_child": baseline,
        "test_child": test,
        "worker_other": max(0.0, timing["done"] - timing["compiled"] - baseline - test),
        "reply": host["answered"] - timing["done"],
        "counts": max(0.0, counted - host["answered"]),
    }


#: valgrind's own words when a process starts more threads than --max-threads allows
THREAD_LIMIT_ABORT = "Max number of threads is too low"


def first_failure(pairs: list[dict]) -> dict:
    """The test record that decides the verdict: a killed or failed repeat wins over clean ones."""
    for pair in pairs:
        t = pair["test"]
        if t.get("killed_for") or t.get("signal") or t.get("exit_code"):
            return t
    return pairs[0]["test"]


def _infra_of(pairs: list[dict]) -> str | None:
    """A harness failure the runner reported (never read from what a candidate printed)."""
    for pair in pairs:
        for rec in (pair["baseline"], pair["test"]):
            if "infra_error" in rec:
                return str(rec["infra_error"])
        if pair["baseline"].get("exit_code") != 0:
            return f"baseline child failed: {pair['baseline']}"[:500]
    return None


def _anomaly_of(meter: Meter, worker: RunnerClient, pairs: list[dict], cost: Cost | None) -> str | None:
    """Why the meter's count of this test cannot be trusted, if it cannot."""
    duplicated = [rec["pid"] for p in pairs for rec in (p["baseline"], p["test"]) if worker.duplicated(rec["pid"])]
    if duplicated:
        return f"{meter.name} meter: more than one count for process {duplicated[0]}"
    if cost is None and not first_failure(pairs).get("signal"):
        for pair in pairs:
            why = worker.aborted(pair["test"]["pid"])
            if why == THREAD_LIMIT_ABORT:
                return (
                    f"{meter.name} meter: the test child ran more than {MAX_THREADS - 1} threads at once "
                    f"(the sandbox's thread limit, valgrind --max-threads={MAX_THREADS}); "
                    "valgrind stopped it with no count"
                )
            if why:
                return f"{meter.name} meter: valgrind stopped the test child with no count: {why}"
        return f"{meter.name} meter: no count for the test child"
    if cost is not None and cost.value < 0 and meter.exact and _answered(pairs):
        return f"{meter.name} meter: negative cost {cost.value:.0f}"
    return None


def _answered(pairs: list[dict]) -> bool:
    """Whether every test child exited by itself with status 0 after writing a result.

    One that did not (``os._exit`` before answering) may well cost less than the baseline, which
    answers: its test fails for the missing answer, and its count means nothing.
    """
    return all(p["test"].get("exit_code") == 0 and p["test"].get("result") for p in pairs)


def to_test_run(meter: Meter, worker: RunnerClient, pairs: list[dict]) -> TestRun:
    """The runner's (baseline, test) records of one request as a TestRun, with the meter's cost.

    Harness failures (``infra_error``) come only from the runner's own records (its set-up of a
    child, prlimit, the perf counter): nothing the candidate prints or returns is read for them.
    A count that is missing for a child that exited by itself, arrived twice, or makes the cost
    negative under an exact meter is a ``meter_anomaly``: the candidate may have caused it, so it
    fails the test rather than excluding it. A noisy meter's negative cost is 0.
    """
    decisive = first_failure(pairs)
    infra = _infra_of(pairs)

    def lookup(pid: int) -> int | None:
        for pair in pairs:
            for rec in (pair["baseline"], pair["test"]):
                if rec["pid"] == pid:
                    # valgrind writes a total only when the process exits on its own
                    expect = "signal" not in rec
                    return worker.count_of(pid, expect)
        return None

    cost = meter.cost(pairs, lookup) if infra is None else None
    anomaly = None if infra is not None else _anomaly_of(meter, worker, pairs, cost)
    if anomaly:
        cost = None
    elif cost is not None and cost.value < 0:
        # a noisy meter's baseline can exceed a tiny test: 0; an exact meter's child that never
        # answered (see _answered): no cost, the missing answer decides
        cost = None if meter.exact else Cost(0.0, cost.spread, cost.repeats)
    scratch_left = next((p["test"]["scratch_left"] for p in pairs if "scratch_left" in p["test"]), None)
    others: list[str | None] = []
    for pair in pairs:
        text = pair["test"].get("result") or None
        if text != (decisive.get("result") or None) and text not in others:
            others.append(text)
    return TestRun(
        cost=cost,
        result=decisive.get("result"),
        exit_code=decisive.get("exit_code"),
        signal=decisive.get("signal"),
        killed_for=decisive.get("killed_for"),
        wall_seconds=sorted(p["test"]["wall_seconds"] for p in pairs)[len(pairs) // 2],
        cpu_seconds=sorted(p["test"]["cpu_seconds"] for p in pairs)[len(pairs) // 2],
        user_cpu_seconds=sorted(p["test"].get("user_seconds", 0.0) for p in pairs)[len(pairs) // 2],
        baseline_cpu_seconds=sorted(p["baseline"]["cpu_seconds"] for p in pairs)[len(pairs) // 2],
        peak_memory_kb=max(0, max(p["test"]["max_rss_kb"] - p["baseline"]["max_rss_kb"] for p in pairs)),
        stderr_tail=decisive.get("stderr_tail", ""),
        infra_error=infra,
        result_too_large="result_too_large" in decisive,
        meter_anomaly=anomaly,
        scratch_left=scratch_left,
        other_results=others,
    )


class RunnerPool:
    """A pool of runners: one test at a time per runner, started in parallel. Thread-safe."""

    name = "pool"

    def __init__(self, meter: Meter, workers: list[RunnerClient]) -> None:
        """Start every runner of ``workers`` in parallel. Raises the first start-up failure."""
        self.meter = meter
        self._workers = workers
        self._free: queue.Queue[RunnerClient] = queue.Queue()
        self._closed = False
        self.infra_failures = 0
        errors: list[BaseException] = []

        def boot(w: RunnerClient) -> None:
            try:
                w.start()
            except BaseException as exc:
                errors.append(exc)

        # start all workers in parallel: valgrind's start-up is seconds
        threads = [threading.Thread(target=boot, args=(w,)) for w in workers]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if errors:
            self.close()
            raise errors[0]
        for w in workers:
            self._free.put(w)

    def every_worker(self, fact: str) -> bool:
        """Whether ``fact`` is true in every runner's facts.

        Each runner starts, and restarts, on its own (namespaces, a docker engine's refusal): a
        pool's isolation facts are what every one of its runners has, never the first one's alone.
        """
        return all(bool(w.facts.get(fact)) for w in self._workers)

    def run(self, request: TestRequest) -> TestRun:
        """Run one test on the next free runner.

        An infrastructure failure is retried once in a fresh runner, then returned as
        ``TestRun.infra_error`` (never raised).
        """
        if self._closed:
            raise InfrastructureError("sandbox is closed")
        worker = self._free.get()
        try:
            last_error = ""
            for _attempt in range(2):  # an infrastructure failure is retried once, in a fresh runner
                try:
                    response = worker.request(request)
                    run = to_test_run(self.meter, worker, response["runs"])
                    run.phases = harness_phases(response, time.monotonic())
                    if run.scratch_left:
                        worker.stop()  # a fresh runner (and private /tmp) for whatever runs next
                    return run
                except (InfrastructureError, ValueError, OSError) as exc:
                    self.infra_failures += 1
                    last_error = str(exc)
                    worker.stop()
                    if self._closed:  # closing (Ctrl-C): no new runner for a test in flight
                        break
                    try:
                        worker.start()
                    except BaseException as start_exc:
                        last_error = f"{last_error}; restart failed: {start_exc}"
                        break
            return TestRun(infra_error=last_error or "unknown infrastructure failure")
        finally:
            self._free.put(worker)

    def close(self) -> None:
        """Stop every runner; tests in flight end as infrastructure failures."""
        if self._closed:
            return
        self._closed = True
        for w in self._workers:
            w.stop()
