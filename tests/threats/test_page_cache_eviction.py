"""A test child evicts nothing from the machine's page cache.

The page cache is shared by every process on the machine, and a test child can read most of the
machine's files. ``posix_fadvise(POSIX_FADV_DONTNEED)`` on a file it may only read drops that
file's cached pages (those no process maps), and ``madvise(MADV_PAGEOUT)`` / ``MADV_COLD`` on a
mapping of it pages them out or marks them first to go: a red team's child emptied the cache of a
file the host had just read (``fincore``: 9 pages resident before, 0 after; time meter). That
turns the page-cache channel (docs/threat-model.md, "Known and not fixed": a bit that a sample
could set by reading a file, and never clear) into one a sample can also clear, and lets a
candidate make other processes' reads (other samples' imports, the host's own files) go to the
disk again. The test child's seccomp filter now refuses ``fadvise64`` and those two advices.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import textwrap

import pytest

from effbench.meters.timing import TimeMeter
from effbench.meters.valgrind import ValgrindMeter
from effbench.sandboxes.base import Limits, TestRequest
from effbench.sandboxes.local import LocalSandbox

#: every way from Python to drop a readable file's pages from the page cache; returns the ones
#: the kernel took
EVICTS = """
import mmap, os

def f(path):
    took = []
    fd = os.open(path, os.O_RDONLY)
    try:
        try:
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            took.append("fadvise")
        except OSError:
            pass
        m = mmap.mmap(fd, 0, prot=mmap.PROT_READ)
        for name, advice in (("pageout", 21), ("cold", 20)):
            try:
                m.madvise(advice)
                took.append(name)
            except OSError:
                pass
        m.close()
    finally:
        os.close(fd)
    return took
"""


def _resident_pages(path: str) -> int | None:
    """Pages of ``path`` in the page cache (util-linux ``fincore``), or None without it."""
    fincore = shutil.which("fincore")
    if fincore is None:
        return None
    out = subprocess.run([fincore, "--noheadings", "--output", "PAGES", path], capture_output=True, text=True)
    return int(out.stdout.split()[0]) if out.returncode == 0 and out.stdout.split() else None


@pytest.mark.parametrize("meter", [ValgrindMeter(), TimeMeter()], ids=["valgrind", "time"])
def test_no_child_evicts_a_file_from_the_page_cache(meter):
    """Invariant: a test child can drop no page of a file it may read from the machine's page
    cache: posix_fadvise and madvise's MADV_PAGEOUT and MADV_COLD are refused, and a file the host
    has just read stays cached. Fault: every one was taken, and the file's 9 cached pages went."""
    path = os.path.join(os.path.dirname(os.__file__), "pydoc_data", "topics.py")  # large, rarely read
    if not os.path.isfile(path):
        pytest.skip(f"no {path} here")
    with LocalSandbox(meter, workers=1) as box:
        with open(path, "rb") as f:
            f.read()  # cached now
        before = _resident_pages(path)
        run = box.run(TestRequest(textwrap.dedent(EVICTS), "f", [path], Limits(wall_seconds=120, cpu_seconds=60)))
        after = _resident_pages(path)
    assert run.infra_error is None and run.meter_anomaly is None, run
    payload = json.loads(run.result)
    assert payload["ok"], run
    assert payload["value"] == [], payload["value"]
    if before is not None and after is not None:
        assert after >= before, (before, after)
