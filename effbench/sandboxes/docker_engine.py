"""The Docker engine, reached through the Docker SDK for Python.

Shared by the docker backend (``docker.py``) and the image builder (``docker_image.py``), which
import it, not each other.
"""

from __future__ import annotations

import os
from typing import Any

from effbench.errors import SandboxUnavailable


class DockerUnavailable(SandboxUnavailable):
    """The Docker engine cannot be reached, or the image is missing."""


def connect(timeout: float = 60.0) -> Any:
    """A Docker SDK client (``docker.DockerClient``) to a running engine.

    Args:
        timeout: seconds for each call to the engine.

    Raises:
        DockerUnavailable: the SDK is missing, no engine answers, one takes the connection but
            does not answer within ``timeout`` (busy or hung), or this user may not use the
            engine's socket (the message names the fix for each).
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
        if _denied(exc):
            # the engine runs, but this user may not use its socket: starting it is not the fix
            where = os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock"
            raise DockerUnavailable(
                f"docker backend: no permission to the Docker engine's socket {where} ({reason}): run as a "
                "user of the socket's group (`usermod -aG docker $USER`, then log in again) or as root"
            ) from None
        if _found(exc, (TimeoutError,)) or "timed out" in reason.lower():
            # it took the connection and said nothing: running, but busy or hung
            where = os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock"
            raise DockerUnavailable(
                f"docker backend: the Docker engine at {where} did not answer within {timeout:g} s ({reason}): "
                "it is busy or hung; retry later, or restart it (`systemctl restart docker`)"
            ) from None
        raise DockerUnavailable(
            f"docker backend: cannot reach the Docker engine ({reason}): "
            "start it with `dockerd &` or `systemctl start docker`"
        ) from None
    return client


def _denied(exc: BaseException) -> bool:
    """Whether ``exc`` (what the SDK raised) comes from a refused permission on the socket.

    The SDK wraps the ``PermissionError`` of the socket's ``connect`` in its own exceptions, as a
    cause or as an argument (``('Connection aborted.', PermissionError(13, ...))``).
    """
    return _found(exc, (PermissionError,))


def _found(exc: BaseException, kinds: tuple[type[BaseException], ...]) -> bool:
    """Whether ``exc`` or an exception it wraps (cause, context, argument) is one of ``kinds``."""
    seen: set[int] = set()
    stack: list[object] = [exc]
    while stack:
        item = stack.pop()
        if id(item) in seen or not isinstance(item, BaseException):
            continue
        seen.add(id(item))
        if isinstance(item, kinds):
            return True
        stack += [item.__cause__, item.__context__, *item.args]
    return False
