"""The ``docker`` backend: one long-lived container per worker, through the Docker SDK for Python.

Each worker is a container of the content-addressed sandbox image (see ``docker_image``) with no
network, a read-only root filesystem, a tmpfs ``/tmp`` (the runner's scratch), memory, swap and
pids limits, every capability dropped but RUNNER_CAPABILITIES (``PERFMON`` for the perf meter),
``no-new-privileges``, test children run as user 65533, and one CPU core of its own (``cpuset``).
The set-up step is the container's main process (started once per container with stdin attached,
``docker attach`` before ``start``). With the valgrind and time meters it first makes user, mount,
PID, UTS and network namespaces of its own (ids 0-65535 inside are 100000 and up outside; see
``namespaces_seccomp_profile`` and ``_create`` for what the container gets for it) and sets them
up as the local backend's set-up step does: fixed pids, a /proc with hidepid and no machine-wide
files, an empty /sys, a container's /dev, a private /tmp. It relays the runner's socket stdio,
so the runner speaks the same framed protocol as in the local backend over the attached socket;
for the valgrind meter,
valgrind logs to the runner's stderr (``--log-fd=2``), which arrives demultiplexed on the same
socket. Inside, every test child has the runner's own user switch, rlimits and seccomp filter.

Containers carry the labels ``effbench.sandbox=1`` and their owner (boot, pid, start time, PID
namespace), and the engine keeps no log of their output (log driver ``none``). They
are removed on ``close()``, at exit and on Ctrl-C; if the harness dies without cleaning up, the
runner's stdin (the harness's attach socket, ``StdinOnce``) reaches end-of-file and the runner
exits, which stops and removes the container (``auto_remove``); and every start removes labelled
containers whose owner is gone. A container that dies mid-test (OOM killer, ``docker kill``) is an
infrastructure failure: the test is retried once in a fresh container.
"""

from __future__ import annotations

import atexit
import json
import os
import posixpath
import queue
import socket
import struct
import threading
import time
import weakref
from collections.abc import Iterable
from typing import Any

from effbench.errors import InfrastructureError, SandboxUnavailable
from effbench.meters.base import Meter
from effbench.sandboxes.allocator import image_preload, preload_options
from effbench.sandboxes.base import TestRequest
from effbench.sandboxes.docker_engine import DockerUnavailable, connect
from effbench.sandboxes.docker_image import PYTHON_IN_IMAGE, RUNNER_IN_IMAGE, SANDBOX_USER, image_tag
from effbench.sandboxes.protocol import (
    RUNNER_ENV,
    RUNNER_IN_SANDBOX,
    RUNNER_WORKDIR,
    SANDBOX_HOSTNAME,
    RunnerClient,
    RunnerPool,
)

LABEL = "effbench.sandbox"
OWNER_LABEL = "effbench.owner"
DEFAULT_MEMORY_BYTES = 4 << 30
DEFAULT_PIDS = 256
DEFAULT_TMPFS = "1g"
#: what a container holds beside a test child within its memory limit (the runner, its zygote and
#: worker, valgrind's own, the page cache it reads): its limit is at least a test's limit plus this
CONTAINER_MEMORY_HEADROOM = 1 << 30
#: how many times (about a second each) the engine is asked for an ``oom`` event of a container
#: whose test child died of SIGKILL with no limit of the runner's named (see _oom_is_memory)
OOM_EVENT_WAITS = 3
#: what the runner (root in the container, every other capability dropped) needs: to run each
#: test child as another user (SETUID, SETGID), to stop it (KILL), and to give it and then empty
#: its scratch folder whatever it did there (CHOWN, DAC_OVERRIDE, FOWNER). Children drop them all.
#: Where the set-up step makes its own namespaces, SETUID and SETGID let the container's pid 1
#: write the child's uid and gid maps (65536 ids); inside, the runner has a user namespace's own.
RUNNER_CAPABILITIES = ("SETUID", "SETGID", "KILL", "CHOWN", "DAC_OVERRIDE", "FOWNER")


#: what Docker's documentation lists as blocked by its default seccomp profile, less
#: perf_event_open: for the perf meter on engines without CAP_PERFMON (the runner's own filter
#: still denies perf_event_open, ptrace, fork, exec and the rest to candidates)
BLOCKED_SYSCALLS = (
    "acct add_key bpf clock_adjtime clock_settime create_module delete_module finit_module "
    "get_kernel_syms get_mempolicy init_module ioperm iopl kcmp kexec_file_load kexec_load keyctl "
    "lookup_dcookie mbind mount move_pages name_to_handle_at nfsservctl open_by_handle_at pivot_root "
    "process_vm_readv process_vm_writev ptrace query_module quotactl reboot request_key set_mempolicy "
    "setns settimeofday stime swapon swapoff sysfs _sysctl umount umount2 unshare uselib userfaultfd "
    "ustat vm86 vm86old"
).split()


def perf_seccomp_profile() -> dict:
    """A seccomp profile (Docker's JSON format) denying BLOCKED_SYSCALLS with EPERM."""
    return {
        "defaultAction": "SCMP_ACT_ALLOW",
        "syscalls": [{"names": list(BLOCKED_SYSCALLS), "action": "SCMP_ACT_ERRNO", "errnoRet": 1}],
    }


#: what the set-up step and the runner need of BLOCKED_SYSCALLS, and nothing else: new
#: namespaces (unshare; clone's namespace flags, which the engine's default refuses too, are not
#: needed: the set-up unshares, then forks), mounts in them (the fresh /proc, /sys, /dev, /tmp,
#: and each test's scratch tmpfs) and the scratch's unmount
NAMESPACE_SYSCALLS = ("unshare", "mount", "umount2")
#: not needed either, refused too: the kernel's newer mount interface and the meter's counters
NAMESPACE_PROFILE_EXTRA_DENIED = (
    "open_tree move_mount fsopen fsconfig fsmount fspick mount_setattr perf_event_open".split()
)


def namespaces_seccomp_profile() -> dict:
    """The seccomp profile (Docker's JSON format) of a container that makes its own namespaces.

    BLOCKED_SYSCALLS less NAMESPACE_SYSCALLS, plus NAMESPACE_PROFILE_EXTRA_DENIED, refused with
    EPERM (the set-up step: sandbox/runner.py enter_own_namespaces). Test children
    have the runner's own filter on top (unshare, setns, mount, clone but for threads, ... refused).
    """
    denied = [name for name in BLOCKED_SYSCALLS if name not in NAMESPACE_SYSCALLS]
    denied += NAMESPACE_PROFILE_EXTRA_DENIED
    return {
        "defaultAction": "SCMP_ACT_ALLOW",
        "syscalls": [{"names": denied, "action": "SCMP_ACT_ERRNO", "errnoRet": 1}],
    }


def _engine_errors() -> tuple[type[BaseException], ...]:
    """What the Docker SDK raises when the engine refuses or does not answer (after ``connect``)."""
    import docker.errors
    import requests.exceptions

    return (docker.errors.DockerException, requests.exceptions.RequestException)


def _engine_reason(exc: BaseException) -> str:
    """The engine's own words for ``exc`` (its explanation, else the message), on one line."""
    text = str(getattr(exc, "explanation", None) or exc or type(exc).__name__)
    return " ".join(text.split())[:300]


#: the largest archive of the image's runner read back (the runner is about 200 kB)
MAX_RUNNER_ARCHIVE = 16 << 20
#: image ids whose runner was found to be this effbench's (checked once per process)
_CHECKED_IMAGES: set[str] = set()


def check_image_runner(client: Any, image: str, owner: str) -> None:
    """Refuse an image whose runner is not byte for byte this effbench's ``sandbox/runner.py``.

    The image's tag is content-addressed (``image_tag``), but a caller may name any image: one
    built by an older effbench ran its older runner (older defences, other counts) as if it were
    this one, the run's facts and cached profiles none the wiser. The runner is read from a
    created, never started, container of the image (labelled as the workers are, so a harness
    killed meanwhile leaves nothing the next start keeps). Once per image id and process.

    Raises:
        DockerUnavailable: the image holds no runner, or another one.
        docker.errors.DockerException: the engine failed.
    """
    import hashlib
    import io
    import tarfile

    from effbench import paths

    image_id = client.images.get(image).id
    if image_id in _CHECKED_IMAGES:
        return
    created = client.api.create_container(
        image, ["/nonexistent"], network_disabled=True, labels={LABEL: "1", OWNER_LABEL: owner}
    )["Id"]
    try:
        import docker.errors

        try:
            stream, _ = client.api.get_archive(created, RUNNER_IN_IMAGE)
        except docker.errors.NotFound:
            raise DockerUnavailable(
                f"docker backend: image {image} has no {RUNNER_IN_IMAGE}: it is not effbench's sandbox image "
                "(`effbench sandbox build` prints the current one's tag)"
            ) from None
        data = bytearray()
        for chunk in stream:
            data += chunk
            if len(data) > MAX_RUNNER_ARCHIVE:
                break
    finally:
        client.api.remove_container(created, force=True)
    found = b""
    try:
        with tarfile.open(fileobj=io.BytesIO(bytes(data))) as archive:
            member = archive.next()
            handle = archive.extractfile(member) if member is not None else None
            found = handle.read() if handle is not None else b""
    except (tarfile.TarError, OSError):
        pass
    ours = paths.runner_path().read_bytes()
    if found != ours:
        digest = hashlib.sha256(found).hexdigest()[:16]
        raise DockerUnavailable(
            f"docker backend: image {image} holds another runner than this effbench's ({RUNNER_IN_IMAGE} "
            f"sha256 {digest}..., here {hashlib.sha256(ours).hexdigest()[:16]}...): an image built by another "
            f"effbench version; use the current one ({image_tag()}, `effbench sandbox build` makes it)"
        )
    _CHECKED_IMAGES.add(image_id)


def _start_time(pid: int) -> str | None:
    """The kernel's start time of a process (tells a live owner from a reused pid)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
        return stat[stat.rindex(b")") + 2 :].split()[19].decode()
    except (OSError, ValueError, IndexError):
        return None


def _boot_id() -> str:
    """The kernel's boot id (the host name where /proc does not have it)."""
    try:
        with open("/proc/sys/kernel/random/boot_id") as f:
            return f.read().strip()
    except OSError:
        return socket.gethostname()


def _pid_namespace() -> str:
    """This process's PID namespace: the inode number of ``/proc/self/ns/pid`` ("" if unknown).

    A pid and a start time name a process only within one PID namespace: two effbench runs in
    two containers that share the machine's engine (CI jobs with the engine's socket mounted)
    see each other's pids as other processes, or as none.
    """
    try:
        return str(os.stat("/proc/self/ns/pid").st_ino)
    except OSError:
        return ""


def owner_label() -> str:
    """``<boot id>:<pid>:<start time>:<PID namespace>`` of this process (see ``_owner_gone``)."""
    pid = os.getpid()
    return f"{_boot_id()}:{pid}:{_start_time(pid)}:{_pid_namespace()}"


def _owner_gone(label: str) -> bool:
    """Whether the process an ``owner_label`` names has exited, as far as this process can tell.

    False (not ours to judge) for an owner on another boot or machine, or in another PID
    namespace, whose pid names another process here, or none: removing its containers would fail
    a live run's tests. A label of an older effbench (no PID namespace) is judged by its pid and
    start time alone.
    """
    boot, _, rest = label.partition(":")
    pid_text, _, rest = rest.partition(":")
    started, _, namespace = rest.partition(":")
    if boot != _boot_id():
        return False  # another machine's (or a previous boot's engine): not ours to judge
    if namespace and namespace != _pid_namespace():
        return False  # another PID namespace's process: its pid means nothing here
    try:
        pid = int(pid_text)
    except ValueError:
        return True
    return _start_time(pid) != started


def remove_stale_containers(client: Any) -> list[str]:
    """Remove labelled containers whose owning effbench process is gone; return their names."""
    removed = []
    # ignore_removed: a container listed, then removed before its inspection (other runs' end by
    # themselves, auto_remove) is skipped, not an engine failure that stops this start
    for container in client.containers.list(all=True, filters={"label": f"{LABEL}=1"}, ignore_removed=True):
        owner = container.labels.get(OWNER_LABEL, "")
        if _owner_gone(owner):
            try:
                container.remove(force=True)
                removed.append(container.name)
            except Exception:
                pass
    return removed


#: how long a pool waits for another pool of this user on this machine to place its containers
#: before it places its own regardless (seconds)
PLACEMENT_WAIT = 120.0


def cores_in_use(client: Any) -> dict[int, int]:
    """How many live effbench containers on the engine (any owner) are pinned to each core.

    Live: created (a pool starting) or running. Returns {core: containers}.
    """
    used: dict[int, int] = {}
    live = {"label": f"{LABEL}=1", "status": ["created", "running"]}
    listed = client.containers.list(all=True, filters=live, ignore_removed=True)  # see remove_stale_containers
    for container in listed:
        cpuset = str((container.attrs.get("HostConfig") or {}).get("CpusetCpus") or "")
        for part in cpuset.split(","):
            if part.strip().isdigit():
                used[int(part)] = used.get(int(part), 0) + 1
    return used


def least_used_cores(cpus: list[int], used: dict[int, int], workers: int) -> list[int]:
    """``workers`` distinct cores of ``cpus``, the least used first.

    ``used``: {core: live containers pinned to it}; ties go in ``cpus``' order.
    """
    return sorted(cpus, key=lambda core: (used.get(core, 0), cpus.index(core)))[:workers]


class _PlacementLock:
    """This user's machine-wide lock on placing containers on cores (a file in the cache folder).

    Held from the listing of the cores in use until the pool's last container is created (by the
    worker threads that create them, or the pool's failure): pools started at once (the Ray
    executor's actors, one sandbox each) then see each other's containers and take other cores.
    Waits at most PLACEMENT_WAIT seconds; without a usable lock file, places without one.
    """

    def __init__(self, pending: int) -> None:
        import fcntl

        from effbench import paths

        self._pending = pending
        self._mutex = threading.Lock()
        self._fd: int | None = None
        try:
            folder = paths.cache_dir()
            folder.mkdir(parents=True, exist_ok=True)
            fd = os.open(folder / "docker-placement.lock", os.O_RDONLY | os.O_CREAT | os.O_NOFOLLOW, 0o644)
        except OSError:
            return
        deadline = time.monotonic() + PLACEMENT_WAIT
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                self._fd = fd
                return
            except OSError:
                if time.monotonic() > deadline:
                    os.close(fd)
                    return
                time.sleep(0.05)

    def placed(self) -> None:
        """One container is created (or failed to be): the last one releases the lock."""
        with self._mutex:
            self._pending -= 1
            if self._pending <= 0:
                self.release()

    def release(self) -> None:
        """Release the lock now (safe to call again)."""
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)  # closing the only descriptor of the open file releases its flock


class _ExecStream:
    """The attached socket of ``docker exec``: stdin out, stdout/stderr demultiplexed in."""

    def __init__(self, sock: Any, on_stderr: Any) -> None:
        self._io = sock
        self._sock: socket.socket = getattr(sock, "_sock", sock)
        self._stdout: queue.Queue[bytes] = queue.Queue()
        self._on_stderr = on_stderr
        self._thread = threading.Thread(target=self._pump, daemon=True)
        self._thread.start()

    def _read_exact(self, n: int) -> bytes:
        chunks, left = [], n
        while left:
            data = self._sock.recv(min(left, 1 << 20))
            if not data:
                raise EOFError
            chunks.append(data)
            left -= len(data)
        return b"".join(chunks)

    def _pump(self) -> None:
        try:
            while True:
                stream, size = struct.unpack(">BxxxL", self._read_exact(8))
                data = self._read_exact(size)
                if stream == 2:
                    self._on_stderr(data)
                else:
                    self._stdout.put(data)
        except (EOFError, OSError, struct.error):
            pass
        finally:
            self._stdout.put(b"")

    def send(self, data: bytes) -> None:
        self._sock.sendall(data)

    def recv(self, timeout: float) -> bytes | None:
        try:
            data = self._stdout.get(timeout=timeout)
        except queue.Empty:
            return None
        if not data:
            self._stdout.put(b"")  # stay at end-of-file
        return data

    def close(self) -> None:
        for close in (lambda: self._sock.shutdown(socket.SHUT_RDWR), self._sock.close, self._io.close):
            try:
                close()
            except Exception:
                pass


class DockerWorker(RunnerClient):
    """One container pinned to one core, with one runner exec'd in it."""

    backend = "docker"

    def __init__(self, sandbox: DockerSandbox, index: int, cpu: str) -> None:
        """A worker of ``sandbox`` (its client, image and limits), number ``index``, pinned to core ``cpu``.

        Nothing starts here: the container is created by ``start`` (the pool calls it).
        """
        super().__init__(sandbox.meter, index)
        self.sandbox = sandbox
        self.cpu = cpu
        self.container: Any = None
        self._exec: _ExecStream | None = None
        self.generation = 0
        #: whether this worker's container makes its own namespaces (see _create_container)
        self.own_namespaces = sandbox.own_namespaces
        #: the engine's refusal of them, when it refused
        self.refused: str | None = None
        #: whether this worker's first start made its namespaces: the pool's facts say so from
        #: then on, so a restarted container must make them again (see _without_namespaces)
        self.promised = False
        #: the memory limit of this worker's container, in bytes (see _fit_memory)
        self.memory_limit = sandbox.memory_bytes
        #: the engine's ``oom`` events of this worker's containers already read (their timeNano,
        #: ns since the epoch): each is one kill, given to one test (see _oom_is_memory)
        self._ooms_read: set[int] = set()

    @property
    def running(self) -> bool:
        """Whether this worker's container is attached (a request starts one when not)."""
        return self._exec is not None

    def _create_container(self) -> str:
        perf = self.meter.name == "perf"
        self.perf_access = "CAP_PERFMON" if perf else None
        # not again once refused (below, and in start): a restarted worker gets what worked
        self.own_namespaces = self.sandbox.own_namespaces and not perf and self.refused is None
        if self.own_namespaces:
            try:
                return self._create(perf_by=None)
            except Exception as exc:
                if not any(word in str(exc) for word in ("seccomp", "MaskedPaths", "ReadonlyPaths")):
                    raise
                self._without_namespaces(str(exc))
                # an engine that does not know systempaths=unconfined or a custom profile:
                # the container as before, its facts saying what is not closed
                self.own_namespaces = False
                self.refused = str(exc).splitlines()[0][:200]
        try:
            return self._create(perf_by="capability" if perf else None)
        except Exception as exc:
            if not (perf and "PERFMON" in str(exc)):
                raise
        # an engine older than CAP_PERFMON (Debian 12's docker.io 20.10): perf_event_open on the
        # container's own processes needs no capability where kernel.perf_event_paranoid <= 2;
        # only the engine's default seccomp profile forbids it, so that profile is swapped for ours
        self.perf_access = "effbench seccomp profile (the engine predates CAP_PERFMON)"
        return self._create(perf_by="seccomp")

    def _create(self, perf_by: str | None) -> str:
        box = self.sandbox
        api = box.client.api
        security = ["no-new-privileges"]
        if perf_by == "seccomp":
            security.append("seccomp=" + json.dumps(perf_seccomp_profile()))
        if self.own_namespaces:
            # the set-up step's namespaces (see namespaces_seccomp_profile), and a /proc the
            # kernel lets a new user namespace mount a fresh /proc beside: with the engine's
            # masks (/proc/kcore, /proc/sys read-only, ...) no proc mount of the container is
            # fully visible, and the kernel refuses any new one (mount_too_revealing, EPERM)
            security.append("seccomp=" + json.dumps(namespaces_seccomp_profile()))
        tmpfs = {"/tmp": f"rw,nosuid,nodev,noexec,size={box.tmpfs_size},mode=755"}
        if image_preload() and not self.own_namespaces:
            # the runner's copy and the allocator it preloads (mapped executable): the set-up
            # step (root) writes them, the test children (another user) cannot
            tmpfs[posixpath.dirname(RUNNER_IN_SANDBOX)] = "rw,nosuid,nodev,exec,size=16m,mode=755"
        self.memory_limit = box.memory_bytes
        host_config = api.create_host_config(
            auto_remove=True,
            network_mode="none",
            read_only=True,
            # the runner's: test children (another user) write only their scratch folder below it
            tmpfs=tmpfs,
            mem_limit=box.memory_bytes,
            memswap_limit=box.memory_bytes,
            pids_limit=box.pids,
            cap_drop=["ALL"],
            cap_add=[*RUNNER_CAPABILITIES, *(["PERFMON"] if perf_by == "capability" else [])],
            security_opt=security,
            cpuset_cpus=self.cpu,
            ipc_mode="private",
            # no copy of the container's output on the engine's disk: every request's answer (up
            # to 16 MiB a test) and valgrind's log cross the attach stream, and the engine's
            # default json-file driver also wrote all of it, without a bound, under
            # /var/lib/docker for the container's life (a whole run): a candidate returning
            # 15 MB per test filled the machine's disk (test_docker.py)
            log_config={"Type": "none", "Config": {}},
        )
        if self.own_namespaces:
            # the command line's --security-opt systempaths=unconfined (see above)
            host_config["MaskedPaths"] = []
            host_config["ReadonlyPaths"] = []
        config = api.create_container_config(
            box.image,
            self.runner_command(),
            stdin_open=True,
            user=SANDBOX_USER,
            hostname=SANDBOX_HOSTNAME,
            labels={LABEL: "1", OWNER_LABEL: box.owner, "effbench.worker": str(self.index)},
            host_config=host_config,
        )
        config["StdinOnce"] = True  # the runner's stdin closes when the harness's attach does
        name = f"effbench-{os.getpid()}-{self.index}-{self.generation}-{os.urandom(3).hex()}"
        return api.create_container_from_config(config, name)["Id"]

    def runner_command(self) -> list[str]:
        """The container's command line (its main process, pid 1).

        It has the same set-up step, argv, environment, paths and pid as the local backend's
        measured runner, so that counts agree to the instruction.
        """
        prefix = self.meter.command_prefix(2)
        if prefix:
            prefix[0] = os.path.basename(prefix[0])  # found on the image's PATH
        python, flags = self.sandbox.python, ["-S", "-s", "-P"]
        env = [f"{k}={v}" for k, v in RUNNER_ENV.items()]
        setup = [python, *flags, RUNNER_IN_IMAGE, "--install-to", RUNNER_IN_SANDBOX]
        if self.own_namespaces:
            # as the local backend's and --rootfs's: see sandbox/runner.py enter_own_namespaces
            setup += ["--own-namespaces", "--private-tmp", "--tmp-size", self.sandbox.tmpfs_size]
            setup += ["--hostname", SANDBOX_HOSTNAME]
        else:
            setup += ["--container-tmp"]
        # installed as bytecode, as the local backend's (sandbox/runner.py runner_bytecode)
        setup += ["--compile-with", python]
        # the allocator, copied beside the runner: see effbench/sandboxes/allocator.py
        setup += [*preload_options(image_preload()), "--exec"]
        measured = [*prefix, python, *flags, RUNNER_IN_SANDBOX, *self.meter.runner_options()]
        return ["/usr/bin/env", "-i", *env, *setup, *measured, "--workdir", RUNNER_WORKDIR]

    def start(self) -> None:
        """Create a fresh container, attach to it, start it and read the runner's hello.

        Where the engine refuses the namespaces' options, or the set-up step fails to make them,
        the container is made again as before (``own_namespaces`` false, ``refused`` the reason).

        Raises:
            docker.errors.APIError: when the engine refuses the container.
            SandboxUnavailable: when the runner reports that it failed to start.
            InfrastructureError: when the runner exits or is silent for HELLO_TIMEOUT seconds
                before its hello (the container is removed).
        """
        client = self.sandbox.client
        self.generation += 1
        self._reset_streams()
        try:
            cid = self._create_container()
        finally:
            placing = self.sandbox.placing
            if placing is not None:
                placing.placed()
        self.container = client.containers.get(cid)
        # attached before the start: the runner's stdin is this socket (closed when the harness
        # goes away, whatever the way, and then the runner and its container end)
        sock = client.api.attach_socket(cid, params={"stdin": 1, "stdout": 1, "stderr": 1, "stream": 1})
        self._exec = _ExecStream(sock, self._feed_log)
        client.api.start(cid)
        try:
            facts = self.hello()
        except SandboxUnavailable as exc:
            self.stop()
            if not (self.own_namespaces and "set-up:" in str(exc)):
                raise
            self._without_namespaces(str(exc))
            # the namespaces refused inside the container (user namespaces off in the kernel, a
            # security profile that denies mount or unshare): the container as before, once,
            # with the facts false and the refusal named
            self.refused = str(exc)[:300]
            self.start()
            return
        except BaseException:
            self.stop()
            raise
        self.promised = self.promised or self.own_namespaces
        self.facts = {
            **facts,
            "container": self.container.name,
            "cpu": self.cpu,
            "perf_access": self.perf_access,
            "own_namespaces": self.own_namespaces,
            "namespaces_refused": self.refused,
        }
        self.calibrate_null()  # the time meter's null cost, before any candidate runs here

    def _without_namespaces(self, why: str) -> None:
        """Allow a fall-back to a container without the set-up's namespaces at a first start only.

        Called before falling back; ``why``: the engine's or the set-up's refusal (a string).

        Raises:
            SandboxUnavailable: when this worker's first start made them. The pool's facts
                (own_namespaces, fixed_pids, hidden_processes) promise them for every request; a
                restarted container without them (a transient set-up failure, after a candidate
                left files in its scratch folder or the runner died) ran later samples with the
                pid and /proc channels open while the facts still said closed.
        """
        if self.promised:
            raise SandboxUnavailable(
                f"docker sandbox: worker {self.index} restarted without the namespaces its first start made "
                f"(its facts promise them): {why.splitlines()[0][:200] if why else 'refused'}"
            )

    def stop(self) -> None:
        """Close the attach socket and remove the container; safe to call twice."""
        stream, self._exec = self._exec, None
        if stream is not None:
            stream.close()
        container, self.container = self.container, None
        if container is not None:
            try:
                container.remove(force=True)
            except Exception:
                pass  # already gone (auto_remove) or being removed

    def request(self, req: TestRequest, ballast_kb: int = 0) -> dict:
        """Run one test (see :meth:`RunnerClient.request`) in a container with room for its limit.

        The container's memory limit is raised first, where the test's own limit (its
        ``memory_bytes``) plus CONTAINER_MEMORY_HEADROOM exceeds it: the runner's watch, not the
        container's OOM killer, must stop a test at its limit. Raises InfrastructureError when the
        engine refuses (the pool then retries in a fresh container, made with the new limit).
        """
        if not self.running:
            self.start()
        self._fit_memory(int(req.limits.memory_bytes))
        started = time.time_ns()
        response = super().request(req, ballast_kb)
        self._oom_is_memory(response, started)
        return response

    def _oom_is_memory(self, response: dict, started_ns: int) -> None:
        """Record a test child the container's OOM killer stopped as stopped at the memory limit.

        A child killed by SIGKILL with no limit of the runner's named (``killed_for``) was, if
        the engine reported an ``oom`` event of this container since ``started_ns`` (ns since
        the epoch) that no earlier test was given, stopped by the container's memory limit, not
        by a signal it brought on itself: ``killed_for`` becomes ``memory`` (verdict
        censored_memory). Each event is given once: the engine stamps an event when it hears of
        it, which can be after the next test started, so an earlier test's kill must not be read
        as the next one's (a child that killed itself after an OOM-killed one was censored). The
        runner cannot see that limit's kills itself (its /sys is empty). Looked up only for
        such children.
        """
        killed = [
            pair["test"]
            for pair in response.get("runs", [])
            if isinstance(pair, dict)
            and isinstance(pair.get("test"), dict)
            and pair["test"].get("signal") == 9
            and not pair["test"].get("killed_for")
        ]
        if not killed or self.container is None:
            return
        oom = False
        for _attempt in range(OOM_EVENT_WAITS):  # the engine's event may trail the child's death
            try:
                events = self.sandbox.client.api.events(
                    since=started_ns // 10**9,
                    until=int(time.time()) + 1,
                    filters={"container": self.container.id, "event": "oom"},
                    decode=True,
                )
                stamps = {int(event.get("timeNano") or 0) for event in events}
            except _engine_errors():
                return
            fresh, self._ooms_read = stamps - self._ooms_read, self._ooms_read | stamps
            oom = any(stamp >= started_ns for stamp in fresh)
            if oom:
                break
        if oom:
            for record in killed:
                record["killed_for"] = "memory"

    def _fit_memory(self, test_bytes: int) -> None:
        box = self.sandbox
        box.memory_bytes = max(box.memory_bytes, test_bytes + CONTAINER_MEMORY_HEADROOM)
        if self.container is None or self.memory_limit >= box.memory_bytes:
            return
        try:
            self.container.update(mem_limit=box.memory_bytes, memswap_limit=box.memory_bytes)
        except _engine_errors() as exc:
            raise InfrastructureError(
                f"docker sandbox: the engine refused to raise the container's memory limit to "
                f"{box.memory_bytes} bytes: {_engine_reason(exc)}"
            ) from None
        self.memory_limit = box.memory_bytes

    def _send(self, data: bytes) -> None:
        if self._exec is None:
            raise OSError("runner is not running")
        self._exec.send(data)

    def _recv(self, timeout: float) -> bytes | None:
        if self._exec is None:
            return b""
        return self._exec.recv(timeout)


_LIVE: weakref.WeakSet[DockerSandbox] = weakref.WeakSet()


@atexit.register
def _close_all() -> None:
    for box in list(_LIVE):
        box.close()


class DockerSandbox(RunnerPool):
    """A pool of containers, one per worker, each pinned to its own core."""

    name = "docker"

    def __init__(
        self,
        meter: Meter,
        workers: int = 1,
        hide: Iterable[str | os.PathLike[str]] = (),
        image: str | None = None,
        python: str = PYTHON_IN_IMAGE,
        memory_bytes: int = DEFAULT_MEMORY_BYTES,
        pids: int = DEFAULT_PIDS,
        tmpfs_size: str = DEFAULT_TMPFS,
        cpus: list[int] | None = None,
        own_namespaces: bool = True,
    ) -> None:
        """A pool of ``workers`` containers of ``image``, each pinned to one of ``cpus``.

        ``hide`` is accepted for symmetry with ``local``: nothing of the host is mounted here.
        ``own_namespaces``: the set-up step makes user, mount, PID, UTS and network namespaces of
        its own in the container (a custom seccomp profile and ``systempaths=unconfined``; see
        ``_create``), for fixed pids and a /proc that hides processes and machine-wide files;
        False (and the perf meter, whose CAP_PERFMON counts only outside a user namespace, and an
        engine that refuses those options) runs the container as before, with those facts false.

        Raises:
            DockerUnavailable: no engine (or no permission to it), the image is missing or holds
                another runner than this effbench's (``check_image_runner``), or the engine fails
                a query.
            SandboxUnavailable: bad ``workers``, the engine refusing a container (a core it may
                not use, a full disk) or not answering, or a runner that cannot start (an image
                that is not effbench's sandbox).
        """
        if workers < 1:
            raise SandboxUnavailable("docker sandbox: --workers must be at least 1")
        self.client = connect()
        self.image = image or image_tag()
        import docker.errors

        owner = owner_label()
        try:
            self.client.images.get(self.image)
            check_image_runner(self.client, self.image, owner)
            if cpus is None:
                ncpu = int(self.client.info().get("NCPU") or os.cpu_count() or 1)
                cpus = list(range(ncpu))
        except docker.errors.ImageNotFound:
            raise DockerUnavailable(
                f"docker backend: image {self.image} is missing: build it with `effbench sandbox build`"
            ) from None
        except _engine_errors() as exc:
            raise DockerUnavailable(f"docker backend: the engine failed: {_engine_reason(exc)}") from None
        if workers > len(cpus):
            raise SandboxUnavailable(
                f"docker sandbox: --workers {workers} is more than the {len(cpus)} core(s) to pin workers to"
            )
        self.meter = meter
        self.python = python
        self.memory_bytes = memory_bytes
        self.pids = pids
        self.tmpfs_size = tmpfs_size
        self.own_namespaces = own_namespaces
        self.owner = owner
        try:
            self.stale_removed = remove_stale_containers(self.client)
        except _engine_errors() as exc:
            raise DockerUnavailable(f"docker backend: the engine failed: {_engine_reason(exc)}") from None
        self._closed = False
        _LIVE.add(self)
        #: held while this pool's containers are placed (see _PlacementLock), then None
        self.placing: _PlacementLock | None = _PlacementLock(workers)
        try:
            # the cores other live effbench containers use least (other pools: the Ray executor's
            # actors, another run): every pool took cores 0, 1, ... and shared them, idle cores
            # beside them
            try:
                cores = least_used_cores(list(cpus), cores_in_use(self.client), workers)
            except _engine_errors():
                cores = list(cpus)[:workers]
            super().__init__(meter, [DockerWorker(self, i, str(cores[i])) for i in range(workers)])
        except _engine_errors() as exc:
            # the engine refused a container (a core it may not use, a full disk, an image
            # removed meanwhile) or did not answer in time: one line, not the SDK's traceback
            self.close()
            raise SandboxUnavailable(
                f"docker sandbox: the engine could not start the containers: {_engine_reason(exc)}"
            ) from None
        except InfrastructureError as exc:
            # the runner in the container exited or was silent before its hello: not an image
            # of effbench's sandbox, or a broken one
            self.close()
            raise SandboxUnavailable(
                f"docker sandbox: the runner in image {self.image} failed to start ({str(exc)[:300]}); "
                "is it effbench's sandbox image? `effbench sandbox build` builds it"
            ) from None
        finally:
            placing, self.placing = self.placing, None
            if placing is not None:
                placing.release()
        first = self._workers[0].facts
        refusals = [w.facts.get("namespaces_refused") for w in self._workers]
        self.facts = {
            "backend": "docker",
            "workers": workers,
            "image": self.image,
            "isolation": "docker",
            "network": "none",
            "read_only_root": True,
            "user": SANDBOX_USER,
            "memory_bytes": memory_bytes,
            "pids_limit": pids,
            "cpus": [w.cpu for w in self._workers],  # type: ignore[attr-defined]
            "private_tmp": True,
            "hidden": [],
            "seccomp": first.get("seccomp"),
            "perf_access": first.get("perf_access"),
            # true where the set-up step made namespaces of its own (own_namespaces): see the
            # local backend's facts; false in a container without them (the perf meter's)
            # of every worker (each may have been refused on its own at its first start)
            "own_namespaces": self.every_worker("own_namespaces"),
            "namespaces_refused": next((r for r in refusals if r), None),
            "fixed_pids": self.every_worker("fixed_pids"),
            "hidden_processes": self.every_worker("hidden_processes"),
            "hidden_machine_files": self.every_worker("hidden_machine_files"),
            "python": first.get("python"),
            "meter": meter.describe(),
        }

    def containers(self) -> list[Any]:
        """The live worker containers (for tests and diagnostics)."""
        return [w.container for w in self._workers if w.container is not None]  # type: ignore[attr-defined]

    def __enter__(self) -> DockerSandbox:
        """Use the pool in a ``with`` block; it is closed at the block's end."""
        return self

    def __exit__(self, *exc: object) -> None:
        """Close the pool (exceptions propagate)."""
        self.close()

    def close(self) -> None:
        """Stop every worker and remove its container; safe to call twice."""
        super().close()
        _LIVE.discard(self)
