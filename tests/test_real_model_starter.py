"""The real small models (scripts/setup-llm.sh: SmolLM2-135M chat, Gemma-3-270M completion, served
by llama.cpp) under `effbench sweep` on two problems of the starter set, the set made for them
(issue 15 item 6): every answer is scored and accounted for, both strategies' curves and the
cheapest-budget table are written, the completion-mode model is shown the set's few-shot preamble
(the chat model is not), and a second sweep asks the server nothing. Never skipped in
CI (tests/test_real_model.py's fixture fails there when the models are missing)."""

from __future__ import annotations

import hashlib
import json

from .test_real_model import effbench, server  # noqa: F401 - the llama.cpp server fixture

SUBSET = ("reverse_string", "sum_list")
VERDICTS = {"ok", "wrong", "error", "censored_budget", "censored_memory", "killed"}


def test_real_model_sweep_on_starter_subset_accounts_every_answer_and_writes_curves(server, tmp_path):  # noqa: F811
    """Invariant: a real model's sweep on the starter set gives budget x problems scored samples
    with their token usage, a curve per strategy over k = 1..budget, the cheapest-budget table,
    and no repeated request (the second sweep is answered from the cache). In completion mode the
    set's few-shot preamble is recorded and its tokens are in every prompt; chat mode sends none."""
    name, mode, base = server
    args = [
        "sweep", "--problem-set", "starter", "--problems", ",".join(SUBSET), "--model", name,
        "--base-url", base, "--mode", mode, "--strategies", "parallel,select", "--budgets", "1,2",
        "--max-tokens", "96", "--temperature", "0.3", "--sampling-seed", "7", "--meter", "time", "--yes",
        "--out", str(tmp_path / "sweep"),
    ]  # fmt: skip
    out = effbench(*args, cache_dir=tmp_path / "cache")
    assert out.returncode == 0, out.stderr[-3000:]
    runs = [d for d in (tmp_path / "sweep").iterdir() if (d / "samples.jsonl").is_file()]
    assert [d.name for d in runs] == ["select-n2"]
    records = [json.loads(x) for x in (runs[0] / "samples.jsonl").read_text().splitlines()]
    assert sorted((r["problem_id"], r["sample_index"]) for r in records) == [(p, i) for p in SUBSET for i in (0, 1)]
    for r in records:
        assert r["verdict"] in VERDICTS and r["model"] == name
        assert r["meta"]["usage"]["completion_tokens"] > 0 and r["meta"]["usage"]["prompt_tokens"] > 0
    from effbench.problems import bundled_problem_set_dir, load_problem_set

    starter = load_problem_set(bundled_problem_set_dir("starter"))
    config = json.loads((runs[0] / "config.json").read_text())
    recorded = config["prompt_prefix"]
    if mode == "chat":  # the set's stops end a base model's function; they would cut a chat answer
        assert config["model"]["stop"] is None
    if mode == "completion":
        assert recorded["sha256"] == hashlib.sha256(starter.completion_prefix.encode()).hexdigest()
        for r in records:  # the preamble's tokens were sent (a code token is at most ~6 characters)
            sent = len(starter.completion_prefix) + len(starter.get(r["problem_id"]).prompt)
            assert r["meta"]["usage"]["prompt_tokens"] > sent / 6, r["meta"]["usage"]
    else:
        assert recorded is None
    data = json.loads((tmp_path / "sweep" / "curves.json").read_text())
    series = {p["series"] for p in data["points"]}
    assert series == {f"{name} (parallel)", f"{name} (select)"}
    parallel = sorted((p for p in data["points"] if p["series"] == f"{name} (parallel)"), key=lambda p: p["budget"])
    assert [p["budget"] for p in parallel] == [1, 2]
    assert parallel[0]["pass_rate"] <= parallel[1]["pass_rate"]  # pass@2 is never below pass@1
    assert "| eff level |" in (tmp_path / "sweep" / "cheapest.md").read_text()
    assert (tmp_path / "sweep" / "curves.png").stat().st_size > 1000
    again = effbench(*args, cache_dir=tmp_path / "cache")
    assert again.returncode == 0 and "0 model request(s) sent in all" in again.stderr, again.stderr[-2000:]
