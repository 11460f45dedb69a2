"""Work a candidate leaves for the runner: the freeing of memory it kept in its scratch folder.

Under the time meter a test's cost is CPU time, the kernel's included, so the kernel's work of
freeing a candidate's memory is part of it: anonymous memory is freed by the child's own exit,
inside the measured span. A candidate that kept its memory in files of its scratch folder (a
shared mapping of a tmpfs file) left those pages to the unlink with which the runner empties the
folder after the test, outside the span: 128 MiB touched once cost 95.8 ms against 109.6 ms as
anonymous memory (a red team, ``LocalSandbox(TimeMeter(resolution_ns=0))``, 7 runs each, load
3.7-3.8). The runner now measures its own CPU time emptying the folder (``cleanup_cpu_seconds``)
and the time meter charges it to the test (after the fix: 114.5 ms against 108.7 ms, load 3.3-3.4).
"""

from __future__ import annotations

import json
import textwrap

from effbench.meters.timing import TimeMeter
from effbench.sandboxes import protocol
from effbench.sandboxes.base import Limits, TestRequest

from ..conftest import load_benchmark

#: the red team's program (benchmarks/scratch_memory_cost.py measures it against the same work on
#: anonymous memory): tmpfs files of the scratch folder, each mapped shared and touched once per page
KEEPS_MEMORY_IN_SCRATCH_FILES = load_benchmark("scratch_memory_cost").SCRATCH_FILES


def test_the_time_meter_charges_the_test_for_the_runner_emptying_its_scratch_folder():
    """Invariant: a time-meter cost is (test child's CPU time from its release + the runner's CPU
    time emptying the test's scratch folder) - (baseline child's CPU time from its release), and a
    profile measured without that rule is not reused (the fingerprint says it)."""
    meter = TimeMeter(resolution_ns=0)
    pair = {
        "baseline": {"cpu_seconds": 0.004, "cpu_before_go": 0.003},
        "test": {"cpu_seconds": 0.050, "cpu_before_go": 0.003, "cleanup_cpu_seconds": 0.020},
    }
    assert meter.pair_cost(pair, lambda pid: None) == 66_000_000.0  # 47 + 20 - 1 ms
    del pair["test"]["cleanup_cpu_seconds"]  # a record from a runner that does not measure it
    assert meter.pair_cost(pair, lambda pid: None) == 46_000_000.0
    assert "scratch" in meter.fingerprint()["cleanup"]


def test_no_candidate_leaves_the_freeing_of_its_memory_to_the_runner(monkeypatch):
    """Invariant: under the time meter, the runner's CPU time emptying a test's scratch folder
    (where the pages a candidate kept in tmpfs files are freed) is in the test's record and in its
    cost. Fault: the runner emptied the folder unmeasured, and a candidate whose memory lived in
    mapped scratch files cost less than the same work on anonymous memory. Integrity, not speed:
    the test asserts what the cost is made of, not how long anything took."""
    from effbench.sandboxes.local import LocalSandbox

    pairs_seen: list[list[dict]] = []
    real = protocol.to_test_run

    def keep(meter, worker, pairs):
        pairs_seen.append(pairs)
        return real(meter, worker, pairs)

    monkeypatch.setattr(protocol, "to_test_run", keep)
    meter = TimeMeter(resolution_ns=0)
    with LocalSandbox(meter, workers=1) as box:
        code = textwrap.dedent(KEEPS_MEMORY_IN_SCRATCH_FILES)
        run = box.run(TestRequest(code, "f", [4, 16 << 20], Limits(wall_seconds=60, cpu_seconds=30), 1))
    assert json.loads(run.result) == {"ok": True, "value": 4 * 4096}, run
    (pair,) = pairs_seen[-1]
    assert pair["test"].get("cleanup_cpu_seconds", 0) > 0, pair["test"]
    assert run.cost is not None and run.cost.value == meter.pair_cost(pair, lambda pid: None)
