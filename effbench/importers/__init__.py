"""Importers for published benchmark formats, loaded through the ``datasets`` package.

``--dataset enamel:PATH_OR_HUB_ID`` or ``--dataset evalperf:PATH_OR_HUB_ID``. A local file is read
by its extension (csv, json, jsonl, parquet); anything else is treated as a hub id. Imported
problems run through the same runner, meters and scorer as the bundled ones. effbench ships none
of these benchmarks' content: only the code that reads their formats.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from effbench.errors import EffbenchError
from effbench.problems import ProblemSet

FORMATS = ("enamel", "evalperf")


def read_rows(source: str, split: str = "train") -> list[dict[str, Any]]:
    """Rows of a local file or a hub dataset, as plain dicts."""
    try:
        import datasets
    except ImportError:
        raise EffbenchError(
            "importing published formats needs the datasets package: pip install 'effbench[formats]'"
        ) from None
    datasets.disable_progress_bars()
    datasets.logging.set_verbosity_error()
    path = Path(source)
    kinds = {".csv": "csv", ".json": "json", ".jsonl": "json", ".parquet": "parquet"}
    try:
        if path.suffix in kinds:
            if not path.is_file():
                raise EffbenchError(f"{source}: no such file")
            ds = datasets.load_dataset(kinds[path.suffix], data_files=str(path), split="train")
        else:
            ds = datasets.load_dataset(source, split=split)
    except EffbenchError:
        raise
    except Exception as exc:  # noqa: BLE001 - datasets raises many kinds; one line for the user
        raise EffbenchError(f"{source}: cannot load with datasets: {type(exc).__name__}: {exc}") from None
    return [dict(row) for row in ds]


def load_dataset_problems(spec: str) -> ProblemSet:
    """``FORMAT:SOURCE`` -> a ProblemSet."""
    fmt, sep, source = spec.partition(":")
    if not sep or fmt not in FORMATS or not source:
        raise EffbenchError(
            f"--dataset {spec!r}: expected FORMAT:PATH_OR_HUB_ID with FORMAT one of {', '.join(FORMATS)}"
        )
    if fmt == "enamel":
        from effbench.importers.enamel import problems_from_rows
    else:
        from effbench.importers.evalperf import problems_from_rows
    rows = read_rows(source)
    if not rows:
        raise EffbenchError(f"{source}: no rows")
    problems = problems_from_rows(rows, where=source)
    return ProblemSet(name=f"{fmt}:{Path(source).name}", version="imported", problems={p.id: p for p in problems})
