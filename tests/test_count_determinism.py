"""Counts mean the algorithm's work: the same code gives the same count, whatever its comments
and docstrings, whichever sample measures it (issue 10: the compilation of the source is in no
count; the host sends the source without what is not code)."""

from __future__ import annotations

from effbench.sandboxes.probe import probe_problem

#: a candidate that passes within the budget (a generator: not the expert's text)
CANDIDATE = "def triangle(n):\n    if n <= 0:\n        return 0\n    return sum(i for i in range(1, n + 1))\n"

DECORATED_SLOW = (
    '"""A module docstring,\nlonger than the code it describes."""\n# header comment\n\n\n'
    + CANDIDATE.replace("def triangle(n):\n", 'def triangle(n):\n    """Sum 1..n."""  # why not\n')
    + "\n# trailing comment\n" * 20
)


def test_comments_and_docstrings_do_not_change_any_count(valgrind_evaluator):
    """Invariant: a candidate and its copy with comments and docstrings cost the same, test by test."""
    problem = probe_problem()
    plain = valgrind_evaluator.evaluate(problem, CANDIDATE, model="plain")
    decorated = valgrind_evaluator.evaluate(problem, DECORATED_SLOW, model="decorated")
    assert plain.verdict == decorated.verdict
    assert [t.cost for t in plain.tests] == [t.cost for t in decorated.tests]
    assert plain.efficiency == decorated.efficiency


def test_a_syntax_error_is_the_candidates_error(valgrind_evaluator):
    """Invariant: compiling happens outside the children, but a syntax error is still the
    candidate's own error (not infra), with its type."""
    rec = valgrind_evaluator.evaluate(probe_problem(), "def triangle(n:\n    return n\n", model="broken")
    assert rec.verdict == "error" and rec.error_type == "SyntaxError"


def test_the_expert_measured_as_a_sample_scores_exactly_one(valgrind_evaluator):
    """Invariant: the reference, submitted as a sample (with a comment, so nothing can short-cut
    on identical text), costs what its profile says, to the instruction."""
    problem = probe_problem()
    rec = valgrind_evaluator.evaluate(problem, "# the expert, resubmitted\n" + problem.expert_code, model="expert")
    assert rec.verdict == "ok"
    assert rec.level_costs == rec.reference_level_costs
    assert rec.efficiency == 1.0
