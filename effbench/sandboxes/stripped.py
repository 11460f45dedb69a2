"""The measured interpreter's libpython without debug information, under the valgrind meter.

When a child exits, cachegrind writes one count per source line (or per function, or per
object) of every piece of code it ran, including what the runner ran before forking it: with
pyenv's libpython, which carries its debug line tables (23 MB, 42,000 lines run), that dump was
about 40% of a null test's CPU time, and valgrind 3.19 cannot skip it (docs/performance.md, "Debian's
interpreter"). So when the interpreter candidates run on loads a libpython that carries debug
sections or a symbol table, the local backend loads a stripped copy of it instead
(``strip --strip-all``: cachegrind's table then has one row per object), through
``LD_LIBRARY_PATH`` (the set-up step installs the copy beside the runner: ``--library`` in
sandbox/runner.py). The interpreter's binary, its prefixes, ``sys.path`` and standard library
are the original's; only the library file differs, and its loaded segments (every byte the
process maps) are checked to be byte-identical to the original's before the copy is used.

The copy is made once per original (keyed by the SHA-256 of its bytes and the strip mode) in
the cache folder, ``interpreters/<key>/<soname>``, with its digest recorded beside it
(``<soname>.sha256``); a copy whose bytes do not match its record (truncated, overwritten, left
by a build that did not finish), or that still has the sections its mode removes, is made
again. The runner's set-up step installs only the bytes checked here (their SHA-256 goes with
``--library-sha256``): a copy swapped after the check stops the runner's start, never runs.
Concurrent builders agree (each writes temporary files and renames them in place; one search at
a time in a process). Without ``strip`` (binutils) the original is used,
said once.

Counts move a little with the copy (the library's path and ``LD_LIBRARY_PATH`` are in the
runner's environment and memory), as with any change of environment: the fingerprint records
which library the measured interpreter loads (:func:`fingerprint`). The time and perf meters
run the original (a native fork reads no line tables), and so do docker and ``--rootfs``, whose
interpreter is Debian's stripped ``/usr/bin/python3.11``.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import shutil
import struct
import subprocess
import tempfile
import threading
from pathlib import Path

from effbench import paths
from effbench.sandboxes import cached_object

log = logging.getLogger("effbench.sandboxes")

#: the environment variable that chooses the copy: ``all`` (the default: ``strip --strip-all``,
#: no symbol table, cachegrind's table per object), ``debug`` (``--strip-debug``: the symbol
#: table stays, the table is per function) or ``none`` (the original library, for comparisons:
#: benchmarks/meter_overhead.py before and after)
CHOICE_VARIABLE = "EFFBENCH_STRIP"
CHOICES = ("all", "debug", "none")

#: how long ``strip`` may take (seconds; pyenv's 23 MB library takes well under one): past it
#: the original is used, said once
STRIP_TIMEOUT_SECONDS = 300

_PT_LOAD = 1
#: the ELF header's fields that locate the section table (e_shoff, then e_shnum and e_shstrndx),
#: as file offsets: mapped with the first segment but never read when loading, and changed by
#: every strip (the table moves); loaded_segments compares the rest
_SECTION_TABLE_FIELDS = ((40, 48), (60, 64))


class NotELF(ValueError):
    """The file is not a 64-bit little-endian ELF object this module can read."""


def _elf_header(data: bytes) -> tuple[int, int, int, int, int, int, int]:
    """(e_phoff, e_shoff, e_phentsize, e_phnum, e_shentsize, e_shnum, e_shstrndx) of a 64-bit LE ELF."""
    if len(data) < 64 or data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        raise NotELF("not a 64-bit little-endian ELF file")
    phoff, shoff = struct.unpack_from("<QQ", data, 32)
    phentsize, phnum, shentsize, shnum, shstrndx = struct.unpack_from("<HHHHH", data, 54)
    return phoff, shoff, phentsize, phnum, shentsize, shnum, shstrndx


def section_names(data: bytes) -> list[str]:
    """The section names of an ELF file's bytes (``.text``, ``.debug_line``, ``.symtab``, ...).

    Raises:
        NotELF: for anything but a 64-bit little-endian ELF file, or a malformed section table.
    """
    _, shoff, _, _, shentsize, shnum, shstrndx = _elf_header(data)
    try:
        headers = [struct.unpack_from("<IIQQQQ", data, shoff + i * shentsize) for i in range(shnum)]
        strtab_offset, strtab_size = headers[shstrndx][4], headers[shstrndx][5]
    except (struct.error, IndexError) as exc:
        raise NotELF(f"malformed section table: {exc}") from None
    strtab = data[strtab_offset : strtab_offset + strtab_size]
    names = []
    for name_offset, *_ in headers:
        end = strtab.find(b"\0", name_offset)
        names.append(strtab[name_offset : end if end >= 0 else None].decode("latin-1"))
    return names


def has_debug_information(data: bytes) -> bool:
    """Whether an ELF file's bytes carry debug sections (``.debug_*``, ``.zdebug_*``) or a ``.symtab``.

    Raises:
        NotELF: see section_names.
    """
    return any(_removed_by("all", n) for n in section_names(data))


def _removed_by(mode: str, name: str) -> bool:
    """Whether ``strip --strip-<mode>`` (``all`` or ``debug``) removes the section called ``name``."""
    return name.startswith((".debug_", ".zdebug_")) or (mode == "all" and name == ".symtab")


def loaded_segments(data: bytes) -> list[tuple[tuple[int, ...], bytes]]:
    """Every ``PT_LOAD`` segment of an ELF file: (its program header's fields, its file bytes).

    What the dynamic loader maps: two files with the same list run the same code on the same data.
    The ELF header's fields that locate the section table (in the first segment, never read
    when loading; every strip moves the table) read as zeros.

    Raises:
        NotELF: see section_names.
    """
    phoff, _, phentsize, phnum, _, _, _ = _elf_header(data)
    out = []
    for i in range(phnum):
        try:
            header = struct.unpack_from("<IIQQQQQQ", data, phoff + i * phentsize)
        except struct.error as exc:
            raise NotELF(f"malformed program header table: {exc}") from None
        if header[0] == _PT_LOAD:
            offset, filesz = header[2], header[5]
            segment = bytearray(data[offset : offset + filesz])
            for start, end in _SECTION_TABLE_FIELDS:
                if offset <= start and end <= offset + filesz:
                    segment[start - offset : end - offset] = bytes(end - start)
            out.append((header, bytes(segment)))
    return out


def strip_choice() -> str:
    """``all``, ``debug`` or ``none``, from ``$EFFBENCH_STRIP`` (default ``all``, any case).

    Any other value is ``all``, and a warning on the ``effbench.sandboxes`` logger says so once
    per process and value (a mistyped ``none`` would otherwise measure the copy silently, and a
    comparison of the two would find no difference). Never raises.
    """
    given = os.environ.get(CHOICE_VARIABLE, "").strip()
    choice = given.lower()
    if choice in CHOICES:
        return choice
    if given and given not in _unknown_said:
        _unknown_said.add(given)
        log.warning(
            "%s=%r is not one of %s: strip --strip-%s is used",
            CHOICE_VARIABLE,
            given,
            ", ".join(CHOICES),
            CHOICES[0],
        )
    return CHOICES[0]


#: the unknown ``$EFFBENCH_STRIP`` values already warned about in this process
_unknown_said: set[str] = set()


@functools.lru_cache(maxsize=8)
def shared_library_of(python: str) -> str | None:
    """The libpython shared object the interpreter ``python`` maps (its real path), or None.

    None for an interpreter linked statically (Debian's), or one that does not start.
    """
    script = (
        "import os\n"
        "for line in open('/proc/self/maps'):\n"
        "    f = line.split(None, 5)\n"
        "    if len(f) == 6 and os.path.basename(f[5].strip()).startswith('libpython'):\n"
        "        print(os.path.realpath(f[5].strip())); break\n"
    )
    try:
        out = subprocess.run([python, "-I", "-S", "-c", script], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return None
    found = out.stdout.strip()
    return found if out.returncode == 0 and found else None


def _binary_has_debug_information(python: str) -> bool:
    try:
        return has_debug_information(Path(python).read_bytes())
    except (OSError, NotELF):
        return False


_said: set[str] = set()


def _fall_back(why: str) -> None:
    """Say once per process (a warning on the ``effbench.sandboxes`` logger) why the original is used."""
    if why not in _said:
        _said.add(why)
        log.warning("valgrind meter: the measured interpreter's own library is used (%s)", why)


def _make_copy(original: Path, data: bytes, target: Path, mode: str, strip: str) -> None:
    """Strip ``original`` (whose bytes are ``data``) into ``target``, atomically (``cached_object.publish``).

    Raises:
        OSError: the folder cannot be written, ``strip`` failed or timed out, or the copy's loaded segments
            differ from the original's (then nothing is left at ``target``).
    """
    folder = target.parent
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".strip-", suffix=".tmp", dir=folder)
    os.close(fd)
    try:
        try:
            done = subprocess.run(
                [strip, f"--strip-{mode}", "-o", tmp, str(original)],
                capture_output=True,
                text=True,
                timeout=STRIP_TIMEOUT_SECONDS,
            )
        except subprocess.TimeoutExpired:
            raise OSError(f"{strip} --strip-{mode} {original}: no answer in {STRIP_TIMEOUT_SECONDS} s") from None
        if done.returncode != 0:
            said = (done.stderr or done.stdout).strip()[-300:] or f"exit status {done.returncode}"
            raise OSError(f"{strip} --strip-{mode} {original}: {said}")
        copy = Path(tmp).read_bytes()
        if loaded_segments(copy) != loaded_segments(data):
            raise OSError(f"{strip} changed the loaded segments of {original}")
        os.chmod(tmp, 0o555)
        cached_object.publish(tmp, target, hashlib.sha256(copy).hexdigest())
    except NotELF as exc:
        raise OSError(f"{original}: {exc}") from None
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def stripped_library(python: str) -> str | None:
    """The path of the stripped copy of ``python``'s libpython to load instead, or None.

    None (the original is loaded) when ``$EFFBENCH_STRIP`` is ``none``, the interpreter has no
    shared libpython (a statically linked binary with debug information is said once: not
    stripped, since a copy of the binary would need a prefix of its own), its libpython carries
    neither debug sections nor a symbol table, or no copy can be made (no ``strip``, a cache
    folder that cannot be written, a strip that changed the loaded code: said once).

    Found (or made) once per process for each interpreter, strip mode and cache folder.

    Args:
        python: the interpreter's real path (``meters.sandbox_python()``).
    """
    found = _stripped_library(python, strip_choice(), str(paths.cache_dir()))
    return found[0] if found else None


def forget() -> None:
    """Forget the copies this process found (the next call looks in the cache folder again)."""
    _find_or_make.cache_clear()


#: one search (or build) at a time in this process: a pool starts its runners from parallel
#: threads, and two builders here once shared a temporary record's name, one of them failing
#: and starting its runner on the original library (counts 20-265 instructions apart)
_lock = threading.Lock()


def _stripped_library(python: str, mode: str, cache: str) -> tuple[str, str] | None:
    """(the copy's path, the SHA-256 of the bytes checked there), or None (see stripped_library)."""
    with _lock:
        return _find_or_make(python, mode, cache)


@functools.lru_cache(maxsize=8)
def _find_or_make(python: str, mode: str, cache: str) -> tuple[str, str] | None:
    if mode == "none":
        return None
    library = shared_library_of(python)
    if library is None:
        if _binary_has_debug_information(python):
            _fall_back(
                f"{python} is linked statically and carries debug information or symbols, which this "
                "version does not strip: cachegrind's dump at each test's exit costs more; an "
                "interpreter built with --enable-shared, or stripped, avoids it"
            )
        return None
    original = Path(library)
    try:
        data = original.read_bytes()
        if not has_debug_information(data):
            return None
    except (OSError, NotELF):
        return None
    key = f"{hashlib.sha256(data).hexdigest()[:16]}-{mode}"
    target = Path(cache) / "interpreters" / key / original.name
    digest = _usable(target, data, mode)
    if digest:
        return str(target), digest
    strip = shutil.which("strip")
    if strip is None:
        _fall_back("strip is not installed: apt-get install binutils")
        return None
    try:
        _make_copy(original, data, target, mode, strip)
    except OSError as exc:
        _fall_back(f"no stripped copy of {original} in {target.parent}: {exc}")
        return None
    digest = _usable(target, data, mode)
    if not digest:
        _fall_back(f"the copy {strip} made in {target.parent} is not one to load (sections left, or changed since)")
        return None
    return str(target), digest


def _usable(target: Path, original: bytes, mode: str) -> str | None:
    """The SHA-256 (hex) of ``target``'s bytes if it is a copy to load, else None.

    A copy to load is intact, maps exactly the bytes ``original`` maps and has none of the
    sections ``strip --strip-<mode>`` removes.

    The digest is of the bytes read here, once: the runner's set-up step refuses any other
    bytes at that path (``--library-sha256``), so what is checked is what is installed.
    """
    found = cached_object.read_intact(target)
    if found is None:
        return None
    data, digest = found
    try:
        if loaded_segments(data) != loaded_segments(original):
            return None
        left = [n for n in section_names(data) if _removed_by(mode, n)]
    except NotELF:
        return None
    return None if left else digest


def setup_options(meter_name: str, python: str, rootfs: str | None) -> list[str]:
    """The runner set-up step's options that load the stripped copy, or none.

    ``--library PATH --library-sha256 HEX``: the set-up step installs only the bytes checked here.

    Only under the valgrind meter on this machine's interpreter (not ``--rootfs``).
    """
    if meter_name != "valgrind" or rootfs is not None:
        return []
    found = _stripped_library(python, strip_choice(), str(paths.cache_dir()))
    return ["--library", found[0], "--library-sha256", found[1]] if found else []


def fingerprint(meter_name: str, backend: str, python: str, rootfs: str | None) -> dict[str, str]:
    """``{"library": ...}`` for the environment fingerprint: what the measured interpreter loads.

    ``original`` or ``strip-<mode> <soname>`` for the local backend under valgrind, nothing
    otherwise (other backends and meters run the original). Counts differ between the two (the
    library's path is in the runner's environment and memory).
    """
    if meter_name != "valgrind" or backend != "local" or rootfs is not None:
        return {}
    copy = stripped_library(python)
    return {"library": f"strip-{strip_choice()} {os.path.basename(copy)}" if copy else "original"}
