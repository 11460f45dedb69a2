"""On-disk response cache (SQLite): one row per (model, endpoint, prompt, parameters, sample index,
round). Each answer is committed as soon as it arrives, so a crash loses nothing already answered,
and a rerun or a resumed run never asks the same question twice."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any


@dataclass
class CachedAnswer:
    text: str
    prompt_tokens: float
    completion_tokens: float
    latency_seconds: float
    finish_reason: str | None
    response_id: str
    choices_in_response: int


def answer_key(identity: dict[str, Any], sample_index: int) -> str:
    payload = json.dumps({"identity": identity, "sample": sample_index}, sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()


class ResponseCache:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS answers (key TEXT PRIMARY KEY, value TEXT NOT NULL)")

    def get(self, key: str) -> CachedAnswer | None:
        with self._lock:
            row = self._db.execute("SELECT value FROM answers WHERE key = ?", (key,)).fetchone()
        return CachedAnswer(**json.loads(row[0])) if row else None

    def put(self, key: str, answer: CachedAnswer) -> None:
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO answers VALUES (?, ?)", (key, json.dumps(asdict(answer))))

    def close(self) -> None:
        with self._lock:
            self._db.close()
