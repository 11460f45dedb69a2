"""Cost-vs-efficiency curves from run directories, with the Pareto front across models and strategies.

The definitions are DESIGN.md's, "Models, budgets, cost curves".

- Parallel sampling: from N samples per problem, every k <= N is a point: eff@k and pass@k
  (unbiased estimators), at k times the mean sample's cost.
- Refinement: one point per round r (counted from 1): the best efficiency so far of a chain and
  whether any of its samples so far passed, at the chain's cumulative cost up to round r (a chain
  that ended keeps its best and its cost). The same figures are the refinement table of
  ``effbench evaluate --strategy refine`` (:func:`refinement_table`).
- Cost counts every attempt: the answered one and the abandoned ones (time-outs, dropped
  connections, errors, context refusals), whose prompt tokens were sent and may be billed.
- The cost axis (``cost``): ``auto`` (the default) is USD when every series has a price and some
  price is not zero, else tokens; or one of ``tokens``, ``usd``, ``seconds`` (generation latency),
  ``flops`` or ``bytes`` (compute and memory traffic from the model's architecture), defined in
  :mod:`effbench.models.costs`. The plot and ``curves.json`` say which and why; every point
  carries all of them.
- Verified selection (runs of ``--strategy select``): a series ``<model> (select)`` beside the
  parallel one, a point per k: sel@k (:mod:`effbench.models.selection`) at k samples' cost plus
  the selection's own (instructions on the flops axis, seconds on the seconds axis).
- Allocation over the problem set (``--allocation``, ``effbench sweep``): a series per policy
  (``<model> (uniform)``, ``<model> (adaptive)``), a point per total budget B: the mean over
  problems of the best of the samples the policy gave each problem, at their mean cost per
  problem (:mod:`effbench.models.allocation`).
- Each point carries a 95% bootstrap interval over problems (``scipy.stats.bootstrap``,
  percentile method, 2000 resamples, fixed seed) of its mean over problems; with fewer than two
  problems there is no interval.
- Series evaluated on different problem sets are not comparable on one front: they are refused,
  unless ``allow_mixed`` is given, which marks each series with its problem count and the title
  with a warning.
"""

from __future__ import annotations

import contextlib
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from effbench.engine import INFRA, SampleRecord
from effbench.errors import EffbenchError
from effbench.markdown import md_text
from effbench.models.costs import COST_AXES, Architecture, SampleCost, sample_cost
from effbench.rundir import RunDir
from effbench.summary import rescore, summarize

CONFIDENCE = 0.95
#: the efficiency levels of the cheapest-budget table (``cheapest.md``) by default
EFF_LEVELS = (0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9, 1.0)


@dataclass
class Point:
    """One point of a curve, each figure a mean over problems.

    The cost (in the curves' cost unit), tokens, USD (None without a price), pass rate and
    efficiency, with 95% intervals over problems.
    """

    series: str
    label: str
    cost: float
    tokens: float
    usd: float | None
    pass_rate: float
    eff: float
    pareto: bool = False
    eff_ci: tuple[float, float] | None = None
    pass_ci: tuple[float, float] | None = None
    problems: int = 0
    per_problem_eff: list[float] = field(default_factory=list, repr=False)
    per_problem_pass: list[float] = field(default_factory=list, repr=False)
    #: generation seconds, FLOPs and bytes moved per problem (None: the model's architecture unknown)
    seconds: float = 0.0
    flops: float | None = None
    bytes: float | None = None
    #: what the selection of ``--strategy select`` spent per problem: instructions (the meter's
    #: unit) and wall seconds on the visible examples
    selection_cost: float = 0.0
    selection_seconds: float = 0.0
    #: model answers per problem the point costs (k, a refinement round, B / problems)
    budget: float = 0.0


def record_cost(record: SampleRecord) -> tuple[float, float | None]:
    """(tokens, USD or None) spent on one sample: the answered attempt and the abandoned ones."""
    usage = record.meta.get("usage") or {}
    tokens = sum(
        float(usage.get(k) or 0.0)
        for k in ("prompt_tokens", "completion_tokens", "abandoned_prompt_tokens", "abandoned_completion_tokens")
    )
    return tokens, usage.get("cost_usd")


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def bootstrap_ci(values: list[float]) -> tuple[float, float] | None:
    """95% percentile-bootstrap interval of the mean of ``values`` (None below two values)."""
    if len(values) < 2:
        return None
    if max(values) - min(values) < 1e-15:
        return (values[0], values[0])
    import numpy as np
    from scipy.stats import bootstrap

    res = bootstrap(
        (np.asarray(values, dtype=float),),
        np.mean,
        confidence_level=CONFIDENCE,
        n_resamples=2000,
        method="percentile",
        random_state=np.random.default_rng(0),
    )
    return float(res.confidence_interval.low), float(res.confidence_interval.high)


def _point(
    series: str, label: str, effs: list[float], passes: list[float], costs: dict[str, Any], budget: float
) -> Point:
    """A point from per-problem efficiencies and pass rates, and its mean costs per problem.

    ``costs`` holds the axes of :data:`effbench.models.costs.COST_AXES`, ``selection_cost`` and
    ``selection_seconds``; ``budget``: model answers per problem the point costs (k, a round, B / problems).
    """
    return Point(
        series,
        label,
        0.0,
        costs["tokens"],
        costs["usd"],
        _mean(passes),
        _mean(effs),
        eff_ci=bootstrap_ci(effs),
        pass_ci=bootstrap_ci(passes),
        problems=len(effs),
        per_problem_eff=effs,
        per_problem_pass=passes,
        seconds=costs["seconds"],
        flops=costs["flops"],
        bytes=costs["bytes"],
        selection_cost=costs.get("selection_cost", 0.0),
        selection_seconds=costs.get("selection_seconds", 0.0),
        budget=budget,
    )


def _axis_means(by_problem: dict[str, list[SampleCost]]) -> dict[str, Any]:
    """Per cost axis, the mean over problems of the mean over a problem's samples.

    None on an axis where some sample's cost is unknown.
    """
    out: dict[str, Any] = {}
    for axis in COST_AXES:
        values = [[c.on(axis) for c in costs] for costs in by_problem.values()]
        known = all(v is not None for vs in values for v in vs)
        out[axis] = _mean([_mean(vs) for vs in values]) if known else None  # type: ignore[arg-type]
    return out


def _scaled(costs: dict[str, Any], k: float) -> dict[str, Any]:
    return {axis: None if v is None else k * v for axis, v in costs.items()}


def parallel_points(
    series: str, records: list[SampleRecord], alpha: float, arch: Architecture | None = None
) -> list[Point]:
    """A point per k <= n (n: the fewest samples of any problem): eff@k and pass@k at k samples' cost.

    The cost is k times the mean sample's; ``arch``, the model's architecture, gives the FLOPs
    and bytes axes.
    """
    by_problem: dict[str, list[SampleRecord]] = defaultdict(list)
    for r in records:
        by_problem[r.problem_id].append(r)
    n = min(len(v) for v in by_problem.values())
    summary = summarize(records, list(range(1, n + 1)), alpha, alpha)["models"][records[0].model]
    per_sample = _axis_means({pid: [sample_cost(r.meta, arch) for r in v] for pid, v in by_problem.items()})
    problems = summary["problems"]
    points = []
    for k in range(1, n + 1):
        effs = [problems[pid]["eff@k"][str(k)] for pid in sorted(problems)]
        passes = [problems[pid]["pass@k"][str(k)] for pid in sorted(problems)]
        points.append(_point(series, f"k={k}", effs, passes, _scaled(per_sample, k), k))
    return points


def select_points(
    series: str, records: list[SampleRecord], alpha: float, arch: Architecture | None = None
) -> list[Point]:
    """Verified selection: a point per k <= n, sel@k and the selected sample's pass rate.

    The pass rate is the same estimator on 0/1. The cost is k samples' generation cost plus the
    selection's: its cost on the visible examples (``meta.selection``) is added as instructions
    to the FLOPs axis (when the meter counts instructions) and as wall seconds to the seconds axis.
    """
    from effbench.models.selection import sel_at_k, selection_of

    by_problem: dict[str, list[SampleRecord]] = defaultdict(list)
    for r in sorted(records, key=lambda r: r.sample_index):
        by_problem[r.problem_id].append(r)
    n = min(len(v) for v in by_problem.values())
    per_sample = _axis_means({pid: [sample_cost(r.meta, arch) for r in v] for pid, v in by_problem.items()})
    facts = {pid: [selection_of(r.meta) or (False, 0.0, 0.0) for r in v] for pid, v in by_problem.items()}
    sel_cost = _mean([_mean([f[1] for f in fs]) for fs in facts.values()])
    sel_seconds = _mean([_mean([f[2] for f in fs]) for fs in facts.values()])
    counts_instructions = all(r.unit == "instructions" for r in records)
    points = []
    for k in range(1, n + 1):
        effs, passes = [], []
        for pid in sorted(by_problem):
            recs, fs = by_problem[pid], facts[pid]
            scored = [rescore(r, alpha) for r in recs]
            passed, costs = [f[0] for f in fs], [f[1] for f in fs]
            effs.append(sel_at_k([e for e, _ in scored], passed, costs, k))
            passes.append(sel_at_k([float(p) for _, p in scored], passed, costs, k))
        costs_k = _scaled(per_sample, k)
        costs_k["selection_cost"] = k * sel_cost
        costs_k["selection_seconds"] = k * sel_seconds
        costs_k["seconds"] += k * sel_seconds
        if costs_k["flops"] is not None and counts_instructions:
            costs_k["flops"] += k * sel_cost
        points.append(_point(series, f"k={k}", effs, passes, costs_k, k))
    return points


@dataclass
class RoundFigures:
    """One refinement round's figures (rounds from 1).

    Per problem, the chains' best efficiency so far, whether any sample so far passed, cumulative
    tokens and USD, the cumulative cost on every axis (:class:`effbench.models.costs.SampleCost`);
    and how many chains have ended.
    """

    round: int
    eff: dict[str, list[float]]
    passed: dict[str, list[float]]
    tokens: dict[str, list[float]]
    usd: dict[str, list[float | None]]
    ended: list[str]
    costs: dict[str, list[SampleCost]] = field(default_factory=lambda: defaultdict(list))


def _sum_costs(costs: list[SampleCost]) -> SampleCost:
    def total(axis: str) -> float | None:
        values = [c.on(axis) for c in costs]
        return None if any(v is None for v in values) else sum(values)  # type: ignore[arg-type]

    return SampleCost(*(total(axis) for axis in COST_AXES))  # type: ignore[arg-type]


def refine_rounds(
    rounds: dict[int, list[SampleRecord]], alpha: float, arch: Architecture | None = None
) -> list[RoundFigures]:
    """Best-so-far and cumulative figures per round, from the records of each round.

    ``rounds`` is keyed by the stored round index (from 0, ``meta.round``); the figures are
    numbered from 1.
    """
    chains: dict[tuple[str, int], dict[int, SampleRecord]] = defaultdict(dict)
    for r, recs in rounds.items():
        for rec in recs:
            chains[(rec.problem_id, rec.sample_index)][r] = rec
    out = []
    for r in sorted(rounds):
        fig = RoundFigures(r + 1, defaultdict(list), defaultdict(list), defaultdict(list), defaultdict(list), [])
        for (pid, c), chain in sorted(chains.items()):
            upto = [chain[j] for j in sorted(chain) if j <= r]
            if not upto:
                continue
            scored = [rescore(x, alpha) for x in upto]
            usds = [record_cost(x)[1] for x in upto]
            fig.eff[pid].append(max(e for e, _ in scored))
            fig.passed[pid].append(float(any(p for _, p in scored)))
            fig.tokens[pid].append(sum(record_cost(x)[0] for x in upto))
            fig.usd[pid].append(None if any(u is None for u in usds) else sum(usds))  # type: ignore[arg-type]
            fig.costs[pid].append(_sum_costs([sample_cost(x.meta, arch) for x in upto]))
            if any("chain_end" in x.meta for x in upto):
                fig.ended.append(f"{pid}#{c}")
        out.append(fig)
    return out


def refine_points(
    series: str, rounds: dict[int, list[SampleRecord]], alpha: float, arch: Architecture | None = None
) -> list[Point]:
    """A point per round: a chain's best efficiency so far at its cumulative cost."""
    points = []
    for fig in refine_rounds(rounds, alpha, arch):
        pids = sorted(fig.eff)
        effs = [_mean(fig.eff[p]) for p in pids]
        passes = [_mean(fig.passed[p]) for p in pids]
        costs = _axis_means({p: fig.costs[p] for p in pids})
        points.append(_point(series, f"round {fig.round}", effs, passes, costs, fig.round))
    return points


def _split_rounds(records: list[SampleRecord]) -> tuple[dict[str, list[SampleRecord]], dict[str, dict[int, list]]]:
    from effbench.models.strategies import parse_round_label

    plain: dict[str, list[SampleRecord]] = defaultdict(list)
    refine: dict[str, dict[int, list[SampleRecord]]] = defaultdict(lambda: defaultdict(list))
    for rec in records:
        if rec.verdict == INFRA:
            continue
        parsed = parse_round_label(rec.model)
        if parsed:
            refine[parsed[0]][parsed[1] - 1].append(rec)  # keyed by the stored index, from 0
        else:
            plain[rec.model].append(rec)
    return plain, refine


def refinement_table(records: list[SampleRecord], alpha: float) -> list[dict[str, Any]]:
    """The refinement table: a row per refined model and round (from 1).

    Each row: the best-so-far efficiency (eff, mean over problems of the mean over chains) and
    pass rate, the cumulative tokens and USD per chain (mean over problems), the chains still
    going and those that ended (``problem#chain``).
    """
    _, refine = _split_rounds(records)
    table = []
    for name in sorted(refine):
        for fig in refine_rounds(refine[name], alpha):
            pids = sorted(fig.eff)
            known = all(u is not None for p in pids for u in fig.usd[p])
            table.append(
                {
                    "model": name,
                    "round": fig.round,
                    "best_eff_so_far": _mean([_mean(fig.eff[p]) for p in pids]),
                    "pass_so_far": _mean([_mean(fig.passed[p]) for p in pids]),
                    "cumulative_tokens_per_chain": _mean([_mean(fig.tokens[p]) for p in pids]),
                    "cumulative_usd_per_chain": _mean([_mean(fig.usd[p]) for p in pids]) if known else None,  # type: ignore[arg-type]
                    "chains": sum(len(v) for v in fig.eff.values()),
                    "chains_ended": fig.ended,
                }
            )
    return table


def render_refinement(table: list[dict[str, Any]]) -> str:
    """The refinement table for the terminal."""
    rows = [["model", "round", "best eff so far", "pass so far", "tokens/chain (cum.)", "USD/chain (cum.)", "ended"]]
    for t in table:
        usd = "-" if t["cumulative_usd_per_chain"] is None else f"{t['cumulative_usd_per_chain']:.5f}"
        ended = ", ".join(t["chains_ended"]) or "-"
        rows.append(
            [
                t["model"],
                f"round {t['round']}",
                f"{t['best_eff_so_far']:.3f}",
                f"{t['pass_so_far']:.3f}",
                f"{t['cumulative_tokens_per_chain']:.0f}",
                usd,
                ended,
            ]
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["refinement: best so far and cumulative cost per round"]
    for j, r in enumerate(rows):
        lines.append("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())
        if j == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def mark_pareto(points: list[Point]) -> None:
    """Mark the points no other point beats on both cost (lower) and efficiency (higher)."""
    best = float("-inf")
    for p in sorted(points, key=lambda p: (p.cost, -p.eff)):
        if p.eff > best + 1e-12:
            p.pareto = True
            best = p.eff


def flat_notes(points: list[Point], unit: str) -> list[str]:
    """Why a cost-vs-efficiency figure of ``points`` is empty or flat, one sentence each ([] when it is not).

    ``unit`` is the cost axis (``tokens``, ``usd``...; each point's ``cost`` is in it). A figure of
    one point, of points that all cost the same (0 when nothing was counted) or of efficiencies
    that are all 0 is drawn all the same, with these sentences beside it, so that it is never
    read as a broken plot or as a curve.
    """
    if not points:
        return []
    name = _UNIT_NAMES.get(unit, unit)
    notes = []
    costs = {p.cost for p in points}
    if costs == {0}:
        notes.append(f"every point costs 0 {name}: the runs counted no {name} spent, so the cost axis is flat")
    elif len(costs) == 1:
        notes.append(f"every point costs the same ({next(iter(costs)):.4g} {name} per problem)")
    if len(points) == 1:
        notes.append("one point: one sample per problem and no refinement round, so there is no curve to draw")
    if all(p.pass_rate == 0 for p in points):
        notes.append("no sample passed: every pass rate and efficiency is 0")
    elif all(p.eff == 0 for p in points):
        notes.append("every efficiency is 0: samples passed, but none within the budget on a weighted level")
    return notes


@dataclass
class Curves:
    """Every point, the cost unit and why, and the problem sets' agreement."""

    points: list[Point]
    unit: str
    unit_reason: str
    mixed: bool = False
    problems: dict[str, list[str]] = field(default_factory=dict)
    #: series -> "name version (content hash)" of the problem set its run was made on
    problem_set_versions: dict[str, str] = field(default_factory=dict)

    @property
    def notes(self) -> list[str]:
        """Why the figure is empty or flat, if it is (:func:`flat_notes`)."""
        return flat_notes(self.points, self.unit)

    @property
    def versions_differ(self) -> bool:
        """True when the series were evaluated on different versions (contents) of their sets."""
        return len(set(self.problem_set_versions.values())) > 1


@dataclass
class _Context:
    """What collecting the series of several run directories gathers on the way."""

    problem_sets: dict[str, list[str]] = field(default_factory=dict)
    set_versions: dict[str, str] = field(default_factory=dict)
    unpriced: set[str] = field(default_factory=set)
    no_facts: set[str] = field(default_factory=set)
    without_usage: set[str] = field(default_factory=set)
    architectures: dict[str, Architecture] = field(default_factory=dict)

    def arch(self, model: str) -> Architecture | None:
        from effbench.models.costs import architecture_of

        found = architecture_of(model, self.architectures)
        if found is None:
            self.no_facts.add(model)
        return found


def _model_name(label: str, records: list[SampleRecord]) -> str:
    """The model's name (for its price and architecture): ``meta.model_name``, else the label."""
    for r in records:
        name = (r.meta or {}).get("model_name")
        if name:
            return str(name)
    return label


def _groups(
    path: Path, records: list[SampleRecord], without_usage: set[str] | None = None
) -> list[tuple[str, str, list[SampleRecord], Any]]:
    """(label, strategy, records, extra) of each series of a run directory's records.

    Parallel (and select when measured on the visible examples), refine (extra: the rounds), or
    one per allocation policy (extra: its ``allocation.json``). The labels of models whose samples
    carry no token usage (samples files, ``--references``: nothing was generated, so there is no
    cost to plot against) are left out, and added to ``without_usage`` when it is given.
    """
    plain, refine = _split_rounds(records)
    allocation = path / "allocation.json"
    groups: list[tuple[str, str, list[SampleRecord], Any]] = []
    if allocation.is_file():  # a run of --allocation: its samples are drawn per problem by a policy
        from effbench.models.allocation import read_allocation

        doc = read_allocation(allocation)
        for label, recs in plain.items():
            groups += [(label, policy, recs, doc) for policy in doc["policies"]]
    else:
        for label, recs in plain.items():
            if not any("usage" in r.meta for r in recs):
                if without_usage is not None:
                    without_usage.add(label)
                continue
            groups.append((label, "parallel", recs, None))
            if any("selection" in r.meta for r in recs):
                groups.append((label, "select", recs, None))
    groups += [(label, "refine", [r for v in rounds.values() for r in v], rounds) for label, rounds in refine.items()]
    return groups


def _series_of_run(path: Path, ctx: _Context) -> list[Point]:
    """The points of one run directory.

    Notes each series' problems, the unpriced models and those without architecture facts in
    ``ctx``.
    """
    rd = RunDir(path)
    if not rd.exists:
        raise EffbenchError(f"{path}: not a run directory (no config.json)")
    config = rd.config()
    alpha = config["alpha"]
    set_version = (
        f"{config.get('problem_set', '?')} {config.get('problem_set_version', '?')} "
        f"({config.get('problem_set_hash', '?')})"
    )
    records = rd.records()
    disagreement = rd.disagreement(records, config)
    if disagreement:  # another run's records, or some lost: its points would not be its own
        raise EffbenchError(disagreement)
    groups = _groups(path, records, ctx.without_usage)
    points: list[Point] = []
    for label, strategy, recs, extra in groups:
        name = f"{label} ({strategy})"
        if name in ctx.problem_sets:  # the same model in two run directories: two series
            name = f"{label} ({strategy}, {path.name})"
        arch = ctx.arch(_model_name(label, recs))
        if strategy == "parallel":
            points += parallel_points(name, recs, alpha, arch)
        elif strategy == "select":
            points += select_points(name, recs, alpha, arch)
        elif strategy == "refine":
            points += refine_points(name, extra, alpha, arch)
        else:
            from effbench.models.allocation import allocation_points

            points += allocation_points(name, recs, extra, strategy, alpha, arch)
        problem_sets_of = sorted({r.problem_id for r in recs})
        ctx.problem_sets[name] = problem_sets_of
        ctx.set_versions[name] = set_version
        if any(record_cost(r)[1] is None for r in recs):
            ctx.unpriced.add(label)
    return points


_UNIT_NAMES = {"usd": "USD", "tokens": "tokens", "seconds": "seconds", "flops": "FLOPs", "bytes": "bytes"}


def _cost_unit(points: list[Point], ctx: _Context, cost: str = "auto") -> tuple[str, str]:
    """The cost axis of the curves, and why: (unit, reason).

    ``auto``: USD when every series has a price and some price is not 0, else tokens. Raises
    EffbenchError for an axis some series cannot be put on.
    """
    if cost == "auto":
        if ctx.unpriced:
            return "tokens", f"no price for {', '.join(sorted(ctx.unpriced))} (--prices FILE)"
        if not any(p.usd for p in points):
            return "tokens", "every price is 0 (local models)"
        return "usd", "every model has a price"
    if cost not in COST_AXES:
        raise EffbenchError(f"--cost {cost!r}: one of auto, {', '.join(COST_AXES)}")
    if cost == "usd":
        if ctx.unpriced:
            raise EffbenchError(f"--cost usd: no price for {', '.join(sorted(ctx.unpriced))} (give --prices FILE)")
        return "usd", "the price table's money, abandoned attempts included"
    if cost in ("flops", "bytes") and any(getattr(p, cost) is None for p in points):
        raise EffbenchError(
            f"--cost {cost}: no architecture facts for {', '.join(sorted(ctx.no_facts))}: add them to a "
            "--model-facts FILE (layout: effbench/models/architectures.toml)"
        )
    selecting = any(p.selection_cost for p in points)
    reasons = {
        "tokens": "prompt + completion tokens, abandoned attempts included",
        "seconds": "generation latency of the requests" + ("; the selection's wall seconds added" if selecting else ""),
        "flops": "2 x params per token + attention (effbench/models/costs.py)"
        + ("; the selection's instructions added as operations" if selecting else ""),
        "bytes": "weights + KV cache read per token at batch 1 (effbench/models/costs.py)",
    }
    return cost, reasons[cost]


def collect(
    run_dirs: list[Path], allow_mixed: bool = False, cost: str = "auto", model_facts: Path | None = None
) -> Curves:
    """Points of every model and strategy in the run directories.

    Args:
        run_dirs: run directories of model runs.
        allow_mixed: plot series evaluated on different problems (marked) instead of refusing.
        cost: the cost axis: ``auto`` or one of :data:`effbench.models.costs.COST_AXES`.
        model_facts: a TOML file of model architectures over the bundled table (FLOPs, bytes).

    Raises:
        EffbenchError: a folder that is not a run, runs without model usage, (without
            ``allow_mixed``) series evaluated on different problems, or an axis some series
            cannot be put on (no price, no architecture facts).
    """
    from effbench.models.costs import load_architectures

    ctx = _Context(architectures=load_architectures(model_facts))
    series: list[Point] = []
    for path in run_dirs:
        series += _series_of_run(path, ctx)
    if not series:
        found = (
            f" (the models here, {', '.join(sorted(ctx.without_usage))}, come from samples files or --references,"
            " so nothing was generated)"
            if ctx.without_usage
            else ""
        )
        raise EffbenchError(
            f"no model samples with token usage in these run directories{found}: curves plot eff@k and pass@k"
            " against the cost of generating the samples, so they need runs of `effbench evaluate --model`"
            " or `effbench sweep`; `effbench score RUN_DIR` gives the tables of any run"
        )
    problem_sets = ctx.problem_sets
    mixed = len({tuple(v) for v in problem_sets.values()}) > 1
    if mixed and not allow_mixed:
        detail = "; ".join(
            f"{s}: {len(v)} ({', '.join(v[:4])}{', ...' if len(v) > 4 else ''})" for s, v in problem_sets.items()
        )
        raise EffbenchError(
            f"these runs cover different problems, so their costs and efficiencies are not comparable ({detail}); "
            "evaluate every model on the same --problems, or pass --allow-mixed-problems to plot them marked"
        )
    if mixed:
        for p in series:
            p.series = f"{p.series} [{len(problem_sets[p.series])} problems]"
    unit, reason = _cost_unit(series, ctx, cost)
    for p in series:
        p.cost = getattr(p, unit)
    mark_pareto(series)
    return Curves(series, unit, reason, mixed, problem_sets, dict(ctx.set_versions))


def cheapest_table(curves: Curves, levels: list[float]) -> list[dict[str, Any]]:
    """For each efficiency level, the cheapest point (any series) whose mean eff reaches it.

    And per series, its cheapest point that does. The shape: ``[{level, cheapest: {series,
    label, budget, cost, eff} | None, by_series: {series: {label, budget, cost, eff} | None}}]``.
    """
    names = list(dict.fromkeys(p.series for p in curves.points))
    rows = []
    for level in levels:
        reaching = [p for p in curves.points if p.eff >= level - 1e-12]

        def best(points: list[Point]) -> dict[str, Any] | None:
            if not points:
                return None
            p = min(points, key=lambda p: (p.cost, p.budget, -p.eff))
            return {"series": p.series, "label": p.label, "budget": p.budget, "cost": p.cost, "eff": p.eff}

        rows.append(
            {
                "level": level,
                "cheapest": best(reaching),
                "by_series": {name: best([p for p in reaching if p.series == name]) for name in names},
            }
        )
    return rows


def render_cheapest(rows: list[dict[str, Any]], unit: str) -> str:
    """The cheapest-budget table as Markdown.

    A row per efficiency level: the overall cheapest point and each series' cheapest budget
    (``-``: that series never reaches the level).
    """
    if not rows:
        return ""
    names = list(rows[0]["by_series"])
    unit_name = _UNIT_NAMES.get(unit, unit)
    head = ["eff level", f"cheapest (cost in {unit_name})", *(md_text(n) for n in names)]
    lines = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    for row in rows:  # series names are model labels from the run directories: md_text keeps them text
        c = row["cheapest"]
        cells = [
            f"{row['level']:g}",
            "-" if c is None else f"{md_text(c['series'])} {md_text(c['label'])}: {c['cost']:.4g}",
        ]
        for name in names:
            b = row["by_series"][name]
            cells.append("-" if b is None else f"{md_text(b['label'])} ({b['cost']:.4g})")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _boxes_overlap(a: Any, b: Any, pad: float = 1.0) -> bool:
    return not (a.x1 + pad <= b.x0 or b.x1 + pad <= a.x0 or a.y1 + pad <= b.y0 or b.y1 + pad <= a.y0)


def _drawn_texts(fig: Any, text_type: type) -> list[Any]:
    """Visible, non-empty texts, without the tick labels matplotlib keeps outside the view."""
    hidden: set[int] = set()
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            lo, hi = sorted(axis.get_view_interval())
            eps = (hi - lo) * 1e-9
            for tick in axis.get_major_ticks() + axis.get_minor_ticks():
                if not lo - eps <= tick.get_loc() <= hi + eps:
                    hidden.update((id(tick.label1), id(tick.label2)))
    return [t for t in fig.findobj(text_type) if t.get_visible() and t.get_text().strip() and id(t) not in hidden]


def text_overlaps(fig: Any) -> list[tuple[str, str]]:
    """Pairs of visible, non-empty texts of a drawn matplotlib figure whose extents overlap."""
    from matplotlib.text import Text

    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    texts = [t for t in _drawn_texts(fig, Text)]
    boxes = [(t.get_text(), t.get_window_extent(renderer)) for t in texts]
    return [
        (a, b)
        for i, (a, box_a) in enumerate(boxes)
        for b, box_b in boxes[i + 1 :]
        if _boxes_overlap(box_a, box_b, pad=0.0)
    ]


_OFFSETS = [(5, 5), (5, -12), (-30, 5), (-30, -12), (8, 14), (8, -22), (-40, 14), (-40, -22), (14, -4), (-48, -4)]


def _place_labels(fig: Any, axes: list[Any], labels: list[list[tuple[str, float, float]]]) -> None:
    """Annotate points where the label overlaps no other text and stays inside its axes.

    A label with no free place is left out (its point is still drawn, and listed in curves.json).
    """
    from matplotlib.text import Text

    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    taken = [t.get_window_extent(renderer) for t in _drawn_texts(fig, Text)]
    for ax, items in zip(axes, labels):
        frame = ax.get_window_extent(renderer)
        for text, x, y in items:
            for dx, dy in _OFFSETS:
                ann = ax.annotate(text, (x, y), textcoords="offset points", xytext=(dx, dy), fontsize=7)
                ann.set_in_layout(False)
                box = ann.get_window_extent(renderer)
                inside = box.x0 >= frame.x0 and box.x1 <= frame.x1 and box.y0 >= frame.y0 and box.y1 <= frame.y1
                if inside and not any(_boxes_overlap(box, other) for other in taken):
                    taken.append(box)
                    break
                ann.remove()


def series_by_cost(points: list[Point]) -> dict[str, list[Point]]:
    """The points of each series (series in the order they first appear), each list sorted by cost."""
    by_series: dict[str, list[Point]] = defaultdict(list)
    for p in points:
        by_series[p.series].append(p)
    return {name: sorted(pts, key=lambda p: p.cost) for name, pts in by_series.items()}


def draw_pareto_front(ax: Any, points: list[Point], label: str) -> list[Point]:
    """Draw the Pareto front on the matplotlib axes ``ax``; returns its points, sorted by cost.

    A dashed black step through the points :func:`mark_pareto` marked, efficiency against cost,
    with ``label`` in the legend: the curves figure and the leaderboard's cost plot draw it alike.
    """
    front = sorted((p for p in points if p.pareto), key=lambda p: p.cost)
    ax.step(
        [p.cost for p in front],
        [p.eff for p in front],
        where="post",
        linestyle="--",
        color="black",
        linewidth=1,
        label=label,
    )
    return front


@contextlib.contextmanager
def plain_text() -> Iterator[None]:
    r"""Within the block, every matplotlib text made is drawn as the text it is, never as mathtext.

    Labels come from run directories: a model named ``$5 model`` or ``$\foo$`` was read as
    mathtext, drawn in italics or raising ``ValueError: Unknown symbol`` at ``savefig`` (a traceback
    instead of the curves or the leaderboard). No text of effbench's figures is mathtext.
    """
    import matplotlib

    with matplotlib.rc_context({"text.parse_math": False}):
        yield


def build_figure(curves: Curves) -> Any:
    """The figure: efficiency (left) and pass rate (right) against mean cost per problem.

    With 95% intervals over problems, the Pareto front (on efficiency), non-overlapping labels,
    the cost unit and why, and a legend below the panels. Labels are plain text (:func:`plain_text`).
    """
    with plain_text():
        return _build_figure(curves)


def _build_figure(curves: Curves) -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    points = curves.points
    fig, (ax_eff, ax_pass) = plt.subplots(1, 2, figsize=(12, 5.5), dpi=120, layout="constrained")
    by_series = series_by_cost(points)
    labels: list[list[tuple[str, float, float]]] = [[], []]
    for name, pts in by_series.items():
        xs = [p.cost for p in pts]
        for ax, values, cis, slot in (
            (ax_eff, [p.eff for p in pts], [p.eff_ci for p in pts], 0),
            (ax_pass, [p.pass_rate for p in pts], [p.pass_ci for p in pts], 1),
        ):
            low = [max(0.0, v - ci[0]) if ci else 0.0 for v, ci in zip(values, cis)]
            high = [max(0.0, ci[1] - v) if ci else 0.0 for v, ci in zip(values, cis)]
            ax.errorbar(xs, values, yerr=[low, high], marker="o", capsize=3, label=name if slot == 0 else None)
            labels[slot] += [(p.label, x, v) for p, x, v in zip(pts, xs, values)]
    front = draw_pareto_front(ax_eff, points, "Pareto front (efficiency)")
    ax_eff.scatter([p.cost for p in front], [p.eff for p in front], s=90, facecolors="none", edgecolors="black")
    unit = _UNIT_NAMES.get(curves.unit, curves.unit)
    for ax, what, values in (
        (ax_eff, "eff@k (select: sel@k; refine: best so far)", [p.eff_ci[1] if p.eff_ci else p.eff for p in points]),
        (ax_pass, "pass@k (refine: any pass so far)", [p.pass_ci[1] if p.pass_ci else p.pass_rate for p in points]),
    ):
        top = max([1.0, *values])
        ax.set_ylim(0.0, top * 1.12)  # never below 0, even when every value is 0
        right = max(p.cost for p in points)
        ax.set_xlim(left=0.0, right=right * 1.15 if right > 0 else 1.0)  # every cost 0: an axis of 0..1, not 1e-9
        ax.set_xlabel(f"mean cost per problem ({unit}: {curves.unit_reason})", fontsize=8)
        ax.set_ylabel(what)
        ax.grid(alpha=0.3)
    title = "Efficiency and correctness against test-time cost (error bars: 95% bootstrap over problems)"
    if curves.mixed:
        title += "\nWARNING: series cover different problems (counts in brackets): not comparable"
    for note in curves.notes:  # a flat or empty figure says why
        title += f"\nNote: {note}"
    fig.suptitle(title, fontsize=10)
    fig.legend(loc="outside lower center", ncols=min(3, len(by_series) + 1), fontsize=8)
    _place_labels(fig, [ax_eff, ax_pass], labels)
    return fig


def write_curves(
    run_dirs: list[Path],
    out_dir: Path,
    allow_mixed: bool = False,
    cost: str = "auto",
    model_facts: Path | None = None,
    levels: list[float] | None = None,
    log: Callable[[str], None] | None = None,
) -> dict[str, Path]:
    """Write curves.json, curves.png, curves.svg and cheapest.md into ``out_dir``.

    ``levels``: the efficiency levels of the cheapest-budget table (default :data:`EFF_LEVELS`);
    ``log``: told each note on a flat or empty figure (:func:`flat_notes`; default: a warning of
    this module's logger); the other arguments are :func:`collect`'s.

    Returns:
        File kind -> the path written.

    Raises:
        EffbenchError: as :func:`collect` does (unreadable runs, mixed problem sets, an axis some
            series cannot be put on).
    """
    curves = collect(run_dirs, allow_mixed, cost, model_facts)
    if curves.versions_differ:
        import logging

        listed = "; ".join(f"{k}: {v}" for k, v in curves.problem_set_versions.items())
        logging.getLogger(__name__).warning(
            "note: the series were evaluated on different versions of their problem set (%s); their points "
            "compare only as far as those versions' problems and prompts agree (curves.json: problem_set_versions)",
            listed,
        )
    if log is None:
        import logging

        log = logging.getLogger(__name__).warning
    for note in curves.notes:
        log(f"note: {note}")
    table = cheapest_table(curves, list(levels or EFF_LEVELS))
    out_dir.mkdir(parents=True, exist_ok=True)
    data = {
        "cost_unit": curves.unit,
        "cost_unit_reason": curves.unit_reason,
        "confidence": CONFIDENCE,
        "mixed_problem_sets": curves.mixed,
        "problems": curves.problems,
        "problem_set_versions": curves.problem_set_versions,
        "notes": curves.notes,
        "points": [asdict(p) for p in curves.points],
        "cheapest": table,
    }
    from effbench.rundir import atomic_write_json

    _write_whole(out_dir / "curves.json", lambda path: atomic_write_json(path, data), atomic=True)
    import matplotlib.pyplot as plt

    fig = build_figure(curves)
    outputs = {
        "json": out_dir / "curves.json",
        "png": out_dir / "curves.png",
        "svg": out_dir / "curves.svg",
        "table": out_dir / "cheapest.md",
    }
    unit = _UNIT_NAMES.get(curves.unit, curves.unit)
    text = (
        f"Cheapest point reaching each mean efficiency (cost: mean {unit} per problem; {md_text(curves.unit_reason)})"
        "\n\n" + render_cheapest(table, curves.unit) + "\n"
    )
    try:
        for name, write in (
            ("png", lambda path: fig.savefig(path)),
            ("svg", lambda path: fig.savefig(path)),
            ("table", lambda path: path.write_text(text)),
        ):
            _write_whole(outputs[name], write)
    finally:
        plt.close(fig)
    return outputs


def _write_whole(path: Path, write: Any, atomic: bool = False) -> None:
    """``write(path)``, with no partial file left when it fails (``atomic``: ``write`` leaves none).

    Raises:
        EffbenchError: naming ``path`` and the system's reason (a full disk, a quota: matplotlib
            and PIL raise OSError without a file name).
    """
    try:
        write(path)
    except OSError as exc:
        if not atomic:
            path.unlink(missing_ok=True)
        raise EffbenchError(
            f"{path}: cannot write: {exc.strerror or exc}: make room (or fix the folder), then re-run the same command"
        ) from None
