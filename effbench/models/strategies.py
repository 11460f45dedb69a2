"""Test-time sampling strategies, accounted in the same tokens and money.

- ``parallel``: N independent samples per problem; eff@k and pass@k for every k <= N come from
  the one set of samples through the unbiased estimators.
- ``select``: parallel sampling, and every sample is also run on the prompt's visible examples
  (``meta.selection``) so that ``sel@k``, the efficiency of the sample a deployed system would
  submit, is reported beside eff@k (:mod:`effbench.models.selection`).
- ``refine``: N chains of R rounds; in each round the model sees its previous code, its verdict
  and its measured cost against the budget, and is asked for a faster correct version (the
  prompt is bounded: see :mod:`effbench.models.prompts`). Rounds are numbered from 1 wherever
  they are shown (model labels in tables, progress, plots, the refinement table): round r's
  records carry the model label ``<name>+refine:round<r>``; the stored index ``meta.round`` is
  r - 1 (as the records layer and the leaderboard read it). A chain whose prompt the server refuses
  (it exceeds the context) ends there: that round's record is a failed sample whose
  ``meta.chain_end`` names the reason; its best sample so far stands and the other chains go on.

Every record's ``meta.usage`` holds the answered attempt's tokens (``prompt_tokens``,
``completion_tokens``), the abandoned attempts' (``abandoned_*``) and ``cost_usd``, the money of
both (an abandoned attempt may be billed); ``meta.attempts`` lists every attempt.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection
from dataclasses import asdict, dataclass, replace
from typing import Any

from effbench.engine import SampleRecord, code_hash
from effbench.models.cache import CachedAnswer
from effbench.models.client import CHARS_PER_TOKEN, AttemptOutcome, ModelClient, ModelSpec, Query, Refused
from effbench.models.extract import extract_chat, extract_completion
from effbench.models.pricing import Price
from effbench.models.prompts import (
    chat_messages,
    completion_prompt,
    feedback,
    refine_chat_messages,
    refine_completion_prompt,
)
from effbench.models.selection import measure_selection
from effbench.problems import Problem
from effbench.run import EvaluationRun
from effbench.samples import Sample

STRATEGIES = ("parallel", "refine", "select")
REFINE_MARK = "+refine:round"


@dataclass(frozen=True)
class SamplingPlan:
    """How many samples (parallel) or chains x rounds (refine), and the prompts.

    ``prefix``: completion mode's few-shot preamble, put before every completion prompt, first
    rounds and refinement rounds alike (:func:`~effbench.models.prompts.completion_prompt`); None
    in chat mode or without one.
    """

    strategy: str = "parallel"
    samples: int = 1
    rounds: int = 1
    system_prompt: str | None = None
    template: str | None = None
    prefix: str | None = None

    def job_hash(self, spec: ModelSpec, problem_ids: list[str]) -> str:
        """The run directory's identity: model identity, plan and problems (not the address)."""
        plan = asdict(self)
        if plan["prefix"] is None:  # a run directory made before prefixes existed still resumes
            del plan["prefix"]
        data = {"spec": spec.identity(), "plan": plan, "problems": problem_ids}
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]


def round_label(name: str, strategy: str, round_number: int) -> str:
    """The model label of a round's records (round_number counts from 1)."""
    return f"{name}{REFINE_MARK}{round_number}" if strategy == "refine" else name


def parse_round_label(label: str) -> tuple[str, int] | None:
    """(model name, round from 1) of a refinement label, or None when it is not one.

    Reads the earlier ``+refine:rN`` form (rounds counted from 0) too.
    """
    if REFINE_MARK in label:
        name, _, r = label.partition(REFINE_MARK)
        return (name, int(r)) if r.isdigit() else None
    if "+refine:r" in label:
        name, _, r = label.partition("+refine:r")
        return (name, int(r) + 1) if r.isdigit() else None
    return None


def usage_meta(answer: CachedAnswer | Refused, price: Price | None) -> dict[str, Any]:
    """A sample's ``meta.usage``, from its answer's attempts.

    The answered attempt's tokens, the abandoned attempts' tokens, seconds and count, and the
    money of all of them (USD, None without a price).
    """
    attempts = answer.attempts
    abandoned = [a for a in attempts if a["outcome"] == AttemptOutcome.ABANDONED]
    ab_prompt = sum(float(a.get("prompt_tokens") or 0.0) for a in abandoned)
    ab_completion = sum(float(a.get("completion_tokens") or 0.0) for a in abandoned)
    if isinstance(answer, Refused):
        prompt = completion = 0.0
        extra: dict[str, Any] = {"answered": False, "refused": answer.reason}
    else:
        prompt, completion = answer.prompt_tokens, answer.completion_tokens
        extra = {
            "answered": True,
            "latency_seconds": answer.latency_seconds,
            "first_byte_seconds": answer.first_byte_seconds,
            "finish_reason": answer.finish_reason,
            "response_id": answer.response_id,
            "choices_in_response": answer.choices_in_response,
            "usage_from_server": answer.usage_from_server,
        }
    money = price.cost(prompt + ab_prompt, completion + ab_completion) if price else None
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        **extra,
        # a request made for several samples is split over them, like its tokens
        "abandoned_attempts": sum(1.0 / max(1, int(a.get("share") or 1)) for a in abandoned),
        "abandoned_prompt_tokens": ab_prompt,
        "abandoned_completion_tokens": ab_completion,
        "abandoned_seconds": sum(float(a.get("seconds") or 0.0) for a in abandoned),
        "cost_usd": money,
    }


def _to_sample(
    problem: Problem,
    spec: ModelSpec,
    label: str,
    index: int,
    answer: CachedAnswer | Refused,
    price: Price | None,
    extra: dict[str, Any],
) -> Sample:
    meta: dict[str, Any] = {**extra, "usage": usage_meta(answer, price), "attempts": answer.attempts}
    if isinstance(answer, Refused):
        meta["extraction"] = answer.reason
        meta["answer"] = None
        return Sample(label, problem.id, index, None, f"{spec.name}:{problem.id}:{index}", meta)
    if spec.mode == "chat":
        found = extract_chat(answer.text, problem.entry_point)
    else:
        found = extract_completion(problem.prompt, answer.text, problem.entry_point)
    meta["extraction"] = found.reason
    if found.code is None and answer.finish_reason not in (None, "stop"):
        # why the answer holds no code: cut at max_tokens, filtered, or tool calls instead of text
        meta["extraction"] += f" (finish reason {answer.finish_reason})"
    meta["extraction_dropped"] = list(found.dropped)
    meta["answer"] = answer.text
    meta["usage"]["reasoning_chars"] = found.reasoning_chars
    meta["usage"]["reasoning_tokens"] = found.reasoning_tokens(answer.text, answer.completion_tokens)
    return Sample(label, problem.id, index, found.code, f"{spec.name}:{problem.id}:{index}", meta)


@dataclass
class _Chain:
    code: str | None = None  # the latest attempt's extracted code
    note: str = ""  # the feedback on it
    earlier: list[str] | None = None  # one line per earlier round
    ended: str | None = None


def _round_query(
    plan: SamplingPlan, spec: ModelSpec, problem: Problem, c: int, r: int, chain: _Chain, ctx: int | None
) -> Query:
    earlier = (chain.earlier or [])[:-1]
    previous = chain.code
    if spec.mode == "chat":
        messages = refine_chat_messages(problem, plan.system_prompt, plan.template, previous, chain.note, earlier)
        if ctx and previous is not None and _tokens(messages) + spec.max_tokens > ctx:
            messages = refine_chat_messages(problem, plan.system_prompt, plan.template, None, chain.note, earlier)
        return Query((problem.id, c), [c], messages=messages, extra_identity={"round": r})
    prompt = refine_completion_prompt(problem, previous, chain.note, earlier, plan.prefix)
    if ctx and previous is not None and len(prompt) / CHARS_PER_TOKEN + spec.max_tokens > ctx:
        prompt = refine_completion_prompt(problem, None, chain.note, earlier, plan.prefix)
    return Query((problem.id, c), [c], prompt=prompt, extra_identity={"round": r})


def _tokens(messages: list[dict[str, str]]) -> float:
    return sum(len(m["content"]) for m in messages) / CHARS_PER_TOKEN


def first_queries(plan: SamplingPlan, spec: ModelSpec, problems: list[Problem]) -> list[Query]:
    """Round 1 (or the only round): one query per problem for every sample or chain."""
    chains = list(range(plan.samples))
    if spec.mode == "chat":
        return [
            Query((p.id, None), chains, messages=chat_messages(p, plan.system_prompt, plan.template)) for p in problems
        ]
    return [Query((p.id, None), chains, prompt=completion_prompt(p, plan.prefix)) for p in problems]


def run_plan(
    plan: SamplingPlan,
    spec: ModelSpec,
    client: ModelClient,
    problems: list[Problem],
    run: EvaluationRun,
    price: Price | None,
) -> list[SampleRecord]:
    """Ask, extract, evaluate (and for refine: feed back and ask again). Returns every record."""
    records: list[SampleRecord] = []
    rounds = plan.rounds if plan.strategy == "refine" else 1
    by_problem = {p.id: p for p in problems}
    state = {(p.id, c): _Chain(earlier=[]) for p in problems for c in range(plan.samples)}
    for r in range(1, rounds + 1):
        if r == 1:
            queries = first_queries(plan, spec, problems)
        else:
            ctx = client.context_length()
            queries = [
                _round_query(plan, spec, by_problem[pid], c, r - 1, chain, ctx)
                for (pid, c), chain in state.items()
                if chain.ended is None
            ]
        if not queries:
            break
        where = f"round {r}/{rounds}" if rounds > 1 else ""
        label = round_label(spec.name, plan.strategy, r)
        asked = unrecorded(queries, run, label)
        answers = client.run(asked, desc=f"model answers, {where}" if where else "model answers") if asked else []
        got = {(q.tag[0], c): a for q, one in zip(asked, answers) for c, a in one.items()}
        samples = _round_samples(plan, spec, queries, got, run, by_problem, state, r, price)
        if plan.strategy == "select":
            measure_selection(run, samples, by_problem)
        done = run.evaluate(samples, desc=f"samples, {where}" if where else "samples")
        records += done
        for s in samples:
            if "chain_end" in s.meta:
                run.log(f"round {r}: chain {s.index} of {s.problem_id} ends: {s.meta['chain_end'][:160]}")
        if r == rounds:
            break
        _feed_back(samples, done, by_problem, state, r, run.settings.alpha)
    return records


def unrecorded(queries: list[Query], run: EvaluationRun, label: str) -> list[Query]:
    """``queries`` without the sample indices whose record ``run`` already holds (a resumed run).

    A recorded sample's answer is never asked for again, whether or not the response cache
    still holds it (deleted, another machine): the run has paid for it once. Queries left with
    no index are dropped.

    Args:
        queries: one per problem (``tag[0]`` its id) with the sample or chain indices wanted.
        run: the open run (its records are looked up by ``(label, problem id, index)``).
        label: the model label of these samples' records (:func:`round_label`).

    Returns:
        The queries still to ask, each with only its unrecorded indices, in the order given.
    """
    out = []
    for q in queries:
        left = [c for c in q.indices if run.record_of((label, q.tag[0], c)) is None]
        if left:
            out.append(replace(q, indices=left))
    return out


def recorded_sample(problem: Problem, spec: ModelSpec, record: SampleRecord) -> Sample:
    """The sample a resumed run's ``record`` measured, rebuilt from the record alone.

    Its code is extracted again from the recorded answer (``meta.answer``) as :func:`_to_sample`
    did, and kept only when its SHA-256 is the record's ``code_sha256``; a sample with no code,
    or whose answer was left out of the record (``meta.answer_left_out``), has code None. The
    meta is the record's. Nothing is asked of the model.
    """
    meta = dict(record.meta)
    code = None
    text = meta.get("answer")
    if record.code_sha256 and isinstance(text, str):
        if spec.mode == "chat":
            found = extract_chat(text, problem.entry_point)
        else:
            found = extract_completion(problem.prompt, text, problem.entry_point)
        if found.code is not None and code_hash(found.code) == record.code_sha256:
            code = found.code
    return Sample(
        record.model, problem.id, record.sample_index, code, f"{spec.name}:{problem.id}:{record.sample_index}", meta
    )


def _round_samples(
    plan: SamplingPlan,
    spec: ModelSpec,
    queries: list[Query],
    got: dict[tuple[str, int], CachedAnswer | Refused],
    run: EvaluationRun,
    by_problem: dict[str, Problem],
    state: dict[tuple[str, int], _Chain],
    r: int,
    price: Price | None,
) -> list[Sample]:
    """The samples of round ``r`` (from 1), one per chain or sample index of each query.

    A sample ``run`` has already recorded (a resumed run) is rebuilt from its record
    (:func:`recorded_sample`); the others come from their answer in ``got``, by (problem id,
    index). A refinement chain whose prompt the server refused (context overflow) ends here: its
    sample carries ``meta.chain_end`` and its chain in ``state`` is marked ended.
    """
    samples: list[Sample] = []
    label = round_label(spec.name, plan.strategy, r)
    # a selection run's samples are parallel samples (eff@k) measured on the visible examples too
    recorded = "parallel" if plan.strategy == "select" else plan.strategy
    for q in queries:
        problem = by_problem[q.tag[0]]
        for c in q.indices:
            old = run.record_of((label, problem.id, c))
            if old is not None:
                sample = recorded_sample(problem, spec, old)
                if isinstance(sample.meta.get("chain_end"), str) and plan.strategy == "refine":
                    state[(problem.id, c)].ended = sample.meta["chain_end"]
                samples.append(sample)
                continue
            answer = got[(problem.id, c)]
            extra = {"strategy": recorded, "chain": c, "round": r - 1, "model_name": spec.name}
            if isinstance(answer, Refused) and plan.strategy == "refine":
                extra["chain_end"] = answer.reason
                state[(problem.id, c)].ended = answer.reason
            samples.append(_to_sample(problem, spec, label, c, answer, price, extra))
    return samples


def _feed_back(
    samples: list[Sample],
    records: list[SampleRecord],
    by_problem: dict[str, Problem],
    state: dict[tuple[str, int], _Chain],
    r: int,
    alpha: float,
) -> None:
    """Give each chain still running its round-``r`` code, the feedback on it and a line for the round.

    Each sample is paired with its own record by key (model label, problem, index): a sample
    with none (its problem was skipped) ends its chain.
    """
    by_key = {rec.key: rec for rec in records}
    for s in samples:
        chain = state[(s.problem_id, s.index)]
        if chain.ended is not None:
            continue
        rec = by_key.get((s.model, s.problem_id, s.index))
        if rec is None:
            chain.ended = "its problem was skipped"
            continue
        problem = by_problem[s.problem_id]
        chain.code = s.code
        chain.note = feedback(rec, problem, alpha)
        kind = rec.verdict + (f" ({rec.error_type})" if rec.error_type else "")
        chain.earlier = [*(chain.earlier or []), f"round {r}: {kind}, efficiency {rec.efficiency:.2f}"]


@dataclass
class CostEstimate:
    """What a run will ask for, before anything is sent.

    Answers to request (and how many the cache already holds), prompt tokens (estimated at 4
    characters per token), completion tokens at most (``max_tokens`` each) and the money at most
    (USD, None without a price).
    """

    answers: int
    cached: int
    prompt_tokens: float
    completion_tokens_max: float
    usd_max: float | None
    later_rounds: int = 0

    def describe(self, spec: ModelSpec) -> str:
        """One paragraph for the terminal."""
        money = "no price known (tokens only)" if self.usd_max is None else f"at most ${self.usd_max:.4f}"
        text = (
            f"cost estimate for {spec.name!r}: {self.answers} answer(s) to request ({self.cached} already cached), "
            f"~{self.prompt_tokens:,.0f} prompt tokens + at most {self.completion_tokens_max:,.0f} completion "
            f"tokens, {money}"
        )
        if self.later_rounds:
            text += f"; refinement rounds after the first add up to {self.later_rounds} answer(s) (included)"
        if self.answers and spec.max_retries:
            # an attempt abandoned after the server began may be billed: each retry can cost again
            text += f" (before retries: up to {spec.max_retries} per request, each of which a hosted API may bill)"
        return text


def estimate_cost(
    plan: SamplingPlan,
    spec: ModelSpec,
    client: ModelClient,
    problems: list[Problem],
    price: Price | None,
    recorded: Collection[tuple[str, str, int]] = (),
) -> CostEstimate:
    """Requests, tokens and money of a run, from the cache and the prompts (no request sent).

    Later refinement rounds are counted as if every chain ran every round, with a prompt of the
    task, a previous answer of ``max_tokens`` and the feedback. ``recorded``: the keys (model
    label, problem id, index) a resumed run directory already holds; they are never asked for
    (:func:`unrecorded`), so they are not counted, cached or not.
    """
    queries = first_queries(plan, spec, problems)
    first = round_label(spec.name, plan.strategy, 1)
    answers = prompt_tokens = 0.0
    cached = 0
    for q in queries:
        q = replace(q, indices=[c for c in q.indices if (first, q.tag[0], c) not in recorded])
        missing = client.missing([q])
        cached += len(q.indices) - missing
        answers += missing
        prompt_tokens += missing * q.text_length() / CHARS_PER_TOKEN
    later = 0
    if plan.strategy == "refine" and plan.rounds > 1:
        later = sum(
            (round_label(spec.name, plan.strategy, r), p.id, c) not in recorded
            for r in range(2, plan.rounds + 1)
            for p in problems
            for c in range(plan.samples)
        )
        mean_prompt = sum(q.text_length() for q in queries) / max(1, len(queries)) / CHARS_PER_TOKEN
        prompt_tokens += later * (mean_prompt + spec.max_tokens + 150)
        answers += later
    completion = answers * spec.max_tokens
    usd = price.cost(prompt_tokens, completion) if price else None
    return CostEstimate(int(answers), cached, prompt_tokens, completion, usd, later)
