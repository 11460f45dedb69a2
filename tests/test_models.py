"""Model adapters against a real HTTP server on 127.0.0.1 that speaks the OpenAI API and
misbehaves on purpose (code extraction: tests/test_extract.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import matplotlib.text
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
        prompt_all = total["prompt_tokens"] + total["abandoned_prompt_tokens"]
        completion_all = total["completion_tokens"] + total["abandoned_completion_tokens"]
        assert total["usd"] == pytest.approx((prompt_all * 1.0 + completion_all * 2.0) / 1e6)
        assert total["abandoned_attempts"] == len(faults)
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
    assert labels == {"scripted-model+refine:round1", "scripted-model+refine:round2"}
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
    # the unit and why; 95% intervals over the 2 problems around each mean; a pass@k panel
    assert data["cost_unit"] == "tokens" and "no price for scripted-model" in data["cost_unit_reason"]
    for p in data["points"]:
        low, high = p["eff_ci"]
        assert low - 1e-9 <= p["eff"] <= high + 1e-9 and p["problems"] == 2
    from effbench.curves import build_figure, collect, text_overlaps

    fig = build_figure(collect([tmp_path / "par", tmp_path / "ref"]))
    assert text_overlaps(fig) == []
    texts = {t.get_text() for t in fig.findobj(matplotlib.text.Text)}
    assert {"k=1", "round 1"} <= texts and any("tokens: no price" in t for t in texts)
    assert [ax.get_ylabel().split()[0] for ax in fig.axes] == ["eff@k", "pass@k"]


def crowded_curves():
    """Three series with eight points each, almost on top of each other."""
    from effbench.curves import Curves, Point

    points = [
        Point(f"model-{s} (parallel)", f"k={k}", 100.0 * k + s, 100.0 * k + s, None, 0.1 * k, 0.01 * k + 0.001 * s)
        for s in range(3)
        for k in range(1, 9)
    ]
    return Curves(points, "tokens", "no price for model-0, model-1, model-2 (--prices FILE)")


def test_curve_labels_never_overlap_even_when_crowded():
    """Labels of points that nearly coincide are placed apart or left out; no text of the
    figure (labels, ticks, axis labels, legend, title) overlaps another."""
    from effbench.curves import build_figure, text_overlaps

    fig = build_figure(crowded_curves())
    assert text_overlaps(fig) == []
    placed = [t for t in fig.findobj(matplotlib.text.Text) if t.get_text().startswith("k=")]
    assert len(placed) >= 6  # and still labels most of what fits


def test_curves_zero_efficiency_axis_and_mixed_problem_sets(tmp_path):
    """All-zero efficiencies keep the y axis at 0 and above; runs on different problem subsets
    are refused with one line, or plotted marked with --allow-mixed-problems."""
    with FakeOpenAI(lambda p, i: UNPARSEABLE) as server:
        for name, extra in (("all", []), ("one", ["--limit", "1"])):
            out = effbench(
                *model_args(server, tmp_path / name, "--samples", "2", *FAST_METER, *extra), cache_dir=tmp_path / "c"
            )
            assert out.returncode == 0, out.stderr
    from effbench.curves import build_figure, collect, text_overlaps

    table = effbench("score", str(tmp_path / "all"), cache_dir=tmp_path / "c")
    assert "error:2(NoCode:2)" in table.stdout, table.stdout  # the table names the error type
    fig = build_figure(collect([tmp_path / "all"]))
    assert all(ax.get_ylim()[0] == 0.0 and ax.get_ylim()[1] > 0.5 for ax in fig.axes)
    assert text_overlaps(fig) == []
    both = [str(tmp_path / "all"), str(tmp_path / "one")]
    out = effbench("curves", *both, "--out", str(tmp_path / "x"), cache_dir=tmp_path / "c")
    assert out.returncode == 2 and "cover different problems" in out.stderr and not (tmp_path / "x").exists()
    out = effbench("curves", *both, "--out", str(tmp_path / "x"), "--allow-mixed-problems", cache_dir=tmp_path / "c")
    assert out.returncode == 0, out.stderr
    data = json.loads((tmp_path / "x" / "curves.json").read_text())
    assert data["mixed_problem_sets"] is True
    assert {p["series"] for p in data["points"]} == {
        "scripted-model (parallel) [2 problems]",
        "scripted-model (parallel, one) [1 problems]",
    }


def test_curves_say_when_their_runs_were_made_on_different_versions_of_a_set(tmp_path):
    """The threat: two runs of the same problem ids made on different versions of their set (an
    edited prompt preamble, a reworded statement) plotted as if comparable, silently. The
    invariant: curves names each series' set version in curves.json and says on stderr when they
    differ; runs on one version get no such note."""
    with FakeOpenAI(lambda p, i: UNPARSEABLE) as server:
        for name in ("a", "b"):  # two runs (a copy of one run is drawn once: rundir.same_run_as)
            args = model_args(server, tmp_path / name, "--samples", "1", *FAST_METER)
            out = effbench(*args, cache_dir=tmp_path / "c")
            assert out.returncode == 0, out.stderr
    runs = [str(tmp_path / "a"), str(tmp_path / "b")]
    same = effbench("curves", *runs, "--out", str(tmp_path / "same"), cache_dir=tmp_path / "c")
    assert same.returncode == 0, same.stderr
    assert "different versions" not in same.stderr
    versions = json.loads((tmp_path / "same" / "curves.json").read_text())["problem_set_versions"]
    assert len(set(versions.values())) == 1 and len(versions) == 2
    config = json.loads((tmp_path / "b" / "config.json").read_text())
    config["problem_set_version"], config["problem_set_hash"] = "9.9.9", "0" * 16
    (tmp_path / "b" / "config.json").write_text(json.dumps(config))
    other = effbench("curves", *runs, "--out", str(tmp_path / "other"), cache_dir=tmp_path / "c")
    assert other.returncode == 0, other.stderr
    assert "different versions of their problem set" in other.stderr and "9.9.9" in other.stderr
    versions = json.loads((tmp_path / "other" / "curves.json").read_text())["problem_set_versions"]
    assert len(set(versions.values())) == 2


# the accounting tests need no instruction counts: the time meter spares valgrind's start-up
FAST_METER = ["--meter", "time"]


def records_of(run_dir):
    return [json.loads(x) for x in (run_dir / "samples.jsonl").read_text().splitlines()]


def test_single_slot_server_every_attempt_recorded_and_tokens_match_the_server(tmp_path):
    """Against a one-request-at-a-time server with injected time-outs, errors and dropped
    connections: every HTTP attempt is in some sample's record (answered ones with usage,
    abandoned ones with the prompt tokens sent, time and reason); the summary's answered token
    totals equal the server's own count for the requests it answered, and the abandoned attempts
    are counted apart, with the prompt tokens the server received for them."""
    faults = ["stall", "500", "drop_mid", "hang", "drop", "429"]
    with FakeOpenAI(scripted, faults=faults, max_choices=1, slots=1, token_delay=0.01, hang_seconds=8) as server:
        out = effbench(
            *model_args(server, tmp_path / "a", "--samples", "3", "--k", "1,3", "--max-retries", "8", *FAST_METER),
            cache_dir=tmp_path / "cache",
        )
        assert out.returncode == 0, out.stderr
        assert server.faults_served == faults and server.max_active == 1
    records = records_of(tmp_path / "a")
    assert len(records) == 2 * 3
    attempts = [a for r in records for a in r["meta"]["attempts"]]
    # a request for several samples is in each of their records, with share = how many
    assert sum(1 / a["share"] for a in attempts) == pytest.approx(len(server.requests))
    answered = [a for a in attempts if a["outcome"] == "answered"]
    abandoned = [a for a in attempts if a["outcome"] == "abandoned"]
    assert len(answered) == len(server.answered) == 6
    assert sum(1 / a["share"] for a in abandoned) == pytest.approx(len(faults))
    reasons = sorted({(a["reason"], a["seconds"]) for a in abandoned})  # one per request
    reasons = [reason for reason, _ in reasons]
    assert sum("time-out: no token for 1 s" in x for x in reasons) == 2, reasons  # stall and hang
    assert "HTTP 500" in reasons and "HTTP 429" in reasons
    assert sum(x.startswith("connection dropped") for x in reasons) == 2, reasons
    assert all(a["seconds"] >= 1.0 for a in abandoned if a["reason"].startswith("time-out"))
    usage = json.loads(out.stdout)["models"]["scripted-model"]["overall"]["usage"]
    assert usage["prompt_tokens"] == pytest.approx(server.answered_prompt_tokens)
    assert usage["completion_tokens"] == pytest.approx(server.answered_completion_tokens)
    assert usage["abandoned_attempts"] == pytest.approx(len(faults))
    faulted_prompt = sum(r["prompt_tokens"] for r in server.requests if r["fault"])
    assert usage["abandoned_prompt_tokens"] == pytest.approx(faulted_prompt)
    assert usage["abandoned_completion_tokens"] > 0  # the stalled and dropped streams had begun
    per_problem = json.loads(out.stdout)["models"]["scripted-model"]["problems"]
    assert sum(p["usage"]["prompt_tokens"] for p in per_problem.values()) == pytest.approx(usage["prompt_tokens"])
    assert "model requests: 12 sent" in out.stderr


@pytest.mark.parametrize("concurrency,queued_timeouts", [(None, False), ("2", True)], ids=["default", "two"])
def test_default_concurrency_never_times_out_queued_requests(tmp_path, concurrency, queued_timeouts):
    """A single-slot server that says so (llama.cpp's /props) and generates slowly: with the
    default concurrency (auto) no request waits in its queue past the silence time-out; forcing 4
    at once does time out (which shows the test can see it)."""
    extra = ["--samples", "2", "--max-retries", "8", *FAST_METER]
    extra += ["--concurrency", concurrency] if concurrency else []
    with FakeOpenAI(scripted, max_choices=1, slots=1, props=True, token_delay=0.1) as server:
        out = effbench(*model_args(server, tmp_path / "a", *extra), cache_dir=tmp_path / "cache")
        assert out.returncode == 0, out.stderr
    abandoned = [a for r in records_of(tmp_path / "a") for a in r["meta"]["attempts"] if a["outcome"] == "abandoned"]
    assert bool(abandoned) == queued_timeouts, out.stderr
    if concurrency is None:
        assert "1 request(s) at once: the server serves 1 at once (/props total_slots)" in out.stderr


def long_or_short(prompt: str, index: int) -> str:
    """Chain 0's first answer is long (a long comment in the function); every other answer short."""
    entry = "reverse_words" if "reverse_words" in prompt else "triangle"
    body = (
        "return ' '.join(text.split()[::-1])" if entry == "reverse_words" else "return n * (n + 1) // 2 if n > 0 else 0"
    )
    arg = "text" if entry == "reverse_words" else "n"
    padding = "".join(f"    # note {i}: this explains the approach at length\n" for i in range(60))
    first_round = "Earlier attempts" not in prompt and "previous" not in prompt.lower()
    comment = padding if first_round and index == 0 else ""
    return f"```python\ndef {entry}({arg}):\n{comment}    {body}\n```"


@pytest.mark.parametrize("props", [False, True], ids=["context-unknown", "context-from-props"])
def test_refine_survives_context_overflow(tmp_path, props):
    """`--strategy refine --rounds 3` against a server with a small context: when the client
    does not know the context, the chains whose follow-up prompt overflows end there, named in the
    records, the log and the refinement table, and the others go on to round 3; when the server
    says its context (/props), the long previous code is left out and every chain completes."""
    with FakeOpenAI(long_or_short, max_choices=1, context=420, props=props) as server:
        out = effbench(
            *model_args(server, tmp_path / "r", "--samples", "2", "--strategy", "refine", "--rounds", "3", *FAST_METER),
            cache_dir=tmp_path / "cache",
        )
        assert out.returncode == 0, out.stderr
        refused = server.refused_context
    records = records_of(tmp_path / "r")
    by_round = {r: [x for x in records if x["meta"]["round"] == r - 1] for r in (1, 2, 3)}  # stored from 0
    summary = json.loads(out.stdout)
    table = summary["refinement"]
    assert [t["round"] for t in table] == [1, 2, 3]
    if props:
        assert refused == 0 and [len(v) for v in by_round.values()] == [4, 4, 4]
        assert all(not t["chains_ended"] for t in table)
        return
    assert refused == 2
    ended = sorted(f"{x['problem_id']}#{x['sample_index']}" for x in by_round[2] if "chain_end" in x["meta"])
    assert ended == ["reverse_words#0", "triangle#0"]
    assert all("context overflow" in x["meta"]["chain_end"] for x in by_round[2] if "chain_end" in x["meta"])
    assert sorted(x["sample_index"] for x in by_round[3]) == [1, 1]  # the other chains went on
    assert table[1]["chains_ended"] == ended and table[2]["chains_ended"] == ended
    assert "chain 0 of triangle ends: context overflow" in out.stderr
    # the refused attempt is an abandoned attempt of that record, with its prompt tokens
    overflow = [a for x in by_round[2] for a in x["meta"]["attempts"] if a["reason"].startswith("context overflow")]
    assert len(overflow) == 2 and all(a["prompt_tokens"] > 420 for a in overflow)
    # best so far never decreases, cumulative cost never decreases, round numbering from 1
    effs = [t["best_eff_so_far"] for t in table]
    costs = [t["cumulative_tokens_per_chain"] for t in table]
    assert effs == sorted(effs) and costs == sorted(costs)
    assert {x["model"] for x in records} == {f"scripted-model+refine:round{r}" for r in (1, 2, 3)}


def test_completion_mode_stop_sequences_and_generation_settings_are_sent(tmp_path):
    """Completion mode sends stop sequences that end the function (overridable with --stop),
    and --top-k and --seed reach the server."""
    with FakeOpenAI(lambda p, i: "    return n * (n + 1) // 2\n") as server:
        out = effbench(
            *model_args(
                server, tmp_path / "a", "--mode", "completion", "--top-k", "20", "--sampling-seed", "5", *FAST_METER
            ),
            "--problems",
            "triangle",
            cache_dir=tmp_path / "c",
        )
        assert out.returncode == 0, out.stderr
        body = server.requests[-1]["body"]
        assert body["stop"] == ["\ndef ", "\nclass ", "\nif __name__", "\n```"]
        assert body["top_k"] == 20 and body["seed"] == 5
        out = effbench(
            *model_args(server, tmp_path / "b", "--mode", "completion", "--stop", "\\n\\n\\n", *FAST_METER),
            "--problems",
            "triangle",
            cache_dir=tmp_path / "c",
        )
        assert out.returncode == 0, out.stderr
        assert server.requests[-1]["body"]["stop"] == ["\n\n\n"]
        out = effbench(
            *model_args(server, tmp_path / "d", *FAST_METER), "--problems", "triangle", cache_dir=tmp_path / "c"
        )
        assert "stop" not in server.requests[-1]["body"]  # chat mode: none by default


def test_extra_body_fields_reach_the_server_and_key_the_cache(tmp_path):
    """--extra-body's fields (a server's own sampling options, e.g. llama.cpp's repeat_penalty)
    are in every request's body beside --top-k; answers made with other fields are not reused from
    the cache; a field effbench sets itself, or text that is not a JSON object, is refused with
    exit 2 before any request."""
    with FakeOpenAI(scripted) as server:
        args = model_args(server, tmp_path / "a", "--top-k", "7", *FAST_METER)
        out = effbench(*args, "--extra-body", '{"repeat_penalty": 1.0, "min_p": 0.05}', cache_dir=tmp_path / "c")
        assert out.returncode == 0, out.stderr
        body = server.requests[-1]["body"]
        assert body["repeat_penalty"] == 1.0 and body["min_p"] == 0.05 and body["top_k"] == 7
        sent = len(server.requests)
        again = effbench(
            *model_args(server, tmp_path / "b", "--top-k", "7", *FAST_METER),
            "--extra-body",
            '{"repeat_penalty": 1.1}',
            cache_dir=tmp_path / "c",
        )
        assert again.returncode == 0, again.stderr
        assert len(server.requests) > sent and server.requests[-1]["body"]["repeat_penalty"] == 1.1
        sent = len(server.requests)
        for bad, says in (
            ('{"temperature": 0}', "use --temperature"),
            ('{"seed": 3}', "use --sampling-seed"),
            ("[1, 2]", "a JSON object"),
            ('{"x": NaN}', "not a JSON object"),
            ("{'x': 1}", "not a JSON object"),
        ):
            args = model_args(server, tmp_path / "bad", *FAST_METER)
            out = effbench(*args, "--extra-body", bad, cache_dir=tmp_path / "c")
            assert out.returncode == 2 and says in out.stderr and "--extra-body" in out.stderr, (bad, out.stderr)
        assert len(server.requests) == sent and not (tmp_path / "bad").exists()


def test_cache_is_keyed_by_model_not_by_server_address(tmp_path):
    """The same model restarted on another port answers from the cache: no request is sent."""
    with FakeOpenAI(scripted) as first:
        out = effbench(*model_args(first, tmp_path / "a", "--samples", "2", *FAST_METER), cache_dir=tmp_path / "c")
        assert out.returncode == 0 and first.requests, out.stderr
    with FakeOpenAI(scripted) as second:
        assert second.base_url != first.base_url
        out = effbench(*model_args(second, tmp_path / "b", "--samples", "2", *FAST_METER), cache_dir=tmp_path / "c")
        assert out.returncode == 0, out.stderr
        assert second.requests == [] and "0 sent" in out.stderr


def test_server_down_is_one_line_with_a_hint(tmp_path):
    """No server listening: one line that says to start the model server, at once (no minute of
    retries), and no run directory."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    args = ["evaluate", "--problems-dir", str(MINI), "--model", "m", "--base-url", f"http://127.0.0.1:{port}/v1"]
    out = effbench(*args, "--run-dir", str(tmp_path / "run"), cache_dir=tmp_path / "c")
    assert out.returncode == 2
    lines = [x for x in out.stderr.splitlines() if x.startswith("effbench: error:")]
    assert len(lines) == 1 and "is the model server running?" in lines[0], out.stderr
    assert not (tmp_path / "run").exists()


def test_cost_estimate_before_any_request_limit_and_category(tmp_path):
    """The estimate (answers, tokens, money) is printed before the first request; a
    non-interactive stdin goes ahead and says so; --limit and --category choose the problems;
    an unknown category is one clear line."""
    prices = tmp_path / "prices.toml"
    prices.write_text('[models."scripted-model"]\ninput = 1.0\noutput = 2.0\n')
    with FakeOpenAI(scripted) as server:
        args = model_args(
            server, tmp_path / "a", "--samples", "2", "--max-tokens", "100", "--prices", str(prices), *FAST_METER
        )
        env = {"EFFBENCH_CACHE_DIR": str(tmp_path / "c")}
        out = subprocess.run(
            [sys.executable, "-m", "effbench", *args, "--limit", "1"],
            capture_output=True,
            text=True,
            env={**os.environ, **env},
            stdin=subprocess.DEVNULL,
        )
        assert out.returncode == 0, out.stderr
        assert "2 answer(s) to request (0 already cached)" in out.stderr
        assert "at most 200 completion tokens" in out.stderr and "at most $0.0" in out.stderr
        assert "stdin is not a terminal: going ahead" in out.stderr
        assert out.stderr.index("cost estimate") < out.stderr.index("model requests")
        assert {r["problem_id"] for r in records_of(tmp_path / "a")} == {"reverse_words"}  # first in order
        out = effbench(
            *model_args(server, tmp_path / "b", "--category", "number_theory", "--yes", *FAST_METER),
            cache_dir=tmp_path / "c",
        )
        assert out.returncode == 0 and "not a terminal" not in out.stderr, out.stderr
        assert {r["problem_id"] for r in records_of(tmp_path / "b")} == {"triangle"}
        sent = len(server.requests)
        out = effbench(*model_args(server, tmp_path / "d", "--category", "poetry"), cache_dir=tmp_path / "c")
        assert out.returncode == 2 and "--category poetry: unknown" in out.stderr
        assert len(server.requests) == sent and not (tmp_path / "d").exists()


def test_server_without_stream_usage_is_said_and_no_stream_counts_exactly(tmp_path):
    """A server that streams no usage (llama-cpp-python): tokens are counted and marked as such,
    and the log says so; --no-stream takes the server's exact usage, equal to its own books."""
    with FakeOpenAI(scripted, max_choices=1, stream_usage=False) as server:
        out = effbench(*model_args(server, tmp_path / "a", "--samples", "2", *FAST_METER), cache_dir=tmp_path / "c")
        assert out.returncode == 0, out.stderr
        assert "the server streams no token usage" in out.stderr
        usage = [r["meta"]["usage"] for r in records_of(tmp_path / "a")]
        assert all(u["usage_from_server"] is False and u["completion_tokens"] > 0 for u in usage)
        # the streamed chunks are the server's tokens: the count is right, the prompt an estimate
        assert sum(u["completion_tokens"] for u in usage) == server.answered_completion_tokens
        server.answered.clear()
        out = effbench(
            *model_args(server, tmp_path / "b", "--samples", "2", "--no-stream", "--temperature", "0.5", *FAST_METER),
            cache_dir=tmp_path / "c",
        )
        assert out.returncode == 0, out.stderr
        assert all("stream" not in r["body"] for r in server.requests[-4:])
        summary = json.loads(out.stdout)["models"]["scripted-model"]["overall"]["usage"]
        assert summary["prompt_tokens"] == server.answered_prompt_tokens
        assert summary["completion_tokens"] == server.answered_completion_tokens


def test_llama_cpp_slots_serve_one_problems_samples_in_parallel(tmp_path):
    """A llama.cpp server with 2 slots (its /props says so) answers one choice per request: the
    samples of one problem are asked as separate requests, 2 at once, not one after another;
    each sample still gets its own seed and cache entry."""
    with FakeOpenAI(scripted, max_choices=1, slots=2, props=True, token_delay=0.05) as server:
        out = effbench(
            *model_args(server, tmp_path / "a", "--samples", "4", "--sampling-seed", "3", *FAST_METER),
            "--problems",
            "triangle",
            cache_dir=tmp_path / "c",
        )
        assert out.returncode == 0, out.stderr
        assert server.max_active == 2 and len(server.requests) == 4
        assert sorted(r["body"]["seed"] for r in server.requests) == [3, 4, 5, 6]
        assert all(r["body"]["n"] == 1 for r in server.requests)
    assert "2 request(s) at once: the server serves 2 at once (/props total_slots)" in out.stderr
    assert sorted(r["sample_index"] for r in records_of(tmp_path / "a")) == [0, 1, 2, 3]
