"""The TRL adapter under a real GRPOTrainer (issue 14 item 3), on CPU, with no hub access.

A tiny causal LM (random weights, built from a config) and a byte-level BPE tokenizer trained here on
the prompts; a dataset of bundled problems from :func:`effbench.reward.trl.grpo_dataset`; one real
optimisation step of TRL's GRPOTrainer with effbench's reward function.
"""

from __future__ import annotations

import importlib
import math
import os

import pytest


def _rl_extra(name: str):
    """Import a module of the ``rl`` extra; in CI (``CI=true``) its absence fails, never skips."""
    try:
        return importlib.import_module(name)
    except ImportError:
        message = f"{name} is not installed: pip install -e '.[rl]' (scripts/setup.sh does)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message} (CI=true: the TRL test must run)", pytrace=False)
        pytest.skip(message, allow_module_level=True)


torch = _rl_extra("torch")
trl = _rl_extra("trl")
transformers = _rl_extra("transformers")

from effbench.records import Verdict  # noqa: E402
from effbench.reward import RewardModel  # noqa: E402
from effbench.reward.trl import TRLReward, grpo_dataset, trl_reward_function  # noqa: E402

PROBLEMS = ["max_subarray_sum", "pair_sum_count"]
CHAT_TEMPLATE = (
    "{% for m in messages %}<|{{ m['role'] }}|>{{ m['content'] }}<|end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>{% endif %}"
)


def _tokenizer(blocks):
    """A word-level tokenizer built here: special tokens, the prompts' words, and whole code blocks.

    Each block is one token, so a random model emits whole programs (right, slow or wrong) among
    filler words: the completions of one prompt get different rewards, and GRPO has a gradient.
    """
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    special = ["<pad>", "<eos>", "<unk>", "<|system|>", "<|user|>", "<|assistant|>", "<|end|>"]
    vocab = {t: i for i, t in enumerate([*special, "hello", "def", "return", *blocks])}
    tok = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<eos>", pad_token="<pad>", unk_token="<unk>")
    fast.add_special_tokens({"additional_special_tokens": special[3:]})
    fast.chat_template = CHAT_TEMPLATE
    return fast


def _blocks():
    from effbench.problems import load_problem_set

    pset = load_problem_set()
    out = []
    for pid in PROBLEMS:
        p = pset.get(pid)
        slow = [t for t in p.tiers if t != "expert"][-1]
        for code in (p.expert_code, p.references[slow], f"def {p.entry_point}(*args):\n    return 0\n"):
            out.append("```python\n" + code.rstrip("\n") + "\n```")
    return out


class Recorder(TRLReward):
    """The effbench reward function, recording what the trainer passed and what it returned."""

    def __init__(self, model):
        super().__init__(model)
        self.seen: list[dict] = []
        self.returned: list[list[float]] = []

    def __call__(self, prompts=None, completions=None, completion_ids=None, **columns):
        out = super().__call__(prompts=prompts, completions=completions, completion_ids=completion_ids, **columns)
        self.seen.append({"prompts": prompts, "completions": completions, "ids": completion_ids, **columns})
        self.returned.append(list(out))
        return out


def test_grpo_dataset_holds_the_adapters_prompts_and_task_ids():
    """Invariant: one row per problem, with the chat messages the chat adapter sends and its task_id."""
    from effbench.models.prompts import chat_messages
    from effbench.problems import load_problem_set

    ds = grpo_dataset(ids=PROBLEMS)
    pset = load_problem_set()
    assert ds["task_id"] == PROBLEMS and set(ds.column_names) >= {"prompt", "task_id", "extraction"}
    assert ds[0]["prompt"] == chat_messages(pset.get(PROBLEMS[0]), pset.system_prompt, pset.prompt_template)
    completion = grpo_dataset(ids=PROBLEMS[:1], format="completion")
    assert completion[0]["prompt"] == pset.get(PROBLEMS[0]).prompt and completion[0]["extraction"] == "completion"


def test_grpo_dataset_selects_the_starter_set_by_name():
    """Invariant: grpo_dataset(problem_set="starter") holds the starter set's problems with the chat
    messages the chat adapter sends for them (the starter set's own prompt settings), none of the
    main set's."""
    from effbench.models.prompts import chat_messages
    from effbench.problems import bundled_problem_set_dir, load_problem_set

    starter = load_problem_set(bundled_problem_set_dir("starter"))
    ds = grpo_dataset(problem_set="starter")
    assert list(ds["task_id"]) == sorted(starter.problems) and "max_subarray_sum" not in ds["task_id"]
    picked = grpo_dataset(problem_set="starter", ids=["sum_list", "count_char"], repeat=2)
    assert list(picked["task_id"]) == ["sum_list", "count_char"] * 2  # the ids' order, repeated
    problem = starter.get("sum_list")
    assert picked[0]["prompt"] == chat_messages(problem, starter.system_prompt, starter.prompt_template)
    from effbench.errors import EffbenchError

    with pytest.raises(EffbenchError, match="max_subarray_sum"):
        grpo_dataset(problem_set="starter", ids=["max_subarray_sum"])
    # completion format: the set's few-shot preamble, then the prompt, as `evaluate --mode completion` sends it
    assert starter.completion_prefix
    text = grpo_dataset(problem_set="starter", ids=["sum_list"], format="completion")[0]["prompt"]
    assert text.startswith(starter.completion_prefix.rstrip()) and text.endswith(problem.prompt)


def test_the_grpo_example_trains_on_starter_problems_that_exist_by_default():
    """Invariant: examples/grpo_smollm2.py defaults to the starter set (where SmolLM2-135M passes some
    answers, so a GRPO group can have a non-zero reward spread), to a shaping that tells a correct
    slow answer from a wrong one, and to problem ids each set really holds; --problem-set core
    switches to the main set."""
    import importlib.util
    from pathlib import Path

    from effbench.problems import bundled_problem_sets, load_problem_set

    path = Path(__file__).parent.parent / "examples" / "grpo_smollm2.py"
    spec = importlib.util.spec_from_file_location("grpo_smollm2_example", path)
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    defaults = example.build_parser().parse_args([])
    assert defaults.problem_set == "starter" and defaults.shaping == "acecode" and defaults.problems is None
    assert defaults.meter == "auto"  # the exact meter where there is one: the time meter's noise splits equal code
    assert example.build_parser().parse_args(["--problem-set", "core"]).problem_set == "core"
    sets = bundled_problem_sets()
    for name, ids in example.DEFAULT_PROBLEMS.items():
        assert set(ids) <= set(load_problem_set(sets[name]).problems), name


def test_reward_function_reads_trl_conversational_completions():
    """Invariant: TRL's conversational completions (lists of messages) are scored per task_id, in order."""
    with RewardModel(meter="time", workers=2, levels=2, seed="trl-tests") as rm:
        fn = trl_reward_function(rm)
        expert = rm.scorer.evaluator  # the warm evaluator exists: the model was started
        assert callable(expert)
        from effbench.problems import load_problem_set

        code = load_problem_set().get("max_subarray_sum").expert_code
        out = fn(
            prompts=[[{"role": "user", "content": "q"}]] * 3,
            completions=[
                [{"role": "assistant", "content": f"<think>easy</think>```python\n{code}```"}],
                [{"role": "assistant", "content": "no idea"}],
                "```python\ndef max_subarray_sum(nums):\n    return 0\n```",
            ],
            task_id=["max_subarray_sum"] * 3,
        )
    assert fn.__name__ == "effbench_efficiency"
    assert len(out) == 3 and all(isinstance(x, float) for x in out)
    # The expert's code reached the sandbox and ran right: OK, or stopped at the budget when a loaded
    # machine slows the time meter's run (no timing threshold in a unit test).
    assert fn.last_results[0].verdict in (Verdict.OK, Verdict.CENSORED_BUDGET), fn.last_results[0]
    assert out[0] == fn.last_results[0].reward and out[1] == 0.0 and out[2] == 0.0
    assert [r.status for r in fn.last_results] == ["scored", "no_code", "scored"]


def test_reward_function_without_task_ids_names_the_missing_column():
    """Invariant: a dataset without task_id is one clear error, not a wrong reward."""
    from effbench.errors import EffbenchError

    fn = TRLReward(RewardModel(meter="time", workers=1, warm=False))
    with pytest.raises(EffbenchError, match="'task_id' column"):
        fn(prompts=["p"], completions=["c"], other=[1])


def test_a_real_grpo_trainer_step_uses_effbench_rewards(tmp_path):
    """Invariant: TRL's GRPOTrainer runs one optimisation step on CPU with effbench's reward; the
    reward function receives the trainer's real arguments (prompts, completions, completion ids, the
    dataset's task_id column, the trainer state) and the rewards it returns are the ones the trainer
    logs (``rewards/<name>/mean``); the model's weights change."""
    from transformers import LlamaConfig, LlamaForCausalLM
    from trl import GRPOConfig, GRPOTrainer

    torch.manual_seed(0)
    dataset = grpo_dataset(ids=PROBLEMS)
    tokenizer = _tokenizer(_blocks())
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=1,
        num_attention_heads=2,
        num_key_value_heads=2,
        max_position_embeddings=4096,
        pad_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.eos_token_id,
        bos_token_id=tokenizer.eos_token_id,
    )
    model = LlamaForCausalLM(config)
    before = [p.detach().clone() for p in model.parameters()]
    args = GRPOConfig(
        output_dir=str(tmp_path / "out"),
        per_device_train_batch_size=8,
        num_generations=4,
        max_completion_length=3,
        max_steps=1,
        logging_steps=1,
        learning_rate=1e-2,
        report_to=[],
        use_cpu=True,
        bf16=False,
        save_strategy="no",
        seed=0,
        beta=0.0,
    )
    # alpha 8: in one CI run the time meter's noise put the one runnable completion (code inside
    # prose) just over a budget of 2x the expert's profile on a level-0 test (8.63e5 ns against
    # 8.46e5), and every reward came out equal; this test is about TRL's plumbing, not the budget
    with RewardModel(meter="time", workers=2, levels=2, seed="trl-tests", shaping="speedup", alpha=8.0) as rm:
        reward = Recorder(rm)
        trainer = GRPOTrainer(
            model=model, reward_funcs=[reward], args=args, train_dataset=dataset, processing_class=tokenizer
        )
        trainer.train()

    assert trainer.state.global_step == 1
    assert reward.seen, "the trainer never called the reward function"
    call = reward.seen[0]
    n = len(call["completions"])
    assert n == 8 and len(call["prompts"]) == n and len(call["ids"]) == n
    assert set(call["task_id"]) <= set(PROBLEMS) and len(call["task_id"]) == n
    assert call["trainer_state"] is trainer.state
    assert isinstance(call["completions"][0], list) and call["completions"][0][0]["role"] == "assistant"
    assert [r.problem_id for r in reward.last_results] == call["task_id"]
    logged = [h for h in trainer.state.log_history if f"rewards/{reward.__name__}/mean" in h]
    assert logged, trainer.state.log_history
    returned = [x for batch in reward.returned for x in batch]
    assert all(math.isfinite(x) for x in returned)
    assert len(set(returned)) > 1, f"every completion got the same reward: {reward.last_results}"
    assert logged[0][f"rewards/{reward.__name__}/mean"] == pytest.approx(sum(returned) / len(returned), abs=1e-5)
    statuses = {r.status for r in reward.last_results}
    assert "scored" in statuses, statuses  # some completion held a program that ran in the sandbox
    assert any(not torch.equal(a, b) for a, b in zip(before, model.parameters())), "no optimisation step"
