"""The sandbox image's files as a folder: the local backend's ``rootfs`` (no engine at run time).

Instruction counts depend on every file the interpreter touches (the shared libraries' sizes set
the address layout, the standard library's listing and locale files shape the heap), so the
``local`` backend on this machine's own files and the ``docker`` backend on the image's files
differ by tens to thousands of instructions per test. ``export_rootfs`` unpacks the image
(``docker export`` of a created, never started container) into an export folder, by default
``<cache>/rootfs/<hash>``::

    tree/                   the image's files
    empty/                  an empty layer: the tree is mounted as a two-layer read-only overlay,
                            both layers on one file system, as a container's layers are
    .effbench-rootfs.json   the image's tag and id, written last

The local backend with ``rootfs=`` then runs the image's valgrind and interpreter in its
namespaces, laid out like the container (read-only overlay, tmpfs ``/dev`` and ``/tmp``, user
nobody when started by root), and counts agree with the docker backend to the instruction.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tarfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from effbench import paths
from effbench.errors import SandboxUnavailable
from effbench.sandboxes.protocol import SANDBOX_PYTHON

#: written last: a folder without it is an interrupted export
MARKER = ".effbench-rootfs.json"


def default_dir(tag: str) -> Path:
    """The cache's export folder for image ``tag``: ``<cache>/rootfs/<the tag's hash>``."""
    return paths.cache_dir() / "rootfs" / tag.rsplit(":", 1)[-1]


def python_in(root: str | os.PathLike[str]) -> Path:
    """Where an export folder holds the sandbox interpreter."""
    return Path(root) / "tree" / SANDBOX_PYTHON.lstrip("/")


def describe(root: str | os.PathLike[str]) -> dict[str, Any] | None:
    """What an exported folder was made from (image tag and id), or None if it is not one."""
    try:
        return json.loads((Path(root) / MARKER).read_text())
    except (OSError, ValueError):
        return None


class _Stream:
    """A file-like reader over the chunks of ``docker export``."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._chunk = b""
        self._pos = 0

    def read(self, n: int = -1) -> bytes:
        parts = []
        while n != 0:
            if self._pos >= len(self._chunk):
                self._chunk, self._pos = next(self._chunks, b""), 0
                if not self._chunk:
                    break
            take = len(self._chunk) - self._pos if n < 0 else min(n, len(self._chunk) - self._pos)
            parts.append(self._chunk[self._pos : self._pos + take])
            self._pos += take
            if n > 0:
                n -= take
        return b"".join(parts)


def _members(tar: tarfile.TarFile) -> Iterator[tarfile.TarInfo]:
    for member in tar:
        # device nodes come from the host at run time (the set-up step binds them)
        if not (member.ischr() or member.isblk() or member.isfifo()):
            yield member


#: an export of another image is removed from the cache once unused for this long (seconds)
STALE_AFTER_SECONDS = 24 * 3600


def mark_used(root: str | os.PathLike[str]) -> None:
    """Record that the export ``root`` is in use now (its marker's modification time).

    :func:`export_rootfs` (when it finds the export there) and the local backend's ``rootfs``
    (:func:`effbench.sandboxes.local.check_rootfs`) call it, so that another checkout exporting
    another image (a runner change moves the image's tag) never removes an export in use.
    A folder without a marker is left as it is.
    """
    with contextlib.suppress(OSError):
        os.utime(Path(root) / MARKER)


def _remove_stale_exports(keep: Path) -> None:
    """Remove other images' exports unused for STALE_AFTER_SECONDS, and interrupted exports.

    The cache kept one export and removed every other at once: a second checkout of effbench
    (another runner, so another image tag) exporting its own image removed the first one's
    export while its tests ran on it (a CI run's 31 rootfs tests failed so, 2026-12-01).
    """
    if not keep.parent.is_dir():
        return
    now = time.time()
    for folder in keep.parent.iterdir():
        if folder == keep or not folder.is_dir():
            continue
        _, _, pid = folder.name.partition(".partial-")
        abandoned = bool(pid) and pid.isdigit() and not os.path.exists(f"/proc/{pid}")
        try:
            unused = now - (folder / MARKER).stat().st_mtime > STALE_AFTER_SECONDS
        except OSError:
            unused = False
        if (describe(folder) is not None and unused) or abandoned:
            shutil.rmtree(folder, ignore_errors=True)


def _stamp_directory_atimes(tree: Path) -> None:
    """Give every directory an access time with nanoseconds, as the image's layers have once read.

    It matters to the instruction: ``os.stat`` makes an int of each time's nanoseconds, CPython
    caches ints up to 256, and the import system stats the folders it searches, so a tar's
    whole-second times (nanoseconds 0) would make each import cheaper here than in the container
    by an int allocation per folder. Each directory's access time becomes its modification time
    plus 500,000,000 ns.
    """
    for folder, dirs, _files in os.walk(tree):
        for name in [".", *dirs]:
            path = os.path.join(folder, name)
            if not os.path.islink(path):
                st = os.lstat(path)
                os.utime(path, ns=(st.st_mtime_ns + 500_000_000, st.st_mtime_ns), follow_symlinks=False)


def export_rootfs(
    tag: str | None = None,
    dest: str | os.PathLike[str] | None = None,
    client: Any = None,
    log: Callable[[str], None] = lambda s: None,
) -> Path:
    """Unpack the sandbox image ``tag`` into ``dest``, unless ``dest`` holds that export already.

    The files are unpacked into a ``.partial-<pid>`` sibling renamed into place at the end, so an
    interrupted export leaves no folder that looks complete. With the default ``dest``, older
    exports in the cache are removed first.

    Args:
        tag: the image (default: the current ``image_tag()``).
        dest: the export folder (default: ``default_dir(tag)``).
        client: a Docker SDK client (default: ``connect()``).
        log: called with one line of progress at a time.

    Returns:
        The export folder.

    Raises:
        SandboxUnavailable: when ``dest`` holds something else, the image is missing, or the
            Docker engine cannot be reached (``DockerUnavailable``).
    """
    from effbench.sandboxes.docker_image import _has_image, image_tag

    tag = tag or image_tag()
    root = Path(dest) if dest is not None else default_dir(tag)
    if dest is None:
        _remove_stale_exports(root)
    facts = describe(root)
    if facts is not None and facts.get("image") == tag:
        log(f"{root} holds {tag}: nothing to export")
        mark_used(root)
        return root
    if root.exists() and any(root.iterdir()):
        raise SandboxUnavailable(f"{root} exists and is not an export of {tag}: remove it or pick another folder")
    if client is None:
        from effbench.sandboxes.docker import connect

        client = connect()
    if not _has_image(client, tag):
        raise SandboxUnavailable(f"{tag} is missing: build it with `effbench sandbox build`")
    partial = root.with_name(f"{root.name}.partial-{os.getpid()}")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    container = client.containers.create(tag, entrypoint=["/bin/true"], network_disabled=True)
    try:
        log(f"exporting {tag} to {root}")
        with tarfile.open(fileobj=_Stream(iter(container.export(chunk_size=1 << 20))), mode="r|") as tar:
            # "tar" keeps absolute symlinks (the image has some) and drops set-uid bits
            options = {"filter": "tar"} if hasattr(tarfile, "tar_filter") else {}
            tar.extractall(partial / "tree", members=_members(tar), numeric_owner=True, **options)
        (partial / "empty").mkdir()
        _stamp_directory_atimes(partial / "tree")
        image = client.images.get(tag)
        (partial / MARKER).write_text(json.dumps({"image": tag, "image_id": image.id}) + "\n")
        root.parent.mkdir(parents=True, exist_ok=True)
        if root.exists():
            root.rmdir()  # empty (checked above)
        partial.rename(root)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    finally:
        container.remove(force=True)
    return root
