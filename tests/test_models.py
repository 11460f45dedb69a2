"""Model adapters against a real HTTP server on 127.0.0.1 that speaks the OpenAI API and
misbehaves on purpose (code extraction: tests/test_extract.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from .conftest import MINI
from .openai_fake import FakeOpenAI

FAST = "Sure!\n```python\ndef triangle(n):\n    return n * (n + 1) // 2 if n > 0 else 0\n```\nThis is O(1)."
SLOW = "A loop works:\n```\ndef triangle(n):\n    t = 0\n    for i in range(n + 1):\n        t += i\n    return t\n```"
WRONG = "```python\ndef triangle(n):\n    return n\n```"
UNPARSEABLE = "I think you should add up the numbers one by one."
SCRIPT = [FAST, SLOW, WRONG, UNPARSEABLE]


def scripted(prompt: str, index: int) -> str:
    return SCRIPT[index % len(SCRIPT)]


ENTRY = "triangle"


def effbench(*args, cache_dir, extra_env=None):
    env = {**os.environ, "EFFBENCH_CACHE_DIR": str(cache_dir), **(extra_env or {})}
    return subprocess.run([sys.executable, "-m", "effbench", *args], capture_output=True, text=True, env=env)


def model_args(server, run_dir, *extra):
    return [
        "evaluate",
        "--problems-dir",
        str(MINI),
        "--model",
        "scripted-model",
        "--base-url",
        server.base_url,
        "--run-dir",
        str(run_dir),
        "--json",
        "--request-timeout",
        "1",
        "--max-retries",
        "6",
        *extra,
    ]


@pytest.mark.parametrize("max_choices", [1, 64], ids=["one-choice-server", "n-choice-server"])
def test_scripted_model_despite_faults_then_zero_requests(tmp_path, max_choices):
    """Faults are retried, every sample is accounted once with its usage, the scores follow the
    script (2 of 4 correct), and a second invocation sends no request at all."""
    prices = tmp_path / "prices.toml"
    prices.write_text('[models."scripted-model"]\ninput = 1.0\noutput = 2.0\n')
    faults = ["429", "500", "hang", "drop", "malformed"]
    with FakeOpenAI(scripted, faults=faults, max_choices=max_choices) as server:
        out = effbench(
            *model_args(
                server, tmp_path / "a", "--samples", "4", "--k", "1,2,4", "--prices", str(prices), "--seed", "t"
            ),
            cache_dir=tmp_path / "cache",
        )
        assert out.returncode == 0, out.stderr
        assert server.faults_served == faults
        summary = json.loads(out.stdout)["models"]["scripted-model"]
        triangle = summary["problems"]["triangle"]
        assert triangle["n"] == 4 and triangle["correct"] == 2
        assert triangle["pass@k"]["1"] == pytest.approx(0.5)
        records = [json.loads(x) for x in (tmp_path / "a" / "samples.jsonl").read_text().splitlines()]
        effs = sorted(r["efficiency"] for r in records)
        assert triangle["eff@k"]["1"] == pytest.approx(sum(effs) / 4)
        assert triangle["eff@k"]["4"] == pytest.approx(max(effs))
        assert effs[-1] > 1.0  # the O(1) answer beats the expert
        assert {r["error_type"] for r in records if r["failed"]} == {None, "NoCode"}
        usage = [r["meta"]["usage"] for r in records]
        assert all(u["completion_tokens"] > 0 and u["prompt_tokens"] > 0 for u in usage)
        total = summary["overall"]["usage"]
        assert total["usd"] == pytest.approx((total["prompt_tokens"] * 1.0 + total["completion_tokens"] * 2.0) / 1e6)
        sent = len(server.requests)
        again = effbench(
            *model_args(
                server, tmp_path / "b", "--samples", "4", "--k", "1,2,4", "--prices", str(prices), "--seed", "t"
            ),
            cache_dir=tmp_path / "cache",
        )
        assert again.returncode == 0, again.stderr
        assert len(server.requests) == sent
        second = json.loads(again.stdout)["models"]["scripted-model"]["problems"]["triangle"]
        for key in ("n", "correct", "pass@k", "eff@k", "speedup", "verdicts"):  # not the timings
            assert second[key] == triangle[key], key


@pytest.mark.parametrize(
    "fault,args,message",
    [
        ("401", [], "401 unauthorized; set $OPENAI_API_KEY"),
        (None, ["--model", "nope"], "404 not found; check --model and --base-url"),
    ],
)
def test_auth_and_unknown_model_are_one_clear_error(tmp_path, fault, args, message):
    with FakeOpenAI(scripted, faults=[fault] if fault else []) as server:
        base = model_args(server, tmp_path / "run", "--samples", "1")
        if args:
            base[base.index("--model") + 1] = args[1]
        out = effbench(*base, cache_dir=tmp_path / "cache")
    assert out.returncode == 2
    lines = [x for x in out.stderr.splitlines() if x.startswith("effbench: error:")]
    assert len(lines) == 1 and message in lines[0], out.stderr


def test_bad_model_options_fail_before_any_request(tmp_path):
    with FakeOpenAI(scripted) as server:
        out = effbench(*model_args(server, tmp_path / "run", "--samples", "2", "--k", "3"), cache_dir=tmp_path / "c")
        assert out.returncode == 2 and "--k 3 is larger than n=2" in out.stderr
        out = effbench(*model_args(server, tmp_path / "run", "--samples", "many"), cache_dir=tmp_path / "c")
        assert out.returncode == 2 and "takes a number of samples" in out.stderr
        assert server.requests == [] and not (tmp_path / "run").exists()


def test_refine_rounds_and_curves(tmp_path):
    """Refinement shows the model its verdict and measured cost; rounds become their own curve;
    eff@k of parallel sampling is non-decreasing in k."""
    with FakeOpenAI(lambda prompt, i: SCRIPT[(i + (1 if "previous code" in prompt else 0)) % 4]) as server:
        par = effbench(
            *model_args(server, tmp_path / "par", "--samples", "4", "--k", "1,2,3,4"), cache_dir=tmp_path / "cache"
        )
        assert par.returncode == 0, par.stderr
        ref = effbench(
            *model_args(server, tmp_path / "ref", "--samples", "2", "--strategy", "refine", "--rounds", "2"),
            cache_dir=tmp_path / "cache",
        )
        assert ref.returncode == 0, ref.stderr
        follow_ups = [r for r in server.requests if "previous code" in json.dumps(r["body"])]
        assert follow_ups and all(
            "instructions" in json.dumps(r["body"]) or "Fix it" in json.dumps(r["body"]) for r in follow_ups
        )
        assert all("sum(range(1, n + 1))" not in json.dumps(r["body"]) for r in server.requests)  # never the reference
    labels = {json.loads(x)["model"] for x in (tmp_path / "ref" / "samples.jsonl").read_text().splitlines()}
    assert labels == {"scripted-model+refine:r0", "scripted-model+refine:r1"}
    out = effbench(
        "curves",
        str(tmp_path / "par"),
        str(tmp_path / "ref"),
        "--out",
        str(tmp_path / "curves"),
        cache_dir=tmp_path / "cache",
    )
    assert out.returncode == 0, out.stderr
    data = json.loads((tmp_path / "curves" / "curves.json").read_text())
    assert (tmp_path / "curves" / "curves.png").stat().st_size > 1000
    assert (tmp_path / "curves" / "curves.svg").read_text().lstrip().startswith("<?xml")
    series = {p["series"] for p in data["points"]}
    assert series == {"scripted-model (parallel)", "scripted-model (refine)"}
    par_pts = [p for p in data["points"] if p["series"] == "scripted-model (parallel)"]
    assert [p["label"] for p in par_pts] == ["k=1", "k=2", "k=3", "k=4"]
    effs = [p["eff"] for p in par_pts]
    assert all(b >= a - 1e-12 for a, b in zip(effs, effs[1:]))
    assert any(p["pareto"] for p in data["points"])
    refine_pts = [p for p in data["points"] if p["series"] == "scripted-model (refine)"]
    assert [p["label"] for p in refine_pts] == ["round 1", "round 2"]
    assert refine_pts[1]["cost"] > refine_pts[0]["cost"] and refine_pts[1]["eff"] >= refine_pts[0]["eff"]
