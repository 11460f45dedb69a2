"""A busy machine must not change a verdict (red team rt-busy).

The load in these tests is made deterministic in its direction: the runner's processes are pinned
to one CPU beside busy loops at a higher priority (affinity and niceness, inherited by every child
the runner forks afterwards), so that a test child waits for that CPU most of the time. Nothing
here asserts a duration: the assertions are on verdicts, and the load only ever makes the child
wait longer.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time

import pytest

from effbench import paths
from effbench.meters.valgrind import ValgrindMeter
from effbench.sandboxes.base import Limits, TestRequest
from effbench.sandboxes.local import LocalSandbox

#: a CPU-bound candidate: about 0.1 s of user CPU time under valgrind (50 million instructions)
LOOP = "def f(n):\n    s = 0\n    for i in range(n):\n        s += i * i % 7\n    return s\n"
LOOP_N = 60_000


def _descendants(root: int) -> list[int]:
    """``root`` and every process under it (read from /proc: the runner, its set-up step, workers)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", "rb") as f:
                    ppid = int(f.read().rsplit(b")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(children.get(pid, []))
    return out


@contextlib.contextmanager
def crowded(roots: list[int], competitors: int = 3, nice: int = 15):
    """Pin every process under ``roots`` (pids) to one CPU at niceness ``nice``, beside
    ``competitors`` busy loops at niceness 0 on that CPU: a child forked by one of them from then on
    gets a small share of that CPU (about 36 / (36 + 1024) at these defaults), as on a machine
    many times oversubscribed. The busy loops are ended on exit."""
    cpu = min(os.sched_getaffinity(0))
    # each loop pins itself and dies with this process (PR_SET_PDEATHSIG), even if it is killed
    loop = (
        f"import ctypes, os\nctypes.CDLL(None).prctl(1, 9)\nos.sched_setaffinity(0, {{{cpu}}})\nwhile True:\n    pass\n"
    )
    loops = [
        subprocess.Popen([sys.executable, "-c", loop], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(competitors)
    ]
    try:
        # until a pass finds every thread done (a runner forks its next worker when it likes)
        done: set[int] = set()
        while True:
            tids = {
                int(tid)
                for root in roots
                for pid in _descendants(root)
                for tid in (os.listdir(f"/proc/{pid}/task") if os.path.isdir(f"/proc/{pid}/task") else ())
            }
            if tids <= done:
                break
            for tid in tids - done:
                with contextlib.suppress(OSError):
                    os.sched_setaffinity(tid, {cpu})
                    os.setpriority(os.PRIO_PROCESS, tid, nice)
                # where the scheduler groups processes by session (autogroup), a thread's
                # niceness weighs only within its session: the runner's session gets it too
                with contextlib.suppress(OSError), open(f"/proc/{tid}/autogroup", "w") as f:
                    f.write(str(nice))
            done |= tids
            time.sleep(0.2)
        yield
    finally:
        for loop in loops:
            loop.kill()
            loop.wait()


@pytest.fixture(scope="module")
def crowded_valgrind_box():
    box = LocalSandbox(ValgrindMeter(), workers=1)
    try:
        box.run(TestRequest(LOOP, "f", [10], Limits()))  # started and warm before the crowd comes
        with crowded([worker.proc.pid for worker in box._workers]):
            yield box
    finally:
        box.close()


def test_waiting_for_a_cpu_never_counts_toward_the_wall_limit(crowded_valgrind_box):
    """Invariant: the wall-time limit stops a child for time it held the worker without waiting
    for a CPU (asleep, blocked, or running), never for time it spent runnable on a busy machine
    waiting for its turn: a CPU-bound candidate whose CPU time is far under its limits is never
    censored because other processes took the CPU. Found on this machine at load 13: the wall
    limit was ``2 * cpu + 5`` s, while a child at nice 5 got a fifth of a CPU or less, so a
    within-budget candidate near its CPU stop was censored ("stopped at the wall limit")."""
    limits = Limits(wall_seconds=1.0, cpu_seconds=30.0)
    run = crowded_valgrind_box.run(TestRequest(LOOP, "f", [LOOP_N], limits))
    assert run.infra_error is None, run
    assert run.killed_for is None, run
    assert run.cpu_seconds < limits.wall_seconds, run  # the premise: its own work fits the limit
    assert run.wall_seconds > limits.wall_seconds, run  # the premise: the crowd made it wait past it


def test_a_sleeping_candidate_is_still_stopped_at_the_wall_limit_on_a_busy_machine(crowded_valgrind_box):
    """Invariant: time a child spends blocked (a sleep) still counts toward the wall limit on a
    busy machine, so a candidate cannot hold a worker for longer than that by sleeping."""
    run = crowded_valgrind_box.run(
        TestRequest(
            "import time\ndef f():\n    time.sleep(3600)\n", "f", [], Limits(wall_seconds=1.0, cpu_seconds=30.0)
        )
    )
    assert run.killed_for == "wall", run


def test_the_host_waits_for_a_request_as_long_as_a_busy_machine_may_make_it_take(crowded_valgrind_box, monkeypatch):
    """Invariant: the host calls a runner hung only past the time a request's children may take
    on a machine that gives them 1 / BUSY_MACHINE_FACTOR of a CPU: each child's wall limit plus
    its CPU-time limit at that share. Before, the host waited ``(wall + 30) * 2 + 60`` s whatever
    the CPU limit, so a within-limits test of a few tens of CPU seconds on a busy machine ended as
    an infrastructure failure ("runner did not answer in time")."""
    from effbench import codec

    worker = crowded_valgrind_box._workers[0]
    waits: list[float] = []
    read = worker._read_response

    def recorded(deadline: float) -> dict:
        waits.append(deadline - time.monotonic())
        return read(deadline)

    monkeypatch.setattr(worker, "_read_response", recorded)
    limits = Limits(wall_seconds=45.0, cpu_seconds=20.0)
    run = crowded_valgrind_box.run(TestRequest(LOOP, "f", [10], limits))
    assert run.killed_for is None and run.infra_error is None, run
    child = limits.wall_seconds + codec.runner_module().BUSY_MACHINE_FACTOR * limits.cpu_seconds
    assert waits and min(waits) >= 2 * child, waits


@pytest.mark.parametrize(
    "lowered",
    ["os.nice(19)", "os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))"],
    ids=["nice", "sched-idle"],
)
def test_a_candidate_that_lowers_its_own_priority_is_still_stopped_at_the_wall_limit(crowded_valgrind_box, lowered):
    """Invariant: only waits under the scheduling a child was let go with are the machine's. A
    candidate that lowers its own priority (its filter allows that on itself) and loops on a busy
    machine waits by its own doing: it is stopped at the wall limit, as before, and can neither
    hold a worker for the CPU limit's length at a tiny share of a CPU nor make its test end as the
    harness's failure."""
    code = f"import os\ndef f():\n    {lowered}\n    while True:\n        pass\n"
    run = crowded_valgrind_box.run(TestRequest(code, "f", [], Limits(wall_seconds=1.0, cpu_seconds=2.0)))
    assert run.infra_error is None, run
    assert run.killed_for == "wall", run


#: generates the mini set's triangle tests with GENERATOR_TOTAL_SECONDS and GENERATE_CALL_SECONDS
#: at 2 s, from a generator whose first call burns about 0.3 s of CPU time; once its imports are
#: done it says so and waits for a line (the crowd comes then). Prints "ok" or the refusal.
_GENERATE_CROWDED = """
import sys
import effbench.problems as problems_module
from effbench.errors import ProblemFormatError
from effbench.problems import GENERATOR_HASH_SEED, _run_generator, load_problem_set
problems_module.GENERATE_CALL_SECONDS = 2.0
problems_module.GENERATOR_TOTAL_SECONDS = 2.0
problem = load_problem_set(sys.argv[1]).get("triangle")
print("ready", flush=True)
sys.stdin.readline()
try:
    _run_generator(problem, "s", GENERATOR_HASH_SEED, sys.argv[2] == "fresh")
    print("ok", flush=True)
except ProblemFormatError as exc:
    print(exc, flush=True)
"""
_BURNING_GENERATOR = (
    "burnt = []\n"
    "def generate(size, rng):\n"
    "    if not burnt:\n"
    "        burnt.append(sum(i * i % 7 for i in range(1_500_000)))\n"
    "    return [size]\n"
)


@pytest.mark.parametrize("fresh", [False, True], ids=["server", "fresh"])
def test_a_generator_waiting_for_a_cpu_is_not_stopped_for_time(tmp_path, fresh):
    """Invariant: a problem's generator is stopped for time (per generate() call and in all) by
    its CPU time and by the wall time it held without waiting for a CPU, never for the time a busy
    machine kept it waiting: a generator well within its limits on an idle machine is not refused
    (``runs past N s``) because the machine is busy, whether in a generator server's child or in
    a fresh interpreter. Before, both limits were wall-clock alarms (60 s a call, 600 s in all):
    a generator taking 10 s a call on an idle machine was refused on a machine giving it a sixth
    of a CPU."""
    import shutil

    root = tmp_path / "set"
    shutil.copytree(paths.PACKAGE_DIR.parent / "tests" / "fixtures" / "mini", root)
    (root / "problems" / "triangle" / "generator.py").write_text(_BURNING_GENERATOR)
    env = {**os.environ, "PYTHONPATH": str(paths.PACKAGE_DIR.parent)}
    proc = subprocess.Popen(
        [sys.executable, "-c", _GENERATE_CROWDED, str(root / "problems"), "fresh" if fresh else "server"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,  # a session (and scheduler autogroup) of its own, as a runner's
    )
    try:
        assert proc.stdout.readline().strip() == "ready"
        with crowded([proc.pid], nice=10):
            proc.stdin.write("go\n")
            proc.stdin.flush()
            said = proc.stdout.readline().strip()
        assert said == "ok", said
    finally:
        proc.kill()
        proc.wait()


@pytest.mark.parametrize("meter_name", ["time", "valgrind"])
def test_a_runs_table_says_when_its_figures_depend_on_the_load(triangle, meter_name):
    """Invariant: a run's printed table says when its figures depend on how busy the machine was:
    under the time meter (costs in CPU ns) the budget, censoring, pass@k, eff@k and speedups all
    follow the load, and the table says so under each such model; under valgrind (exact counts)
    it says nothing of the kind. Before, a time-meter table looked exactly like a valgrind one."""
    from effbench.engine import EngineSettings, Evaluator
    from effbench.meters.timing import TimeMeter
    from effbench.report import render
    from effbench.sandboxes.scripted import ScriptedSandbox, answer
    from effbench.summary import summarize

    def handler(request):
        n = request.args_json[0]
        return answer(n * (n + 1) // 2 if n > 0 else 0, 1000.0 + n, cpu_seconds=0.01, user_cpu_seconds=0.01)

    meter = TimeMeter() if meter_name == "time" else ValgrindMeter()
    ev = Evaluator(ScriptedSandbox(handler), meter, EngineSettings(input_seed="load"), fingerprint={"t": 1})
    records = [ev.evaluate(triangle, "def triangle(n): ...\n", "m", i) for i in range(2)]
    text = render(summarize(records, [1], 2.0, 2.0))
    assert ("load-dependent" in text) == (meter_name == "time"), text


#: a custom checker's bounded call (1 s) that burns about 0.3 s of CPU time; once its imports are
#: done it says so and waits for a line (the crowd comes then). Prints "ok" or what stopped it.
_CHECK_CROWDED = """
import sys
from effbench.hostcode import HostCodeTimeout, call_bounded
print("ready", flush=True)
sys.stdin.readline()
try:
    call_bounded(lambda: sum(i * i % 7 for i in range(1_500_000)), 1.0)
    print("ok", flush=True)
except HostCodeTimeout as exc:
    print(exc, flush=True)
"""


def test_problem_code_on_the_host_waiting_for_a_cpu_is_not_stopped():
    """Invariant: a problem's code run on the host (a custom checker, a generator's check_input)
    is bounded by the CPU time of the thread running it, never stopped for the time a busy machine
    kept it waiting: code well within HOST_CODE_SECONDS on an idle machine is not a CheckerError
    (which fails the candidate's test, or skips the problem when it is the expert's) because the
    machine is busy. Before, the bound was wall time (20 s), so a checker taking 2 s idle failed
    on a machine giving the host a tenth of a CPU."""
    proc = subprocess.Popen(
        [sys.executable, "-c", _CHECK_CROWDED],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(paths.PACKAGE_DIR.parent)},
        start_new_session=True,
    )
    try:
        assert proc.stdout.readline().strip() == "ready"
        with crowded([proc.pid], nice=10):
            proc.stdin.write("go\n")
            proc.stdin.flush()
            said = proc.stdout.readline().strip()
        assert said == "ok", said
    finally:
        proc.kill()
        proc.wait()


def test_a_slow_namespace_probe_never_starts_a_sandbox_without_namespaces(monkeypatch):
    """Invariant: whether the local sandbox has namespaces (hidden references, a private /tmp,
    fixed pids and with them exact counts) never depends on how busy the machine was when it
    started: a probe that does not finish in time is an error naming it, not "no namespaces".
    Before, an ``unshare ... true`` past its 30 s timeout read as namespaces being unavailable,
    and that answer was kept for the process's life. The slow probe is simulated (no clock)."""
    import effbench.sandboxes.local as local
    from effbench.errors import SandboxUnavailable

    def slow(cmd, **kwargs):
        raise subprocess.TimeoutExpired(cmd, kwargs.get("timeout", 0))

    local.namespace_prefix.cache_clear()
    monkeypatch.setattr(local.subprocess, "run", slow)
    monkeypatch.setattr(local.shutil, "which", lambda name: "/usr/bin/unshare")
    try:
        with pytest.raises(SandboxUnavailable, match="namespace probe"):
            local.namespace_prefix()
    finally:
        monkeypatch.undo()
        local.namespace_prefix.cache_clear()
