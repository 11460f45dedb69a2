"""The reward's mixed workload under valgrind (issue 14 item 5's invariants), on a subset.

The full 400-item workload runs in benchmarks/reward_throughput.py; here the same generator makes one
completion of each honest kind and four hostile ones per problem (all eight hostile programs over the
two problems), scored twice by one RewardModel with the valgrind meter.
"""

from __future__ import annotations

import math
import shutil

import pytest

from effbench.problems import load_problem_set
from effbench.reward import RewardModel
from effbench.reward.workload import HOSTILE, Kind, mixed_workload

PROBLEMS = ["max_subarray_sum", "pair_sum_count"]
MIX = {
    Kind.CORRECT_FAST: 1,
    Kind.CORRECT_SLOW: 1,
    Kind.WRONG: 1,
    Kind.CRASHING: 1,
    Kind.TIMING_OUT: 1,
    Kind.HOSTILE: 4,
}


@pytest.fixture(scope="module")
def scored(tmp_path_factory):
    if shutil.which("valgrind") is None:
        pytest.fail("valgrind is required (scripts/setup.sh installs it)")
    ps = load_problem_set()
    items = mixed_workload([ps.get(p) for p in PROBLEMS], MIX)
    with RewardModel(
        meter="valgrind", workers=2, levels=2, seed="reward-workload-test", cache_dir=tmp_path_factory.mktemp("c")
    ) as rm:
        first = rm.score_batch([it.item for it in items])
        second = rm.score_batch([it.item for it in items])
    return items, first, second


def _outcome(r):
    return (r.problem_id, r.status, r.verdict, r.passed, r.censored_level, r.error_type)


def test_the_subset_covers_every_kind_and_every_hostile_program(scored):
    """Invariant: the subset holds each kind of the workload and all eight hostile programs."""
    items, _, _ = scored
    assert {it.kind for it in items} == set(Kind)
    assert {it.name for it in items if it.kind is Kind.HOSTILE} == {name for name, _, _ in HOSTILE}


def test_results_come_back_in_order_and_identical_across_two_calls(scored):
    """Invariant: one result per item, in order; a second call gives the same outcome (status, verdict,
    passed, censored level, error type) and the same reward (valgrind's counts agree to its fork
    spread, ~0.005%: rewards within 1e-3)."""
    items, first, second = scored
    assert [r.problem_id for r in first] == [it.problem_id for it in items] == [r.problem_id for r in second]
    for it, a, b in zip(items, first, second):
        assert _outcome(a) == _outcome(b), (it.kind, it.name, a.reason, b.reason)
        assert math.isfinite(a.reward) and a.reward == pytest.approx(b.reward, abs=1e-3), (it.kind, it.name)


def test_each_kind_gets_the_verdict_it_deserves(scored):
    """Invariant: correct-fast passes with efficiency ~1 (it is the expert); wrong, crashing and
    timing-out completions fail or are censored with reward 0; nothing is an infrastructure failure."""
    items, first, _ = scored
    for it, r in zip(items, first):
        assert r.status != "harness_error", (it.kind, it.name, r.reason)
        if it.kind is Kind.CORRECT_FAST:
            assert r.passed and r.reward == pytest.approx(1.0, abs=1e-3)
        if it.kind in (Kind.WRONG, Kind.CRASHING, Kind.TIMING_OUT):
            assert r.reward == 0.0 and r.verdict != "ok", (it.kind, r)
        if it.kind is Kind.TIMING_OUT:
            assert r.verdict == "censored_budget"


def test_no_hostile_completion_out_scores_its_honest_twin(scored):
    """Invariant (DESIGN.md threat model): a hostile program that returns the expert's answer while
    attacking the harness never gets more reward than the expert itself on the same problem."""
    items, first, second = scored
    for results in (first, second):
        honest = {it.problem_id: r.reward for it, r in zip(items, results) if it.kind is Kind.CORRECT_FAST}
        for it, r in zip(items, results):
            if it.kind is Kind.HOSTILE:
                assert r.reward <= honest[it.problem_id] + 1e-9, (it.name, r.reward, honest[it.problem_id], r.reason)


def test_the_phase_breakdown_sees_every_test_and_splits_each_item_latency(tmp_path):
    """benchmarks/reward_throughput.py --phases: while collecting, every test the local sandbox runs
    gives one entry with every phase of harness_phases; the candidate's runs (``run_seconds``) are
    exactly the ``test_child`` phases of its tests; the sandbox's ``run`` is restored afterwards."""
    from effbench.sandboxes import protocol

    from .conftest import MINI, load_benchmark

    bench = load_benchmark("reward_throughput")
    original = protocol.RunnerPool.run
    expert = "```python\ndef triangle(n):\n    return sum(range(1, n + 1))\n```"
    crash = "```python\ndef triangle(n):\n    return 1 // 0\n```"
    with RewardModel(problems=MINI, meter="time", workers=1, seed="phases-test", cache_dir=tmp_path) as rm:
        rm.prepare(["triangle"])
        with bench.collected_phases(True) as seen:
            results = rm.score_batch([("triangle", expert), ("triangle", crash)])
        after = rm.score_batch([("triangle", expert + "\n")])
    assert protocol.RunnerPool.run is original
    assert [r.status for r in results] == ["scored", "scored"] and results[0].passed and not results[1].passed
    assert results[0].tests_run > 1 and results[1].tests_run == 1
    assert len(seen) == sum(r.tests_run for r in results)  # nothing of the later call
    assert all(set(bench.PHASES) <= set(p) for p in seen)
    assert sum(p["test_child"] for p in seen) == pytest.approx(sum(r.run_seconds for r in results), rel=1e-9)
    figures = bench.phase_figures(seen, sum(r.elapsed_seconds for r in results))
    assert list(figures) == list(bench.PHASES)
    assert all(v["median_ms"] >= 0 and 0 <= v["share"] <= 1 for v in figures.values())
    assert after[0].tests_run > 0
