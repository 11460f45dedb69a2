"""The docker backend's image: content-addressed tag, and two ways to build it.

The tag is ``effbench-sandbox:<hash>``, the hash covering every recipe file in ``sandbox/`` and
the runner: a changed runner gives a new tag (and a rebuild), an unchanged one reuses the image.

- ``registry``: ``sandbox/Dockerfile``, ``FROM debian:bookworm-slim`` plus Debian's packages.
- ``offline``: ``sandbox/rootfs.sh`` (debootstrap from a Debian mirror, no container registry),
  ``docker import`` of the result as ``effbench-base:<hash>``, then ``sandbox/Dockerfile.offline``.

Both hold Debian bookworm's python3.11, valgrind, perf, ``/opt/effbench/runner.py`` and the
allocator built on the host (``/opt/effbench/effalloc.so``); the build context holds only the
recipe, the runner and the allocator, never problems, references or answers.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from typing import Any

from effbench import paths
from effbench.errors import SandboxUnavailable
from effbench.sandboxes.allocator import built_allocator
from effbench.sandboxes.protocol import SANDBOX_PYTHON

IMAGE_REPO = "effbench-sandbox"
BASE_REPO = "effbench-base"
RECIPE_FILES = ("Dockerfile", "Dockerfile.offline", "rootfs.sh", "runner.py", "effalloc.c")
REGISTRY_BASE = "debian:bookworm-slim"
RUNNER_IN_IMAGE = "/opt/effbench/runner.py"
PYTHON_IN_IMAGE = SANDBOX_PYTHON
#: the runner is root in its container (with few capabilities); test children run as 65533
SANDBOX_USER = "0:0"
MODES = ("auto", "offline", "registry")


def recipe_dir() -> str:
    """The folder of the image's recipe files and the runner (the repo's or the bundled ``sandbox/``)."""
    return str(paths.runner_path().parent)


def _digest(names: tuple[str, ...]) -> str:
    digest = hashlib.sha256()
    for name in names:
        with open(os.path.join(recipe_dir(), name), "rb") as f:
            data = f.read()
        digest.update(name.encode() + b"\0" + str(len(data)).encode() + b"\0" + data)
    return digest.hexdigest()[:16]


def image_tag() -> str:
    """``effbench-sandbox:<hash of the recipe files, the runner and the built allocator>``.

    Raises:
        SandboxUnavailable: the allocator cannot be built (no C compiler).
    """
    digest = hashlib.sha256((_digest(RECIPE_FILES) + built_allocator().name).encode()).hexdigest()[:16]
    return f"{IMAGE_REPO}:{digest}"


def image_identity(tag: str | None = None) -> str:
    """The id of the image ``tag`` (default: :func:`image_tag`) in the engine, else the tag itself.

    The id (``sha256:...``) names the image's content; the tag names its recipe only, and two
    builds of one recipe differ (the Debian packages of the day, the registry base or debootstrap,
    a rebuild after ``docker image prune``): the counts of one are not the other's, so the profile
    cache's fingerprint takes the id. Where no engine answers or the image is missing (a run that
    needs no sandbox), the tag.
    """
    tag = tag or image_tag()
    try:
        from effbench.sandboxes.docker_engine import connect

        return str(connect(timeout=10).images.get(tag).id)
    except Exception:  # no SDK, no engine, no image: nothing measured with it can be cached either
        return tag


def base_tag() -> str:
    """The offline base (the debootstrapped root filesystem), keyed by its recipe only."""
    return f"{BASE_REPO}:{_digest(('rootfs.sh',))}"


def _has_image(client: Any, tag: str) -> bool:
    import docker.errors

    try:
        client.images.get(tag)
        return True
    except docker.errors.ImageNotFound:
        return False


def _registry_reachable(client: Any) -> bool:
    """Is the registry base here, or can the engine reach its registry?"""
    if _has_image(client, REGISTRY_BASE):
        return True
    try:
        client.api.inspect_distribution(REGISTRY_BASE)
        return True
    except Exception:
        return False


def _context(dockerfile: str) -> str:
    ctx = tempfile.mkdtemp(prefix="effbench-image-")
    shutil.copy(os.path.join(recipe_dir(), dockerfile), os.path.join(ctx, "Dockerfile"))
    shutil.copy(paths.runner_path(), os.path.join(ctx, "runner.py"))
    # the host's build, so that the local backend, the image and its exported root filesystem
    # preload the same bytes (effbench/sandboxes/allocator.py)
    shutil.copy(built_allocator(), os.path.join(ctx, "effalloc.so"))
    return ctx


def _build_layer(client: Any, dockerfile: str, tag: str, buildargs: dict[str, str], mode: str) -> None:
    import docker.errors

    ctx = _context(dockerfile)
    try:
        client.images.build(
            path=ctx,
            tag=tag,
            buildargs=buildargs,
            rm=True,
            forcerm=True,
            pull=False,
            network_mode="none" if mode == "offline" else None,
            labels={"effbench.image": "1", "effbench.build": mode},
        )
    except docker.errors.BuildError as exc:
        tail = "".join(str(chunk.get("stream") or chunk.get("error") or "") for chunk in exc.build_log)[-800:]
        raise SandboxUnavailable(f"docker image build failed ({exc.msg}): {tail.strip()}") from None
    finally:
        shutil.rmtree(ctx, ignore_errors=True)


def _build_offline_base(client: Any, log: Callable[[str], None], mirror: str | None) -> str:
    tag = base_tag()
    if _has_image(client, tag):
        log(f"base {tag} is present")
        return tag
    if os.geteuid() != 0:
        raise SandboxUnavailable("offline image build: debootstrap needs root (run `effbench sandbox build` as root)")
    if not shutil.which("debootstrap"):
        raise SandboxUnavailable("offline image build: debootstrap is missing: apt-get install -y debootstrap")
    mirror = mirror or os.environ.get("EFFBENCH_DEBIAN_MIRROR") or "http://deb.debian.org/debian"
    cache = paths.cache_dir() / "debootstrap"
    cache.mkdir(parents=True, exist_ok=True)
    work = tempfile.mkdtemp(prefix="effbench-rootfs-", dir=str(paths.cache_dir()))
    try:
        root = os.path.join(work, "root")
        log(f"debootstrap bookworm from {mirror} (a few minutes)")
        done = subprocess.run(
            ["sh", os.path.join(recipe_dir(), "rootfs.sh"), root, mirror, str(cache / "debs")],
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            tail = (done.stdout + done.stderr)[-800:].strip()
            raise SandboxUnavailable(f"offline image build: rootfs.sh failed: {tail}")
        tarball = os.path.join(work, "rootfs.tar")
        subprocess.run(["tar", "--numeric-owner", "-C", root, "-cf", tarball, "."], check=True)
        repo, _, version = tag.partition(":")
        log(f"docker import as {tag}")
        client.api.import_image_from_file(tarball, repository=repo, tag=version)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return tag


def build_image(
    mode: str = "auto",
    client: Any = None,
    log: Callable[[str], None] = lambda s: None,
    mirror: str | None = None,
) -> str:
    """Build the sandbox image unless its tag is present; return the tag."""
    if mode not in MODES:
        raise SandboxUnavailable(f"unknown build mode {mode!r}; choose one of {', '.join(MODES)}")
    if client is None:
        from effbench.sandboxes.docker_engine import connect

        client = connect()
    tag = image_tag()
    if _has_image(client, tag):
        log(f"{tag} is present: nothing to build")
        return tag
    if mode == "auto":
        mode = "registry" if _registry_reachable(client) else "offline"
        log(f"build mode: {mode}")
    if mode == "registry":
        _build_layer(client, "Dockerfile", tag, {"BASE": REGISTRY_BASE}, mode)
    else:
        base = _build_offline_base(client, log, mirror)
        _build_layer(client, "Dockerfile.offline", tag, {"BASE": base}, mode)
    log(f"built {tag}")
    return tag
