"""Where effbench finds its problems, references, in-sandbox runner and cache."""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
_REPO_DIR = PACKAGE_DIR.parent
_BUNDLED = PACKAGE_DIR / "_bundled"


def _data_dir(name: str) -> Path:
    """A top-level data folder: the repository's in a checkout, the bundled copy in a wheel."""
    for base in (_REPO_DIR, _BUNDLED):
        if (base / name).is_dir():
            return base / name
    raise FileNotFoundError(f"effbench data folder {name!r} not found next to {PACKAGE_DIR}")


def problems_dir() -> Path:
    """The bundled problem set's folder."""
    return _data_dir("problems")


def references_dir() -> Path:
    """The bundled references' folder."""
    return _data_dir("references")


def runner_path() -> Path:
    """The in-sandbox runner, ``sandbox/runner.py``."""
    return _data_dir("sandbox") / "runner.py"


def cache_dir() -> Path:
    """The cache folder: ``$EFFBENCH_CACHE_DIR``, else ``$XDG_CACHE_HOME/effbench``, else ``~/.cache/effbench``."""
    base = os.environ.get("EFFBENCH_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "effbench"
    )
    return Path(base)
