"""Plain-text tables of a summary, for the terminal."""

from __future__ import annotations


def _fmt(x: float | None, digits: int = 3) -> str:
    return "-" if x is None else f"{x:.{digits}f}"


def _table(rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for j, row in enumerate(rows):
        cells = [row[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(row[1:], widths[1:])]
        lines.append("  ".join(cells).rstrip())
        if j == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _verdict(verdict: str, count: int, error_types: dict | None) -> str:
    """``verdict:count``, with the error types for ``error`` (``error:3(NoCode:2,ValueError:1)``)."""
    if verdict == "error" and error_types:
        return f"error:{count}(" + ",".join(f"{t}:{n}" for t, n in error_types.items()) + ")"
    return f"{verdict}:{count}"


def render(summary: dict, per_problem: bool = True) -> str:
    """A summary (see :func:`effbench.summary.summarize`) as plain-text tables, one per model."""
    ks = summary["k"]
    header = (
        ["problem", "n", "correct"] + [f"pass@{k}" for k in ks] + [f"eff@{k}" for k in ks] + ["speedup", "verdicts"]
    )
    out = []
    for model, data in summary["models"].items():
        rows = [header]
        if per_problem:
            for pid, p in data["problems"].items():
                verdicts = ",".join(_verdict(v, c, p.get("error_types")) for v, c in sorted(p["verdicts"].items()))
                rows.append(
                    [pid, str(p["n"]), str(p["correct"])]
                    + [_fmt(p["pass@k"][str(k)]) for k in ks]
                    + [_fmt(p["eff@k"][str(k)]) for k in ks]
                    + [_fmt(p["speedup"], 2) + ("x" if p["speedup"] else ""), verdicts]
                )
        o = data["overall"]
        if o.get("problems"):
            rows.append(
                [f"OVERALL ({o['problems']} problem{'' if o['problems'] == 1 else 's'})", "", ""]
                + [_fmt(o["pass@k"][str(k)]) for k in ks]
                + [_fmt(o["eff@k"][str(k)]) for k in ks]
                + [_fmt(o["speedup"], 2) + ("x" if o["speedup"] else ""), ""]
            )
        title = f"model: {model}   (alpha = {summary['alpha']})"
        usage = o.get("usage")
        if usage:
            money = "" if usage["usd"] is None else f", ${usage['usd']:.4f} (${usage['usd_per_problem']:.4f}/problem)"
            title += (
                f"\n  spent {usage['prompt_tokens']:.0f} prompt + {usage['completion_tokens']:.0f} completion tokens "
                f"({usage['tokens_per_problem']:.0f}/problem){money}"
            )
        if o.get("infra_failures"):
            title += f"   WARNING: {o['infra_failures']} sample(s) hit infrastructure failures and are not scored"
        out.append(title + "\n" + _table(rows) + _speedup_note(data) + _load_note(o))
    return "\n\n".join(out)


def _load_note(overall: dict) -> str:
    """A line under a model's table when its figures depend on the machine's load.

    Under the time meter (costs in ``ns`` of CPU time) the expert's costs, the budget, which runs
    are censored at it, every efficiency and speedup follow how busy the machine was while each
    test ran: the same samples give other figures on a busier machine. Instruction counts
    (valgrind, perf) do not. Empty for them.
    """
    unit = overall.get("unit")
    if unit not in ("ns", "mixed"):
        return ""
    return (
        "\nload-dependent: costs are CPU times (time meter), so budgets, censoring, pass@k, eff@k and "
        "speedups follow this machine's load while the run went; compare within one run, or use "
        "--meter valgrind for exact counts"
    )


def _speedup_note(data: dict) -> str:
    """A line under a model's table when its OVERALL speedup covers only some of its problems.

    The speedup is a geometric mean over the samples that passed uncensored (a sample stopped at
    the budget has none), so the main job's slower tiers read ``OVERALL ... 0.103  0.56x`` from 2
    of their 61 problems, stopped at the budget on most of the others: read alone, the figure
    said they were about half as fast as the expert everywhere. Empty when every problem (or
    none) has a speedup.
    """
    problems = data.get("problems") or {}
    measured = sum(1 for p in problems.values() if p.get("speedup"))
    if not measured or measured == len(problems):
        return ""
    return (
        f"\nspeedup: over {measured} of {len(problems)} problems, those with a sample that passed within the "
        "budget (a sample stopped at the budget has none)"
    )
