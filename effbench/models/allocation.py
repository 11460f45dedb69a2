"""Compute-optimal allocation of a total sampling budget over a problem set (``--allocation``).

Issue 15 item 2. With a total budget of ``B`` samples for ``P`` problems:

- ``uniform`` gives every problem ``B // P`` samples (the first ``B mod P`` problems, in the set's
  order, one more).
- ``adaptive`` first spends ``f`` samples (``--first-round``) on every problem, estimates each
  problem's difficulty from them, and spends the other ``B - f P`` samples one at a time where the
  expected gain in efficiency is largest.

The rule. A problem's outcome with ``n`` samples is the efficiency of its best sample (what eff@n
estimates). Its samples are modelled as independent draws: a draw passes with probability
``p = (c + 1) / (f + 2)`` (``c`` of the ``f`` first samples passed: the posterior mean under a
uniform prior, Laplace's rule of succession, so a problem with no pass yet keeps a chance) and,
when it passes, its efficiency is one of the first round's passing efficiencies, each equally
likely (none passed: the passing efficiencies of every problem's first round, pooled; none at
all: 1, the expert's). The expected best of ``n`` draws is

    E_n = sum_j v_j (F(v_j)^n - F(v_{j-1})^n),   F(v) = (1 - p) + p * #{values <= v} / m,

over the distinct values ``v_1 < ... < v_m`` (``F(v_0) = 1 - p``). ``E_n`` is concave in ``n``
(the gain of one more draw, ``E_{n+1} - E_n``, never grows), so giving each next sample to the
problem with the largest gain maximizes the sum over problems of ``E_{n_i}`` under the model (the
greedy algorithm for a separable concave objective, e.g. Ibaraki & Katoh, "Resource Allocation
Problems", 1988). Ties go to the problem first in the set's order. The source: Snell et al. 2024,
"Scaling LLM Test-Time Compute Optimally can be More Effective than Scaling Model Parameters"
(arXiv:2408.03314) allocate test-time compute per prompt by its estimated difficulty
("compute-optimal" scaling); the marginal-gain rule for best-of-n samples follows Damani et al.
2024, "Learning How Hard to Think: Input-Adaptive Allocation of LM Computation"
(arXiv:2410.04707). Here difficulty is estimated from the model's own first samples, with the
problem's pass rate and efficiencies (not only correctness), since the objective is efficiency.

A budget in tokens (``--budget-unit tokens``: prompt + completion tokens over the set, as the
tokens cost axis counts them) starts both policies with the first round, whose mean tokens per
sample stand for each problem's later samples: ``uniform`` gives every problem an equal share of
the tokens, as many samples as fit; ``adaptive`` gives each next sample to the problem with the
largest expected gain per token whose sample still fits (:func:`token_allocation`). Tokens are
known only once generated, so the spend is the estimate's, not exact, and not a hard cap:
``allocation.json`` keeps the estimates and, per policy and budget, the tokens its samples
really cost (``realized_tokens``); a budget they passed is said on stderr.

A policy's outcome is measured, not modelled: per problem, the efficiency of the best of the
samples it was given (their first ``n_i`` by sample index), at their summed cost.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from effbench.errors import EffbenchError

POLICIES = ("uniform", "adaptive")
UNITS = ("samples", "tokens")
#: the rule, as recorded in ``allocation.json``
RULE = (
    "adaptive: f samples per problem first; p = (passes + 1) / (f + 2); passing efficiencies from the first "
    "round (pooled over problems when none passed); each further sample to the problem with the largest "
    "E[best of n+1] - E[best of n] (Snell et al. 2024 compute-optimal allocation; Damani et al. 2024 marginal gain)"
)


#: the most samples (model answers) per problem a run may ask for: ``--samples N`` with --model,
#: each of sweep's ``--budgets``, and ``--budget`` divided by the problems (samples unit). A run
#: plans every sample up front, so a mistyped 99999999999 would exhaust memory (or spend minutes
#: planning) before the first request
MAX_SAMPLES_PER_PROBLEM = 10_000


@dataclass(frozen=True)
class AllocationPlan:
    """What an allocation run compares.

    ``policies``: uniform and/or adaptive; ``budgets``: total budgets over the problem set, in
    ``unit`` (samples or tokens); ``first_round``: samples per problem the first round spends
    (the adaptive policy's, and every policy's with a budget in tokens).
    """

    policies: tuple[str, ...]
    budgets: tuple[int, ...]
    first_round: int = 1
    #: what a budget counts: ``samples``, or ``tokens`` (prompt + completion, as the tokens axis)
    unit: str = "samples"

    def check(self, problems: int) -> None:
        """Raises EffbenchError (one line naming the option) for a plan that cannot be honoured."""
        unknown = [p for p in self.policies if p not in POLICIES]
        if unknown or not self.policies:
            raise EffbenchError(f"--allocation {','.join(unknown) or '(none)'}: one of {', '.join(POLICIES)}")
        if self.first_round < 1:
            raise EffbenchError("--first-round must be at least 1")
        if self.unit not in UNITS:
            raise EffbenchError(f"--budget-unit {self.unit!r}: one of {', '.join(UNITS)}")
        if self.unit == "tokens":
            return  # every policy starts with the first round; the budget then bounds the rest
        for b in self.budgets:
            if b > MAX_SAMPLES_PER_PROBLEM * problems:
                raise EffbenchError(
                    f"--budget {b}: at most {MAX_SAMPLES_PER_PROBLEM:,} samples per problem "
                    f"({MAX_SAMPLES_PER_PROBLEM * problems:,} for {problems} problems)"
                )
            if b < problems:
                raise EffbenchError(f"--budget {b}: at least one sample per problem ({problems} problems)")
            if "adaptive" in self.policies and b < self.first_round * problems:
                raise EffbenchError(
                    f"--budget {b}: the adaptive first round alone needs {self.first_round} x {problems} problems "
                    f"= {self.first_round * problems} samples (lower --first-round or raise --budget)"
                )


def uniform_allocation(problem_ids: Sequence[str], budget: int) -> dict[str, int]:
    """``budget // P`` samples per problem, one more for the first ``budget mod P`` (set order)."""
    base, extra = divmod(budget, len(problem_ids))
    return {pid: base + (1 if i < extra else 0) for i, pid in enumerate(problem_ids)}


def expected_best(p: float, values: Sequence[float], n: int) -> float:
    """``E_n``, the expected best efficiency of ``n`` independent draws (the module docstring's formula).

    Each draw passes with probability ``p`` and then takes one of ``values`` uniformly; a failure
    scores 0. Returns 0.0 for ``n`` <= 0 or no values.
    """
    if n <= 0 or not values:
        return 0.0
    distinct = sorted(set(values))
    m = len(values)
    below = 1.0 - p
    total = 0.0
    for v in distinct:
        cdf = (1.0 - p) + p * sum(1 for x in values if x <= v) / m
        total += v * (cdf**n - below**n)
        below = cdf
    return total


@dataclass(frozen=True)
class Estimate:
    """A problem's difficulty after the first round.

    ``samples`` and ``passes`` of its first round, ``p`` the modelled pass probability (Laplace's
    rule), and ``values``: the efficiencies a passing sample is modelled to take.
    """

    samples: int
    passes: int
    p: float
    values: tuple[float, ...]

    def gain(self, n: int) -> float:
        """``E_{n+1} - E_n``: what one more sample is expected to add to the problem's best."""
        return expected_best(self.p, self.values, n + 1) - expected_best(self.p, self.values, n)


def estimate(first: dict[str, list[tuple[float, bool]]]) -> dict[str, Estimate]:
    """Per problem, from its first samples' (efficiency, passed): the :class:`Estimate`."""
    pooled = [e for outcomes in first.values() for e, ok in outcomes if ok] or [1.0]
    out = {}
    for pid, outcomes in first.items():
        passing = [e for e, ok in outcomes if ok]
        p = (len(passing) + 1) / (len(outcomes) + 2)
        out[pid] = Estimate(len(outcomes), len(passing), p, tuple(passing or pooled))
    return out


def adaptive_allocation(
    problem_ids: Sequence[str], first: dict[str, list[tuple[float, bool]]], budget: int, first_round: int
) -> dict[str, int]:
    """Samples per problem, summing to ``budget``: ``first_round`` each, then greedy by the expected gain.

    The rule is the module docstring's; ties go to the problem first in ``problem_ids``.

    Args:
        problem_ids: the problems, in the set's order.
        first: per problem, its first-round samples as (efficiency, passed).
        budget: total samples over the problem set.
        first_round: samples per problem already spent by the first round.

    Raises:
        EffbenchError: when the budget does not cover the first round.
    """
    rest = budget - first_round * len(problem_ids)
    if rest < 0:
        raise EffbenchError(f"--budget {budget}: below the first round's {first_round * len(problem_ids)} samples")
    est = estimate({pid: first.get(pid, []) for pid in problem_ids})
    n = {pid: first_round for pid in problem_ids}
    for _ in range(rest):
        best = max(problem_ids, key=lambda pid: (est[pid].gain(n[pid]), -problem_ids.index(pid)))
        n[best] += 1
    return n


def token_allocation(
    policy: str,
    problem_ids: Sequence[str],
    first: dict[str, list[tuple[float, bool]]],
    tokens_per_sample: dict[str, float],
    budget: int,
    first_round: int,
) -> dict[str, int]:
    """Samples per problem for a budget of ``budget`` tokens (prompt + completion over the set).

    After a first round of ``first_round`` samples each, whose mean tokens per sample
    (``tokens_per_sample``) stand for every later sample of the problem. ``uniform``: an equal
    share of tokens per problem, ``floor(share / tokens per sample)`` samples (at least the first
    round); ``adaptive``: each further sample to the problem with the largest expected gain per
    token among those whose next sample still fits in the budget. The estimated spend never
    exceeds the budget beyond the first round; the realized spend is what the samples cost.
    """
    cost = {pid: max(1.0, float(tokens_per_sample.get(pid) or 0.0)) for pid in problem_ids}
    n = {pid: first_round for pid in problem_ids}
    if policy == "uniform":
        share = budget / len(problem_ids)
        return {pid: max(first_round, int(share // cost[pid])) for pid in problem_ids}
    est = estimate({pid: first.get(pid, []) for pid in problem_ids})
    spent = sum(first_round * cost[pid] for pid in problem_ids)
    while True:
        fits = [pid for pid in problem_ids if spent + cost[pid] <= budget]
        if not fits:
            return n
        best = max(fits, key=lambda pid: (est[pid].gain(n[pid]) / cost[pid], -problem_ids.index(pid)))
        n[best] += 1
        spent += cost[best]


def read_allocation(path: Path) -> dict[str, Any]:
    """Read an ``allocation.json`` (written by the allocation run).

    Its shape: ``{first_round, rule, budgets, unit, tokens_per_sample, problems, policies:
    {policy: {budget: {problem: samples}}}, estimates}`` (files written before budgets in tokens
    have no ``unit``: samples).

    Raises:
        EffbenchError: when it cannot be read or lacks ``policies``.
    """
    try:
        doc = json.loads(path.read_text())
        assert isinstance(doc["policies"], dict)
    except (OSError, ValueError, KeyError, AssertionError, TypeError) as exc:
        raise EffbenchError(f"{path}: not a readable allocation file ({exc})") from None
    return doc


def allocation_points(
    series: str, records: list[Any], doc: dict[str, Any], policy: str, alpha: float, arch: Any = None
) -> list[Any]:
    """One curve point (:class:`effbench.curves.Point`) per total budget of ``policy``.

    Per problem, the best of its first ``n_i`` samples (efficiency, and whether any passed) at
    their summed cost, averaged over problems; labelled ``B=<budget>`` (``B=<budget> tok`` for a
    budget in tokens), with ``budget`` the mean samples per problem (B / problems for a budget in
    samples).
    """
    from collections import defaultdict

    from effbench.curves import _axis_means, _point
    from effbench.models.costs import sample_cost
    from effbench.summary import rescore

    by_problem: dict[str, dict[int, Any]] = defaultdict(dict)
    for r in records:
        by_problem[r.problem_id][r.sample_index] = r
    points = []
    for budget, counts in sorted(doc["policies"][policy].items(), key=lambda kv: int(kv[0])):
        effs, passes, costs = [], [], {}
        for pid in sorted(counts):
            chosen = [by_problem[pid][i] for i in range(int(counts[pid])) if i in by_problem.get(pid, {})]
            if not chosen:
                continue
            scored = [rescore(r, alpha) for r in chosen]
            effs.append(max(e for e, _ in scored))
            passes.append(float(any(ok for _, ok in scored)))
            total = [sample_cost(r.meta, arch) for r in chosen]
            costs[pid] = [_sum(total)]
        if not effs:
            continue
        tokens = doc.get("unit") == "tokens"
        samples = sum(int(v) for v in counts.values()) / len(counts) if tokens else int(budget) / len(counts)
        label = f"B={budget} tok" if tokens else f"B={budget}"
        points.append(_point(series, label, effs, passes, _axis_means(costs), samples))
    return points


def _sum(costs: list[Any]) -> Any:
    from effbench.curves import _sum_costs

    return _sum_costs(costs)


def _realized_tokens(
    run: Any, model: str, policies: dict[str, dict[str, dict[str, int]]]
) -> dict[str, dict[str, float]]:
    """Tokens the samples of each policy and budget cost (their first ``n_i`` per problem).

    Prompt and completion tokens of every attempt, abandoned ones included, as
    :func:`effbench.curves.record_cost` counts them.
    """
    from effbench.curves import record_cost

    cost: dict[tuple[str, int], float] = {}
    for r in run.records():
        if r.model == model:
            cost[(r.problem_id, r.sample_index)] = record_cost(r)[0]
    return {
        policy: {
            budget: sum(cost.get((pid, i), 0.0) for pid, n in counts.items() for i in range(n))
            for budget, counts in by_budget.items()
        }
        for policy, by_budget in policies.items()
    }


def _say_overspent(run: Any, realized: dict[str, dict[str, float]]) -> None:
    """One line on ``run``'s log per policy and budget (tokens) whose samples cost more than it."""
    for policy, by_budget in realized.items():
        for budget, tokens in by_budget.items():
            if tokens > int(budget):
                run.log(
                    f"allocation {policy}, budget {int(budget):,} tokens: its samples cost {tokens:,.0f} tokens "
                    f"({tokens / int(budget):.0%} of the budget): tokens are known once generated, and the "
                    "first round's mean per sample was an underestimate (allocation.json: realized_tokens)"
                )


def _samples_of(
    queries: list[Any], got: dict[Any, Any], run: Any, spec: Any, by_id: dict[str, Any], price: Any
) -> list[Any]:
    """The parallel samples of ``queries``: rebuilt from ``run``'s record when it holds one, else from ``got``.

    ``got`` maps (problem id, index) to the answer asked for now (a sample ``run`` has not recorded).
    """
    from effbench.models.strategies import _to_sample, recorded_sample

    samples = []
    for q in queries:
        pid = q.tag[0]
        for c in q.indices:
            old = run.record_of((spec.name, pid, c))
            if old is not None:
                samples.append(recorded_sample(by_id[pid], spec, old))
                continue
            extra = {"strategy": "parallel", "chain": c, "round": 0, "model_name": spec.name}
            samples.append(_to_sample(by_id[pid], spec, spec.name, c, got[(pid, c)], price, extra))
    return samples


def run_allocation(
    plan: Any,
    alloc: AllocationPlan,
    spec: Any,
    client: Any,
    problems: list[Any],
    run: Any,
    price: Any,
) -> dict[str, Any]:
    """Ask and evaluate the samples every policy and budget of ``alloc`` needs, and write ``allocation.json``.

    The samples go into ``run`` (an :class:`effbench.run.EvaluationRun`); the document written is
    also returned.
    The adaptive first round (``alloc.first_round`` samples per problem) is asked and scored
    first; the allocations follow from its records; then each problem's missing samples are asked
    at once. A problem's samples are the same prompt's sample indices 0, 1, ... whatever the
    policy, so they come from the response cache when parallel sampling (or another budget) asked
    them before: no request is repeated. ``plan`` is the :class:`~effbench.models.strategies.SamplingPlan`
    (prompts), ``client`` a :class:`~effbench.models.client.ModelClient`, ``price`` the model's
    price or None.
    """
    from dataclasses import replace

    from effbench.models.strategies import first_queries, unrecorded
    from effbench.rundir import atomic_write_json

    ids = [p.id for p in problems]
    alloc.check(len(ids))
    template = {q.tag[0]: q for q in first_queries(plan, spec, problems)}
    by_id = {p.id: p for p in problems}
    have = dict.fromkeys(ids, 0)

    def fetch(upto: dict[str, int], desc: str) -> None:
        queries = [
            replace(template[pid], indices=list(range(have[pid], upto[pid]))) for pid in ids if upto[pid] > have[pid]
        ]
        if not queries:
            return
        asked = unrecorded(queries, run, spec.name)  # a resumed run's recorded samples are never asked again
        answers = client.run(asked, desc=f"model answers, {desc}") if asked else []
        got = {(q.tag[0], c): a for q, one in zip(asked, answers) for c, a in one.items()}
        samples = _samples_of(queries, got, run, spec, by_id, price)
        for q in queries:
            have[q.tag[0]] = upto[q.tag[0]]
        run.evaluate(samples, desc=f"samples, {desc}")

    by_tokens = alloc.unit == "tokens"
    first_round = alloc.first_round if "adaptive" in alloc.policies or by_tokens else 0
    fetch(dict.fromkeys(ids, first_round), "first round")
    from effbench.curves import record_cost

    first: dict[str, list[tuple[float, bool]]] = {pid: [] for pid in ids}
    first_tokens: dict[str, list[float]] = {pid: [] for pid in ids}
    for r in run.records():
        if r.sample_index < first_round and r.problem_id in first and r.model == spec.name:
            first[r.problem_id].append((r.efficiency, r.passed))
            first_tokens[r.problem_id].append(record_cost(r)[0])
    per_sample = {pid: sum(v) / len(v) for pid, v in first_tokens.items() if v}
    kept = [pid for pid in ids if pid not in run.skipped]
    policies: dict[str, dict[str, dict[str, int]]] = {p: {} for p in alloc.policies}
    for budget in alloc.budgets:
        for policy in alloc.policies:
            if by_tokens:
                counts = token_allocation(policy, kept, first, per_sample, budget, first_round)
            elif policy == "uniform":
                counts = uniform_allocation(kept, budget)
            else:
                counts = adaptive_allocation(kept, first, budget, first_round)
            policies[policy][str(budget)] = counts
    needed = {pid: max([have[pid], *(c.get(pid, 0) for b in policies.values() for c in b.values())]) for pid in ids}
    fetch({pid: needed[pid] if pid in kept else have[pid] for pid in ids}, "allocated")
    realized = _realized_tokens(run, spec.name, policies)
    if by_tokens:
        _say_overspent(run, realized)
    est = estimate({pid: first[pid] for pid in kept}) if first_round else {}
    doc = {
        "first_round": first_round,
        "rule": RULE,
        "budgets": list(alloc.budgets),
        "unit": alloc.unit,
        "tokens_per_sample": per_sample if by_tokens else None,
        "problems": kept,
        "policies": policies,
        "estimates": {pid: {"p": e.p, "passes": e.passes, "samples": e.samples} for pid, e in est.items()},
        # what each policy's samples cost, every attempt counted (the tokens cost axis), per budget
        "realized_tokens": realized,
    }
    atomic_write_json(run.run_dir / "allocation.json", doc)
    return doc
