"""The verl adapter (issue 14 item 3): compute_score single and batched, and the dataset rows."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from effbench.reward import verl

MINI = str(Path(__file__).parent / "fixtures" / "mini" / "problems")
OPTIONS = {"problems": MINI, "meter": "time", "workers": 2, "seed": "verl-tests", "shaping": "binary"}
EXPERT = "```python\ndef triangle(n):\n    return sum(range(1, n + 1))\n```"
WRONG = "```python\ndef triangle(n):\n    return -1\n```"


def test_compute_score_reads_the_problem_from_ground_truth_or_extra_info():
    """Invariant: the naive manager's signature gives a float; extra_info's task_id wins over ground_truth."""
    assert verl.compute_score("effbench", EXPERT, "triangle", None, **OPTIONS) == 1.0
    assert verl.compute_score("effbench", WRONG, "triangle", {"index": 3}, **OPTIONS) == 0.0
    assert verl.compute_score("effbench", EXPERT, "unknown", {"task_id": "triangle"}, **OPTIONS) == 1.0
    body = "    return sum(range(1, n + 1))\n"
    assert verl.compute_score("x", body, "triangle", {"extraction": "completion"}, **OPTIONS) == 1.0


def test_compute_score_batch_takes_verl_arrays_and_keeps_order():
    """Invariant: the batch manager's numpy object arrays in, one float per response out, in order;
    garbage (no code, unknown problem, a None response) gets the failure reward, never an exception."""
    sols = np.array([WRONG, EXPERT, "no code", None, EXPERT], dtype=object)
    truths = np.array(["triangle", "triangle", "triangle", "triangle", "nope"], dtype=object)
    infos = np.array([{"index": i} for i in range(5)], dtype=object)
    out = verl.compute_score_batch(np.array(["effbench"] * 5, dtype=object), sols, truths, infos, **OPTIONS)
    assert out == [0.0, 1.0, 0.0, 0.0, 0.0] and all(isinstance(x, float) and math.isfinite(x) for x in out)


def test_one_reward_model_per_options_is_kept_warm():
    """Invariant: the same reward kwargs reuse one RewardModel (its sandbox stays warm across steps)."""
    a = verl.reward_model(**OPTIONS)
    b = verl.reward_model(**OPTIONS)
    c = verl.reward_model(**{**OPTIONS, "shaping": "efficiency"})
    assert a is b and a is not c and c.shaping.kind == "efficiency"


def test_verl_rows_follow_verls_dataset_layout():
    """Invariant: rows carry data_source, chat prompt, ability, reward_model.ground_truth = task_id, extra_info."""
    rows = verl.verl_rows(MINI)
    assert [r["extra_info"]["task_id"] for r in rows] == ["reverse_words", "triangle"]
    row = rows[1]
    assert row["data_source"] == "effbench" and row["ability"] == "code"
    assert row["reward_model"] == {"style": "rule", "ground_truth": "triangle"}
    assert row["prompt"][-1]["role"] == "user" and "def triangle(" in row["prompt"][-1]["content"]


def test_verl_rows_select_the_starter_set_by_name():
    """Invariant: verl_rows(problem_set="starter") gives the starter set's problems, ground truth = task_id."""
    rows = verl.verl_rows(problem_set="starter", ids=["sum_list"])
    assert [r["reward_model"]["ground_truth"] for r in rows] == ["sum_list"]
    assert "def sum_list(" in rows[0]["prompt"][-1]["content"]
