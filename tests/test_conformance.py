"""One conformance suite for every backend: the same test functions, parametrized over backends.

Three backends, each under valgrind: ``local`` on this machine's files (Debian's /usr/bin/python3.11,
the image's interpreter), ``local-rootfs`` (the local backend in the image's files, exported with
``effbench sandbox export``) and ``docker``. All three must give the same verdicts, test by test, for
the bundled solutions of a real problem and for hostile candidates (those of test_threats.py, plus a
fork bomb, a memory bomb, 1 GB to stdout, network connections, the Docker socket, writes outside the
scratch folder and reads of the harness's files). ``local-rootfs`` and ``docker`` run the same files,
so their instruction counts must be equal to the instruction: what is left to differ is the harness
(namespaces or container, pipes or an attach socket, cgroups, CPU pinning), and it must not show.
"""

from __future__ import annotations

import os
import textwrap
from dataclasses import dataclass, field

import pytest

from effbench import paths
from effbench.engine import EngineSettings, Evaluator
from effbench.meters.valgrind import ValgrindMeter

from .conftest import FIXTURES

BACKENDS = ("local", "local-rootfs", "docker")
SECRET_FILE = f"/tmp/effbench-conformance-secret-{os.getpid()}"
WRITTEN_FILE = f"/tmp/effbench-conformance-written-{os.getpid()}"
ANSWER = "n * (n + 1) // 2 if n > 0 else 0"


@dataclass(frozen=True)
class Case:
    name: str
    code: str
    problem: str = "triangle"
    memory_bytes: int = 1 << 30
    #: the CPU-time stop's margin (EngineSettings.cpu_floor), where a case must reach another limit
    cpu_floor: float = EngineSettings.cpu_floor
    meta: dict = field(default_factory=dict, hash=False)


@pytest.fixture(scope="module")
def boxes(debian_python, docker_image, image_rootfs):
    """The three backends, each with two workers under valgrind."""
    from effbench.sandboxes.docker import DockerSandbox
    from effbench.sandboxes.local import LocalSandbox

    with open(SECRET_FILE, "w") as f:
        f.write("the host's secret")
    made = {}
    try:
        made["local"] = LocalSandbox(ValgrindMeter(), workers=2, hide=[str(FIXTURES)], python=debian_python)
        made["local-rootfs"] = LocalSandbox(ValgrindMeter(), workers=2, rootfs=image_rootfs)
        made["docker"] = DockerSandbox(ValgrindMeter(), workers=2, image=docker_image)
        yield made
    finally:
        for box in made.values():
            box.close()
        for path in (SECRET_FILE, WRITTEN_FILE):
            if os.path.exists(path):
                os.unlink(path)


_OUTCOMES: dict[tuple[str, str, str], object] = {}


def outcome(boxes, backend: str, case: Case, problems):
    """The record of a case in a backend, run once per session and shared by the tests."""
    key = (backend, case.name, case.problem)
    if key not in _OUTCOMES:
        box = boxes[backend]
        settings = EngineSettings(memory_bytes=case.memory_bytes, cpu_floor=case.cpu_floor, input_seed="conformance")
        ev = Evaluator(box, box.meter, settings)
        _OUTCOMES[key] = ev.evaluate(problems[case.problem], textwrap.dedent(case.code), model=case.name)
    return _OUTCOMES[key]


@pytest.fixture(scope="module")
def problems(mini_set):
    from effbench.problems import load_problem_set

    bundled = load_problem_set()
    return {"triangle": mini_set.get("triangle"), "count_inversions": bundled.get("count_inversions")}


def _ref(tier: str) -> str:
    return (paths.references_dir() / "count_inversions" / f"{tier}.py").read_text()


HONEST = Case("honest", f"def triangle(n):\n    return {ANSWER}\n")
CASES = {
    c.name: c
    for c in [
        HONEST,
        Case("expert", _ref("expert"), problem="count_inversions"),
        Case("naive", _ref("naive"), problem="count_inversions"),
        Case(
            "infinite_loop",
            "def triangle(n):\n    while True:\n        try:\n            pass\n"
            "        except BaseException:\n            pass\n",
        ),
        Case(
            "always_equal",
            "class Yes:\n    def __eq__(self, o):\n        return True\n    __hash__ = object.__hash__\n"
            "def triangle(n):\n    return Yes()\n",
        ),
        Case(
            "forged_int",
            "class Liar(int):\n    def __eq__(self, o):\n        return True\ndef triangle(n):\n    return Liar(-1)\n",
        ),
        Case("early_exit", "import os\ndef triangle(n):\n    os._exit(0)\n"),
        Case("syntax_error", "def triangle(n) return 0\n"),
        Case(
            "fork_bomb",
            "import os\ndef triangle(n):\n    while True:\n        os.fork()\n",
        ),
        Case(
            "memory_bomb",
            "def triangle(n):\n    hoard = []\n    while True:\n        hoard.append(bytearray(1 << 24))\n",
            memory_bytes=128 << 20,
            # filling 128 MiB takes 0.3-0.4 s of CPU under valgrind, against triangle's CPU stop of
            # about 0.55 s: under load the CPU stop came first (censored_budget in a CI run). Only
            # the memory limit is under test here, so the CPU stop is moved well out of its way.
            cpu_floor=5.0,
        ),
        Case(
            "gigabyte_to_stdout",
            "import os\ndef triangle(n):\n    block = b'x' * (1 << 20)\n    for _ in range(1024):\n"
            "        os.write(1, block)\n    return 0\n",
        ),
        Case(
            "network",
            f"""
            import socket
            def triangle(n):
                for family, address in ((socket.AF_INET, ("1.1.1.1", 53)), (socket.AF_INET6, ("::1", 22))):
                    try:
                        socket.socket(family, socket.SOCK_STREAM).connect(address)
                        return -1
                    except OSError:
                        pass
                return {ANSWER}
            """,
        ),
        Case(
            "docker_socket",
            f"""
            import socket
            def triangle(n):
                for path in ("/var/run/docker.sock", "/run/docker.sock", "/run/containerd/containerd.sock"):
                    try:
                        socket.socket(socket.AF_UNIX, socket.SOCK_STREAM).connect(path)
                        return -1
                    except OSError:
                        pass
                return {ANSWER}
            """,
        ),
        Case(
            "write_outside_scratch",
            f"""
            import os
            def triangle(n):
                wrote = []
                for path in ({WRITTEN_FILE!r}, {str(paths.problems_dir() / "written.txt")!r}):
                    try:
                        with open(path, "w") as f:
                            f.write("x")
                        wrote.append(path)
                    except OSError:
                        pass
                with open("scratch.txt", "w") as f:   # the scratch folder is the candidate's
                    f.write("x")
                return {ANSWER} if not wrote or wrote == [{WRITTEN_FILE!r}] else -1
            """,
        ),
        Case(
            "read_host_files",
            f"""
            import os
            def triangle(n):
                paths = [{SECRET_FILE!r}, {str(paths.problems_dir() / "count_inversions" / "tests.json")!r},
                         {str(paths.references_dir() / "count_inversions" / "expert.py")!r},
                         "/proc/{os.getpid()}/cmdline", "/proc/{os.getpid()}/environ"]
                for path in paths:
                    try:
                        with open(path, "rb") as f:
                            data = f.read()
                    except OSError:
                        continue
                    if data and (b"secret" in data or b"pytest" in data or b"expected" in data or b"def " in data):
                        return -1
                return {ANSWER}
            """,
        ),
        Case(
            "signal_parent",
            f"""
            import os, signal
            def triangle(n):
                for pid in (os.getppid(), -1, 1):
                    try:
                        os.kill(pid, signal.SIGKILL)
                        return -1
                    except (PermissionError, ProcessLookupError):
                        pass
                return {ANSWER}
            """,
        ),
        Case(
            "counter_tampering",
            f"""
            import types
            try:
                import ctypes
            except ImportError:  # refused to candidates, and every other path to it is cut
                _cdll = [c for c in object.__subclasses__() if c.__name__ == 'CDLL']
                ctypes = types.SimpleNamespace(**_cdll[0].__init__.__globals__) if _cdll else None
            def triangle(n):
                if ctypes is not None:
                    return -1
                return {ANSWER}
            """,
        ),
        Case(
            "work_in_thread",
            "import threading\ndef work(n):\n    return sum(range(1, n + 1))\n"
            "def triangle(n):\n    out = []\n"
            "    t = threading.Thread(target=lambda: out.append(work(n) if n > 0 else 0))\n"
            "    t.start(); t.join()\n    return out[0]\n",
        ),
        Case(
            "precompute_at_import",
            "TABLE = [0]\nfor i in range(1, 200_001):\n    TABLE.append(TABLE[-1] + i)\n"
            "def triangle(n):\n    return TABLE[n] if n > 0 else 0\n",
        ),
    ]
}


@pytest.fixture(params=BACKENDS)
def backend(request):
    return request.param


def check(boxes, backend, problems, name):
    return outcome(boxes, backend, CASES[name], problems)


def test_bundled_solutions_are_scored_alike(boxes, backend, problems):
    """The expert scores 1 against itself; the slower tier is correct and scores less."""
    expert = check(boxes, backend, problems, "expert")
    naive = check(boxes, backend, problems, "naive")
    assert expert.verdict == "ok" and expert.efficiency == pytest.approx(1.0, abs=0.02)
    assert naive.passed and naive.efficiency < 0.5


def test_infinite_loop_catching_every_exception_is_censored(boxes, backend, problems):
    """A loop that swallows every exception is stopped from outside and fails at level 0."""
    rec = check(boxes, backend, problems, "infinite_loop")
    assert rec.verdict == "censored_budget" and rec.censored_level == 0 and rec.efficiency == 0.0


def test_forged_answers_are_wrong(boxes, backend, problems):
    """An always-equal object and an int subclass with a forged __eq__ are not answers."""
    assert check(boxes, backend, problems, "always_equal").verdict == "wrong"
    assert check(boxes, backend, problems, "forged_int").verdict == "wrong"


def test_early_exit_and_syntax_error_are_errors(boxes, backend, problems):
    """os._exit(0) is not success; a syntax error is an error with its type."""
    rec = check(boxes, backend, problems, "early_exit")
    assert rec.verdict == "error" and rec.error_type == "NoResult"
    rec = check(boxes, backend, problems, "syntax_error")
    assert rec.verdict == "error" and rec.error_type == "SyntaxError"


def test_fork_bomb_is_refused(boxes, backend, problems):
    """fork() fails at the first call: no process is created, the candidate errors out."""
    rec = check(boxes, backend, problems, "fork_bomb")
    assert rec.verdict == "error" and rec.error_type == "PermissionError"


def test_memory_bomb_is_censored_by_memory(boxes, backend, problems):
    """Allocation without end is stopped at the memory limit from outside, as censoring."""
    assert check(boxes, backend, problems, "memory_bomb").verdict == "censored_memory"


def test_gigabyte_to_stdout_is_stopped_at_the_file_limit(boxes, backend, problems):
    """1 GB written to stdout hits the output cap: an OutputLimit error, the sandbox unharmed."""
    rec = check(boxes, backend, problems, "gigabyte_to_stdout")
    assert rec.verdict in ("error", "killed") and rec.error_type == "OutputLimit"
    assert check(boxes, backend, problems, "honest").verdict == "ok"


def test_network_connections_are_refused(boxes, backend, problems):
    """No IPv4 or IPv6 socket can be connected (seccomp; and no network at all in docker)."""
    assert check(boxes, backend, problems, "network").verdict == "ok"


def test_docker_socket_is_out_of_reach(boxes, backend, problems):
    """AF_UNIX is allowed, so the host's service sockets (docker.sock: root on the host) must not be
    reachable by path: /run is hidden locally, and never mounted into a container."""
    assert check(boxes, backend, problems, "docker_socket").verdict == "ok"


def test_writes_outside_scratch_do_not_reach_the_host(boxes, backend, problems):
    """Writes to the host's /tmp or the problem folder fail or stay private; the scratch folder is
    writable. (The docker backend's root filesystem is read-only as a whole: test_docker.py.)"""
    if os.path.exists(WRITTEN_FILE):
        os.unlink(WRITTEN_FILE)
    rec = check(boxes, backend, problems, "write_outside_scratch")
    assert rec.verdict == "ok"
    if boxes[backend].facts["private_tmp"]:
        assert not os.path.exists(WRITTEN_FILE)


def test_harness_files_and_answers_cannot_be_read(boxes, backend, problems):
    """A secret file in the host's /tmp, the problem's expected answers, the references and the
    harness process's command line and environment are all out of reach."""
    if backend == "local" and boxes["local"].facts["isolation"] == "none":
        pytest.skip("the local backend hides files only with namespaces")
    assert check(boxes, backend, problems, "read_host_files").verdict == "ok"


def test_signalling_the_parent_is_refused(boxes, backend, problems):
    """kill(parent), kill(-1), kill(1) fail; the candidate goes on and answers."""
    assert check(boxes, backend, problems, "signal_parent").verdict == "ok"


def test_ctypes_is_out_of_reach_on_every_backend(boxes, backend, problems):
    """Invariant: no candidate recovers ctypes (with which it could write the meter's memory)."""
    assert check(boxes, backend, problems, "counter_tampering").verdict == "ok"


def test_hidden_work_is_counted(boxes, backend, problems):
    """Work in a thread costs at least as much as inline; a table built at import is counted."""
    honest = check(boxes, backend, problems, "honest")
    threaded = check(boxes, backend, problems, "work_in_thread")
    eager = check(boxes, backend, problems, "precompute_at_import")
    assert threaded.verdict == "ok" and threaded.efficiency < honest.efficiency
    assert eager.efficiency < honest.efficiency


def _per_test(rec) -> list[tuple[str, str, float | None]]:
    return [(t.test_id, t.verdict, t.cost) for t in rec.tests]


@pytest.mark.parametrize("name", sorted(CASES))
def test_backends_agree_on_verdicts(boxes, problems, name):
    """Invariant: the same candidate gets the same verdict, test by test, in every backend."""
    docker = outcome(boxes, "docker", CASES[name], problems)
    for other in ("local", "local-rootfs"):
        rec = outcome(boxes, other, CASES[name], problems)
        assert (rec.verdict, rec.error_type) == (docker.verdict, docker.error_type), other
        assert [t[:2] for t in _per_test(rec)] == [t[:2] for t in _per_test(docker)], other


#: not counts of a fixed program: the infinite loop is stopped by a poll of the counter (its
#: count is when the poll saw it), and two threads under valgrind take turns at points the OS
#: scheduler picks (a few hundred instructions apart from run to run in one backend too)
TIMING_DEPENDENT = {"infinite_loop", "work_in_thread"}


@pytest.mark.parametrize("name", sorted(set(CASES) - TIMING_DEPENDENT))
def test_same_files_give_the_same_instruction_counts(boxes, problems, name):
    """Invariant: on the same files (the image's), the local backend and the docker backend count
    the same valgrind instructions, test by test, to the instruction, on every test both ran to
    its end. A test stopped by CPU time (the early stop: how much CPU a run gets before it is
    stopped depends on the machine's speed and load) has no count in one backend and may have one
    in the other; its verdict (censored) is compared by test_backends_agree_on_verdicts."""
    local = outcome(boxes, "local-rootfs", CASES[name], problems)
    docker = outcome(boxes, "docker", CASES[name], problems)
    both = [(a[2], b[2]) for a, b in zip(_per_test(local), _per_test(docker)) if a[2] is not None and b[2] is not None]
    assert [a for a, _ in both] == [b for _, b in both]
    assert len(both) >= len(_per_test(local)) - 1  # at most the last test, stopped by CPU time


def test_threaded_counts_agree_closely(boxes, problems):
    """Threaded code is the one place where counts carry scheduling noise (which thread valgrind
    runs when one wakes another follows the kernel's timing, and with it how often a GIL hand-off
    waits): within 5% across backends on the same files. Seen: a few hundred instructions apart on an idle
    machine, 1.2% (1,808 of 149,791 instructions) under the CI's load."""
    local = outcome(boxes, "local-rootfs", CASES["work_in_thread"], problems)
    docker = outcome(boxes, "docker", CASES["work_in_thread"], problems)
    for (_, _, a), (_, _, b) in zip(_per_test(local), _per_test(docker)):
        if a is not None and b is not None:  # a test stopped by CPU time has no count (see above)
            assert a == pytest.approx(b, rel=0.05)
