"""effbench in-sandbox runner: standard library only, one file.

The host starts one runner per worker (under valgrind for the valgrind meter) and keeps it alive.
A set-up step (``--exec``, not measured) comes first: in the sandbox's namespaces it makes the
host's mounts read-only, hides folders, gives the runner a private ``/tmp`` (or enters an exported
image with ``--rootfs``), installs this file (as bytecode: see runner_bytecode), then starts the
measured runner with *sockets* as its stdin, stdout and stderr and stays behind relaying them to
the host's pipes. A socket cannot be reopened through ``/proc/PID/fd``, so nothing in the sandbox
can write on the channels that carry answers and valgrind's counts; when the host goes away, the
relay kills the runner at once.

The runner speaks framed JSON on its stdin/stdout:

    host -> runner  <length>\n{"op": "run", "id": ..., "code": ..., "entry_point": ..., "args": <plain
                     data>, "limits": {...}, "repeats": 1}
    runner -> host  {"id": ..., "runs": [<one (baseline, test) record pair per repeat>]}

The runner is a zygote (not dumpable, so its /proc files are root's) that never reads a request:
for each one (valgrind, perf) it forks a worker, which forks a *baseline* child (the same child
routine on a null candidate) and then the *test* child, each in its own session. Under the time
meter a worker serves many requests (at most WORKER_REQUESTS, and none once it holds more than
WORKER_SLACK_KB beyond its start: _serve_requests), forking each request's children the same way;
the candidate only ever runs in a child forked for its own request. A child closes every inherited
descriptor, redirects stdout/stderr to a capped scratch file, gets its rlimits from the parent,
becomes user 65533 when the runner is root, drops capabilities, takes execute permission off any
writable memory and installs a seccomp filter (no processes, exec, tracing, counters, foreign
signals, lasting IPC, new executable memory, or sockets but AF_UNIX); it reports the end of its
set-up on a status pipe it closes before the candidate's code runs, then executes the candidate
module and calls the entry point. The result leaves the child as plain JSON on a pipe, bounded in
size and depth; the runner forwards the raw text and the host decodes and checks it. Expected
answers never enter this process. The scratch folder is emptied (without following links) after
each test.

Meters: under valgrind the host reads each child's instruction count from valgrind's log (the
runner's stderr socket), accepting one total per process; the cost of a test is
count(test child) - count(baseline child). For perf the runner opens a hardware counter on each
child (user space, inherited by its threads) and reads it after the child exits. For time the
runner measures the child's wall and CPU time; at one run a time-meter request may ask for no
baseline child (``"baseline": "none"``, Runner.run_alone), the host subtracting a null cost it
calibrated on this runner at start instead. The runner enforces wall-clock, CPU, memory and
(perf) instruction limits from outside the child, and kills the child's whole process group.
"""

from __future__ import annotations

import _thread
import ctypes
import ctypes.util
import errno
import gc
import itertools
import json
import os
import resource
import select
import signal
import socket
import stat
import struct
import sys
import time
import types
from importlib import _bootstrap_external  # imported once here: in each child it was ~1.6 ms of CPU

PROTOCOL = 1
#: the largest result (its JSON text) a child may send; larger is refused in the child
MAX_RESULT_BYTES = 16 * 1024 * 1024
STDERR_TAIL_BYTES = 2048
POLL_SECONDS = 0.005
#: the same under valgrind, where a child runs tens of times slower than natively and one pass
#: over its limits (reading /proc) costs the supervising worker about 2 ms of CPU; the CPU-time
#: limit is read at every pass there, so the stop's granularity stays about 20 ms
VALGRIND_POLL_SECONDS = 0.02

# --------------------------------------------------------------------------------------------
# Plain-data codec: the only format in which values cross the sandbox boundary.

TAG = "__effbench__"


class NotPlainData(TypeError):
    """A value that cannot cross the sandbox boundary (custom objects, functions, ...)."""


class ResultTooDeep(NotPlainData):
    """A value nested deeper than MAX_DEPTH: refused in the child, before it reaches the host."""


class ResultTooLarge(NotPlainData):
    """A value whose encoding exceeds MAX_RESULT_BYTES: refused in the child."""


#: bounds on what crosses the boundary: nesting depth, and bytes of the encoded result
MAX_DEPTH = 100
_SCALARS = frozenset({int, float, str, bool, type(None)})


def encode(value, _depth=0):
    """Turn a value into JSON-able plain data, or raise NotPlainData.

    Lists, str-keyed dicts and scalars are plain JSON; tuples, sets, frozensets, other dicts,
    bytes and complex numbers are tagged (``{"__effbench__": "tuple", "items": [...]}``), so that
    their types survive the boundary and each checker decides how strict to be."""
    if _depth > MAX_DEPTH:
        raise ResultTooDeep(f"result nested deeper than {MAX_DEPTH} levels")
    t = type(value)
    if value is None or t is bool or t is int or t is float or t is str:
        return value
    if t is list or t is tuple:
        # lists of scalars (the common answer) are checked at C speed: the encoding is part of
        # every candidate's cost, so it must stay small next to the work
        if _SCALARS.issuperset(map(type, value)):
            items = value if t is list else list(value)
        else:
            items = [encode(v, _depth + 1) for v in value]
        return items if t is list else {TAG: "tuple", "items": items}
    if t is dict:
        if all(type(k) is str for k in value) and TAG not in value:
            return {k: encode(v, _depth + 1) for k, v in value.items()}
        return {TAG: "dict", "items": [[encode(k, _depth + 1), encode(v, _depth + 1)] for k, v in value.items()]}
    if t is set or t is frozenset:
        items = [encode(v, _depth + 1) for v in value]
        items.sort(key=_set_order)
        return {TAG: "set" if t is set else "frozenset", "items": items}
    if t is bytes or t is bytearray:
        return {TAG: "bytes", "hex": bytes(value).hex()}
    if t is complex:
        return {TAG: "complex", "re": value.real, "im": value.imag}
    raise NotPlainData(f"result of type {t.__module__}.{t.__qualname__} is not plain data")


def _set_order(item):
    """A set member's place in its encoding: its JSON text, an int too long for decimal digits
    (Python's default limit, which candidates run under) as its hex tag (see _tag_long_ints)."""
    try:
        return json.dumps(item, sort_keys=True)
    except ValueError:
        return json.dumps(_tag_long_ints(item), sort_keys=True)


def decode(data):
    """Inverse of encode: JSON data back to Python values (tuples, sets, bytes... included).

    A list of scalars (the common argument: thousands of numbers) is returned as it is, checked
    at C speed: decoded one call per item, it was most of a large test's decoding in the worker
    (under valgrind, milliseconds per test; never part of a count: the worker decodes before it
    forks the children)."""
    if isinstance(data, list):
        if _SCALARS.issuperset(map(type, data)):
            return data
        return [decode(v) for v in data]
    if isinstance(data, dict):
        tag = data.get(TAG)
        if tag is None:
            return {k: decode(v) for k, v in data.items()}
        if tag == "dict":
            return {_hashable(decode(k)): decode(v) for k, v in data["items"]}
        if tag == "tuple":
            return tuple(decode(v) for v in data["items"])
        if tag == "set":
            return {_hashable(decode(v)) for v in data["items"]}
        if tag == "frozenset":
            return frozenset(_hashable(decode(v)) for v in data["items"])
        if tag == "bytes":
            return bytes.fromhex(data["hex"])
        if tag == "complex":
            return complex(data["re"], data["im"])
        if tag == "int":  # an int too long for JSON's decimal digits (hex has no digit limit)
            return int(data["hex"], 16)
        raise ValueError(f"unknown tag {tag!r}")
    return data


def _hashable(value):
    return tuple(_hashable(v) for v in value) if isinstance(value, list) else value


# --------------------------------------------------------------------------------------------
# Kernel interfaces through ctypes: seccomp, capabilities, perf_event_open, mounts.


def _load_libc():
    # glibc by its soname first: find_library runs and parses `ldconfig -p`, whose output (and so
    # this process's heap, and so the children's counts) depends on what else is installed
    try:
        return ctypes.CDLL("libc.so.6", use_errno=True)
    except OSError:
        return ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)


_LIBC = _load_libc()
_LIBC.syscall.restype = ctypes.c_long
# not platform.machine(): it caches the whole uname, host name included, and anything that
# differs between machines in this process's heap can shift the children's counts
_MACHINE = (getattr(sys.implementation, "_multiarch", "") or os.uname().machine).split("-")[0]

# syscall numbers (x86_64, aarch64)
_SYSCALLS = {
    "x86_64": {
        "arch": 0xC000003E,
        "mmap": 9,
        "mprotect": 10,
        "shmget": 29,
        "shmat": 30,
        "shmctl": 31,
        "socket": 41,
        "sendmsg": 46,
        "setsockopt": 54,
        "bind": 49,
        "sendmmsg": 307,
        "clone": 56,
        "fork": 57,
        "vfork": 58,
        "execve": 59,
        "kill": 62,
        "semget": 64,
        "semop": 65,
        "semctl": 66,
        "shmdt": 67,
        "msgget": 68,
        "msgsnd": 69,
        "msgrcv": 70,
        "msgctl": 71,
        "ptrace": 101,
        "setsid": 112,
        "setpgid": 109,
        "ioctl": 16,
        "capset": 126,
        "rt_sigqueueinfo": 129,
        "personality": 135,
        "fcntl": 72,
        "flock": 73,
        "sysinfo": 99,
        "ustat": 136,
        "statfs": 137,
        "fstatfs": 138,
        "quotactl": 179,
        "quotactl_fd": 443,
        "madvise": 28,
        "fadvise64": 221,
        "sync": 162,
        "syncfs": 306,
        "setpriority": 141,
        "sched_setparam": 142,
        "sched_setscheduler": 144,
        "prctl": 157,
        "mount": 165,
        "sched_setaffinity": 203,
        "ioprio_set": 251,
        "prlimit64": 302,
        "sched_setattr": 314,
        "tkill": 200,
        "semtimedop": 220,
        "tgkill": 234,
        "mq_open": 240,
        "mq_unlink": 241,
        "mq_timedsend": 242,
        "mq_timedreceive": 243,
        "mq_notify": 244,
        "mq_getsetattr": 245,
        "add_key": 248,
        "request_key": 249,
        "keyctl": 250,
        "unshare": 272,
        "rt_tgsigqueueinfo": 297,
        "perf_event_open": 298,
        "setns": 308,
        "process_vm_readv": 310,
        "process_vm_writev": 311,
        "kcmp": 312,
        "bpf": 321,
        "execveat": 322,
        "userfaultfd": 323,
        "memfd_create": 319,
        "pkey_mprotect": 329,
        "pidfd_send_signal": 424,
        "io_uring_setup": 425,
        "io_uring_enter": 426,
        "io_uring_register": 427,
        "pidfd_open": 434,
        "clone3": 435,
        "pidfd_getfd": 438,
        "process_madvise": 440,
    },
    "aarch64": {
        "arch": 0xC00000B7,
        "fcntl": 25,
        "flock": 32,
        "sysinfo": 179,
        "statfs": 43,
        "fstatfs": 44,
        "quotactl": 60,
        "quotactl_fd": 443,
        "madvise": 233,
        "fadvise64": 223,
        "sync": 81,
        "syncfs": 267,
        "ioprio_set": 30,
        "mount": 40,
        "personality": 92,
        "sched_setparam": 118,
        "sched_setscheduler": 119,
        "sched_setaffinity": 122,
        "setpriority": 140,
        "prlimit64": 261,
        "sched_setattr": 274,
        "unshare": 97,
        "ptrace": 117,
        "kill": 129,
        "setpgid": 154,
        "ioctl": 29,
        "tkill": 130,
        "tgkill": 131,
        "rt_sigqueueinfo": 138,
        "prctl": 167,
        "mq_open": 180,
        "mq_unlink": 181,
        "mq_timedsend": 182,
        "mq_timedreceive": 183,
        "mq_notify": 184,
        "mq_getsetattr": 185,
        "msgget": 186,
        "msgctl": 187,
        "msgrcv": 188,
        "msgsnd": 189,
        "semget": 190,
        "semctl": 191,
        "semtimedop": 192,
        "semop": 193,
        "shmget": 194,
        "shmctl": 195,
        "shmat": 196,
        "shmdt": 197,
        "socket": 198,
        "bind": 200,
        "setsockopt": 208,
        "sendmsg": 211,
        "sendmmsg": 269,
        "add_key": 217,
        "request_key": 218,
        "keyctl": 219,
        "clone": 220,
        "execve": 221,
        "mmap": 222,
        "mprotect": 226,
        "rt_tgsigqueueinfo": 240,
        "perf_event_open": 241,
        "setns": 268,
        "process_vm_readv": 270,
        "process_vm_writev": 271,
        "kcmp": 272,
        "bpf": 280,
        "execveat": 281,
        "userfaultfd": 282,
        "memfd_create": 279,
        "pkey_mprotect": 288,
        "capset": 91,
        "pidfd_send_signal": 424,
        "io_uring_setup": 425,
        "io_uring_enter": 426,
        "io_uring_register": 427,
        "pidfd_open": 434,
        "clone3": 435,
        "pidfd_getfd": 438,
        "process_madvise": 440,
    },
}.get(_MACHINE)

_BPF_LD_W_ABS, _BPF_JEQ, _BPF_JGT, _BPF_JGE, _BPF_JSET, _BPF_RET = 0x20, 0x15, 0x25, 0x35, 0x45, 0x06
_RET_ALLOW = 0x7FFF0000
_RET_KILL = 0x00000000
_X32_SYSCALL_BIT = 0x40000000
_PROT_WRITE, _PROT_EXEC, _MAP_SHARED, _MAP_ANONYMOUS = 2, 4, 0x01, 0x20
#: prctl options a candidate may not use: PR_SET_DUMPABLE (would reopen /proc/self/mem to it),
#: PR_TASK_PERF_EVENTS_DISABLE/ENABLE, PR_SET_MM, PR_SET_PTRACER
_DENIED_PRCTL = (4, 31, 32, 35, 0x59616D61)
#: fcntl's F_SETPIPE_SZ; setsockopt's SOL_SOCKET and its buffer sizes (SO_SNDBUF, SO_RCVBUF,
#: SO_SNDBUFFORCE, SO_RCVBUFFORCE), refused to the test child (see _seccomp_program)
_F_SETPIPE_SZ = 1031
#: fcntl's file locks and leases (F_GETLK, F_SETLK, F_SETLKW, their OFD forms F_OFD_GETLK,
#: F_OFD_SETLK, F_OFD_SETLKW, and F_SETLEASE, F_GETLEASE) and directory notifications (F_NOTIFY),
#: refused to the test child with flock (see _syscall_rules)
_FCNTL_LOCKS = (5, 6, 7, 36, 37, 38, 1024, 1025, 1026)
#: ioctl requests that set who gets a descriptor's I/O signals (FIOSETOWN, SIOCSPGRP)
_IOCTL_SET_OWNER = (0x8901, 0x8902)
_SOL_SOCKET = 1
_SOCKET_BUFFER_OPTIONS = (7, 8, 32, 33)
#: what the test child may not do at all: create processes or run programs, trace or read other
#: processes, count events, load BPF, change namespaces or mounts, signal through pidfds, keep
#: state beyond its own life (System V IPC, POSIX message queues, keyrings), reach around
#: seccomp (io_uring, userfaultfd), or make a file it can map executable (memfd).
#: Nor lock files (flock; fcntl's locks, see _syscall_rules): a lock is seen by every process that
#: opens the file, another runner's children too. Nor read the machine's memory counters (sysinfo:
#: free, shared and buffer memory, the number of processes, the load; os.sysconf("SC_AVPHYS_PAGES")
#: reads it), the /proc/meminfo that the set-up step hides, by a system call. Nor read how full a
#: filesystem is (statfs, fstatfs: os.statvfs, shutil.disk_usage; ustat; quotactl): free and used
#: blocks and inodes that every writer moves. Where the runner has no namespaces, every runner's
#: scratch folders share the machine's /tmp: a red team's child polling os.statvfs(".") saw its
#: free inodes drop by 64 and its free blocks by about 16,000 while a child of another runner,
#: running at the same time, wrote 64 files of 1 MiB (a channel between samples); with them, the
#: machine's disk still moves with every other run and user (tests/threats/test_filesystem_usage.py).
#: Nor drop a file's pages from the machine's page cache (fadvise64: POSIX_FADV_DONTNEED on a file
#: it may only read; madvise's MADV_COLD and MADV_PAGEOUT, see _syscall_rules): the cache is
#: every process's, and a red team's child emptied it of a file the host had just read, which
#: made the page-cache channel one a sample can clear as well as set
#: (tests/threats/test_page_cache_eviction.py).
#: Nor start the machine's writeback (sync, syncfs: every dirty page of other processes' files,
#: written at a candidate's call, which costs it almost no CPU; tests/threats/test_machine_wide_sync.py).
#: Nor name a socket (bind) or send descriptors over one (sendmsg, sendmmsg): a red team bound
#: an AF_UNIX socket to an abstract name holding data and put it, with a socket pair, in flight
#: to itself (SCM_RIGHTS), a cycle that outlived the child until the kernel's collector ran
#: (seconds); a later sample read the name in /proc/self/net/unix and answered without working
#: (eff 1.569 under valgrind; under the time meter a test's first repeat stashed its answer for
#: the others, eff 1.645). A descriptor in flight also kept a scratch tmpfs mounted, moving the
#: next one's device number. Socket pairs and plain send/recv still work (asyncio's own)
_DENIED_SYSCALLS = (
    "bind sendmsg sendmmsg "
    "fork vfork execve execveat ptrace process_vm_readv process_vm_writev process_madvise "
    "perf_event_open bpf unshare setns mount pidfd_send_signal pidfd_open pidfd_getfd "
    "rt_sigqueueinfo rt_tgsigqueueinfo kcmp shmget shmat shmctl shmdt semget semop semctl "
    "semtimedop msgget msgsnd msgrcv msgctl mq_open mq_unlink mq_timedsend mq_timedreceive "
    "mq_notify mq_getsetattr add_key request_key keyctl io_uring_setup io_uring_enter "
    "io_uring_register userfaultfd memfd_create flock sysinfo statfs fstatfs ustat quotactl quotactl_fd "
    "fadvise64 sync syncfs"
).split()
#: madvise's advices that push a mapped file's pages out of the page cache, which every process
#: shares: MADV_COLD, MADV_PAGEOUT
_MADVISE_EVICT = (20, 21)


def _ret_errno(code):
    return 0x00050000 | code


#: what a worker sends to each thread a test child under valgrind left behind, once the child is
#: exiting (see _end_leftover_threads). The child handles it (_on_leftover_thread_signal) so that
#: valgrind lets it interrupt a wait: with no handler, valgrind leaves a signal that does nothing
#: by default (this one) to the kernel, which then interrupts nothing
_LEFTOVER_THREAD_SIGNAL = signal.SIGURG


def _on_leftover_thread_signal(signum, frame):
    """The test child's handler of _LEFTOVER_THREAD_SIGNAL: nothing to do."""


def _arg(i, high=False):
    """Offset of the low (or high) 32 bits of syscall argument i in struct seccomp_data."""
    return 16 + 8 * i + (4 if high else 0)


def _exec_memory_bodies(exec_floor) -> list:
    """``[(name, body), ...]`` for mmap, mprotect and pkey_mprotect: each body (entered with that
    call's number in A) ends at the labels allow / eperm, never falls through.

    No executable memory the candidate could have written. A private read-only executable
    mapping of a file is allowed (the loader mapping a library): the only files a candidate can
    write are on noexec mounts, where the kernel refuses it; memfd is refused elsewhere; a shared
    one could be duplicated (mremap) and made writable. Anything else executable only at or above
    the floor (valgrind's own memory)."""
    out = []
    for name in ("mmap", "mprotect", "pkey_mprotect"):
        floor_check = "floor_" + name
        body = [("ld", _arg(2)), ("jset", _PROT_EXEC, None, "allow")]
        if name == "mmap":
            body += [("jset", _PROT_WRITE, floor_check, None), ("ld", _arg(3))]
            body += [("jset", _MAP_ANONYMOUS | _MAP_SHARED, floor_check, "allow")]
        body.append(("label", floor_check))
        if exec_floor is None:
            body.append(("ret", _ret_errno(errno.EPERM)))
        else:
            high, low = exec_floor >> 32, exec_floor & 0xFFFFFFFF
            body += [("ld", _arg(0, high=True)), ("jgt", high, "allow", None), ("jeq", high, None, "eperm")]
            body += [("ld", _arg(0)), ("jge", low, "allow", "eperm")]
        out.append((name, body))
    return out


def _exec_memory_rules(exec_floor) -> list:
    """BPF rules (ending at the labels allow / eperm) for mmap, mprotect and pkey_mprotect, one
    after the other (the zygote's own filter, install_worker_filter): see _exec_memory_bodies."""
    prog = []
    for name, body in _exec_memory_bodies(exec_floor):
        after = "after_" + name
        prog += [("jeq", _SYSCALLS[name], None, after)] + body + [("label", after), ("ld", 0)]
    return prog


def _syscall_rules(own_pid: int, exec_floor) -> tuple:
    """The children's rules: ``(cases, bodies)``. ``cases`` lists ``(call number, label)`` in
    order of precedence (the first for a number decides); a label is ``eperm``, ``enosys`` or
    the name of a body. ``bodies`` lists ``(name, instructions)``: each is entered with the call's
    number in A and ends at ``allow``, ``eperm`` or a return of its own. A call with no case is
    allowed."""
    nr = _SYSCALLS
    cases = [(nr[name], "eperm") for name in _DENIED_SYSCALLS if name in nr]
    # clone3: ENOSYS makes glibc fall back to clone, whose flags we can inspect
    cases.append((nr["clone3"], "enosys"))
    bodies = []
    # clone: only threads (CLONE_THREAD) may be created
    bodies.append(("clone", [("ld", _arg(0)), ("jset", 0x00010000, "allow", "eperm")]))
    # kill / tkill / tgkill: only to itself (or its own process group, pid 0)
    for name in ("kill", "tgkill", "tkill"):
        body = [("ld", _arg(0)), ("jeq", own_pid, "allow", None)]
        if name == "kill":
            body += [("jeq", 0, "allow", None), ("jeq", (-own_pid) & 0xFFFFFFFF, "allow", "eperm")]
        else:
            # tkill and tgkill: this process's own threads only (tkill's first argument names a
            # thread of any process, so only its own main thread). Valgrind ends a process's
            # other threads at exit with tkill: refused here, the worker gets them out of their
            # waits instead (see _end_leftover_threads)
            body.append(("ret", _ret_errno(errno.EPERM)))
        bodies.append((name, body))
    # setpgid: only a group of its own (setpgid(0, 0) or its pid). kill(0, ...) signals the caller's
    # process group, allowed above as this process alone: a red team's child joined the group of a
    # later repeat's child, waiting to be let go (same session, same user), blocked SIGTERM,
    # sent it to its group, left again, and answered; the later repeats died before their set-up
    # finished and the request failed as the harness's (infra, unscored; time meter, 3 repeats)
    bodies.append(("setpgid", [("ld", _arg(1)), ("jeq", 0, "allow", None), ("jeq", own_pid, "allow", "eperm")]))
    # calls that change another process of the same user (the kernel checks no more than the
    # uid): its resource limits, scheduling, priorities. A test's repeats are forked and set up
    # before the first is let go, with one uid and fixed pids: a red team's first repeat wrote its
    # answer into the later repeats' RLIMIT_LOCKS and they answered from it (time meter: every
    # cost 0, eff 1.70 against the expert's 1.1). Only this process (pid 0 or its own) here
    for name in ("prlimit64", "sched_setparam", "sched_setscheduler", "sched_setaffinity", "sched_setattr"):
        bodies.append((name, [("ld", _arg(0)), ("jeq", 0, "allow", None), ("jeq", own_pid, "allow", "eperm")]))
    # setpriority(which, who, prio), ioprio_set(which, who, prio): PRIO_PROCESS (0) or
    # IOPRIO_WHO_PROCESS (1) of this process only (never a process group or a user)
    for name, of_process in (("setpriority", 0), ("ioprio_set", 1)):
        body = [("ld", _arg(0)), ("jeq", of_process, None, "eperm")]
        body += [("ld", _arg(1)), ("jeq", 0, "allow", None), ("jeq", own_pid, "allow", "eperm")]
        bodies.append((name, body))
    # fcntl: not F_SETOWN (8), F_SETSIG (10) or F_SETOWN_EX (15): a descriptor's I/O signal
    # sent to another process of the same user (the kernel checks no more), a kill past the kill
    # rule above (a red team's candidate ended its own next repeat, waiting to be let go, and the
    # request failed as the harness's, unscored)
    # Nor F_SETPIPE_SZ (1031): see setsockopt below
    # Nor file locks, leases or directory notifications (_FCNTL_LOCKS; flock is refused above;
    # F_NOTIFY's DN_ACCESS signals a child whenever any process reads a file of a directory every
    # runner sees: another runner's child sent bits by reading or not): a lock lives on the inode,
    # and every runner sees the machine's files (read-only, but a read lock needs no more, nor does
    # flock), so two test children running at the same time in two runners passed data through
    # locks on one file: a read lock at an offset of the writer's choosing, 2**63 values in its
    # length, read back by the other with F_GETLK (a red team, rt-cand: 123456789 read across,
    # time meter, two workers). A sample that waits (free: sleeping costs no instructions and no
    # CPU) for another sample on the same input to publish its answer would answer without working
    body = [("ld", _arg(1))]
    body += [("jeq", cmd, "eperm", None) for cmd in (8, 10, 15, _F_SETPIPE_SZ, *_FCNTL_LOCKS)]
    bodies.append(("fcntl", body + [("ret", _RET_ALLOW)]))
    # setsockopt: not the sizes of a socket's buffers (SOL_SOCKET's SO_SNDBUF, SO_RCVBUF and their
    # FORCE variants). What a child queues in kernel buffers (sockets, pipes) is no part of its
    # resident set, which the memory limit watches: a red team's child held 1.5 GB in 96 socket
    # pairs with buffers raised to the machine's maximum (4 MiB here, doubled by the kernel),
    # under a 1 GiB memory limit, peak 1.4 MB reported. With the buffers at the machine's
    # default and at most 64 descriptors (child_rlimits), a child holds a few tens of MB there
    body = [("ld", _arg(1)), ("jeq", _SOL_SOCKET, None, "allow"), ("ld", _arg(2))]
    body += [("jeq", option, "eperm", None) for option in _SOCKET_BUFFER_OPTIONS]
    bodies.append(("setsockopt", body + [("ret", _RET_ALLOW)]))
    # ioctl: not FIOSETOWN or SIOCSPGRP, F_SETOWN by another name: the red team's fcntl attack
    # again (a socket's owner set to a later repeat's child, FIOASYNC, one byte sent: it died of
    # SIGIO waiting to be let go, the request failed as the harness's, unscored)
    body = [("ld", _arg(1))] + [("jeq", request, "eperm", None) for request in _IOCTL_SET_OWNER]
    bodies.append(("ioctl", body + [("ret", _RET_ALLOW)]))
    # prctl: not the options that would reopen the process to itself or others
    body = [("ld", _arg(0))] + [("jeq", option, "eperm", None) for option in _DENIED_PRCTL]
    bodies.append(("prctl", body + [("ret", _RET_ALLOW)]))
    # madvise: not MADV_COLD or MADV_PAGEOUT (_MADVISE_EVICT): on a mapping of a file it may only
    # read, they drop or queue to drop its pages from the machine's page cache
    body = [("ld", _arg(2))] + [("jeq", advice, "eperm", None) for advice in _MADVISE_EVICT]
    bodies.append(("madvise", body + [("ret", _RET_ALLOW)]))
    # personality: queries only (READ_IMPLIES_EXEC would make readable memory executable)
    bodies.append(("personality", [("ld", _arg(0)), ("jeq", 0xFFFFFFFF, "allow", "eperm")]))
    bodies += _exec_memory_bodies(exec_floor)
    # socket: AF_UNIX only
    bodies.append(("socket", [("ld", _arg(0)), ("jeq", 1, "allow", "eperm")]))
    cases += [(nr[name], "body_" + name) for name, _ in bodies]
    return cases, [("body_" + name, body) for name, body in bodies]


def _dispatch(cases: list, default: str) -> list:
    """Instructions that jump, with the call number in A, to the label of its first case in
    ``cases`` (``(number, label)``), or to ``default``: a search tree of ``jge`` over the sorted
    numbers, with up to three ``jeq`` at each leaf. Any number is decided in at most
    ``2 + log2(len(cases))`` instructions, where a chain of ``jeq`` takes one per case ahead of
    it: the kernel runs the filter over every call number when it installs it (to cache the calls
    it always allows), so a shorter path per number is a cheaper install."""
    first = {}
    for number, label in cases:
        first.setdefault(number, label)
    prog = []

    def build(items, name):
        if len(items) <= 3:
            for i, (number, label) in enumerate(items):
                prog.append(("jeq", number, label, default if i == len(items) - 1 else None))
            return
        mid = len(items) // 2
        prog.append(("jge", items[mid][0], name + "r", None))
        build(items[:mid], name + "l")
        prog.append(("label", name + "r"))
        build(items[mid:], name + "r")

    if first:
        build(sorted(first.items()), "dispatch_")
    else:
        prog.append(("jeq", 0, default, default))
    return prog


def _seccomp_program(own_pid: int, exec_floor, chain=False) -> list:
    """A BPF program as a list of (code, jt, jf, k); jumps are resolved from labels.

    ``exec_floor``: where valgrind's own memory begins (its translation cache is mapped
    executable there); see _exec_memory_rules: machine code the candidate wrote itself (which
    could run unseen by the meter, e.g. through valgrind's client requests) never runs.

    The rules are _syscall_rules'; the call number picks its rule through a search tree
    (_dispatch). ``chain`` True: the same rules as a chain of ``jeq``, one after another, as the
    filter was before the tree (for tests/threats/test_seccomp_layer.py, which checks that both
    decide every call alike)."""
    nr = _SYSCALLS
    cases, bodies = _syscall_rules(own_pid, exec_floor)
    # a jump reaches 255 instructions at most: the tree's jumps to a return land on near copies
    near = {} if chain else {"eperm": "eperm_near", "enosys": "enosys_near", "kill": "kill_near"}
    prog = [("ld", 4), ("jeq", nr["arch"], None, near.get("kill", "kill")), ("ld", 0)]
    if _MACHINE == "x86_64":  # the x32 ABI numbers the same calls differently: none of them
        prog.append(("jge", _X32_SYSCALL_BIT, near.get("eperm", "eperm"), None))
    if chain:
        where = dict(bodies)
        for i, (number, label) in enumerate(cases):
            if label in where:
                after = f"after_{i}"
                prog += [("jeq", number, None, after)] + where[label] + [("label", after), ("ld", 0)]
            else:
                prog.append(("jeq", number, label, None))
        prog.append(("ret", _RET_ALLOW))
    else:
        prog += _dispatch([(number, near.get(label, label)) for number, label in cases], "allow_near")
        prog += [("label", "allow_near"), ("ret", _RET_ALLOW), ("label", "eperm_near")]
        prog += [("ret", _ret_errno(errno.EPERM)), ("label", "enosys_near"), ("ret", _ret_errno(errno.ENOSYS))]
        prog += [("label", "kill_near"), ("ret", _RET_KILL)]
        for label, body in bodies:
            prog += [("label", label)] + body
    prog += [
        ("label", "allow"),
        ("ret", _RET_ALLOW),
        ("label", "eperm"),
        ("ret", _ret_errno(errno.EPERM)),
        ("label", "enosys"),
        ("ret", _ret_errno(errno.ENOSYS)),
        ("label", "kill"),
        ("ret", _RET_KILL),
    ]
    return prog


_JUMPS = {"jeq": _BPF_JEQ, "jgt": _BPF_JGT, "jge": _BPF_JGE, "jset": _BPF_JSET}


def _assemble(prog: list) -> bytes:
    labels, index = {}, 0
    for item in prog:
        if item[0] == "label":
            labels[item[1]] = index
        else:
            index += 1
    out, index = [], 0
    for item in prog:
        op = item[0]
        if op == "label":
            continue
        if op == "ld":
            out.append(struct.pack("HBBI", _BPF_LD_W_ABS, 0, 0, item[1]))
        elif op == "ret":
            out.append(struct.pack("HBBI", _BPF_RET, 0, 0, item[1]))
        else:
            jt = 0 if item[2] is None else labels[item[2]] - index - 1
            jf = 0 if item[3] is None else labels[item[3]] - index - 1
            if not (0 <= jt < 256 and 0 <= jf < 256):
                raise ValueError("BPF jump out of range")
            out.append(struct.pack("HBBI", _JUMPS[op], jt, jf, item[1]))
        index += 1
    return b"".join(out)


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


_PID_PLACEHOLDER = 0x3FFFFFF1  # above any pid_max; patched with the child's pid after fork
#: the assembled filter, for the exec floor this runner found at start (see exec_floor())
_SECCOMP_TEMPLATE = b""
#: byte offsets in _SECCOMP_TEMPLATE of the k fields holding the pid, and of those holding -pid
_PID_SLOTS: tuple = ()
_NEGATED_PID_SLOTS: tuple = ()


def prepare_seccomp(exec_floor) -> None:
    """Assemble the children's filter once, in the zygote (every child patches in its pid)."""
    global _SECCOMP_TEMPLATE, _PID_SLOTS, _NEGATED_PID_SLOTS
    if _SYSCALLS is None:
        return
    code = _assemble(_seccomp_program(_PID_PLACEHOLDER, exec_floor))
    slots = []
    for value in (_PID_PLACEHOLDER, (-_PID_PLACEHOLDER) & 0xFFFFFFFF):
        word = struct.pack("I", value)
        # a BPF instruction is 8 bytes, its k field the last 4; the value must be nowhere else
        found = tuple(off for off in range(4, len(code), 8) if code[off : off + 4] == word)
        if len(found) != code.count(word):
            raise OSError(errno.EINVAL, "the pid placeholder is not only in k fields")
        slots.append(found)
    _SECCOMP_TEMPLATE, (_PID_SLOTS, _NEGATED_PID_SLOTS) = code, slots


def _seccomp_fprog(own_pid: int):
    """The children's filter with ``own_pid`` written into its fixed slots: the same steps for
    every pid (a search-and-replace would do more or less work depending on the pid's bytes,
    and that work is part of the child's count)."""
    buf = ctypes.create_string_buffer(_SECCOMP_TEMPLATE, len(_SECCOMP_TEMPLATE))
    for off in _PID_SLOTS:
        struct.pack_into("I", buf, off, own_pid)
    negated = (-own_pid) & 0xFFFFFFFF
    for off in _NEGATED_PID_SLOTS:
        struct.pack_into("I", buf, off, negated)
    return buf, _SockFprog(len(_SECCOMP_TEMPLATE) // 8, ctypes.addressof(buf))


def install_worker_filter(exec_floor) -> None:
    """The zygote's own filter, installed once before its first fork (see serve), inherited by
    every worker and child: only the executable-memory rules. Valgrind may grow the brk segment
    rwx while a process allocates; with this filter that growth is refused (glibc then maps its
    heap elsewhere), so no worker or child ever holds writable+executable memory."""
    if _SYSCALLS is None:
        return
    prog = [("ld", 4), ("jeq", _SYSCALLS["arch"], None, "kill"), ("ld", 0)]
    prog += _exec_memory_rules(exec_floor)
    prog += [("label", "allow"), ("ret", _RET_ALLOW), ("label", "eperm"), ("ret", _ret_errno(errno.EPERM))]
    prog += [("label", "kill"), ("ret", _RET_KILL)]
    code = _assemble(prog)
    buf = ctypes.create_string_buffer(code, len(code))
    fprog = _SockFprog(len(code) // 8, ctypes.addressof(buf))
    if _LIBC.prctl(38, 1, 0, 0, 0) != 0 or _LIBC.prctl(22, 2, ctypes.byref(fprog), 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "worker seccomp filter")


def install_seccomp(own_pid: int) -> None:
    """Deny process creation, exec, tracing, counters, foreign signals, lasting IPC, new
    executable memory and non-local sockets (the filter prepared by prepare_seccomp)."""
    if _SYSCALLS is None or not _SECCOMP_TEMPLATE:
        raise OSError(errno.ENOSYS, f"no seccomp table for {_MACHINE}")
    _buf, prog = _seccomp_fprog(own_pid)
    if _LIBC.prctl(38, 1, 0, 0, 0) != 0:  # PR_SET_NO_NEW_PRIVS
        raise OSError(ctypes.get_errno(), "PR_SET_NO_NEW_PRIVS failed")
    if _LIBC.prctl(22, 2, ctypes.byref(prog), 0, 0) != 0:  # PR_SET_SECCOMP, FILTER
        raise OSError(ctypes.get_errno(), "PR_SET_SECCOMP failed")


def drop_capabilities() -> None:
    """Clear every capability (matters when the child runs as root, real or in a user namespace)."""
    if _SYSCALLS is None:
        return
    header = struct.pack("Ii", 0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3, this process
    data = bytes(24)  # two empty __user_cap_data_struct
    hbuf, dbuf = ctypes.create_string_buffer(header, 8), ctypes.create_string_buffer(data, 24)
    if _LIBC.syscall(_SYSCALLS["capset"], hbuf, dbuf) != 0:
        raise OSError(ctypes.get_errno(), "capset failed")


def set_parent_death_signal() -> None:
    """PR_SET_PDEATHSIG SIGKILL: this process dies with its parent (no-new-privs is set with the
    seccomp filter, see install_seccomp and install_worker_filter)."""
    _LIBC.prctl(1, signal.SIGKILL, 0, 0, 0)


def set_not_dumpable() -> None:
    """PR_SET_DUMPABLE 0: this process's /proc files (fd/, mem, ...) belong to root, so a child
    without capabilities cannot open the runner's descriptors or memory through /proc."""
    _LIBC.prctl(4, 0, 0, 0, 0)


#: the user a test child runs as when the runner is root: no file of the runner's (its copy, its
#: working folder) nor of the host is its own, so it can change none of them, and (not dumpable)
#: it cannot open its own /proc/self/mem either
CHILD_UID = 65533


def _uid_mapped(uid: int) -> bool:
    try:
        with open("/proc/self/uid_map") as f:
            for line in f:
                inner, _outer, count = (int(x) for x in line.split())
                if inner <= uid < inner + count:
                    return True
    except (OSError, ValueError):
        pass
    return False


def child_user():
    """CHILD_UID when this runner can become it (root, and the uid mapped in its namespace)."""
    return CHILD_UID if os.geteuid() == 0 and _uid_mapped(CHILD_UID) else None


def become_child_user(uid) -> None:
    """In a test child: no groups, the child uid (credentials change: capabilities and the
    parent-death signal are cleared, so those are set after this)."""
    if uid is None:
        return
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)


def _maps():
    """(start, end, perms, path) of every mapping of this process."""
    out = []
    with open("/proc/self/maps") as f:
        for line in f:
            parts = line.split()
            start, end = (int(x, 16) for x in parts[0].split("-"))
            out.append((start, end, parts[1], parts[5] if len(parts) > 5 else ""))
    return out


def exec_floor(meter):
    """Under valgrind: where valgrind's own memory starts (its translation cache, mapped rwx,
    lies above every client mapping), after removing execute permission from the client's
    writable+executable regions (valgrind maps the client's brk segment rwx). Elsewhere None:
    no new executable memory at all. Raises OSError when the layout is not the expected one."""
    global _EXEC_FLOOR
    if meter != "valgrind":
        return None
    own = [start for start, _end, perms, path in _maps() if perms.startswith("rwx") and not path and start >= 1 << 32]
    if not own:
        raise OSError(errno.EINVAL, "valgrind's translation cache not found in /proc/self/maps")
    _EXEC_FLOOR = min(own)
    strip_exec_below_floor()
    return _EXEC_FLOOR


#: see exec_floor (None: not under valgrind)
_EXEC_FLOOR = None


def strip_exec_below_floor() -> None:
    """Take execute permission off every writable+executable client region: in the zygote, at
    its set-up and before its filter (see install_worker_filter)."""
    if _EXEC_FLOOR is None:
        return
    for start, end, perms, _path in _maps():
        if perms.startswith("rwx") and start < _EXEC_FLOOR:
            if _LIBC.mprotect(ctypes.c_void_p(start), ctypes.c_size_t(end - start), 3) != 0:  # READ|WRITE
                raise OSError(ctypes.get_errno(), f"mprotect {start:#x}-{end:#x}")


class _PerfEventAttr(ctypes.Structure):
    _fields_ = [
        ("type", ctypes.c_uint32),
        ("size", ctypes.c_uint32),
        ("config", ctypes.c_uint64),
        ("sample_period", ctypes.c_uint64),
        ("sample_type", ctypes.c_uint64),
        ("read_format", ctypes.c_uint64),
        ("flags", ctypes.c_uint64),
        ("wakeup_events", ctypes.c_uint32),
        ("bp_type", ctypes.c_uint32),
        ("config1", ctypes.c_uint64),
        ("config2", ctypes.c_uint64),
        ("branch_sample_type", ctypes.c_uint64),
        ("sample_regs_user", ctypes.c_uint64),
        ("sample_stack_user", ctypes.c_uint32),
        ("clockid", ctypes.c_int32),
        ("sample_regs_intr", ctypes.c_uint64),
        ("aux_watermark", ctypes.c_uint32),
        ("sample_max_stack", ctypes.c_uint16),
        ("reserved", ctypes.c_uint16),
    ]


PERF_EVENTS = {
    # name: (type, config)
    "instructions": (0, 1),  # PERF_TYPE_HARDWARE, PERF_COUNT_HW_INSTRUCTIONS
    "task-clock": (1, 1),  # PERF_TYPE_SOFTWARE, PERF_COUNT_SW_TASK_CLOCK (ns)
    "page-faults": (1, 2),
}
_PERF_NR = {"x86_64": 298, "aarch64": 241}.get(_MACHINE)
_PERF_FLAG_DISABLED, _PERF_FLAG_INHERIT = 1 << 0, 1 << 1
_PERF_FLAG_EXCLUDE_KERNEL, _PERF_FLAG_EXCLUDE_HV = 1 << 5, 1 << 6
_PERF_FORMAT_TIMES = 1 | 2  # TOTAL_TIME_ENABLED | TOTAL_TIME_RUNNING
_PERF_IOC_ENABLE, _PERF_IOC_DISABLE = 0x2400, 0x2401


def perf_open(event: str, pid: int) -> int:
    """Open a user-space counter on pid (inherited by its threads and children), disabled."""
    if _PERF_NR is None:
        raise OSError(errno.ENOSYS, f"perf_event_open unknown on {_MACHINE}")
    etype, config = PERF_EVENTS[event]
    attr = _PerfEventAttr()
    attr.type, attr.size, attr.config = etype, ctypes.sizeof(_PerfEventAttr), config
    attr.read_format = _PERF_FORMAT_TIMES
    attr.flags = _PERF_FLAG_DISABLED | _PERF_FLAG_INHERIT | _PERF_FLAG_EXCLUDE_KERNEL | _PERF_FLAG_EXCLUDE_HV
    fd = _LIBC.syscall(_PERF_NR, ctypes.byref(attr), pid, -1, -1, 8)  # PERF_FLAG_FD_CLOEXEC
    if fd < 0:
        err = ctypes.get_errno()
        raise OSError(err, f"perf_event_open({event}): {os.strerror(err)}")
    return int(fd)


def perf_read(fd: int):
    """(value scaled for multiplexing, multiplexed?)"""
    value, enabled, running = struct.unpack("QQQ", os.read(fd, 24))
    if running and running < enabled:
        return int(value * enabled / running), True
    return value, False


def perf_ioctl(fd: int, request: int) -> None:
    import fcntl

    fcntl.ioctl(fd, request, 0)


def perf_selftest(event: str) -> dict:
    """Can we count `event` for a child process? Returns facts for the host's meter choice."""
    try:
        fd = perf_open(event, 0)
    except OSError as exc:
        return {"ok": False, "reason": str(exc)}
    try:
        perf_ioctl(fd, _PERF_IOC_ENABLE)
        x = 0
        for i in range(200_000):
            x += i
        perf_ioctl(fd, _PERF_IOC_DISABLE)
        value, multiplexed = perf_read(fd)
    finally:
        os.close(fd)
    if value <= 0:
        return {"ok": False, "reason": f"{event} counter reads {value} after a busy loop"}
    return {"ok": True, "value": value, "multiplexed": multiplexed}


_MS_RDONLY, _MS_NOSUID, _MS_NODEV, _MS_NOEXEC, _MS_REMOUNT, _MS_NOATIME = 1, 2, 4, 8, 32, 1024
_MS_BIND, _MS_MOVE, _MS_REC = 4096, 8192, 16384
#: the preloaded allocator's name beside the runner's copy (see --preload)
ALLOCATOR_NAME = "effalloc.so"
#: the folder beside the runner's copy that holds the stripped libpython (see --library)
LIBRARY_FOLDER = "lib"


def mount_tmpfs(path: str, size: str, readonly: bool) -> None:
    flags = _MS_NOSUID | _MS_NODEV | _MS_NOEXEC | (_MS_RDONLY if readonly else 0)
    _mount("tmpfs", path, "tmpfs", flags, f"size={size},mode=0755")


#: /proc's options in the runner's PID namespace (the local backend's, --rootfs's and the docker
#: backend's container's, see enter_own_namespaces): a process sees no other process's /proc files
#: unless it may trace it. Test children (their own user, not dumpable, no capabilities) see
#: only their own: the runner's and its workers' files told a later request what an earlier one
#: did (a red team read the zygote's cminflt, the minor page faults of every worker it had
#: reaped, and answered a test right only after a sample of its own had touched a chosen number
#: of pages: reward 0.67 against 0 alone; start times and CPU totals said as much).
#: ``subset=pid``: /proc has the processes' folders and nothing else. Its machine-wide files are
#: counters that every process moves and any could read: forks and context switches
#: (/proc/stat), page faults (/proc/vmstat), free and cached memory (/proc/meminfo), inodes and
#: open files (/proc/sys/fs), interrupts, the load; on a quiet machine an earlier sample moved
#: them by amounts of its choosing and a later one read them back. The runner's /proc/sys is gone
#: with them: the set-up step hands it ns_last_pid first (keep_last_pid_for_the_runner)
_PROC_OPTIONS = "hidepid=invisible,subset=pid"


def hide_other_processes() -> None:
    """In the set-up step: mount a new /proc of this PID namespace, with _PROC_OPTIONS, over the
    one there, where the mount is allowed (a container without namespaces of its own refuses it;
    the runner's hello says whether it holds: processes_hidden, machine_files_hidden).

    A new mount, not a remount: each proc mount is its own instance with its own cache of
    names, and a remount with subset=pid still answered every name looked up before it (measured:
    /proc/sys stayed readable after keep_last_pid_for_the_runner had opened ns_last_pid)."""
    try:
        _mount("proc", "/proc", "proc", _MS_NOSUID | _MS_NODEV | _MS_NOEXEC, _PROC_OPTIONS)
    except OSError:
        pass


def _proc_options() -> list:
    """The options of the last proc mount on /proc (the one on top, which is what paths reach);
    [] when they cannot be read."""
    options = []
    try:
        with open("/proc/self/mountinfo") as f:
            for line in f:
                fields = line.split()
                if fields[4] == "/proc" and fields[fields.index("-") + 1] == "proc":
                    options = fields[-1].split(",")
    except (OSError, ValueError, IndexError):
        return []
    return options


def processes_hidden() -> bool:
    """Whether /proc here hides other processes (hidepid=invisible, or 2 as older kernels say)."""
    options = _proc_options()
    return "hidepid=invisible" in options or "hidepid=2" in options


def machine_files_hidden() -> bool:
    """Whether /proc here has only the processes' folders (subset=pid: no machine-wide files)."""
    return "subset=pid" in _proc_options()


def _mount(source, target: str, fstype, flags: int, data=None) -> None:
    enc = lambda v: v.encode() if isinstance(v, str) else v  # noqa: E731
    if _LIBC.mount(enc(source), enc(target), enc(fstype), flags, enc(data)) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"mount {source or fstype} on {target}: {os.strerror(err)}")


def bind_dev_null(path: str) -> None:
    _mount("/dev/null", path, None, _MS_BIND)


#: the device nodes a container gets, bound from the host into a root filesystem's /dev
_DEVICES = ("null", "zero", "full", "random", "urandom", "tty")


def populate_dev(dev: str) -> None:
    """Mount a tmpfs on ``dev`` holding this machine's null, zero, full, random, urandom and tty
    (bound from /dev), an empty shm folder and the fd, stdin, stdout and stderr links: the /dev of
    the docker backend's container. Runs as (namespace) root, in the set-up step."""
    _mount("tmpfs", dev, "tmpfs", _MS_NOSUID | _MS_NOEXEC, "size=64k,mode=0755")
    for name in _DEVICES:
        open(f"{dev}/{name}", "w").close()
        _mount(f"/dev/{name}", f"{dev}/{name}", None, _MS_BIND)
    os.mkdir(dev + "/shm", 0o755)  # nothing of a test child's may outlive it
    for name, target in (
        ("fd", "/proc/self/fd"),
        ("stdin", "/proc/self/fd/0"),
        ("stdout", "/proc/self/fd/1"),
        ("stderr", "/proc/self/fd/2"),
    ):
        os.symlink(target, f"{dev}/{name}")


def replace_dev() -> None:
    """In the local backend's set-up step, once /tmp is private: /dev becomes populate_dev's,
    read-only, in place of the machine's (a test child saw its 108 entries: the kernel's log
    device, fuse, kvm, loop and disk devices, the console; each refused to it by its mode alone,
    and on another machine's settings, dmesg_restrict=0, the kernel's log would be readable,
    which a donor can write to by crashing with an address of its choosing)."""
    stage = "/tmp/.effbench-dev"
    os.mkdir(stage, 0o755)
    populate_dev(stage)
    _mount(None, stage, None, _MS_REMOUNT | _MS_RDONLY | _MS_NOSUID | _MS_NOEXEC, "size=64k,mode=0755")
    _mount(stage, "/dev", None, _MS_MOVE)
    os.rmdir(stage)


#: unshare(2) flags of the sandbox's own namespaces (see enter_own_namespaces)
_CLONE_NEWNS, _CLONE_NEWUTS, _CLONE_NEWUSER, _CLONE_NEWPID, _CLONE_NEWNET = (
    0x00020000,
    0x04000000,
    0x10000000,
    0x20000000,
    0x40000000,
)
_MS_PRIVATE = 1 << 18
#: the user namespace's ids 0..NAMESPACE_IDS-1 are NAMESPACE_ID_BASE.. outside it: its root (the
#: runner) and the test children's user are nobody's outside, never the machine's root
NAMESPACE_ID_BASE = 100000
NAMESPACE_IDS = 65536


def enter_own_namespaces(keep=None):
    """In the set-up step of the docker backend's container (its pid 1) and of ``--rootfs`` run
    by root: new user, mount, PID, UTS and network namespaces, as ``unshare --user --mount --pid
    --uts --net --fork`` makes them, so that the rest of the set-up (a fresh /proc with hidepid,
    fixed pids, an empty /sys, a container's /dev, a private /tmp) runs as it does in the local
    backend. Returns in the new PID namespace's pid 1; the calling process waits for it and exits
    with its status (it never returns).

    The user namespace maps ids 0..65535 inside to NAMESPACE_ID_BASE.. outside, written by this
    process (CAP_SETUID and CAP_SETGID, which the container keeps for the runner) into the
    child's uid_map and gid_map: inside, the runner is root of namespaces of its own; outside, it
    is an unprivileged user, never the machine's root (mapping the machine's root would need
    CAP_SETFCAP, and a machine-root process could write the machine's /proc/sys where a mount
    lets it). This process then gives up its own privileges (user 65534 outside) while it waits.

    ``keep``: a folder to open (O_PATH) in the new mount namespace before this process becomes the
    namespace's root, which may not walk the folders above it (the cache is under /root when root
    runs --rootfs). Returns its descriptor's path (``/proc/self/fd/N``), or None.

    Raises OSError (nothing changed) when the kernel or the engine's seccomp profile refuses the
    namespaces."""
    ready_r, ready_w = os.pipe()
    go_r, go_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(ready_r)
        os.close(go_w)
        flags = _CLONE_NEWUSER | _CLONE_NEWNS | _CLONE_NEWPID | _CLONE_NEWUTS | _CLONE_NEWNET
        if _LIBC.unshare(flags) != 0:
            os.write(ready_w, b"unshare(user, mount, pid, uts, net): " + os.strerror(ctypes.get_errno()).encode())
            os._exit(3)
        os.write(ready_w, b"1")
        os.close(ready_w)
        if os.read(go_r, 1) != b"1":
            os._exit(3)
        os.close(go_r)
        set_parent_death_signal()
        # still the caller's ids (unmapped here): a descriptor of this mount namespace's
        kept = None if keep is None else f"/proc/self/fd/{os.open(keep, os.O_PATH | os.O_DIRECTORY)}"
        os.setresgid(0, 0, 0)
        os.setgroups([])
        os.setresuid(0, 0, 0)
        _mount(None, "/", None, _MS_REC | _MS_PRIVATE)
        inner = os.fork()
        if inner == 0:
            set_parent_death_signal()
            return kept  # pid 1 of the new PID namespace: the set-up goes on
        _, status = os.waitpid(inner, 0)
        os._exit(os.waitstatus_to_exitcode(status) & 0xFF)
    os.close(ready_w)
    os.close(go_r)
    said = os.read(ready_r, 4096)
    os.close(ready_r)
    if said != b"1":
        os.waitpid(pid, 0)
        raise OSError(errno.EPERM, said.decode(errors="replace") or "the namespaces' child died")
    try:
        for name in ("uid_map", "gid_map"):
            with open(f"/proc/{pid}/{name}", "w") as f:
                f.write(f"0 {NAMESPACE_ID_BASE} {NAMESPACE_IDS}\n")
    except OSError as exc:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        raise OSError(exc.errno, f"writing the user namespace's {name}: {exc.strerror}") from None
    os.write(go_w, b"1")
    os.close(go_w)
    # nothing more to do than wait: no privilege left (user nobody, no capabilities)
    os.setgroups([])
    os.setresgid(65534, 65534, 65534)
    os.setresuid(65534, 65534, 65534)
    _, status = os.waitpid(pid, 0)
    os._exit(os.waitstatus_to_exitcode(status) & 0xFF)


def enter_rootfs(export: str) -> None:
    """Make an exported image (``effbench sandbox export``: ``tree/``, ``empty/``) this mount
    namespace's root, laid out like the docker backend's container: the tree read-only, a tmpfs
    /dev holding the host's null, zero, full, random, urandom and tty, a fresh /proc for this PID
    namespace. Runs as (namespace) root, before exec; the set-up step then finishes it as it does
    the container (a /proc with hidepid, an empty /sys, a private /tmp, a read-only /dev).

    The tree is mounted as a read-only overlay (its two lower layers on one file system, as a
    container's are), not bound: a bind mount keeps the disk's device number (254:0 is 65024), an
    overlay gets a small anonymous one, and CPython caches ints up to 256, so each ``os.stat`` (an
    import makes several) would allocate one int more than in the container and shift the counts."""
    tree, empty = os.path.join(export, "tree"), os.path.join(export, "empty")
    _mount("tmpfs", "/tmp", "tmpfs", _MS_NOSUID | _MS_NODEV, "size=64k,mode=0700")  # this namespace's
    root = "/tmp/rootfs"
    os.mkdir(root)
    try:
        if ":" in export or "," in export:
            raise OSError(22, "path not usable as an overlay layer")
        _mount("overlay", root, "overlay", _MS_RDONLY | _MS_NOSUID | _MS_NODEV, f"lowerdir={tree}:{empty}")
    except OSError:
        _mount(tree, root, None, _MS_BIND | _MS_REC)
        _mount(None, root, None, _MS_REMOUNT | _MS_BIND | _MS_RDONLY | _MS_NOSUID | _MS_NODEV)
    populate_dev(root + "/dev")
    _mount("proc", root + "/proc", "proc", _MS_NOSUID | _MS_NODEV | _MS_NOEXEC)
    os.chroot(root)
    os.chdir("/")


# --------------------------------------------------------------------------------------------
# The child: everything after fork runs here, and all of it is the candidate's cost (the
# baseline child runs the same routine with a null candidate, so the host can subtract it).

NULL_CODE = "def _effbench_null(*args):\n    return None\n"


#: the test child's thread switch interval, seconds (see _child)
_SWITCH_INTERVAL = 1e6
_DEFAULT_MAX_STR_DIGITS = getattr(sys.int_info, "default_max_str_digits", 4300)
_FFI_MODULES = ("ctypes", "_ctypes", "ctypes._endian", "ctypes.util", "ctypes.wintypes", "ctypes.macholib")


def _tag_long_ints(data):
    if type(data) is int:
        return data if data.bit_length() < 13000 else {TAG: "int", "hex": format(data, "x")}
    if type(data) is list:
        return [_tag_long_ints(v) for v in data]
    if type(data) is dict:
        return {k: _tag_long_ints(v) for k, v in data.items()}
    return data


#: built once, in the zygote: json.dumps would build an encoder on every call
_RESULT_ENCODER = json.JSONEncoder(separators=(",", ":"))
_encode_str = json.encoder.encode_basestring_ascii


def _dumps_result(data):
    """JSON text of an encoded result: integers too long for decimal digits (Python's default
    limit, which candidates run under) are tagged as hex, which the host parses in linear time.

    Short for scalars: this is the end of every measured span, and a candidate may skip it by
    writing its answer on the result pipe itself and exiting (it is the same process, nothing can
    tell the two writes apart), so whatever this costs beyond such a write is credit a candidate
    can take; it is kept to a few hundred instructions (a list or dict: _dumps_answer;
    tests/threats/test_answer_written_by_hand.py measures the gain)."""
    t = type(data)
    try:
        if t is int:
            return int.__repr__(data)
        if t is str:
            return _encode_str(data)
        if data is None:
            return "null"
        if t is bool:
            return "true" if data else "false"
        return _RESULT_ENCODER.encode(data)
    except ValueError:
        return _RESULT_ENCODER.encode(_tag_long_ints(data))


#: the types of what the JSON encoder writes as encode does (see _json_writes_as_encode)
_JSON_CONTAINERS = frozenset({list, dict})
_JSON_KINDS = _SCALARS | _JSON_CONTAINERS
_STR_ONLY = frozenset({str})
_LIST_ONLY = {list}
_DICT_ONLY = {dict}
#: the most items _json_writes_as_encode looks at: a result past it could not be written anyway
#: (every item takes at least two bytes of JSON text)
_MAX_RESULT_ITEMS = MAX_RESULT_BYTES // 2


def _json_writes_as_encode(value):
    """True when the JSON encoder writes ``value`` as ``_dumps_result(encode(value))`` does: it is
    made of lists, dicts whose keys are all ``str`` (none the tag) and scalars, of exactly those
    types, no deeper than encode allows (and of at most _MAX_RESULT_ITEMS items). False otherwise
    (a tuple, a set, a dict with another key, anything else: encode then decides).

    Looks at one level of the value at a time, with the type of every item taken at C speed
    (``set(map(type, level))``), not one Python call per item as encode makes."""
    level, seen = [value], 0
    for depth in range(MAX_DEPTH + 2):
        kinds = set(map(type, level))
        if kinds <= _SCALARS:
            return True
        if depth > MAX_DEPTH or not kinds <= _JSON_KINDS:
            return False
        if kinds == _LIST_ONLY:  # one kind of container only: no item to sort out
            lists, dicts = level, ()
        elif kinds == _DICT_ONLY:
            lists, dicts = (), level
        else:
            lists = [item for item in level if type(item) is list]
            dicts = [item for item in level if type(item) is dict]
        if depth == MAX_DEPTH and any(dicts):
            return False  # encode takes every value of a dict a level deeper, scalars too
        for d in dicts:
            if TAG in d or not _STR_ONLY.issuperset(map(type, d)):
                return False
        level = list(itertools.chain.from_iterable(lists))
        if dicts:
            level += itertools.chain.from_iterable(map(dict.values, dicts))
        seen += len(level)
        if seen > _MAX_RESULT_ITEMS:
            return False
    return False


_TUPLE_ONLY = {tuple}
#: how encode writes a tuple (its items follow, then "]}")
_TUPLE_OPEN = '{"' + TAG + '":"tuple","items":['


def _dumps_tuples(value):
    """The JSON text ``_dumps_result(encode(value))`` of a list of tuples of scalars (pairs, edges:
    a common answer), from the JSON encoder's text with every inner bracket replaced at C speed
    by encode's tag; None for any other value, or when a string item holds a bracket. Written by
    encode, 50,000 pairs cost 674 M instructions under valgrind against 189 M written by hand as
    lists, which the built-in checkers take for tuples."""
    if set(map(type, value)) != _TUPLE_ONLY or not _SCALARS.issuperset(map(type, itertools.chain.from_iterable(value))):
        return None
    try:
        text = _RESULT_ENCODER.encode(value)
    except (TypeError, ValueError, RecursionError):
        return None  # an int too long for decimal digits: encode tags it
    brackets = len(value) + 1
    if text.count("[") != brackets or text.count("]") != brackets:
        return None
    return "[" + text[1:-1].replace("[", _TUPLE_OPEN).replace("]", "]}") + "]"


_DICT_OPEN = '{"' + TAG + '":"dict","items":'


def _dumps_tagged_dict(value):
    """The JSON text ``_dumps_result(encode(value))`` of a dict of scalar keys and values of which
    some key is not a ``str`` (or is the tag), which encode writes as a tagged list of pairs: from
    the JSON encoder's text of its items (tuples, written as arrays); None for any other value.
    Written by encode, a dict of 50,000 int keys cost 336 M instructions under valgrind against
    156 M written by hand with str keys."""
    if not (_SCALARS.issuperset(map(type, value)) and _SCALARS.issuperset(map(type, value.values()))):
        return None
    if _STR_ONLY.issuperset(map(type, value)) and TAG not in value:
        return None  # a plain dict: the way of any other
    try:
        return _DICT_OPEN + _RESULT_ENCODER.encode(list(value.items())) + "}"
    except (TypeError, ValueError, RecursionError):
        return None  # an int too long for decimal digits: encode tags it


def _dumps_answer(value):
    """JSON text of the candidate's answer ``value``: ``_dumps_result(encode(value))``, as cheaply
    as a candidate could write the same text itself.

    This is the end of every measured span, and a candidate may write its answer on its result pipe
    itself (json.dumps) and exit: whatever this costs beyond that is credit a candidate can take.
    A red team's answers, returned against written by hand, under valgrind: ``list(range(100000))``
    117,178,398 against 101,483,791 instructions (13.4% less by hand: encode's check that every
    item is a scalar, about 157 instructions an item); 50,000 pairs ``[[i, i + 1], ...]``
    509,056,091 against 193,203,731 (62% less: encode's Python call per inner list); a dict of
    50,000 str keys 276,426,488 against 167,536,510 (39% less). Now a flat list of scalars is
    written by the JSON encoder alone: its text tells it (no bracket or brace but the first: a
    nested list, tuple or dict would show one, a set, bytes or other object raises in the encoder,
    and a string holding a bracket takes the way below); a nested value of lists, dicts and
    scalars is checked a level at a time at C speed (_json_writes_as_encode) and written by the
    encoder. Anything else goes through encode. An item of a scalar's subclass (an IntEnum) is
    written by its value here, as a hand-written answer would be, where encode refuses it: its own
    methods (a forged ``__eq__``) never cross the boundary either way."""
    t = type(value)
    if t is list and value and type(value[0]) is tuple:
        text = _dumps_tuples(value)
        if text is not None:
            return text
    if t is dict and value and type(next(iter(value))) is not str:
        text = _dumps_tagged_dict(value)
        if text is not None:
            return text
    # a list that starts with a scalar is most likely flat: its text is tried first; anything else
    # is checked first, so that a value encode must tag (a list of tuples) pays one look at a
    # level, not the encoder's text as well
    flat = t is list and (not value or type(value[0]) in _SCALARS)
    if flat or ((t is list or t is dict) and _json_writes_as_encode(value)):
        try:
            text = _RESULT_ENCODER.encode(value)
        except (TypeError, ValueError, RecursionError):
            pass  # an item that is no JSON (encode says which), a circular list, an int too long
        else:
            if not flat or (text.find("[", 1) < 0 and text.find("{") < 0) or _json_writes_as_encode(value):
                return text
    return _dumps_result(encode(value))


class _NoFFI:
    """A meta path finder that refuses ctypes to the candidate (the runner used it for its own
    set-up before the candidate's code runs)."""

    @staticmethod
    def find_spec(name, path=None, target=None):
        if _is_ffi_module_name(name):
            raise ImportError(f"{name} is not available in the sandbox")
        return None


# --------------------------------------------------------------------------------------------
# Foreign-function access and forged bytecode, out of the candidate's reach.
#
# Under valgrind the counters live in the measured process's own memory: anything that lets a
# candidate write arbitrary memory (ctypes, a code object with forged bytecode) lets it rewind
# its count. The runner needs ctypes for its own set-up (seccomp, capabilities, prctl), so the
# module is loaded in every child; after the child's last use of it, everything through which
# Python code could reach it is cut (its modules, the runner's references, the class tree's
# links to its types, the interpreter's cached copy of its module), and an audit hook, which
# nothing in Python can remove, refuses what would bring it back (importing it again under
# any name, a sub-interpreter), forged bytecode (the code constructor and code.replace,
# marshal.loads, assigning __code__), and the collector's introspection (gc.get_objects and
# friends reach every object, reachable or not).

#: modules whose import is refused to candidates (by the first or the last component of the
#: name; the last names an extension module's init function): foreign functions, CPython's own
#: test modules (raw memory through test hooks) and sub-interpreters (which have no audit hook)
_REFUSED_MODULES = frozenset(
    {
        "ctypes",
        "_ctypes",
        "_ctypes_test",
        "_testcapi",
        "_testinternalcapi",
        "_testbuffer",
        "_testmultiphase",
        "_testsinglephase",
        "_testimportmultiple",
        "_testclinic",
        "_xxtestfuzz",
        "_xxsubinterpreters",
        "_xxinterpchannels",
        "_interpreters",
        "_interpchannels",
        "_interpqueues",
    }
)
#: audit events refused to candidates (prefixes); see the section's comment. Tracing and
#: profiling hooks too: frame jumps from a trace function are CPython's oldest crash reports.
_REFUSED_EVENTS = (
    "ctypes.",
    "gc.get_",
    "code.__new__",
    "marshal.load",
    "cpython.PyInterpreterState_New",
    "sys.setprofile",
    "sys.settrace",
    "sqlite3.enable_load_extension",
    "sqlite3.load_extension",
)


#: function attributes a candidate may not assign on the runner's own functions (the guard and the
#: helpers it binds as defaults: code or defaults changed under the guard's feet would change what
#: it decides) ...
_PROTECTED_ATTRIBUTES = ("__code__", "__defaults__", "__kwdefaults__")
#: ... and those it may assign on no function at all (code objects of other shapes). Defaults are
#: the candidate's own to set on its functions and the standard library's: collections.namedtuple
#: with defaults= assigns __new__.__defaults__ (and so did concurrent.futures' import through it)
_REFUSED_ATTRIBUTES = ("__code__",)


#: the most threads a test child may run at once, its main thread included: what valgrind holds
#: (effbench/meters/valgrind.py runs it with --max-threads=64, slot 0 unused; past it valgrind
#: stops the child with no count). See bound_threads
MAX_CHILD_THREADS = 63

#: types.coroutine as every child has it. The standard library's version gives a generator
#: function a copy of its code object with CO_ITERABLE_COROUTINE set (code.replace, then an
#: assignment to __code__: both refused by the guard), and asyncio's import calls it. An
#: allowance in the guard for that one call was a hole: a candidate whose fake function's
#: ``__setattr__`` was a chain of C callables ran ``code.replace`` with fields of its own from
#: types.coroutine's frame, forged bytecode that read and wrote the process's memory, and rewound
#: valgrind's count (a red team: reward 1.866 against the expert's 1.000). This one never makes a
#: code object: a generator function is wrapped the way the standard library wraps any other
#: callable, its generators in ``types._GeneratorWrapper`` (awaitable, as asyncio needs). Compiled
#: in a namespace of its own, so that its globals lead nowhere near the runner's.
_SANDBOX_COROUTINE = """
def coroutine(func):
    \"\"\"Convert a generator function into a coroutine function (the sandbox's version: no code
    object is rewritten; a generator function's generators are wrapped to be awaitable).\"\"\"
    if not callable(func):
        raise TypeError("types.coroutine() expects a callable")
    code = getattr(func, "__code__", None)
    if func.__class__ is FunctionType and code.__class__ is CodeType and code.co_flags & 0x180:
        return func  # already a coroutine function (CO_COROUTINE | CO_ITERABLE_COROUTINE)

    @wraps(func)
    def wrapped(*args, **kwargs):
        coro = func(*args, **kwargs)
        if coro.__class__ is CoroutineType or (coro.__class__ is GeneratorType and coro.gi_code.co_flags & 0x100):
            return coro
        if isinstance(coro, Generator) and not isinstance(coro, Coroutine):
            return _GeneratorWrapper(coro)
        return coro

    return wrapped
"""


def _sandbox_coroutine():
    """The children's ``types.coroutine`` (see _SANDBOX_COROUTINE), built in a fresh namespace."""
    import collections.abc
    import functools

    namespace = {
        "__builtins__": __builtins__,
        "__name__": "types",
        "FunctionType": types.FunctionType,
        "CodeType": types.CodeType,
        "CoroutineType": types.CoroutineType,
        "GeneratorType": types.GeneratorType,
        "Generator": collections.abc.Generator,
        "Coroutine": collections.abc.Coroutine,
        "wraps": functools.wraps,
        "_GeneratorWrapper": types._GeneratorWrapper,
    }
    exec(compile(_SANDBOX_COROUTINE, "<effbench: types.coroutine>", "exec"), namespace)
    return namespace["coroutine"]


def install_sandbox_coroutine():
    """In the zygote, once (every child inherits it; never at import: the host loads this module
    for its codec): ``types.coroutine`` becomes the sandbox's version (see _SANDBOX_COROUTINE)."""
    types.coroutine = _sandbox_coroutine()


def _start_new_thread_within_the_limit(
    function,
    args,
    kwargs=None,
    /,
    _start=_thread.start_new_thread,
    _lock=_thread.allocate_lock(),
    _stat=os.stat,
    _limit=MAX_CHILD_THREADS,
):
    """_thread.start_new_thread, refusing (RuntimeError naming the limit) a thread past
    MAX_CHILD_THREADS. The count is the kernel's (``/proc/self/task`` has a link per thread, and
    2); the lock makes the look and the start one step (the look's system call lets other threads
    run, the start does not)."""
    with _lock:
        try:
            running = _stat("/proc/self/task").st_nlink - 2
        except OSError:
            running = 0  # no /proc here: valgrind's own limit still holds
        if running >= _limit:
            raise RuntimeError(
                f"can't start a new thread: the sandbox's thread limit is {_limit} threads at once, "
                "the main thread included"
            )
        return _start(function, args) if kwargs is None else _start(function, args, kwargs)


def bound_threads():
    """In the zygote, once: every way the standard library starts a thread (``_thread`` and
    ``threading``, which every child inherits) goes through _start_new_thread_within_the_limit.

    A candidate past the limit gets an error naming it at once, under every meter (a program that
    runs under one runs under all); under valgrind it had no count, and its test waited for one.
    This is for honest programs: a hostile one can reach the original function (this one's
    defaults). Past the limit valgrind stops it without a count, which the host recognises in
    valgrind's log and reports, naming the limit (effbench/sandboxes/protocol.py); under the other
    meters the parent's poll stops it (killed_for "threads", see supervise_child)."""
    _thread.start_new_thread = _thread.start_new = _start_new_thread_within_the_limit
    threading = sys.modules.get("threading")
    if threading is not None:
        threading._start_new_thread = _start_new_thread_within_the_limit


def _is_ffi_module_name(name):
    return name in _FFI_MODULES or name.startswith("ctypes.")


def _reachable_classes():
    """Every class reachable from ``object`` through ``__subclasses__`` (what a candidate sees)."""
    out, seen, stack = [], set(), [object]
    while stack:
        cls = stack.pop()
        if id(cls) not in seen:
            seen.add(id(cls))
            out.append(cls)
            stack.extend(type.__subclasses__(cls))
    return out


def _ffi_classes():
    """ctypes's classes reachable from ``object``: its modules', and two it names as builtins."""
    extra = (type(ctypes.byref(ctypes.c_int())), type(gc.get_referents(ctypes.c_int.__dict__)[0]))
    out = []
    for cls in _reachable_classes():
        module = getattr(cls, "__module__", "") or ""
        if cls in extra or module == "_ctypes" or _is_ffi_module_name(module):
            out.append(cls)
    return out


def plan_ffi_removal():
    """In the zygote, once: what each child cuts after its own last use of ctypes.

    Returns (links, dicts, names, modules): (subclass dict, key) links from a class outside
    ctypes to one of its classes; dictionaries to empty (ctypes's modules, its caches, the
    interpreter's cached copy of ``_ctypes``'s namespace, which importing it again would
    restore); names of this module's globals that hold ctypes objects; the names of ctypes's
    modules in ``sys.modules``, listed here once rather than looked for by every child: going
    over ``sys.modules`` writes to each of its keys (a reference count), a copy-on-write page
    fault for most of them (about 50 per child, of its ~620: ``perf record -e page-faults``).
    Nothing imports a module of ctypes after this (the runner imports none in a function, and
    the children's import guard refuses them); verify_ffi_removed checks, in a child, that none
    is left in ``sys.modules``. Raises OSError if a link is not found."""
    import _ctypes  # the runner's own, already loaded
    import weakref

    global _GUARD_FOLDERS
    _GUARD_FOLDERS = (_interpreter_prefixes(), _standard_extension_folders())
    classes = _ffi_classes()
    ids = {id(cls) for cls in classes}
    wanted = {id(cls): cls for cls in classes if any(id(base) not in ids for base in cls.__bases__)}
    links, dicts = [], []
    for obj in gc.get_objects():
        if type(obj) is not dict:
            continue
        for key, cls in wanted.items():
            ref = obj.get(key)
            if isinstance(ref, weakref.ref) and ref() is cls:
                links.append((obj, key))
        if obj is not _ctypes.__dict__ and obj.get("__name__") == "_ctypes" and obj.get("CFuncPtr") is _ctypes.CFuncPtr:
            dicts.append(obj)  # the interpreter's copy of the extension's namespace
    if len(links) < len(wanted):
        raise OSError(errno.EINVAL, "ctypes removal: a link from the class tree to ctypes was not found")
    dicts += [_ctypes._pointer_type_cache, ctypes._c_functype_cache]
    dicts += [m.__dict__ for n, m in sys.modules.items() if _is_ffi_module_name(n) and m is not None]
    ffi_objects = (ctypes._CFuncPtr, ctypes.CDLL, ctypes._SimpleCData, ctypes.Structure, ctypes.Array)
    names = [
        n
        for n, v in globals().items()
        if isinstance(v, ffi_objects)
        or (isinstance(v, type) and id(v) in ids)
        or (type(v) is type(sys) and _is_ffi_module_name(getattr(v, "__name__", "")))
    ]
    modules = [n for n in sys.modules if _is_ffi_module_name(n)]
    return links, dicts, names, modules


#: see plan_ffi_removal (set in the zygote; each child drops it with the rest)
_FFI_PLAN = None


def remove_ffi():
    """In a child, after its last use of ctypes: cut every path to it (see plan_ffi_removal),
    then install the guard. Nothing may use ctypes in this process afterwards."""
    global _FFI_PLAN
    links, dicts, names, modules = _FFI_PLAN
    _FFI_PLAN = None
    for mapping, key in links:
        mapping.pop(key, None)
    for name in modules:
        sys.modules.pop(name, None)
    for mapping in dicts:
        mapping.clear()
    own = globals()
    for name in names:
        own.pop(name, None)
    del links, dicts, names, modules, own
    sys.meta_path.insert(0, _NoFFI)
    sys.dont_write_bytecode = True
    sys.addaudithook(_make_guard())


def _kernel_path(path, _open=os.open, _close=os.close, _readlink=os.readlink, _flags=os.O_RDONLY | os.O_CLOEXEC):
    """The kernel's own name for the file at ``path`` (links resolved), or None if it cannot be
    opened. Only builtin functions bound here: nothing a candidate can reach changes the answer."""
    try:
        fd = _open(path, _flags)
    except OSError:
        return None
    try:
        return _readlink(f"/proc/self/fd/{fd}")
    finally:
        _close(fd)


def _refused_import(args, dynload, _modules=_REFUSED_MODULES, _str=str, _type=type, _len=len, _where=_kernel_path):
    """Whether an ``import`` audit event (name, file, ...) loads something refused.

    The name must be a plain str without NUL (C code reads it up to the first NUL, and a str
    subclass could answer comparisons as it likes); neither its first nor its last component (the
    last names an extension's init function) may be refused. A file (an extension module being
    loaded) must lie in one of ``dynload``, the folders of the standard library's own extension
    modules, and not name a refused module: no site-packages (cffi, numpy and the like give raw
    memory too), no copy elsewhere.
    """
    name = args[0]
    if _type(name) is not _str or "\x00" in name:
        return True
    if name.rpartition(".")[2] in _modules or name.partition(".")[0] in _modules:
        return True
    path = args[1] if _len(args) > 1 else None
    if path is None:
        return False
    if _type(path) is not _str or "\x00" in path:
        return True
    real = _where(path)
    if real is None or real.rpartition("/")[0] not in dynload:
        return True
    return real.rpartition("/")[2].partition(".")[0] in _modules


#: (the interpreter's prefixes, the standard library's extension folders), found once in the
#: zygote by plan_ffi_removal, for the audit hook every child installs (see _make_guard)
_GUARD_FOLDERS = None


def _interpreter_prefixes():
    """The interpreter's own prefixes (kernel names, each ending in a separator), as a tuple."""
    return tuple(sorted({os.path.realpath(p) + os.sep for p in (sys.base_prefix, sys.prefix, sys.base_exec_prefix)}))


def _standard_extension_folders():
    """The folders (kernel names) of the standard library's extension modules loaded here."""
    folders = set()
    prefixes = tuple({os.path.realpath(p) + os.sep for p in (sys.base_prefix, sys.base_exec_prefix)})
    for module in list(sys.modules.values()):
        path = getattr(module, "__file__", None)
        if isinstance(path, str) and path.endswith(".so"):
            real = os.path.realpath(path)
            if real.startswith(prefixes) and "-packages" not in real:
                folders.add(real.rpartition("/")[0])
    return frozenset(folders)


def _make_guard():
    """The audit hook: a closure over constants and builtin functions only, so that nothing a
    candidate can reach (module attributes, globals, builtins) changes what it decides.

    ``marshal.loads`` is allowed for one caller only: the import system's ``_compile_bytecode``
    reading a cached-bytecode file that lies under the interpreter's own (read-only) prefix and
    whose bytes are exactly what is being loaded (the hook reads the file again, through the
    kernel's own name for it), given as ``bytes`` or a memoryview of ``bytes`` (the import
    system's own ``memoryview(data)[16:]``): the hook checks the audit event's copy, and marshal
    parses the caller's buffer, which must not be one another thread can change between the two
    (a red team rewrote a bytearray while the hook was in its system calls, loaded bytecode of its
    own and rewound valgrind's count: reward 1.82 against the expert's 1.00). Anything else that
    builds code from raw bytes is refused."""
    prefixes, dynload = _GUARD_FOLDERS or (_interpreter_prefixes(), _standard_extension_folders())

    def cached_bytecode_of_the_interpreter(
        data,
        _code=_bootstrap_external._compile_bytecode.__code__,
        _prefixes=prefixes,
        _getframe=sys._getframe,
        _open=os.open,
        _read=os.read,
        _close=os.close,
        _readlink=os.readlink,
        _fstat=os.fstat,
        _flags=os.O_RDONLY | os.O_CLOEXEC,
        _type=type,
        _str=str,
        _len=len,
        _bytes=bytes,
        _memoryview=memoryview,
    ):
        frame = _getframe(2)  # 0: this, 1: the hook, 2: the caller of marshal.loads
        if frame.f_code is not _code:
            return False
        local = frame.f_locals
        path, buffer = local.get("bytecode_path"), local.get("data")
        if _type(buffer) is _memoryview:
            buffer = buffer.obj  # what it views: immutable only if it is bytes
        if _type(path) is not _str or _type(buffer) is not _bytes:
            return False
        fd = _open(path, _flags)
        try:
            if not _readlink(f"/proc/self/fd/{fd}").startswith(_prefixes):
                return False
            size = _fstat(fd).st_size
            chunks, got = [], 0
            while got < size:
                chunk = _read(fd, size - got)
                if not chunk:
                    break
                chunks.append(chunk)
                got += _len(chunk)
        finally:
            _close(fd)
        return b"".join(chunks)[16:] == data

    def guard(
        event,
        args,
        _events=_REFUSED_EVENTS,
        _pyc=cached_bytecode_of_the_interpreter,
        _refused=_refused_import,
        _dynload=dynload,
        _protected=_PROTECTED_ATTRIBUTES,
        _refused_attributes=_REFUSED_ATTRIBUTES,
        _attribute_events=("object.__setattr__", "object.__delattr__"),  # assigning None deletes
        _runner_globals=globals(),
        _function=type(_make_guard),
        _type=type,
        _len=len,
        _runtime_error=RuntimeError,
        _import_error=ImportError,
    ):
        if event == "marshal.loads" and args and _pyc(args[0]):
            return
        if event.startswith(_events):
            raise _runtime_error(f"{event} is not available in the sandbox")
        if event == "import" and args and _refused(args, _dynload):
            raise _import_error(f"{args[0]!r} is not available in the sandbox")
        if event in _attribute_events and _len(args) > 1 and args[1] in _protected:
            runners = _type(args[0]) is _function and args[0].__globals__ is _runner_globals
            if args[1] in _refused_attributes or runners:
                raise _runtime_error(f"assigning {args[1]} is not available in the sandbox")

    return guard


def _in_a_throwaway_child(work):
    """Run ``work()`` in a forked child and return (the bytes it returned, the child's wait
    status). The child writes them on a pipe and exits 0, or exits 1 if ``work`` raised; this
    process reads the pipe to its end, then reaps the child."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        status = 0
        try:
            _child_write(w, work())
        except BaseException:
            status = 1
        os._exit(status)
    os.close(w)
    chunks = []
    while True:
        chunk = os.read(r, 1 << 20)
        if not chunk:
            break
        chunks.append(chunk)
    os.close(r)
    return b"".join(chunks), os.waitpid(pid, 0)[1]


def verify_ffi_removed():
    """In a throwaway child: apply remove_ffi, then look for ctypes from the roots a candidate
    has (the class tree, sys.modules, this module, importing it again). Raises OSError if it is
    still reachable, so that the runner refuses to start rather than measure with it there."""

    def look():
        why = ""
        try:
            remove_ffi()
            left = [c.__qualname__ for c in _reachable_classes() if str(c.__module__).startswith(("ctypes", "_ctypes"))]
            if left:
                why = f"classes still reachable: {left[:5]}"
            elif any(_is_ffi_module_name(n) for n in sys.modules) or {"_LIBC", "ctypes"} & set(globals()):
                why = "a module or a global still holds ctypes"
            else:
                for name in ("ctypes", "_ctypes"):
                    try:
                        __import__(name)
                        why = f"import {name} succeeded"
                    except ImportError:
                        pass
        except BaseException as exc:
            why = f"{type(exc).__name__}: {exc}"
        return why.encode()[:500]

    why = _in_a_throwaway_child(look)[0].decode("utf-8", "replace")
    if why:
        raise OSError(errno.EINVAL, f"ctypes not removed from the children: {why}")


#: the child's exit code when its own set-up failed (before any candidate code ran)
EXIT_SETUP_FAILED = 70
#: what a child writes on its status pipe once its set-up is done; anything else is the set-up's
#: error. The pipe is closed before the candidate's code runs, so the candidate can neither
#: write on it nor make the harness believe its own failure was an infrastructure failure.
SETUP_DONE = b"+"
#: what a child writes on its status pipe first: the parent may attach its counter now
ATTACH_NOW = b"d"


def _child(code, entry_point, args, scratch, result_w, status_w, go_r, uid, early=False):
    """A test (or baseline) child: set itself up, run the candidate, answer, exit.

    ``early`` (the time meter, see Runner.early_setup): the set-up that does not depend on the
    scratch folder (credentials, capabilities, the seccomp filter, removing ctypes...) runs
    before the attach point instead of after it, once the parent has set the limits (prlimit
    needs the runner's credentials, or CAP_SYS_RESOURCE, which a container lacks). The parent
    waits until every child of its request is there before it lets the
    first one go (prepare_children), so the set-ups run side by side, and the CPU time the time
    meter counts from the release is the candidate's run and exit, not the set-up's. Only then
    does the child open its output file and enter its scratch folder (each repeat's folder is
    made anew just before its child is let go)."""
    try:
        # a process group of its own (the parent ends the child with its threads as a group), not
        # a session: a new session takes a scheduler autogroup whose id, read in
        # /proc/self/autogroup, came from a machine-wide counter that every earlier child had
        # advanced (by 2 per valgrind request: the "how many requests" channel again)
        os.setpgid(0, 0)
        if early:
            os.read(go_r, 1)  # the parent has set this process's limits
        else:
            # dumpable until the parent has attached its counter (perf_event_open on a process
            # that is not dumpable needs CAP_SYS_PTRACE); not dumpable again before any
            # candidate code
            _LIBC.prctl(4, 1, 0, 0, 0)
            os.write(status_w, ATTACH_NOW)
            os.read(go_r, 1)  # wait until the parent has attached the counter (perf) and timers
        devnull = os.open("/dev/null", os.O_RDONLY)
        os.dup2(devnull, 0)
        if not early:
            out = os.open(os.path.join(scratch, "output.txt"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.dup2(out, 1)
            os.dup2(out, 2)
        # close every inherited descriptor (valgrind's log among them) except the result and
        # status pipes (and, early, the go pipe); descriptors at or above the soft limit belong
        # to valgrind and are out of reach anyway (closerange allocates nothing, whatever the
        # number of open descriptors)
        limit = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
        start = 3
        for fd in sorted((result_w, status_w, go_r) if early else (result_w, status_w)):
            os.closerange(start, fd)
            start = fd + 1
        os.closerange(start, limit)
        if not early:
            os.chdir(scratch)
        become_child_user(uid)
        set_parent_death_signal()
        set_not_dumpable()  # again: a change of credentials may have reset it
        drop_capabilities()  # always, root or not: the same path (and allocations) everywhere
        install_seccomp(os.getpid())
        remove_ffi()  # the last use of ctypes is behind us
        sys.set_int_max_str_digits(_DEFAULT_MAX_STR_DIGITS)  # Python's own default, as candidates expect
        # threads switch only where one blocks or ends, never on a timer: a count that must not
        # depend on how long anything took (a busy-wait on another thread runs into the limit)
        sys.setswitchinterval(_SWITCH_INTERVAL)
        # no automatic cyclic garbage collection while the candidate runs (as timeit measures):
        # when a collection falls depends on how many objects were allocated before it, so with
        # the collector on, a program that allocates a few objects more (an import, a caught
        # exception, a padding list) moved its collections and its count by a few percent either
        # way, and one that did strictly more work could cost less than its honest twin. Off, a
        # count only grows with the work done. Cyclic garbage stays until the test ends (its
        # memory counts toward the memory limit); a candidate may turn the collector back on.
        # The threshold too: with the collector off but the threshold at its default, every
        # allocation past the 700th went on to test whether the collector was enabled, a few
        # instructions that a candidate saved by raising the threshold itself (found by a red
        # team: the expert with `gc.set_threshold(2**31 - 1)` first scored up to 1.002).
        gc.disable()
        gc.set_threshold(_NO_COLLECTION_THRESHOLD)
        signal.signal(_LEFTOVER_THREAD_SIGNAL, _on_leftover_thread_signal)
        if early:
            os.write(status_w, ATTACH_NOW)
            os.read(go_r, 1)  # the parent has read the CPU time this process used so far
            os.close(go_r)
            out = os.open(os.path.join(scratch, "output.txt"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.dup2(out, 1)
            os.dup2(out, 2)
            os.close(out)
            os.chdir(scratch)
        os.write(status_w, SETUP_DONE)
        os.close(status_w)
    except BaseException as exc:
        try:
            os.write(status_w, f"{type(exc).__name__}: {exc}"[:1000].encode("utf-8", "replace"))
        except BaseException:
            pass
        os._exit(EXIT_SETUP_FAILED)
    try:
        namespace = {"__name__": "solution", "__builtins__": __builtins__}
        if isinstance(code, BaseException):
            raise code  # compiling it failed (in the worker, see compile_candidate)
        exec(code, namespace)
        func = namespace.get(entry_point)
        if not callable(func):
            raise NameError(f"entry point {entry_point!r} is not defined")
        value = func(*args)
        payload = '{"ok":true,"value":' + _dumps_answer(value) + "}"
        if len(payload) > MAX_RESULT_BYTES:
            raise ResultTooLarge(f"the result's encoding exceeds {MAX_RESULT_BYTES} bytes")
    except BaseException as exc:
        try:
            payload = json.dumps({"ok": False, "error_type": type(exc).__name__, "message": str(exc)[:500]})
        except BaseException:
            payload = '{"ok":false,"error_type":"UnprintableException","message":""}'
    try:
        _child_write(result_w, payload.encode("utf-8", "replace"))
        # the end of file tells the parent this process is exiting (see _end_leftover_threads)
        os.close(result_w)
    except BaseException:
        os._exit(71)
    os._exit(0)


#: the test child's allocation threshold for the collector (CPython's largest: never reached)
_NO_COLLECTION_THRESHOLD = 2**31 - 1


def _discard_child(handle):
    """Kill and reap a child forked by fork_child that was never let go, and close its pipes."""
    pid, result_r, status_r, go_w = handle
    _kill_group(pid)
    os.waitpid(pid, 0)
    for fd in (result_r, status_r, go_w):
        os.close(fd)


def _empty_scratch(scratch, test, timed=False):
    """Empty the scratch folder after a test. What the candidate left that cannot be removed fails
    its test (``test["scratch_left"]``), and the host replaces this runner (a fresh private /tmp)
    before anything else runs here.

    ``timed`` (the time meter): this process's CPU time for it, in seconds, goes in the test's
    record (``cleanup_cpu_seconds``), which the meter charges to the test. A candidate that kept
    its memory in files of its scratch folder (a shared mapping of a tmpfs file) left the freeing of
    those pages to this unlink instead of its own exit: 128 MiB cost 95.8 ms against 109.6 ms as
    anonymous memory (a red team)."""
    start = time.thread_time() if timed else 0.0
    try:
        empty_dir(scratch)
    except OSError as exc:
        test["scratch_left"] = f"{type(exc).__name__}: {exc}"[:300]
    if timed:
        test["cleanup_cpu_seconds"] = time.thread_time() - start


def _with_start_up(limits, baseline):
    """The test child's limits: its CPU-time limit counts from where the baseline child's ended,
    and its memory limit from what the baseline child held at most (``"start_up_kb"``, kB beyond
    what it held when let go: the set-up that valgrind's and perf's children run after their
    release, its null run, its exit; see supervise_child).

    The host's ``cpu_seconds`` is for the candidate's own work; the child's start and exit (its
    set-up, the interpreter's share of an exit, valgrind's summary) cost what the baseline child,
    forked from the same state just before it, measured in this very request, on this machine at
    this load. Adding it here (after the test child's fork: nothing it inherits depends on it)
    lets the host's margin for start-up be small (EngineSettings.cpu_floor)."""
    out = dict(limits)
    cpu = limits.get("cpu_seconds")
    if cpu:
        out["cpu_seconds"] = cpu + max(0.0, baseline.get("cpu_seconds", 0.0))
    grown = baseline.get("start_up_kb")
    if grown:
        out["start_up_kb"] = int(grown)
    return out


def child_rlimits(limits, meter):
    """The child's rlimits, set by the parent with prlimit once the child exists. The CPU-time
    limit is enforced to the poll by the parent (see _cpu_seconds_of); the kernel's, in whole
    seconds, is a backstop one second later."""
    out = []
    cpu = limits.get("cpu_seconds")
    if cpu:
        soft = max(1, int(cpu + 0.999)) + 1
        out.append((resource.RLIMIT_CPU, (soft, soft + 1)))
    fsize = limits.get("file_bytes")
    if fsize:
        out.append((resource.RLIMIT_FSIZE, (int(fsize), int(fsize))))
    out.append((resource.RLIMIT_CORE, (0, 0)))
    # under valgrind too: its own descriptors, opened at its start above the client's limit,
    # stay open, and the kernel gives the client no more than these 64 (the seccomp filter's
    # buffer sizes times these bound what a child can hold in socket and pipe buffers, memory the
    # memory limit does not see: under valgrind a child could open 19,988, see _seccomp_program)
    out.append((resource.RLIMIT_NOFILE, (64, 64)))
    address_space = limits.get("address_space_bytes")
    if address_space and meter != "valgrind":  # valgrind needs its own address space
        out.append((resource.RLIMIT_AS, (int(address_space), int(address_space))))
    return out


def _child_write(fd, data):
    n = os.write(fd, data)
    if n < len(data):  # a pipe takes 64 KiB at once: the rest as the parent reads
        view = memoryview(data)[n:]
        while view:
            view = view[os.write(fd, view) :]


# --------------------------------------------------------------------------------------------
# The parent side of one run.


def _status_rss_kb(pid):
    """Process ``pid``'s memory as ``(resident kB, resident + page tables kB)``, or (None, None).

    The memory limit watches the second: a child that reads one byte in every 2 MiB of a large
    read-only mapping is given the shared zero page (no resident memory) and a page table for
    each (a red team, under valgrind, which sets no address-space limit: 128 MiB of page tables
    with 62 MiB resident, none of it in VmRSS). The peak memory reported stays the resident set
    (wait4's ``ru_maxrss`` is the same measure)."""
    rss = None
    try:
        with open(f"/proc/{pid}/status", "rb") as f:
            for line in f:
                if line.startswith(b"VmRSS:"):
                    rss = int(line.split()[1])
                elif line.startswith(b"VmPTE:"):
                    return rss, (rss or 0) + int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return rss, rss


def _scratch_used_kb(scratch):
    """kB of files in the scratch folder's own tmpfs, or 0 where it has none (see _fresh_scratch).

    Memory too, and not the child's resident set: a red team wrote 512 MB of files in its scratch
    folder (the tmpfs's size) under a 256 MiB memory limit, verdict ok, peak memory 1.8 MB
    reported. The memory limit watches it (a file the child also maps shared counts twice:
    the limit errs on the side of stopping)."""
    if _LAST_PID_FD is None:
        return 0
    try:
        st = os.statvfs(scratch)
    except OSError:
        return 0
    return (st.f_blocks - st.f_bfree) * st.f_frsize // 1024


def _cpu_seconds_of(pid):
    """The user CPU time a running process has used, in seconds (its threads included), or None.

    User time only, like the instruction counts (user-space instructions): the kernel's time for
    a candidate's page faults is not work the budget measures."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            fields = f.read().rsplit(b")", 1)[1].split()
        return int(fields[11]) / _CLOCK_TICKS
    except (OSError, ValueError, IndexError):
        return None


_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _on_cpu_seconds(pid):
    """The CPU time process ``pid`` has run so far (user and system, to the nanosecond: the
    scheduler's own sum, of which wait4's rusage reports the split at exit), in seconds; None
    where /proc/<pid>/schedstat cannot be read. Only meaningful for a single-threaded process
    (the file is the main thread's): a child at its attach point."""
    try:
        with open(f"/proc/{pid}/schedstat", "rb") as f:
            return int(f.read().split()[0]) / 1e9
    except (OSError, ValueError, IndexError):
        return None


#: the least share of a CPU a runnable test child is given on a busy machine, as the inverse: a
#: child that keeps its scheduling as given and waits for a CPU past ``wall + BUSY_MACHINE_FACTOR
#: * cpu`` seconds (its limits) is stopped as the harness's failure (``infra_error``), not the
#: candidate's (the host waits that long for an answer: effbench/sandboxes/protocol.py)
BUSY_MACHINE_FACTOR = 16


def _cpu_wait_of(pid):
    """``(waited, runnable, scheduling)`` of process ``pid``: how long its threads have waited,
    runnable, for a CPU, in seconds (the largest run-queue delay of its threads: the second field
    of ``/proc/<pid>/task/<tid>/schedstat``, the scheduler's own sum in nanoseconds; 0.0 where it
    cannot be read), whether one of its threads is runnable now (state ``R``: running, or waiting
    for a CPU), and the set of its threads' ``(nice, policy)``.

    Time a busy machine made the child wait: the wall-time limit does not count it (see
    supervise_child). The largest over threads, because a thread that waits for another's work
    (a join) is blocked, not runnable, while the thread doing the work waits its turns. A
    thread's delay is added up by the scheduler only when it gets a CPU: while one is runnable,
    the wait in progress is in no sum yet, so the caller decides only when none is. A child that
    lowered its own priority (``setpriority``, ``SCHED_IDLE``: its filter allows both on itself)
    waits by its own doing: its scheduling differs from its parent's (:func:`_own_scheduling`)."""
    waited, runnable, scheduling = 0, False, set()
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return 0.0, False, scheduling
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/schedstat", "rb") as f:
                waited = max(waited, int(f.read().split()[1]))
            with open(f"/proc/{pid}/task/{tid}/stat", "rb") as f:
                fields = f.read().rsplit(b")", 1)[1].split()
            runnable = runnable or fields[0] == b"R"
            scheduling.add((int(fields[16]), int(fields[38])))
        except (OSError, ValueError, IndexError):
            pass
    return waited / 1e9, runnable, scheduling


def _own_scheduling():
    """This process's ``{(nice, policy)}``, what a child it forks is let go with (the child's
    :func:`_cpu_wait_of` set when it has not changed its own), or None where it cannot be read
    (then no child's wait is credited)."""
    try:
        return {(os.getpriority(os.PRIO_PROCESS, 0), os.sched_getscheduler(0))}
    except (OSError, AttributeError):
        return None


def past_wall_limit(elapsed, waited, runnable, wall_limit, cpu_limit):
    """What a test child past its wall limit has earned: None (go on: its waits for a CPU cover
    the excess, or one of its threads is runnable now, its wait in progress not summed yet),
    ``"wall"`` (stopped: the candidate's) or ``"busy"`` (stopped: the harness's, a machine that
    gave it less than 1 / BUSY_MACHINE_FACTOR of a CPU).

    ``elapsed``, ``waited`` (its threads' largest summed run-queue delay), ``wall_limit``,
    ``cpu_limit``: seconds; ``runnable``: one of its threads was in state R when read.

    "Runnable" is a snapshot the candidate controls: a child asleep nearly all the time that
    wakes (its result pipe's drain wakes it) just as the parent looks, is runnable at every look
    while its summed waits stay near nothing. So past ``wall + BUSY_MACHINE_FACTOR * cpu`` the
    snapshot no longer defers anything: the verdict is the harness's only if the child's summed
    waits cover all but ``cpu_limit`` of the excess (a wait still in progress, at most that long,
    is not counted against it), and the candidate's otherwise (red team rt-fixes)."""
    over = elapsed - waited - wall_limit
    if elapsed > wall_limit + BUSY_MACHINE_FACTOR * cpu_limit:
        return "wall" if over > cpu_limit else "busy"
    if over > 0 and not runnable:
        return "wall"
    return None


#: how often the parent reads a child's CPU time (every this many polls: 10 ms, the stop's granularity)
CPU_POLL_EVERY = 2


def _kill_group(pid):
    for target in (lambda: os.killpg(pid, signal.SIGKILL), lambda: os.kill(pid, signal.SIGKILL)):
        try:
            target()
        except OSError:
            pass


#: what the runner reads of a child's result pipe: the child's own bound plus its envelope
_RESULT_READ_CAP = MAX_RESULT_BYTES + 4096


# --------------------------------------------------------------------------------------------
# Fixed pids: what a child sees of pids depends on nothing that ran before it.
#
# A candidate uses up pids (each thread takes one), so with the kernel's counter the pids of every
# later process (a later request's worker, children and threads: os.getpid, getppid, native
# thread ids, /proc, /proc/loadavg) told how many an earlier candidate had used: a channel from
# one sample to another (a counted answer passed to a later sample that then returns it without
# paying). Where the runner has its own PID namespace and the privilege to write
# /proc/sys/kernel/ns_last_pid in it (the local backend: root, or root of its own user namespace),
# every worker is pid PID_BASE, the start of the one block: the zygote sets the counter before
# forking it, and forks it only once the previous worker has exited and been reaped (see serve),
# so that the whole block is free. The worker's own forks (the compile child if any, then the
# baseline and test children, all forked before any of them runs) follow it one by one, and each
# child's threads start at the block's THREAD_OFFSET, set again just before the child is let go.
# Nothing else forks while a worker serves, and a worker writes the counter only after its forks
# (a write between a test's two forks would be in its count: formatting and writing the number
# cost 4,134 instructions). A ring of blocks, one per request (worker k at PID_BASE + (k % 64) *
# PID_STRIDE), told a child its request's place in the runner modulo 64, and a sample decides how
# many requests it uses (the engine stops it at its first failing test): a channel to every later
# sample on the runner (a red team's probe scored 1.994 against 1.0). With one block nothing a
# child sees of pids depends on how many requests came before it. Every pid has five digits, so
# formatting one costs the same everywhere.
#
# The host takes one valgrind total per process, and every process of a request reuses the pids of
# the one before: FENCE_LINE, which the zygote writes on valgrind's log once it has killed and
# reaped a worker that answered (after every total of its children, before any of the next
# worker's), tells the host one request's totals from the next one's
# (effbench/sandboxes/protocol.py, RunnerClient._accept). The hello says how many workers run
# before the first request (``warm_up_workers``). The worker is killed, not let exit: valgrind's
# exit (its summary) took 14-27 ms of wall time that nothing overlapped, a kill 4.4-10.1 ms.
#
# Elsewhere (no PID namespace of its own, or no privilege: the docker backend's container with
# the perf meter has no CAP_SYS_ADMIN nor CAP_CHECKPOINT_RESTORE and a read-only /proc/sys) pids
# stay the kernel's, and the hello says so (``fixed_pids``).

PID_BASE = 10000
#: the block's size: the worker, its forks, and the test child's threads from THREAD_OFFSET
PID_STRIDE = 256
#: where a child's threads start within its block (the worker's forks come first)
THREAD_OFFSET = 128
#: /proc/sys/kernel/ns_last_pid, opened by the zygote when it may fix pids (see open_last_pid)
_LAST_PID_FD = None
#: this worker's own pid, the start of its block (None: pids are not fixed)
_BLOCK = None


#: the descriptor on which the set-up step hands the runner its namespace's ns_last_pid, opened
#: before /proc lost /proc/sys (see _PROC_OPTIONS); not open in a container
INHERITED_LAST_PID_FD = 3
_NS_LAST_PID = "/proc/sys/kernel/ns_last_pid"


def _pid_max_leaves_room():
    """Whether pid_max leaves room for the block of fixed pids and the zygote's own forks past it
    (False where it cannot be read)."""
    try:
        with open("/proc/sys/kernel/pid_max", "rb") as f:
            return int(f.read()) > PID_BASE + 2 * PID_STRIDE + 4096
    except (OSError, ValueError):
        return False


def keep_last_pid_for_the_runner() -> None:
    """In the set-up step (pid 1 of its PID namespace), before /proc loses /proc/sys: open
    ns_last_pid on INHERITED_LAST_PID_FD, which the runner inherits (open_last_pid takes it from
    there), when pid_max leaves room for the block. Nothing where it cannot be opened."""
    if not _pid_max_leaves_room():
        return
    try:
        fd = os.open(_NS_LAST_PID, os.O_WRONLY)
    except OSError:
        return
    if fd != INHERITED_LAST_PID_FD:
        os.dup2(fd, INHERITED_LAST_PID_FD)  # inheritable
        os.close(fd)
    else:
        os.set_inheritable(fd, True)


def _inherited_last_pid():
    """INHERITED_LAST_PID_FD when it is this namespace's ns_last_pid (see
    keep_last_pid_for_the_runner), made not inheritable across exec; else None.

    Its path is read only when the descriptor is inheritable (the set-up step's is; main's own
    descriptors, made by os.dup, are not): elsewhere (a container, --rootfs) that descriptor is
    the protocol's socket, whose link names its inode number ("socket:[509652]"), a
    machine-wide counter of varying digits; a string of that length in this process's heap,
    which every child inherits, moved counts by 12-69 instructions between two runners (the
    conformance suite's --rootfs against docker). get_inheritable allocates nothing."""
    try:
        if not os.get_inheritable(INHERITED_LAST_PID_FD):
            return None
        if os.readlink(f"/proc/self/fd/{INHERITED_LAST_PID_FD}") != _NS_LAST_PID:
            return None
        os.set_inheritable(INHERITED_LAST_PID_FD, False)
    except OSError:
        return None
    return INHERITED_LAST_PID_FD


def open_last_pid():
    """In the zygote at start: take ns_last_pid for writing when this runner has a PID namespace
    of its own (not the machine's, and its parent, the set-up step, is that namespace's pid 1)
    and may write it, with room for the block below pid_max: from the set-up step
    (INHERITED_LAST_PID_FD), else opened here. Returns whether pids are fixed. Never writes the
    counter of the machine's namespace."""
    global _LAST_PID_FD
    try:
        own_namespace = os.stat("/proc/self/ns/pid").st_ino != _INIT_PID_NAMESPACE
    except OSError:
        return False
    if not own_namespace or os.getppid() != 1:
        return False
    fd = _inherited_last_pid()
    if fd is None:
        if not _pid_max_leaves_room():
            return False
        try:
            fd = os.open(_NS_LAST_PID, os.O_WRONLY | os.O_CLOEXEC)
        except OSError:
            return False
    try:
        # past the block: the children this process forks before serving (its own warm-up)
        # never take a worker's pid, whose total the host reads as a fence
        os.pwrite(fd, b"%d" % (PID_BASE + PID_STRIDE), 0)
    except OSError:
        os.close(fd)
        return False
    _LAST_PID_FD = fd
    return True


#: the inode of the machine's own PID namespace (the kernel's PROC_PID_INIT_INO)
_INIT_PID_NAMESPACE = 0xEFFFFFFC


def _set_last_pid(value):
    """The next pid the kernel hands out in this namespace is ``value + 1`` (if it is free)."""
    os.pwrite(_LAST_PID_FD, b"%d" % value, 0)


def _before_go():
    """Just before a child is let go: its threads' ids start at the block's THREAD_OFFSET,
    whatever an earlier child of this request used."""
    if _BLOCK is not None:
        _set_last_pid(_BLOCK + THREAD_OFFSET - 1)


def fork_child(code, entry_point, args, scratch, uid, early=False, collect=True):
    """Fork one child, which sets itself up as far as its attach point and waits there for
    :func:`supervise_child`. Returns its handle ``(pid, result_r, status_r, go_w)``. ``early``:
    the child waits first for its limits (see :func:`prepare_children`) and does most of its
    set-up before the attach point (see _child). ``collect`` False (a worker that serves many
    requests, the time meter: see _serve_requests): no collection before the fork, whose
    counters (gc.get_stats, which the child can read) would tell it how many requests its worker
    had served.

    Nothing here depends on the request but the child's code and arguments, so that a test's two
    children (see Runner.run_pair) are forked back to back from the same state."""
    result_r, result_w = os.pipe()
    status_r, status_w = os.pipe()
    go_r, go_w = os.pipe()
    # the same collector state before every fork: a child's garbage collections (part of its
    # count) must not depend on what the runner allocated before it
    if collect:
        gc.collect()
    gc.freeze()
    pid = os.fork()
    if pid == 0:
        os.close(result_r)
        os.close(status_r)
        os.close(go_w)
        _child(code, entry_point, args, scratch, result_w, status_w, go_r, uid, early)
        os._exit(72)  # not reached
    os.close(result_w)
    os.close(status_w)
    os.close(go_r)
    return pid, result_r, status_r, go_w


def prepare_children(children, meter):
    """Children forked with ``early`` (see _child), as ``[(handle, limits), ...]``: set each
    one's limits (prlimit) and let it set itself up, all of them side by side; then wait until
    every one is at its attach point. Returns, for each, what :func:`supervise_child` takes as
    ``prepared``: ``(prlimit error or None, whether it reached its attach point)``.

    The limits are the request's own (a test child's CPU-time limit without its baseline's
    start-up, which is not measured yet: the parent's poll enforces the full limit, and the
    kernel's backstop, whole seconds plus one, is above both)."""
    errors = []
    for (pid, _result_r, _status_r, go_w), limits in children:
        error = None
        try:
            for which, values in child_rlimits(limits, meter):
                resource.prlimit(pid, which, values)
        except (OSError, ValueError) as exc:
            error = f"prlimit: {exc}"
            _kill_group(pid)
        try:
            os.write(go_w, b"l")
        except OSError:
            pass  # it died: its supervision says so
        errors.append(error)
    return [(error, os.read(handle[2], 1) == ATTACH_NOW) for (handle, _), error in zip(children, errors)]


#: whether pidfd_open works here: not before Linux 5.3, nor where a container's filter refuses it,
#: nor under valgrind 3.19, which does not know the call (and logs five lines of warning at each
#: try). Found out once, by the zygote's warm-up (Runner.warm_up_serving), which every worker
#: inherits
_PIDFD_WORKS = True
#: the signal set the supervising loop waits on where it has no pidfd (see supervise_child)
_CHILD_EXIT = frozenset({signal.SIGCHLD})


def _exit_watch(pid):
    """A descriptor that becomes readable when child ``pid`` has exited (a pidfd), or None where
    pidfd_open does not work (_PIDFD_WORKS): the parent then waits for the child's SIGCHLD
    instead (see supervise_child). Opened after both children are forked: nothing a child
    inherits depends on it."""
    global _PIDFD_WORKS
    if not _PIDFD_WORKS:
        return None
    try:
        return os.pidfd_open(pid)
    except (AttributeError, OSError):
        _PIDFD_WORKS = False
        return None


def _threads_of(pid):
    """How many threads process ``pid`` runs (its ``/proc`` task folder has a link per thread,
    and 2), or 0 where that cannot be read."""
    try:
        return os.stat(f"/proc/{pid}/task").st_nlink - 2
    except OSError:
        return 0


def _end_leftover_threads(pid):
    """Get the threads test child ``pid`` left behind out of their waits, once it is exiting.

    A candidate may return while threads of its own still wait (an Event, a sleep, a pool's
    queue). The kernel ends them when the process exits, but under valgrind the exit goes through
    valgrind's core, which marks every other thread as exiting and then gets each one out of its
    blocking call with tkill: the children's filter refuses that (tkill can name a thread of any
    process), so valgrind would wait for them for ever and the child hang until a limit. This
    worker sends each of them _LEFTOVER_THREAD_SIGNAL with tgkill, which the kernel delivers only
    to a thread of ``pid`` itself: the thread leaves its call, sees it is exiting and ends without
    running any more of the candidate's code; the child then exits with its count. One that comes
    early (before valgrind marked the threads) only interrupts a wait the candidate's code goes
    back to, at its own cost, after its answer. A candidate that changes the signal's handler or
    blocks it keeps its threads waiting, and its test runs into its wall-time limit."""
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return
    for tid in tids:
        if tid.isdigit() and int(tid) != pid:
            _LIBC.syscall(_SYSCALLS["tgkill"], pid, int(tid), int(_LEFTOVER_THREAD_SIGNAL))


def supervise_child(handle, limits, scratch, meter, perf_event, supervise=True, settle=False, prepared=None):
    """Let a child forked by :func:`fork_child` go on, supervise it, return a record (no decoding
    of the result).

    ``settle``: wait (without reaping) until the child has exited before the supervising loop
    starts, so that the loop takes one fixed path (its answer, end of file and exit all ready at
    once). For the runner's own warm-up (Runner.warm_up_serving), whose state every later child
    starts from: a loop that met the child's answer and exit in the order the clock gave left
    runners of the same code counting the same test differently (an id-hashing candidate: five
    fresh runners, five counts, up to 496 instructions apart).

    ``prepared``: for a child forked ``early``, what :func:`prepare_children` returned for it
    (its limits are set and it is at its attach point already).

    Harness facts (``infra_error``, ``killed_for``, ``signal``...) come from this process's own
    observations and the child's status pipe, never from anything the candidate printed."""
    pid, result_r, status_r, go_w = handle
    record = {"pid": pid}
    limit_error, attached = prepared if prepared is not None else (None, os.read(status_r, 1) == ATTACH_NOW)
    if not attached:
        record["infra_error"] = "child set-up: the child died before it could be measured"
    # limits are applied from here, after the fork and before the child goes on: nothing the
    # child inherits may depend on limit values (an extra int object in this process shifts the
    # allocator state the child starts from, and with it the child's count)
    try:
        if limit_error:
            raise OSError(limit_error)
        for which, values in child_rlimits(limits, meter) if supervise and prepared is None else ():
            resource.prlimit(pid, which, values)
    except (OSError, ValueError) as exc:
        record["infra_error"] = f"prlimit: {exc}" if prepared is None else str(exc)
        _kill_group(pid)
    counter = None
    if meter == "perf":
        try:
            counter = perf_open(perf_event, pid)
            perf_ioctl(counter, _PERF_IOC_ENABLE)
        except OSError as exc:
            record["infra_error"] = f"perf counter: {exc}"
            _kill_group(pid)
    wall_limit = limits.get("wall_seconds") or 3600.0
    mem_limit_kb = (limits.get("memory_bytes") or 0) // 1024
    instr_limit = limits.get("instructions") if meter == "perf" else None
    cpu_limit = limits.get("cpu_seconds") if supervise else None
    polls = 0
    # polls since the child closed its result pipe (it is exiting), under valgrind; see below
    exiting_polls = 0 if meter == "valgrind" and _SYSCALLS is not None else None
    chunks, size, killed_for = [], 0, None
    exited = _exit_watch(pid) if supervise else None
    # without a pidfd, the child's SIGCHLD (blocked here, so that it stays pending) ends the wait
    # once it has answered: a sleep of POLL_SECONDS found its exit up to that late
    by_signal = supervise and exited is None
    if by_signal:
        signal.pthread_sigmask(signal.SIG_BLOCK, _CHILD_EXIT)
    next_check = 0.0
    poll = VALGRIND_POLL_SECONDS if meter == "valgrind" else POLL_SECONDS
    cpu_every = 1 if meter == "valgrind" else CPU_POLL_EVERY
    # what the child holds as it is let go (what it shares with this process, inherited at the
    # fork): the memory limit's zero, read here, before the release. Read at the first poll
    # instead (5 ms after it, 20 ms under valgrind, later on a busy machine: 77-86 ms measured
    # under valgrind at load 8), it counted what the candidate had allocated by then as
    # inherited: a child that mapped memory with MAP_POPULATE at import had its limit raised by
    # up to 10 MB under the time meter (load 7). What the child's own set-up adds after the
    # release (valgrind's and perf's children set up after it) is the baseline child's, forked
    # from the same state and measured in the same request (_with_start_up: "start_up_kb")
    at_go_kb, at_go_held_kb = _status_rss_kb(pid)
    baseline_rss_kb = None
    if mem_limit_kb:
        baseline_rss_kb = (at_go_held_kb or 0) + _scratch_used_kb(scratch) + int(limits.get("start_up_kb") or 0)
    if meter == "time":
        # the time meter counts the child's CPU time from here (its set-up is not its test's)
        record["cpu_before_go"] = _on_cpu_seconds(pid)
        # and the memory it holds then (what it inherited: the exit tears it down), for the
        # host's calibrated null cost (effbench/sandboxes/protocol.py calibrate_null)
        record["rss_at_go_kb"] = at_go_kb
    _before_go()
    start = time.perf_counter()
    try:
        os.write(go_w, b"g")
    except OSError:
        pass  # it died waiting to be let go (a signal): its wait status below says how, not the harness
    os.close(go_w)
    if settle:
        os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT)
    status = rusage = None
    fd_open = True
    peak_rss_kb = 0
    if not supervise:
        # the baseline (our own null candidate): a blocking wait, so that the runner's work
        # between the baseline's fork and the test's fork does not depend on timing
        _, status, rusage = os.wait4(pid, 0)
        # the most memory its own set-up, null run and exit added to what it held at the
        # release: the test child's memory limit counts from there (_with_start_up)
        record["start_up_kb"] = max(0, rusage.ru_maxrss - at_go_kb) if at_go_kb is not None else 0
    while supervise:
        watched = ([result_r] if fd_open else []) + ([exited] if exited is not None else [])
        if watched:
            ready, _, _ = select.select(watched, [], [], poll)
        elif by_signal:
            ready = ()
            signal.sigtimedwait(_CHILD_EXIT, poll)
        else:
            ready = ()
            time.sleep(poll)
        if fd_open:
            if result_r in ready:
                data = os.read(result_r, 1 << 20)
                if not data:
                    fd_open = False
                else:
                    size += len(data)
                    if size > _RESULT_READ_CAP:
                        killed_for = killed_for or "output"
                        _kill_group(pid)
                    else:
                        chunks.append(data)
        # the limits are checked on every pass, data or not: a child that keeps writing to its
        # result pipe must not keep the parent from looking at its clock
        got, st, ru = os.wait4(pid, os.WNOHANG)
        if got == pid:
            status, rusage = st, ru
            break
        if exited is not None and exited in ready:
            # readable but not yet reapable (a thread group still going): poll from here on
            os.close(exited)
            exited = None
        if not fd_open and exiting_polls is not None:
            # the child answered and is exiting; from the next poll on (valgrind has marked its
            # threads by then), end whatever threads it left waiting
            exiting_polls += 1
            if exiting_polls > 1:
                _end_leftover_threads(pid)
        elapsed = time.perf_counter() - start
        if killed_for is None and elapsed > wall_limit:
            # the wall limit is for time the child held the worker (asleep, blocked or running),
            # never for time it waited, runnable, for a CPU others had: a busy machine must not
            # censor a CPU-bound candidate whose own work is within its limits (the CPU-time limit
            # bounds that work, the kernel's RLIMIT_CPU its system time). Decided while no thread
            # of it is runnable (its waits are all summed then); read only past the limit.
            # (its waits during its set-up, before it was let go, are credited too: harness work)
            waited, runnable, scheduling = _cpu_wait_of(pid)
            if scheduling != _own_scheduling():
                waited, runnable = 0.0, False  # its waits are its own doing
            past = past_wall_limit(elapsed, waited, runnable, wall_limit, cpu_limit or wall_limit)
            if past == "wall":
                killed_for = "wall"
                _kill_group(pid)
            elif past == "busy" and "infra_error" not in record:
                record["infra_error"] = (
                    f"busy machine: the test child waited {waited:.1f} s for a CPU in "
                    f"{elapsed:.1f} s, past its limits' {wall_limit:g} s + {BUSY_MACHINE_FACTOR} x "
                    f"{cpu_limit or wall_limit:g} s"
                )
                _kill_group(pid)
        # the other limits every ``poll`` seconds, not at every wake-up (the child's answer, its
        # end of file, its exit)
        if killed_for is None and elapsed >= next_check:
            next_check = elapsed + poll
            if mem_limit_kb:
                rss, held = _status_rss_kb(pid)
                held = None if held is None else held + _scratch_used_kb(scratch)
                if rss is not None:
                    peak_rss_kb = max(peak_rss_kb, rss)
                    if held - baseline_rss_kb > mem_limit_kb:
                        killed_for = "memory"
            if killed_for is None and _threads_of(pid) > MAX_CHILD_THREADS:
                # the thread limit from outside (the child's own refusal can be reached around:
                # see bound_threads); under valgrind, valgrind's own limit comes first
                killed_for = "threads"
            if killed_for is None and counter is not None and instr_limit:
                if perf_read(counter)[0] > instr_limit:
                    killed_for = "instructions"
            polls += 1
            if killed_for is None and cpu_limit and polls % cpu_every == 0:
                used = _cpu_seconds_of(pid)
                if used is not None and used > cpu_limit:
                    killed_for = "cpu"  # this process's own measurement, to the poll
            if killed_for:
                _kill_group(pid)
    wall = time.perf_counter() - start
    if exited is not None:
        os.close(exited)
    if by_signal:
        # a SIGCHLD still pending is dropped as it is unblocked (ignored by default)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, _CHILD_EXIT)
    _kill_group(pid)  # leftovers of the session (threads die with the process; no forks allowed)
    if fd_open:
        while True:
            ready, _, _ = select.select([result_r], [], [], 0)
            if not ready:
                break
            data = os.read(result_r, 1 << 20)
            if not data:
                break
            size += len(data)
            if size <= _RESULT_READ_CAP:
                chunks.append(data)
    os.close(result_r)
    setup_status = _read_status(status_r)
    os.close(status_r)
    if setup_status != SETUP_DONE and "infra_error" not in record:
        # the child's set-up (ours, before any candidate code) did not finish
        why = setup_status.decode("utf-8", "replace") or "the child died before its set-up finished"
        record["infra_error"] = f"child set-up: {why}"
    if counter is not None:
        value, multiplexed = perf_read(counter)
        os.close(counter)
        record["count"] = value
        record["multiplexed"] = multiplexed
    record["wall_seconds"] = wall
    record["cpu_seconds"] = rusage.ru_utime + rusage.ru_stime
    record["user_seconds"] = rusage.ru_utime  # what the CPU-time stop watches (_cpu_seconds_of)
    record["max_rss_kb"] = max(rusage.ru_maxrss, peak_rss_kb)
    if os.WIFSIGNALED(status):
        record["signal"] = os.WTERMSIG(status)
        cpu_limit = limits.get("cpu_seconds")
        if (
            killed_for is None
            and cpu_limit
            and record["signal"] in (signal.SIGXCPU, signal.SIGKILL)
            # the kernel stops at the soft limit, which wait4's rusage reports up to ~10% lower
            and record["cpu_seconds"] >= 0.8 * int(cpu_limit + 0.999)
        ):
            killed_for = "cpu"  # the kernel's CPU-time limit, as this process measured it
    else:
        record["exit_code"] = os.WEXITSTATUS(status)
    if killed_for:
        record["killed_for"] = killed_for
    if size > _RESULT_READ_CAP:
        record["result_too_large"] = size
    else:
        record["result"] = b"".join(chunks).decode("utf-8", "replace")
    if supervise:
        record["stderr_tail"] = _tail(os.path.join(scratch, "output.txt"))
    return record


def _read_status(fd):
    """What a child wrote on its status pipe (it is closed by now, so this never blocks long)."""
    data = b""
    while len(data) <= 2000:
        try:
            chunk = os.read(fd, 1024)
        except OSError:
            break
        if not chunk:
            break
        data += chunk
    return data


def _tail(path):
    """The last STDERR_TAIL_BYTES of a child's output file. The child may have replaced it by a
    link (to a file only the runner could read), a FIFO (that would block) or a device (that never
    ends): it is opened without following links, without blocking, and read only if it is a
    regular file, and never past its size."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return ""
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            return ""
        start = max(0, st.st_size - STDERR_TAIL_BYTES)
        return os.pread(fd, min(st.st_size, STDERR_TAIL_BYTES), start).decode("utf-8", "replace")
    except OSError:
        return ""
    finally:
        os.close(fd)


#: inodes of a scratch tmpfs (see _fresh_scratch): the kernel charges 1 KiB of this space per file
#: or folder and an extended attribute's bytes, so a child holds at most 4 MiB of kernel memory there
#: beyond its files' data (which the memory limit watches, _scratch_used_kb)
SCRATCH_INODES = 4096


def _fresh_scratch(root, name, uid):
    """A new, empty scratch folder for the next child, owned by the child's user. Its parent (the
    runner's working folder) is the runner's: a child can fill its scratch but never replace it.

    A new folder, not the old one emptied: the folder's own metadata (extended attributes, times,
    mode), which its owner, the child, may set, must not reach a later child (a red team stashed
    each answer in a ``user.*`` attribute of ``.`` and read it back in the next test: 1.63 against
    the expert's 1.0 under valgrind; 16 MB fitted in one attribute set)."""
    path = os.path.join(root, name)
    if _LAST_PID_FD is not None:
        _LIBC.umount2(path.encode(), 2)  # MNT_DETACH: the previous child's tmpfs, if any
    try:
        os.mkdir(path, 0o700)
    except FileExistsError:
        empty_dir(path)
        os.rmdir(path)
        os.mkdir(path, 0o700)
    if uid is not None:
        os.chown(path, uid, uid, follow_symlinks=False)
    if _LAST_PID_FD is not None:
        # a tmpfs of its own (where the runner has namespaces of its own and the privilege, as
        # for fixed pids): the inode numbers a child sees (its folder's, its files') start from
        # the same number in every test, and do not count the files earlier candidates made
        # (measured on a shared tmpfs: the folder's inode 19 after a request that made no file,
        # 56 after one that made 37)
        # nr_inodes: the kernel memory of its files and extended attributes, which its size (data
        # pages) does not bound and statvfs's used blocks do not show. A red team's child made
        # 400,000 empty files with 255-character names (595 MiB more slab on the host) or 4,000
        # files with a 60 KB user.* attribute each (252 MiB of unreclaimable slab), 0 blocks used,
        # under a 256 MiB memory limit, verdict ok. The kernel charges an inode 1 KiB of this
        # space and an attribute its size, and refuses past it (ENOSPC): at most 4 MiB here
        owner = os.geteuid() if uid is None else uid
        options = f"size=512m,nr_inodes={SCRATCH_INODES},mode=0700,uid={owner},gid={owner}"
        _mount("tmpfs", path, "tmpfs", _MS_NOSUID | _MS_NODEV | _MS_NOEXEC, options)
    return path


_OPEN_DIR = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


def empty_dir(path, max_steps=10_000_000):
    """Remove everything under ``path``, which a hostile child may have filled: no link is ever
    followed (every operation is relative to a directory descriptor opened with O_NOFOLLOW), and
    no recursion (nested folders are moved up, one level at a time), so neither planted links nor
    a folder nested 100,000 deep can make this touch anything else or fail. Raises OSError when
    the folder cannot be emptied."""
    top = os.open(path, _OPEN_DIR)
    try:
        steps = 0
        while True:
            with os.scandir(top) as it:
                entries = [(e.name, e.is_dir(follow_symlinks=False)) for e in it]
            if not entries:
                return
            for name, is_dir in entries:
                steps += 1
                if steps > max_steps:
                    raise OSError(errno.EMLINK, f"{path}: too many entries to remove")
                if not is_dir:
                    os.unlink(name, dir_fd=top)
                    continue
                try:
                    os.rmdir(name, dir_fd=top)
                    continue
                except OSError:
                    pass
                sub = os.open(name, _OPEN_DIR, dir_fd=top)
                try:
                    os.fchmod(sub, 0o700)
                    with os.scandir(sub) as it:
                        inner = [e.name for e in it]
                    for child in inner:
                        steps += 1
                        while True:
                            target = f".effbench-{steps}"
                            try:
                                os.rename(child, target, src_dir_fd=sub, dst_dir_fd=top)
                                break
                            except FileExistsError:
                                steps += 1
                            except OSError as exc:
                                if exc.errno not in (errno.ENOTEMPTY, errno.EEXIST, errno.EISDIR, errno.ENOTDIR):
                                    raise
                                steps += 1
                finally:
                    os.close(sub)
    finally:
        os.close(top)


# --------------------------------------------------------------------------------------------
# The protocol loop.


#: the longest source the worker compiles (characters); a longer one is the candidate's error
MAX_SOURCE_CHARS = 1 << 20


class SourceTooLarge(ValueError):
    """The candidate's source is longer than MAX_SOURCE_CHARS."""


class CompileTimeout(SyntaxError):
    """Compiling the candidate's source took more CPU time than COMPILE_CPU_SECONDS."""


#: sources longer than this (characters) are compiled in a child of their own, under a CPU-time
#: limit: compiling is superlinear in some shapes of source (thousands of definitions), and a
#: worker must not hang on it (the sample would be lost as an infrastructure failure)
INLINE_COMPILE_CHARS = 16384
#: the CPU-time limit of that child, in seconds; past it the compilation is the candidate's error
COMPILE_CPU_SECONDS = 20


#: what compile() raised in a compiling child, by name -> the class the worker raises again (the
#: test child reports its name and message: a short source's error reads the same compiled here
#: or apart, see Runner._compile_once)
_COMPILE_ERRORS = {
    cls.__name__: cls
    for cls in (
        SyntaxError,
        IndentationError,
        TabError,
        ValueError,
        TypeError,
        RecursionError,
        MemoryError,
        OverflowError,
    )
}


def _compile_in_a_child(source):
    """compile() in a forked child under RLIMIT_CPU; the code object comes back marshalled (made
    by the compiler from the source, never by the candidate). Returns it or the exception."""
    import marshal

    def compile_it():
        set_parent_death_signal()
        resource.setrlimit(resource.RLIMIT_CPU, (COMPILE_CPU_SECONDS, COMPILE_CPU_SECONDS + 1))
        try:
            return b"c" + marshal.dumps(compile(source, "solution.py", "exec", dont_inherit=True))
        except (SyntaxError, ValueError, TypeError, RecursionError, MemoryError, OverflowError) as exc:
            # the nearest class the worker raises again (a UnicodeEncodeError as a ValueError)
            kind = next(c.__name__ for c in type(exc).__mro__ if c.__name__ in _COMPILE_ERRORS)
            return b"e" + json.dumps([kind, str(exc)[:500]]).encode()

    data, status = _in_a_throwaway_child(compile_it)
    if os.WIFSIGNALED(status) and os.WTERMSIG(status) in (signal.SIGXCPU, signal.SIGKILL):
        return CompileTimeout(f"compiling the source took more than {COMPILE_CPU_SECONDS} s of CPU time")
    if data[:1] == b"c":
        return marshal.loads(data[1:])
    if data[:1] == b"e":
        kind, message = json.loads(data[1:])
        return _COMPILE_ERRORS.get(kind, SyntaxError)(message)
    return SyntaxError(f"the compiler failed on this source (wait status {status})")


def compile_candidate(source, apart=False):
    """The candidate's module as a code object, or the exception compiling it raised.

    Compiled here in the worker, before the baseline and the test children are forked, so that
    compiling is in neither count and cancels out: a test's cost is the module's execution
    (imports, tables built at import time), the call and returning its result (DESIGN.md,
    "Meters"), not the length of its source (the host sends it without comments and docstrings:
    effbench/canonical.py). No inherited compiler
    flags: the candidate gets the semantics it wrote (this file's ``from __future__ import
    annotations`` is not theirs). The test child raises a returned exception as the candidate's
    own error (a SyntaxError is the candidate's, not the harness's). ``apart``: compile in a child
    of its own (_compile_in_a_child) whatever the source's length, so that nothing compiling does
    stays in this process (see Runner._compile_once)."""
    try:
        if not isinstance(source, str):
            raise TypeError("the candidate's source must be text")
        if len(source) > MAX_SOURCE_CHARS:
            raise SourceTooLarge(f"the source has {len(source)} characters, more than {MAX_SOURCE_CHARS}")
        if apart or len(source) > INLINE_COMPILE_CHARS:
            return _compile_in_a_child(source)
        return compile(source, "solution.py", "exec", dont_inherit=True)
    except (SyntaxError, ValueError, TypeError, RecursionError, MemoryError, OverflowError) as exc:
        exc.__traceback__ = None
        return exc


WARM_UP_CODE = r"""
import bisect, collections, itertools, math


def _effbench_warm_up(n):
    data = list(range(n, 0, -1))
    data.sort()
    table = {str(i): i * i for i in data}
    seen = set(table.values())
    text = ",".join(sorted(table)[:50])
    total = sum(x for x in data if x in seen) + len(text.split(","))
    # more of what candidates commonly run, so that each test child finds it translated (under
    # valgrind): big and negative ints, modulo, regular expressions, string and container methods
    import re

    big = 1
    for i in range(1, 80):
        big = (big * (i + 7) + i) % (10**30 + 7) - (i % 3)
    big += -(big // 3) % 97 + pow(3, big, 10**9 + 7) + abs(-big) * big // (big or 1)
    tokens = re.findall(r"\d+|[a-z_]\w*|\S", "(12 + ab) * 3 - x_1 / 4.5")
    match = re.match(r"(\d+)\s*([a-z]*)", "42 abc")
    spaced = re.sub(r"\s+", " ", " a  b\tc ").strip().upper().replace("A", "a").split()
    queue = collections.deque(tokens)
    queue.appendleft(queue.pop())
    counts = collections.Counter(tokens)
    groups = collections.defaultdict(list)
    for i, t in enumerate(tokens):
        groups[t[:1]].append(i)
    ordered = sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    where = bisect.bisect_left(data, n // 2) + bisect.bisect_right(data, n // 3)
    best = max(data[:10], key=lambda v: v % 7) + min(data[-10:]) + math.isqrt(n) + int(math.log2(n))
    pairs = list(itertools.combinations(data[:6], 2)) + list(zip(data, reversed(data)))[:5]
    stack, out = [], []
    for t in tokens:
        if t.isdigit():
            out.append(int(t))
        elif t in "+-*/":
            stack.append(t)
        elif t == ")" and stack:
            out.append(stack.pop())
    try:
        float("x")
    except ValueError as exc:
        out.append(str(exc)[:5])
    text2 = f"{big % 1000:05d}|{total:,}|{1.5:.3f}|{spaced!r}|{match.group(2) if match else ''}"
    extra = len(text2) + len(counts) + len(ordered) + where + best + len(pairs) + len(out) + len(queue)
    return [total + extra % 7, {"k": 1.5}, (1, 2), None, True]
"""


#: compiled (never run) by the zygote's warm-up: the constructs candidates write, so that under
#: valgrind every worker inherits the compiler's translations for them, which it made anew on every
#: request when the runner ran from bytecode. Before, the zygote compiled its own source for them,
#: which left about 11 MB of freed blocks in its heap, copied by every fork and torn down by every
#: exit (see runner_bytecode)
COMPILER_WARM_UP = r'''
"""A module docstring."""
from __future__ import annotations
import heapq, functools
from collections import deque as _dq, namedtuple
from typing import List, Optional

INF = float("inf")
MOD = 10**9 + 7
Point = namedtuple("Point", "x y")


class Node:
    __slots__ = ("val", "left", "right")

    def __init__(self, val: int, left: Optional["Node"] = None, right=None) -> None:
        self.val, self.left, self.right = val, left, right

    def __lt__(self, other):
        return self.val < other.val

    @property
    def leaf(self) -> bool:
        return self.left is None and self.right is None

    @staticmethod
    def make(*values, **options):
        return [Node(v) for v in values if v is not None]

    @classmethod
    def of(cls, value):
        return cls(value)


class Graph(dict):
    def add(self, a, b, w=1):
        self.setdefault(a, []).append((b, w))


@functools.lru_cache(maxsize=None)
def fib(n: int) -> int:
    return n if n < 2 else fib(n - 1) + fib(n - 2)


def solve(grid: List[List[int]], k=3, *rest, flag=False, **kw) -> tuple[int, ...]:
    global MOD
    rows, cols = len(grid), len(grid[0]) if grid else 0
    dist = [[INF] * cols for _ in range(rows)]
    heap = [(0, 0, 0)]
    seen = {(r, c) for r in range(rows) for c in range(cols) if grid[r][c] < 0}
    index = {v: i for i, v in enumerate(sorted(set(x for row in grid for x in row)))}
    total = 0
    while heap:
        d, r, c = heapq.heappop(heap)
        if d > dist[r][c]:
            continue
        for dr, dc in ((1, 0), (-1, 0), (0, 1), (0, -1)):
            nr, nc = r + dr, c + dc
            if 0 <= nr < rows and 0 <= nc < cols and (nr, nc) not in seen:
                nd = d + grid[nr][nc]
                if nd < dist[nr][nc]:
                    dist[nr][nc] = nd
                    heapq.heappush(heap, (nd, nr, nc))
        else:
            total += 1
    count = 0

    def bump(step=1):
        nonlocal count
        count += step
        return count

    while (n := bump()) < k:
        pass
    else:
        total ^= n << 2 | 1 & ~n
    try:
        with open("x") as f, open("y") as g:
            data = f.read()[1:-1:2]
    except (OSError, ValueError) as exc:
        data = str(exc)
    except Exception:
        raise
    else:
        data = data.strip()
    finally:
        del rest
    assert total >= 0, "negative"
    gen = (x * x for x in range(k) if x % 2)
    lam = lambda a, b=2, *c, d, **e: (a, b, c, d, e)
    s = b"bytes" + bytes(1)
    z = 3 + 4j
    mat = [[1, 2], [3, 4]]
    text = """multi
line""" + f"{total!r:>10}" + "%d %s" % (1, "a")
    first, *middle, last = [1, 2, 3, 4]
    total += -count if flag else +count
    total //= 2; total **= 1; total %= MOD
    match first:
        case 1 | 2:
            pass
        case [a, b, *_]:
            pass
        case {"k": v}:
            pass
        case Point(x=0, y=yy) if yy > 0:
            pass
        case _:
            pass
    return (total, sum(gen), lam(1, d=2), s, z, mat, text, middle, last, data)


def walk(node):
    if node:
        yield from walk(node.left)
        yield node.val
        yield from walk(node.right)


async def later(x):
    await x
    async with x as y:
        async for z in y:
            return z
'''


class Runner:
    def __init__(self, meter, perf_event, workdir, uid):
        self.meter = meter
        self.perf_event = perf_event
        self.workdir = workdir
        self.uid = uid  # the test children's user (None: this runner's own)
        # the time meter's children set themselves up before their attach point, side by side
        # (see _child): the CPU time it counts from the release is the run's own, and a
        # request's set-ups overlap. Not valgrind's (whose counts include every instruction of
        # the child anyway) nor perf's (whose counter must be attached while the child is
        # still dumpable, before its set-up)
        self.early_setup = meter == "time"
        # the time meter's worker serves many requests (see _serve_requests); valgrind's and
        # perf's serve one each, every child forked from the same state whatever ran before
        self.serves_many = meter == "time"
        # the last source compiled, its code and the kB of resident memory compiling it added
        # (serving many requests only: a sample's tests share one source)
        self._last_compiled = None
        self.warm_up()

    def warm_up(self):
        """Run the child routine's code paths here once, so that under valgrind every child
        inherits their translations instead of translating them again (wall time, not counts)."""
        namespace = {"__name__": "solution", "__builtins__": __builtins__}
        exec(compile_candidate(WARM_UP_CODE), namespace)
        compile_candidate(COMPILER_WARM_UP)
        value = namespace["_effbench_warm_up"](2000)
        json.loads(json.dumps(encode(value), separators=(",", ":")))
        compile_candidate("def f(:\n")  # the error path
        self.null_code = compile_candidate(NULL_CODE)
        exec(self.null_code, {"__builtins__": __builtins__})
        if _SYSCALLS is not None:
            _seccomp_fprog(os.getpid())
        _LIBC.prctl(21, 0, 0, 0, 0)  # PR_GET_SECCOMP: the ctypes call path, harmlessly
        os.listdir("/proc/self/fd")
        resource.setrlimit(resource.RLIMIT_CORE, (0, resource.getrlimit(resource.RLIMIT_CORE)[1]))
        scratch = _fresh_scratch(self.workdir, "scratch", self.uid)
        fd = os.open(os.path.join(scratch, "output.txt"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        # a fixed text shaped like /proc's, parsed as the supervising loop parses /proc/PID/stat
        # and /proc/PID/status (bytes read, split, lines iterated): the same C paths, no value
        # read from the machine
        os.write(fd, b"1 (x) S 0 0 0 0 0 0 0 0 0 0 12 3 0 0 0\nVmRSS:\t   1000 kB\nVmPTE:\t     100 kB\n")
        os.close(fd)
        with open(os.path.join(scratch, "output.txt"), "rb") as f:
            head = f.readline()
            int(head.rsplit(b")", 1)[1].split()[11]) / _CLOCK_TICKS
            for line in f:
                if line.startswith(b"VmRSS:"):
                    int(line.split()[1])
                elif line.startswith(b"VmPTE:"):
                    int(line.split()[1]) + 1000
        _tail(os.path.join(scratch, "output.txt"))
        time.sleep(0)  # the supervising loop's poll
        # and its wait for a child's exit: a SIGCHLD of its own, blocked, pending, then taken
        signal.pthread_sigmask(signal.SIG_BLOCK, _CHILD_EXIT)
        signal.raise_signal(signal.SIGCHLD)
        signal.sigtimedwait(_CHILD_EXIT, VALGRIND_POLL_SECONDS)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, _CHILD_EXIT)
        # the child's set-up calls, each a no-op here (this process's own values, ids left as
        # they are, a descriptor of its own closed): translated once here instead of in every
        # child (measured with valgrind's --trace-flags: each child translated them again)
        os.closerange(fd := os.open("/dev/null", os.O_RDONLY), fd + 1)
        os.chdir(".")
        os.setresgid(-1, -1, -1)
        os.setresuid(-1, -1, -1)
        sys.setswitchinterval(sys.getswitchinterval())
        gc.set_threshold(*gc.get_threshold())
        handler = signal.getsignal(_LEFTOVER_THREAD_SIGNAL)
        if handler is not None:
            signal.signal(_LEFTOVER_THREAD_SIGNAL, handler)
        # more of the same, each harmless here (measured with --trace-flags: a worker or each of
        # its children translated them again on every request): the clock the worker reads, a
        # float's floor division (the memory limit in kB), the child's process group, groups
        # and capabilities calls (the current group, the current groups, a capset the kernel
        # refuses for its version: nothing changes), and remove_ffi's deallocations (a
        # function pointer, a module object, a dict entry popped)
        time.monotonic()
        (float(len(WARM_UP_CODE) << 20) or 0) // 1024
        try:
            os.setpgid(0, os.getpgrp())
        except OSError:
            pass
        try:
            os.setgroups(os.getgroups())
        except OSError:
            pass
        if _SYSCALLS is not None:
            header = struct.pack("Ii", 0, 0)  # no capability version: EINVAL, nothing set
            data = bytes(24)
            hbuf, dbuf = ctypes.create_string_buffer(header, 8), ctypes.create_string_buffer(data, 24)
            _LIBC.syscall(_SYSCALLS["capset"], hbuf, dbuf)
            del hbuf, dbuf
        pointer = _LIBC._FuncPtr(("getpid", _LIBC))
        del pointer
        module = type(sys)("_effbench_warm_up")
        del module
        {0: 0}.pop(0, None)
        strip_exec_below_floor()  # the children run it: their translations come from here
        empty_dir(scratch)
        _read_status(os.open("/dev/null", os.O_RDONLY))

    def warm_up_serving(self):
        """Take one request through the worker's path here, in this process, before the first
        worker is forked: read through a socket like a real one, decoded, its limits read, its
        code compiled, the calls a test's supervision makes on pipes, descriptors and limits made
        once on this process, two null tests run from here, and an answer of the same shape
        written to /dev/null. Under valgrind every worker then inherits the translations of
        that path instead of making them again on every test (wall time, not counts; measured
        with benchmarks/meter_overhead.py, see the README).

        Every child starts from this process's state, which must not depend on the clock, the
        load or this process's pid: nothing here formats a measured value, reads /proc or polls
        a child's CPU time, and every answer's value is fixed (a first version that served a
        test with memory and CPU limits and wrote its real answer left the two runners of one
        pool 54 instructions apart on the same test)."""
        global _PROTO_SOCKET
        wire = {key: f"{1 << 30:020d}" for key in _WIRE_LIMITS}
        body = json.dumps(
            {
                "op": "run",
                "id": "warm-up",
                "code": WARM_UP_CODE,
                "entry_point": "_effbench_warm_up",
                "args": encode([50, "text", [1.5, None, True], {"k": (1, 2)}]),
                "limits": wire,
                "repeats": 1,
            },
            separators=(",", ":"),
        ).encode()
        saved = _PROTO_SOCKET
        ours, theirs = socket.socketpair()
        sink = os.open("/dev/null", os.O_WRONLY)
        r, w = os.pipe()
        try:
            _PROTO_SOCKET = ours
            theirs.sendall(str(len(body)).encode() + b"\n" + body)
            request = _read_request(ours.fileno())
            decode(request["args"])
            limits_of(request["limits"])
            compile_candidate(request["code"])
            os.write(w, b"x")
            select.select([r], [], [], 0)
            os.read(r, 1 << 20)
            os.close(w)
            os.read(r, 1 << 20)
            try:
                os.wait4(-1, os.WNOHANG)
            except ChildProcessError:
                pass
            watch = _exit_watch(os.getpid())
            if watch is not None:
                os.close(watch)
            resource.prlimit(os.getpid(), resource.RLIMIT_CORE, resource.getrlimit(resource.RLIMIT_CORE))
            # a null test's two children, forked and supervised from here: the parent's side
            # of a test (forking, pipes, the supervising loop, reaping, emptying the scratch
            # folder). Only a wall-clock limit and the loop settled (see supervise_child), so
            # that nothing it does depends on how long the children take; records dropped
            for _ in range(2):
                self.run_pair(self.null_code, "_effbench_null", [], {"wall_seconds": 60.0}, settle=True)
            # seconds of many digits, as a real answer's: their formatting's longer paths too
            record = {
                "pid": 1000,
                "wall_seconds": 0.123456789,
                "cpu_seconds": 0.0987654321,
                "user_seconds": 0.0876543219,
                "max_rss_kb": 1000,
                "exit_code": 0,
                "result": '{"ok":true,"value":null}',
                "stderr_tail": "",
            }
            timing = {"started": 13000.123456789, "compiled": 13000.234567891, "done": 13000.345678912}
            _write_line(sink, {"id": "warm-up", "runs": [{"baseline": record, "test": dict(record)}], "timing": timing})
        finally:
            _PROTO_SOCKET = saved
            for fd in (r, sink):
                os.close(fd)
            ours.close()
            theirs.close()

    def run_pair(self, code, entry_point, args, limits, settle=False):
        """Baseline child then test child, forked back to back (the test child waits at its
        attach point while the baseline runs); then the scratch folder is emptied, so nothing a
        test wrote is seen by any other.

        Back to back: between the two forks this process runs the same few steps whatever
        happened before, so the test child starts from the baseline's state plus a fixed
        difference. Anything this process did between them that depends on timing (the
        baseline's rusage values, how its result arrived) would shift the heap the candidate
        runs on, and with it the candidate's count (measured: tens to hundreds of instructions
        on float- and string-heavy code)."""
        scratch = _fresh_scratch(self.workdir, "scratch", self.uid)
        base_limits = dict(limits)
        base_limits.pop("instructions", None)
        early = self.early_setup
        base_child = fork_child(self.null_code, "_effbench_null", [], scratch, self.uid, early, not self.serves_many)
        # the same scratch folder: the baseline only creates an empty output file, which the
        # test child truncates once it goes on
        test_child = fork_child(code, entry_point, args, scratch, self.uid, early, not self.serves_many)
        try:
            children = [(base_child, base_limits), (test_child, limits)]
            base_ready, test_ready = prepare_children(children, self.meter) if early else (None, None)
            baseline = supervise_child(
                base_child, base_limits, scratch, self.meter, self.perf_event, supervise=False, prepared=base_ready
            )
        except BaseException:
            _kill_group(test_child[0])
            os.waitpid(test_child[0], 0)
            raise
        test = supervise_child(
            test_child,
            _with_start_up(limits, baseline),
            scratch,
            self.meter,
            self.perf_event,
            settle=settle,
            prepared=test_ready,
        )
        _empty_scratch(scratch, test, timed=self.meter == "time")
        return {"baseline": baseline, "test": test}

    def run_alone(self, code, entry_point, args, limits):
        """The test child alone, with no baseline child (``"baseline": "none"``, the time meter
        only): the host subtracts a null cost it calibrated on this runner before any candidate
        ran (effbench/sandboxes/protocol.py ``RunnerClient.calibrate_null``). Returns
        ``{"test": ...}``; the host adds the calibrated ``"baseline"`` record. The test child's
        CPU-time limit is the request's own: the host has added the calibrated start-up to it."""
        scratch = _fresh_scratch(self.workdir, "scratch", self.uid)
        test_child = fork_child(code, entry_point, args, scratch, self.uid, True, not self.serves_many)
        try:
            (ready,) = prepare_children([(test_child, limits)], self.meter)
        except BaseException:
            _kill_group(test_child[0])
            os.waitpid(test_child[0], 0)
            raise
        test = supervise_child(test_child, limits, scratch, self.meter, self.perf_event, prepared=ready)
        _empty_scratch(scratch, test, timed=True)
        return {"test": test}

    def run_repeats(self, code, entry_point, args, limits, repeats, shared):
        """The ``repeats`` (> 1) runs of one test: a baseline child and a test child per repeat,
        or with ``shared`` one baseline child for all (``"baseline": "once"``, the time meter).
        Returns one ``{"baseline": ..., "test": ...}`` per repeat run (``"baseline_shared": True``
        where the baseline is the first one's).

        Every child is forked before any of them runs: a child forked after an earlier repeat
        ran would hold that repeat's record in its memory, answer included (a red team read it
        from this frame through ``sys._getframe().f_back``, did the work in the first repeat and
        answered from it in the others: every answer right, a median cost near 0). Each child
        finds a new, empty scratch folder when it is let go. Valgrind's one run per test keeps
        run_pair, whose two forks are back to back."""
        scratch = _fresh_scratch(self.workdir, "scratch", self.uid)
        base_limits = dict(limits)
        base_limits.pop("instructions", None)
        early = self.early_setup
        plan = []
        for i in range(repeats):
            base = (
                fork_child(self.null_code, "_effbench_null", [], scratch, self.uid, early, not self.serves_many)
                if i == 0 or not shared
                else None
            )
            plan.append((base, fork_child(code, entry_point, args, scratch, self.uid, early, not self.serves_many)))
        pending = [h for pair in plan for h in pair if h is not None]
        runs, baseline = [], None
        try:
            ready = {}
            if early:
                children = [(h, base_limits if h is base else limits) for base, test in plan for h in (base, test) if h]
                ready = dict(zip((h for h, _ in children), prepare_children(children, self.meter)))
            for i, (base, test_child) in enumerate(plan):
                if i:
                    scratch = _fresh_scratch(self.workdir, "scratch", self.uid)
                if base is not None:
                    pending.remove(base)
                    baseline = supervise_child(
                        base,
                        base_limits,
                        scratch,
                        self.meter,
                        self.perf_event,
                        supervise=False,
                        prepared=ready.get(base),
                    )
                pending.remove(test_child)
                test = supervise_child(
                    test_child,
                    _with_start_up(limits, baseline),
                    scratch,
                    self.meter,
                    self.perf_event,
                    prepared=ready.get(test_child),
                )
                _empty_scratch(scratch, test, timed=self.meter == "time")
                runs.append({"baseline": baseline, "test": test, **({"baseline_shared": True} if base is None else {})})
                if test.get("killed_for") or test.get("signal") or test.get("scratch_left"):
                    break  # one run past a limit decides the test: no repeat would pass it
        finally:
            for handle in pending:  # forked, never let go: a limit decided the test, or an error
                _discard_child(handle)
        return runs

    def _compile_once(self, source):
        """The candidate's code (compile_candidate), compiled again only when ``source`` differs
        from the last one this worker compiled: ``(code, kB)``, kB the resident memory that
        compiling it added to this worker when it was compiled for an earlier request (0 when it
        is compiled now).

        On a repeat, this worker still holds that code (and what compiling it left) before the
        request's "compile": the caller takes those kB off what it reports held before compiling,
        so the time meter's exit credit (TimeMeter.pair_cost) never covers compiled constants
        (tests/threats/test_padded_source_exit_credit.py). Only the last source is kept: a sample's
        tests share one.

        Compiled in a child of its own (compile_candidate's ``apart``), whose code comes back
        marshalled: what compiling does besides making the code stays out of this process, which
        serves later samples. Compiled here, a source with a compile-time warning ("1 is 1", an
        invalid escape) made this process import linecache, token and tokenize to show it, and
        every later child of this worker, another sample's, saw 99 modules in sys.modules
        instead of 96 (red team, helper-78)."""
        last = self._last_compiled
        if last is not None and type(source) is str and last[0] == source:
            return last[1], last[2]
        self._last_compiled = None  # the previous code goes before this one is compiled
        before = _status_rss_kb(os.getpid())[0]
        code = compile_candidate(source, apart=True)
        after = _status_rss_kb(os.getpid())[0]
        if type(source) is str:
            grown = max(0, after - before) if None not in (before, after) else 0
            self._last_compiled = (source, code, grown)
        return code, 0

    def handle(self, request):
        if request.get("op") == "ping":
            return {"id": request.get("id"), "pong": True}
        if request.get("op") != "run":
            return {"id": request.get("id"), "error": f"unknown op {request.get('op')!r}"}
        started = time.monotonic()  # the harness's own time, reported as phases (never in a count)
        args = decode(request["args"])
        if not isinstance(args, list):
            return {"id": request.get("id"), "error": "args must be a list"}
        limits = limits_of(request.get("limits", {}))
        repeats = max(1, int(request.get("repeats", 1)))
        alone = repeats == 1 and request.get("baseline") == BASELINE_NONE and self.meter == "time"
        # what this worker holds before the candidate's code is compiled (the decoded arguments,
        # the harness's), less its source text: the host credits the exit's teardown of no more
        # than this beyond its null's (effbench/meters/timing.py TimeMeter.pair_cost); what
        # compiling adds (folded constants: a 110 kB source held 100 MB at its release) is the candidate's
        held_kb = _status_rss_kb(os.getpid())[0] if alone else None
        if held_kb is not None and isinstance(request["code"], str):
            held_kb = max(0, held_kb - sys.getsizeof(request["code"]) // 1024)
        if self.serves_many:
            code, code_kb = self._compile_once(request["code"])
            if held_kb is not None:
                held_kb = max(0, held_kb - code_kb)
        else:
            code = compile_candidate(request["code"])
        if self.serves_many and _BLOCK is not None:
            # this request's children take the block's first pids whatever this worker forked
            # before them: compiling forks a child (_compile_once), on the request that compiles
            # its source and on none that finds it cached, so without this a test child's pid
            # told the first test of its source on this worker from the later ones
            _set_last_pid(_BLOCK)
        compiled = time.monotonic()
        gc.freeze()  # the arguments and the code are part of the state every child starts from
        if alone:
            # the host's calibration of the exit's cost per kB inherited (protocol.py
            # calibrate_null): memory written here, which the test child inherits and its exit
            # tears down, as it does a large request's decoded arguments
            ballast = b"\x01" * (max(0, int(request.get("ballast_kb", 0))) << 10)
            runs = [self.run_alone(code, request["entry_point"], args, limits)]
            del ballast
            runs[0]["test"]["rss_before_code_kb"] = held_kb
        elif repeats == 1:
            runs = [self.run_pair(code, request["entry_point"], args, limits)]
        else:
            shared = request.get("baseline") == BASELINE_ONCE
            runs = self.run_repeats(code, request["entry_point"], args, limits, repeats, shared)
        timing = {"started": started, "compiled": compiled, "done": time.monotonic()}
        return {"id": request.get("id"), "runs": runs, "timing": timing}


#: a request's ``"baseline"`` value asking for one baseline child per request, shared by its
#: repeats (Runner.run_repeats); without it, every repeat forks its own
BASELINE_ONCE = "once"

#: a request's ``"baseline"`` value asking for no baseline child at all (Runner.run_alone): the
#: time meter at one run, whose host subtracts a null cost calibrated per runner instead
BASELINE_NONE = "none"

#: the harness's channel as a socket object (see main and _read_exact), or None
_PROTO_SOCKET = None

#: the limits' names on the wire (whole numbers as fixed-width digit strings) -> (name here, scale)
_WIRE_LIMITS = {
    "wall_us": ("wall_seconds", 1e6),
    "cpu_us": ("cpu_seconds", 1e6),
    "memory_bytes": ("memory_bytes", 1.0),
    "address_space_bytes": ("address_space_bytes", 1.0),
    "file_bytes": ("file_bytes", 1.0),
    "instructions": ("instructions", 1.0),
}


def limits_of(wire):
    """A request's limits as floats (seconds, bytes, instructions; 0 = none). They travel as
    20-digit strings of whole numbers (Limits.for_runner) and are read without the float parser:
    parsing a float's text leaves dtoa.c's pool of big numbers in a state that depends on the
    digits, and every child starts from this process's state (a float-formatting candidate's
    count moved with the limits' values). Unknown keys are refused."""
    out = {}
    for key, text in wire.items():
        if key not in _WIRE_LIMITS or not isinstance(text, str) or len(text) != 20 or not text.isdigit():
            raise ValueError(f"bad limit {key!r}")
        name, scale = _WIRE_LIMITS[key]
        out[name] = float(int(text)) / scale
    return out


def _read_exact(fd, n):
    """n bytes into one buffer allocated up front, in one call when ``fd`` is a socket (as it is
    in both backends, see main): how the transport happens to chunk them must not change what
    this process does, since every child starts from its heap (a loop of reads allocates and
    frees per chunk, and the chunks follow timing)."""
    buf = bytearray(n)
    view = memoryview(buf)
    if _PROTO_SOCKET is not None and _PROTO_SOCKET.fileno() == fd:
        pos = _PROTO_SOCKET.recv_into(view, n, socket.MSG_WAITALL)
        if pos == n:
            view.release()
            return buf
    else:
        pos = 0
    with open(fd, "rb", buffering=0, closefd=False) as stream:
        while pos < n:  # not a socket, or a signal cut the one call short
            got = stream.readinto(view[pos:])
            if not got:
                raise EOFError("request truncated")
            pos += got
    view.release()
    return buf


def _write_line(fd, obj):
    data = (json.dumps(obj, separators=(",", ":")) + "\n").encode()
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


EXIT_EOF = 3


def _read_request(proto_in):
    """The next ``<length>\n<json>`` request, decoded; None when the harness closed the channel."""
    header = b""
    while not header.endswith(b"\n"):
        ch = os.read(proto_in, 1)
        if not ch:
            return None
        header += ch
    return json.loads(_read_exact(proto_in, int(header)))


def _serve_request(runner, proto_in, proto_out):
    """Read one request, run it, answer. Requests are framed as ``<length>\n<json>`` so that the
    worker reads exactly its own. Returns 0, or EXIT_EOF when the harness closed the channel."""
    request = _read_request(proto_in)
    if request is None:
        return EXIT_EOF
    try:
        response = runner.handle(request)
    except Exception as exc:
        response = {"id": request.get("id"), "error": f"{type(exc).__name__}: {exc}"}
    _write_line(proto_out, response)
    return 0


#: what the zygote writes on a worker's turn pipe: serve the next request, or run a null test and
#: answer nobody (the warm-up rounds)
TURN_SERVE, TURN_WARM_UP = b"g", b"w"
#: what a worker writes on its done pipe once it has answered (it may still be exiting)
ANSWERED = b"a"


def _worker(runner, proto_in, proto_out, turn_r, done_w):
    """One request (valgrind, perf), or many (the time meter: see _serve_requests), in a process
    forked from the pristine zygote: set up, wait for its turn, read, run, answer, tell the
    zygote, exit. Its set-up overlaps the previous worker's request."""
    set_parent_death_signal()
    turn = os.read(turn_r, 1)
    if turn == TURN_WARM_UP:
        runner.run_pair(runner.null_code, "_effbench_null", [], {"wall_seconds": 60.0, "cpu_seconds": 30.0})
        _done(done_w)
        return 0
    if turn != TURN_SERVE:
        return EXIT_EOF  # the zygote is closing
    if runner.serves_many:
        return _serve_requests(runner, proto_in, proto_out, done_w)
    code = _serve_request(runner, proto_in, proto_out)
    if code == 0:
        _done(done_w)
    return code


#: under the time meter, the most requests one worker serves before a fresh one takes over
WORKER_REQUESTS = 64
#: under the time meter, the resident memory (kB) a worker may hold beyond what it held before
#: its first request; past it, it serves no more (a fresh one from the zygote takes over)
WORKER_SLACK_KB = 1024


def _serve_requests(runner, proto_in, proto_out, done_w):
    """The time meter's worker: serve requests one after another, each as _serve_request does
    (the candidate only ever runs in a child forked for its request, from this process), until
    WORKER_REQUESTS are served or this process holds more than WORKER_SLACK_KB of resident
    anonymous memory beyond what it held before its first (a large request's arguments or source, which
    the allocator keeps: the next request's child would inherit them and its exit tear them
    down); then tell the zygote, which forks a fresh worker, as after a single request. Returns
    0, or EXIT_EOF when the harness closed the channel.

    The time meter needs no worker per request: it reads CPU time, not a count that depends on
    the heap a child starts from (valgrind and perf keep one worker per request). What a
    child can still read of its worker's age is kept from following the requests: every request
    makes its test child the block's first pid again, no collection runs before the forks
    (fork_child's ``collect``), the number of requests served is counted in a pipe's contents,
    not in this frame (which a child can walk up to), and no figure of an earlier request stays
    in it. Its own resident memory at its start follows what the worker holds: at most
    WORKER_SLACK_KB more than a fresh worker's."""
    start_kb = _anon_kb()
    left_r, left_w = os.pipe()
    os.write(left_w, b"r" * WORKER_REQUESTS)
    os.close(left_w)
    while os.read(left_r, 1):
        if _BLOCK is not None:
            _set_last_pid(_BLOCK)  # this request's children take the pids a fresh worker's take
        if _serve_request(runner, proto_in, proto_out):
            return EXIT_EOF
        if _grown_past(start_kb, WORKER_SLACK_KB):
            break
    os.close(left_r)
    _done(done_w)
    return 0


def _anon_kb():
    """This process's resident anonymous memory (RssAnon) in kB, or None: what a forked child
    inherits and its exit tears down (its file pages, the interpreter's code, are shared and
    are faulted in as they are first run, which VmRSS would count as growth)."""
    try:
        with open("/proc/self/status", "rb") as f:
            for line in f:
                if line.startswith(b"RssAnon:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return None


def _grown_past(start_kb, slack_kb):
    """Whether this process's resident anonymous memory is above ``start_kb`` + ``slack_kb`` kB
    (True where either cannot be read)."""
    now = _anon_kb()
    return start_kb is None or now is None or now > start_kb + slack_kb


def _done(done_w):
    """Tell the zygote this worker has answered; where pids are fixed, then wait for its kill
    (see serve), with nothing left to do."""
    os.write(done_w, ANSWERED)
    while _BLOCK is not None:
        signal.pause()


def _spawn(runner, proto_in, proto_out):
    """Fork the next worker (it sets itself up and waits for its turn): (pid, turn_w, done_r).
    Where pids are fixed, it is pid PID_BASE, the start of the block (the previous worker must
    have been reaped)."""
    global _BLOCK
    turn_r, turn_w = os.pipe()
    done_r, done_w = os.pipe()
    if _LAST_PID_FD is not None:
        os.pwrite(_LAST_PID_FD, _BLOCK_TEXT, 0)
    else:
        gc.collect()  # see serve
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            if _LAST_PID_FD is not None:
                _BLOCK = os.getpid()
            os.close(turn_w)
            os.close(done_r)
            code = _worker(runner, proto_in, proto_out, turn_r, done_w)
        except BaseException as exc:
            try:
                _write_line(proto_out, {"id": None, "error": f"worker: {type(exc).__name__}: {exc}"})
            except BaseException:
                pass
        os._exit(code)
    if _LAST_PID_FD is not None and pid == _BLOCK_PID:
        pid = _BLOCK_PID  # the same object every round: see serve
    os.close(turn_r)
    os.close(done_w)
    return pid, turn_w, done_r


#: what the zygote writes to ns_last_pid before forking each worker (made once: the zygote's loop
#: allocates nothing for it, see serve)
_BLOCK_TEXT = b"%d" % (PID_BASE - 1)
#: every worker's pid, as the zygote keeps it (see serve)
_BLOCK_PID = int(_BLOCK_TEXT) + 1
#: the workers that run a null test and answer nobody before the first request (see serve); the
#: hello says how many, so that the host can tell which fence opens a request (see open_last_pid)
WARM_UP_WORKERS = 2
#: what the zygote writes on its stderr (valgrind's log) once a worker that answered is gone,
#: where pids are fixed: the host's fence between two requests (no test child holds that
#: descriptor: see _child)
FENCE_LINE = b"effbench: worker reaped\n"


def _give_turn(worker, turn):
    """Let ``worker`` go on (serve, warm up, or exit) by writing its turn byte."""
    try:
        os.write(worker[1], turn)
    except OSError:
        pass  # it died during its set-up: waiting on it says so
    os.close(worker[1])


def _answered(worker):
    """Block until ``worker`` has answered (True) or ended without answering (False)."""
    answered = os.read(worker[2], 1) == ANSWERED
    os.close(worker[2])
    return answered


def _continue_in_a_child():
    """Go on as a forked child of this process, which only waits for it and exits as it did.

    Under valgrind, what a process runs for the first time is translated there, and the
    translations die with it. A process that was never forked has never run the child's side of
    fork (glibc's, CPython's PyOS_AfterFork_Child, the at-fork hooks): every worker forked from
    it translated that code again, on every request. Forked once here, this process has run it,
    and every worker inherits its translations (measured: see the README, "Inside valgrind's
    time"). Wall time only: the zygote's own count is in every child's total and cancels.
    The child dies with this process (PR_SET_PDEATHSIG), as every worker dies with it."""
    pid = os.fork()
    if pid == 0:
        set_parent_death_signal()
        return
    status = os.waitpid(pid, 0)[1]
    os._exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status))


def serve(runner, proto_in, proto_out):
    """The zygote loop: this process never reads a request, so every worker (and so every
    child) starts from the same interpreter state, whatever ran before it.

    Where pids are not fixed, pipelined: the next worker is forked, and sets itself up, while
    the current one serves; it gets its turn as soon as the current one has answered, and the
    current one's exit (valgrind's summary included) overlaps the next request. Where pids are
    fixed (see open_last_pid) the current one, once it has answered, is killed and reaped before
    the next worker is forked: every worker is then pid PID_BASE with the whole block free
    (nothing may take a pid in this namespace while candidates run, or the ids of a candidate's
    threads would follow timing), and FENCE_LINE, written then on valgrind's log, is the host's
    fence between two requests. Every serving
    worker is forked at the same point of the loop. The first WARM_UP_WORKERS are warm-up rounds
    (a worker that runs a null test and answers nobody), so that everything the rounds leave
    behind (the scratch folder, the loop's own caches) is settled before the first real request:
    measured, the first round costs its test about a hundred instructions more.

    Where pids are fixed, the collector is off in this process from here and the loop never
    collects: each collection advanced the counters every child inherits and a candidate reads
    (gc.get_stats: the number of requests this runner had served, a few instructions more for
    every int past 256); the loop makes no cyclic garbage, and each worker collects before each
    fork (fork_child). Not where pids are not fixed: with the next worker forked while the
    current one serves, two worker handles are alive at each fork, and without a collection
    (which empties the interpreter's free lists) the children of every other request started
    from the other of two heaps (measured: a null test's count alternating 26,504 / 26,512);
    there the counters still follow the runner's age.

    Before the first fork, this process takes execute permission off any writable client memory
    and installs the executable-memory filter (install_worker_filter) on itself: every worker and
    child inherits both, and none repeats the work. Repeated in each worker, reading
    /proc/self/maps (whose length grows with valgrind's own mappings) left the worker's heap, and
    so every child's, in a state that depended on the runner's age."""
    _continue_in_a_child()
    strip_exec_below_floor()
    install_worker_filter(_EXEC_FLOOR)
    gc.collect()
    early = _LAST_PID_FD is None  # pids not fixed: the next worker sets itself up meanwhile
    if not early:
        gc.disable()
    gc.freeze()
    turns = [TURN_WARM_UP] * WARM_UP_WORKERS
    current, current_turn = _spawn(runner, proto_in, proto_out), turns.pop()
    _give_turn(current, current_turn)
    while True:
        following = _spawn(runner, proto_in, proto_out) if early else None
        answered = _answered(current)
        status = None if answered else os.waitpid(current[0], 0)[1]
        if status is not None and os.WIFEXITED(status) and os.WEXITSTATUS(status) == EXIT_EOF:
            if following is not None:
                _give_turn(following, b"x")  # closing: the spare worker exits without reading
                os.waitpid(following[0], 0)
            return 0
        if status is not None and current_turn == TURN_SERVE and not os.WIFEXITED(status):
            _write_line(proto_out, {"id": None, "error": f"worker died (wait status {status})"})
        current_pid = current[0]
        if following is None:
            # the current worker's handle goes before the fork: kept across it, the handles of
            # every other worker took the same block, and the children of every other request
            # started from the other of two heaps (measured: a null test's count alternating by
            # 8 instructions); its pid is the block's own int object, never freed
            current = None
            if answered:
                os.kill(current_pid, signal.SIGKILL)  # it waits for this (see _done)
                os.waitpid(current_pid, 0)  # its pid, and the whole block, free again
                os.write(2, FENCE_LINE)
            following = _spawn(runner, proto_in, proto_out)
        following_turn = turns.pop() if turns else TURN_SERVE
        _give_turn(following, following_turn)
        if answered and early:
            os.waitpid(current_pid, 0)
        current, current_turn = following, following_turn


def _hide(paths):
    hidden = []
    for path in paths:
        if os.path.isdir(path):
            mount_tmpfs(path, "16k", readonly=True)
        elif os.path.exists(path):
            bind_dev_null(path)
        else:
            continue
        hidden.append(path)
    return hidden


def _burn_small_pids():
    """In a fresh PID namespace pids start at 1, and ints up to 256 are cached objects in CPython:
    a child's count would shift by the cost of allocating its pid (and the runner's heap by the
    pids it keeps) depending on how many tests ran before. Using up the small pids here, before
    the measured runner starts, makes every pid a large int (after a wrap the kernel restarts at
    300, so they stay large)."""
    while True:
        pid = os.fork()
        if pid == 0:
            os._exit(0)
        os.waitpid(pid, 0)
        if pid > 300:
            return


_MOUNT_FLAGS = {
    "nosuid": _MS_NOSUID,
    "nodev": _MS_NODEV,
    "noexec": _MS_NOEXEC,
    "noatime": 1024,
    "nodiratime": 2048,
    "relatime": 1 << 21,
}


def _unescape_mount_field(field: str) -> str:
    """A mountinfo path with its octal escapes (``\\040`` for a space) undone, without a codec
    (after --rootfs's chroot the set-up's interpreter may find none to import)."""
    out, i = [], 0
    while i < len(field):
        if field[i] == "\\" and field[i + 1 : i + 4].isdigit():
            out.append(chr(int(field[i + 1 : i + 4], 8)))
            i += 4
        else:
            out.append(field[i])
            i += 1
    return "".join(out)


def remount_read_only(keep=("/proc", "/dev")) -> list:
    """Every mount of this (private) mount namespace read-only, but ``keep`` and what lies below
    it: a test child, even run as root, then cannot write anything of the host's (``/dev/shm``
    and ``/tmp`` get fresh mounts of their own after this). Returns the mounts left writable."""
    left = []
    with open("/proc/self/mountinfo") as f:
        points = [(line.split()[4], line.split()[5]) for line in f]
    for point, options in points:
        point = _unescape_mount_field(point)
        if any(point == k or point.startswith(k + "/") for k in keep):
            continue
        flags = _MS_REMOUNT | _MS_BIND | _MS_RDONLY
        for option in options.split(","):
            flags |= _MOUNT_FLAGS.get(option, 0)
        try:
            _mount(None, point, None, flags)
        except OSError:
            left.append(point)
    return left


def expose_to_children(path) -> None:
    """Make ``path`` (the interpreter's own prefix) reachable by the test children's user when a
    folder above it is not (an interpreter under ``/root``): that folder is covered with an
    empty read-only tmpfs holding only ``path``, bound back in place, read-only. Paths do not
    change, and nothing else of that folder stays visible."""
    path = os.path.realpath(path)
    parts = path.strip("/").split("/")
    closed = None
    for i in range(1, len(parts)):
        ancestor = "/" + "/".join(parts[:i])
        if not os.stat(ancestor).st_mode & 0o001:
            closed = ancestor
            break
    if closed is None:
        return
    stage = "/tmp/.effbench-expose"
    os.mkdir(stage, 0o700)
    _mount(path, stage, None, _MS_BIND | _MS_REC)
    _mount("tmpfs", closed, "tmpfs", _MS_NOSUID | _MS_NODEV, "size=64k,mode=0755")
    os.makedirs(path, mode=0o755)
    _mount(stage, path, None, _MS_BIND | _MS_REC)
    _mount(None, closed, None, _MS_REMOUNT | _MS_RDONLY | _MS_NOSUID | _MS_NODEV, "size=64k,mode=0755")
    if _LIBC.umount2(stage.encode(), 2) != 0:  # MNT_DETACH
        raise OSError(ctypes.get_errno(), f"umount {stage}")
    os.rmdir(stage)


def _relay(runner_pid, streams):
    """The set-up step's last job, for the runner's whole life: copy bytes between the outside
    (this process's stdin, stdout, stderr: pipes of the host or of the container engine) and the
    runner's stdin, stdout and stderr, which are sockets (a socket cannot be reopened through
    /proc/PID/fd, so no child can write on the channels that carry answers and counts). When the
    outside goes away (the harness died, even by SIGKILL), the runner is killed at once; its
    workers and children follow through their parent-death signals."""
    to_runner, from_out, from_err = streams
    sources = {0: (to_runner.fileno(), True), from_out.fileno(): (1, False), from_err.fileno(): (2, False)}
    open_fds = set(sources)
    while open_fds:
        ready, _, _ = select.select(sorted(open_fds), [], [])
        for fd in ready:
            try:
                data = os.read(fd, 1 << 16)
            except OSError:
                data = b""
            target, is_input = sources[fd]
            if not data:
                open_fds.discard(fd)
                if is_input:  # the harness is gone: so is everything it started here
                    _kill_group(runner_pid)
                    os._exit(0)
                if open_fds <= {0}:
                    # both of the runner's output streams ended: it is gone (valgrind refusing an
                    # option exits at once), and the harness must see so now, not wait on its stdin
                    open_fds.clear()
                continue
            view = memoryview(data)
            try:
                while view:
                    view = view[os.write(target, view) :]
            except OSError:
                if is_input:
                    open_fds.discard(fd)  # the runner is gone; its output streams end too
                else:
                    _kill_group(runner_pid)
                    os._exit(0)
    _, status = os.waitpid(runner_pid, 0)
    os._exit(os.waitstatus_to_exitcode(status) & 0xFF)


def launcher_binary(argv0, search_path):
    """The program to exec for ``argv0``: Debian's ``valgrind`` is a shell script that exports
    ``LD_LIBRARY_PATH=/usr/lib/debug`` and two ``GLIBC*_FORCE_NEW`` variables into the measured
    interpreter's environment and execs ``valgrind.bin``; that environment lies in the heap every
    child is forked from, and the library path makes the dynamic loader search the debug folder
    on every extension module a candidate imports. So the script's binary is exec'd directly,
    with the runner's fixed environment, in every backend. Any other program (an upstream
    valgrind, which is a binary) is returned as it is."""
    import shutil

    found = shutil.which(argv0, path=search_path)
    found = os.path.realpath(found) if found else found  # a link to the script: its own folder
    if not found or os.path.basename(found) != "valgrind" or not os.access(found + ".bin", os.X_OK):
        return argv0
    with open(found, "rb") as script:
        if script.read(2) != b"#!":
            return argv0
    return found + ".bin"


#: what the set-up step runs in the measured interpreter (see runner_bytecode): the source on
#: stdin, the path it will have as argv[1], a .pyc image (magic number, 12 bytes of header) on stdout
_COMPILE_SCRIPT = (
    "import marshal, sys\n"
    "from importlib.util import MAGIC_NUMBER\n"
    "code = compile(sys.stdin.buffer.read(), sys.argv[1], 'exec', dont_inherit=True)\n"
    "sys.stdout.buffer.write(MAGIC_NUMBER + bytes(12) + marshal.dumps(code))\n"
)


def runner_bytecode(source, path, python, env):
    """The runner's ``source`` (bytes) compiled by the measured interpreter ``python`` (a path)
    for ``path``, as the bytes of a .pyc file; raises OSError when that fails.

    Written at ``path`` in place of the source (the name and argv unchanged): an interpreter
    runs a script that starts with its magic number as bytecode. The measured runner then does
    not compile its 3,000 lines at start: with the sandbox's allocator, which never gives memory
    back, compiling left about 11 MB of freed blocks resident in the zygote (anonymous memory
    18.1 MB, 8.8 MB without), whose page-table entries every worker and child fork copied and
    every exit tore down. Compiled in a fresh process of the measured interpreter (never in this
    one, whose version may differ with --rootfs, and whose state would shape marshal's output):
    the same bytes in every backend. ``env``: the fixed environment (no preload).

    Under valgrind too: compiling this file in the zygote had been what translated the
    compiler's code once for every worker, which compiles each candidate (from bytecode alone
    each worker translated it anew on every request, benchmarks/meter_overhead.py: decode_compile
    11-18 ms per test from source, 39-51 from bytecode, at load 4.7-5.4); the warm-up's
    COMPILER_WARM_UP, 124 lines of the constructs candidates write, now does that, with a few
    kB of freed blocks instead of 11 MB (measured: docs/performance.md, "The supervising loop
    under valgrind")."""
    import subprocess

    try:
        done = subprocess.run(
            [python, "-S", "-s", "-P", "-c", _COMPILE_SCRIPT, path],
            input=source,
            capture_output=True,
            env=env,
            timeout=120,
            check=False,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise OSError(errno.ENOEXEC, f"compiling the runner with {python}: {exc}") from None
    if done.returncode != 0 or len(done.stdout) < 17:
        why = done.stderr.decode("utf-8", "replace").strip()[-300:]
        raise OSError(errno.ENOEXEC, f"compiling the runner with {python} failed: {why}")
    return done.stdout


def _check_library(path, data, digest):
    """The set-up step's check that the libpython copy it read (``--library``) has the SHA-256 the
    host checked (``--library-sha256``: loaded segments equal to the original's, its record
    matching): the host checks the copy once per process, and every later runner start reads
    the file again, so a copy swapped in the cache folder after that check would otherwise be
    installed and run. The bytes checked here are the bytes installed. Raises OSError."""
    import hashlib

    found = hashlib.sha256(data).hexdigest()
    if digest is None or found != digest:
        raise OSError(
            f"--library {path}: its SHA-256 is {found}, not the {digest or '(none given)'} the host checked "
            "(the copy changed after it was checked: a stale or tampered cache folder)"
        )


def _copies_beside(opts):
    """Whether the set-up step copies the allocator and libpython beside the installed runner
    (``opts``: the parsed options; a bool): in a private /tmp, a root filesystem or a container.
    Without namespaces (the host's /tmp, perhaps noexec) only the runner's bytecode is installed,
    so that the runner runs from bytecode there too (its counts are the namespaced runner's:
    tests/threats/test_runner_bytecode.py), and the libraries load where they are."""
    return bool(opts.private_tmp or opts.rootfs or opts.container_tmp or opts.own_namespaces)


def _setup_and_exec(opts):
    """The set-up step, not measured: mounts, the runner's copy, then the runner (exec'd in a
    child, pid and argv the same in every backend) with socket stdio, and this process relays."""

    try:
        preload = None
        if opts.preload and not opts.rootfs:  # read before anything is hidden
            with open(opts.preload, "rb") as src:
                preload = src.read()
        library = None
        if opts.library:  # read before anything is hidden (the cache folder)
            with open(opts.library, "rb") as src:
                library = src.read()
            _check_library(opts.library, library, opts.library_sha256)
            if not (opts.install_to and _copies_beside(opts)):
                library = None  # loaded where it is (no private /tmp: no isolation either)
        with open(os.path.abspath(__file__), "rb") as src:
            runner_source = src.read()
        export = opts.rootfs
        if opts.own_namespaces:
            export = enter_own_namespaces(keep=export)
        _hide(opts.hide)
        if opts.hostname and _LIBC.sethostname(opts.hostname.encode(), len(opts.hostname.encode())) != 0:
            raise OSError(ctypes.get_errno(), "sethostname (needs a UTS namespace)")
        if export:
            enter_rootfs(export)
            if opts.preload:  # the image's own
                with open(opts.preload, "rb") as src:
                    preload = src.read()
        if opts.private_tmp:
            # the same steps on this machine's files, in an exported image (--rootfs) and in the
            # docker backend's container (--own-namespaces)
            keep_last_pid_for_the_runner()
            hide_other_processes()
            remount_read_only()
            # /sys's machine-wide counters (cgroups' memory and CPU use, disk statistics) are
            # channels as /proc's are (see _PROC_OPTIONS); nothing here reads /sys
            if os.path.isdir("/sys"):
                mount_tmpfs("/sys", "16k", readonly=True)
            # mode 0755: the runner's, not the children's; noatime: a child listing /tmp set its
            # access time (relatime), a bit and a time of its choosing for every later request
            tmp_options = f"size={opts.tmp_size},mode=0755"
            _mount("tmpfs", "/tmp", "tmpfs", _MS_NOSUID | _MS_NODEV | _MS_NOEXEC | _MS_NOATIME, tmp_options)
            if os.geteuid() == 0 and not (opts.rootfs or opts.own_namespaces):
                expose_to_children(sys.base_prefix)  # the machine's interpreter (an image's is in /usr)
            replace_dev()
            if os.path.isdir("/dev/shm"):
                mount_tmpfs("/dev/shm", "16k", readonly=True)
        elif opts.container_tmp:
            # a container's own /tmp and /dev/shm (the engine makes them 1777): the runner's, so
            # that nothing a test child writes outside its scratch folder outlives it
            for path in ("/tmp", "/dev/shm"):
                if os.path.isdir(path) and os.stat(path).st_uid == os.geteuid() == 0:
                    os.chmod(path, 0o755)
        env = {k: os.environ[k] for k in ("PYTHONHASHSEED", "PATH", "LANG", "HOME") if k in os.environ}
        if opts.install_to:
            folder = os.path.dirname(opts.install_to)
            os.makedirs(folder, mode=0o755, exist_ok=True)
            own_mount = (preload is not None or library is not None) and (opts.private_tmp or opts.rootfs)
            size = f"size={16384 + len(library or b'') // 1024}k,mode=0755"
            if own_mount:  # the private /tmp is noexec; the allocator is mapped executable
                _mount("tmpfs", folder, "tmpfs", _MS_NOSUID | _MS_NODEV, size)
            if opts.compile_with:
                name = opts.code_name or opts.install_to
                runner_source = runner_bytecode(runner_source, name, opts.compile_with, env)
            with open(opts.install_to, "wb") as dst:
                dst.write(runner_source)
            os.chmod(opts.install_to, 0o444)
            if preload is not None and _copies_beside(opts):
                opts.preload = os.path.join(folder, ALLOCATOR_NAME)
                with open(opts.preload, "wb") as dst:
                    dst.write(preload)
                os.chmod(opts.preload, 0o444)
            if library is not None:
                opts.library = os.path.join(folder, LIBRARY_FOLDER, os.path.basename(opts.library))
                os.mkdir(os.path.dirname(opts.library), 0o755)
                with open(opts.library, "wb") as dst:
                    dst.write(library)
                os.chmod(opts.library, 0o555)
            if own_mount:
                _mount(None, folder, None, _MS_REMOUNT | _MS_RDONLY | _MS_NOSUID | _MS_NODEV, size)
        if opts.preload:
            # the allocator whose cost does not follow the heap's history, for every allocation
            # (see effbench/sandboxes/allocator.py); valgrind adds its own preloads to the list
            env["LD_PRELOAD"] = opts.preload
            if not opts.pymalloc:
                env["PYTHONMALLOC"] = "malloc"
        if opts.library:
            # the interpreter's libpython without debug information, loaded instead of the one
            # its binary names (effbench/sandboxes/stripped.py): cachegrind's dump at each exit
            env["LD_LIBRARY_PATH"] = os.path.dirname(opts.library)
        os.chdir("/")
        set_not_dumpable()
        # a fixed environment: a container adds HOSTNAME and the like, and os.environ is part
        # of the heap every child starts from
        program = launcher_binary(opts.exec_argv[0], env.get("PATH", os.defpath))
        pairs = [socket.socketpair() for _ in range(3)]
        _burn_small_pids()
    except OSError as exc:
        _write_line(1, {"hello": False, "error": f"set-up: {exc}"})
        return 3
    pid = os.fork()
    if pid == 0:
        try:
            for i, (_outer, inner) in enumerate(pairs):
                os.dup2(inner.fileno(), i)
            for outer, inner in pairs:
                outer.close()
                inner.close()
            set_parent_death_signal()
            os.execvpe(program, opts.exec_argv, env)
        except OSError as exc:
            _write_line(1, {"hello": False, "error": f"exec {opts.exec_argv[0]}: {exc}"})
        os._exit(3)
    for _outer, inner in pairs:
        inner.close()
    _relay(pid, [outer for outer, _inner in pairs])
    return 3


def main(argv):
    import argparse

    parser = argparse.ArgumentParser(prog="runner.py")
    parser.add_argument("--meter", choices=["valgrind", "perf", "time"], default="time")
    parser.add_argument("--perf-event", default="instructions", choices=sorted(PERF_EVENTS))
    parser.add_argument("--workdir", required=False)
    parser.add_argument(
        "--private-tmp", action="store_true", help="with --exec: host mounts read-only, a private /tmp and /dev/shm"
    )
    parser.add_argument(
        "--container-tmp", action="store_true", help="with --exec: /tmp and /dev/shm are a container's own"
    )
    parser.add_argument("--hide", action="append", default=[], help="path to make empty (needs a mount namespace)")
    parser.add_argument("--rootfs", help="with --exec: chroot into this exported image, laid out like a container")
    parser.add_argument(
        "--own-namespaces",
        action="store_true",
        help="with --exec: make new user (ids 0-65535 unprivileged outside), mount, pid, uts and net namespaces "
        "first (the docker backend's container, --rootfs run by root)",
    )
    parser.add_argument("--hostname", help="with --exec: set the host name (needs a UTS namespace)")
    parser.add_argument("--tmp-size", default="512m", help="with --private-tmp: the size of the private /tmp")
    parser.add_argument(
        "--preload",
        help="with --exec: the allocator (effalloc.so) to preload into the measured interpreter, with "
        "PYTHONMALLOC=malloc; with --install-to, copied beside the runner first (with --rootfs, the image's)",
    )
    parser.add_argument(
        "--pymalloc",
        action="store_true",
        help="with --preload: keep CPython's own allocator for small blocks (for comparisons: its pools' "
        "history then moves counts)",
    )
    parser.add_argument(
        "--library",
        help="with --exec: a copy of the measured interpreter's libpython without debug information, "
        "loaded through LD_LIBRARY_PATH; with --install-to, copied beside the runner first (in lib/)",
    )
    parser.add_argument(
        "--library-sha256",
        help="with --library: the SHA-256 of the copy the host checked; any other bytes are refused",
    )
    parser.add_argument("--selftest", action="store_true")
    parser.add_argument("--install-to", help="with --exec: copy this file there first (read-only)")
    parser.add_argument(
        "--compile-with",
        help="with --install-to: install this file compiled by this interpreter (the measured one) instead",
    )
    parser.add_argument(
        "--code-name",
        help="with --compile-with: the file name the bytecode's code carries (default: --install-to's)",
    )
    parser.add_argument(
        "--exec",
        dest="exec_argv",
        nargs=argparse.REMAINDER,
        help="set up (--private-tmp, --hide, --install-to), then run the rest of the command line "
        "with socket stdio and relay it: the measured runner then starts with the same argv, "
        "environment, paths and descriptors in every backend",
    )
    opts = parser.parse_args(argv)

    sys.set_int_max_str_digits(0)
    if opts.exec_argv:
        return _setup_and_exec(opts)
    if opts.selftest:
        facts = {"python": sys.version.split()[0], "machine": _MACHINE, "seccomp_table": _SYSCALLS is not None}
        facts["perf"] = perf_selftest(opts.perf_event)
        print(json.dumps(facts))
        return 0

    set_not_dumpable()
    proto_in, proto_out = os.dup(0), os.dup(1)
    global _PROTO_SOCKET
    try:  # made here, once: every worker reads its request through the same object
        _PROTO_SOCKET = socket.socket(fileno=proto_in)
    except OSError:
        _PROTO_SOCKET = None  # a pipe (the runner started by hand): read in a loop
    devnull = os.open("/dev/null", os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(devnull, 1)
    facts = {"protocol": PROTOCOL, "pid": os.getpid(), "python": sys.version.split()[0], "machine": _MACHINE}
    facts["root"] = os.geteuid() == 0  # a bool: no allocation that differs between backends
    # whether this process runs from the bytecode the set-up step installed (runner_bytecode):
    # an interpreter runs such a script with a SourcelessFileLoader as its __loader__
    facts["bytecode"] = type(globals().get("__loader__")).__name__ == "SourcelessFileLoader"
    try:
        facts["hidden"] = _hide(opts.hide)
        uid = child_user()
        prepare_seccomp(exec_floor(opts.meter))
    except OSError as exc:
        _write_line(proto_out, {"hello": False, "error": str(exc)})
        return 3
    facts["child_uid"] = uid
    # read in a throwaway child: the mount table's length differs between runners (the hidden
    # paths), and reading it here would leave their heaps, and so their counts, apart
    # (one child for both: each is a fork, under valgrind a costly one at every runner's start)
    hidden = _in_a_throwaway_child(lambda: b"%d%d" % (processes_hidden(), machine_files_hidden()))[0]
    facts["hidden_processes"] = hidden[:1] == b"1"
    facts["hidden_machine_files"] = hidden[1:2] == b"1"
    facts["fixed_pids"] = open_last_pid()
    facts["warm_up_workers"] = WARM_UP_WORKERS
    workdir = opts.workdir or "/tmp/effbench-runner"
    os.makedirs(workdir, mode=0o711, exist_ok=True)
    os.chmod(workdir, 0o711)  # the children reach their scratch folder below it, nothing else
    facts["seccomp"] = _SYSCALLS is not None
    if opts.meter == "perf":
        probe = perf_selftest(opts.perf_event)
        if not probe["ok"]:
            _write_line(proto_out, {"hello": False, "error": "perf: " + probe["reason"]})
            return 3
    bound_threads()
    install_sandbox_coroutine()
    runner = Runner(opts.meter, opts.perf_event, workdir, uid)
    global _FFI_PLAN
    try:
        _FFI_PLAN = plan_ffi_removal()
        verify_ffi_removed()
    except (OSError, ImportError) as exc:
        _write_line(proto_out, {"hello": False, "error": str(exc)})
        return 3
    runner.warm_up_serving()
    _write_line(proto_out, {"hello": True, "facts": facts})
    return serve(runner, proto_in, proto_out)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
