"""The time meter's worker serves many requests (helper-73): what must still hold.

Under valgrind and perf the zygote forks a fresh worker for every request, so that every child
starts from the same interpreter state whatever ran before (their counts depend on it). The time
meter reads CPU time, not a count, so since helper-73 its worker serves up to
``WORKER_REQUESTS`` requests (sandbox/runner.py ``_serve_requests``) and compiles a source only
when it differs from the last one: a fork, a set-up, an exit and a reaping of a worker less per
test (docs/performance.md, "A worker for many requests under the time meter"). The candidate
still only ever runs in a test child forked for its own request. These tests pin what that must
not change: no state crosses from one test's candidate to the next, the worker does not drift
(it makes way for a fresh one when it holds more than ``WORKER_SLACK_KB`` beyond its start, or
after ``WORKER_REQUESTS``), a crashing or killed child leaves the next test as it was, and a
child cannot read how many requests its worker has served.
"""

from __future__ import annotations

import importlib.util
import json
import textwrap

import pytest

from effbench import paths
from effbench.meters.timing import TimeMeter
from effbench.sandboxes import protocol
from effbench.sandboxes.base import Limits, TestRequest
from effbench.sandboxes.local import LocalSandbox


def _load_runner():
    spec = importlib.util.spec_from_file_location("effbench_runner_worker_reuse", paths.runner_path())
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


runner = _load_runner()

LIMITS = Limits(wall_seconds=20, cpu_seconds=5, memory_bytes=256 << 20)

#: a candidate that looks for every trace an earlier candidate could leave, then leaves them all:
#: a builtin, an attribute on a standard module, a module of its own in sys.modules, a file in its
#: scratch folder and in /tmp, a sleeping thread, a forked grandchild (if the filter let it)
LEAVES_TRACES = textwrap.dedent(
    """
    import builtins, json, os, sys, threading, time

    def f(tag):
        seen = []
        if hasattr(builtins, "_left_by_a_candidate"):
            seen.append("builtin")
        if getattr(json, "_left_by_a_candidate", None):
            seen.append("module attribute")
        if "left_by_a_candidate" in sys.modules:
            seen.append("module")
        for path in ("left.txt", "/tmp/left.txt"):
            if os.path.exists(path):
                seen.append("file " + path)
        seen.append(len(os.listdir("/proc/self/task")))
        builtins._left_by_a_candidate = tag
        json._left_by_a_candidate = tag
        sys.modules["left_by_a_candidate"] = json
        for path in ("left.txt", "/tmp/left.txt"):
            try:
                with open(path, "w") as out:
                    out.write(tag)
            except OSError:
                pass
        threading.Thread(target=time.sleep, args=(60,), daemon=True).start()
        try:
            if os.fork() == 0:
                time.sleep(60)
                os._exit(0)
        except OSError:
            pass
        return seen
    """
)

#: what a child can read of its worker's age: its pid, the collector's counters, the integers in
#: the frames of its worker's serving loop (which it can walk up to), and its resident memory
PROBE = textwrap.dedent(
    """
    import gc, os, sys

    def f(*args):
        frames = {}
        frame = sys._getframe()
        while frame is not None:
            if frame.f_code.co_name in ("_serve_requests", "_worker", "_spawn", "serve"):
                frames[frame.f_code.co_name] = sorted(
                    (k, v) for k, v in frame.f_locals.items() if type(v) in (int, bytes, tuple)
                )
            frame = frame.f_back
        with open("/proc/self/status") as status:
            anon = [int(line.split()[1]) for line in status if line.startswith("RssAnon:")][0]
        return [os.getpid(), repr(gc.get_stats()), repr(frames), anon]
    """
)


@pytest.fixture(scope="module")
def box():
    with LocalSandbox(TimeMeter(), workers=1) as sandbox:
        yield sandbox


def _run(box, code, args, limits=LIMITS):
    return box.run(TestRequest(code, "f", args, limits, 1))


def _value(run):
    answer = json.loads(run.result)
    assert answer["ok"], run
    return answer["value"]


def _workers_retired(box) -> int:
    """Workers that answered and were reaped since the runner started (its fences)."""
    (client,) = box._workers
    if not client.facts.get("fixed_pids"):
        pytest.skip("the runner does not fix pids here: no fence tells one worker from the next")
    return client._fences


def test_the_time_meters_worker_serves_many_requests_and_makes_way_after_a_bounded_number(box):
    """Invariant: under the time meter one worker serves consecutive requests (no fresh worker per
    test), and never more than ``WORKER_REQUESTS``: the fixed cost this change removes is paid
    once per many tests, and the worker's age is bounded."""
    _run(box, PROBE, [])
    before = _workers_retired(box)
    for _ in range(10):
        _run(box, PROBE, [])
    assert _workers_retired(box) == before
    for _ in range(runner.WORKER_REQUESTS):
        _run(box, PROBE, [])
    assert _workers_retired(box) == before + 1


def test_no_trace_of_one_tests_candidate_is_seen_by_the_next_on_the_same_worker(box):
    """Invariant: a candidate that sets a builtin, a standard module's attribute, an entry of
    sys.modules, writes a file in its scratch folder and in /tmp, starts a sleeping thread and
    tries to fork leaves none of it to the next test served by the same worker, whether the next
    is the same source (the same sample's next test) or another (another sample): every test
    sees nothing and one thread of its own."""
    _run(box, PROBE, [])
    before = _workers_retired(box)
    other = LEAVES_TRACES.replace("def f(tag):", "def f(tag):\n    tag = tag + '!'")
    for code, tag in ((LEAVES_TRACES, "a"), (LEAVES_TRACES, "b"), (other, "c"), (LEAVES_TRACES, "d")):
        assert _value(_run(box, code, [tag])) == [1], tag
    assert _workers_retired(box) == before  # all on one worker


def test_a_test_child_cannot_read_how_many_requests_its_worker_served(box):
    """Invariant: what a child reads of its worker's age (its pid, gc.get_stats, the integers
    and bytes in the frames of its worker's serving loop) is the same for the first request of a
    fresh worker and for its later ones, across a worker's making way for the next; its resident
    memory at most ``WORKER_SLACK_KB`` apart. Fault it blocks: a counter of requests served, which
    a sample chooses (it stops at its first failing test), is a channel to every later sample."""
    seen = [_value(_run(box, PROBE, [])) for _ in range(runner.WORKER_REQUESTS + 6)]
    assert {tuple(v[:3]) for v in seen} == {tuple(seen[0][:3])}, seen[0]
    anon = [v[3] for v in seen]
    assert max(anon) - min(anon) <= runner.WORKER_SLACK_KB, anon


#: PROBE made longer than the runner compiles inline, so that compiling it forks a child
LONG_PROBE = PROBE + "\n_PAD = " + repr("p" * (runner.INLINE_COMPILE_CHARS + 1000)) + "\n"


def test_a_child_cannot_tell_whether_its_worker_compiled_its_source_for_it(box):
    """Invariant: a test child's pid (and what PROBE reads) is the same whether its worker compiled
    its source for this request or found it cached from an earlier one, for a long source, whose
    compile runs in a child of its own (_compile_in_a_child), as for a short one. Fault it blocks
    (red team, helper-78): that compile child took the block's first pid on the compiling request
    only, so the first test of a long source on a worker saw pid 10002 and its later tests 10001:
    a child could tell its sample's first test on this worker from the later ones."""
    reference = _value(_run(box, PROBE, []))
    for _ in range(3):
        assert _value(_run(box, LONG_PROBE, []))[:3] == reference[:3]
    _run(box, PROBE, [])  # another source in between: the long one is compiled again
    assert _value(_run(box, LONG_PROBE, []))[:3] == reference[:3]


#: what a child can read of the modules its worker imported and the lines it cached
MODULES_PROBE = textwrap.dedent(
    """
    import sys

    def f(*args):
        lines = sys.modules.get("linecache")
        return [sorted(sys.modules), sorted(lines.cache) if lines else None]
    """
)

#: sources whose compile warns (SyntaxWarning for "is" with a literal, DeprecationWarning for an
#: invalid escape), and one that does not compile
COMPILE_SIDE_EFFECTS = (
    "def f(*args):\n    return 1 is 1\n",
    "def f(*args):\n    return '\\d'\n",
    "def f(*args):\n    return (\n",
)


def test_compiling_one_samples_source_leaves_nothing_for_the_next_samples_child(box):
    """Invariant: what compiling a source does in its worker besides making its code (showing a
    compile-time warning, raising a SyntaxError) leaves no trace another sample's child on the
    same worker can read: the modules in its sys.modules and linecache's cache are those after
    null requests. Fault it blocks (red team, helper-78): the worker compiled in its own process,
    and showing a SyntaxWarning imported linecache, token and tokenize there; every later child of
    that worker saw 99 modules instead of 96, a bit one sample sets for every later one."""
    reference = _value(_run(box, MODULES_PROBE, []))
    before = _workers_retired(box)
    for code in COMPILE_SIDE_EFFECTS:
        _run(box, code, [])
        assert _value(_run(box, MODULES_PROBE, [])) == reference, code
    assert _workers_retired(box) == before  # all on one worker


@pytest.mark.parametrize(
    "source",
    ["def f(:\n", "if 1:\n  x\n y\n", "if 1:\n\tx\n        y\n", "x = 1\x00\n", "(" * 300 + ")" * 300],
)
def test_a_source_compiled_apart_fails_as_it_does_compiled_in_the_worker(source):
    """Invariant: a source that does not compile fails with the same error class and message
    compiled in a child of its own (the time meter's worker, compile_candidate's ``apart``) as
    compiled in the worker itself (valgrind, perf): the test child reports both as the
    candidate's error. Fault it blocks: the compiling child's errors came back as SyntaxError
    whatever they were (an IndentationError, a TabError)."""
    here, apart = runner.compile_candidate(source), runner.compile_candidate(source, apart=True)
    assert (type(apart), str(apart)) == (type(here), str(here))


def test_an_error_compiling_apart_has_no_class_of_its_own_comes_back_as_its_nearest():
    """Invariant: an error the worker cannot raise again by its own class (compile() raised a
    UnicodeEncodeError for a lone surrogate) comes back compiled apart as its nearest base class
    the worker knows (ValueError), never as a SyntaxError, which it is not."""
    source = 'x = "\ud800"\n'
    here, apart = runner.compile_candidate(source), runner.compile_candidate(source, apart=True)
    assert type(here) is UnicodeEncodeError
    assert type(apart) is ValueError and str(apart) == str(here)


LARGE_ARGUMENTS = [list(range(400_000))]
#: a source whose folded constants hold about 16 MiB once compiled (see test_padded_source_exit_credit)
PADDED = (
    "".join(f"_P{g} = ({str(g)!r}+" + "+".join('"a"*4096' for _ in range(100)) + ")\n" for g in range(40))
    + "def f(*args):\n    return None\n"
)


def test_a_large_request_leaves_the_next_tests_child_no_more_memory(box):
    """Invariant: after a request whose arguments or compiled source made the worker hold much more
    memory (the allocator keeps what it freed), the next test's child starts with no more resident
    memory than after null requests (within ``WORKER_SLACK_KB``): the worker makes way for a fresh
    one. Fault it blocks: a candidate inflating another sample's memory peak and exit cost by
    making the worker hold memory its child inherits."""
    fresh = max(_value(_run(box, PROBE, []))[3] for _ in range(3))
    for code, args in ((PROBE, LARGE_ARGUMENTS), (PADDED, [])):
        before = _workers_retired(box)
        _run(box, code, args)
        after_large = _value(_run(box, PROBE, []))[3]
        assert after_large <= fresh + runner.WORKER_SLACK_KB, (code[:20], after_large, fresh)
        assert _workers_retired(box) == before + 1


def test_a_crashing_or_killed_test_child_leaves_the_next_test_as_it_was(box):
    """Invariant: a test child that kills itself, segfaults, runs past its CPU-time limit, past its
    memory limit or raises is contained as before (its own verdict), and the next test on the
    same runner answers as a test after null requests does (the same pid, collector counters and
    frames) with the right result."""
    reference = _value(_run(box, PROBE, []))
    hostile = {
        "import os, signal\ndef f():\n    os.kill(os.getpid(), signal.SIGKILL)\n": ("signal", 9),
        "import os, signal\ndef f():\n    os.kill(os.getpid(), signal.SIGSEGV)\n": ("signal", 11),
        "def f():\n    while True:\n        pass\n": ("killed_for", "cpu"),
        "def f():\n    x = [bytearray(1 << 20) for _ in range(400)]\n    return len(x)\n": ("killed_for", "memory"),
    }
    limits = Limits(wall_seconds=20, cpu_seconds=0.5, memory_bytes=64 << 20)
    for code, (field, expected) in hostile.items():
        run = _run(box, code, [], limits)
        assert getattr(run, field) == expected, (code, run)
        after = _value(_run(box, PROBE, []))
        assert after[:3] == reference[:3], code
    assert json.loads(_run(box, "def f():\n    raise ValueError('x')\n", []).result)["error_type"] == "ValueError"
    assert _value(_run(box, "def f(a, b):\n    return a + b\n", [2, 3])) == 5


def test_a_sample_never_runs_an_earlier_samples_compiled_code(box):
    """Invariant: the worker's compiled-code cache answers only the very same source: sources
    alternating A, A, B, A, B on one worker each run their own code with their own arguments."""
    a = "def f(x):\n    return ['a', x]\n"
    b = "def f(x):\n    return ['b', x]\n"
    got = [_value(_run(box, code, [i])) for i, code in enumerate((a, a, b, a, b))]
    assert got == [["a", 0], ["a", 1], ["b", 2], ["a", 3], ["b", 4]]


#: a source whose folded constants hold about 150 kB once compiled, well under WORKER_SLACK_KB
#: with what compiling leaves: the worker keeps serving, and keeps its compiled code for the next
#: request of the same source
SMALL_PADDING = (
    "".join(f"_Q{g} = ({str(g)!r}+" + "+".join('"b"*4096' for _ in range(12)) + ")\n" for g in range(3))
    + "def f(*args):\n    return None\n"
)


def test_a_cached_compiled_source_earns_no_exit_credit(box, monkeypatch):
    """Invariant: when the worker reuses the code it compiled for an earlier request of the same
    source, what it reports held before compiling (``rss_before_code_kb``, the ceiling of the time
    meter's exit credit) does not include that code: a padded source's constants are never
    credited, first request or later (tests/threats/test_padded_source_exit_credit.py)."""
    records: list[dict] = []
    real = protocol.to_test_run

    def keep(meter, worker, pairs):
        records.append(pairs[0]["test"])
        return real(meter, worker, pairs)

    monkeypatch.setattr(protocol, "to_test_run", keep)
    _run(box, PROBE, [])
    before = _workers_retired(box)
    for _ in range(3):
        _run(box, SMALL_PADDING, [])
    assert _workers_retired(box) == before  # one worker: the second and third reused the code
    held = [r["rss_before_code_kb"] for r in records[1:]]
    assert max(held[1:]) <= held[0] + 64, held
