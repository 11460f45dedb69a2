"""From sample records to pass@k / eff@k / speedup per model, per problem and overall.

Re-scoring is exact from saved records: per-level costs of every sample and of the expert are
kept, so a new ``k`` or a lower ``alpha`` needs no re-run. A higher alpha than the run's cannot be
honoured: runs stopped at the old budget cannot be un-stopped.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

from effbench.errors import EffbenchError
from effbench.records import SCHEMA_VERSION, SampleRecord
from effbench.scoring import eff_at_ks, geometric_mean, pass_at_k
from effbench.verdicts import Verdict


def rescore(record: SampleRecord, alpha: float) -> tuple[float, bool]:
    """(efficiency, passed) of a record at ``alpha`` (see :meth:`SampleRecord.rescored`)."""
    scored = record.rescored(alpha)
    return scored.efficiency, scored.passed


def fewest_scored(records: Iterable[SampleRecord]) -> int:
    """The n of pass@k and eff@k: the fewest samples scored of any (model, problem), 0 when none is.

    A sample lost to an infrastructure failure (:attr:`Verdict.INFRA`: the harness failed, not the
    candidate) is not the model's sample (DESIGN.md: such failures are "never [recorded] as slow or
    wrong code"): it is not counted here, as :func:`summarize` leaves it out of n and only counts
    it (``infra_failures``). So a k up to this n can always be summarized.
    """
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for r in records:
        if r.verdict != Verdict.INFRA:
            counts[(r.model, r.problem_id)] += 1
    return min(counts.values(), default=0)


def scorable_ks(ks: Sequence[int], records: Sequence[SampleRecord]) -> tuple[list[int], list[int]]:
    """``(kept, left_out)``: the k of ``ks`` at most :func:`fewest_scored` (``[1]`` if none is), and the others.

    A run's k may be larger than the samples it scored of some problem: it was interrupted or
    cut, or samples were lost to infrastructure failures. ``ks`` in, order kept.
    """
    n = fewest_scored(records)
    kept = [k for k in ks if k <= n]
    return kept or [1], [k for k in ks if k > n]


def summarize(records: Sequence[SampleRecord], ks: Sequence[int], alpha: float, run_alpha: float) -> dict:
    """pass@k, eff@k, speedup, verdict counts, memory and times per model, per problem and overall.

    Every record is re-scored from its raw facts at ``alpha`` first
    (:func:`effbench.scoring.score_sample`), so the summary at ``alpha`` is the one a fresh run at
    ``alpha`` gives. Samples with an infrastructure failure are counted, not scored.

    Args:
        records: sample records (any schema version).
        ks: the k of pass@k and eff@k; each must be at most the n of every (model, problem).
        alpha: the budget factor to score at.
        run_alpha: the alpha the run was made with; ``alpha`` may not exceed it.

    Returns:
        ``{"schema", "alpha", "k", "models": {label: {"overall": ..., "problems": {pid: ...}}}}``
        (the layout of :class:`effbench.records.Summary`).

    Raises:
        EffbenchError: ``alpha`` above ``run_alpha``, or a k larger than some n.
    """
    if alpha > run_alpha + 1e-12:
        raise EffbenchError(
            f"--alpha {alpha} is above the run's alpha {run_alpha}: runs were stopped at the old budget; "
            "re-run the evaluation with the higher alpha"
        )
    grouped: dict[str, dict[str, list[SampleRecord]]] = defaultdict(lambda: defaultdict(list))
    infra: dict[str, int] = defaultdict(int)
    for r in (rec.rescored(alpha) for rec in records):
        if r.verdict == Verdict.INFRA:
            infra[r.model] += 1
            continue
        grouped[r.model][r.problem_id].append(r)
    models = {}
    for model in sorted(grouped):
        problems = {}
        for pid in sorted(grouped[model]):
            recs = sorted(grouped[model][pid], key=lambda r: r.sample_index)
            n = len(recs)
            for k in ks:
                if k > n:
                    raise EffbenchError(f"k={k} is larger than n={n} samples of model {model!r} on problem {pid!r}")
            effs = [r.efficiency for r in recs]
            c = sum(1 for r in recs if r.passed)
            eff = eff_at_ks(effs, ks)
            speed = geometric_mean([r.speedup for r in recs if r.speedup])
            verdicts: dict[str, int] = defaultdict(int)
            for r in recs:
                verdicts[str(r.verdict)] += 1
            problems[pid] = {
                "n": n,
                "correct": c,
                "pass@k": {str(k): pass_at_k(n, c, k) for k in ks},
                "eff@k": {str(k): eff[k] for k in ks},
                "speedup": speed,
                "verdicts": dict(verdicts),
                "peak_memory_kb": max(r.peak_memory_kb for r in recs),
                "mean_wall_seconds": sum(r.wall_seconds for r in recs) / n,
                "mean_cpu_seconds": sum(r.cpu_seconds for r in recs) / n,
                **_problem_usage(recs),
                **_error_types(recs),
            }
        usage = _usage_totals([r for recs in grouped[model].values() for r in recs], len(problems))
        overall = {
            "problems": len(problems),
            "pass@k": {str(k): sum(p["pass@k"][str(k)] for p in problems.values()) / len(problems) for k in ks},
            "eff@k": {str(k): sum(p["eff@k"][str(k)] for p in problems.values()) / len(problems) for k in ks},
            "speedup": geometric_mean([p["speedup"] for p in problems.values() if p["speedup"]]),
            "infra_failures": infra.get(model, 0),
        }
        overall.update(_unit([r for recs in grouped[model].values() for r in recs]))
        if usage:
            overall["usage"] = usage
        models[model] = {"overall": overall, "problems": problems}
    for model, count in infra.items():
        if model not in models:
            models[model] = {"overall": {"problems": 0, "infra_failures": count}, "problems": {}}
    return {"schema": SCHEMA_VERSION, "alpha": alpha, "k": list(ks), "models": models, **_refinement(records, alpha)}


def _unit(records: Sequence[SampleRecord]) -> dict:
    """``{"unit": ...}`` of a model's scored records (``"mixed"`` when they differ), or nothing.

    ``"ns"`` (the time meter): every cost, budget, censoring and efficiency is a CPU time, which
    depends on the machine's load (report.py says so under the table).
    """
    units = {r.unit for r in records if r.unit}
    if not units:
        return {}
    return {"unit": units.pop() if len(units) == 1 else "mixed"}


def _problem_usage(records: Sequence[SampleRecord]) -> dict:
    """``{"usage": ...}`` of one problem's model samples (tokens and money), or nothing."""
    usage = _usage_totals(records, 1)
    return {"usage": usage} if usage else {}


def _error_types(records: Sequence[SampleRecord]) -> dict:
    """``{"error_types": {type: count}}`` of the samples whose verdict is ``error``, or nothing."""
    kinds: dict[str, int] = defaultdict(int)
    for r in records:
        if r.verdict == Verdict.ERROR:
            kinds[str(r.error_type or "unknown")] += 1
    return {"error_types": dict(sorted(kinds.items()))} if kinds else {}


def _refinement(records: Sequence[SampleRecord], alpha: float) -> dict:
    """``{"refinement": ...}`` of refine runs, or nothing.

    Per round: the best efficiency so far and the cumulative cost
    (:func:`effbench.curves.refinement_table`).
    """
    from effbench.curves import refinement_table  # curves imports this module

    table = refinement_table(list(records), alpha)
    return {"refinement": table} if table else {}


def _usage_totals(records: Sequence[SampleRecord], problems: int) -> dict | None:
    """Tokens and money spent by a model (records of model runs carry their usage)."""
    usages = [r.meta["usage"] for r in records if isinstance(r.meta.get("usage"), dict)]
    if not usages:
        return None
    prompt = sum(u.get("prompt_tokens", 0.0) for u in usages)
    completion = sum(u.get("completion_tokens", 0.0) for u in usages)
    costs = [u.get("cost_usd") for u in usages]
    usd = None if any(c is None for c in costs) else sum(costs)
    # abandoned attempts (time-outs, dropped connections, refusals): counted apart, and in usd
    ab_prompt = sum(u.get("abandoned_prompt_tokens", 0.0) for u in usages)
    ab_completion = sum(u.get("abandoned_completion_tokens", 0.0) for u in usages)
    return {
        "samples": len(usages),
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "abandoned_attempts": sum(u.get("abandoned_attempts", 0) for u in usages),
        "abandoned_prompt_tokens": ab_prompt,
        "abandoned_completion_tokens": ab_completion,
        "usd": usd,
        "tokens_per_problem": (prompt + completion + ab_prompt + ab_completion) / max(1, problems),
        "usd_per_problem": None if usd is None else usd / max(1, problems),
    }
