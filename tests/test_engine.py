"""Judging and scoring above the sandbox, with a scripted sandbox (no code runs)."""

from __future__ import annotations

import dataclasses
import json
import signal

import pytest

from effbench.engine import EngineSettings, Evaluator
from effbench.meters.valgrind import ValgrindMeter
from effbench.rundir import RunDir
from effbench.sandboxes.base import TestRun
from effbench.sandboxes.scripted import ScriptedSandbox, answer

CONFIG = {"problem_set_hash": "h", "meter": "valgrind", "alpha": 2.0}


def triangle_value(request):
    n = request.args_json[0]
    return n * (n + 1) // 2 if n > 0 else 0


def scripted(candidate):
    """Expert costs n+100 instructions; `candidate(request, n)` decides the candidate's run."""

    def handler(request):
        n = request.args_json[0]
        if "sum(range" in request.code:  # the expert of the mini set
            return answer(triangle_value(request), n + 100)
        return candidate(request, n)

    return ScriptedSandbox(handler)


def evaluate(triangle, candidate, **settings):
    box = scripted(candidate)
    ev = Evaluator(box, ValgrindMeter(), EngineSettings(**settings), fingerprint={"test": 1})
    return ev.evaluate(triangle, "def triangle(n): ...\n"), box


def test_faster_than_expert_scores_above_one(triangle):
    rec, _ = evaluate(triangle, lambda req, n: answer(triangle_value(req), (n + 100) / 2))
    assert rec.verdict == "ok" and rec.efficiency > 1.0 and rec.speedup == pytest.approx(2.0, rel=0.01)


def test_wrong_answer_stops_at_first_failing_test(triangle):
    rec, box = evaluate(triangle, lambda req, n: answer(-1, 10))
    assert rec.verdict == "wrong" and rec.failed_test == "L0.t0" and rec.efficiency == 0.0
    candidate_requests = [r for r in box.requests if "sum(range" not in r.code]
    assert len(candidate_requests) == 1


def test_a_wrong_answer_is_named_as_the_candidates_not_as_the_expected_one(triangle):
    """Invariant: a wrong test's detail says which value is the candidate's (``got -123``); it read
    'answer differs from the expected one (-123)', which a newcomer took for the expected value."""
    rec, _ = evaluate(triangle, lambda req, n: answer(-123, 10))
    detail = rec.tests[-1].detail
    assert rec.verdict == "wrong" and "differs from the expected one" in detail
    assert "got -123" in detail, detail


def test_over_budget_censors_that_level_only(triangle):
    top = triangle.levels[-1].size

    def slow_at_top(req, n):
        return answer(triangle_value(req), 10 * (n + 100) if n > top // 2 else n + 100)

    rec, _ = evaluate(triangle, slow_at_top)
    assert rec.verdict == "censored_budget" and rec.censored_level == 2 and rec.passed
    assert rec.efficiency == pytest.approx(1 / 4, rel=1e-3)


def test_a_right_answer_without_a_cost_fails_and_is_never_infra(triangle):
    """Invariant: an answer with no cost is the candidate's doing (the runner reports its own
    failures as infra before any judging): the sample fails as MeterAnomaly and stays in scoring.
    Found by a red team: a hand-written answer and a non-zero exit made a slow sample infra."""

    def run(req, n):
        return TestRun(exit_code=0, result=json.dumps({"ok": True, "value": triangle_value(req)}))

    rec, _ = evaluate(triangle, run)
    assert rec.verdict == "error" and rec.error_type == "MeterAnomaly" and rec.efficiency == 0.0


@pytest.mark.parametrize(
    "run,verdict,etype",
    [
        (TestRun(killed_for="wall", signal=9), "censored_budget", None),
        (TestRun(killed_for="memory", signal=9), "censored_memory", None),
        (TestRun(killed_for="cpu", signal=signal.SIGXCPU), "censored_budget", None),
        # a CPU-time signal the runner did not see coming (the candidate sent it to itself):
        # a failure, never censoring (which would keep the credit of the levels before)
        (TestRun(signal=signal.SIGXCPU), "killed", "SIGXCPU"),
        (
            TestRun(exit_code=0, result='{"ok": false, "error_type": "MemoryError", "message": ""}'),
            "error",
            "MemoryError",
        ),
        (TestRun(meter_anomaly="valgrind meter: more than one count"), "error", "MeterAnomaly"),
        (
            TestRun(exit_code=0, result='{"ok": false, "error_type": "ResultTooDeep", "message": ""}'),
            "wrong",
            "ResultTooDeep",
        ),
        (TestRun(signal=signal.SIGSEGV), "killed", "SIGSEGV"),
        (TestRun(exit_code=0, result=""), "error", "NoResult"),
        (
            TestRun(exit_code=0, result='{"ok": false, "error_type": "ZeroDivisionError", "message": "x"}'),
            "error",
            "ZeroDivisionError",
        ),
        (TestRun(exit_code=0, result="{garbage"), "error", "BadResult"),
        (TestRun(infra_error="runner vanished"), "infra", "InfrastructureError"),
        # a right answer the candidate wrote on its result pipe by hand before exiting non-zero
        # (and so before the end of the measured span, the cost dropped): no answer, a failure
        (TestRun(exit_code=1, result='{"ok":true,"value":6}'), "error", "NoResult"),
    ],
)
def test_verdicts_of_abnormal_runs(triangle, run, verdict, etype):
    rec, _ = evaluate(triangle, lambda req, n: run)
    assert rec.verdict == verdict and rec.error_type == etype
    assert rec.efficiency == 0.0


def test_infrastructure_failures_are_not_scored_as_wrong(triangle):
    from effbench.summary import summarize

    infra, _ = evaluate(triangle, lambda req, n: TestRun(infra_error="engine down"))
    good, _ = evaluate(triangle, lambda req, n: answer(triangle_value(req), n + 100))
    summary = summarize([infra, good], [1], 2.0, 2.0)
    model = summary["models"]["candidate"]
    assert model["overall"]["infra_failures"] == 1
    assert model["problems"]["triangle"]["n"] == 1


def test_run_dir_survives_a_torn_last_line(tmp_path, triangle):
    """A crash mid-write loses at most the sample being written; resume re-runs only that one."""
    rec, _ = evaluate(triangle, lambda req, n: answer(triangle_value(req), n + 100))
    rd = RunDir(tmp_path / "run")
    rd.open(CONFIG)
    rd.append(rec)
    with (tmp_path / "run" / "samples.jsonl").open("a") as f:
        f.write('{"model": "x", "problem_')
    assert len(rd.records()) == 1
    assert rd.torn_last_line() == 2  # said, never silent (effbench score prints it)
    assert rd.open(dict(CONFIG)) == {("candidate", "triangle", 0)}
    rd.append(dataclasses.replace(rec, sample_index=1))  # the sample whose line was torn, run again
    assert len(rd.records()) == 2
    with pytest.raises(Exception, match="cannot resume: problem_set_hash differs"):
        rd.open({**CONFIG, "problem_set_hash": "other"})


def test_a_refused_resume_names_what_differs_in_the_fingerprint(tmp_path):
    """Invariant: a resume refused for another environment says which of its fields differ (a
    newcomer re-ran a docker run locally and was told only that the environment changed)."""
    rd = RunDir(tmp_path / "run")
    base = {**CONFIG, "fingerprint": {"sandbox": "docker", "python": "3.11.2", "meter": "valgrind"}}
    rd.open(base)
    with pytest.raises(Exception) as info:
        rd.open({**base, "fingerprint": {**base["fingerprint"], "sandbox": "local"}})
    message = str(info.value)
    assert "cannot resume: fingerprint differs" in message, message
    assert "sandbox: 'docker' in the run, 'local' now" in message and "python" not in message, message


def test_two_problems_with_one_id_never_share_answers_or_a_profile(triangle):
    """The threat: an evaluator that kept a problem's tests, expected answers and expert profile by
    its id alone judged an edited problem (or a second imported file's problem of the same id)
    against the first one's expert (here: the edited expert, three times as slow as the first, was
    censored for the first one's budget). The invariant: one evaluator scores each version of a
    problem against that version's own expert, whatever it scored before."""
    import dataclasses

    edited_expert = "def triangle(n):  # edited\n    return sum(i for i in range(n + 1))\n"
    edited = dataclasses.replace(triangle, version=triangle.version + "-edited", references={"expert": edited_expert})

    def handler(request):
        n = request.args_json[0]
        if "# edited" in request.code:
            return answer(triangle_value(request), 3 * n + 300)
        return answer(triangle_value(request), n + 100)

    ev = Evaluator(ScriptedSandbox(handler), ValgrindMeter(), EngineSettings(), fingerprint={"test": 1})
    first = ev.evaluate(triangle, triangle.expert_code)
    second = ev.evaluate(edited, edited_expert)
    again = ev.evaluate(triangle, triangle.expert_code)
    assert first.verdict == second.verdict == again.verdict == "ok"
    assert first.efficiency == second.efficiency == again.efficiency == 1.0
    assert second.reference_level_costs != first.reference_level_costs
    assert ev.profile(edited).level_costs != ev.profile(triangle).level_costs


def test_a_record_the_readers_refuse_is_never_written(tmp_path, triangle):
    """Invariant: RunDir.append writes only a line RunDir.records reads back; a record the readers
    refuse (here a blank model label) raises EffbenchError and leaves the file as it was. Threat:
    the readers' checks (669111a) refused a blank label that the Evaluator's default wrote, so a
    run dir held a line that stopped its own score and resume."""
    from effbench.errors import EffbenchError

    rec, _ = evaluate(triangle, lambda req, n: answer(triangle_value(req), n + 100))
    assert rec.model == "candidate"  # the Evaluator's default label is one the readers take
    rd = RunDir(tmp_path / "run")
    rd.open(CONFIG)
    rd.append(rec)
    before = (tmp_path / "run" / "samples.jsonl").read_bytes()
    with pytest.raises(EffbenchError, match="model: must be one line of printable text; the record was not written"):
        rd.append(dataclasses.replace(rec, model="", sample_index=1))
    assert (tmp_path / "run" / "samples.jsonl").read_bytes() == before
    assert [r.key for r in rd.records()] == [rec.key]


def test_a_record_that_does_not_fit_on_the_disk_is_cut_off_and_named(tmp_path, triangle, monkeypatch):
    """Invariant: a record that cannot be written whole (a full disk) raises one EffbenchError
    naming samples.jsonl and the system's reason, and the file is left ending with the last whole
    record: nothing torn, nothing lost (before: OSError out of RunDir.append, a traceback from
    `effbench evaluate`, and a torn line left behind)."""
    import errno
    import os

    from effbench.errors import EffbenchError

    rec, _ = evaluate(triangle, lambda req, n: answer(triangle_value(req), n + 100))
    rd = RunDir(tmp_path / "run")
    rd.open(CONFIG)
    rd.append(rec)
    before = (tmp_path / "run" / "samples.jsonl").read_bytes()
    real_write = os.write

    def half_then_full(fd, data):  # the disk fills up in the middle of the line
        if len(data) > 20:
            return real_write(fd, bytes(data[: len(data) // 2]))
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "write", half_then_full)
    with pytest.raises(EffbenchError) as info:
        rd.append(dataclasses.replace(rec, sample_index=1))
    monkeypatch.undo()
    message = str(info.value)
    assert "samples.jsonl: cannot write: No space left on device" in message and "\n" not in message
    assert (tmp_path / "run" / "samples.jsonl").read_bytes() == before
    assert rd.torn_last_line() is None and [r.key for r in rd.records()] == [rec.key]


def test_a_reference_cache_that_cannot_be_written_never_fails_the_run(tmp_path):
    """Invariant: the expert-profile cache is only a cache: a folder that cannot be written (a full
    disk, a file in its place) makes put() return False and leave no temporary file, never raise
    (before: OSError out of put, so `effbench evaluate` ended in a traceback with a full cache
    disk)."""
    from effbench.reference_cache import ReferenceCache

    blocker = tmp_path / "cache"
    blocker.write_text("a file where the cache folder should be")
    assert ReferenceCache(blocker / "references").put({"problem": "p"}, {"x": 1}) is False
    folder = tmp_path / "ok"
    cache = ReferenceCache(folder)
    assert cache.put({"problem": "p"}, {"x": 1}) is True and cache.get({"problem": "p"}) == {"x": 1}
    assert [p.name for p in folder.iterdir() if p.name.startswith(".tmp-")] == []


def test_a_second_writer_of_a_run_directory_is_told_which_process_holds_it(tmp_path):
    """Invariant: a run directory held by a running evaluation refuses a second writer with one
    line naming the holder's pid and command, so the user can find it (before: 'another effbench
    process' and nothing to tell which of several)."""
    import subprocess
    import sys
    import time

    from effbench.errors import EffbenchError

    path = tmp_path / "run"
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time\nfrom effbench.rundir import RunDir\n"
         f"RunDir({str(path)!r}).open({CONFIG!r})\nprint('held', flush=True)\ntime.sleep(120)\n"],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(EffbenchError) as info:
            RunDir(path).open(dict(CONFIG))
        message = str(info.value)
        assert "another effbench process is writing this run directory" in message
        assert f"pid {holder.pid}, " in message and "-c import sys, time from effbench" in message, message
        assert "\n" not in message
    finally:
        holder.kill()
        holder.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:  # the lock goes with its process
        try:
            RunDir(path).open(dict(CONFIG))
            break
        except EffbenchError:
            time.sleep(0.1)
    else:
        pytest.fail("the lock outlived its process")
