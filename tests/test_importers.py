"""Importers of published formats, tested on small files in those formats that we wrote ourselves."""

from __future__ import annotations

import csv
import json

import pytest

from effbench.errors import EffbenchError
from effbench.importers import load_dataset_problems

from .conftest import FIXTURES

ENAMEL = FIXTURES / "formats" / "enamel_toy.csv"
EVALPERF = FIXTURES / "formats" / "evalperf_toy.jsonl"


def test_enamel_rows_become_problems_with_default_levels():
    ps = load_dataset_problems(f"enamel:{ENAMEL}")
    p = ps.get("toy_0")
    assert [lv.weight for lv in p.levels] == [0, 3, 3, 4]
    assert [lv.tests for lv in p.levels] == [8, 4, 4, 4]
    assert [lv.size for lv in p.levels] == [4, 100, 1000, 5000]
    assert [len(t.args[0]) for t in p.level_tests(3)] == [5000] * 4
    again = load_dataset_problems(f"enamel:{ENAMEL}").get("toy_0")
    assert [t.args for t in again.all_tests()] == [t.args for t in p.all_tests()]
    # a reference given as a body is completed with the prompt
    assert ps.get("toy_1").expert_code.startswith("def distinct_count(items):")


def test_enamel_checker_runs_on_the_host_on_plain_data():
    p = load_dataset_problems(f"enamel:{ENAMEL}").get("toy_1")
    assert p.custom_check([[1, 1, 2]], 2, 2)
    assert not p.custom_check([[1, 1, 2]], 2, 2.0)  # its checker demands an int


def test_enamel_missing_column_is_named(tmp_path):
    rows = list(csv.DictReader(ENAMEL.open()))
    for r in rows:
        del r["checker"]
    bad = tmp_path / "bad.csv"
    with bad.open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    with pytest.raises(EffbenchError, match=r"row 0 \(Toy/0\): missing column\(s\) checker"):
        load_dataset_problems(f"enamel:{bad}")


def test_evalperf_references_slow_to_fast():
    p = load_dataset_problems(f"evalperf:{EVALPERF}").get("toy_vowels")
    assert p.tiers == ["expert", "ref0"]
    assert "text.count" in p.expert_code
    assert len(p.level_tests(0)) == 2 and p.levels[0].weight == 1.0


def test_bad_dataset_spec_is_one_clear_error():
    with pytest.raises(EffbenchError, match="expected FORMAT:PATH_OR_HUB_ID"):
        load_dataset_problems("humaneval:x.csv")
    with pytest.raises(EffbenchError, match="no such file"):
        load_dataset_problems("enamel:/nonexistent/file.csv")


def test_imported_problems_run_through_the_same_sandbox_and_scorer(valgrind_box):
    """Expert ~1, a slow reference clearly lower, a wrong candidate fails via the format's checker."""
    from effbench.engine import EngineSettings, Evaluator

    ev = Evaluator(valgrind_box, valgrind_box.meter, EngineSettings())
    vowels = load_dataset_problems(f"evalperf:{EVALPERF}").get("toy_vowels")
    assert ev.evaluate(vowels, vowels.expert_code).efficiency == pytest.approx(1.0, abs=0.02)
    assert ev.evaluate(vowels, vowels.references["ref0"]).efficiency < 0.5
    toy = load_dataset_problems(f"enamel:{ENAMEL}").get("toy_1")
    wrong = ev.evaluate(toy, "def distinct_count(items):\n    return float(len(set(items)))\n")
    assert wrong.verdict == "wrong"
    assert ev.evaluate(toy, toy.expert_code).efficiency == pytest.approx(1.0, abs=0.02)


def test_jsonl_rows_with_python_literal_inputs(tmp_path):
    row = json.loads(EVALPERF.read_text().splitlines()[0])
    row["pe_input"] = "[['aei'], ['xyz']]"
    path = tmp_path / "lit.jsonl"
    path.write_text(json.dumps(row) + "\n")
    p = load_dataset_problems(f"evalperf:{path}").get("toy_vowels")
    assert [t.args for t in p.level_tests(0)] == [["aei"], ["xyz"]]
