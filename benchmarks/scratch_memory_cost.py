"""Memory a candidate keeps in its scratch folder under the time meter: who pays for freeing it
(docs/threat-model.md, "A fourth red team on the one-run time meter").

The same work, touching ``--files`` x 16 MiB once per page, on anonymous memory (freed by the
child's own exit, inside the measured span) and on shared mappings of tmpfs files in the scratch
folder (freed when the runner empties the folder: charged to the test since the runner measures it,
``cleanup_cpu_seconds``). Alternated ``--rounds`` times on one local runner,
``TimeMeter(resolution_ns=0)``; prints each one's median cost and the load average before and after:

    .venv/bin/python benchmarks/scratch_memory_cost.py [--rounds 7] [--files 8]

Exit 0 (figures only; nothing here is a pass or fail).
"""

from __future__ import annotations

import argparse
import os
import statistics
import textwrap

from script_exit import run_main

from effbench.meters.timing import TimeMeter
from effbench.sandboxes.base import Limits, TestRequest

#: the same work on anonymous memory and in scratch files (tests/threats/test_scratch_cleanup.py
#: runs SCRATCH_FILES itself)
ANONYMOUS = """
import mmap

def f(k, n):
    maps, total = [], 0
    for i in range(k):
        b = mmap.mmap(-1, n)
        b[::4096] = b"\\x01" * len(range(0, n, 4096))
        total += b[::4096].count(1)
        maps.append(b)
    return total
"""

SCRATCH_FILES = """
import mmap, os

def f(k, n):
    maps, total = [], 0
    for i in range(k):
        fd = os.open("big%d" % i, os.O_RDWR | os.O_CREAT, 0o600)
        os.ftruncate(fd, n)
        b = mmap.mmap(fd, n)
        os.close(fd)
        b[::4096] = b"\\x01" * len(range(0, n, 4096))
        total += b[::4096].count(1)
        maps.append(b)
    return total
"""


def main() -> int:
    """Run the rounds and print the medians; returns 0."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--files", type=int, default=8, help="16 MiB mappings (the file-size limit is 16 MiB)")
    args = parser.parse_args()
    from effbench.sandboxes.local import LocalSandbox

    limits = Limits(wall_seconds=60, cpu_seconds=30)
    costs: dict[str, list[float]] = {"anonymous": [], "scratch_files": []}
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    with LocalSandbox(TimeMeter(resolution_ns=0), workers=1) as box:
        for _ in range(args.rounds):
            for name, code in (("anonymous", ANONYMOUS), ("scratch_files", SCRATCH_FILES)):
                run = box.run(TestRequest(textwrap.dedent(code), "f", [args.files, 16 << 20], limits, 1))
                if run.cost is not None:
                    costs[name].append(run.cost.value / 1e6)
    for name, values in costs.items():
        print(f"{name:13} median {statistics.median(values):8.2f} ms  {[round(v, 1) for v in values]}")
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    run_main(main, "scratch_memory_cost")
