"""A model server that misbehaves on purpose (bodies of the wrong shape, numbers that are not
counts, answers far past max_tokens): effbench retries what a retry can fix, records no number the
server made up, and never ends in a traceback or holds an unbounded answer."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from effbench.models.client import probe_server

Reply = tuple[int, str, bytes]  # status, content type, body


class BadServer:
    """An HTTP server on 127.0.0.1 answering every GET and POST with ``reply(method, path, body)``."""

    def __init__(self, reply: Callable[[str, str, dict], Reply]) -> None:
        self.reply = reply
        self.posts: list[dict] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.bad = self  # type: ignore[attr-defined]
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def __enter__(self) -> BadServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):  # quiet
        pass

    def _answer(self, method: str, body: dict) -> None:
        status, ctype, data = self.server.bad.reply(method, self.path, body)  # type: ignore[attr-defined]
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(data)
        self.close_connection = True

    def do_GET(self):
        self._answer("GET", {})

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
        self.server.bad.posts.append(body)  # type: ignore[attr-defined]
        self._answer("POST", body)


def as_json(value: object) -> Reply:
    return 200, "application/json", json.dumps(value).encode()


NOT_FOUND: Reply = (404, "application/json", b'{"error": {"message": "not found"}}')


@pytest.mark.parametrize(
    "path,body",
    [
        ("/props", {"total_slots": 2, "default_generation_settings": [4096]}),
        ("/props", {"total_slots": True, "default_generation_settings": "n_ctx=4096"}),
        ("/v1/models", {"data": [{"id": "m", "meta": [4096]}]}),
        ("/v1/models", {"data": [{"id": "m", "owned_by": "vllm", "meta": "big"}]}),
        ("/slots", [[1], {"n_ctx": True}]),
    ],
    ids=["settings-a-list", "slots-a-bool", "meta-a-list", "meta-a-string", "slots-not-objects"],
)
def test_the_server_probe_never_raises_on_a_body_of_the_wrong_shape(path, body):
    """probe_server never raises (its contract): a llama.cpp /props, /slots or /v1/models body whose
    fields have another shape than documented says nothing about the server, and a bool is no count
    of slots or tokens. Before, a list where an object belongs ended effbench evaluate --model in
    AttributeError's traceback, and total_slots true was taken for 'True request(s) at once'."""
    with BadServer(lambda method, p, _: as_json(body) if p == path else NOT_FOUND) as server:
        facts = probe_server(server.base_url)
    assert facts.reachable
    assert facts.slots is None or (type(facts.slots) is int and facts.slots > 0)
    assert facts.context_length is None
