"""Memory a candidate holds in the kernel, where a resident-set limit does not look.

The runner's memory limit watches the test child's resident set (``VmRSS``, polled from outside).
A red team held memory the kernel keeps for the process but does not count there:

- socket buffers: 96 AF_UNIX socket pairs with their buffers raised to the machine's maximum
  (``SO_SNDBUF``; 4 MiB here, which the kernel doubles) held 1.5 GB under a 1 GiB memory limit,
  verdict ``ok``, peak memory 1.4 MB reported (valgrind meter, where the child could open 19,988
  descriptors; the time meter's 64 still held 470 MB in 30 pairs). Fixed: the children's
  seccomp filter refuses the buffer sizes (``SO_SNDBUF``, ``SO_RCVBUF``, their ``FORCE``
  variants, and a pipe's ``F_SETPIPE_SZ``) and every meter's child gets 64 descriptors.
- files in the scratch folder, a tmpfs (memory) of 512 MB of its own: 512 MB of files under a
  256 MiB limit, verdict ``ok``, peak 1.8 MB reported. Fixed: the limit watches the scratch
  tmpfs's used space too.
- inodes and extended attributes in that tmpfs, which its size (data pages) does not bound and
  its used blocks do not show: 400,000 empty files with 255-character names (595 MiB more slab)
  or 4,000 files with a 60 KB ``user.*`` attribute each (252 MiB), 0 blocks used, under a 256 MiB
  limit, verdict ``ok``. Fixed: the tmpfs has 4,096 inodes (``nr_inodes``), whose space the
  kernel also charges attributes against (ENOSPC past it).
- page tables: under valgrind (no address-space limit) reading one byte in every 2 MiB of two
  32 GiB read-only mappings gave 128 MiB of page tables with 62 MiB resident. Fixed: the limit
  watches resident memory plus page tables (``VmPTE``).
"""

from __future__ import annotations

import json
import textwrap

import pytest

from effbench.meters.timing import TimeMeter
from effbench.meters.valgrind import ValgrindMeter
from effbench.sandboxes.base import Limits, TestRequest
from effbench.sandboxes.local import LocalSandbox

#: queues as many bytes as it can (up to ``want``) in socket pairs and pipes, raising their
#: buffers where it may, and returns how many bytes it queued
FILLS_KERNEL_BUFFERS = """
import fcntl, os, socket

def f(want):
    keep, total, chunk = [], 0, b"x" * (1 << 16)

    def fill(send):
        nonlocal total
        try:
            while total < want:
                total += send(chunk)
        except (BlockingIOError, OSError):
            pass

    while total < want:
        try:
            a, b = socket.socketpair()
        except OSError:
            break
        keep.append((a, b))
        for s in (a, b):
            try:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 26)
            except OSError:
                pass
            s.setblocking(False)
            fill(s.send)
    for s in keep.pop():
        s.close()  # room for the pipes
    while total < want:
        try:
            r, w = os.pipe()
        except OSError:
            break
        keep.append((r, w))
        try:
            fcntl.fcntl(w, 1031, 1 << 20)  # F_SETPIPE_SZ
        except OSError:
            pass
        os.set_blocking(w, False)
        fill(lambda data: os.write(w, data))
    return total
"""

#: reads one byte in every 2 MiB of ``k`` read-only private mappings of ``gib`` GiB each: the
#: zero page (nothing resident) and a page table per 2 MiB
SPARSE_READS = """
import mmap

def f(gib, k):
    maps, total = [], 0
    for _ in range(k):
        m = mmap.mmap(-1, gib << 30, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS | 0x4000, prot=mmap.PROT_READ)
        maps.append(m)
        for i in range(0, gib << 30, 2 << 20):
            total += m[i]
    return total
"""

#: writes files of 15 MiB (under the 16 MiB file-size limit) in its scratch folder until it has
#: written ``want`` bytes or the folder is full; returns how many bytes it wrote
FILLS_SCRATCH = """
def f(want):
    total, i, chunk = 0, 0, b"y" * (1 << 20)
    try:
        while total < want:
            with open("f%d" % i, "wb") as fh:
                for _ in range(15):
                    fh.write(chunk)
                    total += len(chunk)
            i += 1
    except OSError:
        pass
    return total
"""

#: makes up to ``n`` files in its scratch folder, with names of ``name_length`` characters and a
#: ``user.*`` attribute of ``attribute_bytes`` each, until refused; returns the bytes of inode space
#: they take (the kernel's own charge: 1 KiB per inode, an attribute's size). Counted from what
#: it made: the child may not read the tmpfs's own figures (statvfs, see test_filesystem_usage.py)
FILLS_SCRATCH_INODES = """
import os

def f(n, name_length, attribute_bytes):
    pad = "n" * (name_length - 8)
    charged = 0
    try:
        for i in range(n):
            fd = os.open("%s%08d" % (pad, i), os.O_CREAT | os.O_WRONLY, 0o600)
            charged += 1024
            try:
                if attribute_bytes:
                    os.setxattr(fd, "user.k", b"v" * attribute_bytes)
                    charged += attribute_bytes
            finally:
                os.close(fd)
    except OSError:
        pass
    return charged
"""

MEMORY_LIMIT = 256 << 20


def _holding(meter, program: str, scratch_tmpfs: bool = False):
    """Run ``program``'s f(2 * MEMORY_LIMIT) alone in a fresh local sandbox under MEMORY_LIMIT;
    check the run is the harness's success (no infra error, no meter anomaly); return it.
    ``scratch_tmpfs``: skip where the scratch folder is not a tmpfs of its own."""
    with LocalSandbox(meter, workers=1) as box:
        if scratch_tmpfs and not box.facts["fixed_pids"]:  # a tmpfs per scratch folder (_fresh_scratch)
            pytest.skip("no tmpfs per scratch folder here: scratch is on the runner's /tmp")
        limits = Limits(wall_seconds=120, cpu_seconds=60, memory_bytes=MEMORY_LIMIT)
        run = box.run(TestRequest(textwrap.dedent(program), "f", [2 * MEMORY_LIMIT], limits))
    assert run.infra_error is None and run.meter_anomaly is None, run
    return run


@pytest.mark.parametrize("meter", [ValgrindMeter(), TimeMeter()], ids=["valgrind", "time"])
def test_no_child_holds_more_kernel_buffer_memory_than_its_memory_limit(meter):
    """Invariant: a test child that answers never held more in socket and pipe buffers than its
    memory limit (it has 64 descriptors and cannot size their buffers); holding more is stopped
    or refused. Fault: it held 2x its limit in socket buffers, verdict ok, a few MB reported."""
    run = _holding(meter, FILLS_KERNEL_BUFFERS)
    if run.killed_for is None:
        payload = json.loads(run.result)
        assert payload["ok"], run
        assert payload["value"] < MEMORY_LIMIT, f"held {payload['value'] >> 20} MiB in kernel buffers"


def test_page_tables_count_toward_the_memory_limit():
    """Invariant: the memory limit watches resident memory plus page tables: a child whose sparse
    reads of a large mapping make 128 MiB of page tables is stopped at a 48 MiB limit (under
    valgrind, which has no address-space limit). Fault: only VmRSS was watched, verdict ok."""
    with LocalSandbox(ValgrindMeter(), workers=1) as box:
        limits = Limits(wall_seconds=120, cpu_seconds=60, memory_bytes=48 << 20)
        run = box.run(TestRequest(textwrap.dedent(SPARSE_READS), "f", [32, 2], limits))
    assert run.infra_error is None, run
    assert run.killed_for == "memory", run


@pytest.mark.parametrize("meter", [ValgrindMeter(), TimeMeter()], ids=["valgrind", "time"])
def test_files_in_the_scratch_tmpfs_count_toward_the_memory_limit(meter):
    """Invariant: where each scratch folder is a tmpfs of its own (memory), a test child that
    answers never wrote more there than its memory limit: the limit watches the tmpfs's used
    space. Fault: 512 MB of files under a 256 MiB limit, verdict ok."""
    run = _holding(meter, FILLS_SCRATCH, scratch_tmpfs=True)
    if run.killed_for is None:
        payload = json.loads(run.result)
        assert payload["ok"], run
        assert payload["value"] < MEMORY_LIMIT, f"wrote {payload['value'] >> 20} MiB in its scratch tmpfs"
    else:
        assert run.killed_for == "memory", run


@pytest.mark.parametrize("shape", [[400_000, 255, 0], [6_000, 8, 60_000]], ids=["empty-files", "attributes"])
def test_inodes_and_attributes_in_the_scratch_tmpfs_stay_under_the_memory_limit(shape):
    """Invariant: where each scratch folder is a tmpfs of its own, the kernel memory a child's
    files and extended attributes take there (the tmpfs's inode space: 1 KiB per inode, an
    attribute's bytes), which neither its used blocks nor the child's resident set show, stays
    far under its memory limit: the kernel refuses more. Fault: 400,000 empty files (390 MiB of
    inode space, 595 MiB more slab on the host) or 6,000 attributes of 60 KB, verdict ok."""
    with LocalSandbox(TimeMeter(), workers=1) as box:
        if not box.facts["fixed_pids"]:  # the condition of a tmpfs per scratch folder (_fresh_scratch)
            pytest.skip("no tmpfs per scratch folder here: scratch is on the runner's /tmp")
        limits = Limits(wall_seconds=120, cpu_seconds=60, memory_bytes=MEMORY_LIMIT)
        run = box.run(TestRequest(textwrap.dedent(FILLS_SCRATCH_INODES), "f", shape, limits))
    assert run.infra_error is None and run.meter_anomaly is None, run
    if run.killed_for is None:
        payload = json.loads(run.result)
        assert payload["ok"], run
        assert payload["value"] <= 8 << 20, f"held {payload['value'] >> 20} MiB of inodes and attributes"
    else:
        assert run.killed_for == "memory", run
