"""Threat: a child reads the machine's free memory by a system call, past the hidden /proc/meminfo.

The set-up step hides /proc's machine-wide files (/proc/meminfo among them: free and cached
memory, moved by every process, a channel from one sample to a later one or one running at the
same time; docs/threat-model.md, "The machine's counters"). The ``sysinfo`` system call answers
the same figures (free, shared and buffer memory, the load, the number of processes), and a
candidate reaches it without ctypes: ``os.sysconf("SC_AVPHYS_PAGES")`` read 4,632,912 free pages
in one test and 4,632,976 in the next (rt-cand's red team, time meter). What a donor leaves in
the kernel (the page cache, negative dentries' slab) or holds while another sample runs moves it.

Invariant: a test child cannot read the machine's memory figures: ``sysinfo`` is refused to it
(glibc's ``sysconf`` then answers what its own stack held, nothing of the machine's).
"""

from __future__ import annotations

import json
import os

import pytest

from effbench.meters.timing import TimeMeter
from effbench.meters.valgrind import ValgrindMeter
from effbench.sandboxes.base import Limits, TestRequest
from effbench.sandboxes.local import LocalSandbox

PROBE = """
import os

def f():
    out = {}
    for name in ("SC_AVPHYS_PAGES", "SC_PHYS_PAGES"):
        try:
            out[name] = os.sysconf(name)
        except OSError as exc:
            out[name] = "refused"
    out["cpus"] = os.cpu_count()
    return out
"""


@pytest.mark.parametrize("meter", [TimeMeter(), ValgrindMeter()], ids=["time", "valgrind"])
def test_no_child_reads_the_machines_free_memory_by_a_system_call(meter):
    """``os.sysconf``'s free and total pages (glibc asks ``sysinfo``) are not the machine's; the
    CPU count (the affinity mask) still answers. The total is the machine's constant, so a child
    that reads it through sysinfo answers exactly the host's value."""
    with LocalSandbox(meter, workers=1) as box:
        run = box.run(TestRequest(PROBE, "f", [], Limits(wall_seconds=20, cpu_seconds=10)))
    answer = json.loads(run.result)
    assert answer["ok"], run
    value = answer["value"]
    assert value["SC_PHYS_PAGES"] != os.sysconf("SC_PHYS_PAGES"), value
    assert value["cpus"] >= 1
