"""Importers of published formats attacked as a careless or hostile user would, and held to the
published meaning of each format. Every file here is a small one in the format, written by us."""

from __future__ import annotations

import json

import pytest

from effbench.checkers import big_int
from effbench.importers import load_dataset_problems
from effbench.importers.generate import GeneratorLimits

from .importer_rows import sound_rows

FAST = GeneratorLimits(seconds=5.0, memory_bytes=512 << 20)

#: a prompt whose solutions need what it defines: an import used in annotations and a helper
HELPED_PROMPT = (
    "from typing import List\n\n\n"
    "def _twice(x: int) -> int:\n"
    "    return 2 * x\n\n\n"
    "def f(xs: List[int]) -> List[int]:\n"
    '    """Each element twice.\n'
    "    >>> f([1, 2])\n"
    "    [2, 4]\n"
    '    """\n'
)
#: a full solution (not a body) that uses the prompt's import and helper without defining them
HELPED_SOLUTION = "def f(xs: List[int]) -> List[int]:\n    return [_twice(x) for x in xs]\n"


@pytest.fixture(autouse=True)
def _private_cache(tmp_path, monkeypatch):
    """Every test generates into its own cache."""
    monkeypatch.setenv("EFFBENCH_CACHE_DIR", str(tmp_path / "cache"))


def _write_jsonl(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def _load(spec, ids=None, **kw):
    warnings: list[str] = []
    ps = load_dataset_problems(spec, ids, warn=warnings.append, limits=kw.pop("limits", FAST), **kw)
    return ps, warnings


def _helped_enamel_row():
    row = sound_rows(HELPED_PROMPT)["enamel"]
    row["input_generator"] = "def generate_input(size, lid, cid):\n    return ([random.randint(0, 9)] * size,)\n"
    row["reference_solution"] = HELPED_SOLUTION
    return row


def _run(code, entry, args):
    scope: dict = {}
    exec(code, scope)  # noqa: S102 - our own test code
    return scope[entry](*args)


# -- faithful import: ENAMEL ---------------------------------------------------------------------


def test_enamel_full_reference_runs_after_the_prompt_as_the_format_runs_it(tmp_path):
    """ENAMEL runs every solution, the reference too, after the row's prompt (its imports and
    helpers): a reference written as a whole function that uses them is the expert, not a
    NameError; so is a candidate's full solution that does the same."""
    ps, warnings = _load(f"enamel:{_write_jsonl(tmp_path / 'helped.jsonl', [_helped_enamel_row()])}")
    assert warnings == []
    p = ps.get("T/0")
    assert _run(p.expert_code, "f", [[1, 2]]) == [2, 4]
    # a body (the published file's shape) still runs after the prompt, once
    body = dict(_helped_enamel_row(), task_id="T/1", reference_solution="    return [_twice(x) for x in xs]\n")
    q = _load(f"enamel:{_write_jsonl(tmp_path / 'body.jsonl', [body])}")[0].get("T/1")
    assert q.expert_code == HELPED_PROMPT + "\n" + body["reference_solution"]
    assert _run(q.expert_code, "f", [[5]]) == [10]
    assert q.runnable(q.expert_code) == q.expert_code
    assert _run(q.runnable(HELPED_SOLUTION), "f", [[3]]) == [6]


def test_enamel_solutions_run_after_the_prompt_in_the_sandbox(tmp_path, valgrind_evaluator):
    """In the sandbox too: the expert and a full solution that use the prompt's import and helper
    pass every test, and the prompt is not run twice for code that already starts with it."""
    p = _load(f"enamel:{_write_jsonl(tmp_path / 'helped.jsonl', [_helped_enamel_row()])}")[0].get("T/0")
    record = valgrind_evaluator.evaluate(p, HELPED_SOLUTION)
    assert record.passed, (record.verdict, record.error_type, record.failed_test)
    assert valgrind_evaluator.evaluate(p, p.expert_code).passed


# -- faithful import: EvalPerf -------------------------------------------------------------------

#: a task with a float answer: the mean of a list; the expert adds left to right
MEAN_PROMPT = 'def mean(xs):\n    """The mean of xs.\n    >>> mean([1.0, 2.0])\n    1.5\n    """\n'
MEAN_EXPERT = "def mean(xs):\n    total = 0.0\n    for x in xs:\n        total += x\n    return total / len(xs)\n"
#: correct, adding right to left: its float differs from the expert's in the last bits
MEAN_REVERSED = (
    "def mean(xs):\n    total = 0.0\n    for x in reversed(xs):\n        total += x\n    return total / len(xs)\n"
)
MEAN_INPUTS = [[[0.1, 0.2, 0.3, 1e-9, 7.7, 1.0 / 3.0]], [[1e16, 1.0, -1e16, 0.5]]]


def _mean_row():
    row = sound_rows(MEAN_PROMPT)["evalperf"]
    row.update(task_id="T/mean", entry_point="mean", reference=[MEAN_EXPERT], pe_input=json.dumps(MEAN_INPUTS[:1]))
    return row


def test_evalperf_float_answers_compare_within_evalplus_tolerance(tmp_path, valgrind_evaluator):
    """EvalPerf judges an answer as EvalPlus does (a float, or a list of floats, within atol 1e-6
    and rtol 1e-7 of the expert's): a correct solution that adds in another order, whose float
    differs from the expert's in the last bits, passes; a wrong one does not."""
    args = MEAN_INPUTS[0][0]
    assert _run(MEAN_REVERSED, "mean", [args]) != _run(MEAN_EXPERT, "mean", [args])  # the premise
    p = _load(f"evalperf:{_write_jsonl(tmp_path / 'mean.jsonl', [_mean_row()])}")[0].get("T/mean")
    assert valgrind_evaluator.evaluate(p, MEAN_REVERSED).passed
    off = MEAN_EXPERT.replace("/ len(xs)", "/ len(xs) + 1e-3")
    assert valgrind_evaluator.evaluate(p, off).verdict == "wrong"


def test_evalperf_answers_are_equal_as_python_equality_says():
    """The EvalPerf checker is EvalPlus's: ``==`` on real values (a tuple is not a list, 1 == 1.0),
    and, for a float or a list or tuple of floats, closeness (NaN matches NaN, infinities only
    themselves, an int past the float range matches nothing)."""
    from effbench.importers.evalperf import evalplus_equal as eq

    assert eq([], (1, 2), (1, 2)) and not eq([], (1, 2), [1, 2]) and not eq([], [1, 2], (1, 2))
    assert eq([], 1.0, 1) and eq([], 1, 1.0) and eq([], {1, 2}, {2, 1}) and not eq([], "1", 1)
    assert eq([], 0.30000000000000004, 0.3) and eq([], 1e9, 1e9 + 50.0) and not eq([], 1e9, 1e9 + 200.0)
    assert eq([], [0.1, 0.2], (0.1 + 1e-9, 0.2)) and not eq([], [0.1, 0.2], [0.1]) and not eq([], [0.1], [0.1, 0.2])
    assert eq([], float("nan"), float("nan")) and eq([], [float("nan")], [float("nan")])
    assert eq([], float("inf"), float("inf")) and not eq([], float("inf"), 1e308) and not eq([], 1.0, 10**400)
    assert not eq([], 1.0, "1.0") and not eq([], [1.0], "a") and not eq([], [[1.0]], [[1.0 + 1e-9]])


# -- hostile input -------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["enamel", "evalperf"])
def test_control_characters_in_a_row_never_reach_the_terminal(tmp_path, fmt):
    """A task id is one line of printable text: one with a newline, an escape sequence or a
    bidirectional override is refused (its row skipped), and every warning about a row is one
    line with such characters escaped, whatever the row's code raises."""
    bad_ids = ["T/\x1b[2Jclear", "T/1\nT/2", "T/\u202eevil", "T/\rback"]
    rows = [dict(sound_rows()[fmt], task_id=tid) for tid in bad_ids]
    rows.append(dict(sound_rows()[fmt], task_id="T/ok"))
    if fmt == "enamel":  # a generator whose error message is an escape sequence and a fake line
        rows.append(
            dict(
                sound_rows()["enamel"],
                task_id="T/raises",
                input_generator="def generate_input(size, lid, cid):\n"
                "    raise ValueError('\\x1b[31mred\\neffbench: all good')\n",
            )
        )
    ps, warnings = _load(f"{fmt}:{_write_jsonl(tmp_path / 'ctrl.jsonl', rows)}")
    assert list(ps.problems) == ["T/ok"]
    assert len(warnings) == len(rows) - 1
    for line in warnings:
        assert line.isprintable(), line
    assert any("\\x1b[2Jclear" in w and "not one line of printable text" in w for w in warnings)
    if fmt == "enamel":
        assert any("T/raises" in w and "\\x1b[31mred\\neffbench: all good" in w for w in warnings)


def _checker_row(task_id, module_code):
    row = dict(sound_rows()["enamel"], task_id=task_id)
    row["checker"] = module_code + row["checker"]
    return row


def test_a_checkers_module_code_that_exits_or_forks_never_ends_or_doubles_effbench(tmp_path):
    """A row's checker whose module-level code calls os._exit(0) or forks (a child that goes on
    as a second effbench) is one skipped row naming why, and the command fails with exit 2 and
    one line; before, os._exit(0) ended `problems list` with exit 0 and no output at all."""
    import subprocess
    import sys

    rows = [
        _checker_row("T/exit", "import os\nos._exit(0)\n"),
        _checker_row("T/fork", "import os\nos.fork()\n"),
    ]
    path = _write_jsonl(tmp_path / "chk.jsonl", rows)
    env = dict(__import__("os").environ, EFFBENCH_CACHE_DIR=str(tmp_path / "c"), EFFBENCH_GENERATOR_SECONDS="10")
    done = subprocess.run(
        [sys.executable, "-m", "effbench", "problems", "list", "--dataset", f"enamel:{path}"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 2, (done.stdout, done.stderr)
    lines = done.stderr.splitlines()
    assert "chk.jsonl: row 0 (T/exit): skipped: its checker does not load: its module-level code ended the process" in (
        done.stderr
    )
    assert "row 1 (T/fork): skipped: its checker does not load: its module-level code starts processes" in done.stderr
    assert lines[-1] == "effbench: error: enamel:chk.jsonl: no usable problem (2 skipped)"
    assert done.stdout == ""


def test_a_checkers_module_code_never_runs_in_effbench_while_a_file_is_parsed(tmp_path, monkeypatch):
    """Parsing rows runs none of their code in effbench's process: a checker's module-level code
    first runs in the generator's limited child (a C-level sleep is stopped at the host-code
    limit, an allocation at the memory limit), and is loaded here only once it passed there."""
    from effbench import hostcode
    from effbench.importers import _parse_rows

    monkeypatch.setattr(hostcode, "HOST_CODE_SECONDS", 1.0)
    marks = tmp_path / "marks"
    marks.mkdir()
    mark = f"import os\nopen(os.path.join({str(marks)!r}, str(os.getpid())), 'w').close()\n"
    rows = [
        _checker_row("T/mark", mark),
        _checker_row("T/sleep", "import time\ntime.sleep(10 ** 6)\n"),
        _checker_row("T/alloc", "table = bytearray(8 << 30)\n"),
        dict(_checker_row("T/none", ""), checker="def __check(i, a, o):\n    return True\n\n\n__check = 3\n"),
    ]
    problems, skipped, anonymous = _parse_rows("enamel", rows, "chk.jsonl")
    assert sorted(problems) == ["T/alloc", "T/mark", "T/none", "T/sleep"] and not skipped and not anonymous
    assert list(marks.iterdir()) == []  # nothing ran
    ps, warnings = _load(f"enamel:{_write_jsonl(tmp_path / 'chk.jsonl', rows)}")
    assert list(ps.problems) == ["T/mark"]
    assert [p.name for p in marks.iterdir()] != [str(__import__("os").getpid())]  # ran in the child
    why = "\n".join(warnings)
    assert "(T/sleep): skipped: its checker does not load: its module-level code runs past 1 s" in why
    assert "(T/alloc): skipped: its checker does not load: MemoryError at the memory limit" in why
    assert "(T/none): skipped: its checker does not load: __check is not a function (int)" in why
    assert ps.get("T/mark").custom_check([[1]], 1, 1) is True  # now loaded here, and it judges
    assert str(__import__("os").getpid()) in [p.name for p in marks.iterdir()]


def test_a_generators_processes_and_files_do_not_outlive_its_row(tmp_path, monkeypatch):
    """What a row's input_generator starts ends with the generation, even a process in a session
    of its own; a file it writes by a relative name lands in a scratch folder that is removed,
    never in the user's working directory. Before, such a process lived on after effbench ended."""
    import time

    from effbench.generator_server import pid_namespaces_work

    if not pid_namespaces_work():
        pytest.skip("this kernel refuses PID namespaces: a process in a session of its own may outlive the row")
    late = tmp_path / "late"
    row = dict(sound_rows()["enamel"], task_id="T/escape")
    row["input_generator"] = (
        "import os, time\n"
        "def generate_input(size, lid, cid):\n"
        "    if lid == 0 and cid == 0:\n"
        "        open('litter.txt', 'w').write('x')\n"
        "        if os.fork() == 0:\n"
        "            os.setsid()\n"
        "            time.sleep(3)\n"
        f"            open({str(late)!r}, 'w').close()\n"
        "            os._exit(0)\n"
        "    return (size,)\n"
    )
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    ps, warnings = _load(f"enamel:{_write_jsonl(tmp_path / 'gen.jsonl', [row])}")
    assert list(ps.problems) == ["T/escape"] and warnings == []
    assert list(work.iterdir()) == []
    time.sleep(6)
    assert not late.exists()


def test_evalperf_inputs_may_hold_integers_of_any_length(tmp_path):
    """An EvalPerf input integer past Python's 4300-digit int() limit is an input like any other,
    in pe_input's JSON text or in the row's own JSON line; before, the row was skipped as
    'neither JSON nor a Python literal', or its line as invalid JSON."""
    big = big_int("7" * 5000)
    as_text = dict(sound_rows()["evalperf"], task_id="T/text", pe_input="[[" + "7" * 5000 + "]]")
    as_list = dict(sound_rows()["evalperf"], task_id="T/list")
    path = tmp_path / "big.jsonl"
    line = json.dumps(as_list).replace('"pe_input": "[[1]]"', '"pe_input": [[' + "7" * 5000 + "]]")
    path.write_text(json.dumps(as_text) + "\n" + line + "\n")
    ps, warnings = _load(f"evalperf:{path}")
    assert warnings == []
    assert [t.args for t in ps.get("T/text").level_tests(0)] == [[big]]
    assert [t.args for t in ps.get("T/list").level_tests(0)] == [[big]]


@pytest.mark.parametrize("fmt", ["enamel", "evalperf"])
def test_a_huge_number_in_any_column_is_a_skipped_row_not_a_traceback(tmp_path, fmt):
    """A number past int()'s 4300 digits where text or a size belongs (task_id, input_levels,
    entry_point, prompt) is one skipped row naming why, never a traceback."""
    huge = "9" * 5000
    rows = []
    for i, column in enumerate(["task_id", "input_levels", "entry_point", "prompt"]):
        row = dict(sound_rows()[fmt], task_id=f"T/{i}")
        row[column] = "HUGE"
        rows.append(json.dumps(row).replace('"HUGE"', huge))
    rows.append(json.dumps(dict(sound_rows()[fmt], task_id="T/ok")))
    path = tmp_path / "huge.jsonl"
    path.write_text("\n".join(rows) + "\n")
    ps, warnings = _load(f"{fmt}:{path}")
    assert sorted(ps.problems) == (["T/1", "T/ok"] if fmt == "evalperf" else ["T/ok"])  # no input_levels there
    assert all(line.isprintable() and len(line) < 400 for line in warnings)
    assert any("row 0: skipped: missing column task_id" in line for line in warnings)


#: run by the test below in an interpreter of its own: `problems check`'s static checks of a row
_STATIC_CHECK = """
import sys
from effbench.check import check_static
from effbench.importers import load_dataset_problems
ps = load_dataset_problems(sys.argv[1], warn=lambda m: None)
print("ERRORS", check_static(ps.get("T/0")))
"""


def test_problems_check_never_runs_a_rows_reference_in_effbench(tmp_path, monkeypatch):
    """`problems check` runs a row's reference on the prompt's examples in a limited interpreter
    of its own, never in effbench's process: a reference whose module code exits there is an
    error of that row (before, os._exit(0) ended `problems check` with exit 0 and no verdict), one
    that sleeps is stopped (before, it hung), a sound one still passes."""
    import subprocess
    import sys

    from effbench import hostcode
    from effbench.check import check_static

    exits = dict(
        sound_rows()["enamel"],
        reference_solution=("import os\nif __name__ == 'solution':\n    os._exit(0)\ndef f(x):\n    return x\n"),
    )
    path = _write_jsonl(tmp_path / "exit.jsonl", [exits])
    env = dict(__import__("os").environ, EFFBENCH_CACHE_DIR=str(tmp_path / "c"))
    done = subprocess.run(
        [sys.executable, "-c", _STATIC_CHECK, f"enamel:{path}"], capture_output=True, text=True, env=env, timeout=300
    )
    assert "ERRORS ['expert: does not load: it ended its interpreter without an outcome" in done.stdout, done
    monkeypatch.setattr(hostcode, "HOST_CODE_SECONDS", 5.0)
    sleeps = dict(
        exits,
        task_id="T/1",
        reference_solution=(
            "import time\nif __name__ == 'solution':\n    time.sleep(10 ** 6)\ndef f(x):\n    return x\n"
        ),
    )
    ps = _load(f"enamel:{_write_jsonl(tmp_path / 'rows.jsonl', [sound_rows()['enamel'], sleeps])}")[0]
    assert check_static(ps.get("T/0")) == []
    assert check_static(ps.get("T/1")) == ["expert: does not load: loading it and running its examples runs past 10 s"]


@pytest.mark.parametrize("fmt", ["enamel", "evalperf"])
def test_two_rows_with_one_task_id_and_other_content_are_neither_used(tmp_path, fmt):
    """A task id names one problem: two rows with that id and different content make it ambiguous
    (a sample of that id would be scored against whichever came first), so neither is used, the
    id says why, and naming it fails; a repeated identical row is the same problem, used once."""
    from effbench.errors import ProblemFormatError

    first = dict(sound_rows()[fmt])
    other = dict(first, prompt=first["prompt"].replace("Return x.", "Return x, again."))
    ok = dict(first, task_id="T/ok")
    path = _write_jsonl(tmp_path / "dup.jsonl", [first, ok, other, ok])
    ps, warnings = _load(f"{fmt}:{path}")
    assert list(ps.problems) == ["T/ok"]
    assert any("row 2 (T/0): skipped: task_id 'T/0' is also row 0, with other content" in w for w in warnings)
    assert any("row 3 (T/ok): skipped: duplicate task_id 'T/ok' (the same row as row 1" in w for w in warnings)
    with pytest.raises(ProblemFormatError, match="is also row 0, with other content"):
        _load(f"{fmt}:{path}", ["T/0"])
