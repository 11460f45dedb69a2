"""The reward API called by a careless RL engineer (issue 14, second red team).

Each test is one invariant a training loop relies on when what it passes is not what the API
expects: objects of its own classes, odd options. The meter is not the subject (``time``, the mini
problem set, two levels).
"""

from __future__ import annotations

from collections import UserDict
from pathlib import Path

import pytest

from effbench.reward import ItemStatus, RewardModel
from effbench.reward.verl import compute_score_batch

MINI = Path(__file__).parent / "fixtures" / "mini" / "problems"
EXPERT = "```python\ndef triangle(n):\n    return sum(range(1, n + 1))\n```"


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    cache = tmp_path_factory.mktemp("careless-cache")
    # alpha 50: these tests are about careless input, and the expert's own code must pass whatever
    # the time meter's noise at one run (the same code twice can be 2x apart on microsecond tests;
    # at alpha 2 a busy CI censored it at the budget)
    rm = RewardModel(problems=MINI, meter="time", workers=2, levels=2, seed="careless", cache_dir=cache, alpha=50.0)
    yield rm
    rm.close()


class _ItemsRaise(dict):
    def items(self):
        raise RuntimeError("items")


class _LenRaises(list):
    def __len__(self):
        raise RuntimeError("len")


class _ContainsRaises(dict):
    def __contains__(self, key):
        raise RuntimeError("contains")


class _UserMapping(UserDict):
    def __getitem__(self, key):
        raise RuntimeError("getitem")


class _Text(str):
    """Text whose own methods all raise: only its characters may be used."""

    def __hash__(self):
        raise RuntimeError("hash")

    def __eq__(self, other):
        raise RuntimeError("eq")

    def splitlines(self, *args):
        raise RuntimeError("splitlines")

    def encode(self, *args, **kwargs):
        raise RuntimeError("encode")

    def __reduce__(self):
        raise RuntimeError("reduce")


#: items of built-in containers' subclasses whose own methods raise: read through the built-in's
RAISING_BUILTINS = {
    "completion-dict-items-raise": ("triangle", _ItemsRaise(role="assistant", content=EXPERT)),
    "completion-list-len-raises": ("triangle", _LenRaises([{"role": "assistant", "content": EXPERT}])),
    "item-dict-contains-raises": _ContainsRaises(problem_id="triangle", completion=EXPERT),
    "item-dict-items-raise": _ItemsRaise(problem_id="triangle", completion=EXPERT),
    "item-list-len-raises": _LenRaises(["triangle", EXPERT]),
}
#: items of other classes that raise when read: the caller's fault, never the policy's
RAISING_OTHERS = {
    "item-user-mapping-getitem-raises": _UserMapping(problem_id="triangle", completion=EXPERT),
    "completion-user-mapping-getitem-raises": ("triangle", _UserMapping(role="assistant", content=EXPERT)),
}


def test_an_item_that_raises_when_read_is_malformed_and_never_escapes_score_batch(model):
    """Invariant: score_batch returns one result per item, in order, and raises nothing, whatever
    objects the caller's items are made of. A subclass of dict, list or tuple is read through the
    built-in's own methods (scored as the plain value it holds, whatever its ``items``,
    ``__contains__`` or ``len`` do); another object that raises while it is read (a mapping whose
    ``__getitem__`` raises) gets the failure reward with status MALFORMED (the caller's fault, not
    the policy's, not a harness error, which trainers mask); the honest items of the same batch are
    scored as without them. Before, such an item's exception came out of score_batch and the whole
    batch was lost."""
    batch = [("triangle", EXPERT), *RAISING_BUILTINS.values(), *RAISING_OTHERS.values(), ("triangle", EXPERT + "\n")]
    results = model.score_batch(batch)
    assert len(results) == len(batch)
    assert results[0].passed and results[-1].passed
    builtins, others = results[1 : 1 + len(RAISING_BUILTINS)], results[1 + len(RAISING_BUILTINS) : -1]
    for name, r in zip(RAISING_BUILTINS, builtins, strict=True):
        assert r.status is ItemStatus.SCORED and r.passed, (name, r.status, r.reason)
    for name, r in zip(RAISING_OTHERS, others, strict=True):
        assert r.status is ItemStatus.MALFORMED, (name, r.status, r.reason)
        assert r.reward == model.shaping.failure and not r.passed, name
        assert "could not be read" in r.reason, (name, r.reason)


def test_text_of_the_callers_own_str_class_is_read_as_its_characters(model):
    """Invariant: a problem id or completion of a ``str`` subclass (numpy's ``str_``, a string enum,
    or one whose methods raise) is scored exactly as the plain string it holds: none of its own
    methods runs (hashing the id, splitting or encoding the completion, pickling it), so it is
    neither a harness error (a sample trainers mask) nor an exception out of score_batch."""
    plain, odd = model.score_batch([("triangle", EXPERT), (_Text("triangle"), _Text(EXPERT))])
    assert odd.status is ItemStatus.SCORED and odd.passed, (odd.status, odd.reason)
    assert odd.problem_id == "triangle" and type(odd.problem_id) is str
    messages = [{"role": _Text("assistant"), "content": _Text(EXPERT)}]
    (chat,) = model.score_batch([("triangle", messages, _Text("chat"))])
    assert chat.status is ItemStatus.SCORED and chat.passed, (chat.status, chat.reason)


def test_verl_extra_info_that_raises_when_read_is_one_failure_reward_not_an_exception(model, monkeypatch):
    """Invariant: compute_score_batch returns one finite float per response, whatever the rows'
    ``extra_info`` objects do when read: one whose ``get`` raises is a malformed item with the
    failure reward; the other responses keep their rewards."""
    from effbench.reward import verl

    monkeypatch.setattr(verl, "reward_model", lambda **options: model)

    class Info(dict):
        def get(self, *args):
            raise RuntimeError("get")

    rewards = compute_score_batch(["effbench"] * 2, [EXPERT, EXPERT], ["triangle"] * 2, [None, Info()])
    assert len(rewards) == 2 and rewards[0] > 0 and rewards[1] == model.shaping.failure


@pytest.mark.parametrize(
    "options, named",
    [
        ({"sandbox": "nope", "warm": False}, "sandbox"),
        ({"sandbox": "nope", "executor": "ray"}, "sandbox"),
        ({"problems": "/nonexistent/problems", "warm": False}, "no such folder"),
        ({"problems": "/nonexistent/problems", "executor": "ray"}, "no such folder"),
        ({"address": "ray://127.0.0.1:10001"}, "executor='ray'"),
        ({"seed": ""}, "seed"),
        ({"deduplicate": "false"}, "deduplicate"),
        ({"cache": "no"}, "cache"),
        ({"warm": "no"}, "warm"),
        ({"cache_dir": 5}, "cache_dir"),
    ],
    ids=lambda v: "-".join(f"{k}" for k in v) if isinstance(v, dict) else None,
)
def test_an_option_that_cannot_work_is_refused_at_construction_whatever_warm_and_the_executor(options, named):
    """Invariant: RewardModel(...) raises an EffbenchError naming the option when the option cannot
    work, without starting anything, with ``warm=False`` and with ``executor="ray"`` too. Before,
    these constructed: an unknown sandbox or a missing problems folder failed at the first call
    (warm=False) or, on Ray, made every item a harness error with the failure reward, silently; an
    ``address`` without ``executor="ray"`` scored on this machine, the cluster unused; ``seed=""``
    drew a fresh secret in each process; ``deduplicate="false"`` deduplicated."""
    from effbench.errors import EffbenchError

    kwargs = {"problems": MINI, "meter": "time", "workers": 1, "seed": "careless", "warm": False, **options}
    with pytest.raises(EffbenchError, match=named):
        RewardModel(**kwargs)


def test_a_model_dropped_without_close_gives_its_sandbox_back(tmp_path):
    """Invariant: a local RewardModel garbage-collected without close() (a helper that makes one
    per call, never closing it) gives its warm sandbox back at the process's next use of the
    reward API, so a loop of such calls holds one sandbox, not one per call. Before, each dropped
    model kept its sandbox and runner processes until the process exited (5 calls: 5 sandboxes,
    51 processes under this process). A model still referenced keeps its sandbox."""
    import gc

    from effbench.reward import scorer as scorer_module

    def careless_reward(seed: str):  # -> the dropped model's configuration
        rm = RewardModel(problems=MINI, meter="time", workers=1, levels=2, seed=seed, cache_dir=tmp_path)
        assert rm.score("triangle", EXPERT).status is ItemStatus.SCORED
        return rm.config

    keys = []
    for i in range(3):
        keys.append(careless_reward(f"dropped-{i}"))
        gc.collect()
    with RewardModel(problems=MINI, meter="time", workers=1, levels=2, seed="kept", cache_dir=tmp_path) as kept:
        kept.score("triangle", EXPERT)
        held = [k.engine_key for k in keys if k.engine_key in scorer_module._WARM]
        assert held == [], f"{len(held)} dropped model(s) still hold a sandbox"
        assert kept.config.engine_key in scorer_module._WARM


@pytest.mark.parametrize(
    "columns, message",
    [
        ({"task_id": ["sum_list", "triangle"]}, r"not problems of the reward model's set .*'sum_list'"),
        ({"task_id": ["triangle", "triangle"], "extraction": ["Chat", None]}, r"column 'extraction' holds 'Chat'"),
    ],
    ids=["task-id-of-another-set", "unknown-extraction"],
)
def test_trl_dataset_values_the_model_cannot_score_are_refused_not_rewarded_zero(model, columns, message):
    """Invariant: the TRL reward function raises an EffbenchError naming the value when the
    dataset's columns hold a task id the reward model's problem set does not have (a dataset of
    the starter set given to a model of another set) or an unknown extraction mode. Before, every
    such row got the failure reward (unknown_problem, malformed) and training went on with no
    signal, silently."""
    from effbench.errors import EffbenchError
    from effbench.reward.trl import TRLReward

    reward = TRLReward(model)
    with pytest.raises(EffbenchError, match=message):
        reward(prompts=["p", "p"], completions=[EXPERT, EXPERT], **columns)
    assert reward(prompts=["p"], completions=[EXPERT], task_id=["triangle"], extraction=[None]) != [None]


def test_an_async_batch_cancelled_while_its_sandbox_starts_scores_none_of_its_items(tmp_path, monkeypatch):
    """Invariant: an ascore_batch cancelled at any point (here while a cold model starts its
    sandbox, before its items are handed to the threads: asyncio.wait_for's timeout) leaves at
    most ``workers`` of its items scored: the others are cancelled, not run in the background
    ahead of the next call's. Before, the items handed over after the cancellation all ran."""
    import asyncio
    import threading
    import time

    from effbench.reward import scorer as scorer_module

    calls = []
    real_acquire = scorer_module.ItemScorer.acquire
    started = threading.Event()

    def slow_acquire(self):
        started.set()
        time.sleep(0.6)  # a sandbox starting (seconds under valgrind)
        return real_acquire(self)

    def slow_scorer(self, item):
        calls.append(item)
        time.sleep(0.1)

    monkeypatch.setattr(scorer_module.ItemScorer, "acquire", slow_acquire)
    monkeypatch.setattr(scorer_module.ItemScorer, "__call__", slow_scorer)
    rm = RewardModel(problems=MINI, meter="time", workers=1, levels=2, seed="cancel", cache_dir=tmp_path, warm=False)

    async def main() -> None:
        task = asyncio.ensure_future(rm.ascore_batch([("triangle", f"{EXPERT}\n# {i}") for i in range(20)]))
        while not started.is_set():
            await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    try:
        asyncio.run(main())
        time.sleep(1.5)  # what would still run in the background has had time to
    finally:
        rm.close()
    assert len(calls) <= 1, f"{len(calls)} of 20 items were scored after the caller cancelled"


@pytest.mark.parametrize(
    "parameters, named",
    [
        ({"kind": "speed"}, "unknown reward shaping 'speed'"),
        ({"kind": "speedup", "speedup_clip": True}, "speedup_clip"),
        ({"kind": "acecode", "step_faster": True}, "steps"),
    ],
    ids=["unknown-kind", "bool-clip", "bool-step"],
)
def test_a_shaping_built_with_bad_parameters_raises_effbench_error_naming_them(parameters, named):
    """Invariant: Shaping(...) with an unknown kind or a bool where a number is meant raises one
    EffbenchError naming it, as RewardModel(shaping=...) does for a name. Before, an unknown kind
    raised a bare ValueError ("'speed' is not a valid ShapingKind") and True was taken as 1."""
    from effbench.errors import EffbenchError
    from effbench.reward import Shaping

    with pytest.raises(EffbenchError, match=named):
        Shaping(**parameters)


def test_a_dropped_model_keeps_its_sandbox_until_its_handed_over_items_end(tmp_path):
    """Invariant: a RewardModel dropped without close() gives its sandbox back only once no item it
    handed to its threads is still queued or running. An interrupted ``score_batch`` (Ctrl-C in a
    notebook, then the cell re-run, which makes a new model) or a cancelled ``ascore_batch`` leaves
    items in the dropped model's threads; the items reference the scorer, not the model. Before,
    the next use of the API closed the sandbox under them (tests in flight ended as infrastructure
    failures) and each queued item then built a new warm sandbox that no one held: leaked, with its
    runners, until the process exited."""
    import gc
    import threading
    import time

    from effbench.reward import scorer as scorer_module

    rm = RewardModel(problems=MINI, meter="time", workers=1, levels=2, seed="in-flight", cache_dir=tmp_path)
    key = rm.config.engine_key
    started, go = threading.Event(), threading.Event()

    def in_flight(_: object) -> None:  # an item still running (it holds no reference to the model)
        started.set()
        go.wait(60)

    futures = rm._submit(in_flight, [0])
    assert started.wait(60)
    del rm
    gc.collect()
    other = RewardModel(problems=MINI, meter="time", workers=1, levels=2, seed="other", cache_dir=tmp_path)
    try:
        assert key in scorer_module._WARM, "the dropped model's sandbox was closed under an item still running"
        go.set()
        futures[0].result(60)
        del futures
        deadline = time.monotonic() + 60  # the pool's thread lets go of the item just after its result
        while key in scorer_module._WARM and time.monotonic() < deadline:
            gc.collect()
            other.problem_ids()  # a use of the API: gives back the holds of dropped models
            time.sleep(0.05)
        assert key not in scorer_module._WARM, "the dropped model kept its sandbox after its items ended"
    finally:
        go.set()
        other.close()


def test_a_dropped_models_sandbox_failing_to_close_does_not_fail_another_call(tmp_path, monkeypatch):
    """Invariant: the sandbox of a model dropped without close() is closed by whichever call of the
    reward API comes next (another model made, an item scored, a model closed); that closing
    failing (a docker daemon gone away, a runner that will not die) is not that call's error.
    Before, its exception escaped from an unrelated RewardModel() (or from inside an item's scoring,
    which then became a harness error)."""
    import gc

    from effbench.reward import scorer as scorer_module

    rm = RewardModel(problems=MINI, meter="time", workers=1, levels=2, seed="fails-to-close", cache_dir=tmp_path)
    warm = scorer_module._WARM[rm.config.engine_key]
    really_close = warm.close

    def close_fails() -> None:
        really_close()
        raise OSError("the sandbox would not close")

    monkeypatch.setattr(warm, "close", close_fails)
    del rm
    gc.collect()
    with RewardModel(problems=MINI, meter="time", workers=1, levels=2, seed="innocent", cache_dir=tmp_path) as other:
        assert other.score("triangle", EXPERT).status is ItemStatus.SCORED


@pytest.mark.parametrize("cache_dir", ["", "  "])
def test_an_empty_cache_dir_is_refused_not_read_as_the_default_cache(cache_dir):
    """Invariant: RewardModel(cache_dir="") (``os.environ.get("MY_CACHE", "")`` unset) raises an
    EffbenchError naming cache_dir at construction. Before, it constructed and the empty string,
    being false, silently meant the default cache ($EFFBENCH_CACHE_DIR or ~/.cache), whose time-meter
    profiles another run may have measured under other load (and ``"  "`` a folder named by spaces
    in the working directory): as ``seed=""`` is refused."""
    from effbench.errors import EffbenchError

    with pytest.raises(EffbenchError, match="cache_dir"):
        RewardModel(problems=MINI, meter="time", workers=1, seed="careless", warm=False, cache_dir=cache_dir)
