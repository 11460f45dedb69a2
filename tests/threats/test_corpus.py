"""The threat corpus (``effbench/sandboxes/probe.py``), one test per threat, on every backend.

Each threat is a hostile candidate with the rule that judges it (see the probe's docstring): a
capability it must never obtain, or an honest twin it must never outscore. The corpus is run
once per backend, under valgrind, with one worker (so that a sample that leaves state behind and
the sample that looks for it share a runner): ``local`` on this machine's files, ``local-rootfs``
in the exported image, and ``docker``. ``effbench sandbox probe`` runs the same corpus.
"""

from __future__ import annotations

import os

import pytest

from effbench.meters.valgrind import ValgrindMeter
from effbench.sandboxes.probe import run_probe, threats

BACKENDS = ("local", "local-rootfs", "docker")
_RESULTS: dict[str, dict] = {}


def _open(backend: str, request):
    from effbench.sandboxes.local import LocalSandbox

    if backend == "local":
        return LocalSandbox(ValgrindMeter(), workers=1)
    if backend == "local-rootfs":
        return LocalSandbox(ValgrindMeter(), workers=1, rootfs=request.getfixturevalue("image_rootfs"))
    from effbench.sandboxes.docker import DockerSandbox

    return DockerSandbox(ValgrindMeter(), workers=1, image=request.getfixturevalue("docker_image"))


@pytest.fixture(scope="module", params=BACKENDS)
def corpus_results(request):
    """{threat name: ProbeResult} for one backend, computed once."""
    backend = request.param
    if backend not in _RESULTS:
        box = _open(backend, request)
        try:
            _RESULTS[backend] = {r.name: r for r in run_probe(box, box.meter)}
        finally:
            box.close()
    return backend, _RESULTS[backend]


@pytest.mark.parametrize("name", [t.name for t in threats()])
def test_threat_is_contained(corpus_results, name):
    """Invariant: the sandbox contains every threat of the corpus on every backend."""
    backend, results = corpus_results
    result = results[name]
    assert result.contained, f"{backend}: {name} breached: {result.evidence}"


def test_every_threat_has_a_line_in_the_readme_threat_table():
    """The README's threat table lists each threat of the corpus with its defence."""
    readme = open(os.path.join(os.path.dirname(__file__), "..", "..", "README.md")).read()
    missing = [t.name for t in threats() if f"`{t.name}`" not in readme]
    assert not missing, f"not in the README's threat table: {missing}"
