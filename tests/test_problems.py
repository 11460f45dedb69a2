"""Problem loading: every field validated, errors name the file and the field."""

import shutil

import pytest

from effbench.errors import ProblemFormatError
from effbench.problems import load_problem_set

from .conftest import MINI


@pytest.fixture
def copy_set(tmp_path):
    root = tmp_path / "set"
    shutil.copytree(MINI.parent, root)
    return root


def _edit(path, old, new):
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


@pytest.mark.parametrize(
    "old,new,message",
    [
        ('category = "number_theory"', 'category = "magic"', "problem.toml: category: must be one of"),
        ("{ size = 5, weight = 0, tests = 1 }", "{ size = 5, weight = 1, tests = 1 }", "levels[0].weight"),
        (
            "{ size = 20000, weight = 1, tests = 1 }",
            "{ size = 2, weight = 1, tests = 1 }",
            "levels[1].size: must be greater",
        ),
        ('entry_point = "triangle"', 'entry_point = "tri angle"', "entry_point: must be a Python identifier"),
        ('id = "triangle"', 'id = "other"', "id: must equal the folder name"),
    ],
)
def test_bad_field_is_named(copy_set, old, new, message):
    _edit(copy_set / "problems/triangle/problem.toml", old, new)
    with pytest.raises(ProblemFormatError, match=message.replace("[", r"\[").replace("]", r"\]")):
        load_problem_set(copy_set / "problems")


def test_missing_slower_tier_is_an_error(copy_set):
    (copy_set / "references/triangle/loop.py").unlink()
    with pytest.raises(ProblemFormatError, match="references/triangle: needs at least one slower tier"):
        load_problem_set(copy_set / "problems")


def test_malformed_tests_json_is_named(copy_set):
    (copy_set / "problems/triangle/tests.json").write_text('[{"args": [1]}]')
    with pytest.raises(ProblemFormatError, match=r"tests.json: \[0\]"):
        load_problem_set(copy_set / "problems")


def test_generator_is_deterministic_for_a_seed(mini_set):
    p = mini_set.get("triangle")
    assert [t.args for t in p.all_tests()] == [t.args for t in p.all_tests()]


def test_problem_set_hash_changes_when_any_file_changes(copy_set):
    """Invariant: cached expert profiles can never be reused for a changed problem."""
    before = load_problem_set(copy_set / "problems")
    _edit(copy_set / "references/triangle/loop.py", "total = 0", "total = 0  # edited")
    after_ref = load_problem_set(copy_set / "problems")
    _edit(copy_set / "problems/triangle/generator.py", "rng.randrange(3)", "rng.randrange(4)")
    after_gen = load_problem_set(copy_set / "problems")
    hashes = {before.hash, after_ref.hash, after_gen.hash}
    assert len(hashes) == 3
    assert before.get("triangle").version != after_ref.get("triangle").version


def test_problem_version_covers_the_effbench_modules_its_generator_imports(copy_set, tmp_path, monkeypatch):
    """Invariant: a problem's version changes when a shared module its generator imports changes.

    Generators may import effbench.generator_kit (shared prime helpers); an edit there changes their
    inputs as much as an edit of generator.py would, so cached profiles of the old version must not
    be reused. A problem whose generator imports nothing of effbench keeps the folders-only hash.
    """
    from effbench import paths
    from effbench.problems import content_hash

    package = tmp_path / "pkg"
    package.mkdir()
    shutil.copy(paths.PACKAGE_DIR / "generator_kit.py", package / "generator_kit.py")
    monkeypatch.setattr(paths, "PACKAGE_DIR", package)
    plain = load_problem_set(copy_set / "problems").get("triangle")
    assert plain.version == content_hash(copy_set / "problems/triangle", copy_set / "references/triangle")
    _edit(
        copy_set / "problems/triangle/generator.py",
        "import random\n",
        "import random\n\nfrom effbench.generator_kit import is_prime\n",
    )
    before = load_problem_set(copy_set / "problems").get("triangle").version
    _edit(package / "generator_kit.py", "def is_prime(", "# edited\ndef is_prime(")
    after = load_problem_set(copy_set / "problems").get("triangle").version
    assert len({plain.version, before, after}) == 3


def test_bundled_set_loads_with_its_categories():
    ps = load_problem_set()
    assert len(ps.problems) >= 8
    assert len({p.category for p in ps.problems.values()}) >= 4
    for p in ps.problems.values():
        assert "expert" in p.tiers and len(p.tiers) >= 2


def test_a_problem_set_folder_that_does_not_exist_is_named_as_such(tmp_path):
    """Invariant: a problem set path that is missing or is a file is refused as that (``no such
    folder``, ``is not a folder``), not as a folder lacking its problemset.toml: a newcomer's
    ``--problems-dir /nope`` said ``/nope/problemset.toml: missing``."""
    missing = tmp_path / "nope"
    with pytest.raises(ProblemFormatError, match=r"nope: no such folder") as caught:
        load_problem_set(missing)
    assert "problemset.toml: missing" not in str(caught.value)
    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    with pytest.raises(ProblemFormatError, match=r"a-file: is not a folder"):
        load_problem_set(a_file)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ProblemFormatError, match=r"problemset.toml: missing"):
        load_problem_set(empty)


@pytest.mark.parametrize(
    "path,content,message",
    [
        ("problems/problemset.toml", b"name = \n", r"problemset.toml: invalid TOML"),
        ("problems/problemset.toml", b'name = "\xe9"\nversion = "1"\n', r"problemset.toml: not UTF-8 text"),
        ("problems/triangle/problem.toml", None, r"problems/triangle/problem.toml: not UTF-8 text"),
        ("problems/triangle/tests.json", b'[{"args": [1], "expected": "\xe9"}]', r"tests.json: not UTF-8 text"),
        ("references/triangle/expert.py", b"# \xe9\n", r"references/triangle/expert.py: not UTF-8 text"),
    ],
)
def test_an_unreadable_problem_set_file_is_named_never_a_traceback(copy_set, path, content, message):
    """A problem set file that is not TOML or not UTF-8 is a ProblemFormatError naming the file.

    Before, problemset.toml's TOML error and every UnicodeDecodeError escaped as a traceback.
    """
    target = copy_set / path
    target.write_bytes(content if content is not None else target.read_bytes() + b"\n# \xe9\n")
    with pytest.raises(ProblemFormatError, match=message):
        load_problem_set(copy_set / "problems")


@pytest.mark.parametrize(
    "new,message",
    [
        ("{ size = 20000, weight = inf, tests = 1 }", r"levels\[1\].weight: must be a finite"),
        ("{ size = 20000, weight = 1, tests = 100000000 }", r"levels\[1\].tests: must be an integer from 1 to"),
        ("{ size = 20000, weight = 1, tests = true }", r"levels\[1\].tests: must be an integer"),
        ("{ size = 20000, weight = 1, tests = 1 }".replace("20000", "true"), r"levels\[1\].size"),
    ],
)
def test_a_level_that_cannot_be_scored_or_run_is_refused_by_name(copy_set, new, message):
    """A level's weight must be finite and its test count bounded: never a NaN eff nor a run that never ends.

    Before, weight = inf passed `problems check` with eff nan for every tier (1/1 problems pass), and
    tests = 100000000 generated inputs until killed.
    """
    _edit(copy_set / "problems/triangle/problem.toml", "{ size = 20000, weight = 1, tests = 1 }", new)
    with pytest.raises(ProblemFormatError, match=message):
        load_problem_set(copy_set / "problems")


@pytest.mark.parametrize(
    "generator,where",
    [
        (  # a size-dependent loop: level 0 is generated, level 1 never ends
            "import random\n\ndef generate(size, rng):\n    while size > 100:\n        pass\n    return [size]\n",
            "generate() at level 1 (size 20000), test 0",
        ),
        ("while True:\n    pass\n\ndef generate(size, rng):\n    return [size]\n", "loading generator.py"),
    ],
    ids=["generate_loops", "module_loops"],
)
def test_a_generator_that_never_ends_is_stopped_naming_its_level(copy_set, monkeypatch, generator, where):
    """A problem folder's generator that loops forever (in a ``generate`` call or when loaded) is
    stopped after GENERATE_CALL_SECONDS and refused in one line naming the problem, the level, its
    size and the test: the user never waits on it without end (before: 600 s of silence, then a
    message naming neither the level nor the test)."""
    import effbench.problems as problems_module

    monkeypatch.setattr(problems_module, "GENERATE_CALL_SECONDS", 1.0)
    (copy_set / "problems" / "triangle" / "generator.py").write_text(generator)
    problem = load_problem_set(copy_set / "problems").get("triangle")
    with pytest.raises(ProblemFormatError) as err:
        problem.generated_args("seed")
    message = str(err.value)
    assert "\n" not in message
    assert "problems/triangle/generator.py" in message and "'triangle'" in message
    assert f"{where} runs past 1 s" in message


def test_a_generator_that_takes_all_memory_is_stopped_naming_its_level(copy_set, monkeypatch):
    """A problem folder's generator that allocates without bound fails at GENERATOR_MEMORY_BYTES
    (its own MemoryError) and is refused in one line naming the level, size and test, instead of
    taking the host's memory (before: no limit on the generator process)."""
    import effbench.problems as problems_module

    monkeypatch.setattr(problems_module, "GENERATOR_MEMORY_BYTES", 512 << 20)
    (copy_set / "problems" / "triangle" / "generator.py").write_text(
        "def generate(size, rng):\n    if size > 100:\n        bytearray(1 << 30)\n    return [size]\n"
    )
    problem = load_problem_set(copy_set / "problems").get("triangle")
    with pytest.raises(ProblemFormatError) as err:
        problem.generated_args("seed")
    message = str(err.value)
    assert "\n" not in message and "MemoryError" in message, message
    assert "(in generate() at level 1 (size 20000), test 0)" in message, message


def test_a_generator_server_child_gives_what_a_fresh_interpreter_gives(mini_set):
    """Invariant: a problem's tests are the same whether its generator runs in a child of the
    generator server (the default since issue 13: one interpreter imports the script's modules
    once) or in a fresh interpreter (before), for public and secret seeds, bundled and fixture
    problems, under either hash seed."""
    from effbench.problems import GENERATOR_HASH_SEED, _run_generator

    bundled = load_problem_set()
    problems = [mini_set.get("triangle"), bundled.get("median_two_sorted"), bundled.get(sorted(bundled.problems)[0])]
    for problem in problems:
        for seed, hash_seed in ((None, GENERATOR_HASH_SEED), ("s1", GENERATOR_HASH_SEED), ("s1", 1)):
            served = _run_generator(problem, seed, hash_seed)
            assert served == _run_generator(problem, seed, hash_seed, fresh=True), (problem.id, seed, hash_seed)


def test_each_problem_generator_runs_in_a_child_of_its_own_that_imports_nothing_again(copy_set):
    """Invariant: each problem's generator runs in its own process, forked from one long-lived
    server per environment: what one generator does to the modules it shares with the server
    (effbench, random's global state) never reaches the next problem's, and the second problem's
    child comes from the same server (the import is paid once: issue 13's 61 interpreter starts).
    """
    import os

    gen = copy_set / "problems" / "triangle" / "generator.py"
    gen.write_text(
        "import os, random, effbench\n"
        "def generate(size, rng):\n"
        "    leaked = hasattr(effbench, 'h83_leak')\n"
        "    effbench.h83_leak = True\n"
        "    with open('/proc/self/status') as f:  # pids as the machine's /proc numbers them\n"
        "        parent = int([line.split()[1] for line in f if line.startswith('PPid:')][0])\n"
        "    return [leaked, int(os.readlink('/proc/self')), parent, random.random()]\n"
    )
    first = load_problem_set(copy_set / "problems").get("triangle").generated_args("seed")
    again = load_problem_set(copy_set / "problems").get("triangle").generated_args("seed")
    for run in (first, again):
        assert [level[0][0] for level in run] == [False, True, True]  # set in this child only
    children = {level[0][1] for run in (first, again) for level in run}
    servers = {level[0][2] for run in (first, again) for level in run}
    assert len(children) == 2 and len(servers) == 1 and os.getpid() not in servers
    assert first[0][0][3] != again[0][0][3]  # the global random state is drawn afresh, as a new interpreter's


def test_a_generator_that_runs_past_its_total_time_is_stopped_naming_where(copy_set, monkeypatch):
    """A generator whose calls each end in time but run past GENERATOR_TOTAL_SECONDS in all is
    stopped there (by the generator server, which kills its child) and refused in one line naming
    the call it was in."""
    import effbench.problems as problems_module

    monkeypatch.setattr(problems_module, "GENERATOR_TOTAL_SECONDS", 1.0)
    (copy_set / "problems" / "triangle" / "generator.py").write_text(
        "import time\n\ndef generate(size, rng):\n    time.sleep(0.4 if size < 100000 else 60)\n    return [size]\n"
    )
    problem = load_problem_set(copy_set / "problems").get("triangle")
    with pytest.raises(ProblemFormatError) as err:
        problem.generated_args("seed")
    message = str(err.value)
    assert "\n" not in message and "runs past 1 s in all" in message, message
    assert "(stopped in generate() at level 2 (size 200000), test 0)" in message, message


def _generate(copy_set, source, fresh):
    """triangle's tests from ``source`` as its generator.py, in a server's child or a fresh interpreter."""
    from effbench.problems import GENERATOR_HASH_SEED, _run_generator

    (copy_set / "problems" / "triangle" / "generator.py").write_text(source)
    return _run_generator(load_problem_set(copy_set / "problems").get("triangle"), "s", GENERATOR_HASH_SEED, fresh)


@pytest.mark.parametrize("fresh", [False, True], ids=["server", "fresh"])
@pytest.mark.parametrize("stream", ["stdout", "stderr"])
def test_a_generator_that_floods_its_output_is_stopped_at_the_output_limit(copy_set, monkeypatch, stream, fresh):
    """Invariant: what a problem folder's generator writes is bounded by GENERATOR_OUTPUT_BYTES (each
    file it writes, its stdout and stderr included), and the host never holds more of it than that:
    a print loop is refused in one line naming the call it was in. Before, the host took in all of
    it (a 5 s print loop: 4.5 GB of host memory, and the file on disk in the server path)."""
    import effbench.problems as problems_module

    monkeypatch.setattr(problems_module, "GENERATOR_OUTPUT_BYTES", 8 << 20)
    flood = (
        "import sys\ndef generate(size, rng):\n    while size > 100:\n"
        f"        sys.{stream}.write('x' * 65536 + '\\n')\n    return [size]\n"
    )
    with pytest.raises(ProblemFormatError) as err:
        _generate(copy_set, flood, fresh)
    message = str(err.value)
    assert "\n" not in message and "writes more than 8 MiB" in message, message
    assert "(in generate() at level 1 (size 20000), test 0;" in message, message


def test_a_generator_stderr_is_summed_up_in_bounded_memory(tmp_path):
    """The host reads a generator's stderr as the last call mark and the last other line (each cut to
    STDERR_LINE_CHARS), whatever its size and however its lines end."""
    from effbench.generator_server import STDERR_LINE_CHARS, stderr_summary

    err = tmp_path / "err"
    err.write_text("\x00m 0 0\nTraceback\n" + "y" * (3 * STDERR_LINE_CHARS) + "\r\n\x00m 1 2\nValueError: bad\n\n  \n")
    assert stderr_summary(str(err), "\x00") == "\x00m 1 2\nValueError: bad"
    err.write_text("\x00m 0 0\n" + "z" * (5 << 20))  # one huge line, no newline
    assert stderr_summary(str(err), "\x00") == "\x00m 0 0\n" + "z" * STDERR_LINE_CHARS


def _pid_socket():
    """``(socket, name)``: an abstract AF_UNIX datagram socket a generator reports pids to (its
    files do not outlive it: tests/threats/test_generator_writes.py)."""
    import secrets
    import socket

    name = b"\0effbench-test-pids-" + secrets.token_hex(8).encode()
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(name)
    return sock, name


def _received(sock, timeout=0.0):
    """The datagrams waiting on ``sock`` (after ``timeout`` s at most for the first), as text."""
    out = []
    if timeout:
        sock.settimeout(timeout)
    else:
        sock.setblocking(False)
    try:
        while True:
            out.append(sock.recv(256).decode())
            sock.setblocking(False)
    except (BlockingIOError, TimeoutError):
        return out


_LEAVES_PROCESSES = (
    "import os, socket, time\n"
    "def generate(size, rng):\n"
    "    if size == 5:\n"
    "        for new_session in (0, 1):\n"
    "            if os.fork() == 0:\n"
    "                if new_session:\n"
    "                    os.setsid()\n"
    "                if os.fork() == 0:\n"
    "                    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:  # its pid, the machine's\n"
    "                        s.sendto(f'{os.readlink(\"/proc/self\")} {new_session}'.encode(), PIDS)\n"
    "                    time.sleep(600)\n"
    "                time.sleep(0.5)\n"
    "                os._exit(0)\n"
    "            os.wait()\n"
    "    return [size]\n"
)


@pytest.mark.parametrize("fresh", [False, True], ids=["server", "fresh"])
def test_no_process_a_generator_starts_outlives_its_generation(copy_set, tmp_path, fresh):
    """Invariant: once a problem's tests are generated, no process its generator forked is left
    running, in a server's child or in a fresh interpreter, one in a session of its own included
    (before: they outlived the run, and in a fresh interpreter one that held the output pipe made
    the generation wait GENERATOR_TOTAL_SECONDS; then, until each generator had a PID namespace of
    its own, the fresh interpreter's child in a new session outlived it)."""
    import psutil

    from effbench.generator_server import pid_namespaces_work

    if fresh and not pid_namespaces_work():
        pytest.skip("the kernel refuses PID namespaces here: a fresh interpreter's new session escapes")
    pids, name = _pid_socket()
    source = f"PIDS = {name!r}\n" + _LEAVES_PROCESSES
    assert _generate(copy_set, source, fresh) == [[[5]], [[20000]], [[200000]]]
    lines = _received(pids)
    pids.close()
    left = {}
    for line in lines:
        pid, new_session = (int(x) for x in line.split())
        try:  # a SIGKILL sent is not yet a process ended: a few seconds for it to die
            psutil.wait_procs([psutil.Process(pid)], timeout=5)
            if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                left[pid] = new_session
        except psutil.NoSuchProcess:
            pass
    for pid in left:
        psutil.Process(pid).kill()
    assert len(lines) == 2
    assert left == {}


@pytest.mark.parametrize("fresh", [False, True], ids=["server", "fresh"])
def test_a_generator_that_signals_its_process_group_reaches_no_one_else(copy_set, fresh):
    """Invariant: a generator's process is alone in its process group: ``os.kill(0, sig)`` or
    ``os.killpg(0, sig)`` in a generator reaches neither the host nor the generator server (before:
    SIGTERM to the group stopped the host)."""
    import os
    import signal

    got = []
    old = signal.signal(signal.SIGUSR2, lambda *_: got.append(True))
    try:
        with pytest.raises(ProblemFormatError) as err:
            _generate(
                copy_set,
                "import os, signal\nos.kill(0, signal.SIGUSR2)\ndef generate(size, rng):\n    return [size]\n",
                fresh,
            )
    finally:
        signal.signal(signal.SIGUSR2, old)
    assert got == [] and f"exit code -{int(signal.SIGUSR2)}" in str(err.value)
    assert os.getpgid(0) == os.getpgid(0)  # the host is still here


def test_an_answer_forged_by_a_generator_never_reaches_another_problem(copy_set):
    """Invariant: the host takes the generator server's answer to this job only (a token per job):
    a generator that writes an answer into its server's reply pipe (/proc/PPID/fd) cannot put the
    server out of step, so the next problem's tests are its own (before: the next problem was
    answered with the previous one's answer and read an empty output)."""
    from effbench.problems import GENERATOR_HASH_SEED, _run_generator

    forger = (
        "import glob, os\n"
        "ppid = int([x.split()[1] for x in open('/proc/self/status') if x.startswith('PPid:')][0])\n"
        "parent = open('/proc/%d/cmdline' % ppid).read()\n"
        "if 'codec.runner_module' in parent:  # only into a generator server, never into the host\n"
        "    for path in glob.glob('/proc/%d/fd/*' % ppid):\n"
        "        try:\n"
        "            fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)\n"
        '            os.write(fd, b\'{"returncode": 0, "timeout": false}\\n\')\n'
        "            os.close(fd)\n"
        "        except OSError:\n"
        "            pass\n"
        "def generate(size, rng):\n"
        "    return [size]\n"
    )
    assert _generate(copy_set, forger, False) == [[[5]], [[20000]], [[200000]]]
    clean = load_problem_set(MINI)
    for problem_id in ("triangle", "reverse_words"):
        problem = clean.get(problem_id)
        expected = _run_generator(problem, "s", GENERATOR_HASH_SEED, fresh=True)
        assert _run_generator(problem, "s", GENERATOR_HASH_SEED) == expected, problem_id


def test_a_host_killed_mid_generation_leaves_no_generator_process(copy_set, tmp_path):
    """Invariant: when the host is killed with SIGKILL (no atexit, no cleanup) while a generator
    runs in a server's child, the server sees its stdin close, kills the child and all under it,
    and exits: nothing outlives the host (before: the child ran on to its own limits, up to
    GENERATE_CALL_SECONDS a call and GENERATOR_TOTAL_SECONDS in all, and the server with it)."""
    import os
    import signal
    import subprocess
    import sys

    import psutil

    pids, name = _pid_socket()
    (copy_set / "problems" / "triangle" / "generator.py").write_text(
        f"import os, socket, time\nPIDS = {name!r}\n"
        "def generate(size, rng):\n"
        "    if os.fork() == 0:\n"
        "        time.sleep(600)\n"
        "    with open('/proc/self/status') as f:  # pids as the machine's /proc numbers them\n"
        "        parent = [line.split()[1] for line in f if line.startswith('PPid:')][0]\n"
        "    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:\n"
        "        s.sendto(f'{os.readlink(\"/proc/self\")} {parent}'.encode(), PIDS)\n"
        "    time.sleep(600)\n"
    )
    host = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from effbench.problems import load_problem_set; "
            "load_problem_set(sys.argv[1]).get('triangle').generated_args('s')",
            str(copy_set / "problems"),
        ],
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    (sent,) = _received(pids, timeout=60)
    pids.close()
    child, server = (psutil.Process(int(x)) for x in sent.split())
    grandchildren = child.children()
    outer = [server.parent()] if server.ppid() != host.pid else []  # outside its PID namespace
    host.send_signal(signal.SIGKILL)
    host.wait()
    gone, alive = psutil.wait_procs([child, server, *grandchildren, *outer], timeout=30)
    for p in alive:
        p.kill()
    assert alive == [] and len(grandchildren) == 1
