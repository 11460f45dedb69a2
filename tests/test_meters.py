"""Meters other than valgrind, tested for real where this machine allows.

There is no hardware PMU here, so the perf meter's plumbing (counter opened by the runner on the
child, inherited by threads, enabled before the candidate starts, read after it exits, polled
against the budget) is exercised with the software event task-clock; counting instructions
differs only in the event type and config.
"""

from __future__ import annotations

import textwrap

import pytest

from effbench.engine import EngineSettings, Evaluator
from effbench.meters import choose_meter, perf_selftest
from effbench.meters.perf import PerfMeter
from effbench.meters.timing import TimeMeter
from effbench.sandboxes.base import Limits, TestRequest
from effbench.sandboxes.local import LocalSandbox

BUSY = "def f(n):\n    t = 0\n    for i in range(n):\n        t += i\n    return t\n"


@pytest.fixture(scope="module")
def task_clock_box():
    if not perf_selftest("task-clock").get("ok"):
        pytest.skip("perf_event_open is not permitted on this machine (perf_event_paranoid)")
    box = LocalSandbox(PerfMeter("task-clock"), workers=1)
    yield box
    box.close()


def test_perf_counter_grows_with_work(task_clock_box):
    small = task_clock_box.run(TestRequest(BUSY, "f", [1_000]))
    large = task_clock_box.run(TestRequest(BUSY, "f", [3_000_000]))
    assert small.infra_error is None and large.infra_error is None
    assert large.cost.value > 20 * max(small.cost.value, 1.0)


def test_perf_counter_follows_threads(task_clock_box):
    """The counter is inherited by the candidate's threads: work moved to a thread is counted.

    Compared with the same program whose thread does no work (about 60x less when counted), not
    with the work done in the main thread: task-clock is time, and under load one run of the
    plain loop once cost twice the threaded one (a CI run: 126.5 against 62.6 ms)."""
    threaded = textwrap.dedent("""
        import threading
        def work(n):
            t = 0
            for i in range(n):
                t += i
            return t
        def f(n):
            out = []
            th = threading.Thread(target=lambda: out.append(work(n)))
            th.start(); th.join()
            return out[0]
    """)
    idle = task_clock_box.run(TestRequest(threaded, "f", [0]))
    moved = task_clock_box.run(TestRequest(threaded, "f", [2_000_000]))
    assert moved.cost.value > 10 * max(idle.cost.value, 1.0), (idle.cost, moved.cost)


def test_perf_budget_is_enforced_by_polling_the_counter(task_clock_box):
    """A run that passes the counter limit is stopped by the runner, long before its wall limit."""
    forever = "def f(n):\n    while True:\n        pass\n"
    run = task_clock_box.run(TestRequest(forever, "f", [0], Limits(wall_seconds=30, cpu_seconds=30, instructions=3e8)))
    assert run.killed_for == "instructions"
    assert run.wall_seconds < 10


def test_auto_meter_prefers_perf_then_valgrind():
    """auto says which meter it chose and why; without a working PMU it never picks perf."""
    choice = choose_meter("auto")
    if perf_selftest("instructions").get("ok"):
        assert choice.meter.name == "perf"
    else:
        assert choice.meter.name in ("valgrind", "time")
        assert "perf unavailable" in choice.reason


def test_the_auto_meters_reason_reads_as_autos_choice_not_as_the_meters_error():
    """Invariant: the reason `--meter auto` prints after the meter starts with 'auto:' and ends
    with the meter it chose, so the line reads as auto's choice ('meter: valgrind (instructions) -
    auto: perf unavailable (...), so valgrind'); it read 'meter: valgrind (instructions) -
    valgrind: perf unavailable (...)', which a newcomer took for valgrind reporting an error."""
    choice = choose_meter("auto")
    assert choice.reason.startswith("auto: "), choice.reason
    assert choice.reason.endswith(f", so {choice.meter.name}"), choice.reason
    assert choose_meter("time").reason == "requested --meter time"


def test_time_meter_repeats_and_reports_spread():
    box = LocalSandbox(TimeMeter(repeats=3), workers=1)
    try:
        run = box.run(TestRequest(BUSY, "f", [300_000], repeats=3))
    finally:
        box.close()
    assert run.cost is not None and run.cost.repeats == 3 and run.cost.value > 0
    assert run.cost.spread >= 0.0


def test_time_meter_scores_expert_and_slow_tier(triangle):
    box = LocalSandbox(TimeMeter(repeats=3), workers=1)
    try:
        ev = Evaluator(box, box.meter, EngineSettings())
        expert = ev.evaluate(triangle, triangle.expert_code)
        slow = ev.evaluate(triangle, triangle.references["loop"])
    finally:
        box.close()
    # Correctness is exact; time is not. The check on the numbers keeps a wide margin (the Python
    # loop costs several times the C loop at the top level), so load cannot flip it, and asserts
    # no threshold on efficiency itself (DESIGN: no timing assertion in a unit test).
    assert expert.verdict == "ok" and expert.unit == "ns"
    assert all(c is not None and c > 0 for c in expert.reference_level_costs)
    top_expert = expert.reference_level_costs[-1]
    top_slow = slow.level_costs[-1] if slow.level_costs and slow.level_costs[-1] is not None else None
    assert slow.censored_level is not None or (top_slow is not None and top_slow > top_expert)


def test_valgrind_totals_survive_a_pid_wrap_and_are_never_stale():
    """Invariant: one total is accepted per process, not per pid. After the pid counter wraps
    (pid_max 32768: ~10,000 tests, fewer when candidates start threads), a reused pid's total is
    taken (not refused as a duplicate, which would fail honest tests), a total left from before the
    wrap is never handed out for the new process of that pid, and a second total for one process
    is still a duplicate. Found by a red team: every reused pid failed as MeterAnomaly."""
    from effbench.meters.valgrind import ValgrindMeter
    from effbench.sandboxes.protocol import RunnerClient

    client = RunnerClient(ValgrindMeter(), 0)

    def total(pid: int, n: int) -> None:
        client._feed_log(b"==%d== I   refs:      %s\n" % (pid, f"{n:,}".encode()))

    total(500, 7)  # a worker's own total: never taken
    for pid in range(301, 32768):
        if pid != 500:
            total(pid, 1000)
            assert client.count_of(pid, True) == 1000
    total(301, 140_000_000)  # the counter wrapped: 301 and 302 are new processes
    total(302, 145_000_000)
    assert client.count_of(301, True) == 140_000_000 and not client.duplicated(301)
    assert client.count_of(302, True) == 145_000_000 and not client.duplicated(302)
    assert client.count_of(500, False) is None  # the old process's total is gone
    total(302, 1)  # a second total for the new process 302
    assert client.duplicated(302) and client.count_of(302, False) is None


def _fixed_pid_client():
    """A host-side client of a runner that fixes pids (as its hello says), a function that feeds
    it one valgrind total ``(pid, n)`` as a log line, and one that feeds it the runner's fence
    (written once a worker that answered is gone)."""
    from effbench.meters.valgrind import ValgrindMeter
    from effbench.sandboxes.protocol import RunnerClient

    runner = _runner_module()
    client = RunnerClient(ValgrindMeter(), 0)
    client.facts = {"fixed_pids": True, "warm_up_workers": runner.WARM_UP_WORKERS}

    def total(pid: int, n: int) -> None:
        client._feed_log(b"==%d== I   refs:      %s\n" % (pid, f"{n:,}".encode()))

    def fence() -> None:
        client._feed_log(runner.FENCE_LINE)

    return runner, client, total, fence


def test_valgrind_totals_of_fixed_pids_are_taken_for_every_request():
    """Invariant: where the runner fixes pids (sandbox/runner.py: every worker is PID_BASE and its
    children follow it, so every request reuses the same pids), every child's total is taken,
    request after request, and never refused as a duplicate; the warm-up workers' children's
    totals, and a worker's own (were it to write one), are never taken. The host's constants are
    the runner's."""
    from effbench.sandboxes import protocol

    runner, client, total, fence = _fixed_pid_client()
    assert (protocol.FIXED_PID_BASE, protocol.FIXED_PID_BLOCK) == (runner.PID_BASE, runner.PID_STRIDE)
    assert protocol.FENCE_LINE + b"\n" == runner.FENCE_LINE
    assert protocol.WARM_UP_WORKERS == runner.WARM_UP_WORKERS
    base = runner.PID_BASE
    for _ in range(runner.WARM_UP_WORKERS):
        total(base + 1, 5)  # a warm-up worker's null test
        total(base + 2, 6)
        fence()  # the worker is gone
    for request in range(300):
        client._new_request()
        total(base + 1, 1000 + request)
        total(base + 2, 2000 + request)
        assert client.count_of(base + 1, True) == 1000 + request, request
        assert client.count_of(base + 2, True) == 2000 + request, request
        assert not client.duplicated(base + 1) and not client.duplicated(base + 2)
        total(base, 7)
        fence()
    assert client.count_of(base, False) is None and client.count_of(base + 1, False) is None


def test_a_late_valgrind_total_of_an_earlier_request_is_never_taken_for_a_reused_pid():
    """Invariant: where the runner fixes pids (every request's children have the same pids), a
    total is taken only for a child of the request in progress: a late total of an earlier
    request (one the host gave up waiting for, or of a warm-up worker) is never returned for the
    later process of that pid, and neither is an earlier request's abort; a second total for one
    pid within one request is a duplicate (refused). The runner's fence, written once a worker
    that answered is gone (after its children's totals, before the next worker's), tells two
    requests apart.
    Threat: with a pid per place in a ring of 64 blocks the pids told a child its request's place
    in the runner, which a sample moves by how many requests it uses; with one block, the host
    must not mix up two requests' totals for the same pid."""
    runner, client, total, fence = _fixed_pid_client()
    base = runner.PID_BASE
    for _ in range(runner.WARM_UP_WORKERS):
        total(base + 1, 5)
        fence()
    # request 1: the host takes base+1's total and gives up on base+2's
    client._new_request()
    total(base + 1, 100)
    assert client.count_of(base + 1, True) == 100
    assert client.count_of(base + 2, False) is None
    # request 2 is sent; then request 1's late total and its worker's fence arrive
    client._new_request()
    total(base + 2, 666)
    client._feed_log(b"valgrind: the 'impossible' happened:\n   Max number of threads is too low\n")
    client._feed_log(b"Thread 1: status = VgTs_Runnable (lwpid %d)\n" % (base + 4))
    fence()
    assert client.count_of(base + 2, False) is None  # not request 1's 666
    assert client.aborted(base + 4) is None  # nor request 1's abort
    total(base + 1, 111)  # request 2's children reuse the pids
    total(base + 2, 222)
    assert client.count_of(base + 1, True) == 111 and not client.duplicated(base + 1)
    assert client.count_of(base + 2, True) == 222 and not client.duplicated(base + 2)
    # a second total for one pid within one request: a duplicate, refused
    total(base + 3, 1)
    total(base + 3, 2)
    assert client.duplicated(base + 3) and client.count_of(base + 3, False) is None
    fence()
    # request 3: base+3 is a new process again, and taken
    client._new_request()
    total(base + 3, 333)
    assert client.count_of(base + 3, True) == 333 and not client.duplicated(base + 3)


def test_a_total_that_can_no_longer_arrive_is_not_waited_for():
    """Invariant: where the runner fixes pids, once the fence closing the request in progress is
    read (the runner writes it after every total of the request's children), count_of answers at
    once: the total read before the fence, or None for a process valgrind wrote none for (a child
    killed by SIGKILL at its CPU limit), never a wait of 0.5 s (or COUNT_WAIT) on an idle runner.
    Totals read before the fence are still taken, and a request whose fence is not read yet is
    still waited for."""
    runner, client, total, fence = _fixed_pid_client()
    base = runner.PID_BASE
    for _ in range(runner.WARM_UP_WORKERS):
        fence()
    waits: list[float | None] = []
    real_wait = client._cond.wait
    client._cond.wait = lambda timeout=None: waits.append(timeout) or real_wait(0)  # type: ignore[method-assign]
    client._new_request()
    total(base + 1, 100)  # the baseline child's total; the test child was killed: none
    fence()  # its worker is gone
    assert client.count_of(base + 2, False) is None and client.count_of(base + 2, True) is None
    assert client.count_of(base + 1, True) == 100
    assert waits == []
    # the next request: its processes are waited for until its own fence
    client._new_request()
    total(base + 2, 222)
    assert client.count_of(base + 2, True) == 222
    assert client.count_of(base + 3, False) is None and waits  # no fence yet: waited (0.5 s)
    waits.clear()
    fence()
    assert client.count_of(base + 3, True) is None and waits == []


def _runner_module():
    import importlib.util

    from effbench import paths

    spec = importlib.util.spec_from_file_location("effbench_runner_for_tests", paths.runner_path())
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _pairs_of(monkeypatch, box, request):
    """The runner's raw (baseline, test) records of one request, as the host received them."""
    import effbench.sandboxes.protocol as protocol

    seen = []
    real = protocol.to_test_run

    def spy(meter, worker, pairs):
        seen.append(pairs)
        return real(meter, worker, pairs)

    monkeypatch.setattr(protocol, "to_test_run", spy)
    run = box.run(request)
    monkeypatch.undo()
    return run, seen[-1]


def test_time_meter_forks_one_baseline_per_request_and_valgrind_one_per_repeat(monkeypatch, valgrind_box):
    """Invariant: the time meter's repeats share the request's one baseline child (each repeat
    costs one child, not two), each child's CPU time counted from its release at the attach point;
    an exact meter (valgrind) still forks a baseline back to back with every test child."""
    box = LocalSandbox(TimeMeter(repeats=3), workers=1)
    try:
        run, pairs = _pairs_of(monkeypatch, box, TestRequest(BUSY, "f", [200_000], repeats=3))
    finally:
        box.close()
    assert run.cost is not None and run.cost.repeats == 3 and run.cost.value > 0
    assert [p.get("baseline_shared", False) for p in pairs] == [False, True, True]
    assert len({p["baseline"]["pid"] for p in pairs}) == 1
    assert len({p["test"]["pid"] for p in pairs}) == 3
    for rec in [pairs[0]["baseline"]] + [p["test"] for p in pairs]:
        assert 0 < rec["cpu_before_go"] < rec["cpu_seconds"]

    run, pairs = _pairs_of(monkeypatch, valgrind_box, TestRequest(BUSY, "f", [1_000], repeats=2))
    assert run.cost is not None and not any("baseline_shared" in p for p in pairs)
    assert len({p["baseline"]["pid"] for p in pairs}) == 2
    assert not any("cpu_before_go" in p["baseline"] or "cpu_before_go" in p["test"] for p in pairs)


def test_the_measured_runner_runs_from_bytecode_its_own_interpreter_compiled(tmp_path, valgrind_box):
    """Invariant: where the set-up step installs the runner (namespaces: a private /tmp), the
    measured runner runs from bytecode compiled by its own interpreter in a fresh process, not
    from source: compiling its 3,000 lines left ~11 MB of freed blocks resident in the zygote
    (the sandbox's allocator never gives memory back), copied by every fork and torn down by
    every exit. Under valgrind too (the zygote's warm-up compiles a short source of the constructs
    candidates write instead, for the compiler's translations). The bytes are the same on every
    call, and the file runs as the runner does."""
    import subprocess
    import sys

    from effbench import paths
    from effbench.sandboxes.protocol import RUNNER_ENV

    runner = _runner_module()
    box = LocalSandbox(TimeMeter(repeats=1), workers=1)
    try:
        facts = box._workers[0].facts
        if not facts.get("private_tmp"):
            pytest.skip("no namespaces here: the runner runs from the checkout's source")
        assert facts["bytecode"] is True
        assert box.run(TestRequest(BUSY, "f", [10], repeats=1)).result == '{"ok":true,"value":45}'
    finally:
        box.close()
    assert valgrind_box._workers[0].facts["bytecode"] is True

    source = paths.runner_path().read_bytes()
    target = tmp_path / "runner.py"
    first = runner.runner_bytecode(source, str(target), sys.executable, dict(RUNNER_ENV))
    assert first == runner.runner_bytecode(source, str(target), sys.executable, dict(RUNNER_ENV))
    assert first != source
    target.write_bytes(first)
    done = subprocess.run([sys.executable, "-S", "-s", "-P", str(target), "--selftest"], capture_output=True)
    assert done.returncode == 0 and b'"python"' in done.stdout, done.stderr
    with pytest.raises(OSError, match="compiling the runner"):
        runner.runner_bytecode(b"def f(:\n", str(target), sys.executable, dict(RUNNER_ENV))


def test_time_meter_cost_leaves_out_each_childs_set_up():
    """The time meter's cost is the test child's CPU time after its release minus the baseline
    child's after its release; with no release time for one of them, both whole CPU times."""
    meter = TimeMeter()
    pair = {
        "baseline": {"cpu_seconds": 0.004, "cpu_before_go": 0.003},
        "test": {"cpu_seconds": 0.010, "cpu_before_go": 0.002},
    }
    assert meter.pair_cost(pair, lambda pid: None) == pytest.approx((0.008 - 0.001) * 1e9)
    pair["baseline"].pop("cpu_before_go")
    assert meter.pair_cost(pair, lambda pid: None) == pytest.approx((0.010 - 0.004) * 1e9)


def test_time_meter_costs_are_whole_nanoseconds():
    """Invariant: a time-meter cost is a whole number of ns (the kernel's unit), with no noise of
    the seconds' binary fractions (0.15 s as 149999999.99999997 ns) in costs and level costs."""
    pair = {
        "baseline": {"cpu_seconds": 0.2, "cpu_before_go": 0.15},
        "test": {"cpu_seconds": 0.3, "cpu_before_go": 0.1},
    }
    cost = TimeMeter().pair_cost(pair, lambda pid: None)
    assert cost == 150_000_000 and cost == int(cost)


def test_a_process_valgrind_stopped_itself_has_no_count_at_once_and_says_why():
    """Invariant: when valgrind stops a process itself (past --max-threads, valgrind's own report
    on its log, whose lines carry no pid), the host knows that process has no count at once,
    instead of waiting COUNT_WAIT (15 s) for one, and says why; other processes' totals, before
    and after the report, are untouched. The report's lines are valgrind 3.19's."""
    from effbench.meters.valgrind import ValgrindMeter
    from effbench.sandboxes.protocol import COUNT_WAIT, THREAD_LIMIT_ABORT, RunnerClient

    client = RunnerClient(ValgrindMeter(), 0)
    client._feed_log(
        b"==700== I   refs:      1,000\n"
        b"Use --max-threads=INT to specify a larger number of threads\nand rerun valgrind\n\n"
        b"valgrind: the 'impossible' happened:\n   Max number of threads is too low\n\nhost stacktrace:\n"
        b"==701==    at 0x58046FCA: ??? (in /usr/libexec/valgrind/cachegrind-amd64-linux)\n\n"
        b"sched status:\n  running_tid=1\n\nThread 1: status = VgTs_Runnable syscall 56 (lwpid 701)\n"
        b"Thread 2: status = VgTs_WaitSys syscall 202 (lwpid 703)\n"
        b"==702== I   refs:      2,000\n"
    )

    def wait(timeout=None):
        raise AssertionError(f"waited up to {COUNT_WAIT} s for a count valgrind said will not come")

    client._cond.wait = wait
    assert client.count_of(701, True) is None
    assert client.aborted(701) == THREAD_LIMIT_ABORT and client.aborted(703) is None
    assert client.count_of(700, True) == 1000 and client.count_of(702, True) == 2000


def test_valgrind_processes_carry_no_cache_simulation_sized_after_the_host():
    """Invariant: a process under the valgrind meter does not carry cachegrind's cache tag arrays
    sized after the host's caches. They are never used with --cache-sim=no, yet cachegrind
    allocates and zeroes them in every process (on this project's machine, whose L3 reads as
    320 MB, 32 MB of tags: every fork copied their page tables and every exit unmapped them).
    The meter names a last-level cache whose tags take at most 64 KB, valgrind accepts it, and a
    process's count is the same with and without it."""
    import re
    import shutil
    import subprocess

    from effbench.meters.valgrind import IREFS, ValgrindMeter

    if shutil.which("valgrind") is None:
        pytest.skip("valgrind is not installed")
    prefix = ValgrindMeter().command_prefix(2)
    geometry = [arg for arg in prefix if arg.startswith("--LL=")]
    assert len(geometry) == 1
    size, _assoc, line = (int(x) for x in geometry[0].removeprefix("--LL=").split(","))
    assert size // line * 8 <= 64 * 1024  # one 8-byte tag per line

    def count(command):
        out = subprocess.run([*command, "/bin/true"], capture_output=True, env={}, timeout=120)
        assert out.returncode == 0, out.stderr
        totals = [IREFS.match(line) for line in out.stderr.splitlines()]
        return [int(m.group(2).replace(b",", b"")) for m in totals if m]

    pinned = count(prefix)
    assert len(pinned) == 1
    assert pinned == count([arg for arg in prefix if not re.match(r"--LL=", arg)])


def test_a_valgrind_request_makes_no_call_valgrind_does_not_know(valgrind_box):
    """Invariant: serving requests under the valgrind meter makes no system call that valgrind
    does not know. Threat: each worker opened a pidfd on its test child (pidfd_open), which
    valgrind 3.19 does not know: it failed (ENOSYS) after five lines of warning on valgrind's log,
    on every request, and the supervising loop, having no pidfd, found the child's exit only at
    its next poll, up to 5 ms after the child had answered. The runner's warm-up finds out once
    that the call does not work there, and the loop waits for the child's SIGCHLD instead; the
    tests are served and counted as before."""
    from effbench.meters.valgrind import valgrind_version

    if not (valgrind_version() or "").startswith("valgrind-3.19"):
        pytest.skip("the threat was seen under valgrind 3.19, which does not know pidfd_open")
    request = TestRequest("def f(x):\n    return x + 1\n", "f", [3])
    for worker in valgrind_box._workers:
        worker._stderr.clear()
    runs = [valgrind_box.run(request) for _ in range(4)]
    assert all(run.cost is not None and run.cost.value > 0 for run in runs)
    assert len({run.cost.value for run in runs}) == 1
    logged = "\n".join(worker.stderr_tail() for worker in valgrind_box._workers)
    assert "unhandled" not in logged, logged


def test_a_runner_that_cannot_start_is_reported_at_once_in_its_own_words():
    """Invariant: a runner that exits before its hello (valgrind refusing an option on its command
    line) fails the sandbox's start with the runner's own message. Threat: the set-up step kept
    relaying the harness's stdin after the runner's output streams had ended, so the harness
    waited HELLO_TIMEOUT (180 s) and then said only "did not answer in time"."""
    from effbench.errors import InfrastructureError, SandboxUnavailable
    from effbench.meters.valgrind import ValgrindMeter
    from effbench.sandboxes.local import LocalSandbox

    class RefusedOption(ValgrindMeter):
        def command_prefix(self, log_fd):
            return [*super().command_prefix(log_fd), "--no-such-option-for-effbench"]

    with pytest.raises((InfrastructureError, SandboxUnavailable)) as caught:
        LocalSandbox(RefusedOption(), workers=1).close()
    assert "--no-such-option-for-effbench" in str(caught.value), caught.value


def test_a_time_meter_budget_is_never_below_the_meters_resolution():
    """Invariant: the time meter never reports a cost below its resolution (RESOLUTION_NS), so a
    budget, alpha times the expert's largest level cost, is at least alpha times the resolution.
    Threat: an expert whose work is a few µs read 0 on every test (the baseline child's noise is
    larger), its budget became alpha x 1 ns, and the expert itself, measured again as a sample,
    was censored whenever its noise read above that (test_importers' toy problem failed in CI)."""
    meter = TimeMeter()
    slower_baseline = {
        "baseline": {"cpu_seconds": 0.004, "cpu_before_go": 0.001},
        "test": {"cpu_seconds": 0.003, "cpu_before_go": 0.001},
    }
    assert meter.pair_cost(slower_baseline, lambda pid: None) == TimeMeter.RESOLUTION_NS
    tiny = {"baseline": {"cpu_seconds": 0.001}, "test": {"cpu_seconds": 0.001 + 20e-6}}
    assert meter.pair_cost(tiny, lambda pid: None) == TimeMeter.RESOLUTION_NS
    assert TimeMeter(resolution_ns=0).pair_cost(tiny, lambda pid: None) == 20_000
    assert meter.fingerprint()["resolution_ns"] == TimeMeter.RESOLUTION_NS


#: a candidate that measures its own work (CPU seconds of its own process, around a busy loop)
#: and returns it: what its cost must not fall below, less the subtracted null
SELF_TIMED = (
    "import time\n"
    "def f(n, mb):\n"
    "    t0 = time.process_time()\n"
    "    held = bytearray(b'x') * (mb << 20)\n"
    "    t = 0\n"
    "    for i in range(n):\n"
    "        t += i\n"
    "    return [time.process_time() - t0, len(held)]\n"
)


def test_time_meter_at_one_run_forks_no_baseline_child_and_subtracts_a_null_calibrated_at_start(monkeypatch):
    """Invariant: under the time meter at one run, a request forks only its test child (two
    processes per test, not three); its cost is the test child's CPU time from its release to its
    exit (plus the cleanup) less the runner's null, calibrated when the runner started on our own
    null code (never on a candidate's: no candidate can move what is subtracted from its cost). A
    null test's cost is still at least the resolution; an honest candidate's cost is not below
    the work it measured itself, less the null; memory it allocates after its release (freed by
    its exit: a teardown made expensive) is not subtracted, since what is subtracted beyond the
    null is only what the child held at its release. A runner started again is calibrated
    again."""
    box = LocalSandbox(TimeMeter(), workers=1)
    try:
        worker = box._workers[0]
        null = dict(worker.null_baseline)
        span = null["cpu_seconds"] - null["cpu_before_go"]
        assert null["calibrated"] and 0 < span < null["cpu_seconds"] and null["exit_seconds_per_kb"] >= 0
        run, pairs = _pairs_of(monkeypatch, box, TestRequest("def f():\n    return None\n", "f", []))
        assert run.cost is not None and run.cost.value >= TimeMeter.RESOLUTION_NS
        assert len(pairs) == 1 and pairs[0]["baseline"] == null and pairs[0]["baseline_shared"]
        assert pairs[0]["test"]["pid"] != 0 and pairs[0]["test"]["rss_at_go_kb"] > 0

        run, pairs = _pairs_of(monkeypatch, box, TestRequest(SELF_TIMED, "f", [2_000_000, 64]))
        assert run.result.startswith('{"ok":true'), run
        own_work = float(run.result.split("[", 1)[1].split(",", 1)[0])
        # its 64 MiB were not held at its release: the subtraction beyond the null is not theirs
        extra_kb = max(0, pairs[0]["test"]["rss_at_go_kb"] - null["rss_at_go_kb"])
        assert extra_kb < 8 << 10
        assert run.cost.value >= (own_work - span - null["exit_seconds_per_kb"] * extra_kb) * 1e9
        assert worker.null_baseline == null  # the candidates moved nothing

        worker.stop()
        box.run(TestRequest("def f():\n    return 1\n", "f", []))  # starts it again
        assert worker.null_baseline is not None and worker.null_baseline is not null
    finally:
        box.close()


def test_time_meter_does_not_charge_the_teardown_of_a_large_requests_arguments(monkeypatch):
    """Invariant: with no baseline child, what a test child inherited from its worker beyond a
    null request's (a large request's decoded arguments) is torn down by its exit, which a
    baseline child of the same request cancelled; the meter subtracts it at the CPU time per kB
    the runner calibrated at start (a null child inheriting a written ballast), so a null
    candidate with ~40 MB of arguments is not charged their teardown (measured before this
    correction: 1.7 ms median)."""
    box = LocalSandbox(TimeMeter(), workers=1)
    try:
        null = box._workers[0].null_baseline
        request = TestRequest("def f(xs):\n    return None\n", "f", [list(range(1_000_000))])
        run, pairs = _pairs_of(monkeypatch, box, request)
    finally:
        box.close()
    extra_kb = pairs[0]["test"]["rss_at_go_kb"] - null["rss_at_go_kb"]
    assert extra_kb > 16 << 10 and null["exit_seconds_per_kb"] > 0
    test = pairs[0]["test"]
    counted = test["cpu_seconds"] - test["cpu_before_go"] + test["cleanup_cpu_seconds"]
    subtracted = null["cpu_seconds"] - null["cpu_before_go"] + null["exit_seconds_per_kb"] * extra_kb
    assert run.cost.value == max(TimeMeter.RESOLUTION_NS, round((counted - subtracted) * 1e9))


def test_time_meter_pair_cost_against_a_calibrated_null():
    """The cost against a calibrated null: the test's span (release to exit, plus the cleanup)
    less the null's span and the calibrated exit cost of the kB the test child held at its
    release beyond the null's (none for fewer)."""
    meter = TimeMeter(resolution_ns=0)
    base = {
        "calibrated": True,
        "cpu_seconds": 0.003,
        "cpu_before_go": 0.002,
        "rss_at_go_kb": 10_000,
        "exit_seconds_per_kb": 1e-8,
    }
    test = {"cpu_seconds": 0.010, "cpu_before_go": 0.002, "cleanup_cpu_seconds": 0.0001, "rss_at_go_kb": 30_000}
    assert meter.pair_cost({"baseline": base, "test": test}, lambda pid: None) == round(
        (0.0081 - 0.001 - 20_000 * 1e-8) * 1e9
    )
    test["rss_at_go_kb"] = 5_000
    assert meter.pair_cost({"baseline": base, "test": test}, lambda pid: None) == round((0.0081 - 0.001) * 1e9)
    assert TimeMeter().fingerprint()["baselines"] == "a null cost calibrated per runner start"
    assert TimeMeter(calibrated_null=False).fingerprint()["baselines"] == "one per request"


def test_only_the_time_meter_drops_its_baseline_child(valgrind_box, monkeypatch):
    """Invariant: the valgrind meter keeps a baseline child forked back to back with every test
    child (DESIGN.md: count(child) - count(baseline child forked just before)), and so does perf
    (an exact counter): only the time meter calibrates a null; with ``calibrated_null=False`` it
    forks its baseline child per request again."""
    from effbench.meters.valgrind import ValgrindMeter

    assert not ValgrindMeter().calibrated_null and not PerfMeter("task-clock").calibrated_null
    run, pairs = _pairs_of(monkeypatch, valgrind_box, TestRequest(BUSY, "f", [1_000]))
    assert run.cost is not None and pairs[0]["baseline"]["pid"] > 0 and "calibrated" not in pairs[0]["baseline"]
    box = LocalSandbox(TimeMeter(calibrated_null=False), workers=1)
    try:
        assert box._workers[0].null_baseline is None
        run, pairs = _pairs_of(monkeypatch, box, TestRequest(BUSY, "f", [1_000]))
    finally:
        box.close()
    assert run.cost is not None and pairs[0]["baseline"]["pid"] > 0 and "calibrated" not in pairs[0]["baseline"]
