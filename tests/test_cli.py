"""The command line: one clear error line and exit 2 on bad input, with nothing half-written;
end to end on the mini problem set under valgrind: deterministic counts, re-scoring without re-runs."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import MINI

GOOD = json.dumps({"task_id": "triangle", "solution": "def triangle(n):\n    return sum(range(1, n + 1))\n"})


def effbench(*args, cwd=None, env=None):
    return subprocess.run([sys.executable, "-m", "effbench", *args], capture_output=True, text=True, cwd=cwd, env=env)


@pytest.mark.parametrize(
    "lines,extra,message",
    [
        ([GOOD, "{oops"], [], "s.jsonl:2: invalid JSON"),
        ([GOOD, json.dumps({"task_id": "nope", "solution": "x"})], [], "s.jsonl:2: unknown task_id 'nope'"),
        ([GOOD, json.dumps({"solution": "x"})], [], "s.jsonl:2: missing field 'task_id'"),
        ([GOOD], ["--k", "2"], "--k 2 is larger than n=1"),
        ([GOOD], ["--problems", "missing"], "unknown problem id 'missing'"),
        ([GOOD], ["--k", "0,x"], "--k '0,x'"),
    ],
)
def test_bad_input_is_one_line_exit_2_and_no_run_dir(tmp_path, lines, extra, message):
    samples = tmp_path / "s.jsonl"
    samples.write_text("\n".join(lines) + "\n")
    run_dir = tmp_path / "run"
    out = effbench(
        "evaluate", "--problems-dir", str(MINI), "--samples", str(samples), "--run-dir", str(run_dir), *extra
    )
    assert out.returncode == 2
    errors = [line for line in out.stderr.splitlines() if line.startswith("effbench: error:")]
    assert len(errors) == 1 and message in errors[0], out.stderr
    assert "Traceback" not in out.stderr
    assert not run_dir.exists()


def test_problems_list_and_show():
    out = effbench("problems", "list", "--problems-dir", str(MINI))
    assert out.returncode == 0 and "triangle" in out.stdout and "number_theory" in out.stdout
    show = effbench("problems", "show", "triangle", "--problems-dir", str(MINI))
    assert show.returncode == 0 and "def triangle(n: int) -> int:" in show.stdout and "L2: size 200000" in show.stdout
    missing = effbench("problems", "show", "nope", "--problems-dir", str(MINI))
    assert missing.returncode == 2 and "unknown problem id 'nope'" in missing.stderr


def test_the_top_level_help_names_every_command_of_each_group():
    """Invariant: `effbench --help` lists each command group with a summary that names every one of
    its commands, so a newcomer told to run `effbench sandbox probe` finds it there (the sandbox
    group's summary spoke of the docker image only, cut at 'as a root...')."""
    import click
    from click.testing import CliRunner

    from effbench.cli import main

    out = CliRunner().invoke(main, ["--help"], terminal_width=80)
    assert out.exit_code == 0, out.output
    listing = out.output.split("Commands:", 1)[1]
    rows = re.split(r"\n  (?=\S)", "\n" + listing)
    summaries = {row.split()[0]: " ".join(row.split()[1:]) for row in rows if row.strip()}
    groups = {name: cmd for name, cmd in main.commands.items() if isinstance(cmd, click.Group)}
    assert groups, "no command group found"
    for name, group in groups.items():
        for sub in group.commands:
            assert sub in summaries[name].lower(), (name, sub, summaries[name])


def test_no_command_summary_in_a_help_listing_is_cut_short():
    """Invariant: every command's summary in `effbench --help` and in each group's `--help` is whole
    at a terminal 80 columns wide (click cuts a long one with '...'). Fault it blocks (newcomer on
    ac48d24): five of the seven commands a newcomer first reads were cut mid-phrase ('evaluate  Run
    samples (from files, the bundled references or a...', 'curves  Plot efficiency and pass rate
    against mean cost per...'), so the listing did not say what `evaluate` prints or what `curves`
    plots against."""
    import click
    from click.testing import CliRunner

    from effbench.cli import main

    cut = []

    def walk(command: click.Group, path: list[str]) -> None:
        out = CliRunner().invoke(main, [*path, "--help"], terminal_width=80)
        assert out.exit_code == 0, out.output
        listing = out.output.split("Commands:", 1)[1]
        cut.extend(f"{' '.join(path)}: {line.strip()}" for line in listing.splitlines() if "..." in line)
        for name, sub in command.commands.items():
            if isinstance(sub, click.Group):
                walk(sub, [*path, name])

    walk(main, [])
    assert not cut, cut


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    """The same evaluation twice (same --seed), without the profile cache: valgrind counts must be identical."""
    base = tmp_path_factory.mktemp("runs")
    samples = base / "s.jsonl"
    samples.write_text(
        "\n".join(
            [
                GOOD,
                json.dumps(
                    {
                        "task_id": "triangle",
                        "solution": "def triangle(n):\n    return n * (n + 1) // 2 if n > 0 else 0\n",
                    }
                ),
                json.dumps(
                    {
                        "task_id": "triangle",
                        "completion": "    t = 0\n    for i in range(n + 1):\n        t += i\n    return t\n",
                    }
                ),
                json.dumps({"task_id": "triangle", "solution": "def triangle(n):\n    return 7\n"}),
            ]
        )
        + "\n"
    )
    runs = []
    for name in ("a", "b"):
        run_dir = base / name
        out = effbench(
            "evaluate",
            "--problems-dir",
            str(MINI),
            "--samples",
            str(samples),
            "--meter",
            "valgrind",
            "--run-dir",
            str(run_dir),
            "--no-cache",
            "--json",
            "--k",
            "1,2",
            "--seed",
            "fixed-for-the-test",
        )
        assert out.returncode == 0, out.stderr
        runs.append((run_dir, json.loads(out.stdout), out.stderr))
    return runs


def test_references_as_two_models_with_auto_meter(tmp_path):
    """The README's main job on the mini set: expert scores ~1, the slower tier clearly less."""
    out = effbench(
        "evaluate",
        "--problems-dir",
        str(MINI),
        "--references",
        "expert,slower",
        "--run-dir",
        str(tmp_path / "run"),
        "--json",
    )
    assert out.returncode == 0, out.stderr
    assert "meter: " in out.stderr
    models = json.loads(out.stdout)["models"]
    assert models["expert"]["problems"]["triangle"]["eff@k"]["1"] == pytest.approx(1.0, abs=0.02)
    assert models["slower"]["problems"]["triangle"]["eff@k"]["1"] < 0.5


def test_evaluate_writes_run_dir_and_scores_samples(two_runs):
    run_dir, summary, stderr = two_runs[0]
    assert "meter: valgrind" in stderr
    assert {p.name for p in run_dir.iterdir()} >= {"config.json", "samples.jsonl", "summary.json"}
    config = json.loads((run_dir / "config.json").read_text())
    assert config["meter"] == "valgrind" and config["fingerprint"]["valgrind"].startswith("valgrind-")
    s = summary["models"]["s"]["problems"]["triangle"]
    assert s["n"] == 4 and s["correct"] == 3
    assert s["pass@k"]["1"] == pytest.approx(0.75)
    assert s["eff@k"]["2"] >= s["eff@k"]["1"]


def test_two_runs_give_identical_instruction_counts(two_runs):
    def costs(run_dir):
        out = {}
        for line in (run_dir / "samples.jsonl").read_text().splitlines():
            rec = json.loads(line)
            for t in rec["tests"]:
                out[(rec["model"], rec["sample_index"], t["test_id"])] = t["cost"]
        return out

    a, b = costs(two_runs[0][0]), costs(two_runs[1][0])
    assert a and a == b


def test_score_recomputes_with_new_k_and_lower_alpha_without_running(two_runs):
    run_dir = two_runs[0][0]
    same = effbench("score", str(run_dir), "--json", "--k", "1,2")
    assert json.loads(same.stdout)["models"] == two_runs[0][1]["models"]
    lower = json.loads(effbench("score", str(run_dir), "--json", "--k", "1", "--alpha", "1.5").stdout)
    e2 = two_runs[0][1]["models"]["s"]["problems"]["triangle"]["eff@k"]["1"]
    assert lower["models"]["s"]["problems"]["triangle"]["eff@k"]["1"] != e2
    too_high = effbench("score", str(run_dir), "--alpha", "3")
    assert too_high.returncode == 2 and "above the run's alpha" in too_high.stderr
    too_many = effbench("score", str(run_dir), "--k", "5")
    assert too_many.returncode == 2 and "larger than n" in too_many.stderr


def test_rerun_in_same_dir_resumes_without_running_anything(two_runs):
    run_dir = two_runs[0][0]
    before = (run_dir / "samples.jsonl").read_text()
    samples_file = json.loads((run_dir / "config.json").read_text())["samples_files"][0]
    out = effbench(
        "evaluate",
        "--problems-dir",
        str(MINI),
        "--samples",
        samples_file,
        "--meter",
        "valgrind",
        "--run-dir",
        str(run_dir),
        "--no-cache",
        "--k",
        "1,2",
    )
    assert out.returncode == 0, out.stderr
    assert "4 sample(s) already scored" in out.stderr
    assert (run_dir / "samples.jsonl").read_text() == before


REFUSAL = (
    "docker sandbox: runner failed to start: set-up: [Errno 1] unshare(user, mount, pid, uts, net): "
    "Operation not permitted"
)


class RefusedBox:
    """A sandbox standing in for a docker pool whose set-up step could not make its namespaces."""

    def __init__(self):
        from effbench.sandboxes.scripted import ScriptedSandbox

        self.inner = ScriptedSandbox(lambda request: None)
        self.facts = {
            "backend": "docker",
            "isolation": "docker",
            "seccomp": True,
            "own_namespaces": False,
            "namespaces_refused": REFUSAL,
            "fixed_pids": False,
            "hidden_processes": False,
            "hidden_machine_files": False,
        }

    def run(self, request):
        return self.inner.run(request)

    def close(self):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def test_a_refusal_of_the_containers_namespaces_is_told_to_the_user_by_probe_and_evaluate(
    tmp_path, monkeypatch, mini_set
):
    """Invariant: where the docker backend ran its containers without their own namespaces (the
    engine or the kernel refused them: facts' namespaces_refused), `effbench sandbox probe` and an
    evaluation each print one line naming the refusal and the facts that are false, instead of
    leaving it in config.json only; a sandbox with nothing refused prints no such line."""
    from click.testing import CliRunner

    import effbench.run
    import effbench.sandboxes
    import effbench.sandboxes.probe
    from effbench.cli import main
    from effbench.meters import MeterChoice
    from effbench.meters.timing import TimeMeter
    from effbench.sandboxes import namespaces_refused_note

    monkeypatch.setattr(effbench.sandboxes, "open_sandbox", lambda *a, **k: RefusedBox())
    monkeypatch.setattr(effbench.sandboxes.probe, "run_probe", lambda *a, **k: [])
    probe = CliRunner().invoke(main, ["sandbox", "probe", "--sandbox", "docker", "--meter", "time"])
    assert probe.exit_code == 0, probe.output
    told = [line for line in probe.output.splitlines() if "namespaces were refused" in line]
    assert len(told) == 1 and "unshare(user" in told[0] and "fixed_pids" in told[0], probe.output

    said = []
    monkeypatch.setattr(effbench.run, "open_sandbox", lambda *a, **k: RefusedBox())
    choice = MeterChoice(TimeMeter(), "test")
    with effbench.run.EvaluationRun(mini_set, choice, tmp_path / "run", "h", sandbox="docker", log=said.append):
        pass
    assert [line for line in said if "namespaces were refused" in line and "unshare(user" in line], said

    assert namespaces_refused_note({"namespaces_refused": None, "fixed_pids": True}) is None


def test_resuming_a_finished_run_draws_no_empty_progress_bar(two_runs):
    """Invariant: re-running a finished run says how many samples are already scored and draws no
    progress bar for the nothing left to run (it drew 'samples: 0sample [00:00, ?sample/s]' twice)."""
    run_dir = two_runs[0][0]
    samples_file = json.loads((run_dir / "config.json").read_text())["samples_files"][0]
    out = effbench(
        "evaluate",
        "--problems-dir",
        str(MINI),
        "--samples",
        samples_file,
        "--meter",
        "valgrind",
        "--run-dir",
        str(run_dir),
    )
    assert out.returncode == 0, out.stderr
    assert "already scored" in out.stderr
    assert "0sample" not in out.stderr and "samples:" not in out.stderr, out.stderr


def test_samples_left_out_by_problems_are_counted_not_dropped_silently(tmp_path):
    """Invariant: when --problems leaves out some of a samples file's samples, evaluate says how many
    of how many, on stderr (they were dropped with no word: only a smaller n showed it); a
    selection that keeps every sample says nothing."""
    other = json.dumps({"task_id": "reverse_words", "solution": "def reverse_words(s):\n    return s\n"})
    samples = tmp_path / "s.jsonl"
    samples.write_text("\n".join([GOOD, other, other]) + "\n")
    out = effbench(
        "evaluate", "--problems-dir", str(MINI), "--samples", str(samples), "--run-dir", str(tmp_path / "a"),
        "--problems", "triangle", "--meter", "time",
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert f"--samples {samples}: 2 of 3 samples are on problems --problems leaves out" in out.stderr
    every = effbench(
        "evaluate", "--problems-dir", str(MINI), "--samples", str(samples), "--run-dir", str(tmp_path / "b"),
        "--problems", "triangle,reverse_words", "--meter", "time",
    )  # fmt: skip
    assert every.returncode == 0, every.stderr
    assert "leaves out" not in every.stderr


def test_every_option_of_every_command_says_what_it_does_in_its_help():
    """Invariant: every option of every `effbench` command (sub-commands included) has a help text,
    so `--help` never shows a bare option. Fault it blocks (newcomer, helper-79): `problems
    list/show/check --problems-dir`, `--meter`, `--sandbox`, `problems check --workers`, `--mode`,
    `--temperature`, `--top-p`, `--max-tokens` and `--max-retries` were listed with no word on them."""
    import click

    from effbench.cli import main

    bare = []

    def walk(command: click.Command, path: list[str]) -> None:
        if isinstance(command, click.Group):
            for name, sub in command.commands.items():
                walk(sub, [*path, name])
            return
        bare.extend(
            f"{' '.join(path)} {p.opts[0]}" for p in command.params if isinstance(p, click.Option) and not p.help
        )

    walk(main, ["effbench"])
    assert not bare, bare


def test_the_leaderboard_script_answers_help_with_its_own_usage(tmp_path):
    """Invariant: `bash scripts/leaderboard.sh --help` (and -h) prints the script's own usage (run
    folders, `--` before effbench leaderboard's options, LEADERBOARD_OUT), exits 0 and writes
    nothing, without running the set-up. Fault it blocks (newcomer, helper-79): it ran
    scripts/setup.sh, then showed only `effbench leaderboard`'s help, which never says that its
    options go after `--` (`scripts/leaderboard.sh --seed 3` took `--seed` and `3` as run folders)."""
    script = Path(__file__).resolve().parent.parent / "scripts" / "leaderboard.sh"
    for flag in ("--help", "-h"):
        env = {**os.environ, "LEADERBOARD_OUT": str(tmp_path / "out")}
        done = subprocess.run(["bash", str(script), flag], capture_output=True, text=True, timeout=120, env=env)
        assert done.returncode == 0, done.stderr
        assert done.stdout.startswith("usage: bash scripts/leaderboard.sh"), done.stdout
        assert "OPTIONS of effbench leaderboard" in done.stdout and "LEADERBOARD_OUT" in done.stdout
        assert "setup:" not in done.stderr and not (tmp_path / "out").exists()


def test_the_scripts_use_the_callers_paths_and_pass_options_on(tmp_path):
    """Invariant: scripts/leaderboard.sh run from another folder reads that folder's runs/ (and
    the run folders named, relative to it) and writes its output there; the arguments from its
    first option on go to `effbench leaderboard` whether or not `--` comes first (`runs/a --seed
    3` ranks runs/a with seed 3). Faults (newcomer, helper-79): `leaderboard.sh --seed 3` took
    `--seed` and `3` as run folders, and both scripts went into the repository first, so a
    relative run folder (and evaluate-references.sh's printed or given --run-dir) named a path
    under the repository, not the caller's."""
    from . import leaderboard_runs as lr

    repo = Path(__file__).resolve().parent.parent
    if not (repo / ".venv" / "bin" / "effbench").exists():
        pytest.skip("scripts/setup.sh has not made .venv in this checkout")
    runs = lr.standard_runs(tmp_path)
    here = tmp_path / "elsewhere"
    (here / "runs").mkdir(parents=True)
    runs[0].rename(here / "runs" / "references")
    env = {k: v for k, v in os.environ.items() if k != "LEADERBOARD_OUT"}
    script = ["bash", str(repo / "scripts" / "leaderboard.sh")]
    for args, out in (([], "leaderboard"), (["runs/references", "--seed", "3", "--out", "lb3"], "lb3")):
        done = subprocess.run(script + args, cwd=here, capture_output=True, text=True, timeout=600, env=env)
        assert done.returncode == 0, done.stderr
        doc = json.loads((here / out / "leaderboard.json").read_text())
        assert doc["settings"]["seed"] == (3 if args else 0), doc["settings"]
    assert not (repo / "lb3").exists() and not (repo / "runs" / "references").exists()
    (tmp_path / "empty").mkdir()
    done = subprocess.run(
        script + ["--seed", "3"], cwd=tmp_path / "empty", capture_output=True, text=True, timeout=600, env=env
    )
    assert done.returncode == 2 and "no run directories under" in done.stderr, done.stderr


def test_score_of_an_interrupted_run_scores_what_it_has_at_the_ks_it_allows(tmp_path):
    """Invariant: `effbench score` on a run stopped before every sample was scored (Ctrl-C, a
    crash, a full disk) gives its tables at the run's k values that its samples allow, and says
    which were left out; a --k given by hand is still checked. Before: 'error: k=10 is larger
    than n=7 samples', so an interrupted run of --samples 25 could not be looked at."""
    from click.testing import CliRunner

    from effbench.cli import main

    from . import leaderboard_runs as lr

    problems = lr.make_problem_set(tmp_path / "set")
    run = lr.write_run(tmp_path / "run", problems, lr.model_samples({"fast": 1.1}, n=2), finished=False)
    config = json.loads((run / "config.json").read_text())
    (run / "config.json").write_text(json.dumps({**config, "k": [1, 2, 5]}))
    result = CliRunner().invoke(main, ["score", str(run), "--json"])
    assert result.exit_code == 0, result.output
    assert "k=5 of the run is larger than the n=2 samples scored" in result.stderr
    summary = json.loads(result.stdout)
    assert summary["k"] == [1, 2]
    result = CliRunner().invoke(main, ["score", str(run), "--k", "5"])
    assert result.exit_code == 2 and "k=5 is larger than n=2" in result.stderr


@pytest.mark.slow
def test_problems_check_shows_progress_and_what_it_is_doing():
    """Invariant: `effbench problems check PROBLEM` is never silent while it works: a progress bar
    on stderr counts the check's steps (static checks, expert profile, one run per tier) and
    names the problem and the step it is on, in order; the results stay on stdout."""
    from effbench.check import check_steps
    from effbench.problems import load_problem_set

    triangle = load_problem_set(MINI).get("triangle")
    out = effbench("problems", "check", "triangle", "--problems-dir", str(MINI), "--no-cache", "--workers", "1")
    assert out.returncode == 0, out.stderr[-800:]
    assert out.stdout.startswith("triangle: ok") and "checking" not in out.stdout
    steps = ["static checks", "expert profile", *(f"tier {tier}" for tier in triangle.tiers)]
    assert len(steps) == check_steps(triangle)
    shown = [m.group(1) for m in re.finditer(r"triangle: (static checks|expert profile|tier \w+)", out.stderr)]
    assert list(dict.fromkeys(shown)) == steps, out.stderr[-800:]
    total = check_steps(triangle)
    assert "checking: 100%" in out.stderr and f"{total}/{total}" in out.stderr, out.stderr[-800:]


def test_a_mistyped_option_is_answered_with_the_closest_and_the_command_by_its_name():
    """Invariant: a usage error names the subcommand as a user typed it, however the program was
    started (`python -m effbench` printed 'evaluate: ' as '-m effbench evaluate: '), and a mistyped
    option is answered with the closest option only, not click's alphabetical list of every close
    one ('--refrences': '--prices', '--references', '--workers')."""
    out = effbench("evaluate", "--refrences", "expert")
    assert out.returncode == 2
    assert out.stderr.splitlines() == [
        "effbench: error: evaluate: No such option '--refrences'. Did you mean '--references'? "
        "(see 'python -m effbench evaluate --help')"
    ], out.stderr
    missing = effbench("score")
    assert missing.stderr.startswith("effbench: error: score: Missing argument 'RUN_DIR'."), missing.stderr
    command = effbench("evalute")
    assert command.stderr.startswith("effbench: error: No such command 'evalute'. Did you mean 'evaluate'?")


@pytest.mark.parametrize(
    "args",
    [
        ["problems", "check", "triangle", "--problems-dir", str(MINI), "--meter", "time"],
        ["sandbox", "probe", "--meter", "time"],
    ],
)
def test_problems_check_and_probe_say_the_sandbox_is_starting_before_it_starts(monkeypatch, args):
    """Invariant: `problems check` and `sandbox probe` say on stderr that the sandbox is starting
    before they start it (its runners and the meter's calibration took 13-18 s at load 6-8 with
    nothing on the screen after the meter line), so a sandbox that fails to start fails after that line."""
    from click.testing import CliRunner

    import effbench.sandboxes
    from effbench.cli import main
    from effbench.errors import SandboxUnavailable

    def refuse(*args, **kwargs):
        raise SandboxUnavailable("local sandbox: refused by the test")

    monkeypatch.setattr(effbench.sandboxes, "open_sandbox", refuse)
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2, result.output
    lines = result.stderr.splitlines()
    starting = [i for i, line in enumerate(lines) if line.startswith("starting the local sandbox")]
    assert len(starting) == 1 and "time meter" in lines[starting[0]], result.stderr
    assert lines[-1] == "effbench: error: local sandbox: refused by the test", result.stderr


@pytest.mark.parametrize(
    ("name", "passes_to"), [("evaluate-references.sh", "effbench evaluate"), ("test.sh", "pytest")]
)
def test_the_main_scripts_answer_help_with_their_usage_before_any_set_up(tmp_path, name, passes_to):
    """Invariant: `bash scripts/evaluate-references.sh --help` and `bash scripts/test.sh --help`
    (and -h) print the script's own usage (what it runs, where the other arguments go), exit 0 and
    run no set-up. Fault (a newcomer's): test.sh --help ran scripts/setup.sh and then started
    building llama-cpp-python from source (minutes of both cores, before pytest ever saw --help);
    evaluate-references.sh --help ran the set-up (2 GB, minutes on a fresh clone) first. A `bash`
    placed first on PATH records any set-up script it is asked to run and refuses it, so the check
    itself never installs anything."""
    script = Path(__file__).resolve().parent.parent / "scripts" / name
    shim = tmp_path / "bin"
    shim.mkdir()
    ran = tmp_path / "setup-ran"
    (shim / "bash").write_text(
        f'#!/bin/sh\ncase "$*" in *setup*) echo "$*" >> {ran}; exit 97;; esac\nexec /bin/bash "$@"\n'
    )
    (shim / "bash").chmod(0o755)
    env = {**os.environ, "PATH": f"{shim}:{os.environ['PATH']}"}
    for flag in ("--help", "-h"):
        done = subprocess.run(["/bin/bash", str(script), flag], capture_output=True, text=True, timeout=120, env=env)
        assert not ran.exists(), ran.read_text()
        assert done.returncode == 0, done.stderr
        assert done.stdout.startswith(f"usage: bash scripts/{name}"), done.stdout
        assert passes_to in done.stdout, done.stdout


def test_a_warning_logged_while_progress_bars_are_drawn_is_a_line_of_its_own_on_a_terminal(tmp_path):
    """Invariant: on a terminal, a warning that effbench's code logs while a command's progress
    bar is drawn (the Ray executor's retry of a lost item, an expert profile measured again) is a
    line of its own, not text appended to the bar's line. Threat: a newcomer read the skip warning
    as part of the 'expert profiles' bar; af4147b fixed that one message, while every message that
    goes through `logging` still landed where the cursor stood."""
    from .terminal_screen import screen_of

    script = tmp_path / "cmd.py"
    script.write_text(
        "import logging, sys, time\n"
        "from effbench.cli import main\n"
        "from effbench.run import _progress\n"
        "@main.command('bars')\n"
        "def bars():\n"
        "    bar = _progress(4, 'expert profiles', True, unit='problem')\n"
        "    for i in range(4):\n"
        "        bar.update(1)\n"
        "        if i == 1:\n"
        "            logging.getLogger('effbench.executors').warning('ray: item 3 lost with worker pid 1234')\n"
        "        time.sleep(0.05)\n"
        "    bar.close()\n"
        "main(['bars'])\n"
    )
    code, lines = screen_of([sys.executable, str(script)], dict(os.environ))
    assert code == 0, lines
    said = [line for line in lines if "item 3 lost" in line]
    assert said == ["ray: item 3 lost with worker pid 1234"], lines
    assert any(line.startswith("expert profiles: 100%") for line in lines), lines
