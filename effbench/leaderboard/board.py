"""Tables of comparable rows, ranked, and the JSON document every output is rendered from.

Figures are over the problems every row of a table has; each table carries intervals, paired
tests between adjacent rows and Bradley-Terry ratings.
"""

from __future__ import annotations

import re
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from effbench.errors import EffbenchError
from effbench.leaderboard import stats
from effbench.leaderboard.data import (
    Comparability,
    Entry,
    LoadedRun,
    RunError,
    entries_of_run,
    load_runs,
    problem_categories,
)

SCHEMA = "effbench-leaderboard"
#: bump when a field of leaderboard.json changes meaning or disappears
SCHEMA_VERSION = 1


@dataclass(frozen=True)
class Settings:
    """How intervals, tests and ratings are computed (all recorded in leaderboard.json)."""

    seed: int = 0
    bootstrap_resamples: int = 2000
    permutation_resamples: int = 9999
    confidence: float = 0.95
    significance: float = 0.05
    allow_mixed: bool = False
    #: rank runs that have not finished (no summary.json) as they are, labelled "(unfinished)"
    include_unfinished: bool = False

    def describe(self) -> dict:
        """The settings and the methods they drive, as recorded in leaderboard.json."""
        return {
            "seed": self.seed,
            "bootstrap_resamples": self.bootstrap_resamples,
            "permutation_resamples": self.permutation_resamples,
            "confidence": self.confidence,
            "significance_level": self.significance,
            "allow_mixed": self.allow_mixed,
            "include_unfinished": self.include_unfinished,
            "interval_method": "percentile bootstrap over problems (scipy.stats.bootstrap, problems resampled "
            "with replacement, numpy default_rng(seed))",
            "paired_test": "two-sided paired permutation (sign-flip) test of the mean per-problem eff@1 "
            "difference between adjacent rows (scipy.stats.permutation_test, permutation_type='samples'; "
            "exact when 2^problems <= permutation_resamples)",
            "ratings": "Bradley-Terry from per-problem eff@1 comparisons (a win to the higher, ties within "
            "1e-4 split), MAP under a N(0, 1) prior on log-strengths (Newton's method, exact gradient and Hessian), "
            "Elo scale 1000 + 400*theta/ln(10), percentile bootstrap over problems with "
            "min(bootstrap_resamples, max(200, 2e9 // rows^3)) resamples (each table's rating_resamples)",
        }


@dataclass
class Table:
    """Rows ranked together, with the JSON section that describes them."""

    id: str
    key: Comparability
    entries: list[Entry]
    problems: list[str]
    mixed: bool
    differences: list[str]
    doc: dict = field(default_factory=dict)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "row"


def _mean(values: Sequence[float]) -> float:
    return float(np.mean(values)) if len(values) else 0.0


def _group(runs: list[LoadedRun], allow_mixed: bool) -> list[tuple[list[LoadedRun], bool, list[str]]]:
    """Runs grouped by comparability key; with ``allow_mixed`` one group, marked mixed when keys differ."""
    keys: dict[Comparability, list[LoadedRun]] = {}
    for run in runs:
        keys.setdefault(run.key, []).append(run)
    first = runs[0].key
    if allow_mixed:
        diffs = sorted({d for k in keys for d in first.differences(k)})
        return [(runs, len(keys) > 1, diffs)]
    groups = []
    for key, members in keys.items():
        diffs = [] if key == first else first.differences(key)
        groups.append((members, False, diffs))
    return groups


def _unique_labels(entries: list[Entry]) -> None:
    counts: dict[str, int] = defaultdict(int)
    for e in entries:
        counts[e.label] += 1
    for e in entries:
        if counts[e.label] > 1:
            e.label = f"{e.label} [{e.run.path.name}]"


def _row_figures(entry: Entry, problems: list[str], k_shared: int) -> dict:
    from effbench.scoring import geometric_mean

    probs = [entry.problems[p] for p in problems]
    n_values = [p.n for p in probs]
    n_min = min(n_values)
    eff_curve = {k: _mean([p.eff_at[k] for p in probs]) for k in range(1, n_min + 1)}
    usd = [p.usd for p in probs]
    return {
        "n_min": n_min,
        "n_max": max(n_values),
        "pass@1": _mean([p.pass_at[1] for p in probs]),
        "eff@1": eff_curve[1],
        "eff@k_shared": eff_curve[k_shared],
        "eff@k": {str(k): v for k, v in eff_curve.items()},
        "pass@k": {str(k): _mean([p.pass_at[k] for p in probs]) for k in range(1, n_min + 1)},
        "speedup": geometric_mean([p.speedup for p in probs if p.speedup]),
        "tokens_per_problem": _mean([p.tokens for p in probs]),
        "usd_per_problem": None if any(u is None for u in usd) else _mean(usd),  # type: ignore[arg-type]
    }


def _problem_doc(entry: Entry, pid: str) -> dict:
    p = entry.problems[pid]
    best = p.best
    return {
        "category": p.category,
        "n": p.n,
        "pass@1": p.pass_at[1],
        "eff@1": p.eff_at[1],
        "eff@k": {str(k): v for k, v in p.eff_at.items()},
        "speedup": p.speedup,
        "verdicts": dict(sorted(p.verdicts.items())),
        "error_types": p.error_types,
        "tokens": p.tokens,
        "usd": p.usd,
        "reference_level_costs": p.reference_level_costs,
        "weights": p.weights,
        "best_sample": best.index,
        "samples": [
            {
                "index": s.index,
                "efficiency": s.efficiency,
                "passed": s.passed,
                "verdict": s.verdict,
                "tier": s.tier,
                "round": s.round,
                "level_costs": s.level_costs,
            }
            for s in p.samples
        ],
    }


def _run_doc(run: LoadedRun) -> dict:
    return {
        "path": str(run.path),
        "seed": run.seed,
        "created": run.config.get("created"),
        "meter": run.key.meter,
        "problem_set": run.key.problem_set,
        "environment": run.key.environment,
        "alpha": run.key.alpha,
        "sandbox": run.config.get("sandbox"),
    }


def rank_table(table: Table, settings: Settings) -> dict:
    """Rank ``table.entries`` and fill ``table.doc`` (also returned).

    Rows are sorted by eff@1, then pass@1, label and run path; the document gets intervals,
    adjacent paired tests and Bradley-Terry ratings.
    """
    problems = table.problems
    k_shared = min(min(e.problems[p].n for p in problems) for e in table.entries)
    rows = []
    for e in table.entries:
        rows.append((e, _row_figures(e, problems, k_shared)))
    rows.sort(key=lambda t: (-round(t[1]["eff@1"], 12), -round(t[1]["pass@1"], 12), t[0].label, str(t[0].run.path)))
    table.entries = [e for e, _ in rows]
    eff1 = np.array([[e.problems[p].eff_at[1] for e in table.entries] for p in problems])  # (P, R)
    pass1 = np.array([[e.problems[p].pass_at[1] for e in table.entries] for p in problems])
    ratings, rating_cis = stats.bradley_terry_intervals(eff1, settings.seed, settings.bootstrap_resamples)
    rating_rank = {int(i): r + 1 for r, i in enumerate(np.argsort(-ratings, kind="stable"))}
    out_rows = []
    for i, (e, fig) in enumerate(rows):
        ci_eff = stats.bootstrap_mean(eff1[:, i], settings.seed, settings.bootstrap_resamples, settings.confidence)
        ci_pass = stats.bootstrap_mean(pass1[:, i], settings.seed, settings.bootstrap_resamples, settings.confidence)
        out_rows.append(
            {
                "rank": i + 1,
                "slug": e.slug,
                "label": e.label,
                "model": e.model,
                "strategy": e.strategy,
                "round": e.round,
                "run": str(e.run.path),
                "seed": e.run.seed,
                "meter": e.run.key.meter,
                "environment": e.run.key.environment,
                "problem_set": e.run.key.problem_set,
                "alpha": e.run.key.alpha,
                **fig,
                "pass@1_ci": ci_pass.to_json() if ci_pass else None,
                "eff@1_ci": ci_eff.to_json() if ci_eff else None,
                "rating": float(ratings[i]),
                "rating_ci": rating_cis[i].to_json() if rating_cis else None,
                "rating_rank": rating_rank[i],
                "infra_failures": e.infra_failures,
                "excluded_problems": sorted(set(e.problems) - set(problems)),
                "mixed": table.mixed,
                "problems": {pid: _problem_doc(e, pid) for pid in problems},
            }
        )
    comparisons = []
    for i in range(len(out_rows) - 1):
        p = stats.paired_permutation_test(eff1[:, i], eff1[:, i + 1], settings.seed, settings.permutation_resamples)
        comparisons.append(
            {
                "higher": out_rows[i]["slug"],
                "lower": out_rows[i + 1]["slug"],
                "mean_difference": float(np.mean(eff1[:, i] - eff1[:, i + 1])),
                "p_value": p,
                "significant": bool(p < settings.significance),
            }
        )
    seeds = [r["seed"] for r in out_rows]
    runs = {str(e.run.path): e.run for e in table.entries}
    categories = {pid: table.entries[0].problems[pid].category for pid in problems}
    table.doc = {
        "id": table.id,
        "comparability": table.key.describe() if not table.mixed else None,
        "mixed": table.mixed,
        "differences": table.differences,
        "runs": [_run_doc(r) for _, r in sorted(runs.items())],
        "problems": problems,
        "categories": categories,
        "k_shared": k_shared,
        "seeds_shared": len(set(seeds)) == 1 and seeds[0] is not None,
        "rows": out_rows,
        "comparisons": comparisons,
        "rating_resamples": stats.rating_resamples(len(out_rows), settings.bootstrap_resamples)
        if len(problems) >= 2 and len(out_rows) >= 2
        else 0,
        "order_disagreements": [r["slug"] for r in out_rows if r["rating_rank"] != r["rank"]],
        "plots": {},
    }
    return table.doc


def build_tables(
    runs: list[LoadedRun], settings: Settings, problems_dir: str | None = None
) -> tuple[list[Table], list[RunError]]:
    """Rows of every run, grouped into comparable tables and ranked.

    Rows of a table are compared on the problems all of them have; a table whose rows share no
    problem is reported as an error.
    """
    known = problem_categories(problems_dir)
    tables: list[Table] = []
    errors: list[RunError] = []
    slugs: set[str] = set()
    for n, (members, mixed, diffs) in enumerate(_group(runs, settings.allow_mixed), 1):
        entries: list[Entry] = []
        for run in members:
            cats = {pid: c for pid, (name, c) in known.items() if name == run.config.get("problem_set")}
            entries += entries_of_run(run, cats)
        if not entries:
            errors.append(RunError(", ".join(str(r.path) for r in members), "no scored samples"))
            continue
        _unique_labels(entries)
        for e in entries:
            base = slug = _slug(e.label)
            i = 2
            while slug in slugs:
                slug, i = f"{base}-{i}", i + 1
            slugs.add(slug)
            e.slug = slug
        common = sorted(set.intersection(*(set(e.problems) for e in entries)))
        if not common:
            errors.append(
                RunError(
                    ", ".join(str(r.path) for r in members),
                    "the rows share no problem: "
                    + "; ".join(f"{e.label}: {', '.join(sorted(e.problems))}" for e in entries),
                )
            )
            continue
        table = Table(f"table-{n}", members[0].key, entries, common, mixed, diffs)
        rank_table(table, settings)
        tables.append(table)
    return tables, errors


def build_document(tables: list[Table], errors: list[RunError], settings: Settings) -> dict:
    """The leaderboard.json document (schema ``effbench-leaderboard`` version 1)."""
    from effbench import __version__

    return {
        "schema": SCHEMA,
        "schema_version": SCHEMA_VERSION,
        "effbench_version": __version__,
        "generated_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "settings": settings.describe(),
        "mixed": any(t.mixed for t in tables),
        "errors": [{"path": e.path, "error": e.error} for e in errors],
        "tables": [t.doc for t in tables],
    }


def build(run_dirs: Sequence[Path], settings: Settings, problems_dir: str | None = None) -> tuple[list[Table], dict]:
    """Read, group and rank.

    Raises EffbenchError (exit 2) when no run directory is usable; the
    message names each directory and why.
    """
    runs, errors = load_runs(list(run_dirs), settings.include_unfinished)
    if not runs:
        raise EffbenchError("no usable run directory: " + "; ".join(e.error for e in errors))
    tables, table_errors = build_tables(runs, settings, problems_dir)
    errors += table_errors
    if not tables:
        raise EffbenchError("nothing to rank: " + "; ".join(e.error for e in errors))
    return tables, build_document(tables, errors, settings)
