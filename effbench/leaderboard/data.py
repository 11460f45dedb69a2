"""Leaderboard data: run directories to rows (model, strategy, refinement round).

Run directories are read through :class:`effbench.rundir.RunDir` and scored through
:func:`effbench.summary.summarize`; rows are later grouped into tables of comparable runs.

A row's per-problem figures are those of ``effbench score`` on the same records: pass@k and eff@k
as DESIGN.md defines them, at the run's own alpha. A refinement round ``r`` is scored as the best
sample of each chain up to round ``r`` (what a user who stops after ``r`` rounds gets), with the
tokens spent up to that round.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from effbench.errors import EffbenchError

#: strategy of the bundled references evaluated as models (``--references expert,slower``)
REFERENCE = "reference"
#: strategy of samples read from files (not queried by effbench)
SAMPLES = "samples"
_REFINE_LABEL = re.compile(r"^(?P<name>.*)\+refine:r(?P<round>\d+)$")
#: config keys that may hold the seed of a run's generated inputs (the results layer names it)
_SEED_KEYS = ("input_seed", "inputs_seed", "test_seed", "seed")


@dataclass(frozen=True)
class Comparability:
    """What must be equal for two runs to be ranked together (DESIGN.md "Results" and "Meters").

    ``environment`` is a short hash of the run's environment fingerprint; ``fingerprint`` keeps the
    full mapping so a difference can be named key by key.
    """

    problem_set: str
    meter: str
    environment: str
    alpha: float
    fingerprint: tuple[tuple[str, str], ...] = field(compare=False, hash=False)

    @classmethod
    def from_config(cls, config: dict) -> Comparability:
        """The key of a run's ``config.json``; raises KeyError without ``alpha``."""
        fp = config.get("fingerprint") or {}
        fp_json = json.dumps(fp, sort_keys=True, default=str)
        return cls(
            problem_set=(
                f"{config.get('problem_set', '?')} {config.get('problem_set_version', '?')} "
                f"(hash {config.get('problem_set_hash', '?')})"
            ),
            meter=str(config.get("meter", "?")),
            environment=hashlib.sha256(fp_json.encode()).hexdigest()[:12],
            alpha=float(config["alpha"]),
            fingerprint=tuple(sorted((str(k), json.dumps(v, sort_keys=True, default=str)) for k, v in fp.items())),
        )

    def differences(self, other: Comparability) -> list[str]:
        """Human-readable differences, e.g. ``["meter: valgrind vs time", "environment: python ..."]``."""
        out = []
        if self.problem_set != other.problem_set:
            out.append(f"problem set: {self.problem_set} vs {other.problem_set}")
        if self.meter != other.meter:
            out.append(f"meter: {self.meter} vs {other.meter}")
        if self.alpha != other.alpha:
            out.append(f"alpha: {self.alpha:g} vs {other.alpha:g}")
        if self.environment != other.environment:
            mine, theirs = dict(self.fingerprint), dict(other.fingerprint)
            keys = sorted(k for k in mine.keys() | theirs.keys() if mine.get(k) != theirs.get(k))
            detail = ", ".join(f"{k} {mine.get(k, '-')} vs {theirs.get(k, '-')}" for k in keys)
            out.append(f"environment fingerprint: {detail}")
        return out

    def describe(self) -> dict:
        """The key as JSON, with the full fingerprint."""
        return {
            "problem_set": self.problem_set,
            "meter": self.meter,
            "environment": self.environment,
            "alpha": self.alpha,
            "fingerprint": {k: json.loads(v) for k, v in self.fingerprint},
        }


@dataclass
class LoadedRun:
    """One usable run directory: its config, comparability key, input seed and records.

    ``finished`` is False for a run directory without ``summary.json`` (interrupted, failed or
    still running: its records are a part of its samples), loaded only when asked for
    (:func:`load_run`'s ``include_unfinished``).
    """

    path: Path
    config: dict
    key: Comparability
    seed: str | None
    records: list  # list[effbench.engine.SampleRecord]
    finished: bool = True

    @property
    def alpha(self) -> float:
        """The run's budget factor (every record is scored at it)."""
        return self.key.alpha


@dataclass(frozen=True)
class RunError:
    """A run directory that could not be used, with why (shown in every output)."""

    path: str
    error: str


@dataclass
class SampleView:
    """One scored unit of a row on a problem: a sample, or a refinement chain's best so far.

    Costs are in the run's meter unit (instructions for perf and valgrind, ns for time).
    """

    index: int
    efficiency: float
    passed: bool
    verdict: str
    level_costs: list[float | None]
    tier: str | None = None
    round: int | None = None


@dataclass
class ProblemResult:
    """A row's figures on one problem.

    ``pass_at`` / ``eff_at`` map every k in 1..n (this problem's own n) to the estimate.
    """

    problem_id: str
    category: str
    n: int
    pass_at: dict[int, float]
    eff_at: dict[int, float]
    speedup: float | None
    verdicts: dict[str, int]
    samples: list[SampleView]
    reference_level_costs: list[float]
    weights: list[float]
    tokens: float
    usd: float | None
    #: the exception types of the samples whose verdict is ``error`` (``{type: count}``)
    error_types: dict[str, int] = field(default_factory=dict)

    @property
    def best(self) -> SampleView:
        """The sample with the highest efficiency (the lowest index among equals)."""
        return max(self.samples, key=lambda s: (s.efficiency, -s.index))


@dataclass
class Entry:
    """A leaderboard row: one model with one strategy (and refinement round) in one run."""

    model: str
    strategy: str
    round: int | None
    run: LoadedRun
    problems: dict[str, ProblemResult]
    infra_failures: int = 0
    label: str = ""
    slug: str = ""

    def __post_init__(self) -> None:
        """Default label: the model, and the round (counted from 1) for refinement rows.

        A row of a run that has not finished says so: "(unfinished)".
        """
        if not self.label:
            self.label = self.model + (f" (round {self.round + 1})" if self.round is not None else "")
            if not self.run.finished:
                self.label += " (unfinished)"


def _config_seed(config: dict) -> str | None:
    for key in _SEED_KEYS:
        if config.get(key) is not None:
            return str(config[key])
    return None


def load_run(path: Path, include_unfinished: bool = False) -> LoadedRun:
    """Read one run directory.

    Args:
        path: the run directory.
        include_unfinished: load a run that has not finished (no ``summary.json``) as it is,
            marked ``finished=False``, instead of refusing it: its records are only the samples
            scored before it stopped, so ranked beside finished runs it would be judged on part of
            its work.

    Raises:
        EffbenchError: not a run directory, a config without the fields a run writes, a corrupt
            record, no scored sample, or (without ``include_unfinished``) a run that has not
            finished, or one whose samples.jsonl ends in a line cut short (a sample not counted);
            records that disagree with the run's config or summary (:meth:`RunDir.disagreement`:
            another run's records, or some lost); the message names the directory.
    """
    from effbench.rundir import UNFINISHED, RunDir, how_to_finish

    rd = RunDir(Path(path))
    if not Path(path).is_dir():
        raise EffbenchError(f"{path}: no such directory")
    if not rd.exists:
        raise EffbenchError(f"{path}: not an effbench run directory (no config.json)")
    config = rd.config()
    if not isinstance(config, dict):
        raise EffbenchError(f"{path}: not an effbench run directory (config.json is not an object)")
    missing = [k for k in ("alpha", "meter", "problem_set_hash") if k not in config]
    if missing:
        raise EffbenchError(f"{path}: not an effbench run directory (config.json lacks {', '.join(missing)})")
    try:
        key = Comparability.from_config(config)
    except (TypeError, ValueError) as exc:
        raise EffbenchError(f"{path}: config.json: {exc}") from None
    try:
        records = rd.records()
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise EffbenchError(f"{path}: corrupt record: {exc}") from None
    disagreement = rd.disagreement(records, config)
    if disagreement:  # never ranked, even with include_unfinished: these are not the run's samples
        raise EffbenchError(disagreement)
    if not records:
        raise EffbenchError(
            f"{path}: no scored samples yet"
            + ("" if rd.finished else f"; {UNFINISHED}; to finish it: {how_to_finish(Path(path))}")
        )
    torn = rd.torn_last_line()
    if torn is not None and not include_unfinished:
        raise EffbenchError(
            f"{path}: samples.jsonl line {torn} is cut short (a crash or a partial copy), so its sample is not "
            f"counted: to score it again, {how_to_finish(Path(path))}, "
            "or pass --include-unfinished to rank it as it is"
        )
    if not rd.finished and not include_unfinished:
        raise EffbenchError(
            f"{path}: {UNFINISHED}; {len(records)} sample(s) scored so far; to finish it: {how_to_finish(Path(path))}, "
            "or pass --include-unfinished to rank it as it is"
        )
    return LoadedRun(Path(path), config, key, _config_seed(config), records, finished=rd.finished and torn is None)


def load_runs(paths: Sequence[Path], include_unfinished: bool = False) -> tuple[list[LoadedRun], list[RunError]]:
    """Every usable run and, for the others, why not (see :func:`load_run`).

    A run directory named twice (another spelling, a symlink, a copy: :func:`effbench.rundir.same_run_as`)
    is loaded once, its repeats listed as errors. Never raises for one bad directory.
    """
    from effbench.rundir import same_run_as

    runs, errors = [], []
    repeats = same_run_as([Path(p) for p in paths])
    for i, path in enumerate(paths):
        if i in repeats:  # one run given twice would be ranked twice
            errors.append(
                RunError(
                    str(path), f"{path}: the same run as {repeats[i]} (another path to it, or a copy): ranked once"
                )
            )
            continue
        try:
            runs.append(load_run(Path(path), include_unfinished))
        except EffbenchError as exc:
            errors.append(RunError(str(path), str(exc)))
    return runs, errors


def _attr_or_meta(record: Any, name: str) -> Any:
    value = getattr(record, name, None)
    if value is None:
        value = (record.meta or {}).get(name)
    return value


def row_key(record: Any, reference_tiers: Sequence[str] = ()) -> tuple[str, str, int | None]:
    """The row a record belongs to: ``(model, strategy, round)``.

    From typed fields where the record has them, else from its ``meta`` (model runs record
    ``strategy``, ``round`` and ``model_name``), else from the label (``<name>+refine:r<r>``).
    """
    meta = record.meta or {}
    strategy = _attr_or_meta(record, "strategy")
    round_ = _attr_or_meta(record, "round")
    name = meta.get("model_name") or record.model
    m = _REFINE_LABEL.match(record.model)
    if m:
        name = meta.get("model_name") or m.group("name")
        strategy = strategy or "refine"
        round_ = int(m.group("round")) if round_ is None else round_
    if strategy is None:
        if record.model in reference_tiers:
            strategy = REFERENCE
        elif "usage" in meta:
            strategy = "parallel"
        else:
            strategy = SAMPLES
    strategy = str(getattr(strategy, "value", strategy))
    return str(name), strategy, (int(round_) if strategy == "refine" and round_ is not None else None)


def _sum_usage(records: Sequence[Any]) -> tuple[float, float | None]:
    """Tokens and USD spent on ``records``; USD is None unless every record is priced.

    Abandoned attempts are included (:func:`effbench.curves.record_cost`, the cost the curves plot).
    """
    from effbench.curves import record_cost

    tokens, usd, priced = 0.0, 0.0, True
    for r in records:
        if not isinstance((r.meta or {}).get("usage"), dict):
            priced = False
            continue
        t, u = record_cost(r)
        tokens += t
        if u is None:
            priced = False
        else:
            usd += u
    return tokens, (usd if priced and records else None)


def _view(record: Any, efficiency: float, passed: bool, index: int, round_: int | None) -> SampleView:
    return SampleView(
        index=index,
        efficiency=efficiency,
        passed=passed,
        verdict=str(getattr(record.verdict, "value", record.verdict)),
        level_costs=list(record.level_costs),
        tier=(record.meta or {}).get("tier"),
        round=round_,
    )


def _infra_verdict() -> str:
    from effbench.verdicts import Verdict

    return str(Verdict.INFRA)


def is_infra(record: Any) -> bool:
    """True for a sample the harness failed to run (never scored as slow or wrong code)."""
    return str(getattr(record.verdict, "value", record.verdict)) == _infra_verdict()


def _entry_from_records(
    model: str, strategy: str, round_: int | None, records: list, run: LoadedRun, categories: dict[str, str]
) -> Entry | None:
    """Per-problem figures of a parallel, reference or samples row through ``summarize``."""
    from effbench.scoring import eff_at_ks, pass_at_k
    from effbench.summary import rescore, summarize

    scored = [r for r in records if not is_infra(r)]
    if not scored:
        return None
    per_problem: dict[str, list] = defaultdict(list)
    for r in scored:
        per_problem[r.problem_id].append(r)
    infra_by_problem: dict[str, int] = defaultdict(int)
    for r in records:
        if is_infra(r):
            infra_by_problem[r.problem_id] += 1
    label = records[0].model
    # k = 1 is valid for every problem; each problem's own k (1..n of that problem) is computed below,
    # so a problem with many samples is not cut to the fewest samples of some other problem of the row
    summary = summarize([r for r in records if r.model == label], [1], run.alpha, run.alpha)["models"][label]
    problems = {}
    for pid, recs in sorted(per_problem.items()):
        fig = summary["problems"][pid]
        recs = sorted(recs, key=lambda r: r.sample_index)
        views = []
        for r in recs:
            e, passed = rescore(r, run.alpha)
            views.append(_view(r, e, passed, r.sample_index, None))
        n, c = len(views), sum(v.passed for v in views)
        ks = list(range(1, n + 1))
        effs = eff_at_ks([v.efficiency for v in views], ks)
        tokens, usd = _sum_usage(recs)
        problems[pid] = ProblemResult(
            problem_id=pid,
            category=categories.get(pid, "uncategorized"),
            n=n,
            pass_at={k: pass_at_k(n, c, k) for k in ks},
            eff_at={k: float(effs[k]) for k in ks},
            speedup=fig["speedup"],
            # infrastructure failures are not scored, but belong in the verdict mix
            verdicts={str(k): int(v) for k, v in fig["verdicts"].items()}
            | ({_infra_verdict(): infra_by_problem[pid]} if infra_by_problem.get(pid) else {}),
            samples=views,
            reference_level_costs=list(recs[0].reference_level_costs),
            weights=list(recs[0].weights),
            tokens=tokens,
            usd=usd,
            error_types={str(k): int(v) for k, v in (fig.get("error_types") or {}).items()},
        )
    infra = len(records) - len(scored)
    return Entry(model, strategy, round_, run, problems, infra_failures=infra)


def _refine_problem(pid: str, chain_list: list[tuple[int, list]], alpha: float, category: str) -> ProblemResult | None:
    """A refinement round's figures on one problem, or None when every sample hit infra.

    Each chain is scored by its best sample so far; the verdict mix is the round's own samples'.
    """
    from effbench.scoring import eff_at_ks, geometric_mean, pass_at_k
    from effbench.summary import rescore
    from effbench.verdicts import Verdict

    views, spent, speedups, lasts = [], [], [], []
    for chain, upto in sorted(chain_list):
        spent += upto
        usable = [x for x in upto if not is_infra(x)]
        if not usable:
            continue
        scored = [(rescore(x, alpha), x) for x in usable]
        (e, _), best = max(scored, key=lambda t: (t[0][0], -_round_of(t[1])))
        views.append(_view(best, e, any(p for (_, p), _ in scored), chain, _round_of(best)))
        lasts.append(usable[-1])
        if best.speedup:
            speedups.append(best.speedup)
    if not views:
        return None
    verdicts: dict[str, int] = defaultdict(int)
    error_types: dict[str, int] = defaultdict(int)
    for last in lasts:
        verdicts[str(last.verdict)] += 1
        if last.verdict == Verdict.ERROR:
            error_types[str(last.error_type or "unknown")] += 1
    n, c = len(views), sum(v.passed for v in views)
    ks = list(range(1, n + 1))
    effs = eff_at_ks([v.efficiency for v in views], ks)
    tokens, usd = _sum_usage(spent)
    first = chain_list[0][1][0]
    return ProblemResult(
        problem_id=pid,
        category=category,
        n=n,
        pass_at={k: pass_at_k(n, c, k) for k in ks},
        eff_at={k: float(effs[k]) for k in ks},
        speedup=geometric_mean(speedups),
        verdicts=dict(verdicts),
        samples=views,
        reference_level_costs=list(first.reference_level_costs),
        weights=list(first.weights),
        tokens=tokens,
        usd=usd,
        error_types=dict(sorted(error_types.items())),
    )


def _refine_entries(model: str, rounds: dict[int, list], run: LoadedRun, categories: dict[str, str]) -> list[Entry]:
    """One row per refinement round: each chain scored by its best sample up to that round."""
    chains: dict[tuple[str, int], dict[int, Any]] = defaultdict(dict)
    for r, recs in rounds.items():
        for rec in recs:
            chain = rec.meta.get("chain", rec.sample_index) if rec.meta else rec.sample_index
            chains[(rec.problem_id, int(chain))][r] = rec
    entries = []
    for r in sorted(rounds):
        by_problem: dict[str, list[tuple[int, list]]] = defaultdict(list)
        for (pid, chain), history in chains.items():
            upto = [history[j] for j in sorted(history) if j <= r]
            if upto:
                by_problem[pid].append((chain, upto))
        problems = {}
        for pid, chain_list in sorted(by_problem.items()):
            result = _refine_problem(pid, chain_list, run.alpha, categories.get(pid, "uncategorized"))
            if result is not None:
                problems[pid] = result
        infra = sum(1 for recs in rounds.values() for x in recs if is_infra(x) and _round_of(x) <= r)
        if problems:
            entries.append(Entry(model, "refine", r, run, problems, infra_failures=infra))
    return entries


def _round_of(record: Any) -> int:
    r = _attr_or_meta(record, "round")
    if r is None:
        m = _REFINE_LABEL.match(record.model)
        r = int(m.group("round")) if m else 0
    return int(r)


def entries_of_run(run: LoadedRun, categories: dict[str, str]) -> list[Entry]:
    """Every row of one run: one per (model, strategy), and one per refinement round."""
    tiers = [t.strip() for t in str(run.config.get("tiers") or "").split(",") if t.strip()]
    groups: dict[tuple[str, str, int | None], list] = defaultdict(list)
    for rec in run.records:
        groups[row_key(rec, tiers)].append(rec)
    entries: list[Entry] = []
    refine: dict[str, dict[int, list]] = defaultdict(dict)
    for (model, strategy, round_), recs in sorted(groups.items(), key=lambda kv: (kv[0][0], kv[0][1], kv[0][2] or 0)):
        if strategy == "refine":
            refine[model][round_ or 0] = recs
            continue
        entry = _entry_from_records(model, strategy, round_, recs, run, categories)
        if entry is not None:
            entries.append(entry)
    for model, rounds in sorted(refine.items()):
        entries += _refine_entries(model, rounds, run, categories)
    return entries


def problem_categories(problems_dir: str | None = None) -> dict[str, tuple[str, str]]:
    """``{problem id: (problem set name, category)}`` of the bundled sets and ``problems_dir``.

    Categories are not stored in run records; they come from the problem definitions. A set that
    cannot be loaded contributes nothing (its problems show as ``uncategorized``).
    """
    from effbench.problems import bundled_problem_sets, load_problem_set

    out: dict[str, tuple[str, str]] = {}
    sources: list[str | None] = [str(p) for p in bundled_problem_sets().values()]
    for source in sources + [problems_dir]:
        if source is None:
            continue
        try:
            ps = load_problem_set(source)
        except EffbenchError:
            if source == problems_dir:
                raise
            continue
        for pid, problem in ps.problems.items():
            out[pid] = (ps.name, problem.category)
    return out
