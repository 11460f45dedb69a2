"""The starter problem set (problems/starter, references/starter): a second bundled set, selected
by name with ``--problem-set starter``, that never leaks into the main set, and whose problems are
sound without a sandbox (examples, generator determinism, input constraints). The sandboxed half of
``problems check`` (expert eff 1, slower tiers <= 0.5, growth, top budget) is run with valgrind as
the README says; tests/test_real_model.py runs the real small models on part of it."""

from __future__ import annotations

import shutil
from pathlib import Path

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


def test_an_id_of_the_other_bundled_set_names_that_set(tmp_path):
    """Invariant: asking a bundled set for a problem that another bundled set has names that set
    and its option in the one error line (a newcomer's `effbench problems show sum_list` said only
    'unknown problem id ... see `effbench problems list`', whose core listing lacks it); a near
    miss still gets 'did you mean', and a set outside the bundled ones never points elsewhere."""
    runner = CliRunner()
    out = runner.invoke(main, ["problems", "show", "sum_list"])
    assert out.exit_code == 2
    assert "it is in the bundled set 'starter': add --problem-set starter" in out.output
    back = runner.invoke(main, ["problems", "show", "count_inversions", "--problem-set", "starter"])
    assert back.exit_code == 2 and "add --problem-set core" in back.output
    near = runner.invoke(main, ["problems", "show", "count_inversion"])
    assert near.exit_code == 2 and "did you mean 'count_inversions'?" in near.output
    copy = tmp_path / "problems"
    shutil.copytree(paths.problems_dir() / "count_inversions", copy / "count_inversions")
    shutil.copy(paths.problems_dir() / "problemset.toml", copy / "problemset.toml")
    with pytest.raises(ProblemFormatError) as err:
        load_problem_set(copy, paths.references_dir()).get("sum_list")
    assert "--problem-set" not in str(err.value)


def test_starter_problems_pass_the_static_checks(starter):
    """Invariant: for every starter problem, every reference tier agrees with the prompt's
    examples, the generator gives the same inputs in fresh interpreters under two hash seeds, and
    fixed and generated inputs respect the stated constraints (check_static of `problems check`)."""
    failures = {p.id: errs for p in starter.problems.values() if (errs := check_static(p))}
    assert failures == {}


def _script(name: str):
    import importlib.util

    path = Path(__file__).resolve().parent.parent / "scripts" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_failure_classes_tell_a_harness_cut_from_the_models_own_mistakes(starter):
    """Fault blocked: a real model's failures reported as "the model is weak" when the harness cut
    its answer (a stop sequence or --max-tokens) or its extraction found nothing, or the reverse.
    Invariant: scripts/classify_failures.py puts a max-tokens cut, a stop-sequence cut (code that
    no longer parses), an empty extraction, a call of the entry point, a copied preamble line, a
    bound copied from the Constraints line and plain wrong code each in its own class, and a
    passing sample in ``correct`` whatever its text."""
    classify = _script("classify_failures").classify
    prompt = starter.get("sum_list").prompt + "    Constraints: 0 <= len(nums) <= 200_000.\n"
    prefix = "def shots(a: list[int]) -> int:\n    length = 0\n    for x, y in zip(a, a):\n        length += 1\n"

    def rec(answer, finish="stop", error=None, passed=False):
        usage = {"finish_reason": finish}
        return {"passed": passed, "error_type": error, "meta": {"answer": answer, "usage": usage}}

    cases = {
        "correct": rec("    return sum(nums)\n", passed=True),
        "no_code": rec("", error="NoCode"),
        "cut_by_max_tokens": rec("    total = 0\n    if nums[0] == 1:\n", finish="length"),
        "cut_by_stop": rec("    return sum(nums\n"),
        "calls_itself": rec("    return sum_list(nums)\n", error="RecursionError"),
        "copies_preamble": rec("    for x, y in zip(nums, nums):\n        pass\n    return 0\n"),
        "constraint_literal": rec("    if len(nums) > 200_000:\n        return 0\n    return 1\n"),
        "wrong_logic": rec("    return len(nums)\n"),
    }
    assert set(cases) == set(_script("classify_failures").CLASSES)
    for expected, record in cases.items():
        assert classify(record, prompt, "sum_list", prefix) == expected, expected
    assert classify(cases["copies_preamble"], prompt, "sum_list", None) == "wrong_logic"  # no preamble sent
    chat = '```python\ndef sum_list(nums):\n    """S.\n    >>> sum_list([1])\n    1\n    """\n'
    chat += "    return len(nums)\n```\nIt"
    # a chat answer: its def line, its docstring example and its prose are no call and no cut
    assert classify(rec(chat), prompt, "sum_list", None, stops=False) == "wrong_logic"


def test_dev_probe_scores_the_code_the_harness_would_run_in_both_modes():
    """Fault blocked: the prompt probe (scripts/starter_prompt_probe.py), on which the starter
    set's prompt choices are made, scoring an answer the harness would not run (or the reverse),
    so that a choice made on the dev set is made on other code than the sweep scores.
    Invariant: the probe reads answers with effbench's own extraction: a completion body after the
    prompt, re-indented or cut at a trailing top-level line as the harness does, and a chat answer's
    fenced function pass their checks; a chat answer that only repeats the prompt (no body) has no
    code that passes, and a wrong body fails."""
    probe = _script("starter_prompt_probe")
    problem = next(p for p in probe.DEV if p[0] == "count_even")
    name, checks = problem[0], problem[6]
    text = probe.prompt(problem, False)
    body = "    return sum(1 for x in nums if x % 2 == 0)\n"

    def scored(mode, answer):
        code = probe.answer_code(mode, text, answer, name)
        return code is not None and probe.passes(code, name, checks)

    assert scored("completion", body)
    assert scored("completion", body + "\n\nprint(count_even([1]))\n")  # usage code dropped, as in a run
    assert not scored("completion", "    return len(nums)\n")
    assert scored("chat", "Here it is:\n```python\n" + text + body + "```\nDone.")
    assert not scored("chat", text)  # the prompt repeated, no body: a base model's chat answer


@pytest.mark.parametrize("command", [["problems", "list"], ["problems", "check"]])
def test_a_named_selection_asked_of_the_bundled_set_names_the_option_that_has_it(command):
    """Invariant: `--problems @enamel` on the bundled set (which has no named selection; the help
    of --problems offers `@enamel`) is refused in one line that says the selection belongs to a
    published format's file and gives the --dataset option, before any sandbox starts. Threat: a
    newcomer following the help got "unknown problem id '@enamel' ... (see `effbench problems
    list`)", whose listing has no such thing."""
    out = CliRunner().invoke(main, [*command, "--problems", "@enamel"])
    assert out.exit_code == 2
    assert "--dataset enamel:FILE --problems @enamel" in out.output, out.output
    assert "starting the local sandbox" not in out.output
