"""A model server that misbehaves on purpose (bodies of the wrong shape, numbers that are not
counts, answers far past max_tokens): effbench retries what a retry can fix, records no number the
server made up, and never ends in a traceback or holds an unbounded answer."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler

import pytest

from effbench.models.client import probe_server

from .openai_fake import LocalHTTPServer

Reply = tuple[int, str, bytes]  # status, content type, body


class BadServer(LocalHTTPServer):
    """An HTTP server on 127.0.0.1 answering every GET and POST with ``reply(method, path, body)``:
    a (status, content type, body) triple, or a callable given the request handler, which writes
    the response itself."""

    def __init__(self, reply: Callable[[str, str, dict], Reply]) -> None:
        self.reply = reply
        self.posts: list[dict] = []
        super().__init__(_Handler)


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):  # quiet
        pass

    def _answer(self, method: str, body: dict) -> None:
        reply = self.server.owner.reply(method, self.path, body)  # type: ignore[attr-defined]
        if callable(reply):  # it writes the response itself (slowly, in pieces, or not at all)
            try:
                reply(self)
            except OSError:  # the client went away
                pass
            self.close_connection = True
            return
        status, ctype, data = reply
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


def ask(
    server: BadServer,
    tmp_path,
    n: int = 2,
    stream: bool = True,
    log: list[str] | None = None,
    base_url: str | None = None,
    **spec: object,
):
    """Ask ``server`` for ``n`` answers to one prompt through effbench's client (one retry, short
    waits; ``spec`` overrides ModelSpec fields). The cache is ``tmp_path / answers.sqlite``."""
    from effbench.models.cache import ResponseCache
    from effbench.models.client import ModelClient, ModelSpec, Query

    settings: dict = {
        "concurrency": 1,
        "timeout": 5.0,
        "max_retries": 1,
        "backoff_base": 0.01,
        "backoff_cap": 0.02,
        **spec,
    }
    spec_ = ModelSpec(name="m", base_url=base_url or server.base_url, stream=stream, **settings)
    cache = ResponseCache(tmp_path / "answers.sqlite")
    try:
        client = ModelClient(spec_, cache, log=(log if log is not None else []).append, progress=False)
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


# --- red team rt-models: a server that lies, stalls, floods or sends the request elsewhere ---------


def _usage_log(log: list[str]) -> list[str]:
    return [line for line in log if "is outside what the request can have cost" in line]


@pytest.mark.parametrize("stream", [True, False], ids=["streamed", "whole"])
@pytest.mark.parametrize(
    "usage",
    [
        {"prompt_tokens": 0, "completion_tokens": 0},
        {"prompt_tokens": 10**15, "completion_tokens": 10**15},
        {"prompt_tokens": 3, "completion_tokens": 10**7},
    ],
    ids=["zero-for-an-answer", "absurd", "past-max-tokens"],
)
def test_a_lying_usage_can_neither_hide_delivered_tokens_nor_charge_impossible_ones(tmp_path, usage, stream):
    """The server's usage is the figure trusted (a hosted API bills by it) as long as the client
    cannot prove it wrong: completion tokens no fewer than were delivered (one a streamed chunk, one
    per 32 bytes of text) and no more than the request allowed (max_tokens per choice asked, or a
    token per byte delivered); prompt tokens no fewer than the prompt's bytes / 32 and no more than
    its bytes + 8192. A usage outside is not used (said once, the answer marked usage_from_server
    false, the server's figures kept in its attempt): the client's own count stands, within the
    same bounds. Before, a server saying 0 tokens made 2 answers cost nothing (a token budget
    never spent), and one saying 10**15 put 5e14 tokens a sample on every cost axis."""

    def reply(method, path, body):
        if method == "GET":
            return NOT_FOUND
        return (streamed_answers if body.get("stream") else whole_answers)(body["n"], usage)

    log: list[str] = []
    with BadServer(reply) as server:
        answers = ask(server, tmp_path, stream=stream, log=log, max_tokens=100)
    delivered = len(CODE.encode())
    for answer in answers.values():
        assert answer.text == CODE and not answer.usage_from_server
        # each answer's share of the request (2 choices): within [floor, ceiling] / 2
        assert max(1.0, delivered / 32) / 2 <= answer.completion_tokens <= max(2 * 100, 2 * delivered + 2) / 2
        assert 0 < answer.prompt_tokens <= (len("write triangle") + 8192) / 2
        (answered,) = answer.attempts
        assert answered["server_usage"]["completion_tokens"] == usage["completion_tokens"]
    assert len(_usage_log(log)) == 1, log


def test_an_honest_usage_is_recorded_as_the_server_gave_it(tmp_path):
    """A usage within its bounds is recorded exactly, as the server's (no bound moves an honest count)."""

    def reply(method, path, body):
        return (
            NOT_FOUND if method == "GET" else streamed_answers(body["n"], {"prompt_tokens": 7, "completion_tokens": 40})
        )

    log: list[str] = []
    with BadServer(reply) as server:
        answers = ask(server, tmp_path, log=log)
    assert [(a.prompt_tokens, a.completion_tokens, a.usage_from_server) for a in answers.values()] == [
        (3.5, 20.0, True)
    ] * 2
    assert "server_usage" not in answers[0].attempts[-1] and not _usage_log(log)


def test_a_whole_response_without_usage_is_counted_from_its_text_not_as_one_token(tmp_path):
    """--no-stream against a server whose response carries no usage: completion tokens are
    estimated from the answer's text (4 characters a token), not one a choice, and the log says
    so in the words of a whole response. Before, a 1,400-character answer was recorded as 1
    completion token ('streamed chunks' of a response that was not streamed)."""
    long_code = CODE * 20

    def reply(method, path, body):
        if method == "GET":
            return NOT_FOUND
        choices = [
            {"index": i, "finish_reason": "stop", "message": {"role": "assistant", "content": long_code}}
            for i in range(body["n"])
        ]
        return as_json({"id": "r1", "object": "chat.completion", "created": 0, "model": "m", "choices": choices})

    log: list[str] = []
    with BadServer(reply) as server:
        answers = ask(server, tmp_path, stream=False, log=log)
    for answer in answers.values():
        assert not answer.usage_from_server
        assert answer.completion_tokens >= len(long_code) / 4
    assert any("responses carry no token usage" in line for line in log), log


def test_reasoning_streamed_apart_from_the_content_is_counted_as_delivered(tmp_path):
    """Reasoning a server streams in its own field (reasoning_content: vLLM, SGLang, DeepSeek;
    reasoning: Ollama) is generated tokens: without the server's usage, each of its chunks counts
    one completion token, like a content chunk; and it keeps an attempt alive as progress. Before,
    50 chunks of reasoning and one of code were recorded as 1 completion token."""
    events: list[object] = []
    for i in range(2):
        events += [chunk([{"index": i, "delta": {"reasoning_content": "think "}, "finish_reason": None}])] * 50
        events += [chunk([delta(CODE, i)]), chunk([delta(None, i, "stop")])]

    with BadServer(lambda method, path, body: NOT_FOUND if method == "GET" else sse(*events)) as server:
        answers = ask(server, tmp_path)
    for answer in answers.values():
        assert answer.text == CODE
        assert answer.completion_tokens >= 51 / 1  # 50 reasoning chunks and one of content, for each choice


@pytest.mark.parametrize(
    "body,what",
    [
        (lambda n, usage: whole_answers(n + 1, usage), "choice index"),
        (
            lambda n, usage: as_json({"id": "r", "object": "chat.completion", "choices": [], "usage": usage}),
            "no choices",
        ),
    ],
    ids=["a-choice-too-many", "no-choices"],
)
def test_a_paid_response_rejected_as_malformed_keeps_the_servers_usage(tmp_path, body, what):
    """A 200 response that is rejected (a choice not asked for, no choice at all) but says what it
    cost: the abandoned attempt carries the server's completion tokens (within the request's
    bounds), not the one chunk per choice the client counted, so the retry's cost axis holds what
    the rejected response was billed. Before, 5,000 completion tokens billed were recorded as 2."""
    usage = {"prompt_tokens": 100, "completion_tokens": 150}
    calls: list[int] = []

    def reply(method, path, request):
        if method == "GET":
            return NOT_FOUND
        calls.append(1)
        n = request["n"]
        return body(n, usage) if len(calls) == 1 else whole_answers(n, {"prompt_tokens": 100, "completion_tokens": 20})

    with BadServer(reply) as server:
        answers = ask(server, tmp_path, stream=False, max_tokens=100)
    abandoned = [a for a in answers[0].attempts if a["outcome"] == "abandoned"]
    assert len(abandoned) == 1 and what in abandoned[0]["reason"]
    assert abandoned[0]["completion_tokens"] * abandoned[0]["share"] == 150


def _keep_alive(comment: bool, seconds: float = 8.0):
    """A streamed response that sends one token, then keeps the connection alive without another
    (SSE comments, or chunks with an empty delta) for ``seconds``, then closes it."""
    import time

    def write(handler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "text/event-stream")
        handler.end_headers()
        handler.wfile.write(b"data: " + json.dumps(chunk([delta("```python\n")])).encode() + b"\n\n")
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            handler.wfile.write(
                b": keep-alive\n\n" if comment else b"data: " + json.dumps(chunk([delta(None)])).encode() + b"\n\n"
            )
            handler.wfile.flush()
            time.sleep(0.1)

    return write


def _trickle(handler) -> None:
    """A whole (non-streamed) response whose body comes a byte every 0.1 s, for 8 s, then ends."""
    import time

    data = json.dumps({"id": "r", "object": "chat.completion", "choices": [], "pad": " " * 80}).encode()
    handler.send_response(200)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(data)))
    handler.end_headers()
    for byte in data:
        handler.wfile.write(bytes([byte]))
        handler.wfile.flush()
        time.sleep(0.1)


@pytest.mark.parametrize(
    "writer,stream",
    [(_keep_alive(True), True), (_keep_alive(False), True), (_trickle, False)],
    ids=["sse-comments", "empty-deltas", "trickled-body"],
)
def test_a_server_that_keeps_the_connection_alive_without_tokens_is_timed_out(tmp_path, writer, stream):
    """An attempt is abandoned once --request-timeout seconds pass without progress (no token,
    reasoning, finish reason or usage), whatever the server sends meanwhile: SSE keep-alive
    comments, chunks with an empty delta, or a whole body trickled a byte at a time. Before, each
    of these held the attempt open for as long as the server went on (forever for a proxy that
    pings), since httpx's time-out only measures silence: here 8 s per attempt against a 1 s
    time-out, ending as a 'dropped connection', not a time-out."""
    from effbench.models.client import ModelError

    with BadServer(lambda method, path, body: NOT_FOUND if method == "GET" else writer) as server:
        with pytest.raises(ModelError, match="time-out: no token for 1 s"):
            ask(server, tmp_path, n=1, stream=stream, timeout=1.0)
        assert len(server.posts) == 2  # the attempt and its one retry


@pytest.mark.parametrize("stream", [True, False], ids=["one-stream-line", "whole-body"])
def test_a_response_larger_than_the_bound_is_refused_never_held(tmp_path, monkeypatch, stream):
    """No response body (whole) and no line of a stream larger than MAX_RESPONSE_BYTES is held in
    memory: reading stops there and the attempt is abandoned as 'response too large' (retried,
    then one ModelError line). Before, a 100 MB body or stream event was read whole before any cut
    applied: the client's peak resident memory was 383 MB (whole body) and 583 MB (one stream
    line) for one such response, 123 and 147 MB with the bound (server in another process, load
    ~10); a few of them at once could exhaust the host."""
    from effbench.models import client
    from effbench.models.client import ModelError

    monkeypatch.setattr(client, "MAX_RESPONSE_BYTES", 200_000)
    big = "x" * 1_000_000

    def reply(method, path, body):
        if method == "GET":
            return NOT_FOUND
        if body.get("stream"):
            return sse(chunk([delta(big, 0, "stop")]), chunk([], usage={"prompt_tokens": 1, "completion_tokens": 1}))
        return whole_answers(1, {"prompt_tokens": 1, "completion_tokens": 1})[:2] + (
            json.dumps(
                {
                    "id": "r",
                    "object": "chat.completion",
                    "choices": [
                        {"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": big}}
                    ],
                }
            ).encode(),
        )

    with BadServer(reply) as server:
        with pytest.raises(ModelError, match="response too large"):
            ask(server, tmp_path, n=1, stream=stream)


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_a_redirect_is_refused_by_name_never_followed_to_another_host(tmp_path, status):
    """A redirect is not followed: the prompt is never sent to another host (whose answer would
    be cached as this model's, and which httpx sends without the key, so a 401 would blame the
    key), and the run stops with one line naming where the server points. Before, a 307 or 308 to
    another server had the request answered there and cached under the model's name."""
    from effbench.models.client import ModelError

    def elsewhere(method, path, body):
        return (
            NOT_FOUND
            if method == "GET"
            else streamed_answers(body.get("n", 1), {"prompt_tokens": 1, "completion_tokens": 9})
        )

    with BadServer(elsewhere) as other:
        location = other.base_url + "/chat/completions"

        def redirect(method, path, body):
            if method == "GET":
                return NOT_FOUND
            return lambda h: (
                h.send_response(status),
                h.send_header("Location", location),
                h.send_header("Content-Length", "0"),
                h.end_headers(),
            )

        with BadServer(redirect) as server:
            with pytest.raises(ModelError, match=f"HTTP {status}: the server redirects to {location}"):
                ask(server, tmp_path, n=1)
        assert other.posts == []


def test_an_unreachable_host_is_said_at_once_not_after_minutes_of_retries(tmp_path):
    """A host that accepts no connection and refuses none (packets dropped: a firewall, a wrong
    address) is 'cannot connect ... is the model server running?' after the first probe's
    connect time-out, before any request. Before, the probe counted only refused connections, so
    such a host was 'reachable' and every attempt waited its connect time-out: 127 s for
    effbench evaluate to end on 'time-out: no byte for 300 s' (a time-out it never waited)."""
    import socket

    from effbench.models.client import ModelError

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)  # its queue filled below: further connections are neither accepted nor refused
    port = listener.getsockname()[1]
    fillers = []
    try:
        for _ in range(4):
            s = socket.socket()
            s.setblocking(False)
            try:
                s.connect(("127.0.0.1", port))
            except BlockingIOError:
                pass
            fillers.append(s)
        with pytest.raises(ModelError, match="is the model server running"):
            ask(None, tmp_path, n=1, base_url=f"http://127.0.0.1:{port}/v1", timeout=2.0, max_retries=3)  # type: ignore[arg-type]
    finally:
        for s in fillers:
            s.close()
        listener.close()


def test_a_base_url_without_v1_gets_the_hint_to_add_it(tmp_path):
    """A base URL without /v1 against a server that answers only under /v1 (vLLM, Ollama): the
    404's one line says to try the same URL with /v1."""
    from effbench.models.client import ModelError

    def reply(method, path, body):
        if method == "GET" or not path.startswith("/v1/"):
            return NOT_FOUND
        return streamed_answers(body["n"], {"prompt_tokens": 1, "completion_tokens": 9})

    with BadServer(reply) as server:
        root = server.base_url[: -len("/v1")]
        with pytest.raises(ModelError, match=f"try --base-url {root}/v1"):
            ask(server, tmp_path, n=1, base_url=root)


def test_a_run_resumed_after_the_server_died_repeats_no_answer_and_keeps_what_the_dead_attempts_cost(tmp_path):
    """The server answers one sample, then drops every connection mid-answer until effbench gives
    up (it died): a rerun against a healthy server asks only for the samples not answered, and
    their records still count the attempts abandoned in the run that failed (committed to the
    cache as they happen). Before, the rerun's records held only its own attempts: the tokens the
    dropped streams had cost were gone from every cost axis."""
    from effbench.models.client import ModelError

    state = {"answered": 0}

    def dying(method, path, body):
        if method == "GET":
            return NOT_FOUND
        if state["answered"] == 0:
            state["answered"] = 1
            return streamed_answers(1, {"prompt_tokens": 4, "completion_tokens": 9})  # one choice of the n asked
        half = [chunk([delta(CODE[:20], i)]) for i in range(body["n"])]
        return 200, "text/event-stream", b"".join(b"data: " + json.dumps(e).encode() + b"\n\n" for e in half)

    with BadServer(dying) as server:
        with pytest.raises(ModelError, match="connection dropped mid-answer"):
            ask(server, tmp_path, n=3, max_retries=2)
        died_after = len(server.posts)
    assert died_after == 4  # the answered one, then three dropped

    def healthy(method, path, body):
        return (
            NOT_FOUND if method == "GET" else streamed_answers(body["n"], {"prompt_tokens": 4, "completion_tokens": 18})
        )

    with BadServer(healthy) as server:
        answers = ask(server, tmp_path, n=3)
        assert len(server.posts) == 1 and server.posts[0]["n"] == 2  # samples 1 and 2 only
    assert [a["outcome"] for a in answers[0].attempts] == ["answered"]
    for i in (1, 2):
        outcomes = [a["outcome"] for a in answers[i].attempts]
        assert outcomes == ["abandoned"] * 3 + ["answered"], outcomes
        assert all(a["completion_tokens"] > 0 and a["prompt_tokens"] > 0 for a in answers[i].attempts)


@pytest.mark.parametrize("finish", ["content_filter", "tool_calls", "length"])
def test_an_answer_without_code_names_its_finish_reason(finish):
    """A sample whose answer holds no code says why the server ended it (finish reason
    content_filter, tool_calls, length) in its extraction reason, beside the typed kind: the
    record tells a filtered or cut answer from a model that wrote prose. Before, an empty
    content_filter answer read 'no code defining triangle()', as if the model had written other
    code."""
    from types import SimpleNamespace

    from effbench.models.cache import CachedAnswer
    from effbench.models.client import ModelSpec
    from effbench.models.strategies import _to_sample

    problem = SimpleNamespace(id="triangle", entry_point="triangle", prompt="def triangle(n):\n")
    answer = CachedAnswer("", 1.0, 0.0, 0.1, finish, "r", 1, [{"outcome": "answered", "reason": finish}])
    sample = _to_sample(problem, ModelSpec("m", "http://127.0.0.1:1/v1"), "m", 0, answer, None, {})  # type: ignore[arg-type]
    assert sample.code is None
    assert sample.meta["extraction"] == f"empty answer (finish reason {finish})"


@pytest.mark.parametrize(
    "reply,what",
    [
        ((200, "text/html", b"<html><body>Sign in to continue</body></html>"), "'<html><body>Sign in"),
        (sse(chunk([delta(CODE, 0, "stop")])), "a stream (data: lines)"),
    ],
    ids=["html-page", "stream-when-whole-asked"],
)
def test_a_whole_response_that_is_not_json_is_named_not_an_attribute_error(tmp_path, reply, what):
    """A 200 whose body is not JSON (a login or proxy page in HTML, a stream sent when a whole
    response was asked for) is a malformed response whose reason shows what came (retried, then one
    ModelError line). Before, the reason was 'malformed response (AttributeError)'."""
    from effbench.models.client import ModelError

    with BadServer(lambda method, path, body: NOT_FOUND if method == "GET" else reply) as server:
        with pytest.raises(ModelError, match=re.escape(f"not a JSON response: {what}")):
            ask(server, tmp_path, n=1, stream=False)


@pytest.mark.parametrize(
    "headers,seconds",
    [
        ({"retry-after-ms": "1500"}, 1.5),
        ({"retry-after-ms": "250", "retry-after": "9"}, 0.25),
        ({"retry-after-ms": "x", "retry-after": "2"}, 2.0),
    ],
)
def test_a_wait_asked_in_milliseconds_is_honoured_as_the_openai_client_does(headers, seconds):
    """retry-after-ms (OpenAI's and Azure's header) is read first, in milliseconds, then
    Retry-After, as the openai client's own retry reads them. Before, retry-after-ms was ignored:
    a server asking for 1.5 s got the backoff's 0.25-0.5 s and another 429."""
    from types import SimpleNamespace

    from effbench.models.client import _retry_after

    exc = Exception()
    exc.response = SimpleNamespace(headers=headers)  # type: ignore[attr-defined]
    assert _retry_after(exc) == seconds


def test_a_model_name_the_server_does_not_list_is_said_before_its_answers_are_cached(tmp_path):
    """A server that answers any model name with the model it serves (llama.cpp) but lists
    another id in GET /v1/models: the run says once, before any answer, that --model is not among
    the models the server lists (its answers are cached under --model). Before, a mistyped or
    wrong --model went unnoticed and another model's answers were cached under its name."""

    def reply(method, path, body):
        if method == "GET":
            return (
                as_json({"object": "list", "data": [{"id": "qwen2.5-coder-0.5b.gguf"}]})
                if path == "/v1/models"
                else NOT_FOUND
            )
        return streamed_answers(body["n"], {"prompt_tokens": 5, "completion_tokens": 40})

    log: list[str] = []
    with BadServer(reply) as server:
        answers = ask(server, tmp_path, n=1, log=log, concurrency=None)
    assert answers[0].text == CODE
    said = [line for line in log if "the server lists 'qwen2.5-coder-0.5b.gguf', not 'm'" in line]
    assert len(said) == 1, log


@pytest.mark.parametrize(
    "value",
    [
        "{not json",
        "[1, 2]",
        '{"text": 5}',
        '{"text": "x", "prompt_tokens": -1, "completion_tokens": 1}',
        '{"text": "x"}',
    ],
    ids=["not-json", "a-list", "text-a-number", "negative-tokens", "fields-missing"],
)
def test_a_damaged_cache_row_is_asked_again_never_scored_or_a_traceback(tmp_path, value):
    """A response-cache row that holds no usable answer (not JSON, not an object, text or token
    counts not of their type, fields missing: a damaged file, a row written by hand) is a miss:
    the sample is asked of the server again and the row replaced. Before, it ended effbench in
    json's or the dataclass's traceback, or was scored with -1 tokens."""
    import sqlite3

    from effbench.models.cache import ResponseCache, answer_key
    from effbench.models.client import ModelSpec, Query

    spec = ModelSpec(name="m", base_url="http://127.0.0.1:1/v1", concurrency=1, timeout=5.0, max_retries=1)
    query = Query("triangle", [0], messages=[{"role": "user", "content": "write triangle"}])
    ResponseCache(tmp_path / "answers.sqlite").close()
    with sqlite3.connect(tmp_path / "answers.sqlite") as db:
        db.execute("INSERT INTO answers VALUES (?, ?)", (answer_key(query.identity(spec), 0), value))

    def reply(method, path, body):
        return (
            NOT_FOUND if method == "GET" else streamed_answers(body["n"], {"prompt_tokens": 5, "completion_tokens": 40})
        )

    with BadServer(reply) as server:
        answers = ask(server, tmp_path, n=1)
        assert len(server.posts) == 1
    assert answers[0].text == CODE and answers[0].completion_tokens == 40


def test_the_cost_estimate_says_its_bound_is_before_retries():
    """The estimate printed before any request calls its money 'at most' only with the retries
    left out, and says so with their number: an attempt abandoned after the server began (a
    dropped stream, a time-out, a 500 after the prompt was read) may be billed, up to
    --max-retries times per request. Before, 'at most $X' read as a bound the run could pass."""
    from effbench.models.client import ModelSpec
    from effbench.models.strategies import CostEstimate

    text = CostEstimate(2, 0, 100.0, 200.0, 0.004).describe(ModelSpec("m", "http://127.0.0.1:1/v1", max_retries=3))
    assert "at most $0.0040 (before retries: up to 3 per request" in text


def test_a_whole_response_with_two_choices_of_one_index_is_malformed_not_one_answer(tmp_path):
    """A whole response holding two choices with the same index is a malformed response (retried,
    then one ModelError line), never the two answers joined into one. Before, both codes were
    recorded as sample 0's answer, run together."""
    from effbench.models.client import ModelError

    def reply(method, path, body):
        if method == "GET":
            return NOT_FOUND
        choice = {"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": CODE}}
        return as_json({"id": "r", "object": "chat.completion", "choices": [choice, choice]})

    with BadServer(reply) as server:
        with pytest.raises(ModelError, match="choice index 0 twice"):
            ask(server, tmp_path, n=2, stream=False)


def test_a_stream_that_ends_with_its_usage_but_no_finish_reason_is_answered(tmp_path):
    """A server that never sends a finish reason but ends its stream with the usage chunk (which
    the protocol sends once every choice is done) has its answers kept, finish reason None; a
    stream cut before its usage is still a dropped connection. Before, every attempt was
    'connection dropped mid-answer' and the run ended after its retries with no answer."""
    from effbench.models.client import ModelError

    def reply(method, path, body):
        if method == "GET":
            return NOT_FOUND
        return sse(
            *[chunk([delta(CODE, i)]) for i in range(body["n"])],
            chunk([], usage={"prompt_tokens": 5, "completion_tokens": 40}),
        )

    with BadServer(reply) as server:
        answers = ask(server, tmp_path)
    assert [(a.text, a.finish_reason) for a in answers.values()] == [(CODE, None)] * 2

    def cut(method, path, body):
        if method == "GET":
            return NOT_FOUND
        return sse(chunk([], usage={"prompt_tokens": 5, "completion_tokens": 40}), chunk([delta(CODE, 0)]))

    with BadServer(cut) as server:
        with pytest.raises(ModelError, match="connection dropped mid-answer"):
            ask(server, tmp_path / "b", n=1)


def _forever(event: dict, seconds: float = 8.0):
    """A streamed response that sends one token, then ``event`` every 0.01 s for ``seconds``, then closes."""
    import time

    def write(handler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "text/event-stream")
        handler.end_headers()
        handler.wfile.write(b"data: " + json.dumps(chunk([delta("```python\n")])).encode() + b"\n\n")
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            handler.wfile.write(b"data: " + json.dumps(event).encode() + b"\n\n")
            handler.wfile.flush()
            time.sleep(0.01)

    return write


def test_a_usage_repeated_forever_is_no_progress(tmp_path):
    """A server that repeats its usage chunk without end (and never a token) is abandoned after
    --request-timeout seconds: the usage counts as progress once. Before, each usage chunk moved
    the time-out on: the attempt lasted the 8 s the server went on (forever for one that never
    stops), and its one token was then kept as an answer."""
    from effbench.models.client import ModelError

    writer = _forever(chunk([], usage={"prompt_tokens": 1, "completion_tokens": 1}))
    with BadServer(lambda method, path, body: NOT_FOUND if method == "GET" else writer) as server:
        with pytest.raises(ModelError, match="time-out: no token for 1 s"):
            ask(server, tmp_path, n=1, timeout=1.0)


def test_reasoning_without_end_is_cut_as_an_answer_is(tmp_path, monkeypatch):
    """Reasoning streamed in its own field without end (a model that never stops thinking, a
    server that ignores max_tokens) is cut at MAX_ANSWER_CHARS characters a choice, as content is:
    the choice ends with finish reason 'length' and an empty answer, the cut is said, and the rest
    of the stream is not read. Before, reasoning chunks were neither bounded nor (as progress) timed
    out: the attempt lasted as long as the server went on (8 s here, then a dropped connection)."""
    from effbench.models import client

    monkeypatch.setattr(client, "MAX_ANSWER_CHARS", 1000)
    writer = _forever(chunk([{"index": 0, "delta": {"reasoning_content": "hmm " * 10}, "finish_reason": None}]))
    log: list[str] = []
    with BadServer(lambda method, path, body: NOT_FOUND if method == "GET" else writer) as server:
        answers = ask(server, tmp_path, n=1, timeout=1.0, log=log)
    assert answers[0].finish_reason == "length" and answers[0].text == "```python\n"
    assert any("(or its reasoning) passed 1,000 characters" in line for line in log), log
