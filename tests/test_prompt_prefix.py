"""Completion mode's few-shot preamble (``--prompt-prefix FILE``, a problem set's
``completion_prefix``), against the scripted OpenAI server: it reaches every completion prompt,
first rounds and refinement rounds, through evaluate and sweep; a changed preamble is never
answered from the cache; the run records it; chat mode never sends it; bad input is one line."""

from __future__ import annotations

import ast
import doctest
import hashlib
import json
import shutil
from pathlib import Path

from .conftest import MINI
from .openai_fake import FakeOpenAI
from .test_models import FAST_METER, effbench, model_args

REPO = Path(__file__).resolve().parents[1]

SHOTS_A = '''def fewshot_alpha(x: int) -> int:
    """Return x plus one.

    >>> fewshot_alpha(1)
    2
    """
    return x + 1
'''
SHOTS_B = SHOTS_A.replace("fewshot_alpha", "fewshot_beta")
TRIANGLE_BODY = "    return n * (n + 1) // 2 if n > 0 else 0\n"


def triangle_prompt() -> str:
    import tomllib

    return tomllib.loads((MINI / "triangle" / "problem.toml").read_text())["prompt"]


def completion_prompts(server) -> list[str]:
    return [r["body"]["prompt"] for r in server.requests if "prompt" in r["body"]]


def test_prompt_prefix_reaches_first_and_refinement_prompts_and_keys_the_cache(tmp_path):
    """Invariant: with --prompt-prefix, every completion request of a sweep (parallel samples,
    refinement's later rounds, the allocation's) starts with the preamble and ends with the
    problem's prompt; the run's config.json records its source and hash; the same sweep again
    sends nothing, and a different preamble is asked anew (it is part of the answer cache's key)."""
    shots_a, shots_b = tmp_path / "a.py", tmp_path / "b.py"
    shots_a.write_text(SHOTS_A)
    shots_b.write_text(SHOTS_B)
    prompt = triangle_prompt()
    args = [
        "sweep", "--problems-dir", str(MINI), "--problems", "triangle", "--model", "scripted-model",
        "--mode", "completion", "--strategies", "parallel,refine,uniform", "--budgets", "1,2",
        "--refine-chains", "1", "--sampling-seed", "0", "--request-timeout", "5", "--seed", "s", *FAST_METER,
    ]  # fmt: skip
    with FakeOpenAI(lambda p, i: TRIANGLE_BODY) as server:
        out = effbench(
            *args, "--prompt-prefix", str(shots_a), "--base-url", server.base_url, "--out", str(tmp_path / "sa"),
            cache_dir=tmp_path / "c",
        )  # fmt: skip
        assert out.returncode == 0, out.stderr
        prompts = completion_prompts(server)
        refinement = [p for p in prompts if "# Previous attempt:" in p]
        assert refinement and len(prompts) > len(refinement)  # first rounds and refinement rounds were asked
        for p in prompts:
            assert p.startswith(SHOTS_A.rstrip() + "\n\n\n") and p.endswith(prompt), p
        for run in ("parallel-n2", "refine-c1-r2"):
            recorded = json.loads((tmp_path / "sa" / run / "config.json").read_text())["prompt_prefix"]
            assert recorded["sha256"] == hashlib.sha256(SHOTS_A.encode()).hexdigest(), run
            assert str(shots_a) in recorded["source"]
        sent = len(server.requests)
        first_round = [p for p in prompts if "# Previous attempt:" not in p]
        again = effbench(
            *args, "--prompt-prefix", str(shots_a), "--base-url", server.base_url, "--out", str(tmp_path / "sa2"),
            cache_dir=tmp_path / "c",
        )  # fmt: skip
        assert again.returncode == 0, again.stderr
        # the same preamble: every first-round answer comes from the cache (a refinement prompt
        # quotes the time meter's measured costs, which differ from run to run, so it may be new)
        assert all("# Previous attempt:" in p for p in completion_prompts(server)[sent:])
        sent = len(server.requests)
        other = effbench(
            *args, "--prompt-prefix", str(shots_b), "--base-url", server.base_url, "--out", str(tmp_path / "sb"),
            cache_dir=tmp_path / "c",
        )  # fmt: skip
        assert other.returncode == 0, other.stderr
        new = completion_prompts(server)[sent:]
        assert all(p.startswith(SHOTS_B.rstrip() + "\n\n\n") for p in new)
        assert len([p for p in new if "# Previous attempt:" not in p]) == len(first_round)  # asked anew


def test_problem_sets_completion_prefix_is_sent_in_completion_mode_only(tmp_path):
    """Invariant: a set's problemset.toml ``completion_prefix`` file is put before the prompt in
    completion mode and recorded with its source, and its ``stop`` list is sent there but never
    in chat mode (it would cut a chat answer at its fenced ``def``); ``--prompt-prefix ''`` sends the bare prompt;
    chat mode sends no preamble; ``--prompt-prefix`` with chat mode is refused before any request."""
    shutil.copytree(MINI.parent, tmp_path / "fixture")  # the problems and their references
    root = tmp_path / "fixture" / MINI.name
    (root / "shots.py").write_text(SHOTS_A)
    with (root / "problemset.toml").open("a") as f:
        f.write('completion_prefix = "shots.py"\nstop = ["\\ndef ", "\\n#"]\n')
    prompt = triangle_prompt()
    with FakeOpenAI(lambda p, i: TRIANGLE_BODY) as server:

        def run(name, *extra):
            args = model_args(server, tmp_path / name, *FAST_METER, *extra)
            args[args.index("--problems-dir") + 1] = str(root)
            return effbench(*args, "--problems", "triangle", cache_dir=tmp_path / "c")

        out = run("with", "--mode", "completion")
        assert out.returncode == 0, out.stderr
        assert completion_prompts(server) == [SHOTS_A.rstrip() + "\n\n\n" + prompt]
        assert server.requests[-1]["body"]["stop"] == ["\ndef ", "\n#"]  # the set's stops
        recorded = json.loads((tmp_path / "with" / "config.json").read_text())["prompt_prefix"]
        assert recorded["source"].endswith("problemset.toml: completion_prefix")
        out = run("without", "--mode", "completion", "--prompt-prefix", "")
        assert out.returncode == 0, out.stderr
        assert completion_prompts(server)[-1] == prompt
        assert json.loads((tmp_path / "without" / "config.json").read_text())["prompt_prefix"] is None
        out = run("chat")
        assert out.returncode == 0, out.stderr
        assert "fewshot_alpha" not in json.dumps(server.requests[-1]["body"]["messages"])
        assert "stop" not in server.requests[-1]["body"]  # a set's stops would cut a chat answer's fenced def
        sent = len(server.requests)
        out = run("refused", "--prompt-prefix", str(root / "shots.py"))
        lines = [x for x in out.stderr.splitlines() if x.startswith("effbench: error:")]
        assert out.returncode == 2 and len(lines) == 1 and "--prompt-prefix" in lines[0], out.stderr
        out = run("missing", "--mode", "completion", "--prompt-prefix", str(tmp_path / "nope.py"))
        assert out.returncode == 2 and "--prompt-prefix" in out.stderr and "nope.py" in out.stderr
        assert len(server.requests) == sent
        assert not (tmp_path / "refused").exists() and not (tmp_path / "missing").exists()


def test_a_problem_sets_unreadable_or_escaping_completion_prefix_is_one_line(tmp_path):
    """Invariant: a problemset.toml whose completion_prefix names a missing file, a file outside
    the set's folder, or not a string is refused with one line naming problemset.toml, exit 2."""
    for value, says in (('"gone.py"', "cannot read"), ('"../outside.py"', "outside"), ("3", "a file name")):
        shutil.copytree(MINI.parent, tmp_path / says)  # the problems and their references
        root = tmp_path / says / MINI.name
        (tmp_path / "outside.py").write_text(SHOTS_A)
        with (root / "problemset.toml").open("a") as f:
            f.write(f"completion_prefix = {value}\n")
        out = effbench("problems", "list", "--problems-dir", str(root), cache_dir=tmp_path / "c")
        lines = [x for x in out.stderr.splitlines() if x.startswith("effbench: error:")]
        assert out.returncode == 2 and len(lines) == 1, out.stderr
        assert "problemset.toml: completion_prefix" in lines[0] and says in lines[0], lines[0]


def test_starter_few_shot_examples_are_correct_and_none_is_a_problem_of_either_set():
    """Invariant: the starter set's preamble is Python whose every function's doctests pass, in
    the prompts' style (a docstring with >>> examples), and none of its functions is a problem or
    an entry point of the starter set or of the main set (it gives away no answer), nor a problem
    of the dev set it was chosen on (scripts/starter_prompt_probe.py)."""
    from effbench.problems import bundled_problem_set_dir, load_problem_set

    starter = load_problem_set(bundled_problem_set_dir("starter"))
    core = load_problem_set(bundled_problem_set_dir("core"))
    text = starter.completion_prefix
    assert text
    tree = ast.parse(text)
    functions = [n for n in tree.body if isinstance(n, ast.FunctionDef)]
    assert 2 <= len(functions) <= 12 and len(functions) == len(tree.body)
    taken = {p.id for s in (starter, core) for p in s.problems.values()}
    taken |= {p.entry_point for s in (starter, core) for p in s.problems.values()}
    probe = ast.parse((REPO / "scripts" / "starter_prompt_probe.py").read_text())
    dev = next(n.value for n in probe.body if isinstance(n, ast.Assign) and n.targets[0].id == "DEV")
    names = [row.elts[0].value for row in dev.elts]
    assert len(names) >= 40
    taken |= set(names)
    for f in functions:
        assert f.name not in taken, f.name
        assert ">>> " in (ast.get_docstring(f) or ""), f.name
    namespace: dict = {}
    exec(compile(tree, "completion_prefix.py", "exec"), namespace)
    finder, runner = doctest.DocTestFinder(), doctest.DocTestRunner()
    for f in functions:
        for test in finder.find(namespace[f.name], f.name, globs=namespace):
            runner.run(test)
    assert runner.summarize(verbose=False).failed == 0
    assert runner.summarize(verbose=False).attempted >= 2 * len(functions)


def test_chat_mode_says_once_on_stderr_that_it_leaves_out_the_sets_preamble(tmp_path):
    """Fault blocked: a chat-mode run on a set with a completion_prefix silently dropped the preamble.
    Invariant: evaluate and sweep in chat mode say it in exactly one stderr line (and still send
    none); completion mode, which sends it, says nothing of the kind."""
    shutil.copytree(MINI.parent, tmp_path / "fixture")
    root = tmp_path / "fixture" / MINI.name
    (root / "shots.py").write_text(SHOTS_A)
    with (root / "problemset.toml").open("a") as f:
        f.write('completion_prefix = "shots.py"\n')
    notice = "chat mode does not send it"
    with FakeOpenAI(lambda p, i: TRIANGLE_BODY) as server:
        for name, mode in (("chat", []), ("completion", ["--mode", "completion"])):
            args = model_args(server, tmp_path / name, *FAST_METER, *mode)
            args[args.index("--problems-dir") + 1] = str(root)
            out = effbench(*args, "--problems", "triangle", cache_dir=tmp_path / "c")
            assert out.returncode == 0, out.stderr
            assert out.stderr.count(notice) == (1 if name == "chat" else 0), out.stderr
        assert "fewshot_alpha" not in json.dumps(server.requests[0]["body"]["messages"])
        out = effbench(
            "sweep", "--problems-dir", str(root), "--problems", "triangle", "--model", "scripted-model",
            "--base-url", server.base_url, "--strategies", "parallel", "--budgets", "1,2", "--seed", "s",
            "--out", str(tmp_path / "sweep"), *FAST_METER, cache_dir=tmp_path / "c",
        )  # fmt: skip
        assert out.returncode == 0, out.stderr
        assert out.stderr.count(notice) == 1, out.stderr


def test_an_empty_or_oversized_preamble_is_refused_in_one_line_before_any_request(tmp_path):
    """Fault blocked: a set's empty completion_prefix file was silently taken as no preamble, and a
    preamble file of any size was read whole and sent before every prompt.
    Invariant: a blank or over-MAX_PREFIX_BYTES completion_prefix is one line naming
    problemset.toml (exit 2); an over-size --prompt-prefix is one line naming the option, exit 2,
    with no request sent and no run directory."""
    from effbench.problems import MAX_PREFIX_BYTES

    huge = "# filler\n" * (MAX_PREFIX_BYTES // 9 + 1)
    for name, text, says in (("empty", "\n  \n", "is empty"), ("huge", huge, "more than the")):
        shutil.copytree(MINI.parent, tmp_path / name)
        root = tmp_path / name / MINI.name
        (root / "shots.py").write_text(text)
        with (root / "problemset.toml").open("a") as f:
            f.write('completion_prefix = "shots.py"\n')
        out = effbench("problems", "list", "--problems-dir", str(root), cache_dir=tmp_path / "c")
        lines = [x for x in out.stderr.splitlines() if x.startswith("effbench: error:")]
        assert out.returncode == 2 and len(lines) == 1, out.stderr
        assert "problemset.toml: completion_prefix" in lines[0] and says in lines[0], lines[0]
    (tmp_path / "huge.py").write_text(huge)
    with FakeOpenAI(lambda p, i: TRIANGLE_BODY) as server:
        args = model_args(server, tmp_path / "run", *FAST_METER, "--mode", "completion")
        out = effbench(
            *args, "--problems", "triangle", "--prompt-prefix", str(tmp_path / "huge.py"), cache_dir=tmp_path / "c"
        )
        lines = [x for x in out.stderr.splitlines() if x.startswith("effbench: error:")]
        assert out.returncode == 2 and len(lines) == 1, out.stderr
        assert "--prompt-prefix" in lines[0] and "more than the" in lines[0], lines[0]
        assert server.requests == [] and not (tmp_path / "run").exists()


def test_a_refused_resume_says_what_changed_in_the_users_terms(tmp_path):
    """Fault blocked: resuming a model run with other generation options said only "samples_hash
    differs", a name the user never set (they had changed no samples file).
    Invariant: every resume key's refusal names the key and what it means; for samples_hash,
    the model run's options and prompts."""
    from effbench.rundir import RESUME_KEYS, RESUME_MEANING, RunDir

    config = {"problem_set_hash": "h", "meter": "time", "alpha": 2.0, "fingerprint": {"a": 1}, "samples_hash": "s"}
    rd = RunDir(tmp_path / "run")
    rd.open(dict(config))
    assert set(RESUME_MEANING) == set(RESUME_KEYS)
    for key in RESUME_KEYS:
        try:
            rd.open({**config, key: "other"})
        except Exception as exc:  # noqa: BLE001 - the refusal's text is the subject
            message = str(exc)
        else:
            raise AssertionError(f"a changed {key} was resumed")
        assert f"cannot resume: {key} differs" in message and RESUME_MEANING[key] in message, message
    assert "generation options" in RESUME_MEANING["samples_hash"] and "samples files" in RESUME_MEANING["samples_hash"]
