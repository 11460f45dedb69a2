"""The valgrind meter's interpreter without debug information (effbench/sandboxes/stripped.py):
candidates run on a stripped copy of a libpython that carries line tables or a symbol table (what
cachegrind writes at every child's exit), the copy runs exactly the original's code and standard
library, is made once and atomically, and a damaged copy is never loaded."""

from __future__ import annotations

import glob
import hashlib
import json
import logging
import os
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from effbench.errors import SandboxUnavailable
from effbench.fingerprint import environment_fingerprint
from effbench.meters import sandbox_python
from effbench.meters.timing import TimeMeter
from effbench.meters.valgrind import ValgrindMeter
from effbench.sandboxes import cached_object, stripped
from effbench.sandboxes.base import Limits, TestRequest
from effbench.sandboxes.local import LocalSandbox


def _with_debug_library() -> str | None:
    """An interpreter here whose libpython carries debug sections or a symbol table (pyenv's)."""
    for python in [sandbox_python(), *sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/3.11*/bin/python3.11")))]:
        library = stripped.shared_library_of(os.path.realpath(python))
        if library and stripped.has_debug_information(Path(library).read_bytes()):
            return os.path.realpath(python)
    return None


PYTHON = _with_debug_library()
needs_debug_library = pytest.mark.skipif(
    PYTHON is None, reason="no interpreter here loads a libpython with debug information"
)


@pytest.fixture
def fresh_cache(tmp_path, monkeypatch):
    """An empty cache folder, and no copy remembered from before."""
    monkeypatch.setenv("EFFBENCH_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv(stripped.CHOICE_VARIABLE, raising=False)
    stripped.forget()
    yield tmp_path / "cache"
    stripped.forget()


#: what the candidate sees of its interpreter: the libpython it maps and that file's section
#: names, its prefixes, path and where its standard library's modules come from
SELF_VIEW = textwrap.dedent(
    """
    import json, math, os, struct, sys, _bisect
    def f():
        library = None
        for line in open("/proc/self/maps"):
            fields = line.split(None, 5)
            if len(fields) == 6 and os.path.basename(fields[5].strip()).startswith("libpython"):
                library = fields[5].strip()
        with open(library, "rb") as fh:
            data = fh.read()
        shoff, = struct.unpack_from("<Q", data, 40)
        size, count, index = struct.unpack_from("<HHH", data, 58)
        headers = [struct.unpack_from("<IIQQQQ", data, shoff + i * size) for i in range(count)]
        table = data[headers[index][4]: headers[index][4] + headers[index][5]]
        names = [table[h[0]: table.index(b"\\0", h[0])].decode() for h in headers]
        return {
            "library": library,
            "sections": names,
            "executable": sys.executable,
            "prefixes": [sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix],
            "path": sys.path,
            "modules": [json.__file__, math.__file__, _bisect.__file__],
        }
    """
)

#: the same view of the original interpreter, run natively (no sandbox, no copy)
NATIVE_VIEW = (
    "import json, math, sys, _bisect\n"
    "print(json.dumps({'executable': sys.executable,"
    " 'prefixes': [sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix],"
    " 'path': sys.path, 'modules': [json.__file__, math.__file__, _bisect.__file__]}))\n"
)


@needs_debug_library
def test_valgrind_candidates_run_on_a_libpython_without_line_tables_or_symbols(fresh_cache):
    """Invariant: under the valgrind meter, the libpython a candidate's process maps has no
    ``.debug_*`` section and no ``.symtab`` when the interpreter's own has them, and that
    process's prefixes, ``sys.path`` and standard library modules (extension modules included)
    are exactly the original interpreter's."""
    with LocalSandbox(ValgrindMeter(), workers=1, python=PYTHON) as box:
        run = box.run(TestRequest(SELF_VIEW, "f", [], Limits(wall_seconds=120, cpu_seconds=60)))
    assert run.result is not None, run.stderr_tail or run.infra_error
    seen = json.loads(run.result)["value"]
    debug = [n for n in seen["sections"] if n.startswith(".debug_") or n == ".symtab"]
    assert debug == [], f"{seen['library']} still has {debug}"
    assert seen["library"] != stripped.shared_library_of(PYTHON)
    native = json.loads(subprocess.run([PYTHON, "-I", "-S", "-c", NATIVE_VIEW], capture_output=True, text=True).stdout)
    # the runner runs with -P (no script folder on the path) and -s, the native check with -I
    assert {k: seen[k] for k in native} == native


@needs_debug_library
def test_the_time_meter_runs_the_original_library():
    """Invariant: only valgrind gets the copy (a native fork reads no line tables): the time
    meter's runner is started with no ``--library`` and fingerprints no library."""
    assert stripped.setup_options(TimeMeter().name, PYTHON, None) == []
    assert stripped.fingerprint(TimeMeter().name, "local", PYTHON, None) == {}
    assert stripped.setup_options("valgrind", PYTHON, "/some/rootfs") == []


@needs_debug_library
def test_the_copy_maps_the_same_bytes_as_the_original(fresh_cache):
    """Invariant: the copy differs from the original only in what is not loaded: every
    ``PT_LOAD`` segment (headers and bytes) is the original's, and the copy has no debug section
    and no symbol table."""
    copy = stripped.stripped_library(PYTHON)
    assert copy is not None and Path(copy).is_relative_to(fresh_cache)
    original = Path(stripped.shared_library_of(PYTHON)).read_bytes()
    data = Path(copy).read_bytes()
    assert stripped.has_debug_information(original) and not stripped.has_debug_information(data)
    assert stripped.loaded_segments(data) == stripped.loaded_segments(original)
    assert len(stripped.loaded_segments(data)) >= 2


@needs_debug_library
def test_a_second_sandbox_reuses_the_cached_copy(fresh_cache, monkeypatch):
    """Invariant: the copy is made once per original: a later process (the remembered answer
    forgotten) finds it in the cache folder and strips nothing."""
    first = stripped.stripped_library(PYTHON)
    inode = os.stat(first).st_ino
    stripped.forget()

    def no_strip(*args, **kwargs):
        raise AssertionError("stripped again")

    monkeypatch.setattr(stripped, "_make_copy", no_strip)
    assert stripped.stripped_library(PYTHON) == first
    assert os.stat(first).st_ino == inode


@needs_debug_library
@pytest.mark.parametrize("damage", ["truncated", "overwritten", "record missing", "code changed, record too"])
def test_a_damaged_copy_is_never_loaded(fresh_cache, damage):
    """Invariant: a copy whose bytes are not those recorded when it was made (truncated, as by a
    build that did not finish; overwritten; no record), or whose loaded code is not the
    original's even with a record that matches it, is made again, not used."""
    copy = Path(stripped.stripped_library(PYTHON))
    good = copy.read_bytes()
    os.chmod(copy, 0o644)
    record = copy.with_name(copy.name + ".sha256")
    if damage == "truncated":
        copy.write_bytes(good[: len(good) // 2])
    elif damage == "overwritten":
        copy.write_bytes(good[:1000] + b"\0" * 8 + good[1008:])
    elif damage == "record missing":
        record.unlink()
    else:
        header, _ = stripped.loaded_segments(good)[1]  # the code segment
        forged = good[: header[2] + 64] + b"\xcc" * 8 + good[header[2] + 72 :]
        copy.write_bytes(forged)
        record.write_text(hashlib.sha256(forged).hexdigest())
        assert cached_object.intact(copy)
        assert stripped.loaded_segments(forged) != stripped.loaded_segments(good)
    if damage != "code changed, record too":
        assert not cached_object.intact(copy)
    stripped.forget()
    again = stripped.stripped_library(PYTHON)
    assert again == str(copy) and cached_object.intact(copy) and copy.read_bytes() == good


@needs_debug_library
def test_a_leftover_temporary_file_is_not_the_copy(fresh_cache):
    """Invariant: what a builder killed mid-way leaves (its temporary file) never becomes the
    copy: the copy appears under its name only by a rename of a complete, checked file."""
    key_folder = Path(stripped.stripped_library(PYTHON)).parent
    for entry in key_folder.iterdir():
        entry.chmod(0o644)
        entry.unlink()
    (key_folder / ".strip-left.tmp").write_bytes(b"\x7fELF half")
    stripped.forget()
    copy = Path(stripped.stripped_library(PYTHON))
    assert cached_object.intact(copy) and not stripped.has_debug_information(copy.read_bytes())


BUILD = "from effbench.sandboxes import stripped; import sys; print(stripped.stripped_library(sys.argv[1]))"


@needs_debug_library
def test_concurrent_builders_agree_on_one_intact_copy(fresh_cache):
    """Invariant: two processes making the copy at once both get the same path to an intact
    copy, and no temporary file is left beside it."""
    env = {**os.environ, "EFFBENCH_CACHE_DIR": str(fresh_cache)}
    procs = [
        subprocess.Popen([sys.executable, "-c", BUILD, PYTHON], stdout=subprocess.PIPE, text=True, env=env)
        for _ in range(3)
    ]
    answers = {p.communicate(timeout=300)[0].strip() for p in procs}
    assert len(answers) == 1
    copy = Path(answers.pop())
    assert cached_object.intact(copy)
    assert sorted(p.name for p in copy.parent.iterdir()) == [copy.name, copy.name + ".sha256"]


@needs_debug_library
def test_without_strip_the_original_is_used_and_said_once(fresh_cache, monkeypatch, caplog):
    """Invariant: with no ``strip`` (binutils) the runner loads the original library (no
    ``--library``), the fingerprint says so, and the user is told once, not per runner."""
    monkeypatch.setattr(stripped.shutil, "which", lambda name: None)
    monkeypatch.setattr(stripped, "_said", set())
    with caplog.at_level(logging.WARNING, logger="effbench.sandboxes"):
        for _ in range(3):
            stripped.forget()
            assert stripped.setup_options("valgrind", PYTHON, None) == []
    assert stripped.fingerprint("valgrind", "local", PYTHON, None) == {"library": "original"}
    said = [r for r in caplog.records if "strip is not installed" in r.getMessage()]
    assert len(said) == 1


@needs_debug_library
def test_the_fingerprint_tells_the_copy_from_the_original(fresh_cache, monkeypatch):
    """Invariant: profiles measured on the original library are not reused on the copy (their
    counts differ a little: paths in the runner's memory), nor across strip modes."""
    seen = set()
    for mode in stripped.CHOICES:
        monkeypatch.setenv(stripped.CHOICE_VARIABLE, mode)
        stripped.forget()
        seen.add(json.dumps(environment_fingerprint(ValgrindMeter(), "local", python=PYTHON), sort_keys=True))
    assert len(seen) == len(stripped.CHOICES)


def test_an_interpreter_without_debug_information_is_run_as_it_is(fresh_cache, tmp_path):
    """Invariant: a libpython with neither debug sections nor a symbol table is not copied."""
    stripped_python = "/usr/bin/python3.11"
    if not os.path.exists(stripped_python):
        pytest.skip("no Debian interpreter here")
    assert stripped.stripped_library(stripped_python) is None
    assert not fresh_cache.exists() or not any(fresh_cache.rglob("*.so*"))


@pytest.mark.parametrize("value", ["off", "non", "strip-all"])
def test_a_mistyped_strip_choice_is_said_not_silently_replaced(monkeypatch, caplog, value):
    """Invariant: an ``$EFFBENCH_STRIP`` that is not ``all``, ``debug`` or ``none`` falls back to
    ``all`` with one warning naming the value and the choices (once per process and value), so a
    mistyped comparison run (``off`` for ``none``) is not silently the default's."""
    monkeypatch.setenv(stripped.CHOICE_VARIABLE, value)
    monkeypatch.setattr(stripped, "_unknown_said", set())
    with caplog.at_level(logging.WARNING, logger="effbench.sandboxes"):
        assert stripped.strip_choice() == "all"
        assert stripped.strip_choice() == "all"
    said = [r.getMessage() for r in caplog.records if stripped.CHOICE_VARIABLE in r.getMessage()]
    assert len(said) == 1
    assert repr(value) in said[0] and "all, debug, none" in said[0]


def test_the_strip_choices_are_read_in_any_case_without_a_warning(monkeypatch, caplog):
    """Invariant: the three choices, in any case and with spaces around, are taken as they are
    and say nothing; an unset variable is ``all``."""
    monkeypatch.setattr(stripped, "_unknown_said", set())
    with caplog.at_level(logging.WARNING, logger="effbench.sandboxes"):
        for given, expected in [(" none ", "none"), ("DEBUG", "debug"), ("All", "all")]:
            monkeypatch.setenv(stripped.CHOICE_VARIABLE, given)
            assert stripped.strip_choice() == expected
        monkeypatch.delenv(stripped.CHOICE_VARIABLE)
        assert stripped.strip_choice() == "all"
    assert not [r for r in caplog.records if stripped.CHOICE_VARIABLE in r.getMessage()]


#: the candidate that reads a docstring from its libpython's read-only data (what a swapped copy changes)
LEN_DOC = "def f():\n    return len.__doc__\n"


@needs_debug_library
def test_a_copy_swapped_after_its_check_is_never_installed(fresh_cache):
    """Invariant: the bytes the runner installs and loads are the bytes the host checked. The
    host checks the copy once per process and every runner start (a pool's, a replacement's)
    reads the file again: a copy swapped in the cache folder in between (another process, a
    stale or shared cache) is refused at start-up with a clear error, never run."""
    copy = stripped.stripped_library(PYTHON)
    data = bytearray(Path(copy).read_bytes())
    at = data.find(b"Return the number of items in a container.")
    assert at > 0
    data[at : at + 6] = b"SWAPPD"
    swapped = copy + ".swap"
    Path(swapped).write_bytes(bytes(data))
    os.chmod(swapped, 0o555)
    os.replace(swapped, copy)
    request = TestRequest(LEN_DOC, "f", [], Limits(wall_seconds=120, cpu_seconds=60))
    try:
        with LocalSandbox(ValgrindMeter(), workers=1, python=PYTHON) as box:
            run = box.run(request)
    except SandboxUnavailable as exc:
        assert "changed after it was checked" in str(exc)
    else:
        pytest.fail(f"the swapped copy was loaded: {run.result or run.infra_error}")


@needs_debug_library
def test_a_planted_copy_that_kept_its_debug_sections_is_remade(fresh_cache):
    """Invariant: a copy in the cache folder whose loaded segments are the original's but which
    still has the sections the strip removes (the original itself planted there, its record
    matching) is made again, not loaded: cachegrind would read its line tables at every exit."""
    copy = Path(stripped.stripped_library(PYTHON))
    good = copy.read_bytes()
    original = Path(stripped.shared_library_of(PYTHON)).read_bytes()
    os.chmod(copy, 0o644)
    copy.write_bytes(original)
    copy.with_name(copy.name + ".sha256").write_text(hashlib.sha256(original).hexdigest())
    assert cached_object.intact(copy)
    stripped.forget()
    again = stripped.stripped_library(PYTHON)
    assert again == str(copy) and copy.read_bytes() == good


@needs_debug_library
def test_a_strip_that_removes_nothing_is_said_and_the_original_used(fresh_cache, monkeypatch, tmp_path, caplog):
    """Invariant: a ``strip`` that leaves the debug sections in (a wrapper, a broken binutils:
    here one that copies its input) gives no copy to load: the original is used, the fingerprint
    says ``original`` and the user is told, rather than a "stripped" copy that is the original."""
    fake = tmp_path / "strip"
    fake.write_text('#!/bin/sh\ncp "$4" "$3"\n')
    fake.chmod(0o755)
    monkeypatch.setattr(stripped.shutil, "which", lambda name: str(fake))
    monkeypatch.setattr(stripped, "_said", set())
    with caplog.at_level(logging.WARNING, logger="effbench.sandboxes"):
        assert stripped.setup_options("valgrind", PYTHON, None) == []
    assert stripped.fingerprint("valgrind", "local", PYTHON, None) == {"library": "original"}
    assert any("not one to load" in r.getMessage() for r in caplog.records)


@needs_debug_library
def test_a_strip_that_hangs_is_said_and_the_original_used(fresh_cache, monkeypatch, tmp_path, caplog):
    """Invariant: a ``strip`` that does not answer in time is a failure like any other (the
    original is used, said once, no temporary file left), never a traceback out of the sandbox."""
    fake = tmp_path / "strip"
    fake.write_text("#!/bin/sh\nexec sleep 30\n")
    fake.chmod(0o755)
    monkeypatch.setattr(stripped.shutil, "which", lambda name: str(fake))
    monkeypatch.setattr(stripped, "STRIP_TIMEOUT_SECONDS", 1)
    monkeypatch.setattr(stripped, "_said", set())
    with caplog.at_level(logging.WARNING, logger="effbench.sandboxes"):
        assert stripped.setup_options("valgrind", PYTHON, None) == []
    assert any("no answer in 1 s" in r.getMessage() for r in caplog.records)
    assert not any(fresh_cache.rglob(".strip-*"))


@needs_debug_library
def test_runners_started_at_once_in_one_process_all_load_the_copy(fresh_cache, monkeypatch):
    """Invariant: a pool's runners, started from parallel threads of one process on a cache
    folder with no copy yet, all get the same ``--library`` options: none falls back to the
    original library (whose counts differ from the copy's) while the fingerprint says the copy."""
    replace = os.replace

    def slow_replace(src, dst):  # widens the window between a builder's record and its rename
        time.sleep(0.2)
        replace(src, dst)

    monkeypatch.setattr(stripped.os, "replace", slow_replace)
    stripped.shared_library_of(PYTHON)
    answers: list[list[str]] = []
    threads = [
        threading.Thread(target=lambda: answers.append(stripped.setup_options("valgrind", PYTHON, None)))
        for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(answers) == 4 and all(a == answers[0] for a in answers) and answers[0][:1] == ["--library"]
