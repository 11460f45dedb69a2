"""Stress inputs a candidate could know in advance (DESIGN.md, "Threat model": a candidate may
learn the stress inputs in advance; that must not give it a better score than honest code).

The inputs of levels >= 1 come from the run's secret seed, but a generator that draws from a
handful of values makes the seed moot: ``count_primes_upto`` drew n from a dozen values per level
(the level size, the largest prime below it, a prime square, the size minus 1-9), the same in every
run, and a candidate that answered those from a table (``{1000000: 78498, ...}``, values a language
model knows by heart) and ran the expert otherwise scored eff@1 1.546 against the expert's 1.081
under ``--meter time`` (every test at the 300 µs floor); ``catalan_mod`` drew n from three values per
level (1.297 against 1.000). A level's cost is its costliest test, so such a table pays off exactly
when every test of a level can be listed in advance, as there.
"""

from __future__ import annotations

import random
from collections import Counter

from effbench.problems import load_problem_set

#: draws of one test slot per level (each from another secret seed), and the least number of
#: different inputs among them
DRAWS = 40
LEAST_DISTINCT = 20
#: the share of draws the most common input may take
MOST_COMMON_SHARE = 0.25


def _draw(problem, level: int, seed: str) -> list:
    """The first test's arguments at ``level`` for the secret ``seed``, seeded as the harness does
    (``effbench/problems.py``, _GENERATE_SCRIPT: ``"<seed>/<id>/<level>/<index>"``)."""
    size = problem.levels[level].size
    return problem._generator().generate(size, random.Random(f"{seed}/{problem.id}/{level}/0"))


def _integers_only(args: list) -> bool:
    return all(type(a) is int for a in args)


def test_the_draws_here_are_the_harness_own():
    """Invariant: the draws this file checks are the inputs the harness generates (same seeding),
    so the test below looks at what candidates get."""
    problems = load_problem_set()
    for pid in ("count_primes_upto", "catalan_mod"):
        problem = problems.get(pid)
        generated = problem.generated_args("known-inputs")
        for level in range(1, len(problem.levels)):
            assert _draw(problem, level, "known-inputs") == generated[level][0], (pid, level)


def test_no_level_of_a_problem_on_a_few_integers_draws_from_a_handful_of_values():
    """Invariant: for every bundled problem whose arguments are integers (the inputs a candidate
    can table with their answers), every level >= 1 draws at least LEAST_DISTINCT different inputs
    in DRAWS secret seeds, none more than MOST_COMMON_SHARE of the time. Fault: count_primes_upto
    drew 4-8 different inputs in 40 seeds, catalan_mod 3, and a candidate answering them from a
    table beat the expert (module docstring)."""
    problems = load_problem_set()
    checked, weak = [], []
    for problem in problems.problems.values():
        if len(problem.levels) < 2 or not _integers_only(_draw(problem, 1, "probe")):
            continue
        checked.append(problem.id)
        for level in range(1, len(problem.levels)):
            seen = Counter(tuple(_draw(problem, level, f"seed-{i}")) for i in range(DRAWS))
            top = seen.most_common(1)[0][1]
            if len(seen) < LEAST_DISTINCT or top > MOST_COMMON_SHARE * DRAWS:
                weak.append((problem.id, level, len(seen), top))
    assert {"count_primes_upto", "catalan_mod"} <= set(checked), checked
    assert not weak, weak
