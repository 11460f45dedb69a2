"""``effbench leaderboard``: Markdown, JSON and a self-contained HTML page from many run directories.

- :mod:`effbench.leaderboard.data`: run directories to rows (model, strategy, refinement round);
- :mod:`effbench.leaderboard.stats`: bootstrap intervals, paired tests, Bradley-Terry ratings;
- :mod:`effbench.leaderboard.board`: comparable tables and the ``leaderboard.json`` document;
- :mod:`effbench.leaderboard.plots` and :mod:`effbench.leaderboard.render`: plots, Markdown, HTML.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

from effbench.errors import EffbenchError
from effbench.leaderboard.board import SCHEMA, SCHEMA_VERSION, Settings, build

__all__ = ["SCHEMA", "SCHEMA_VERSION", "Settings", "build", "write_leaderboard"]

OUTPUTS = ("leaderboard.md", "leaderboard.json", "index.html", "plots")


def write_leaderboard(
    run_dirs: Sequence[Path], out_dir: Path, settings: Settings | None = None, problems_dir: str | None = None
) -> dict:
    """Write the leaderboard of ``run_dirs`` into ``out_dir`` and return its JSON document.

    Outputs: ``leaderboard.md``, ``leaderboard.json``, ``index.html`` and ``plots/`` (PNG + SVG).

    Everything is written to a scratch folder of this call's own beside ``out_dir`` first and moved
    in at the end, so an error leaves no half-written leaderboard, and two leaderboards written
    into one ``out_dir`` at once never delete or fill each other's scratch (each file ends whole,
    the last one moved in).

    Raises:
        EffbenchError: no run directory is usable, or no table can be ranked (the message names
            every directory and why); unusable directories among usable ones are listed in the
            document's ``errors`` instead.
    """
    from effbench.leaderboard.plots import write_plots
    from effbench.leaderboard.render import render_html, render_markdown

    settings = settings or Settings()
    tables, doc = build(run_dirs, settings, problems_dir)
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    try:  # this call's own: a fixed name was deleted and refilled by a second leaderboard of out_dir
        scratch = Path(tempfile.mkdtemp(dir=out_dir.parent, prefix=f".{out_dir.name}.", suffix=".partial"))
    except OSError as exc:
        raise EffbenchError(f"--out {out_dir}: cannot write the leaderboard: {exc.strerror or exc}") from None
    try:
        for table in tables:
            write_plots(table, scratch / "plots")
        doc["tables"] = [t.doc for t in tables]
        (scratch / "leaderboard.json").write_text(json.dumps(doc, indent=1, sort_keys=False) + "\n")
        (scratch / "leaderboard.md").write_text(render_markdown(doc))
        (scratch / "index.html").write_text(render_html(doc, scratch))
        out_dir.mkdir(exist_ok=True)
        for name in OUTPUTS:
            if name == "plots" and (out_dir / name).is_dir():  # a directory is not replaced by rename
                old = Path(tempfile.mkdtemp(dir=scratch, prefix="old-plots."))
                os.replace(out_dir / name, old / name)
            os.replace(scratch / name, out_dir / name)
    except OSError as exc:  # a full disk, a quota: the writer (PIL, matplotlib) may not name the file
        where = exc.filename or scratch
        raise EffbenchError(
            f"--out {out_dir}: cannot write the leaderboard ({where}): {exc.strerror or exc}: "
            "make room (or fix the folder), then re-run the same command"
        ) from None
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return doc
