"""verl adapter: ``compute_score`` for verl's custom reward function, single and batched.

verl's reward managers call a custom reward function (``custom_reward_function.path`` / ``.name`` in
its config, with ``custom_reward_function.reward_kwargs`` passed as keyword arguments):

- the naive manager, one response at a time:
  ``compute_score(data_source, solution_str, ground_truth, extra_info=None, **reward_kwargs) -> float``;
- the batch manager, all responses of a step at once:
  ``compute_score(data_sources, solution_strs, ground_truths, extra_infos, **reward_kwargs) -> list[float]``
  (here :func:`compute_score_batch`).

The problem id is ``extra_info["task_id"]`` when present, else ``ground_truth``; ``extra_info["extraction"]``
(``chat`` or ``completion``) says how to read the response (default ``chat``). :func:`verl_rows` builds
rows in the layout of verl's RL datasets (``data_source``, ``prompt``, ``ability``, ``reward_model``,
``extra_info``) from a problem set, for ``datasets.Dataset.from_list(rows).to_parquet(path)``.

``reward_kwargs`` are :class:`~effbench.reward.model.RewardModel` options (``shaping``, ``meter``,
``workers``, ``levels``, ``seed``, ``problems``...); one model per distinct set of options is kept per
process, so its sandbox stays warm across steps. Pass a fixed ``seed`` so that every worker process
scores on the same stress inputs (and reuses the profiles on disk).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping, Sequence
from typing import Any

from effbench.errors import EffbenchError
from effbench.reward.model import RewardModel
from effbench.reward.scorer import RewardItem

_MODELS: dict[str, RewardModel] = {}
_LOCK = threading.Lock()
#: the verl ``data_source`` of rows made by :func:`verl_rows`
DATA_SOURCE = "effbench"


def reward_model(**options: Any) -> RewardModel:
    """This process's reward model for these options (made on first use, then reused)."""
    key = json.dumps(options, sort_keys=True, default=str)
    with _LOCK:
        model = _MODELS.get(key)
        if model is None:
            model = _MODELS[key] = RewardModel(**options)
        return model


def _item(solution_str: Any, ground_truth: Any, extra_info: Any) -> RewardItem:
    """One response's item; never raises (an ``extra_info`` that raises when read makes it malformed)."""
    info = extra_info if isinstance(extra_info, Mapping) else {}
    try:
        # a parquet struct column gives every row every key, None where a row had none: absent
        pid = info.get("task_id")
        mode = info.get("extraction")
    except Exception as exc:  # noqa: BLE001 - the caller's object: a malformed item, never an exception out
        return RewardItem("", None, "chat", f"the extra_info could not be read ({type(exc).__name__})")
    return RewardItem.of((ground_truth if pid is None else pid, solution_str, "chat" if mode is None else mode))


def compute_score(
    data_source: str | None,
    solution_str: str,
    ground_truth: str,
    extra_info: Mapping[str, Any] | None = None,
    **options: Any,
) -> float:
    """The reward of one response (verl's naive reward manager); a finite float, never raises for bad input.

    Args:
        data_source: the row's data source (any; not used to choose the scorer).
        solution_str: the decoded response.
        ground_truth: the problem id (``reward_model.ground_truth`` of the row).
        extra_info: the row's ``extra_info`` (``task_id`` and ``extraction`` are read when present).
        **options: :class:`RewardModel` options (verl's ``reward_kwargs``).

    Returns:
        The shaped reward (see :mod:`effbench.reward.shaping`), a finite float; a bad response
        gets the shaping's failure reward.

    Raises:
        EffbenchError: a bad option in ``options``, or a sandbox or meter that cannot run here, at
            the first call with those options (the model is made then; see :func:`reward_model`).
    """
    return reward_model(**options).score_batch([_item(solution_str, ground_truth, extra_info)])[0].reward


def compute_score_batch(
    data_sources: Sequence[Any],
    solution_strs: Sequence[Any],
    ground_truths: Sequence[Any],
    extra_infos: Sequence[Any] | None = None,
    **options: Any,
) -> list[float]:
    """The rewards of a step's responses (verl's batch reward manager): lists (or arrays) in, list out, in order.

    Returns:
        One finite float per response, in order; bad responses get the shaping's failure reward.

    Raises:
        EffbenchError: ``ground_truths`` or ``extra_infos`` has another length than the responses
            (never a shorter list of rewards, which verl would index past); a bad option, as
            :func:`compute_score`.
    """
    solutions = list(solution_strs)
    truths = list(ground_truths)
    infos = list(extra_infos) if extra_infos is not None else [None] * len(solutions)
    for name, column in (("ground_truths", truths), ("extra_infos", infos)):
        if len(column) != len(solutions):
            raise EffbenchError(
                f"effbench verl reward: {len(column)} {name} for {len(solutions)} responses (one per response)"
            )
    items = [_item(s, g, i) for s, g, i in zip(solutions, truths, infos)]
    return [r.reward for r in reward_model(**options).score_batch(items)]


def verl_rows(
    problems: Any = None, ids: Sequence[str] | None = None, split: str = "train", problem_set: str | None = None
) -> list[dict[str, Any]]:
    """Rows of a verl RL dataset, one per problem, prompts as the chat model adapter sends them.

    ``problems`` is a folder, a loaded ProblemSet or None (the bundled main set); ``problem_set`` names
    a bundled set instead (``starter``: pass the same ``problem_set`` in ``reward_kwargs``).

    Returns:
        Dicts with ``data_source`` (``effbench``), ``prompt`` (chat messages), ``ability`` (``code``),
        ``reward_model`` (``{"style": "rule", "ground_truth": task_id}``) and ``extra_info``
        (``task_id``, ``index``, ``split``, ``extraction``).
    """
    from effbench.reward.model import select_problems
    from effbench.reward.trl import _prompt_rows

    rows = []
    for index, row in enumerate(_prompt_rows(select_problems(problems, problem_set), ids, "conversational")):
        rows.append(
            {
                "data_source": DATA_SOURCE,
                "prompt": row["prompt"],
                "ability": "code",
                "reward_model": {"style": "rule", "ground_truth": row["task_id"]},
                "extra_info": {"task_id": row["task_id"], "index": index, "split": split, "extraction": "chat"},
            }
        )
    return rows


__all__ = ["DATA_SOURCE", "compute_score", "compute_score_batch", "reward_model", "verl_rows"]
