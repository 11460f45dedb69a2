"""A test child starts no machine-wide writeback.

``sync()`` (``os.sync``) writes back every dirty page of every filesystem on the machine, and
``syncfs`` those of one: the disk work is the machine's, done for other processes' files (other
runs, the host's records, other users), and it costs the caller almost no CPU time while it waits.
A test child could call it in a loop to load the disk every other process writes to, and time
its own waits to read how much the rest of the machine had written (a channel of the wall clock's
kind). Honest code never needs either (its scratch folder is a tmpfs, whose ``fsync`` is free).
The test child's seccomp filter now refuses both.
"""

from __future__ import annotations

import errno
import json
import struct
import textwrap

import pytest

from effbench.codec import runner_module
from effbench.meters.timing import TimeMeter
from effbench.sandboxes.base import Limits, TestRequest
from effbench.sandboxes.local import LocalSandbox

from .test_seccomp_layer import _run_filter

#: syncs (glibc's sync() returns nothing: Python cannot see the refusal), then fsyncs a file of
#: its own scratch folder, which stays allowed
SYNCS = """
import os

def f():
    os.sync()
    with open("own", "wb") as fh:
        fh.write(b"x")
        fh.flush()
        os.fsync(fh.fileno())
    return "synced"
"""


@pytest.mark.parametrize("name", ["sync", "syncfs"])
def test_no_child_starts_a_machine_wide_writeback(name):
    """Invariant: the test child's filter refuses sync and syncfs (EPERM), whatever the arguments.
    Fault: both were allowed: the machine's every dirty page written back at a candidate's call."""
    runner = runner_module()
    program = runner._assemble(runner._seccomp_program(4242, None))
    data = struct.pack("iIQ6Q", runner._SYSCALLS[name], runner._SYSCALLS["arch"], 0, 3, 0, 0, 0, 0, 0)
    decision, _ = _run_filter(program, data)
    assert decision == runner._ret_errno(errno.EPERM), hex(decision)


def test_a_child_still_fsyncs_its_own_files_and_goes_on_after_a_refused_sync():
    """Invariant: a refused sync does not stop the child (glibc ignores its result), and fsync of
    a file of its own scratch folder still works."""
    with LocalSandbox(TimeMeter(), workers=1) as box:
        run = box.run(TestRequest(textwrap.dedent(SYNCS), "f", [], Limits(wall_seconds=120, cpu_seconds=60)))
    assert run.infra_error is None and run.meter_anomaly is None, run
    assert json.loads(run.result) == {"ok": True, "value": "synced"}, run
