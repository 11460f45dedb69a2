"""On-disk cache of expert profiles, keyed by problem version + environment fingerprint + meter.

A profile is only reused when every fact that could change the expert's cost is the same: the
problem's content hash, the meter and its version, the sandbox interpreter, the runner's hash.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from pathlib import Path
from typing import Any


class ReferenceCache:
    """Expert profiles as JSON files in one folder, one per key; writes are atomic."""

    def __init__(self, directory: Path) -> None:
        """Use ``directory`` (created on the first write)."""
        self.directory = Path(directory)

    def _path(self, key: dict) -> Path:
        digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:32]
        # imported problems keep their published ids ("HumanEval/0"): no path separator in a name
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", str(key.get("problem", "problem")))
        return self.directory / f"{name}-{digest}.json"

    def get(self, key: dict) -> dict[str, Any] | None:
        """The value stored under exactly ``key``, or None (missing, unreadable or another key)."""
        path = self._path(key)
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError):
            return None
        if not isinstance(data, dict) or data.get("key") != key:
            return None
        return data.get("value")

    def put(self, key: dict, value: dict[str, Any]) -> bool:
        """Store ``value`` under ``key`` (JSON-able dicts), atomically.

        Returns False, storing nothing and leaving no temporary file, when the folder cannot be
        written (a full disk, a read-only or missing place): a cache that cannot be written only
        costs the time of measuring again, it never fails the run that measured.
        """
        tmp = None
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".tmp-")
            with os.fdopen(fd, "w") as f:
                json.dump({"key": key, "value": value}, f)
            os.replace(tmp, self._path(key))
        except OSError:
            if tmp is not None:
                Path(tmp).unlink(missing_ok=True)
            return False
        return True
