"""What one model sample cost, on the five cost axes of ``effbench curves --cost`` (issue 15 item 3).

The axes: tokens, money (USD), generation seconds, compute (FLOPs) and memory traffic (bytes).

Every axis counts every HTTP attempt of the sample (``meta.attempts``: the answered one and the
abandoned ones), each attempt's share when one request carried several samples.

- ``tokens``: prompt + completion tokens (``meta.usage``, abandoned attempts included).
- ``usd``: ``meta.usage.cost_usd`` (the price table's money; None without a price).
- ``seconds``: generation latency, the sum over attempts of the seconds from sending the request
  to its last byte, divided by the samples the request carried: the server time spent on the
  sample, as if its requests ran one after another (a batching server overlaps them).
- ``flops`` and ``bytes``: from the model's architecture (:class:`Architecture`, a table in
  ``architectures.toml`` or ``--model-facts FILE``), in the spirit of Kinetics (Sadhukhan et al.,
  2025, "Kinetics: Rethinking Test-Time Scaling Laws"), which counts both compute and the memory
  traffic of the weights and the KV cache. For one sequence with a prompt of ``P`` tokens and
  ``G`` generated tokens, a model of ``N`` parameters, ``L`` layers, ``H`` query heads, ``K``
  key/value heads of dimension ``d``:

  - FLOPs = ``2 N (P + G)`` (a multiply-add per parameter per token) ``+ 2 L H d (P + G)(P + G + 1)``
    (causal attention: a token at position t computes t scores and a t-long weighted sum of
    values in every head, ``4 t H d`` FLOPs per layer, summed over t = 1..P+G);
  - bytes = ``W + P c`` (the prefill reads the weights once, ``W = N * bytes_per_param``, and writes
    the prompt's KV cache, ``c = 2 L K d * kv_bytes`` bytes per token) ``+ G W + c (G P + G (G + 1) / 2)``
    (each decoding step reads every weight and the KV cache of its context and writes its own:
    batch size 1, the memory-bound regime of decoding; a batching server shares the weight reads
    over its batch, never the KV cache's).

  The prompt's share (prefill) of a request for ``s`` samples is divided by ``s``; each sample's
  generation is its own. Abandoned attempts count what was sent and streamed.

The selection of ``--strategy select`` adds its own measured cost (:mod:`effbench.models.selection`):
its instructions on the FLOPs axis (one instruction counted as one operation, a CPU's instead of an
accelerator's) and its wall seconds on the seconds axis; the tokens, money and bytes axes leave it
out (``curves.json`` gives it per point, ``selection_instructions``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from effbench.errors import EffbenchError
from effbench.models.model_tables import entry_for, model_entries

BUNDLED = Path(__file__).with_name("architectures.toml")
#: the cost axes of ``effbench curves --cost`` (``auto``: USD when every model has a price, else tokens)
COST_AXES = ("tokens", "usd", "seconds", "flops", "bytes")
_FIELDS = ("params", "layers", "heads", "kv_heads", "head_dim", "bytes_per_param", "kv_bytes")


@dataclass(frozen=True)
class Architecture:
    """The facts of an open model that its compute and memory traffic follow from.

    ``params``: parameters, embeddings included; ``layers``: transformer blocks; ``heads``: query
    heads; ``kv_heads``: key/value heads; ``head_dim``: dimension of a head; ``bytes_per_param``:
    bytes of a served weight; ``kv_bytes``: bytes of one cached key or value element.
    """

    params: float
    layers: int
    heads: int
    kv_heads: int
    head_dim: int
    bytes_per_param: float = 2.0
    kv_bytes: float = 2.0

    @property
    def kv_bytes_per_token(self) -> float:
        """Bytes of KV cache one token occupies: keys and values of every layer and KV head."""
        return 2.0 * self.layers * self.kv_heads * self.head_dim * self.kv_bytes

    @property
    def weight_bytes(self) -> float:
        """Bytes of the served weights."""
        return self.params * self.bytes_per_param

    def prefill_flops(self, prompt: float) -> float:
        """FLOPs of reading a prompt of ``prompt`` tokens (module docstring's formula)."""
        attn = 2.0 * self.layers * self.heads * self.head_dim * prompt * (prompt + 1)
        return 2.0 * self.params * prompt + attn

    def decode_flops(self, prompt: float, completion: float) -> float:
        """FLOPs of generating ``completion`` tokens after a prompt of ``prompt`` tokens."""
        positions = completion * prompt + completion * (completion + 1) / 2  # sum of the context lengths
        attn = 4.0 * self.layers * self.heads * self.head_dim * positions
        return 2.0 * self.params * completion + attn

    def prefill_bytes(self, prompt: float) -> float:
        """Bytes moved by the prefill: the weights once and the prompt's KV cache written."""
        return self.weight_bytes + prompt * self.kv_bytes_per_token

    def decode_bytes(self, prompt: float, completion: float) -> float:
        """Bytes moved generating ``completion`` tokens after a ``prompt``-token prefill, at batch size 1.

        Every decoding step reads the weights and its context's KV cache and writes its own.
        """
        kv = self.kv_bytes_per_token * (completion * prompt + completion * (completion + 1) / 2)
        return completion * self.weight_bytes + kv


def load_architectures(extra: Path | None = None) -> dict[str, Architecture]:
    """The bundled table (``architectures.toml``), then ``extra``'s entries over it.

    Raises:
        EffbenchError: a file that cannot be read or an entry without a numeric field (one line
            naming the file and the model).
    """
    table: dict[str, Architecture] = {}
    for path, model, entry in model_entries(BUNDLED, extra, "the model facts"):
        try:
            values = {k: float(entry[k]) for k in _FIELDS if k in entry}
            arch = Architecture(
                params=values["params"],
                layers=int(values["layers"]),
                heads=int(values["heads"]),
                kv_heads=int(values["kv_heads"]),
                head_dim=int(values["head_dim"]),
                bytes_per_param=values.get("bytes_per_param", 2.0),
                kv_bytes=values.get("kv_bytes", 2.0),
            )
        except (KeyError, TypeError, ValueError, AttributeError, OverflowError):
            raise EffbenchError(
                f"{path}: models.{model}: needs numeric params, layers, heads, kv_heads and head_dim "
                "(bytes_per_param and kv_bytes optional, default 2)"
            ) from None
        figures = (
            arch.params,
            arch.layers,
            arch.heads,
            arch.kv_heads,
            arch.head_dim,
            arch.bytes_per_param,
            arch.kv_bytes,
        )
        if any(isinstance(entry.get(k), bool) for k in _FIELDS) or not all(math.isfinite(x) and x > 0 for x in figures):
            raise EffbenchError(f"{path}: models.{model}: every figure must be a finite number above 0")
        table[model] = arch
    return table


def architecture_of(model: str, table: dict[str, Architecture]) -> Architecture | None:
    """The exact name first, then the longest glob pattern that matches; None if none does."""
    return entry_for(model, table)


@dataclass(frozen=True)
class SampleCost:
    """One sample's cost on every axis.

    Tokens, USD (None without a price), seconds, FLOPs and bytes (None without the model's
    architecture).
    """

    tokens: float
    usd: float | None
    seconds: float
    flops: float | None
    bytes: float | None

    def on(self, axis: str) -> float | None:
        """The cost on one of :data:`COST_AXES`."""
        return getattr(self, axis)


def _attempts(meta: dict[str, Any]) -> list[dict[str, Any]]:
    attempts = meta.get("attempts")
    return [a for a in attempts if isinstance(a, dict)] if isinstance(attempts, list) else []


def sample_cost(meta: dict[str, Any], arch: Architecture | None) -> SampleCost:
    """The cost, on every axis, of the sample whose record has ``meta``.

    Reads ``meta.usage`` and ``meta.attempts`` as a model run writes them (see
    :mod:`effbench.models.strategies`); ``arch`` gives FLOPs and bytes, None leaves them out.
    """
    usage = meta.get("usage") or {}
    tokens = sum(
        float(usage.get(k) or 0.0)
        for k in ("prompt_tokens", "completion_tokens", "abandoned_prompt_tokens", "abandoned_completion_tokens")
    )
    seconds = 0.0
    flops = 0.0 if arch else None
    moved = 0.0 if arch else None
    for a in _attempts(meta):
        share = max(1, int(a.get("share") or 1))
        seconds += float(a.get("seconds") or 0.0) / share
        if arch is None or str(a.get("reason") or "").startswith("context overflow"):
            continue  # a prompt refused for the context was never run
        prompt = float(a.get("prompt_tokens") or 0.0) * share  # the request's whole prompt
        completion = float(a.get("completion_tokens") or 0.0)
        flops += arch.prefill_flops(prompt) / share + arch.decode_flops(prompt, completion)  # type: ignore[operator]
        moved += arch.prefill_bytes(prompt) / share + arch.decode_bytes(prompt, completion)  # type: ignore[operator]
    return SampleCost(tokens, usage.get("cost_usd"), seconds, flops, moved)
