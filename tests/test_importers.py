"""Importers of published formats, tested on small files in those formats that we wrote ourselves
(tests/fixtures/formats/: one file per fault kind of issue 11)."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys

import pytest
from click.testing import CliRunner

from effbench import checkers
from effbench.cli import main
from effbench.errors import CheckerError, EffbenchError, ProblemFormatError
from effbench.importers import load_dataset_problems
from effbench.importers.generate import GeneratorLimits

from .conftest import FIXTURES

FORMATS = FIXTURES / "formats"
ENAMEL = FORMATS / "enamel_toy.csv"
EVALPERF = FORMATS / "evalperf_toy.jsonl"
FAST = GeneratorLimits(seconds=3.0, memory_bytes=512 << 20)


@pytest.fixture(autouse=True)
def _private_cache(tmp_path, monkeypatch):
    """Every test generates into its own cache (what one test caches must not hide another's work)."""
    monkeypatch.setenv("EFFBENCH_CACHE_DIR", str(tmp_path / "cache"))


def _write_rows(path, rows):
    """Write ``rows`` (dicts with the same keys, the first one's order) to ``path`` as CSV with a header."""
    with path.open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)


def _load(spec, ids=None, **kw):
    warnings: list[str] = []
    ps = load_dataset_problems(spec, ids, warn=warnings.append, limits=kw.pop("limits", FAST), **kw)
    return ps, warnings


def test_enamel_rows_become_problems_with_default_levels():
    ps, _ = _load(f"enamel:{ENAMEL}")
    p = ps.get("Toy/0")
    assert [lv.weight for lv in p.levels] == [0, 3, 3, 4]
    assert [lv.tests for lv in p.levels] == [8, 4, 4, 4]
    assert [lv.size for lv in p.levels] == [4, 100, 1000, 5000]
    assert [len(t.args[0]) for t in p.level_tests(3)] == [5000] * 4
    again, _ = _load(f"enamel:{ENAMEL}")
    assert [t.args for t in again.get("Toy/0").all_tests()] == [t.args for t in p.all_tests()]
    # a reference given as a body is completed with the prompt
    assert ps.get("Toy/1").expert_code.startswith("def distinct_count(items):")


def test_enamel_checker_runs_on_the_host_on_real_python_values():
    """The format's checker gets the argument tuple, the expert's answer and the output as Python
    values: a tagged tuple arrives as a tuple, so a checker that demands a tuple can tell."""
    p = _load(f"enamel:{FORMATS / 'enamel_checkers.csv'}", ["Tuple/0"], generate=False)[0].get("Tuple/0")
    as_tuple = {"__effbench__": "tuple", "items": [1, 3]}
    assert checkers.check("custom", as_tuple, as_tuple, args=[[3, 1, 2]], custom=p.custom_check)
    assert not checkers.check("custom", as_tuple, [1, 3], args=[[3, 1, 2]], custom=p.custom_check)
    toy = _load(f"enamel:{ENAMEL}", generate=False)[0].get("Toy/1")
    assert toy.custom_check([[1, 1, 2]], 2, 2)
    assert not toy.custom_check([[1, 1, 2]], 2, 2.0)  # its checker demands an int


@pytest.mark.parametrize("shape", ["as_dict", "as_module"])
def test_helper_module_accepted_in_both_published_shapes(shape, monkeypatch):
    """The published helper package replaces its module by a dict (vars(module)); a module works too."""
    path = str(FORMATS / "helper_pkgs" / shape)
    monkeypatch.setenv("PYTHONPATH", path)
    monkeypatch.syspath_prepend(path)
    ps, warnings = _load(f"enamel:{FORMATS / 'enamel_helpers.csv'}")
    assert warnings == []
    words = ps.get("Helper/0").level_tests(1)[0].args[0]
    assert len(words) == 50 and all(isinstance(w, str) and w.isalpha() for w in words)


def test_missing_helper_package_is_named_with_what_to_install():
    with pytest.raises(EffbenchError, match=r"Helper/0.*NameError: name 'rand_word'.*pip install enam"):
        _load(f"enamel:{FORMATS / 'enamel_helpers.csv'}", ["Helper/0"])


def test_one_bad_row_is_skipped_with_a_line_naming_it_and_why():
    ps, warnings = _load(f"enamel:{FORMATS / 'enamel_bad_rows.csv'}")
    assert list(ps.problems) == ["Good/0"]
    text = "\n".join(warnings)
    for needle in (
        "row 1 (Bad/syntax): skipped: input_generator",
        "row 2 (Bad/levels): skipped: input_levels must be space-separated integers",
        "row 3 (Bad/checker): skipped: missing column checker",
        "row 4 (Bad/reference): skipped: reference_solution does not define total()",
        "row 5 (Good/0): skipped: duplicate task_id",
    ):
        assert needle in text
    assert len(warnings) == 5 and all("\n" not in w for w in warnings)
    assert len(ps.skipped) + len(ps.skipped_rows) == 5


def test_a_bad_row_named_explicitly_or_no_usable_row_fails(tmp_path):
    with pytest.raises(ProblemFormatError, match=r"row 2 \(Bad/levels\): skipped: input_levels"):
        _load(f"enamel:{FORMATS / 'enamel_bad_rows.csv'}", ["Bad/levels"])
    with pytest.raises(ProblemFormatError, match="unknown problem id 'Nope/1'"):
        _load(f"enamel:{FORMATS / 'enamel_bad_rows.csv'}", ["Nope/1"])
    rows = list(csv.DictReader((FORMATS / "enamel_bad_rows.csv").open()))[1:3]
    bad = tmp_path / "all_bad.csv"
    _write_rows(bad, rows)
    with pytest.raises(ProblemFormatError, match=r"all_bad.csv: no usable row \(2 skipped\)"):
        _load(f"enamel:{bad}")
    result = CliRunner().invoke(main, ["problems", "list", "--dataset", f"enamel:{bad}"])
    assert result.exit_code == 2 and "no usable row" in result.output


def test_evalperf_bad_rows_are_skipped_with_a_line_naming_them():
    ps, warnings = _load(f"evalperf:{FORMATS / 'evalperf_bad_rows.jsonl'}")
    assert list(ps.problems) == ["Toy/short"]
    text = "\n".join(warnings)
    assert "line 2: skipped: invalid JSON" in text
    assert "(Bad/reference): skipped: reference is neither JSON nor a Python literal" in text
    assert "(Bad/pe_input): skipped: pe_input is neither JSON nor a Python literal" in text
    assert "(Bad/entry): skipped: missing column entry_point" in text
    assert "row 5: skipped: not a row of columns" in text
    with pytest.raises(ProblemFormatError, match=r"\(Bad/pe_input\): skipped"):
        _load(f"evalperf:{FORMATS / 'evalperf_bad_rows.jsonl'}", ["Bad/pe_input"])


def test_generators_run_under_time_and_memory_limits():
    """An endless generator and one that allocates without bound are skipped, each named with
    the limit it hit; the sound row is imported."""
    ps, warnings = _load(f"enamel:{FORMATS / 'enamel_limits.csv'}", limits=GeneratorLimits(5.0, 256 << 20))
    assert list(ps.problems) == ["Fine/0"]
    text = "\n".join(warnings)
    assert "(Loop/0): skipped: its input_generator exceeds the time limit" in text
    assert "(Hog/0): skipped: its input_generator exceeds the memory limit" in text


def test_problems_list_with_an_endless_generator_returns_within_the_limit(tmp_path):
    """`problems list` on a file with an endless generator ends (within the generator limit plus a
    few seconds: the subprocess timeout fails the test otherwise), naming the skipped row."""
    env = dict(os.environ, EFFBENCH_GENERATOR_SECONDS="2", EFFBENCH_CACHE_DIR=str(tmp_path / "c"))
    cmd = [sys.executable, "-m", "effbench", "problems", "list", "--dataset", f"enamel:{FORMATS / 'enamel_limits.csv'}"]
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=2 + 25)
    assert done.returncode == 0, done.stderr
    assert "row 1 (Loop/0): skipped: its input_generator exceeds the time limit" in done.stderr
    assert "Fine/0" in done.stdout and "Loop/0" not in done.stdout


def test_generated_inputs_do_not_depend_on_the_host_hash_seed(tmp_path):
    """Generators run with PYTHONHASHSEED=0 whatever the host's: set order is the same everywhere."""
    row = next(csv.DictReader((FORMATS / "enamel_bad_rows.csv").open()))
    row["input_generator"] = "def generate_input(size, lid, cid):\n    return (list({f'w{i}' for i in range(40)}),)\n"
    path = tmp_path / "sets.csv"
    _write_rows(path, [row])
    code = (
        "import json,sys; from effbench.importers import load_dataset_problems as l; "
        f"print(json.dumps(l('enamel:{path}').get('Good/0').level_tests(0)[0].args))"
    )
    outs = []
    for seed in ("1", "2"):
        env = dict(os.environ, PYTHONHASHSEED=seed, EFFBENCH_CACHE_DIR=str(tmp_path / f"c{seed}"))
        outs.append(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True))
    want = subprocess.run(
        [sys.executable, "-c", "import json; print(json.dumps([list({f'w{i}' for i in range(40)})]))"],
        capture_output=True,
        text=True,
        env=dict(os.environ, PYTHONHASHSEED="0"),
    ).stdout
    assert outs[0].stdout == outs[1].stdout == want


def test_generated_inputs_are_cached_by_row_content(tmp_path, monkeypatch):
    """A second load generates nothing; a changed row is generated again."""
    from effbench.importers import generate

    first, _ = _load(f"enamel:{ENAMEL}")
    args = [t.args for t in first.get("Toy/0").all_tests()]

    def no_worker(*a, **k):
        raise AssertionError("inputs were generated again")

    monkeypatch.setattr(generate, "_run_worker", no_worker)
    again, _ = _load(f"enamel:{ENAMEL}")
    assert [t.args for t in again.get("Toy/0").all_tests()] == args
    rows = list(csv.DictReader(ENAMEL.open()))
    rows[0]["input_levels"] = "4 100 1000 4000"
    changed = tmp_path / "changed.csv"
    _write_rows(changed, rows)
    with pytest.raises(AssertionError, match="generated again"):
        _load(f"enamel:{changed}", ["Toy/0"])


def test_published_selection_runs_only_the_published_rows():
    """@enamel is the published evaluation's rule: a row it excludes (here an endless generator at
    HumanEval/2) is never generated, nor reported."""
    ps, warnings = _load(f"enamel:{FORMATS / 'enamel_published.csv'}", ["@enamel"], limits=GeneratorLimits(60.0))
    assert warnings == []
    assert [p.id for p in ps.select(["@enamel"])] == ["HumanEval/1", "HumanEval/3"]
    assert ps.get("HumanEval/2").needs_inputs
    with pytest.raises(ProblemFormatError, match="unknown named selection"):
        ps.select(["@nope"])
    result = CliRunner().invoke(
        main, ["problems", "list", "--dataset", f"enamel:{FORMATS / 'enamel_published.csv'}", "--problems", "@enamel"]
    )
    assert result.exit_code == 0, result.output
    assert "HumanEval/1" in result.output and "HumanEval/2" not in result.output


def test_problems_check_takes_problems_and_refuses_a_named_bad_row():
    spec = f"enamel:{FORMATS / 'enamel_bad_rows.csv'}"
    result = CliRunner().invoke(main, ["problems", "check", "--dataset", spec, "--problems", "Bad/levels"])
    assert result.exit_code == 2 and "(Bad/levels): skipped: input_levels" in result.output
    result = CliRunner().invoke(main, ["problems", "check", "--dataset", spec, "--problems", "Nope/3"])
    assert result.exit_code == 2 and "unknown problem id 'Nope/3'" in result.output


def test_published_task_ids_are_accepted_and_unknown_ones_refused_before_generating(tmp_path):
    from effbench.samples import load_samples_file

    ps, _ = _load(f"enamel:{FORMATS / 'enamel_published.csv'}", generate=False)
    good = tmp_path / "good.jsonl"
    good.write_text(json.dumps({"task_id": "HumanEval/3", "completion": "    return sum(nums)\n"}) + "\n")
    assert [s.problem_id for s in load_samples_file(good, ps)] == ["HumanEval/3"]
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"task_id": "humaneval_3", "solution": "def total(nums): return 0"}) + "\n")
    env = dict(os.environ, EFFBENCH_CACHE_DIR=str(tmp_path / "c"))
    cmd = [sys.executable, "-m", "effbench", "evaluate", "--dataset", f"enamel:{FORMATS / 'enamel_limits.csv'}"]
    done = subprocess.run(
        cmd + ["--samples", str(bad), "--meter", "time", "--run-dir", str(tmp_path / "run")],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert done.returncode == 2 and "unknown task_id 'humaneval_3'" in done.stderr
    assert not (tmp_path / "c" / "inputs").exists()  # nothing was generated
    assert not (tmp_path / "run").exists()


def test_custom_checker_is_never_called_without_args_and_its_exceptions_are_problem_errors():
    from effbench.check import check_static

    calls = []

    def record(args, expected, actual):
        calls.append(args)
        return expected == actual

    with pytest.raises(CheckerError, match="needs the arguments"):
        checkers.check("custom", 1, 1, args=None, custom=record)

    def broken(args, expected, actual):
        return abs(expected - actual) < 1

    with pytest.raises(CheckerError, match="raises TypeError"):
        checkers.check("custom", 1, "x", args=[1], custom=broken)
    ps, _ = _load(f"enamel:{FORMATS / 'enamel_checkers.csv'}", ["Close/0", "Raise/0"])
    close = ps.get("Close/0")
    close.custom_check = checkers.wants_python_values(record)
    assert check_static(close) == []
    assert calls == [[[1, 2]]]  # the example's own arguments
    errors = check_static(ps.get("Raise/0"))
    assert errors and "the checker raises RuntimeError: this checker is broken" in errors[0]


def test_a_raising_checker_skips_its_problem_and_the_run_goes_on(tmp_path):
    """Raise/0's checker raises on the expert's answer: that problem is skipped with a line naming
    it; Close/0 (a checker that uses the expected answer arithmetically) is scored."""
    env = dict(os.environ, EFFBENCH_CACHE_DIR=str(tmp_path / "c"))
    spec = f"enamel:{FORMATS / 'enamel_checkers.csv'}"
    cmd = [sys.executable, "-m", "effbench", "evaluate", "--dataset", spec, "--problems", "Close/0,Raise/0"]
    # the time meter is noisy on a shared machine: a wide budget keeps the expert from being censored
    cmd += ["--references", "expert", "--meter", "time", "--alpha", "100", "--run-dir", str(tmp_path / "run")]
    cmd += ["--json"]
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "problem Raise/0: skipped: at test L0.g0 on the expert's answer, the checker raises RuntimeError" in (
        done.stderr
    )
    summary = json.loads(done.stdout)
    problems = summary["models"]["expert"]["problems"]
    assert list(problems) == ["Close/0"] and problems["Close/0"]["pass@k"]["1"] == 1.0


def test_evalperf_references_slow_to_fast():
    p = _load(f"evalperf:{EVALPERF}")[0].get("Toy/vowels")
    assert p.tiers == ["expert", "ref0"]
    assert "text.count" in p.expert_code
    assert len(p.level_tests(0)) == 2 and p.levels[0].weight == 1.0


def test_bad_dataset_spec_is_one_clear_error():
    with pytest.raises(EffbenchError, match="expected FORMAT:PATH_OR_HUB_ID"):
        load_dataset_problems("humaneval:x.csv")
    with pytest.raises(EffbenchError, match="no such file"):
        load_dataset_problems("enamel:/nonexistent/file.csv")


def test_jsonl_rows_with_python_literal_inputs(tmp_path):
    row = json.loads(EVALPERF.read_text().splitlines()[0])
    row["pe_input"] = "[['aei'], ['xyz']]"
    path = tmp_path / "lit.jsonl"
    path.write_text(json.dumps(row) + "\n")
    p = _load(f"evalperf:{path}")[0].get("Toy/vowels")
    assert [t.args for t in p.level_tests(0)] == [["aei"], ["xyz"]]


def test_imported_problems_run_through_the_same_sandbox_and_scorer(valgrind_box):
    """Expert ~1, a slow reference clearly lower, a wrong candidate fails via the format's checker."""
    from effbench.engine import EngineSettings, Evaluator

    ev = Evaluator(valgrind_box, valgrind_box.meter, EngineSettings())
    vowels = _load(f"evalperf:{EVALPERF}")[0].get("Toy/vowels")
    assert ev.evaluate(vowels, vowels.expert_code).efficiency == pytest.approx(1.0, abs=0.02)
    assert ev.evaluate(vowels, vowels.references["ref0"]).efficiency < 0.5
    toy = _load(f"enamel:{ENAMEL}")[0].get("Toy/1")
    wrong = ev.evaluate(toy, "def distinct_count(items):\n    return float(len(set(items)))\n")
    assert wrong.verdict == "wrong"
    assert ev.evaluate(toy, toy.expert_code).efficiency == pytest.approx(1.0, abs=0.02)


def test_dataset_folders_and_parquet_go_through_datasets_with_a_named_split(tmp_path):
    """A hub-style dataset with one split is read whole; with several, SOURCE#SPLIT names one."""
    import datasets

    line = (FORMATS / "evalperf_bad_rows.jsonl").read_text().splitlines()[0]
    one, two = tmp_path / "one", tmp_path / "two"
    one.mkdir()
    two.mkdir()
    (one / "test.jsonl").write_text(line + "\n")
    (two / "test.jsonl").write_text(line + "\n")
    (two / "train.jsonl").write_text(line + "\n")
    assert list(_load(f"evalperf:{one}")[0].problems) == ["Toy/short"]
    with pytest.raises(EffbenchError, match=r"several splits \(.*\): name one as .*#SPLIT"):
        _load(f"evalperf:{two}")
    assert list(_load(f"evalperf:{two}#test")[0].problems) == ["Toy/short"]
    with pytest.raises(EffbenchError, match="no split 'nope'"):
        _load(f"evalperf:{two}#nope")
    parquet = tmp_path / "rows.parquet"
    datasets.Dataset.from_list([json.loads(line)]).to_parquet(str(parquet))
    assert list(_load(f"evalperf:{parquet}")[0].problems) == ["Toy/short"]


def test_samples_of_skipped_rows_are_dropped_not_refused(tmp_path):
    """A samples file covering every row of a file with a bad row (static) and an endless generator:
    the run scores the sound row and drops the others' samples with a warning."""
    rows = list(csv.DictReader((FORMATS / "enamel_limits.csv").open()))[:2]  # Fine/0, Loop/0
    rows.append(dict(rows[0], task_id="Bad/levels", input_levels="a b c d"))
    path = tmp_path / "mixed.csv"
    _write_rows(path, rows)
    samples = tmp_path / "samples.jsonl"
    body = "    return sum(nums)\n"
    samples.write_text("".join(json.dumps({"task_id": r["task_id"], "completion": body}) + "\n" for r in rows))
    env = dict(os.environ, EFFBENCH_CACHE_DIR=str(tmp_path / "c"), EFFBENCH_GENERATOR_SECONDS="2")
    cmd = [sys.executable, "-m", "effbench", "evaluate", "--dataset", f"enamel:{path}", "--samples", str(samples)]
    cmd += ["--meter", "time", "--alpha", "100", "--run-dir", str(tmp_path / "run"), "--json"]
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "(Bad/levels): skipped: input_levels" in done.stderr
    assert "(Loop/0): skipped: its input_generator exceeds the time limit" in done.stderr
    assert "2 sample(s) of skipped problems dropped" in done.stderr
    assert list(json.loads(done.stdout)["models"]["samples"]["problems"]) == ["Fine/0"]


def test_generated_inputs_may_hold_integers_of_any_length(tmp_path):
    """An input past int()'s 4300-digit limit crosses the generator's subprocess and the cache."""
    row = next(csv.DictReader((FORMATS / "enamel_bad_rows.csv").open()))
    row["input_generator"] = "def generate_input(size, lid, cid):\n    return ([7 ** 9000 + size],)\n"
    path = tmp_path / "big.csv"
    _write_rows(path, [row])
    for _ in range(2):  # generated, then from the cache
        args = _load(f"enamel:{path}")[0].get("Good/0").level_tests(1)[0].args
        assert args == [[7**9000 + 10]]


def test_a_runs_secret_seed_draws_new_inputs_at_levels_above_zero(monkeypatch):
    """Levels >= 1 come from the run's secret seed (DESIGN.md), level 0 from the format's public
    seeds; the same seed gives the same inputs again (from the cache); a generator that fails with
    it is a problem error (the run skips that problem), not a crash."""
    from effbench.errors import ProblemError

    p = _load(f"enamel:{ENAMEL}")[0].get("Toy/0")
    assert p.level_tests(0, "s3cret") == p.level_tests(0)
    assert [t.args for t in p.level_tests(2, "s3cret")] != [t.args for t in p.level_tests(2)]
    assert [len(t.args[0]) for t in p.level_tests(3, "s3cret")] == [5000] * 4
    again = _load(f"enamel:{ENAMEL}", generate=False)[0].get("Toy/0")
    assert [t.args for t in again.level_tests(2, "s3cret")] == [t.args for t in p.level_tests(2, "s3cret")]
    assert [t.args for t in again.level_tests(2, "other")] != [t.args for t in p.level_tests(2, "s3cret")]
    monkeypatch.setenv("EFFBENCH_GENERATOR_SECONDS", "1")
    loop = _load(f"enamel:{FORMATS / 'enamel_limits.csv'}", ["Loop/0"], generate=False)[0].get("Loop/0")
    with pytest.raises(ProblemError, match=r"\(Loop/0\): skipped: its input_generator, with this run's seed, exceeds"):
        loop.level_tests(1, "s3cret")


def test_a_checker_that_demands_a_tuple_gets_the_experts_tuple(valgrind_box):
    """Tuples cross the sandbox boundary as tuples: the format's checker that requires one accepts
    the expert's own answers (examples and every generated test) and rejects a list."""
    from effbench.check import check_static
    from effbench.engine import EngineSettings, Evaluator

    p = _load(f"enamel:{FORMATS / 'enamel_checkers.csv'}", ["Tuple/0"])[0].get("Tuple/0")
    assert check_static(p) == []
    ev = Evaluator(valgrind_box, valgrind_box.meter, EngineSettings())
    assert ev.evaluate(p, p.expert_code).passed
    as_list = "def min_max(nums):\n    return [min(nums), max(nums)]\n"
    assert ev.evaluate(p, as_list).verdict == "wrong"


def test_a_byte_order_mark_is_not_part_of_the_first_column(tmp_path):
    """A CSV saved with a UTF-8 byte-order mark (as spreadsheets write it) imports like the same
    file without one: the mark is not read into the first column's name."""
    from effbench.importers import read_rows

    marked = tmp_path / "enamel_bom.csv"
    marked.write_bytes(b"\xef\xbb\xbf" + ENAMEL.read_bytes())
    assert read_rows(str(marked)) == read_rows(str(ENAMEL))


@pytest.mark.parametrize("kind", ["directory", "fifo"])
def test_a_dataset_path_that_is_not_a_regular_file_says_what_it_is(tmp_path, kind):
    """--dataset FORMAT:PATH naming a folder or a named pipe says which, in one line, without
    opening it (a FIFO would block). Before, both said 'no such file' while the path was there."""
    path = tmp_path / "rows.jsonl"
    if kind == "directory":
        path.mkdir()
    else:
        os.mkfifo(path)
    with pytest.raises(EffbenchError) as info:
        load_dataset_problems(f"evalperf:{path}")
    message = str(info.value)
    assert message.startswith(f"{path}: is a ")
    assert ("directory" if kind == "directory" else "named pipe (FIFO)") in message


def _ids(source: str) -> list[str]:
    return sorted(load_dataset_problems(source, generate=False, warn=lambda m: None).problems)


@pytest.mark.parametrize(
    "name,source,content",
    [
        ("toy.jsonl.gz", "evalperf_toy.jsonl", "gzip"),
        ("toy.csv.gz", "enamel_toy.csv", "gzip"),
        ("gzip_named_plain.jsonl", "evalperf_toy.jsonl", "gzip"),  # decompressed by its bytes, not its name
    ],
)
def test_a_gzip_compressed_file_reads_as_its_rows(tmp_path, name, source, content):
    """Invariant: a published file kept gzip-compressed (rows.jsonl.gz, rows.csv.gz, or gzip bytes
    under a plain name) gives the same problems as the plain file (before: a .gz name was sent to
    the hub as a dataset id, 26 s of retries offline ending in "Couldn't reach 'x.jsonl.gz' on the
    Hub"; gzip bytes in a .jsonl were 'not UTF-8 text')."""
    import gzip

    fmt = "evalperf" if source.startswith("evalperf") else "enamel"
    path = tmp_path / name
    path.write_bytes(gzip.compress((FORMATS / source).read_bytes()))
    assert _ids(f"{fmt}:{path}") == _ids(f"{fmt}:{FORMATS / source}")


@pytest.mark.parametrize(
    "name,make,message",
    [
        ("cut.jsonl.gz", lambda b: __import__("gzip").compress(b)[:100], "a truncated or corrupt gzip file (EOFError"),
        ("cut.csv.gz", lambda b: __import__("gzip").compress(b)[:100], "a truncated or corrupt gzip file (EOFError"),
        ("bad.jsonl.gz", lambda b: b"\x1f\x8b" + b"\x00" * 50, "a truncated or corrupt gzip file"),
        ("rows.gz", lambda b: __import__("gzip").compress(b), "not a kind of file effbench reads (.gz)"),
        ("rows.txt", lambda b: b, "not a kind of file effbench reads (.txt)"),
        ("missing.jsonl.gz", None, "missing.jsonl.gz: no such file"),
        ("wide.jsonl", lambda b: b.decode().encode("utf-16"), "UTF-16 text (it starts with a UTF-16 byte-order mark)"),
        ("wide.csv", lambda b: b.decode().encode("utf-16"), "UTF-16 text (it starts with a UTF-16 byte-order mark)"),
    ],
)
def test_a_damaged_or_unknown_local_file_is_one_line_naming_it_never_a_hub_lookup(
    tmp_path, monkeypatch, name, make, message
):
    """Invariant: a local file that is cut short (a truncated .gz), corrupt, of a kind effbench does
    not read, or UTF-16 is refused with one line naming it and what is wrong, and is never looked
    up on the hub as a dataset id (the datasets package is made unimportable here: reaching it
    would say 'needs the datasets package')."""
    monkeypatch.setitem(sys.modules, "datasets", None)
    source = "enamel_toy.csv" if ".csv" in name else "evalperf_toy.jsonl"
    path = tmp_path / name
    if make is not None:
        path.write_bytes(make((FORMATS / source).read_bytes()))
    with pytest.raises(EffbenchError) as info:
        _ids(f"{'enamel' if '.csv' in name else 'evalperf'}:{path}")
    text = str(info.value)
    assert "\n" not in text and str(path) in text and message in text, text


class _ProfileOnly:
    """An evaluator that only answers ``profile`` (what :func:`effbench.check.check_growth` asks)."""

    def __init__(self, test_costs, level_costs):
        from types import SimpleNamespace

        self._profile = SimpleNamespace(test_costs=test_costs, level_costs=level_costs)

    def profile(self, problem):
        return self._profile


def test_problems_check_does_not_call_an_evalperf_rows_only_level_flat():
    """Invariant: the growth rule (each weighted level costs the expert at least 2x its cheapest
    test) judges a level against a smaller one; a problem of one level has none and is not refused
    by it. Fault it blocks (newcomer): every EvalPerf row, whose performance-exercising inputs form
    one level, failed ``problems check`` with "level 0 (size 0) is flat ... (raise its size)": the
    project's own evalperf_toy.jsonl (expert 2.03e+06 against its cheapest test 1.47e+06, valgrind).
    A flat level of a problem with levels of growing size is still refused."""
    from effbench.check import check_growth

    ps, _ = _load(f"evalperf:{EVALPERF}")
    row = ps.get("Toy/vowels")
    assert len(row.levels) == 1
    assert check_growth(row, _ProfileOnly({"a": 1.47e6, "b": 2.03e6}, [2.03e6])) == []
    sized = _load(f"enamel:{ENAMEL}")[0].get("Toy/0")
    errors = check_growth(sized, _ProfileOnly({"a": 1e4}, [1e4, 1.5e4, 1e6, 1e7]))
    assert len(errors) == 1 and errors[0].startswith("level 1 (size 100) is flat"), errors


def test_a_checker_that_accepts_nothing_is_named_as_the_one_that_refused(tmp_path):
    """Invariant: when a row's checker refuses the expert's answer to a prompt example, `problems
    check` says the checker refused it and that a `__check` returns True for a right answer, not
    only the two values (which are equal). Threat: a newcomer's own ENAMEL-format row, whose
    `__check` asserted instead of returning True, failed with "example 'biggest([3, 1, 2])' gives
    3, the prompt says 3", which reads as a harness bug."""
    from effbench.check import check_static

    from .importer_rows import sound_rows

    row = sound_rows()["enamel"]
    row["checker"] = "def __check(__input, __answer, __output):\n    assert __answer == __output\n"
    path = tmp_path / "mine.csv"
    _write_rows(path, [row])
    ps, _ = _load(f"enamel:{path}")
    errors = check_static(ps.get("T/0"))
    assert errors and "gives 1 (the prompt says 1), which the problem's checker does not accept" in errors[0], errors
    assert "returns True for a right answer" in errors[0], errors


def test_a_run_whose_every_problem_is_skipped_fails_instead_of_printing_nothing(tmp_path):
    """Invariant: an evaluation whose every problem is skipped at run time (here the row's checker
    refuses the expert's own answer, a problem error) ends with exit code 2 and one error line
    saying no sample was scored, after the warning naming the problem. Threat: a newcomer's
    one-row ENAMEL file ran, warned inside the progress bars, printed no table and exited 0, as a
    successful run would."""
    from .importer_rows import sound_rows

    row = sound_rows()["enamel"]
    row["checker"] = "def __check(__input, __answer, __output):\n    assert __answer == __output\n"
    path = tmp_path / "mine.csv"
    _write_rows(path, [row])
    env = dict(os.environ, EFFBENCH_CACHE_DIR=str(tmp_path / "c"))
    cmd = [sys.executable, "-m", "effbench", "evaluate", "--dataset", f"enamel:{path}", "--references", "expert"]
    cmd += ["--meter", "time", "--alpha", "100", "--run-dir", str(tmp_path / "run")]
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 2, (done.returncode, done.stdout, done.stderr)
    assert "problem T/0: skipped" in done.stderr, done.stderr
    assert "effbench: error: no sample was scored: every problem of the run was skipped" in done.stderr, done.stderr
    assert not done.stdout.strip(), done.stdout


def test_a_skipped_problems_warning_is_a_line_of_its_own_on_a_terminal(tmp_path):
    """Invariant: on a terminal, the warning that a problem is skipped during a run (its checker
    raises on the expert's answer) is a line of its own, starting with 'warning:', not text
    appended to a progress bar's line. Threat: a newcomer's one-row file's warning was written
    where the cursor stood, at the end of the 'expert profiles' bar, and read as part of it."""
    from .terminal_screen import screen_of

    env = dict(os.environ, EFFBENCH_CACHE_DIR=str(tmp_path / "c"))
    spec = f"enamel:{FORMATS / 'enamel_checkers.csv'}"
    cmd = [sys.executable, "-m", "effbench", "evaluate", "--dataset", spec, "--problems", "Close/0,Raise/0"]
    cmd += ["--references", "expert", "--meter", "time", "--alpha", "100", "--run-dir", str(tmp_path / "run")]
    code, lines = screen_of(cmd, env)
    assert code == 0, lines
    said = [line for line in lines if "problem Raise/0: skipped" in line]
    assert said and all(line.startswith("warning: problem Raise/0: skipped") for line in said), lines
