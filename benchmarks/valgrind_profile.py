"""Where the valgrind meter's fixed cost per test goes, inside valgrind (issue 13).

Runs ``--tests`` null tests (``def f(x): return x + 1``) through one warm local sandbox under the
valgrind meter while ``perf record -e cpu-clock -a -g`` samples the whole machine (a software
clock: no hardware counter needed), then sorts the samples of this sandbox's valgrind processes
(found by the fork events perf records, so other engineers' valgrinds are left out) by role
(the zygote, which is the runner; the worker forked per request; the baseline and test children
it forks) and by part:

- valgrind translating new code (VEX, cachegrind's instrumentation, its debug-information
  look-ups): every valgrind symbol not listed below;
- running the translated code, cachegrind's counting helpers and the dispatcher;
- cachegrind's end-of-process dump (``cg_fini``: one line per known source line);
- the kernel: fork's copy of the page tables, exit's unmapping, copy-on-write and other page
  faults, anything else.

valgrind's own binary is stripped: its symbols come from the ``valgrind-dbg`` package's debug
file for it (``--symbols``; by default looked up by build id under /usr/lib/debug, then under
``/tmp/valgrind-dbg``, where ``apt-get download valgrind-dbg && dpkg-deb -x valgrind-dbg_*.deb
/tmp/valgrind-dbg`` puts it without installing it). Needs ``perf`` and permission to sample the
whole machine (root, or perf_event_paranoid <= 0).

    .venv/bin/python benchmarks/valgrind_profile.py [--tests 200] [--python /usr/bin/python3.11]
"""

from __future__ import annotations

import argparse
import bisect
import collections
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time

from meter_overhead import sandbox_cpu_seconds
from script_exit import run_main

from effbench import codec
from effbench.errors import EffbenchError
from effbench.meters.valgrind import ValgrindMeter
from effbench.sandboxes.base import Limits, TestRequest
from effbench.sandboxes.local import LocalSandbox

#: valgrind's tool binary for cachegrind, and where it is loaded (statically linked, not PIE)
TOOL = "/usr/libexec/valgrind/cachegrind-amd64-linux"
TOOL_BASE = 0x58000000

#: cachegrind's end-of-process dump: walking its table of per-line counts and formatting them
EXIT_DUMP = frozenset(
    "vgPlain_OSetGen_Next vgPlain_OSetGen_ResetIter vgPlain_strcmp vgPlain_strlen cg_fini myvprintf_int64"
    " myvprintf_str vgPlain_debugLog_vprintf add_to__vgfile cmp_CodeLoc_LineCC vgPlain_fprintf"
    " vgPlain_vfprintf send_bytes_to_logging_sink vgPlain_write vgPlain_percentify".split()
)
#: running translated code: cachegrind's counting helpers, the dispatcher, the translation table
RUN = frozenset(
    "log_1Ir log_2Ir log_3Ir vgPlain_disp_cp_xindir vgPlain_search_transtab vgPlain_disp_run_translations"
    " vgPlain_run_innerloop run_thread_for_a_while vgPlain_scheduler vgPlain_disp_cp_chain_me_to_fastEP"
    " vgPlain_disp_cp_xassisted handle_noredir_jump vgPlain_disp_cp_evcheck_fail".split()
)
PARTS = (
    "valgrind: translating new code",
    "valgrind: running translated code",
    "valgrind: cachegrind's exit dump",
    "kernel: fork (page tables)",
    "kernel: exit (unmapping)",
    "kernel: copy-on-write faults",
    "kernel: other page faults",
    "kernel: other",
)
ROLES = ("zygote", "worker", "child")
FORK = re.compile(r"PERF_RECORD_FORK\((\d+):(\d+)\):\((\d+):(\d+)\)")


def tool_symbols(path: str | None) -> tuple[list[int], list[str]]:
    """(sorted addresses, names) of the text symbols of valgrind's cachegrind binary.

    Raises:
        EffbenchError: no debug file found, or ``nm`` failed on it.
    """
    if path is None:
        build_id = re.search(
            r"BuildID\[sha1\]=([0-9a-f]+)", subprocess.run(["file", TOOL], capture_output=True, text=True).stdout
        )
        if build_id:
            rel = f".build-id/{build_id.group(1)[:2]}/{build_id.group(1)[2:]}.debug"
            for root in ("/usr/lib/debug", "/tmp/valgrind-dbg/usr/lib/debug"):
                if os.path.exists(os.path.join(root, rel)):
                    path = os.path.join(root, rel)
                    break
    if path is None:
        raise EffbenchError("no debug symbols for valgrind's cachegrind (see --symbols in this script's docstring)")
    out = subprocess.run(["nm", "-n", "--defined-only", path], capture_output=True, text=True)
    if out.returncode != 0:
        raise EffbenchError(f"nm {path}: {out.stderr.strip()}")
    pairs = []
    for line in out.stdout.splitlines():
        fields = line.split(None, 2)
        if len(fields) == 3 and fields[1] in "tTwW":
            pairs.append((int(fields[0], 16), fields[2]))
    return [a for a, _ in pairs], [n for _, n in pairs]


def part_of(frames: list[tuple[str, str, str]], addrs: list[int], names: list[str]) -> str | None:
    """The part (one of PARTS) a sample's call chain ``[(ip, symbol, dso), ...]`` (leaf first)
    belongs to; None for code outside valgrind and the kernel."""
    ip, _sym, dso = frames[0]
    if "kallsyms" in dso:
        chain = " ".join(f[1] for f in frames if "kallsyms" in f[2])
        if any(k in chain for k in ("copy_page_range", "dup_mm", "copy_process")):
            return "kernel: fork (page tables)"
        if any(k in chain for k in ("exit_mmap", "do_exit", "mmput", "do_group_exit")):
            return "kernel: exit (unmapping)"
        if "do_wp_page" in chain or "wp_page_copy" in chain:
            return "kernel: copy-on-write faults"
        if "exc_page_fault" in chain:
            return "kernel: other page faults"
        return "kernel: other"
    if "perf-" in dso:  # valgrind's translations (perf finds no file behind them)
        return "valgrind: running translated code"
    if dso.endswith("cachegrind-amd64-linux"):
        i = bisect.bisect_right(addrs, TOOL_BASE + int(ip, 16)) - 1
        name = names[i] if i >= 0 else "?"
        if name in EXIT_DUMP:
            return "valgrind: cachegrind's exit dump"
        if name in RUN:
            return "valgrind: running translated code"
        return "valgrind: translating new code"
    return None


def process_tree(root: int) -> tuple[dict[int, int], set[int]]:
    """({pid: parent pid}, valgrind's pids) of the live processes under ``root``, from /proc."""
    parent, comm = {}, {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    head, tail = f.read().rsplit(")", 1)
                parent[int(entry)] = int(tail.split()[1])
                comm[int(entry)] = head.split("(", 1)[1]
            except (OSError, ValueError, IndexError):
                continue
    tree, grew = {root}, True
    while grew:
        more = {pid for pid, par in parent.items() if par in tree} - tree
        tree |= more
        grew = bool(more)
    return {p: parent[p] for p in tree if p != root}, {p for p in tree if comm.get(p, "").startswith("cachegrind")}


def _frame(line: str) -> tuple[str, str, str]:
    """(ip, symbol, dso) of one call-chain line of ``perf script``."""
    fields = line.strip().split(None, 1)
    sym, _, dso = (fields[1] if len(fields) > 1 else "").rpartition(" (")
    return fields[0], sym, dso.rstrip(")")


def roles_of(parent: dict[int, int], valgrind: set[int], root: int) -> dict[int, str]:
    """{pid: role (one of ROLES)} of the valgrind processes under ``root``, from the process tree
    (``parent``: pid -> parent pid). The zygote is every level of one process at the top (the
    runner, and the child of it that serves: sandbox/runner.py _continue_in_a_child), the
    workers the first level of many processes, their children every level below."""

    def depth(pid: int) -> int | None:
        chain = []
        while pid in parent:
            pid = parent[pid]
            chain.append(pid)
        if root not in chain:
            return None
        return sum(1 for p in chain if p in valgrind)

    depths = {p: depth(p) for p in valgrind}
    sizes = collections.Counter(d for d in depths.values() if d is not None)
    workers_at = min((d for d, n in sizes.items() if n > 1), default=1)
    return {p: ROLES[0 if d < workers_at else 1 if d == workers_at else 2] for p, d in depths.items() if d is not None}


def classify(
    data: str, root: int, known: tuple[dict[int, int], set[int]], symbols: str | None
) -> tuple[collections.Counter, collections.Counter]:
    """(samples by (role, part), processes by role) of the valgrind processes under ``root``;
    ``known``: process_tree(root) when perf started (processes forked later come from perf's
    fork events)."""
    addrs, names = tool_symbols(symbols)
    out = subprocess.run(
        ["perf", "script", "-i", data, "--show-task-events", "-F", "comm,pid,tid,ip,sym,dso"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    parent, valgrind = dict(known[0]), set(known[1])
    samples = []
    for block in out.split("\n\n"):
        lines = block.strip().splitlines()
        while lines and "PERF_RECORD" in lines[0]:
            m = FORK.search(lines[0])
            if m and m.group(1) != m.group(3):  # a process, not a thread
                parent[int(m.group(1))] = int(m.group(3))
                if int(m.group(3)) in valgrind:
                    valgrind.add(int(m.group(1)))
            lines = lines[1:]
        if len(lines) < 2:
            continue
        head = lines[0].split()
        pid = int(head[-1].split("/")[0])
        if pid not in valgrind:
            continue
        samples.append((pid, [_frame(line) for line in lines[1:]]))

    role = roles_of(parent, valgrind, root).get

    table: collections.Counter = collections.Counter()
    for pid, frames in samples:
        r, p = role(pid), part_of(frames, addrs, names)
        if r is not None and p is not None:
            table[(r, p)] += 1
    return table, collections.Counter(role(p) for p in valgrind if role(p) is not None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tests", type=int, default=200, help="null tests to run and sample (default %(default)s)")
    parser.add_argument("--python", default=None, help="the sandbox's interpreter (default: effbench's own)")
    parser.add_argument("--symbols", default=None, help="debug file of " + TOOL + " (default: by build id)")
    opts = parser.parse_args()
    if shutil.which("perf") is None:
        raise EffbenchError("perf is not installed (apt-get install linux-perf)")
    tool_symbols(opts.symbols)  # fail before the run, not after it
    request = TestRequest("def f(x):\n    return x + 1\n", "f", codec.encode([3]), Limits(), 1)
    with tempfile.TemporaryDirectory() as tmp, LocalSandbox(ValgrindMeter(), workers=1, python=opts.python) as box:
        for _ in range(3):
            box.run(request)  # the runner up and warm, outside the samples
        data = os.path.join(tmp, "perf.data")
        perf = subprocess.Popen(
            ["perf", "record", "-q", "-e", "cpu-clock", "-a", "-g", "-o", data],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(1.0)
        known = process_tree(os.getpid())
        cpu0, t0 = sandbox_cpu_seconds(box), time.perf_counter()
        for _ in range(opts.tests):
            run = box.run(request)
            if run.cost is None:
                raise EffbenchError(f"a null test failed: {run}")
        wall, cpu = time.perf_counter() - t0, sandbox_cpu_seconds(box) - cpu0
        perf.send_signal(signal.SIGINT)
        perf.wait()
        table, roles = classify(data, os.getpid(), known, opts.symbols)
    total = sum(table.values())
    if not total:
        raise EffbenchError("perf sampled none of the sandbox's valgrind processes")
    per = 1000 / opts.tests
    print(f"{opts.tests} null tests, one warm worker: wall/test {wall * per:.1f} ms, cpu/test {cpu * per:.1f} ms")
    print(f"{total} samples in the sandbox's valgrind processes ({dict(roles)}), share of them:")
    print(f"{'part':36} " + " ".join(f"{r:>7}" for r in ROLES) + "   total")
    for p in PARTS:
        cells = [table[(r, p)] for r in ROLES]
        print(f"{p:36} " + " ".join(f"{100 * c / total:6.1f}%" for c in cells) + f" {100 * sum(cells) / total:6.1f}%")
    print(f"{'total':36} " + " ".join(f"{100 * sum(table[(r, p)] for p in PARTS) / total:6.1f}%" for r in ROLES))


if __name__ == "__main__":
    run_main(main, "valgrind_profile")
