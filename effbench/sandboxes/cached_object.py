"""Shared objects effbench makes once into its cache folder: published atomically, checked before use.

The sandbox's allocator (:mod:`effbench.sandboxes.allocator`) and the stripped libpython
(:mod:`effbench.sandboxes.stripped`) are built into the cache folder and loaded by every runner.
Each is written to a temporary file and published by renames, with the SHA-256 of its bytes
recorded beside it (``<name>.sha256``); a copy whose bytes are not those recorded (truncated,
overwritten, left by a build that did not finish) is never used: the loader would refuse it,
crash on it, or run code that is not what was built.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path


def record_of(target: Path) -> Path:
    """Where the SHA-256 of ``target``'s bytes is recorded: ``<name>.sha256`` beside it."""
    return target.with_name(target.name + ".sha256")


def read_intact(target: Path) -> tuple[bytes, str] | None:
    """``(bytes, SHA-256 hex)`` of ``target`` if intact, else None (missing, unreadable, not what was built).

    Intact: an ELF file whose bytes are those recorded beside it.

    The digest is of the bytes returned, read once: a caller that passes it on (the runner's
    ``--library-sha256``) names exactly the bytes it checked.
    """
    try:
        data = target.read_bytes()
        recorded = record_of(target).read_text().strip()
    except (OSError, UnicodeDecodeError):
        return None
    digest = hashlib.sha256(data).hexdigest()
    return (data, digest) if data[:4] == b"\x7fELF" and digest == recorded else None


def intact(target: Path) -> bool:
    """Whether ``target`` is an ELF file whose bytes are those recorded beside it (see :func:`read_intact`)."""
    return read_intact(target) is not None


def publish(tmp: str, target: Path, digest: str) -> None:
    """Publish the finished file ``tmp`` (in ``target``'s folder) as ``target``, recording ``digest``.

    The record is written to a temporary file of its own (``mkstemp``: two builders in one
    process, on two threads, never share its name) and renamed in place before the object is, so
    a reader never finds the new object with no record: concurrent builders agree.

    Raises:
        OSError: the folder cannot be written (the temporary record is removed).
    """
    fd, record = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".sha256.tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "w") as out:
            out.write(digest)
        os.replace(record, record_of(target))
    finally:
        if os.path.exists(record):
            os.unlink(record)
    os.replace(tmp, target)
