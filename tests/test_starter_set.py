"""The starter problem set (problems/starter, references/starter): a second bundled set, selected
by name with ``--problem-set starter``, that never leaks into the main set, and whose problems are
sound without a sandbox (examples, generator determinism, input constraints). The sandboxed half of
``problems check`` (expert eff 1, slower tiers <= 0.5, growth, top budget) is run with valgrind as
the README says; tests/test_real_model.py runs the real small models on part of it."""

from __future__ import annotations

import shutil

import pytest
from click.testing import CliRunner

from effbench import paths
from effbench.check import check_static
from effbench.cli import main
from effbench.errors import ProblemFormatError
from effbench.problems import bundled_problem_set_dir, bundled_problem_sets, load_problem_set


@pytest.fixture(scope="module")
def starter():
    return load_problem_set(bundled_problem_set_dir("starter"))


def test_starter_set_is_not_read_as_a_problem_of_the_main_set(starter):
    """Invariant: a nested set (a sub-folder with its own problemset.toml) is skipped by its parent
    set, so the main set's problem count and hash do not change when a set is added under it."""
    core = load_problem_set()
    assert "starter" not in core.problems
    assert not set(core.problems) & set(starter.problems)
    assert core.name == "effbench-core" and starter.name == "effbench-starter"
    assert set(bundled_problem_sets()) >= {"core", "starter"}


def test_starter_set_has_15_to_25_problems_with_expert_and_slower_tiers_from_its_own_references(starter):
    """Invariant: every starter problem has its expert and at least one slower tier, read from
    references/starter/<id>/ (not from the main set's references)."""
    assert 15 <= len(starter.problems) <= 25
    for p in starter.problems.values():
        assert p.reference_dir == paths.references_dir() / "starter" / p.id
        assert p.tiers[0] == "expert" and len(p.tiers) >= 2
        assert f"def {p.entry_point}(" in p.prompt


def test_nested_set_references_resolve_in_a_copy_of_the_repository(tmp_path):
    """Invariant: a copied checkout (problems/ and references/ side by side) resolves the nested
    set's references inside the copy, so a problem author's edit there is what gets loaded."""
    shutil.copytree(paths.problems_dir(), tmp_path / "problems")
    shutil.copytree(paths.references_dir(), tmp_path / "references")
    expert = tmp_path / "references" / "starter" / "sum_list" / "expert.py"
    expert.write_text(expert.read_text() + "\n# edited in the copy\n")
    copy = load_problem_set(tmp_path / "problems" / "starter")
    assert copy.get("sum_list").reference_dir == expert.parent
    assert "# edited in the copy" in copy.get("sum_list").expert_code
    shutil.rmtree(tmp_path / "references" / "starter" / "sum_list")
    with pytest.raises(ProblemFormatError, match="references/sum_list: missing"):
        load_problem_set(tmp_path / "problems" / "starter")


def test_problem_set_option_selects_the_starter_set_by_name():
    """Invariant: one option selects a bundled set by name; an unknown name or a second source is
    one error line with exit code 2."""
    runner = CliRunner()
    out = runner.invoke(main, ["problems", "list", "--problem-set", "starter"])
    assert out.exit_code == 0, out.output
    assert out.output.startswith("effbench-starter ") and "sum_list" in out.output
    assert "count_inversions" not in out.output
    shown = runner.invoke(main, ["problems", "show", "has_duplicates", "--problem-set", "starter"])
    assert shown.exit_code == 0 and "def has_duplicates(nums: list[int]) -> bool:" in shown.output
    bad = runner.invoke(main, ["problems", "list", "--problem-set", "nope"])
    assert bad.exit_code == 2
    both = runner.invoke(main, ["problems", "list", "--problem-set", "starter", "--problems-dir", "problems"])
    assert both.exit_code == 2 and "give one of --problem-set, --problems-dir, --dataset" in both.output


def test_starter_problems_pass_the_static_checks(starter):
    """Invariant: for every starter problem, every reference tier agrees with the prompt's
    examples, the generator gives the same inputs in fresh interpreters under two hash seeds, and
    fixed and generated inputs respect the stated constraints (check_static of `problems check`)."""
    failures = {p.id: errs for p in starter.problems.values() if (errs := check_static(p))}
    assert failures == {}
