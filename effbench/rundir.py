"""Run directories: ``config.json``, ``samples.jsonl`` (one record per sample, appended as it is
scored, so an interrupted run resumes where it stopped) and ``summary.json``."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any

from effbench.engine import SampleRecord
from effbench.errors import EffbenchError

CONFIG, RECORDS, SUMMARY = "config.json", "samples.jsonl", "summary.json"
#: config keys that must match for a run directory to be resumed
RESUME_KEYS = ("problem_set_hash", "meter", "fingerprint", "alpha", "samples_hash")


def _atomic_write(path: Path, data: Any) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    os.replace(tmp, path)


class RunDir:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()

    @property
    def exists(self) -> bool:
        return (self.path / CONFIG).is_file()

    def config(self) -> dict:
        try:
            return json.loads((self.path / CONFIG).read_text())
        except (OSError, ValueError) as exc:
            raise EffbenchError(f"{self.path}: not a run directory ({CONFIG} unreadable: {exc})") from None

    def open(self, config: dict) -> set[tuple[str, str, int]]:
        """Create the directory, or check it can be resumed. Returns the samples already done."""
        if self.exists:
            old = self.config()
            for key in RESUME_KEYS:
                if old.get(key) != config.get(key):
                    raise EffbenchError(
                        f"{self.path}: cannot resume: {key} differs from this run's (use another --run-dir)"
                    )
            self._drop_torn_tail()
            return {(r.model, r.problem_id, r.sample_index) for r in self.records()}
        if self.path.exists() and any(self.path.iterdir()):
            raise EffbenchError(f"{self.path}: exists and is not an effbench run directory")
        self.path.mkdir(parents=True, exist_ok=True)
        _atomic_write(self.path / CONFIG, config)
        return set()

    def _drop_torn_tail(self) -> None:
        """A crash mid-write leaves a last line without its newline: cut it (that sample re-runs)."""
        path = self.path / RECORDS
        if not path.is_file():
            return
        data = path.read_bytes()
        if data and not data.endswith(b"\n"):
            with path.open("r+b") as f:
                f.truncate(data.rfind(b"\n") + 1)

    def append(self, record: SampleRecord) -> None:
        line = json.dumps(record.to_json(), separators=(",", ":")) + "\n"
        with self._lock, (self.path / RECORDS).open("a") as f:
            f.write(line)
            f.flush()
            os.fsync(f.fileno())

    def records(self) -> list[SampleRecord]:
        path = self.path / RECORDS
        if not path.is_file():
            return []
        out = []
        for lineno, line in enumerate(path.read_text().splitlines(), 1):
            if not line.strip():
                continue
            try:
                out.append(SampleRecord.from_json(json.loads(line)))
            except (ValueError, TypeError, KeyError):
                # a line cut short by a crash: that sample simply runs again on resume
                if lineno != len(path.read_text().splitlines()):
                    raise EffbenchError(f"{path}:{lineno}: corrupt record") from None
        return out

    def write_summary(self, summary: dict) -> None:
        _atomic_write(self.path / SUMMARY, summary)
