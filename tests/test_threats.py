"""Hostile candidates (DESIGN.md threat model), run for real in the local sandbox under valgrind.

Each test is named after the threat it blocks; the docstring states the invariant. None of these
candidates may score better than honest code, stop the run, or lose other results.
"""

from __future__ import annotations

import json
import os
import textwrap

import pytest

from effbench.sandboxes.base import Limits, TestRequest

from .conftest import FIXTURES

HONEST = "def triangle(n):\n    return sum(range(1, n + 1))\n"


def run(evaluator, problem, code):
    return evaluator.evaluate(problem, textwrap.dedent(code), model="hostile")


def run_f(box, code, *args):
    """One request straight to the sandbox: ``f(*args)`` of ``code`` (dedented), generous limits."""
    return box.run(TestRequest(textwrap.dedent(code), "f", list(args), Limits(wall_seconds=60, cpu_seconds=30)))


def test_infinite_loop_catching_every_exception_is_censored(valgrind_evaluator, triangle):
    """A loop that swallows every exception is stopped from outside and fails (censored at level 0)."""
    rec = run(
        valgrind_evaluator,
        triangle,
        """
        def triangle(n):
            while True:
                try:
                    pass
                except BaseException:
                    pass
    """,
    )
    assert rec.verdict == "censored_budget" and rec.censored_level == 0
    assert not rec.passed and rec.efficiency == 0.0


def test_object_whose_eq_always_says_yes_is_wrong(valgrind_evaluator, triangle):
    """Answers cross the boundary as plain data: an always-equal object is not an answer."""
    rec = run(
        valgrind_evaluator,
        triangle,
        """
        class Yes:
            def __eq__(self, other):
                return True
            __hash__ = object.__hash__
        def triangle(n):
            return Yes()
    """,
    )
    assert rec.verdict == "wrong" and rec.efficiency == 0.0


def test_int_subclass_with_forged_eq_is_judged_by_its_value(valgrind_evaluator, triangle):
    """A subclass of int is not plain data either: its forged __eq__ never reaches the checker."""
    rec = run(
        valgrind_evaluator,
        triangle,
        """
        class Liar(int):
            def __eq__(self, other):
                return True
        def triangle(n):
            return Liar(-1)
    """,
    )
    assert rec.verdict == "wrong"


def test_early_exit_with_code_zero_is_an_error(valgrind_evaluator, triangle):
    """os._exit(0) before returning is not success: no result arrived."""
    rec = run(
        valgrind_evaluator,
        triangle,
        """
        import os
        def triangle(n):
            os._exit(0)
    """,
    )
    assert rec.verdict == "error" and rec.error_type == "NoResult"


def test_syntax_error_is_an_error_with_its_type(valgrind_evaluator, triangle):
    rec = run(valgrind_evaluator, triangle, "def triangle(n) return 0\n")
    assert rec.verdict == "error" and rec.error_type == "SyntaxError"


def test_reading_references_and_answers_from_disk_finds_nothing(valgrind_evaluator, triangle, tmp_path):
    """Problem folders, references, caches and run directories are out of the sandbox's reach.

    The candidate returns the right answer only if it can read the expert's file; with the
    folders hidden it falls back to a wrong answer.
    """
    ref = FIXTURES / "mini" / "references" / "triangle" / "expert.py"
    assert ref.is_file()
    from effbench import paths

    targets = [str(ref), str(paths.references_dir() / "count_inversions" / "expert.py")]
    rec = run(
        valgrind_evaluator,
        triangle,
        f"""
        def triangle(n):
            for path in {targets!r}:
                try:
                    ns = {{}}
                    exec(open(path).read(), ns)
                    return ns["triangle"](n)
                except Exception:
                    pass
            return -1
    """,
    )
    assert rec.verdict == "wrong"


def test_process_creation_is_refused(valgrind_evaluator, triangle):
    """No fork, no exec: work cannot be hidden in another process, nor a fork bomb started."""
    rec = run(
        valgrind_evaluator,
        triangle,
        """
        import os, subprocess
        def triangle(n):
            try:
                subprocess.run(["true"])
            except PermissionError:
                pass
            else:
                return -1
            if os.fork() == 0:
                os._exit(0)
            return -2
    """,
    )
    assert rec.verdict == "error" and rec.error_type == "PermissionError"


def test_signalling_the_parent_is_refused_and_the_run_goes_on(valgrind_evaluator, triangle):
    """kill(parent) and kill(-1) fail; the next candidate in the same sandbox is scored normally."""
    rec = run(
        valgrind_evaluator,
        triangle,
        """
        import os, signal
        def triangle(n):
            for pid in (os.getppid(), -1, 1):
                try:
                    os.kill(pid, signal.SIGKILL)
                    return -1
                except (PermissionError, ProcessLookupError):
                    pass
            return n * (n + 1) // 2 if n > 0 else 0
    """,
    )
    assert rec.verdict == "ok"
    honest = run(valgrind_evaluator, triangle, HONEST)
    assert honest.verdict == "ok" and honest.efficiency == pytest.approx(1.0, abs=0.02)


def test_network_connections_are_refused(valgrind_evaluator, triangle):
    rec = run(
        valgrind_evaluator,
        triangle,
        """
        import socket
        def triangle(n):
            socket.create_connection(("127.0.0.1", 22), timeout=1)
            return 0
    """,
    )
    assert rec.verdict == "error" and rec.error_type in ("PermissionError", "OSError", "ConnectionRefusedError")


def test_memory_bomb_is_censored_by_memory(valgrind_box, triangle):
    """Allocation without end is stopped at the memory limit from outside, as censoring.

    The CPU stop is moved out of its way (cpu_floor 5 s, as in the conformance suite): filling
    128 MiB takes 0.3-0.4 s of CPU under valgrind against triangle's CPU stop of about 0.55 s, and
    on a loaded machine the CPU stop can come first (this test failed once beside CI's load)."""
    from effbench.engine import EngineSettings, Evaluator

    small = Evaluator(valgrind_box, valgrind_box.meter, EngineSettings(memory_bytes=128 << 20, cpu_floor=5.0))
    rec = run(
        small,
        triangle,
        """
        def triangle(n):
            hoard = []
            while True:
                hoard.append(bytearray(1 << 24))
    """,
    )
    assert rec.verdict == "censored_memory", rec


def test_huge_output_is_stopped(valgrind_evaluator, triangle):
    """Writing without end hits the file-size limit: stopped with an error, not waited for."""
    rec = run(
        valgrind_evaluator,
        triangle,
        """
        import sys
        def triangle(n):
            block = "x" * (1 << 20)
            while True:
                sys.stdout.write(block)
    """,
    )
    assert rec.verdict in ("error", "killed") and rec.error_type == "OutputLimit"


def test_writes_outside_scratch_do_not_reach_the_host(valgrind_evaluator, triangle):
    """/tmp inside the sandbox is the runner's, not the candidate's: the write is refused, and
    nothing a candidate writes appears on the host."""
    marker = "/tmp/effbench-threat-marker"
    if os.path.exists(marker):
        os.unlink(marker)
    rec = run(
        valgrind_evaluator,
        triangle,
        f"""
        def triangle(n):
            with open({marker!r}, "w") as f:
                f.write("x")
            return n * (n + 1) // 2 if n > 0 else 0
    """,
    )
    assert rec.verdict in ("ok", "error")
    if valgrind_evaluator.sandbox.facts["private_tmp"]:
        assert rec.verdict == "error" and rec.error_type == "PermissionError"
        assert not os.path.exists(marker)


def test_work_in_threads_is_counted(valgrind_evaluator, triangle):
    """A thread's instructions are the candidate's: moving the loop into a thread costs as much."""
    loop = "def work(n):\n    return sum(range(1, n + 1))\n"
    plain = run(valgrind_evaluator, triangle, loop + "def triangle(n):\n    return work(n) if n > 0 else 0\n")
    threaded = run(
        valgrind_evaluator,
        triangle,
        loop
        + textwrap.dedent("""
        import threading
        def triangle(n):
            out = []
            t = threading.Thread(target=lambda: out.append(work(n) if n > 0 else 0))
            t.start(); t.join()
            return out[0]
    """),
    )
    top = len(triangle.levels) - 1
    assert plain.level_costs[top] is not None and threaded.level_costs[top] is not None
    assert threaded.level_costs[top] >= plain.level_costs[top]


def test_precomputing_at_import_time_is_counted(valgrind_evaluator, triangle):
    """Module-level work is part of the cost: a table built at import is not free."""
    lazy = run(valgrind_evaluator, triangle, HONEST)
    eager = run(
        valgrind_evaluator,
        triangle,
        textwrap.dedent("""
        TABLE = [0]
        for i in range(1, 200_001):
            TABLE.append(TABLE[-1] + i)
        def triangle(n):
            return TABLE[n] if n > 0 else 0
    """),
    )
    assert eager.verdict in ("ok", "censored_budget")
    assert eager.efficiency < lazy.efficiency
    if eager.level_costs[0] is not None:
        assert eager.level_costs[0] > 10 * lazy.level_costs[0]


def test_the_guards_own_functions_keep_their_code_and_defaults(valgrind_box):
    """Invariant: a candidate cannot change the code or the defaults of the runner's functions
    (the audit hook binds its refused names and helpers as defaults: replaced, they would let
    ctypes back in and with it the counters' memory). It reaches them through sys.modules."""
    code = """
        import sys
        def f():
            tried, assigned = 0, []
            for module in list(sys.modules.values()):
                for name, value in list(vars(module).items()):
                    if name in ("_refused_import", "_kernel_path", "_make_guard") and type(value) is type(f):
                        for attribute in ("__defaults__", "__kwdefaults__", "__code__"):
                            tried += 1
                            try:
                                setattr(value, attribute, getattr(value, attribute))
                                assigned.append(name + "." + attribute)
                            except RuntimeError:
                                pass
            return [tried, assigned]
        """
    run = run_f(valgrind_box, code)
    tried, assigned = json.loads(run.result)["value"]
    assert tried >= 6 and assigned == [], run.result


def test_honest_code_may_set_defaults_the_standard_library_way(valgrind_box):
    """Invariant: refusing assignments to the runner's functions does not refuse honest code.
    Fault: every __defaults__ assignment was refused, so collections.namedtuple(defaults=...)
    and concurrent.futures.ThreadPoolExecutor (imported through it) failed in the sandbox with
    "assigning __defaults__ is not available"."""
    code = """
        from collections import namedtuple
        from concurrent.futures import ThreadPoolExecutor
        Point = namedtuple("Point", "x y", defaults=(0,))
        def scale(a, k=1):
            return a * k
        def f(n):
            scale.__defaults__ = (3,)
            with ThreadPoolExecutor(2) as pool:
                squares = sum(pool.map(lambda x: x * x, range(n)))
            return [Point(n).y, squares, scale(n)]
        """
    run = run_f(valgrind_box, code, 10)
    assert json.loads(run.result) == {"ok": True, "value": [0, 285, 30]}, run.result


#: a candidate that returns while threads of its own still wait: on an Event, in a sleep, on a
#: Condition (a pool's idle worker), daemon or not (only preloaded modules: see below)
LEFT_WAITING = """
    import threading, time
    gate = threading.Event()
    def f(n):
        threading.Thread(target=gate.wait).start()
        threading.Thread(target=time.sleep, args=(600,), daemon=True).start()
        idle = threading.Condition()
        def worker():
            with idle:
                idle.wait()
        threading.Thread(target=worker).start()
        return n * 2
    """


def _box_without_namespaces(monkeypatch, meter):
    """A local sandbox whose runner has no namespaces of its own (as where ``unshare`` is refused):
    its children share their user and pid space with the runner, as in a container."""
    from effbench.sandboxes import local

    monkeypatch.setattr(local, "namespace_prefix", lambda: ())
    return local.LocalSandbox(meter, workers=1)


def test_a_thread_left_waiting_does_not_hold_the_test(valgrind_box):
    """Invariant: a candidate that returns while threads of its own still wait (an Event, a sleep,
    a Condition; daemon or not) gets its answer and its count, and is not stopped at a limit."""
    run = run_f(valgrind_box, LEFT_WAITING, 21)
    assert run.killed_for is None and run.cost is not None, run
    assert json.loads(run.result) == {"ok": True, "value": 42}


@pytest.mark.parametrize("meter_name", ["valgrind", "time", "perf"])
def test_threads_left_waiting_end_with_their_child_under_every_meter_and_setting(monkeypatch, meter_name):
    """Invariant: threads a candidate left waiting end when its child exits, under every meter and
    wherever the runner runs, and the test is judged on its answer with its count. Fault (a red
    team, 3 of 3 tries): under valgrind the exit goes through valgrind's core, which ends the other
    threads with tkill; the children's filter refused it unless the runner was root in a PID
    namespace of its own, so without namespaces (or as a non-root user, or in a container) the
    child hung until a limit and had no count (killed_for 'wall' at 20 s here on 1442c9b). No
    namespaces here, so the candidate imports only what the runner preloaded. The perf meter's
    plumbing runs with the software event task-clock (no PMU here)."""
    from effbench.meters import perf_selftest
    from effbench.meters.perf import PerfMeter
    from effbench.meters.timing import TimeMeter
    from effbench.meters.valgrind import ValgrindMeter

    if meter_name == "perf" and not perf_selftest("task-clock").get("ok"):
        pytest.skip("perf_event_open is not permitted on this machine (perf_event_paranoid)")
    meter = {"valgrind": ValgrindMeter, "time": TimeMeter, "perf": lambda: PerfMeter("task-clock")}[meter_name]()
    with _box_without_namespaces(monkeypatch, meter) as box:
        limits = Limits(wall_seconds=20, cpu_seconds=10)
        for _ in range(2):
            run = box.run(TestRequest(textwrap.dedent(LEFT_WAITING), "f", [21], limits))
            assert run.killed_for is None and run.cost is not None and run.meter_anomaly is None, run
            assert json.loads(run.result) == {"ok": True, "value": 42}


def test_work_a_thread_does_after_the_return_is_counted(valgrind_box):
    """Invariant: what a thread the candidate started keeps doing after its function returned is
    part of the test's count, as if the function had done it itself: a candidate cannot move work
    past its return (the child exits only after the thread lets go, or is stopped at a limit), and
    nothing of it outlives the child to feed a later answer (every test is a new process)."""
    spin = """
        import threading
        def work():
            x = 0
            for i in range(200_000):
                x += i
        def f(n):
            {call}
            return n
    """
    inline = run_f(valgrind_box, spin.replace("{call}", "work()"), 1)
    later = run_f(valgrind_box, spin.replace("{call}", "threading.Thread(target=work).start()"), 1)
    assert json.loads(inline.result) == json.loads(later.result) == {"ok": True, "value": 1}
    assert inline.cost is not None and later.cost is not None, (inline, later)
    assert later.cost.value >= 0.99 * inline.cost.value, (inline.cost, later.cost)


def test_a_child_past_the_thread_limit_fails_at_once_naming_it(valgrind_box):
    """Invariant: a child that tries to run more threads at once than the sandbox allows (63, the
    main thread included: valgrind's --max-threads=64) fails at once with a reason naming the
    limit. An honest program gets a RuntimeError it may catch at the thread past it; one that
    reaches the original thread start anyway is stopped by valgrind with no count, which the host
    reads in valgrind's log. Fault: valgrind stopped the child, the message said only 'no count
    for the test child', and the runner was held COUNT_WAIT (15 s) waiting for one."""
    from effbench.meters.valgrind import MAX_THREADS

    honest = """
        import threading
        def f(n):
            gate = threading.Event()
            started, why = 0, ""
            try:
                for _ in range(n):
                    threading.Thread(target=gate.wait).start()
                    started += 1
            except RuntimeError as exc:
                why = str(exc)
            gate.set()
            return [started, why]
    """
    run = run_f(valgrind_box, honest, 100)
    started, why = json.loads(run.result)["value"]
    assert started == MAX_THREADS - 2 and f"thread limit is {MAX_THREADS - 1} threads" in why, run
    assert run.cost is not None
    uncaught = run_f(valgrind_box, honest.replace("except RuntimeError", "except ZeroDivisionError"), 100)
    assert json.loads(uncaught.result)["error_type"] == "RuntimeError", uncaught
    reaching_around = """
        import _thread, time
        def f(n):
            start = _thread.start_new_thread.__defaults__[1]  # the runner's original function
            for _ in range(n):
                start(time.sleep, (5,))
            return n
    """
    run = run_f(valgrind_box, reaching_around, 100)
    assert run.cost is None and not run.result, run
    assert f"more than {MAX_THREADS - 1} threads at once (the sandbox's thread limit" in run.meter_anomaly, run


def test_a_child_past_the_thread_limit_is_stopped_from_outside_under_the_time_meter():
    """Invariant: without valgrind's own limit (time and perf meters), a child that reaches around
    the runner's refusal and runs more threads than the sandbox allows is stopped from outside
    (the runner's poll) and fails naming the limit, and an honest one gets the runner's refusal as
    under valgrind. Fault: there was no thread limit at all under time and perf: threads use up
    pids (a few hundred thousand at most machine-wide, 32,768 here), and a candidate could start
    thousands."""
    from effbench.engine import _observed_by_the_runner
    from effbench.meters.timing import TimeMeter
    from effbench.meters.valgrind import MAX_THREADS
    from effbench.sandboxes.local import LocalSandbox
    from effbench.verdicts import ErrorKind, Verdict

    reaching_around = """
        import _thread, time
        def f(n):
            start = _thread.start_new_thread.__defaults__[1]  # the runner's original function
            for _ in range(n):
                start(time.sleep, (30,))
            time.sleep(2)  # long enough for the runner's poll (every 5 ms) to see them
            return n
    """
    honest = "import threading\ndef f(n):\n    gate = threading.Event()\n    for _ in range(n):\n"
    honest += "        threading.Thread(target=gate.wait, daemon=True).start()\n    return n\n"
    limits = Limits(wall_seconds=60, cpu_seconds=30)
    with LocalSandbox(TimeMeter(), workers=1) as box:
        run = box.run(TestRequest(textwrap.dedent(reaching_around), "f", [100], limits))
        refused = box.run(TestRequest(honest, "f", [100], limits))
    assert run.killed_for == "threads", run
    verdict, _, error_type, reason = _observed_by_the_runner(run, limits)
    assert verdict == Verdict.ERROR and error_type == ErrorKind.THREAD_LIMIT
    assert f"more than {MAX_THREADS - 1} threads at once" in reason
    assert refused.killed_for is None and f"thread limit is {MAX_THREADS - 1} threads" in refused.result, refused


def test_honest_code_may_use_the_standard_librarys_concurrency(valgrind_box):
    """Invariant: the standard library's concurrency works in the sandbox: asyncio (its import
    turns a generator function into a coroutine with types.coroutine, whose standard version copies
    its code with one more flag and assigns it: a code.__new__ and a __code__ assignment the audit
    hook refuses, 'code.__new__ is not available in the sandbox' on 1442c9b; the children's
    types.coroutine wraps it instead), asyncio.to_thread and concurrent.futures' thread pool."""
    code = """
        import asyncio
        from concurrent.futures import ThreadPoolExecutor
        async def square(x):
            await asyncio.sleep(0)
            return x * x
        def f(n):
            async def main():
                squares = await asyncio.gather(*(square(i) for i in range(n)))
                return [sum(squares), await asyncio.to_thread(sum, range(n))]
            with ThreadPoolExecutor(2) as pool:
                pooled = sum(pool.map(abs, range(n)))
            return asyncio.run(main()) + [pooled]
    """
    run = run_f(valgrind_box, code, 10)
    assert json.loads(run.result) == {"ok": True, "value": [285, 45, 45]}, run


def test_types_coroutine_makes_no_code_object(valgrind_box):
    """Invariant: no code object is made or assigned in a child, types.coroutine included. An
    allowance in the audit hook for the standard types.coroutine's own code.replace (27c7165) let
    a red team's fake function, whose ``__setattr__`` was a chain of C callables, run
    ``code.replace`` with fields of its own from types.coroutine's frame: forged bytecode read and
    wrote the process's memory and rewound valgrind's count (reward 1.866 against the expert's
    1.000). The children's types.coroutine wraps a generator function instead of rewriting it,
    and what it returns is still awaitable."""
    code = """
        import asyncio, functools, operator, types
        def f():
            made = set()
            def donor():
                yield 2
            def victim():
                yield  # a bare yield, as asyncio's own sleep(0) does
            original = victim.__code__
            class Fake:
                def __call__(self):
                    pass
                @property
                def __class__(self):
                    return types.FunctionType
                @property
                def __code__(self):
                    return donor.__code__
                __setattr__ = functools.partial(made.update, map(operator.methodcaller(
                    "replace", co_consts=(), co_flags=donor.__code__.co_flags | 0x100), [donor.__code__]))
            refused = []
            for attempt in (
                lambda: types.coroutine(Fake()),
                lambda: donor.__code__.replace(co_flags=donor.__code__.co_flags | 0x100),
                lambda: setattr(victim, "__code__", donor.__code__),
            ):
                try:
                    attempt()
                except Exception as exc:
                    refused.append(type(exc).__name__)
            wrapped = types.coroutine(victim)
            async def main():
                return await wrapped()
            return [len(made), refused, victim.__code__ is original, wrapped is not victim,
                    asyncio.run(main()) is None]
    """
    run = run_f(valgrind_box, code)
    expected = [0, ["RuntimeError", "RuntimeError"], True, True, True]
    assert json.loads(run.result) == {"ok": True, "value": expected}, run.result


def test_the_scratch_folders_own_metadata_never_reaches_a_later_child(valgrind_box):
    """Invariant: every child starts in a new, empty scratch folder. Its owner may set the folder's
    own times and extended attributes; a later child (the next test, sample or candidate) must see
    neither (a red team stashed each answer in a ``user.*`` attribute of ``.`` and scored 1.63
    against the expert's 1.0)."""
    stash = """
        import os
        def f():
            os.utime(".", (1, 1))
            try:
                os.setxattr(".", "user.stash", b"the answer")
                return True
            except OSError:
                return False  # a file system without user attributes: the times still tell
    """
    read = """
        import os
        def f():
            return [os.listxattr("."), int(os.stat(".").st_atime), int(os.stat(".").st_mtime)]
    """
    first = run_f(valgrind_box, stash)
    assert first.exit_code == 0 and json.loads(first.result)["ok"], first.stderr_tail
    for _ in range(3):  # whichever runner of the pool serves the next request
        seen = json.loads(run_f(valgrind_box, read).result)["value"]
        assert seen[0] == [] and seen[1] != 1 and seen[2] != 1, seen


#: what a child can see of its own sandbox and scratch folder, then leaves behind for a later one
SANDBOX_VIEW = """
import os
def f():
    status = dict(line.split(":", 1) for line in open("/proc/self/status").read().splitlines())
    try:
        import ctypes
        ffi = "available"
    except ImportError:
        ffi = "refused"
    seen = [sorted(os.listdir(".")), os.listxattr("."), int(os.stat(".").st_mtime) == 1, os.getuid(),
            status["Seccomp"].strip(), status.get("Seccomp_filters", "").strip(), status["NoNewPrivs"].strip(),
            status["CapEff"].strip(), ffi]
    with open("left.txt", "w") as out:
        out.write("an earlier repeat was here")
    os.utime(".", (1, 1))
    try:
        os.setxattr(".", "user.stash", b"the answer")
    except OSError:
        pass
    return seen
"""


def test_every_repeat_runs_sandboxed_in_a_new_scratch_folder_under_the_time_meter(valgrind_box):
    """Invariant: under the time meter, whose children set themselves up before they are let go
    (sandbox/runner.py, _child's ``early``), every repeat's child runs as the valgrind meter's
    does (set up after its release): the same user, both seccomp filters and no-new-privileges in
    place, no capabilities, ctypes refused, in a new, empty scratch folder whose files, times and
    attributes an earlier repeat of the same request set do not reach it."""
    from effbench.meters.timing import TimeMeter
    from effbench.sandboxes.local import LocalSandbox

    limits = Limits(wall_seconds=60, cpu_seconds=30)
    late = valgrind_box.run(TestRequest(SANDBOX_VIEW, "f", [], limits))
    assert late.exit_code == 0, late.stderr_tail
    expected = json.loads(late.result)["value"]
    assert expected[0] == ["output.txt"] and expected[1:3] == [[], False], expected
    # the filters: the worker's (inherited) and the child's own (where the kernel counts them)
    assert expected[4] == "2" and expected[5] in ("", "2"), expected
    assert expected[6:] == ["1", "0000000000000000", "refused"], expected
    with LocalSandbox(TimeMeter(repeats=3), workers=1) as box:
        for _ in range(2):
            run = box.run(TestRequest(SANDBOX_VIEW, "f", [], limits, 3))
            assert run.exit_code == 0 and run.other_results == [], (run.result, run.other_results)
            assert json.loads(run.result)["value"] == expected


def test_every_repeats_answer_is_judged():
    """Invariant: under a meter that repeats a test, each repeat's answer is checked, not only the
    one that decides the verdict. A candidate answering only where its pid is odd (consecutive
    repeats alternate) is wrong whichever repeat comes first (before, only the first repeat's
    answer was read: a red team answered in the first repeat only and returned None in the rest,
    for a median cost near 0 and a reward of 1.6 against the expert's 1.0)."""
    from effbench.engine import EngineSettings, Evaluator
    from effbench.meters.timing import TimeMeter
    from effbench.problems import load_problem_set
    from effbench.sandboxes.local import LocalSandbox

    from .conftest import MINI

    triangle = load_problem_set(MINI).get("triangle")
    alternating = "import os\ndef triangle(n):\n    return sum(range(1, n + 1)) if os.getpid() % 2 else None\n"
    with LocalSandbox(TimeMeter(repeats=3), workers=1) as box:
        ev = Evaluator(box, box.meter, EngineSettings())
        honest = ev.evaluate(triangle, HONEST, model="honest")
        rec = ev.evaluate(triangle, alternating, model="hostile")
    assert honest.verdict == "ok"
    assert rec.verdict == "wrong" and not rec.passed, rec.tests[-1]


def test_a_repeat_that_answers_otherwise_decides_the_verdict(triangle):
    """Invariant (the judging side, exactly): a run whose deciding repeat answered right but
    another repeat answered wrong, or wrote no answer, is judged by that other answer."""
    from effbench.engine import classify
    from effbench.sandboxes.base import TestRun
    from effbench.verdicts import Verdict

    test = triangle.level_tests(0)[0]
    (n,) = test.args
    right = json.dumps({"ok": True, "value": n * (n + 1) // 2})
    limits = Limits(wall_seconds=60, cpu_seconds=30)
    expected = n * (n + 1) // 2
    clean = TestRun(result=right, exit_code=0)
    assert classify(clean, test, expected, triangle, limits)[0] is Verdict.OK
    wrong = TestRun(result=right, exit_code=0, other_results=[json.dumps({"ok": True, "value": None})])
    assert classify(wrong, test, expected, triangle, limits)[0] is Verdict.WRONG
    silent = TestRun(result=right, exit_code=0, other_results=[None])
    assert classify(silent, test, expected, triangle, limits)[0] is Verdict.ERROR


def test_no_repeat_finds_an_earlier_repeats_answer_in_memory(monkeypatch):
    """Invariant: a repeat's child holds no record of an earlier repeat (every child of a request is
    forked before any runs). A red team walked the frames up to the runner's and read the first
    repeat's answer in the later ones: every answer right, a median cost near 0, a reward of 1.5-1.7
    against the expert's 1.0 under the time meter, with or without a shared baseline."""
    from effbench.meters.timing import TimeMeter
    from effbench.sandboxes import protocol
    from effbench.sandboxes.local import LocalSandbox

    looking = """
        import sys
        def f():
            found = []
            frame = sys._getframe()
            while frame is not None:
                for value in list(frame.f_locals.values()):
                    for item in value if isinstance(value, list) else ():
                        if isinstance(item, dict) and isinstance(item.get("test"), dict):
                            found.append(str(item["test"].get("result"))[:60])
                frame = frame.f_back
            return found
    """
    seen = []
    real = protocol.to_test_run
    monkeypatch.setattr(protocol, "to_test_run", lambda m, w, pairs: seen.append(pairs) or real(m, w, pairs))
    for shared in (True, False):
        with LocalSandbox(TimeMeter(repeats=3, shares_baseline=shared), workers=1) as box:
            box.run(TestRequest(textwrap.dedent(looking), "f", [], Limits(wall_seconds=60, cpu_seconds=30), 3))
        answers = [json.loads(pair["test"]["result"])["value"] for pair in seen[-1]]
        assert answers == [[], [], []], (shared, answers)


#: what a child can see of pids: its own, its parent's, a new thread's native id, the last pid the
#: kernel handed out (/proc/loadavg), the processes it can list
PID_VIEW = """
import os, threading
def f():
    ids = []
    t = threading.Thread(target=lambda: ids.append(threading.get_native_id()))
    t.start()
    t.join()
    try:  # gone where /proc has only the processes' folders (subset=pid)
        with open("/proc/loadavg") as f:
            last = f.read().split()[-1]
    except FileNotFoundError:
        last = None
    return [os.getpid(), os.getppid(), threading.get_native_id(), ids, last, sorted(os.listdir("/proc"))[:20]]
"""

#: a candidate that uses up ``n`` pids (one per thread)
PID_SPENDER = """
import threading
def f(n):
    for _ in range(n):
        t = threading.Thread(target=len, args=((),))
        t.start()
        t.join()
    return n
"""


def test_no_candidate_passes_information_to_a_later_one_through_pids():
    """Invariant: the pids a child sees (its own, its parent's, its threads', the kernel's last
    one, the processes it can list) are the same whatever the requests before it did. Threat: a
    candidate that starts k threads uses up k pids, so every later process got pids k higher:
    a sample could pass a counted answer (k) to a later sample, which then answered without
    paying. Locally every fork and each child's start set ns_last_pid (the runner's own PID
    namespace), so each process's pid follows from its place in the runner alone."""
    views = views_after_spending(PID_SPENDER, PID_VIEW)
    assert views[0] == views[1], views


def test_no_sample_passes_information_to_a_later_one_through_how_many_requests_it_used():
    """Invariant: the pids a child sees (its own, its parent's, its threads', the kernel's last
    one, the processes it can list) are the same whatever NUMBER of requests ran before it on its
    runner. Threat: worker number k was pid 10000 + (k % 64) * 256, so the pids told a child its
    request's place in the runner; a sample decides how many requests it uses (the engine stops
    it at its first failing test), so it could move the place of every later sample on that
    runner and pass it bits (a red team's probe scored 1.994 against the expert's 1.0). Locally
    every worker is now the same pid, forked once the previous one has exited."""
    views = views_after_spending(PID_SPENDER, PID_VIEW, donors=([0], [0, 0, 0]))
    assert views[0] == views[1], views


def views_after_spending(spender: str, view: str, donors: tuple[list[int], ...] = ([0], [37]), make_box=None) -> list:
    """What ``view``'s ``f()`` returns (measured: a count, no meter anomaly) in a fresh one-worker
    runner (valgrind) after one request of ``spender``'s ``f(n)`` per ``n`` of each of ``donors``
    (default: ``f(0)`` in one runner, ``f(37)`` in another). ``make_box``: makes that runner's
    sandbox (default: the local backend's, and skips where it has no namespaces of its own: no
    fixed pids, no mounts of its own; another backend's is never skipped)."""
    from effbench.meters.valgrind import ValgrindMeter
    from effbench.sandboxes.local import LocalSandbox

    limits = Limits(wall_seconds=60, cpu_seconds=30)
    views = []
    for spent in donors:
        with make_box() if make_box else LocalSandbox(ValgrindMeter(), workers=1) as box:
            if make_box is None and not box.facts["fixed_pids"]:
                pytest.skip("the local sandbox has no namespaces of its own here")
            for n in spent:
                assert box.run(TestRequest(textwrap.dedent(spender), "f", [n], limits)).result
            run = box.run(TestRequest(textwrap.dedent(view), "f", [], limits))
            assert run.cost is not None and run.meter_anomaly is None, run
            views.append(json.loads(run.result)["value"])
    return views


#: a candidate that makes ``n`` files in its scratch folder (each takes an inode number)
FILE_SPENDER = """
def f(n):
    for i in range(n):
        open(str(i), "w").close()
    return n
"""

#: what a child can see of its scratch folder's inode numbers
INODE_VIEW = """
import os
def f():
    open("new", "w").close()
    return [os.stat(".").st_ino, os.stat("output.txt").st_ino, os.stat("new").st_ino]
"""


def test_no_candidate_passes_information_to_a_later_one_through_inode_numbers():
    """Invariant: the inode numbers of a child's scratch folder and of the files in it are the same
    whatever the requests before it made. Threat: the scratch folders shared one tmpfs, whose
    inode counter every file advanced, so a candidate that made k files moved the next child's
    numbers by k (19 after none, 56 after 37): a channel from one sample to a later one, like the
    pids. Where the runner may mount (as for fixed pids), each scratch folder is a tmpfs of its
    own. (Pipe and socket inode numbers come from a machine-wide counter: not closed.)"""
    views = views_after_spending(FILE_SPENDER, INODE_VIEW)
    assert views[0] == views[1], views


#: a candidate that reads its worker's and the zygote's /proc/PID/stat, its own, and lists /proc
RUNNER_PROC_VIEW = """
    import os
    def f():
        seen = []
        for pid in (os.getppid(), 1):
            try:
                with open(f"/proc/{pid}/stat") as fh:
                    seen.append(fh.read()[:20])
            except OSError as exc:
                seen.append(type(exc).__name__)
        with open("/proc/self/stat") as fh:
            own = int(fh.read().split()[0]) == os.getpid()
        return [seen, own, sorted(p for p in os.listdir("/proc") if p.isdigit()) == [str(os.getpid())]]
"""
#: RUNNER_PROC_VIEW's answer where /proc hides every other process: neither runner process is
#: there, its own is, and /proc lists only its own pid
RUNNER_PROC_HIDDEN = [["FileNotFoundError", "FileNotFoundError"], True, True]


def test_no_candidate_reads_the_proc_files_of_the_runners_processes(valgrind_box):
    """Invariant: a test child sees no other process's /proc files, only its own. Threat: the
    zygote's ``/proc/PID/stat`` sums the page faults, CPU times and start times of every worker it
    reaped: an earlier request moved its ``cminflt`` by exactly the pages it touched, and a red
    team's probe answered right only after a sample of its own had set it (reward 0.67 against 0
    alone). /proc is mounted with hidepid=invisible where the runner may mount it."""
    if not valgrind_box.facts["fixed_pids"]:  # the same condition: a PID namespace of its own, root in it
        pytest.skip("the local sandbox has no namespaces of its own here")
    assert valgrind_box.facts["hidden_processes"]
    value = json.loads(run_f(valgrind_box, RUNNER_PROC_VIEW).result)["value"]
    assert value == RUNNER_PROC_HIDDEN, value


def test_no_candidate_reads_the_machines_counters(valgrind_box):
    """Invariant: a test child reads no machine-wide counter: /proc has only the processes'
    folders (subset=pid) and /sys is empty, where the runner may mount. Threat: /proc/stat's fork
    and context-switch counts, /proc/vmstat's page faults, /proc/meminfo's cached memory,
    /proc/sys/fs's inode and file counts, the cgroups' memory use and the disks' statistics are
    moved by every process; on a quiet machine an earlier sample moved them by amounts of its
    choosing (threads started, pages touched, files made) and a later sample read them back: a
    channel from one sample to another, like the pids. The runner keeps its fixed pids (it is
    handed ns_last_pid before /proc/sys goes) and the child its own /proc files. /dev is a
    container's (the machine's kernel log device among the others is gone)."""
    if not valgrind_box.facts["fixed_pids"]:  # the same condition: a PID namespace of its own, root in it
        pytest.skip("the local sandbox has no namespaces of its own here")
    assert valgrind_box.facts["hidden_machine_files"]
    code = """
        import os
        MACHINE = ("/proc/stat", "/proc/vmstat", "/proc/meminfo", "/proc/loadavg", "/proc/uptime",
                   "/proc/interrupts", "/proc/diskstats", "/proc/sys/fs/inode-nr", "/proc/sys/fs/file-nr",
                   "/proc/sys/kernel/ns_last_pid", "/proc/pressure/memory", "/proc/net/dev",
                   "/sys/fs/cgroup/memory/memory.usage_in_bytes", "/sys/fs/cgroup/memory.current",
                   "/sys/devices/system/cpu/online", "/sys/block/vda/stat", "/dev/kmsg")
        def f():
            read = []
            for path in MACHINE:
                try:
                    with open(path) as fh:
                        fh.read()
                    read.append(path)
                except OSError:
                    pass
            with open("/proc/self/status") as fh:
                own = "Pid:" in fh.read()
            with open("/dev/null", "w") as fh:
                fh.write("x")
            return [read, sorted(os.listdir("/proc")), os.listdir("/sys"), own, os.cpu_count() >= 1,
                    sorted(os.listdir("/dev"))]
    """
    run = run_f(valgrind_box, code)
    value = json.loads(run.result)["value"]
    assert value[0] == [] and value[2] == [] and value[3:5] == [True, True], value
    # a container's /dev: none of the machine's other devices (its kernel log, disks, consoles)
    devices = ["fd", "full", "null", "random", "shm", "stderr", "stdin", "stdout", "tty", "urandom", "zero"]
    assert value[5] == devices, value
    assert sorted(value[1]) == sorted(["self", "thread-self", *[p for p in value[1] if p.isdigit()]]), value


#: a donor that names an AF_UNIX socket after its data (an abstract name) and keeps it alive past
#: its own exit: the socket and a pair's two ends in flight to itself (SCM_RIGHTS), a cycle only
#: the kernel's collector frees; and a receiver that reads the names in /proc/self/net/unix
SOCKET_STASH = """
import array, socket
def f(secret):
    refused = []
    a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.bind(b"\\0stash:" + secret.encode())
    except OSError as exc:
        refused.append(type(exc).__name__)
    try:
        for fd in (s.fileno(), a.fileno(), b.fileno()):
            a.sendmsg([b"x"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [fd]))])
    except OSError as exc:
        refused.append(type(exc).__name__)
    a.send(b"plain")  # a socket pair still carries data within the child
    return refused + [b.recv(16).decode()]
"""
SOCKET_READ = """
def f():
    with open("/proc/self/net/unix") as fh:
        return [line.split("@stash:", 1)[1].strip() for line in fh if "@stash:" in line]
"""


def test_no_sample_leaves_data_for_a_later_one_in_a_socket_that_outlives_it(valgrind_box):
    """Invariant: nothing a child makes outlives it, sockets included: a test child may not name
    a socket (bind) nor send descriptors (sendmsg, sendmmsg), and a socket pair still works
    within it. Threat: a red team bound a socket to an abstract name holding an answer and put it
    in flight to itself with SCM_RIGHTS, a cycle that outlived the child for seconds; a later
    sample read the name in /proc/self/net/unix and answered without working (eff 1.569 under
    valgrind; 1.645 under the time meter, where a test's first repeat stashed its answer for the
    other repeats). The runner's network namespace is shared by all its requests."""
    donor = run_f(valgrind_box, SOCKET_STASH, "the answer is 42")
    assert json.loads(donor.result)["value"] == ["PermissionError", "PermissionError", "plain"], donor.result
    receiver = run_f(valgrind_box, SOCKET_READ)
    assert json.loads(receiver.result)["value"] == [], receiver.result


def test_no_sample_learns_how_many_requests_its_runner_served_from_the_worker_frames():
    """Invariant: nothing a child can reach in the worker's frames counts the requests before it.
    Threat: the request (and its id, the host's request counter) is a local of the worker's
    frames, which a child reaches by walking up from sys._getframe(); a sample chooses how many
    requests it uses (it stops at its first failing test), so the id passed a chosen number to
    every later sample on the runner (a red team read ids 2 and 4 after 1 and 3 requests). Ids
    are random now: four requests in a row never carry consecutive numbers."""
    code = """
        import sys
        def f():
            frame = sys._getframe()
            while frame is not None:
                request = frame.f_locals.get("request")
                if isinstance(request, dict):
                    return request.get("id")
                frame = frame.f_back
            return None
    """
    from effbench.meters.timing import TimeMeter
    from effbench.sandboxes.local import LocalSandbox

    with LocalSandbox(TimeMeter(repeats=1), workers=1) as box:  # one runner: every request on it
        ids = [json.loads(run_f(box, code).result)["value"] for _ in range(4)]
    assert all(isinstance(i, str) and len(i) == 12 for i in ids), ids
    steps = {int(b) - int(a) for a, b in zip(ids, ids[1:])}
    assert steps != {1}, ids


#: a candidate whose first repeat writes its answer into the later repeats' resource limits (they
#: are forked and set up before it runs, with its uid and the next pids) and whose later repeats
#: answer from it: every cost but the first 0 under the time meter (a red team's eff 1.70)
SIBLING_STASH = """
import fcntl, os, resource
MARK = 1 << 62
RLIMIT_LOCKS = 10  # not in the resource module; unused by the kernel
def f(answer):
    soft, _ = resource.getrlimit(RLIMIT_LOCKS)
    if soft != resource.RLIM_INFINITY and soft & MARK:
        return ["read from a sibling", soft & (MARK - 1)]
    refused = []
    me = os.getpid()
    attempts = [
        lambda p: resource.prlimit(p, RLIMIT_LOCKS, (MARK | answer, resource.RLIM_INFINITY)),
        lambda p: os.setpriority(os.PRIO_PROCESS, p, 7),
        lambda p: os.sched_setaffinity(p, {0}),
        lambda p: os.sched_setscheduler(p, os.SCHED_BATCH, os.sched_param(0)),
        lambda p: os.setpriority(os.PRIO_USER, os.getuid(), 7),
        lambda p: os.setpriority(os.PRIO_PGRP, 0, 7),
    ]
    for attempt in attempts:
        for p in range(me + 1, me + 4):
            try:
                attempt(p)
                refused.append("done")
            except OSError as exc:
                refused.append(type(exc).__name__)
    r, w = os.pipe()
    try:
        fcntl.fcntl(r, fcntl.F_SETOWN, me + 1)
        refused.append("done")
    except OSError as exc:
        refused.append(type(exc).__name__)
    # its own process: allowed as before
    resource.prlimit(0, RLIMIT_LOCKS, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
    resource.prlimit(me, RLIMIT_LOCKS, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
    os.setpriority(os.PRIO_PROCESS, 0, min(19, os.getpriority(os.PRIO_PROCESS, 0) + 1))
    os.sched_setaffinity(0, os.sched_getaffinity(0))
    return sorted(set(refused))
"""


def test_no_repeat_changes_a_later_repeat_of_its_test():
    """Invariant: a test child can change no other process, not even its own test's later repeats
    (forked and set up before the first runs, with the same uid and the next pids): not their
    resource limits, priorities, scheduling or CPU affinity, not through a descriptor's I/O
    signal (F_SETOWN); its own, as before. Threat: a red team's first repeat wrote its answer into
    the later repeats' RLIMIT_LOCKS with prlimit (the kernel checks no more than the uid) and
    they answered from it: every cost but the first 0 under the time meter, eff 1.70 against the
    expert's 1.1; F_SETOWN and a write sent SIGIO to a waiting repeat, which died, and the
    request failed as the harness's, unscored."""
    from effbench.meters.timing import TimeMeter
    from effbench.sandboxes.local import LocalSandbox

    with LocalSandbox(TimeMeter(repeats=3), workers=1) as box:
        run = box.run(
            TestRequest(textwrap.dedent(SIBLING_STASH), "f", [42], Limits(wall_seconds=60, cpu_seconds=30), 3)
        )
    assert run.infra_error is None and run.result is not None, run
    assert json.loads(run.result) == {"ok": True, "value": ["PermissionError"]}, run.result


def test_no_sample_learns_how_many_children_ran_before_it_from_its_autogroup(valgrind_box):
    """Invariant: /proc/self/autogroup reads the same in every request of a runner. Threat: each
    child started a session (setsid), whose scheduler autogroup's id came from a machine-wide
    counter every earlier child had advanced (by 2 per valgrind request): how many requests ran
    before, which a sample chooses (a red team decoded a donor's choice mod 3 in 7 of 9 trials).
    A child now makes a process group of its own, not a session."""
    code = """
        def f():
            with open("/proc/self/autogroup") as fh:
                return fh.read().split()[0]
    """
    seen = {json.loads(run_f(valgrind_box, code).result)["value"] for _ in range(3)}
    assert len(seen) <= 2, seen  # the session of each of the box's two runners


def test_no_child_leaves_a_time_of_its_choosing_on_the_runners_tmp():
    """Invariant: nothing a child reads changes what a later child sees of the runner's /tmp.
    Threat: /tmp was mounted relatime, so a child listing it set its access time past its
    modification time (a bit, and a time of its choosing, for every later request); /tmp is
    mounted noatime now."""
    from effbench.meters.timing import TimeMeter
    from effbench.sandboxes.local import LocalSandbox

    code = """
        import os
        def f():
            st = os.stat("/tmp")
            os.listdir("/tmp")
            return [st.st_atime_ns, os.stat("/tmp").st_atime_ns]
    """
    with LocalSandbox(TimeMeter(repeats=1), workers=1) as box:
        if not box.facts["private_tmp"]:
            pytest.skip("the local sandbox has no private /tmp here")
        first = json.loads(run_f(box, code).result)["value"]
        second = json.loads(run_f(box, code).result)["value"]
    assert first[0] == first[1] == second[0] == second[1], (first, second)


def test_the_cached_bytecode_allowance_takes_no_buffer_another_thread_could_change(valgrind_box):
    """Invariant: marshal.loads is allowed only on the import system's own read of a genuine
    cached-bytecode file, given as ``bytes`` or a view of ``bytes``: never on a mutable buffer.
    Threat: the hook compares the audit event's copy of the bytes with the file, and marshal then
    parses the caller's buffer; a red team rewrote a bytearray from a second thread while the hook
    was in its system calls, loaded bytecode of its own and rewound valgrind's count (reward 1.82
    against the expert's 1.00). A bytearray holding the genuine bytes is refused, race or not."""
    code = """
        import os
        import json.decoder
        from importlib import _bootstrap_external as bootstrap
        def f():
            path = json.decoder.__cached__
            if not os.path.exists(path):
                return "no cached bytecode at " + path
            with open(path, "rb") as fh:
                pyc = fh.read()
            made = []
            for data in (bytearray(pyc[16:]), memoryview(bytearray(pyc))[16:], pyc[16:]):
                try:
                    made.append(type(bootstrap._compile_bytecode(data, "json.decoder", path)).__name__)
                except Exception as exc:
                    made.append(type(exc).__name__)
            return made
    """
    run = run_f(valgrind_box, code)
    value = json.loads(run.result)["value"]
    assert value == ["RuntimeError", "RuntimeError", "code"], value


def test_a_restarted_runner_never_runs_without_the_namespaces_its_facts_promise(monkeypatch):
    """Invariant: every request a local pool answers ran with what the pool's facts say: a runner
    whose first start had namespaces (isolation, hidden folders, private /tmp, fixed pids) never
    answers from a restart without them; such a restart fails as the sandbox's (an
    infrastructure error, or SandboxUnavailable). Threat: each start probes ``unshare`` anew (30 s
    timeout); where the probe failed at a restart (a busy machine, no pids or user namespaces
    left), the runner started with no namespaces for the rest of the pool's life while the facts
    still said hidden: a candidate then listed the hidden problems and references folders."""
    from effbench import paths
    from effbench.errors import SandboxUnavailable
    from effbench.meters.timing import TimeMeter
    from effbench.sandboxes import local

    secret = paths.references_dir()  # hidden by default (the expected answers' code)
    assert os.listdir(secret)
    code = f"""
        import os
        def f():
            try:
                return os.listdir({str(secret)!r})
            except OSError as exc:
                return type(exc).__name__
    """
    with local.LocalSandbox(TimeMeter(), workers=1) as box:
        if box.facts["isolation"] != "namespaces":
            pytest.skip("the local sandbox has no namespaces here")
        assert str(secret) in box.facts["hidden"]
        # hidden: an empty folder over it, or not there at all (a checkout under /tmp is behind the
        # runner's private /tmp); a runner without namespaces lists its files
        hidden = ([], "FileNotFoundError")
        assert json.loads(run_f(box, code).result)["value"] in hidden
        monkeypatch.setattr(local, "namespace_prefix", lambda: ())  # unshare fails from now on
        box._workers[0].stop()  # as after a runner's death or files left in its scratch folder
        seen = []
        for _ in range(2):
            try:
                run = run_f(box, code)
            except SandboxUnavailable:
                continue
            if run.result:
                seen.append(json.loads(run.result)["value"])
        assert box.facts["isolation"] == "namespaces" and str(secret) in box.facts["hidden"]
    assert all(value in hidden for value in seen), seen
