"""Per-model TOML tables: a bundled file, overridden entry by entry by a user's file.

Both the price table (:mod:`effbench.models.pricing`, ``--prices FILE``) and the model facts
(:mod:`effbench.models.costs`, ``--model-facts FILE``) are such tables: ``[models."<name or
glob>"]`` entries, looked up by the model's exact name first, then by the longest glob pattern
that matches.
"""

from __future__ import annotations

import fnmatch
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TypeVar

from effbench.errors import EffbenchError

T = TypeVar("T")


def model_entries(bundled: Path, extra: Path | None, what: str) -> Iterator[tuple[Path, str, Any]]:
    """``(file, model name or glob, entry)`` of ``bundled``'s ``models`` table, then ``extra``'s.

    Args:
        bundled: the table shipped beside the module.
        extra: the user's table (entries read later override earlier ones), or None.
        what: what the table holds, for messages (``the price table``, ``the model facts``).

    Raises:
        EffbenchError: naming the file, when it cannot be read, is not UTF-8 TOML, or its ``models``
            is not a table.
    """
    for path in [bundled, *([extra] if extra else [])]:
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except UnicodeDecodeError as exc:
            raise EffbenchError(f"{path}: cannot read {what}: not UTF-8 text ({exc.reason})") from None
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise EffbenchError(f"{path}: cannot read {what}: {exc}") from None
        models = data.get("models", {})
        if not isinstance(models, dict):
            raise EffbenchError(f'{path}: models: must be a table of [models."<name or glob>"] entries')
        for model, entry in models.items():
            yield path, model, entry


def entry_for(model: str, table: dict[str, T]) -> T | None:
    """``table``'s entry for ``model``: its exact name first, then the longest matching glob pattern.

    Returns None when nothing matches.
    """
    if model in table:
        return table[model]
    matches = [p for p in table if fnmatch.fnmatch(model, p)]
    return table[max(matches, key=len)] if matches else None


__all__ = ["entry_for", "model_entries"]
