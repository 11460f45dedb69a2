"""The subprocess that runs published input generators, one forked child per row, under limits.

Started by :mod:`effbench.importers.generate` as ``python -m effbench.importers.genworker`` with
``PYTHONHASHSEED=0``; reads one JSON job on stdin and writes one JSON line per row on stdout, as
each row finishes::

    job  = {"helper_module": "enam", "seconds": 60.0, "memory_bytes": 2147483648, "parallel": 2,
            "out_dir": str, "rows": [{"key": str, "code": str, "sizes": [int], "counts": [int],
                                      "seeds": [[int]], "checker": str, "checker_seconds": float}]}
    line = {"key": str, "ok": true, "file": str}     (the file holds {"ok": true, "levels":
                                                      [[args, ...], ...]}, args encoded by the codec)
         | {"key": str, "ok": false, "kind": "timeout"|"memory"|"error"|"checker", "why": str}

A row with a ``checker`` (a format's checker module, which the host loads into its own process to
judge answers) has that module's code run first in the same limited child, in a fresh scope, as
the host will load it, stopped after ``checker_seconds``: a checker that loops, allocates without
bound, exits, or defines no callable ``__check`` fails here (kind ``checker``), before the host
ever runs it.

Each row runs in a child forked from this process (the helper module is imported once, here) with
an address-space and a CPU-time limit, its own process group, no stdin/stdout, and an empty
scratch folder as its working directory (removed after); the parent kills it at the wall-clock
limit, and what is left of its process group when it ends. This worker runs in a PID namespace of
its own where the kernel allows it (:data:`effbench.generator_server.PID_NAMESPACE`, as the
bundled problems' generators do): when it ends, every process a row started ends with it, one in
a session of its own too. Each call runs in a fresh scope, like the format's own evaluator: the
helper module's names plus ``time`` (and ``random``, ``string``, ``math`` when the helper module is
absent), then ``random.seed(seed)`` and ``generate_input(size=..., lid=..., cid=...)``.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import sys
import tempfile
import time
from typing import Any

from effbench.generator_server import confine_writes

POLL_SECONDS = 0.02


def load_helpers(name: str) -> tuple[dict[str, Any] | None, str]:
    """The helper module's names, in either published shape.

    The helper module's names, in either published shape: a module, or a dict that the package
    put in its module's place (``vars(module)``). (None, why) when it cannot be imported.
    """
    if not name:
        return None, "no helper module"
    try:
        package = __import__(name)
    except Exception as exc:  # noqa: BLE001 - whatever the package raises on import
        return None, f"{type(exc).__name__}: {exc}"
    helpers = getattr(package, "datautils", None)
    if helpers is None:
        sub = sys.modules.get(f"{name}.datautils")
        helpers = sub
    if helpers is None:
        try:
            import importlib

            helpers = importlib.import_module(f"{name}.datautils")
        except Exception as exc:  # noqa: BLE001
            return None, f"{name} has no datautils: {type(exc).__name__}: {exc}"
    if isinstance(helpers, dict):
        return dict(helpers), ""
    try:
        return dict(vars(helpers)), ""
    except TypeError:
        return None, f"{name}.datautils is neither a module nor a dict ({type(helpers).__name__})"


def _scope(helpers: dict[str, Any] | None) -> dict[str, Any]:
    import math
    import random
    import string

    scope: dict[str, Any] = {"random": random, "string": string, "math": math}
    if helpers:
        scope.update({k: v for k, v in helpers.items() if k not in ("__name__", "__builtins__")})
    scope["time"] = time
    return scope


class _CheckerTimeout(BaseException):
    """The checker's module-level code ran past its limit (a BaseException: it may catch Exception)."""


def _write_status(out_path: str, status: dict) -> None:
    with open(out_path, "w") as f:
        json.dump(status, f)


def _children() -> list[str]:
    """This process's child processes (running or not yet reaped), from /proc; [] where unreadable."""
    try:  # thread-self: right in a PID namespace of its own too (its ids are not the host's)
        with open("/proc/thread-self/children") as f:
            return f.read().split()
    except OSError:
        return []


def _load_checker(row: dict, out_path: str) -> dict | None:
    """Run the row's checker module as the host would load it; None when it loads, else the failure.

    Before it runs, the status file says that the checker ended the process: a checker that calls
    ``os._exit`` leaves that behind as its failure.
    """
    seconds = float(row.get("checker_seconds") or 20.0)
    why = ""
    _write_status(out_path, {"ok": False, "kind": "checker", "why": "its module-level code ended the process"})

    def stop(_signum: int, _frame: Any) -> None:
        raise _CheckerTimeout

    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    me = os.getpid()
    try:
        try:
            scope: dict[str, Any] = {}
            exec(compile(row["checker"], f"{row['key']}:checker", "exec"), scope)  # noqa: S102 - limited child
        finally:
            if os.getpid() != me:  # a process the checker forked: it ends here, and says nothing
                os._exit(0)
            signal.setitimer(signal.ITIMER_REAL, 0)
        if _children():
            why = "its module-level code starts processes (the host would run them in effbench's own process)"
        elif not callable(scope.get("__check")):
            why = f"__check is not a function ({type(scope.get('__check')).__name__})"
    except _CheckerTimeout:  # not cached: it depends on the machine's load
        return {
            "ok": False,
            "kind": "checker",
            "why": f"its module-level code runs past {seconds:g} s",
            "transient": True,
        }
    except MemoryError:
        why = "MemoryError at the memory limit"
    except BaseException as exc:  # noqa: BLE001 - benchmark code may raise anything, SystemExit too
        why = f"{type(exc).__name__}: {str(exc)[:300]}"
    finally:
        signal.signal(signal.SIGALRM, previous)
    return {"ok": False, "kind": "checker", "why": why} if why else None


def _generate(row: dict, helpers: dict[str, Any] | None) -> list[list]:
    """Every test's encoded arguments, per level, from the row's ``generate_input`` (raises what it raises)."""
    import random

    from effbench import codec

    code = compile(row["code"], f"{row['key']}:input_generator", "exec")
    levels = []
    for lid, (size, count) in enumerate(zip(row["sizes"], row["counts"])):
        tests = []
        for cid in range(count):
            scope = _scope(helpers)
            exec(code, scope)  # noqa: S102 - benchmark code, in this limited child
            random.seed(row["seeds"][lid][cid])
            args = scope["generate_input"](size=size, lid=lid, cid=cid)
            if not isinstance(args, (tuple, list)):
                raise TypeError(f"generate_input returned {type(args).__name__}, not a tuple of arguments")
            tests.append(codec.encode(list(args)))
        levels.append(tests)
    return levels


def _child(
    row: dict, helpers: dict[str, Any] | None, helper_error: str, helper_name: str, out_path: str, data_path: str
) -> None:
    """Generate one row's inputs, in the forked child.

    Runs in the forked child: load the row's checker (if any, :func:`_load_checker`), generate
    every test of the row; write the inputs to ``data_path`` (``{"ok": true, "levels": ...}``),
    then the status (``{"ok": ...}`` with why) to ``out_path``.
    """
    if hasattr(sys, "set_int_max_str_digits"):
        sys.set_int_max_str_digits(0)  # this child only: inputs may hold integers of any length

    if row.get("checker"):
        failure = _load_checker(row, out_path)
        if failure is not None:
            _write_status(out_path, failure)
            return
    _write_status(out_path, {"ok": False, "kind": "error", "why": "the input_generator ended the process"})
    result: dict[str, Any]
    try:
        levels = _generate(row, helpers)
        with open(data_path, "w") as f:
            json.dump({"ok": True, "levels": levels}, f)
        result = {"ok": True}
    except MemoryError:
        result = {"ok": False, "kind": "memory", "why": "MemoryError at the generator's memory limit"}
    except NameError as exc:
        why = f"NameError: {exc}"
        if helpers is None:
            why += (
                f" (the format's helper package provides it: pip install {helper_name}; import failed: {helper_error})"
            )
        result = {"ok": False, "kind": "error", "why": why}
    except RecursionError as exc:
        result = {"ok": False, "kind": "error", "why": f"RecursionError: {exc}"}
    except BaseException as exc:  # noqa: BLE001 - benchmark code may raise anything
        result = {"ok": False, "kind": "error", "why": f"{type(exc).__name__}: {str(exc)[:300]}"}
    try:
        with open(out_path, "w") as f:
            json.dump(result, f)
    except (ValueError, TypeError) as exc:  # e.g. an int too long to print
        with open(out_path, "w") as f:
            json.dump({"ok": False, "kind": "error", "why": f"inputs cannot be written: {exc}"}, f)


def _safe_child(*args: Any) -> None:
    try:
        _child(*args)
    except (ValueError, TypeError) as exc:  # the inputs themselves cannot be written as JSON
        with open(args[4], "w") as f:
            json.dump({"ok": False, "kind": "error", "why": f"inputs cannot be written: {exc}"}, f)


def _die_with_parent() -> None:
    """Linux: SIGKILL this child when the worker dies (a sleeping generator uses no CPU time)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, int(signal.SIGKILL), 0, 0, 0)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _start(row: dict, job: dict, helpers: Any, helper_error: str, out_path: str) -> tuple[int, str, float]:
    os.mkdir(out_path + ".cwd")
    pid = os.fork()
    if pid == 0:  # child
        code = 0
        try:
            os.setpgid(0, 0)
            _die_with_parent()
            devnull = os.open(os.devnull, os.O_RDWR)
            for fd in (0, 1, 2):
                os.dup2(devnull, fd)
            os.chdir(out_path + ".cwd")  # files it writes by a relative name land in scratch, removed after
            # nothing else it writes outlives it: its result folders stay writable, every other
            # mount read-only, a fresh tmpfs on /tmp, /var/tmp and /dev/shm
            confine_writes(keep=(os.path.dirname(out_path), job["out_dir"]))
            os.chdir(out_path + ".cwd")  # through the kept mount (the one it was in is read-only now)
            mem = int(job["memory_bytes"])
            resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
            cpu = int(job["seconds"]) + 1
            resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
            data_path = os.path.join(job["out_dir"], os.path.basename(out_path))
            _safe_child(row, helpers, helper_error, job.get("helper_module", ""), out_path, data_path)
        except BaseException:  # noqa: BLE001
            code = 1
        finally:
            os._exit(code)
    try:
        os.setpgid(pid, pid)  # also here: no window in which a kill of the group misses the child
    except OSError:
        pass
    return pid, out_path, time.monotonic() + float(job["seconds"])


def _finish(row: dict, status: int, out_path: str, timed_out: bool, job: dict) -> dict:
    key = row["key"]
    if timed_out:
        return {"key": key, "ok": False, "kind": "timeout", "why": f"exceeded the {job['seconds']:g} s limit"}
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        if sig in (signal.SIGXCPU, signal.SIGKILL):
            return {"key": key, "ok": False, "kind": "timeout", "why": f"exceeded the {job['seconds']:g} s CPU limit"}
        return {
            "key": key,
            "ok": False,
            "kind": "memory" if sig == signal.SIGSEGV else "error",
            "why": f"killed by {signal.Signals(sig).name}",
        }
    try:
        with open(out_path) as f:
            result = json.load(f)
    except (OSError, ValueError):
        return {"key": key, "ok": False, "kind": "memory", "why": "the generator died without a result (memory limit?)"}
    finally:
        try:
            os.unlink(out_path)
        except OSError:
            pass
    if result.get("ok"):
        return {"key": key, "ok": True, "file": os.path.join(job["out_dir"], os.path.basename(out_path))}
    return {"key": key, **result}


def main() -> None:
    """Read the job on stdin, run every row in a limited child, report each on stdout."""
    from effbench import codec

    job = json.loads(sys.stdin.read())
    codec.runner_module()  # loaded once, before the children fork
    helpers, helper_error = load_helpers(job.get("helper_module", ""))
    rows = list(job["rows"])
    parallel = max(1, int(job.get("parallel", 1)))
    running: dict[int, tuple[dict, str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="effbench-gen-") as tmp:
        started = 0
        while rows or running:
            while rows and len(running) < parallel:
                row = rows.pop(0)
                started += 1
                pid, out_path, deadline = _start(row, job, helpers, helper_error, os.path.join(tmp, f"{started}.json"))
                running[pid] = (row, out_path, deadline)
            time.sleep(POLL_SECONDS)
            for pid, (row, out_path, deadline) in list(running.items()):
                done, status = os.waitpid(pid, os.WNOHANG)
                timed_out = False
                if not done and time.monotonic() > deadline:
                    try:
                        os.killpg(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        os.kill(pid, signal.SIGKILL)
                    _, status = os.waitpid(pid, 0)
                    timed_out = True
                elif not done:
                    continue
                del running[pid]
                try:  # what the row's code forked and left behind in its group
                    os.killpg(pid, signal.SIGKILL)
                except OSError:
                    pass
                shutil.rmtree(out_path + ".cwd", ignore_errors=True)
                line = _finish(row, status, out_path, timed_out, job)
                sys.stdout.write(json.dumps(line) + "\n")
                sys.stdout.flush()


if __name__ == "__main__":
    main()
