"""Problem generators run in children forked from a long-lived generator server (issue 13).

Before, each problem's tests were generated in a fresh interpreter (``python -c``): on the main
job, 61 interpreter starts, each importing :mod:`effbench.codec` and the in-sandbox runner's
module it loads (about 0.1 s of CPU each, from source). A :class:`GeneratorServer` is one
interpreter started with the generator's environment (``PYTHONHASHSEED``, ``PYTHONPATH``) that
imports those modules once; for each problem it forks a child that runs the same script as
before (:data:`effbench.problems.GENERATE_BODY`) under the same bounds, each set in the child:
its address space (``memory_bytes``), a wall-clock alarm per ``generate`` call (``call_seconds``,
SIGALRM ends the child) and a wall-clock limit on the whole child (``total_seconds``: the server
kills it with SIGKILL). The child's stdout and stderr go to files the host reads once it ends, and
the server answers with its exit code as :mod:`subprocess` gives it (``-N`` for signal N). Each
problem's generator is loaded in its own child: nothing a generator does (its module, its
globals, the global ``random`` state, which the child draws afresh as a new interpreter does)
reaches another problem's.

Servers are kept per environment (hash seed, package path, interpreter), one per concurrent
caller, and stopped when the process exits. A server that fails (it died, it answered nothing) is
stopped and the call says so (:class:`ServerFailed`): the caller then runs the generator in a
fresh interpreter, as before.
"""

from __future__ import annotations

import atexit
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass
from typing import Any

#: the server: imports what every generator's child needs once, then serves one job per line of
#: stdin (``{"job": <the generator's job>, "body": <script>, "out": path, "err": path,
#: "cwd": path, "total_seconds": float}``) with one line on stdout (``{"returncode": int, "timeout": bool}``)
_SERVER_SCRIPT = r"""
import ctypes, json, os, random, select, signal, sys, time, traceback
import importlib.util, resource
from effbench import codec
codec.runner_module()
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
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, int(signal.SIGKILL), 0, 0, 0)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
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
    deadline = time.monotonic() + req["total_seconds"]
    try:
        fd = os.pidfd_open(pid)
    except (AttributeError, OSError):
        fd = None
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        left = deadline - time.monotonic()
        if left <= 0:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            timeout, status = True, 0
            break
        if fd is not None:
            select.select([fd], [], [], left)
        else:
            time.sleep(min(left, 0.005))
    if fd is not None:
        os.close(fd)
    replies.write(json.dumps({"returncode": os.waitstatus_to_exitcode(status), "timeout": timeout}) + "\n")
    replies.flush()
"""

#: how long past a job's own ``total_seconds`` the host waits for the server's answer before it
#: calls the server broken, in seconds (the server kills the child at ``total_seconds`` itself)
ANSWER_MARGIN_SECONDS = 30.0


#: idle servers kept in all (a run uses one per thread that generates at once, under one environment)
MAX_IDLE_SERVERS = 4


class ServerFailed(Exception):
    """The generator server itself failed (not the generator): the caller runs the job another way."""


@dataclass(frozen=True)
class GeneratorResult:
    """One generator child's outcome, as :func:`subprocess.run` would give it.

    Attributes:
        returncode: its exit code, ``-N`` when signal N ended it (None after a timeout).
        stdout: what it wrote on stdout.
        stderr: what it wrote on stderr.
        timeout: it ran past ``total_seconds`` and was killed.
    """

    returncode: int | None
    stdout: str
    stderr: str
    timeout: bool


class GeneratorServer:
    """One server process: one job at a time (see the module's docstring)."""

    def __init__(self, env: dict[str, str]) -> None:
        """Start the server with ``env`` (its children inherit it). Raises OSError if it cannot start."""
        self.proc = subprocess.Popen(
            [sys.executable, "-c", _SERVER_SCRIPT],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
            text=True,
        )
        self._buf = ""

    def run(self, job: dict[str, Any], body: str, total_seconds: float) -> GeneratorResult:
        """Run ``body`` (a script that reads ``job``) in a forked child; its outcome.

        Raises:
            ServerFailed: the server died or did not answer within ``total_seconds`` plus
                :data:`ANSWER_MARGIN_SECONDS` (it is stopped).
        """
        folder = tempfile.mkdtemp(prefix="effbench-gen-")
        out, err = os.path.join(folder, "out"), os.path.join(folder, "err")
        try:
            request = {
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
            line = self._answer(total_seconds + ANSWER_MARGIN_SECONDS)
            try:
                answer = json.loads(line)
                returncode, timeout = int(answer["returncode"]), bool(answer["timeout"])
            except (ValueError, KeyError, TypeError):
                self.stop()
                raise ServerFailed(f"the generator server answered {line[:100]!r}") from None
            return GeneratorResult(None if timeout else returncode, _read(out), _read(err), timeout)
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
        """Stop the server (its child, if one runs, ends at its own limits); safe to call twice."""
        if self.proc.poll() is None:
            self.proc.kill()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        for stream in (self.proc.stdin, self.proc.stdout):
            try:
                if stream is not None:
                    stream.close()
            except OSError:
                pass


def _read(path: str) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()
    except OSError:
        return ""


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


def run_generator_job(env: dict[str, str], job: dict[str, Any], body: str, total_seconds: float) -> GeneratorResult:
    """Run ``body`` with ``job`` in a child of an idle server for ``env`` (one is started if none).

    Raises:
        ServerFailed: the server could not start, died or did not answer (see :class:`GeneratorServer`).
    """
    try:
        server = _POOL.take(env)
    except OSError as exc:
        raise ServerFailed(f"the generator server cannot start: {exc}") from None
    try:
        result = server.run(job, body, total_seconds)
    except BaseException:
        server.stop()  # mid-job (Ctrl-C): its state is unknown
        raise
    _POOL.give_back(env, server)
    return result


def stop_servers() -> None:
    """Stop every idle server of this process (they start again on the next job)."""
    _POOL.close()
