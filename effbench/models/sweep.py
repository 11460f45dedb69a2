"""``effbench sweep``: one model under several test-time strategies and budgets in one command.

Issue 15 item 4. It writes the curves of all of them, the Pareto front and the cheapest budget
that reaches each efficiency level.

A budget ``b`` is model answers per problem. The sweep runs, each in its own run directory under
``--out`` (resumable like any run):

- ``parallel`` (and ``select``): one run of ``max(b)`` samples per problem; the curves take every
  k <= max(b) from it (eff@k; with ``select`` the samples are also run on the visible examples and
  sel@k is drawn beside eff@k), directory ``select-n<max>`` or ``parallel-n<max>``;
- ``refine``: ``--refine-chains`` chains of ``max(b)`` rounds (a point per round: one chain's cost),
  directory ``refine-c<chains>-r<max>``;
- ``uniform`` and ``adaptive``: total budgets ``b x problems`` spread over the problem set
  (:mod:`effbench.models.allocation`), directory ``allocation-f<first round>-b<budgets>``.

Every strategy asks the same first prompt of a problem for its sample indices 0, 1, ...: the
response cache (:mod:`effbench.models.cache`) answers what another strategy already asked, so no
request is ever sent twice (refinement's later rounds are their own prompts). All runs share one
input seed (``--seed``, or a fresh secret kept in ``sweep.json`` and reused on resume), so every
strategy is scored on the same hidden tests and the expert is profiled once.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from effbench.errors import EffbenchError
from effbench.models.allocation import MAX_SAMPLES_PER_PROBLEM, AllocationPlan
from effbench.models.runner import ModelJob

SWEEP_STRATEGIES = ("parallel", "select", "refine", "uniform", "adaptive")


@dataclass(frozen=True)
class SweepPlan:
    """What a sweep runs.

    The strategies, the budgets (answers per problem, ascending), refinement's chains and the
    adaptive allocation's first round (samples per problem).
    """

    strategies: tuple[str, ...]
    budgets: tuple[int, ...]
    refine_chains: int = 2
    first_round: int = 1

    def check(self) -> None:
        """Raises EffbenchError (one line naming the option) for a sweep that cannot run."""
        unknown = [s for s in self.strategies if s not in SWEEP_STRATEGIES]
        if unknown or not self.strategies:
            raise EffbenchError(
                f"--strategies {','.join(unknown) or '(none)'}: choose from {', '.join(SWEEP_STRATEGIES)}"
            )
        if not self.budgets or self.budgets[0] < 1:
            raise EffbenchError("--budgets: positive numbers of answers per problem, e.g. 1,2,4,8")
        if "adaptive" in self.strategies and self.budgets[0] < self.first_round:
            raise EffbenchError(
                f"--budgets {self.budgets[0]}: below the adaptive first round of {self.first_round} sample(s) "
                "per problem (lower --first-round)"
            )


def parse_budgets(text: str) -> tuple[int, ...]:
    """``--budgets 1,2,4``: sorted distinct positive integers; raises EffbenchError otherwise."""
    from effbench.options import comma_numbers

    budgets = tuple(
        comma_numbers(
            text, "--budgets", int, 1, "comma-separated integers like 1,2,4,8", "every budget must be at least 1"
        )
    )
    if budgets and budgets[-1] > MAX_SAMPLES_PER_PROBLEM:
        raise EffbenchError(
            f"--budgets {text!r}: at most {MAX_SAMPLES_PER_PROBLEM:,} model answers per problem, not {budgets[-1]}"
        )
    return budgets


def sweep_jobs(base: ModelJob, sweep: SweepPlan) -> list[tuple[str, ModelJob]]:
    """(run directory name, job) of every run the sweep needs, in the order they run.

    Parallel first (its answers fill the cache the others read), then refinement, then allocation.
    """
    top = sweep.budgets[-1]
    jobs: list[tuple[str, ModelJob]] = []
    plan = base.plan
    if {"parallel", "select"} & set(sweep.strategies):
        strategy = "select" if "select" in sweep.strategies else "parallel"
        jobs.append(
            (
                f"{strategy}-n{top}",
                replace(base, plan=replace(plan, strategy=strategy, samples=top, rounds=1), ks=[1]),
            )
        )
    if "refine" in sweep.strategies:
        chains = sweep.refine_chains
        jobs.append(
            (
                f"refine-c{chains}-r{top}",
                replace(base, plan=replace(plan, strategy="refine", samples=chains, rounds=top), ks=[1]),
            )
        )
    policies = tuple(p for p in ("uniform", "adaptive") if p in sweep.strategies)
    if policies:
        problems = len(base.ids)
        first = sweep.first_round if "adaptive" in policies else 1
        alloc = AllocationPlan(policies, tuple(b * problems for b in sweep.budgets), first)
        alloc.check(problems)
        name = f"allocation-f{first}-b{'-'.join(str(b) for b in sweep.budgets)}"
        first_plan = replace(plan, strategy="parallel", samples=first, rounds=1)
        jobs.append((name, replace(base, plan=first_plan, ks=[1], allocation=alloc)))
    return jobs


def sweep_seed(out: Path, given: str | None, runs: list[str] | None = None) -> str:
    """The input seed every run of the sweep shares.

    ``given`` (``--seed``), else the one recorded in ``out/sweep.json`` or in the ``config.json``
    of one of its ``runs`` by an earlier invocation (an interrupted sweep resumes on the same
    hidden tests), else a fresh secret.
    """
    from effbench.problems import new_input_seed

    if given:
        return given
    for path in [out / "sweep.json", *(out / name / "config.json" for name in runs or [])]:
        try:
            recorded = json.loads(path.read_text()).get("input_seed")
        except (OSError, ValueError, AttributeError):
            continue
        if recorded:
            return str(recorded)
    return new_input_seed()


def run_sweep(
    base: ModelJob,
    sweep: SweepPlan,
    out: Path,
    run: Callable[[ModelJob, Path], Any],
    log: Callable[[str], None] = lambda s: None,
) -> list[Path]:
    """Run every job of the sweep and return their run directories, in order.

    ``run(job, run_dir)`` runs one, e.g. :meth:`ModelJob.run` with the meter and sandbox bound.
    """
    dirs = []
    jobs = sweep_jobs(base, sweep)
    for i, (name, job) in enumerate(jobs, 1):
        log(f"sweep {i}/{len(jobs)}: {name}")
        run(job, out / name)
        dirs.append(out / name)
    return dirs
