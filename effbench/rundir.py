"""Run directories: ``config.json``, ``samples.jsonl`` and ``summary.json``, one writer for all three.

``samples.jsonl`` holds one :class:`~effbench.records.SampleRecord` per line, appended (and fsynced)
as each sample is scored, so an interrupted run resumes where it stopped. ``config.json`` and
``summary.json`` are replaced atomically (write a temporary file, then rename). A line that cannot be
read is never skipped silently: resuming moves it to ``samples.rejected.jsonl`` and says so (that
sample runs again); ``effbench score`` refuses and names that fix. One process at a time writes a
run directory: :meth:`RunDir.open` holds it (``flock`` on the directory itself, let go by
:meth:`RunDir.release` or when the process ends, however it ends) and refuses a second writer.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import math
import os
import shlex
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from effbench.errors import EffbenchError
from effbench.lines import MAX_RECORD_LINE_BYTES, LineTooLong, bounded_lines
from effbench.records import RecordFormatError, SampleRecord
from effbench.verdicts import Verdict

CONFIG, RECORDS, SUMMARY, REJECTED = "config.json", "samples.jsonl", "summary.json", "samples.rejected.jsonl"
#: where :meth:`RunDir.disagreement` counts a model's samples that the harness failed to run
INFRA_KEY = "(harness failures)"
#: what every command says of a run directory that is not :attr:`RunDir.finished`
UNFINISHED = "the run has not finished (no summary.json: interrupted, failed or still running)"
#: config keys that must match for a run directory to be resumed
RESUME_KEYS = ("problem_set_hash", "meter", "fingerprint", "alpha", "memory_bytes", "samples_hash")
#: what a change of each resume key means, in the user's terms (said when a resume is refused)
RESUME_MEANING = {
    "problem_set_hash": "the problems (prompts, tests, generators or references) changed",
    "meter": "another meter was chosen (--meter)",
    "fingerprint": "the environment changed (interpreter, sandbox, meter or runner version)",
    "alpha": "another --alpha was given",
    "memory_bytes": "another --memory-mb was given (the limit decides which samples stop at it)",
    "samples_hash": "what is evaluated changed: the samples files or --references tiers, or for a model run "
    "the model, its generation options (temperature, max tokens, stop, seed...), the prompts or preamble, "
    "the strategy, --samples, --rounds, the allocation and its budgets, or the problems selected",
}


def atomic_write_json(path: Path, data: Any) -> None:
    """Write ``data`` as indented JSON to ``path`` atomically.

    Readers see the old or the new file, never a partial one. Raises OSError.
    """
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(json.dumps(data, indent=2, sort_keys=True, allow_nan=False) + "\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_failed(path: Path, exc: OSError) -> EffbenchError:
    """The one-line error for a run directory file that cannot be written (full disk, read-only...).

    Returns an EffbenchError naming ``path``, the system's reason and the fix; every record
    appended before stays (each one is fsynced), so the same command resumes once there is room.
    """
    reason = exc.strerror or type(exc).__name__
    return EffbenchError(
        f"{path}: cannot write: {reason}: make room (or fix the folder), then re-run the same command "
        "to resume; every sample recorded before is kept"
    )


def how_to_finish(path: Path) -> str:
    """The command that goes on with an unfinished run directory, as the messages about it say it.

    A run started without ``--run-dir`` got a new folder of its own (``runs/<date>-<time>``), so
    "re-run the same command" alone would start another run beside it, the interrupted one never
    finished: the hint names ``--run-dir`` and the folder. A run of a sweep (its parent holds
    ``sweep.json``) is finished by the same ``effbench sweep`` with that ``--out``.

    Args:
        path: the run directory, as the user named it.

    Returns:
        A phrase to put after "to finish it: " (no trailing punctuation).
    """
    if (path.parent / "sweep.json").is_file():
        return f"re-run the same `effbench sweep` command with --out {shlex.quote(str(path.parent))}"
    return (
        f"re-run the same `effbench evaluate` command with --run-dir {shlex.quote(str(path))} "
        "(without --run-dir it would start a new run)"
    )


def _fields_that_differ(recorded: Any, now: Any, most: int = 3) -> str:
    """What differs between two dicts, for a refused resume.

    Returns ``"; sandbox: 'local' in the run, 'docker' now"``-style text naming the differing keys
    (at most ``most``, values cut to 40 characters), or "" when either is not a dict.
    """
    if not isinstance(recorded, dict) or not isinstance(now, dict):
        return ""
    keys = sorted(k for k in recorded.keys() | now.keys() if recorded.get(k) != now.get(k))
    if not keys:
        return ""

    def cut(value: Any) -> str:
        text = repr(value)
        return text if len(text) <= 40 else text[:37] + "..."

    parts = [f"{k}: {cut(recorded.get(k))} in the run, {cut(now.get(k))} now" for k in keys[:most]]
    more = f" and {len(keys) - most} more" if len(keys) > most else ""
    return "; " + "; ".join(parts) + more


#: the fields of a model run's ``config.json["model"]`` its ``samples_hash`` covers (the answers'
#: identity, :meth:`effbench.models.client.ModelSpec.identity`): not the address, key, time-outs
_MODEL_IDENTITY = ("name", "mode", "temperature", "top_p", "top_k", "max_tokens", "seed", "stop", "extra_body")


def _model_run_options(config: dict) -> dict[str, Any]:
    """A model run's options its ``samples_hash`` covers, by dotted name (``plan.samples``), from ``config``.

    ``plan`` and ``allocation`` whole, ``model``'s identity fields, and ``problems`` (when both
    configs say it: an older one does not). Empty for a config of another run.
    """
    out: dict[str, Any] = {}
    for part in ("plan", "allocation", "model"):
        value = config.get(part)
        if isinstance(value, dict):
            names = _MODEL_IDENTITY if part == "model" else value.keys()
            out.update({f"{part}.{k}": value.get(k) for k in names})
    if isinstance(config.get("problems"), list):
        out["problems"] = config["problems"]
    return out


def _samples_hash_differs(recorded: dict, now: dict) -> str:
    """What differs between two model runs' options (:func:`_model_run_options`), for a refused resume; "" else."""
    old, new = _model_run_options(recorded), _model_run_options(now)
    if "problems" not in old or "problems" not in new:
        old.pop("problems", None)
        new.pop("problems", None)
    return _fields_that_differ(old, new) if old and new else ""


def _non_finite(data: Any) -> tuple[str, float] | None:
    """The first NaN or infinite number in ``data`` (parsed JSON), as ``(".tests[0].cost", nan)``; None if none.

    Walked without recursion (a record may be nested as deep as the parser allows).
    """
    stack: list[tuple[str, Any]] = [("", data)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, float) and not math.isfinite(value):
            return path, value
        if isinstance(value, dict):
            stack.extend((f"{path}.{k}", v) for k, v in reversed(list(value.items())))
        elif isinstance(value, list):
            stack.extend((f"{path}[{i}]", v) for i, v in reversed(list(enumerate(value))))
    return None


def _parse_line(line: bytes, where: str) -> SampleRecord:
    """One ``samples.jsonl`` line as a validated record; raises RecordFormatError naming ``where``.

    Refused, never read: a line nested too deeply for the parser (before: RecursionError's
    traceback from score, resume, curves and the leaderboard), and a NaN or an infinity anywhere
    in the record, its meta too (Python's json reads them; the run writes with ``allow_nan=False``;
    read back, one ended in invalid JSON in ``summary.json`` and ``leaderboard.json``, or a
    traceback from the curves).
    """
    try:
        data = json.loads(line)
    except (ValueError, UnicodeDecodeError) as exc:
        raise RecordFormatError(f"{where}: not valid JSON ({exc})") from None
    except RecursionError:
        raise RecordFormatError(f"{where}: not valid JSON (nested too deeply)") from None
    bad = _non_finite(data)
    if bad is not None:
        raise RecordFormatError(f"{where}{bad[0]}: must be a finite number, not {bad[1]!r}")
    return SampleRecord.from_json(data, where)


def _check_first(record: SampleRecord, lineno: int, seen: dict[tuple[str, str, int], int], where: str) -> SampleRecord:
    """``record`` (read at line ``lineno``) if no earlier line held its sample.

    ``seen`` maps each sample's key to its line and is updated. A run directory holds one record
    per sample (one writer, and a resume skips what is scored): a repeat (two files joined, a copy
    appended) would count its sample twice in n, pass@k and eff@k.

    Raises:
        RecordFormatError: naming both lines.
    """
    first = seen.setdefault(record.key, lineno)
    if first != lineno:
        model, problem, index = record.key
        raise RecordFormatError(
            f"{where}:{lineno}: repeats sample {index} of {problem!r} (model {model!r}) recorded at line {first}"
        )
    return record


#: why a record is not one a run asked for (one clause), or None when it is: see :func:`model_run_admits`
Admits = Callable[[SampleRecord], "str | None"]


def model_run_admits(config: dict) -> Admits | None:
    """For a model run's ``config``: the judge of which records that run asked for; None for other runs.

    A model run asks for one record per (model label, problem, sample index) its config names:
    the labels of its model (``<name>`` or, for refine, ``<name>+refine:round<r>`` for r up to
    ``plan.rounds``, or the older runs' ``<name>+refine:r<r-1>``), its strategy (``parallel`` for
    select), sample indices below ``plan.samples`` (an allocation run: below its largest budget
    and first round), each round's record of its own round, and its problems (``problems``, in
    configs written since it exists). A record of
    another label, model, strategy, round, problem or a larger index is another run's line (joined,
    prepended) or an edit: counting it would report samples the run never asked for. A config
    that does not say (not a model run, or keys of another shape) gives None: nothing is judged.

    Returns:
        ``judge(record) -> None`` (asked for) or one clause saying why not (``"its sample index 5
        is beyond the run's --samples 2"``).
    """
    model, plan = config.get("model"), config.get("plan")
    if not isinstance(model, dict) or not isinstance(plan, dict) or not isinstance(model.get("name"), str):
        return None
    name, strategy = model["name"], plan.get("strategy")
    samples, rounds = plan.get("samples"), plan.get("rounds")
    if strategy not in ("parallel", "refine", "select") or not isinstance(samples, int) or not isinstance(rounds, int):
        return None
    bound, bound_said = samples, f"--samples {samples}"
    allocation = config.get("allocation")
    if isinstance(allocation, dict):
        budgets = [b for b in allocation.get("budgets") or [] if isinstance(b, int)]
        first = allocation.get("first_round") if isinstance(allocation.get("first_round"), int) else 0
        bound, bound_said = max([first, *budgets]), "--budget (the most samples a problem may get)"
    refine = strategy == "refine"
    labels = {f"{name}+refine:round{r}": r - 1 for r in range(1, rounds + 1)} if refine else {name: 0}
    if refine:  # the label form of runs made before c878d10: name+refine:r<round counted from 0>
        labels.update({f"{name}+refine:r{r - 1}": r - 1 for r in range(1, rounds + 1)})
    recorded_strategy = "refine" if refine else "parallel"
    problems = config.get("problems")
    problems = set(problems) if isinstance(problems, list) else None

    def judge(r: SampleRecord) -> str | None:
        if r.model not in labels:
            said = f"{name}+refine:round1..{rounds}" if refine else name
            return f"its model label {r.model!r} is not this run's ({said!r})"
        if r.model_name != name:
            return f"it is of model {r.model_name!r}, this run's is {name!r}"
        if r.strategy != recorded_strategy:
            return f"it is of strategy {r.strategy!r}, this run's records are {recorded_strategy!r}"
        if refine and r.round != labels[r.model]:
            return f"it holds round {r.round}, its label round {labels[r.model]} (rounds counted from 0)"
        if r.sample_index >= bound:
            return f"its sample index {r.sample_index} is beyond the run's {bound_said}"
        if problems is not None and r.problem_id not in problems:
            return f"its problem {r.problem_id!r} is not among the run's problems"
        return None

    return judge


def _lock_holder(fd: int) -> str:
    """Who holds the ``flock`` on the directory open as ``fd``: ``": pid 123, effbench evaluate ..."``.

    Read from ``/proc/locks`` (the lock's device and inode) and the holder's ``/proc/PID/cmdline``
    (cut to 80 characters); "" when it cannot be told (no /proc, the lock just let go).
    """
    try:
        st = os.fstat(fd)
        dev = f"{os.major(st.st_dev):02x}:{os.minor(st.st_dev):02x}:{st.st_ino}"
        with open("/proc/locks") as f:
            pids = [line.split()[4] for line in f if line.split()[1:2] == ["FLOCK"] and dev in line.split()]
        if not pids:
            return ""
        pid = pids[0]
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            words = f.read().split(b"\0")
    except (OSError, IndexError):
        return ""
    command = " ".join(" ".join(w.decode("utf-8", "replace").split()) for w in words if w)  # one line
    command = command if len(command) <= 80 else command[:77] + "..."
    return f": pid {pid}, {command}" if command else f": pid {pid}"


def same_run_as(paths: list[Path]) -> dict[int, Path]:
    """Which of ``paths`` repeat a run directory named earlier in the list: ``{index: earlier path}``.

    A repeat is the same folder by another spelling (``runs/a`` and ``runs/a/``, a symlink) or a
    copy of it (the same ``config.json`` and ``samples.jsonl`` bytes: a run's config holds its
    creation time, its secret input seed and its own path). A reader given both would count every
    sample of that run twice: two curves, two leaderboard rows of one run.
    """
    seen: dict[object, Path] = {}
    repeats: dict[int, Path] = {}
    for i, path in enumerate(paths):
        keys: list[object] = [("path", os.path.realpath(path))]
        try:  # a copy: the same config and the same records
            with (Path(path) / RECORDS).open("rb") as f:
                digest = hashlib.file_digest(f, "sha256").hexdigest()
            keys.append(("copy", (Path(path) / CONFIG).read_bytes(), digest))
        except OSError:
            pass
        first = next((seen[k] for k in keys if k in seen), None)
        if first is not None:
            repeats[i] = first
        for k in keys:
            seen.setdefault(k, Path(path))
    return repeats


def _record_line(data: dict[str, Any]) -> bytes:
    """A record's ``samples.jsonl`` line, at most :data:`MAX_RECORD_LINE_BYTES` long plus its newline.

    Only a model's raw answer (``meta.answer``: at most 16 Mi characters, which JSON escapes up
    to 12 bytes each) can make a record longer; it is then left out (``None``, and
    ``meta.answer_left_out`` says its length), as the readers refuse longer lines. The answer
    is still in the run's response cache, and nothing scored depends on it.
    """
    line = json.dumps(data, separators=(",", ":"), allow_nan=False).encode()
    meta = data.get("meta")
    if len(line) > MAX_RECORD_LINE_BYTES and isinstance(meta, dict) and isinstance(meta.get("answer"), str):
        meta = {**meta, "answer": None, "answer_left_out": f"{len(meta['answer'])} characters: the record's line limit"}
        line = json.dumps({**data, "meta": meta}, separators=(",", ":"), allow_nan=False).encode()
    return line + b"\n"


class _Aside:
    """Lines moved out of ``samples.jsonl`` by :meth:`RunDir.repair`, appended to ``path`` as they come.

    The file is opened at the first piece; an over-long line arrives in pieces and is never held
    whole. ``lines`` counts the lines ended (:meth:`end_line` adds a newline to one that had none).
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.lines = 0
        self._file: Any = None
        self._last = b"\n"

    def write(self, piece: bytes) -> None:
        """Append a piece of the current line; raises EffbenchError (:func:`write_failed`) if it cannot."""
        try:
            if self._file is None:
                self._file = self.path.open("ab")
            self._file.write(piece)
        except OSError as exc:
            self.close(failed=True)
            raise write_failed(self.path, exc) from None
        self._last = piece[-1:] or self._last

    def end_line(self) -> None:
        """End the current line (with a newline if its last piece had none)."""
        if self._last != b"\n":
            self.write(b"\n")
        self.lines += 1

    def close(self, failed: bool = False) -> None:
        """Flush and fsync what was written (unless ``failed``), and close the file.

        Raises EffbenchError (:func:`write_failed`) when what was written cannot be made durable.
        """
        if self._file is None:
            return
        f, self._file = self._file, None
        try:
            if not failed:
                f.flush()
                os.fsync(f.fileno())
        except OSError as exc:
            raise write_failed(self.path, exc) from None
        finally:
            try:
                f.close()
            except OSError:
                pass  # already failed, or nothing left to flush


class RunDir:
    """The files of one run directory. Thread-safe: every write goes through one lock."""

    def __init__(self, path: Path) -> None:
        """Args: path: the run directory (it need not exist yet)."""
        self.path = Path(path)
        self._lock = threading.Lock()
        #: the descriptor of the directory while this process holds it (see open)
        self._held: int | None = None

    @property
    def exists(self) -> bool:
        """True when the directory has a ``config.json``."""
        return (self.path / CONFIG).is_file()

    @property
    def finished(self) -> bool:
        """True when the run that writes this directory ended normally (it has a ``summary.json``).

        An interrupted, failed or still running evaluation has none yet: its records are a part of
        its samples, and the same ``effbench evaluate`` command resumes it.
        """
        return (self.path / SUMMARY).is_file()

    def config(self) -> dict:
        """``config.json`` as a dict; raises EffbenchError when it is missing or unreadable."""
        from effbench.records import RunConfig

        try:
            data = json.loads((self.path / CONFIG).read_text())
        except (OSError, ValueError) as exc:
            raise EffbenchError(f"{self.path}: not a run directory ({CONFIG} unreadable: {exc})") from None
        except RecursionError:
            raise EffbenchError(f"{self.path}: not a run directory ({CONFIG} unreadable: nested too deeply)") from None
        RunConfig.from_json(data, str(self.path / CONFIG))  # validates
        return data

    def open(self, config: dict, log: Any = None, admits: Admits | None = None) -> set[tuple[str, str, int]]:
        """Create the directory, or check it can be resumed and repair its records.

        On resume, ``config["input_seed"]`` of None takes the recorded seed (so the same inputs are
        generated again); a different seed is refused. Every readable record must be one the run
        asks for: ``admits`` (the caller's judge, e.g. the code each sample must be of) and, for a
        model run, :func:`model_run_admits` of ``config`` say why one is not, and the resume is
        refused naming its line. Every check comes before anything is changed: a refused resume
        leaves the directory as it was. Then unreadable lines of ``samples.jsonl`` are moved to
        ``samples.rejected.jsonl`` (``log`` is told). Returns the keys of the samples already
        scored. Raises EffbenchError when the directory cannot be resumed, or when another process
        holds it (an evaluation writing it: two writers would run and record every sample twice);
        this process then holds it until :meth:`release`.
        """
        if self.path.exists() and not self.path.is_dir():
            raise EffbenchError(f"{self.path}: exists and is not a directory")
        try:
            self.path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise EffbenchError(f"{self.path}: cannot create the run directory: {exc.strerror}") from None
        took = self._held is None
        self._hold()
        try:
            return self._open_held(config, log, admits)
        except BaseException:
            if took:
                self.release()
            raise

    def _hold(self) -> None:
        if self._held is not None:
            return
        fd = os.open(self.path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _lock_holder(fd)
            os.close(fd)
            raise EffbenchError(
                f"{self.path}: another effbench process is writing this run directory (an evaluation of it "
                f"still running{holder}); wait for it to end, then re-run to resume, or use another --run-dir"
            ) from None
        self._held = fd

    def release(self) -> None:
        """Let go of the directory taken by :meth:`open` (safe to call when not held)."""
        fd, self._held = self._held, None
        if fd is not None:
            os.close(fd)

    def _open_held(self, config: dict, log: Any, admits: Admits | None) -> set[tuple[str, str, int]]:
        for name in (RECORDS, REJECTED, SUMMARY):  # read or replaced by this run: none may be a folder
            file = self.path / name
            if file.exists() and not file.is_file():
                raise EffbenchError(
                    f"{file}: is not a regular file (a run directory's {name} is one): use another --run-dir"
                )
        if self.exists:
            old = self.config()
            for key in RESUME_KEYS:
                if old.get(key) != config.get(key):
                    said = _fields_that_differ(old.get(key), config.get(key))
                    if key == "samples_hash":  # a hash: name the model run's options that differ
                        said = _samples_hash_differs(old, config)
                    raise EffbenchError(
                        f"{self.path}: cannot resume: {key} differs from this run's: {RESUME_MEANING[key]}"
                        f"{said} (use another --run-dir)"
                    )
            if config.get("input_seed") is None or "input_seed" not in old:
                config["input_seed"] = old.get("input_seed")
                if "input_seed_source" in old:
                    config["input_seed_source"] = old["input_seed_source"]
            elif config["input_seed"] != old.get("input_seed"):
                raise EffbenchError(
                    f"{self.path}: cannot resume: --seed differs from the run's input seed "
                    "(omit --seed to reuse it, or use another --run-dir)"
                )
            self._refuse_lines_not_the_runs(config, admits)  # before anything below moves a line
            rejected = self.repair()
            if rejected and log:
                log(
                    f"{self.path / RECORDS}: {rejected} unreadable or repeated line(s) moved to "
                    f"{self.path / REJECTED}; a sample left with no record runs again"
                )
            return {r.key for r in self.records()}
        if any(self.path.iterdir()):
            raise EffbenchError(f"{self.path}: exists and is not an effbench run directory")
        self.write_config(config)
        return set()

    def _refuse_lines_not_the_runs(self, config: dict, admits: Admits | None) -> None:
        """Raise EffbenchError naming the first line of ``samples.jsonl`` a resume must not keep.

        A record the run did not ask for (:meth:`not_asked_for`), or a second, different record
        of a sample (:meth:`differing_repeat`: :meth:`repair` would keep the first of the two,
        whichever run's it is). Changes nothing.
        """
        foreign = self.not_asked_for(config, admits)
        if foreign is not None:
            fix = "remove that line, or use another --run-dir"
            raise EffbenchError(f"{foreign[0]}: cannot resume: {foreign[1]}: {fix}")
        twice = self.differing_repeat()
        if twice is not None:
            raise EffbenchError(
                f"{twice[0]}: cannot resume: {twice[1]}: remove the line that is not this run's, "
                "or use another --run-dir"
            )

    def scan(self) -> Iterator[tuple[int, SampleRecord]]:
        """``(line number, record)`` for every readable line of ``samples.jsonl``, changing nothing.

        Unlike :meth:`records`, a line that cannot be read (torn, too long, not a record) is passed
        over, and a repeated sample is yielded again: this is what :meth:`repair` would keep or
        move, seen before it does. Raises OSError when the file cannot be read.
        """
        path = self.path / RECORDS
        if not path.is_file():
            return
        with path.open("rb") as f:
            for lineno, line in bounded_lines(f, MAX_RECORD_LINE_BYTES, str(path), overflow=lambda piece: None):
                if line is None or not line.strip() or not line.endswith(b"\n"):
                    continue
                try:
                    yield lineno, _parse_line(line, f"{path}:{lineno}")
                except RecordFormatError:
                    continue

    def not_asked_for(self, config: dict, admits: Admits | None = None) -> tuple[str, str] | None:
        """The first record of ``samples.jsonl`` the run of ``config`` did not ask for, or None.

        Judged by ``admits`` and, for a model run, by :func:`model_run_admits` of ``config``.

        Returns:
            ``("runs/x/samples.jsonl:3", "a record of sample 5 of 'triangle' (model 'm') the run did
            not ask for: its sample index 5 is beyond the run's --samples 2")``: where and why.
        """
        judges = [j for j in (model_run_admits(config), admits) if j is not None]
        if not judges:
            return None
        for lineno, record in self.scan():
            for judge in judges:
                why = judge(record)
                if why is not None:
                    model, problem, index = record.key
                    return f"{self.path / RECORDS}:{lineno}", f"sample {index} of {problem!r} (model {model!r}): {why}"
        return None

    def differing_repeat(self) -> tuple[str, str] | None:
        """The first line of ``samples.jsonl`` that records a sample an earlier line records otherwise, or None.

        A run writes one record per sample: two different records of one (model label, problem,
        index) are another run's line joined or prepended, or an edit, and which is the run's
        cannot be told (:meth:`repair` would keep the first and move the other aside). A line
        repeated whole (the same record) is not one: it is moved aside as a repeat. Reads without
        changing anything (:meth:`scan`).

        Returns:
            ``("runs/x/samples.jsonl:3", "it records sample 0 of 'triangle' (model 'm') otherwise
            than line 1 (...)")``: where and why.
        """
        first: dict[tuple[str, str, int], tuple[int, bytes]] = {}  # a digest, not the record: a run may be large
        for lineno, record in self.scan():
            digest = hashlib.sha256(json.dumps(record.to_json(), sort_keys=True).encode()).digest()
            earlier = first.setdefault(record.key, (lineno, digest))
            if earlier[0] != lineno and earlier[1] != digest:
                model, problem, index = record.key
                return f"{self.path / RECORDS}:{lineno}", (
                    f"it records sample {index} of {problem!r} (model {model!r}) otherwise than line {earlier[0]} "
                    "(one of the two is another run's line, or an edit)"
                )
        return None

    def repair(self) -> int:
        """Move every unreadable line of ``samples.jsonl`` (a torn last line too) aside.

        They go to ``samples.rejected.jsonl``; ``samples.jsonl`` is rewritten atomically. Returns
        how many lines moved.
        """
        path = self.path / RECORDS
        with self._lock:
            if not path.is_file():
                return 0
            good: list[bytes] = []
            seen: dict[tuple[str, str, int], int] = {}
            aside = _Aside(self.path / REJECTED)  # lines over the limit go there piece by piece
            with path.open("rb") as records:
                for lineno, line in bounded_lines(records, MAX_RECORD_LINE_BYTES, str(path), overflow=aside.write):
                    if line is None:
                        aside.end_line()
                        continue
                    if not line.strip():
                        continue
                    try:
                        if not line.endswith(b"\n"):
                            raise RecordFormatError("torn last line (no newline)")
                        _check_first(_parse_line(line, f"{path}:{lineno}"), lineno, seen, str(path))
                        good.append(line)
                    except RecordFormatError:
                        aside.write(line)
                        aside.end_line()
            aside.close()
            if not aside.lines:
                return 0
            tmp = None
            try:
                fd, tmp = tempfile.mkstemp(dir=self.path, prefix=f".{RECORDS}.", suffix=".tmp")
                with os.fdopen(fd, "wb") as f:
                    f.writelines(good)
                    f.flush()
                    os.fsync(f.fileno())
                os.replace(tmp, path)
            except OSError as exc:
                if tmp is not None:
                    Path(tmp).unlink(missing_ok=True)
                raise write_failed(path, exc) from None
            return aside.lines

    def write_config(self, config: dict) -> None:
        """Replace ``config.json`` atomically; raises EffbenchError when it cannot be written."""
        self._replace_json(CONFIG, config)

    def _replace_json(self, name: str, data: Any) -> None:
        """Replace the file ``name`` of this directory with ``data`` as JSON, atomically, under the lock.

        Raises EffbenchError (:func:`write_failed`) when it cannot be written.
        """
        with self._lock:
            try:
                atomic_write_json(self.path / name, data)
            except OSError as exc:
                raise write_failed(self.path / name, exc) from None

    def append(self, record: SampleRecord) -> None:
        """Append one record to ``samples.jsonl`` and fsync it.

        Raises EffbenchError (:func:`write_failed`) when it cannot be written whole (a full disk):
        the part written is cut off again, so the file ends with the last whole record; and
        EffbenchError, writing nothing, for a record the readers would refuse (a blank model
        label, a field of the wrong type): the line is read back as :meth:`records` reads it
        before it is written, so the run dir never holds a line that stops its own resume.
        """
        line = _record_line(record.to_json())
        path = self.path / RECORDS
        try:
            _parse_line(line, f"{path}: the record of {record.problem_id!r} sample {record.sample_index}")
        except RecordFormatError as exc:
            raise EffbenchError(f"{exc}; the record was not written") from None
        with self._lock:
            try:
                fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o644)
            except OSError as exc:
                raise write_failed(path, exc) from None
            try:
                start = os.fstat(fd).st_size
                try:
                    view = memoryview(line)
                    while view:
                        view = view[os.write(fd, view) :]
                    os.fsync(fd)
                except OSError as exc:
                    try:
                        os.ftruncate(fd, start)
                    except OSError:
                        pass  # left torn: readers skip a torn last line and a resume moves it aside
                    raise write_failed(path, exc) from None
            finally:
                os.close(fd)

    def records(self) -> list[SampleRecord]:
        """Every record, validated; derived fields as written (use ``rescored`` to recompute).

        A torn last line (no newline: a crash mid-write) is ignored; any other unreadable line
        raises EffbenchError naming the file, the line and the fix.
        """
        path = self.path / RECORDS
        if not path.is_file():
            return []
        out = []
        seen: dict[tuple[str, str, int], int] = {}
        fix = f"to move unreadable lines to {REJECTED}, resume the run: {how_to_finish(self.path)}"
        with path.open("rb") as f:
            try:
                for lineno, line in bounded_lines(f, MAX_RECORD_LINE_BYTES, str(path)):
                    assert line is not None  # no overflow: a longer line raises
                    if not line.strip():
                        continue
                    if not line.endswith(b"\n"):
                        break  # a line cut short by a crash (only the last can be): it runs again on resume
                    try:
                        out.append(_check_first(_parse_line(line, f"{path}:{lineno}"), lineno, seen, str(path)))
                    except RecordFormatError as exc:
                        raise EffbenchError(f"{exc}; {fix}") from None
            except LineTooLong as exc:
                raise EffbenchError(f"{exc} (no record is); {fix}") from None
        return out

    def torn_last_line(self) -> int | None:
        """The number of ``samples.jsonl``'s last line if a crash cut it short, else None.

        Such a line (no newline) is not counted by :meth:`records`; resuming scores it again.
        """
        path = self.path / RECORDS
        if not path.is_file():
            return None
        newlines, torn = 0, False  # torn: something other than white space after the last newline
        with path.open("rb") as f:  # counted piece by piece: never the whole file in memory
            while piece := f.read(1 << 20):
                newlines += piece.count(b"\n")
                if b"\n" in piece:
                    torn = bool(piece.rpartition(b"\n")[2].strip())
                else:
                    torn = torn or bool(piece.strip())
        return newlines + 1 if torn else None

    def disagreement(self, records: list[SampleRecord], config: dict) -> str | None:
        """Why ``records`` (this directory's, from :meth:`records`) are not this run's work, or None.

        Two facts of the run say what its records must be: ``config`` (every record is judged at
        the run's alpha, its costs in the meter's unit; a model run's records are of the labels,
        strategy, sample indices and problems it asked for: :func:`model_run_admits`) and, once
        it has finished, ``summary.json`` (how many samples of each model on each problem it
        scored, written from the records when it ended). ``samples.jsonl`` cut, emptied, edited
        or joined with another run's records after that disagrees with them; a reader that
        counted it would report another run's samples or lose some. Returns one clause naming
        the file, what differs (at most three model/problem pairs) and the fix; a torn last
        line is :meth:`torn_last_line`'s, not this.
        """
        fingerprint = config.get("fingerprint")
        unit = fingerprint.get("unit") if isinstance(fingerprint, dict) else None
        judge = model_run_admits(config)
        for lineno, r in enumerate(records, 1):
            why = None if judge is None else judge(r)
            if why is not None:
                model, problem, index = r.key
                return (
                    f"{self.path / RECORDS}: record {lineno} (sample {index} of {problem!r}, model {model!r}) is not "
                    f"one the run asked for: {why}: remove it, or restore the file from a copy"
                )
            other = []
            if r.alpha is not None and config.get("alpha") is not None and r.alpha != config["alpha"]:
                other.append(f"alpha {r.alpha:g}, the run's is {config['alpha']:g}")
            if r.unit and unit and r.unit != unit:
                other.append(f"costs in {r.unit}, the run's are in {unit}")
            if other:
                model, problem, index = r.key
                return (
                    f"{self.path / RECORDS}: record {lineno} (sample {index} of {problem!r}, model {model!r}) is "
                    f"another run's: {'; '.join(other)}: remove it, or restore the file from a copy"
                )
        if not self.finished or self.torn_last_line() is not None:  # a torn line's sample is said apart
            return None
        try:
            summary = json.loads((self.path / SUMMARY).read_text())
            expected = {
                (str(model), str(pid)): int(row["n"])
                for model, entry in summary["models"].items()
                for pid, row in entry["problems"].items()
            }
            for model, entry in summary["models"].items():  # counted apart, never in a problem's n
                if entry.get("overall", {}).get("infra_failures"):
                    expected[(str(model), INFRA_KEY)] = int(entry["overall"]["infra_failures"])
        except (OSError, ValueError, TypeError, KeyError, AttributeError, RecursionError):
            return f"{self.path / SUMMARY}: unreadable (not what a run writes): re-run its `effbench evaluate` command"
        counts: dict[tuple[str, str], int] = {}
        for r in records:  # as effbench.summary.summarize counts them
            key = (r.model, INFRA_KEY if r.verdict == Verdict.INFRA else r.problem_id)
            counts[key] = counts.get(key, 0) + 1
        differ = sorted(k for k in expected.keys() | counts.keys() if expected.get(k, 0) != counts.get(k, 0))
        if not differ:
            return None
        said = "; ".join(
            f"{model!r} on {pid}: {counts.get((model, pid), 0)} record(s), {expected.get((model, pid), 0)} in {SUMMARY}"
            for model, pid in differ[:3]
        ) + (f" and {len(differ) - 3} more" if len(differ) > 3 else "")
        return (
            f"{self.path / RECORDS} does not hold the samples the finished run scored ({said}): it was cut, emptied, "
            "edited or joined with another run's records after the run ended; restore it from a copy, or re-run "
            "its `effbench evaluate` command into a new --run-dir"
        )

    def write_summary(self, summary: dict) -> None:
        """Replace ``summary.json`` atomically; raises EffbenchError when it cannot be written."""
        self._replace_json(SUMMARY, summary)
