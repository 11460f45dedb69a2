"""Distribution on Ray (issue 14 item 4), against a real Ray head on 127.0.0.1 with two worker CPUs.

- the executor registry answers an unknown name with the known ones; the CLI refuses a Ray
  address without the Ray executor;
- `effbench evaluate --executor ray --ray-address` gives the local run's results: the same
  instruction counts (valgrind), verdicts and eff@k;
- expert profiles are computed once per problem (not once per worker) and reused by later calls;
- a Ray worker process SIGKILLed mid-batch loses no item: its items run on another worker, each
  lost attempt is recorded in the item's record and the executor's list, and the sandbox
  runners of the dead worker do not outlive it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from effbench.engine import EngineSettings
from effbench.errors import EffbenchError
from effbench.executors import get_executor
from effbench.executors.evaluation import SampleEvaluation
from effbench.meters import get_meter
from effbench.records import SampleRecord
from effbench.samples import Sample
from effbench.verdicts import Verdict

from .conftest import MINI
from .ray_support import HEAD_CPUS, cluster_processes, live_processes

WRONG_TRIANGLE = "def triangle(n):\n    return 7\n"


def effbench(*args):
    return subprocess.run([sys.executable, "-m", "effbench", *args], capture_output=True, text=True)


def test_unknown_executor_is_answered_with_the_known_ones():
    """A typo in an executor name is one clear error naming the choices, not an import error."""
    with pytest.raises(EffbenchError, match=r"unknown executor 'rya'; known: local, ray"):
        get_executor("rya")


def test_ray_address_without_the_ray_executor_is_refused(tmp_path):
    """--ray-address alone would silently run locally: it is an error (exit 2, nothing written)."""
    out = effbench(
        "evaluate",
        "--problems-dir",
        str(MINI),
        "--references",
        "expert",
        "--ray-address",
        "127.0.0.1:1",
        "--run-dir",
        str(tmp_path / "run"),
    )
    assert out.returncode == 2 and "--ray-address is for --executor ray" in out.stderr
    assert not (tmp_path / "run").exists()


def _records(run_dir):
    return [json.loads(line) for line in (run_dir / "samples.jsonl").read_text().splitlines()]


def _facts(records):
    """Per test: verdict, and the instruction count unless censored (a censored run's count is
    where it was stopped, which depends on timing)."""
    out = {}
    for r in records:
        for t in r["tests"]:
            key = (r["model"], r["problem_id"], r["sample_index"], t["test_id"])
            out[key] = (t["verdict"], None if t["verdict"].startswith("censored") else t["cost"])
    return out


def test_ray_evaluate_gives_the_local_runs_instruction_counts(ray_head, tmp_path):
    """`evaluate --executor ray --ray-address` = the local run: same counts, verdicts, eff@k and pass@k."""
    common = ["--problems-dir", str(MINI), "--references", "expert,slower", "--meter", "valgrind"]
    common += ["--seed", "ray-vs-local", "--no-cache", "--json"]
    local = effbench("evaluate", *common, "--run-dir", str(tmp_path / "local"))
    assert local.returncode == 0, local.stderr
    ray = effbench(
        "evaluate", *common, "--run-dir", str(tmp_path / "ray"), "--executor", "ray", "--ray-address", ray_head.address
    )
    assert ray.returncode == 0, ray.stderr
    a, b = _facts(_records(tmp_path / "local")), _facts(_records(tmp_path / "ray"))
    assert len(a) >= 20 and a == b
    assert any(cost for _verdict, cost in a.values())
    summaries = json.loads(local.stdout)["models"], json.loads(ray.stdout)["models"]
    for model in ("expert", "slower"):
        for pid in ("triangle", "reverse_words"):
            x, y = (s[model]["problems"][pid] for s in summaries)
            assert (x["eff@k"], x["pass@k"], x["speedup"]) == (y["eff@k"], y["pass@k"], y["speedup"])
    config = json.loads((tmp_path / "ray" / "config.json").read_text())
    assert config["executor"] == "ray" and config["workers"] == HEAD_CPUS
    assert config["sandbox_facts"]["nodes"] == ["127.0.0.1"]


def _samples(n_per_problem):
    """Expert samples (always correct) and one wrong answer per round, on both mini problems."""
    from effbench.problems import load_problem_set

    problems = load_problem_set(MINI)
    out = []
    for pid in ("triangle", "reverse_words"):
        code = problems.get(pid).expert_code
        out += [Sample("expert", pid, i, code) for i in range(n_per_problem)]
    out += [Sample("wrong", "triangle", i, WRONG_TRIANGLE) for i in range(n_per_problem)]
    return problems, out


def _expected_verdict(sample):
    return Verdict.WRONG if sample.model == "wrong" else Verdict.OK


def _assert_verdicts(results, samples):
    """Each result's verdict is its sample's, in order. Under the time meter an expert sample on a
    loaded machine may cost over twice its profile (censored, seen in CI with the machine fully
    loaded): what is judged exactly is the answer, and some expert sample must pass."""
    allowed = {Verdict.OK: {Verdict.OK, Verdict.CENSORED_BUDGET}, Verdict.WRONG: {Verdict.WRONG}}
    assert all(r.verdict in allowed[_expected_verdict(s)] for r, s in zip(results, samples, strict=True)), results
    assert any(r.verdict == Verdict.OK for r in results)


def test_profiles_are_computed_once_and_shared_across_calls(ray_head):
    """Each problem's expert profile is computed once for the whole cluster, and a second batch with
    the same configuration reuses it (no re-measuring per worker or per call)."""
    problems, samples = _samples(2)
    job = SampleEvaluation(problems, get_meter("time", repeats=1), settings=EngineSettings(input_seed="shared"))
    with get_executor("ray", address=ray_head.address) as ex:
        first = ex.map(job, samples)
        assert ex.stats["shared_computed"] == 2  # triangle and reverse_words, on 2 workers
        second = ex.map(job, samples[:3])
        assert ex.stats["shared_computed"] == 2
        assert ex.stats["items"] == len(samples) + 3
    _assert_verdicts(first, samples)
    for pid in ("triangle", "reverse_words"):  # time meter: a second measurement would differ
        assert len({tuple(r.reference_level_costs) for r in first + second if r.problem_id == pid}) == 1
    assert [r.reference_level_costs for r in second] == [r.reference_level_costs for r in first[:3]]


def test_a_killed_worker_loses_no_item_and_the_retry_is_recorded(ray_head):
    """SIGKILL one Ray worker process mid-batch: every item still gets its result, in order; the
    items it held ran on another worker, and each lost attempt is in the record and the executor."""
    problems, samples = _samples(8)
    job = SampleEvaluation(problems, get_meter("time", repeats=1), settings=EngineSettings(input_seed="kill"))
    killed: dict[str, object] = {}
    with get_executor("ray", address=ray_head.address, workers=HEAD_CPUS) as ex:
        assert len(ex.worker_pids()) == HEAD_CPUS

        def arrived(index, result):
            if not killed:  # at the first result: both workers have more items in flight
                pid = ex.worker_pids()[0]
                killed["runners"] = cluster_processes(pid)  # its sandbox runners
                killed["pid"] = pid
                os.kill(pid, signal.SIGKILL)

        results = ex.map(job, samples, on_result=arrived)
        pids_after = ex.worker_pids()
        retries = list(ex.retries)
    pid = killed["pid"]
    assert killed["runners"], "the killed worker had started no sandbox runner: it was not mid-batch"
    assert len(results) == len(samples)
    assert all(isinstance(r, SampleRecord) for r in results)
    assert [(r.model, r.problem_id, r.sample_index) for r in results] == [
        (s.model, s.problem_id, s.index) for s in samples
    ]
    _assert_verdicts(results, samples)
    assert retries and all(f"pid {pid} " in r.worker for r in retries)
    retried = {r.item for r in retries}
    for i, record in enumerate(results):
        if i in retried:
            lost = record.meta["retries"]
            assert lost and all(f"pid {pid} " in x["worker"] for x in lost) and lost[0]["attempt"] == 1
        else:
            assert "retries" not in record.meta
    assert pid not in pids_after and len(pids_after) == HEAD_CPUS  # replaced
    deadline = time.monotonic() + 20
    while (left := killed["runners"] & live_processes()) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not left, f"the killed worker's sandbox processes outlived it: {sorted(left)}"
