"""A real HTTP server on 127.0.0.1 that speaks the OpenAI API, answers from a script and
misbehaves on purpose. Bounded: it serves only while a test holds it.

It can behave like a single-slot local server (llama.cpp): ``slots=1`` serves one request at a
time while the others wait in its queue without a byte sent; ``context`` refuses a prompt of more
tokens with HTTP 400 (as llama.cpp and vLLM word it); ``token_delay`` generates slowly, streaming
one token per chunk (a token is a word with its trailing space). ``props=True`` answers
llama.cpp's ``GET /props`` (``total_slots``, and ``n_ctx`` when ``context`` is set).

Faults, one per request in order: ``429`` (Retry-After: 1), ``500``, ``hang`` (no byte until the
client gives up), ``stall`` (a few tokens streamed, then silence until the client gives up; the
slot stays busy meanwhile), ``drop`` (connection closed before any byte), ``drop_mid`` (closed
after a few tokens), ``malformed`` (a truncated JSON body), ``401``.

It keeps its own books: every POST (``requests``, with the prompt tokens it received), and the
usage of every request it answered in full (``answered``), to compare with effbench's records.
"""

from __future__ import annotations

import json
import re
import select
import socket
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def tokens_of(text: str) -> list[str]:
    """The fake's tokenizer: words with their trailing whitespace (leading whitespace alone)."""
    return re.findall(r"\s+|\S+\s*", text) if text else []


class LocalHTTPServer:
    """An HTTP server on 127.0.0.1 (a free port) serving ``handler`` on a daemon thread while
    used as a context manager; the handler reaches this object as ``self.server.owner``."""

    def __init__(self, handler: type[BaseHTTPRequestHandler]) -> None:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.owner = self  # type: ignore[attr-defined]
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        """The OpenAI-style base URL, ``http://127.0.0.1:PORT/v1``."""
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


class FakeOpenAI(LocalHTTPServer):
    def __init__(
        self,
        answer: Callable[[str, int], str],
        faults: list[str | None] | None = None,
        models: tuple[str, ...] = ("scripted-model",),
        max_choices: int = 64,
        hang_seconds: float = 3.0,
        slots: int | None = None,
        context: int | None = None,
        token_delay: float = 0.0,
        props: bool = False,
        stream_usage: bool = True,
    ) -> None:
        self.answer = answer
        self.faults = list(faults or [])
        self.models = models
        self.max_choices = max_choices
        self.hang_seconds = hang_seconds
        self.context = context
        self.token_delay = token_delay
        self.props = props
        self.stream_usage = stream_usage
        self.slots = slots
        self._slot_sem = threading.Semaphore(slots) if slots else None
        self.requests: list[dict] = []
        self.faults_served: list[str] = []
        self.answered: list[dict] = []  # usage of every request answered in full
        self.refused_context = 0
        self.active = 0
        self.max_active = 0
        self._counters: dict[str, int] = defaultdict(int)
        self._lock = threading.Lock()
        super().__init__(_Handler)

    @property
    def answered_prompt_tokens(self) -> int:
        return sum(u["prompt_tokens"] for u in self.answered)

    @property
    def answered_completion_tokens(self) -> int:
        return sum(u["completion_tokens"] for u in self.answered)


class _Handler(BaseHTTPRequestHandler):
    """The fake's request handler; the server carries the :class:`FakeOpenAI` it serves (``server.owner``)."""

    @property
    def fake(self) -> FakeOpenAI:
        return self.server.owner  # type: ignore[attr-defined]

    def log_message(self, *args):  # quiet
        pass

    def _send(self, status, body, headers=None):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def _client_gone(self, seconds):
        """Wait until the client closes the connection (True) or ``seconds`` pass."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self.connection], [], [], 0.05)
            if ready:
                try:
                    if self.connection.recv(1, socket.MSG_PEEK) == b"":
                        return True
                except OSError:
                    return True
        return False

    def do_GET(self):
        if self.path == "/props" and self.fake.props:
            settings = {"n_ctx": self.fake.context} if self.fake.context else {}
            return self._send(200, {"total_slots": self.fake.slots or 1, "default_generation_settings": settings})
        if self.path == "/v1/models":
            return self._send(200, {"object": "list", "data": [{"id": m, "object": "model"} for m in self.fake.models]})
        return self._send(404, {"error": {"message": "not found"}})

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
        chat = self.path.endswith("/chat/completions")
        prompt = json.dumps(body.get("messages")) if chat else str(body.get("prompt"))
        prompt_tokens = len(tokens_of(prompt))
        with self.fake._lock:
            fault = self.fake.faults.pop(0) if self.fake.faults else None
            self.fake.requests.append({"path": self.path, "body": body, "prompt_tokens": prompt_tokens, "fault": fault})
            if fault:
                self.fake.faults_served.append(fault)
        if fault == "429":
            return self._send(429, {"error": {"message": "slow down", "type": "rate_limit"}}, {"Retry-After": "1"})
        if fault == "500":
            return self._send(500, {"error": {"message": "boom", "type": "server_error"}})
        if fault == "drop":
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return None
        if fault == "malformed":
            return self._send(200, b'{"id": "x", "choices": [ {"index": 0, "message": ')
        if fault == "401":
            return self._send(401, {"error": {"message": "bad key", "type": "invalid_request_error"}})
        if body.get("model") not in self.fake.models:
            return self._send(404, {"error": {"message": f"model {body.get('model')} not found"}})
        if self.fake.context is not None and prompt_tokens > self.fake.context:
            with self.fake._lock:
                self.fake.refused_context += 1
            return self._send(
                400,
                {
                    "error": {
                        "message": f"the request exceeds the available context size "
                        f"({prompt_tokens} tokens > {self.fake.context})",
                        "type": "exceed_context_size_error",
                    }
                },
            )
        if self.fake._slot_sem is not None:
            self.fake._slot_sem.acquire()  # queued: not a byte sent meanwhile
        with self.fake._lock:
            self.fake.active += 1
            self.fake.max_active = max(self.fake.max_active, self.fake.active)
        try:
            return self._generate(body, chat, prompt, prompt_tokens, fault)
        finally:
            with self.fake._lock:
                self.fake.active -= 1
            if self.fake._slot_sem is not None:
                self.fake._slot_sem.release()

    def _generate(self, body, chat, prompt, prompt_tokens, fault):
        if fault == "hang":
            self._client_gone(self.fake.hang_seconds)
            return None
        n = min(int(body.get("n") or 1), self.fake.max_choices)
        texts = []
        for _ in range(n):
            with self.fake._lock:
                index = self.fake._counters[prompt]
                self.fake._counters[prompt] += 1
            texts.append(self.fake.answer(prompt, index))
        pieces = [tokens_of(t) for t in texts]
        completion_tokens = sum(len(p) for p in pieces)
        usage = {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        }
        rid = f"resp-{len(self.fake.requests)}"
        if not body.get("stream"):
            time.sleep(self.fake.token_delay * completion_tokens)
            choices = [
                {"index": i, "finish_reason": "stop", "message": {"role": "assistant", "content": t}}
                if chat
                else {"index": i, "finish_reason": "stop", "text": t, "logprobs": None}
                for i, t in enumerate(texts)
            ]
            obj = "chat.completion" if chat else "text_completion"
            body_out = {"id": rid, "object": obj, "created": 0, "model": body.get("model")}
            self._send(200, {**body_out, "choices": choices, "usage": usage})
            with self.fake._lock:
                self.fake.answered.append(usage)
            return None
        return self._stream(body, chat, pieces, usage, rid, fault)

    def _stream(self, body, chat, pieces, usage, rid, fault):
        obj = "chat.completion.chunk" if chat else "text_completion"
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Connection", "close")
        self.end_headers()

        def event(choices, extra=None):
            data = {"id": rid, "object": obj, "created": 0, "model": body.get("model"), "choices": choices}
            data.update(extra or {})
            self.wfile.write(b"data: " + json.dumps(data).encode() + b"\n\n")
            self.wfile.flush()

        def choice(i, piece, finish=None):
            if chat:
                return {
                    "index": i,
                    "delta": {"content": piece} if piece is not None else {},
                    "finish_reason": finish,
                }
            return {"index": i, "text": piece or "", "finish_reason": finish, "logprobs": None}

        try:
            sent = 0
            longest = max((len(p) for p in pieces), default=0)
            for step in range(longest):
                for i, p in enumerate(pieces):
                    if step < len(p):
                        event([choice(i, p[step])])
                        sent += 1
                if fault in ("stall", "drop_mid") and sent >= 2:
                    if fault == "stall":
                        self._client_gone(self.fake.hang_seconds)
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return None
                time.sleep(self.fake.token_delay)
            event([choice(i, None, "stop") for i in range(len(pieces))])
            include = (body.get("stream_options") or {}).get("include_usage")
            if include and self.fake.stream_usage:
                event([], {"usage": usage})
            self.wfile.write(b"data: [DONE]\n\n")
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            return None
        with self.fake._lock:
            self.fake.answered.append(usage)
        return None
