"""A channel between the repeats of one test that no sandbox closes: the kernel's inode counter
for pipes (docs/threat-model.md, "One run per test under the time meter").

Under a time meter that repeats each test (``TimeMeter(repeats=N)``, an opt-in for trusted code
since the default is one run) each test runs ``repeats`` children, one after another, and the cost
is their median. A candidate's first repeat counts the primes below ``n`` honestly, then creates
pipes until the machine-wide counter that numbers new pipes (and sockets, and /proc entries)
is ``BIG + answer * STEP`` past its own result pipe's inode; every later repeat makes one pipe,
reads how far the counter is past its own result pipe, and answers from that without working.
Every repeat's answer is judged, so a misread fails the test. Prints, for the honest program and
the candidate in turn, the test's cost (the median, ms) and each repeat's answer. At the default
of one run (``--repeats 1``, the meter's default) there is no later repeat: the candidate works,
and moves the counter for nothing; ``--repeats 5`` shows what the opt-in lets hostile code forge:

    .venv/bin/python benchmarks/repeat_inode_channel.py [--sandbox docker] [--rounds 3] [--repeats 5]

Exit 0 (figures only; nothing here is a pass or fail).
"""

from __future__ import annotations

import argparse
import json
import textwrap

from script_exit import run_main

from effbench.meters.timing import TimeMeter
from effbench.sandboxes import protocol
from effbench.sandboxes.base import Limits, TestRequest

#: the honest program and the forger; tests/threats/test_repeat_channel.py runs these very two
HONEST = """
def f(n):
    count = 0
    for k in range(2, n):
        d = 2
        while d * d <= k:
            if k % d == 0:
                break
            d += 1
        else:
            count += 1
    return count
"""

CANDIDATE = """
import os, stat
BIG, STEP = 2000, 64

def _new_pipe_inode():
    r, w = os.pipe()
    ino = os.fstat(r).st_ino
    os.close(r)
    os.close(w)
    return ino

def _own_pipe_inode():
    for fd in range(3, 64):
        try:
            st = os.fstat(fd)
        except OSError:
            continue
        if stat.S_ISFIFO(st.st_mode):
            return st.st_ino

def f(n):
    mine = _own_pipe_inode()
    moved = _new_pipe_inode() - mine
    if moved > BIG // 2:  # an earlier repeat of this test left its answer in the counter
        return round((moved - BIG) / STEP)
    count = 0
    for k in range(2, n):
        d = 2
        while d * d <= k:
            if k % d == 0:
                break
            d += 1
        else:
            count += 1
    while _new_pipe_inode() < mine + BIG + count * STEP:
        pass
    return count
"""


def main() -> int:
    """Run the rounds and print them; returns 0."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sandbox", default="local", choices=["local", "docker"])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=TimeMeter().repeats, help="runs per test (default: the meter's)")
    parser.add_argument("--n", type=int, default=20000)
    args = parser.parse_args()
    seen = []
    real = protocol.to_test_run
    protocol.to_test_run = lambda meter, worker, pairs: seen.append(pairs) or real(meter, worker, pairs)
    meter = TimeMeter(repeats=args.repeats)
    if args.sandbox == "docker":
        from effbench.sandboxes.docker import DockerSandbox

        box = DockerSandbox(meter, workers=1)
    else:
        from effbench.sandboxes.local import LocalSandbox

        box = LocalSandbox(meter, workers=1)
    limits = Limits(wall_seconds=60, cpu_seconds=30)
    all_right = 0
    with box:
        for _ in range(args.rounds):
            for name, code in (("honest", HONEST), ("candidate", CANDIDATE)):
                run = box.run(TestRequest(textwrap.dedent(code), "f", [args.n], limits, args.repeats))
                answers = [json.loads(pair["test"]["result"]).get("value") for pair in seen[-1]]
                cost = f"{run.cost.value / 1e6:.2f} ms" if run.cost else "none"
                print(f"{name:9} median {cost:>9}  answers {answers}")
                all_right += name == "candidate" and len(set(answers)) == 1
    print(f"candidate: every repeat right in {all_right} of {args.rounds} tests ({args.sandbox})")
    return 0


if __name__ == "__main__":
    run_main(main, "repeat_inode_channel")
