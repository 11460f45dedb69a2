"""The environment fingerprint recorded with every result and used to key cached profiles."""

from __future__ import annotations

import functools
import hashlib
import platform
import subprocess

from effbench import codec
from effbench.meters import sandbox_python
from effbench.meters.base import Meter
from effbench.sandboxes import stripped
from effbench.sandboxes.allocator import allocator_fingerprint


@functools.lru_cache(maxsize=8)
def _sandbox_python_version(python: str) -> str:
    out = subprocess.run(
        [
            python,
            "-I",
            "-S",
            "-c",
            "import sys, platform; print(sys.version.split()[0], platform.python_implementation())",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    return out.stdout.strip()


@functools.lru_cache(maxsize=1)
def _cpu() -> dict[str, str]:
    model, flags = platform.processor() or "", ""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name") and not model:
                    model = line.split(":", 1)[1].strip()
                if line.startswith(("flags", "Features")) and not flags:
                    flags = line.split(":", 1)[1].strip()
    except OSError:
        pass
    return {"cpu": model, "cpu_flags": hashlib.sha256(" ".join(sorted(flags.split())).encode()).hexdigest()[:12]}


def _userland(backend: str, rootfs: str | None) -> dict:
    """Whose files candidates run on: this machine's interpreter and libc, or an image's."""
    if rootfs is not None:
        from effbench.sandboxes.rootfs import describe

        facts = describe(rootfs) or {}
        return {"userland": facts.get("image_id") or f"folder {rootfs}"}
    if backend == "docker":
        from effbench.sandboxes.docker_image import image_identity

        return {"userland": image_identity()}
    return {"python": _sandbox_python_version(sandbox_python()), "libc": " ".join(platform.libc_ver())}


def environment_fingerprint(meter: Meter, backend: str, python: str | None = None, rootfs: str | None = None) -> dict:
    """Facts that can change an instruction count, as a dict (the profile cache's key).

    The interpreter and libraries (this machine's, or the image's for docker and an exported root
    filesystem), CPU features, the meter, the runner and the measured interpreter's allocator;
    for the local backend, whether its runners have namespaces (``isolation``): a runner without
    them runs from other paths (its argv, its code's and the allocator's), which moves a count
    by tens to hundreds of instructions, so profiles of one never judge candidates of the other.

    Raises:
        SandboxUnavailable: (local backend) the namespace probe did not finish, as the sandbox's
            own start would (:func:`effbench.sandboxes.local.namespace_prefix`).
    """
    userland = _userland(backend, rootfs)
    if python is not None:
        userland["python"] = _sandbox_python_version(python)
    if backend == "local":
        from effbench.sandboxes.local import namespace_prefix

        userland["isolation"] = "namespaces" if namespace_prefix() else "none"
    return {
        "backend": backend,
        **userland,
        "machine": platform.machine(),
        **_cpu(),
        "runner": codec.runner_hash(),
        "allocator": allocator_fingerprint(),
        **stripped.fingerprint(meter.name, backend, python or sandbox_python(), rootfs),
        **meter.fingerprint(),
    }
