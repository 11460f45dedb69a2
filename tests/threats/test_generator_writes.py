"""A problem's generator leaves no file behind: what it writes dies with its process.

A generator (ours, or an imported benchmark's) runs on this machine as the user who runs effbench.
A red team's generator wrote each stress input it drew with the run's secret seed to ``/var/tmp``,
``/tmp``, ``/dev/shm``, ``$HOME`` and its working folder; the files outlived it, and a test child of
the local sandbox read them back from ``/var/tmp`` (the sandbox hides its own ``/tmp``, the
problems, references and cache, not the rest of the machine). Now each generator's process has a
mount namespace of its own (``generator_server.confine_writes``): every mount read-only, a fresh
tmpfs on ``/tmp``, ``/var/tmp`` and ``/dev/shm``, no capability left to undo it.
"""

from __future__ import annotations

import os
import secrets
import shutil

import pytest

from ..conftest import MINI

#: a generator that writes the input it draws wherever it can, then generates as usual; PLACES
#: is prepended
_WRITES_ITS_INPUTS = """
import os, tempfile

def generate(size, rng):
    n = size - rng.randrange(3)
    for path in PLACES:
        try:
            with open(path, "a") as f:
                f.write("%d\\n" % n)
        except OSError:
            pass
    # its own scratch still works (a fresh tmpfs, gone with it)
    with tempfile.NamedTemporaryFile("w", dir="/tmp") as f:
        f.write("scratch")
        f.flush()
    return [n]
"""


@pytest.mark.parametrize("fresh", [False, True], ids=["server", "fresh"])
def test_no_generator_leaves_a_file_behind(tmp_path, fresh):
    """Invariant: a problem's generator (in a generator server's child or a fresh interpreter)
    writes no file that outlives it: not in /tmp, /var/tmp, /dev/shm, a folder its user owns,
    nor its working folder; it still generates, with a /tmp of its own. Fault: every one of those
    files was left, holding the stress inputs of the run's secret seed."""
    from effbench.generator_server import pid_namespaces_work
    from effbench.problems import GENERATOR_HASH_SEED, _run_generator, load_problem_set

    if not pid_namespaces_work():
        pytest.skip("no namespaces here: a generator's writes are not confined")
    root = tmp_path / "set"
    shutil.copytree(MINI.parent, root)
    owned = tmp_path / "owned"
    owned.mkdir()
    token = secrets.token_hex(8)
    places = [f"/tmp/effbench-leak-{token}", f"/var/tmp/effbench-leak-{token}", f"/dev/shm/effbench-leak-{token}"]
    places += [str(owned / "leak"), os.path.abspath(f"effbench-leak-{token}")]
    generator = root / "problems" / "triangle" / "generator.py"
    generator.write_text(f"PLACES = {places!r}\n" + _WRITES_ITS_INPUTS)
    try:
        problem = load_problem_set(root / "problems").get("triangle")
        levels = _run_generator(problem, "secret", GENERATOR_HASH_SEED, fresh)
        assert levels and all(levels), levels
        left = [path for path in places if os.path.exists(path)]
        assert left == [], f"the generator left {left}"
    finally:
        for path in places:
            try:
                os.unlink(path)
            except OSError:
                pass


def test_no_imported_generator_leaves_a_file_behind(tmp_path, monkeypatch):
    """Invariant: an imported benchmark's input generator (a row's ``input_generator``, run by the
    generators' worker) writes no file that outlives its row, and the row still generates. Fault:
    the files it wrote in /tmp, /var/tmp, /dev/shm and a folder its user owns were left."""
    import json

    from effbench.generator_server import pid_namespaces_work
    from effbench.importers import load_dataset_problems
    from effbench.importers.generate import GeneratorLimits

    from ..importer_rows import sound_rows

    if not pid_namespaces_work():
        pytest.skip("no namespaces here: a generator's writes are not confined")
    monkeypatch.setenv("EFFBENCH_CACHE_DIR", str(tmp_path / "cache"))
    owned = tmp_path / "owned"
    owned.mkdir()
    token = secrets.token_hex(8)
    places = [f"/tmp/effbench-leak-{token}", f"/var/tmp/effbench-leak-{token}", f"/dev/shm/effbench-leak-{token}"]
    places.append(str(owned / "leak"))
    row = dict(sound_rows()["enamel"], task_id="T/leaks")
    row["input_generator"] = (
        f"PLACES = {places!r}\n"
        "def generate_input(size, lid, cid):\n"
        "    for path in PLACES:\n"
        "        try:\n"
        "            with open(path, 'a') as f:\n"
        "                f.write('%d\\n' % size)\n"
        "        except OSError:\n"
        "            pass\n"
        "    return (size,)\n"
    )
    data = tmp_path / "gen.jsonl"
    data.write_text(json.dumps(row) + "\n")
    warnings: list[str] = []
    try:
        limits = GeneratorLimits(seconds=5.0, memory_bytes=512 << 20)
        ps = load_dataset_problems(f"enamel:{data}", None, warn=warnings.append, limits=limits)
        assert list(ps.problems) == ["T/leaks"] and warnings == []
        left = [path for path in places if os.path.exists(path)]
        assert left == [], f"the generator left {left}"
    finally:
        for path in places:
            try:
                os.unlink(path)
            except OSError:
                pass


def test_no_imported_reference_leaves_a_file_behind_when_problems_check_runs_it(tmp_path, monkeypatch):
    """Invariant: `problems check`'s run of an imported row's reference on the prompt's examples
    (in an interpreter of its own on this machine) writes no file that outlives it, and the row
    still passes. Fault: the files its module code wrote in /tmp, /var/tmp, /dev/shm and a folder
    its user owns were left."""
    import json

    from effbench.check import check_static
    from effbench.generator_server import pid_namespaces_work
    from effbench.importers import load_dataset_problems
    from effbench.importers.generate import GeneratorLimits

    from ..importer_rows import sound_rows

    if not pid_namespaces_work():
        pytest.skip("no namespaces here: a reference's writes are not confined")
    monkeypatch.setenv("EFFBENCH_CACHE_DIR", str(tmp_path / "cache"))
    owned = tmp_path / "owned"
    owned.mkdir()
    token = secrets.token_hex(8)
    places = [f"/tmp/effbench-leak-{token}", f"/var/tmp/effbench-leak-{token}", f"/dev/shm/effbench-leak-{token}"]
    places.append(str(owned / "leak"))
    row = dict(
        sound_rows()["enamel"],
        reference_solution=(
            f"PLACES = {places!r}\n"
            "if __name__ == 'solution':\n"
            "    for path in PLACES:\n"
            "        try:\n"
            "            with open(path, 'a') as f:\n"
            "                f.write('x')\n"
            "        except OSError:\n"
            "            pass\n"
            "def f(x):\n"
            "    return x\n"
        ),
    )
    data = tmp_path / "ref.jsonl"
    data.write_text(json.dumps(row) + "\n")
    try:
        limits = GeneratorLimits(seconds=5.0, memory_bytes=512 << 20)
        ps = load_dataset_problems(f"enamel:{data}", None, warn=lambda message: None, limits=limits)
        assert check_static(ps.get("T/0")) == []
        left = [path for path in places if os.path.exists(path)]
        assert left == [], f"the reference left {left}"
    finally:
        for path in places:
            try:
                os.unlink(path)
            except OSError:
                pass
