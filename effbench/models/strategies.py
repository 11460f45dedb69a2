"""Test-time sampling strategies, accounted in the same tokens and money.

- ``parallel``: N independent samples per problem; eff@k and pass@k for every k <= N come from
  the one set of samples through the unbiased estimators.
- ``refine``: N chains of R rounds; in each round the model sees its previous code, its verdict
  and its measured cost against the budget, and is asked for a faster correct version. Records
  of round r are stored under the model label ``<name>+refine:r<r>``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from effbench.engine import SampleRecord
from effbench.models.cache import CachedAnswer
from effbench.models.client import ModelClient, ModelSpec, Query
from effbench.models.extract import extract_chat, extract_completion
from effbench.models.pricing import Price
from effbench.models.prompts import chat_messages, feedback
from effbench.problems import Problem
from effbench.run import EvaluationRun
from effbench.samples import Sample

STRATEGIES = ("parallel", "refine")


@dataclass(frozen=True)
class SamplingPlan:
    strategy: str = "parallel"
    samples: int = 1
    rounds: int = 1
    system_prompt: str | None = None
    template: str | None = None

    def job_hash(self, spec: ModelSpec, problem_ids: list[str]) -> str:
        data = {"spec": spec.identity(), "plan": asdict(self), "problems": problem_ids}
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]


def round_label(name: str, strategy: str, round_index: int) -> str:
    return name if strategy == "parallel" else f"{name}+refine:r{round_index}"


def _to_sample(
    problem: Problem,
    spec: ModelSpec,
    label: str,
    index: int,
    answer: CachedAnswer,
    price: Price | None,
    extra: dict[str, Any],
) -> Sample:
    if spec.mode == "chat":
        found = extract_chat(answer.text, problem.entry_point)
    else:
        found = extract_completion(problem.prompt, answer.text, problem.entry_point)
    money = price.cost(answer.prompt_tokens, answer.completion_tokens) if price else None
    meta = {
        **extra,
        "extraction": found.reason,
        "extraction_dropped": list(found.dropped),
        "answer": answer.text,
        "usage": {
            "prompt_tokens": answer.prompt_tokens,
            "completion_tokens": answer.completion_tokens,
            "latency_seconds": answer.latency_seconds,
            "finish_reason": answer.finish_reason,
            "response_id": answer.response_id,
            "choices_in_response": answer.choices_in_response,
            "cost_usd": money,
            "reasoning_chars": found.reasoning_chars,
            "reasoning_tokens": found.reasoning_tokens(answer.text, answer.completion_tokens),
        },
    }
    return Sample(label, problem.id, index, found.code, f"{spec.name}:{problem.id}:{index}", meta)


def run_plan(
    plan: SamplingPlan,
    spec: ModelSpec,
    client: ModelClient,
    problems: list[Problem],
    run: EvaluationRun,
    price: Price | None,
    progress: Callable[[str, int], Any] | None = None,
) -> list[SampleRecord]:
    """Ask, extract, evaluate (and for refine: feed back and ask again). Returns every record."""
    records: list[SampleRecord] = []
    chains = list(range(plan.samples))
    history: dict[tuple[str, int], list[dict[str, str]]] = {}
    rounds = plan.rounds if plan.strategy == "refine" else 1
    for r in range(rounds):
        queries = []
        for p in problems:
            if spec.mode == "chat":
                base = chat_messages(p, plan.system_prompt, plan.template)
                if r == 0:
                    queries.append(Query((p.id, None), chains, messages=base))
                else:
                    # each chain has its own conversation from round 1 on
                    for c in chains:
                        queries.append(Query((p.id, c), [c], messages=history[(p.id, c)], extra_identity={"round": r}))
            else:
                if r == 0:
                    queries.append(Query((p.id, None), chains, prompt=p.prompt))
                else:
                    for c in chains:
                        prompt = history[(p.id, c)][-1]["content"]
                        queries.append(Query((p.id, c), [c], prompt=prompt, extra_identity={"round": r}))
        answers = client.run(queries)
        by_problem = {p.id: p for p in problems}
        samples: list[Sample] = []
        for q, got in zip(queries, answers):
            pid = q.tag[0]
            problem = by_problem[pid]
            for c in q.indices:
                extra = {"strategy": plan.strategy, "chain": c, "round": r, "model_name": spec.name}
                samples.append(
                    _to_sample(problem, spec, round_label(spec.name, plan.strategy, r), c, got[c], price, extra)
                )
        done = run.evaluate(samples, desc=f"round {r + 1}/{rounds}" if rounds > 1 else "samples")
        records += done
        if r + 1 < rounds:
            for s, rec in zip(samples, done):
                problem = by_problem[s.problem_id]
                key = (s.problem_id, s.meta["chain"])
                if spec.mode == "chat":
                    prev = history.get(key) or chat_messages(problem, plan.system_prompt, plan.template)
                    history[key] = [
                        *prev,
                        {"role": "assistant", "content": s.meta["answer"]},
                        {"role": "user", "content": feedback(rec, problem, run.settings.alpha)},
                    ]
                else:
                    # completion mode: the feedback becomes a comment above a fresh copy of the prompt
                    note = "\n".join("# " + line for line in feedback(rec, problem, run.settings.alpha).splitlines())
                    previous = s.code or problem.prompt
                    prompt = f"# Previous attempt:\n{_commented(previous)}\n{note}\n{problem.prompt}"
                    history[key] = [{"role": "user", "content": prompt}]
    return records


def _commented(code: str) -> str:
    return "\n".join("# " + line for line in code.splitlines())
