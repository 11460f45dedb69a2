"""The ``local`` backend: runner processes on this machine.

Each worker is one long-lived runner (under valgrind for the valgrind meter). Where ``unshare``
allows it the runner gets its own mount, network and PID namespaces (a user namespace too when
not root): no network, a private ``/tmp``, the problem and reference folders (and any other
``hide`` path) mounted over with an empty read-only tmpfs, and no view of host processes. Inside,
every test child runs with rlimits, dropped capabilities and a seccomp filter (see the runner).

It is the embedded default for a laptop or CI, not a security boundary against a determined
attacker with a kernel exploit: use the docker backend for that.
"""

from __future__ import annotations

import functools
import os
import select
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterable
from typing import Any

from effbench import paths
from effbench.errors import SandboxUnavailable
from effbench.meters import sandbox_python
from effbench.meters.base import Meter
from effbench.sandboxes import stripped
from effbench.sandboxes.allocator import host_preload, image_preload, preload_options
from effbench.sandboxes.protocol import (
    HOST_DEBUG_SYMBOLS,
    RUNNER_ENV,
    RUNNER_IN_SANDBOX,
    RUNNER_WORKDIR,
    SANDBOX_HOSTNAME,
    SANDBOX_PYTHON,
    RunnerClient,
    RunnerPool,
)
from effbench.sandboxes.rootfs import python_in

#: how long the namespace probe (``unshare ... true``, milliseconds of work) may take, in seconds
NAMESPACE_PROBE_SECONDS = 300


@functools.lru_cache(maxsize=1)
def namespace_prefix() -> tuple[str, ...]:
    """``unshare`` options that work here, or () when namespaces are not available.

    Raises:
        SandboxUnavailable: the probe did not finish within :data:`NAMESPACE_PROBE_SECONDS` (a
            machine too busy to start it). Not cached: the next call probes again. Before, a
            probe past its 30 s read as "no namespaces", and the sandbox ran without them (no
            hidden references, no private /tmp, no fixed pids) for the process's life because
            the machine was busy when it started.
    """
    exe = shutil.which("unshare")
    if not exe:
        return ()
    common = ["--mount", "--net", "--pid", "--uts", "--fork", "--mount-proc", "--kill-child"]
    candidates = [common] if os.geteuid() == 0 else [["--user", "--map-root-user", *common]]
    for flags in candidates:
        try:
            done = subprocess.run([exe, *flags, "true"], capture_output=True, timeout=NAMESPACE_PROBE_SECONDS)
        except subprocess.TimeoutExpired:
            raise SandboxUnavailable(
                f"local sandbox: the namespace probe ({exe} {' '.join(flags)} true) did not finish in "
                f"{NAMESPACE_PROBE_SECONDS} s: the machine is too busy to start a sandbox now"
            ) from None
        except (OSError, subprocess.SubprocessError):
            continue
        if done.returncode == 0:
            return (exe, *flags)
    return ()


class RunnerProcess(RunnerClient):
    """One runner process on this machine (in its own namespaces where possible)."""

    backend = "local"

    def __init__(
        self, meter: Meter, hide: list[str], index: int, python: str | None = None, rootfs: str | None = None
    ) -> None:
        """A runner for ``meter``, number ``index`` of its pool; nothing starts before ``start``.

        Args:
            meter: measures each test child (valgrind wraps the runner).
            hide: host paths mounted over with an empty read-only tmpfs (where namespaces work).
            index: this runner's number within its pool (names, log lines).
            python: the interpreter candidates run on (default: ``meters.sandbox_python()``).
            rootfs: an exported root filesystem to run in instead of this machine's.
        """
        super().__init__(meter, index)
        self.python = python
        self.rootfs = rootfs
        self.hide = hide
        self.proc: subprocess.Popen[bytes] | None = None
        self._host_workdir: str | None = None
        self._private_tmp = False
        #: whether this runner's first start had namespaces: the pool's facts say so from then on,
        #: so a restart must have them again (see start)
        self.promised = False

    # -- life cycle ---------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        """Whether the runner process is up (a request starts it when not)."""
        return self.proc is not None

    def _namespace_prefix(self) -> list[str]:
        """``namespace_prefix()`` as a list, for this start.

        Raises:
            SandboxUnavailable: when unshare fails now (its probe past NAMESPACE_PROBE_SECONDS,
                no pids or user namespaces left) where this runner's first start had it (and not
                the set-up step's own namespaces of ``--rootfs`` as root). Without them the runner
                would serve the rest of the pool's life with no hidden folders (the references),
                no private /tmp and no fixed pids, while the pool's facts still said so.
        """
        prefix = list(namespace_prefix())
        if self.promised and not prefix and not (self.rootfs and os.geteuid() == 0):
            raise SandboxUnavailable(
                f"local sandbox: runner {self.index} restarted without the namespaces its first start had "
                "(unshare failed); its facts promise them"
            )
        return prefix

    def start(self) -> None:
        """Start the runner (in its own namespaces where ``unshare`` works) and read its hello.

        Raises:
            SandboxUnavailable: when ``rootfs`` is set but namespaces are unavailable, or the
                runner reports that it failed to start.
            InfrastructureError: when the runner exits or is silent for HELLO_TIMEOUT seconds
                before its hello.
        """
        python = self.python or sandbox_python()
        prefix = self._namespace_prefix()
        if self.rootfs and not prefix:
            raise SandboxUnavailable("local sandbox: --rootfs needs namespaces (unshare), unavailable here")
        # root in an exported image: the set-up step makes the namespaces itself, as in the docker
        # backend's container (the same user namespace: ids that are nobody's outside), so that
        # counts agree with the container's (tests/test_conformance.py)
        own_namespaces = bool(self.rootfs) and os.geteuid() == 0
        if own_namespaces:
            prefix = []
        flags = ["-S", "-s", "-P"]
        # valgrind logs on the runner's stderr (a socket the set-up step relays to us)
        meter_prefix = self.meter.command_prefix(2)
        if self.rootfs and meter_prefix:
            meter_prefix[0] = os.path.basename(meter_prefix[0])  # the root filesystem's own valgrind
        measured = [*meter_prefix, SANDBOX_PYTHON if self.rootfs else python, *flags]
        # a set-up step (in the namespaces, where there are some) mounts and copies the runner,
        # then starts the measured runner with socket stdio and relays it (see the runner)
        setup = [python, *flags, str(paths.runner_path())]
        # the allocator whose cost does not follow the heap's history (a root filesystem has the
        # image's copy): see effbench/sandboxes/allocator.py
        setup += preload_options(image_preload() if self.rootfs else host_preload())
        # valgrind: the interpreter's libpython without debug information (sandboxes/stripped.py)
        setup += stripped.setup_options(self.meter.name, python, self.rootfs)
        if own_namespaces:
            setup += ["--own-namespaces"]
        if prefix and not self.rootfs:
            # hidden before valgrind starts, which reads the debug symbols it finds (see
            # HOST_DEBUG_SYMBOLS); a root filesystem has its image's own
            setup += ["--hide", HOST_DEBUG_SYMBOLS]
        self._private_tmp = (bool(prefix) or own_namespaces) and not python.startswith("/tmp/")
        if self._private_tmp:
            # the docker backend's argv, environment, paths, host name and pid
            setup += ["--private-tmp", "--install-to", RUNNER_IN_SANDBOX, "--hostname", SANDBOX_HOSTNAME]
            # installed as bytecode compiled by the measured interpreter (sandbox/runner.py
            # runner_bytecode): the runner does not compile itself at start (under valgrind the
            # compiler's translations come from the warm-up's COMPILER_WARM_UP instead)
            setup += ["--compile-with", SANDBOX_PYTHON if self.rootfs else python]
            if self.rootfs:
                setup += ["--rootfs", self.rootfs]  # none of this machine's files is visible there
            else:
                for path in self.hide:
                    setup += ["--hide", path]
            measured += [RUNNER_IN_SANDBOX, *self.meter.runner_options(), "--workdir", RUNNER_WORKDIR]
        else:
            self._host_workdir = tempfile.mkdtemp(prefix="effbench-worker-")
            os.chmod(self._host_workdir, 0o711)
            # the runner from bytecode here too (installed in a folder of its own, the allocator
            # and libpython loaded where they are): from source its counts differed from the
            # namespaced runner's under the same fingerprint (a null test's 17,619 instructions
            # against 17,887; tests/threats/test_runner_bytecode.py)
            installed = os.path.join(self._host_workdir, "runner", "runner.py")
            # the code named as the namespaced runner's (its file name is hashed and kept)
            setup += ["--install-to", installed, "--compile-with", python, "--code-name", RUNNER_IN_SANDBOX]
            measured += [installed, *self.meter.runner_options(), "--workdir", self._host_workdir]
            if prefix:
                for path in self.hide:
                    measured += ["--hide", path]
        cmd = [*prefix, *setup, "--exec", *measured]
        self._reset_streams()
        self.proc = subprocess.Popen(
            cmd,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
            env=dict(RUNNER_ENV),
        )
        threading.Thread(target=self._read_log, args=(self.proc.stderr,), daemon=True).start()
        facts = self.hello()
        self.promised = self.promised or bool(prefix or own_namespaces)
        self.facts = {
            **facts,
            "isolation": ("namespaces+rootfs" if self.rootfs else "namespaces") if prefix or own_namespaces else "none",
            "private_tmp": self._private_tmp,
            "hidden": self.hide if prefix and not self.rootfs else [],
        }
        self.calibrate_null()  # the time meter's null cost, before any candidate runs here

    def stop(self) -> None:
        """Kill the runner's process group (its test children too) and remove its host workdir.

        Safe to call twice.
        """
        proc, self.proc = self.proc, None
        if proc is not None:
            try:
                os.killpg(proc.pid, 9)
            except OSError:
                pass
            for stream in (proc.stdin, proc.stdout, proc.stderr):
                try:
                    stream.close()  # type: ignore[union-attr]
                except OSError:
                    pass
            proc.wait()
        if self._host_workdir:
            shutil.rmtree(self._host_workdir, ignore_errors=True)
            self._host_workdir = None

    # -- streams ------------------------------------------------------------------------------
    def _read_log(self, stream: Any) -> None:
        """The runner's stderr: valgrind's counts and the runner's own messages."""
        fd = stream.fileno()
        while True:
            try:
                data = os.read(fd, 65536)
            except (OSError, ValueError):
                break
            if not data:
                break
            self._feed_log(data)

    def _send(self, data: bytes) -> None:
        proc = self.proc
        if proc is None or proc.stdin is None:
            raise OSError("runner is not running")
        proc.stdin.write(data)
        proc.stdin.flush()

    def _recv(self, timeout: float) -> bytes | None:
        proc = self.proc
        if proc is None or proc.stdout is None:
            return b""
        fd = proc.stdout.fileno()
        ready, _, _ = select.select([fd], [], [], timeout)
        if not ready:
            return None
        return os.read(fd, 1 << 20)


def check_rootfs(root: str) -> None:
    """Raise SandboxUnavailable (one line naming the fix) unless ``root`` is an exported image."""
    if not python_in(root).is_file():
        raise SandboxUnavailable(
            f"local sandbox: {root} is not an exported image (no tree{SANDBOX_PYTHON}): "
            "make one with `effbench sandbox export`"
        )
    from effbench.sandboxes.rootfs import mark_used

    mark_used(root)  # in use: another checkout's export leaves it in the cache


class LocalSandbox(RunnerPool):
    """A pool of runner processes on this machine."""

    name = "local"

    def __init__(
        self,
        meter: Meter,
        workers: int = 1,
        hide: Iterable[str | os.PathLike[str]] = (),
        python: str | None = None,
        rootfs: str | os.PathLike[str] | None = None,
    ) -> None:
        """Start ``workers`` runner processes in parallel.

        The problems, references and cache folders, ``/run`` and ``/var/run`` are always hidden
        from candidates, besides ``hide``.

        Args:
            meter: the meter every runner measures with.
            workers: number of runner processes (tests run in parallel, one per runner).
            hide: more host paths to mount over with an empty read-only tmpfs.
            python: the interpreter candidates run on (default: the real binary of this one).
            rootfs: a root filesystem (``effbench sandbox export``) to run in instead of this
                machine's, with its own valgrind and ``/usr/bin/python3.11`` (test children as
                user 65533 when started by root): the docker image's files without a Docker engine.

        Raises:
            SandboxUnavailable: for ``workers`` < 1, a ``rootfs`` that is not an exported image,
                or a runner that cannot start.
        """
        if workers < 1:
            raise SandboxUnavailable("local sandbox: --workers must be at least 1")
        default_hide = [str(paths.problems_dir()), str(paths.references_dir()), str(paths.cache_dir())]
        # /run holds the host's service sockets (docker.sock among them): AF_UNIX is allowed to
        # candidates and a network namespace does not cover paths, so it is hidden too
        default_hide += [p for p in ("/run", "/var/run") if os.path.isdir(p) and not os.path.islink(p)]
        self.hide = sorted({os.path.abspath(p) for p in [*default_hide, *map(str, hide)]})
        root = os.path.abspath(rootfs) if rootfs is not None else None
        if root is not None:
            check_rootfs(root)
        super().__init__(meter, [RunnerProcess(meter, self.hide, i, python, root) for i in range(workers)])
        first = self._workers[0].facts
        # each runner probes unshare at its own start: the pool's facts are what every one has
        isolations = {w.facts.get("isolation") for w in self._workers}
        self.facts = {
            "backend": "local",
            "workers": workers,
            "isolation": first.get("isolation") if len(isolations) == 1 else "none",
            "private_tmp": self.every_worker("private_tmp"),
            "hidden": first.get("hidden", []) if self.every_worker("hidden") else [],
            "seccomp": first.get("seccomp"),
            # whether every process of the runner gets a pid fixed by its place (sandbox/runner.py
            # open_last_pid): no pid carries anything from one request to a later one
            "fixed_pids": self.every_worker("fixed_pids"),
            # whether /proc hides the runner's own processes from the test children (hidepid)
            "hidden_processes": self.every_worker("hidden_processes"),
            "hidden_machine_files": self.every_worker("hidden_machine_files"),
            "python": first.get("python"),
            "rootfs": root,
            "meter": meter.describe(),
        }

    def __enter__(self) -> LocalSandbox:
        """Use the pool in a ``with`` block; it is closed at the block's end."""
        return self

    def __exit__(self, *exc: object) -> None:
        """Close the pool (exceptions propagate)."""
        self.close()
