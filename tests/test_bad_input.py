"""Bad input to the command line, as a careless user gives it (issue 12 items 8-10, 13, 14): every
case ends with exactly one line on stderr naming the file and line or the option, exit code 2, and
an earlier run directory that is byte-identical afterwards (the bad command is pointed at it
wherever it takes a run directory)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from effbench.rundir import REJECTED, RunDir

from .conftest import MINI

GOOD = {"task_id": "triangle", "solution": "def triangle(n):\n    return n * (n + 1) // 2\n"}


def effbench(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    # a time-out, not a hang, if a FIFO is ever opened again
    cmd = [sys.executable, "-m", "effbench", *args]
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)


def snapshot(root: Path) -> dict[str, tuple[int, bytes | None]]:
    """Every file and directory below ``root``: its mode and its bytes."""
    out: dict[str, tuple[int, bytes | None]] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            p = Path(dirpath) / name
            out[str(p.relative_to(root))] = (p.lstat().st_mode, None if p.is_dir() else p.read_bytes())
    return out


def the_one_error_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("effbench: error: "), stderr
    return lines[0]


@pytest.fixture(scope="module")
def env(tmp_path_factory) -> dict[str, str]:
    return {**os.environ, "EFFBENCH_CACHE_DIR": str(tmp_path_factory.mktemp("cache"))}


@pytest.fixture(scope="module")
def earlier(tmp_path_factory, env) -> Path:
    """A finished run directory (time meter, one sample: quick)."""
    base = tmp_path_factory.mktemp("earlier")
    samples = base / "good.jsonl"
    samples.write_text(json.dumps(GOOD) + "\n")
    run_dir = base / "run"
    out = effbench(
        "evaluate",
        "--problems-dir",
        str(MINI),
        "--problems",
        "triangle",
        "--samples",
        str(samples),
        "--meter",
        "time",
        "--workers",
        "1",
        "--run-dir",
        str(run_dir),
        env=env,
    )
    assert out.returncode == 0, out.stderr
    assert (run_dir / "samples.jsonl").read_text().strip()
    return run_dir


def evaluate_into(earlier: Path, samples: Path, *extra: str) -> list[str]:
    return [
        "evaluate",
        "--problems-dir",
        str(MINI),
        "--samples",
        str(samples),
        "--meter",
        "time",
        "--run-dir",
        str(earlier),
        *extra,
    ]


def assert_refused(out: subprocess.CompletedProcess, message: str, earlier: Path, before: dict) -> None:
    assert out.returncode == 2, out.stderr
    line = the_one_error_line(out.stderr)
    assert message in line, line
    assert snapshot(earlier) == before


# --- item 8: bytes that are not UTF-8, and a lone surrogate ---------------------------------------


def test_non_utf8_bytes_name_the_file_and_line(tmp_path, earlier, env):
    """A samples file with a Latin-1 byte on line 2 is refused at that line, not a traceback."""
    bad = tmp_path / "latin1.jsonl"
    bad.write_bytes(json.dumps(GOOD).encode() + b"\n" + json.dumps(GOOD).encode()[:-2] + b' # caf\xe9"}\n')
    before = snapshot(earlier)
    out = effbench(*evaluate_into(earlier, bad), env=env)
    assert_refused(out, f"{bad}:2: not UTF-8 text (byte 0xe9", earlier, before)


def test_lone_surrogate_in_a_solution_names_the_file_and_line(tmp_path, earlier, env):
    """JSON can spell "\\ud800", which no UTF-8 file can store: refused at its line, by field."""
    bad = tmp_path / "surrogate.jsonl"
    bad.write_text(json.dumps(GOOD) + "\n" + json.dumps({**GOOD, "solution": "x = '\ud800'"}) + "\n")
    assert "\\ud800" in bad.read_text()
    before = snapshot(earlier)
    out = effbench(*evaluate_into(earlier, bad), env=env)
    assert_refused(out, f"{bad}:2: 'solution' holds a lone surrogate \\ud800", earlier, before)


# --- item 9: non-finite and out-of-range numbers, on every command ---------------------------------

EVALUATE_NUMBERS = [
    ("--alpha", "nan"),
    ("--alpha", "inf"),
    ("--alpha", "-inf"),
    ("--alpha", "1"),
    ("--alpha", "1e9"),
    ("--temperature", "nan"),
    ("--temperature", "3"),
    ("--top-p", "inf"),
    ("--top-p", "-0.5"),
    ("--request-timeout", "nan"),
    ("--request-timeout", "0"),
    ("--memory-mb", "8"),
    ("--memory-mb", "99999999999"),
    ("--max-tokens", "0"),
    ("--sampling-seed", "-1"),
    ("--workers", "0"),
    ("--top-k", "0"),
    ("--top-k", "99999999999"),
    ("--context-length", "8"),
    ("--limit", "0"),
    ("--max-retries", "-1"),
    ("--rounds", "0"),
]


@pytest.mark.parametrize("option,value", EVALUATE_NUMBERS, ids=[f"{o}={v}" for o, v in EVALUATE_NUMBERS])
def test_evaluate_refuses_non_finite_and_out_of_range_numbers(tmp_path, earlier, env, option, value):
    """Each number option of evaluate refuses NaN, infinities and out-of-range values by name,
    before anything runs or is written (NaN once reached config.json)."""
    good = tmp_path / "good.jsonl"
    good.write_text(json.dumps(GOOD) + "\n")
    before = snapshot(earlier)
    out = effbench(*evaluate_into(earlier, good, option, value), env=env)
    assert_refused(out, f"evaluate: Invalid value for '{option}'", earlier, before)


EMPTY_LISTS = [
    (["evaluate", "--problems-dir", str(MINI), "--references", "expert", "--problems", ""], "--problems ''"),
    (["evaluate", "--problems-dir", str(MINI), "--references", "expert", "--problems", " , "], "--problems ' , '"),
    (["evaluate", "--problems-dir", str(MINI), "--references", "expert", "--category", ""], "--category ''"),
    (["evaluate", "--problems-dir", str(MINI), "--references", ""], "--references ''"),
    (["evaluate", "--problems-dir", str(MINI), "--references", " , "], "--references ' , '"),
    (["problems", "list", "--problems-dir", str(MINI), "--problems", ""], "--problems ''"),
    (["problems", "check", "--problems-dir", str(MINI), "--problems", ","], "--problems ','"),
    (["sandbox", "probe", "--meter", "time", "--only", ""], "--only ''"),
]


@pytest.mark.parametrize("args,message", EMPTY_LISTS, ids=[" ".join(a[:1] + a[-2:]) for a, _ in EMPTY_LISTS])
def test_a_list_option_that_names_nothing_is_refused_not_taken_as_all(earlier, env, args, message):
    """Invariant: --problems, --category, --only and --references given but naming nothing (an
    empty string, as an unset shell variable gives, or only commas) are refused by name, exit 2,
    before anything runs or is written; they once meant every problem (all 61 profiled) or the
    whole corpus, and --references '' beside --samples was dropped without a word."""
    before = snapshot(earlier)
    run_dir = ["--run-dir", str(earlier)] if args[0] == "evaluate" else []
    out = effbench(*args, *run_dir, env=env)
    assert_refused(out, f"{message}: names nothing", earlier, before)


@pytest.mark.parametrize("value", ["0", "100000", "nan"])
def test_model_concurrency_is_bounded(earlier, env, value):
    """--concurrency (a number or auto) is checked with the model options, before any request."""
    args = ["evaluate", "--problems-dir", str(MINI), "--model", "m", "--base-url", "http://127.0.0.1:9/v1"]
    before = snapshot(earlier)
    out = effbench(*args, "--run-dir", str(earlier), "--concurrency", value, env=env)
    assert_refused(out, "--concurrency", earlier, before)


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "0.5", "1e6"])
def test_score_refuses_non_finite_and_out_of_range_alpha(earlier, env, value):
    """score --alpha takes the same finite range as evaluate's."""
    before = snapshot(earlier)
    out = effbench("score", str(earlier), "--alpha", value, env=env)
    assert_refused(out, "score: Invalid value for '--alpha'", earlier, before)


@pytest.mark.parametrize("value", ["0", "nan", "1e3"])
def test_problems_check_refuses_bad_worker_counts(earlier, env, value):
    """problems check --workers is a bounded integer too."""
    before = snapshot(earlier)
    out = effbench("problems", "check", "--problems-dir", str(MINI), "--workers", value, env=env)
    assert_refused(out, "problems check: Invalid value for '--workers'", earlier, before)


@pytest.mark.parametrize("value", ["99", "1000000000", "nan"])
def test_leaderboard_refuses_out_of_range_resamples(tmp_path, earlier, env, value):
    """leaderboard --resamples is bounded both ways (a billion resamples would exhaust memory)."""
    before = snapshot(earlier)
    out = effbench("leaderboard", str(earlier), "--out", str(tmp_path / "lb"), "--resamples", value, env=env)
    assert_refused(out, "leaderboard: Invalid value for '--resamples'", earlier, before)
    assert not (tmp_path / "lb").exists()


def test_leaderboard_refuses_a_negative_seed_by_name(tmp_path, earlier, env):
    """Invariant: leaderboard --seed below 0 (numpy's default_rng takes no negative seed) is refused
    as a usage error naming the option, exit 2, nothing written. Before: it was taken as an int,
    the leaderboard computed and numpy's ValueError ('expected non-negative integer') ended it in a
    traceback, exit 1."""
    before = snapshot(earlier)
    out = effbench("leaderboard", str(earlier), "--out", str(tmp_path / "lb"), "--seed", "-5", env=env)
    assert_refused(out, "leaderboard: Invalid value for '--seed': -5 is not in the range x>=0", earlier, before)
    assert not (tmp_path / "lb").exists()


# --- item 10: a run directory that cannot be written ----------------------------------------------


@pytest.fixture
def read_only_dir(tmp_path):
    """A read-only location: a read-only tmpfs mount where we may mount (root, as in CI), else a
    directory without write permission (not root), else /sys, where nobody creates directories."""
    mount_point = tmp_path / "ro"
    mount_point.mkdir()
    mounted = (
        shutil.which("mount") is not None
        and subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", str(mount_point)], capture_output=True
        ).returncode
        == 0
    )
    if mounted:
        yield mount_point, "read-only file system"
        subprocess.run(["umount", str(mount_point)], check=True)
    elif os.geteuid() != 0:
        mount_point.chmod(0o555)
        yield mount_point, "no permission to write"
        mount_point.chmod(0o755)
    else:
        yield Path("/sys"), "cannot create anything in /sys"


def test_run_dir_that_is_a_file(tmp_path, earlier, env):
    good = tmp_path / "good.jsonl"
    good.write_text(json.dumps(GOOD) + "\n")
    target = tmp_path / "a-file"
    target.write_text("not a directory")
    before = snapshot(earlier)
    out = effbench(*evaluate_into(earlier, good, "--run-dir", str(target)), env=env)
    assert_refused(out, f"--run-dir {target}: is a file", earlier, before)
    assert target.read_text() == "not a directory"


def test_run_dir_below_a_file(tmp_path, earlier, env):
    good = tmp_path / "good.jsonl"
    good.write_text(json.dumps(GOOD) + "\n")
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    target = blocker / "sub" / "run"
    before = snapshot(earlier)
    out = effbench(*evaluate_into(earlier, good, "--run-dir", str(target)), env=env)
    assert_refused(out, f"--run-dir {target}: {blocker} is a file", earlier, before)


@pytest.mark.parametrize("link", ["loop", "dangling"])
def test_run_dir_below_a_loop_of_links_or_a_dangling_link_is_refused_before_anything_runs(tmp_path, earlier, env, link):
    """Invariant: a --run-dir below a symbolic link that loops (a -> b -> a) or points nowhere is
    refused with one line naming the link, exit 2, before the meter is chosen or anything runs.
    Before: the check skipped the link (it does not 'exist') and passed; the run chose its meter,
    then failed at mkdir with 'Too many levels of symbolic links'."""
    good = tmp_path / "good.jsonl"
    good.write_text(json.dumps(GOOD) + "\n")
    first = tmp_path / "a"
    if link == "loop":
        (tmp_path / "b").symlink_to(first)
        first.symlink_to(tmp_path / "b")
    else:
        first.symlink_to(tmp_path / "nowhere")
    target = first / "sub" / "run"
    before = snapshot(earlier)
    out = effbench(*evaluate_into(earlier, good, "--run-dir", str(target)), env=env)
    assert_refused(out, f"--run-dir {target}: {first} is a broken link (or a loop of links)", earlier, before)
    assert "meter:" not in out.stderr


def test_run_dir_in_a_read_only_location(tmp_path, earlier, env, read_only_dir):
    """Checked before anything runs: no meter line, no traceback, nothing created."""
    location, message = read_only_dir
    good = tmp_path / "good.jsonl"
    good.write_text(json.dumps(GOOD) + "\n")
    target = location / "effbench-run"
    before = snapshot(earlier)
    out = effbench(*evaluate_into(earlier, good, "--run-dir", str(target)), env=env)
    assert_refused(out, message, earlier, before)
    assert not target.exists()


@pytest.mark.parametrize("command", ["leaderboard", "curves"])
def test_output_directory_below_a_file(tmp_path, earlier, env, command):
    """The --out of leaderboard and curves is checked like --run-dir, before anything is computed."""
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    target = blocker / "out"
    before = snapshot(earlier)
    out = effbench(command, str(earlier), "--out", str(target), env=env)
    assert_refused(out, f"--out {target}: {blocker} is a file", earlier, before)


# --- item 13: a 200 MB samples file is validated with flat memory ---------------------------------


def _peak_rss_kib(args: list[str], env: dict[str, str]) -> tuple[int, str, int]:
    """Run effbench; return (exit code, stderr, the child's own peak resident set in KiB)."""
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "effbench", *args], stdout=subprocess.DEVNULL, stderr=err, env=env
        )
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        return proc.returncode, err.read().decode(), usage.ru_maxrss


def test_a_200_mb_samples_file_is_validated_in_constant_memory(tmp_path, earlier, env):
    """A 200 MB file whose last line is bad is refused at that line, and validating it takes no
    more memory than validating a 2-line file (within 64 MiB; holding it would take 200+ MiB)."""
    line = json.dumps({**GOOD, "solution": GOOD["solution"] + "# " + "x" * 2000 + "\n"}) + "\n"
    bad_last = '{"task_id": "triangle", "solution": 42}\n'
    big = tmp_path / "big.jsonl"
    n = (200 << 20) // len(line) + 1
    with big.open("w") as f:
        for _ in range(n):
            f.write(line)
        f.write(bad_last)
    assert big.stat().st_size >= 200 << 20
    small = tmp_path / "small.jsonl"
    small.write_text(line + bad_last)
    before = snapshot(earlier)
    code, err, peak_big = _peak_rss_kib(evaluate_into(earlier, big), env)
    assert code == 2 and f"{big}:{n + 1}: 'solution' must be a string" in the_one_error_line(err)
    code, err, peak_small = _peak_rss_kib(evaluate_into(earlier, small), env)
    assert code == 2 and f"{small}:2: 'solution' must be a string" in the_one_error_line(err)
    assert peak_big - peak_small < 64 << 10, (peak_big, peak_small)
    assert snapshot(earlier) == before


def test_an_overlong_line_is_refused_before_it_is_held(tmp_path, earlier, env):
    """One line longer than 16 MiB is refused by its number, without reading it whole."""
    big = tmp_path / "one-line.jsonl"
    big.write_text(json.dumps(GOOD) + "\n" + json.dumps({**GOOD, "solution": "#" * (17 << 20)}) + "\n")
    before = snapshot(earlier)
    out = effbench(*evaluate_into(earlier, big), env=env)
    assert_refused(out, f"{big}:2: line longer than 16 MiB", earlier, before)


# --- item 14: a directory or a FIFO given as the samples file -------------------------------------


def test_a_directory_as_samples_file_says_so(tmp_path, earlier, env):
    folder = tmp_path / "samples.jsonl"
    folder.mkdir()
    before = snapshot(earlier)
    out = effbench(*evaluate_into(earlier, folder), env=env)
    assert_refused(out, f"{folder}: is a directory", earlier, before)


def test_a_fifo_as_samples_file_says_so_without_blocking(tmp_path, earlier, env):
    """A named pipe with no writer would block a reader forever: it is named, never opened."""
    fifo = tmp_path / "samples.jsonl"
    os.mkfifo(fifo)
    before = snapshot(earlier)
    out = effbench(*evaluate_into(earlier, fifo), env=env)
    assert_refused(out, f"{fifo}: is a named pipe (FIFO)", earlier, before)


def test_a_symlink_loop_as_samples_file_says_so_not_a_traceback(tmp_path, earlier, env):
    """Invariant: a samples file that is a symbolic link loop (a -> b -> a) is refused with one
    line naming it and the system's reason, exit 2, the run directory unchanged. Before: a
    RuntimeError traceback ('Symlink loop from ...', exit 1) from Path.resolve in the CLI's check
    that a file is not given twice."""
    loop = tmp_path / "samples.jsonl"
    other = tmp_path / "other.jsonl"
    loop.symlink_to(other)
    other.symlink_to(loop)
    before = snapshot(earlier)
    out = effbench(*evaluate_into(earlier, loop), env=env)
    assert_refused(out, f"{loop}: cannot read: Too many levels of symbolic links", earlier, before)


def test_a_missing_samples_file_says_no_such_file(tmp_path, earlier, env):
    before = snapshot(earlier)
    out = effbench(*evaluate_into(earlier, tmp_path / "nope.jsonl"), env=env)
    assert_refused(out, f"{tmp_path / 'nope.jsonl'}: no such file", earlier, before)


@pytest.mark.parametrize("option", ["--prompt-template", "--prices"])
def test_a_fifo_as_a_model_option_file_says_so_without_blocking(tmp_path, earlier, env, option):
    """Files that --model runs read (the prompt template, the price table) are checked like the
    samples file: a FIFO would block the reader forever, so it is named and never opened."""
    fifo = tmp_path / "file.txt"
    os.mkfifo(fifo)
    args = ["evaluate", "--problems-dir", str(MINI), "--model", "m", "--base-url", "http://127.0.0.1:9/v1"]
    before = snapshot(earlier)
    out = effbench(*args, "--run-dir", str(earlier), option, str(fifo), env=env)
    assert_refused(out, f"{option} {fifo}: is a named pipe (FIFO)", earlier, before)


def test_integer_past_the_digit_limit_in_a_samples_file_is_one_line(tmp_path):
    """An integer longer than Python's 4300-digit limit in a samples line is bad JSON for us:
    one line naming file and line, exit 2, no run directory."""
    samples = tmp_path / "big.jsonl"
    samples.write_text('{"task_id": "triangle", "solution": "x", "n": ' + "9" * 5000 + "}\n")
    run_dir = tmp_path / "run"
    out = subprocess.run(
        [sys.executable, "-m", "effbench", "evaluate", "--samples", str(samples), "--problems-dir", str(MINI)]
        + ["--meter", "time", "--run-dir", str(run_dir)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 2, out.stderr
    errors = [line for line in out.stderr.splitlines() if line.startswith("effbench: error:")]
    assert len(errors) == 1 and "big.jsonl:1: invalid JSON" in errors[0], out.stderr
    assert "Traceback" not in out.stderr and not run_dir.exists()


# --- samples from two sources under one model label ------------------------------------------------


def test_two_sources_of_one_model_label_are_refused_not_merged(tmp_path, env):
    """Invariant: no sample is silently lost or mixed with another source's. Threat: samples are
    numbered per model and problem within their source, so two files whose label was the same
    (``a/samples.jsonl`` and ``b/samples.jsonl``: the default label is the stem), the same file
    given twice, or a file whose lines say ``"model": "expert"`` beside ``--references expert``
    were merged into one row, one sample of each pair kept (a newcomer's 6 + 10 samples became
    n=10; the bundled expert was replaced by a wrong file sample). Each is one error line, exit 2,
    and no run directory."""
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "samples.jsonl").write_text(json.dumps(GOOD) + "\n")
    labelled = tmp_path / "mine.jsonl"
    labelled.write_text(json.dumps({**GOOD, "model": "expert"}) + "\n")
    first, second = tmp_path / "a" / "samples.jsonl", tmp_path / "b" / "samples.jsonl"
    cases = [
        (["--samples", str(first), "--samples", str(second)], f"model 'samples' comes from both --samples {first}"),
        (["--samples", str(first), "--samples", str(tmp_path / "b" / ".." / "a" / "samples.jsonl")], "given twice"),
        (["--samples", str(labelled), "--references", "expert"], "model 'expert' comes from both"),
    ]
    for i, (args, message) in enumerate(cases):
        run_dir = tmp_path / f"run{i}"
        cmd = ["evaluate", "--problems-dir", str(MINI), "--meter", "time", "--run-dir", str(run_dir), *args]
        out = effbench(*cmd, env=env)
        assert out.returncode == 2, out.stderr
        assert message in the_one_error_line(out.stderr), out.stderr
        assert not run_dir.exists()


@pytest.mark.parametrize("value", ["", "  "])
@pytest.mark.parametrize("command", ["evaluate", "curves"])
def test_an_output_folder_that_names_nothing_is_refused_not_taken_as_the_current_one(
    tmp_path, earlier, env, command, value
):
    """Invariant: ``--run-dir ''`` and ``--out ''`` (an unset shell variable) are refused by name,
    one line and exit 2, and nothing is written in the current folder; ``--run-dir ''`` once meant
    the current folder ('.: exists and is not an effbench run directory', or, run from an empty
    folder, the run's files written straight into it)."""
    good = tmp_path / "good.jsonl"
    good.write_text(json.dumps(GOOD) + "\n")
    here = tmp_path / "here"
    here.mkdir()
    if command == "evaluate":
        args = ["evaluate", "--problems-dir", str(MINI), "--samples", str(good), "--meter", "time", "--run-dir", value]
        option = "--run-dir"
    else:
        args = ["curves", str(earlier), "--out", value]
        option = "--out"
    before = snapshot(earlier)
    cmd = [sys.executable, "-m", "effbench", *args]
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=here, timeout=300)
    assert_refused(out, "names no folder", earlier, before)
    assert f"Invalid value for '{option}'" in out.stderr
    assert list(here.iterdir()) == []


@pytest.mark.parametrize("name", ["samples.jsonl", "summary.json", "samples.rejected.jsonl"])
def test_a_run_directory_file_that_is_a_folder_is_refused_before_any_work(tmp_path, earlier, env, name):
    """A run directory whose samples.jsonl, summary.json or samples.rejected.jsonl is a folder
    (a careless mkdir, an unpacked archive) is refused on resume with one error line naming it
    (after the meter's line), exit 2, nothing changed. Before, samples.jsonl ended the resume in
    IsADirectoryError's traceback, summary.json let the whole run go on to end in one, and
    samples.rejected.jsonl waited for the first unreadable line to do so."""
    run = tmp_path / "run"
    shutil.copytree(earlier, run)
    target = run / name
    if target.exists():
        target.unlink()
    target.mkdir()
    good = tmp_path / "good.jsonl"
    good.write_text(json.dumps(GOOD) + "\n")
    before = snapshot(run)
    out = effbench(*evaluate_into(run, good, "--problems", "triangle", "--workers", "1"), env=env)
    assert out.returncode == 2, out.stderr
    errors = [line for line in out.stderr.splitlines() if line.startswith("effbench: error: ")]
    assert errors == [out.stderr.strip().splitlines()[-1]] and "Traceback" not in out.stderr, out.stderr
    assert f"{target}: is not a regular file" in errors[0]
    assert snapshot(run) == before


@pytest.fixture
def small_disk(tmp_path):
    """A 12 KiB tmpfs (root only; skipped where mounts are not allowed), unmounted after."""
    place = tmp_path / "small"
    place.mkdir()
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=12k", "none", str(place)]).returncode:
        pytest.skip("needs root and mount(8) to make a small file system")
    try:
        yield place
    finally:
        subprocess.run(["umount", str(place)], check=False)


def test_a_full_disk_during_a_run_is_one_line_and_the_run_resumes(tmp_path, env, small_disk):
    """Invariant: a disk that fills up while `effbench evaluate` records samples ends it with one
    line naming samples.jsonl and the reason (exit 2, never a traceback); the file keeps only
    whole records, and the same command resumes it elsewhere to exactly one record per sample
    (before: an OSError traceback, exit 1, a torn last line)."""
    samples = tmp_path / "many.jsonl"
    samples.write_text(
        "".join(json.dumps({**GOOD, "solution": GOOD["solution"] + f"# {i}\n"}) + "\n" for i in range(12))
    )
    run_dir = small_disk / "run"
    args = ["evaluate", "--problems-dir", str(MINI), "--problems", "triangle", "--samples", str(samples)]
    args += ["--meter", "time", "--workers", "1", "--seed", "s"]
    out = effbench(*args, "--run-dir", str(run_dir), env=env)
    assert out.returncode == 2, out.stderr
    line = [x for x in out.stderr.splitlines() if x.startswith("effbench: error: ")]
    assert line == out.stderr.strip().splitlines()[-1:] and "Traceback" not in out.stderr, out.stderr
    assert "No space left on device" in line[0], line
    data = (run_dir / "samples.jsonl").read_bytes()
    assert data and data.endswith(b"\n")
    moved = tmp_path / "run"
    shutil.copytree(run_dir, moved)
    out = effbench(*args, "--run-dir", str(moved), env=env)
    assert out.returncode == 0, out.stderr
    keys = [
        (r["model"], r["sample_index"]) for r in map(json.loads, (moved / "samples.jsonl").read_text().splitlines())
    ]
    assert sorted(keys) == [("many", i) for i in range(12)]


def test_a_response_cache_that_is_not_a_database_is_named(tmp_path):
    """Invariant: a responses.sqlite that is not an SQLite database (a careless copy, another
    file) is refused in one EffbenchError naming it and the way out, never a sqlite3 traceback."""
    from effbench.errors import EffbenchError
    from effbench.models.cache import ResponseCache

    path = tmp_path / "responses.sqlite"
    path.write_bytes(b"not a database, " * 512)
    with pytest.raises(EffbenchError) as info:
        ResponseCache(path)
    assert str(path) in str(info.value) and "move the file aside" in str(info.value)


# --- one huge line in a run directory or an imported file ------------------------------------------


def _one_huge_line(path: Path, size: int, head: bytes = b"") -> None:
    """Write ``head`` then one JSON line of about ``size`` bytes: a list of small integers (the
    costliest kind to parse: 8 bytes of list per 2 bytes of text), with its newline."""
    with path.open("ab") as f:
        f.write(head + b'{"model": "m", "levels": [')
        piece = b"1," * (1 << 20)
        for _ in range(size // len(piece)):
            f.write(piece)
        f.write(b"1]}\n")


def test_a_run_directory_with_a_120_mb_line_is_refused_by_that_line_in_bounded_memory(tmp_path, earlier, env):
    """Invariant: `effbench score` on a run directory whose samples.jsonl holds one 120 MB line is
    refused with one line naming the file, the line and the limit (lines.MAX_RECORD_LINE_BYTES),
    and its peak memory stays within that limit plus 64 MiB of the same command on the run without
    it (before: 743 MB at 120 MB, the file held twice and the line parsed); the resume's repair
    moves the line aside whole to samples.rejected.jsonl, never holding it, and keeps every record."""
    from effbench.lines import MAX_RECORD_LINE_BYTES

    run = tmp_path / "run"
    shutil.copytree(earlier, run)
    (run / "summary.json").unlink()  # an unfinished run: score reads the records all the same
    records = run / "samples.jsonl"
    good = records.read_bytes()
    code, err, small = _peak_rss_kib(["score", str(run)], env)
    assert code == 0, err
    _one_huge_line(records, 120 << 20)
    huge = records.stat().st_size - len(good)
    code, err, big = _peak_rss_kib(["score", str(run)], env)
    assert code == 2, err
    line = the_one_error_line(err)
    lineno = good.count(b"\n") + 1
    assert f"{records}:{lineno}: line longer than {MAX_RECORD_LINE_BYTES >> 20} MiB" in line
    assert (big - small) << 10 < MAX_RECORD_LINE_BYTES + (64 << 20), (big, small)
    rd = RunDir(run)
    assert rd.torn_last_line() is None
    assert rd.repair() == 1
    assert records.read_bytes() == good
    rejected = run / REJECTED
    assert rejected.stat().st_size == huge
    with rejected.open("rb") as f:
        assert f.read(12) == b'{"model": "m'
    assert [r.key for r in rd.records()] == [r.key for r in RunDir(earlier).records()]


def test_a_torn_huge_last_line_is_found_without_reading_the_file_whole(tmp_path, earlier):
    """Invariant: torn_last_line counts lines piece by piece; a huge last line with no newline
    (a crash mid-write) is named by its number, a huge white-space tail is not a line."""
    run = tmp_path / "run"
    shutil.copytree(earlier, run)
    records = run / "samples.jsonl"
    n = records.read_bytes().count(b"\n")
    with records.open("ab") as f:
        f.write(b" " * (3 << 20))
    assert RunDir(run).torn_last_line() is None
    with records.open("ab") as f:
        f.write(b'{"model": "m"' + b" " * (3 << 20))
    assert RunDir(run).torn_last_line() == n + 1


def test_an_imported_jsonl_with_a_huge_line_is_refused_by_that_line_in_bounded_memory(tmp_path, env):
    """Invariant: a dataset .jsonl (EvalPerf) with one 120 MB line is refused with one line naming
    the file, the line and the limit, in memory within that limit plus 64 MiB of the same command
    on the toy file (before: 1.9 GB for 160 MB of floats, the file read whole then split)."""
    from effbench.lines import MAX_RECORD_LINE_BYTES

    from .conftest import FIXTURES

    toy = FIXTURES / "formats" / "evalperf_toy.jsonl"
    code, err, small = _peak_rss_kib(["problems", "list", "--dataset", f"evalperf:{toy}"], env)
    assert code == 0, err
    big = tmp_path / "rows.jsonl"
    _one_huge_line(big, 120 << 20, head=toy.read_bytes().splitlines(keepends=True)[0])
    code, err, peak = _peak_rss_kib(["problems", "list", "--dataset", f"evalperf:{big}"], env)
    assert code == 2, err
    assert f"{big}:2: line longer than {MAX_RECORD_LINE_BYTES >> 20} MiB" in the_one_error_line(err)
    assert (peak - small) << 10 < MAX_RECORD_LINE_BYTES + (64 << 20), (peak, small)


def test_a_record_is_never_written_longer_than_the_readers_take():
    """Invariant: a record whose model answer would make its line longer than
    MAX_RECORD_LINE_BYTES is written without the answer (meta.answer None, answer_left_out its
    length), so the run directory stays readable; a normal record is written as it is."""
    from effbench.lines import MAX_RECORD_LINE_BYTES
    from effbench.rundir import _record_line

    small = {"model": "m", "meta": {"answer": "short", "extraction": "fenced"}}
    assert json.loads(_record_line(small)) == small
    answer = "\u00e9" * (MAX_RECORD_LINE_BYTES // 6 + 1)  # 6 bytes each, escaped
    line = _record_line({"model": "m", "meta": {"answer": answer, "extraction": "fenced"}})
    assert len(line) <= MAX_RECORD_LINE_BYTES + 1 and line.endswith(b"\n")
    meta = json.loads(line)["meta"]
    assert meta["answer"] is None and meta["answer_left_out"].startswith(f"{len(answer)} characters")
    assert meta["extraction"] == "fenced"


# --- a run directory edited by hand between runs ---------------------------------------------------


def _set_weights(record: dict, value: list) -> None:
    record["weights"] = value


def _set_costs(record: dict, value: float) -> None:
    for test in record["tests"]:
        test["cost"] = value


def _set_last_level(record: dict, value: int) -> None:
    record["tests"][-1]["level"] = value


@pytest.mark.parametrize(
    ("edit", "field", "message"),
    [
        (lambda r: _set_weights(r, [0, 0, 0]), "weights", "not all 0"),
        (lambda r: _set_weights(r, [0, -1, 3]), "weights", "at least 0"),
        (lambda r: _set_costs(r, -5.0), "tests[0].cost", "at least 0"),
        (lambda r: _set_costs(r, float("nan")), "tests[0].cost", "finite"),
        (lambda r: _set_costs(r, float("inf")), "tests[0].cost", "finite"),
        (lambda r: _set_last_level(r, 7), "tests[{last}].level", "must be a level of the problem (0..2)"),
        (lambda r: _set_last_level(r, -1), "tests[{last}].level", "must be a level of the problem (0..2)"),
        (lambda r: r.update(tests=[]), "tests", "is empty for a sample that had code to run"),
    ],
    ids=[
        "zero-weights",
        "negative-weight",
        "negative-cost",
        "nan-cost",
        "inf-cost",
        "level-7",
        "level-minus-1",
        "no-tests",
    ],
)
def test_a_hand_edited_record_the_scorer_cannot_honour_is_refused_by_its_line(
    tmp_path, earlier, env, edit, field, message
):
    """Invariant: a record of samples.jsonl whose raw facts the scoring function cannot honour
    (weights all 0 or negative, a test cost that is negative, NaN or infinite, a test on a level
    the problem does not have, no test at all for a sample that had code) is refused by `effbench
    score` with one line naming the file, the line and the field, exit 2: never a traceback, never
    a score. Before: zero weights ended in ZeroDivisionError's traceback, a level past the last in
    IndexError's, a NaN or negative cost scored above the honest record (eff 1.765 for 1.550), and
    a record with no tests passed (verdict ok). The writer never writes such a record (costs are
    measured >= 0 and written with allow_nan=False; a problem's weights are >= 0, not all 0)."""
    run = tmp_path / "run"
    shutil.copytree(earlier, run)
    records = run / "samples.jsonl"
    lines = records.read_text().splitlines()
    record = json.loads(lines[0])
    edit(record)
    records.write_text("\n".join([json.dumps(record)] + lines[1:]) + "\n")  # NaN/Infinity as Python writes them
    before = snapshot(run)
    out = effbench("score", str(run), env=env)
    assert out.returncode == 2, out.stderr
    line = the_one_error_line(out.stderr)
    where = f"{records}:1.{field.format(last=len(record['tests']) - 1)}"
    assert where in line and message in line, line
    assert snapshot(run) == before


@pytest.mark.parametrize("value", ["x", 5, [1], True])
def test_a_hand_edited_config_fingerprint_that_is_no_object_is_named_not_a_traceback(tmp_path, earlier, env, value):
    """Invariant: a run directory whose config.json ``fingerprint`` is not a JSON object (a hand
    edit, a merge gone wrong) is refused by `effbench leaderboard` with one line naming the file and
    the field, exit 2, and nothing is written. Before: AttributeError's traceback ('str' object has
    no attribute 'items'), exit 1, from leaderboard.data.Comparability."""
    run = tmp_path / "run"
    shutil.copytree(earlier, run)
    config = json.loads((run / "config.json").read_text())
    config["fingerprint"] = value
    (run / "config.json").write_text(json.dumps(config))
    out = effbench("leaderboard", str(run), "--out", str(tmp_path / "board"), env=env)
    assert out.returncode == 2, out.stderr
    line = the_one_error_line(out.stderr)
    assert f"{run / 'config.json'}: fingerprint: must be an object" in line, line
    assert not (tmp_path / "board").exists()


def test_resuming_with_another_memory_limit_is_refused_not_mixed(tmp_path, earlier, env):
    """Invariant: a run directory is resumed only under the memory limit its samples ran with: a
    resume with another --memory-mb is refused with one line naming the run directory and the
    option, exit 2, the run directory unchanged. Before: the resume ran the remaining samples at the
    new limit and rewrote config.json's memory_bytes, so a run whose first samples ran at 1024 MiB
    said all of them ran at 16 MiB (a sample censored at one limit and not the other, unmarked)."""
    run = tmp_path / "run"
    shutil.copytree(earlier, run)
    (run / "summary.json").unlink()
    (run / "samples.jsonl").write_text("")  # every sample left to run
    good = tmp_path / "good.jsonl"
    good.write_text(json.dumps(GOOD) + "\n")
    before = snapshot(run)
    out = effbench(*evaluate_into(run, good, "--problems", "triangle", "--memory-mb", "16"), env=env)
    assert out.returncode == 2, out.stderr
    errors = [line for line in out.stderr.splitlines() if line.startswith("effbench: error: ")]
    assert len(errors) == 1 and "Traceback" not in out.stderr, out.stderr
    assert f"{run}: cannot resume: memory_bytes differs" in errors[0] and "--memory-mb" in errors[0], errors
    assert snapshot(run) == before


# --- a malformed price table or model-facts table ------------------------------------------------

_ARCH = "params = 1e9\nlayers = 24\nheads = 16\nkv_heads = 4\nhead_dim = 64\n"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (b"\xff\xfe[models]\n", "not UTF-8 text"),
        (b"models = 5\n", "models: must be a table"),
        (b'[models."m"]\ninput = nan\noutput = 1.0\n', "input is nan"),
        (b'[models."m"]\ninput = 1.0\noutput = inf\n', "output is inf"),
        (b'[models."m"]\ninput = -1.0\noutput = 1.0\n', "input is -1.0"),
        (b'[models."m"]\ninput = true\noutput = 1.0\n', "input is True"),
        (b'[models."m"]\ninput = "1e400"\noutput = 1.0\n', "input is '1e400'"),
    ],
    ids=["utf16", "models-not-a-table", "nan", "inf", "negative", "boolean", "string-overflowing"],
)
def test_a_malformed_price_table_is_named_not_a_traceback_or_a_cost(tmp_path, text, message):
    """Invariant: a --prices table that is not UTF-8, whose ``models`` is not a table, or whose
    price is not a finite number >= 0 (NaN, inf, negative, a boolean) is refused by load_prices with
    one EffbenchError naming the file and the entry. Before: UnicodeDecodeError's and
    AttributeError's tracebacks, and NaN, inf, -1 and true taken as prices (a cost axis of NaN or
    running backwards, silently)."""
    from effbench.errors import EffbenchError
    from effbench.models.pricing import load_prices

    path = tmp_path / "prices.toml"
    path.write_bytes(text)
    with pytest.raises(EffbenchError) as info:
        load_prices(path)
    assert str(info.value).startswith(f"{path}: ") and message in str(info.value), info.value


def test_a_price_table_that_is_not_utf8_is_one_line_from_evaluate(tmp_path, earlier, env):
    """Invariant: `effbench evaluate --model ... --prices FILE` with a UTF-16 FILE ends in one line
    naming it, exit 2, before any request (before: UnicodeDecodeError's traceback, exit 1)."""
    prices = tmp_path / "prices.toml"
    prices.write_bytes(b"\xff\xfe[models]\n")
    args = ["evaluate", "--problems-dir", str(MINI), "--model", "m", "--base-url", "http://127.0.0.1:9/v1"]
    before = snapshot(earlier)
    out = effbench(*args, "--run-dir", str(earlier), "--prices", str(prices), env=env)
    assert_refused(out, f"{prices}: cannot read the price table: not UTF-8 text", earlier, before)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (b"\xff\xfe[models]\n", "not UTF-8 text"),
        (b"models = 5\n", "models: must be a table"),
        (f'[models."m"]\n{_ARCH.replace("24", "inf")}'.encode(), "needs numeric"),
        (f'[models."m"]\n{_ARCH.replace("1e9", "nan")}'.encode(), "finite number above 0"),
        (f'[models."m"]\n{_ARCH}bytes_per_param = -2.0\n'.encode(), "finite number above 0"),
        (f'[models."m"]\n{_ARCH.replace("24", "true")}'.encode(), "finite number above 0"),
    ],
    ids=["utf16", "models-not-a-table", "inf-layers", "nan-params", "negative-bytes", "boolean"],
)
def test_a_malformed_model_facts_table_is_named_not_a_traceback_or_a_cost(tmp_path, text, message):
    """Invariant: a --model-facts table that is not UTF-8, whose ``models`` is not a table, or with a
    figure that is not a finite number above 0 is refused by load_architectures with one
    EffbenchError naming the file (and entry). Before: UnicodeDecodeError's, AttributeError's and
    OverflowError's (layers = inf) tracebacks, and NaN params or negative bytes taken as facts."""
    from effbench.errors import EffbenchError
    from effbench.models.costs import load_architectures

    path = tmp_path / "facts.toml"
    path.write_bytes(text)
    with pytest.raises(EffbenchError) as info:
        load_architectures(path)
    assert str(info.value).startswith(f"{path}: ") and message in str(info.value), info.value


@pytest.mark.parametrize(
    ("label", "file_name", "message"),
    [
        ("a|b\nc", "good.jsonl", "model label 'a|b\\nc' from 'model' is not one line of printable text"),
        ("x\x1b[2Jy", "good.jsonl", "model label 'x\\x1b[2Jy' from 'model' is not one line of printable text"),
        (None, "tab\there.jsonl", "model label 'tab\\there' from the file's name"),
        (0, "good.jsonl", "'model' must be a string"),
    ],
    ids=["newline", "escape-sequence", "file-name-with-a-tab", "zero"],
)
def test_a_model_label_that_is_not_one_printable_line_is_refused_by_its_line(
    tmp_path, earlier, env, label, file_name, message
):
    """Invariant: a samples file's model label (its 'model' field, else the file's stem) that holds
    a newline or another control character, or a 'model' that is not a string, is refused with one
    line naming the file and line, exit 2, the run directory unchanged. Before: the label was taken
    as written, and its newline split the run's table (two lines 'model: a|b' / 'c') and the
    leaderboard.md row in two; 0 silently became the file's stem."""
    samples = tmp_path / file_name
    samples.write_text(json.dumps({**GOOD, **({} if label is None else {"model": label})}) + "\n")
    before = snapshot(earlier)
    out = effbench(*evaluate_into(earlier, samples), env=env)
    assert_refused(out, f"{samples}:1: {message}", earlier, before)


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        (("level_costs",), 5, "level_costs"),
        (("level_costs", 0), "x", "level_costs"),
        (("efficiency",), "x", "efficiency"),
        (("passed",), "yes", "passed"),
        (("tests", 0, "wall_seconds"), "x", "tests[0].wall_seconds"),
        (("tests", 0, "cpu_seconds"), None, "tests[0].cpu_seconds"),
        (("tests", -1, "peak_memory_kb"), [1], "tests[{last}].peak_memory_kb"),
        (("tests", 0, "detail"), 5, "tests[0].detail"),
    ],
    ids=["level-costs-int", "level-cost-string", "efficiency", "passed", "wall", "cpu-null", "memory-list", "detail"],
)
@pytest.mark.parametrize("command", ["score", "leaderboard"])
def test_a_hand_edited_record_field_of_the_wrong_type_is_refused_by_its_line(
    tmp_path, earlier, env, path, value, field, command
):
    """Invariant: a record whose fields, raw or derived, are not of their type (level_costs an int or
    holding a string, a test's wall_seconds a string or null, its peak memory a list) is refused by
    `effbench score` and `effbench leaderboard` with one line naming the file, the line and the
    field, exit 2. Before: TypeError's traceback from summing the tests' times (score and
    leaderboard) or from the leaderboard's level-cost view (level_costs is shown as written), exit
    1 (found by setting every field of a record to 12 wrong values: 1,344 commands)."""
    run = tmp_path / "run"
    shutil.copytree(earlier, run)
    records = run / "samples.jsonl"
    lines = records.read_text().splitlines()
    record = json.loads(lines[0])
    target = record
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    records.write_text("\n".join([json.dumps(record)] + lines[1:]) + "\n")
    args = [command, str(run)] + (["--out", str(tmp_path / "board")] if command == "leaderboard" else [])
    out = effbench(*args, env=env)
    assert out.returncode == 2, out.stderr
    line = the_one_error_line(out.stderr)
    assert f"{records}:1.{field.format(last=len(record['tests']) - 1)}: must be" in line, line


def _meta(record: dict, **parts: object) -> None:
    record["meta"] = {**record.get("meta", {}), **parts}


_USAGE = {"prompt_tokens": 100, "completion_tokens": 50, "cost_usd": None}


@pytest.mark.parametrize(
    ("edit", "field", "message"),
    [
        (
            lambda r: _meta(r, usage={**_USAGE, "completion_tokens": float("nan")}),
            "meta.usage.completion_tokens",
            "finite",
        ),
        (lambda r: _meta(r, usage={**_USAGE, "prompt_tokens": -1e12}), "meta.usage.prompt_tokens", "at least 0"),
        (lambda r: _meta(r, usage={**_USAGE, "cost_usd": -3.0}), "meta.usage.cost_usd", "at least 0"),
        (lambda r: _meta(r, usage={**_USAGE, "cost_usd": "free"}), "meta.usage.cost_usd", "finite number"),
        (lambda r: _meta(r, usage="lots"), "meta.usage", "must be an object"),
        (lambda r: _meta(r, attempts=[{"seconds": float("inf")}]), "meta.attempts[0].seconds", "finite"),
        (lambda r: _meta(r, attempts=[{"seconds": 1.0, "share": 0}]), "meta.attempts[0].share", "at least 1"),
        (
            lambda r: _meta(r, selection={"passed": True, "cost": -5.0, "seconds": 0.1}),
            "meta.selection.cost",
            "at least 0",
        ),
        (lambda r: _meta(r, note=float("nan")), "meta.note", "finite"),
        (lambda r: r.update(model="a\x1b[2Jb"), "model", "one line of printable text"),
        (lambda r: r.update(problem_id="tri\nangle"), "problem_id", "one line of printable text"),
        (lambda r: r.update(model_name=5), "model_name", "one line of printable text"),
        (lambda r: r.update(strategy=["x"]), "strategy", "one line of printable text"),
        (lambda r: r.update(round=1.5), "round", "integer at least 0"),
        (lambda r: _meta(r, chain="a"), "meta.chain", "integer at least 0"),
    ],
    ids=[
        "usage-nan",
        "usage-negative-tokens",
        "usage-negative-money",
        "usage-money-string",
        "usage-string",
        "attempt-inf-seconds",
        "attempt-share-0",
        "selection-negative-cost",
        "nan-anywhere",
        "label-escape-sequence",
        "problem-id-newline",
        "model-name-int",
        "strategy-list",
        "round-float",
        "meta-chain-string",
    ],
)
def test_a_hand_edited_record_no_reader_can_show_or_add_up_is_refused_by_its_line(
    tmp_path, earlier, env, edit, field, message
):
    """Invariant: a record whose token usage, attempts or selection figures are not finite numbers
    >= 0 (NaN, infinite, negative, a string), that holds a NaN anywhere, whose label or problem id
    is not one printable line (an escape sequence reaches the terminal) or whose model_name,
    strategy, chain or round is not of its type is refused by `effbench score` with one line naming
    the file, the line and the field, exit 2. Before: each was read; a NaN or a negative usage made
    score print 'spent -999999999800 prompt + nan completion tokens', `score --json` and
    leaderboard.json invalid JSON (NaN), `effbench curves` a traceback; the label's escape
    sequence was printed to the terminal as it was."""
    run = tmp_path / "run"
    shutil.copytree(earlier, run)
    records = run / "samples.jsonl"
    lines = records.read_text().splitlines()
    record = json.loads(lines[0])
    edit(record)
    records.write_text("\n".join([json.dumps(record)] + lines[1:]) + "\n")  # NaN/Infinity as Python writes them
    out = effbench("score", str(run), env=env)
    assert out.returncode == 2, out.stderr
    line = the_one_error_line(out.stderr)
    assert f"{records}:1.{field}: " in line and message in line, line


@pytest.mark.parametrize("name", ["gpt\n<b>x</b>", "m\x1b[2J", "  "], ids=["newline", "escape", "blank"])
def test_a_model_name_that_is_not_one_printable_line_is_refused_before_anything_runs(tmp_path, earlier, env, name):
    """Invariant: `effbench evaluate --model NAME` whose NAME holds a newline or a control character,
    or is blank, is refused with one line naming --model, exit 2, before any request, the run
    directory unchanged: the name labels every record (as a samples file's label must be one
    printable line). Before: it was taken, and its newline split the tables and leaderboard rows."""
    args = ["evaluate", "--problems-dir", str(MINI), "--model", name, "--base-url", "http://127.0.0.1:9/v1"]
    before = snapshot(earlier)
    out = effbench(*args, "--run-dir", str(earlier), env=env)
    assert_refused(out, f"--model {name!r}: not one line of printable text", earlier, before)


def test_a_record_nested_too_deeply_is_refused_by_its_line_not_a_recursion_traceback(tmp_path, earlier, env):
    """Invariant: a samples.jsonl line nested deeper than the JSON parser can go (a hand edit, a
    damaged file) is refused by `effbench score` with one line naming the file and the line, exit
    2; resuming moves it aside. Before: RecursionError's traceback, exit 1, from score, resume,
    curves and the leaderboard alike."""
    run = tmp_path / "run"
    shutil.copytree(earlier, run)
    records = run / "samples.jsonl"
    with records.open("a") as f:
        f.write("[" * 100_000 + "]" * 100_000 + "\n")
    out = effbench("score", str(run), env=env)
    assert out.returncode == 2, out.stderr
    line = the_one_error_line(out.stderr)
    assert f"{records}:2: not valid JSON (nested too deeply)" in line, line


def test_a_leaderboard_on_a_full_disk_is_one_line_naming_out_and_leaves_nothing(tmp_path, earlier, env, small_disk):
    """Invariant: `effbench leaderboard --out DIR` on a disk that fills up while it writes (its PNG
    plots) ends in one line naming --out DIR and the reason, exit 2, with no DIR and no scratch
    folder left. Before: 'No space left on device: make room or fix the place, then re-run the same
    command (runs resume)': no file or option named (PIL raises OSError without a file name)."""
    out_dir = small_disk / "board"
    out = effbench("leaderboard", str(earlier), "--out", str(out_dir), "--resamples", "100", env=env)
    assert out.returncode == 2, out.stderr
    line = the_one_error_line(out.stderr)
    assert f"--out {out_dir}: cannot write the leaderboard" in line and "No space left on device" in line, line
    assert list(small_disk.iterdir()) == []


def test_curves_on_a_full_disk_name_the_file_and_leave_no_partial_one(tmp_path, small_disk):
    """Invariant: write_curves (`effbench curves`, `effbench sweep`) on a disk that fills up while
    it writes raises one EffbenchError naming the file it was writing and the reason, and leaves no
    partial file of that name. Before: matplotlib/PIL's OSError without a file name reached the
    CLI's generic 'No space left on device: make room or fix the place' and a truncated curves.png
    stayed."""
    from effbench.curves import write_curves
    from effbench.errors import EffbenchError

    from .leaderboard_runs import make_problem_set, model_samples, write_run

    run = write_run(tmp_path / "run", make_problem_set(tmp_path / "set"), model_samples())
    with pytest.raises(EffbenchError) as info:
        write_curves([run], small_disk)
    message = str(info.value)
    assert "No space left on device" in message, message
    named = Path(message.split(": ", 1)[0])
    assert named.parent == small_disk and named.name in {"curves.json", "curves.png", "curves.svg", "cheapest.md"}
    assert not named.exists()


@pytest.mark.parametrize("kind", ["absolute", "dot-relative", "three-parts", "broken-link"])
def test_a_dataset_path_that_names_nothing_is_refused_locally_not_sent_to_the_hub(tmp_path, env, kind):
    """Invariant: --dataset FORMAT:SOURCE where SOURCE is a local path naming nothing (absolute,
    ./-relative, more than OWNER/NAME, or a broken symbolic link), without a suffix effbench reads,
    is refused at once with one line saying so, exit 2: never handed to the datasets package.
    Before: 'cannot load with datasets: FileNotFoundError: Couldn't find any data file at ...', and a
    broken link or a missing folder named like a hub id ('rows', 'nonexist_dir/x') was looked up on
    the hub: 24 s of retries (no network here) and 11 lines of 'Retrying in 8s [Retry 4/5]' before
    'ConnectionError: Couldn't reach 'z2' on the Hub'."""
    link = tmp_path / "rows"
    link.symlink_to(tmp_path / "gone")
    source = {
        "absolute": str(tmp_path / "missing" / "rows"),
        "dot-relative": "./no-such-rows",
        "three-parts": "a/b/c",
        "broken-link": str(link),
    }[kind]
    out = subprocess.run(
        [sys.executable, "-m", "effbench", "problems", "list", "--dataset", f"evalperf:{source}"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=300,
    )
    assert out.returncode == 2, out.stderr
    line = the_one_error_line(out.stderr)
    what = "a broken link" if kind == "broken-link" else "no such file or folder"
    assert line == f"effbench: error: {source}: {what} (and not a hub dataset id, OWNER/NAME[#SPLIT])", line


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--samples", "99999999999"], "--samples 99999999999: at most 10,000 samples per problem"),
        (["--strategy", "refine", "--samples", "99999999"], "--samples 99999999: at most 10,000 samples per problem"),
        (["--allocation", "uniform", "--budget", "99999999999"], "--budget 99999999999: at most 10,000 samples"),
        (["--allocation", "adaptive", "--budget", "99999999999"], "--budget 99999999999: at most 10,000 samples"),
    ],
    ids=["samples", "refine-samples", "uniform-budget", "adaptive-budget"],
)
def test_a_sample_count_past_the_limit_is_refused_before_it_is_planned(tmp_path, earlier, env, options, message):
    """Invariant: a model run's sample count (--samples N, --budget of an allocation) above
    allocation.MAX_SAMPLES_PER_PROBLEM per problem is refused with one line naming the option, exit
    2, before any sample is planned or a request sent, the run directory unchanged. Before: 99999999999
    ended in a MemoryError traceback (exit 1) while the run planned every sample, and refine with
    --samples 99999999 was still planning after 60 s."""
    args = ["evaluate", "--problems-dir", str(MINI), "--model", "m", "--base-url", "http://127.0.0.1:9/v1", "-y"]
    before = snapshot(earlier)
    out = effbench(*args, "--meter", "time", "--run-dir", str(earlier), *options, env=env)
    assert_refused(out, message, earlier, before)


def test_a_sweep_budget_past_the_limit_is_refused_before_it_is_planned(tmp_path, env):
    """Invariant: sweep --budgets with a budget above allocation.MAX_SAMPLES_PER_PROBLEM is refused
    with one line naming the option, exit 2, and no sweep folder. Before: MemoryError's traceback."""
    out_dir = tmp_path / "sweep"
    args = ["sweep", "--problems-dir", str(MINI), "--model", "m", "--base-url", "http://127.0.0.1:9/v1", "-y"]
    out = effbench(*args, "--meter", "time", "--out", str(out_dir), "--budgets", "1,99999999999", env=env)
    assert out.returncode == 2, out.stderr
    line = the_one_error_line(out.stderr)
    assert "--budgets '1,99999999999': at most 10,000 model answers per problem" in line, line
    assert not out_dir.exists()
