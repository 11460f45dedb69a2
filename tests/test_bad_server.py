"""A model server that misbehaves on purpose (bodies of the wrong shape, numbers that are not
counts, answers far past max_tokens): effbench retries what a retry can fix, records no number the
server made up, and never ends in a traceback or holds an unbounded answer."""

from __future__ import annotations

import json
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler

import pytest

from effbench.models.client import probe_server

from .openai_fake import LocalHTTPServer

Reply = tuple[int, str, bytes]  # status, content type, body


class BadServer(LocalHTTPServer):
    """An HTTP server on 127.0.0.1 answering every GET and POST with ``reply(method, path, body)``."""

    def __init__(self, reply: Callable[[str, str, dict], Reply]) -> None:
        self.reply = reply
        self.posts: list[dict] = []
        super().__init__(_Handler)


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):  # quiet
        pass

    def _answer(self, method: str, body: dict) -> None:
        status, ctype, data = self.server.owner.reply(method, self.path, body)  # type: ignore[attr-defined]
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
        self.server.owner.posts.append(body)  # type: ignore[attr-defined]
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


CODE = "```python\ndef triangle(n):\n    return n * (n + 1) // 2 if n > 0 else 0\n```"


def sse(*events: object) -> Reply:
    """A streamed response of these events (JSON values, or raw bytes), then [DONE]."""
    data = b"".join(b"data: " + (e if isinstance(e, bytes) else json.dumps(e).encode()) + b"\n\n" for e in events)
    return 200, "text/event-stream", data + b"data: [DONE]\n\n"


def chunk(choices: list[dict], **extra: object) -> dict:
    return {"id": "r1", "object": "chat.completion.chunk", "created": 0, "model": "m", "choices": choices, **extra}


def delta(content: object, index: object = 0, finish: object = None) -> dict:
    return {"index": index, "delta": {} if content is None else {"content": content}, "finish_reason": finish}


def streamed_answers(n: int, usage: object) -> Reply:
    events: list[object] = []
    for i in range(n):
        events += [chunk([delta(CODE, i)]), chunk([delta(None, i, "stop")])]
    return sse(*events, chunk([], usage=usage))


def whole_answers(n: int, usage: object) -> Reply:
    choices = [
        {"index": i, "finish_reason": "stop", "message": {"role": "assistant", "content": CODE}} for i in range(n)
    ]
    body = {"id": "r1", "object": "chat.completion", "created": 0, "model": "m", "choices": choices, "usage": usage}
    return 200, "application/json", json.dumps(body).encode()  # NaN and Infinity as Python writes them


def ask(server: BadServer, tmp_path, n: int = 2, stream: bool = True, log: list[str] | None = None):
    """Ask ``server`` for ``n`` answers to one prompt through effbench's client (one retry, short waits)."""
    from effbench.models.cache import ResponseCache
    from effbench.models.client import ModelClient, ModelSpec, Query

    spec = ModelSpec(
        name="m",
        base_url=server.base_url,
        concurrency=1,
        timeout=5.0,
        max_retries=1,
        backoff_base=0.01,
        backoff_cap=0.02,
        stream=stream,
    )
    cache = ResponseCache(tmp_path / "answers.sqlite")
    try:
        client = ModelClient(spec, cache, log=(log if log is not None else []).append, progress=False)
        query = Query("triangle", list(range(n)), messages=[{"role": "user", "content": "write triangle"}])
        return client.run([query])[0]
    finally:
        cache.close()


@pytest.mark.parametrize("stream", [True, False], ids=["streamed", "whole"])
@pytest.mark.parametrize(
    "usage",
    [
        {"prompt_tokens": float("nan"), "completion_tokens": float("inf"), "total_tokens": 1},
        {"prompt_tokens": -1000000, "completion_tokens": -5, "total_tokens": 1},
        {"prompt_tokens": "ten", "completion_tokens": "twenty", "total_tokens": 1},
    ],
    ids=["non-finite", "negative", "text"],
)
def test_a_servers_usage_that_is_not_a_count_is_never_recorded(tmp_path, usage, stream):
    """Token usage the server reports that is not a count (NaN, Infinity, below 0, text)
    is ignored, said once, and the answers are kept with counted/estimated tokens
    (usage_from_server false): every recorded token figure is finite and >= 0. Before, NaN ended
    effbench evaluate in a traceback once the run's JSON was written, text in float()'s
    ValueError, and negative counts were recorded as the server's (-500000 prompt tokens a
    sample) and summed into the cost axes."""

    def reply(method, path, body):
        if method == "GET":
            return NOT_FOUND
        return (streamed_answers if body.get("stream") else whole_answers)(body["n"], usage)

    log: list[str] = []
    with BadServer(reply) as server:
        answers = ask(server, tmp_path, stream=stream, log=log)
    assert sorted(answers) == [0, 1]
    for answer in answers.values():
        assert answer.text == CODE
        assert not answer.usage_from_server
        for value in (answer.prompt_tokens, answer.completion_tokens):
            assert type(value) is float and 0 <= value < 1e6, value
        json.dumps(answer.attempts, allow_nan=False)  # what the run directory writes
    assert sum("usage is not a count" in line for line in log) == 1, log


@pytest.mark.parametrize(
    "events,what",
    [
        ([chunk([delta(CODE, None)]), chunk([delta(None, None, "stop")])], "choice index None"),
        ([chunk([delta(CODE, "a")]), chunk([delta(CODE, "a", "stop")])], "choice index 'a'"),
        ([chunk([delta(CODE, 0), delta(CODE, 7)]), chunk([delta(None, 0, "stop"), delta(None, 7, "stop")])], "index 7"),
        ([chunk([delta(5, 0, "stop")]), chunk([delta(5, 1, "stop")])], "not text"),
        ([chunk([delta(CODE, 0, 7)]), chunk([delta(CODE, 1, 7)])], "not text"),
    ],
    ids=["index-null", "index-text", "index-not-asked", "content-a-number", "finish-a-number"],
)
def test_a_streamed_choice_of_the_wrong_shape_is_a_malformed_response(tmp_path, events, what):
    """A streamed choice whose index is not one of the n asked for, or whose content or finish
    reason is not text, makes the attempt a malformed response (retried, then one ModelError line
    naming it), never a traceback nor two choices' text run together as one answer. Before, an
    index null ended in sorted()'s TypeError, a content 5 in str.join's, and two choices both
    numbered 'a' were recorded as one answer holding both codes (a SyntaxError sample)."""
    from effbench.models.client import ModelError

    with BadServer(lambda method, path, body: NOT_FOUND if method == "GET" else sse(*events)) as server:
        with pytest.raises(ModelError, match="malformed response") as info:
            ask(server, tmp_path)
        assert len(server.posts) == 2  # the attempt and its one retry
    assert what in str(info.value)


@pytest.mark.parametrize(
    "header,seconds",
    [("nan", None), ("inf", None), ("-100", 0.0), ("Wed, 21 Oct 2099 07:28:00 GMT", None), ("2.5", 2.5)],
)
def test_a_retry_after_that_is_not_a_finite_number_of_seconds_leaves_the_wait_to_the_backoff(header, seconds):
    """Retry-After is honoured when it is a finite number of seconds (below 0 means now); 'nan' or
    'inf' is no number of seconds and leaves the wait to the backoff. Before, 'nan' made every
    retry wait the 60 s cap (min(60, nan) is 60): a run against such a server took 63.7 s for
    two attempts instead of 3."""
    from types import SimpleNamespace

    from effbench.models.client import _retry_after

    exc = Exception()
    exc.response = SimpleNamespace(headers={"retry-after": header})  # type: ignore[attr-defined]
    assert _retry_after(exc) == seconds


def test_an_answer_far_past_max_tokens_is_cut_never_held_whole(tmp_path, monkeypatch):
    """A server that ignores max_tokens sends no more than MAX_ANSWER_CHARS characters of one
    answer into effbench: the answer is cut there with finish reason 'length' (the cut is said)
    and the rest of the stream is not read. Before, a server streaming 200 MiB per choice had
    both answers held whole and written into the run directory's samples.jsonl (419 MB, 165 s
    for two samples of the mini set)."""
    from effbench.models import client

    monkeypatch.setattr(client, "MAX_ANSWER_CHARS", 1000)
    events = [chunk([delta("```python\ndef triangle(n):\n    return 0\n# ")])]
    events += [chunk([delta("x" * 100)]) for _ in range(100)]
    events += [chunk([delta("\n```", 0, "stop")]), chunk([], usage={"prompt_tokens": 1, "completion_tokens": 9})]
    log: list[str] = []
    with BadServer(lambda method, path, body: NOT_FOUND if method == "GET" else sse(*events)) as server:
        answers = ask(server, tmp_path, n=1, log=log)
    answer = answers[0]
    assert len(answer.text) == 1000 and answer.text.startswith("```python")
    assert answer.finish_reason == "length"
    assert any("passed 1,000 characters" in line for line in log), log
