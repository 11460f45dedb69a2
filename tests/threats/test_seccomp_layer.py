"""The test child's seccomp filter, tested directly with ctypes in hand.

Candidates never get ctypes (``ffi_by_introspection`` in the corpus), so the corpus's capability
threats cannot reach the kernel layer below that. This file installs the children's filter in a
process of its own, where ctypes is available, and makes the raw calls a candidate with a
memory-writing primitive would make: the second line of defence must hold on its own.
"""

from __future__ import annotations

import json
import random
import struct
import subprocess
import sys

import pytest

from effbench import paths
from effbench.codec import runner_module

PROBE = r"""
import ctypes, errno, importlib.util, json, os, socket, sys
spec = importlib.util.spec_from_file_location("effbench_runner", sys.argv[1])
runner = importlib.util.module_from_spec(spec)
spec.loader.exec_module(runner)
nr = runner._SYSCALLS
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
libc.mmap.restype = ctypes.c_void_p
libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]
runner.prepare_seccomp(None)
runner.install_seccomp(os.getpid())
out = {}
def call(name, *args):
    result = libc.syscall(nr[name], *args)
    return "allowed" if result >= 0 else errno.errorcode.get(ctypes.get_errno(), "?")
me = os.getpid()
out["fork"] = call("fork")
out["clone_process"] = call("clone", 17, 0, 0, 0, 0)  # SIGCHLD: a new process
if os.getpid() != me:  # a child the filter let through: gone, the parent reports it
    os._exit(0)
out["execve"] = call("execve", b"/bin/true", None, None)
out["ptrace_attach_parent"] = call("ptrace", 16, os.getppid(), 0, 0)
out["perf_event_open"] = call("perf_event_open", 0, 0, -1, -1, 0)
out["memfd_create"] = call("memfd_create", b"x", 0)
out["kill_parent"] = call("kill", os.getppid(), 0)
out["bpf"] = call("bpf", 0, 0, 0)
out["io_uring_setup"] = call("io_uring_setup", 1, 0)
out["unshare"] = call("unshare", 0x00020000)
out["prctl_set_dumpable"] = "allowed" if libc.prctl(4, 1, 0, 0, 0) == 0 else "EPERM"
anon = libc.mmap(None, 4096, 7, 0x22, -1, 0)  # PROT_RWX, MAP_PRIVATE|MAP_ANONYMOUS
out["mmap_rwx_anonymous"] = "allowed" if anon not in (None, ctypes.c_void_p(-1).value) else "EPERM"
try:
    socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    out["socket_inet"] = "allowed"
except OSError as exc:
    out["socket_inet"] = errno.errorcode.get(exc.errno, "?")
out["own_pid_signal_0"] = "allowed" if libc.kill(os.getpid(), 0) == 0 else "refused"
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def refused() -> dict[str, str]:
    """{attempt: 'allowed' or the errno name} from a process under the children's filter."""
    if not sys.platform.startswith("linux"):
        pytest.skip("seccomp is Linux's")
    from effbench.meters import sandbox_python

    done = subprocess.run(
        [sandbox_python(), "-S", "-s", "-c", PROBE, str(paths.runner_path())],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize(
    "attempt",
    [
        "fork",
        "clone_process",
        "execve",
        "ptrace_attach_parent",
        "perf_event_open",
        "memfd_create",
        "kill_parent",
        "bpf",
        "io_uring_setup",
        "unshare",
        "prctl_set_dumpable",
        "mmap_rwx_anonymous",
        "socket_inet",
    ],
)
def test_raw_call_with_ctypes_is_refused_by_the_child_filter(refused, attempt):
    """Invariant: with ctypes in hand, the child's filter still refuses each raw call."""
    assert refused[attempt] != "allowed", f"{attempt} was allowed under the children's filter"


def test_the_filter_still_lets_a_child_signal_itself(refused):
    """Invariant: the filter is not a blanket refusal: a child may signal itself."""
    assert refused["own_pid_signal_0"] == "allowed"


def _run_filter(code: bytes, data: bytes) -> tuple[int, int]:
    """Classic BPF as the kernel runs a seccomp filter (the instructions the runner emits: load a
    word of seccomp_data, jeq/jgt/jge/jset with a constant, return): (return value, instructions
    run). ``data``: struct seccomp_data (nr, arch, ip, six 64-bit arguments)."""
    program = [struct.unpack_from("HBBI", code, off) for off in range(0, len(code), 8)]
    pc = acc = steps = 0
    while True:
        op, jt, jf, k = program[pc]
        steps += 1
        if op == 0x20:  # BPF_LD | BPF_W | BPF_ABS
            acc = struct.unpack_from("I", data, k)[0]
            pc += 1
        elif op == 0x06:  # BPF_RET | BPF_K
            return k, steps
        else:
            taken = {0x15: acc == k, 0x25: acc > k, 0x35: acc >= k, 0x45: bool(acc & k)}[op]
            pc += 1 + (jt if taken else jf)


@pytest.mark.parametrize("exec_floor", [None, 0x58000000, 0x7F0012345000])
def test_the_filter_s_search_tree_decides_every_call_as_the_chain_of_rules_does(exec_floor):
    """Invariant: the installed filter (a search tree over the call numbers, cheaper for the kernel
    to install) returns, for every call number and the argument values its rules test, what the
    plain chain of the same rules returns; and it decides a call with no rule in a few
    instructions (the kernel runs the filter for every call number at each install, to cache the
    calls it always allows: 94 per number with the chain)."""
    runner = runner_module()
    pid = 4242
    tree = runner._assemble(runner._seccomp_program(pid, exec_floor))
    chain = runner._assemble(runner._seccomp_program(pid, exec_floor, chain=True))
    arch = runner._SYSCALLS["arch"]
    floor = exec_floor or 0
    values = [0, 1, 2, 4, 6, 7, 8, 10, 15, 31, 32, 33, 35, 0x20, 0x21, 0x22, 1031, 0x8901, 0x8902]
    values += [0x59616D61, 0x10000, 0x10011, pid, -pid, 0xFFFFFFFF, pid + 1]
    values += [floor >> 32, (floor >> 32) + 1, (floor >> 32) - 1, floor, floor - 1]
    values = [v & 0xFFFFFFFF for v in values]
    ruled = {number for number, _ in runner._syscall_rules(pid, exec_floor)[0]}
    rng = random.Random(13)
    for number in [*range(1024), runner._X32_SYSCALL_BIT, runner._X32_SYSCALL_BIT + 1, 0xFFFFFFFF]:
        for i in range(200 if number in ruled else 3):
            words = [rng.choice(values) for _ in range(12)]
            data = struct.pack("IIQ12I", number, arch if i % 40 else rng.choice([0, 0x40000003]), 0, *words)
            assert _run_filter(tree, data)[0] == _run_filter(chain, data)[0], (number, words)
        if number < 1024 and number not in ruled:
            assert _run_filter(tree, struct.pack("IIQ", number, arch, 0) + bytes(48))[1] <= 16


#: installs, under a marker filter, the children's filter (tree or chain) and asks the kernel for
#: its verdict on every call number and argument value the rules test, without running any call:
#: the marker filter (installed first) answers errno MARK to every call whose sixth argument is the
#: cookie, and the kernel returns the most recently installed filter's errno when both refuse, so
#: a probe comes back MARK where the children's filter allows it, and with that filter's own errno
#: where it refuses it. Then, with no marker, the calls the filter refuses by number alone are made
#: for real, arguments all ones: there the kernel's cache of always-allowed calls (built by
#: running the filter over every number at install) decides too.
KERNEL_PROBE = r"""
import ctypes, importlib.util, json, os, sys
spec = importlib.util.spec_from_file_location("effbench_runner", sys.argv[1])
runner = importlib.util.module_from_spec(spec)
spec.loader.exec_module(runner)
chain, marked = sys.argv[2] == "chain", sys.argv[3] == "marked"
floor = None if sys.argv[4] == "None" else int(sys.argv[4])
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
libc.syscall.argtypes = [ctypes.c_long] * 7
COOKIE, MARK, PID, ONES = 0x5EC0FFEE, 4000, 4242, (1 << 64) - 1
me = os.getpid()

def install(prog):
    code = runner._assemble(prog)
    buf = ctypes.create_string_buffer(code, len(code))
    fprog = runner._SockFprog(len(code) // 8, ctypes.addressof(buf))
    assert libc.prctl(38, 1, 0, 0, 0) == 0 and libc.prctl(22, 2, ctypes.byref(fprog), 0, 0) == 0

def call(nr, args):
    args = list(args) + [0] * (5 - len(args)) + [COOKIE if marked else ONES]
    result = libc.syscall(nr - (1 << 64) if nr >= 1 << 63 else nr, *args)
    if result == 0 and os.getpid() != me:
        os._exit(0)  # a process the filter let through: gone, the parent reports it
    return "ran" if result != -1 else ctypes.get_errno()

if marked:
    install([("ld", runner._arg(5)), ("jeq", COOKIE, "mark", None), ("ret", runner._RET_ALLOW),
             ("label", "mark"), ("ret", runner._ret_errno(MARK))])
install(runner._seccomp_program(PID, floor, chain=chain))
cases = runner._syscall_rules(PID, floor)[0]
ruled = sorted({number for number, _ in cases})
# 335 and 336 (x86-64's uretprobe and uprobe) pass every filter by design and raise SIGILL
numbers = [n for n in range(1100) if n not in (335, 336)] + [0x40000000 | n for n in range(600)]
numbers += [0x3FFFFFFF, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, (1 << 32) | 39, (1 << 32) | 57]
values = [0, 1, 2, 4, 6, 7, 8, 10, 15, 0x22, 31, 32, 33, 35, 1031, 0x8901, 0x8902, 0x59616D61, 0x10000,
          0x10011, PID, -PID & 0xFFFFFFFF, PID + 1, 0xFFFFFFFF, (1 << 32) | PID, 1 << 32, ONES]
if floor:
    values += [floor >> 32, (floor >> 32) + 1, (floor >> 32) - 1, floor, floor - 1, floor & 0xFFFFFFFF]
out = {}
if marked:
    for nr in numbers:
        out[str(nr)] = call(nr, ())
    for nr in ruled + [0x40000000 | n for n in ruled]:
        for i in range(4):
            for x, a in enumerate(values):
                for y, b in enumerate(values):
                    args = [0] * 5
                    args[i], args[i + 1] = a, b
                    out[f"{nr} {i} {x} {y}"] = call(nr, args)
else:
    refused = [number for number, label in cases if label in ("eperm", "enosys")]
    for nr in refused + [0x40000000 | n for n in range(600)] + [0x7FFFFFFF, 0xFFFFFFFF]:
        out[str(nr)] = call(nr, [ONES] * 5)
print(json.dumps(out))
"""


@pytest.mark.parametrize("exec_floor", [None, 0x7F0012345000])
def test_the_kernel_decides_every_call_under_the_search_tree_as_under_the_chain_of_rules(exec_floor):
    """Invariant: on this machine's kernel (not only in a BPF interpreter), the children's filter as
    installed (the search tree of 0c87347) gives every call number (0..1099 but x86-64's 335/336,
    the x32 range, numbers past 2**31 and with high bits) and every pair of the argument values its
    rules test, in each pair of argument positions, the same verdict as the plain chain of the
    same rules; and every call the filter refuses by its number alone is refused when made for
    real (the kernel's cache of always-allowed calls included), never run."""
    if not sys.platform.startswith("linux") or struct.calcsize("P") != 8:
        pytest.skip("seccomp is Linux's; the probe is written for 64-bit machines")
    from effbench.meters import sandbox_python

    runner = runner_module()
    if runner._MACHINE != "x86_64":
        pytest.skip("the probe's call numbers are x86-64's")
    verdicts = {}
    for shape in ("tree", "chain"):
        for mode in ("marked", "bare"):
            done = subprocess.run(
                [
                    sandbox_python(),
                    "-S",
                    "-s",
                    "-c",
                    KERNEL_PROBE,
                    str(paths.runner_path()),
                    shape,
                    mode,
                    str(exec_floor),
                ],
                capture_output=True,
                text=True,
                timeout=300,
            )
            assert done.returncode == 0, (shape, mode, done.returncode, done.stderr[-2000:])
            verdicts[shape, mode] = json.loads(done.stdout)
    tree, chain = verdicts["tree", "marked"], verdicts["chain", "marked"]
    assert tree.keys() == chain.keys()
    differ = {key: (tree[key], chain[key]) for key in tree if tree[key] != chain[key]}
    assert differ == {}, list(differ.items())[:20]
    assert "ran" not in tree.values()  # the marker kept every probe from running
    assert {4000, 1, 38} <= set(tree.values())  # allowed, EPERM and ENOSYS (clone3) all seen
    for shape in ("tree", "chain"):
        made = verdicts[shape, "bare"]
        assert set(made.values()) <= {1, 38}, {k: v for k, v in made.items() if v not in (1, 38)}
