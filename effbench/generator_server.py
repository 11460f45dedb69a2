"""Problem generators run in children forked from a long-lived generator server (issue 13).

Before, each problem's tests were generated in a fresh interpreter (``python -c``): on the main
job, 61 interpreter starts, each importing :mod:`effbench.codec` and the in-sandbox runner's
module it loads (about 0.1 s of CPU each, from source). A :class:`GeneratorServer` is one
interpreter started with the generator's environment (``PYTHONHASHSEED``, ``PYTHONPATH``) that
imports those modules once; for each problem it forks a child that runs the same script as
before (:data:`effbench.problems.GENERATE_BODY`) under the same bounds, each set in the child:
its address space (``memory_bytes``), a CPU-time and a wall-clock alarm per ``generate`` call
(``call_seconds``: SIGPROF or SIGALRM ends the child), a CPU-time limit on the whole child and a
wall-clock one (``total_seconds``: the server kills it with SIGKILL). Neither wall-clock limit
counts the time the child waited, runnable, for a CPU (:func:`held_left`): a busy machine's doing,
which must not stop a generator within its limits. The child's stdout and stderr go to files the
host reads once it ends, and the server answers with its exit code as :mod:`subprocess` gives it
(``-N`` for signal N). Each
problem's generator is loaded in its own child: nothing a generator does (its module, its
globals, the global ``random`` state, which the child draws afresh as a new interpreter does)
reaches another problem's.

Where the kernel allows it, each server (and each fresh interpreter a generator runs in, see
:func:`fresh_command`) starts in a PID namespace of its own (:data:`PID_NAMESPACE`): the server
is that namespace's init, so no generator can signal it (the kernel drops a signal sent to a
namespace's init from inside it unless the init handles it) nor the host (outside it, it has no
pid there), and when the namespace's init ends, the kernel kills every process left in it, one in
a session of its own included. Where the kernel refuses the namespace (no unprivileged user
namespaces, a container without them), the server is a subreaper as before.

Servers are kept per environment (hash seed, package path, interpreter), one per concurrent
caller, and stopped when the process exits. A server that fails (it died, it answered nothing) is
stopped and the call says so (:class:`ServerFailed`): the caller then runs the generator in a
fresh interpreter, as before.
"""

from __future__ import annotations

import atexit
import json
import os
import secrets
import select
import shutil
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass
from typing import Any

#: Run first in a generator server and in a fresh generator interpreter (:func:`fresh_command`):
#: the process dies with its parent (PR_SET_PDEATHSIG), then, where the kernel allows it, enters a
#: PID namespace of its own, in a user namespace of its own that maps only its own uid and gid
#: (CLONE_NEWPID | CLONE_NEWUSER: even a generator run as root holds no capability outside, so it
#: can neither re-enter the host's PID namespace nor trace or write a host process; as root where
#: user namespaces are refused, CLONE_NEWPID alone), and forks its first process, the namespace's
#: init (pid 1), which goes on with the script; the process that forked it stays outside, waits
#: for it and ends as it ended (by the same signal, or the same exit code). With
#: ``_EFFBENCH_INIT_FORKS`` true (a fresh interpreter), the init forks once more and the generator
#: runs in that child (pid 2: signals such as SIGALRM and SIGXFSZ act on it as on any process,
#: which they would not on an init); the init waits for it, kills every other process of the
#: namespace and ends as the child did. Without the namespace (the kernel refused it) the script
#: runs on in this process, as before. ``_EFFBENCH_PID_NAMESPACE`` says which.
PID_NAMESPACE = r"""
import ctypes as _c, os as _os, signal as _signal

_EFFBENCH_PID_NAMESPACE = False

def _effbench_pid_namespace(init_forks):
    global _EFFBENCH_PID_NAMESPACE
    libc = _c.CDLL("libc.so.6", use_errno=True)
    libc.prctl(1, int(_signal.SIGKILL), 0, 0, 0)  # PR_SET_PDEATHSIG: dies with the host
    uid, gid = _os.getuid(), _os.getgid()
    for flags in ((0x30000000, 0x20000000) if uid == 0 else (0x30000000,)):  # NEWPID | NEWUSER, or NEWPID
        if libc.unshare(flags) == 0:
            break
    else:
        return
    _EFFBENCH_PID_NAMESPACE = True
    if flags & 0x10000000:  # a user namespace: this uid and gid only, as they were
        for name, text in (("setgroups", "deny"), ("uid_map", f"{uid} {uid} 1"), ("gid_map", f"{gid} {gid} 1")):
            with open("/proc/self/" + name, "w") as f:
                f.write(text)
    ended_by_r, ended_by_w = _os.pipe()  # the signal that ended the generator, written by the init
    init = _os.fork()
    if init:  # outside the namespace: end as its init ends
        _os.close(ended_by_w)
        null = _os.open(_os.devnull, _os.O_RDWR)
        _os.dup2(null, 0)
        _os.dup2(null, 1)
        _, status = _os.waitpid(init, 0)
        _effbench_end_as(status, _os.read(ended_by_r, 16))
    libc.prctl(1, int(_signal.SIGKILL), 0, 0, 0)  # the init (and with it the namespace) dies with it
    _os.close(ended_by_r)
    # a generator's SIGINT to its init would raise KeyboardInterrupt here: the init takes none
    _signal.signal(_signal.SIGINT, _signal.SIG_IGN)
    if not init_forks:
        _os.close(ended_by_w)
        return
    child = _os.fork()
    if child == 0:
        _os.close(ended_by_w)
        _signal.signal(_signal.SIGINT, _signal.default_int_handler)  # a fresh interpreter's
        _os.setpgid(0, 0)  # alone in its group: its kill(0, ...) reaches neither its init nor the host
        return
    while True:  # reap what comes (orphans come here) until the generator has ended
        try:
            pid, status = _os.waitpid(-1, 0)
        except ChildProcessError:
            _os._exit(70)
        if pid == child:
            break
    _effbench_end_namespace()
    if _os.WIFSIGNALED(status):
        _os.write(ended_by_w, b"%d" % _os.WTERMSIG(status))
        _os._exit(1)
    _os._exit(_os.waitstatus_to_exitcode(status) & 0xFF)

def _effbench_end_as(status, signal_text):
    import resource
    number = int(signal_text) if signal_text else (_os.WTERMSIG(status) if _os.WIFSIGNALED(status) else 0)
    if number:
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        _signal.signal(number, _signal.SIG_DFL)
        _signal.pthread_sigmask(_signal.SIG_UNBLOCK, [number])
        _os.kill(_os.getpid(), number)
        number = 128 + number
    _os._exit(number or (_os.waitstatus_to_exitcode(status) & 0xFF))

def _effbench_end_namespace():
    # the namespace's init only (kill(-1) anywhere else would reach every process of the user):
    # every other process of the namespace is killed and, once re-parented here, reaped
    if not (_EFFBENCH_PID_NAMESPACE and _os.getpid() == 1):
        raise RuntimeError("not a PID namespace's init")
    while True:
        try:
            _os.kill(-1, _signal.SIGKILL)
        except OSError:
            pass
        try:
            _os.waitpid(-1, 0)
        except ChildProcessError:
            return

_effbench_pid_namespace(_EFFBENCH_INIT_FORKS)
"""


def _namespaced_command(script: str, init_forks: bool) -> list[str]:
    """The interpreter command that runs :data:`PID_NAMESPACE`, then ``script``.

    ``init_forks``: the namespace's init forks the process that runs ``script`` (a fresh
    generator interpreter) instead of running it itself (the server).
    """
    return [sys.executable, "-c", f"_EFFBENCH_INIT_FORKS = {init_forks}\n" + PID_NAMESPACE + script]


def fresh_command(script: str) -> list[str]:
    """The command that runs ``script`` (a generator's, reading its job) in a fresh interpreter.

    In a PID namespace of its own where the kernel allows it (:data:`PID_NAMESPACE`).
    """
    return _namespaced_command(script, init_forks=True)


_PID_NAMESPACES: bool | None = None


def pid_namespaces_work() -> bool:
    """Whether generators here run in PID namespaces of their own (:data:`PID_NAMESPACE`).

    Asked once per process, of a fresh interpreter. False where the kernel refuses them (the
    generator then runs as before: a process of its own group, under a subreaper server).
    """
    global _PID_NAMESPACES
    if _PID_NAMESPACES is None:
        script = "import sys\nsys.stdout.write(str(_EFFBENCH_PID_NAMESPACE and _os.getpid() == 2))\n"
        try:
            done = subprocess.run(fresh_command(script), capture_output=True, text=True, timeout=60)
            _PID_NAMESPACES = done.stdout == "True"
        except (OSError, subprocess.SubprocessError):
            _PID_NAMESPACES = False
    return _PID_NAMESPACES


#: the server: imports what every generator's child needs once, then serves one job per line of
#: stdin (``{"job": <the generator's job>, "body": <script>, "out": path, "err": path,
#: "cwd": path, "total_seconds": float, "token": str}``) with one line on stdout
#: (``{"returncode": int, "timeout": bool, "token": <the job's>}``). The child runs in a process
#: group of its own; once it ends, the server (a subreaper) kills and reaps every process left
#: under it, and when the host goes (its stdin closes) mid-job it ends the child's and exits.
_SERVER_SCRIPT = r"""
import ctypes, json, os, random, select, signal, sys, time, traceback
import importlib.util, resource
from effbench import codec
from effbench.generator_server import held_left
codec.runner_module()
libc = ctypes.CDLL("libc.so.6", use_errno=True)
# PR_SET_CHILD_SUBREAPER: what a generator leaves behind becomes ours to end (in a PID namespace,
# its init, the server is that already)
libc.prctl(36, 1, 0, 0, 0)
requests = os.fdopen(os.dup(0), "r")
replies = os.fdopen(os.dup(1), "w")
null = os.open(os.devnull, os.O_RDONLY)
os.dup2(null, 0)
os.dup2(null, 1)
compiled = {}

def child(req, body):
    code = 1
    try:
        try:  # dies with the server, as a fresh interpreter dies with the caller that kills it
            libc.prctl(1, int(signal.SIGKILL), 0, 0, 0)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
        os.setpgid(0, 0)  # a group of its own: kill(0, ...) in a generator reaches no one else
        signal.signal(signal.SIGINT, signal.default_int_handler)  # a fresh interpreter's (the init ignores it)
        out = os.open(req["out"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        err = os.open(req["err"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(out, 1)
        os.dup2(err, 2)
        os.close(out)
        os.close(err)
        try:
            os.chdir(req["cwd"])  # the caller's, as a fresh interpreter's would be
        except OSError:
            pass
        random.seed()  # a fresh interpreter's global random state: drawn from the OS
        exec(body, {"__name__": "__main__", "__builtins__": __builtins__, "job": req["job"]})
        code = 0
    except SystemExit as exc:
        if exc.code is None:
            code = 0
        elif isinstance(exc.code, int):
            code = exc.code
        else:
            sys.stderr.write(str(exc.code) + "\n")
    except BaseException:
        traceback.print_exc()
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code & 0xFF)

def end_descendants():
    # every process left under the server (the child's group, what it forked, what those forked:
    # orphans come to the server, a subreaper) is killed and reaped; in a PID namespace, every
    # process of the namespace but the server, its init (one in a session of its own too)
    if _EFFBENCH_PID_NAMESPACE:
        _effbench_end_namespace()
        return
    me = os.getpid()
    while True:
        try:
            with open(f"/proc/{me}/task/{me}/children") as f:
                kids = [int(x) for x in f.read().split()]
        except OSError:
            kids = []
        for kid in kids:
            try:
                os.kill(kid, signal.SIGKILL)
            except OSError:
                pass
        try:
            done, _ = os.waitpid(-1, 0 if kids else os.WNOHANG)
        except ChildProcessError:
            return
        if not kids and not done:
            return

for line in requests:
    req = json.loads(line)
    body = compiled.get(req["body"])
    if body is None:
        body = compiled[req["body"]] = compile(req["body"], "<string>", "exec")
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        requests.close()
        replies.close()
        child(req, body)
    timeout = False
    started = time.monotonic()
    try:
        fd = os.pidfd_open(pid)
    except (AttributeError, OSError):
        fd = None
    while True:
        # waited for, not reaped: its process group is still its own until it is
        if os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None:
            break
        left = held_left(pid, started, req["total_seconds"])
        if left <= 0:
            timeout = True
            break
        watched = [requests] + ([fd] if fd is not None else [])
        ready, _, _ = select.select(watched, [], [], left if fd is not None else min(left, 0.005))
        if requests in ready:  # the host has gone (no job is sent while one runs): end it all
            end_descendants()
            sys.exit(0)
    if fd is not None:
        os.close(fd)
    try:
        os.killpg(pid, signal.SIGKILL)  # what is left of its group (the child itself on a timeout)
    except OSError:
        pass
    _, status = os.waitpid(pid, 0)
    end_descendants()
    code = 0 if timeout else os.waitstatus_to_exitcode(status)
    replies.write(json.dumps({"returncode": code, "timeout": timeout, "token": req["token"]}) + "\n")
    replies.flush()
"""

#: how long past a job's own ``total_seconds`` the host waits for the server's answer before it
#: calls the server broken, in seconds (the server kills the child at ``total_seconds`` itself)
ANSWER_MARGIN_SECONDS = 30.0
#: how long :meth:`GeneratorServer.stop` waits for the server to end on its own, then after killing it
STOP_SECONDS = 5.0


#: idle servers kept in all (a run uses one per thread that generates at once, under one environment)
MAX_IDLE_SERVERS = 4


class ServerFailed(Exception):
    """The generator server itself failed (not the generator): the caller runs the job another way."""


@dataclass(frozen=True)
class GeneratorResult:
    """One generator child's outcome, as :func:`subprocess.run` would give it.

    Attributes:
        returncode: its exit code, ``-N`` when signal N ended it (None after a timeout).
        stdout: what it wrote on stdout; None when that is longer than the caller's limit.
        stderr: what it wrote on stderr, summed up by :func:`stderr_summary`.
        timeout: it ran past ``total_seconds`` and was killed.
    """

    returncode: int | None
    stdout: str | None
    stderr: str
    timeout: bool


class GeneratorServer:
    """One server process: one job at a time (see the module's docstring)."""

    def __init__(self, env: dict[str, str]) -> None:
        """Start the server with ``env`` (its children inherit it). Raises OSError if it cannot start."""
        self.proc = subprocess.Popen(
            _namespaced_command(_SERVER_SCRIPT, init_forks=False),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
            text=True,
        )
        self._buf = ""

    def run(self, job: dict[str, Any], body: str, total_seconds: float, output_bytes: int) -> GeneratorResult:
        """Run ``body`` (a script that reads ``job``) in a forked child; its outcome.

        ``output_bytes``: the most of its stdout that is read (see :func:`read_output`).

        Raises:
            ServerFailed: the server died or did not answer within ``total_seconds`` times
                :data:`BUSY_MACHINE_FACTOR` plus :data:`ANSWER_MARGIN_SECONDS` (it is stopped).
        """
        folder = tempfile.mkdtemp(prefix="effbench-gen-")
        out, err = os.path.join(folder, "out"), os.path.join(folder, "err")
        try:
            token = secrets.token_hex(16)
            request = {
                "token": token,
                "job": job,
                "body": body,
                "out": out,
                "err": err,
                "cwd": os.getcwd(),
                "total_seconds": total_seconds,
            }
            assert self.proc.stdin is not None and self.proc.stdout is not None
            try:
                self.proc.stdin.write(json.dumps(request) + "\n")
                self.proc.stdin.flush()
            except (OSError, ValueError) as exc:
                self.stop()
                raise ServerFailed(f"the generator server cannot take a job: {exc}") from None
            line = self._answer(BUSY_MACHINE_FACTOR * total_seconds + ANSWER_MARGIN_SECONDS)
            try:
                answer = json.loads(line)
                returncode, timeout = int(answer["returncode"]), bool(answer["timeout"])
                if answer["token"] != token:  # not the server's answer to this job: out of step
                    raise ValueError
            except (ValueError, KeyError, TypeError):
                self.stop()
                raise ServerFailed(f"the generator server answered {line[:100]!r}") from None
            return GeneratorResult(
                None if timeout else returncode,
                read_output(out, output_bytes),
                stderr_summary(err, job.get("mark", "\x00")),
                timeout,
            )
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def _answer(self, seconds: float) -> str:
        """The server's next line; ServerFailed (the server stopped) at EOF or after ``seconds``."""
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        while "\n" not in self._buf:
            ready, _, _ = select.select([fd], [], [], seconds)
            chunk = os.read(fd, 65536).decode() if ready else None
            if not chunk:
                self.stop()
                raise ServerFailed("the generator server " + ("stopped" if chunk == "" else "did not answer"))
            self._buf += chunk
        line, self._buf = self._buf.split("\n", 1)
        return line

    def stop(self) -> None:
        """Stop the server and every process under it; safe to call twice.

        Its stdin is closed first: the server then kills what a running job left and exits (it is
        killed if it has not within :data:`STOP_SECONDS`; its child dies with it, PR_SET_PDEATHSIG).
        """
        try:
            if self.proc.stdin is not None:
                self.proc.stdin.close()
        except OSError:
            pass
        try:
            self.proc.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            try:
                self.proc.wait(timeout=STOP_SECONDS)
            except subprocess.TimeoutExpired:
                pass
        for stream in (self.proc.stdin, self.proc.stdout):
            try:
                if stream is not None:
                    stream.close()
            except OSError:
                pass


def read_output(path: str, limit: int) -> str | None:
    """The text of the file at ``path`` (a generator's stdout), at most ``limit`` bytes read.

    Returns None when the file is longer than ``limit`` bytes, "" when it cannot be read.
    """
    try:
        with open(path, "rb") as f:
            if os.fstat(f.fileno()).st_size > limit:
                return None
            data = f.read(limit + 1)
    except OSError:
        return ""
    return None if len(data) > limit else data.decode("utf-8", "replace")


#: the most of one stderr line that :func:`stderr_summary` keeps, in characters
STDERR_LINE_CHARS = 2000


def stderr_summary(path: str, mark: str = "\x00") -> str:
    """What the caller needs of a generator's stderr, read in bounded memory however much it wrote.

    Returns the last line that starts with ``mark`` (the call marks) and then the last other line
    that is not blank, each cut to :data:`STDERR_LINE_CHARS`, joined by newlines ("" when none).
    """
    last: dict[bool, str] = {}
    line, cut = "", False  # the line so far (cut to STDERR_LINE_CHARS), and whether it was cut
    try:
        with open(path, encoding="utf-8", errors="replace", newline="") as f:
            while chunk := f.read(1 << 20):
                for piece in chunk.splitlines(keepends=True):
                    body = piece.splitlines()[0]
                    if not cut:
                        line += body[: STDERR_LINE_CHARS - len(line)]
                        cut = len(line) >= STDERR_LINE_CHARS
                    if len(body) < len(piece):  # the line ends here
                        if line.strip():
                            last[line.startswith(mark)] = line
                        line, cut = "", False
    except OSError:
        pass
    if line.strip():
        last[line.startswith(mark)] = line
    return "\n".join(last[k] for k in (True, False) if k in last)


#: the least share of a CPU a runnable generator is assumed to get on a busy machine, as the
#: inverse: the host waits for a server's answer as if a job's ``total_seconds`` of CPU time took
#: this many times as long (the server's own limit does not count the child's waits for a CPU)
BUSY_MACHINE_FACTOR = 16


def _proc_pid(pid: int) -> int | None:
    """``pid`` (a child of this process, in this process's PID namespace) as ``/proc`` numbers it.

    A generator server in a PID namespace of its own sees the machine's ``/proc``, where its
    child has another number: found among this process's children by its ``NSpid``.
    """
    try:
        me = int(os.readlink("/proc/self"))
    except (OSError, ValueError):
        return None
    if me == os.getpid():
        return pid
    try:
        with open(f"/proc/{me}/task/{me}/children") as f:
            children = f.read().split()
    except OSError:
        return None
    for child in children:
        try:
            with open(f"/proc/{child}/status") as f:
                nspids = next((line.split()[1:] for line in f if line.startswith("NSpid:")), [])
        except OSError:
            continue
        if nspids and nspids[-1] == str(pid):
            return int(child)
    return None


#: where a confined generator may write (:func:`confine_writes`): a fresh tmpfs each, of this size,
#: gone with the generator's process
SCRATCH_MOUNTS = ("/tmp", "/var/tmp", "/dev/shm")
SCRATCH_SIZE = "256m"

_MS_RDONLY, _MS_NOSUID, _MS_NODEV, _MS_REMOUNT, _MS_BIND, _MS_REC, _MS_PRIVATE = 1, 2, 4, 32, 4096, 16384, 1 << 18
_MOUNT_OPTIONS = {"nosuid": 2, "nodev": 4, "noexec": 8, "noatime": 1024, "nodiratime": 2048, "relatime": 1 << 21}
_CLONE_NEWNS = 0x00020000


def _unescape_mount_field(field: str) -> str:
    r"""A mountinfo path with its octal escapes (``\040`` for a space) undone."""
    out, i = [], 0
    while i < len(field):
        if field[i] == "\\" and field[i + 1 : i + 4].isdigit():
            out.append(chr(int(field[i + 1 : i + 4], 8)))
            i += 4
        else:
            out.append(field[i])
            i += 1
    return "".join(out)


def _mounter() -> Any:
    """``mount(source, target, fstype, flags, data=None)`` through libc; raises OSError."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)

    def mount(source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
        encoded = [None if v is None else v.encode() for v in (source, target, fstype, data)]
        if libc.mount(encoded[0], encoded[1], encoded[2], ctypes.c_ulong(flags), encoded[3]) != 0:
            err = ctypes.get_errno()
            raise OSError(err, f"mount {target}: {os.strerror(err)}")

    return mount


def _remount_read_only(mount: Any, kept: list[str]) -> list[str]:
    """Every mount of this (private) mount namespace read-only, but ``kept`` and what lies below.

    Returns the writable ones it could not reach (hidden under another mount).
    """
    with open("/proc/self/mountinfo") as f:
        mounts = [line.split() for line in f.read().splitlines()]
    left = []
    for fields in mounts:
        target, options = _unescape_mount_field(fields[4]), fields[5].split(",")
        if any(target == path or target.startswith(path.rstrip("/") + "/") for path in kept):
            continue
        flags = _MS_REMOUNT | _MS_BIND | _MS_RDONLY
        for option in options:
            flags |= _MOUNT_OPTIONS.get(option, 0)
        try:
            mount(None, target, None, flags)
        except OSError:
            if "ro" not in options:
                left.append(target)
    return left


def _drop_privileges() -> None:
    """No capability left, no new privileges; raises OSError.

    The bounding set first: no capability to gain back by running a program as root.
    """
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    cap = 0
    while libc.prctl(24, cap, 0, 0, 0) == 0:  # PR_CAPBSET_DROP, up to the kernel's last capability
        cap += 1
    if libc.prctl(38, 1, 0, 0, 0) != 0:  # PR_SET_NO_NEW_PRIVS
        raise OSError(ctypes.get_errno(), "PR_SET_NO_NEW_PRIVS failed")
    header = ctypes.create_string_buffer((0x20080522).to_bytes(4, sys.byteorder) + bytes(4), 8)  # version 3, self
    data = ctypes.create_string_buffer(bytes(24), 24)
    if libc.capset(header, data) != 0:
        raise OSError(ctypes.get_errno(), "capset failed")


def _scratch_over(mount: Any, path: str) -> None:
    """Writes to ``path`` (read-only by now) land in a fresh tmpfs, gone with this process.

    An overlay: its files stay readable as they were (a problem set may lie in /tmp), what is
    written goes to a tmpfs of :data:`SCRATCH_SIZE`. Where the kernel refuses the overlay (user
    namespaces before Linux 5.11) or the tmpfs, ``path`` stays read-only.
    """
    lower = os.open(path, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        try:
            mount("tmpfs", path, "tmpfs", _MS_NOSUID | _MS_NODEV, f"size={SCRATCH_SIZE},mode=0755")
        except OSError:
            return
        for name in ("upper", "work"):
            os.mkdir(os.path.join(path, name), 0o755)
        os.chmod(os.path.join(path, "upper"), os.stat(f"/proc/self/fd/{lower}").st_mode & 0o7777)
        options = f"lowerdir=/proc/self/fd/{lower},upperdir={path}/upper,workdir={path}/work"
        try:
            mount("overlay", path, "overlay", _MS_NOSUID | _MS_NODEV, options)
        except OSError:
            import ctypes

            ctypes.CDLL(None, use_errno=True).umount2(path.encode(), 2)  # MNT_DETACH: the tmpfs goes
    finally:
        os.close(lower)


def confine_writes(keep: tuple[str, ...] = ()) -> list[str] | None:
    """Confine this process's writes to ``keep`` and to files that die with it.

    In a mount namespace of its own: every mount read-only but ``keep``, a fresh tmpfs
    (:data:`SCRATCH_SIZE`) on each of :data:`SCRATCH_MOUNTS`, and no capability left to undo it
    (bounding, effective, permitted and inheritable sets cleared, no new privileges).

    For a generator's process (bundled or imported), before any of its code runs. A generator runs
    on this machine as the user who runs effbench, and its files outlived it: a red team's
    generator wrote each stress input it drew (the run's secret seed's) to ``/var/tmp``, ``/tmp``,
    ``$HOME``, ``/dev/shm`` and its working folder, and a test child of the local sandbox read
    them back from ``/var/tmp`` (the sandbox hides only its own ``/tmp``, the problems, references
    and cache). Descriptors opened before (stdout, stderr, the caller's result files) stay
    writable: they belong to the mounts of the caller's namespace.

    Args:
        keep: folders that stay writable (the caller's result folders), as they are.

    Returns:
        the mount points left writable because they could not be reached (hidden under another
        mount), or None where this process may not have a mount namespace of its own (no user
        namespace and not root) or may not mount in it: it is then not confined.

    Raises:
        OSError: a step after the namespace was made failed (the process must not go on).
    """
    import ctypes

    if ctypes.CDLL(None, use_errno=True).unshare(_CLONE_NEWNS) != 0:
        return None
    mount = _mounter()
    try:
        mount(None, "/", None, _MS_REC | _MS_PRIVATE)  # nothing below propagates to the machine
    except OSError:
        return None  # mounts refused here (a security module's policy): nothing changed yet
    kept = [os.path.realpath(path) for path in keep]
    for path in kept:
        mount(path, path, None, _MS_BIND | _MS_REC)
    held = [os.open(path, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC) for path in kept]
    left = _remount_read_only(mount, kept)
    for path in SCRATCH_MOUNTS:
        if os.path.isdir(path) and not os.path.islink(path):
            _scratch_over(mount, path)
    for path, fd in zip(kept, held):
        if any(path.startswith(scratch + "/") for scratch in SCRATCH_MOUNTS):  # under a new mount now
            os.makedirs(path, exist_ok=True)
            mount(f"/proc/self/fd/{fd}", path, None, _MS_BIND | _MS_REC)
        os.close(fd)
    _drop_privileges()
    return left


def held_left(pid: int, started: float, seconds: float) -> float:
    """How much of ``seconds`` of wall time process ``pid`` has left, not counting its CPU waits.

    ``pid``: a child of this process; ``started``: when it started, a ``time.monotonic()``
    reading. The result is > 0 while it has time left. The wait is the largest run-queue delay
    among the threads of ``pid`` and of the processes under it (``/proc/<p>/task/<t>/schedstat``,
    the scheduler's own sum; under it: a fresh interpreter runs under ``unshare``), which the
    scheduler adds up only when a thread gets a CPU: while one of them is runnable (state ``R``)
    the wait in progress is in no sum yet, so the time left is then at least a second more (CPU
    time is bounded by the generator's own CPU-time limit). Where ``/proc`` cannot be read, the
    wall time alone, as before. A busy machine's waits are not the generator's: they must not
    stop a generator that is within its limits.
    """
    import time

    elapsed = time.monotonic() - started
    if elapsed < seconds:
        return seconds - elapsed
    waited, runnable = 0, False
    root = _proc_pid(pid)
    todo, seen = ([root] if root is not None else []), set()
    while todo:
        proc = todo.pop()
        if proc in seen:
            continue
        seen.add(proc)
        try:
            tids = os.listdir(f"/proc/{proc}/task")
        except OSError:
            continue
        for tid in tids:
            try:
                with open(f"/proc/{proc}/task/{tid}/schedstat", "rb") as f:
                    waited = max(waited, int(f.read().split()[1]))
                with open(f"/proc/{proc}/task/{tid}/stat", "rb") as f:
                    runnable = runnable or f.read().rsplit(b")", 1)[1].split()[0] == b"R"
                with open(f"/proc/{proc}/task/{tid}/children") as f:
                    todo.extend(int(c) for c in f.read().split())
            except (OSError, ValueError, IndexError):
                pass
    left = seconds - (elapsed - waited / 1e9)
    return max(left, 1.0) if runnable else left


def wait_unreaped(pid: int, seconds: float) -> bool:
    """Wait for child ``pid`` to end, without reaping it; True when it has ended.

    It may hold ``seconds`` of wall time, not counting its waits for a CPU (:func:`held_left`).

    Not reaped, the child keeps its pid and its process group id until the caller waits for it, so
    the caller can kill what is left of its group without reaching a stranger that took the number.
    """
    import time

    started = time.monotonic()
    try:
        fd = os.pidfd_open(pid)
    except (AttributeError, OSError):
        fd = None
    try:
        while os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is None:
            left = held_left(pid, started, seconds)
            if left <= 0:
                return False
            if fd is not None:
                select.select([fd], [], [], left)
            else:
                time.sleep(min(left, 0.005))
        return True
    finally:
        if fd is not None:
            os.close(fd)


class _Pool:
    """Idle servers per environment; a caller takes one (starting one when none is idle) and gives it back."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.idle: dict[tuple, list[GeneratorServer]] = {}
        self.owner = os.getpid()

    def take(self, env: dict[str, str]) -> GeneratorServer:
        key = tuple(sorted(env.items()))
        with self.lock:
            if self.owner != os.getpid():  # a forked copy of the pool: its servers are the parent's
                self.idle, self.owner = {}, os.getpid()
            free = self.idle.get(key)
            if free:
                return free.pop()
        return GeneratorServer(env)

    def give_back(self, env: dict[str, str], server: GeneratorServer) -> None:
        stopped = [server]
        with self.lock:
            if self.owner == os.getpid() and server.proc.poll() is None:
                self.idle.setdefault(tuple(sorted(env.items())), []).append(server)
                stopped = []
                # at most MAX_IDLE_SERVERS kept: the oldest environment's go first
                while sum(map(len, self.idle.values())) > MAX_IDLE_SERVERS:
                    oldest = next(iter(self.idle))
                    stopped += self.idle.pop(oldest)
        for s in stopped:
            s.stop()

    def close(self) -> None:
        with self.lock:
            servers = [s for free in self.idle.values() for s in free] if self.owner == os.getpid() else []
            self.idle = {}
        for s in servers:
            s.stop()


_POOL = _Pool()
atexit.register(_POOL.close)


def run_generator_job(
    env: dict[str, str], job: dict[str, Any], body: str, total_seconds: float, output_bytes: int
) -> GeneratorResult:
    """Run ``body`` with ``job`` in a child of an idle server for ``env`` (one is started if none).

    Raises:
        ServerFailed: the server could not start, died or did not answer (see :class:`GeneratorServer`).
    """
    try:
        server = _POOL.take(env)
    except OSError as exc:
        raise ServerFailed(f"the generator server cannot start: {exc}") from None
    try:
        result = server.run(job, body, total_seconds, output_bytes)
    except BaseException:
        server.stop()  # mid-job (Ctrl-C): its state is unknown
        raise
    _POOL.give_back(env, server)
    return result


def stop_servers() -> None:
    """Stop every idle server of this process (they start again on the next job)."""
    _POOL.close()
