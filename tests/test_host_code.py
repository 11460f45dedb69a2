"""Problem code that runs in effbench's own process (checkers, generator.py's check_input) never hangs it."""

from __future__ import annotations

import json
import threading

import pytest

from effbench import hostcode
from effbench.checkers import run_custom
from effbench.errors import CheckerError, ProblemFormatError
from effbench.importers import _parse_rows, load_dataset_problems
from effbench.problems import _load_module

from .importer_rows import sound_rows

LOOP = "while True:\n    try:\n        pass\n    except BaseException:\n        pass\n"
ROW = sound_rows('def f(x):\n    """Return x."""\n')["enamel"]


@pytest.fixture(autouse=True)
def _short_limit(monkeypatch):
    monkeypatch.setattr(hostcode, "HOST_CODE_SECONDS", 1.0)


def _endless(args, expected, actual):
    while True:
        try:
            pass
        except BaseException:  # noqa: BLE001 - a checker that swallows the stop
            pass


@pytest.mark.parametrize("in_thread", [False, True])
def test_a_custom_checker_that_never_returns_is_a_checker_error_not_a_hang(in_thread):
    """A custom checker that loops (even one catching BaseException) is stopped after HOST_CODE_SECONDS.

    It is a CheckerError saying so, in the main thread and in a worker thread (--workers). Before,
    `effbench problems check` on such a checker.py (or ENAMEL __check) waited forever.
    """
    outcome: list[BaseException] = []

    def call() -> None:
        try:
            run_custom(_endless, [1], 1, 1)
        except BaseException as exc:  # noqa: BLE001 - recorded for the assertion
            outcome.append(exc)

    if in_thread:
        worker = threading.Thread(target=call)
        worker.start()
        worker.join(30)
        assert not worker.is_alive()
    else:
        call()
    assert len(outcome) == 1 and isinstance(outcome[0], CheckerError)
    assert "runs past 1 s" in str(outcome[0])
    assert run_custom(lambda a, e, x: e == x, [1], 2, 2) is True  # a later call is not stopped by a stray stop


@pytest.mark.parametrize(
    "code,message",
    [
        (LOOP, "loading it runs past 1 s"),
        ("raise RuntimeError('boom')\n", "fails when loaded: RuntimeError: boom"),
        ("import sys\nsys.exit(0)\n", "fails when loaded: SystemExit"),
    ],
)
def test_a_problem_file_loaded_on_the_host_that_loops_raises_or_exits_is_named(tmp_path, code, message):
    """Loading a problem's checker.py / generator.py never hangs, ends nor tracebacks effbench.

    It is a ProblemFormatError naming the file. Before, a module-level loop hung `problems check`,
    a raise ended in a traceback, and sys.exit(0) ended effbench with exit 0 and no verdict.
    """
    path = tmp_path / "checker.py"
    path.write_text(code)
    with pytest.raises(ProblemFormatError, match=message) as info:
        _load_module(path, "effbench_test_host_code")
    assert str(path) in str(info.value)


@pytest.mark.parametrize(
    "checker,message",
    [
        (LOOP + ROW["checker"], "checker does not load: its module-level code runs past 1 s"),
        ("import sys\nsys.exit(3)\n" + ROW["checker"], "checker does not load: SystemExit"),
    ],
)
def test_an_enamel_checker_whose_module_code_never_ends_or_exits_skips_its_row(tmp_path, monkeypatch, checker, message):
    """An ENAMEL row whose checker's module-level code loops or exits is one skipped row naming it.

    Before, parsing the file (any command given --dataset) hung forever on the loop, and
    sys.exit ended effbench itself. Parsing now runs none of it: it runs first in the generator's
    limited child (tests/test_importers_red_team.py), where it fails.
    """
    monkeypatch.setenv("EFFBENCH_CACHE_DIR", str(tmp_path / "cache"))
    problems, skipped, anonymous = _parse_rows("enamel", [dict(ROW, checker=checker)], "x.jsonl")
    assert list(problems) == ["T/0"] and not skipped and not anonymous  # nothing of it ran
    path = tmp_path / "x.jsonl"
    path.write_text(json.dumps(dict(ROW, checker=checker)) + "\n")
    warnings: list[str] = []
    with pytest.raises(ProblemFormatError, match="no usable problem"):
        load_dataset_problems(f"enamel:{path}", warn=warnings.append)
    assert len(warnings) == 1 and message in warnings[0] and "x.jsonl: row 0 (T/0): skipped" in warnings[0]


TRACED_AFTER_BOUNDED_CALLS = """
import sys
from effbench import hostcode

hostcode.call_bounded(lambda: 1)  # returns at once: no stop raised
try:
    hostcode.call_bounded(lambda: [0 for _ in iter(int, 1)], seconds=0.2)  # stopped
except hostcode.HostCodeTimeout:
    pass
lines = 0

def trace(frame, event, arg):
    global lines
    lines += event == "line"
    return trace

def work():
    total = 0
    for i in range(1000):
        total += i
    return total

sys.settrace(trace)
total = work()
sys.settrace(None)
print(total, lines > 1000)
"""


def test_code_traced_after_a_bounded_call_runs_as_before():
    """Invariant: a bounded call leaves the interpreter as it found it: code run later, even
    traced with sys.settrace (a debugger, coverage, a test counting lines), runs and ends.
    Before, the call cleared its stop with PyThreadState_SetAsyncExc(id, NULL), which on CPython
    3.11 signals pending events that nothing unsignals: the next traced line looped forever (the
    CI hung 13 minutes in test_reward_red_team's line-counting test after test_host_code)."""
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", TRACED_AFTER_BOUNDED_CALLS], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and out.stdout.split() == ["499500", "True"], (out.stdout, out.stderr[-500:])
