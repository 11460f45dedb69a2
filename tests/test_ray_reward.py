"""RewardModel(executor="ray") end to end on a real Ray head (issue 14 items 1 and 4 together).

The reward engineer's picklable ItemScorer runs on Ray actors through effbench.executors: the
rewards, verdicts and instruction counts (valgrind) must equal the local executor's, in order,
for correct, slow, wrong, crashing, garbage and unknown-problem items alike.
"""

from __future__ import annotations

import os

from effbench.reward import RewardModel
from effbench.verdicts import Verdict

from .conftest import MINI
from .other_node import other_node_path
from .ray_support import another_head, map_killing_a_worker

EXPERT = "```python\ndef triangle(n):\n    return n * (n + 1) // 2 if n > 0 else 0\n```"
LOOP = "```python\ndef triangle(n):\n    t = 0\n    for i in range(n + 1):\n        t += i\n    return t\n```"
WRONG = "```python\ndef triangle(n):\n    return n\n```"
CRASH = "```python\ndef triangle(n):\n    return 1 // 0\n```"
REVERSE = "```python\ndef reverse_words(s):\n    return ' '.join(reversed(s.split()))\n```"
ITEMS = [
    ("triangle", EXPERT),
    ("reverse_words", REVERSE),
    ("triangle", LOOP),
    ("triangle", WRONG),
    ("triangle", CRASH),
    ("triangle", "I cannot help with that."),
    ("no_such_problem", EXPERT),
    ("reverse_words", REVERSE),
]


def _facts(result):
    censored = result.censored_level
    costs = tuple(c if censored is None or i < censored else None for i, c in enumerate(result.level_costs))
    return (
        result.problem_id,
        result.reward,
        result.passed,
        result.verdict,
        result.status,
        costs,
        result.reference_level_costs,
    )


def test_reward_model_on_ray_gives_the_local_rewards_and_counts(ray_head):
    """score_batch on Ray = on local threads: same rewards and valgrind counts, item by item, in order."""
    options = {"problems": MINI, "meter": "valgrind", "seed": "ray-reward", "workers": 1, "cache": False}
    with RewardModel(**options) as local:
        expected = local.score_batch(ITEMS)
    # workers=None: an actor on every CPU of the head (two); the options' workers=1 would be one actor
    with RewardModel(**{**options, "workers": None}, executor="ray", address=ray_head.address) as remote:
        got = remote.score_batch(ITEMS)
        again = remote.score_batch(ITEMS[:3])  # warm actors, a second call
    assert [r.problem_id for r in got] == [pid for pid, _ in ITEMS]
    assert [_facts(r) for r in got] == [_facts(r) for r in expected]
    assert [_facts(r) for r in again] == [_facts(r) for r in expected[:3]]
    assert got[0].passed and got[0].verdict == Verdict.OK and got[0].level_costs[-1] > 0
    assert not got[3].passed and got[3].reward < got[0].reward


def test_reward_profiles_are_measured_once_for_the_whole_cluster(ray_head):
    """With the time meter every measurement differs, yet every item of a problem scored on Ray
    carries the very same expert costs: one profile per problem, measured on one worker and shared
    with the other through the object store (not re-measured by each worker)."""
    items = [("triangle", EXPERT)] * 6 + [("reverse_words", REVERSE)] * 6
    options = {"problems": MINI, "meter": "time", "seed": "one-profile", "workers": 1, "cache": False}
    # workers=None: an actor on every CPU of the head (two); the options' workers=1 would be one actor
    with RewardModel(**{**options, "workers": None}, executor="ray", address=ray_head.address) as remote:
        results = remote.score_batch(items)
    # the time meter on a loaded machine may censor an expert item (over twice its profile): the
    # answers are what is judged exactly here
    assert all(r.passed or r.verdict == Verdict.CENSORED_BUDGET for r in results) and any(r.passed for r in results)
    for pid in ("triangle", "reverse_words"):
        assert len({r.reference_level_costs for r in results if r.problem_id == pid}) == 1


def test_a_killed_worker_loses_no_reward_and_the_retry_is_in_the_result(ray_head):
    """SIGKILL a Ray worker while ItemScorer items are in flight: every item still gets its reward,
    in order, and the items it held say so in RewardResult.retries (the worker and the attempt)."""
    items = [("triangle", EXPERT), ("triangle", WRONG), ("reverse_words", REVERSE)] * 5
    options = {"problems": MINI, "meter": "time", "seed": "kill-reward", "workers": 1, "cache": False}
    with RewardModel(**options, warm=False) as model:
        scorer = model.scorer  # the picklable item function RewardModel(executor="ray") maps
    results, lost, killed = map_killing_a_worker(ray_head.address, scorer, items)
    assert [r.problem_id for r in results] == [pid for pid, _ in items]
    for (_pid, code), r in zip(items, results, strict=True):  # time meter: censoring under load
        assert (not r.passed and r.verdict == Verdict.WRONG) if code == WRONG else (r.passed or r.verdict.censored)
    assert lost, "no item was in flight on the killed worker"
    for i, result in enumerate(results):
        if i in lost:
            assert result.retries and all(f"pid {killed} " in r["worker"] for r in result.retries)
        else:
            assert result.retries == ()


def test_ray_workers_that_count_otherwise_never_judge_against_the_local_profile(ray_head, triangle, tmp_path):
    """Issue 14's local-vs-Ray difference: the executors' runners counted in environments that
    differ where the fingerprint does not look (a debug-symbol package installed between their
    starts). Here the Ray workers' valgrind is a wrapper that changes their runners' environment
    (tests/other_node.py) and the local model has filled the shared profile cache first: the Ray
    workers must not judge against that profile (same fingerprint, other counts) but measure their
    own, so that the expert scores exactly 1.0 on both executors, each against its own counts."""
    expert = f"```python\n{triangle.expert_code}\n```"
    options = {"problems": MINI, "meter": "valgrind", "seed": "ray-other-node", "workers": 1, "cache_dir": tmp_path}
    with RewardModel(**options) as local:
        here = local.score("triangle", expert)
    with other_node_path() as path, another_head({**os.environ, "PATH": path}) as head:
        with RewardModel(**options, executor="ray", address=head.address) as remote:
            there = remote.score_batch([("triangle", expert)] * 2)
    assert here.passed and here.efficiency == 1.0 and here.level_costs == here.reference_level_costs
    assert there[0].level_costs != here.level_costs, "the wrapper did not change the Ray workers' counts: no test"
    for r in there:
        assert r.passed and r.efficiency == 1.0 and r.reward == 1.0
        assert r.level_costs == r.reference_level_costs
