"""The CPU-time stop (issue 13 item 3): twice the budget's time at the expert's pace, moved out
for a candidate whose own pace is slower (never a stop before the budget at its own pace)."""

from __future__ import annotations

from effbench.engine import EngineSettings, Evaluator
from effbench.meters.valgrind import ValgrindMeter
from effbench.sandboxes.scripted import ScriptedSandbox, answer

EXPERT_PACE = 400e6  # instructions per CPU second


def triangle_value(n):
    return n * (n + 1) // 2 if n > 0 else 0


def run_with_pace(triangle, pace: float, kernel_seconds: float = 0.0):
    """(evaluator, requests of the candidate): the candidate costs 1.5x the expert, at ``pace``
    (instructions per user CPU second), plus ``kernel_seconds`` of system time per test."""
    requests = []

    def handler(request):
        n = request.args_json[0]
        cost = 1000.0 + 100.0 * n
        if request.code == triangle.expert_code:
            return answer(triangle_value(n), cost, cpu_seconds=cost / EXPERT_PACE, user_cpu_seconds=cost / EXPERT_PACE)
        requests.append(request)
        user = 1.5 * cost / pace
        return answer(triangle_value(n), 1.5 * cost, cpu_seconds=user + kernel_seconds, user_cpu_seconds=user)

    ev = Evaluator(ScriptedSandbox(handler), ValgrindMeter(), EngineSettings(input_seed="stop"), fingerprint={"t": 2})
    rec = ev.evaluate(triangle, "def triangle(n): ...\n", "m")
    assert rec.verdict == "ok"
    return ev, requests


def test_the_stop_is_twice_the_budgets_time_at_the_experts_pace(triangle):
    """Invariant: a candidate at the expert's pace is stopped at cpu_slack * alpha * c + floor."""
    ev, requests = run_with_pace(triangle, EXPERT_PACE)
    profile = ev.profile(triangle)
    s = ev.settings
    expected = s.cpu_slack * s.alpha * max(profile.level_cpu_seconds) + s.cpu_floor
    assert {r.limits.cpu_seconds for r in requests} == {expected}


def test_a_slower_pace_moves_the_stop_out_never_in(triangle):
    """Invariant: once a large test shows a pace 4x slower than the expert's, the stop leaves the
    candidate twice the time its own pace needs to spend the budget."""
    ev, requests = run_with_pace(triangle, EXPERT_PACE / 4)
    profile = ev.profile(triangle)
    s = ev.settings
    first, last = requests[0].limits.cpu_seconds, requests[-1].limits.cpu_seconds
    assert first == s.cpu_slack * s.alpha * max(profile.level_cpu_seconds) + s.cpu_floor
    budget = ev.budget(profile)
    assert last >= s.cpu_slack * budget / (EXPERT_PACE / 4) + s.cpu_floor - 1e-12
    assert last > first
    assert all(b.limits.cpu_seconds >= a.limits.cpu_seconds for a, b in zip(requests, requests[1:]))


def test_a_pace_made_slow_on_purpose_cannot_hold_a_worker_for_long(triangle):
    """Invariant: the stop moves out for a slower pace at most max_stop_factor times, and kernel
    time (which the stop does not watch: a candidate reading /dev/zero) does not count as a slow
    pace. Found by a red team: burning system time made every next test's limit grow about 40x,
    to hours of CPU per sample."""
    ev, requests = run_with_pace(triangle, EXPERT_PACE / 1e6)
    first = requests[0].limits.cpu_seconds
    assert max(r.limits.cpu_seconds for r in requests) == ev.settings.max_stop_factor * first
    ev, requests = run_with_pace(triangle, EXPERT_PACE, kernel_seconds=50.0)
    assert {r.limits.cpu_seconds for r in requests} == {requests[0].limits.cpu_seconds}


def test_the_runner_counts_the_stop_from_the_end_of_the_childs_own_start_up(valgrind_box):
    """Invariant: the CPU-time limit a request gives is for the candidate's own work: the runner
    adds the CPU time of the same request's baseline child (the child's own start and exit), so
    an endless loop is stopped at that sum, never before it (a lower bound: no timing threshold)."""
    from effbench.sandboxes.base import Limits, TestRequest

    limit = 0.3
    run = valgrind_box.run(TestRequest("def f():\n    while True:\n        pass\n", "f", [], Limits(cpu_seconds=limit)))
    assert run.killed_for == "cpu", run
    assert run.baseline_cpu_seconds > 0.0
    assert run.cpu_seconds >= limit + run.baseline_cpu_seconds
    # and the rule itself, as the runner applies it (a poll's lag alone could pass the above)
    import importlib.util

    from effbench import paths

    spec = importlib.util.spec_from_file_location("effbench_runner_rule", paths.runner_path())
    runner = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(runner)
    limits = {"cpu_seconds": limit, "wall_seconds": 9.0}
    assert runner._with_start_up(limits, {"cpu_seconds": 0.07}) == {"cpu_seconds": limit + 0.07, "wall_seconds": 9.0}
    assert runner._with_start_up({"cpu_seconds": 0.0}, {"cpu_seconds": 0.07}) == {"cpu_seconds": 0.0}  # no limit
