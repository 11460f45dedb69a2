"""On-disk response cache (SQLite), one row per (model identity, prompt, parameters, sample index, round).

The key never contains the server's address: the same model restarted on another port (or
served by another host) answers from the same cache. Each answer is committed as soon as it
arrives, so a crash loses nothing already answered, and a rerun or a resumed run never asks the
same question twice. The attempts abandoned for a sample not yet answered are committed too
(table ``pending``), so that a run resumed after the server or effbench died still accounts what
they cost, in the answer that finally comes.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from effbench.errors import EffbenchError


@dataclass
class CachedAnswer:
    """One sample's answer and what obtaining it cost.

    ``prompt_tokens`` and ``completion_tokens`` (tokens) are this sample's share of the answered
    request's usage; ``latency_seconds`` runs from when the request was sent (not queued) to its
    last byte. ``attempts`` lists every HTTP attempt made for this sample, the answered one last,
    each a dict ``{outcome: "answered"|"abandoned", reason, prompt_tokens, completion_tokens,
    seconds, first_byte_seconds, usage_from_server, share}`` (tokens already divided by ``share``,
    the number of samples the request was for). ``usage_from_server`` is false when the server
    streamed no usage and the tokens were counted by the client (see ``client.py``).
    """

    text: str
    prompt_tokens: float
    completion_tokens: float
    latency_seconds: float
    finish_reason: str | None
    response_id: str
    choices_in_response: int
    attempts: list[dict[str, Any]] = field(default_factory=list)
    usage_from_server: bool = True
    first_byte_seconds: float | None = None


_FIELDS = {f.name for f in fields(CachedAnswer)}


def _answer_of(value: str) -> CachedAnswer | None:
    """The answer a row holds, or None when it holds none that can be used.

    A row that is not JSON, not an object, or whose text or token counts are not of their type
    (a damaged file, a row written by hand) is a miss: the sample is asked again, never scored
    from a broken answer nor ended in a traceback.
    """
    try:
        data = json.loads(value)
    except ValueError:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("text"), str):
        return None
    counts = (data.get("prompt_tokens"), data.get("completion_tokens"), data.get("latency_seconds"))
    if not all(isinstance(x, (int, float)) and not isinstance(x, bool) and x >= 0 for x in counts):
        return None
    if not isinstance(data.get("attempts", []), list):
        return None
    try:
        return CachedAnswer(**{k: v for k, v in data.items() if k in _FIELDS})
    except TypeError:  # a field missing
        return None


def answer_key(identity: dict[str, Any], sample_index: int) -> str:
    """The cache key (hex SHA-256) of one sample of one request identity (``Query.identity``)."""
    payload = json.dumps({"identity": identity, "sample": sample_index}, sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()


def _unusable(path: Path, exc: BaseException) -> EffbenchError:
    """One line for a response cache that cannot be opened or written (not a database, full disk)."""
    reason = getattr(exc, "strerror", None) or str(exc)
    return EffbenchError(
        f"{path}: the response cache cannot be used: {reason}: make room, or move the file aside (answers it held "
        "are requested again; EFFBENCH_CACHE_DIR picks another folder)"
    )


class ResponseCache:
    """A thread-safe SQLite table of :class:`CachedAnswer` by :func:`answer_key`."""

    def __init__(self, path: Path) -> None:
        """Open (or create) the cache database at ``path``, in WAL mode; its folder is created too.

        Raises EffbenchError naming ``path`` when it cannot be opened (not a database, no room...).
        """
        self.path = path
        self._lock = threading.Lock()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("CREATE TABLE IF NOT EXISTS answers (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
            self._db.execute("CREATE TABLE IF NOT EXISTS pending (key TEXT NOT NULL, value TEXT NOT NULL)")
            self._db.execute("CREATE INDEX IF NOT EXISTS pending_by_key ON pending (key)")
        except (OSError, sqlite3.Error) as exc:
            raise _unusable(path, exc) from None

    def get(self, key: str) -> CachedAnswer | None:
        """The answer stored under ``key``, or None."""
        with self._lock:
            row = self._db.execute("SELECT value FROM answers WHERE key = ?", (key,)).fetchone()
        if not row:
            return None
        return _answer_of(row[0])

    def put(self, key: str, answer: CachedAnswer) -> None:
        """Store (or replace) one answer, committed at once.

        The attempts pending under ``key`` are removed (``answer.attempts`` holds them now).
        """
        with self._lock:
            try:
                self._db.execute("BEGIN")
                self._db.execute("INSERT OR REPLACE INTO answers VALUES (?, ?)", (key, json.dumps(asdict(answer))))
                self._db.execute("DELETE FROM pending WHERE key = ?", (key,))
                self._db.execute("COMMIT")
            except sqlite3.Error as exc:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise _unusable(self.path, exc) from None

    def add_pending(self, key: str, attempt: dict[str, Any]) -> None:
        """Record an attempt abandoned for the sample under ``key`` (not answered yet), committed at once.

        ``attempt``: a JSON object (an entry of :attr:`CachedAnswer.attempts`).
        """
        with self._lock:
            try:
                self._db.execute("INSERT INTO pending VALUES (?, ?)", (key, json.dumps(attempt)))
            except sqlite3.Error as exc:
                raise _unusable(self.path, exc) from None

    def pending(self, key: str) -> list[dict[str, Any]]:
        """The attempts abandoned for the sample under ``key`` and not yet part of an answer, oldest first."""
        with self._lock:
            rows = self._db.execute("SELECT value FROM pending WHERE key = ? ORDER BY rowid", (key,)).fetchall()
        out = []
        for (value,) in rows:
            try:
                entry = json.loads(value)
            except ValueError:
                continue
            if isinstance(entry, dict):
                out.append(entry)
        return out

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._db.close()
