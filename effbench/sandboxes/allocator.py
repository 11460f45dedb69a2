"""The measured interpreter's allocator: ``sandbox/effalloc.c``, built here, preloaded in every backend.

Under an exact meter a program's count must depend only on its own operations. glibc's malloc
(which serves CPython's blocks over 512 bytes, and all of them with ``PYTHONMALLOC=malloc``) and
CPython's own small-object allocator both cost a number of instructions per call that depends on
the heap's history (which blocks are free around the one asked for), so a program that did more
could cost less than the expert (issue 14; ``benchmarks/padding_monotonicity.py``). effalloc's
calls cost a number of instructions that follows only their own arguments (see its header). The
runner's set-up step puts it in ``LD_PRELOAD`` with ``PYTHONMALLOC=malloc`` for the measured
interpreter (the runner, its workers and test children; not the set-up step).

The shared object is built once per source and compiler with the host's C compiler into the cache
folder (``effalloc-<hash>.so``) and copied into the docker image, so that the local backend, a
root filesystem exported from the image and the container run the same bytes.
"""

from __future__ import annotations

import functools
import hashlib
import os
import platform
import shutil
import subprocess
import tempfile
from pathlib import Path

from effbench import paths
from effbench.errors import SandboxUnavailable
from effbench.sandboxes import cached_object

#: the allocator's source, beside the runner
SOURCE_NAME = "effalloc.c"
#: where the docker image (and a root filesystem exported from it) holds the built allocator
ALLOCATOR_IN_IMAGE = "/opt/effbench/effalloc.so"
#: the compiler's command line (the output and source follow); -fno-builtin keeps the compiler
#: from turning the allocator's own malloc + memset into a call to calloc
CFLAGS = ("-O2", "-shared", "-fPIC", "-fno-builtin")
#: the measured interpreter's environment besides the runner's (RUNNER_ENV): every allocation
#: through malloc, none through CPython's pools and arenas, whose cost follows the heap's history
PYTHONMALLOC = "malloc"


#: the environment variable that chooses the allocator: ``effalloc`` (the default), ``glibc``
#: (the interpreter's own: glibc's malloc and CPython's pools; counts then follow the heap's
#: history, as before issue 14's fix) or ``effalloc-pymalloc`` (effalloc for what CPython's pools
#: do not take, blocks over 512 bytes; the pools' history stays). The last two are for
#: comparisons (benchmarks/allocator_cost.py, benchmarks/padding_monotonicity.py).
CHOICE_VARIABLE = "EFFBENCH_ALLOCATOR"
CHOICES = ("effalloc", "glibc", "effalloc-pymalloc")


def allocator_choice() -> str:
    """``effalloc``, ``glibc`` or ``effalloc-pymalloc``, from ``$EFFBENCH_ALLOCATOR`` (default ``effalloc``).

    Raises:
        SandboxUnavailable: for any other value (one line naming the variable).
    """
    choice = os.environ.get(CHOICE_VARIABLE, "").strip() or CHOICES[0]
    if choice not in CHOICES:
        raise SandboxUnavailable(f"{CHOICE_VARIABLE}={choice!r}: expected one of {', '.join(CHOICES)}")
    return choice


def source_path() -> Path:
    """``sandbox/effalloc.c`` (the repo's or the bundled copy)."""
    return paths.runner_path().parent / SOURCE_NAME


def _compiler() -> str:
    for name in (os.environ.get("CC") or "", "cc", "gcc"):
        found = shutil.which(name) if name else None
        if found:
            return found
    raise SandboxUnavailable(
        f"the sandbox's allocator ({source_path()}) needs a C compiler to build: install gcc (apt-get install gcc)"
    )


@functools.lru_cache(maxsize=1)
def _compiler_version(cc: str) -> str:
    out = subprocess.run([cc, "--version"], capture_output=True, text=True, timeout=60)
    return out.stdout.splitlines()[0] if out.stdout else cc


def _digest(path: Path) -> str | None:
    """SHA-256 (hex) of a file's bytes, None when it cannot be read."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


@functools.lru_cache(maxsize=1)
def built_allocator() -> Path:
    """The built shared object, compiled on first use (an atomic rename: concurrent builders agree).

    A cached object is used only if it is intact (:func:`effbench.sandboxes.cached_object.intact`);
    otherwise it is built again.

    Returns:
        the path of ``effalloc-<16 hex digits>.so`` in the cache folder, the digits a hash of the
        source, the flags, the compiler's version and the machine's architecture.

    Raises:
        SandboxUnavailable: no C compiler, the source does not compile (the compiler and its
            message), or the cache folder cannot be written (one line naming it).
    """
    source = source_path().read_bytes()
    cc = _compiler()
    facts = repr(CFLAGS) + _compiler_version(cc) + platform.machine()
    key = hashlib.sha256(source + facts.encode()).hexdigest()[:16]
    folder = paths.cache_dir() / "allocator"
    target = folder / f"effalloc-{key}.so"
    if target.is_file() and cached_object.intact(target):
        return target
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".effalloc-", suffix=".so", dir=folder)
    except OSError as exc:
        raise SandboxUnavailable(
            f"the sandbox's allocator cannot be built into {folder}: {exc.strerror or exc} "
            "(set EFFBENCH_CACHE_DIR to a writable folder)"
        ) from exc
    os.close(fd)
    try:
        out = subprocess.run([cc, *CFLAGS, "-o", tmp, str(source_path())], capture_output=True, text=True, timeout=300)
        if out.returncode != 0:
            said = (out.stderr or out.stdout).strip()[-400:] or f"exit status {out.returncode}, no message"
            raise SandboxUnavailable(f"building {source_path()} with {cc} failed: {said}")
        os.chmod(tmp, 0o444)
        cached_object.publish(tmp, target, _digest(Path(tmp)) or "")
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return target


def host_preload() -> str | None:
    """The host path of the allocator to preload, or None with ``EFFBENCH_ALLOCATOR=glibc``.

    Raises:
        SandboxUnavailable: see allocator_choice and built_allocator.
    """
    return None if allocator_choice() == "glibc" else str(built_allocator())


def image_preload() -> str | None:
    """The allocator's path in the docker image and an exported root filesystem.

    None with ``EFFBENCH_ALLOCATOR=glibc``.
    """
    return None if allocator_choice() == "glibc" else ALLOCATOR_IN_IMAGE


def preload_options(path: str | None) -> list[str]:
    """The runner's set-up options that preload ``path`` (none for None).

    ``--preload PATH``, and ``--pymalloc`` with ``EFFBENCH_ALLOCATOR=effalloc-pymalloc``.
    """
    if path is None:
        return []
    return ["--preload", path, *(["--pymalloc"] if allocator_choice() == "effalloc-pymalloc" else [])]


def allocator_fingerprint() -> str:
    """``effalloc-<16 hex digits of the built object's bytes>`` (``effalloc-pymalloc-<...>``), or ``glibc``.

    Part of the environment fingerprint, so that profiles measured under another allocator are
    not reused.

    Raises:
        SandboxUnavailable: see allocator_choice and built_allocator.
    """
    choice = allocator_choice()
    if choice == "glibc":
        return "glibc"
    return f"{choice}-" + hashlib.sha256(built_allocator().read_bytes()).hexdigest()[:16]
