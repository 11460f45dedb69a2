"""A real HTTP server on 127.0.0.1 that speaks the OpenAI API, answers from a script and
misbehaves on purpose (429 with Retry-After, 500, a hang past the client's timeout, a dropped
connection, malformed JSON, 401, 404). Bounded: it serves only while a test holds it."""

from __future__ import annotations

import json
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeOpenAI:
    def __init__(
        self,
        answer: Callable[[str, int], str],
        faults: list[str] | None = None,
        models: tuple[str, ...] = ("scripted-model",),
        max_choices: int = 64,
        hang_seconds: float = 3.0,
    ) -> None:
        self.answer = answer
        self.faults = list(faults or [])
        self.models = models
        self.max_choices = max_choices
        self.hang_seconds = hang_seconds
        self.requests: list[dict] = []
        self.faults_served: list[str] = []
        self._counters: dict[str, int] = defaultdict(int)
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def __enter__(self) -> FakeOpenAI:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
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

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                with fake._lock:
                    fake.requests.append({"path": self.path, "body": body})
                    fault = fake.faults.pop(0) if fake.faults else None
                    if fault:
                        fake.faults_served.append(fault)
                if fault == "429":
                    return self._send(
                        429, {"error": {"message": "slow down", "type": "rate_limit"}}, {"Retry-After": "1"}
                    )
                if fault == "500":
                    return self._send(500, {"error": {"message": "boom", "type": "server_error"}})
                if fault == "hang":
                    time.sleep(fake.hang_seconds)
                    return None
                if fault == "drop":
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return None
                if fault == "malformed":
                    return self._send(200, b'{"id": "x", "choices": [ {"index": 0, "message": ')
                if fault == "401":
                    return self._send(401, {"error": {"message": "bad key", "type": "invalid_request_error"}})
                if body.get("model") not in fake.models:
                    return self._send(404, {"error": {"message": f"model {body.get('model')} not found"}})
                chat = self.path.endswith("/chat/completions")
                prompt = json.dumps(body.get("messages")) if chat else str(body.get("prompt"))
                n = min(int(body.get("n") or 1), fake.max_choices)
                choices, completion_tokens = [], 0
                for i in range(n):
                    with fake._lock:
                        index = fake._counters[prompt]
                        fake._counters[prompt] += 1
                    text = fake.answer(prompt, index)
                    completion_tokens += len(text.split())
                    if chat:
                        choices.append(
                            {"index": i, "finish_reason": "stop", "message": {"role": "assistant", "content": text}}
                        )
                    else:
                        choices.append({"index": i, "finish_reason": "stop", "text": text, "logprobs": None})
                usage = {
                    "prompt_tokens": len(prompt.split()),
                    "completion_tokens": completion_tokens,
                    "total_tokens": len(prompt.split()) + completion_tokens,
                }
                obj = "chat.completion" if chat else "text_completion"
                return self._send(
                    200,
                    {
                        "id": f"resp-{len(fake.requests)}",
                        "object": obj,
                        "created": 0,
                        "model": body.get("model"),
                        "choices": choices,
                        "usage": usage,
                    },
                )

        return Handler
