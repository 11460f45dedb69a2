"""A candidate must not turn its own wall-time stop into an infrastructure failure (red team rt-fixes).

Past its wall limit, a test child is given time for its threads' waits for a CPU (a busy machine,
742d5d2), and while one of its threads is runnable the parent waits for that wait to be summed;
a child still going at ``wall + BUSY_MACHINE_FACTOR * cpu`` is stopped as the harness's failure
(``infra_error``), which leaves the sample out of pass@k and eff@k. "Runnable" is a snapshot the
candidate controls: a child asleep nearly all the time can be runnable just when the parent looks
(it writes a byte on its result pipe, which wakes the parent, and the parent's read of it wakes
the child again: found at load 8-11 on this 2-core machine, a child at under 10% of a CPU was
runnable at most of the parent's looks). The tests here make that snapshot certain (the parent's
reading of it is replaced) and run a real child in this process's runner module.
"""

from __future__ import annotations

import pytest

from effbench.codec import runner_module

SLEEPER = "import time\ndef f():\n    time.sleep(3600)\n"


def _supervise(tmp_path, monkeypatch, waited: float):
    runner = runner_module()
    runner.prepare_seccomp(None)  # the children's filter, as a runner's zygote assembles it
    # (cutting ctypes out of a child of this test process is not what is tested here)
    monkeypatch.setattr(runner, "remove_ffi", lambda: None)
    # every look finds a thread runnable, with ``waited`` seconds of summed waits for a CPU
    monkeypatch.setattr(runner, "_cpu_wait_of", lambda pid: (waited, True, runner._own_scheduling()))
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    handle = runner.fork_child(runner.compile_candidate(SLEEPER), "f", [], str(scratch), None)
    limits = {"wall_seconds": 0.2, "cpu_seconds": 0.05, "memory_bytes": 0}
    return runner.supervise_child(handle, limits, str(scratch), "time", None)


def test_a_child_runnable_at_every_look_without_waiting_is_stopped_as_its_own(tmp_path, monkeypatch):
    """Invariant: a child whose summed waits for a CPU do not cover its time past the wall limit
    is stopped as the candidate's (``killed_for == "wall"``), never as a busy machine's
    (``infra_error``), however often it is found runnable: being runnable at the parent's looks
    is in the candidate's hands, its summed waits are the scheduler's."""
    record = _supervise(tmp_path, monkeypatch, waited=0.0)
    assert "infra_error" not in record, record
    assert record.get("killed_for") == "wall", record


@pytest.mark.parametrize("waited", [10.0])
def test_a_child_that_really_waited_for_a_cpu_is_still_the_harness_s(tmp_path, monkeypatch, waited):
    """Invariant (guard of the fix): a child whose summed waits for a CPU cover its time past the
    wall limit is stopped at ``wall + BUSY_MACHINE_FACTOR * cpu`` as an infrastructure failure
    (a busy machine), not censored."""
    record = _supervise(tmp_path, monkeypatch, waited=waited)
    assert record.get("killed_for") is None, record
    assert record.get("infra_error", "").startswith("busy machine"), record


def test_the_wall_decision_of_a_child_past_its_limit():
    """Invariant: the decision, by its inputs: snapshots defer only until the busy-machine
    bound; there, the summed waits (less one CPU limit for a wait in progress) decide."""
    past = runner_module().past_wall_limit
    factor = runner_module().BUSY_MACHINE_FACTOR
    assert past(1.5, 0.0, False, 1.0, 0.1) == "wall"
    assert past(1.5, 0.0, True, 1.0, 0.1) is None
    assert past(1.5, 0.6, False, 1.0, 0.1) is None
    end = 1.0 + factor * 0.1 + 0.01
    assert past(end, 0.0, True, 1.0, 0.1) == "wall"
    assert past(end, end - 1.0, True, 1.0, 0.1) == "busy"
    assert past(end, end - 1.05, False, 1.0, 0.1) == "busy"
