"""A real Ray head for the tests: started on 127.0.0.1 with two worker CPUs, stopped afterwards.

``ray start --head --block`` runs in its own session; at the end it gets SIGTERM (Ray then stops
every process it started) and the fixture checks that no process of the cluster is left: every
descendant of the head and every member of its session, the actors' sandbox runners included.
In CI (``CI=true``) a missing Ray is a failure, never a skip: these tests must run.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

#: the head's CPUs: two Ray workers (actors of one CPU each)
HEAD_CPUS = 2


def _require_ray() -> None:
    try:
        import ray  # noqa: F401
    except ImportError:
        message = "Ray is not installed (pip install -e '.[ray]'; scripts/setup.sh does)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message} (CI=true: the Ray tests must run)")
        pytest.skip(message)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _processes() -> dict[int, tuple[int, int, str]]:
    """pid -> (parent pid, session id, state) of every process, from /proc."""
    out = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        out[int(entry)] = (int(fields[1]), int(fields[3]), fields[0])
    return out


def live_processes() -> set[int]:
    """Every process that is not a zombie."""
    return {pid for pid, (_ppid, _sid, state) in _processes().items() if state != "Z"}


def cluster_processes(root: int) -> set[int]:
    """Live (not zombie) processes of the cluster: ``root``'s descendants and its session's members."""
    procs = _processes()
    children: dict[int, list[int]] = {}
    for pid, (ppid, _sid, _state) in procs.items():
        children.setdefault(ppid, []).append(pid)
    found, stack = set(), [root]
    while stack:
        pid = stack.pop()
        for child in children.get(pid, []):
            if child not in found:
                found.add(child)
                stack.append(child)
    found |= {pid for pid, (_ppid, sid, _state) in procs.items() if sid == root}
    return {pid for pid in found if pid in procs and procs[pid][2] != "Z"}


class RayHead:
    """A running head: ``address`` (``127.0.0.1:PORT``) and the pid of ``ray start --block``."""

    def __init__(self, address: str, proc: subprocess.Popen, temp_dir: str) -> None:
        self.address = address
        self.proc = proc
        self.temp_dir = temp_dir

    def processes(self) -> set[int]:
        """The cluster's live processes now (see :func:`cluster_processes`)."""
        return cluster_processes(self.proc.pid)


@pytest.fixture(scope="session")
def ray_head():
    """A Ray head on 127.0.0.1 with two worker CPUs; at the end, stopped with nothing left.

    The cluster has its own authentication token (Ray's token mode), in its temporary folder:
    the default one (~/.ray/auth_token) is shared by everything on the machine. The test process
    and the CLIs it starts get it through the environment (restored at the end).
    """
    temp_dir = tempfile.mkdtemp(prefix="effray-")  # short: Ray's socket paths must fit in 107 bytes
    token_path = Path(temp_dir) / "auth_token"
    token_path.write_text(secrets.token_hex(32))
    token_path.chmod(0o600)
    # loopback only (Ray's single-machine switch: 127.0.0.1 is then never rewritten to the
    # machine's address), with the cluster's own token
    env_vars = {
        "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0",
        "RAY_USAGE_STATS_ENABLED": "0",
        "RAY_AUTH_MODE": "token",
        "RAY_AUTH_TOKEN_PATH": str(token_path),
    }
    saved = {k: os.environ.get(k) for k in env_vars}
    os.environ.update(env_vars)  # before Ray is first imported: it reads them once
    try:
        yield from _run_head(temp_dir)
    finally:
        shutil.rmtree(temp_dir, ignore_errors=True)
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@contextmanager
def another_head(env: dict[str, str]) -> Iterator[RayHead]:
    """A second head like :func:`ray_head`'s (same token, its own port and folder) whose processes
    (its workers included) run with ``env``; stopped, with nothing left, at the end. Use it while
    ``ray_head`` is active (its token is in the environment) and no driver is connected."""
    temp_dir = tempfile.mkdtemp(prefix="effray-")
    heads = _run_head(temp_dir, env)
    try:
        yield next(heads)
    finally:
        heads.close()  # stops the head (the generator's finally)
        shutil.rmtree(temp_dir, ignore_errors=True)


def _run_head(temp_dir: str, env: dict[str, str] | None = None):  # noqa: ANN202 - a fixture's generator
    _require_ray()
    port = _free_port()
    ray_cli = Path(sys.executable).parent / "ray"
    log_path = Path(temp_dir) / "head.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [
                str(ray_cli),
                "start",
                "--head",
                "--block",
                "--node-ip-address=127.0.0.1",
                f"--port={port}",
                f"--num-cpus={HEAD_CPUS}",
                "--include-dashboard=false",
                "--disable-usage-stats",
                f"--temp-dir={temp_dir}",
            ],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env=dict(os.environ) if env is None else env,
        )
    head = RayHead(f"127.0.0.1:{port}", proc, temp_dir)
    try:
        deadline = time.monotonic() + 180
        while b"block forever" not in log_path.read_bytes():
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the Ray head did not start: {log_path.read_text()[-2000:]}")
            time.sleep(0.5)
        yield head
    finally:
        _stop(head, log_path)


def _stop(head: RayHead, log_path: Path) -> None:
    """SIGTERM to the head (Ray stops what it started), then check that nothing is left."""
    try:
        import ray

        if ray.is_initialized():
            ray.shutdown()
    except ImportError:
        pass
    before = head.processes()
    head.proc.send_signal(signal.SIGTERM)
    try:
        head.proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        head.proc.kill()
        head.proc.wait()
    deadline = time.monotonic() + 30
    left = before | head.processes()
    while left and time.monotonic() < deadline:
        time.sleep(0.5)
        alive = _processes()
        left = {pid for pid in left if pid in alive and alive[pid][2] != "Z"}
    for pid in left:  # clean up whatever happens, then say so
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    assert not left, f"processes left after the Ray head stopped: {sorted(left)}"


def map_killing_a_worker(address: str, scorer: Any, items: list, **options: Any) -> tuple[list, set[int], int]:
    """Map ``scorer`` over ``items`` on the Ray executor at ``address`` (HEAD_CPUS workers, the
    executor's ``options``) and SIGKILL one Ray worker process as soon as the first result arrives,
    while others are in flight: (results in item order, indices of the items the executor
    retried, the killed worker's pid)."""
    from effbench.executors import get_executor

    killed: list[int] = []
    with get_executor("ray", address=address, workers=HEAD_CPUS, **options) as ex:

        def arrived(_index: int, _result: Any) -> None:
            if not killed:
                killed.append(ex.worker_pids()[0])
                os.kill(killed[0], signal.SIGKILL)

        results = ex.map(scorer, items, on_result=arrived)
        lost = {r.item for r in ex.retries}
    return results, lost, killed[0]
