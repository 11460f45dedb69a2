"""The valgrind meter's cost per null test under other valgrind command lines, alternating.

Each setting is the meter's own command line with some options taken out (``-OPTION``: every
argument starting with OPTION, e.g. ``---LL``) and others added (``+OPTION``); ``meter`` is the
meter's command line as it is. For each round and each setting, in this order, one local sandbox
(one warm worker) runs ``--tests`` null tests (``def f(x): return x + 1``) and the script prints
the wall time, the CPU time and the minor page faults per test of the sandbox's processes (from
/proc: a busy machine inflates CPU time much less than wall time, and faults not at all), and the
null test's cost in instructions (a setting that moves it changes what is counted: it would need
the fingerprint to name it). Then the mean CPU time and faults per test of each setting.

    .venv/bin/python benchmarks/valgrind_options.py --settings='---LL;meter' [--rounds 3] \\
        [--tests 40] [--python /usr/bin/python3.11]
"""

from __future__ import annotations

import argparse
import shlex
import statistics
import time

from meter_overhead import sandbox_usage
from script_exit import run_main

from effbench import codec
from effbench.errors import EffbenchError
from effbench.meters.valgrind import ValgrindMeter
from effbench.sandboxes.base import Limits, TestRequest
from effbench.sandboxes.local import LocalSandbox


class ChangedValgrind(ValgrindMeter):
    """The valgrind meter with options taken out of its command line and others added."""

    def __init__(self, drop: list[str], add: list[str]) -> None:
        super().__init__()
        self.drop, self.add = drop, add

    def command_prefix(self, log_fd: int | None) -> list[str]:
        """The meter's command line, less every argument starting with one of ``drop``, plus ``add``."""
        kept = [a for a in super().command_prefix(log_fd) if not any(a.startswith(d) for d in self.drop)]
        return kept[:1] + self.add + kept[1:]


def parse_setting(text: str) -> tuple[list[str], list[str]]:
    """(options to drop, options to add) of one setting (``meter``, or ``-OPT`` and ``+OPT`` words).

    Raises:
        EffbenchError: a word is neither.
    """
    drop, add = [], []
    for word in shlex.split(text):
        if word == "meter":
            continue
        if word[:1] == "-":
            drop.append(word[1:])
        elif word[:1] == "+":
            add.append(word[1:])
        else:
            raise EffbenchError(f"--settings: {word!r} is not 'meter', -OPTION or +OPTION")
    return drop, add


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--settings", required=True, help="';'-separated settings (see above)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds over the settings (default %(default)s)")
    parser.add_argument("--tests", type=int, default=40, help="null tests per sandbox (default %(default)s)")
    parser.add_argument("--python", default=None, help="the sandbox's interpreter (default: effbench's own)")
    opts = parser.parse_args()
    settings = [s.strip() for s in opts.settings.split(";") if s.strip()]
    parsed = {s: parse_setting(s) for s in settings}
    request = TestRequest("def f(x):\n    return x + 1\n", "f", codec.encode([3]), Limits(), 1)
    results: dict[str, list[tuple[float, float]]] = {s: [] for s in settings}
    for r in range(opts.rounds):
        for setting in settings:
            with LocalSandbox(ChangedValgrind(*parsed[setting]), workers=1, python=opts.python) as box:
                for _ in range(3):
                    box.run(request)  # the runner up and warm
                cpu0, faults0 = sandbox_usage(box)
                t0 = time.perf_counter()
                costs = set()
                for _ in range(opts.tests):
                    run = box.run(request)
                    if run.cost is None:
                        raise EffbenchError(f"setting {setting!r}: a null test failed: {run}")
                    costs.add(int(run.cost.value))
                wall = (time.perf_counter() - t0) / opts.tests
                cpu1, faults1 = sandbox_usage(box)
            cpu, faults = (cpu1 - cpu0) / opts.tests, (faults1 - faults0) / opts.tests
            results[setting].append((cpu, faults))
            with open("/proc/loadavg") as f:
                load = " ".join(f.read().split()[:3])
            print(
                f"round {r} {setting:36} wall/test {1000 * wall:6.1f} ms cpu/test {1000 * cpu:6.1f} ms "
                f"faults/test {faults:6.0f} null cost {sorted(costs)} (load {load})",
                flush=True,
            )
    for setting, rows in results.items():
        cpu = statistics.mean(c for c, _ in rows)
        faults = statistics.mean(f for _, f in rows)
        print(f"mean {setting:36} cpu/test {1000 * cpu:6.1f} ms faults/test {faults:6.0f}")


if __name__ == "__main__":
    run_main(main, "valgrind_options")
