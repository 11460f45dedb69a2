"""A problem's generator (problem-author code, trusted-ish) reaches no process but its own.

README ("generators"): a generator runs alone in its process group and no process it starts
outlives its generation. The red team of 7e33803 left two holes open (db86c4b): a generator that
kills its parent (the generator server; then, in the fresh interpreter the host falls back to,
the host itself), and in a fresh interpreter a process in a session of its own, out of reach of
the group kill. Both are closed where the kernel allows PID namespaces
(effbench/generator_server.py, PID_NAMESPACE); elsewhere these tests are skipped.
"""

import shutil

import pytest

from ..conftest import MINI


@pytest.fixture
def copy_set(tmp_path):
    root = tmp_path / "set"
    shutil.copytree(MINI.parent, root)
    return root


#: a generator that starts a process in a session of its own (out of reach of any process-group
#: kill), then kills its parent (the generator server, or in a fresh interpreter the host itself),
#: then generates as usual. Pids are sent as the machine's /proc numbers them, in a datagram to the
#: abstract socket PIDS (a generator's files do not outlive it: see test_generator_writes.py)
_KILLS_ITS_PARENT = (
    "import os, signal, socket, time\n"
    "def generate(size, rng):\n"
    "    if size == 5:\n"
    "        if os.fork() == 0:\n"
    "            os.setsid()\n"
    "            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:\n"
    "                s.sendto(os.readlink('/proc/self').encode(), PIDS)\n"
    "            time.sleep(600)\n"
    "            os._exit(0)\n"
    "        os.kill(os.getppid(), signal.SIGKILL)\n"
    "        time.sleep(0.5)\n"
    "    return [size]\n"
)


@pytest.mark.parametrize("fresh", [False, True], ids=["server", "fresh"])
def test_a_generator_that_kills_its_parent_reaches_no_one_and_leaves_no_process(copy_set, tmp_path, fresh):
    """Invariant: a generator reaches neither the generator server nor the host with a signal, even
    by pid (its parent's), and no process it starts outlives its generation, even one in a session
    of its own: the generation ends as an honest one does. Before: the generator killed its server
    (a ServerFailed), the process it had put in a new session was left running (re-parented past
    the dead subreaper), and the fallback's fresh interpreter then killed its own parent, the host
    (exit -9); with ``fresh``, the host at once."""
    import json
    import os
    import subprocess
    import sys

    import psutil

    from effbench.generator_server import pid_namespaces_work

    if not pid_namespaces_work():
        pytest.skip("the kernel refuses PID namespaces here: a generator can signal its parent")
    import secrets
    import socket

    name = b"\0effbench-test-pids-" + secrets.token_hex(8).encode()
    pids = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    pids.bind(name)
    pids.setblocking(False)
    (copy_set / "problems" / "triangle" / "generator.py").write_text(f"PIDS = {name!r}\n" + _KILLS_ITS_PARENT)
    host = subprocess.run(
        [
            sys.executable,
            "-c",
            "import json, sys\n"
            "from effbench.problems import GENERATOR_HASH_SEED, _run_generator, load_problem_set\n"
            "problem = load_problem_set(sys.argv[1]).get('triangle')\n"
            "print(json.dumps(_run_generator(problem, 's', GENERATOR_HASH_SEED, sys.argv[2] == 'fresh')))\n",
            str(copy_set / "problems"),
            "fresh" if fresh else "server",
        ],
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    started = []
    while True:
        try:
            started.append(pids.recv(64).decode())
        except BlockingIOError:
            break
    pids.close()
    alive = []
    for pid in started:
        try:
            process = psutil.Process(int(pid))
            process.wait(5)
        except psutil.NoSuchProcess:
            continue
        except psutil.TimeoutExpired:
            if process.status() != psutil.STATUS_ZOMBIE:
                alive.append(process)
                process.kill()
    assert host.returncode == 0, (host.returncode, host.stderr[-2000:])
    assert json.loads(host.stdout) == [[[5]], [[20000]], [[200000]]]
    assert len(started) >= 1 and alive == []


def test_a_generator_cannot_reenter_the_hosts_pid_namespace_or_write_a_host_process(copy_set):
    """Invariant: a generator holds no capability outside its namespaces, even when the host runs as
    root: it can neither enter the PID namespace of the machine's init (setns, to signal the host
    by its pid from there) nor open the host's memory for writing (the first process up its
    parents that is not a generator server or interpreter). Before the user namespace (a root host
    in a PID namespace alone), a root generator opened the host's /proc/PID/mem for writing."""
    from effbench.generator_server import pid_namespaces_work
    from effbench.problems import GENERATOR_HASH_SEED, _run_generator, load_problem_set

    if not pid_namespaces_work():
        pytest.skip("the kernel refuses PID namespaces here")
    (copy_set / "problems" / "triangle" / "generator.py").write_text(
        "import ctypes, os\n"
        "def generate(size, rng):\n"
        "    libc = ctypes.CDLL('libc.so.6', use_errno=True)\n"
        "    host = 'self'\n"
        "    while host == 'self' or b'_EFFBENCH_INIT_FORKS' in open(f'/proc/{host}/cmdline', 'rb').read():\n"
        "        host = [x.split()[1] for x in open(f'/proc/{host}/status') if x.startswith('PPid:')][0]\n"
        "    try:\n"
        "        entered = libc.setns(os.open('/proc/1/ns/pid', os.O_RDONLY), 0x20000000) == 0\n"
        "    except OSError:\n"
        "        entered = False\n"
        "    try:\n"
        "        os.close(os.open(f'/proc/{host}/mem', os.O_WRONLY))\n"
        "        wrote = True\n"
        "    except OSError:\n"
        "        wrote = False\n"
        "    return [entered, wrote]\n"
    )
    problem = load_problem_set(copy_set / "problems").get("triangle")
    for fresh in (False, True):
        assert _run_generator(problem, "s", GENERATOR_HASH_SEED, fresh) == [[[False, False]]] * 3, fresh
