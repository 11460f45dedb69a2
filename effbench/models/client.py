"""The OpenAI-compatible adapter, for any server that speaks the OpenAI API without code changes.

Hosted APIs, vLLM, SGLang, llama.cpp and Ollama are all reached the same way.

- Requests are streamed. An attempt is abandoned when ``ModelSpec.timeout`` seconds pass
  without progress: no token, reasoning, finish reason or usage, whatever else the server sends
  (keep-alive comments, empty chunks, a body trickled byte by byte). A long answer that keeps
  streaming tokens is never cut; its latency runs from when it was sent, not queued.
- How many requests run at once: ``ModelSpec.concurrency``, or, when it is None (``--concurrency
  auto``), what the server says (llama.cpp's ``/props`` ``total_slots`` or ``/slots``); a local
  server that says nothing gets 1 (llama-cpp-python serves one request at a time: more would
  only queue until they time out), vLLM and SGLang 8, a remote host 4 (:func:`probe_server`).
- 429 (honouring Retry-After, at most 60 s), 5xx, time-outs, dropped connections, malformed
  bodies and bodies past :data:`MAX_RESPONSE_BYTES` are retried with exponential backoff and
  jitter, a bounded number of times (``max_retries``; the openai client's own retries are off, so
  that every attempt is accounted here); 401/403/404/400 stop the run with one clear line, and so
  does a redirect (never followed: the request would be answered by another server); a 400 that
  says the prompt exceeds the context is a :class:`ContextOverflow` for that query only (a
  refinement chain ends there). A server that accepts no connection (refused, no such host, or
  no answer to connect) is said before any request.
- Every attempt is accounted: an answered one with its usage, an abandoned one (time-out,
  dropped connection, error, a response rejected as malformed) with the prompt tokens sent (the
  server's count for the same prompt when one of its attempts was answered, else an estimate of
  4 characters per token), the completion tokens it delivered (or the server's count, when a
  rejected response said one), the time spent and the reason. A hosted API may bill abandoned
  attempts, so the cost axes count them. Abandoned attempts are committed to the cache as they
  happen: a run resumed after a crash counts those of the run that died.
- Which token count is trusted: the server's usage (a hosted API bills by it), as long as the
  client cannot prove it wrong (``ModelClient._trusted_usage``): completion tokens no fewer than
  were delivered (a streamed chunk of content or reasoning holds one at least; a token is at most
  :data:`MAX_BYTES_PER_TOKEN` bytes of text) and no more than the request allowed (``max_tokens``
  per choice, or a token per byte delivered by a server that ignores it); prompt tokens between
  the prompt's bytes / 32 and its bytes + :data:`PROMPT_OVERHEAD_TOKENS`. A usage outside is not
  used (said once, its figures kept in the attempt as ``server_usage``), as if there were none:
  a lying count can neither hide what was delivered (so a token budget is spent on it) nor charge
  what cannot have been.
- Usage comes from the stream's final chunk (``stream_options.include_usage``); a server that
  streams none (llama-cpp-python) has its completion tokens counted as streamed chunks (one token
  each on llama.cpp; reasoning streamed in its own field counts too), said once on stderr;
  ``stream=False`` (``--no-stream``) asks for whole responses instead, with the server's exact
  usage and a time-out on the whole answer (a whole response without usage is counted at 4
  characters a token). Without the server's usage, prompt tokens are estimated and the answer is
  marked ``usage_from_server: false``.
- A streamed choice is finished by its finish reason, or by the usage chunk that ends the stream
  (a server that sends no finish reasons: finish reason None); a stream that stops before either
  is a dropped connection, retried, and nothing of it is cached.
- Servers that return fewer choices than ``n`` (llama.cpp serves one) are asked again for the
  missing samples; every answer is cached with its share of the response's token usage, so
  nothing is counted twice.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import math
import os
import random
import re
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any
from urllib.parse import urlparse

from effbench.errors import EffbenchError
from effbench.models.cache import CachedAnswer, ResponseCache, answer_key

#: characters per token, for estimates only (prompts sent by abandoned attempts, cost estimates,
#: a whole response that carries no usage)
CHARS_PER_TOKEN = 4.0

#: a token decodes to at most this many UTF-8 bytes, on average over a text: the floor of the
#: tokens a text holds is its bytes / 32 (code and prose average 3 to 5 bytes a token; the longest
#: tokens of common vocabularies are runs of spaces or punctuation). A server's usage below the
#: floor is not believed (see ``ModelClient._trusted_usage``)
MAX_BYTES_PER_TOKEN = 32

#: tokens a server may add to a prompt's own text (its chat template, a system prompt of its own):
#: a prompt of B bytes costs at most B + this many tokens (a token is a byte at least)
PROMPT_OVERHEAD_TOKENS = 8192

#: an answer is cut at this many characters (finish reason "length"): a server that ignores
#: max_tokens sends no more than a samples file may hold in one line (samples.MAX_LINE_BYTES)
MAX_ANSWER_CHARS = 16 << 20


class AttemptOutcome(StrEnum):
    """How one HTTP attempt ended."""

    ANSWERED = "answered"
    ABANDONED = "abandoned"


#: request fields effbench sets itself, refused in ``--extra-body``: the option that sets each
RESERVED_FIELDS = {
    "model": "--model",
    "messages": "--mode and the prompt options",
    "prompt": "--mode and the prompt options",
    "n": "--samples",
    "stream": "--stream/--no-stream",
    "stream_options": "--stream/--no-stream",
    "temperature": "--temperature",
    "top_p": "--top-p",
    "top_k": "--top-k",
    "max_tokens": "--max-tokens",
    "seed": "--sampling-seed",
    "stop": "--stop",
}


def extra_body_of(text: str | None) -> str | None:
    """Check ``--extra-body``, a JSON object of further request fields.

    Returns:
        The object as canonical JSON text (sorted keys), or None for None or ``{}``.

    Raises:
        EffbenchError: not JSON, not an object, a non-finite number, or a field effbench sets
            itself (:data:`RESERVED_FIELDS`; use its own option).
    """
    if text is None:
        return None
    try:
        value = json.loads(text, parse_constant=_refuse_constant)
    except ValueError as exc:
        raise EffbenchError(f"--extra-body: not a JSON object: {exc}") from None
    if not isinstance(value, dict):
        raise EffbenchError(f"--extra-body: a JSON object of request fields is needed, not {type(value).__name__}")
    reserved = sorted(set(RESERVED_FIELDS) & set(value))
    if reserved:
        raise EffbenchError(f"--extra-body: {reserved[0]!r} is set by effbench: use {RESERVED_FIELDS[reserved[0]]}")
    return json.dumps(value, sort_keys=True, separators=(",", ":")) if value else None


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


@dataclass(frozen=True)
class ModelSpec:
    """A model behind an OpenAI-compatible endpoint and how to ask it.

    ``timeout``: seconds of silence (no byte streamed) after which an attempt is abandoned.
    ``concurrency``: requests in flight at once; None asks the server (:func:`probe_server`).
    ``stop``: stop sequences (None: the strategy's default for the mode); ``top_k`` is sent as
    an extra body field (vLLM, SGLang, llama.cpp and Ollama read it; hosted APIs may refuse it).
    ``context_length``: the server's context in tokens, when known (None: ask the server).
    ``extra_body``: further request fields the server reads (llama.cpp's ``repeat_penalty``,
    vLLM's ``min_p``...), as canonical JSON text of an object (see :func:`extra_body_of`); part of
    the cache identity when set.
    """

    name: str
    base_url: str
    mode: str = "chat"  # or "completion"
    api_key_env: str = "OPENAI_API_KEY"
    temperature: float = 0.8
    top_p: float = 0.95
    top_k: int | None = None
    max_tokens: int = 1024
    seed: int | None = None
    stop: tuple[str, ...] | None = None
    concurrency: int | None = None
    timeout: float = 300.0
    max_retries: int = 5
    backoff_base: float = 0.5
    backoff_cap: float = 30.0
    context_length: int | None = None
    stream: bool = True
    extra_body: str | None = None

    def identity(self) -> dict[str, Any]:
        """What defines an answer (the cache key): the model's name and the generation settings.

        Not the server's address, the key, the time-outs or the concurrency: the same model
        served elsewhere answers from the same cache.
        """
        out = {
            "model": self.name,
            "mode": self.mode,
            "temperature": self.temperature,
            "top_p": self.top_p,
            "top_k": self.top_k,
            "max_tokens": self.max_tokens,
            "seed": self.seed,
            "stop": list(self.stop) if self.stop else None,
        }
        if self.extra_body:  # only when set: the answers cached before this field existed stay valid
            out["extra_body"] = json.loads(self.extra_body)
        return out


@dataclass
class Query:
    """One prompt and the sample indices wanted for it."""

    tag: Any  # the caller's handle (problem id, chain, round)
    indices: list[int]
    messages: list[dict[str, str]] | None = None
    prompt: str | None = None
    extra_identity: dict[str, Any] = field(default_factory=dict)

    def identity(self, spec: ModelSpec) -> dict[str, Any]:
        """The cache identity of this prompt under ``spec``."""
        return {**spec.identity(), "messages": self.messages, "prompt": self.prompt, **self.extra_identity}

    def text_length(self) -> int:
        """Characters of prompt text (for estimates)."""
        if self.messages is not None:
            return sum(len(m.get("content") or "") for m in self.messages)
        return len(self.prompt or "")

    def text_bytes(self) -> int:
        """UTF-8 bytes of prompt text (the bounds of a server's prompt token count)."""
        if self.messages is not None:
            return sum(len((m.get("content") or "").encode("utf-8", "replace")) for m in self.messages)
        return len((self.prompt or "").encode("utf-8", "replace"))


@dataclass
class Refused:
    """No answer for a sample: the server refused its prompt for a reason retrying cannot fix.

    Today the only reason is a prompt that exceeds the context. ``attempts`` as in
    :class:`CachedAnswer`.
    """

    reason: str
    attempts: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class ClientStats:
    """Counters over a client's life.

    ``requests``: HTTP attempts; ``retries``; ``abandoned``: attempts abandoned; ``cached``: cache
    hits; ``answered``: new answers; ``refused``: samples refused (context overflow);
    ``completion_tokens``: tokens streamed so far (one per content chunk while streaming).
    """

    requests: int = 0
    retries: int = 0
    abandoned: int = 0
    cached: int = 0
    answered: int = 0
    refused: int = 0
    completion_tokens: float = 0.0


class ModelError(EffbenchError):
    """The endpoint refused the request for a reason retrying cannot fix."""


class ContextOverflow(Exception):
    """The server says the prompt does not fit in the model's context (HTTP 400)."""


_CONTEXT_WORDS = re.compile(r"context|too many tokens|too long|exceed", re.I)


@dataclass
class ServerFacts:
    """What a server says about itself (:func:`probe_server`).

    ``slots``: requests it serves at once; ``context_length``: in tokens; ``kind``: llama.cpp,
    vllm or sglang; ``source``: where ``slots`` came from; ``reachable``: False when no connection
    could be made at all; ``notes``: free-form remarks (unused by the probe today); ``models``:
    the model ids ``GET /v1/models`` lists (at most 1,000).
    """

    slots: int | None = None
    context_length: int | None = None
    kind: str | None = None
    source: str = ""
    reachable: bool = True
    notes: list[str] = field(default_factory=list)
    models: list[str] = field(default_factory=list)  # the model ids ``GET /v1/models`` lists


def _is_local(base_url: str) -> bool:
    host = urlparse(base_url).hostname or ""
    if host in ("localhost", "") or host.endswith(".local"):
        return True
    try:
        addr = ipaddress.ip_address(host)
    except ValueError:
        return False
    return addr.is_loopback or addr.is_private or addr.is_link_local


def probe_server(base_url: str, api_key: str | None = None, timeout: float = 5.0) -> ServerFacts:
    """Ask an OpenAI-compatible server how many requests it serves at once and its context.

    Reads llama.cpp's ``GET /props`` (``total_slots``, ``default_generation_settings.n_ctx``) and
    ``GET /slots``, and ``GET /v1/models`` (``owned_by`` names vLLM and SGLang; ``max_model_len``,
    llama.cpp's ``meta.n_ctx_train``). Every probe is optional; ``reachable`` is False when no
    connection could be made (refused, no such host, or none made within ``timeout`` seconds: a
    host that drops the packets), said after the first probe, within ``timeout``. Never raises.
    """
    import httpx

    facts = ServerFacts()
    url = base_url.rstrip("/")
    root = url[: -len("/v1")] if url.endswith("/v1") else url
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    refused = 0

    def get(path: str) -> Any:
        nonlocal refused
        if refused:  # the same host and port: one connection that cannot be made says it for all
            refused += 1
            return None
        try:
            resp = httpx.get(path, headers=headers, timeout=timeout)
        except (httpx.ConnectError, httpx.ConnectTimeout):  # refused, no such host, or no answer at all
            refused += 1
            return None
        except httpx.HTTPError:
            return None
        if resp.status_code != 200:
            return None
        try:
            return resp.json()
        except ValueError:
            return None

    props = get(root + "/props")
    _read_props(props, facts)
    if facts.slots is None:
        _read_slots(get(root + "/slots"), facts)
    models = get(url + "/models")
    _read_models(models, facts)
    facts.reachable = refused < 3 or props is not None or models is not None
    return facts


def _positive_int(value: Any) -> int | None:
    """``value`` if it is a positive int (a count of slots or tokens a server reported), else None.

    A bool is not a count (``True`` is an int in Python).
    """
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def _mapping(value: Any) -> dict:
    """``value`` if it is a JSON object, else an empty one (a server's body of another shape says nothing)."""
    return value if isinstance(value, dict) else {}


def _read_props(props: Any, facts: ServerFacts) -> None:
    """Take slots and context length (tokens) from llama.cpp's ``GET /props`` body into ``facts``."""
    if not isinstance(props, dict):
        return
    slots = _positive_int(props.get("total_slots"))
    if slots is not None:
        facts.slots, facts.source, facts.kind = slots, "/props total_slots", "llama.cpp"
    n_ctx = _positive_int(_mapping(props.get("default_generation_settings")).get("n_ctx"))
    if n_ctx is not None:
        facts.context_length = n_ctx


def _read_slots(slots_info: Any, facts: ServerFacts) -> None:
    """Take slots (one per list item) and, if still unknown, context length from llama.cpp's ``GET /slots``."""
    if not (isinstance(slots_info, list) and slots_info):
        return
    facts.slots, facts.source, facts.kind = len(slots_info), "/slots", "llama.cpp"
    n_ctx = _positive_int(slots_info[0].get("n_ctx") if isinstance(slots_info[0], dict) else None)
    if facts.context_length is None and n_ctx is not None:
        facts.context_length = n_ctx


def _read_models(models: Any, facts: ServerFacts) -> None:
    """Take the server's kind and, if still unknown, context length from ``GET /v1/models``.

    The kind comes from ``owned_by`` (vllm, sglang), the context (tokens) from ``max_model_len``
    or llama.cpp's ``meta.n_ctx_train``.
    """
    if not (isinstance(models, dict) and isinstance(models.get("data"), list) and models["data"]):
        return
    facts.models = [str(m["id"]) for m in models["data"][:1000] if isinstance(m, dict) and isinstance(m.get("id"), str)]
    first = _mapping(models["data"][0])
    owner = str(first.get("owned_by") or "")
    if owner in ("vllm", "sglang") and facts.kind is None:
        facts.kind = owner
    ctx = _positive_int(first.get("max_model_len") or _mapping(first.get("meta")).get("n_ctx_train"))
    if facts.context_length is None and ctx is not None:
        facts.context_length = ctx


def choose_concurrency(spec: ModelSpec, facts: ServerFacts | None) -> tuple[int, str]:
    """Choose how many requests to keep in flight, and say why.

    The user's number, else what the server says, else a default by kind of server (see the
    module docstring).

    Returns:
        (requests in flight, the reason as a phrase for the log).
    """
    if spec.concurrency is not None:
        return spec.concurrency, "--concurrency"
    if facts is not None and facts.slots:
        return facts.slots, f"the server serves {facts.slots} at once ({facts.source})"
    if facts is not None and facts.kind in ("vllm", "sglang"):
        return 8, f"{facts.kind} batches requests"
    if _is_local(spec.base_url):
        return 1, (
            "a local server that does not say how many requests it serves at once (llama-cpp-python "
            "serves one); --concurrency N for a batching server"
        )
    return 4, "a remote API; --concurrency N to change"


def server_down_message(spec: ModelSpec) -> str:
    """The one line for a server that accepts no connection."""
    return (
        f"cannot connect to {spec.base_url} (model {spec.name!r}): is the model server running? "
        "Start it first (README: 'Serving a model'), or check --base-url"
    )


def _retry_after(exc: Exception) -> float | None:
    """The seconds an error response asks to wait, at least 0, as the openai client reads them.

    ``retry-after-ms`` (milliseconds: OpenAI's, Azure's) first, then ``Retry-After`` (seconds).
    None when there is neither or neither is a finite number (an HTTP date, 'nan', 'inf': the
    backoff decides then).
    """
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    if not headers:
        return None
    for name, per_second in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        value = headers.get(name)
        try:
            seconds = float(value) / per_second if value is not None else None
        except ValueError:
            continue
        if seconds is not None and math.isfinite(seconds):
            return max(0.0, seconds)
    return None


def _cause(exc: BaseException | None, kind: type[BaseException]) -> BaseException | None:
    """The first exception of type ``kind`` in ``exc``'s chain of causes, or None."""
    seen = 0
    while exc is not None and seen < 16:
        if isinstance(exc, kind):
            return exc
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return None


def _token_count(value: Any) -> float | None:
    """``value`` as a count of tokens if it is one (a finite number >= 0, not a bool), else None."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) and value >= 0 else None


@dataclass
class _Reply:
    texts: list[str]
    finishes: list[str | None]
    prompt_tokens: float | None  # the server's count for the request, when it said
    completion_tokens: float
    usage_from_server: bool
    response_id: str
    first_byte: float | None
    seconds: float
    server_usage: dict | None = None  # the server's figures, when they were not taken as they are


class _MalformedChunk(ValueError):
    """A streamed chunk (or a whole response) of the wrong shape; the message says what is wrong."""


class _Abandoned(Exception):
    def __init__(self, reason: str, completion_tokens: float, first_byte: float | None, wait: float | None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.completion_tokens = completion_tokens
        self.first_byte = first_byte
        self.wait = wait


@dataclass
class _Streamed:
    """What one attempt's stream delivered so far, per choice index."""

    start: float  # time.monotonic() when the request was sent
    n: int = 1  # choices asked for: their indices are 0..n-1
    first_byte: float | None = None  # seconds from ``start`` to the first chunk
    pieces: dict[int, list[str]] = field(default_factory=lambda: defaultdict(list))
    chunks: dict[int, int] = field(default_factory=lambda: defaultdict(int))  # content chunks
    chars: dict[int, int] = field(default_factory=lambda: defaultdict(int))  # characters kept
    thought_chars: dict[int, int] = field(default_factory=lambda: defaultdict(int))  # reasoning characters seen
    cut: set[int] = field(default_factory=set)  # choices cut at MAX_ANSWER_CHARS
    finishes: dict[int, str | None] = field(default_factory=dict)
    usage: Any = None  # the final chunk's usage, when the server streams one
    response_id: str = ""
    reasoning_chunks: int = 0  # chunks of reasoning streamed apart from the content
    delivered_bytes: int = 0  # UTF-8 bytes of content and reasoning kept (tokens at least / MAX_BYTES_PER_TOKEN)
    usage_last: bool = False  # the last chunk carried the usage (the stream's end, by the protocol)

    def feed(self, chunk: Any, mode: str, stats: ClientStats) -> bool:
        """Take one chunk; each content piece counts one completion token in ``stats`` as it arrives.

        The chunk's usage is kept first, so that a response rejected below still says what the
        server counted for it. Reasoning streamed apart from the content (``reasoning_content`` or
        ``reasoning``, as vLLM, SGLang, DeepSeek and Ollama send it) is not part of the answer but
        counts as delivered tokens (``reasoning_chunks``, ``delivered_bytes``).

        Returns:
            Whether the chunk made progress: content, reasoning, a finish reason, or the usage the
            first time (a chunk of none of these, like a keep-alive, does not hold the attempt
            open). Reasoning is cut at MAX_ANSWER_CHARS characters a choice, as content is.

        Raises _MalformedChunk for a choice of the wrong shape: an index that is not an int below
        ``n`` (the choices asked for), a content or finish reason that is not text.
        """
        if self.first_byte is None:
            self.first_byte = time.monotonic() - self.start
        self.response_id = self.response_id or str(getattr(chunk, "id", "") or "")
        progress = False
        if getattr(chunk, "usage", None) is not None:
            progress = self.usage is None  # once: a server repeating its usage forever makes no progress
            self.usage = chunk.usage
        self.usage_last = getattr(chunk, "usage", None) is not None  # a later chunk with choices clears it
        for c in getattr(chunk, "choices", None) or []:
            if type(c.index) is not int or not 0 <= c.index < self.n:
                raise _MalformedChunk(f"choice index {c.index!r} of {self.n} asked")
            piece = (c.delta.content if c.delta else None) if mode == "chat" else c.text
            if not isinstance(piece, (str, type(None))) or not isinstance(c.finish_reason, (str, type(None))):
                raise _MalformedChunk("a choice's content or finish reason is not text")
            thought = _reasoning_piece(c.delta if mode == "chat" else c)
            if c.index not in self.cut and self._take(c.index, piece, thought, c.finish_reason, stats):
                progress = True
        return progress

    def _take(self, index: int, piece: str | None, thought: str | None, finish: str | None, stats: ClientStats) -> bool:
        """Take one choice's content ``piece``, reasoning ``thought`` and ``finish`` reason; True if any came.

        Either is cut at MAX_ANSWER_CHARS characters, finishing the choice with 'length'.
        """
        if thought:
            self.reasoning_chunks += 1
            self.delivered_bytes += len(thought.encode("utf-8", "replace"))
            self.thought_chars[index] += len(thought)
            self.usage_last = False
            if self.thought_chars[index] >= MAX_ANSWER_CHARS:  # reasoning without end: cut as an answer is
                self.cut.add(index)
                self.finishes[index] = "length"
                return True
        if piece:
            piece = piece[: MAX_ANSWER_CHARS - self.chars[index]]
            self.chars[index] += len(piece)
            self.delivered_bytes += len(piece.encode("utf-8", "replace"))
            self.pieces[index].append(piece)
            self.chunks[index] += 1
            stats.completion_tokens += 1
            self.usage_last = False
            if self.chars[index] >= MAX_ANSWER_CHARS:
                self.cut.add(index)
                self.finishes[index] = "length"
                return True
        if finish:
            self.finishes[index] = finish
        return bool(piece or thought or finish)

    def all_seen_are_done(self) -> bool:
        """True once a choice was cut and every choice seen so far has finished (read no further)."""
        return bool(self.cut) and all(i in self.finishes for i in self.pieces)

    def streamed(self) -> float:
        """Content chunks streamed over every choice (completion tokens, one per chunk on llama.cpp)."""
        return float(sum(self.chunks.values()))

    def bounds(self, max_tokens: int) -> tuple[float, float]:
        """The completion tokens this attempt can have cost, as the client can tell: (floor, ceiling).

        The floor is what was delivered: every content or reasoning chunk holds a token at least,
        and a token decodes to at most :data:`MAX_BYTES_PER_TOKEN` bytes. The ceiling is what the
        request allowed, ``max_tokens`` per choice asked, or more when the server sent more (one
        token per byte delivered at most: it ignored ``max_tokens``).
        """
        by_bytes = float(math.ceil(self.delivered_bytes / MAX_BYTES_PER_TOKEN))
        floor = max(self.streamed() + self.reasoning_chunks, by_bytes)
        ceiling = max(float(max_tokens * self.n), float(self.delivered_bytes + self.n))
        return floor, ceiling

    def spent(self, max_tokens: int) -> float:
        """Completion tokens this attempt cost: the server's count within :meth:`bounds`, else the floor."""
        floor, ceiling = self.bounds(max_tokens)
        server = _token_count(getattr(self.usage, "completion_tokens", None))
        return floor if server is None else min(max(server, floor), ceiling)


class _AttemptHistory:
    """A query's abandoned attempts, and the server's prompt token count for it once known."""

    def __init__(self, query: Query) -> None:
        self.query = query
        self.abandoned: list[tuple[list[int], dict[str, Any]]] = []  # (samples it was for, attempt)
        self.known_prompt: float | None = None  # the server's prompt tokens for this prompt

    def prompt_tokens(self) -> float:
        """The prompt's tokens: the server's count when known, else 4 characters per token."""
        if self.known_prompt is not None:
            return self.known_prompt
        return self.query.text_length() / CHARS_PER_TOKEN

    def attempts_of(self, index: int) -> list[dict[str, Any]]:
        """The abandoned attempts made for sample ``index``, with their share of the prompt tokens sent."""
        sent = self.prompt_tokens()
        return [
            {**e, "prompt_tokens": sent / e["share"], "usage_from_server": self.known_prompt is not None}
            for indices, e in self.abandoned
            if index in indices
        ]


#: fields where servers send reasoning apart from the answer (vLLM and SGLang's reasoning parsers,
#: DeepSeek: ``reasoning_content``; Ollama, OpenRouter: ``reasoning``)
_REASONING_FIELDS = ("reasoning_content", "reasoning")


def _reasoning_piece(part: Any) -> str | None:
    """The reasoning text a chunk's delta (or a completion choice) carries apart from its content, if any."""
    for name in _REASONING_FIELDS:
        value = getattr(part, name, None)
        if isinstance(value, str) and value:
            return value
    return None


async def _as_chunks(response: Any, mode: str) -> Any:
    """A whole (non-streamed) response as one chunk of the stream's shape, usage included."""
    from types import SimpleNamespace

    if isinstance(response, (str, bytes)):  # openai hands back the text of a body that is not JSON
        text = response if isinstance(response, str) else response.decode("utf-8", "replace")
        what = "a stream (data: lines)" if text.lstrip().startswith("data:") else f"{text.strip()[:60]!r}"
        raise _MalformedChunk(f"not a JSON response: {what}")
    choices = []
    indices = [repr(getattr(c, "index", None)) for c in response.choices or []]
    if len(set(indices)) < len(indices):  # two answers of one index would be read as one
        raise _MalformedChunk(f"choice index {next(i for i in indices if indices.count(i) > 1)} twice")
    for c in response.choices or []:
        text = (c.message.content if c.message else None) if mode == "chat" else c.text
        message = c.message if mode == "chat" else None
        delta = SimpleNamespace(content=text, **{k: getattr(message, k, None) for k in _REASONING_FIELDS})
        choices.append(SimpleNamespace(index=c.index, delta=delta, text=text, finish_reason=c.finish_reason or "stop"))
    yield SimpleNamespace(id=response.id, choices=choices, usage=response.usage)


def _abandoned_entry(
    reason: str, completion_tokens: float, seconds: float, first_byte: float | None, share: int
) -> dict[str, Any]:
    return {
        "outcome": str(AttemptOutcome.ABANDONED),
        "reason": reason,
        "prompt_tokens": None,  # filled in when the prompt's token count is known
        "completion_tokens": completion_tokens / share,
        "seconds": seconds,
        "first_byte_seconds": first_byte,
        "usage_from_server": False,
        "share": share,
    }


#: bytes one response may hold: a whole (non-streamed) body, or one line of a stream (one event).
#: An answer is cut at MAX_ANSWER_CHARS characters as it streams; this bounds what is held before
#: that cut can apply (a server sending a 100 MB body, or a stream event with no end)
MAX_RESPONSE_BYTES = 2 * MAX_ANSWER_CHARS


class ResponseTooLarge(Exception):
    """A response's body (or one line of a stream) passed :data:`MAX_RESPONSE_BYTES`."""


def _bounded_transport() -> Any:
    """An httpx transport that reads no response past :data:`MAX_RESPONSE_BYTES`.

    A whole body, or one line of a ``text/event-stream``; past it, reading raises an httpx
    ReadError caused by :class:`ResponseTooLarge`.
    """
    import httpx

    class Bounded(httpx.AsyncByteStream):
        def __init__(self, inner: Any, streamed: bool) -> None:
            self.inner, self.streamed = inner, streamed

        async def __aiter__(self) -> Any:
            held = 0
            async for part in self.inner:
                if self.streamed and b"\n" in part:
                    held = len(part) - part.rindex(b"\n") - 1
                else:
                    held += len(part)
                if held > MAX_RESPONSE_BYTES:
                    what = "one line of the stream" if self.streamed else "the response"
                    cause = ResponseTooLarge(f"{what} passed {MAX_RESPONSE_BYTES:,} bytes")
                    raise httpx.ReadError(str(cause)) from cause
                yield part

        async def aclose(self) -> None:
            await self.inner.aclose()

    class Transport(httpx.AsyncHTTPTransport):
        async def handle_async_request(self, request: Any) -> Any:
            response = await super().handle_async_request(request)
            streamed = "text/event-stream" in response.headers.get("content-type", "")
            response.stream = Bounded(response.stream, streamed)
            return response

    return Transport(limits=httpx.Limits(max_connections=1000, max_keepalive_connections=100))


class ModelClient:
    """Asks one model (``spec``) for answers, through ``cache``; ``log`` gets one-line notes."""

    def __init__(
        self,
        spec: ModelSpec,
        cache: ResponseCache,
        log: Callable[[str], None] = lambda s: None,
        progress: bool = True,
    ) -> None:
        """A client for ``spec``; ``progress`` shows a progress bar on stderr. Nothing is sent here."""
        self.spec = spec
        self.cache = cache
        self.log = log
        self.progress = progress
        self.stats = ClientStats()
        self.facts: ServerFacts | None = None
        self.concurrency: int | None = None
        self._stream_usage = True  # asked with stream_options until a server refuses it
        self._said_no_usage = False
        self._said_bad_usage = False
        self._said_lying_usage = False

    # ---- the server ------------------------------------------------------------------------
    def prepare(self) -> None:
        """Probe the server once, before the first request: concurrency and context length.

        Raises:
            ModelError: when the server accepts no connection.
        """
        if self.concurrency is not None:
            return
        key = os.environ.get(self.spec.api_key_env)
        self.facts = probe_server(self.spec.base_url, key, timeout=min(5.0, self.spec.timeout))
        if not self.facts.reachable:
            raise ModelError(server_down_message(self.spec))
        self.concurrency, why = choose_concurrency(self.spec, self.facts)
        self.log(f"{self.spec.name}: {self.concurrency} request(s) at once: {why}")
        listed = self.facts.models
        if listed and self.spec.name not in listed:  # llama.cpp answers any name with the model it serves
            self.log(
                f"{self.spec.name}: the server lists {', '.join(map(repr, listed[:5]))}"
                f"{' ...' if len(listed) > 5 else ''}, not {self.spec.name!r}: a server that answers any name "
                "(llama.cpp) has its answers cached under --model; check it names the model served"
            )

    def context_length(self) -> int | None:
        """The model's context in tokens, if the user or the server said."""
        if self.spec.context_length:
            return self.spec.context_length
        return self.facts.context_length if self.facts else None

    def _client(self):  # noqa: ANN202 - openai.AsyncOpenAI
        """The openai client for one run.

        No retries of its own (each attempt is accounted here), no redirects followed (a redirect
        is refused by name), responses bounded (:func:`_bounded_transport`).
        """
        import httpx
        import openai

        key = os.environ.get(self.spec.api_key_env) or "effbench-no-key"
        timeout = httpx.Timeout(self.spec.timeout, connect=min(10.0, self.spec.timeout), pool=None)
        http = openai.DefaultAsyncHttpxClient(transport=_bounded_transport(), timeout=timeout, follow_redirects=False)
        client = openai.AsyncOpenAI(
            base_url=self.spec.base_url, api_key=key, timeout=timeout, max_retries=0, http_client=http
        )
        # the resources are imported on first use (seconds on a loaded machine): now, not inside
        # the first attempt's time-out
        _ = client.chat.completions if self.spec.mode == "chat" else client.completions
        return client

    def _params(self, n: int, first_index: int) -> dict[str, Any]:
        s = self.spec
        params: dict[str, Any] = {
            "model": s.name,
            "temperature": s.temperature,
            "top_p": s.top_p,
            "max_tokens": s.max_tokens,
            "n": n,
        }
        if s.stream:
            params["stream"] = True
        if s.stream and self._stream_usage:
            params["stream_options"] = {"include_usage": True}
        if s.seed is not None:
            params["seed"] = s.seed + first_index
        if s.stop:
            params["stop"] = list(s.stop)
        extra = json.loads(s.extra_body) if s.extra_body else {}
        if s.top_k is not None:
            extra["top_k"] = s.top_k
        if extra:
            params["extra_body"] = extra
        return params

    async def _attempt(self, client: Any, query: Query, n: int, first_index: int) -> _Reply:
        """One HTTP attempt; raises _Abandoned (retryable), ContextOverflow or ModelError.

        The attempt is abandoned once ``spec.timeout`` seconds pass without progress (no token,
        reasoning, finish reason or usage), whatever the server sends meanwhile (SSE comments or
        empty chunks to keep the connection alive); a whole (non-streamed) response must come in
        full within ``spec.timeout`` (its body trickled byte by byte does not hold it open).
        """
        got = _Streamed(start=time.monotonic(), n=n)
        self.stats.requests += 1
        stream: Any = None
        try:
            opening = self._open(client, query, n, first_index)
            # a streamed response's headers come within httpx's time-out on silence; a whole one
            # within spec.timeout in all (bytes trickled one at a time do not hold it open)
            stream = await (opening if self.spec.stream else asyncio.wait_for(opening, self.spec.timeout))
            loop = asyncio.get_running_loop()
            async with asyncio.timeout(self.spec.timeout) as deadline:  # moved on by every progress
                async for chunk in stream:
                    if got.feed(chunk, self.spec.mode, self.stats):
                        deadline.reschedule(loop.time() + self.spec.timeout)
                    if got.all_seen_are_done():  # past MAX_ANSWER_CHARS: the server ignores max_tokens
                        self.log(
                            f"{self.spec.name}: an answer (or its reasoning) passed {MAX_ANSWER_CHARS:,} characters "
                            f"(max_tokens is {self.spec.max_tokens}): cut there, finish reason 'length'"
                        )
                        break
        except Exception as exc:
            failure = self._failure(exc, got)
            if failure is None:
                raise
            raise failure from None
        finally:
            if stream is not None and hasattr(stream, "close"):
                try:  # the connection is released, whatever the server goes on sending
                    await stream.close()
                except Exception:  # noqa: BLE001 - already broken: nothing left to release
                    pass
        return self._reply(got, time.monotonic() - got.start, query)

    async def _open(self, client: Any, query: Query, n: int, first_index: int) -> Any:
        """Send the request for ``n`` choices; return its stream of chunks (a whole response as one chunk)."""
        s = self.spec
        if s.mode == "chat":
            stream = await client.chat.completions.create(messages=query.messages, **self._params(n, first_index))
        else:
            stream = await client.completions.create(prompt=query.prompt, **self._params(n, first_index))
        return stream if s.stream else _as_chunks(stream, s.mode)

    def _failure(self, exc: Exception, got: _Streamed) -> Exception | None:
        """What a failed attempt raises: ModelError, ContextOverflow or _Abandoned (retryable).

        None for an exception that is not about the server's answer (it propagates as it is).
        ``got``: what the attempt streamed before it broke (completion tokens, first byte).
        """
        import httpx
        import openai

        streamed, first_byte = got.spent(self.spec.max_tokens), got.first_byte
        if isinstance(exc, openai.APIStatusError):
            return self._status_failure(exc, streamed, first_byte)
        if _cause(exc, httpx.ConnectTimeout) is not None:  # a host that drops the packets: as good as down
            return _Abandoned("connection refused (no answer to connect)", streamed, first_byte, None)
        if isinstance(exc, (openai.APITimeoutError, httpx.TimeoutException, TimeoutError)):
            return _Abandoned(f"time-out: no token for {self.spec.timeout:g} s", streamed, first_byte, None)
        too_large = _cause(exc, ResponseTooLarge)
        if too_large is not None:
            return _Abandoned(f"response too large ({too_large})", streamed, first_byte, None)
        if isinstance(exc, (openai.APIConnectionError, httpx.TransportError)):
            refused = isinstance(exc, httpx.ConnectError) or isinstance(exc.__cause__, httpx.ConnectError)
            reason = "connection refused" if refused else "connection dropped"
            return _Abandoned(reason, streamed, first_byte, None)
        if isinstance(exc, openai.APIError):  # e.g. an error event in the middle of the stream
            return _Abandoned(f"server error ({exc.message})"[:200], streamed, first_byte, None)
        if isinstance(exc, _MalformedChunk):
            return _Abandoned(f"malformed response ({exc})"[:200], streamed, first_byte, None)
        if isinstance(exc, (ValueError, TypeError, AttributeError, KeyError)):
            return _Abandoned(f"malformed response ({type(exc).__name__})", streamed, first_byte, None)
        return None

    def _status_failure(self, exc: Any, streamed: float, first_byte: float | None) -> Exception:
        """What an HTTP error status raises (``exc``: an openai.APIStatusError).

        401, 403, 404 and other 4xx but 408 and 429 are a ModelError; a 400 saying the prompt
        exceeds the context a ContextOverflow; a 400 refusing ``stream_options`` turns them off
        and is retried at once; 408, 429 (with its Retry-After, seconds) and 5xx are retried.
        ``streamed``: completion tokens streamed before the error.
        """
        import openai

        s = self.spec
        where = f"model {s.name!r} at {s.base_url}"
        if isinstance(exc, openai.AuthenticationError):
            return ModelError(f"{where}: 401 unauthorized; set ${s.api_key_env} ({exc.message})")
        if isinstance(exc, openai.PermissionDeniedError):
            return ModelError(f"{where}: 403 forbidden ({exc.message})")
        if isinstance(exc, openai.NotFoundError):
            hint = ""
            if not urlparse(s.base_url).path.rstrip("/").endswith("/v1"):
                hint = f"; OpenAI-compatible servers answer under /v1: try --base-url {s.base_url.rstrip('/')}/v1"
            return ModelError(f"{where}: 404 not found; check --model and --base-url{hint} ({exc.message})")
        if isinstance(exc, openai.BadRequestError):
            if "stream_options" in str(exc.message) and self._stream_usage:
                self._stream_usage = False  # an older server: count the stream ourselves
                return _Abandoned("the server refuses stream_options", 0, first_byte, 0.0)
            if _CONTEXT_WORDS.search(str(exc.message)):
                return ContextOverflow(str(exc.message))
            return ModelError(f"{where}: 400 bad request ({exc.message})")
        status = exc.status_code
        if 300 <= status < 400:
            location = exc.response.headers.get("location") or "nowhere said"
            return ModelError(
                f"{where}: HTTP {status}: the server redirects to {location[:200]}; redirects are not followed "
                "(a request sent elsewhere may not be answered by this model): give the address to use as --base-url"
            )
        if status < 500 and status not in (408, 429):
            return ModelError(f"{where}: HTTP {status} ({exc.message})")
        return _Abandoned(f"HTTP {status}", streamed, first_byte, _retry_after(exc))

    def _reply(self, got: _Streamed, seconds: float, query: Query) -> _Reply:
        """The answer of a finished stream (``seconds`` since it was sent) to ``query``.

        Raises _Abandoned when the stream held no choice or ended before some choice's finish.
        The tokens recorded are :meth:`_trusted_usage`'s.
        """
        if not got.pieces and not got.finishes:
            raise _Abandoned("malformed response (no choices)", got.spent(self.spec.max_tokens), got.first_byte, None)
        indices = sorted(set(got.pieces) | set(got.finishes))
        # a choice without a finish reason: the stream ended before the answer did, unless the
        # usage came last, which the protocol sends once every choice is done (a server that
        # never sends finish reasons: its answers are kept, their finish reason None)
        if any(i not in got.finishes for i in indices) and not got.usage_last:
            raise _Abandoned("connection dropped mid-answer", got.spent(self.spec.max_tokens), got.first_byte, None)
        texts = ["".join(got.pieces.get(i, [])) for i in indices]
        finishes = [got.finishes.get(i) for i in indices]
        prompt_tokens, completion_tokens, trusted, server = self._trusted_usage(got, query)
        return _Reply(
            texts, finishes, prompt_tokens, completion_tokens, trusted, got.response_id, got.first_byte, seconds, server
        )

    def _trusted_usage(self, got: _Streamed, query: Query) -> tuple[float | None, float, bool, dict | None]:
        """The tokens an answered attempt is recorded with, and whether they are the server's.

        The server's usage is the figure trusted (a hosted API bills by it) as long as the client
        cannot prove it wrong: completion tokens no fewer than were delivered and no more than the
        request allowed (:meth:`_Streamed.bounds`), prompt tokens no fewer than the prompt's bytes
        / :data:`MAX_BYTES_PER_TOKEN` and no more than its bytes + :data:`PROMPT_OVERHEAD_TOKENS`.
        A usage outside its bounds is a lie or a bug: it is not used at all (said once, its
        figures kept in the attempt as ``server_usage``), as a usage that is not a count or none.
        The tokens are then the client's own: completion tokens the delivered floor (a streamed
        answer: one per chunk of content or reasoning, exact on llama.cpp), or 4 characters a token
        for a whole response if that is more; prompt tokens None (estimated by the caller). So a
        lying count can neither hide tokens that were delivered (a token budget is spent on them)
        nor charge tokens that cannot have been.

        Returns:
            (prompt tokens or None, completion tokens, whether they are the server's figures, the
            server's figures when they were given but not used, else None).
        """
        s = self.spec
        usage = got.usage
        floor, ceiling = got.bounds(s.max_tokens)
        completion = _token_count(getattr(usage, "completion_tokens", None))
        prompt = _token_count(getattr(usage, "prompt_tokens", None))  # None: estimated
        size = query.text_bytes()
        p_floor, p_ceiling = float(math.ceil(size / MAX_BYTES_PER_TOKEN)), float(size + PROMPT_OVERHEAD_TOKENS)
        if completion is not None and floor <= completion <= ceiling:
            if prompt is None or p_floor <= prompt <= p_ceiling:
                return prompt, completion, True, None
        own = max(floor, got.delivered_bytes / CHARS_PER_TOKEN) if not s.stream else floor
        if completion is not None:  # counts, but not of this request
            if not self._said_lying_usage:
                self._said_lying_usage = True
                self.log(
                    f"{s.name}: the server's usage ({prompt} prompt, {completion:g} completion tokens) is outside "
                    f"what the request can have cost ({p_floor:g}-{p_ceiling:g} prompt, {floor:g}-{ceiling:g} "
                    f"completion tokens: delivered, and allowed by max_tokens {s.max_tokens}): not used; completion "
                    "tokens are counted from the answer and prompt tokens estimated (usage_from_server: false)"
                )
            return None, own, False, {"prompt_tokens": prompt, "completion_tokens": completion}
        if usage is not None and not self._said_bad_usage:
            self._said_bad_usage = True
            self.log(
                f"{s.name}: the server's token usage is not a count ({str(usage)[:80]}): ignored; completion "
                "tokens are counted from the answer and prompt tokens estimated (usage_from_server: false)"
            )
        elif usage is None and not self._said_no_usage:
            self._said_no_usage = True
            how = (
                "the server streams no token usage: completion tokens are counted as streamed chunks"
                if s.stream
                else "the server's responses carry no token usage: completion tokens are estimated at "
                f"{CHARS_PER_TOKEN:g} characters a token"
            )
            more = "; --no-stream for its exact count" if s.stream else ""
            self.log(f"{s.name}: {how} and prompt tokens estimated (usage_from_server: false){more}")
        return None, own, False, None

    async def _fill(
        self, client: Any, query: Query, sem: asyncio.Semaphore, bar: Any
    ) -> dict[int, CachedAnswer | Refused]:
        """Answers for every sample of ``query``: from the cache, else asked of the server.

        Failed attempts are retried with backoff (at most ``max_retries`` times); a prompt the
        server refuses (context overflow) gives a :class:`Refused` for each missing sample. Each
        answer is committed to the cache as it arrives, each abandoned attempt too (pending, with
        those of earlier runs that died first: they are part of the answer's attempts when it
        comes). Raises ModelError when retries run out.
        """
        s = self.spec
        identity = query.identity(s)
        out = self._cached(identity, query.indices)
        missing = [i for i in query.indices if i not in out]
        history = _AttemptHistory(query)
        for i in missing:  # attempts abandoned by an earlier run that died before the answer came
            history.abandoned += [([i], entry) for entry in self.cache.pending(answer_key(identity, i))]
        failures = 0
        empty_rounds = 0
        while missing:
            async with sem:
                sent_at = time.monotonic()
                try:
                    reply = await self._attempt(client, query, len(missing), missing[0])
                except _Abandoned as exc:
                    self.stats.abandoned += 1
                    entry = _abandoned_entry(
                        exc.reason, exc.completion_tokens, time.monotonic() - sent_at, exc.first_byte, len(missing)
                    )
                    history.abandoned.append((list(missing), entry))
                    for i in missing:  # committed now: a run resumed after a crash still counts it
                        self.cache.add_pending(answer_key(identity, i), entry)
                    failures += 1
                    delay = self._retry_delay(exc, failures)
                    self._note(bar, f"{s.name}: {exc.reason}; retry {failures}/{s.max_retries} in {delay:.1f}s")
                    await asyncio.sleep(delay)
                    continue
                except ContextOverflow as exc:
                    out.update(self._refuse(str(exc), missing, history, time.monotonic() - sent_at, bar))
                    break
            got = list(zip(reply.texts, reply.finishes))[: len(missing)]
            if not got:
                empty_rounds += 1
                if empty_rounds > s.max_retries:
                    raise ModelError(f"model {s.name!r}: the server keeps returning no choices")
                continue
            out.update(self._store(identity, reply, got, missing, history))
            if bar is not None:
                bar.update(len(got))
                self._postfix(bar)
            missing = missing[len(got) :]
        return out

    def _cached(self, identity: dict[str, Any], indices: list[int]) -> dict[int, CachedAnswer | Refused]:
        """The cached answers among samples ``indices`` of the prompt ``identity`` (counted as cache hits)."""
        out: dict[int, CachedAnswer | Refused] = {}
        for i in indices:
            hit = self.cache.get(answer_key(identity, i))
            if hit is not None:
                out[i] = hit
                self.stats.cached += 1
        return out

    def _retry_delay(self, exc: _Abandoned, failures: int) -> float:
        """Seconds to wait before retry number ``failures``.

        Exponential backoff with jitter, capped at ``backoff_cap``; a server's Retry-After wins
        (at most 60 s). Raises ModelError once ``failures`` exceeds ``max_retries``.
        """
        s = self.spec
        if failures > s.max_retries:
            if exc.reason.startswith("connection refused"):
                raise ModelError(server_down_message(s)) from None
            raise ModelError(
                f"model {s.name!r} at {s.base_url}: giving up after {failures} attempts "
                f"(last: {exc.reason}); answers received so far are cached: re-run to resume"
            ) from None
        self.stats.retries += 1
        backoff = min(s.backoff_cap, s.backoff_base * 2 ** (failures - 1))
        delay = backoff / 2 + random.uniform(0, backoff / 2)
        if exc.wait is not None:
            delay = min(60.0, exc.wait)
        return delay

    def _refuse(
        self, message: str, missing: list[int], history: _AttemptHistory, seconds: float, bar: Any
    ) -> dict[int, Refused]:
        """A :class:`Refused` for each of the ``missing`` samples: the server says the prompt exceeds the context."""
        self.stats.refused += len(missing)
        reason = f"context overflow: {message}"
        history.abandoned.append((list(missing), _abandoned_entry(reason, 0.0, seconds, None, len(missing))))
        out = {i: Refused(reason, history.attempts_of(i)) for i in missing}
        if bar is not None:
            bar.update(len(missing))
        return out

    def _store(
        self,
        identity: dict[str, Any],
        reply: _Reply,
        got: list[tuple[str, str | None]],
        missing: list[int],
        history: _AttemptHistory,
    ) -> dict[int, CachedAnswer]:
        """Cache the choices ``got`` of ``reply`` as the answers of the first ``missing`` samples.

        The response's prompt and completion tokens are shared evenly among its choices; each
        answer carries the abandoned attempts made for its sample and the answered one.
        """
        share = len(got)
        if reply.prompt_tokens is not None:
            history.known_prompt = reply.prompt_tokens
        prompt_total = history.prompt_tokens()
        out: dict[int, CachedAnswer] = {}
        for (text, finish), index in zip(got, missing):
            answered = {
                "outcome": str(AttemptOutcome.ANSWERED),
                "reason": finish or "stop",
                "prompt_tokens": prompt_total / share,
                "completion_tokens": reply.completion_tokens / share,
                "seconds": reply.seconds,
                "first_byte_seconds": reply.first_byte,
                "usage_from_server": reply.usage_from_server,
                "share": share,
            }
            if reply.server_usage is not None:  # the server's figures for the whole request, as given
                answered["server_usage"] = reply.server_usage
            answer = CachedAnswer(
                text=text or "",
                prompt_tokens=prompt_total / share,
                completion_tokens=reply.completion_tokens / share,
                latency_seconds=reply.seconds,
                finish_reason=finish,
                response_id=reply.response_id,
                choices_in_response=share,
                attempts=[*history.attempts_of(index), answered],
                usage_from_server=reply.usage_from_server,
                first_byte_seconds=reply.first_byte,
            )
            self.cache.put(answer_key(identity, index), answer)  # committed as it arrives
            out[index] = answer
            self.stats.answered += 1
        return out

    def _note(self, bar: Any, message: str) -> None:
        if bar is not None:
            self._postfix(bar)
            bar.write(message, file=sys.stderr)
        else:
            self.log(message)

    def _postfix(self, bar: Any) -> None:
        elapsed = max(1e-9, time.monotonic() - self._started)
        bar.set_postfix_str(
            f"{self.stats.completion_tokens / elapsed:.1f} tok/s, {self.stats.retries} retries, "
            f"{self.stats.abandoned} abandoned",
            refresh=False,
        )

    def missing(self, queries: list[Query]) -> int:
        """How many of the queries' samples are not in the cache (answers to ask for)."""
        count = 0
        for q in queries:
            identity = q.identity(self.spec)
            count += sum(1 for i in q.indices if self.cache.get(answer_key(identity, i)) is None)
        return count

    def _split(self, query: Query) -> list[Query]:
        """Split a query for several samples into one query per sample where that is faster.

        That is when the server answers one choice per request (llama.cpp) and serves several at
        once: its slots then work in parallel. Other servers get one request with ``n`` choices
        (a hosted API bills the prompt once).
        """
        one_choice = self.facts is not None and self.facts.kind == "llama.cpp"
        if not one_choice or (self.concurrency or 1) < 2 or len(query.indices) < 2:
            return [query]
        return [Query(query.tag, [i], query.messages, query.prompt, query.extra_identity) for i in query.indices]

    def run(self, queries: list[Query], desc: str = "model answers") -> list[dict[int, CachedAnswer | Refused]]:
        """Answers for every query, from the cache where possible, in the order given.

        Args:
            queries: the prompts and the sample indices wanted for each.
            desc: the progress bar's label.

        Returns:
            Per query, a dict sample index -> :class:`CachedAnswer`, or :class:`Refused` where
            the server refused the prompt.

        Raises:
            ModelError: when the server is down, refuses the request, or keeps failing.
        """
        todo = self.missing(queries)
        if todo:
            self.prepare()

        async def main() -> list[dict[int, CachedAnswer | Refused]]:
            from effbench.progress import progress_bar

            client = self._client()
            sem = asyncio.Semaphore(max(1, self.concurrency or 1))
            self._started = time.monotonic()
            bar = progress_bar(todo, desc, "answer", bool(self.progress))
            try:
                parts = [self._split(q) for q in queries]
                flat = [sub for subs in parts for sub in subs]
                done = iter(await asyncio.gather(*(self._fill(client, q, sem, bar) for q in flat)))
                return [{i: a for _ in subs for i, a in next(done).items()} for subs in parts]
            finally:
                bar.close()
                await client.close()

        return asyncio.run(main())


def usage_of(answer: CachedAnswer) -> dict[str, Any]:
    """The answer's fields without its text."""
    return asdict(answer) | {"text": None}
