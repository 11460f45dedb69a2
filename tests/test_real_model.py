"""A real model, end to end: llama.cpp's OpenAI-compatible server on 127.0.0.1 with two small
models shipped inside PyPI packages (scripts/setup-llm.sh): SmolLM2-135M-Instruct in chat mode
and Gemma-3-270M (base) in completion mode, both strategies. The models' code is mostly wrong;
what is checked is the accounting: every sample is there with its usage, nothing is asked twice,
and the curves are produced."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from .conftest import MINI

ROOT = Path(__file__).resolve().parent.parent
LLM = ROOT / ".venv-llm"
MODELS = {"smollm2": ("chat", LLM / "models" / "smollm2.gguf"), "gemma": ("completion", LLM / "models" / "gemma.gguf")}


def _require_setup():
    if all(path.exists() for _, path in MODELS.values()) and (LLM / "bin" / "python").exists():
        return
    message = "run scripts/setup-llm.sh first (scripts/test.sh does)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module", params=sorted(MODELS))
def server(request):
    _require_setup()
    name = request.param
    mode, gguf = MODELS[name]
    port = _free_port()
    log = open(Path(os.environ.get("TMPDIR", "/tmp")) / f"effbench-llama-{name}-{port}.log", "w")
    proc = subprocess.Popen(
        [
            str(LLM / "bin" / "python"),
            "-m",
            "llama_cpp.server",
            "--model",
            str(gguf),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--n_ctx",
            "2048",
            "--model_alias",
            name,
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + 180
    while True:
        try:
            with urllib.request.urlopen(base + "/models", timeout=2) as resp:
                if resp.status == 200:
                    break
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"llama.cpp server for {name} did not start; see {log.name}")
        time.sleep(0.5)
    yield name, mode, base
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


def effbench(*args, cache_dir):
    env = {**os.environ, "EFFBENCH_CACHE_DIR": str(cache_dir)}
    return subprocess.run(
        [sys.executable, "-m", "effbench", *args], capture_output=True, text=True, env=env, timeout=1200
    )


def test_real_model_both_strategies(server, tmp_path):
    name, mode, base = server
    common = [
        "evaluate",
        "--problems-dir",
        str(MINI),
        "--model",
        name,
        "--base-url",
        base,
        "--mode",
        mode,
        "--max-tokens",
        "160",
        "--temperature",
        "0.7",
        "--sampling-seed",
        "7",
        "--json",
        "--yes",
        "--meter",
        "time",  # the accounting is what is checked: no valgrind start-up in CI
    ]
    runs = {"parallel": ["--samples", "2"], "refine": ["--samples", "1", "--strategy", "refine", "--rounds", "2"]}
    for strategy, extra in runs.items():
        out = effbench(*common, "--run-dir", str(tmp_path / strategy), *extra, cache_dir=tmp_path / "cache")
        assert out.returncode == 0, out.stderr[-3000:]
        records = [json.loads(x) for x in (tmp_path / strategy / "samples.jsonl").read_text().splitlines()]
        expected = 2 * 2 if strategy == "parallel" else 2 * 1 * 2  # problems x samples (x rounds)
        assert len(records) == expected
        assert {r["problem_id"] for r in records} == {"triangle", "reverse_words"}
        for r in records:
            usage = r["meta"]["usage"]
            assert r["meta"]["attempts"] and r["meta"]["attempts"][-1]["outcome"] in ("answered", "abandoned")
            if "chain_end" not in r["meta"]:  # a chain refused for its context has no answer
                assert usage["completion_tokens"] > 0 and usage["prompt_tokens"] > 0, r["meta"]
            assert r["verdict"] in {"ok", "wrong", "error", "censored_budget", "censored_memory", "killed"}
        summary = json.loads(out.stdout)
        assert sum(m["overall"]["usage"]["samples"] for m in summary["models"].values()) == expected
        assert "cost estimate" in out.stderr and "request(s) at once" in out.stderr
        if strategy == "refine":
            assert [t["round"] for t in summary["refinement"]] == [1, 2]
    again = effbench(*common, "--run-dir", str(tmp_path / "again"), *runs["parallel"], cache_dir=tmp_path / "cache")
    assert again.returncode == 0 and "0 sent" in again.stderr, again.stderr[-2000:]
    curves = effbench(
        "curves",
        str(tmp_path / "parallel"),
        str(tmp_path / "refine"),
        "--out",
        str(tmp_path / "c"),
        cache_dir=tmp_path / "cache",
    )
    assert curves.returncode == 0, curves.stderr
    data = json.loads((tmp_path / "c" / "curves.json").read_text())
    assert {p["series"] for p in data["points"]} == {f"{name} (parallel)", f"{name} (refine)"}
    assert (tmp_path / "c" / "curves.png").stat().st_size > 1000
    from effbench.curves import build_figure, collect, text_overlaps

    fig = build_figure(collect([tmp_path / "parallel", tmp_path / "refine"]))
    assert text_overlaps(fig) == []
