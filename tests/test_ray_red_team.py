"""The reward API on a real Ray head under a careless loop and a hostile policy (issue 14, red team).

Garbage and hostile items travel to Ray workers (pickled) and back: each must come back in order,
with the status and reward the local executor gives it, also when several threads call at once.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from effbench.reward import RewardModel
from effbench.verdicts import Verdict

from .conftest import MINI

EXPERT = "```python\ndef triangle(n):\n    return n * (n + 1) // 2 if n > 0 else 0\n```"
ITEMS = [
    ("triangle", EXPERT),
    ("triangle", None),
    ("triangle", b"bytes are not text"),
    ("triangle", {"role": "assistant"}),
    ("triangle", EXPERT + "x" * 10_000_000),  # a 10 MB runaway generation
    ("triangle", [[[[[[[["deep"]]]]]]]]),
    ("triangle", "```python\ndef triangle(n):\n    return n  # \ud800\n```"),
    ("triangle", "```python\ndef triangle(n):\n    raise KeyboardInterrupt\n```"),
    ("triangle", "```python\nimport os\ndef triangle(n):\n    os._exit(0)\n```"),
    ("triangle", "<think>never closed " + EXPERT),
    (None, EXPERT),
    ("no_such_problem", EXPERT),
    42,
    ("triangle", EXPERT),
]


def _outcome(r):
    if r.verdict == Verdict.OK or r.verdict.censored:  # the expert: the time meter may censor it under load
        return (r.problem_id, r.status, "ran")
    return (r.problem_id, r.status, r.verdict, r.reward, r.reason.split(":")[0])


def test_garbage_on_ray_from_threads_at_once_comes_back_in_order_as_locally(ray_head):
    """Invariant: garbage and hostile items scored on Ray from 3 threads at once (the model's first
    call among them) come back in order, each with the local executor's status, verdict and
    failure reward; none raises, and one executor serves them all."""
    options = {"problems": MINI, "meter": "time", "seed": "ray-red-team", "workers": 1, "cache": False, "levels": 2}
    with RewardModel(**options) as local:
        expected = [_outcome(r) for r in local.score_batch(ITEMS)]
    with RewardModel(**options, executor="ray", address=ray_head.address, warm=False) as remote:
        barrier = threading.Barrier(3)

        def call():
            barrier.wait(timeout=120)
            return remote.score_batch(ITEMS)

        with ThreadPoolExecutor(3) as pool:
            batches = [f.result(timeout=600) for f in [pool.submit(call) for _ in range(3)]]
        executor = remote._remote
    for batch in batches:
        assert [_outcome(r) for r in batch] == expected
    assert executor is not None and not executor.retries


def test_a_reward_item_that_loses_every_worker_is_a_harness_error_not_an_exception(ray_head):
    """Invariant: on Ray, a reward item whose workers all die (here max_attempts=1 and the worker
    holding it is SIGKILLed) comes back as a harness_error result (the failure reward, the lost
    worker in its reason and retries), in its place; the batch's other items are scored and
    nothing is raised: score_batch never raises for one item."""
    from effbench.reward import ItemStatus

    from .ray_support import map_killing_a_worker

    items = [("triangle", EXPERT), ("triangle", "no code"), ("no_such_problem", EXPERT)] * 4
    options = {"problems": MINI, "meter": "time", "seed": "ray-give-up", "workers": 1, "cache": False, "levels": 2}
    with RewardModel(**options, warm=False) as model:
        scorer = model.scorer
    results, lost, killed = map_killing_a_worker(ray_head.address, scorer, items, max_attempts=1)
    assert lost, "no item was in flight on the killed worker"
    assert [r.problem_id for r in results] == [pid for pid, _ in items]
    for i, r in enumerate(results):
        if i in lost:
            assert r.status is ItemStatus.HARNESS_ERROR and r.reward == scorer.config.shaping.failure
            assert f"pid {killed} " in r.reason and len(r.retries) == 1, r
        else:
            assert r.status is not ItemStatus.HARNESS_ERROR and r.retries == (), r


def test_closing_a_ray_model_lets_the_batch_in_flight_finish_and_stops_every_worker(ray_head):
    """Invariant: close() called while another thread's score_batch runs on Ray lets that batch
    finish (one result per item, in order, nothing raised), as the local executor's close() waits
    for its pool, and then stops every actor. Before, close() killed the actors under the running
    map and shut Ray down: the batch raised ExecutorError ('every worker was lost and none could
    be started') out of score_batch, its finished items lost."""
    from effbench.reward import ItemStatus

    loop = "```python\ndef triangle(n):\n    while True:\n        pass\n```"
    items = [("triangle", f"{loop}\n# {i}") for i in range(40)]
    options = {"problems": MINI, "meter": "time", "seed": "ray-close", "workers": 1, "cache": False, "levels": 2}
    model = RewardModel(**options, executor="ray", address=ray_head.address)
    model.score_batch([("triangle", EXPERT)])  # actors started, profile measured
    executor = model._remote
    started = executor.stats["items"]
    out: dict = {}

    def batch() -> None:
        try:
            out["results"] = model.score_batch(items)
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            out["error"] = exc

    thread = threading.Thread(target=batch)
    thread.start()
    deadline = time.monotonic() + 120
    while executor.stats["items"] <= started and time.monotonic() < deadline:  # the batch is under way
        time.sleep(0.02)
    model.close()
    thread.join(timeout=600)
    assert "error" not in out, out.get("error")
    results = out["results"]
    assert len(results) == len(items) and all(r.status is ItemStatus.SCORED for r in results)
    assert all(r.verdict.censored for r in results), [r.verdict for r in results]
    assert executor.worker_pids() == []


def test_an_address_where_no_ray_cluster_listens_is_refused_in_seconds_not_waited_for_forever():
    """Invariant: a reward model (or any Ray executor) given an address where nothing listens (a
    typo, a head not started) fails its first call with an ExecutorError naming the address,
    within seconds. Before, ray.init retried in C++ forever (every ~40 s, deaf to SIGTERM): the
    first score_batch never returned (killed after 5 minutes). Run in a child process bounded by
    a timeout, so that the old hang fails the test instead of hanging it."""
    import socket
    import subprocess
    import sys

    from .ray_support import _require_ray

    _require_ray()
    with socket.socket() as s:  # a port nothing listens on (bound, never listening)
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        code = (
            "from effbench.errors import EffbenchError\n"
            "from effbench.reward import RewardModel\n"
            f"rm = RewardModel(problems={str(MINI)!r}, meter='time', executor='ray', "
            f"address='127.0.0.1:{port}', seed='s', workers=1)\n"
            "try:\n"
            "    rm.score_batch([('triangle', 'x')])\n"
            "except EffbenchError as exc:\n"
            "    print('refused:', exc)\n"
        )
        try:
            done = subprocess.run(
                [sys.executable, "-c", code], capture_output=True, text=True, timeout=90, start_new_session=True
            )
        except subprocess.TimeoutExpired:
            raise AssertionError("the first call on an address where nothing listens did not return in 90 s") from None
    assert f"refused: executor ray: nothing answers at 127.0.0.1:{port}" in done.stdout, done.stdout + done.stderr


def test_on_ray_workers_is_the_number_of_actors_and_each_runs_one_sandbox_runner(ray_head):
    """Invariant: RewardModel(executor="ray", workers=N) scores on N Ray actors (all the cluster's
    CPUs when N is not given), and each actor's sandbox has one runner, as an actor scores one item
    at a time. Before, workers was the runners of every actor's sandbox (default: the driver's
    CPUs), all but one idle, and the actors were always one per cluster CPU: workers=4 on this
    2-CPU head started 2 actors with 4 runners each."""
    options = {"problems": MINI, "meter": "time", "seed": "ray-workers", "cache": False, "levels": 2}
    for workers, actors in ((1, 1), (None, 2)):
        extra = {} if workers is None else {"workers": workers}
        with RewardModel(**options, **extra, executor="ray", address=ray_head.address) as model:
            assert len(model.score_batch([("triangle", EXPERT), ("triangle", "no code")])) == 2
            assert len(model._remote.worker_pids()) == actors
            assert model.scorer.config.sandbox_workers == 1


MALFORMED_ADDRESSES = [
    "127.0.0.1:1\n",  # read from a file or $(cat ...): ray.init waited forever (killed after 50 s)
    " 127.0.0.1:1",
    "ray://127.0.0.1:1/",
    "127.0.0.1:-1",
    "127.0.0.1:0",
    "127.0.0.1:70000",
    "127.0.0.1:99999999999999999999",  # OverflowError before
    "127.0.0.1:²",  # ValueError before
    "",
    "127.0.0.1",
]


def test_a_malformed_ray_address_is_refused_at_construction_not_waited_for_forever(tmp_path):
    """Invariant: a Ray address that is not [ray://]HOST:PORT (PORT 1-65535), 'auto' or 'local' is
    refused with an EffbenchError naming it (repr: whitespace shows) before anything starts: at
    RewardModel(...), at `effbench evaluate --ray-address`, and by the executor's own check. Before,
    only well-formed addresses were checked for a listener: an address with a trailing newline
    went to ray.init, which waited forever (the first score_batch killed after 50 s), and a port of
    20 digits or '²' raised OverflowError/ValueError. IPv6 ([::1]:P, ::1:P), hostnames and ray://
    forms of a closed port still end as 'nothing answers' (no hang)."""
    import pytest

    from effbench.errors import EffbenchError
    from effbench.executors.ray_executor import _check_reachable

    for address in MALFORMED_ADDRESSES:
        with pytest.raises(EffbenchError, match="is not a Ray cluster's address"):
            RewardModel(problems=MINI, meter="time", executor="ray", address=address, seed="s", warm=False)
        with pytest.raises(EffbenchError, match="is not a Ray cluster's address"):
            _check_reachable(address, 1.0)
    for address in ("auto", "local", None):
        _check_reachable(address, 1.0)  # left to Ray
    for address in ("ray://127.0.0.1:1", "[::1]:1", "ray://[::1]:1", "localhost:1"):
        with pytest.raises(EffbenchError, match="nothing answers"):
            _check_reachable(address, 5.0)
    run = tmp_path / "run"
    out = subprocess.run(
        [sys.executable, "-m", "effbench", "evaluate", "--problems-dir", str(MINI), "--references", "expert"]
        + ["--executor", "ray", "--ray-address", "127.0.0.1:1\n", "--run-dir", str(run)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 2 and "is not a Ray cluster's address" in out.stderr, out.stderr[-2000:]
    assert not run.exists()


def test_a_local_ray_runtime_gets_the_cpus_this_process_may_use_and_no_runaway_worker_count(monkeypatch):
    """Invariant: without an address, the Ray runtime effbench starts has the CPUs this process may
    use (its affinity mask: a container's cpuset, taskset), not os.cpu_count() (the host's), and a
    worker count above MAX_WORKERS_PER_CPU per such CPU is refused before Ray starts (RewardModel:
    at construction), as the local executor refuses it. Before, num_cpus was os.cpu_count() (a
    2-CPU container on a 64-CPU host: 64 actors, each a sandbox runner), and workers=N gave the
    local runtime N CPUs that are not there: N actor processes started whatever N."""
    import pytest

    from effbench.cpus import MAX_WORKERS_PER_CPU, usable_cpus
    from effbench.errors import EffbenchError
    from effbench.executors import ray_executor

    too_many = MAX_WORKERS_PER_CPU * usable_cpus() + 1
    with pytest.raises(EffbenchError, match=f"workers={too_many} would start"):
        RewardModel(problems=MINI, meter="time", executor="ray", workers=too_many, seed="s", warm=False)

    started: list[dict] = []

    class _FakeRay:  # records ray.init's options; refuses to start anything
        @staticmethod
        def is_initialized() -> bool:
            return False

        @staticmethod
        def init(**options) -> None:
            started.append(options)
            raise RuntimeError("not started in this test")

    monkeypatch.setattr(ray_executor, "_import_ray", lambda local: _FakeRay)
    with pytest.raises(EffbenchError, match=f"workers={too_many} would start"):
        ray_executor.RayExecutor(workers=too_many)
    assert started == [], "Ray was started for a refused worker count"
    monkeypatch.setattr(ray_executor, "usable_cpus", lambda: 1)  # a process allowed one CPU of the host's
    monkeypatch.setattr(ray_executor.os, "cpu_count", lambda: 64)
    with pytest.raises(EffbenchError, match="cannot connect"):
        ray_executor.RayExecutor()
    assert started[-1]["num_cpus"] == 1, f"a local runtime of {started[-1]['num_cpus']} CPUs for a 1-CPU process"
