"""Does a program that does more ever cost less? (issue 14's must-hold: no hostile program above its
honest twin.)

Scores, through ``RewardModel`` under the valgrind meter, a problem's expert padded with ``k``
empty lists (kept alive, at module level and at the start of the call), the expert padded with
``--blocks`` blocks of each of a few sizes over 512 bytes at the start of the call (under
``EFFBENCH_ALLOCATOR=glibc`` glibc's allocator serves those and its cost depends on the heap's
history; effbench's own allocator, the default, is meant not to), and the hostile wrappers of
the reward workload (the expert answering after an attack run once); prints each item's level
costs (instructions) and efficiency against the expert's profile:

    .venv/bin/python benchmarks/padding_monotonicity.py [--problem decode_nested_repeat] [--pads 0,10,100,300,600]
        [--block-sizes 520,600,800 --blocks 16] [--levels 2]

Every padded item does strictly more work than the expert, and than the pad before it; every
wrapper more than the expert. The script exits 1 if a padded item's level cost is below the
previous pad's, or any item scores above the expert (efficiency > 1); 0 otherwise. Nothing here
depends on CPU time.
"""

from __future__ import annotations

import argparse
import time

from script_exit import run_main

from effbench import RewardModel
from effbench.problems import Problem, ProblemSet, bundled_problem_set_dir, load_problem_set
from effbench.reward.workload import HOSTILE, hostile_code


def padded(expert: str, entry: str, k: int, where: str, block: str = "[]") -> str:
    """The expert with ``k`` objects (``block``, an expression: empty lists by default) allocated
    and kept, at module level or at each call's start."""
    if where == "module":
        return expert.rstrip("\n") + f"\n\n_pad = [{block} for _ in range({k})]\n"
    return (
        expert.rstrip("\n")
        + f"\n\n_expert = {entry}\n\n\ndef {entry}(*args, **kwargs):\n"
        + f"    _pad = [{block} for _ in range({k})]\n    return _expert(*args, **kwargs)\n"
    )


def padding_parser(description: str) -> argparse.ArgumentParser:
    """A parser with the options every padding script takes: ``--problem`` and ``--workers``."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--problem", default="decode_nested_repeat", help="a bundled core problem's id")
    parser.add_argument("--workers", type=int, default=2, help="sandbox workers (RewardModel(workers=))")
    return parser


def chosen_problem(parser: argparse.ArgumentParser, args: argparse.Namespace) -> tuple[ProblemSet, Problem]:
    """The bundled core set and its problem ``--problem``; exits 2 (``parser.error``) for an unknown id."""
    problems = load_problem_set(bundled_problem_set_dir("core"))
    if args.problem not in problems.problems:
        parser.error(f"unknown problem {args.problem!r}")
    return problems, problems.problems[args.problem]


def main(argv: list[str] | None = None) -> int:
    """Run the comparison; returns the exit status (0 monotone and nothing above the expert, 1 not)."""
    parser = padding_parser(__doc__.split("\n\n")[0])
    parser.add_argument("--pads", default="0,10,100,300,600", help="comma-separated numbers of padding lists")
    parser.add_argument(
        "--block-sizes",
        default="520,600,800",
        help="comma-separated sizes (bytes) of blocks padded at each call's start, --blocks of each "
        "(over 512 bytes: glibc's to allocate under EFFBENCH_ALLOCATOR=glibc); empty for none",
    )
    parser.add_argument("--blocks", type=int, default=16, help="number of blocks of each size")
    parser.add_argument("--levels", type=int, default=2, help="levels scored (as RewardModel(levels=))")
    args = parser.parse_args(argv)
    problems, problem = chosen_problem(parser, args)
    try:
        pads = [int(p) for p in args.pads.split(",")]
        sizes = [int(p) for p in args.block_sizes.split(",") if p.strip()]
    except ValueError:
        parser.error("--pads and --block-sizes take comma-separated whole numbers")
    if min(pads + sizes + [args.blocks], default=0) < 0:
        parser.error("--pads, --block-sizes and --blocks must not be negative")
    expert, entry = problem.expert_code, problem.entry_point
    rows: list[tuple[str, str, str]] = []  # (group, name, code)
    for where in ("module", "call"):
        rows += [(where, f"{where} pad {k}", padded(expert, entry, k, where)) for k in pads]
    rows += [
        (
            "blocks",
            f"call {args.blocks} x bytearray({size})",
            padded(expert, entry, args.blocks, "call", f"bytearray({size})"),
        )
        for size in sizes
    ]
    rows += [("hostile", name, hostile_code(name, expert, entry)) for name, honest, _ in HOSTILE if honest]
    started = time.monotonic()
    items = [(problem.id, "```python\n" + code.rstrip("\n") + "\n```\n") for _, _, code in rows]
    with RewardModel(
        problems=problems, meter="valgrind", workers=args.workers, levels=args.levels, seed="reward-throughput"
    ) as model:  # a bad --levels or --workers, no valgrind: one line and exit 2, through run_main
        results = model.score_batch(items)
    failures = []
    previous: dict[str, tuple[float, ...]] = {}
    print(f"{problem.id}: expert's level costs {results[0].reference_level_costs} (instructions)")
    for (group, name, _), result in zip(rows, results):
        costs = tuple(c if c is not None else float("nan") for c in result.level_costs or ())
        print(f"  {name:28s} {result.verdict:16s} efficiency {result.efficiency:.6f}  level costs {costs}")
        if result.efficiency > 1.0:
            failures.append(f"{name} scores {result.efficiency:.6f} > 1 (the expert)")
        if group in previous and costs and any(b < a for a, b in zip(previous[group], costs)):
            failures.append(f"{name} costs less than the pad before it: {previous[group]} -> {costs}")
        if group in ("module", "call"):
            previous[group] = costs
    print(f"{len(rows)} items in {time.monotonic() - started:.0f} s")
    for failure in failures:
        print("FAIL:", failure)
    print("monotone, nothing above the expert: " + ("yes" if not failures else "no"))
    return 1 if failures else 0


if __name__ == "__main__":
    run_main(main, "padding_monotonicity")
