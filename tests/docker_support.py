"""Fixtures for the docker backend: a reachable engine and the built image, or a skip.

In CI (``CI=true``) a missing engine or image is a failure, never a skip: the docker tests must
run there for real (``.ci/run`` installs and starts the engine and builds the image).
"""

from __future__ import annotations

import os
import shutil

import pytest

from effbench.errors import SandboxUnavailable

#: Debian's interpreter: the same binary as in the image, so that counts can agree exactly
DEBIAN_PYTHON = "/usr/bin/python3.11"


def _unavailable(message: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message} (CI=true: the docker tests must run)")
    pytest.skip(message)


@pytest.fixture(scope="session")
def docker_image() -> str:
    """The sandbox image's tag; built (offline where no registry answers) if missing."""
    from effbench.sandboxes.docker import connect
    from effbench.sandboxes.docker_image import build_image

    try:
        client = connect(timeout=30)
        return build_image("auto", client)
    except SandboxUnavailable as exc:
        _unavailable(str(exc))
        raise


@pytest.fixture(scope="session")
def debian_python() -> str:
    if not os.path.exists(DEBIAN_PYTHON):
        _unavailable(f"{DEBIAN_PYTHON} is missing: apt-get install -y python3.11")
    if shutil.which("valgrind") is None:
        pytest.fail("valgrind is required for the sandbox tests (scripts/setup.sh installs it)")
    return DEBIAN_PYTHON


@pytest.fixture(scope="session")
def image_rootfs(docker_image) -> str:
    """The sandbox image's files as a folder, for the local backend's ``rootfs`` (exported once)."""
    from effbench.sandboxes.rootfs import export_rootfs

    try:
        return str(export_rootfs(docker_image))
    except SandboxUnavailable as exc:
        _unavailable(str(exc))
        raise
