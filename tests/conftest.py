from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path
from types import ModuleType

import pytest

from effbench.engine import EngineSettings, Evaluator
from effbench.meters.valgrind import ValgrindMeter
from effbench.problems import load_problem_set
from effbench.sandboxes.local import LocalSandbox

FIXTURES = Path(__file__).parent / "fixtures"
MINI = FIXTURES / "mini" / "problems"
BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


def load_benchmark(name: str) -> ModuleType:
    """The module of ``benchmarks/<name>.py``, loaded without running it (its ``main`` is not called).

    A threat test runs the very programs (module-level strings of candidate code) that a benchmark
    measures, rather than a copy that could drift from them. The benchmarks' folder is on
    ``sys.path`` only while the module loads (benchmarks import their sibling ``script_exit``).
    Raises FileNotFoundError when there is no such benchmark.
    """
    path = BENCHMARKS / f"{name}.py"
    if not path.is_file():
        raise FileNotFoundError(path)
    spec = importlib.util.spec_from_file_location(f"effbench_benchmark_{name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(BENCHMARKS))
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(BENCHMARKS))
    return module


@pytest.fixture(scope="session")
def mini_set():
    return load_problem_set(MINI)


@pytest.fixture(scope="session")
def triangle(mini_set):
    return mini_set.get("triangle")


@pytest.fixture(scope="session")
def valgrind_box():
    if shutil.which("valgrind") is None:
        pytest.fail("valgrind is required for the sandbox tests (scripts/setup.sh installs it)")
    box = LocalSandbox(ValgrindMeter(), workers=2, hide=[str(FIXTURES)])
    yield box
    box.close()


@pytest.fixture(scope="session")
def valgrind_evaluator(valgrind_box):
    return Evaluator(valgrind_box, valgrind_box.meter, EngineSettings())


from .docker_support import debian_python, docker_image, image_rootfs  # noqa: E402, F401 - fixtures
from .ray_support import ray_head  # noqa: E402, F401 - fixture (tests/test_ray*.py)
