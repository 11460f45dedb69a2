"""The Docker engine, reached through the Docker SDK for Python.

Shared by the docker backend (``docker.py``) and the image builder (``docker_image.py``), which
import it, not each other.
"""

from __future__ import annotations

from typing import Any

from effbench.errors import SandboxUnavailable


class DockerUnavailable(SandboxUnavailable):
    """The Docker engine cannot be reached, or the image is missing."""


def connect(timeout: float = 60.0) -> Any:
    """A Docker SDK client (``docker.DockerClient``) to a running engine.

    Args:
        timeout: seconds for each call to the engine.

    Raises:
        DockerUnavailable: the SDK is missing or no engine answers (the message names the fix).
    """
    try:
        import docker
    except ImportError:
        raise DockerUnavailable("docker backend: the Docker SDK is missing: pip install 'docker>=7,<8'") from None
    try:
        client = docker.from_env(timeout=int(timeout))
        client.ping()
    except Exception as exc:
        reason = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        raise DockerUnavailable(
            f"docker backend: cannot reach the Docker engine ({reason}): "
            "start it with `dockerd &` or `systemctl start docker`"
        ) from None
    return client
