"""The runner runs from bytecode under every meter (4f67567): what must hold.

The set-up step compiles the runner with the measured interpreter at every start and installs
the bytecode read-only beside where the runner runs; nothing caches it between starts. The
fingerprint (the profile cache's key) says which runner code counted (its SHA-256) and, for the
local backend, whether the runner had namespaces: the two kinds' counts differ by their paths,
so profiles made by one must never judge candidates measured by the other. From source (before
e46478b) the runner without namespaces counted a null test at 17,619 instructions against the
namespaced runner's 17,887 from bytecode.
"""

from __future__ import annotations

import shutil

import pytest

from effbench.meters.valgrind import ValgrindMeter
from effbench.sandboxes import local
from effbench.sandboxes.base import Limits, TestRequest
from effbench.sandboxes.probe import EXPERT

LIMITS = Limits(wall_seconds=120, cpu_seconds=60, memory_bytes=512 << 20)
NULL = "def triangle(n):\n    return 0\n"


def _counts(monkeypatch, namespaces):
    if not namespaces:
        monkeypatch.setattr(local, "namespace_prefix", lambda: ())
    box = local.LocalSandbox(ValgrindMeter(), workers=1)
    try:
        runs = [box.run(TestRequest(code, "triangle", [n], LIMITS)) for code, n in ((NULL, 5), (EXPERT, 2000))]
        facts = box._workers[0].facts
    finally:
        box.close()
        monkeypatch.undo()
    assert all(run.cost is not None for run in runs), runs
    return [run.cost.value for run in runs], facts


def test_a_runner_without_namespaces_never_shares_profiles_with_a_namespaced_one(monkeypatch):
    """Invariant: a runner without namespaces runs from bytecode as a namespaced one does (from
    source its null test was 268 instructions off), and the environment fingerprint (the profile
    cache's key) tells the two apart, so a profile measured by one never judges a candidate
    measured by the other. Threat: the fingerprint did not say whether a runner had namespaces,
    and the two kinds' counts differ by their paths (the runner's argv, its code's and the
    allocator's): 20-40 instructions in 939755d's CI, 125 on the null test and 77 on the expert's
    after d79f7ff changed nothing but the runner's code, so no slack on the counts holds; one
    pool's runners all have the same (local.namespace_prefix is probed once per process)."""
    from effbench.fingerprint import environment_fingerprint

    if shutil.which("valgrind") is None:
        pytest.fail("valgrind is required for the sandbox tests (scripts/setup.sh installs it)")
    if not local.namespace_prefix():
        pytest.skip("needs namespaces (unshare) to compare with")
    meter = ValgrindMeter()
    _, facts = _counts(monkeypatch, True)
    namespaced_key = environment_fingerprint(meter, "local")
    monkeypatch.setattr(local, "namespace_prefix", lambda: ())
    bare_key = environment_fingerprint(meter, "local")
    monkeypatch.undo()
    _, bare_facts = _counts(monkeypatch, False)
    assert facts["isolation"] == "namespaces" and bare_facts["isolation"] == "none"
    assert facts["bytecode"] is True and bare_facts["bytecode"] is True
    assert namespaced_key["isolation"] == "namespaces" and bare_key["isolation"] == "none"
    assert {k: v for k, v in namespaced_key.items() if k != "isolation"} == {
        k: v for k, v in bare_key.items() if k != "isolation"
    }
