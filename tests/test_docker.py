"""The docker backend for real: lock-down, faults, clean-up, image tags, the CLI.

Needs a running Docker engine and the sandbox image (built on first use). Without an engine
these tests are skipped, except in CI (CI=true), where that is a failure.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time

import pytest

from effbench.meters.timing import TimeMeter
from effbench.sandboxes.base import Limits, TestRequest

from .conftest import MINI

RECOVER_CTYPES = [
    "try:",
    "    import ctypes",
    "except ImportError:  # refused to candidates, and every other path to it is cut",
    "    import types",
    "    _cdll = [c for c in object.__subclasses__() if c.__name__ == 'CDLL']",
    "    ctypes = types.SimpleNamespace(**_cdll[0].__init__.__globals__) if _cdll else None",
]

SLEEPY = "import time\ndef f(n):\n    time.sleep(n)\n    return n\n"


def _labelled_containers() -> set[str]:
    """The ids of the effbench-labelled containers of this process the engine has, running or not."""
    from effbench.sandboxes.docker import LABEL, OWNER_LABEL, connect

    return {
        c.id
        for c in connect().containers.list(all=True, filters={"label": f"{LABEL}=1"}, ignore_removed=True)
        if f":{os.getpid()}:" in c.labels.get(OWNER_LABEL, "")
    }


def _no_new_containers(before: set[str]) -> bool:
    """Whether this process's labelled containers are back to ``before`` within 30 s (a container
    force-removed while the engine's auto_remove is under way lingers a moment)."""
    for _ in range(300):
        if _labelled_containers() <= before:
            return True
        time.sleep(0.1)
    return False


@pytest.fixture(scope="module")
def time_box(docker_image):
    from effbench.sandboxes.docker import DockerSandbox

    box = DockerSandbox(TimeMeter(repeats=1), workers=2, image=docker_image)
    yield box
    box.close()


def test_unreachable_engine_gives_one_clear_error_and_exit_code_2(tmp_path, monkeypatch):
    """No engine: one line naming the fix (start dockerd), exit code 2, not a traceback."""
    from click.testing import CliRunner

    from effbench.cli import main
    from effbench.sandboxes.docker import DockerUnavailable, connect

    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-such.sock")
    with pytest.raises(DockerUnavailable, match=r"cannot reach the Docker engine .*dockerd &"):
        connect(timeout=5)
    result = CliRunner().invoke(
        main,
        ["evaluate", "--references", "expert", "--problems-dir", str(MINI), "--problems", "triangle"]
        + ["--sandbox", "docker", "--meter", "time", "--run-dir", str(tmp_path / "run")],
    )
    assert result.exit_code == 2
    assert "cannot reach the Docker engine" in result.output and "dockerd &" in result.output


def test_no_permission_to_the_engines_socket_names_that_fix_not_starting_the_engine(tmp_path):
    """Invariant: a user who may not use the engine's socket gets one line saying so and how to
    get access (the socket's group, or root). Threat: the message said the engine was not
    running and to start it (`dockerd &`), which was wrong: the engine ran, and starting a second
    one does not help."""
    import socket as sockets

    if shutil.which("setpriv") is None or os.geteuid() != 0:
        pytest.skip("needs root and setpriv (util-linux) to run a check as another user")
    folder = tmp_path / "engine"
    folder.mkdir()
    listening = sockets.socket(sockets.AF_UNIX)
    listening.bind(str(folder / "docker.sock"))
    listening.listen()
    os.chmod(folder / "docker.sock", 0o600)  # root's only, as the engine's is root:docker 0660
    code = (
        "from effbench.sandboxes.docker_engine import DockerUnavailable, connect\n"
        "try:\n    connect(timeout=5)\nexcept DockerUnavailable as exc:\n    print(exc)\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path), "DOCKER_HOST": f"unix://{folder}/docker.sock"}
    try:
        done = subprocess.run(
            ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", sys.executable, "-c", code],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )
    finally:
        listening.close()
    if "ModuleNotFoundError" in done.stderr or "PermissionError" in done.stderr and "Traceback" in done.stderr:
        pytest.skip(f"user 65534 cannot run this checkout's code here: {done.stderr[-300:]}")
    assert "no permission to the Docker engine's socket" in done.stdout, (done.stdout, done.stderr)
    assert "docker group" in done.stdout or "usermod -aG docker" in done.stdout
    assert "dockerd &" not in done.stdout


def test_an_engine_that_takes_the_connection_but_never_answers_is_named_busy_or_hung(monkeypatch):
    """Invariant: an engine that accepts the connection but does not answer in time (busy, or
    hung) is said to be so, in one line, after the client's timeout; never a hang, never the
    wrong fix. Threat: the message said the engine was not running and to start it."""
    import socket as sockets
    import tempfile

    from effbench.sandboxes.docker_engine import DockerUnavailable, connect

    folder = tempfile.mkdtemp(prefix="eb-hung-")  # short: a socket's path has 107 bytes at most
    listening = sockets.socket(sockets.AF_UNIX)
    try:
        listening.bind(os.path.join(folder, "docker.sock"))
        listening.listen()  # takes connections, answers nothing
        monkeypatch.setenv("DOCKER_HOST", f"unix://{folder}/docker.sock")
        with pytest.raises(DockerUnavailable, match=r"did not answer within 2 s .*busy or hung") as raised:
            connect(timeout=2)
        assert "dockerd &" not in str(raised.value)
    finally:
        listening.close()
        shutil.rmtree(folder, ignore_errors=True)


def test_containers_are_locked_down(time_box):
    """No network, read-only root, every capability dropped but the runner's few (children drop
    them all and run as another user), no-new-privileges, memory and pids limits, one core per
    worker, labelled with their owner."""
    from effbench.sandboxes.docker import RUNNER_CAPABILITIES

    seen_cpus = set()
    for container in time_box.containers():
        container.reload()
        host = container.attrs["HostConfig"]
        assert host["NetworkMode"] == "none"
        assert host["ReadonlyRootfs"] is True
        assert host["CapDrop"] == ["ALL"] and sorted(host["CapAdd"]) == sorted(RUNNER_CAPABILITIES)
        assert "no-new-privileges" in host["SecurityOpt"]
        assert host["Memory"] > 0 and host["PidsLimit"] > 0
        assert "/tmp" in host["Tmpfs"]
        assert container.attrs["Config"]["User"] == "0:0"
        assert container.labels["effbench.sandbox"] == "1" and str(os.getpid()) in container.labels["effbench.owner"]
        seen_cpus.add(host["CpusetCpus"])
    assert len(seen_cpus) == len(time_box.containers()) == 2


def test_image_holds_no_problems_references_or_answers(time_box):
    """The candidate sees the runner and the interpreter, nothing of the problem set."""
    code = (
        "import os\ndef f(n):\n    found = []\n    for root, dirs, files in os.walk('/'):\n"
        "        if root.startswith(('/proc', '/sys', '/dev')):\n            continue\n"
        "        found += [os.path.join(root, x) for x in files if x in ('tests.json', 'expert.py', 'problem.toml')]\n"
        "    return found\n"
    )
    run = time_box.run(TestRequest(code, "f", [0]))
    assert run.infra_error is None and run.result == '{"ok":true,"value":[]}'


def test_root_filesystem_is_read_only(time_box):
    """Nothing outside the tmpfs scratch can be written: not the runner, not the system folders."""
    code = (
        "def f(n):\n    wrote = []\n"
        "    for path in ('/opt/effbench/runner.py', '/etc/x', '/usr/x', '/x', '/var/x', '/home/x'):\n"
        "        try:\n            open(path, 'a').close()\n            wrote.append(path)\n"
        "        except OSError:\n            pass\n    return wrote\n"
    )
    run = time_box.run(TestRequest(code, "f", [0]))
    assert run.infra_error is None and run.result == '{"ok":true,"value":[]}'


def test_killed_container_is_an_infrastructure_failure_retried_in_a_fresh_container(time_box):
    """A container killed mid-test (docker kill, OOM killer) is never scored: the test is retried
    once in a fresh container and the run goes on."""
    before = {c.name for c in time_box.containers()}
    idle = max(len(container.top()["Processes"]) for container in time_box.containers())
    failures = time_box.infra_failures
    out = {}
    worker = threading.Thread(target=lambda: out.setdefault("run", time_box.run(TestRequest(SLEEPY, "f", [4]))))
    worker.start()
    busy = None
    for _ in range(200):  # wait until a container runs the test (a child more than when idle)
        for container in time_box.containers():
            if len(container.top()["Processes"]) > idle:
                busy = container
        if busy is not None:
            break
        time.sleep(0.05)
    assert busy is not None
    busy.kill()
    worker.join(120)
    run = out["run"]
    assert run.infra_error is None and run.result == '{"ok":true,"value":4}'
    assert time_box.infra_failures == failures + 1
    assert busy.name not in {c.name for c in time_box.containers()} and before - {busy.name}
    after = time_box.run(TestRequest(SLEEPY, "f", [0]))  # the pool goes on
    assert after.result == '{"ok":true,"value":0}'


def test_container_killed_twice_is_recorded_as_infra(docker_image):
    """If the fresh container dies as well, the test is recorded as an infrastructure failure."""
    from effbench.sandboxes.docker import DockerSandbox

    with DockerSandbox(TimeMeter(repeats=1), workers=1, image=docker_image) as box:
        stop = threading.Event()

        def killer() -> None:
            while not stop.is_set():
                for container in box.containers():
                    try:
                        if len(container.top()["Processes"]) > 4:  # a child runs (see above)
                            container.kill()
                    except Exception:
                        pass
                time.sleep(0.05)

        thread = threading.Thread(target=killer, daemon=True)
        thread.start()
        run = box.run(TestRequest(SLEEPY, "f", [30], Limits(wall_seconds=60)))
        stop.set()
        thread.join()
        assert run.infra_error and run.result is None


def test_crashed_harness_leaves_no_container(docker_image):
    """A harness killed with SIGKILL cleans nothing up itself: its containers end on their own."""
    from effbench.sandboxes.docker import LABEL, connect

    code = (
        "import os, sys\nfrom effbench.meters.timing import TimeMeter\n"
        "from effbench.sandboxes.docker import DockerSandbox\n"
        f"box = DockerSandbox(TimeMeter(repeats=1), workers=1, image={docker_image!r})\n"
        "print(os.getpid(), flush=True)\nos.kill(os.getpid(), 9)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=180)
    pid = done.stdout.strip()
    assert pid and done.returncode == -9
    client = connect()

    def mine() -> list:
        return [
            c
            for c in client.containers.list(all=True, filters={"label": f"{LABEL}=1"}, ignore_removed=True)
            if f":{pid}:" in c.labels.get("effbench.owner", "")
        ]

    for _ in range(300):
        if not mine():
            break
        time.sleep(0.1)
    assert not mine()


def test_stale_containers_of_dead_owners_are_removed_at_start(docker_image):
    """A labelled container whose owner process is gone is removed by the next sandbox start."""
    from effbench.sandboxes.docker import LABEL, OWNER_LABEL, _boot_id, connect, remove_stale_containers

    client = connect()
    dead = subprocess.run(["true"]).returncode  # a pid that has exited
    proc = subprocess.Popen(["true"])
    proc.wait()
    stale = client.containers.create(
        docker_image,
        ["/usr/bin/sleep", "600"],
        labels={LABEL: "1", OWNER_LABEL: f"{_boot_id()}:{proc.pid}:0"},
        network_mode="none",
    )
    assert dead == 0
    stale.start()
    removed = remove_stale_containers(client)
    assert stale.name in removed
    assert not client.containers.list(all=True, filters={"id": stale.id})


def test_image_tag_is_content_addressed(tmp_path, monkeypatch, docker_image):
    """The tag hashes the recipe and the runner: a changed runner gives a new tag, and building
    an image that is present is a no-op."""
    from effbench import paths
    from effbench.sandboxes import docker_image as images

    assert images.image_tag() == docker_image
    logs: list[str] = []
    assert images.build_image("offline", log=logs.append) == docker_image
    assert logs == [f"{docker_image} is present: nothing to build"]
    copy = tmp_path / "sandbox"
    shutil.copytree(paths.runner_path().parent, copy, ignore=shutil.ignore_patterns("__pycache__"))
    (copy / "runner.py").write_text((copy / "runner.py").read_text() + "\n# changed\n")
    monkeypatch.setattr(paths, "runner_path", lambda: copy / "runner.py")
    assert images.image_tag() != docker_image


def test_perf_meter_plumbing_works_in_a_container(docker_image):
    """The perf meter in docker: CAP_PERFMON added back, or on an engine that predates it (Debian
    12's docker.io 20.10) our seccomp profile in place of the engine's: the task-clock counter
    grows with work, and candidates still cannot open counters themselves."""
    from effbench.meters import perf_selftest
    from effbench.meters.perf import PerfMeter
    from effbench.sandboxes.docker import DockerSandbox

    if not perf_selftest("task-clock").get("ok"):
        pytest.fail("perf_event_open is not permitted on this machine (kernel.perf_event_paranoid > 2?)")
    busy = "def f(n):\n    t = 0\n    for i in range(n):\n        t += i\n    return t\n"
    tamper = (
        "".join(line + "\n" for line in RECOVER_CTYPES)
        + "def f(n):\n    if ctypes is None:\n        return -1  # out of reach: nothing to open a counter with\n"
        "    return ctypes.CDLL(None, use_errno=True).syscall(298, 0, 0, -1, -1, 0)\n"
    )
    with DockerSandbox(PerfMeter("task-clock"), workers=1, image=docker_image) as box:
        assert box.facts["perf_access"] in ("CAP_PERFMON", "effbench seccomp profile (the engine predates CAP_PERFMON)")
        small = box.run(TestRequest(busy, "f", [1_000]))
        large = box.run(TestRequest(busy, "f", [3_000_000]))
        tampered = box.run(TestRequest(tamper, "f", [0]))
    assert small.infra_error is None and large.infra_error is None
    assert large.cost.value > 20 * max(small.cost.value, 1.0)
    assert '"value":-1' in tampered.result  # perf_event_open refused to the candidate


def test_perf_seccomp_profile_keeps_the_dangerous_syscalls_out():
    """The profile for old engines denies what Docker's default denies (mount, ptrace, bpf, ...)
    and lets perf_event_open through for the runner."""
    from effbench.sandboxes.docker import perf_seccomp_profile

    profile = perf_seccomp_profile()
    denied = set(profile["syscalls"][0]["names"])
    assert {"mount", "ptrace", "bpf", "unshare", "setns", "keyctl", "kexec_load", "userfaultfd"} <= denied
    assert "perf_event_open" not in denied


def test_evaluate_cli_with_docker_workers(tmp_path, docker_image):
    """`effbench evaluate --sandbox docker --workers N` scores like the local backend."""
    from click.testing import CliRunner

    from effbench.cli import main

    result = CliRunner().invoke(
        main,
        ["evaluate", "--references", "expert", "--problems-dir", str(MINI), "--problems", "triangle"]
        + ["--sandbox", "docker", "--workers", str(min(2, os.cpu_count() or 1)), "--meter", "valgrind"]
        + ["--run-dir", str(tmp_path / "run"), "--no-cache", "--json"],
    )
    assert result.exit_code == 0, result.output
    assert '"backend": "docker"' in (tmp_path / "run" / "config.json").read_text()


def test_nothing_a_candidate_returns_is_written_to_the_engines_disk(time_box):
    """Invariant: what crosses a container's attach stream (every answer, up to 16 MiB a test,
    and valgrind's log) is never also written to the machine's disk by the engine. Threat: the
    engine's default log driver (json-file) kept a copy of all of it under /var/lib/docker, without
    a bound, for the container's life (a whole run): a candidate returning 15 MB on every test
    filled the machine's disk (a 15 MB answer left a 15 MB log)."""
    code = "def f(n):\n    return 'x' * n\n"
    run = time_box.run(TestRequest(code, "f", [2_000_000]))
    assert run.infra_error is None and run.result and len(run.result) > 2_000_000
    for container in time_box.containers():
        container.reload()
        assert container.attrs["HostConfig"]["LogConfig"]["Type"] == "none"
        log = container.attrs.get("LogPath") or ""
        assert not log or not os.path.exists(log) or os.path.getsize(log) < 65536, log


def test_a_live_run_in_another_pid_namespace_keeps_its_containers(docker_image):
    """Invariant: a sandbox's start removes a labelled container only when its owner is known to
    be gone; an owner in another PID namespace (another container sharing the machine's engine,
    as CI jobs with the engine's socket mounted do) is not judged by a pid that means another
    process here. Threat: every start removed the live containers of a run in another PID
    namespace (its pid, e.g. 1, named another process here), whose tests then failed as the
    harness's."""
    from effbench.sandboxes.docker import LABEL, OWNER_LABEL, connect, remove_stale_containers

    if shutil.which("unshare") is None:
        pytest.fail("unshare (util-linux) is needed to make a PID namespace")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    other = subprocess.Popen(
        ["unshare", "--pid", "--fork", "--mount-proc", sys.executable, "-c"]
        + ["from effbench.sandboxes.docker import owner_label; print(owner_label(), flush=True); input()"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    client = connect()
    container = None
    try:
        label = other.stdout.readline().strip()
        assert label and other.poll() is None
        container = client.containers.create(
            docker_image, ["/usr/bin/sleep", "600"], labels={LABEL: "1", OWNER_LABEL: label}, network_mode="none"
        )
        container.start()
        removed = remove_stale_containers(client)
        assert container.name not in removed
        assert client.containers.list(all=True, filters={"id": container.id})
    finally:
        other.kill()
        other.wait()
        if container is not None:
            try:
                container.remove(force=True)
            except Exception:
                pass


def test_an_engine_that_refuses_a_container_at_start_is_one_clear_line(tmp_path, monkeypatch, docker_image):
    """Invariant: an engine that refuses a worker's container when the sandbox starts (a core it
    may not use, a full disk, an image removed meanwhile) gives one line naming the engine's
    reason and exit code 2, and leaves no container. Threat: the Docker SDK's APIError went
    through as a traceback (an engine reporting more CPUs than the cores it may pin: 'Requested
    CPUs are not available')."""
    import docker.api.client
    from click.testing import CliRunner

    from effbench.cli import main
    from effbench.sandboxes.docker import connect

    real_info = docker.api.client.APIClient.info

    def more_cpus(self, *args, **kwargs):
        info = real_info(self, *args, **kwargs)
        return {**info, "NCPU": int(info["NCPU"]) + 2}

    monkeypatch.setattr(docker.api.client.APIClient, "info", more_cpus)
    workers = int(real_info(connect().api)["NCPU"]) + 1
    before = _labelled_containers()
    result = CliRunner().invoke(
        main,
        ["evaluate", "--references", "expert", "--problems-dir", str(MINI), "--problems", "triangle"]
        + ["--sandbox", "docker", "--workers", str(workers), "--meter", "time"]
        + ["--run-dir", str(tmp_path / "run"), "--no-cache"],
    )
    assert result.exit_code == 2, result.output
    assert "the engine could not start the containers" in result.output and "Requested CPUs" in result.output
    assert "Traceback" not in result.output
    assert _no_new_containers(before)


def _image_changed_by(docker_image: str, command: list[str]) -> str:
    """The id of a new image: ``docker_image`` after ``command`` ran in it (remove it after use)."""
    from effbench.sandboxes.docker import connect

    client = connect()
    maker = client.containers.create(docker_image, command, network_mode="none")
    try:
        maker.start()
        assert maker.wait(timeout=60)["StatusCode"] == 0
        return maker.commit("effbench-test-changed", os.urandom(4).hex()).id
    finally:
        maker.remove(force=True)


def test_an_image_whose_runner_cannot_start_is_a_clear_error(docker_image):
    """Invariant: a pool given an image whose runner cannot start (a broken image: here, without
    its interpreter) raises SandboxUnavailable naming the image and the runner's words, and
    leaves no container. Threat: the runner's exit before its hello went through as an
    InfrastructureError (a traceback on the command line), not the documented error."""
    from effbench.errors import SandboxUnavailable
    from effbench.sandboxes.docker import DockerSandbox, connect

    broken = _image_changed_by(docker_image, ["/bin/rm", "/usr/bin/python3.11"])
    before = _labelled_containers()
    try:
        with pytest.raises(SandboxUnavailable, match=r"runner in image .* failed to start .*python3\.11"):
            DockerSandbox(TimeMeter(repeats=1), workers=1, image=broken).close()  # closed if it starts
    finally:
        connect().images.remove(broken, force=True)
    assert _no_new_containers(before)


def test_an_image_built_by_another_effbench_is_refused(docker_image):
    """Invariant: the docker backend runs only an image whose runner is this effbench's, byte for
    byte; any other (an image built by an older effbench, named by its tag) is refused with one
    line naming the current image, and an image without a runner likewise; no container is left.
    Threat: DockerSandbox(image=<an older build's tag>) ran that build's older runner (older
    defences, other counts: 17,115 instructions for a test the current runner counts 17,177)
    as if it were this one, its facts and the cached profiles none the wiser."""
    from effbench.sandboxes.docker import DockerSandbox, DockerUnavailable, connect

    older = _image_changed_by(docker_image, ["/bin/sh", "-c", "echo '# an older runner' >> /opt/effbench/runner.py"])
    empty = _image_changed_by(docker_image, ["/bin/rm", "/opt/effbench/runner.py"])
    before = _labelled_containers()
    try:
        with pytest.raises(
            DockerUnavailable, match=r"holds another runner than this effbench's .*effbench sandbox build"
        ):
            DockerSandbox(TimeMeter(repeats=1), workers=1, image=older).close()  # closed if it starts
        with pytest.raises(DockerUnavailable, match=r"has no /opt/effbench/runner\.py"):
            DockerSandbox(TimeMeter(repeats=1), workers=1, image=empty).close()  # closed if it starts
    finally:
        for image in (older, empty):
            connect().images.remove(image, force=True)
    assert _no_new_containers(before)


def test_profiles_of_one_build_of_the_image_are_not_keyed_as_anothers(docker_image):
    """Invariant: the docker backend's environment fingerprint (the key of cached expert
    profiles) names the image's content (its id), not only its recipe (the tag). Threat: two
    builds of one recipe hold different files (the Debian packages of the day, the registry base
    or debootstrap, a rebuild after the images were pruned), whose counts differ; keyed by the tag,
    profiles measured on one build were reused as the references of a run on the other."""
    from effbench.fingerprint import environment_fingerprint
    from effbench.sandboxes.docker import connect

    fingerprint = environment_fingerprint(TimeMeter(repeats=1), "docker")
    assert fingerprint["userland"] == connect().images.get(docker_image).id


def test_pools_started_together_on_one_engine_take_different_cores(docker_image):
    """Invariant: a docker pool pins its workers to the cores other live effbench containers on
    the engine use least, so pools started at once (the Ray executor's actors, one sandbox each;
    two runs on one machine) do not share a core while another is idle. Threat: every pool took
    cores 0, 1, ... in order: two one-worker pools both ran on core 0 (each at half speed, and
    each disturbing the other's time-meter figures) beside an idle core 1."""
    from effbench.sandboxes.docker import DockerSandbox, connect

    if int(connect().info()["NCPU"]) < 2:
        pytest.skip("needs an engine with two cores")
    boxes: list = []
    errors: list = []

    def start() -> None:
        try:
            boxes.append(DockerSandbox(TimeMeter(repeats=1), workers=1, image=docker_image))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(2)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(300)
        assert not errors, errors
        cores = sorted(box.facts["cpus"][0] for box in boxes)
        assert len(set(cores)) == 2, cores
    finally:
        for box in boxes:
            box.close()


def test_a_test_within_its_memory_limit_is_never_killed_by_its_containers_limit(docker_image):
    """Invariant: a test is stopped at its own memory limit by the runner's watch (verdict
    censored_memory), never by its container's: a container holds at least a test's limit plus
    the runner's own (CONTAINER_MEMORY_HEADROOM), raised where a test's limit asks for more, so a
    program within its limit answers as in the local backend. Threat: the container's limit was
    fixed (4 GiB) whatever the test's (`--memory-mb` goes to 4 TiB): with --memory-mb 6000 a
    program holding 4.5 GB, within its limit, was killed by the container's OOM killer (verdict
    'killed', as if it had brought it on itself) where the local backend said ok; here a pool
    whose containers hold 512 MiB and a 640 MB program under a 1 GiB limit."""
    from effbench.sandboxes.base import Limits
    from effbench.sandboxes.docker import DockerSandbox

    code = "def f(n):\n    xs = [bytearray(b'\\x01') * (64 << 20) for _ in range(n)]\n    return len(xs)\n"
    with DockerSandbox(TimeMeter(repeats=1), workers=1, image=docker_image, memory_bytes=512 << 20) as box:
        run = box.run(TestRequest(code, "f", [10], Limits(memory_bytes=1 << 30)))
        over = box.run(TestRequest(code, "f", [20], Limits(memory_bytes=1 << 30)))
    assert run.infra_error is None and run.signal is None and run.result == '{"ok":true,"value":10}', run
    assert over.killed_for == "memory", over  # past its own limit: the runner's watch stops it


def test_a_test_the_containers_oom_killer_stops_is_censored_by_memory_not_killed(docker_image, monkeypatch):
    """Invariant: a test child killed by its container's OOM killer (the engine's 'oom' event of
    that container during the request) is recorded as stopped at the memory limit (verdict
    censored_memory), never as 'killed' by a signal it brought on itself. Threat: where the
    container's limit was reached before the test's own (here forced: a container smaller than
    the test's limit), the kernel's SIGKILL was read as the candidate's own doing. And each event
    is one kill: an engine that stamps the event late (here 10 s, as a busy CI's did by chance)
    gave the OOM-killed test's event to the next test too, whose own SIGKILL was censored."""
    import docker.api.client

    import effbench.sandboxes.docker as docker_backend
    from effbench.sandboxes.base import Limits

    monkeypatch.setattr(docker_backend, "CONTAINER_MEMORY_HEADROOM", -(512 << 20))  # 512 MiB under 1 GiB
    real_events = docker.api.client.APIClient.events

    def stamped_late(self, *args, **kwargs):
        for event in real_events(self, *args, **kwargs):
            yield {**event, "timeNano": int(event.get("timeNano") or 0) + 10 * 10**9}

    monkeypatch.setattr(docker.api.client.APIClient, "events", stamped_late)
    code = "def f(n):\n    xs = [bytearray(b'\\x01') * (64 << 20) for _ in range(n)]\n    return len(xs)\n"
    with docker_backend.DockerSandbox(
        TimeMeter(repeats=1), workers=1, image=docker_image, memory_bytes=256 << 20
    ) as box:
        run = box.run(TestRequest(code, "f", [10], Limits(memory_bytes=1 << 30)))
        own = box.run(TestRequest("import os\ndef f(n):\n    os.kill(os.getpid(), 9)\n", "f", [0]))
    assert run.signal == 9 and run.killed_for == "memory", run
    assert own.signal == 9 and own.killed_for is None, own  # its own SIGKILL: still its own doing


def test_a_start_goes_on_while_other_runs_containers_come_and_go(docker_image, monkeypatch):
    """Invariant: a pool starts while other effbench containers on the engine end meanwhile (they
    are removed by themselves, auto_remove): one listed, then gone before its inspection, is
    skipped. Threat: the listing of labelled containers (stale ones, the cores in use) inspected
    each and failed on one removed in between, so a start on a busy engine failed at random (an
    SDK NotFound; simulated here for one container)."""
    import docker.api.client
    import docker.errors

    from effbench.sandboxes.docker import LABEL, DockerSandbox, connect

    client = connect()
    vanishing = client.containers.create(docker_image, ["/nonexistent"], labels={LABEL: "1"}, network_mode="none")
    real = docker.api.client.APIClient.inspect_container

    def gone_meanwhile(self, container, *args, **kwargs):
        if container in (vanishing.id, vanishing.name):
            raise docker.errors.NotFound("No such container (removed meanwhile)")
        return real(self, container, *args, **kwargs)

    monkeypatch.setattr(docker.api.client.APIClient, "inspect_container", gone_meanwhile)
    try:
        with DockerSandbox(TimeMeter(repeats=1), workers=1, image=docker_image) as box:
            run = box.run(TestRequest(SLEEPY, "f", [0]))
        assert run.result == '{"ok":true,"value":0}', run
    finally:
        monkeypatch.undo()
        vanishing.remove(force=True)
