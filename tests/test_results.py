"""The results layer: one scoring function, re-scoring equal to a fresh run, a thread-safe evaluator,
secret generated inputs, typed records that read older files, and run directories that survive
bad lines. Everything here runs on the scripted sandbox (no code runs), except where it says so."""

from __future__ import annotations

import dataclasses
import json
import math
import re
import threading
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from effbench.engine import EngineSettings, Evaluator
from effbench.errors import EffbenchError
from effbench.meters.valgrind import ValgrindMeter
from effbench.records import RecordFormatError, RunConfig, SampleRecord, Summary
from effbench.rundir import REJECTED, RunDir
from effbench.sandboxes.base import TestRun
from effbench.sandboxes.scripted import ScriptedSandbox, answer
from effbench.summary import summarize
from effbench.verdicts import Verdict

SEED = "property-test-seed"


def triangle_value(n):
    return n * (n + 1) // 2 if n > 0 else 0


@dataclass(frozen=True)
class Behaviour:
    """What a scripted candidate does on one test: a cost factor (vs the expert) and a fault."""

    factor: float
    fault: str  # "none", "wrong", "error", "killed", "memory"


def run_of(behaviour: Behaviour, n: int) -> TestRun:
    expert_cost = n + 100
    if behaviour.fault == "wrong":
        return answer(-1, expert_cost * behaviour.factor, wall_seconds=0.01)
    if behaviour.fault == "error":
        return TestRun(exit_code=0, result='{"ok": false, "error_type": "ValueError", "message": "x"}')
    if behaviour.fault == "killed":
        return TestRun(signal=11, stderr_tail="segfault")
    if behaviour.fault == "memory":
        return TestRun(killed_for="memory", signal=9, peak_memory_kb=5000)
    return answer(
        triangle_value(n), expert_cost * behaviour.factor, wall_seconds=0.001 * behaviour.factor, peak_memory_kb=n % 97
    )


def scripted_sandbox(expert_code, behaviours):
    """Expert costs n+100; candidate ``code`` (its index as text) behaves as ``behaviours[code][test]``."""

    def handler(request):
        n = request.args_json[0]
        if request.code == expert_code:
            return answer(triangle_value(n), n + 100)
        plan = behaviours[int(request.code)]
        return run_of(plan[n % len(plan)], n)

    return ScriptedSandbox(handler)


def run_all(triangle, behaviours, alpha):
    box = scripted_sandbox(triangle.expert_code, behaviours)
    ev = Evaluator(box, ValgrindMeter(), EngineSettings(alpha=alpha, input_seed=SEED), fingerprint={"t": 1})
    return [ev.evaluate(triangle, str(i), model="m", sample_index=i) for i in range(len(behaviours))]


def assert_same(a, b, path="summary"):
    """Equal on every field; floats within 1e-9 relative."""
    if isinstance(a, float) or isinstance(b, float):
        assert a is not None and b is not None, path
        assert math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12), f"{path}: {a} != {b}"
    elif isinstance(a, dict):
        assert set(a) == set(b), f"{path}: keys {sorted(a)} != {sorted(b)}"
        for k in a:
            assert_same(a[k], b[k], f"{path}.{k}")
    elif isinstance(a, list):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b)):
            assert_same(x, y, f"{path}[{i}]")
    else:
        assert a == b, f"{path}: {a!r} != {b!r}"


behaviour = st.builds(
    Behaviour,
    factor=st.floats(0.3, 5.0, allow_nan=False),
    fault=st.sampled_from(["none"] * 6 + ["wrong", "error", "killed", "memory"]),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    behaviours=st.lists(st.lists(behaviour, min_size=1, max_size=4), min_size=1, max_size=5),
    run_alpha=st.floats(1.5, 4.0),
    fraction=st.floats(0.0, 1.0),
)
def test_rescoring_at_a_lower_alpha_equals_a_fresh_run_on_every_summary_field(
    triangle, behaviours, run_alpha, fraction
):
    """Invariant (issue 10 item 5): score(run, alpha=a) == a fresh run at a, on every field of the
    summary (pass@k, eff@k, speedup, verdict counts, memory, times), for any a <= the run's alpha."""
    alpha = 1.01 + fraction * (run_alpha - 1.01)
    ks = list(range(1, len(behaviours) + 1))
    rescored = summarize(run_all(triangle, behaviours, run_alpha), ks, alpha, run_alpha)
    fresh = summarize(run_all(triangle, behaviours, alpha), ks, alpha, alpha)
    assert_same(rescored, fresh)


def test_a_record_read_back_is_rescored_from_its_facts_not_its_stored_fields(triangle):
    """Derived fields in a file are never trusted: a record claiming eff 9 and 'ok' for a wrong
    answer is re-scored from its tests."""
    (rec,) = run_all(triangle, [[Behaviour(1.0, "wrong")]], 2.0)
    data = rec.to_json()
    data.update(efficiency=9.0, passed=True, verdict="ok", failed=False, speedup=3.0)
    back = SampleRecord.from_json(json.loads(json.dumps(data))).rescored()
    assert back.verdict == Verdict.WRONG and back.efficiency == 0.0 and not back.passed and back.speedup is None


def test_eight_threads_on_a_fresh_problem_profile_the_expert_exactly_once(triangle):
    """Invariant (issue 10 item 6): concurrent first calls on one problem measure its expert once."""
    expert_runs = []
    lock = threading.Lock()
    gate = threading.Barrier(8)

    def handler(request):
        n = request.args_json[0]
        if request.code == triangle.expert_code:
            with lock:
                expert_runs.append(n)
            return answer(triangle_value(n), n + 100)
        return answer(triangle_value(n), n + 100)

    ev = Evaluator(ScriptedSandbox(handler), ValgrindMeter(), EngineSettings(input_seed=SEED), fingerprint={"t": 1})
    records = []

    def worker(i):
        gate.wait()
        records.append(ev.evaluate(triangle, "def triangle(n): ...\n", "m", i))

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    n_tests = sum(len(level) for level in ev.tests_of(triangle))
    assert len(expert_runs) == n_tests
    assert ev.stats.profiles_measured == 1 and ev.stats.samples == 8 and ev.stats.tests == 8 * n_tests
    assert all(r.verdict == Verdict.OK for r in records)


def generated_inputs(problem, seed):
    seen = {}

    def handler(request):
        if request.code == problem.expert_code:
            return answer(request.args_json[0][::-1] if isinstance(request.args_json[0], str) else 0, 1000)
        return answer(0, 1)

    ev = Evaluator(ScriptedSandbox(handler), ValgrindMeter(), EngineSettings(input_seed=seed), fingerprint={"t": 1})
    for level in ev.tests_of(problem):
        for t in level:
            seen[t.test_id] = json.dumps(t.args)
    return seen, ev.input_seed


def test_generated_inputs_come_from_a_secret_per_run_unless_the_seed_is_given(mini_set):
    """Invariant (issue 9 item 8): without a seed, two runs generate different level >= 1 inputs
    (a table of answers computed offline is useless); with the same seed, identical ones; level-0
    correctness tests stay fixed."""
    problem = mini_set.get("reverse_words")
    a, seed_a = generated_inputs(problem, None)
    b, seed_b = generated_inputs(problem, None)
    assert seed_a != seed_b and len(seed_a) == 32
    level0 = [k for k in a if k.startswith("L0.")]
    assert level0 and all(a[k] == b[k] for k in level0)
    higher = [k for k in a if not k.startswith("L0.")]
    assert higher and all(a[k] != b[k] for k in higher)
    c, _ = generated_inputs(problem, "fixed")
    d, _ = generated_inputs(problem, "fixed")
    assert c == d


def test_profile_answers_are_keyed_by_the_inputs_not_by_test_ids(triangle, tmp_path):
    """Invariant (issue 10 item 4): an expected answer can only be used for the input it was
    computed on: a cached profile made for other inputs is not reused."""
    from effbench.reference_cache import ReferenceCache

    measured = []

    def handler(request):
        if request.code == triangle.expert_code:
            measured.append(request.args_json[0])
        n = request.args_json[0]
        return answer(triangle_value(n), n + 100)

    cache = ReferenceCache(tmp_path / "cache")

    def profile(seed):
        ev = Evaluator(ScriptedSandbox(handler), ValgrindMeter(), EngineSettings(input_seed=seed), cache, {"t": 1})
        return ev, ev.profile(triangle)

    ev1, p1 = profile("one")
    count = len(measured)
    ev2, again = profile("one")
    # same inputs: from the cache (one run of the expert checks that this sandbox reproduces it)
    assert len(measured) == count + 1 and again.expected == p1.expected
    assert (ev2.stats.profiles_cached, ev2.stats.profiles_measured) == (1, 0)
    ev3, p3 = profile("two-other-inputs")
    inputs1 = {json.dumps(t.args) for lv in ev1.tests_of(triangle) for t in lv}
    inputs3 = {json.dumps(t.args) for lv in ev3.tests_of(triangle) for t in lv}
    if inputs1 != inputs3:
        assert len(measured) > count + 1  # other inputs: measured again, not taken from the cache
    assert set(p3.expected) == {
        __import__("effbench.problems", fromlist=["input_hash"]).input_hash(
            __import__("effbench.codec", fromlist=["encode"]).encode(t.args)
        )
        for lv in ev3.tests_of(triangle)
        for t in lv
    }


def test_a_generator_that_depends_on_the_hash_seed_fails_problems_check(tmp_path, mini_set):
    """Invariant (issue 10 item 4): a generator whose output depends on the string-hash seed (set
    iteration order) is reported by `problems check` as not deterministic across processes."""
    import shutil

    from effbench.check import check_static
    from effbench.problems import load_problem_set

    from .conftest import MINI

    root = tmp_path / "problems"
    shutil.copytree(MINI, root)
    shutil.copytree(MINI.parent / "references", tmp_path / "references")
    (root / "reverse_words" / "generator.py").write_text(
        "import random\n\n\ndef generate(size, rng):\n"
        "    words = {'ab', 'c', 'def', 'gh', 'ij', 'klm', 'nop', 'q'}\n"
        "    return [' '.join(list(words)[rng.randrange(len(words))] for _ in range(size))]\n"
    )
    problem = load_problem_set(root).get("reverse_words")
    errors = check_static(problem)
    assert any("not deterministic across processes" in e for e in errors), errors
    assert not any("across processes" in e for e in check_static(mini_set.get("reverse_words")))


def test_records_of_schema_1_are_read_and_strategy_round_come_from_the_old_label():
    """Files written before the schema field (version 1) still load; the refine label
    'name+refine:r2' gives model_name, strategy and round."""
    v1 = {
        "model": "qwen+refine:r2",
        "problem_id": "p",
        "sample_index": 3,
        "code_sha256": "x",
        "verdict": "ok",
        "failed": False,
        "censored_level": None,
        "level_costs": [10.0, 100.0],
        "reference_level_costs": [10.0, 100.0],
        "weights": [0.0, 1.0],
        "efficiency": 1.0,
        "passed": True,
        "speedup": 1.0,
        "peak_memory_kb": 1,
        "wall_seconds": 0.1,
        "cpu_seconds": 0.1,
        "tests": [
            {"test_id": "L0.t0", "level": 0, "verdict": "ok", "cost": 10.0},
            {"test_id": "L1.g0", "level": 1, "verdict": "ok", "cost": 100.0},
        ],
        "failed_test": None,
        "error_type": None,
        "meta": {},
    }
    rec = SampleRecord.from_json(v1)
    assert (rec.model_name, rec.strategy, rec.round, rec.chain) == ("qwen", "refine", 2, 3)
    assert rec.rescored(2.0).efficiency == pytest.approx(1.0) and rec.to_json()["schema"] == 2
    with pytest.raises(RecordFormatError, match="unknown verdict 'great'"):
        SampleRecord.from_json({**v1, "verdict": "great"})
    with pytest.raises(RecordFormatError, match="tests\\[1\\].cost"):
        SampleRecord.from_json({**v1, "tests": [v1["tests"][0], {**v1["tests"][1], "cost": "big"}]})
    with pytest.raises(RecordFormatError, match="schema"):
        SampleRecord.from_json({**v1, "schema": 99})
    assert RunConfig.from_json({"problem_set_hash": "h", "meter": "valgrind", "alpha": 2.0, "x": 1}).extra == {"x": 1}
    assert Summary.from_json({"alpha": 2.0, "k": [1], "models": {}}).k == [1]


def test_resume_quarantines_an_unparseable_complete_line_and_loses_nothing(tmp_path, triangle):
    """Invariant (issue 12 item 11): a samples.jsonl ending in a complete but unparseable line is
    repaired on resume (the line moves to samples.rejected.jsonl, the user is told), never made
    worse; `score` before that refuses with one line naming the fix."""
    (rec,) = run_all(triangle, [[Behaviour(1.0, "none")]], 2.0)
    config = {"problem_set_hash": "h", "meter": "valgrind", "alpha": 2.0}
    rd = RunDir(tmp_path / "run")
    rd.open(dict(config))
    rd.append(rec)
    bad = '{"model": "m", "problem_id": "triangle", "oops": }\n'
    with (tmp_path / "run" / "samples.jsonl").open("a") as f:
        f.write(bad)
    with pytest.raises(EffbenchError, match=r"samples.jsonl:2: not valid JSON.*resume the run"):
        rd.records()
    said = []
    assert rd.open(dict(config), log=said.append) == {rec.key}
    assert said and "1 unreadable or repeated line(s) moved" in said[0]
    assert (tmp_path / "run" / REJECTED).read_text() == bad
    rd.append(dataclasses.replace(rec, sample_index=rec.sample_index + 1))  # the file stays readable
    assert len(rd.records()) == 2


def test_a_repeated_record_is_never_counted_twice(tmp_path, triangle):
    """Invariant: a run directory holds one record per sample. A samples.jsonl line that repeats
    an earlier line's sample (model, problem, index), as two files joined or a copy appended make,
    is refused by `score` and `curves` (one line naming both lines and the fix) and moved aside on
    resume, keeping the first. Before, it was read as one more sample: n 3 for a run of 2, its
    efficiency counted twice in eff@k."""
    (rec,) = run_all(triangle, [[Behaviour(1.0, "none")]], 2.0)
    config = {"problem_set_hash": "h", "meter": "valgrind", "alpha": 2.0}
    rd = RunDir(tmp_path / "run")
    rd.open(dict(config))
    rd.append(rec)
    rd.append(rec)
    with pytest.raises(EffbenchError, match=r"samples.jsonl:2: repeats sample 0 of 'triangle' .* at line 1.*resume"):
        rd.records()
    said: list[str] = []
    assert rd.open(dict(config), log=said.append) == {rec.key}
    assert said and "1 unreadable or repeated line(s) moved" in said[0]
    assert [r.key for r in rd.records()] == [rec.key]
    assert (tmp_path / "run" / REJECTED).read_text().count("\n") == 1


def test_resume_reuses_the_recorded_input_seed_and_refuses_another(tmp_path):
    """A resumed run generates the same inputs as before (the seed comes from config.json);
    a different --seed is refused rather than mixing inputs."""
    rd = RunDir(tmp_path / "run")
    rd.open({"problem_set_hash": "h", "meter": "valgrind", "alpha": 2.0, "input_seed": "s1"})
    again = {"problem_set_hash": "h", "meter": "valgrind", "alpha": 2.0, "input_seed": None}
    rd.open(again)
    assert again["input_seed"] == "s1"
    with pytest.raises(EffbenchError, match="--seed differs"):
        rd.open({"problem_set_hash": "h", "meter": "valgrind", "alpha": 2.0, "input_seed": "s2"})


def test_score_of_a_run_stopped_before_its_first_sample_names_the_command_that_goes_on(tmp_path):
    """Invariant: `effbench score` on a run directory stopped before any sample was scored (Ctrl-C
    while the experts are profiled: only config.json) is refused with one line that says the run
    has not finished and how to go on, exit 2."""
    import subprocess
    import sys

    rd = RunDir(tmp_path / "run")
    rd.open({"problem_set_hash": "h", "meter": "valgrind", "alpha": 2.0, "k": [1]})
    rd.release()
    out = subprocess.run(
        [sys.executable, "-m", "effbench", "score", str(tmp_path / "run")], capture_output=True, text=True
    )
    assert out.returncode == 2
    (line,) = out.stderr.strip().splitlines()
    assert "no scored samples yet" in line and "has not finished" in line and "effbench evaluate" in line, line


def test_a_run_directory_has_one_writer_at_a_time(tmp_path, triangle):
    """Invariant: while one process (here one RunDir, as flock's locks are per open descriptor)
    holds a run directory, a second writer is refused with one line naming what to do, and the
    directory is unchanged; once the first lets go (release, or its process ends), the second
    resumes it. Two `effbench evaluate` of one run directory at once used to run every sample
    twice and record each twice (n doubled in every table)."""
    (rec,) = run_all(triangle, [[Behaviour(1.0, "none")]], 2.0)
    config = {"problem_set_hash": "h", "meter": "valgrind", "alpha": 2.0}
    first = RunDir(tmp_path / "run")
    assert first.open(dict(config)) == set()
    first.append(rec)
    before = {p.name: p.read_bytes() for p in (tmp_path / "run").iterdir()}
    second = RunDir(tmp_path / "run")
    with pytest.raises(
        EffbenchError, match=r"another effbench process is writing this run directory.*re-run to resume"
    ):
        second.open(dict(config))
    assert {p.name: p.read_bytes() for p in (tmp_path / "run").iterdir()} == before
    first.release()
    assert second.open(dict(config)) == {rec.key}
    second.release()


def test_an_evaluation_run_lets_go_of_its_directory_when_it_ends_or_fails_to_start(tmp_path, mini_set, monkeypatch):
    """Invariant: an EvaluationRun holds its run directory only while it runs: after it ends, and
    after a start that failed (the sandbox unavailable), the same process can open it again."""
    import effbench.run
    from effbench.errors import SandboxUnavailable
    from effbench.meters import MeterChoice
    from effbench.meters.timing import TimeMeter

    def unavailable(*args, **kwargs):
        raise SandboxUnavailable("no sandbox here")

    choice = MeterChoice(TimeMeter(), "test")
    monkeypatch.setattr(effbench.run, "open_sandbox", unavailable)
    with pytest.raises(SandboxUnavailable):
        with effbench.run.EvaluationRun(mini_set, choice, tmp_path / "run", "h"):
            pass
    monkeypatch.setattr(effbench.run, "open_sandbox", lambda *a, **k: ScriptedSandbox(lambda request: None))
    for _ in range(2):
        with effbench.run.EvaluationRun(mini_set, choice, tmp_path / "run", "h"):
            pass


def test_resuming_a_run_with_every_sample_scored_starts_no_sandbox(tmp_path, mini_set, monkeypatch):
    """Invariant: evaluate_samples on a run directory that already holds a record of every sample
    starts no sandbox (no runner, no meter calibration), returns the recorded records and still
    writes summary.json; a resumed run with a sample left starts one, and says so before it does. Fault it
    blocks (newcomer, helper-79): re-running a finished `effbench evaluate --meter time` sat 10-13 s
    with nothing printed, starting two runners and calibrating the meter for nothing to run."""
    import effbench.run
    from effbench.meters import MeterChoice
    from effbench.samples import Sample

    opened = []

    def scripted(*args, **kwargs):
        opened.append(args)
        return ScriptedSandbox(lambda request: answer(triangle_value(request.args_json[0]), 100))

    monkeypatch.setattr(effbench.run, "open_sandbox", scripted)
    choice = MeterChoice(ValgrindMeter(), "test")
    code = "def triangle(n):\n    return n * (n + 1) // 2 if n > 0 else 0\n"
    samples = [Sample("m", "triangle", i, code) for i in range(2)]
    said: list[str] = []
    first = effbench.run.evaluate_samples(samples, mini_set, choice, tmp_path / "run", log=said.append, progress=False)
    assert len(opened) == 1 and len(first) == 2
    assert any("starting the local sandbox" in line for line in said), said
    (tmp_path / "run" / "summary.json").unlink()
    said.clear()
    again = effbench.run.evaluate_samples(samples, mini_set, choice, tmp_path / "run", log=said.append, progress=False)
    assert len(opened) == 1, "a finished run started a sandbox again"
    assert [r.key for r in again] == [r.key for r in first]
    assert (tmp_path / "run" / "summary.json").is_file()
    assert not any("starting" in line for line in said) and any("2 sample(s) already scored" in s for s in said)
    records = tmp_path / "run" / "samples.jsonl"
    records.write_text(records.read_text().splitlines(keepends=True)[0])  # one sample left to run
    effbench.run.evaluate_samples(samples, mini_set, choice, tmp_path / "run", log=said.append, progress=False)
    assert len(opened) == 2 and len(records.read_text().splitlines()) == 2


def test_score_refuses_a_run_dir_with_a_bad_line_naming_the_fix_and_changes_nothing(tmp_path, triangle):
    """`effbench score` on a samples.jsonl with an unparseable complete line: one error line naming
    the line and the fix, exit 2, the directory byte-identical."""
    import subprocess
    import sys

    (rec,) = run_all(triangle, [[Behaviour(1.0, "none")]], 2.0)
    rd = RunDir(tmp_path / "run")
    rd.open({"problem_set_hash": "h", "meter": "valgrind", "alpha": 2.0, "k": [1]})
    rd.append(rec)
    with (tmp_path / "run" / "samples.jsonl").open("a") as f:
        f.write("{not json}\n")
    before = {p.name: p.read_bytes() for p in (tmp_path / "run").iterdir()}
    out = subprocess.run(
        [sys.executable, "-m", "effbench", "score", str(tmp_path / "run")], capture_output=True, text=True
    )
    assert out.returncode == 2
    errors = [line for line in out.stderr.splitlines() if line.startswith("effbench: error:")]
    assert len(errors) == 1 and "samples.jsonl:2" in errors[0] and "resume the run" in errors[0]
    assert {p.name: p.read_bytes() for p in (tmp_path / "run").iterdir()} == before


def test_score_of_an_unfinished_run_says_it_is_partial_and_how_to_finish_it(tmp_path, triangle):
    """Invariant: `effbench score` on a run directory whose evaluation has not ended (no
    summary.json: Ctrl-C, a failure, or still running) says so on stderr, with the count of
    samples scored so far and the command that finishes it, and still prints their scores (exit
    0); on a finished run it says nothing of the kind."""
    import subprocess
    import sys

    (rec,) = run_all(triangle, [[Behaviour(1.0, "none")]], 2.0)
    rd = RunDir(tmp_path / "run")
    rd.open({"problem_set_hash": "h", "meter": "valgrind", "alpha": 2.0, "k": [1]})
    rd.append(rec)
    command = [sys.executable, "-m", "effbench", "score", str(tmp_path / "run")]
    partial = subprocess.run(command, capture_output=True, text=True)
    assert partial.returncode == 0, partial.stderr
    assert "has not finished" in partial.stderr and "1 sample(s) scored so far" in partial.stderr
    assert "effbench evaluate" in partial.stderr and "triangle" in partial.stdout
    rd.write_summary(summarize(rd.records(), [1], 2.0, 2.0))
    finished = subprocess.run(command, capture_output=True, text=True)
    assert finished.returncode == 0 and finished.stdout == partial.stdout
    assert "has not finished" not in finished.stderr, finished.stderr


@pytest.mark.slow
@pytest.mark.parametrize(
    ("stop", "code", "said", "given_dir"),
    [("SIGINT", 130, "interrupted", True), ("SIGTERM", 143, "stopped by SIGTERM", False)],
)
def test_ctrl_c_or_sigterm_stops_fast_records_every_finished_sample_and_says_how_to_resume(
    tmp_path, stop, code, said, given_dir
):
    """Invariant (issue 12 item 12): SIGINT (Ctrl-C) or SIGTERM to a real `effbench evaluate` (mini
    set, valgrind) exits 130 or 143 promptly (generous bound: 10 s), after one line on stderr
    saying what stopped it, how many finished samples the run directory keeps and the command
    that resumes it (with --run-dir when the run had the default, new-every-time one); every line
    of samples.jsonl is a valid record of a sample that finished (no infra records from the
    shutdown); no process the run started outlives it; and that command completes the run with
    each sample exactly once."""
    import os
    import shlex
    import signal
    import subprocess
    import sys
    import time

    import psutil

    from .conftest import MINI

    samples = tmp_path / "s.jsonl"
    code_text = "def triangle(n):\n    return sum(range(1, n + 1))  # a candidate\n"
    samples.write_text("".join(json.dumps({"task_id": "triangle", "solution": code_text}) + "\n" for _ in range(16)))
    args = ["evaluate", "--problems-dir", str(MINI), "--samples", str(samples)]
    args += ["--meter", "valgrind", "--workers", "2", "--no-cache", "--k", "1"]
    if given_dir:
        args += ["--run-dir", str(tmp_path / "run")]
    # SIGINT as an interactive shell leaves it: a test run started in the background by a shell
    # without job control ignores it, and the run would inherit that (and ignore Ctrl-C)
    restore = lambda: signal.signal(signal.SIGINT, signal.SIG_DFL)  # noqa: E731
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "effbench", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=restore,
        cwd=tmp_path,
        env=env,
    )
    deadline = time.monotonic() + 300
    records = None
    while time.monotonic() < deadline and proc.poll() is None:
        found = list(tmp_path.glob("**/samples.jsonl"))
        if found and found[0].read_text().count("\n") >= 2:
            records = found[0]
            break
        time.sleep(0.05)
    assert proc.poll() is None and records is not None, "the run ended before it could be interrupted"
    started = psutil.Process(proc.pid).children(recursive=True)
    assert started, "the run has no runner processes to leave behind"
    sent = time.monotonic()
    proc.send_signal(getattr(signal, stop))
    _, err = proc.communicate(timeout=60)
    took = time.monotonic() - sent
    assert proc.returncode == code, err[-500:]
    assert took < 10, f"took {took:.1f}s to stop"
    lines = records.read_text().splitlines()
    (last,) = [line for line in err.splitlines() if line.startswith("effbench: ")][-1:]
    assert said in last and f"keeps its {len(lines)} finished sample(s)" in last, last
    resume = shlex.split(last.partition("resume with: ")[2])
    assert resume[0] == "effbench" and resume[resume.index("--run-dir") + 1] == str(
        records.parent.relative_to(tmp_path) if not given_dir else records.parent
    )
    gone = lambda p: not p.is_running() or p.status() == psutil.STATUS_ZOMBIE  # noqa: E731
    while time.monotonic() < deadline and not all(gone(p) for p in started):
        time.sleep(0.1)
    assert [p.pid for p in started if not gone(p)] == []
    assert 2 <= len(lines) < 16, err[-500:]
    recs = [SampleRecord.from_json(json.loads(line)) for line in lines]
    assert all(r.verdict != Verdict.INFRA for r in recs) and len({r.key for r in recs}) == len(recs)
    again = subprocess.run([sys.executable, "-m", *resume], capture_output=True, text=True, cwd=tmp_path, env=env)
    assert again.returncode == 0, again.stderr[-500:]
    assert f"{len(lines)} sample(s) already scored" in again.stderr, again.stderr[-500:]
    final = [json.loads(line) for line in records.read_text().splitlines()]
    assert sorted(r["sample_index"] for r in final) == list(range(16))
    assert (records.parent / "summary.json").is_file()


def test_a_record_being_written_holds_sigterm_back_as_it_holds_ctrl_c():
    """Invariant: a stop signal with a Python handler (Ctrl-C, the CLI's SIGTERM) that arrives while
    a record is written is held until the block ends, then raises what its handler raises
    (Terminated for SIGTERM), so a sample is never recorded half; one left to the kernel is not
    touched."""
    import os
    import signal

    from effbench.errors import Terminated
    from effbench.run import _stop_signals_deferred

    def terminate(signum, frame):
        raise Terminated

    old = signal.signal(signal.SIGTERM, terminate)
    reached = []
    try:
        with pytest.raises(Terminated):
            with _stop_signals_deferred():
                os.kill(os.getpid(), signal.SIGTERM)
                reached.append("end of block")
        assert reached == ["end of block"] and signal.getsignal(signal.SIGTERM) is terminate
        with pytest.raises(KeyboardInterrupt):
            with _stop_signals_deferred():
                os.kill(os.getpid(), signal.SIGINT)
                reached.append("again")
        assert reached[-1] == "again" and signal.getsignal(signal.SIGINT) is signal.default_int_handler
    finally:
        signal.signal(signal.SIGTERM, old)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    try:
        with _stop_signals_deferred():
            assert signal.getsignal(signal.SIGTERM) == signal.SIG_IGN
    finally:
        signal.signal(signal.SIGTERM, old)


def test_a_sample_lost_to_the_harness_is_not_counted_in_n_by_the_run_or_by_score(tmp_path, monkeypatch, mini_set):
    """Invariant (DESIGN.md: infrastructure failures are never the candidate's): the fewest samples
    per (model, problem), the n that bounds k, has one definition (summary.fewest_scored), which
    leaves out samples whose verdict is Verdict.INFRA, and the run's summary and `effbench score`
    both use it. A run of 5 samples asked for k=1,5 with one sample lost to the harness ends with
    a summary at k=1 (n=4) and says k=5 is left out (before: the run counted 5, summarize refused
    'k=5 is larger than n=4' and the run ended with no summary.json); `effbench score` agrees."""
    import subprocess
    import sys

    import effbench.run
    from effbench.meters import MeterChoice
    from effbench.samples import Sample
    from effbench.summary import fewest_scored, scorable_ks

    def handler(request):
        if request.code.startswith("# lost"):
            return TestRun(infra_error="runner lost")
        return answer(triangle_value(request.args_json[0]), 100)

    monkeypatch.setattr(effbench.run, "open_sandbox", lambda *a, **k: ScriptedSandbox(handler))
    code = "def triangle(n):\n    return n * (n + 1) // 2 if n > 0 else 0\n"
    samples = [Sample("m", "triangle", i, ("# lost\n" if i == 4 else "") + code) for i in range(5)]
    said: list[str] = []
    run_dir = tmp_path / "run"
    records = effbench.run.evaluate_samples(
        samples,
        mini_set,
        MeterChoice(ValgrindMeter(), "test"),
        run_dir,
        log=said.append,
        progress=False,
        extra_config={"k": [1, 5]},
    )
    assert [r.verdict == Verdict.INFRA for r in records] == [False] * 4 + [True]
    assert fewest_scored(records) == 4 and fewest_scored(records[:4]) == 4 and fewest_scored(records[4:]) == 0
    assert scorable_ks([1, 5], records) == ([1], [5]) and fewest_scored([]) == 0
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["k"] == [1] and summary["models"]["m"]["problems"]["triangle"]["n"] == 4
    assert summary["models"]["m"]["overall"]["infra_failures"] == 1
    assert any("k=5 is larger than the n=4" in line for line in said), said
    scored = subprocess.run(
        [sys.executable, "-m", "effbench", "score", str(run_dir), "--json"], capture_output=True, text=True
    )
    assert scored.returncode == 0, scored.stderr
    assert json.loads(scored.stdout)["k"] == [1] and "k=5 of the run is larger than the n=4" in scored.stderr


def test_registries_answer_unknown_names_with_the_known_ones_and_accept_new_backends():
    """A sandbox, meter or format name that is not registered gets one error line listing the
    known ones; a backend registered at run time (e.g. a Ray executor) is opened by name."""
    from effbench.errors import SandboxUnavailable
    from effbench.registry import IMPORTERS, METERS, SANDBOXES
    from effbench.sandboxes import open_sandbox

    with pytest.raises(SandboxUnavailable, match="unknown sandbox 'ray'; known: local, docker"):
        open_sandbox("ray", ValgrindMeter())
    with pytest.raises(SandboxUnavailable, match="unknown meter 'cirron'; known: perf, valgrind, time"):
        METERS.get("cirron")
    with pytest.raises(EffbenchError, match="unknown format 'humaneval'; known: enamel, evalperf"):
        IMPORTERS.get("humaneval")
    SANDBOXES.register("scripted-test", lambda meter, workers=1, **options: ScriptedSandbox(lambda r: answer(0, 1)))
    try:
        box = open_sandbox("scripted-test", ValgrindMeter())
        assert isinstance(box, ScriptedSandbox)
    finally:
        SANDBOXES._targets.pop("scripted-test")
    assert callable(IMPORTERS.get("enamel").problem_from_row)


def test_a_problems_samples_wait_for_its_profile_only_and_go_out_longest_first():
    """Invariant (issue 13, dispatch of EvaluationRun.evaluate): every needed profile is handed out
    first; a problem's samples are never handed out before its own profile is ready (a thread
    would wait on the profile's lock), are handed out as soon as it is, whatever other profiles
    are still measured, and never once the problem is skipped; ready samples go out longest
    expected first (ties in the given order); samples with no code need no profile first."""
    from effbench.run import _Schedule
    from effbench.samples import Sample

    est = {"a": 1.0, "b": 5.0, "c": 3.0}
    todo = [Sample("m", p, i, f"code {p}{i}") for p in "abc" for i in range(2)]
    todo.append(Sample("m", "d", 0, None, meta={"extraction": "no code"}))
    plan = _Schedule(todo, lambda s: est.get(s.problem_id, 0.0))
    assert plan.needed == ["a", "b", "c"]
    assert [plan.next(), plan.next(), plan.next()] == ["a", "b", "c"]
    first = plan.next()
    assert isinstance(first, Sample) and first.problem_id == "d"  # no profile needed
    assert plan.next() is None  # no profile ready: nothing to run
    plan.profile_ready("a")  # b and c still measured
    assert [(s.problem_id, s.index) for s in (plan.next(), plan.next())] == [("a", 0), ("a", 1)]
    assert plan.next() is None
    plan.profile_ready("c")
    plan.profile_ready("b")
    order = [plan.next() for _ in range(4)]
    assert [(s.problem_id, s.index) for s in order] == [("b", 0), ("b", 1), ("c", 0), ("c", 1)]
    assert plan.next() is None
    again = _Schedule(todo, lambda s: 1.0)
    assert again.skip("b") == 2
    again.profile_ready("b")  # never: it was skipped
    assert [again.next() for _ in range(3)] == ["a", "b", "c"] and again.next().problem_id == "d"
    assert again.next() is None


def _two_tiers_of_experts(mini_set):
    """Samples of two tiers ("x", "y") for reverse_words and triangle: each the expert's code
    marked ``# sample`` (so that a scripted handler tells them from the profile's runs)."""
    from effbench.samples import Sample

    return [
        Sample(tier, pid, 0, mini_set.get(pid).expert_code + "\n# sample\n")
        for pid in ("reverse_words", "triangle")
        for tier in ("x", "y")
    ]


def test_samples_of_a_profiled_problem_run_while_another_profile_is_measured(tmp_path, mini_set, monkeypatch):
    """Invariant (issue 13): there is no barrier between the profile phase and the sample phase:
    with 2 workers and 2 problems, a sample of the problem whose profile is ready runs while the
    other problem's profile is still being measured (before: every sample waited for every
    profile, so the second worker idled through the first one's last profile). Every sample is
    still recorded once, with the same costs as with one worker."""
    import effbench.run
    from effbench import codec
    from effbench.meters import MeterChoice

    sample_ran = threading.Event()
    overlapped: list[bool] = []

    def handler(request):
        args = codec.decode(request.args_json)
        ns: dict = {}
        exec(request.code, ns)  # noqa: S102 - the fixtures' own references
        name = "triangle" if "def triangle" in request.code else "reverse_words"
        if "# sample" in request.code:
            sample_ran.set()
        elif name == "triangle":  # the other profile holds on until a sample has run (bounded)
            overlapped.append(sample_ran.wait(20))
        return answer(ns[name](*args), 100 + len(json.dumps(request.args_json)))

    samples = _two_tiers_of_experts(mini_set)
    choice = MeterChoice(ValgrindMeter(), "test")
    monkeypatch.setattr(effbench.run, "open_sandbox", lambda *a, **k: ScriptedSandbox(handler))
    costs = []
    for workers in (2, 1):
        run_dir = tmp_path / f"run{workers}"
        settings = EngineSettings(input_seed=SEED)
        records = effbench.run.evaluate_samples(
            samples, mini_set, choice, run_dir, workers=workers, settings=settings, use_cache=False, progress=False
        )
        assert sorted((r.model, r.problem_id) for r in records) == sorted((s.model, s.problem_id) for s in samples)
        costs.append(sorted((r.model, r.problem_id, [t.cost for t in r.tests]) for r in records))
        if workers == 2:
            assert overlapped and all(overlapped), "a sample waited for every profile"
            sample_ran.set()  # the one-worker run must not wait
    assert costs[0] == costs[1]


def test_an_expert_wrong_on_its_own_tests_skips_its_problem_while_other_samples_run(tmp_path, mini_set, monkeypatch):
    """Invariant (red team of issue 13's schedule): a problem whose expert is wrong on one of its
    own fixed tests cannot be evaluated; it is skipped with a warning like a problem whose checker
    raises (a ProblemError), its samples get no record, and every other problem's samples finish
    and are recorded once. Before, the expert's failure was a plain EffbenchError: now that other
    problems' samples run while profiles are measured, it ended the run with some of them recorded
    and the ones in flight abandoned (half a run), with 1 worker or 2."""
    import effbench.run
    from effbench import codec
    from effbench.meters import MeterChoice

    def handler(request):
        args = codec.decode(request.args_json)
        ns: dict = {}
        exec(request.code, ns)  # noqa: S102 - the fixtures' own references
        name = "triangle" if "def triangle" in request.code else "reverse_words"
        value = ns[name](*args)
        if name == "triangle" and "# sample" not in request.code and args == [1]:
            value += 1  # the expert is wrong on its own fixed test triangle(1) == 1
        return answer(value, 100 + len(json.dumps(request.args_json)))

    samples = _two_tiers_of_experts(mini_set)
    choice = MeterChoice(ValgrindMeter(), "test")
    monkeypatch.setattr(effbench.run, "open_sandbox", lambda *a, **k: ScriptedSandbox(handler))
    for workers in (1, 2):
        run_dir = tmp_path / f"run{workers}"
        logged: list[str] = []
        settings = EngineSettings(input_seed=SEED)
        with effbench.run.EvaluationRun(
            mini_set, choice, run_dir, effbench.run.samples_hash(samples),
            workers=workers, settings=settings, use_cache=False, progress=False, log=logged.append,
        ) as run:  # fmt: skip
            records = run.evaluate(samples)
            assert "triangle" in run.skipped and "expert reference fails" in run.skipped["triangle"]
        assert sorted((r.model, r.problem_id) for r in records) == [("x", "reverse_words"), ("y", "reverse_words")]
        assert any("warning: problem triangle" in line for line in logged)


def test_the_profiles_bar_keeps_the_time_the_profiles_took_not_the_whole_runs(tmp_path, mini_set, monkeypatch):
    """Invariant: the 'expert profiles' bar's last line gives the time the profiles took, not the
    time until the last sample ended (the bar is closed with the samples' bar). Fault it blocks
    (newcomer, helper-88): the main job ended on 'expert profiles: 61/61 [11:42, 11.52s/problem]'
    for profiles done at 4:13. tqdm's clock is replaced by one that moves 10 s per reading."""
    import io

    import tqdm.std

    import effbench.run
    from effbench.meters import MeterChoice
    from effbench.samples import Sample

    ticks = iter(range(0, 10**6, 10))
    monkeypatch.setattr(tqdm.std, "time", lambda: float(next(ticks)))
    err = io.StringIO()
    monkeypatch.setattr(effbench.run.sys, "stderr", err)
    box = ScriptedSandbox(lambda request: answer(triangle_value(request.args_json[0]), 100))
    monkeypatch.setattr(effbench.run, "open_sandbox", lambda *a, **k: box)
    code = "def triangle(n):\n    return n * (n + 1) // 2 if n > 0 else 0\n"
    samples = [Sample("m", "triangle", i, code) for i in range(4)]
    effbench.run.evaluate_samples(samples, mini_set, MeterChoice(ValgrindMeter(), "test"), tmp_path / "run", workers=1)
    lines = err.getvalue().replace("\r", "\n").splitlines()

    def elapsed(desc):
        last = [line for line in lines if line.startswith(desc) and "100%" in line][-1]
        minutes, seconds = re.search(r"\[(\d+):(\d+)<", last).groups()
        return int(minutes) * 60 + int(seconds)

    assert elapsed("expert profiles") < elapsed("samples"), err.getvalue()[-1000:]


def test_the_samples_bar_counts_its_time_from_the_first_sample_not_from_the_profiles(tmp_path, mini_set, monkeypatch):
    """Invariant: the 'samples' bar's elapsed time, rate and estimate are the samples' own: its clock
    starts when the first sample is handed out, after the expert profiles. Fault it blocks
    (newcomer, db86c4b's main job at load 7-9): the bar, drawn from the start, counted the 1:41 of
    profiles as the samples', so its first line read '1/156 [01:51<4:47:31, 111.30s/sample]' and
    its last '156/156 [07:29, 2.88s/sample]' for samples that took 5:48. tqdm's clock moves 1 s a
    reading, and 1000 s more for every test of the expert's profile."""
    import io

    import tqdm.std

    import effbench.run
    from effbench.meters import MeterChoice
    from effbench.samples import Sample

    now = [0.0]

    def clock():
        now[0] += 1
        return now[0]

    code = "def triangle(n):\n    return n * (n + 1) // 2 if n > 0 else 0\n"

    def handler(request):
        if request.code != code:  # the expert's profile: long
            now[0] += 1000
        return answer(triangle_value(request.args_json[0]), 100)

    monkeypatch.setattr(tqdm.std, "time", clock)
    err = io.StringIO()
    monkeypatch.setattr(effbench.run.sys, "stderr", err)
    monkeypatch.setattr(effbench.run, "open_sandbox", lambda *a, **k: ScriptedSandbox(handler))
    samples = [Sample("m", "triangle", i, code) for i in range(4)]
    effbench.run.evaluate_samples(samples, mini_set, MeterChoice(ValgrindMeter(), "test"), tmp_path / "run", workers=1)
    lines = err.getvalue().replace("\r", "\n").splitlines()

    def elapsed(desc):
        last = [line for line in lines if line.startswith(desc) and "100%" in line][-1]
        hours, minutes, seconds = re.search(r"\[(?:(\d+):)?(\d+):(\d+)<", last).groups()
        return int(hours or 0) * 3600 + int(minutes) * 60 + int(seconds)

    assert elapsed("expert profiles") >= 1000, err.getvalue()[-1000:]  # the profile's tests ran
    assert elapsed("samples") < 1000, err.getvalue()[-1000:]


def test_progress_in_a_log_file_is_whole_lines_not_a_redrawn_bar(tmp_path, mini_set, monkeypatch):
    """Invariant: where stderr is not a terminal (``2> log``, nohup, a CI's log), a run's two bars
    are written as whole lines: no carriage return, no terminal control sequence, each line a
    bar's state, the last one its 100% line. Fault it blocks (newcomer, helper-111): the bars were
    drawn as on a terminal, so a log held one line of carriage returns and cursor-up sequences
    (``ESC [ A``) that less and editors show garbled."""
    import io

    import effbench.run
    from effbench.meters import MeterChoice
    from effbench.samples import Sample

    err = io.StringIO()
    monkeypatch.setattr(effbench.run.sys, "stderr", err)
    box = ScriptedSandbox(lambda request: answer(triangle_value(request.args_json[0]), 100))
    monkeypatch.setattr(effbench.run, "open_sandbox", lambda *a, **k: box)
    samples = [Sample("m", "triangle", i, _TRIANGLE_CODE) for i in range(3)]
    effbench.run.evaluate_samples(samples, mini_set, MeterChoice(ValgrindMeter(), "test"), tmp_path / "run", workers=1)
    text = err.getvalue()
    assert "\r" not in text and "\x1b" not in text, repr(text[-500:])
    lines = text.splitlines()
    assert all(line.strip() for line in lines), lines
    assert any(line.startswith("samples") and "100%" in line and "3/3" in line for line in lines), lines
    assert any(line.startswith("expert profiles") and "100%" in line for line in lines), lines


_TRIANGLE_CODE = "def triangle(n):\n    return n * (n + 1) // 2 if n > 0 else 0\n"


def _resumable_run(tmp_path, mini_set, monkeypatch):
    """Two samples of 'triangle' evaluated into tmp_path/run, summary.json removed (an interrupted run).

    Returns (evaluate: samples -> records, the samples, the run's samples.jsonl path).
    """
    import effbench.run
    from effbench.meters import MeterChoice
    from effbench.samples import Sample

    monkeypatch.setattr(
        effbench.run,
        "open_sandbox",
        lambda *a, **k: ScriptedSandbox(lambda request: answer(triangle_value(request.args_json[0]), 100)),
    )
    choice = MeterChoice(ValgrindMeter(), "test")

    def evaluate(samples):
        return effbench.run.evaluate_samples(samples, mini_set, choice, tmp_path / "run", progress=False)

    samples = [Sample("m", "triangle", i, _TRIANGLE_CODE) for i in range(2)]
    evaluate(samples)
    (tmp_path / "run" / "summary.json").unlink()
    return evaluate, samples, tmp_path / "run" / "samples.jsonl"


def test_a_resume_never_reports_a_record_of_other_code_than_the_sample_given(tmp_path, mini_set, monkeypatch):
    """Invariant: every record a run of given code (samples files, references) reports is the
    measurement of exactly that sample's code. A record of the sample's key (model, problem,
    index) whose code_sha256 differs (another run's line prepended to samples.jsonl, or a line
    of it edited) is never reused: the resume is refused with one line naming samples.jsonl,
    the sample and the fix (another --run-dir), before any sandbox starts. A samples file edited
    since the run started is refused too (the run's samples_hash). Fault it blocks (red team):
    a prepended line of another run's code was kept as the sample's record and the run's own
    moved aside as a repeat, so the run reported scores of code it was never given."""
    from effbench.engine import code_hash
    from effbench.samples import Sample

    evaluate, samples, records = _resumable_run(tmp_path, mini_set, monkeypatch)
    original = records.read_text()
    first = json.loads(original.splitlines()[0])
    foreign = json.dumps({**first, "code_sha256": code_hash("def triangle(n):\n    return 0\n"), "efficiency": 0.5})
    refused = (
        r"samples.jsonl:1: cannot resume: sample 0 of 'triangle' \(model 'm'\): its record is of other code.*--run-dir"
    )
    for text in (foreign + "\n" + original, foreign + "\n" + original.splitlines(keepends=True)[1]):
        records.write_text(text)  # prepended (a repeat of the key), or the line replaced
        with pytest.raises(EffbenchError, match=refused):
            evaluate(samples)
        assert not (tmp_path / "run" / "summary.json").exists()
    edited = [samples[0], Sample("m", "triangle", 1, _TRIANGLE_CODE + "# edited\n")]
    records.write_text(original)
    with pytest.raises(EffbenchError, match="cannot resume: samples_hash differs"):
        evaluate(edited)
    assert [r.code_sha256 for r in evaluate(samples)] == [code_hash(_TRIANGLE_CODE)] * 2


def test_a_resume_never_reports_a_record_of_a_sample_it_was_not_given(tmp_path, mini_set, monkeypatch):
    """Invariant: a run of given code reports records of those samples only. A samples.jsonl
    record of a key that is not among them (another run's line appended or prepended: another
    model, problem or sample index) refuses the resume with one line naming the file, the sample
    and the fix (another --run-dir). Fault it blocks (red team): the foreign record was counted
    in the resumed run's summary beside the run's own (n 3 for a run of 2)."""
    evaluate, samples, records = _resumable_run(tmp_path, mini_set, monkeypatch)
    original = records.read_text()
    first = json.loads(original.splitlines()[0])
    for other in ({"sample_index": 5}, {"model": "other", "model_name": "other"}):
        records.write_text(original + json.dumps({**first, **other}) + "\n")
        with pytest.raises(
            EffbenchError, match=r"samples.jsonl:\d: cannot resume: .* not among the samples given.*--run-dir"
        ):
            evaluate(samples)
        assert not (tmp_path / "run" / "summary.json").exists()


def test_a_record_appended_twice_is_used_once_on_resume(tmp_path, mini_set, monkeypatch):
    """Invariant (documented behaviour): a samples.jsonl line repeated whole (appended twice) is
    moved to samples.rejected.jsonl on resume, the first kept: the run reports that sample once."""
    evaluate, samples, records = _resumable_run(tmp_path, mini_set, monkeypatch)
    lines = records.read_text().splitlines(keepends=True)
    records.write_text("".join(lines) + lines[0])
    assert [r.key for r in evaluate(samples)] == [(s.model, s.problem_id, s.index) for s in samples]
    assert (tmp_path / "run" / REJECTED).read_text() == lines[0]
