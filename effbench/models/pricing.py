"""Prices per 1M input and output tokens, per model: a TOML table, editable and overridable per run.

The bundled table (``prices.toml`` beside this file) lists local models at zero cost; add your
hosted models there or pass ``--prices FILE``. A model without a price is reported in tokens only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from effbench.errors import EffbenchError
from effbench.models.model_tables import entry_for, model_entries

BUNDLED = Path(__file__).with_name("prices.toml")


@dataclass(frozen=True)
class Price:
    """A model's price: USD per 1M input (prompt) tokens and per 1M output (completion) tokens."""

    input_per_million: float
    output_per_million: float

    def cost(self, prompt_tokens: float, completion_tokens: float) -> float:
        """The money, in USD, of ``prompt_tokens`` sent and ``completion_tokens`` received."""
        return (prompt_tokens * self.input_per_million + completion_tokens * self.output_per_million) / 1e6


def load_prices(extra: Path | None = None) -> dict[str, Price]:
    """The bundled price table, overridden entry by entry by ``extra`` (``--prices FILE``).

    Both are TOML: ``[models."<name or glob>"]`` with ``input`` and ``output`` in USD per 1M tokens.

    Returns:
        Model name (or glob pattern) -> :class:`Price`.

    Raises:
        EffbenchError: naming the file (and entry) that cannot be read or lacks a numeric price.
    """
    table: dict[str, Price] = {}
    for path, model, entry in model_entries(BUNDLED, extra, "the price table"):
        table[model] = Price(*(_usd(path, model, entry, side) for side in ("input", "output")))
    return table


def _usd(path: Path, model: str, entry: object, side: str) -> float:
    """``entry[side]`` of ``models.<model>`` in ``path``: a finite price >= 0, in USD per 1M tokens.

    Raises:
        EffbenchError: naming the file and entry, when the value is missing, not a number (a
            boolean is none), not finite or negative (a cost axis must not run backwards).
    """
    value = entry.get(side) if isinstance(entry, dict) else None
    try:
        usd = float(value) if value is not None and not isinstance(value, bool) else None  # type: ignore[arg-type]
    except (TypeError, ValueError):
        usd = None
    if usd is None or not math.isfinite(usd) or usd < 0:
        raise EffbenchError(
            f"{path}: models.{model}: needs numeric 'input' and 'output' (USD per 1M tokens, finite, at least 0)"
            f"{'' if value is None else f'; {side} is {value!r}'}"
        )
    return usd


def price_of(model: str, table: dict[str, Price]) -> Price | None:
    """The price of ``model`` in ``table``: its exact name first, then the longest glob pattern that matches.

    Returns None when nothing matches (the run is then reported in tokens only).
    """
    return entry_for(model, table)
