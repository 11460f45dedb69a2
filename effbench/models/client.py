"""The OpenAI-compatible adapter: any server that speaks the OpenAI API (hosted APIs, vLLM, SGLang,
llama.cpp, Ollama) without code changes.

Requests run concurrently under a limit; 429 (honouring Retry-After), 5xx, time-outs, dropped
connections and malformed bodies are retried with exponential backoff and jitter, a bounded
number of times; 401/403/404/400 stop the run with one clear line. Servers that return fewer
choices than ``n`` (llama.cpp serves one) are asked again for the missing samples; every answer
is cached with its share of the response's token usage, so nothing is counted twice.
"""

from __future__ import annotations

import asyncio
import os
import random
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from effbench.errors import EffbenchError
from effbench.models.cache import CachedAnswer, ResponseCache, answer_key


@dataclass(frozen=True)
class ModelSpec:
    name: str
    base_url: str
    mode: str = "chat"  # or "completion"
    api_key_env: str = "OPENAI_API_KEY"
    temperature: float = 0.8
    top_p: float = 0.95
    max_tokens: int = 1024
    seed: int | None = None
    concurrency: int = 4
    timeout: float = 120.0
    max_retries: int = 5
    backoff_base: float = 0.5
    backoff_cap: float = 30.0

    def identity(self) -> dict[str, Any]:
        """What defines an answer (the cache key): not the key, the timeouts or the concurrency."""
        return {
            "model": self.name,
            "base_url": self.base_url.rstrip("/"),
            "mode": self.mode,
            "temperature": self.temperature,
            "top_p": self.top_p,
            "max_tokens": self.max_tokens,
            "seed": self.seed,
        }


@dataclass
class Query:
    """One prompt and the sample indices wanted for it."""

    tag: Any  # the caller's handle (problem id, chain, round)
    indices: list[int]
    messages: list[dict[str, str]] | None = None
    prompt: str | None = None
    extra_identity: dict[str, Any] = field(default_factory=dict)

    def identity(self, spec: ModelSpec) -> dict[str, Any]:
        return {**spec.identity(), "messages": self.messages, "prompt": self.prompt, **self.extra_identity}


@dataclass
class ClientStats:
    requests: int = 0
    retries: int = 0
    cached: int = 0
    answered: int = 0


class ModelError(EffbenchError):
    """The endpoint refused the request for a reason retrying cannot fix."""


def _retry_after(exc: Exception) -> float | None:
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    if not headers:
        return None
    value = headers.get("retry-after")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


class ModelClient:
    def __init__(self, spec: ModelSpec, cache: ResponseCache, log: Callable[[str], None] = lambda s: None) -> None:
        self.spec = spec
        self.cache = cache
        self.log = log
        self.stats = ClientStats()

    def _client(self):  # noqa: ANN202 - openai.AsyncOpenAI
        import openai

        key = os.environ.get(self.spec.api_key_env) or "effbench-no-key"
        return openai.AsyncOpenAI(base_url=self.spec.base_url, api_key=key, timeout=self.spec.timeout, max_retries=0)

    async def _request(
        self, client: Any, query: Query, n: int, first_index: int
    ) -> tuple[list[str | None], Any, float]:
        import openai

        s = self.spec
        params: dict[str, Any] = {
            "model": s.name,
            "temperature": s.temperature,
            "top_p": s.top_p,
            "max_tokens": s.max_tokens,
            "n": n,
        }
        if s.seed is not None:
            params["seed"] = s.seed + first_index
        attempt = 0
        while True:
            start = time.monotonic()
            self.stats.requests += 1
            try:
                if s.mode == "chat":
                    resp = await client.chat.completions.create(messages=query.messages, **params)
                    texts = [c.message.content if c.message else None for c in resp.choices]
                    finishes = [c.finish_reason for c in resp.choices]
                else:
                    resp = await client.completions.create(prompt=query.prompt, **params)
                    texts = [c.text for c in resp.choices]
                    finishes = [c.finish_reason for c in resp.choices]
                if not isinstance(resp.choices, list):
                    raise ValueError("response without choices")
                return [t for t in texts], (resp, finishes), time.monotonic() - start
            except openai.AuthenticationError as exc:
                raise ModelError(
                    f"model {s.name!r} at {s.base_url}: 401 unauthorized; set ${s.api_key_env} ({exc.message})"
                ) from None
            except openai.PermissionDeniedError as exc:
                raise ModelError(f"model {s.name!r} at {s.base_url}: 403 forbidden ({exc.message})") from None
            except openai.NotFoundError as exc:
                raise ModelError(
                    f"model {s.name!r} at {s.base_url}: 404 not found; check --model and --base-url ({exc.message})"
                ) from None
            except openai.BadRequestError as exc:
                raise ModelError(f"model {s.name!r} at {s.base_url}: 400 bad request ({exc.message})") from None
            except (openai.RateLimitError, openai.InternalServerError, openai.APIStatusError) as exc:
                status = getattr(exc, "status_code", None)
                if isinstance(exc, openai.APIStatusError) and status is not None and status < 500 and status != 429:
                    raise ModelError(f"model {s.name!r} at {s.base_url}: HTTP {status} ({exc.message})") from None
                reason, wait = f"HTTP {status}", _retry_after(exc)
            except (openai.APITimeoutError, openai.APIConnectionError) as exc:
                reason, wait = type(exc).__name__, None
            except (openai.APIResponseValidationError, ValueError, TypeError, AttributeError) as exc:
                reason, wait = f"malformed response ({type(exc).__name__})", None
            attempt += 1
            if attempt > s.max_retries:
                raise ModelError(
                    f"model {s.name!r} at {s.base_url}: giving up after {attempt} attempts (last: {reason}); "
                    "answers received so far are cached: re-run to resume"
                )
            self.stats.retries += 1
            backoff = min(s.backoff_cap, s.backoff_base * 2 ** (attempt - 1))
            delay = min(60.0, wait) if wait is not None else backoff / 2 + random.uniform(0, backoff / 2)
            self.log(f"{s.name}: {reason}; retry {attempt}/{s.max_retries} in {delay:.1f}s")
            await asyncio.sleep(delay)

    async def _fill(self, client: Any, query: Query, sem: asyncio.Semaphore) -> dict[int, CachedAnswer]:
        identity = query.identity(self.spec)
        out: dict[int, CachedAnswer] = {}
        for i in query.indices:
            hit = self.cache.get(answer_key(identity, i))
            if hit is not None:
                out[i] = hit
                self.stats.cached += 1
        missing = [i for i in query.indices if i not in out]
        empty_rounds = 0
        while missing:
            async with sem:
                texts, (resp, finishes), latency = await self._request(client, query, len(missing), missing[0])
            got = [(t, f) for t, f in zip(texts, finishes)][: len(missing)]
            if not got:
                empty_rounds += 1
                if empty_rounds > self.spec.max_retries:
                    raise ModelError(f"model {self.spec.name!r}: the server keeps returning no choices")
                continue
            usage = getattr(resp, "usage", None)
            prompt_tokens = float(getattr(usage, "prompt_tokens", 0) or 0)
            completion_tokens = float(getattr(usage, "completion_tokens", 0) or 0)
            share = len(got)
            for (text, finish), index in zip(got, missing):
                answer = CachedAnswer(
                    text=text or "",
                    prompt_tokens=prompt_tokens / share,
                    completion_tokens=completion_tokens / share,
                    latency_seconds=latency,
                    finish_reason=finish,
                    response_id=str(getattr(resp, "id", "")),
                    choices_in_response=share,
                )
                self.cache.put(answer_key(identity, index), answer)
                out[index] = answer
                self.stats.answered += 1
            missing = missing[len(got) :]
        return out

    def run(
        self, queries: list[Query], progress: Callable[[int], None] = lambda n: None
    ) -> list[dict[int, CachedAnswer]]:
        """Answers for every query (from the cache where possible), in the order given."""

        async def main() -> list[dict[int, CachedAnswer]]:
            client = self._client()
            sem = asyncio.Semaphore(max(1, self.spec.concurrency))

            async def one(q: Query) -> dict[int, CachedAnswer]:
                result = await self._fill(client, q, sem)
                progress(len(q.indices))
                return result

            try:
                return await asyncio.gather(*(one(q) for q in queries))
            finally:
                await client.close()

        return asyncio.run(main())


def usage_of(answer: CachedAnswer) -> dict[str, Any]:
    return asdict(answer) | {"text": None}
