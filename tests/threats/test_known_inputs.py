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

Drawing from many values is not enough when the answer is a function of one small integer: a
source (up to ``MAX_SOURCE_CHARS``, compiled before the measured child forks, so its constants cost
nothing to load) can hold the answer for every value the levels draw, or checkpoints every K values
and a short computation from the nearest one. ``catalan_mod`` with C(0..3000) mod 1e9+7 tabled
scored 1.475 under valgrind against the expert's 1.000 (docs/threat-model.md, "Answers tabled offline"). The
problems whose answers were fixed sequences mod 1e9+7 (``catalan_mod``, ``derangements_mod``,
``binomial_mod_queries``) now take a prime modulus drawn per test from the secret seed, and
``count_primes_upto`` counts the primes in a window [lo, hi) anywhere up to 10**9 (pi(n) for
n <= 10**6 fitted a source as checkpoints every 1000 n, with a short segment sieve from there).
"""

from __future__ import annotations

import random
from collections import Counter

from effbench.problems import load_problem_set
from sandbox.runner import MAX_SOURCE_CHARS

#: draws of one test slot per level (each from another secret seed), and the least number of
#: different inputs among them
DRAWS = 40
LEAST_DISTINCT = 20
#: the share of draws the most common input may take
MOST_COMMON_SHARE = 0.25
#: a problem on a few integers must draw its top level's inputs from more values than a table with
#: one entry every CHECKPOINT_STRIDE inputs can hold in a source of MAX_SOURCE_CHARS characters
CHECKPOINT_STRIDE = 1000
#: problems on a few integers known to be exposed to a checkpoint table and not fixed (docs/threat-model.md,
#: "Answers tabled offline"); a problem fixed must leave this list (the test checks both ways)
KNOWN_EXPOSED = {
    # J(n, k) tabled for every k <= 400 at every K-th n, the recurrence stepped from there
    "josephus_order_last",
}
#: problems whose answer was a fixed sequence mod 1e9+7 and now depends on a prime drawn per test
MODULUS_PER_TEST = ("catalan_mod", "derangements_mod", "binomial_mod_queries")


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
    for pid in ("count_primes_upto", *MODULUS_PER_TEST):
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


def _domain(problem, level: int) -> int:
    """How many inputs the draws at ``level`` span: the product over arguments of (largest -
    smallest + 1) among DRAWS secret seeds (the arguments are integers)."""
    draws = [_draw(problem, level, f"seed-{i}") for i in range(DRAWS)]
    product = 1
    for values in zip(*draws):
        product *= max(values) - min(values) + 1
    return product


def test_no_problem_on_a_few_integers_draws_from_fewer_inputs_than_a_source_can_table():
    """Invariant: every bundled problem whose arguments are integers draws its top level's inputs
    from a domain of more than MAX_SOURCE_CHARS * CHECKPOINT_STRIDE values (a table with one entry
    every CHECKPOINT_STRIDE inputs does not fit a source), but for KNOWN_EXPOSED, which must be
    exactly the ones that do not. Fault: catalan_mod drew n from [2250, 3000] under one modulus
    (751 inputs), and C(0..3000) mod 1e9+7 in a candidate's source beat the expert;
    count_primes_upto drew n from [750000, 10**6], where pi tabled every 1000 n fits a source."""
    problems = load_problem_set()
    small = {}
    for problem in problems.problems.values():
        if len(problem.levels) < 2 or not _integers_only(_draw(problem, 1, "probe")):
            continue
        domain = _domain(problem, len(problem.levels) - 1)
        if domain <= MAX_SOURCE_CHARS * CHECKPOINT_STRIDE:
            small[problem.id] = domain
    assert "catalan_mod" not in small and "count_primes_upto" not in small
    assert set(small) == KNOWN_EXPOSED, small


def _run_expert(problem, args: list):
    namespace: dict = {}
    exec(problem.expert_code, namespace)  # noqa: S102 - the bundled expert, trusted code
    return namespace[problem.entry_point](*args)


def test_an_answer_table_under_one_modulus_misses_every_test_of_the_fixed_problems():
    """Invariant: in catalan_mod, derangements_mod and binomial_mod_queries the modulus is an
    argument drawn per test from the secret seed, different in each of DRAWS seeds, so a table of
    answers under any one modulus (here 1e9+7, the one fixed before, built from the expert at test
    time) answers none of the top level's tests. Fault: with 1e9+7 fixed, a table of C(0..3000),
    D(0..30000), or the factorials up to 7000 answered every test with no arithmetic."""
    problems = load_problem_set()
    for pid in MODULUS_PER_TEST:
        problem = problems.get(pid)
        top = len(problem.levels) - 1
        moduli = [_draw(problem, top, f"seed-{i}")[-1] for i in range(DRAWS)]
        assert all(type(p) is int and p > 10**8 for p in moduli), (pid, moduli[:3])
        assert len(set(moduli)) == DRAWS, (pid, len(set(moduli)))
        for i in range(3):
            args = _draw(problem, top, f"table-{i}")
            problem._generator().check_input(*args)
            expected = _run_expert(problem, args)
            tabled = _run_expert(problem, [*args[:-1], 1_000_000_007])
            assert args[-1] != 1_000_000_007 and tabled != expected, (pid, i)


def test_the_queries_of_count_set_bits_upto_are_spread_wider_than_a_source_can_table():
    """Invariant: count_set_bits_upto's answers are per query, so a table of them is per value:
    at its top level, the ranges' lower ends over DRAWS secret seeds span more than
    MAX_SOURCE_CHARS * CHECKPOINT_STRIDE values, and none lies where a table of every value
    would fit (below MAX_SOURCE_CHARS). Fault: every query was one n <= 10**5,
    and S(0..10**5) as a tuple is 783,115 characters: one look-up per query."""
    problem = load_problem_set().get("count_set_bits_upto")
    top = len(problem.levels) - 1
    lows = [query[0] for i in range(DRAWS) for query in _draw(problem, top, f"seed-{i}")[0]]
    assert max(lows) - min(lows) > MAX_SOURCE_CHARS * CHECKPOINT_STRIDE, (min(lows), max(lows))
    assert min(lows) >= MAX_SOURCE_CHARS, min(lows)
