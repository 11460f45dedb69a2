"""Leaderboard plots (matplotlib, PNG and SVG).

eff@k against k, eff against mean cost per problem with the Pareto front (the points and front of
:mod:`effbench.curves`), a per-category heat map of eff@1, and each problem's distribution of
sample efficiencies.

A plot with one series (or one line of labels) per row draws at most :data:`PLOT_ROWS` rows: the
first by rank (eff@1); its caption says how many were drawn and that the rest are in
``leaderboard.md`` and ``leaderboard.json`` (``plots[name]["rows_drawn"]`` and ``["rows_total"]``).
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import numpy as np

from effbench.leaderboard.board import Table
from effbench.leaderboard.data import REFERENCE, Entry, is_infra

#: the most rows a per-row plot draws (the top ones by eff@1); hundreds of lines or labels are
#: unreadable and slow to draw
PLOT_ROWS = 30


def _drawn_rows(table: Table) -> list[dict]:
    """The rows a per-row plot draws: the first :data:`PLOT_ROWS` by rank."""
    return table.doc["rows"][:PLOT_ROWS]


def _drawn_note(table: Table) -> str:
    """The caption's words on the rows left out of a per-row plot ('' when none is)."""
    total = len(table.doc["rows"])
    if total <= PLOT_ROWS:
        return ""
    return (
        f" Drawn: the top {PLOT_ROWS} of {total} rows by eff@1 (ranks 1-{PLOT_ROWS}); the other "
        f"{total - PLOT_ROWS} (ranks {PLOT_ROWS + 1}-{total}) are in leaderboard.md and leaderboard.json."
    )


def _pyplot():  # noqa: ANN202 - matplotlib.pyplot, headless
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig, out_dir: Path, name: str) -> dict[str, str]:  # noqa: ANN001
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {}
    for ext in ("png", "svg"):
        path = out_dir / f"{name}.{ext}"
        fig.savefig(path, **({"dpi": 110} if ext == "png" else {}), metadata=None if ext == "png" else {"Date": None})
        paths[ext] = f"{out_dir.name}/{path.name}"
    _pyplot().close(fig)
    return paths


def plot_eff_at_k(table: Table, out_dir: Path) -> dict[str, str]:
    """eff@k (mean over the table's problems) against k, one line per row."""
    from matplotlib.ticker import MaxNLocator

    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 4.2))
    k_max = 1
    for row in _drawn_rows(table):
        ks = sorted(int(k) for k in row["eff@k"])
        k_max = max(k_max, ks[-1])
        ax.plot(ks, [row["eff@k"][str(k)] for k in ks], marker="o", label=row["label"])
    # k counts samples: no 1.2, 1.4, ...; the locator keeps whole numbers only when it finds at
    # least two in view, so half a step of margin each side (and every k when there are few)
    ax.set_xlim(0.5, k_max + 0.5)
    if k_max <= 10:
        ax.set_xticks(range(1, k_max + 1))
    else:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("k (samples per problem)")
    ax.set_ylabel("eff@k (mean over problems)")
    ax.set_ylim(bottom=0)
    n = len(table.problems)
    ax.set_title(f"eff@k against k ({n} problem{'s' * (n != 1)})")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="best")
    fig.tight_layout()
    return _save(fig, out_dir, f"{table.id}-eff-at-k")


def _restricted(entry: Entry, problems: set[str]) -> list:
    return [r for r in entry.run.records if r.problem_id in problems and not is_infra(r)]


def _cost_points(table: Table) -> list:
    """The cost-vs-efficiency points of the table's model rows (``effbench.curves.Point``)."""
    from effbench import curves
    from effbench.leaderboard.data import row_key

    problems = set(table.problems)
    points: list[curves.Point] = []
    refine_seen: set[tuple[str, str]] = set()
    drawn = {row["slug"] for row in _drawn_rows(table)}
    for e in table.entries:
        if e.slug not in drawn:
            continue
        if e.strategy == "parallel":
            recs = [r for r in _restricted(e, problems) if row_key(r)[:2] == (e.model, e.strategy)]
            if recs and any("usage" in (r.meta or {}) for r in recs):
                points += curves.parallel_points(f"{e.label} (parallel)", recs, e.run.alpha)
        elif e.strategy == "refine" and (e.model, str(e.run.path)) not in refine_seen:
            refine_seen.add((e.model, str(e.run.path)))
            rounds: dict[int, list] = defaultdict(list)
            for r in _restricted(e, problems):
                m, s, rnd = row_key(r)
                if (m, s) == (e.model, "refine"):
                    rounds[rnd or 0].append(r)
            if rounds:
                points += curves.refine_points(f"{e.model} (refine)", dict(rounds), e.run.alpha)
    return points


def plot_cost(table: Table, out_dir: Path) -> tuple[dict[str, str] | None, str]:
    """Plot eff against mean cost per problem; returns (paths or None, a caption).

    Model rows only (parallel: a point per k; refine: a point per round), with the Pareto front
    across them (``effbench.curves``); reference rows as horizontal lines (they cost no tokens).
    """
    from effbench import curves

    points = _cost_points(table)
    if not points:
        return None, "No row has token usage (model runs record it), so there is no cost axis to plot."
    unit = "usd" if all(p.usd is not None for p in points) and any(p.usd for p in points) else "tokens"
    for p in points:
        p.cost = p.usd if unit == "usd" else p.tokens  # type: ignore[assignment]
    curves.mark_pareto(points)
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7.5, 4.6))
    for name, pts in curves.series_by_cost(points).items():
        ax.plot([p.cost for p in pts], [p.eff for p in pts], marker="o", label=name)
    curves.draw_pareto_front(ax, points, "Pareto front")
    for row in _drawn_rows(table):
        if row["strategy"] == REFERENCE:
            ax.axhline(row["eff@1"], color="grey", lw=0.8, ls=":")
            ax.annotate(
                f"{row['label']} (reference)",
                (0, row["eff@1"]),
                xycoords=("axes fraction", "data"),
                xytext=(2, 2),
                textcoords="offset points",
                fontsize=7,
                color="grey",
            )
    ax.set_xlabel("mean cost per problem (" + ("USD" if unit == "usd" else "tokens") + ")")
    ax.set_ylabel("eff@k (refine: best so far)")
    ax.set_ylim(bottom=0)
    ax.set_title("Efficiency against test-time cost")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="best")
    fig.tight_layout()
    if unit == "usd":
        why = "every model has a price"
    else:
        why = "at least one model has no price" if any(p.usd is None for p in points) else "every price is 0"
    caption = (
        f"Cost in {'USD' if unit == 'usd' else 'tokens'} ({why}). Parallel sampling: a point per k "
        "(k samples cost k times the mean sample); refinement: a point per round (cumulative cost, best so "
        "far). Dashed: the Pareto front. Dotted: reference rows (no tokens)."
    )
    for note in curves.flat_notes(points, unit):  # a flat or empty plot says why
        caption += f" Note: {note}."
    caption += _drawn_note(table)
    return _save(fig, out_dir, f"{table.id}-cost"), caption


def plot_heatmap(table: Table, out_dir: Path) -> dict[str, str]:
    """Mean eff@1 per category (columns) and row (rows)."""
    plt = _pyplot()
    cats = sorted(set(table.doc["categories"].values()))
    rows = _drawn_rows(table)
    grid = np.full((len(rows), len(cats)), np.nan)
    for i, row in enumerate(rows):
        for j, cat in enumerate(cats):
            vals = [p["eff@1"] for pid, p in row["problems"].items() if table.doc["categories"][pid] == cat]
            if vals:
                grid[i, j] = float(np.mean(vals))
    # at least 3.6 in wide: the first category's label, rotated, runs left of its column by most
    # of its length, and tight_layout can only make room for it inside the figure
    fig, ax = plt.subplots(figsize=(max(3.6, 1.2 + 0.9 * len(cats)), 1.0 + 0.45 * len(rows)))
    im = ax.imshow(
        grid, cmap="viridis", vmin=0, vmax=max(1.0, float(np.nanmax(grid)) if grid.size else 1.0), aspect="auto"
    )
    ax.set_xticks(range(len(cats)), [c.replace("_", " ") for c in cats], rotation=35, ha="right", fontsize=8)
    ax.set_yticks(range(len(rows)), [r["label"] for r in rows], fontsize=8)
    for i in range(len(rows)):
        for j in range(len(cats)):
            if not np.isnan(grid[i, j]):
                ax.text(
                    j,
                    i,
                    f"{grid[i, j]:.2f}",
                    ha="center",
                    va="center",
                    fontsize=7,
                    color="white" if grid[i, j] < 0.6 else "black",
                )
    fig.colorbar(im, ax=ax, label="eff@1")
    ax.set_title("eff@1 per category")
    fig.tight_layout()
    return _save(fig, out_dir, f"{table.id}-categories")


def plot_distributions(table: Table, out_dir: Path) -> dict[str, str]:
    """Per problem, each row's sample efficiencies as points (jittered vertically)."""
    plt = _pyplot()
    rows = _drawn_rows(table)
    problems = table.problems
    ncols = min(4, len(problems))
    nrows = -(-len(problems) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.4 * ncols, 0.5 + (0.9 + 0.22 * len(rows)) * nrows), squeeze=False)
    rng = np.random.default_rng(0)
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for ax, pid in zip(axes.flat, problems):
        for i, row in enumerate(rows):
            effs = [s["efficiency"] for s in row["problems"][pid]["samples"]]
            y = i + rng.uniform(-0.18, 0.18, len(effs))
            ax.scatter(effs, y, s=12, color=colors[i % len(colors)], alpha=0.8)
        ax.set_title(pid, fontsize=8)
        ax.set_yticks(range(len(rows)), [r["label"] for r in rows] if ax in axes[:, 0] else [], fontsize=7)
        ax.set_ylim(len(rows) - 0.5, -0.5)
        ax.tick_params(axis="x", labelsize=7)
        ax.grid(axis="x", alpha=0.3)
    for ax in list(axes.flat)[len(problems) :]:
        ax.axis("off")
    fig.suptitle("Sample efficiency per problem", fontsize=10)
    fig.tight_layout()
    return _save(fig, out_dir, f"{table.id}-problems")


def write_plots(table: Table, out_dir: Path) -> dict:
    """Write every plot of a table into ``out_dir``.

    Records their paths (relative to the output folder) in ``table.doc['plots']`` and returns it.
    Labels are drawn as plain text, never as mathtext (:func:`effbench.curves.plain_text`).
    """
    from effbench.curves import plain_text

    with plain_text():
        return _write_plots(table, out_dir)


def _write_plots(table: Table, out_dir: Path) -> dict:
    note = _drawn_note(table)
    plots: dict = {
        "eff_at_k": {
            "files": plot_eff_at_k(table, out_dir),
            "caption": "eff@k against k, mean over the table's problems." + note,
        },
    }
    cost, caption = plot_cost(table, out_dir)
    plots["cost"] = {"files": cost, "caption": caption}
    plots["categories"] = {
        "files": plot_heatmap(table, out_dir),
        "caption": "Mean eff@1 per problem category." + note,
    }
    plots["problems"] = {
        "files": plot_distributions(table, out_dir),
        "caption": "Each sample's efficiency (refinement: each chain's best so far), per problem and row." + note,
    }
    drawn, total = len(_drawn_rows(table)), len(table.doc["rows"])
    for plot in plots.values():
        plot["rows_drawn"], plot["rows_total"] = drawn, total
    table.doc["plots"] = plots
    return plots
