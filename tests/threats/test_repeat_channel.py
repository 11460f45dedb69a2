"""The time meter's repeats of one test input, a channel no sandbox closes (docs/threat-model.md, "One run per
test under the time meter").

Repeats of one input run one after another on one machine, and the machine always joins them: the
pipe inode counter, the wall clock (a repeat sleeps for free under a CPU-time meter, the next reads
the time through the vDSO), the page cache. A first repeat that works and passes its answer on makes
every later repeat free (the median, mean and minimum forged); repeats that each do a share and
pass the partial result on forge the maximum too. So by default the time meter runs each test input
once, everywhere the product builds it: ``TimeMeter()``, ``get_meter("time")``, the CLI and the
reward API. Repeats stay an opt-in from Python for trusted code, and say so.
"""

from __future__ import annotations

import json
import textwrap

import pytest

from effbench.sandboxes import protocol
from effbench.sandboxes.base import Limits, TestRequest

from ..conftest import MINI, load_benchmark

_BENCHMARK = load_benchmark("repeat_inode_channel")
#: primes below n, honestly: about 13 ms of CPU for n = 20,000 on this project's VM
HONEST = _BENCHMARK.HONEST
#: the third red team's forger, as benchmarks/repeat_inode_channel.py measures it: a repeat that
#: finds the machine-wide pipe inode counter moved past its own result pipe by an earlier repeat
#: answers from it without working; otherwise it works and moves the counter to ``BIG + answer * STEP``
FORGER = _BENCHMARK.CANDIDATE

PRIMES_BELOW_20000 = 2262


@pytest.fixture
def runs_per_request(monkeypatch):
    """Every request's number of (baseline, test) pairs, as the host reads the runner's reply."""
    seen: list[int] = []
    real = protocol.to_test_run

    def counting(meter, worker, pairs):
        seen.append(len(pairs))
        return real(meter, worker, pairs)

    monkeypatch.setattr(protocol, "to_test_run", counting)
    return seen


def test_the_time_meter_runs_each_test_input_once_unless_asked_and_says_when_it_repeats():
    """Invariant: every way the product builds a time meter by default runs each test input once
    (no earlier repeat a channel could join); a meter that repeats (``TimeMeter(repeats=N)``, an
    opt-in) says in its description and its fingerprint (a run's config.json) that hostile code can
    forge it, and a meaningless count is refused. Fault: the default was 5 repeats, their median the
    cost, and a candidate's later repeats answered from the first one's work."""
    from effbench.meters import choose_meter, get_meter
    from effbench.meters.timing import TimeMeter
    from effbench.registry import METERS

    defaults = [TimeMeter(), get_meter("time"), choose_meter("time").meter, METERS.get("time")()]
    for meter in defaults:
        assert meter.repeats == 1, meter
        assert meter.fingerprint()["repeats"] == 1 and "repeats_forgeable" not in meter.fingerprint()
        assert "forge" not in meter.describe()
    repeated = TimeMeter(repeats=5)
    assert repeated.fingerprint()["repeats"] == 5 and "hostile" in repeated.fingerprint()["repeats_forgeable"]
    assert "median of 5 runs" in repeated.describe() and "hostile" in repeated.describe()
    assert repeated.fingerprint() != TimeMeter().fingerprint()  # a repeated profile is not reused
    for bad in (0, -1, 2.0, True, "5"):
        with pytest.raises(ValueError, match="repeats"):
            TimeMeter(repeats=bad)
    with pytest.raises(ValueError, match="repeats"):
        get_meter("time", repeats=0)


def test_the_clis_time_meter_runs_every_test_input_once(tmp_path, runs_per_request):
    """Invariant: ``effbench evaluate --meter time`` runs one test child per test request, for the
    references' profiles and the samples alike, and its config.json records one run per input.
    Fault: the CLI's time meter ran each test 5 times, and a hostile sample's first repeat passed
    its answer to the other four (docs/threat-model.md: 0.1 ms against an honest 13 ms)."""
    from click.testing import CliRunner

    from effbench.cli import main

    samples = tmp_path / "s.jsonl"
    samples.write_text(
        json.dumps({"task_id": "triangle", "solution": "def triangle(n):\n    return n * (n + 1) // 2\n"})
    )
    run_dir = tmp_path / "run"
    args = ["evaluate", "--problems-dir", str(MINI), "--problems", "triangle", "--samples", str(samples)]
    args += ["--meter", "time", "--workers", "1", "--no-cache", "--run-dir", str(run_dir)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert runs_per_request and set(runs_per_request) == {1}, runs_per_request
    config = json.loads((run_dir / "config.json").read_text())
    assert config["fingerprint"]["repeats"] == 1 and "repeats_forgeable" not in config["fingerprint"]


def test_the_reward_apis_time_meter_runs_every_test_input_once(tmp_path, runs_per_request):
    """Invariant: ``RewardModel(meter="time")`` runs one test child per test request (the expert's
    profile and the completion's tests). Fault: it took the CLI's default of 5 repeats, so a
    completion could forge a reward through the repeats' channel. The completion is the expert's
    own code, so its answers are right; whether it passes is the time meter's noise at one run
    (the same code twice can be 2x apart on microsecond tests: the CI of 1017088 censored it at
    the budget), so the test asks only that its tests ran and were judged on their cost."""
    from effbench.reward.model import RewardModel
    from effbench.verdicts import Verdict

    completion = "```python\ndef triangle(n):\n    return sum(range(1, n + 1))\n```"
    with RewardModel(problems=MINI, meter="time", workers=1, levels=2, seed="one-run", cache_dir=tmp_path) as rm:
        result = rm.score("triangle", completion)
    assert result.tests_run > 0 and result.verdict in (Verdict.OK, Verdict.CENSORED_BUDGET), result
    assert runs_per_request and set(runs_per_request) == {1}, runs_per_request


def test_a_candidate_that_passes_its_work_between_repeats_costs_no_less_than_honest_code():
    """Invariant: under the default time meter, a candidate built to do its work once and answer
    the test's later repeats through the pipe inode counter (the third red team's forger) costs no
    less than the honest program: there is no later repeat. The margin cannot flake: honest work
    is about 13 ms of CPU, the forger on 5 repeats read 0.1-0.2 ms (the median of its free repeats);
    here it is only asserted to cost at least half the honest program (it does the same work, then
    makes pipes). Integrity, not speed: no figure of this machine's speed is asserted."""
    from effbench.meters import choose_meter
    from effbench.sandboxes.local import LocalSandbox

    meter = choose_meter("time").meter  # the CLI's and the reward API's time meter
    limits = Limits(wall_seconds=60, cpu_seconds=30)
    with LocalSandbox(meter, workers=1) as box:
        costs = {}
        for name, code in (("honest", HONEST), ("forger", FORGER)):
            run = box.run(TestRequest(textwrap.dedent(code), "f", [20_000], limits, meter.repeats))
            assert json.loads(run.result) == {"ok": True, "value": PRIMES_BELOW_20000}, run
            assert run.cost is not None, run
            costs[name] = run.cost.value
    assert costs["forger"] >= 0.5 * costs["honest"], costs
