"""The test child's seccomp filter, tested directly with ctypes in hand.

Candidates never get ctypes (``ffi_by_introspection`` in the corpus), so the corpus's capability
threats cannot reach the kernel layer below that. This file installs the children's filter in a
process of its own, where ctypes is available, and makes the raw calls a candidate with a
memory-writing primitive would make: the second line of defence must hold on its own.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from effbench import paths

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
