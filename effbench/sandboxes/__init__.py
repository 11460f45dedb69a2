"""Sandbox backends, looked up by name so that ``import effbench`` stays cheap."""

from __future__ import annotations

from typing import Any

from effbench.errors import SandboxUnavailable
from effbench.meters.base import Meter
from effbench.sandboxes.base import Limits, Sandbox, TestRequest, TestRun

BACKENDS = ("local", "docker")

__all__ = ["BACKENDS", "Limits", "Sandbox", "TestRequest", "TestRun", "open_sandbox"]


def open_sandbox(name: str, meter: Meter, workers: int = 1, **options: Any) -> Sandbox:
    if name == "local":
        from effbench.sandboxes.local import LocalSandbox

        return LocalSandbox(meter, workers=workers, **options)
    if name == "docker":
        from effbench.sandboxes.docker import DockerSandbox

        return DockerSandbox(meter, workers=workers, **options)
    raise SandboxUnavailable(f"unknown sandbox {name!r}; available: {', '.join(BACKENDS)}")
