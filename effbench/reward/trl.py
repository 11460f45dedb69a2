"""TRL adapter: a reward function with the signature ``GRPOTrainer`` calls, and its dataset.

TRL's ``GRPOTrainer`` calls each reward function as
``reward_func(prompts=..., completions=..., completion_ids=..., **columns)`` where ``columns`` are the
dataset's other columns, one list per column with one entry per completion (here ``task_id`` and
``extraction``), plus ``trainer_state``; it expects a list of floats back and logs their mean as
``rewards/<reward_func.__name__>/mean``. :func:`grpo_dataset` builds that dataset from a problem
set: the prompt the model adapters send (chat messages, or text), the ``task_id`` and how to read
the answer.

Nothing here imports TRL: the reward function is a plain callable, and ``datasets`` is imported only
by :func:`grpo_dataset`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from effbench.errors import EffbenchError
from effbench.reward.model import RewardModel, select_problems
from effbench.reward.result import RewardResult
from effbench.reward.scorer import RewardItem

#: prompt formats of :func:`grpo_dataset`
FORMATS = ("conversational", "standard", "completion")


class TRLReward:
    """A GRPOTrainer reward function backed by a :class:`RewardModel`. Thread-safe.

    Attributes:
        model: the reward model.
        task_id_column: the dataset column holding each prompt's problem id.
        last_results: the :class:`RewardResult` of the latest call, in order (for logging).
        calls: how many times the trainer called it.
    """

    def __init__(self, model: RewardModel, task_id_column: str = "task_id", name: str | None = None) -> None:
        """Wrap ``model``; ``name`` (default ``effbench_<shaping>``) is what TRL logs the reward under."""
        self.model = model
        self.task_id_column = task_id_column
        self.__name__ = name or f"effbench_{model.shaping.kind.value}"
        self.last_results: list[RewardResult] = []
        self.calls = 0
        self._known: frozenset[str] | None = None  # the model's problem ids, read once

    def _check_dataset_values(self, ids: Sequence[Any], modes: Sequence[Any]) -> None:
        """Refuse task ids the model's problem set does not hold and unknown extraction modes.

        Both come from the dataset, not the policy: scored, every such row would get the failure
        reward with status unknown_problem or malformed, and training would go on silently with
        no signal (a dataset of the starter set given to a model of the main set, the default:
        every reward 0). Null entries are left to score_batch (malformed).

        Raises:
            EffbenchError: naming up to 3 such values, the problem set, and how to choose it.
        """
        from effbench.problems import load_problem_set
        from effbench.reward.scorer import MODES, _text

        if self._known is None:  # the set's ids without a sandbox (a Ray model starts none here)
            config = self.model.config
            self._known = frozenset(load_problem_set(config.problems, config.references).problems)
        texts = (_text(p) for p in ids)
        unknown = sorted({p for p in texts if p is not None and p not in self._known})
        if unknown:
            where = self.model.config.problems or "effbench's bundled main set"
            raise EffbenchError(
                f"effbench TRL reward: {len(unknown)} task id(s) of the dataset are not problems of the reward "
                f"model's set ({where}): {', '.join(repr(u) for u in unknown[:3])}; give the model the set the "
                "dataset was built from (RewardModel(problem_set=...) or problems=...)"
            )
        bad = sorted({repr(_text(m) or m)[:40] for m in modes if m is not None and _text(m) not in MODES})
        if bad:
            raise EffbenchError(
                f"effbench TRL reward: column 'extraction' holds {', '.join(bad[:3])}; each entry must be one of "
                f"{', '.join(MODES)} (or null: the model's mode, {self.model.mode!r})"
            )

    def __call__(
        self,
        prompts: Sequence[Any] | None = None,
        completions: Sequence[Any] | None = None,
        completion_ids: Sequence[Any] | None = None,
        **columns: Any,
    ) -> list[float]:
        """Rewards of the completions, one float each, in order.

        Args:
            prompts: the prompts (unused: the problem is found by its id).
            completions: strings, or chat messages (TRL's conversational format: a list of message
                dicts per completion); reasoning blocks are removed, code extracted as the model
                adapters do.
            completion_ids: token ids (unused).
            **columns: the dataset's columns, a list each: ``task_id`` (required), ``extraction``
                (``chat``/``completion``, optional), and whatever else the trainer passes; a
                ``log_metric`` callable (TRL's) gets the batch's pass rate, mean efficiency and no-code
                rate under ``<name>/...``.

        Returns:
            ``list[float]``, finite, one per completion.

        Raises:
            EffbenchError: the ``task_id`` column is missing, or it or ``extraction`` has another
                length than the completions (never a shorter list of rewards), or they hold task
                ids the model's problem set does not have or unknown extraction modes (every such
                row would get the failure reward: training without signal).
        """
        completions = list(completions if completions is not None else [])
        ids = columns.get(self.task_id_column)
        if ids is None:
            raise EffbenchError(
                f"effbench TRL reward: the dataset needs a {self.task_id_column!r} column (one problem id per "
                f"prompt; build it with effbench.reward.trl.grpo_dataset), got columns {sorted(columns)}"
            )
        modes = columns.get("extraction")
        modes = [self.model.mode] * len(completions) if modes is None else modes
        for name, column in ((self.task_id_column, ids), ("extraction", modes)):
            n = len(column) if hasattr(column, "__len__") else None
            if n != len(completions):  # zip would cut the rewards short: the trainer would misalign them
                raise EffbenchError(
                    f"effbench TRL reward: column {name!r} has {n if n is not None else 'no number of'} entries "
                    f"for {len(completions)} completions (one per completion, as GRPOTrainer passes the "
                    "dataset's columns)"
                )
        self._check_dataset_values(ids, modes)
        # a null extraction (a column some rows lack) reads the completion the model's default way
        items = [
            RewardItem.of((pid, c, self.model.mode if m is None else m)) for pid, c, m in zip(ids, completions, modes)
        ]
        results = self.model.score_batch(items)
        self.last_results = results
        self.calls += 1
        log_metric = columns.get("log_metric")
        if callable(log_metric) and results:  # TRL >= 1.x: scalar metrics beside the reward's mean
            n = len(results)
            log_metric(f"{self.__name__}/pass_rate", sum(r.passed for r in results) / n)
            log_metric(f"{self.__name__}/efficiency", sum(r.efficiency for r in results) / n)
            log_metric(f"{self.__name__}/no_code_rate", sum(r.status == "no_code" for r in results) / n)
        return [r.reward for r in results]


def trl_reward_function(model: RewardModel | None = None, task_id_column: str = "task_id", **options: Any) -> TRLReward:
    """A GRPOTrainer reward function: pass it as ``reward_funcs=[...]``.

    Args:
        model: a reward model to use (None: one is made from ``options``).
        task_id_column: the dataset column with the problem ids.
        **options: :class:`RewardModel` options (``shaping``, ``meter``, ``workers``, ``levels``...).

    Returns:
        A :class:`TRLReward`: called as the trainer calls it, a ``list[float]`` (one finite reward
        per completion); TRL logs it under its ``__name__``, ``effbench_<shaping>``.

    Raises:
        EffbenchError: a bad option, or a sandbox or meter that cannot run here, as
            :class:`RewardModel` raises them at construction (before training starts).
    """
    return TRLReward(model if model is not None else RewardModel(**options), task_id_column)


def _prompt_rows(problems: Any, ids: Sequence[str] | None, fmt: str) -> list[dict[str, Any]]:
    from effbench.models.prompts import SYSTEM_PROMPT, chat_messages, completion_prompt
    from effbench.problems import load_problem_set

    if fmt not in FORMATS:
        raise EffbenchError(f"grpo_dataset: unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    pset = problems if hasattr(problems, "select") else load_problem_set(problems)
    rows = []
    for problem in pset.select(list(ids) if ids else None):
        messages = chat_messages(problem, pset.system_prompt, pset.prompt_template)
        if fmt == "conversational":
            prompt: Any = messages
        elif fmt == "standard":
            prompt = (pset.system_prompt or SYSTEM_PROMPT) + "\n\n" + messages[-1]["content"]
        else:  # with the set's few-shot preamble, as `effbench evaluate --mode completion` sends it
            prompt = completion_prompt(problem, getattr(pset, "completion_prefix", None))
        rows.append(
            {
                "prompt": prompt,
                "task_id": problem.id,
                "entry_point": problem.entry_point,
                "extraction": "completion" if fmt == "completion" else "chat",
            }
        )
    return rows


def grpo_dataset(
    problems: Any = None,
    ids: Sequence[str] | None = None,
    format: str = "conversational",
    repeat: int = 1,
    problem_set: str | None = None,
) -> Any:
    """A ``datasets.Dataset`` of prompts for GRPOTrainer, one row per problem (times ``repeat``).

    Args:
        problems: a problem set folder, a loaded ProblemSet, or None for the bundled set.
        ids: the problems to include (default: all, sorted by id).
        format: ``conversational`` (chat messages: the system prompt and the user message the chat
            model adapter sends), ``standard`` (the same as one string) or ``completion`` (the
            problem's prompt after the set's few-shot ``completion_prefix`` if it has one, as
            :func:`effbench.models.prompts.completion_prompt` makes it; continued by a base model,
            read in completion mode).
        repeat: how many times each problem appears (epochs within one pass).
        problem_set: a bundled set by name instead of ``problems`` (``core``, ``starter``), as
            ``--problem-set`` and ``RewardModel(problem_set=...)`` select it.

    Returns:
        A Dataset with columns ``prompt``, ``task_id``, ``entry_point`` and ``extraction``.

    Raises:
        EffbenchError: an unknown format, or both ``problems`` and ``problem_set``;
            ProblemFormatError for an unknown id or set name.
    """
    from datasets import Dataset

    rows = _prompt_rows(select_problems(problems, problem_set), ids, format) * max(1, repeat)
    return Dataset.from_list(rows)


__all__ = ["FORMATS", "TRLReward", "grpo_dataset", "trl_reward_function"]
