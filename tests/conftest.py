from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from effbench.engine import EngineSettings, Evaluator
from effbench.meters.valgrind import ValgrindMeter
from effbench.problems import load_problem_set
from effbench.sandboxes.local import LocalSandbox

FIXTURES = Path(__file__).parent / "fixtures"
MINI = FIXTURES / "mini" / "problems"


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
