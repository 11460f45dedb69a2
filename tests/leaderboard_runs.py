"""Synthetic run directories with a known true order, for the leaderboard tests.

Twelve copies of the mini set's ``triangle`` problem (three categories) are scored by the real
engine (:class:`effbench.engine.Evaluator`) over a scripted sandbox: the expert costs ``n + 100``
instructions; a candidate's code carries a cost factor ``f`` per problem, so its top level's
efficiency is ``2 - f`` at alpha 2. Records go through :class:`effbench.rundir.RunDir`, as a real
run writes them.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from effbench.engine import EngineSettings, Evaluator
from effbench.meters.valgrind import ValgrindMeter
from effbench.problems import load_problem_set
from effbench.rundir import RunDir
from effbench.sandboxes.base import TestRun
from effbench.sandboxes.scripted import ScriptedSandbox, answer
from effbench.summary import summarize

MINI = Path(__file__).parent / "fixtures" / "mini"
CATEGORIES = ("number_theory", "strings", "graphs")
PROBLEMS = [f"tri_{i:02d}" for i in range(12)]
#: model -> base cost factor; the true order of eff@1 is this order (lower factor is better)
TRUE_FACTORS = {"fast": 1.1, "mid": 1.4, "slow": 1.8}


def make_problem_set(root: Path) -> Path:
    """Twelve triangle problems under ``root/problems`` (and their references)."""
    problems, refs = root / "problems", root / "references"
    problems.mkdir(parents=True)
    refs.mkdir(parents=True)
    (problems / "problemset.toml").write_text('name = "synthetic"\nversion = "1"\n')
    src = (MINI / "problems" / "triangle" / "problem.toml").read_text()
    for i, pid in enumerate(PROBLEMS):
        shutil.copytree(MINI / "problems" / "triangle", problems / pid)
        text = src.replace('id = "triangle"', f'id = "{pid}"').replace(
            'category = "number_theory"', f'category = "{CATEGORIES[i % 3]}"'
        )
        (problems / pid / "problem.toml").write_text(text)
        shutil.copytree(MINI / "references" / "triangle", refs / pid)
    return problems


def factor(model: str, problem_index: int) -> float:
    """A model's cost factor on a problem: its base plus a small per-problem wobble."""
    return TRUE_FACTORS[model] + 0.04 * ((problem_index * 7) % 5 - 2) / 2


def _handler(request):  # noqa: ANN001, ANN202
    n = request.args_json[0]
    value = n * (n + 1) // 2 if n > 0 else 0
    if "# infra" in request.code:  # the harness fails on this candidate (retried once, then infra)
        return TestRun(infra_error="runner died")
    if "# raises" in request.code:  # the candidate raises on every test
        return TestRun(result=json.dumps({"ok": False, "error_type": "ValueError", "message": "boom"}), exit_code=0)
    m = re.search(r"# factor=([0-9.]+) wrong=(\d)", request.code)
    if not m:  # the expert
        return answer(value, n + 100)
    if m.group(2) == "1":
        return answer(value + 1, n + 100)
    return answer(value, (n + 100) * float(m.group(1)))


def candidate_code(f: float, wrong: bool = False) -> str:
    return f"# factor={f:.4f} wrong={int(wrong)}\ndef triangle(n):\n    return n\n"


def write_run(
    path: Path,
    problems_root: Path,
    samples: list[tuple[str, str, int, str, dict]],
    meter: str = "valgrind",
    input_seed: str | None = "seed-a",
    tiers: str | None = None,
    finished: bool = True,
) -> Path:
    """A run directory of ``(model, problem id, index, code, meta)`` samples, scored for real;
    ``finished`` (as a run that ended normally) writes its ``summary.json``."""
    ps = load_problem_set(problems_root)
    box = ScriptedSandbox(_handler)
    settings = EngineSettings()
    ev = Evaluator(box, ValgrindMeter(), settings, fingerprint={"synthetic": 1})
    config = {
        "problem_set": ps.name,
        "problem_set_version": ps.version,
        "problem_set_hash": ps.hash,
        "meter": meter,
        "fingerprint": {"synthetic": 1, "meter": meter},
        "alpha": settings.alpha,
        "samples_hash": "synthetic",
        "input_seed": input_seed,
        "tiers": tiers,
        "sandbox": "scripted",
    }
    rd = RunDir(path)
    rd.open(config)
    for model, pid, index, code, meta in samples:
        rd.append(ev.evaluate(ps.get(pid), code, model, index, meta))
    if finished:
        records = rd.records()
        rd.write_summary(summarize(records, [1], settings.alpha, settings.alpha))
    rd.release()
    return path


def usage(tokens: int) -> dict:
    return {"usage": {"prompt_tokens": tokens // 2, "completion_tokens": tokens - tokens // 2, "cost_usd": None}}


def model_samples(models: dict[str, float] | None = None, n: int = 3) -> list:
    """Parallel samples of the synthetic models: n per problem; ``flaky`` answers wrong on sample 0."""
    out = []
    for i, pid in enumerate(PROBLEMS):
        for model in models or TRUE_FACTORS:
            for s in range(n):
                meta = {"strategy": "parallel", "model_name": model, **usage(200 + 10 * s)}
                out.append((model, pid, s, candidate_code(factor(model, i)), meta))
    return out


def refine_samples(chains: int = 2) -> list:
    """Two refinement rounds of model ``refiner``: round 0 slower than every row (factor 1.95), round 1 fast (1.2)."""
    out = []
    for i, pid in enumerate(PROBLEMS):
        for c in range(chains):
            for r, f in enumerate((1.95, 1.2)):
                meta = {"strategy": "refine", "model_name": "refiner", "chain": c, "round": r, **usage(300)}
                out.append((f"refiner+refine:r{r}", pid, c, candidate_code(f + 0.01 * (i % 3)), meta))
    return out


def reference_samples(problems_root: Path) -> list:
    ps = load_problem_set(problems_root)
    out = []
    for pid in PROBLEMS:
        p = ps.get(pid)
        out.append(("expert", pid, 0, p.expert_code, {}))
        out.append(("slower", pid, 0, candidate_code(1.9), {"tier": "loop"}))
    return out


def standard_runs(root: Path) -> list[Path]:
    """Three comparable run directories: references, parallel models, a refining model."""
    problems = make_problem_set(root / "set")
    return [
        write_run(root / "runs" / "references", problems, reference_samples(problems), tiers="expert,slower"),
        write_run(root / "runs" / "models", problems, model_samples(), input_seed="seed-b"),
        write_run(root / "runs" / "refine", problems, refine_samples(), input_seed="seed-c"),
    ]


def stats_of(doc: dict) -> str:
    """The statistical content of a leaderboard.json (without the generation time)."""
    doc = dict(doc)
    doc.pop("generated_utc", None)
    for t in doc["tables"]:
        t.pop("plots", None)
    return json.dumps(doc, sort_keys=True)
