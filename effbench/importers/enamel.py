"""The ENAMEL format.

The ENAMEL format: one row per problem with the columns

``task_id, prompt, entry_point, input_generator, input_levels, reference_solution, checker``
(other columns, e.g. HumanEval's ``canonical_solution``, are ignored).

- ``input_generator`` is code that defines ``generate_input(size, lid, cid)`` returning the
  argument tuple of one call. As in the format's own evaluator, it runs with the prompt before it,
  in a scope holding ``time`` and the names of the format's helper module (``enam.datautils`` of
  the published ``enam`` package, which the package replaces by ``vars(module)``: both shapes are
  accepted), after ``random.seed(seed)``. Test ``c`` of level ``l`` of the row at position ``i``
  in the file gets ``seed = base ^ i ^ (n_0 + ... + n_{l-1} + c)``, the format's own formula
  (``n_j`` tests at level ``j``; ``base`` is :data:`BASE_SEED` unless given). Generators run in a
  subprocess under limits, cached (:mod:`effbench.importers.generate`).
- ``input_levels`` is a space-separated list of sizes, one per level.
- ``reference_solution`` is the expert's code, a body or a whole function. As the format's evaluator
  does, every solution runs after the prompt (its imports and helpers): the expert is the prompt
  and the reference, and a candidate's code runs after the prompt too (``Problem.code_prefix``).
- ``checker`` is code that defines ``__check(__input, __answer, __output) -> bool``, run with the
  prompt and a ``pass`` before it (the format's template). It runs on the host on real Python
  values (tuples stay tuples), never in the candidate's process; ``__input`` is the argument
  tuple, ``__answer`` the expert's output on it. Its module-level code first runs in the
  generator's limited child, never while the file is parsed (:class:`HostChecker`).

Defaults follow the format's published evaluation: hardness weights 0, 3, 3, 4 and 8, 4, 4, 4
tests per level.
"""

from __future__ import annotations

import ast
import dataclasses
import hashlib
from collections.abc import Sequence

from effbench.importers.common import (
    HostChecker,
    ImportedProblem,
    RowError,
    defines,
    make_problem,
    parse_module,
    row_hash,
    task_id_of,
    text,
)
from effbench.importers.generate import GeneratorJob
from effbench.problems import Level

COLUMNS = ("task_id", "prompt", "entry_point", "input_generator", "input_levels", "reference_solution", "checker")
HARDNESS = (0.0, 3.0, 3.0, 4.0)
TESTS_PER_LEVEL = (8, 4, 4, 4)
#: the format's helper package (PyPI name and import name)
HELPER_PACKAGE = "enam"
BASE_SEED = 0
#: the published evaluation's problem set: every row of the published 164-row file except these
#: HumanEval task numbers (the ``enam`` package's documented PROBLEMSET rule); ``@enamel``
PUBLISHED_EXCLUDED = frozenset(
    {2, 23, 41, 45, 53, 60, 71, 92, 97, 99, 102, 123, 124, 135, 137, 138, 144, 148, 156, 157, 159, 160}
)
PUBLISHED_ROWS = 164
#: the largest input size of a level
MAX_SIZE = 10**12
#: bumped when the meaning of a row changes (a problem's version, so cached expert profiles of the
#: old meaning are not reused): 2, every solution runs after the prompt, the expert too
SEMANTICS = 2


def selections(ids: Sequence[str]) -> dict[str, list[str]]:
    """Named selections of this format, restricted to the ids present in the file."""
    present = set(ids)
    published = [f"HumanEval/{i}" for i in range(PUBLISHED_ROWS) if i not in PUBLISHED_EXCLUDED]
    return {"enamel": [i for i in published if i in present]}


def seeds(
    index: int, counts: Sequence[int], base: int = BASE_SEED, secret: int | None = None
) -> tuple[tuple[int, ...], ...]:
    """The format's seed of every test of one row.

    The format's seed of every test of the row at position ``index`` (see the module doc);
    with ``secret``, levels >= 1 use it as their base instead (a run's secret input seed).
    """
    out, offset = [], 0
    for lid, count in enumerate(counts):
        b = base if secret is None or lid == 0 else secret
        out.append(tuple(b ^ index ^ (offset + c) for c in range(count)))
        offset += count
    return tuple(out)


def secret_base(seed: str) -> int:
    """A run's input seed (text) -> the integer base of the format's formula (63 bits)."""
    return int(hashlib.sha256(f"enamel/{seed}".encode()).hexdigest()[:16], 16) >> 1


def _checker(prompt: str, code: str, where: str, pid: str) -> HostChecker:
    """The row's checker: the prompt, ``pass`` and the checker's code, which must define ``__check``.

    Nothing of it runs here (parsing a file runs no row's code in effbench's process): it is
    tried in the generator's limited child, then loaded on first use (:class:`HostChecker`).
    """
    source = prompt + "\n    pass\n" + code
    tree = parse_module(source, where, "checker (after the prompt)")
    if not defines(tree, "__check"):
        raise RowError(f"{where}: checker must define __check(__input, __answer, __output)")
    probe = GeneratorJob(name=pid, code="", sizes=(), counts=(), seeds=(), helper_module=HELPER_PACKAGE, checker=source)
    return HostChecker(source, f"{where}:checker", probe)


def _sizes(row: dict, where: str, n_weights: int, n_counts: int) -> list[int]:
    """The row's ``input_levels``: one size per level; RowError if malformed."""
    levels_text = row.get("input_levels")
    if isinstance(levels_text, int) and not isinstance(levels_text, bool):
        if not 0 <= levels_text <= MAX_SIZE:
            raise RowError(f"{where}: input_levels must be sizes between 0 and 1e12")
        levels_text = str(levels_text)
    if not isinstance(levels_text, str) or not levels_text.strip():
        raise RowError(f"{where}: missing column input_levels")
    try:
        sizes = [int(x) if len(x) <= 20 else MAX_SIZE + 1 for x in levels_text.split()]
    except ValueError:
        raise RowError(f"{where}: input_levels must be space-separated integers, not {levels_text[:40]!r}") from None
    if len(sizes) != n_weights or n_counts != n_weights:
        raise RowError(f"{where}: {len(sizes)} input levels but {n_weights} hardness weights")
    if any(s < 0 or s > MAX_SIZE for s in sizes):
        raise RowError(f"{where}: input_levels must be sizes between 0 and 1e12")
    return sizes


def problem_from_row(
    row: dict,
    index: int,
    where: str,
    hardness: Sequence[float] = HARDNESS,
    counts: Sequence[int] = TESTS_PER_LEVEL,
    base_seed: int = BASE_SEED,
) -> ImportedProblem:
    """One row -> a problem whose tests are generated when first needed; RowError if unusable."""
    if not isinstance(row, dict):
        raise RowError(f"{where}: not a row of columns")
    pid = task_id_of(row, where)
    prompt = text(row, "prompt", where)
    entry = text(row, "entry_point", where).strip()
    if not entry.isidentifier():
        raise RowError(f"{where}: entry_point {entry[:40]!r} is not a Python identifier")
    generator = text(row, "input_generator", where)
    sizes = _sizes(row, where, len(hardness), len(counts))
    reference = text(row, "reference_solution", where)
    checker_code = text(row, "checker", where)
    gen_tree = parse_module(prompt + "\n" + generator, where, "input_generator (after the prompt)")
    if not defines(gen_tree, "generate_input"):
        raise RowError(f"{where}: input_generator must define generate_input(size, lid, cid)")
    try:
        tree = ast.parse(reference)
    except (SyntaxError, ValueError):  # a body that continues the prompt (the format allows both)
        tree = None
    if tree is not None and not defines(tree, entry):
        raise RowError(f"{where}: reference_solution does not define {entry}()")
    # the format runs every solution after the prompt (its imports and helpers), the expert too
    expert = prompt + "\n" + reference
    parse_module(expert, where, "prompt + reference_solution")
    custom = _checker(prompt, checker_code, where, pid)
    job = GeneratorJob(
        name=pid,
        code=prompt + "\n" + generator,
        sizes=tuple(sizes),
        counts=tuple(counts),
        seeds=seeds(index, counts, base_seed),
        helper_module=HELPER_PACKAGE,
    )

    def make_job(seed: str) -> GeneratorJob:
        return dataclasses.replace(job, seeds=seeds(index, counts, base_seed, secret_base(seed)))

    return make_problem(
        pid=pid,
        source="enamel",
        entry_point=entry,
        prompt=prompt,
        references={"expert": expert},
        levels=[Level(i, s, float(h), counts[i]) for i, (s, h) in enumerate(zip(sizes, hardness))],
        generated=None,
        checker="custom",
        custom_check=custom,
        code_prefix=prompt,
        version=row_hash({c: row.get(c) for c in COLUMNS}, [list(hardness), list(counts), index, base_seed, SEMANTICS]),
        row_index=index,
        where=where,
        job=job,
        make_job=make_job,
    )
