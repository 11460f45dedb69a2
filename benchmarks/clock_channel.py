"""A channel from one request to the next that no sandbox closes: the wall clock (docs/threat-model.md, "Known
and not fixed").

A donor request sleeps (no instructions counted, little CPU) until the wall clock's fraction of a
second is in bucket ``m`` of 4 (m chosen at random, 2 bits), then returns; the next request on
the same runner reads ``time.time() % 1`` and decodes the bucket after the median delay between
the two. Prints each trial (the bit pattern sent, the fraction read, what was decoded, both
counts) and how many were decoded right:

    .venv/bin/python benchmarks/clock_channel.py [--meter valgrind] [--trials 12] [--seed 1]

Exit 0 (figures only; nothing here is a pass or fail).
"""

from __future__ import annotations

import argparse
import json
import random
import textwrap

from script_exit import run_main

from effbench.meters import get_meter
from effbench.sandboxes.base import Limits, TestRequest
from effbench.sandboxes.local import LocalSandbox

DONOR = """
import time
def f(m):
    while True:
        frac = time.time() % 1.0
        if int(frac * 4) == m and frac * 4 - m < 0.3:
            return m
        time.sleep(0.01)
"""

READER = """
import time
def f():
    return time.time() % 1.0
"""


def main() -> int:
    """Run the trials and print them; returns 0."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--meter", default="valgrind", choices=["valgrind", "time"])
    parser.add_argument("--trials", type=int, default=12)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    limits = Limits(wall_seconds=10, cpu_seconds=5)
    trials = []
    with LocalSandbox(get_meter(args.meter), workers=1) as box:
        for _ in range(args.trials):
            m = rng.randrange(4)
            sent = box.run(TestRequest(textwrap.dedent(DONOR), "f", [m], limits))
            read = box.run(TestRequest(textwrap.dedent(READER), "f", [], limits))
            value = json.loads(read.result)["value"]
            trials.append((m, value, sent.cost and sent.cost.value, read.cost and read.cost.value))
    delays = sorted((value - m / 4) % 1.0 for m, value, _, _ in trials)
    delay = delays[len(delays) // 2]
    right = 0
    for m, value, donor_cost, reader_cost in trials:
        got = int(((value - delay + 0.04) % 1.0) * 4)
        right += got == m
        print(f"sent {m:02b} read {value:.3f} decoded {got:02b}  donor count {donor_cost}  reader count {reader_cost}")
    print(f"median delay {delay:.3f} s; decoded {right} of {len(trials)} ({args.meter})")
    return 0


if __name__ == "__main__":
    run_main(main, "clock_channel")
