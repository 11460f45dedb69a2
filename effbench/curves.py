"""Cost-vs-efficiency curves from run directories, with the Pareto front across models and
strategies. From N parallel samples, every k <= N is a point (k samples cost k times the mean
sample); a refinement chain gives one point per round (cost so far, best efficiency so far)."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path

from effbench.engine import INFRA, SampleRecord
from effbench.errors import EffbenchError
from effbench.rundir import RunDir
from effbench.summary import rescore, summarize


@dataclass
class Point:
    series: str
    label: str
    cost: float
    tokens: float
    usd: float | None
    pass_rate: float
    eff: float
    pareto: bool = False


def _usage(record: SampleRecord) -> tuple[float, float | None]:
    usage = record.meta.get("usage") or {}
    tokens = float(usage.get("prompt_tokens", 0.0)) + float(usage.get("completion_tokens", 0.0))
    return tokens, usage.get("cost_usd")


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def parallel_points(series: str, records: list[SampleRecord], alpha: float) -> list[Point]:
    by_problem: dict[str, list[SampleRecord]] = defaultdict(list)
    for r in records:
        by_problem[r.problem_id].append(r)
    n = min(len(v) for v in by_problem.values())
    summary = summarize(records, list(range(1, n + 1)), alpha, alpha)["models"][records[0].model]
    per_sample_tokens = _mean([_mean([_usage(r)[0] for r in v]) for v in by_problem.values()])
    usd_values = [_usage(r)[1] for r in records]
    per_sample_usd = None
    if all(u is not None for u in usd_values):
        per_sample_usd = _mean([_mean([_usage(r)[1] for r in v]) for v in by_problem.values()])  # type: ignore[misc]
    points = []
    for k in range(1, n + 1):
        points.append(
            Point(
                series,
                f"k={k}",
                0.0,
                k * per_sample_tokens,
                None if per_sample_usd is None else k * per_sample_usd,
                summary["overall"]["pass@k"][str(k)],
                summary["overall"]["eff@k"][str(k)],
            )
        )
    return points


def refine_points(series: str, rounds: dict[int, list[SampleRecord]], alpha: float) -> list[Point]:
    chains: dict[tuple[str, int], dict[int, SampleRecord]] = defaultdict(dict)
    for r, recs in rounds.items():
        for rec in recs:
            chains[(rec.problem_id, rec.sample_index)][r] = rec
    points = []
    for r in sorted(rounds):
        per_problem: dict[str, list[tuple[float, bool, float, float | None]]] = defaultdict(list)
        for (pid, _c), chain in chains.items():
            upto = [chain[j] for j in sorted(chain) if j <= r]
            scored = [rescore(x, alpha) for x in upto]
            tokens = sum(_usage(x)[0] for x in upto)
            usds = [_usage(x)[1] for x in upto]
            usd = None if any(u is None for u in usds) else sum(usds)  # type: ignore[arg-type]
            per_problem[pid].append((max(e for e, _ in scored), any(p for _, p in scored), tokens, usd))
        effs = [_mean([c[0] for c in v]) for v in per_problem.values()]
        passes = [_mean([float(c[1]) for c in v]) for v in per_problem.values()]
        tokens = _mean([_mean([c[2] for c in v]) for v in per_problem.values()])
        usd_known = all(c[3] is not None for v in per_problem.values() for c in v)
        usd = _mean([_mean([c[3] for c in v]) for v in per_problem.values()]) if usd_known else None  # type: ignore[misc]
        points.append(Point(series, f"round {r + 1}", 0.0, tokens, usd, _mean(passes), _mean(effs)))
    return points


def mark_pareto(points: list[Point]) -> None:
    best = float("-inf")
    for p in sorted(points, key=lambda p: (p.cost, -p.eff)):
        if p.eff > best + 1e-12:
            p.pareto = True
            best = p.eff


def collect(run_dirs: list[Path]) -> tuple[list[Point], str]:
    series: list[Point] = []
    for path in run_dirs:
        rd = RunDir(path)
        if not rd.exists:
            raise EffbenchError(f"{path}: not a run directory (no config.json)")
        alpha = rd.config()["alpha"]
        groups: dict[str, list[SampleRecord]] = defaultdict(list)
        for rec in rd.records():
            if rec.verdict != INFRA:
                groups[rec.model].append(rec)
        refine: dict[str, dict[int, list[SampleRecord]]] = defaultdict(dict)
        for label, recs in groups.items():
            if "+refine:r" in label:
                name, _, r = label.partition("+refine:r")
                refine[name][int(r)] = recs
            elif any("usage" in r.meta for r in recs):
                series += parallel_points(f"{label} (parallel)", recs, alpha)
        for name, rounds in refine.items():
            series += refine_points(f"{name} (refine)", rounds, alpha)
    if not series:
        raise EffbenchError("no model samples with token usage in these run directories (curves need model runs)")
    unit = "usd" if all(p.usd is not None for p in series) and any(p.usd for p in series) else "tokens"
    for p in series:
        p.cost = p.usd if unit == "usd" else p.tokens  # type: ignore[assignment]
    mark_pareto(series)
    return series, unit


def write_curves(run_dirs: list[Path], out_dir: Path) -> dict[str, Path]:
    points, unit = collect(run_dirs)
    out_dir.mkdir(parents=True, exist_ok=True)
    data = {"cost_unit": unit, "points": [asdict(p) for p in points]}
    (out_dir / "curves.json").write_text(json.dumps(data, indent=2) + "\n")

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 5), dpi=120)
    by_series: dict[str, list[Point]] = defaultdict(list)
    for p in points:
        by_series[p.series].append(p)
    for name, pts in by_series.items():
        pts = sorted(pts, key=lambda p: p.cost)
        ax.plot([p.cost for p in pts], [p.eff for p in pts], marker="o", label=name)
        for p in pts:
            ax.annotate(p.label, (p.cost, p.eff), textcoords="offset points", xytext=(4, 4), fontsize=7)
    front = sorted((p for p in points if p.pareto), key=lambda p: p.cost)
    ax.step(
        [p.cost for p in front],
        [p.eff for p in front],
        where="post",
        linestyle="--",
        color="black",
        linewidth=1,
        label="Pareto front",
    )
    ax.scatter([p.cost for p in front], [p.eff for p in front], s=90, facecolors="none", edgecolors="black")
    ax.set_xlabel("mean cost per problem (" + ("USD" if unit == "usd" else "tokens") + ")")
    ax.set_ylabel("eff@k (refine: best so far)")
    ax.set_title("Efficiency against test-time cost")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    outputs = {"json": out_dir / "curves.json", "png": out_dir / "curves.png", "svg": out_dir / "curves.svg"}
    fig.savefig(outputs["png"])
    fig.savefig(outputs["svg"])
    plt.close(fig)
    return outputs
