"""Threat: two test children running at the same time pass data through file locks.

Every runner of the local backend sees the machine's files (read-only), and a file lock lives on
the inode, not the mount: a read lock needs only a descriptor open for reading (``flock`` not
even that much). A red team's candidate (rt-cand), in one runner, took a read lock on the
standard library's ``os.py`` at offset 2**40 with a length of its choosing; a child of another
runner, running at the same time, asked with ``F_GETLK`` whether a write lock there would
conflict and read the length back: 123456789, 63 bits per lock (time meter, two workers;
``LocalSandbox(..., workers=2)``, valgrind's and the reward API's default is one runner per CPU).
Samples of one problem run the same inputs, and waiting costs nothing (no instruction, no CPU):
a sample that waits for another to publish each answer answers without working (eff up to
``alpha / (alpha - 1)``), the publisher costing a sleep more. The children's filter now refuses
``flock`` and fcntl's locks and leases (POSIX and open-file-description).

Invariant: no lock a test child takes, of any kind, is seen by a child of another runner; each
locking call is refused to the child.
"""

from __future__ import annotations

import json
import threading
import time

import pytest

from effbench.meters.timing import TimeMeter
from effbench.meters.valgrind import ValgrindMeter
from effbench.sandboxes.base import Limits, TestRequest
from effbench.sandboxes.local import LocalSandbox

#: takes every kind of lock it can on a file every runner sees, reports which calls worked, and
#: holds them for a few seconds
HOLDER = r"""
import fcntl, os, struct, time

def f(secret):
    done = {}
    fd = os.open(os.__file__, os.O_RDONLY)
    other = os.open(os.__file__, os.O_RDONLY)
    path = os.open(os.path.__file__, os.O_RDONLY)
    lock = lambda start: struct.pack("hhqqi", fcntl.F_RDLCK, 0, start, secret, 0)
    attempts = {
        "posix_read_lock": lambda: fcntl.fcntl(fd, fcntl.F_SETLK, lock(1 << 40)),
        "ofd_read_lock": lambda: fcntl.fcntl(other, 37, lock(1 << 41)),  # F_OFD_SETLK
        "flock_exclusive": lambda: fcntl.flock(path, fcntl.LOCK_EX | fcntl.LOCK_NB),
        "lockf_shared": lambda: fcntl.lockf(os.dup(path), fcntl.LOCK_SH | fcntl.LOCK_NB, secret, 1 << 42),
    }
    for name, attempt in attempts.items():
        try:
            attempt()
            done[name] = "allowed"
        except OSError as exc:
            done[name] = exc.errno
    time.sleep(3)
    return done
"""

#: looks for those locks from another runner, for a few seconds
SEEKER = r"""
import fcntl, os, struct, time

def f():
    seen = set()
    fd = os.open(os.__file__, os.O_RDONLY)
    path = os.open(os.path.__file__, os.O_RDONLY)
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        kinds = (("posix", fcntl.F_GETLK, 1 << 40), ("ofd", 36, 1 << 41), ("lockf", fcntl.F_GETLK, 1 << 42))
        for name, cmd, start in kinds:
            target = path if name == "lockf" else fd
            try:
                got = fcntl.fcntl(target, cmd, struct.pack("hhqqi", fcntl.F_WRLCK, 0, start, 1, 0))
                if struct.unpack("hhqqi", got)[0] != fcntl.F_UNLCK:
                    seen.add(name)
            except OSError:
                pass
        try:
            fcntl.flock(path, fcntl.LOCK_EX | fcntl.LOCK_NB)
            fcntl.flock(path, fcntl.LOCK_UN)
        except BlockingIOError:
            seen.add("flock")
        except OSError:
            pass
        time.sleep(0.02)
    return sorted(seen)
"""


def _value(run):
    answer = json.loads(run.result)
    assert answer["ok"], run
    return answer["value"]


@pytest.mark.parametrize("meter", [TimeMeter(), ValgrindMeter()], ids=["time", "valgrind"])
def test_no_lock_a_child_takes_is_seen_by_a_child_of_another_runner(meter):
    """Two runners, a holder and a seeker at the same time: every locking call is refused to the
    holder, and the seeker sees no lock."""
    limits = Limits(wall_seconds=30, cpu_seconds=10)
    out = {}
    with LocalSandbox(meter, workers=2) as box:

        def hold():
            out["holder"] = box.run(TestRequest(HOLDER, "f", [123456789], limits))

        holder = threading.Thread(target=hold)
        holder.start()
        time.sleep(0.3)
        out["seeker"] = box.run(TestRequest(SEEKER, "f", [], limits))
        holder.join()
    refused = _value(out["holder"])
    assert _value(out["seeker"]) == [], f"seen from another runner; the holder's calls: {refused}"
    assert all(outcome != "allowed" for outcome in refused.values()), refused


#: reads a file of the json package's folder (every runner sees it) in the slots whose bit is 1
READER_OF_FILES = r"""
import json, os, time

def f(bits):
    folder = os.path.dirname(json.__file__)
    for bit in bits:
        start = time.monotonic()
        while time.monotonic() - start < 0.3:
            if bit:
                with open(os.path.join(folder, "decoder.py"), "rb") as fh:
                    fh.read(1)
            time.sleep(0.01)
    return "read"
"""

#: asks to be told (SIGIO) whenever a file of that folder is read, and counts per slot
WATCHER = r"""
import fcntl, json, os, signal, time

def f():
    hits = [0]
    signal.signal(signal.SIGIO, lambda *_: hits.__setitem__(0, hits[0] + 1))
    fd = os.open(os.path.dirname(json.__file__), os.O_RDONLY)
    try:
        fcntl.fcntl(fd, fcntl.F_NOTIFY, fcntl.DN_ACCESS | fcntl.DN_MULTISHOT)
    except OSError as exc:
        return ["refused", exc.errno]
    counts = []
    for _ in range(10):
        hits[0] = 0
        time.sleep(0.3)
        counts.append(hits[0])
    return counts
"""


@pytest.mark.parametrize("meter", [TimeMeter()], ids=["time"])
def test_no_child_learns_which_files_a_child_of_another_runner_reads(meter):
    """A directory notification (fcntl F_NOTIFY, DN_ACCESS) on a folder every runner sees told a
    child of every read another runner's child made there (bits sent by reading or not, in time
    slots): refused to the child, so the watcher is told nothing."""
    limits = Limits(wall_seconds=30, cpu_seconds=10)
    out = {}
    with LocalSandbox(meter, workers=2) as box:

        def read():
            out["reader"] = box.run(TestRequest(READER_OF_FILES, "f", [[1, 1, 0, 1, 1, 0, 1, 1, 1, 1]], limits))

        reader = threading.Thread(target=read)
        reader.start()
        out["watcher"] = box.run(TestRequest(WATCHER, "f", [], limits))
        reader.join()
    assert _value(out["reader"]) == "read"
    watched = _value(out["watcher"])
    assert watched[0] == "refused", f"told of another runner's reads: {watched}"
