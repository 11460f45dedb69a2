"""effbench in-sandbox runner: standard library only, one file.

The host starts one runner per worker (under valgrind for the valgrind meter) and keeps it alive.
The runner speaks JSON lines on its stdin/stdout:

    host -> runner  {"op": "run", "id": ..., "code": ..., "entry_point": ..., "args": <plain data>,
                     "limits": {...}, "repeats": 1}
    runner -> host  {"id": ..., "runs": [<one record per repeat>]}

For every test it forks a *baseline* child (the same child routine on a null candidate) and then
the *test* child, each in its own session. A child closes every inherited descriptor, redirects
stdout/stderr to a capped scratch file, applies resource limits, drops capabilities, installs a
seccomp filter (no fork/exec, no ptrace, no perf_event_open, no signals to other processes, no
sockets but AF_UNIX), then compiles and executes the candidate module and calls the entry point.
The result leaves the child as plain JSON on a pipe; the runner forwards the raw text untouched
and the host decodes and checks it. Expected answers never enter this process.

Meters: under valgrind the host reads each child's instruction count from valgrind's log (a
descriptor the candidate cannot reach once the child closed it); the cost of a test is
count(test child) - count(baseline child). For perf the runner opens a hardware counter on each
child (user space, inherited by its threads) and reads it after the child exits. For time the
runner measures the child's wall and CPU time. The runner enforces wall-clock, CPU, memory and
(perf) instruction limits from outside the child, and kills the child's whole process group.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import gc
import json
import os
import resource
import select
import signal
import struct
import sys
import time

PROTOCOL = 1
MAX_RESULT_BYTES = 64 * 1024 * 1024
STDERR_TAIL_BYTES = 2048
POLL_SECONDS = 0.005

# --------------------------------------------------------------------------------------------
# Plain-data codec: the only format in which values cross the sandbox boundary.

TAG = "__effbench__"


class NotPlainData(TypeError):
    """A value that cannot cross the sandbox boundary (custom objects, functions, ...)."""


_SCALARS = frozenset({int, float, str, bool, type(None)})


def encode(value, _depth=0):
    """Turn a value into JSON-able plain data, or raise NotPlainData."""
    if _depth > 10_000:
        raise NotPlainData("value nested too deeply")
    t = type(value)
    if value is None or t is bool or t is int or t is float or t is str:
        return value
    if t is list or t is tuple:
        # lists of scalars (the common answer) are checked at C speed: the encoding is part of
        # every candidate's cost, so it must stay small next to the work
        if _SCALARS.issuperset(map(type, value)):
            return value if t is list else list(value)
        return [encode(v, _depth + 1) for v in value]
    if t is dict:
        if all(type(k) is str for k in value) and TAG not in value:
            return {k: encode(v, _depth + 1) for k, v in value.items()}
        return {TAG: "dict", "items": [[encode(k, _depth + 1), encode(v, _depth + 1)] for k, v in value.items()]}
    if t is set or t is frozenset:
        items = [encode(v, _depth + 1) for v in value]
        items.sort(key=lambda v: json.dumps(v, sort_keys=True))
        return {TAG: "set", "items": items}
    if t is bytes or t is bytearray:
        return {TAG: "bytes", "hex": bytes(value).hex()}
    raise NotPlainData(f"result of type {t.__module__}.{t.__qualname__} is not plain data")


def decode(data):
    """Inverse of encode for arguments: JSON data back to Python values."""
    if isinstance(data, list):
        return [decode(v) for v in data]
    if isinstance(data, dict):
        tag = data.get(TAG)
        if tag is None:
            return {k: decode(v) for k, v in data.items()}
        if tag == "dict":
            return {_hashable(decode(k)): decode(v) for k, v in data["items"]}
        if tag == "set":
            return {_hashable(decode(v)) for v in data["items"]}
        if tag == "bytes":
            return bytes.fromhex(data["hex"])
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
        "clone": 56,
        "fork": 57,
        "vfork": 58,
        "execve": 59,
        "kill": 62,
        "ptrace": 101,
        "tkill": 200,
        "tgkill": 234,
        "rt_sigqueueinfo": 129,
        "rt_tgsigqueueinfo": 297,
        "perf_event_open": 298,
        "process_vm_readv": 310,
        "process_vm_writev": 311,
        "execveat": 322,
        "bpf": 321,
        "unshare": 272,
        "setns": 308,
        "mount": 165,
        "pidfd_send_signal": 424,
        "pidfd_open": 434,
        "clone3": 435,
        "socket": 41,
        "capset": 126,
        "setsid": 112,
        "kcmp": 312,
        "pidfd_getfd": 438,
    },
    "aarch64": {
        "arch": 0xC00000B7,
        "clone": 220,
        "execve": 221,
        "kill": 129,
        "ptrace": 117,
        "tkill": 130,
        "tgkill": 131,
        "rt_sigqueueinfo": 138,
        "rt_tgsigqueueinfo": 240,
        "perf_event_open": 241,
        "process_vm_readv": 270,
        "process_vm_writev": 271,
        "execveat": 281,
        "bpf": 280,
        "unshare": 97,
        "setns": 268,
        "mount": 40,
        "pidfd_send_signal": 424,
        "pidfd_open": 434,
        "clone3": 435,
        "socket": 198,
        "capset": 91,
        "kcmp": 272,
        "pidfd_getfd": 438,
    },
}.get(_MACHINE)

_BPF_LD_W_ABS, _BPF_JEQ, _BPF_JSET, _BPF_RET = 0x20, 0x15, 0x45, 0x06
_RET_ALLOW = 0x7FFF0000
_RET_KILL = 0x00000000


def _ret_errno(code):
    return 0x00050000 | code


def _seccomp_program(own_pid: int) -> list:
    """A BPF program as a list of (code, jt, jf, k); jumps are resolved from labels."""
    nr = _SYSCALLS
    prog = [("ld", 4), ("jeq", nr["arch"], None, "kill"), ("ld", 0)]
    denied = [
        "fork",
        "vfork",
        "execve",
        "execveat",
        "ptrace",
        "process_vm_readv",
        "process_vm_writev",
        "perf_event_open",
        "bpf",
        "unshare",
        "setns",
        "mount",
        "pidfd_send_signal",
        "pidfd_open",
        "rt_sigqueueinfo",
        "rt_tgsigqueueinfo",
        "kcmp",
        "pidfd_getfd",
    ]
    for name in denied:
        if name in nr:
            prog.append(("jeq", nr[name], "eperm", None))
    # clone3: ENOSYS makes glibc fall back to clone, whose flags we can inspect
    prog.append(("jeq", nr["clone3"], "enosys", None))
    # clone: only threads (CLONE_THREAD) may be created
    prog += [("jeq", nr["clone"], None, "after_clone"), ("ld", 16), ("jset", 0x00010000, "allow", "eperm")]
    prog.append(("label", "after_clone"))
    # kill / tkill / tgkill: only to itself (or its own process group, pid 0)
    for name in ("kill", "tgkill", "tkill"):
        after = "after_" + name
        prog += [("jeq", nr[name], None, after), ("ld", 16), ("jeq", own_pid, "allow", None)]
        if name == "kill":
            prog += [("jeq", 0, "allow", None), ("jeq", (-own_pid) & 0xFFFFFFFF, "allow", "eperm")]
        else:
            prog.append(("ret", _ret_errno(errno.EPERM)))
        prog += [("label", after), ("ld", 0)]
    # socket: AF_UNIX only
    prog += [("jeq", nr["socket"], None, "allow"), ("ld", 16), ("jeq", 1, "allow", "eperm")]
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
            code = _BPF_JEQ if op == "jeq" else _BPF_JSET
            jt = 0 if item[2] is None else labels[item[2]] - index - 1
            jf = 0 if item[3] is None else labels[item[3]] - index - 1
            if not (0 <= jt < 256 and 0 <= jf < 256):
                raise ValueError("BPF jump out of range")
            out.append(struct.pack("HBBI", code, jt, jf, item[1]))
        index += 1
    return b"".join(out)


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


_PID_PLACEHOLDER = 0x3FFFFFF1  # above any pid_max; patched with the child's pid after fork
_SECCOMP_TEMPLATE = _assemble(_seccomp_program(_PID_PLACEHOLDER)) if _SYSCALLS is not None else b""


def _seccomp_fprog(own_pid: int):
    code = _SECCOMP_TEMPLATE.replace(struct.pack("I", _PID_PLACEHOLDER), struct.pack("I", own_pid))
    negative = struct.pack("I", (-_PID_PLACEHOLDER) & 0xFFFFFFFF)
    code = code.replace(negative, struct.pack("I", (-own_pid) & 0xFFFFFFFF))
    buf = ctypes.create_string_buffer(code, len(code))
    return buf, _SockFprog(len(code) // 8, ctypes.addressof(buf))


def install_seccomp(own_pid: int) -> None:
    """Deny process creation, exec, tracing, counters, foreign signals and non-local sockets."""
    if _SYSCALLS is None:
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


def set_no_new_privs_and_pdeathsig() -> None:
    _LIBC.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG


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


_MS_RDONLY, _MS_NOSUID, _MS_NODEV, _MS_NOEXEC, _MS_REMOUNT, _MS_BIND, _MS_REC = 1, 2, 4, 8, 32, 4096, 16384


def mount_tmpfs(path: str, size: str, readonly: bool) -> None:
    flags = _MS_NOSUID | _MS_NODEV | _MS_NOEXEC | (_MS_RDONLY if readonly else 0)
    _mount("tmpfs", path, "tmpfs", flags, f"size={size},mode=0755")


def _mount(source, target: str, fstype, flags: int, data=None) -> None:
    enc = lambda v: v.encode() if isinstance(v, str) else v  # noqa: E731
    if _LIBC.mount(enc(source), enc(target), enc(fstype), flags, enc(data)) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"mount {source or fstype} on {target}: {os.strerror(err)}")


def bind_dev_null(path: str) -> None:
    _mount("/dev/null", path, None, _MS_BIND)


#: the device nodes a container gets, bound from the host into a root filesystem's /dev
_DEVICES = ("null", "zero", "full", "random", "urandom", "tty")
#: the user candidates run as in a root filesystem (and in the docker image): nobody
_SANDBOX_UID = 65534


def _initial_root() -> bool:
    """Root of the host (not of a user namespace mapping one id): it can become nobody."""
    try:
        with open("/proc/self/uid_map") as f:
            return os.getuid() == 0 and f.read().split() == ["0", "0", "4294967295"]
    except OSError:
        return False


def enter_rootfs(export: str) -> None:
    """Make an exported image (``effbench sandbox export``: ``tree/``, ``empty/``) this mount
    namespace's root, laid out like the docker backend's container: the tree read-only, a tmpfs
    /dev holding the host's null, zero, full, random, urandom and tty, a fresh /proc for this PID
    namespace, a private /tmp. Runs as (namespace) root, before exec.

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
    dev = root + "/dev"
    _mount("tmpfs", dev, "tmpfs", _MS_NOSUID | _MS_NOEXEC, "size=64k,mode=0755")
    for name in _DEVICES:
        open(f"{dev}/{name}", "w").close()
        _mount(f"/dev/{name}", f"{dev}/{name}", None, _MS_BIND)
    os.mkdir(dev + "/shm", 0o1777)
    for name, target in (
        ("fd", "/proc/self/fd"),
        ("stdin", "/proc/self/fd/0"),
        ("stdout", "/proc/self/fd/1"),
        ("stderr", "/proc/self/fd/2"),
    ):
        os.symlink(target, f"{dev}/{name}")
    _mount("proc", root + "/proc", "proc", _MS_NOSUID | _MS_NODEV | _MS_NOEXEC)
    _mount("tmpfs", root + "/tmp", "tmpfs", _MS_NOSUID | _MS_NODEV | _MS_NOEXEC, "size=512m,mode=1777")
    os.chroot(root)
    os.chdir("/")


# --------------------------------------------------------------------------------------------
# The child: everything after fork runs here, and all of it is the candidate's cost (the
# baseline child runs the same routine with a null candidate, so the host can subtract it).

NULL_CODE = "def _effbench_null(*args):\n    return None\n"


def _child(code, entry_point, args, scratch, result_w, go_r):
    try:
        os.setsid()
        os.read(go_r, 1)  # wait until the parent has attached the counter (perf) and timers
        devnull = os.open("/dev/null", os.O_RDONLY)
        out = os.open(os.path.join(scratch, "output.txt"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(devnull, 0)
        os.dup2(out, 1)
        os.dup2(out, 2)
        # close every inherited descriptor (valgrind's log among them) except the result pipe;
        # descriptors at or above the soft limit belong to valgrind and are out of reach anyway
        # (closerange allocates nothing, whatever the number of open descriptors)
        limit = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
        os.closerange(3, result_w)
        os.closerange(result_w + 1, limit)
        os.chdir(scratch)
        set_no_new_privs_and_pdeathsig()
        drop_capabilities()  # always, root or not: the same path (and allocations) everywhere
        install_seccomp(os.getpid())
    except BaseException as exc:
        _child_report(result_w, {"harness_error": f"{type(exc).__name__}: {exc}"})
        os._exit(70)
    try:
        namespace = {"__name__": "solution", "__builtins__": __builtins__}
        exec(compile(code, "solution.py", "exec"), namespace)
        func = namespace.get(entry_point)
        if not callable(func):
            raise NameError(f"entry point {entry_point!r} is not defined")
        value = func(*args)
        payload = '{"ok":true,"value":' + json.dumps(encode(value), separators=(",", ":")) + "}"
    except BaseException as exc:
        try:
            payload = json.dumps({"ok": False, "error_type": type(exc).__name__, "message": str(exc)[:500]})
        except BaseException:
            payload = '{"ok":false,"error_type":"UnprintableException","message":""}'
    try:
        _child_write(result_w, payload.encode("utf-8", "replace"))
    except BaseException:
        os._exit(71)
    os._exit(0)


def child_rlimits(limits, meter):
    """The child's rlimits, set by the parent with prlimit once the child exists."""
    out = []
    cpu = limits.get("cpu_seconds")
    if cpu:
        soft = max(1, int(cpu + 0.999))
        out.append((resource.RLIMIT_CPU, (soft, soft + 1)))
    fsize = limits.get("file_bytes")
    if fsize:
        out.append((resource.RLIMIT_FSIZE, (int(fsize), int(fsize))))
    out.append((resource.RLIMIT_CORE, (0, 0)))
    if meter != "valgrind":  # valgrind keeps descriptors of its own above the client's limit
        out.append((resource.RLIMIT_NOFILE, (64, 64)))
    address_space = limits.get("address_space_bytes")
    if address_space and meter != "valgrind":  # valgrind needs its own address space
        out.append((resource.RLIMIT_AS, (int(address_space), int(address_space))))
    return out


def _child_report(fd, obj):
    try:
        _child_write(fd, json.dumps(obj).encode())
    except OSError:
        pass


def _child_write(fd, data):
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


# --------------------------------------------------------------------------------------------
# The parent side of one run.


def _status_rss_kb(pid):
    try:
        with open(f"/proc/{pid}/status", "rb") as f:
            for line in f:
                if line.startswith(b"VmRSS:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return None


def _kill_group(pid):
    for target in (lambda: os.killpg(pid, signal.SIGKILL), lambda: os.kill(pid, signal.SIGKILL)):
        try:
            target()
        except OSError:
            pass


def run_child(code, entry_point, args, limits, scratch, meter, perf_event, supervise=True):
    """Fork one child, supervise it, return a record (no decoding of the result)."""
    result_r, result_w = os.pipe()
    go_r, go_w = os.pipe()
    # the same collector state before every fork: a child's garbage collections (part of its
    # count) must not depend on what the runner allocated before it
    gc.collect()
    gc.freeze()
    pid = os.fork()
    if pid == 0:
        os.close(result_r)
        os.close(go_w)
        _child(code, entry_point, args, scratch, result_w, go_r)
        os._exit(72)  # not reached
    os.close(result_w)
    os.close(go_r)
    record = {"pid": pid}
    # limits are applied from here, after the fork and before the child goes on: nothing the
    # child inherits may depend on limit values (an extra int object in this process shifts the
    # allocator state the child starts from, and with it the child's count)
    try:
        for which, values in child_rlimits(limits, meter) if supervise else ():
            resource.prlimit(pid, which, values)
    except (OSError, ValueError) as exc:
        record["infra_error"] = f"prlimit: {exc}"
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
    baseline_rss_kb = None
    instr_limit = limits.get("instructions") if meter == "perf" else None
    chunks, size, killed_for = [], 0, None
    start = time.perf_counter()
    os.write(go_w, b"g")
    os.close(go_w)
    status = rusage = None
    fd_open = True
    peak_rss_kb = 0
    if not supervise:
        # the baseline (our own null candidate): a blocking wait, so that the runner's work
        # between the baseline's fork and the test's fork does not depend on timing
        _, status, rusage = os.wait4(pid, 0)
    while supervise:
        if fd_open:
            ready, _, _ = select.select([result_r], [], [], POLL_SECONDS)
            if ready:
                data = os.read(result_r, 1 << 20)
                if not data:
                    fd_open = False
                else:
                    size += len(data)
                    if size > MAX_RESULT_BYTES:
                        killed_for = killed_for or "output"
                        _kill_group(pid)
                    else:
                        chunks.append(data)
                continue
        else:
            time.sleep(POLL_SECONDS)
        got, st, ru = os.wait4(pid, os.WNOHANG)
        if got == pid:
            status, rusage = st, ru
            break
        elapsed = time.perf_counter() - start
        if killed_for is None:
            if elapsed > wall_limit:
                killed_for = "wall"
            elif mem_limit_kb:
                rss = _status_rss_kb(pid)
                if baseline_rss_kb is None:
                    baseline_rss_kb = rss or 0  # what the child shares with this process at start
                if rss is not None:
                    peak_rss_kb = max(peak_rss_kb, rss)
                    if rss - baseline_rss_kb > mem_limit_kb:
                        killed_for = "memory"
            if killed_for is None and counter is not None and instr_limit:
                if perf_read(counter)[0] > instr_limit:
                    killed_for = "instructions"
            if killed_for:
                _kill_group(pid)
    wall = time.perf_counter() - start
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
            if size <= MAX_RESULT_BYTES:
                chunks.append(data)
    os.close(result_r)
    if counter is not None:
        value, multiplexed = perf_read(counter)
        os.close(counter)
        record["count"] = value
        record["multiplexed"] = multiplexed
    record["wall_seconds"] = wall
    record["cpu_seconds"] = rusage.ru_utime + rusage.ru_stime
    record["max_rss_kb"] = max(rusage.ru_maxrss, peak_rss_kb)
    if os.WIFSIGNALED(status):
        record["signal"] = os.WTERMSIG(status)
    else:
        record["exit_code"] = os.WEXITSTATUS(status)
    if killed_for:
        record["killed_for"] = killed_for
    if size > MAX_RESULT_BYTES:
        record["result_too_large"] = size
    else:
        record["result"] = b"".join(chunks).decode("utf-8", "replace")
    if supervise:
        record["stderr_tail"] = _tail(os.path.join(scratch, "output.txt"))
    return record


def _tail(path):
    try:
        with open(path, "rb") as f:
            f.seek(0, 2)
            n = f.tell()
            f.seek(max(0, n - STDERR_TAIL_BYTES))
            return f.read().decode("utf-8", "replace")
    except OSError:
        return ""


def _fresh_scratch(root, name):
    path = os.path.join(root, name)
    if os.path.isdir(path):
        _rmtree(path)
    os.mkdir(path, 0o700)
    return path


def _rmtree(path):
    for dirpath, dirnames, filenames in os.walk(path, topdown=False):
        for f in filenames:
            try:
                os.unlink(os.path.join(dirpath, f))
            except OSError:
                pass
        for d in dirnames:
            try:
                os.rmdir(os.path.join(dirpath, d))
            except OSError:
                pass
    try:
        os.rmdir(path)
    except OSError:
        pass


# --------------------------------------------------------------------------------------------
# The protocol loop.


WARM_UP_CODE = """
def _effbench_warm_up(n):
    data = list(range(n, 0, -1))
    data.sort()
    table = {str(i): i * i for i in data}
    seen = set(table.values())
    text = ",".join(sorted(table)[:50])
    total = sum(x for x in data if x in seen) + len(text.split(","))
    return [total, {"k": 1.5}, (1, 2), None, True]
"""


class Runner:
    def __init__(self, meter, perf_event, workdir):
        self.meter = meter
        self.perf_event = perf_event
        self.workdir = workdir
        self.warm_up()

    def warm_up(self):
        """Run the child routine's code paths here once, so that under valgrind every child
        inherits their translations instead of translating them again (wall time, not counts)."""
        namespace = {"__name__": "solution", "__builtins__": __builtins__}
        exec(compile(WARM_UP_CODE, "solution.py", "exec"), namespace)
        value = namespace["_effbench_warm_up"](2000)
        json.loads(json.dumps(encode(value), separators=(",", ":")))
        exec(compile(NULL_CODE, "solution.py", "exec"), {"__builtins__": __builtins__})
        if _SYSCALLS is not None:
            _seccomp_fprog(os.getpid())
        _LIBC.prctl(21, 0, 0, 0, 0)  # PR_GET_SECCOMP: the ctypes call path, harmlessly
        os.listdir("/proc/self/fd")
        resource.setrlimit(resource.RLIMIT_CORE, (0, resource.getrlimit(resource.RLIMIT_CORE)[1]))
        scratch = _fresh_scratch(self.workdir, "scratch")
        fd = os.open(os.path.join(scratch, "output.txt"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.close(fd)
        _tail(os.path.join(scratch, "output.txt"))

    def run_pair(self, code, entry_point, args, limits):
        """Baseline child then test child, forked from the same point of this loop."""
        scratch = _fresh_scratch(self.workdir, "scratch")
        base_limits = dict(limits)
        base_limits.pop("instructions", None)
        baseline = run_child(
            NULL_CODE, "_effbench_null", [], base_limits, scratch, self.meter, self.perf_event, supervise=False
        )
        # the same scratch folder: the baseline only created an empty output file, which the
        # test child truncates; keeping the runner's work between the two forks small and fixed
        test = run_child(code, entry_point, args, limits, scratch, self.meter, self.perf_event)
        return {"baseline": baseline, "test": test}

    def handle(self, request):
        if request.get("op") == "ping":
            return {"id": request.get("id"), "pong": True}
        if request.get("op") != "run":
            return {"id": request.get("id"), "error": f"unknown op {request.get('op')!r}"}
        args = decode(request["args"])
        if not isinstance(args, list):
            return {"id": request.get("id"), "error": "args must be a list"}
        gc.freeze()  # the arguments are part of the state every child starts from
        runs = [
            self.run_pair(request["code"], request["entry_point"], args, request.get("limits", {}))
            for _ in range(max(1, int(request.get("repeats", 1))))
        ]
        return {"id": request.get("id"), "runs": runs}


def _read_exact(fd, n):
    """n bytes into one buffer allocated up front: how the transport (a pipe, a container's
    socket) happens to chunk them must not change what this process allocates, since every
    child starts from its heap."""
    buf = bytearray(n)
    view = memoryview(buf)
    with open(fd, "rb", buffering=0, closefd=False) as stream:
        pos = 0
        while pos < n:
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


def _worker(runner, proto_in, proto_out):
    """One request, in a process forked from the pristine zygote: read, run, answer, exit.

    Requests are framed as ``<length>\n<json>`` so that the worker reads exactly its own.
    """
    set_no_new_privs_and_pdeathsig()
    header = b""
    while not header.endswith(b"\n"):
        ch = os.read(proto_in, 1)
        if not ch:
            return EXIT_EOF
        header += ch
    request = json.loads(_read_exact(proto_in, int(header)))
    try:
        response = runner.handle(request)
    except Exception as exc:
        response = {"id": request.get("id"), "error": f"{type(exc).__name__}: {exc}"}
    _write_line(proto_out, response)
    return 0


def _serve_once(runner, proto_in, proto_out, dummy=False):
    gc.collect()
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            if dummy:
                runner.run_pair(NULL_CODE, "_effbench_null", [], {"wall_seconds": 60.0, "cpu_seconds": 30.0})
            else:
                code = _worker(runner, proto_in, proto_out)
        except BaseException as exc:
            try:
                _write_line(proto_out, {"id": None, "error": f"worker: {type(exc).__name__}: {exc}"})
            except BaseException:
                pass
            code = 1
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    if os.WIFEXITED(status) and os.WEXITSTATUS(status) == EXIT_EOF:
        return False
    if not (os.WIFEXITED(status) and os.WEXITSTATUS(status) in (0, 1)):
        _write_line(proto_out, {"id": None, "error": f"worker died (wait status {status})"})
    return True


def serve(runner, proto_in, proto_out):
    """The zygote loop: this process never reads a request, so every worker (and so every
    child) starts from the same interpreter state, whatever ran before it. Two warm-up rounds
    (a worker that runs a null test and answers nobody) first, so that everything the rounds
    leave behind (the scratch folder, the loop's own caches) is settled before the first real
    request: measured, the first round costs its test about a hundred instructions more."""
    gc.collect()
    gc.freeze()
    for _ in range(2):
        _serve_once(runner, proto_in, proto_out, dummy=True)
    while _serve_once(runner, proto_in, proto_out):
        pass
    return 0


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


def _setup_and_exec(opts):
    """The set-up step, not measured: mounts, the runner's copy, then exec (pid and fds kept)."""
    try:
        _hide(opts.hide)
        with open(os.path.abspath(__file__), "rb") as src:
            runner_source = src.read()
        if opts.hostname and _LIBC.sethostname(opts.hostname.encode(), len(opts.hostname.encode())) != 0:
            raise OSError(ctypes.get_errno(), "sethostname (needs a UTS namespace)")
        if opts.rootfs:
            enter_rootfs(opts.rootfs)
        elif opts.private_tmp:
            mount_tmpfs("/tmp", "512m", readonly=False)
            os.chmod("/tmp", 0o1777)
        if opts.install_to:
            os.makedirs(os.path.dirname(opts.install_to), mode=0o755, exist_ok=True)
            with open(opts.install_to, "wb") as dst:
                dst.write(runner_source)
            os.chmod(opts.install_to, 0o444)
        if opts.rootfs and _initial_root():
            # the runner's copy is the user's, as in the container (a stat's uid 0 is a cached int,
            # 65534 is not: imports from the runner's folder would cost differently)
            for path in (os.path.dirname(opts.install_to or ""), opts.install_to):
                if path:
                    os.chown(path, _SANDBOX_UID, _SANDBOX_UID)
            os.setgroups([_SANDBOX_UID])
            os.setgid(_SANDBOX_UID)
            os.setuid(_SANDBOX_UID)
    except OSError as exc:
        _write_line(1, {"hello": False, "error": f"set-up: {exc}"})
        return 3
    try:
        # a fixed environment: a container adds HOSTNAME and the like, and os.environ is part
        # of the heap every child starts from
        env = {k: os.environ[k] for k in ("PYTHONHASHSEED", "PATH", "LANG", "HOME") if k in os.environ}
        os.chdir("/")
        _burn_small_pids()
        os.execvpe(opts.exec_argv[0], opts.exec_argv, env)
    except OSError as exc:
        _write_line(1, {"hello": False, "error": f"exec {opts.exec_argv[0]}: {exc}"})
    return 3


def main(argv):
    import argparse

    parser = argparse.ArgumentParser(prog="runner.py")
    parser.add_argument("--meter", choices=["valgrind", "perf", "time"], default="time")
    parser.add_argument("--perf-event", default="instructions", choices=sorted(PERF_EVENTS))
    parser.add_argument("--workdir", required=False)
    parser.add_argument("--private-tmp", action="store_true", help="mount a tmpfs on /tmp (needs a mount namespace)")
    parser.add_argument("--hide", action="append", default=[], help="path to make empty (needs a mount namespace)")
    parser.add_argument("--rootfs", help="with --exec: chroot into this exported image, laid out like a container")
    parser.add_argument("--hostname", help="with --exec: set the host name (needs a UTS namespace)")
    parser.add_argument("--selftest", action="store_true")
    parser.add_argument("--install-to", help="with --exec: copy this file there first (read-only)")
    parser.add_argument(
        "--exec",
        dest="exec_argv",
        nargs=argparse.REMAINDER,
        help="set up (--private-tmp, --hide, --install-to), then exec the rest of the command line: "
        "the measured runner then starts with the same argv, environment and paths in every backend",
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

    proto_in, proto_out = os.dup(0), os.dup(1)
    devnull = os.open("/dev/null", os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(devnull, 1)
    facts = {"protocol": PROTOCOL, "pid": os.getpid(), "python": sys.version.split()[0], "machine": _MACHINE}
    facts["root"] = os.geteuid() == 0  # a bool: no allocation that differs between backends
    try:
        facts["hidden"] = _hide(opts.hide)
        if opts.private_tmp:
            mount_tmpfs("/tmp", "512m", readonly=False)
            facts["private_tmp"] = True
    except OSError as exc:
        _write_line(proto_out, {"hello": False, "error": str(exc)})
        return 3
    workdir = opts.workdir or "/tmp/effbench-runner"
    os.makedirs(workdir, mode=0o700, exist_ok=True)
    facts["seccomp"] = _SYSCALLS is not None
    if opts.meter == "perf":
        probe = perf_selftest(opts.perf_event)
        if not probe["ok"]:
            _write_line(proto_out, {"hello": False, "error": "perf: " + probe["reason"]})
            return 3
    runner = Runner(opts.meter, opts.perf_event, workdir)
    _write_line(proto_out, {"hello": True, "facts": facts})
    return serve(runner, proto_in, proto_out)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
