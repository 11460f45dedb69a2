"""benchmarks/count_identity.py: the check that a harness change leaves every count as it was.

Invariant: a recording compared with a fresh run of the same code is identical (exit 0), and a
count that moved by a single instruction is named and fails the comparison (exit 1).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "count_identity.py"

pytestmark = pytest.mark.skipif(shutil.which("valgrind") is None, reason="needs valgrind")


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=900)


def test_a_moved_count_fails_the_comparison_and_an_unchanged_run_passes(tmp_path):
    recording = tmp_path / "before.json"
    made = _run("--record", str(recording), "--problems", "max_subarray_sum", "--tier-levels", "1")
    assert made.returncode == 0, made.stderr[-2000:]
    data = json.loads(recording.read_text())
    ((problem, tiers),) = data["counts"].items()
    assert "expert" in tiers and len(tiers) >= 2  # the slower tiers are recorded too
    assert all(isinstance(v, float) and v > 0 for tests in tiers.values() for v in tests.values())

    same = _run("--compare", str(recording))
    assert same.returncode == 0, same.stdout + same.stderr
    assert "identical: yes" in same.stdout

    test_id = sorted(tiers["expert"])[-1]
    tiers["expert"][test_id] += 1.0
    recording.write_text(json.dumps(data))
    moved = _run("--compare", str(recording))
    assert moved.returncode == 1
    assert f"{problem} expert {test_id}" in moved.stdout and "(-1)" in moved.stdout

    tiers["expert"][test_id] -= 1.0
    del tiers["expert"][test_id]  # a test the recording lacks is a difference too
    recording.write_text(json.dumps(data))
    missing = _run("--compare", str(recording))
    assert missing.returncode == 1
    assert f"{problem} expert {test_id}: absent ->" in missing.stdout
