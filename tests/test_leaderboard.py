"""effbench leaderboard: ranking, uncertainty, ratings, comparability, bad run directories, outputs.

The runs are synthetic (tests/leaderboard_runs.py): scored by the real engine over a scripted
sandbox, so the true order of the models is known.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from effbench.cli import main
from effbench.errors import EffbenchError
from effbench.leaderboard import SCHEMA, SCHEMA_VERSION, Settings, build, stats, write_leaderboard

from . import leaderboard_runs as lr

FAST = Settings(bootstrap_resamples=400, permutation_resamples=5000)  # 2**12 sign patterns: exact
#: the true order of the synthetic rows by eff@1 (see leaderboard_runs: cost factors per model)
TRUE_ORDER = ["expert", "fast", "refiner (round 2)", "mid", "slow", "slower", "refiner (round 1)"]


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    root = tmp_path_factory.mktemp("lb")
    runs = lr.standard_runs(root)
    return root, runs, str(root / "set" / "problems")


@pytest.fixture(scope="module")
def written(synthetic):
    root, runs, problems = synthetic
    out = root / "out"
    doc = write_leaderboard(runs, out, FAST, problems)
    return out, doc


def test_rows_follow_the_true_order_and_ratings_agree(written):
    """On runs where the order is known, eff@1 ranks the rows in that order, Bradley-Terry gives the
    same order, and every adjacent difference (consistent on all 12 problems) is significant."""
    _, doc = written
    (table,) = doc["tables"]
    labels = [r["label"] for r in table["rows"]]
    assert labels == TRUE_ORDER
    ratings = [r["rating"] for r in table["rows"]]
    assert ratings == sorted(ratings, reverse=True)
    assert table["order_disagreements"] == []
    assert all(c["significant"] for c in table["comparisons"])
    # 12 problems: the exact sign-flip test's smallest two-sided p-value is 2 / 2**12
    assert table["comparisons"][0]["p_value"] == pytest.approx(2 / 2**12)


def test_intervals_bracket_the_estimate_and_are_deterministic_for_a_seed(synthetic, written):
    """Bootstrap intervals and ratings are the same on a second build with the same seed, differ
    with another seed, and every interval contains its point estimate."""
    _, runs, problems = synthetic
    _, doc = written
    again = build(runs, FAST, problems)[1]
    assert lr.stats_of(again) == lr.stats_of({**doc, "tables": [dict(t, plots={}) for t in doc["tables"]]})
    other = build(runs, Settings(seed=7, bootstrap_resamples=400, permutation_resamples=5000), problems)[1]
    cis = [r["eff@1_ci"] for r in doc["tables"][0]["rows"]]
    other_cis = [r["eff@1_ci"] for r in other["tables"][0]["rows"]]
    assert cis != other_cis
    for row in doc["tables"][0]["rows"]:
        for key, ci in (("eff@1", row["eff@1_ci"]), ("pass@1", row["pass@1_ci"]), ("rating", row["rating_ci"])):
            assert ci["low"] - 1e-9 <= row[key] <= ci["high"] + 1e-9, (row["label"], key)
    assert doc["settings"]["bootstrap_resamples"] == 400 and doc["settings"]["seed"] == 0


def test_bootstrap_interval_covers_a_known_mean():
    """The percentile interval of a mean of 200 draws from N(0.5, 0.1) covers 0.5 and has roughly
    the width of +-1.96 standard errors."""
    x = np.random.default_rng(3).normal(0.5, 0.1, 200)
    ci = stats.bootstrap_mean(x, seed=0, n_resamples=2000)
    assert ci.low < 0.5 < ci.high
    assert ci.high - ci.low == pytest.approx(2 * 1.96 * 0.1 / np.sqrt(200), rel=0.25)
    assert stats.bootstrap_mean(x, seed=0, n_resamples=2000) == ci


def test_paired_test_does_not_call_noise_significant():
    """Two rows whose per-problem differences are symmetric noise are not significantly different;
    identical rows give p = 1."""
    rng = np.random.default_rng(1)
    x = rng.uniform(0, 1, 12)
    noise = rng.normal(0, 0.05, 12)
    noise -= noise.mean()
    assert stats.paired_permutation_test(x, x + noise, seed=0, n_resamples=9999) > 0.5
    assert stats.paired_permutation_test(x, x, seed=0, n_resamples=9999) == 1.0


def test_bradley_terry_recovers_the_strength_order():
    """Comparisons drawn from known strengths give ratings in the same order, centred on 1000,
    whatever the optimiser's starting point."""
    rng = np.random.default_rng(0)
    true = np.array([1.0, 0.3, -0.2, -1.1])
    wins = np.zeros((4, 4))
    for _ in range(400):
        i, j = rng.choice(4, 2, replace=False)
        p = 1 / (1 + np.exp(-(true[i] - true[j])))
        if rng.uniform() < p:
            wins[i, j] += 1
        else:
            wins[j, i] += 1
    theta = stats.bradley_terry(wins)
    ratings = stats.elo(theta)
    assert list(np.argsort(-ratings)) == [0, 1, 2, 3]
    assert ratings.mean() == pytest.approx(1000.0)
    # a bootstrap refit starts from the full-data estimate: the start must not change the answer
    np.testing.assert_allclose(stats.bradley_terry(wins, start=np.array([3.0, -2.0, 1.0, 0.5])), theta, atol=1e-6)


def test_ties_split_the_win(tmp_path):
    """Equal eff@1 on a problem (within measurement jitter) counts half a win each way."""
    w = stats.win_matrices(np.array([[0.5, 0.5, 0.1, 0.50003]]))
    assert w[0, 0, 1] == w[0, 1, 0] == 0.5 and w[0, 0, 2] == 1.0 and w[0, 2, 0] == 0.0
    assert w[0, 3, 0] == w[0, 0, 3] == 0.5


def test_outputs_are_written_and_self_contained(written):
    """leaderboard.md, leaderboard.json (versioned), index.html and PNG+SVG plots exist; the page
    loads nothing from the network and inlines its plots; the JSON records the resamples."""
    out, doc = written
    data = json.loads((out / "leaderboard.json").read_text())
    assert data["schema"] == SCHEMA and data["schema_version"] == SCHEMA_VERSION
    assert data["settings"]["bootstrap_resamples"] == FAST.bootstrap_resamples
    page = (out / "index.html").read_text()
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)
    assert page.count("data:image/png;base64,") == 4
    for plot in data["tables"][0]["plots"].values():
        assert plot["files"], plot["caption"]
        for rel in plot["files"].values():
            assert (out / rel).stat().st_size > 1000
    md = (out / "leaderboard.md").read_text()
    for label in TRUE_ORDER:
        assert f"| {label} |" in md
    # every row links to its drill-down, every problem has one
    for row in data["tables"][0]["rows"]:
        assert f'href="#row-{row["slug"]}"' in page and f'id="row-{row["slug"]}"' in page
    for pid in lr.PROBLEMS:
        assert f'id="problem-table-1-{pid}"' in page


def test_drill_down_has_verdicts_and_level_counts_against_expert_and_slower(written):
    """The per-problem drill-down gives each row's verdict mix and its best sample's counts per
    level next to the expert's profile and the slower tier's counts."""
    out, doc = written
    (table,) = doc["tables"]
    pid = lr.PROBLEMS[0]
    page = (out / "index.html").read_text()
    section = page[page.index(f'id="problem-table-1-{pid}"') :]
    section = section[: section.index("</details>")]
    assert "expert profile" in section and "slower tier loop" in section
    mid = next(r for r in table["rows"] if r["label"] == "mid")
    best = mid["problems"][pid]["samples"][mid["problems"][pid]["best_sample"]]
    top = best["level_costs"][-1]
    assert f"{top:,.0f}" in section
    assert mid["problems"][pid]["verdicts"] == {"ok": 3}


def test_refinement_rounds_are_rows_scored_best_so_far(written):
    """Round 2 of a refining model scores each chain's best of rounds 1-2, with cumulative tokens."""
    _, doc = written
    rows = {r["label"]: r for r in doc["tables"][0]["rows"]}
    r1, r2 = rows["refiner (round 1)"], rows["refiner (round 2)"]
    assert r2["eff@1"] > r1["eff@1"]
    assert r2["tokens_per_problem"] == pytest.approx(2 * r1["tokens_per_problem"])
    assert r1["strategy"] == r2["strategy"] == "refine"


def test_flaky_model_pass_rate_and_verdict_mix(tmp_path):
    """A model wrong on one sample in three has pass@1 2/3 on a problem and 'wrong' in its mix;
    a sample the harness failed to run is in the mix as infra, not scored, and counted on the row;
    an error is in the mix with its exception type."""
    problems = lr.make_problem_set(tmp_path / "set")
    samples = []
    for i, pid in enumerate(lr.PROBLEMS):
        for s in range(3):
            code = lr.candidate_code(lr.factor("fast", i), wrong=(s == 0))
            samples.append(("flaky", pid, s, code, lr.usage(100)))
    samples.append(("flaky", lr.PROBLEMS[1], 3, "# infra\n" + lr.candidate_code(1.1), lr.usage(100)))
    samples.append(("flaky", lr.PROBLEMS[2], 3, "# raises\n" + lr.candidate_code(1.1), lr.usage(100)))
    run = lr.write_run(tmp_path / "flaky", problems, samples)
    ref = lr.write_run(tmp_path / "ref", problems, lr.reference_samples(problems), tiers="expert,slower")
    doc = build([run, ref], FAST, str(problems))[1]
    flaky = next(r for r in doc["tables"][0]["rows"] if r["label"] == "flaky")
    # 2 correct of 3 on eleven problems, 2 of 4 where one more sample raised
    assert flaky["pass@1"] == pytest.approx((11 * 2 / 3 + 2 / 4) / 12)
    assert flaky["problems"][lr.PROBLEMS[0]]["verdicts"] == {"ok": 2, "wrong": 1}
    assert flaky["problems"][lr.PROBLEMS[1]]["verdicts"] == {"infra": 1, "ok": 2, "wrong": 1}
    assert flaky["problems"][lr.PROBLEMS[1]]["n"] == 3 and flaky["infra_failures"] == 1
    assert flaky["problems"][lr.PROBLEMS[2]]["verdicts"] == {"error": 1, "ok": 2, "wrong": 1}
    assert flaky["problems"][lr.PROBLEMS[2]]["error_types"] == {"ValueError": 1}


def test_different_meters_are_separate_tables_unless_allow_mixed(synthetic, tmp_path):
    """A run with another meter is never ranked silently with the others: a separate table naming
    the difference; with allow_mixed one table, marked mixed in JSON, Markdown and HTML."""
    root, runs, problems = synthetic
    other = lr.write_run(tmp_path / "timed", Path(problems), lr.model_samples({"fast": 1.1}), meter="time")
    doc = build([*runs, other], FAST, problems)[1]
    assert len(doc["tables"]) == 2
    assert any("meter: valgrind vs time" in d for d in doc["tables"][1]["differences"])
    assert not doc["mixed"]
    out = tmp_path / "mixed"
    mixed = write_leaderboard([*runs, other], out, Settings(bootstrap_resamples=200, allow_mixed=True), problems)
    (table,) = mixed["tables"]
    assert mixed["mixed"] and table["mixed"] and all(r["mixed"] for r in table["rows"])
    assert any("meter" in d for d in table["differences"])
    md, page = (out / "leaderboard.md").read_text(), (out / "index.html").read_text()
    assert "MIXED" in md and "MIXED" in page
    assert md.count("†") >= len(table["rows"])


def test_seeds_are_shown_and_their_sharing_stated(written):
    """Each row shows its run's input seed; the table says the rows do not share one."""
    out, doc = written
    (table,) = doc["tables"]
    assert {r["seed"] for r in table["rows"]} == {"seed-a", "seed-b", "seed-c"}
    assert table["seeds_shared"] is False
    assert "do not share one input seed" in (out / "leaderboard.md").read_text()


def test_corrupt_and_foreign_run_dirs_are_named_and_the_others_reported(synthetic, tmp_path):
    """A folder that is not a run, and a run whose records are corrupt, are named in the error
    list (JSON, Markdown, stderr) while the usable runs are still ranked; exit code 0."""
    root, runs, problems = synthetic
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("hello")
    corrupt = tmp_path / "corrupt"
    shutil.copytree(runs[1], corrupt)
    lines = (corrupt / "samples.jsonl").read_text().splitlines()
    lines[3] = '{"model": "fast", "problem_id": 7'
    (corrupt / "samples.jsonl").write_text("\n".join(lines) + "\n")
    out = tmp_path / "out"
    result = CliRunner().invoke(
        main,
        [
            "leaderboard",
            str(runs[0]),
            str(foreign),
            str(corrupt),
            "--out",
            str(out),
            "--resamples",
            "200",
            "--problems-dir",
            problems,
        ],
    )
    assert result.exit_code == 0, result.output
    doc = json.loads((out / "leaderboard.json").read_text())
    errors = {e["path"]: e["error"] for e in doc["errors"]}
    assert set(errors) == {str(foreign), str(corrupt)}
    assert "not an effbench run directory" in errors[str(foreign)]
    assert "samples.jsonl" in errors[str(corrupt)] or "corrupt" in errors[str(corrupt)]
    assert str(foreign) in result.stderr and str(corrupt) in result.stderr
    assert [r["label"] for r in doc["tables"][0]["rows"]] == ["expert", "slower"]
    assert str(corrupt) in (out / "leaderboard.md").read_text()


def test_no_usable_run_dir_exits_2_and_writes_nothing(tmp_path):
    """Only unusable directories: one line naming them, exit code 2, no output folder."""
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["leaderboard", str(foreign), str(tmp_path / "missing"), "--out", str(out)])
    assert result.exit_code == 2
    assert str(foreign) in result.stderr and "missing" in result.stderr
    assert not out.exists() and not list(tmp_path.glob(".out*"))
    with pytest.raises(EffbenchError):
        build([foreign], FAST)


def test_rows_without_a_common_problem_are_not_ranked_on_others(tmp_path):
    """A row missing a problem is ranked on the problems every row has, and says which it lacks."""
    problems = lr.make_problem_set(tmp_path / "set")
    some = [s for s in lr.model_samples({"mid": 1.4}) if s[1] != lr.PROBLEMS[0]]
    run_a = lr.write_run(tmp_path / "a", problems, some)
    run_b = lr.write_run(tmp_path / "b", problems, lr.model_samples({"fast": 1.1}))
    doc = build([run_a, run_b], FAST, str(problems))[1]
    (table,) = doc["tables"]
    assert lr.PROBLEMS[0] not in table["problems"] and len(table["problems"]) == 11
    fast = next(r for r in table["rows"] if r["label"] == "fast")
    assert fast["excluded_problems"] == [lr.PROBLEMS[0]]


def test_one_problem_gives_no_test_and_no_crash():
    """A run on a single problem (the README's own example) still gets a leaderboard: one paired
    observation cannot be tested, so adjacent rows are never called significantly different."""
    from effbench.leaderboard.stats import paired_permutation_test

    assert paired_permutation_test(np.array([1.0]), np.array([0.1]), seed=0, n_resamples=100) == 1.0


def test_a_row_with_an_excluded_problem_of_fewer_samples_keeps_its_shared_k(tmp_path):
    """A row's problem outside the shared set, with fewer samples than its shared problems, does not
    cut the k its shared problems provide: every k a row reports (1..n_min over the shared problems)
    is computed from each shared problem's own samples, and each problem carries eff@k / pass@k for
    every k up to its own n. (Was a KeyError: run 1 held tri_00 n=6 and tri_01 n=2, run 2 tri_00 n=3.)"""
    problems = lr.make_problem_set(tmp_path / "set")
    shared, extra = lr.PROBLEMS[0], lr.PROBLEMS[1]

    def samples(model: str, per_problem: dict[str, int]) -> list:
        return [
            (model, pid, s, lr.candidate_code(lr.TRUE_FACTORS[model] + 0.05 * s), {"strategy": "parallel"})
            for pid, n in per_problem.items()
            for s in range(n)
        ]

    run1 = lr.write_run(tmp_path / "run1", problems, samples("fast", {shared: 6, extra: 2}))
    run3 = lr.write_run(tmp_path / "run3", problems, samples("slow", {shared: 3}))
    out = tmp_path / "lb"
    result = CliRunner().invoke(
        main,
        ["leaderboard", str(run1), str(run3), "--out", str(out), "--resamples", "200", "--problems-dir", str(problems)],
    )
    assert result.exit_code == 0, result.output
    doc = json.loads((out / "leaderboard.json").read_text())
    (table,) = doc["tables"]
    assert table["problems"] == [shared] and table["k_shared"] == 3
    rows = {r["label"]: r for r in table["rows"]}
    assert rows["fast"]["excluded_problems"] == [extra]
    assert rows["fast"]["n_min"] == 6 and list(rows["fast"]["eff@k"]) == [str(k) for k in range(1, 7)]
    assert list(rows["slow"]["eff@k"]) == ["1", "2", "3"]
    # from the shared problem's own six samples: eff@1 their mean, eff@6 the best of them
    effs = [s["efficiency"] for s in rows["fast"]["problems"][shared]["samples"]]
    assert len(effs) == 6 and len(set(effs)) == 6
    assert rows["fast"]["eff@k"]["1"] == pytest.approx(np.mean(effs))
    assert rows["fast"]["eff@k"]["6"] == pytest.approx(max(effs))
    assert rows["fast"]["eff@k_shared"] == rows["fast"]["eff@k"]["3"]
    # the problems of a row, shared or not, each carry every k up to their own n
    for row in table["rows"]:
        for pid, p in row["problems"].items():
            assert list(p["eff@k"]) == [str(k) for k in range(1, p["n"] + 1)], (row["label"], pid)


def _one_model_run(tmp_path: Path, n: int) -> tuple[Path, Path]:
    """A run of model ``fast`` on two problems, ``n`` samples each, and its problem set."""
    problems = lr.make_problem_set(tmp_path / "set")
    samples = [
        ("fast", pid, s, lr.candidate_code(1.1 + 0.05 * s), {"strategy": "parallel"})
        for pid in lr.PROBLEMS[:2]
        for s in range(n)
    ]
    return lr.write_run(tmp_path / "run", problems, samples), problems


def test_the_terminal_summary_names_the_figure_beside_each_label(tmp_path):
    """Invariant: the line `effbench leaderboard` prints per table names the figure it gives beside
    each row's label (eff@1), and that figure is the row's eff@1 in leaderboard.json. Fault it
    blocks (newcomer on ac48d24): the main job's leaderboard printed 'table-1: 2 rows on 61
    problems: expert 1.000, slower 0.099', a bare number a newcomer could not tell from pass@1
    (the slower tiers' pass@1 was 0.951), the rating or the speedup."""
    run, problems = _one_model_run(tmp_path, 2)
    out = tmp_path / "lb"
    result = CliRunner().invoke(
        main, ["leaderboard", str(run), "--out", str(out), "--resamples", "200", "--problems-dir", str(problems)]
    )
    assert result.exit_code == 0, result.output
    row = json.loads((out / "leaderboard.json").read_text())["tables"][0]["rows"][0]
    assert f"table-1: 1 row on 2 problems, eff@1: fast {row['eff@1']:.3f}" in result.output, result.output


def test_one_row_at_k_1_is_told_in_the_singular_with_one_eff1_column(tmp_path):
    """One row of one sample per problem: the CLI says "1 row on 2 problems", and the tables (Markdown,
    HTML) show eff@1 once, not again as the eff@k column (k_shared = 1)."""
    run, problems = _one_model_run(tmp_path, 1)
    out = tmp_path / "lb"
    result = CliRunner().invoke(
        main, ["leaderboard", str(run), "--out", str(out), "--resamples", "200", "--problems-dir", str(problems)]
    )
    assert result.exit_code == 0, result.output
    assert "table-1: 1 row on 2 problems, eff@1: fast " in result.output
    assert json.loads((out / "leaderboard.json").read_text())["tables"][0]["k_shared"] == 1
    header = next(line for line in (out / "leaderboard.md").read_text().splitlines() if line.startswith("| #"))
    assert [c.strip() for c in header.strip("|").split("|")].count("eff@1") == 0
    assert header.count("eff@1") == 1
    page = (out / "index.html").read_text()
    assert page.count('scope="col">eff@1') == 1


@pytest.mark.parametrize("n", [1, 2])
def test_eff_at_k_plot_has_whole_k_ticks_only(tmp_path, monkeypatch, n):
    """k counts samples: the eff@k-vs-k plot's x ticks are whole numbers (no 1.2, 1.4, ...), also
    when every row has one sample per problem (a leaderboard of references: k = 1 only, where
    matplotlib's integer locator found one whole number in view and fell back to 0.945 ... 1.05)."""
    from effbench.leaderboard import plots

    run, problems = _one_model_run(tmp_path, n)
    seen = {}
    save = plots._save

    def capture(fig, out_dir, name):  # noqa: ANN001, ANN202
        fig.canvas.draw()
        ax = fig.axes[0]
        low, high = ax.get_xlim()
        seen[name] = [t for t in ax.get_xticks() if low <= t <= high]
        return save(fig, out_dir, name)

    monkeypatch.setattr(plots, "_save", capture)
    write_leaderboard([run], tmp_path / "lb", FAST, str(problems))
    ticks = seen["table-1-eff-at-k"]
    assert ticks and all(float(t).is_integer() for t in ticks), ticks
    assert set(range(1, n + 1)) <= {int(t) for t in ticks}, ticks


def test_an_unfinished_run_is_not_ranked_beside_finished_ones(tmp_path):
    """Invariant: a run directory without summary.json (interrupted, failed or still running) is
    not ranked beside finished runs unless asked for, and when asked for its rows say so. Threat:
    a run stopped after a few samples was ranked on them as if complete (a newcomer's Ctrl-C'd
    run beside a finished one, with no word of it in any output)."""
    problems = lr.make_problem_set(tmp_path / "set")
    done = lr.write_run(tmp_path / "done", problems, lr.model_samples({"fast": 1.1}))
    partial = [s for s in lr.model_samples({"mid": 1.4}) if s[1] in lr.PROBLEMS[:4]]
    cut = lr.write_run(tmp_path / "cut", problems, partial, finished=False)
    out = tmp_path / "out"
    args = ["leaderboard", str(done), str(cut), "--out", str(out), "--resamples", "200"]
    args += ["--problems-dir", str(problems)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert f"{cut}: the run has not finished" in result.stderr and "--include-unfinished" in result.stderr
    doc = json.loads((out / "leaderboard.json").read_text())
    assert [r["label"] for t in doc["tables"] for r in t["rows"]] == ["fast"]
    assert any(e["path"] == str(cut) and "has not finished" in e["error"] for e in doc["errors"])
    assert "has not finished" in (out / "leaderboard.md").read_text()
    shutil.rmtree(out)
    result = CliRunner().invoke(main, [*args, "--include-unfinished"])
    assert result.exit_code == 0, result.output
    doc = json.loads((out / "leaderboard.json").read_text())
    assert sorted(r["label"] for t in doc["tables"] for r in t["rows"]) == ["fast", "mid (unfinished)"]
    assert doc["settings"]["include_unfinished"] is True and not doc["errors"]
    # alone, an unfinished run is refused by name, not ranked
    alone = CliRunner().invoke(main, ["leaderboard", str(cut), "--out", str(tmp_path / "alone")])
    assert alone.exit_code == 2 and "has not finished" in alone.stderr


def test_a_samples_files_row_shows_no_cost_not_zero_tokens(tmp_path):
    """Invariant: the cost column of a row whose samples came from a samples file (nothing was
    generated, so no tokens were counted) reads '–' in the Markdown and the page, as a reference
    row's does, never '0 tok' (a newcomer's samples file was shown as costing 0 tokens); a model
    row's cost is still shown."""
    problems = lr.make_problem_set(tmp_path / "set")
    filed = [("filed", pid, 0, lr.candidate_code(1.3), {}) for pid in lr.PROBLEMS]
    run = lr.write_run(tmp_path / "run", problems, filed + lr.model_samples({"mid": 1.4}, n=1))
    out = tmp_path / "board"
    result = CliRunner().invoke(main, ["leaderboard", str(run), "--out", str(out)])
    assert result.exit_code == 0, result.output
    rows = {line.split("|")[2].strip(): line for line in (out / "leaderboard.md").read_text().splitlines()
            if line.startswith("| ") and line.split("|")[1].strip().isdigit()}  # fmt: skip
    assert "| samples |" in rows["filed"] and " tok" not in rows["filed"] and "| – |" in rows["filed"]
    assert " tok" in rows["mid"]
    page = (out / "index.html").read_text()
    assert ">0 tok" not in page and " tok" in page


def test_curves_of_a_run_without_generated_samples_name_its_models_and_what_curves_need(tmp_path):
    """Invariant: effbench curves on a run whose samples were not generated (the main job's
    references, a samples file) is one error line, exit 2, that names the models it found and says
    which runs curves need and which command gives the tables of any run (a newcomer ran it on the
    main job's run and read only 'curves need model runs'); no output folder is written."""
    problems = lr.make_problem_set(tmp_path / "set")
    run = lr.write_run(tmp_path / "refs", problems, lr.reference_samples(problems))
    out = tmp_path / "curves"
    result = CliRunner().invoke(main, ["curves", str(run), "--out", str(out)])
    assert result.exit_code == 2, result.output
    (line,) = [x for x in result.stderr.splitlines() if x.startswith("effbench: error:")]
    assert "the models here, expert, slower, come from samples files or --references" in line
    assert "`effbench evaluate --model`" in line and "`effbench sweep`" in line
    assert "`effbench score RUN_DIR`" in line
    assert not out.exists()


def test_curves_of_an_unfinished_run_say_so(tmp_path):
    """Invariant: effbench curves on a run without summary.json warns, naming the run, that its
    curves show only the samples scored so far (they are still drawn: a sweep in progress is
    worth a look)."""
    problems = lr.make_problem_set(tmp_path / "set")
    cut = lr.write_run(tmp_path / "cut", problems, lr.model_samples({"mid": 1.4}, n=1), finished=False)
    result = CliRunner().invoke(main, ["curves", str(cut), "--out", str(tmp_path / "curves")])
    assert result.exit_code == 0, result.output
    assert f"{cut}: the run has not finished" in result.stderr
    done = lr.write_run(tmp_path / "done", problems, lr.model_samples({"mid": 1.4}, n=1))
    result = CliRunner().invoke(main, ["curves", str(done), "--out", str(tmp_path / "curves2")])
    assert result.exit_code == 0, result.output
    assert "has not finished" not in result.stderr


def test_a_run_whose_last_sample_line_is_cut_short_is_not_ranked_as_complete(tmp_path):
    """Invariant: a run whose samples.jsonl ends in a torn line (a crash, a partial copy) is not
    ranked as complete, even with summary.json: its sample is not counted. Threat: the leaderboard
    ranked such a run silently on one problem fewer (exit 0, no word), where `score` warns."""
    problems = lr.make_problem_set(tmp_path / "set")
    run = lr.write_run(tmp_path / "run", problems, lr.model_samples({"fast": 1.1}))
    samples = run / "samples.jsonl"
    samples.write_bytes(samples.read_bytes()[:-40])
    args = ["leaderboard", str(run), "--out", str(tmp_path / "out"), "--problems-dir", str(problems)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2 and "is cut short" in result.stderr and "--include-unfinished" in result.stderr
    result = CliRunner().invoke(main, [*args, "--include-unfinished"])
    assert result.exit_code == 0, result.output
    doc = json.loads((tmp_path / "out" / "leaderboard.json").read_text())
    assert [r["label"] for t in doc["tables"] for r in t["rows"]] == ["fast (unfinished)"]


def _damaged(tmp_path, problems, how):
    """A finished model run, then its samples.jsonl damaged ``how`` after it ended."""
    run = lr.write_run(tmp_path / how, problems, lr.model_samples({"fast": 1.1, "mid": 1.4}, n=2))
    samples = run / "samples.jsonl"
    lines = samples.read_bytes().splitlines(keepends=True)
    if how == "emptied":
        samples.write_bytes(b"")
    elif how == "cut_at_a_line":
        samples.write_bytes(b"".join(lines[: len(lines) // 2]))
    elif how == "joined_with_another_run":
        other = lr.write_run(tmp_path / "other", problems, lr.model_samples({"slow": 1.8}, n=1))
        samples.write_bytes(samples.read_bytes() + (other / "samples.jsonl").read_bytes())
    elif how == "a_record_of_another_alpha":
        record = json.loads(lines[0])
        record.update(alpha=3.0, sample_index=99)
        samples.write_bytes(samples.read_bytes() + json.dumps(record).encode() + b"\n")
    return run


@pytest.mark.parametrize("how", ["emptied", "cut_at_a_line", "joined_with_another_run", "a_record_of_another_alpha"])
def test_records_that_are_not_the_runs_are_never_plotted_or_ranked(tmp_path, how):
    """Invariant: a run whose samples.jsonl no longer holds what the run scored (emptied, cut at a
    line boundary, joined with another run's records, a record judged at another alpha) is refused
    by name by `effbench curves` and never ranked by the leaderboard (not even with
    --include-unfinished); `effbench score` warns in one line. Before: curves plotted the other
    run's samples, or fewer, with exit 0 and no word; the leaderboard ranked them; an emptied file
    was called 'no scored samples yet'."""
    problems = lr.make_problem_set(tmp_path / "set")
    run = _damaged(tmp_path, problems, how)
    result = CliRunner().invoke(main, ["curves", str(run), "--out", str(tmp_path / "curves")])
    assert result.exit_code == 2, result.output
    (line,) = [x for x in result.stderr.splitlines() if x.startswith("effbench: error:")]
    assert f"{run / 'samples.jsonl'}" in line
    assert ("another run's" in line) if how == "a_record_of_another_alpha" else ("in summary.json" in line)
    for extra in ([], ["--include-unfinished"]):
        args = ["leaderboard", str(run), "--out", str(tmp_path / "lb"), "--problems-dir", str(problems), *extra]
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 2 and "no usable run directory" in result.stderr, result.output
        assert f"{run / 'samples.jsonl'}" in result.stderr
    result = CliRunner().invoke(main, ["score", str(run)])
    assert f"effbench: warning: {run / 'samples.jsonl'}" in result.stderr


def test_curves_of_a_run_whose_last_line_is_cut_short_say_so(tmp_path):
    """Invariant: effbench curves on a run whose samples.jsonl ends in a torn line (a crash, a
    partial copy) warns, naming the file and line, that the sample is left out (before: the
    curves silently left it out, where score and the leaderboard say so)."""
    problems = lr.make_problem_set(tmp_path / "set")
    run = lr.write_run(tmp_path / "run", problems, lr.model_samples({"fast": 1.1}, n=2))
    samples = run / "samples.jsonl"
    samples.write_bytes(samples.read_bytes()[:-40])
    result = CliRunner().invoke(main, ["curves", str(run), "--out", str(tmp_path / "curves")])
    assert result.exit_code == 0, result.output
    assert f"{samples}:{len(samples.read_bytes().splitlines())}: a line cut short" in result.stderr


def test_one_run_named_twice_is_drawn_and_ranked_once(tmp_path):
    """Invariant: a run directory given twice to curves or the leaderboard (another spelling of
    its path, a symlink, a copy of the folder) counts once, and the repeat is named on stderr.
    Before: two curves and two leaderboard rows of one run (`effbench leaderboard runs/a runs/a/`
    ranked 'fast [a]' beside itself)."""
    problems = lr.make_problem_set(tmp_path / "set")
    run = lr.write_run(tmp_path / "a", problems, lr.model_samples({"fast": 1.1}, n=1))
    (tmp_path / "link").symlink_to(run)
    shutil.copytree(run, tmp_path / "copy")
    names = [str(run), f"{run}/", str(tmp_path / "link"), str(tmp_path / "copy")]
    result = CliRunner().invoke(main, ["curves", *names, "--out", str(tmp_path / "curves")])
    assert result.exit_code == 0, result.output
    assert result.stderr.count(f"the same run as {run} (another path to it, or a copy): drawn once") == 3
    doc = json.loads((tmp_path / "curves" / "curves.json").read_text())
    assert {p["series"] for p in doc["points"]} == {"fast (parallel)"}
    result = CliRunner().invoke(
        main, ["leaderboard", *names, "--out", str(tmp_path / "lb"), "--problems-dir", str(problems)]
    )
    assert result.exit_code == 0, result.output
    assert result.stderr.count("ranked once") == 3
    board = json.loads((tmp_path / "lb" / "leaderboard.json").read_text())
    assert [r["label"] for t in board["tables"] for r in t["rows"]] == ["fast"]


@pytest.mark.parametrize("layout", ["default_run_dir", "sweep_run"])
def test_an_unfinished_run_is_finished_by_the_command_its_messages_name_not_a_new_run(tmp_path, layout):
    """Invariant: every message about an unfinished run directory (`effbench score` with records
    or with none yet, `effbench leaderboard` on it, a line cut short, an unreadable line) names
    the command that finishes that very folder: `--run-dir DIR` for an `evaluate` run, the
    sweep's `--out` for a run of a sweep. Threat: the messages said "re-run the same `effbench
    evaluate` command"; a newcomer's run started without --run-dir (a new runs/<date>-<time>
    each time) and stopped by SIGTERM was then "finished" by a second, fresh run beside it, the
    first never finished and still refused by the leaderboard."""
    problems = lr.make_problem_set(tmp_path / "set")
    place = tmp_path / "runs" / "20261202-033334"
    if layout == "sweep_run":
        place = tmp_path / "sweep-out" / "parallel-n4"
        place.parent.mkdir(parents=True)
        (place.parent / "sweep.json").write_text("{}")
        wanted = f"effbench sweep` command with --out {place.parent}"
    else:
        wanted = f"--run-dir {place}"
    samples = [s for s in lr.model_samples({"mid": 1.4}) if s[1] in lr.PROBLEMS[:2]]
    run = lr.write_run(place, problems, samples, finished=False)
    said = []
    scored = CliRunner().invoke(main, ["score", str(run)])
    assert scored.exit_code == 0, scored.output
    said.append(scored.stderr)
    ranked = CliRunner().invoke(main, ["leaderboard", str(run), "--out", str(tmp_path / "lb"), "--resamples", "200"])
    assert ranked.exit_code == 2
    said.append(ranked.stderr)
    with (run / "samples.jsonl").open("a") as f:
        f.write('{"cut short')  # a crash mid-write: no newline
    torn = CliRunner().invoke(main, ["leaderboard", str(run), "--out", str(tmp_path / "lb2"), "--resamples", "200"])
    assert torn.exit_code == 2
    said.append(torn.stderr)
    with (run / "samples.jsonl").open("a") as f:
        f.write("\n{not json}\n")  # now an unreadable line, not a torn one
    unreadable = CliRunner().invoke(main, ["score", str(run)])
    assert unreadable.exit_code == 2
    said.append(unreadable.stderr)
    (run / "samples.jsonl").write_text("")  # stopped before its first sample
    empty = CliRunner().invoke(main, ["score", str(run)])
    assert empty.exit_code == 2
    said.append(empty.stderr)
    empty_ranked = CliRunner().invoke(main, ["leaderboard", str(run), "--out", str(tmp_path / "lb3")])
    assert empty_ranked.exit_code == 2
    said.append(empty_ranked.stderr)
    for text in said:
        assert wanted in text, text


def test_rows_that_leave_out_the_same_problems_are_named_together_once(tmp_path):
    """Invariant: in leaderboard.md and index.html, each distinct list of problems left out of the
    ranking is written once, naming every row that lacks them. Threat: a newcomer ranked the main
    job's run (expert and slower, 61 problems) beside his one-problem samples run, and the page
    listed the same 60 problem ids twice, once per reference row, burying the table."""
    problems = lr.make_problem_set(tmp_path / "set")
    both = lr.write_run(tmp_path / "both", problems, lr.model_samples({"fast": 1.1, "slow": 2.5}))
    one = [s for s in lr.model_samples({"mid": 1.4}) if s[1] == lr.PROBLEMS[0]]
    alone = lr.write_run(tmp_path / "one", problems, one)
    out = tmp_path / "lb"
    args = ["leaderboard", str(both), str(alone), "--out", str(out), "--resamples", "200"]
    result = CliRunner().invoke(main, [*args, "--problems-dir", str(problems)])
    assert result.exit_code == 0, result.output
    left_out = ", ".join(lr.PROBLEMS[1:])
    for text in ((out / "leaderboard.md").read_text(), (out / "index.html").read_text()):
        assert text.count("not ranked on") == 1, text
        (line,) = [part for part in text.splitlines() if "not ranked on" in part]
        assert "fast" in line and "slow" in line and "mid" not in line and left_out in line, line


def test_a_table_of_one_problem_says_why_its_intervals_are_blank(tmp_path):
    """Invariant: a table ranked on a single problem says, in leaderboard.md and index.html, that
    it has no intervals and no significant difference because it has one problem; a table of two
    or more problems says nothing of the kind. Threat: a newcomer's leaderboard of one-problem runs
    (the README's own example is one problem) showed empty `[95% CI]` cells and p=1 everywhere
    with no word of why."""
    problems = lr.make_problem_set(tmp_path / "set")
    one = [s for s in lr.model_samples({"fast": 1.1, "slow": 2.5}) if s[1] == lr.PROBLEMS[0]]
    two = [s for s in lr.model_samples({"fast": 1.1, "slow": 2.5}) if s[1] in lr.PROBLEMS[:2]]
    for name, samples, said in (("one", one, True), ("two", two, False)):
        run = lr.write_run(tmp_path / name, problems, samples)
        out = tmp_path / f"lb-{name}"
        args = ["leaderboard", str(run), "--out", str(out), "--resamples", "200", "--problems-dir", str(problems)]
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 0, result.output
        for text in ((out / "leaderboard.md").read_text(), (out / "index.html").read_text()):
            assert ("Ranked on 1 problem: no 95% interval" in text) is said, text


@pytest.mark.parametrize("n_problems", [1, 3])
def test_the_category_heat_map_keeps_every_label_inside_the_picture(tmp_path, monkeypatch, n_problems):
    """Invariant: every text of the per-category heat map (category and row labels, title, colour
    bar) lies inside the saved figure, however few categories the table has. Threat: a newcomer's
    leaderboard of a one-problem run drew a figure 2.1 inches wide, whose one rotated category
    label ran off its left edge ('ynamic programming')."""
    from effbench.leaderboard import plots

    monkeypatch.setattr(lr, "CATEGORIES", ("dynamic_programming", "bit_manipulation", "graphs"))
    problems = lr.make_problem_set(tmp_path / "set")
    samples = [s for s in lr.model_samples({"fast": 1.1, "slow": 2.5}) if s[1] in lr.PROBLEMS[:n_problems]]
    run = lr.write_run(tmp_path / "run", problems, [(f"{m} with a longer label", *rest) for m, *rest in samples])
    outside = {}
    save = plots._save

    def capture(fig, out_dir, name):  # noqa: ANN001, ANN202
        if name.endswith("-categories"):
            fig.canvas.draw()
            renderer = fig.canvas.get_renderer()
            box = fig.bbox
            outside[name] = [
                t.get_text()
                for t in fig.findobj(lambda a: hasattr(a, "get_text") and hasattr(a, "get_window_extent"))
                if t.get_visible() and t.get_text()
                for e in [t.get_window_extent(renderer)]
                if e.x0 < box.x0 - 1 or e.y0 < box.y0 - 1 or e.x1 > box.x1 + 1 or e.y1 > box.y1 + 1
            ]
        return save(fig, out_dir, name)

    monkeypatch.setattr(plots, "_save", capture)
    write_leaderboard([run], tmp_path / "lb", FAST, str(problems))
    assert outside == {"table-1-categories": []}, outside


#: model labels a careless or hostile user can give (a samples file's "model", --model, a record
#: edited by hand): HTML, an HTML comment, a link, emphasis, code, a heading, a list marker, an
#: escaped and an unescaped cell separator, and mathtext (valid and not) for matplotlib
HOSTILE_LABELS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<!-- swallow",
    "[link](javascript:alert(1))",
    "**bold** _it_ ~~x~~",
    "__dunder__ snake_case",
    "`tick",
    "# head",
    "1. first",
    "a|b\\|c\\",
    "$\\foo$ bad math",
    "costs $5 or $10",
]


def _hostile_run(tmp_path):
    problems = lr.make_problem_set(tmp_path / "set")
    samples = [
        (
            label,
            pid,
            0,
            lr.candidate_code(1.1 + 0.05 * j),
            {"strategy": "parallel", "model_name": label, **lr.usage(200 + j)},
        )
        for pid in lr.PROBLEMS[:3]
        for j, label in enumerate(HOSTILE_LABELS)
    ]
    return problems, lr.write_run(tmp_path / "run", problems, samples)


def _markdown_tokens(text: str) -> list:
    """The CommonMark + GFM-table tokens of ``text``, nested tokens flattened."""
    markdown_it = pytest.importorskip("markdown_it")
    tokens = []
    for token in markdown_it.MarkdownIt("commonmark").enable("table").parse(text):
        tokens.append(token)
        tokens += token.children or []
    return tokens


def _assert_plain_markdown(text: str, labels: list[str]) -> None:
    """No HTML and no link in ``text``; every table row has its header's cells; each label is a cell's text."""
    tokens = _markdown_tokens(text)
    kinds = {t.type for t in tokens}
    assert not kinds & {"html_inline", "html_block", "link_open", "code_inline", "em_open", "strong_open"}, kinds
    cells, rows, texts = 0, [], []
    for t in tokens:
        if t.type == "tr_open":
            cells = 0
        elif t.type in ("th_open", "td_open"):
            cells += 1
        elif t.type == "tr_close":
            rows.append(cells)
        elif t.type == "inline":
            texts.append("".join(c.content for c in t.children or [] if c.type in ("text", "softbreak")))
    assert rows and len(set(rows)) == 1, rows  # a split or merged cell changes a row's count
    for label in labels:
        assert any(label in x for x in texts), label


def test_hostile_labels_stay_text_in_leaderboard_md_and_the_page_and_the_plots_render(tmp_path):
    """Invariant: whatever a model label holds, the leaderboard is written (exit 0); in
    leaderboard.md it renders as exactly that text (no raw HTML, comment, link or emphasis; every
    table row keeps its cells), and index.html shows it escaped (the page's one script is its
    own). Before: leaderboard.md kept the label's raw HTML ('<!--' hid the rest of the page),
    'a|b\\|c' split the row, and a label with '$...$' crashed the plots (matplotlib mathtext:
    'Unknown symbol')."""
    problems, run = _hostile_run(tmp_path)
    out = tmp_path / "board"
    result = CliRunner().invoke(main, ["leaderboard", str(run), "--out", str(out), "--problems-dir", str(problems)])
    assert result.exit_code == 0, result.output
    _assert_plain_markdown((out / "leaderboard.md").read_text(), HOSTILE_LABELS)
    page = (out / "index.html").read_text()
    assert page.count("<script") == 1 and "<img src=x" not in page and "<!-- swallow" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_hostile_labels_stay_text_in_cheapest_md_and_the_curves_render(tmp_path):
    """Invariant: whatever a model label holds, `effbench curves` writes its figure (no mathtext:
    a '$\\foo$' label crashed savefig with a traceback) and cheapest.md renders every label as
    exactly that text, its table rows keeping their cells (labels were written raw)."""
    _, run = _hostile_run(tmp_path)
    out = tmp_path / "curves"
    result = CliRunner().invoke(main, ["curves", str(run), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert (out / "curves.png").stat().st_size > 0 and (out / "curves.svg").stat().st_size > 0
    _assert_plain_markdown((out / "cheapest.md").read_text(), HOSTILE_LABELS)


@pytest.mark.parametrize(
    ("tokens", "wrong", "n", "models", "note"),
    [
        (200, False, 1, ("m",), "one point: one sample per problem"),
        (0, False, 2, ("m",), "every point costs 0 tokens"),
        (100, True, 2, ("m",), "no sample passed: every pass rate and efficiency is 0"),
        (100, False, 1, ("a", "b"), "every point costs the same (100 tokens per problem)"),
    ],
    ids=["single-point", "zero-cost", "all-wrong", "identical-costs"],
)
def test_a_flat_or_empty_curve_is_still_drawn_and_says_why(tmp_path, tokens, wrong, n, models, note):
    """Invariant: `effbench curves` and the leaderboard's cost plot of runs whose figure is flat or
    empty (one point, every cost 0, every score 0, every cost the same) still write their plots,
    and say why in the figure's title, curves.json's ``notes``, on stderr and in the leaderboard's
    caption. Before: they drew a lone dot or a flat line on an axis of 0..1e-9 with no word, read
    as a broken plot."""
    problems = lr.make_problem_set(tmp_path / "set")
    samples = [
        (m, pid, s, lr.candidate_code(1.1, wrong), {"strategy": "parallel", "model_name": m, **lr.usage(tokens)})
        for pid in lr.PROBLEMS[:3]
        for m in models
        for s in range(n)
    ]
    run = lr.write_run(tmp_path / "run", problems, samples)
    out = tmp_path / "curves"
    result = CliRunner().invoke(main, ["curves", str(run), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert f"note: {note}" in result.stderr
    assert any(note in x for x in json.loads((out / "curves.json").read_text())["notes"])
    assert (out / "curves.png").stat().st_size > 0 and f"Note: {note}" in (out / "curves.svg").read_text()
    board = tmp_path / "board"
    result = CliRunner().invoke(main, ["leaderboard", str(run), "--out", str(board), "--problems-dir", str(problems)])
    assert result.exit_code == 0, result.output
    doc = json.loads((board / "leaderboard.json").read_text())
    assert note in doc["tables"][0]["plots"]["cost"]["caption"]


def test_two_leaderboards_written_into_one_folder_at_once_both_end_whole(synthetic, tmp_path, monkeypatch):
    """Invariant: a second `effbench leaderboard --out DIR` that starts and ends while a first one
    of the same DIR is writing leaves the first one able to finish: each writes in a scratch folder
    of its own, and DIR ends with whole files (the last writer's). Before: both used one scratch
    folder, '.DIR.partial'; the second deleted the first one's plots and scratch, and the first
    ended in 'cannot write the leaderboard ... No such file or directory', exit 2."""
    from effbench.leaderboard import plots

    _, runs, problems = synthetic
    out = tmp_path / "board"
    real, calls = plots.write_plots, []

    def racing(table, out_dir):  # noqa: ANN001, ANN202
        written = real(table, out_dir)
        calls.append(out_dir)
        if len(calls) == 1:  # the second leaderboard, from start to end, between the first one's writes
            write_leaderboard(runs[:1], out, FAST, problems)
        return written

    monkeypatch.setattr(plots, "write_plots", racing)
    doc = write_leaderboard(runs, out, FAST, problems)
    assert json.loads((out / "leaderboard.json").read_text())["tables"][0]["problems"] == doc["tables"][0]["problems"]
    page = (out / "index.html").read_text()
    assert page.rstrip().endswith("</html>") and "data:image/png;base64," in page
    assert [p.name for p in out.parent.iterdir() if p.name.endswith(".partial")] == []


def _many_rows_run(tmp_path: Path, n_rows: int) -> tuple[Path, Path]:
    """One run of ``n_rows`` models (one sample each on two problems), distinct cost factors."""
    problems = lr.make_problem_set(tmp_path / "set")
    samples = [
        (f"ckpt-{m:03d}", pid, 0, lr.candidate_code(1.05 + 0.8 * m / n_rows + 0.01 * i),
         {"strategy": "parallel", "model_name": f"ckpt-{m:03d}", **lr.usage(100)})
        for m in range(n_rows)
        for i, pid in enumerate(lr.PROBLEMS[:2])
    ]  # fmt: skip
    return lr.write_run(tmp_path / "run", problems, samples), problems


def test_many_rows_board_names_every_row_and_its_plots_say_how_many_were_drawn(tmp_path):
    """A board of 300 rows (a sweep, an RL run's checkpoints), fault "the leaderboard's time grows steeply
    with rows" (200 rows took 175 s, 500 did not finish): per-row plots draw the top PLOT_ROWS rows and every
    caption names how many of how many (and where the rest are), leaderboard.md and leaderboard.json still
    name every row, the terminal prints the top rows and counts the rest, and the rating bootstrap uses the
    documented number of resamples (recorded). Nothing is dropped silently."""
    from effbench.leaderboard.plots import PLOT_ROWS

    n = 300
    run, problems = _many_rows_run(tmp_path, n)
    out = tmp_path / "lb"
    result = CliRunner().invoke(
        main, ["leaderboard", str(run), "--out", str(out), "--resamples", "2000", "--problems-dir", str(problems)]
    )
    assert result.exit_code == 0, result.output
    doc = json.loads((out / "leaderboard.json").read_text())
    table = doc["tables"][0]
    labels = [f"ckpt-{m:03d}" for m in range(n)]
    assert [r["label"] for r in table["rows"]] == labels  # ranked by eff@1: the cost factor's order
    md = (out / "leaderboard.md").read_text()
    assert all(f"| {label} " in md or f"{label}" in md for label in labels)
    assert table["rating_resamples"] == stats.rating_resamples(n, 2000) == stats.BT_MIN_RESAMPLES
    assert all(r["rating_ci"] and r["rating_ci"]["low"] <= r["rating"] + 1e-9 for r in table["rows"])
    for name in ("eff_at_k", "categories", "problems", "cost"):
        plot = table["plots"][name]
        assert plot["files"], name
        assert (plot["rows_drawn"], plot["rows_total"]) == (PLOT_ROWS, n), name
        assert f"the top {PLOT_ROWS} of {n} rows by eff@1" in plot["caption"], name
        assert f"the other {n - PLOT_ROWS} (ranks {PLOT_ROWS + 1}-{n}) are in leaderboard.md" in plot["caption"]
    first = next(line for line in result.output.splitlines() if line.startswith("table-1:"))
    assert first.startswith(f"table-1: {n} rows on 2 problems, eff@1: ckpt-000 ") and "ckpt-010" not in first
    assert f"({n - 10} more rows of table-1 in {out / 'leaderboard.md'})" in result.output


def test_few_rows_plots_draw_every_row_with_no_word_of_a_cap(written):
    """A board within PLOT_ROWS draws every row, and no caption speaks of rows left out."""
    for t in written[1]["tables"]:
        for name, plot in t["plots"].items():
            assert plot["rows_drawn"] == plot["rows_total"] == len(t["rows"]), name
            assert "Drawn: the top" not in plot["caption"], name


def test_rating_bootstrap_cap_rule_and_fit_match_a_general_optimiser():
    """The rating bootstrap's resamples follow the documented rule (every asked one for few rows; at
    least BT_MIN_RESAMPLES; never more than asked), and the Newton fit is the maximum a posteriori point
    of the general-purpose optimiser (scipy.optimize.minimize) it replaced, on many rows and a dominating
    row; the intervals are the same for the same seed."""
    from scipy.optimize import minimize
    from scipy.special import log_expit

    assert stats.rating_resamples(7, 2000) == 2000
    assert stats.rating_resamples(200, 2000) == 250
    assert stats.rating_resamples(500, 2000) == stats.BT_MIN_RESAMPLES
    assert stats.rating_resamples(500, 150) == 150
    rng = np.random.default_rng(3)
    for scores in (rng.uniform(0, 1, (12, 60)) + np.linspace(0, 1.5, 60), np.array([[1.0, 0.2], [0.9, 0.1]])):
        w = stats.win_matrices(scores).sum(axis=0)

        def nll(t, w=w):
            return -np.sum(w * log_expit(t[:, None] - t[None, :])) + 0.5 * t @ t

        ref = minimize(nll, np.zeros(w.shape[0]), method="BFGS", options={"gtol": 1e-10}).x
        assert np.allclose(stats.bradley_terry(w), ref - ref.mean(), atol=1e-5)
    scores = rng.uniform(0, 1, (8, 5))
    a, b = stats.bradley_terry_intervals(scores, 7, 300), stats.bradley_terry_intervals(scores, 7, 300)
    assert np.array_equal(a[0], b[0]) and a[1] == b[1]
