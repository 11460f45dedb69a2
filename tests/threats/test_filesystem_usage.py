"""A filesystem's usage (free and used blocks and inodes) as a channel and as a fact about the host.

``statfs``/``fstatfs`` (``os.statvfs``, ``os.fstatvfs``, ``shutil.disk_usage``), the old
``ustat`` and ``quotactl`` report how full a filesystem is, and every process that writes there
moves it. A test child could read it for every filesystem it can name: the machine's disk (``/``,
which other runs, other users and the harness's own records write to), its scratch folder's.
Where the runner has no namespaces of its own (``isolation: none``) the scratch folders of every
runner lie on the machine's ``/tmp``: a red team's reader child polling ``os.statvfs(".")``
saw the free inodes of its filesystem drop by 64 and its free blocks by about 16,000 while a
child of the pool's other runner, running at the same time, wrote 64 files of 1 MiB in its own
scratch folder (time meter, two workers, load 4): a channel between two samples' test children
(the reader waits, which costs it no instructions, for the writer to publish its answer), and
with namespaces still a reading of the rest of the machine's activity. The test child's seccomp
filter now refuses every call that reports a filesystem's usage.
"""

from __future__ import annotations

import json
import textwrap

import pytest

from effbench.meters.timing import TimeMeter
from effbench.meters.valgrind import ValgrindMeter
from effbench.sandboxes.base import Limits, TestRequest
from effbench.sandboxes.local import LocalSandbox

#: every way from Python to a filesystem's usage, on every filesystem a child can name; returns
#: the ones that answered
READS_FILESYSTEM_USAGE = """
import os, shutil, sys

def f():
    answered = []
    for path in (".", "/", "/tmp", "/usr", "/dev", "/dev/shm", sys.prefix, os.path.dirname(os.__file__)):
        try:
            st = os.statvfs(path)
            answered.append(["statvfs", path, st.f_bfree, st.f_ffree])
        except OSError:
            pass
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError:
            continue
        try:
            st = os.fstatvfs(fd)
            answered.append(["fstatvfs", path, st.f_bfree, st.f_ffree])
        except OSError:
            pass
        finally:
            os.close(fd)
    for fd in (0, 1, 2):
        try:
            st = os.fstatvfs(fd)
            answered.append(["fstatvfs", fd, st.f_bfree, st.f_ffree])
        except OSError:
            pass
    try:
        answered.append(["disk_usage", ".", *shutil.disk_usage(".")])
    except OSError:
        pass
    return answered
"""


@pytest.mark.parametrize("meter", [ValgrindMeter(), TimeMeter()], ids=["valgrind", "time"])
def test_no_child_reads_a_filesystems_usage(meter):
    """Invariant: a test child reads the usage (free or used blocks and inodes) of no filesystem,
    its own scratch folder's included: statvfs, fstatvfs and disk_usage are refused on every path
    and descriptor, and the child still answers. Fault: every one answered, so a child read the
    free blocks and inodes that other runners' children and the rest of the machine move."""
    with LocalSandbox(meter, workers=1) as box:
        limits = Limits(wall_seconds=120, cpu_seconds=60)
        run = box.run(TestRequest(textwrap.dedent(READS_FILESYSTEM_USAGE), "f", [], limits))
    assert run.infra_error is None and run.meter_anomaly is None, run
    payload = json.loads(run.result)
    assert payload["ok"], run
    assert payload["value"] == [], payload["value"]
