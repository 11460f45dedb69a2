"""A sandbox environment that counts differently while the fingerprint says it is the same.

Issue 14's 400-item comparison of the local and Ray executors failed because the two executors'
runners were started on either side of a package install (valgrind-dbg's separate debug symbols,
installed between them, moved one expert's counts by 6 instructions per test), which no part of
the environment fingerprint records. Tests cannot install packages; they get the same kind of
difference from a ``valgrind`` wrapper first on ``PATH`` that exports one more variable before
running the real valgrind: the measured runner's environment then holds one more entry, which
moves counts by hundreds of instructions, and ``valgrind --version`` (the fingerprint's fact)
answers the same. This is how two nodes with different valgrind packagings would differ.

The wrapper lives outside ``/tmp``: the sandbox gives its runner a private ``/tmp``.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


@contextmanager
def other_node_path() -> Iterator[str]:
    """A ``PATH`` whose first ``valgrind`` is the wrapper (see the module docstring); removed after."""
    real = shutil.which("valgrind")
    if real is None:
        pytest.fail("valgrind is required for the sandbox tests (scripts/setup.sh installs it)")
    base = "/var/tmp" if os.path.isdir("/var/tmp") else str(Path.home())
    folder = tempfile.mkdtemp(prefix="effbench-other-node-", dir=base)
    try:
        os.chmod(folder, 0o755)
        wrapper = Path(folder) / "valgrind"
        wrapper.write_text(f'#!/bin/sh\nEFFBENCH_OTHER_NODE=1 exec {real} "$@"\n')
        wrapper.chmod(0o755)
        yield f"{folder}{os.pathsep}{os.environ.get('PATH', '')}"
    finally:
        shutil.rmtree(folder, ignore_errors=True)
