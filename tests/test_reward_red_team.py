"""The reward API under a careless training loop and a hostile policy (issue 14, red team).

Each test is one invariant a trainer relies on; the meter is not the subject (``time``, the mini
problem set, two levels). Ray is replaced by a stand-in where only the reward model's own
bookkeeping is tested (how many executors it starts, and when).
"""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from effbench.errors import EffbenchError
from effbench.reward import ItemStatus, RewardModel
from effbench.reward import scorer as scorer_module
from effbench.reward.trl import TRLReward
from effbench.reward.verl import compute_score, compute_score_batch

MINI = Path(__file__).parent / "fixtures" / "mini" / "problems"
EXPERT = "```python\ndef triangle(n):\n    return sum(range(1, n + 1))\n```"
#: a bounded wait for anything that could hang (seconds)
BOUND = 240


def _code(body: str) -> str:
    return "```python\n" + body + "\n```"


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("reward-red-team-cache")


@pytest.fixture(scope="module")
def model(cache_dir):
    rm = RewardModel(problems=MINI, meter="time", workers=2, levels=2, seed="red-team", cache_dir=cache_dir)
    yield rm
    rm.close()


def _bounded(fn, *args):
    """fn(*args) on another thread, failing the test if it takes longer than BOUND seconds."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(fn, *args).result(timeout=BOUND)


# -- lifetime and threads ------------------------------------------------------------------------


def test_threads_racing_the_first_call_take_the_sandbox_once_and_close_gives_it_back(cache_dir):
    """Invariant: however many threads make a cold model's first call at once (``warm=False``), the
    model holds its warm sandbox once, so that close() stops it (no runner processes left)."""
    rm = RewardModel(
        problems=MINI, meter="time", workers=2, levels=2, seed="red-team-race", cache_dir=cache_dir, warm=False
    )
    key = rm.config.engine_key
    barrier = threading.Barrier(8)

    def first_call() -> list:
        barrier.wait(timeout=BOUND)
        return rm.score_batch([("triangle", "no code here")])

    try:
        with ThreadPoolExecutor(8) as pool:
            results = [f.result(timeout=BOUND) for f in [pool.submit(first_call) for _ in range(8)]]
        assert all(r[0].status is ItemStatus.NO_CODE for r in results)
        assert scorer_module._WARM[key].refs == 1
    finally:
        rm.close()
    assert key not in scorer_module._WARM, "close() left the warm sandbox (and its runners) open"


def test_a_closed_model_starts_no_sandbox_again(cache_dir):
    """Invariant: after close(), every call that needs the sandbox raises EffbenchError ('closed')
    instead of opening a new sandbox that nothing would ever close."""
    rm = RewardModel(problems=MINI, meter="time", workers=1, levels=2, seed="red-team-closed", cache_dir=cache_dir)
    key = rm.config.engine_key
    rm.close()
    for call in (
        rm.problem_ids,
        rm.stats,
        lambda: rm.prepare(["triangle"]),
        lambda: rm.score("triangle", EXPERT),
        lambda: rm.score_batch([("triangle", EXPERT)]),
        lambda: asyncio.run(rm.ascore("triangle", EXPERT)),
        lambda: asyncio.run(rm.ascore_batch([("triangle", EXPERT)])),
    ):
        with pytest.raises(EffbenchError, match="closed"):
            call()
        assert key not in scorer_module._WARM, "a closed model opened a sandbox again"


class _FakeRay:
    """A stand-in Ray executor: slow to start, counts its instances, maps in this thread."""

    made = 0
    lock = threading.Lock()

    def __init__(self, **options) -> None:
        import time

        with _FakeRay.lock:
            _FakeRay.made += 1
        time.sleep(0.3)  # a real one connects to a cluster and starts actors: seconds
        self.closed = False

    def map(self, fn, items):
        if self.closed:
            raise EffbenchError("executor ray: closed")
        return [fn._failed(scorer_module.RewardItem.of(i), 0.0, ItemStatus.MALFORMED, "fake") for i in items]

    def close(self) -> None:
        self.closed = True


@pytest.fixture
def fake_ray(monkeypatch):
    import effbench.executors

    _FakeRay.made = 0
    monkeypatch.setattr(effbench.executors, "get_executor", lambda name, **options: _FakeRay(**options))
    return _FakeRay


def test_threads_racing_a_ray_models_first_call_start_one_executor(fake_ray):
    """Invariant: a Ray reward model starts one executor (one set of actors on the cluster), however
    many threads make its first call at once; a second would wait for CPUs the first holds."""
    rm = RewardModel(problems=MINI, meter="time", executor="ray", seed="red-team-ray", warm=False)
    barrier = threading.Barrier(6)

    def first_call() -> int:
        barrier.wait(timeout=BOUND)
        return len(rm.score_batch([("triangle", EXPERT), ("triangle", "x")]))

    with ThreadPoolExecutor(6) as pool:
        assert [f.result(timeout=BOUND) for f in [pool.submit(first_call) for _ in range(6)]] == [2] * 6
    rm.close()
    assert fake_ray.made == 1


def test_a_closed_ray_model_starts_no_executor(fake_ray):
    """Invariant: a Ray reward model closed before its first call raises EffbenchError ('closed')
    when called, and starts no Ray executor (which nothing would stop)."""
    rm = RewardModel(problems=MINI, meter="time", executor="ray", seed="red-team-ray", warm=False)
    rm.close()
    with pytest.raises(EffbenchError, match="closed"):
        rm.score_batch([("triangle", EXPERT)])
    with pytest.raises(EffbenchError, match="closed"):
        rm.score("triangle", EXPERT)
    assert fake_ray.made == 0


# -- what a hostile or broken policy writes --------------------------------------------------------


@pytest.mark.parametrize(
    "completion",
    [
        _code("def triangle(n):\n    return sum(range(1, n + 1))  # \ud800"),
        _code("def triangle(n):\n    s = '\udcff'\n    return sum(range(1, n + 1))"),
        [{"role": "assistant", "content": _code("def triangle(n):\n    return n  # \udfff")}],
    ],
    ids=["surrogate-in-comment", "surrogate-in-string", "surrogate-in-chat"],
)
def test_code_that_is_not_valid_unicode_is_the_policys_failure_never_a_harness_error(model, completion):
    """Invariant: code holding a lone surrogate (no UTF-8 text can) fails as the candidate's own
    failure (no code, with the reason), never as a harness error, which trainers are told to mask:
    a policy must not escape its penalty by writing one."""
    (r,) = _bounded(model.score_batch, [("triangle", completion)])
    assert r.status is ItemStatus.NO_CODE, r
    assert r.reward == model.shaping.failure and not r.passed
    assert "lone surrogate \\ud" in r.reason and r.extraction == r.reason, r.reason


@pytest.mark.parametrize(
    "body, name",
    [
        ("class Quit(BaseException):\n    pass\ndef triangle(n):\n    raise Quit()", "Quit"),
        ("def triangle(n):\n    raise KeyboardInterrupt", "KeyboardInterrupt"),
        ("def triangle(n):\n    raise GeneratorExit", "GeneratorExit"),
        ("def triangle(n):\n    x = bytearray(64 * 1024**3)\n    return 0", "MemoryError"),
    ],
)
def test_a_failed_result_says_why_not_only_which_test(model, body, name):
    """Invariant: a failure's reason names what happened (the exception), not only the test id, even
    when the exception carries no message (a bare BaseException subclass, KeyboardInterrupt,
    MemoryError)."""
    (r,) = _bounded(model.score_batch, [("triangle", _code(body))])
    assert r.status is ItemStatus.SCORED and not r.passed and r.reward == model.shaping.failure
    assert name in r.reason, r.reason


# -- trainer adapters called carelessly -------------------------------------------------------------


@pytest.fixture(scope="module")
def cold_model(cache_dir):
    rm = RewardModel(
        problems=MINI, meter="time", workers=1, levels=2, seed="red-team-cold", cache_dir=cache_dir, warm=False
    )
    yield rm
    rm.close()


@pytest.mark.parametrize(
    "columns",
    [
        {"task_id": ["triangle"] * 3, "extraction": ["chat"]},
        {"task_id": ["triangle"] * 3, "extraction": ["chat"] * 4},
        {"task_id": ["triangle"] * 2},
        {"task_id": ["triangle"] * 4},
    ],
    ids=["short-extraction", "long-extraction", "short-task-id", "long-task-id"],
)
def test_trl_columns_of_another_length_than_the_completions_are_refused_not_cut(cold_model, columns):
    """Invariant: the TRL reward function returns exactly one reward per completion or raises an
    EffbenchError naming the column and both lengths; it never returns a shorter list (zip would
    cut it silently, and the trainer would pair rewards with the wrong completions)."""
    reward = TRLReward(cold_model)
    with pytest.raises(EffbenchError, match=r"column .* has \d+ entries for 3 completions"):
        reward(prompts=["p"] * 3, completions=[EXPERT, "no code", EXPERT], **columns)


@pytest.mark.parametrize(
    "lists",
    [
        (["triangle"] * 2, [None] * 3),
        (["triangle"] * 4, [None] * 3),
        (["triangle"] * 3, [None] * 2),
        (["triangle"] * 3, [None] * 5),
    ],
    ids=["short-ground-truths", "long-ground-truths", "short-extra-infos", "long-extra-infos"],
)
def test_verl_batch_lists_of_another_length_than_the_responses_are_refused_not_cut(lists):
    """Invariant: verl's batched compute_score returns one reward per response or raises an
    EffbenchError naming both lengths; it never returns a shorter list (verl indexes it per row)."""
    truths, infos = lists
    options = {"problems": str(MINI), "meter": "time", "workers": 1, "seed": "red-team-verl", "warm": False}
    with pytest.raises(EffbenchError, match=r"\d+ .* for 3 responses"):
        compute_score_batch(["effbench"] * 3, [EXPERT] * 3, truths, infos, **options)


def test_verl_null_task_id_and_extraction_fall_back_to_ground_truth_and_chat():
    """Invariant: a verl row whose extra_info holds task_id/extraction as None (a parquet struct
    column fills keys some rows lack with null) is scored by its ground_truth, read as chat; it
    is not a malformed item."""
    options = {"problems": str(MINI), "meter": "time", "workers": 1, "seed": "red-team-verl", "shaping": "binary"}
    info = {"task_id": None, "extraction": None, "index": 0}
    assert compute_score("effbench", EXPERT, "triangle", info, **options) == 1.0
    assert compute_score_batch(["effbench"], [EXPERT], ["triangle"], [info], **options) == [1.0]


# -- the harness's own cost of reading an answer ------------------------------------------------------

#: answers built of one line (or lines) repeated: thousands of fences, definitions, class lines...
HOSTILE_SHAPES = {
    "empty-fences": "```\nx\n",
    "tilde-lines": "~~~\n",
    "python-fences-not-parsing": "```python\ndef triangle(n):\n  return (\n```\n",
    "defs-not-parsing": "def triangle(n):\n    return (\n",
    "class-lines": "class A:\n",
    "imports-and-prose": "import os\nx y z\n",
    "decorators": "@x\n",
}


def _extraction_steps(mode: str, text: str) -> int:
    """Lines of effbench/models/extract.py executed while extracting ``text``: a count of work that,
    unlike a time, the machine's load does not change."""
    import sys

    from effbench.models import extract

    steps = 0

    def local(frame, event, arg):
        nonlocal steps
        if event == "line":
            steps += 1
        return local

    def trace(frame, event, arg):
        return local if frame.f_code.co_filename == extract.__file__ else None

    sys.settrace(trace)
    try:
        if mode == "chat":
            extract.extract_chat(text, "triangle")
        else:
            extract.extract_completion('def triangle(n):\n    """Sum 1..n."""\n', text, "triangle")
    finally:
        sys.settrace(None)
    return steps


@pytest.mark.parametrize("mode", ["chat", "completion"])
@pytest.mark.parametrize("shape", sorted(HOSTILE_SHAPES))
def test_reading_a_hostile_answer_costs_work_linear_in_its_length(shape, mode):
    """Invariant: extraction (on the host, outside every sandbox limit) does work linear in the
    answer's length, whatever its shape: doubling a repetitive answer at most about doubles the
    lines executed. Before, listing the fences or top-level lines after each opening fence or
    ``class``/``import``/``@`` line was quadratic: 199 000 characters of ``class A:`` took 123 s
    of the reward model's CPU, of fences ending in a ``(`` 92 s."""
    unit = HOSTILE_SHAPES[shape]
    reps = max(1, 6000 // len(unit))
    small = _extraction_steps(mode, unit * reps)
    large = _extraction_steps(mode, unit * (2 * reps))
    assert large <= 2.5 * small + 2000, (shape, mode, small, large)


def test_reading_an_answer_compiles_a_bounded_number_of_characters(monkeypatch):
    """Invariant: one extraction compiles at most PARSE_BUDGET_CHARS characters of candidate
    readings (plus one syntax check of the code it hands on), however many readings the answer
    offers; the reason says when it gave up."""
    from effbench.models import extract

    compiled = 0
    real = compile

    def counting(source, *args, **kwargs):
        nonlocal compiled
        compiled += len(source)
        return real(source, *args, **kwargs)

    monkeypatch.setattr(extract, "compile", counting, raising=False)
    monkeypatch.setattr(extract, "PARSE_BUDGET_CHARS", 50_000)
    found = extract.extract_completion("def triangle(n):\n", "    return 1\n" * 20_000, "triangle")
    assert compiled <= 50_000 + 20_000 * 13 + 100, compiled
    assert "gave up after compiling 50000 characters" in found.reason


def _honest_answer_with_examples(examples: int, steps: int) -> str:
    """An explanation: ``>>>`` examples in python fences (which do not compile), short fenced
    steps, then the solution, which needs a helper."""
    parts = ["Let's look at how it behaves first:"]
    parts += [f"```python\n>>> triangle({r})\n{r * (r + 1) // 2}\n```" for r in range(examples)]
    for k in range(steps):
        parts.append(f"Step {k}: " + "we add the next number and keep the running total. " * 3)
        parts.append(f"```python\ntotal += {k}\n```")
    parts.append(
        "Putting it together:\n```python\ndef step(total, k):\n    return total + k\n\n\n"
        "def triangle(n):\n    total = 0\n    for k in range(1, n + 1):\n        total = step(total, k)\n"
        "    return total\n```\nThis is O(n)."
    )
    return "\n\n".join(parts)


@pytest.mark.parametrize("examples", [1, 3, 6])
def test_a_fences_longer_readings_never_starve_the_reading_of_the_program(examples):
    """Invariant: the budget spent on a python fence's longer readings (tried when its code does
    not compile, as a ``>>>`` example's does not) is not the budget of the program's own checks:
    an honest answer of a few such examples, 70 short fenced steps and the solution is read as
    fenced, helper included. With one budget, three examples in 14 000 characters spent it all and
    the solution was refused its compile: a syntax error, the policy's failure."""
    from effbench.models import extract

    found = extract.extract_chat(_honest_answer_with_examples(examples, 70), "triangle")
    assert found.kind == extract.ExtractionKind.FENCED, found.reason
    assert "def step(" in found.code and "def triangle(" in found.code, found.code


def test_an_interrupted_batch_abandons_its_queued_items(cache_dir, monkeypatch):
    """Invariant: when the caller's wait for score_batch is interrupted (Ctrl-C in the training
    loop: KeyboardInterrupt), the batch's items not yet started are cancelled, not scored in the
    background ahead of the next call's (as Executor.map did)."""
    import concurrent.futures
    import time

    rm = RewardModel(problems=MINI, meter="time", workers=1, levels=2, seed="red-team-interrupt", cache_dir=cache_dir)
    calls = []

    def slow_scorer(self, item):
        calls.append(item)
        time.sleep(0.2)

    monkeypatch.setattr(scorer_module.ItemScorer, "__call__", slow_scorer)
    real_result = concurrent.futures.Future.result

    def interrupted(self, timeout=None):
        raise KeyboardInterrupt

    monkeypatch.setattr(concurrent.futures.Future, "result", interrupted)
    try:
        with pytest.raises(KeyboardInterrupt):
            rm.score_batch([("triangle", EXPERT)] * 20)
    finally:
        monkeypatch.setattr(concurrent.futures.Future, "result", real_result)
        rm.close()  # waits for what still runs
    assert len(calls) <= 2, f"{len(calls)} of 20 items were scored after the caller gave up"


def test_a_shaping_whose_failure_reward_overflows_is_refused_at_construction():
    """Invariant: every Shaping that constructs has a finite failure reward; one whose constants
    overflow (speedup_clip + speedup_fail_margin past the largest float) raises EffbenchError when
    built, instead of every failed item raising ValueError (a non-finite reward) out of score_batch."""
    from effbench.reward import Shaping, ShapingKind

    with pytest.raises(EffbenchError, match="failure reward"):
        Shaping(ShapingKind.SPEEDUP, speedup_clip=1e308, speedup_fail_margin=1e308)
    ok = Shaping(ShapingKind.SPEEDUP, speedup_clip=1e300, speedup_fail_margin=1e300)
    assert ok.failure == -2e300
