"""Sandbox backends, looked up by name in a lazy registry so that ``import effbench`` stays cheap."""

from __future__ import annotations

from typing import Any

from effbench.meters.base import Meter
from effbench.registry import SANDBOXES
from effbench.sandboxes.base import Limits, Sandbox, TestRequest, TestRun

#: The backends the CLI offers (the registry's names).
BACKENDS = SANDBOXES.names

__all__ = ["BACKENDS", "SANDBOXES", "Limits", "Sandbox", "TestRequest", "TestRun", "open_sandbox"]


def open_sandbox(name: str, meter: Meter, workers: int = 1, **options: Any) -> Sandbox:
    """Start the backend registered as ``name`` with ``workers`` runners counting with ``meter``.

    ``options`` go to the backend (``hide``, ``rootfs``...). Raises SandboxUnavailable for an
    unknown name (listing the known ones) or a backend that cannot run here.
    """
    return SANDBOXES.get(name)(meter, workers=workers, **options)
