"""The kernel's CPU time to install the test child's seccomp filter, this runner's against another's.

Each test child installs the children's filter (sandbox/runner.py ``install_seccomp``) in its
set-up, before it is let go. The kernel checks the program, converts and JIT-compiles it, and runs
it over every call number of the architecture to cache the calls it always allows
(``seccomp_cache_prepare``): a filter whose path for a call number is long costs more to install.
This script loads two runner files, forks ``--children`` children from each in turn (A first on
even rounds, B first on odd ones), and in each child, which already holds the zygote's own filter
as a test child does (``install_worker_filter``), times the ``prctl(PR_SET_SECCOMP)`` call alone
(the thread's CPU time: the kernel's work for this process). Prints, per runner, the filter's
length in instructions and the install's median, 10th and 90th percentile in microseconds, and
the ratio of the medians. Run it with the interpreter the sandbox runs (``/usr/bin/python3.11``):
the runner is standard library only.

    PYTHONPATH=CHECKOUT /usr/bin/python3.11 -S -s benchmarks/seccomp_install_cost.py OTHER/runner.py [--children 300]
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import sys
import time
from pathlib import Path
from types import ModuleType

RUNNER = Path(__file__).resolve().parent.parent / "sandbox" / "runner.py"


def load(path: Path, name: str) -> ModuleType:
    """The runner file ``path`` as a module, its children's filter assembled (no exec floor, as
    under the time meter). Raises OSError where the runner has no seccomp table."""
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    if module._SYSCALLS is None:
        raise OSError(f"no seccomp table for this machine in {path}")
    module.prepare_seccomp(None)
    return module


def install_ns(runner: ModuleType) -> int:
    """Fork a child that installs the zygote's filter, then times installing the children's
    filter; returns that install's thread CPU time in nanoseconds. Raises OSError if it failed."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            runner.install_worker_filter(None)
            buf, prog = runner._seccomp_fprog(os.getpid())
            runner._LIBC.prctl(38, 1, 0, 0, 0)  # PR_SET_NO_NEW_PRIVS
            start = time.thread_time_ns()
            failed = runner._LIBC.prctl(22, 2, runner.ctypes.byref(prog), 0, 0)  # PR_SET_SECCOMP
            spent = time.thread_time_ns() - start
            os.write(write_end, b"%d" % (-1 if failed else spent))
            code = 0
        finally:
            os._exit(code)
    os.close(write_end)
    data = os.read(read_end, 64)
    os.close(read_end)
    os.waitpid(pid, 0)
    if not data or int(data) < 0:
        raise OSError("the child could not install the filter")
    return int(data)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("other", help="the other runner file (B); A is this checkout's sandbox/runner.py")
    parser.add_argument("--children", type=int, default=300, help="children per runner (default %(default)s)")
    opts = parser.parse_args()
    if opts.children < 2 or not Path(opts.other).is_file():
        parser.error("--children must be at least 2, and the other runner file must exist")
    runners = {"A": load(RUNNER, "runner_a"), "B": load(Path(opts.other), "runner_b")}
    print(f"A: {RUNNER}\nB: {Path(opts.other).resolve()}")
    print(f"load average before: {' '.join(open('/proc/loadavg').read().split()[:3])}")
    spent: dict[str, list[int]] = {name: [] for name in runners}
    for i in range(opts.children):
        for name in ("A", "B") if i % 2 == 0 else ("B", "A"):
            spent[name].append(install_ns(runners[name]))
    medians = {}
    for name, values in spent.items():
        values.sort()
        medians[name] = statistics.median(values) / 1000
        length = len(runners[name]._SECCOMP_TEMPLATE) // 8
        p10, p90 = values[len(values) // 10] / 1000, values[9 * len(values) // 10] / 1000
        print(f"{name}: {length} instructions; install median {medians[name]:.1f} us (p10 {p10:.1f}, p90 {p90:.1f})")
    print(f"A / B (medians): {medians['A'] / medians['B']:.2f}")
    print(f"load average after: {' '.join(open('/proc/loadavg').read().split()[:3])}")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from script_exit import run_main

    run_main(main, "seccomp_install_cost")
