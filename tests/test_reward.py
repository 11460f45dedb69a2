"""The reward API (issue 14 items 1-2): RewardModel, ItemScorer, RewardResult, shapings.

The meter is not the subject here: these tests use the ``time`` meter on the mini problem set with
few levels (the valgrind identity test is in tests/test_reward_throughput.py).
"""

from __future__ import annotations

import asyncio
import json
import math
import multiprocessing
import pickle
import subprocess
import sys
import threading
import tracemalloc
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from effbench.errors import EffbenchError
from effbench.reward import ItemScorer, ItemStatus, RewardModel, RewardResult, Shaping, ShapingKind
from effbench.reward.scorer import RewardItem, ScorerConfig, completion_text
from effbench.verdicts import Verdict

MINI = Path(__file__).parent / "fixtures" / "mini" / "problems"
EXPERT = "```python\ndef triangle(n):\n    return sum(range(1, n + 1))\n```"
CLOSED_FORM = "```python\ndef triangle(n):\n    return n * (n + 1) // 2 if n > 0 else 0\n```"
WRONG = "```python\ndef triangle(n):\n    return n\n```"
CRASH = "```python\ndef triangle(n):\n    return 1 // 0\n```"
SYNTAX = "```python\ndef triangle(n)\n    return n\n```"
REVERSE = "```python\ndef reverse_words(s):\n    return ' '.join(reversed(s.split()))\n```"

#: garbage and hostile inputs: none may raise out of score_batch, all get a finite reward
GARBAGE = [
    ("triangle", ""),
    ("triangle", "I cannot help with that."),
    ("triangle", None),
    ("triangle", 12),
    ("triangle", SYNTAX),
    ("triangle", "<think>only thinking, never an answer"),
    ("triangle", [{"role": "user", "content": "hi"}]),
    ("triangle", [{"role": "assistant", "content": [{"type": "text", "text": EXPERT}]}]),
    ("triangle", "x" * 300_000),
    ("triangle", "```python\n" + "(" * 5000 + "\n```"),
    ("no_such_problem", EXPERT),
    (None, EXPERT),
    ("triangle",),
    42,
    ("triangle", object()),
    ("triangle", "```python\nimport os\ndef triangle(n):\n    os.kill(os.getppid(), 9)\n    return 0\n```"),
    (
        "triangle",
        "```python\nclass Yes:\n    def __eq__(self, o):\n        return True\ndef triangle(n):\n    return Yes()\n```",
    ),
    ("triangle", "```python\nimport os\ndef triangle(n):\n    os._exit(0)\n```"),
    ("triangle", CRASH),
]


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("reward-cache")


@pytest.fixture(scope="module")
def model(cache_dir):
    rm = RewardModel(problems=MINI, meter="time", workers=2, seed="reward-tests", cache_dir=cache_dir)
    yield rm
    rm.close()


def test_import_effbench_exports_the_reward_api_lazily():
    """Invariant: effbench.RewardModel is effbench.reward's, and importing effbench loads none of it."""
    code = (
        "import sys, effbench; assert 'effbench.reward.model' not in sys.modules; "
        "from effbench.reward.model import RewardModel; assert effbench.RewardModel is RewardModel; "
        "assert effbench.RewardResult.__name__ == 'RewardResult'; print('ok')"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "ok", out.stderr


def test_correct_code_passes_and_wrong_code_fails_with_its_reason(model):
    """Invariant: the expert passes (time meter), a wrong answer fails with reward 0.

    The expert's verdict may be ``censored_budget``: the time meter is noise on a loaded machine, and in
    the fresh-clone CI run on c28bc87 the expert's triangle cost 5.6x its own profile (efficiency 0.18)."""
    good, wrong, crash = model.score_batch([("triangle", EXPERT), ("triangle", WRONG), ("triangle", CRASH)])
    assert good.status is ItemStatus.SCORED and good.passed, good
    assert good.verdict in (Verdict.OK, Verdict.CENSORED_BUDGET), good
    assert good.reward == good.efficiency and good.reward > 0.0
    assert good.unit == "ns" and good.meter == "time" and len(good.level_costs) == 3
    assert all(c is not None for c in good.level_costs) and len(good.reference_level_costs) == 3
    assert wrong.verdict is Verdict.WRONG and not wrong.passed and wrong.reward == 0.0
    assert "differs from the expected" in wrong.reason and wrong.extraction.startswith("fenced")
    assert crash.verdict is Verdict.ERROR and crash.error_type == "ZeroDivisionError" and crash.reward == 0.0


@pytest.mark.parametrize("shaping", list(ShapingKind))
def test_garbage_and_hostile_items_never_raise_and_get_the_failure_reward(model, shaping, cache_dir):
    """Invariant: every shaping returns a finite float for every garbage item, in order, never raising;
    none of them scores above the shaping's failure value except the list-of-parts chat answer
    (which holds the expert)."""
    rm = RewardModel(problems=MINI, meter="time", workers=2, seed="reward-tests", shaping=shaping, cache_dir=cache_dir)
    try:
        results = rm.score_batch(GARBAGE)
    finally:
        rm.close()
    assert len(results) == len(GARBAGE)
    failure = Shaping.of(shaping).failure
    for item, r in zip(GARBAGE, results):
        assert isinstance(r, RewardResult) and isinstance(r.reward, float) and math.isfinite(r.reward), item
        if item == GARBAGE[7]:
            assert r.passed, r
        else:
            assert r.reward == failure and not r.passed, (str(item)[:80], r)
            assert r.reason, r
    by_status = {i: r.status for i, r in enumerate(results)}
    assert by_status[10] is ItemStatus.UNKNOWN_PROBLEM and "no_such_problem" in results[10].reason
    # not readable as an item: a problem id that is not text, a 1-tuple, not a pair at all
    assert by_status[11] is by_status[12] is by_status[13] is ItemStatus.MALFORMED, by_status
    assert "must be a string" in results[11].reason and "got int" in results[13].reason
    assert by_status[0] is ItemStatus.NO_CODE and by_status[2] is ItemStatus.NO_CODE
    assert by_status[3] is ItemStatus.NO_CODE and by_status[14] is ItemStatus.NO_CODE
    assert by_status[8] is ItemStatus.NO_CODE and "longer than" in results[8].reason
    assert results[4].verdict is Verdict.ERROR and "SyntaxError" in (results[4].error_type or "") + results[4].reason


def test_reasoning_is_removed_and_chat_messages_are_read_like_the_model_adapters(model):
    """Invariant: code inside <think> is never the answer; the last assistant message of a chat is."""
    fake_in_thinking = "<think>```python\n" + EXPERT.strip("`").removeprefix("python\n") + "```</think>no code"
    r1, r2, r3 = model.score_batch(
        [
            ("triangle", fake_in_thinking),
            ("triangle", [{"role": "assistant", "content": WRONG}, {"role": "assistant", "content": EXPERT}]),
            ("triangle", "<think>let me see</think>\n" + EXPERT),
        ]
    )
    assert r1.status is ItemStatus.NO_CODE and not r1.passed
    assert r2.passed and r3.passed and "after reasoning" in r3.extraction


def test_completion_mode_continues_the_prompt(cache_dir):
    """Invariant: mode='completion' reads the answer as the body of the prompt's function (completion adapter)."""
    with RewardModel(
        problems=MINI, meter="time", workers=1, seed="reward-tests", mode="completion", cache_dir=cache_dir
    ) as rm:
        body = "    return sum(range(1, n + 1))\n"
        r = rm.score("triangle", body)
        chat = rm.score_batch([("triangle", EXPERT, "chat")])[0]
    assert r.passed and r.extraction.startswith("completion")
    assert chat.passed and chat.extraction.startswith("fenced")


def test_score_batch_keeps_order_under_concurrency(model):
    """Invariant: results come back in the items' order, whatever order the threads finish in."""
    items = [("triangle", EXPERT), ("reverse_words", REVERSE), ("triangle", WRONG), ("nope", EXPERT)] * 3
    items = [(pid, f"{code}\n# copy {i}") for i, (pid, code) in enumerate(items)]  # 12 distinct items
    results = model.score_batch(items)
    assert [r.problem_id for r in results] == [i[0] for i in items]
    assert [r.passed for r in results] == [True, True, False, False] * 3


class _CountingScorer:
    """Wraps a RewardModel's item scorer and records the items it was given."""

    def __init__(self, scorer):
        self.scorer, self.items, self.lock = scorer, [], threading.Lock()

    def __call__(self, item):
        with self.lock:
            self.items.append(item)
        return self.scorer(item)

    def __getattr__(self, name):
        return getattr(self.scorer, name)


@pytest.mark.parametrize("deduplicate", [True, False])
def test_a_completion_repeated_in_a_batch_is_run_once_and_its_copies_say_so(cache_dir, deduplicate):
    """Invariant: with deduplicate (the default) an item that repeats an earlier item of its batch
    exactly (problem id, mode, completion: strings or chat messages) is not sent to the sandbox
    again; its result is the earlier one's, with copy_of its index and no tests or time of its own.
    Items that differ in any of the three, and items that could not be read, are each scored.
    deduplicate=False scores every item."""
    chat = [{"role": "user", "content": "sum 1..n"}, {"role": "assistant", "content": EXPERT}]
    items = [
        ("triangle", EXPERT),
        ("triangle", WRONG),
        ("triangle", EXPERT),  # repeats 0
        ("triangle", EXPERT, "completion"),  # another mode
        ("reverse_words", EXPERT),  # another problem
        ("triangle", chat),
        ("triangle", [dict(m) for m in chat]),  # repeats 5
        ("triangle", WRONG),  # repeats 1
        ("triangle", object()),  # unreadable: never a repeat
        ("triangle", object()),
    ]
    with RewardModel(
        problems=MINI, meter="time", workers=2, seed="reward-tests", cache_dir=cache_dir, deduplicate=deduplicate
    ) as rm:
        rm.scorer = counting = _CountingScorer(rm.scorer)
        results = rm.score_batch(items)
        again = asyncio.run(rm.ascore_batch(items))
    copies = {2: 0, 6: 5, 7: 1} if deduplicate else {}
    assert len(counting.items) == 2 * (len(items) - len(copies))
    assert [r.copy_of for r in results] == [copies.get(i) for i in range(len(items))]
    assert [r.copy_of for r in again] == [r.copy_of for r in results]
    for i, first in copies.items():
        copy, original = results[i].to_json(), results[first].to_json()
        assert copy.pop("copy_of") == first and original.pop("copy_of") is None
        assert (copy.pop("tests_run"), copy.pop("elapsed_seconds"), copy.pop("run_seconds")) == (0, 0.0, 0.0)
        assert original.pop("tests_run") > 0
        original.pop("elapsed_seconds"), original.pop("run_seconds")
        assert copy == original


def test_finding_a_batchs_repeats_holds_no_copy_of_its_completions():
    """Invariant: finding the repeats of a batch (RewardModel(deduplicate=True)) holds a key of
    fixed size per item, never a copy of its completion, so it needs less memory than the batch
    itself whatever the completions hold; items the same as canonical JSON (another dict key
    order, a tuple for a list) are still one item, items that differ (in one lone surrogate, 1
    against True) are still two. Fault it blocks (red team, helper-78): the key was the item's
    canonical JSON, up to 6 characters per character of completion (a control character escapes
    as \\u0001): 64 completions of a million such characters made 390 MB of keys at once."""
    rm = RewardModel(problems=MINI, meter="time", warm=False)
    try:
        batch = [rm._item(("triangle", "\x01" * 200_000 + str(i))) for i in range(16)]
        batch_chars = sum(len(item.completion) for item in batch)
        tracemalloc.start()
        try:
            firsts, unique = rm._unique(batch)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert firsts == list(range(16)) and len(unique) == 16
        assert peak < batch_chars, peak
        chat = [{"role": "assistant", "content": EXPERT}]
        same = [("triangle", chat), ("triangle", ({"content": EXPERT, "role": "assistant"},))]
        differ = [("triangle", "a\ud800"), ("triangle", "a\ud801"), ("triangle", [1]), ("triangle", [True])]
        assert rm._unique([rm._item(x) for x in same])[0] == [0, 0]
        assert rm._unique([rm._item(x) for x in differ])[0] == [0, 1, 2, 3]
    finally:
        rm.close()


def test_ascore_batch_finds_a_batchs_repeats_off_the_event_loop(monkeypatch):
    """Invariant: RewardModel.ascore_batch never blocks its event loop finding a batch's repeats
    (hashing every completion): that runs on another thread, as the scoring does. Fault it blocks
    (red team, helper-78): it ran on the event loop, 5.3 s for 512 completions of 200,000 control
    characters (load 10), during which no other coroutine of the trainer ran."""
    rm = RewardModel(problems=MINI, meter="time", warm=False)
    on_loop: list[bool] = []
    real = rm._unique

    def unique(batch):
        try:
            asyncio.get_running_loop()
            on_loop.append(True)
        except RuntimeError:
            on_loop.append(False)
        return real(batch)

    monkeypatch.setattr(rm, "_unique", unique)
    monkeypatch.setattr(rm, "_submit", lambda fn, args: [_done_future(_stand_in_result(a)) for a in args])
    try:
        results = asyncio.run(rm.ascore_batch([("triangle", "x"), ("triangle", "x"), ("triangle", "y")]))
    finally:
        rm.close()
    assert on_loop == [False]
    assert [r.copy_of for r in results] == [None, 0, None]


def _done_future(value):
    future = Future()
    future.set_result(value)
    return future


def _stand_in_result(item):
    """A stand-in scorer's result for one item."""
    return RewardResult(
        problem_id=item.problem_id,
        reward=0.0,
        passed=False,
        efficiency=0.0,
        speedup=None,
        verdict=Verdict.ERROR,
        status=ItemStatus.NO_CODE,
        reason="stand-in",
    )


def test_threads_calling_score_at_once_get_their_own_results(model):
    """Invariant: RewardModel.score is thread-safe: 6 threads get the result of their own item."""
    items = [("triangle", EXPERT), ("triangle", WRONG), ("reverse_words", REVERSE)] * 2
    out: dict[int, RewardResult] = {}

    def run(i: int) -> None:
        out[i] = model.score(*items[i])

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(items))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert [out[i].problem_id for i in range(len(items))] == [p for p, _ in items]
    assert [out[i].passed for i in range(len(items))] == [True, False, True] * 2


def test_async_variants_match_the_sync_ones(model):
    """Invariant: ascore/ascore_batch give the same verdicts, in order, without blocking the loop."""
    items = [("triangle", WRONG), ("triangle", EXPERT), ("x", "")]

    async def main():
        one = await model.ascore("triangle", CRASH)
        many = await model.ascore_batch(items)
        return one, many

    one, many = asyncio.run(main())
    assert one.error_type == "ZeroDivisionError"
    # the expert may be censored_budget under the time meter on a loaded machine
    assert [r.verdict for r in many][::2] == [Verdict.WRONG, Verdict.INFRA] and many[1].passed


def test_sandbox_stays_warm_and_profiles_are_measured_once(model):
    """Invariant: the evaluator (and its sandbox) is the same object across calls; each problem's
    expert is profiled once per process, however many items and batches ask."""
    scorer = model.scorer
    ev = scorer.evaluator()
    model.score_batch([("triangle", EXPERT)] * 3)
    model.score_batch([("triangle", WRONG), ("reverse_words", REVERSE)])
    assert scorer.evaluator() is ev
    stats = model.stats()
    assert stats["profiles_measured"] + stats["profiles_cached"] == 2
    assert stats["tests"] > 0


def _score_in_fresh_process(scorer, item):
    return scorer(item)


def test_item_scorer_pickles_as_its_config_and_scores_in_another_process(model):
    """Invariant (the contract with the Ray executor): an ItemScorer pickles to its configuration
    alone (no sandbox, no evaluator), and a fresh process builds its own warm evaluator from it."""
    scorer = model.scorer
    blob = pickle.dumps(scorer)
    assert len(blob) < 2000 and b"Evaluator" not in blob and b"Sandbox" not in blob
    assert pickle.loads(blob) == scorer
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(1, mp_context=ctx) as pool:
        remote = pool.submit(_score_in_fresh_process, scorer, RewardItem("triangle", WRONG)).result(timeout=300)
        again = pool.submit(_score_in_fresh_process, scorer, ("triangle", EXPERT)).result(timeout=300)
    assert remote.verdict is Verdict.WRONG and remote.reward == 0.0
    assert again.passed and again.level_costs[0] is not None


_STATS_SCRIPT = """
import json, sys
from effbench.reward import RewardModel
with RewardModel(problems=sys.argv[1], meter="time", workers=1, seed=sys.argv[2], cache_dir=sys.argv[3]) as rm:
    rm.score_batch([("triangle", "```python\\ndef triangle(n):\\n    return n\\n```"), ("reverse_words", "")])
    print(json.dumps(rm.stats()))
"""


def test_profiles_are_reused_from_disk_across_processes(tmp_path):
    """Invariant: a second process with the same seed (same inputs), meter and environment reads the
    expert profiles from the cache on disk; another seed measures them anew."""

    def stats(seed: str) -> dict:
        out = subprocess.run(
            [sys.executable, "-c", _STATS_SCRIPT, str(MINI), seed, str(tmp_path)],
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert out.returncode == 0, out.stderr
        return json.loads(out.stdout.strip().splitlines()[-1])

    first = stats("seed-a")
    second = stats("seed-a")
    other = stats("seed-b")
    assert (first["profiles_measured"], first["profiles_cached"]) == (2, 0)
    assert (second["profiles_measured"], second["profiles_cached"]) == (0, 2)
    assert (other["profiles_measured"], other["profiles_cached"]) == (2, 0)


def test_levels_option_keeps_only_the_first_levels(cache_dir):
    """Invariant: levels=2 scores on levels 0-1 only (two per-level costs); levels=1 is refused."""
    with RewardModel(problems=MINI, meter="time", workers=1, seed="reward-tests", levels=2, cache_dir=cache_dir) as rm:
        r = rm.score("triangle", EXPERT)
    assert r.passed and len(r.level_costs) == 2 and len(r.reference_level_costs) == 2
    with pytest.raises(EffbenchError, match="levels"):
        RewardModel(problems=MINI, meter="time", levels=1, warm=False)


def test_bad_options_raise_one_clear_error():
    """Invariant: configuration errors raise at construction, naming the option."""
    with pytest.raises(EffbenchError, match="unknown reward shaping 'fast'"):
        RewardModel(problems=MINI, meter="time", shaping="fast", warm=False)
    with pytest.raises(EffbenchError, match="unknown executor"):
        RewardModel(problems=MINI, meter="time", executor="spark", warm=False)
    with pytest.raises(EffbenchError, match="unknown meter"):
        RewardModel(problems=MINI, meter="cycles", warm=False)
    with pytest.raises(EffbenchError, match="alpha"):
        RewardModel(problems=MINI, meter="time", alpha=1.0, warm=False)
    with pytest.raises(EffbenchError, match="workers"):
        RewardModel(problems=MINI, meter="time", workers=0, warm=False)
    with pytest.raises(EffbenchError, match="workers"):
        RewardModel(problems=MINI, meter="time", workers=True, warm=False)
    # a million runner processes is refused before one starts
    with pytest.raises(EffbenchError, match="at most 8 per CPU"):
        RewardModel(problems=MINI, meter="time", workers=10**6, warm=False)


def test_default_workers_follow_the_affinity_mask_not_the_machines_cpu_count(monkeypatch):
    """Invariant: RewardModel(workers=None) starts as many workers as the CPUs this process may use
    (its affinity mask, which a container's cpuset or taskset narrows), like `effbench evaluate
    --workers`, not os.cpu_count(): a 64-CPU machine that lets this process use 3 gets 3 runners."""
    import os

    monkeypatch.setattr(os, "cpu_count", lambda: 64)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {1, 5, 7}, raising=False)
    rm = RewardModel(problems=MINI, meter="time", warm=False)
    assert rm.workers == 3 and rm.config.sandbox_workers == 3
    assert RewardModel(problems=MINI, meter="time", workers=5, warm=False).workers == 5
    # where the platform has no affinity mask (macOS), the CPU count
    monkeypatch.delattr(os, "sched_getaffinity")
    assert RewardModel(problems=MINI, meter="time", warm=False).workers == 64


def test_a_closed_model_refuses_an_empty_batch_too():
    """Invariant: every call on a closed model raises EffbenchError ('closed') (README, "Never an
    exception for bad input"), an empty batch included: a training loop that closed its reward
    model by mistake learns it at its next call, whatever that batch holds. Before, score_batch([]),
    rewards([]) and ascore_batch([]) answered [] on a closed model."""
    for executor in ("local", "ray"):
        rm = RewardModel(problems=MINI, meter="time", executor=executor, warm=False)
        rm.close()
        for call in (rm.score_batch, rm.rewards):
            with pytest.raises(EffbenchError, match="closed"):
                call([])
        with pytest.raises(EffbenchError, match="closed"):
            asyncio.run(rm.ascore_batch([]))
    with RewardModel(problems=MINI, meter="time", warm=False) as rm:
        assert rm.score_batch([]) == [] and rm.rewards([]) == []  # open: an empty batch is empty


def test_starter_set_is_selected_by_name_and_scored_with_its_own_references(cache_dir):
    """Invariant: RewardModel(problem_set="starter") scores the bundled starter set's problems against
    the expert of references/starter (a nested set); an unknown name or a second source of problems
    is one clear error."""
    from effbench.problems import bundled_problem_set_dir, load_problem_set

    starter = load_problem_set(bundled_problem_set_dir("starter"))
    expert = "```python\n" + starter.get("sum_list").expert_code + "\n```"
    with RewardModel(
        problem_set="starter", meter="time", workers=1, levels=2, seed="reward-tests", cache_dir=cache_dir
    ) as rm:
        assert rm.problem_ids() == sorted(starter.problems)
        right, wrong, other = rm.score_batch(
            [
                ("sum_list", expert),
                ("sum_list", "```python\ndef sum_list(nums):\n    return 0\n```"),
                ("max_subarray_sum", expert),  # a main-set problem is unknown here
            ]
        )
    # the expert is OK, or stopped at the budget when a loaded machine slows the time meter's run
    assert right.status == "scored" and right.verdict in (Verdict.OK, Verdict.CENSORED_BUDGET), right
    assert wrong.verdict == Verdict.WRONG and wrong.reward == 0.0
    assert other.status == "unknown_problem"
    with pytest.raises(EffbenchError, match="unknown problem set 'nope'; known: core, starter"):
        RewardModel(problem_set="nope", meter="time", warm=False)
    with pytest.raises(EffbenchError, match="give one of problems= and problem_set="):
        RewardModel(problems=MINI, problem_set="starter", meter="time", warm=False)


def test_ray_executor_without_effbench_executors_is_a_clear_error(monkeypatch):
    """Invariant: executor='ray' where effbench.executors cannot be imported raises one clear error."""
    monkeypatch.setitem(sys.modules, "effbench.executors", None)
    rm = RewardModel(problems=MINI, meter="time", executor="ray", warm=False)
    with pytest.raises(EffbenchError, match="executor='ray' needs effbench.executors"):
        rm.score_batch([("triangle", EXPERT)])


def test_completion_text_reads_strings_and_chat_messages():
    """Invariant: the answer is a string itself, or the last assistant message's text."""
    assert completion_text("abc") == ("abc", "")
    assert completion_text({"role": "assistant", "content": "x"})[0] == "x"
    assert completion_text([{"role": "user", "content": "q"}])[0] is None
    assert (
        completion_text([{"role": "assistant", "content": [{"type": "text", "text": "a"}, {"text": "b"}]}])[0] == "ab"
    )
    assert RewardItem.of({"task_id": "t", "completion": "c"}) == RewardItem("t", "c")
    assert RewardItem.of(("t", "c", "bogus")).malformed


def test_an_item_the_caller_built_wrong_is_malformed_never_the_models_failure():
    """Invariant: an item that cannot be read as (problem id, completion, mode) is malformed (the
    caller's fault), whatever its form; never a completion with no code (the model's failure) nor
    a harness error. Threat: a trainer whose dataset column is named ``response`` got the failure
    reward on every item, counted as the model's ``no_code``; a RewardItem built by hand with an
    int id was a harness error and one with an unknown mode was scored in chat mode."""
    why = RewardItem.of({"problem_id": "t", "response": "c"}).malformed
    assert why and "'completion'" in why and "'response'" in why
    assert "'problem_id' or 'task_id'" in RewardItem.of({"completion": "c"}).malformed
    assert RewardItem.of(RewardItem(5, "c")).malformed  # type: ignore[arg-type]
    assert "bogus" in RewardItem.of(RewardItem("t", "c", mode="bogus")).malformed
    assert RewardItem.of(RewardItem("t", "c", mode="completion")) == RewardItem("t", "c", "completion")
    assert RewardItem.of({"problem_id": "t", "completion": None}) == RewardItem("t", None)  # no code: the model's


def test_scorer_config_is_hashable_and_ignores_shaping_for_the_warm_key():
    """Invariant: two configs that differ only in shaping share one warm evaluator key."""
    a = ScorerConfig(seed="s", shaping=Shaping.of("binary"))
    b = ScorerConfig(seed="s", shaping=Shaping.of("speedup"))
    assert a != b and a.engine_key == b.engine_key and hash(a.engine_key) == hash(b.engine_key)
    assert ItemScorer(a) == pickle.loads(pickle.dumps(ItemScorer(a)))


# -- shapings ----------------------------------------------------------------------------------------
finite_or_not = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.none())


@settings(max_examples=300, deadline=None)
@given(
    kind=st.sampled_from(list(ShapingKind)),
    passed=st.booleans(),
    efficiency=st.floats(allow_nan=True, allow_infinity=True),
    speedup=finite_or_not,
    censored=st.one_of(st.none(), st.integers(0, 5)),
)
def test_every_shaping_returns_a_finite_float_for_any_facts(kind, passed, efficiency, speedup, censored):
    """Invariant: whatever the facts (NaN and infinities included), the reward is a finite float."""
    r = Shaping.of(kind).reward(passed, efficiency, speedup, censored)
    assert isinstance(r, float) and math.isfinite(r)


def test_shapings_order_fail_below_slow_below_fast():
    """Invariant: for every shaping, failure <= passing-but-censored <= passing at the expert's speed
    <= passing faster, strictly where the shaping distinguishes them."""
    for kind in ShapingKind:
        s = Shaping.of(kind)
        fail = s.reward(False, 0.0, None, None)
        censored = s.reward(True, 0.3, None, 2)
        slower = s.reward(True, 0.5, 0.5, None)
        same = s.reward(True, 1.0, 1.0, None)
        faster = s.reward(True, 1.4, 3.0, None)
        assert fail == s.failure
        assert fail < censored <= slower <= same <= faster, kind
    speed = Shaping.of("speedup")
    assert speed.reward(True, 1, 100.0, None) == 2.0 and speed.reward(True, 1, 1e-9, None) == -2.0
    assert speed.reward(True, 1, 2.0, None) == pytest.approx(math.log(2))
    assert speed.reward(True, 1.9, None, None) == 2.0  # passed at an unmeasurably small cost: the fastest
    assert speed.reward(True, 0.0, None, 1) == -2.0  # passed, stopped at the budget at level 1
    assert Shaping.of("acecode").reward(True, 1.9, None, None) == 1.0
    step = Shaping.of("acecode")
    assert [step.reward(False, 0, None, None), step.reward(True, 0.5, 0.5, None), step.reward(True, 1, 1.0, None)] == [
        0.0,
        0.5,
        1.0,
    ]
    assert step.reward(True, 1, 0.995, None) == 1.0 and step.reward(True, 1, 0.98, None) == 0.5
    with pytest.raises(EffbenchError):
        Shaping(ShapingKind.ACECODE, step_slower=2.0)


def test_closed_form_beats_the_expert_and_gets_more_reward(cache_dir):
    """Invariant: faster-than-expert code (closed form vs the expert's O(n)) gets efficiency > 1 and
    speedup > 1; every shaping ranks it at least as high as the expert. Counted with valgrind: under
    the time meter on a loaded machine (a CI run beside other jobs, load average 10) the closed
    form's few microseconds were noise enough to give it a speedup of 0.29."""
    with RewardModel(problems=MINI, meter="valgrind", workers=2, seed="reward-tests", cache_dir=cache_dir) as rm:
        expert, fast = rm.score_batch([("triangle", EXPERT), ("triangle", CLOSED_FORM)])
    assert fast.passed and fast.efficiency > expert.efficiency
    assert fast.speedup is None or fast.speedup > 2  # None: a cost too small to measure on every level
    for kind in ShapingKind:
        s = Shaping.of(kind)
        assert s.reward(True, fast.efficiency, fast.speedup, None) >= s.reward(
            True, expert.efficiency, expert.speedup, expert.censored_level
        )


def test_reward_result_refuses_a_non_finite_reward():
    """Invariant: a RewardResult cannot carry NaN or an infinity."""
    with pytest.raises(ValueError):
        RewardResult("p", float("nan"), False, 0.0, None, Verdict.ERROR, ItemStatus.NO_CODE, "")
