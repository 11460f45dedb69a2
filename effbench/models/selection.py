"""Verified selection (``--strategy select``, issue 15 item 1).

What a deployed system can do without the oracle behind eff@k.

eff@k is the expected efficiency of the *best* of k samples, which only an oracle that has scored
every sample on the hidden levels knows. A deployed system can instead run each of its k samples
on the problem's *visible* examples (the ``>>>`` examples of the prompt, which the model saw;
never a hidden level), measure their cost there with the same meter, and submit the fastest one
that passes. ``sel@k`` is the efficiency of that submission on the hidden levels.

The selection rule, a total order of the n samples (best first):

1. samples that pass every visible example, by their summed cost on the examples (the meter's
   unit), ties by sample index;
2. then the others, by sample index (with none passing, the system submits its first sample).

Sample indices carry no information (samples are exchangeable), so the tie-break is a fixed
random choice. The submission of a k-subset is its first sample in this order. With the samples
written worst first by the order, sample i (from 1) is submitted by exactly the subsets that hold
it and k-1 of the i-1 samples before it, so

    sel@k = sum_{i=k..n} C(i-1, k-1) / C(n, k) * e_(i)

is eff@k's estimator (:func:`effbench.scoring.eff_at_k_weights`) applied in the selection's order
instead of the efficiency's: the average over all k-subsets of the n samples, without bias. Since
the submission of a subset is one of its samples, ``sel@k <= eff@k`` for every subset, hence on
average. The selection's own cost (the visible runs' instructions and seconds) is recorded per
sample in ``meta.selection`` and counted on the cost axes (:mod:`effbench.models.costs`).
"""

from __future__ import annotations

import ast
import doctest
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from effbench import codec
from effbench.engine import Evaluator, classify
from effbench.problems import Problem, TestCase
from effbench.sandboxes.base import TestRequest
from effbench.scoring import eff_at_k_weights
from effbench.verdicts import Verdict


@dataclass(frozen=True)
class VisibleExample:
    """One ``>>>`` example of a prompt: its source, the call's arguments and the answer shown."""

    source: str
    args: list
    want: Any


def visible_examples(problem: Problem) -> list[VisibleExample]:
    """The prompt's examples that are plain calls of the entry point with literal arguments and answer.

    Other examples are skipped: they cannot be run as one call and judged.

    Returns an empty list for a prompt without examples (imported sets may have none): then every
    sample "passes" at cost 0 and the selection is the first sample, a random pick.
    """
    from effbench.check import prompt_docstring

    out = []
    try:
        found = doctest.DocTestParser().get_examples(prompt_docstring(problem))
    except ValueError:  # a docstring doctest cannot parse
        return []
    for ex in found:
        try:
            node = ast.parse(ex.source.strip(), mode="eval").body
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
                continue
            if node.func.id != problem.entry_point or node.keywords:
                continue
            args = [ast.literal_eval(a) for a in node.args]
            want = ast.literal_eval(ex.want.strip())
        except (SyntaxError, ValueError, TypeError, MemoryError, RecursionError):
            continue
        out.append(VisibleExample(ex.source.strip(), args, want))
    return out


@dataclass(frozen=True)
class SelectionRun:
    """A sample's run on the visible examples (stored as ``meta.selection``).

    ``passed``: it passed every example; ``cost``: its measured cost summed over the examples run
    (the meter's ``unit``: instructions, or ns for the time meter), the figure the selection
    ranks by and what the selection spends; ``seconds``: their wall time; ``examples``: examples
    run (it stops at the first failure); ``failed``: which example failed and how, or None.
    """

    passed: bool
    cost: float
    unit: str
    seconds: float
    examples: int
    failed: str | None = None

    def to_meta(self) -> dict[str, Any]:
        """The plain-data form stored in a record's meta."""
        return asdict(self)


def measure_visible(evaluator: Evaluator, problem: Problem, code: str | None) -> SelectionRun:
    """Run ``code`` on the problem's visible examples in the evaluator's sandbox.

    With the evaluator's meter and a candidate's limits, judged on the host like any test
    (:func:`effbench.engine.classify`).

    A sample without code fails at no cost. Raises what the evaluator raises while profiling the
    expert (the limits follow from its profile).
    """
    unit = evaluator.meter.unit
    if code is None:
        return SelectionRun(False, 0.0, unit, 0.0, 0, "no code")
    examples = visible_examples(problem)
    limits = evaluator.candidate_limits(evaluator.profile(problem))
    cost = seconds = 0.0
    for i, ex in enumerate(examples):
        request = TestRequest(
            problem.runnable(code), problem.entry_point, codec.encode_args(ex.args), limits, evaluator.meter.repeats
        )
        run = evaluator.sandbox.run(request)
        cost += run.cost.value if run.cost is not None else 0.0
        seconds += run.wall_seconds
        test = TestCase(f"V.{i}", 0, ex.args, ex.want, True)
        verdict, _, etype, detail = classify(run, test, ex.want, problem, limits)
        if verdict != Verdict.OK:
            what = f"{verdict.value}{f' ({etype})' if etype else ''}"
            return SelectionRun(False, cost, unit, seconds, i + 1, f"{ex.source}: {what} {detail}"[:300])
    return SelectionRun(True, cost, unit, seconds, len(examples))


def selection_order(passed: Sequence[bool], costs: Sequence[float]) -> list[int]:
    """Sample positions best first by the selection rule (module docstring)."""
    n = len(passed)
    return sorted(range(n), key=lambda i: (0, costs[i], i) if passed[i] else (1, 0.0, i))


def sel_at_k(effs: Sequence[float], passed: Sequence[bool], costs: Sequence[float], k: int) -> float:
    """Unbiased estimate over k-subsets of the n samples of the efficiency of the selected sample.

    Args:
        effs: each sample's efficiency on the hidden levels.
        passed: whether each passed every visible example.
        costs: each one's summed cost on the visible examples (the meter's unit).
        k: samples per subset, ``1 <= k <= n`` (EffbenchError otherwise).
    """
    order = selection_order(passed, costs)
    worst_first = np.asarray([effs[i] for i in reversed(order)], dtype=float)
    return float(np.dot(eff_at_k_weights(len(worst_first), k), worst_first))


def sel_at_ks(
    effs: Sequence[float], passed: Sequence[bool], costs: Sequence[float], ks: Sequence[int]
) -> dict[int, float]:
    """:func:`sel_at_k` for several k: ``{k: sel@k}``."""
    return {k: sel_at_k(effs, passed, costs, k) for k in ks}


def selection_of(meta: dict[str, Any]) -> tuple[bool, float, float] | None:
    """(passed, cost, seconds) of a record's ``meta.selection``, or None when it has none."""
    sel = meta.get("selection")
    if not isinstance(sel, dict):
        return None
    return bool(sel.get("passed")), float(sel.get("cost") or 0.0), float(sel.get("seconds") or 0.0)


def measure_selection(run: Any, samples: Sequence[Any], problems: dict[str, Problem]) -> None:
    """Measure every sample not yet scored by ``run`` on its problem's visible examples.

    ``run`` is an :class:`effbench.run.EvaluationRun`. Each outcome is stored in the sample's
    ``meta.selection``, in parallel over the run's workers, with a progress bar. A problem whose
    expert cannot be profiled is left unmeasured (the run skips it, and says why).
    """
    from concurrent.futures import ThreadPoolExecutor

    from effbench.errors import ProblemError
    from effbench.progress import progress_bar

    evaluator = run.evaluator
    todo = [s for s in samples if not run.is_done(s)]

    def one(sample: Any) -> None:
        try:
            got = measure_visible(evaluator, problems[sample.problem_id], sample.code)
        except ProblemError:
            return
        sample.meta["selection"] = got.to_meta()

    bar = progress_bar(len(todo), "visible examples (selection)", "sample", bool(run.progress))
    with bar, ThreadPoolExecutor(max_workers=max(1, run.workers)) as pool:
        for _ in pool.map(one, todo):
            bar.update(1)


def selection_summary(records: Sequence[Any], ks: Sequence[int], alpha: float) -> dict[str, Any] | None:
    """sel@k beside eff@k per model, overall (mean over problems) and per problem.

    With the selection's cost per sample (the meter's unit, and seconds). ``ks`` larger than a
    problem's n are left out there; overall holds a k only when every problem has it.

    Returns:
        ``{model: {"overall": ..., "unit": ..., "problems": {pid: ...}}}``, or None when no
        record was measured on the visible examples.
    """
    from collections import defaultdict

    from effbench.scoring import eff_at_ks
    from effbench.summary import rescore

    grouped: dict[str, dict[str, list[Any]]] = defaultdict(lambda: defaultdict(list))
    for r in records:
        if selection_of(r.meta or {}) is not None and r.verdict != Verdict.INFRA:
            grouped[r.model][r.problem_id].append(r)
    if not grouped:
        return None
    out: dict[str, Any] = {}
    for model, problems in grouped.items():
        per_problem: dict[str, Any] = {}
        for pid, recs in sorted(problems.items()):
            recs = sorted(recs, key=lambda r: r.sample_index)
            effs = [rescore(r, alpha)[0] for r in recs]
            facts = [selection_of(r.meta) for r in recs]
            passed = [f[0] for f in facts]  # type: ignore[index]
            costs = [f[1] for f in facts]  # type: ignore[index]
            usable = [k for k in ks if k <= len(recs)]
            per_problem[pid] = {
                "n": len(recs),
                "visible_passed": sum(passed),
                "eff@k": {str(k): v for k, v in eff_at_ks(effs, usable).items()},
                "sel@k": {str(k): v for k, v in sel_at_ks(effs, passed, costs, usable).items()},
                "selection_cost_per_sample": sum(costs) / len(costs),
                "selection_seconds_per_sample": sum(f[2] for f in facts) / len(facts),  # type: ignore[index]
            }
        overall: dict[str, Any] = {"eff@k": {}, "sel@k": {}}
        for k in ks:
            rows = [p for p in per_problem.values() if str(k) in p["sel@k"]]
            if len(rows) == len(per_problem):
                for key in ("eff@k", "sel@k"):
                    overall[key][str(k)] = sum(p[key][str(k)] for p in rows) / len(rows)
        overall["selection_cost_per_sample"] = sum(p["selection_cost_per_sample"] for p in per_problem.values()) / len(
            per_problem
        )
        unit = next(iter(next(iter(problems.values())))).unit
        out[model] = {"overall": overall, "unit": unit, "problems": per_problem}
    return out


def render_selection(summary: dict[str, Any]) -> str:
    """The terminal table of a :func:`selection_summary`.

    Per model and k, eff@k (oracle) and sel@k (verified selection), and what the selection costs
    per sample.
    """
    lines = ["verified selection: sel@k (fastest sample passing the visible examples) beside eff@k (oracle best)"]
    for model, data in summary.items():
        o = data["overall"]
        cells = [f"k={k}: eff {o['eff@k'][k]:.3f} sel {o['sel@k'][k]:.3f}" for k in o["sel@k"]]
        lines.append(f"{model}: " + "; ".join(cells))
        cost = o["selection_cost_per_sample"]
        lines.append(f"  selection cost: {cost:.4g} {data['unit']} per sample (visible examples)")
    return "\n".join(lines)
