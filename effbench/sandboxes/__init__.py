"""Sandbox backends, looked up by name in a lazy registry so that ``import effbench`` stays cheap."""

from __future__ import annotations

from typing import Any

from effbench.meters.base import Meter
from effbench.registry import SANDBOXES
from effbench.sandboxes.base import Limits, Sandbox, TestRequest, TestRun

#: The backends the CLI offers (the registry's names).
BACKENDS = SANDBOXES.names

__all__ = [
    "BACKENDS",
    "SANDBOXES",
    "Limits",
    "Sandbox",
    "TestRequest",
    "TestRun",
    "namespaces_refused_note",
    "open_sandbox",
]


def open_sandbox(name: str, meter: Meter, workers: int = 1, **options: Any) -> Sandbox:
    """Start the backend registered as ``name`` with ``workers`` runners counting with ``meter``.

    ``options`` go to the backend (``hide``, ``rootfs``...). Raises SandboxUnavailable for an
    unknown name (listing the known ones) or a backend that cannot run here.
    """
    return SANDBOXES.get(name)(meter, workers=workers, **options)


def namespaces_refused_note(facts: dict[str, Any]) -> str | None:
    """The line to show a user whose docker engine or kernel refused the sandbox's own namespaces.

    Args:
        facts: a sandbox's ``facts`` (the docker backend's ``namespaces_refused`` is the refusal's
            text, or None where the namespaces were made or not asked for).

    Returns:
        one line naming the refusal, the facts that are false because of it and where the README
        explains it; None when nothing was refused.
    """
    refused = facts.get("namespaces_refused")
    if not refused:
        return None
    return (
        f"sandbox: the container's own namespaces were refused ({refused}); it runs without them: "
        "fixed_pids, hidden_processes and hidden_machine_files are false, so those channels between "
        'samples stay open (README, "Docker backend": user namespaces off in the kernel, or a '
        "security profile that denies unshare or mount)"
    )
