"""Resuming a model run: what a resume may ask the model for, which records it may keep, and what a
refused resume may change on disk. In process, against the scripted OpenAI server
(``tests/openai_fake.py``) and a :class:`~effbench.sandboxes.scripted.ScriptedSandbox` that runs
each candidate in this process (the sandbox is not the subject here)."""

from __future__ import annotations

import json

import pytest

from effbench.errors import EffbenchError
from effbench.meters import MeterChoice
from effbench.meters.valgrind import ValgrindMeter
from effbench.sandboxes.scripted import ScriptedSandbox, answer

from .openai_fake import FakeOpenAI
from .test_models import FAST, SLOW, WRONG

#: the first answer is wrong; a refinement (its prompt shows the previous code) is slow; then fast
REFINED = [WRONG, SLOW, FAST]


def refining(prompt: str, index: int) -> str:
    """Round 1 answers WRONG; a refinement round answers SLOW after a wrong answer, FAST after a slow one."""
    if "previous code" not in prompt:
        return WRONG
    return FAST if "t += i" in prompt else SLOW


def in_process(request):
    """Run the candidate in this process: its value, and a cost of 100 (1,000 with a loop)."""
    namespace: dict = {}
    exec(request.code, namespace)
    value = namespace[request.entry_point](*request.args_json)
    return answer(value, 1000.0 if "for " in request.code else 100.0)


@pytest.fixture
def model_run(tmp_path, mini_set, monkeypatch):
    """``run(server, **options) -> records``: a model run of 'triangle' into tmp_path/run, in process.

    Options are ``effbench evaluate``'s (``samples``, ``strategy``, ``rounds``...); the response
    cache is tmp_path/cache (delete it to stand for another machine).
    """
    import effbench.run
    from effbench.engine import EngineSettings
    from effbench.models.runner import plan_from_options

    monkeypatch.setenv("EFFBENCH_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(effbench.run, "open_sandbox", lambda *a, **k: ScriptedSandbox(in_process))
    choice = MeterChoice(ValgrindMeter(), "test")

    def job(server, samples=2, problems=("triangle",), **options):
        o = {"model": "scripted-model", "base_url": server.base_url, "max_retries": 0, "request_timeout": 5.0}
        return plan_from_options(mini_set, list(problems), [str(samples)], None, {**o, **options})

    def run(server, **options):
        settings = EngineSettings(input_seed="s")
        return job(server, **options).run(choice, tmp_path / "run", "local", 1, settings, use_cache=False)

    run.job = job  # the ModelJob the same options make (its cost estimate)
    return run


def forget_answers(tmp_path) -> None:
    """Delete the response cache (its answers), as on another machine."""
    for f in (tmp_path / "cache").glob("responses.sqlite*"):
        f.unlink()


def posts(server) -> list[dict]:
    """The bodies of the completion requests the server received."""
    return [r["body"] for r in server.requests]


def test_a_resume_never_asks_again_for_a_sample_already_recorded(tmp_path, model_run):
    """Invariant: a resume never sends a request for a (model, problem, sample) already recorded in
    samples.jsonl, whether or not the response cache still holds its answer (deleted, another
    machine): the user never pays twice for an answer the run has. Fault it blocks (red team): with
    the cache gone, the resume asked the model again for every sample, then threw the new answers
    away (the records were kept)."""
    with FakeOpenAI(lambda prompt, i: FAST) as server:
        model_run(server, samples=2)
        assert sum(b.get("n", 1) for b in posts(server)) == 2
    records = tmp_path / "run" / "samples.jsonl"
    kept = records.read_text().splitlines(keepends=True)
    records.write_text(kept[0])  # interrupted after its first sample
    (tmp_path / "run" / "summary.json").unlink()
    forget_answers(tmp_path)
    with FakeOpenAI(lambda prompt, i: FAST) as server:
        estimate = model_run.job(server, samples=2).estimate(tmp_path / "run")
        assert (estimate.answers, estimate.cached) == (1, 0)  # the cost asked about is the resume's
        done = model_run(server, samples=2)
        assert [b.get("n", 1) for b in posts(server)] == [1]  # sample 1 only
        assert len(done) == 2
    with FakeOpenAI(lambda prompt, i: FAST) as server:  # finished: nothing at all is asked
        assert len(model_run(server, samples=2)) == 2
        assert posts(server) == []


def test_a_resumed_refine_chain_goes_on_from_its_recorded_round(tmp_path, model_run):
    """Invariant: a resumed refine chain goes on from its recorded rounds: no round already recorded
    is asked again (with or without the response cache), and the next round's prompt shows the
    recorded round's code with the feedback on that same code. Fault it blocks (red team): with
    the cache gone, the resume asked round 1 again and paired the NEW answer's code with the OLD
    round's recorded verdict and cost in round 2's prompt."""
    from effbench.records import SampleRecord

    with FakeOpenAI(refining) as server:
        model_run(server, samples=1, strategy="refine", rounds=3)
    records = tmp_path / "run" / "samples.jsonl"
    lines = records.read_text().splitlines(keepends=True)
    first = SampleRecord.from_json(json.loads(lines[0]))
    assert (first.model, first.verdict) == ("scripted-model+refine:round1", "wrong")
    records.write_text(lines[0])  # stopped after round 1
    (tmp_path / "run" / "summary.json").unlink()
    forget_answers(tmp_path)

    def another_first_answer(prompt, index):  # asked round 1 again, the model would answer otherwise
        return refining(prompt, index) if "previous code" in prompt else SLOW

    with FakeOpenAI(another_first_answer) as server:
        estimate = model_run.job(server, samples=1, strategy="refine", rounds=3).estimate(tmp_path / "run")
        assert (estimate.answers, estimate.later_rounds) == (2, 2)  # rounds 2 and 3
        done = model_run(server, samples=1, strategy="refine", rounds=3)
        sent = [json.dumps(b) for b in posts(server)]
    assert len(sent) == 2 and all("previous code" in body for body in sent), sent  # rounds 2 and 3 only
    assert "return n\\n" in sent[0] and "t += i" not in sent[0]  # round 1's recorded code, WRONG
    assert [r.model for r in done] == [f"scripted-model+refine:round{r}" for r in (1, 2, 3)]
    assert (done[0].verdict, done[2].verdict) == ("wrong", "ok")  # WRONG, then SLOW, then FAST


def files_of(folder) -> dict[str, bytes]:
    """Every file of ``folder`` by name, with its bytes (what a refused command must leave as it was)."""
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


#: another run's line, as each field of a record of the run's sample 0 would read in it
FOREIGN = {
    "another model's label": ({"model": "other-model", "model_name": "other-model"}, "model label 'other-model'"),
    "another strategy": ({"strategy": "refine"}, "strategy 'refine'"),
    "a sample beyond --samples": ({"sample_index": 5}, "sample index 5 is beyond the run's --samples 2"),
    "a problem not asked about": ({"problem_id": "reverse_words"}, "problem 'reverse_words' is not among"),
}


@pytest.mark.parametrize("fields,why", FOREIGN.values(), ids=FOREIGN.keys())
def test_a_model_runs_resume_and_score_refuse_a_record_it_did_not_ask_for(tmp_path, model_run, fields, why):
    """Invariant: a record in a model run's samples.jsonl that the run's config did not ask for
    (another model label, another strategy, a sample index beyond --samples, a problem not
    selected: another run's line joined or prepended, or an edit) is never counted as the run's:
    resuming refuses, `effbench score` refuses, `effbench curves` refuses, each naming the line and
    why; the refused resume changes nothing on disk and asks the model nothing. Fault it blocks (red
    team): model runs were not checked (only runs of samples files and references were), so the
    foreign line was counted in the resumed run's summary and in score's."""
    from click.testing import CliRunner

    from effbench.cli import main
    from effbench.curves import collect

    with FakeOpenAI(lambda prompt, i: FAST) as server:
        model_run(server, samples=2)
    run = tmp_path / "run"
    records = run / "samples.jsonl"
    first = json.loads(records.read_text().splitlines()[0])
    foreign = {**first, **fields, "meta": {**first["meta"], **{k: v for k, v in fields.items() if k == "strategy"}}}
    own = records.read_text()
    for text, line in ((own + json.dumps(foreign) + "\n", 3), (json.dumps(foreign) + "\n" + own, 1)):
        records.write_text(text)  # appended, or prepended
        scored = CliRunner().invoke(main, ["score", str(run)])
        assert scored.exit_code == 2 and f"samples.jsonl:{line}: not a record this run asked for" in scored.stderr
        assert why in scored.stderr, scored.stderr
        with pytest.raises(EffbenchError, match="not one the run asked for|repeats sample 0"):
            collect([run])  # the curves (a repeat of sample 0's key is refused as such)
        (run / "summary.json").unlink(missing_ok=True)  # interrupted: the same command resumes
        before = files_of(run)
        with FakeOpenAI(lambda prompt, i: FAST) as server:
            refused = rf"samples.jsonl:{line}: cannot resume: .*{why}.*another --run-dir"
            with pytest.raises(EffbenchError, match=refused):
                model_run(server, samples=2)
            assert posts(server) == []
        assert files_of(run) == before


def test_a_refused_resume_changes_nothing_on_disk(tmp_path, mini_set, monkeypatch):
    """Invariant: a resume that is refused leaves the run directory byte for byte as it was:
    no line moved to samples.rejected.jsonl, samples.jsonl not rewritten, config.json not
    replaced, on every refusal path (a record of other code, a record of a sample not given, a
    changed --alpha, another --seed), even when samples.jsonl also holds an unreadable line a
    resume that goes on moves aside. Fault it blocks (red team): a record of other code
    prepended to samples.jsonl made the resume move the run's OWN record of that sample to
    samples.rejected.jsonl (as a repeat) and only then refuse, leaving the foreign line as the
    sample's record."""
    import effbench.run
    from effbench.engine import EngineSettings, code_hash

    from .test_results import _resumable_run

    evaluate, samples, records = _resumable_run(tmp_path, mini_set, monkeypatch)
    run = records.parent
    own = records.read_text()
    first = json.loads(own.splitlines()[0])
    other_code = json.dumps({**first, "code_sha256": code_hash("def triangle(n):\n    return 0\n")}) + "\n"
    not_given = json.dumps({**first, "sample_index": 5}) + "\n"
    unreadable = "{not a record\n"

    def with_settings(**given):
        choice = MeterChoice(ValgrindMeter(), "test")
        settings = EngineSettings(**given)
        return lambda: effbench.run.evaluate_samples(samples, mini_set, choice, run, progress=False, settings=settings)

    cases = [
        (other_code + own, lambda: evaluate(samples), "samples.jsonl:1: cannot resume: .* other code"),
        (unreadable + other_code + own, lambda: evaluate(samples), "samples.jsonl:2: cannot resume: .* other code"),
        (own + unreadable + not_given, lambda: evaluate(samples), "samples.jsonl:4: cannot resume: .* not among"),
        (own + unreadable, with_settings(alpha=EngineSettings().alpha + 1), "cannot resume: alpha differs"),
        (own + unreadable, with_settings(input_seed="another"), "cannot resume: --seed differs"),
    ]
    for text, resume, refused in cases:
        records.write_text(text)
        before = files_of(run)
        with pytest.raises(EffbenchError, match=refused):
            resume()
        assert files_of(run) == before, refused
    records.write_text(own + unreadable)  # not refused: the unreadable line is moved aside, and said
    assert len(evaluate(samples)) == 2 and (run / "samples.rejected.jsonl").read_text() == unreadable


def test_score_never_refuses_an_older_refine_runs_own_labels(tmp_path, model_run):
    """Invariant: a refine run made before its labels read ``<name>+refine:round<r>`` (the
    ``<name>+refine:r<r-1>`` form of 75f542b..c878d10, rounds counted from 0, which the records'
    readers still read) is its own run's work: `effbench score` and `effbench curves` count it,
    never refusing it as a record the run did not ask for. Fault it blocks (red team rt-resume):
    cc2b357's model_run_admits knew only the new labels, so score refused every line of such a
    run and told the user to remove it."""
    from click.testing import CliRunner

    from effbench.cli import main
    from effbench.curves import collect

    with FakeOpenAI(refining) as server:
        model_run(server, samples=1, strategy="refine", rounds=2)
    run = tmp_path / "run"
    for name in ("samples.jsonl", "summary.json"):  # the older run's files: the old label form
        text = (run / name).read_text()
        for r in (1, 2):
            text = text.replace(f"scripted-model+refine:round{r}", f"scripted-model+refine:r{r - 1}")
        (run / name).write_text(text)
    scored = CliRunner().invoke(main, ["score", str(run)])
    assert scored.exit_code == 0, scored.stderr
    assert "not a record this run asked for" not in scored.stderr
    collect([run])  # the curves read it too

    lines = (run / "samples.jsonl").read_text().splitlines(keepends=True)
    wrong_round = json.loads(lines[1])  # round 2's line claims round 1's old label: still refused
    wrong_round["model"] = "scripted-model+refine:r0"
    (run / "samples.jsonl").write_text(lines[0] + json.dumps(wrong_round) + "\n")
    scored = CliRunner().invoke(main, ["score", str(run)])
    assert scored.exit_code == 2 and "not a record this run asked for" in scored.stderr, scored.stderr


def test_a_resume_never_keeps_another_runs_record_of_a_sample_over_its_own(tmp_path, model_run):
    """Invariant: when samples.jsonl holds two different records of one sample (model label,
    problem, index) (another run's line of the same model and options joined or prepended, or an
    edit), a resume refuses, naming both lines, and changes nothing on disk: it never keeps the
    first of the two as the sample's record and moves the other aside. A line repeated whole is
    still moved aside and counted once. Fault it blocks (red team rt-resume): cc2b357 refused
    such a pair only for runs given their code; a model run's resume kept the first line (the
    other run's answer, verdict and cost) as the sample's and moved the run's own record to
    samples.rejected.jsonl, and `effbench score` told the user to resume to fix it."""
    from effbench.engine import code_hash

    with FakeOpenAI(lambda prompt, i: FAST) as server:
        model_run(server, samples=2)
    run = tmp_path / "run"
    records = run / "samples.jsonl"
    own = records.read_text()
    first = json.loads(own.splitlines()[0])
    other = {**first, "code_sha256": code_hash(SLOW), "verdict": "wrong", "meta": {**first["meta"], "answer": SLOW}}
    (run / "summary.json").unlink()  # interrupted: the same command resumes
    for text, lines in ((json.dumps(other) + "\n" + own, (1, 2)), (own + json.dumps(other) + "\n", (1, 3))):
        records.write_text(text)
        before = files_of(run)
        with FakeOpenAI(lambda prompt, i: FAST) as server:
            refused = rf"samples\.jsonl:{lines[1]}: cannot resume: .*line {lines[0]}.*another --run-dir"
            with pytest.raises(EffbenchError, match=refused):
                model_run(server, samples=2)
            assert posts(server) == []
        assert files_of(run) == before
    records.write_text(own + own.splitlines(keepends=True)[0])  # a line repeated whole: moved aside
    with FakeOpenAI(lambda prompt, i: FAST) as server:
        assert len(model_run(server, samples=2)) == 2
    assert (run / "samples.rejected.jsonl").read_text() == own.splitlines(keepends=True)[0]


def test_a_resume_refused_for_another_model_option_names_the_option(tmp_path, model_run):
    """Invariant: a model run resumed with another --samples (or --rounds, --budget, --temperature,
    another strategy...) is refused naming what differs, the run's value and the one given now,
    so the user knows to give the run's own options back or choose another --run-dir; an option
    outside the run's identity (the server's address, time-outs) is never named. Fault it blocks
    (red team rt-resume): the refusal said only 'samples_hash differs ... the model, its
    generation options, the prompts or preamble, the strategy or the problems selected': a user
    who raised --samples to add samples was not told that --samples was the cause (it is not
    in that list)."""
    with FakeOpenAI(lambda prompt, i: FAST) as server:
        model_run(server, samples=1)
    with FakeOpenAI(lambda prompt, i: FAST) as server:
        with pytest.raises(EffbenchError, match=r"plan\.samples: 1 in the run, 2 now") as refused:
            model_run(server, samples=2, request_timeout=9.0)
        assert "timeout" not in str(refused.value) and "base_url" not in str(refused.value)
        with pytest.raises(EffbenchError, match=r"model\.temperature: 0\.8 in the run, 0\.1 now"):
            model_run(server, samples=1, temperature=0.1)
        assert posts(server) == []
