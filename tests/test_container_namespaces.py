"""The docker backend's container and the local backend's ``--rootfs`` close the cross-sample
channels that the local backend closes on this machine's files: their set-up step makes user,
mount, PID, UTS and network namespaces of its own (sandbox/runner.py enter_own_namespaces), then
fixes pids, mounts a /proc with hidepid=invisible,subset=pid, an empty /sys, a container's /dev
and a private noatime /tmp. Each history test starts fresh runners, as a sample on a long-lived
runner would find them after other samples.
"""

from __future__ import annotations

import json

import pytest

from effbench.meters.valgrind import ValgrindMeter

from .test_threats import (
    FILE_SPENDER,
    INODE_VIEW,
    PID_SPENDER,
    PID_VIEW,
    RUNNER_PROC_HIDDEN,
    RUNNER_PROC_VIEW,
    run_f,
    views_after_spending,
)

BACKENDS = ("docker", "local-rootfs")


@pytest.fixture(scope="module", params=BACKENDS)
def make_box(request, docker_image):
    """Makes a fresh one-worker sandbox (valgrind) of the backend: the docker image's container,
    or the local backend in that image's exported files."""
    if request.param == "docker":
        from effbench.sandboxes.docker import DockerSandbox

        return lambda: DockerSandbox(ValgrindMeter(), workers=1, image=docker_image)
    from effbench.sandboxes.local import LocalSandbox

    root = request.getfixturevalue("image_rootfs")
    return lambda: LocalSandbox(ValgrindMeter(), workers=1, rootfs=root)


@pytest.fixture(scope="module")
def box(make_box):
    """One long-lived sandbox of the backend."""
    made = make_box()
    yield made
    made.close()


def test_no_container_candidate_passes_a_count_to_a_later_one_through_pids(make_box):
    """Invariant: the pids a child in the container sees (its own, its parent's, its threads',
    the processes it can list) are the same whatever the requests before it did. Threat: the
    container's runner took the kernel's pids, so a sample that started 37 threads moved every
    later child's pids by 37: a counted answer passed to a later sample, which answered without
    paying (the local backend's channel, open in docker and --rootfs until they fixed pids)."""
    views = views_after_spending(PID_SPENDER, PID_VIEW, make_box=make_box)
    assert views[0] == views[1], views


def test_no_container_candidate_tells_how_many_requests_ran_before_it_from_its_pids(make_box):
    """Invariant: the pids a child in the container sees do not depend on how many requests its
    runner served before it. Threat: each request's worker and children took new pids, so a
    sample read its runner's request count from its own pid (and a sample, which decides how many
    requests it uses by failing early, could set it for a later one)."""
    views = views_after_spending(PID_SPENDER, PID_VIEW, donors=([0], [0, 0, 0]), make_box=make_box)
    assert views[0] == views[1], views


def test_no_container_candidate_passes_a_count_through_inode_numbers(make_box):
    """Invariant: the inode numbers of a child's scratch folder and files in the container do not
    depend on the files earlier requests made. Threat: the scratch folders shared the container's
    /tmp, whose inode counter every file advanced (each scratch is now a tmpfs of its own, as
    locally where the runner may mount)."""
    views = views_after_spending(FILE_SPENDER, INODE_VIEW, make_box=make_box)
    assert views[0] == views[1], views


def test_no_container_candidate_reads_its_workers_or_zygotes_proc_stat(box):
    """Invariant: a test child in the container sees no other process's /proc files. Threat: the
    worker's and the zygote's /proc/PID/stat (page faults, CPU times, start times of every worker
    reaped) told a later request what earlier ones did; locally /proc has hidepid=invisible."""
    value = json.loads(run_f(box, RUNNER_PROC_VIEW).result)["value"]
    assert value == RUNNER_PROC_HIDDEN, value
    assert box.facts["hidden_processes"] and box.facts["fixed_pids"]


def test_no_container_candidate_reads_the_machines_counters(box):
    """Invariant: a test child in the container reads no machine-wide counter: /proc has only the
    processes' folders and /sys is empty. Threat: /proc/stat's forks and context switches,
    /proc/vmstat's page faults, /proc/meminfo, the load, the cgroup's memory use were readable in
    the container; an earlier sample moved them by amounts of its choosing and a later one read
    them back on a quiet machine."""
    code = """
        import os
        MACHINE = ("/proc/stat", "/proc/vmstat", "/proc/meminfo", "/proc/loadavg", "/proc/uptime",
                   "/proc/interrupts", "/proc/sys/fs/inode-nr", "/proc/sys/kernel/ns_last_pid",
                   "/proc/pressure/memory", "/sys/fs/cgroup/memory.current", "/sys/fs/cgroup/memory.stat",
                   "/sys/devices/system/cpu/online", "/proc/sysrq-trigger", "/proc/kcore")
        def f():
            read = []
            for path in MACHINE:
                try:
                    with open(path, "rb") as fh:
                        fh.read(1)
                    read.append(path)
                except OSError:
                    pass
            return [read, os.listdir("/sys"), sorted(p for p in os.listdir("/proc") if not p.isdigit())]
    """
    value = json.loads(run_f(box, code).result)["value"]
    assert value == [[], [], ["self", "thread-self"]], value
    assert box.facts["hidden_machine_files"]


def test_the_containers_runner_is_nobody_outside_its_namespaces(box):
    """Invariant: the runner is root only of the namespaces its set-up step made; outside them it
    and the test children are unprivileged ids (100000 + their own), never the machine's root.
    Threat: a container whose processes are the machine's root and whose /proc is unmasked
    (systempaths=unconfined, which the fresh /proc needs) could write the machine's /proc/sys."""
    code = """
        def f():
            with open("/proc/self/uid_map") as fh:
                uid_map = fh.read().split()
            with open("/proc/self/gid_map") as fh:
                gid_map = fh.read().split()
            return [uid_map, gid_map]
    """
    value = json.loads(run_f(box, code).result)["value"]
    assert value == [["0", "100000", "65536"], ["0", "100000", "65536"]], value


def test_the_namespaces_profile_lets_through_only_what_the_set_up_needs():
    """Invariant: the seccomp profile of a container that makes its own namespaces refuses
    everything the engine's documented default refuses, but unshare, mount and umount2 (the
    set-up step's namespaces and mounts, the runner's scratch tmpfs), and refuses the kernel's
    newer mount interface and perf_event_open too."""
    from effbench.sandboxes.docker import BLOCKED_SYSCALLS, namespaces_seccomp_profile

    profile = namespaces_seccomp_profile()
    assert profile["defaultAction"] == "SCMP_ACT_ALLOW"
    (rule,) = profile["syscalls"]
    assert rule["action"] == "SCMP_ACT_ERRNO"
    denied = set(rule["names"])
    assert set(BLOCKED_SYSCALLS) - denied == {"unshare", "mount", "umount2"}
    for name in ("setns", "pivot_root", "bpf", "ptrace", "open_tree", "fsopen", "move_mount", "perf_event_open"):
        assert name in denied, name


def test_an_engine_that_refuses_the_namespaces_options_still_runs_with_the_facts_false(docker_image, monkeypatch):
    """Invariant: where the engine refuses the container's namespace options (no custom seccomp
    profile, no MaskedPaths), the docker backend runs the container as before and its facts say
    what is not closed (own_namespaces, fixed_pids, hidden_processes false; the refusal)."""
    import docker.errors

    from effbench.meters.timing import TimeMeter
    from effbench.sandboxes.docker import DockerSandbox, DockerWorker

    real = DockerWorker._create

    def refusing(self, perf_by):
        if self.own_namespaces:
            raise docker.errors.APIError("invalid MaskedPaths")
        return real(self, perf_by)

    monkeypatch.setattr(DockerWorker, "_create", refusing)
    with DockerSandbox(TimeMeter(), workers=1, image=docker_image) as refused:
        facts = refused.facts
        value = json.loads(run_f(refused, "def f():\n    return 1\n").result)["value"]
    assert value == 1
    assert not facts["own_namespaces"] and not facts["fixed_pids"] and not facts["hidden_processes"]
    assert "MaskedPaths" in facts["namespaces_refused"]


def test_a_kernel_that_refuses_the_namespaces_in_the_container_still_runs_with_the_facts_false(
    docker_image, monkeypatch
):
    """Invariant: where the set-up step cannot make its namespaces in the container (simulated
    with a profile that refuses unshare, as the engine's default does; a kernel with user
    namespaces off or an AppArmor profile that denies mount fail the same step), the worker runs
    the container as before, once, its facts false and the refusal named."""
    import effbench.sandboxes.docker as docker_backend
    from effbench.meters.timing import TimeMeter

    monkeypatch.setattr(docker_backend, "namespaces_seccomp_profile", docker_backend.perf_seccomp_profile)
    with docker_backend.DockerSandbox(TimeMeter(), workers=1, image=docker_image) as refused:
        facts = refused.facts
        value = json.loads(run_f(refused, "def f():\n    return 1\n").result)["value"]
    assert value == 1
    assert not facts["own_namespaces"] and not facts["fixed_pids"] and not facts["hidden_processes"]
    assert "unshare" in facts["namespaces_refused"], facts["namespaces_refused"]


def test_a_restarted_container_never_runs_without_the_namespaces_its_facts_promise(docker_image, monkeypatch):
    """Invariant: every request a docker pool answers ran with what the pool's facts say: a
    worker whose first start made the set-up step's namespaces (facts own_namespaces, fixed_pids,
    hidden_processes true) never answers from a restarted container without them; such a restart
    fails as the sandbox's (an infrastructure error, or SandboxUnavailable). Threat: a worker is
    restarted after a candidate leaves files in its scratch folder or its runner dies; when that
    restart's set-up could not make the namespaces (simulated: a profile that refuses unshare), the
    worker fell back to the container as before, for the rest of the pool's life, while the facts
    still said closed: later samples read the machine's /proc and other processes' pids, and the
    pid channel across requests was open (measured on 27590f5: pids 319 then 323, /proc listing
    '1', '302', ... and the machine's files)."""
    import effbench.sandboxes.docker as docker_backend
    from effbench.errors import SandboxUnavailable
    from effbench.meters.timing import TimeMeter

    with docker_backend.DockerSandbox(TimeMeter(), workers=1, image=docker_image) as box:
        assert box.facts["own_namespaces"] and box.facts["fixed_pids"] and box.facts["hidden_processes"]
        # fixed pids: the worker is 10000 and its only child 10001 (a one-run time-meter request
        # forks no baseline child since db0bcac; it was 10002 behind one)
        assert json.loads(run_f(box, PID_VIEW).result)["value"][0] == 10001
        monkeypatch.setattr(docker_backend, "namespaces_seccomp_profile", docker_backend.perf_seccomp_profile)
        box.containers()[0].kill()  # the runner dies: the next request restarts the worker
        answered = []
        for _ in range(3):
            try:
                run = run_f(box, PID_VIEW)
            except SandboxUnavailable:
                continue
            if run.result:
                answered.append(json.loads(run.result)["value"])
        assert box.facts["own_namespaces"] and box.facts["fixed_pids"] and box.facts["hidden_processes"]
    for pid, _ppid, _tid, _threads, _last, listed in answered:
        assert listed == sorted([str(pid), "self", "thread-self"]), listed


def test_the_pools_facts_say_closed_only_where_every_worker_made_its_namespaces(docker_image, monkeypatch):
    """Invariant: a docker pool's facts (own_namespaces, fixed_pids, hidden_processes,
    hidden_machine_files) are true only where they hold for every worker, and namespaces_refused
    names a refusal by any worker. Threat: the facts were the first worker's: where the engine
    or the set-up refused another worker's namespaces at its first start, the pool said pids
    fixed and /proc hidden while that worker's samples ran with both channels open."""
    import docker.errors

    from effbench.meters.timing import TimeMeter
    from effbench.sandboxes.docker import DockerSandbox, DockerWorker

    real = DockerWorker._create

    def refusing_the_second(self, perf_by):
        if self.own_namespaces and self.index == 1:
            raise docker.errors.APIError("invalid MaskedPaths")
        return real(self, perf_by)

    monkeypatch.setattr(DockerWorker, "_create", refusing_the_second)
    with DockerSandbox(TimeMeter(), workers=2, image=docker_image) as pool:
        facts = pool.facts
        workers = [w.facts["own_namespaces"] for w in pool._workers]
    assert workers == [True, False]
    assert not facts["own_namespaces"] and not facts["fixed_pids"] and not facts["hidden_processes"]
    assert "MaskedPaths" in facts["namespaces_refused"]
