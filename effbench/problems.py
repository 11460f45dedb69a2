"""Problem sets: loading, validation and deterministic test generation.

The format is documented in ``problems/README.md``. Loading checks every field and reports the
first error as ``<file>: <field>: <what is wrong>``.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import math
import re
import tomllib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from effbench import paths
from effbench.errors import EffbenchError, ProblemFormatError

CATEGORIES = (
    "basics",
    "sorting",
    "searching",
    "hashing",
    "two_pointers",
    "strings",
    "dynamic_programming",
    "graphs",
    "number_theory",
    "combinatorics",
    "data_structures",
    "geometry",
    "bit_manipulation",
    "simulation",
    "parsing",
)
CHECKERS = ("exact", "float", "unordered", "unordered_inner", "custom")
ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
EXPERT = "expert"
#: PYTHONHASHSEED of the process that runs a problem's generator (any fixed value would do).
GENERATOR_HASH_SEED = 0
#: The largest few-shot preamble (``completion_prefix``, ``--prompt-prefix``) accepted, in bytes: it
#: is sent before every prompt, and 256 KiB (about 64k tokens at 4 bytes a token) already fills the
#: context of most models; a larger file is a mistake, refused before it is read.
MAX_PREFIX_BYTES = 256 * 1024
#: The most tests a level of a problem folder may ask for: each is generated, profiled and run on
#: every sample (the bundled sets ask for at most 8); a typo such as 100000000 is refused up front.
MAX_TESTS_PER_LEVEL = 1000


def new_input_seed() -> str:
    """A fresh secret seed for generated tests (128 bits from :mod:`secrets`), as 32 hex digits."""
    import secrets

    return secrets.token_hex(16)


def input_hash(encoded_args: Any) -> str:
    """SHA-256 (hex, 32 digits) of a test's arguments in the codec's plain-data form.

    Expected answers and expert costs are keyed by it (DESIGN.md: "keyed by the inputs
    themselves"), so an answer can never be matched with an input it was not computed on.
    """
    text = json.dumps(encoded_args, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


#: The script that generates a problem's tests from ``job`` (the job of :func:`_run_generator`):
#: run in a child of a generator server (:mod:`effbench.generator_server`), or after
#: :data:`_GENERATE_SCRIPT`'s line that reads ``job`` in a fresh interpreter.
GENERATE_BODY = """
import importlib.util, json, random, resource, signal, sys
from effbench import codec
from effbench.generator_server import confine_writes
# nothing the generator writes outlives it (a fresh tmpfs on /tmp, /var/tmp and /dev/shm, every
# other mount read-only): its stdout and stderr, open already, are where its tests go
confine_writes()
resource.setrlimit(resource.RLIMIT_AS, (job["memory_bytes"], job["memory_bytes"]))  # MemoryError past it
resource.setrlimit(resource.RLIMIT_FSIZE, (job["output_bytes"] + 1, job["output_bytes"] + 1))
signal.signal(signal.SIGXFSZ, signal.SIG_DFL)  # a write past it ends this process (Python ignores it)
import os, time
def _waited():  # how long this process has waited, runnable, for a CPU (the scheduler's sum), in s
    try:
        with open("/proc/self/schedstat", "rb") as f:
            return int(f.read().split()[1]) / 1e9
    except (OSError, ValueError, IndexError):
        return 0.0
_call = [time.monotonic(), _waited()]
def _time(call_seconds):  # a call's limits from now: CPU time (SIGPROF), and wall time (SIGALRM)
    _call[:] = [time.monotonic(), _waited()]
    signal.setitimer(signal.ITIMER_PROF, call_seconds)
    signal.setitimer(signal.ITIMER_REAL, call_seconds)
def _alarm(signum, frame):
    # wall time counts only what the call held without waiting for a CPU: a busy machine's waits
    # are not the generator's. Past the limit, SIGALRM's default action ends this process
    held = time.monotonic() - _call[0] - (_waited() - _call[1])
    if held >= job["call_seconds"]:
        signal.signal(signal.SIGALRM, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGALRM)
    signal.setitimer(signal.ITIMER_REAL, max(0.01, job["call_seconds"] - held))
# a call past its time ends this process, nothing catches it: SIGPROF (its CPU time, even in a long
# C call) by its default action, SIGALRM (its wall time less its waits for a CPU) from _alarm
signal.signal(signal.SIGPROF, signal.SIG_DFL)
signal.signal(signal.SIGALRM, _alarm)
resource.setrlimit(resource.RLIMIT_CPU, (job["total_cpu_seconds"], job["total_cpu_seconds"] + 1))
_time(job["call_seconds"])
spec = importlib.util.spec_from_file_location("effbench_generator", job["path"])
gen = importlib.util.module_from_spec(spec)
spec.loader.exec_module(gen)
out = []
for level, (size, count) in enumerate(job["levels"]):
    tests = []
    for i in range(count):
        sys.stderr.write(job["mark"] + str(level) + " " + str(i) + "\\n")
        sys.stderr.flush()
        prefix = "" if level == 0 or job["seed"] is None else job["seed"] + "/"
        _time(job["call_seconds"])
        args = gen.generate(size, random.Random(prefix + job["id"] + "/" + str(level) + "/" + str(i)))
        _time(0)
        if not isinstance(args, list):
            sys.stderr.write("generate() must return a list of arguments, got " + type(args).__name__)
            sys.exit(3)
        tests.append(codec.encode(args))
    out.append(tests)
json.dump(out, sys.stdout)
"""
#: :data:`GENERATE_BODY` in a fresh interpreter, its job read from stdin
_GENERATE_SCRIPT = "import json, sys\njob = json.load(sys.stdin)\n" + GENERATE_BODY
#: How long one ``generate(size, rng)`` call of a problem folder's generator may run, in seconds
#: (the bundled generators take well under a second a call): of CPU time, and of wall time less the
#: time the process waited, runnable, for a CPU (a busy machine's doing, not the generator's).
#: Past it the generator is stopped and the problem refused, naming the level and test, instead
#: of the run waiting forever.
GENERATE_CALL_SECONDS = 60.0
#: The address space a problem folder's generator process may take, in bytes: past it an allocation
#: fails (MemoryError, named with the level and test) instead of the host running out of memory.
GENERATOR_MEMORY_BYTES = 4 << 30
#: How long a problem's whole generator process may run (every level's tests), in seconds: of CPU
#: time (RLIMIT_CPU), and of wall time less its waits for a CPU (the generator server's watch).
GENERATOR_TOTAL_SECONDS = 600.0
#: The most a problem folder's generator process may write to any one file, its stdout (the tests'
#: JSON) and stderr included, in bytes: past it the process ends (SIGXFSZ) and the problem is
#: refused, instead of a print loop filling the disk and the host's memory (the bundled generators'
#: largest output is 7.2 MB, median_two_sorted).
GENERATOR_OUTPUT_BYTES = 256 << 20
#: Marks the start of each ``generate`` call on the generator's stderr (``<mark><level> <test>``).
_CALL_MARK = "\x00effbench-generate "


def _run_generator(problem: Problem, seed: str | None, hash_seed: int, fresh: bool = False) -> list[list[list]]:
    """Run ``problem``'s generator in a process of its own (see :meth:`Problem.generated_args`).

    The process is a child forked from a generator server that has imported the script's modules
    once (:mod:`effbench.generator_server`), or with ``fresh`` (and when the server itself fails)
    a fresh interpreter; either way it runs :data:`GENERATE_BODY` with the environment, limits and
    messages below, and gives the same output.

    Raises ProblemFormatError naming generator.py when it fails (a MemoryError past
    :data:`GENERATOR_MEMORY_BYTES` too), returns no JSON, or runs past
    :data:`GENERATE_CALL_SECONDS` in one ``generate`` call (or :data:`GENERATOR_TOTAL_SECONDS` in
    all): the message names the level, its size and the test that was being generated.
    """
    import os
    import signal

    where = f"problems/{problem.id}/generator.py"
    job = {
        "path": str(problem.directory / "generator.py"),
        "id": problem.id,
        "seed": seed,
        "levels": [[lv.size, lv.tests] for lv in problem.levels],
        "call_seconds": GENERATE_CALL_SECONDS,
        "total_cpu_seconds": int(GENERATOR_TOTAL_SECONDS + 0.999),
        "memory_bytes": GENERATOR_MEMORY_BYTES,
        "output_bytes": GENERATOR_OUTPUT_BYTES,
        "mark": _CALL_MARK,
    }
    env = {**os.environ, "PYTHONHASHSEED": str(hash_seed), "PYTHONPATH": str(paths.PACKAGE_DIR.parent)}

    def running(stderr: str | bytes | None) -> str:
        """Which call the generator was in, from its marks on stderr: 'level L (size S), test I'."""
        if isinstance(stderr, bytes):
            stderr = stderr.decode("utf-8", "replace")
        marks = [line[len(_CALL_MARK) :].split() for line in (stderr or "").splitlines() if line.startswith(_CALL_MARK)]
        if not marks:
            return "loading generator.py"
        level, test = (int(x) for x in marks[-1])
        return f"generate() at level {level} (size {problem.levels[level].size}), test {test}"

    def past_total(stderr: str | None) -> ProblemFormatError:
        return ProblemFormatError(
            f"{where}: problem {problem.id!r}: the generator runs past {GENERATOR_TOTAL_SECONDS:g} s in all "
            f"(stopped in {running(stderr)}): make it faster or ask for fewer tests"
        )

    proc = _generator_process(env, job, fresh, where, past_total)
    if proc.returncode == -signal.SIGXFSZ or (proc.returncode == 0 and proc.stdout is None):
        raise ProblemFormatError(
            f"{where}: problem {problem.id!r}: the generator writes more than {GENERATOR_OUTPUT_BYTES >> 20} MiB "
            f"(in {running(proc.stderr)}; print() loop?): it was stopped"
        )
    if proc.returncode == -signal.SIGXCPU:
        raise past_total(proc.stderr)
    if proc.returncode in (-signal.SIGALRM, -signal.SIGPROF):
        raise ProblemFormatError(
            f"{where}: problem {problem.id!r}: {running(proc.stderr)} runs past {GENERATE_CALL_SECONDS:g} s "
            "(a loop that never ends?): the generator was stopped"
        )
    if proc.returncode != 0:
        lines = [line for line in proc.stderr.strip().splitlines() if not line.startswith(_CALL_MARK)]
        tail = lines[-1:] or [f"exit code {proc.returncode}"]
        raise ProblemFormatError(f"{where}: {tail[0]} (in {running(proc.stderr)})")
    try:
        return json.loads(proc.stdout or "")
    except ValueError:
        raise ProblemFormatError(f"{where}: the generator's output is not valid JSON") from None


def _generator_process(
    env: dict[str, str], job: dict, fresh: bool, where: str, past_total: Callable[[str | None], Exception]
) -> Any:
    """Run :data:`GENERATE_BODY` on ``job``: a :class:`effbench.generator_server.GeneratorResult`.

    In a child of a generator server (:mod:`effbench.generator_server`), or in a fresh interpreter
    with ``fresh`` or when the server itself fails. Either way the process runs in a process group
    of its own (a generator's ``kill(0, ...)`` reaches no one else), its stdout and stderr go to
    files read in bounded memory (:func:`~effbench.generator_server.read_output`, at most
    :data:`GENERATOR_OUTPUT_BYTES`; :func:`~effbench.generator_server.stderr_summary`), and what is
    left of its group when it ends is killed; where the kernel allows it, in a PID namespace of its
    own whose init ends every process left in it (:data:`effbench.generator_server.PID_NAMESPACE`).
    Raises ``past_total(stderr)`` when it runs past
    :data:`GENERATOR_TOTAL_SECONDS`, ProblemFormatError naming ``where`` when it cannot start.
    """
    import os
    import shutil
    import signal
    import subprocess
    import tempfile

    from effbench import generator_server

    if not fresh:
        try:
            proc = generator_server.run_generator_job(
                env, job, GENERATE_BODY, GENERATOR_TOTAL_SECONDS, GENERATOR_OUTPUT_BYTES
            )
        except generator_server.ServerFailed:
            pass  # the server's own failure, not the generator's: a fresh interpreter, as before
        else:
            if proc.timeout:
                raise past_total(proc.stderr)
            return proc
    folder = tempfile.mkdtemp(prefix="effbench-gen-")
    out_path, err_path = os.path.join(folder, "out"), os.path.join(folder, "err")
    try:
        try:
            with open(out_path, "wb") as out, open(err_path, "wb") as err:
                child = subprocess.Popen(
                    generator_server.fresh_command(_GENERATE_SCRIPT),
                    stdin=subprocess.PIPE,
                    stdout=out,
                    stderr=err,
                    env=env,
                    process_group=0,
                )
        except (OSError, subprocess.SubprocessError) as exc:
            raise ProblemFormatError(f"{where}: cannot run the generator: {exc}") from None
        try:
            assert child.stdin is not None
            try:
                child.stdin.write(json.dumps(job).encode())
                child.stdin.close()
            except OSError:
                pass  # it ended before reading its job: its exit code says why
            ended = generator_server.wait_unreaped(child.pid, GENERATOR_TOTAL_SECONDS)
        finally:
            try:  # not reaped yet, so the group is still the child's: the child and all it left
                os.killpg(child.pid, signal.SIGKILL)
            except OSError:
                pass
            child.wait()
        stderr = generator_server.stderr_summary(err_path, _CALL_MARK)
        if not ended:
            raise past_total(stderr)
        return generator_server.GeneratorResult(
            child.returncode, generator_server.read_output(out_path, GENERATOR_OUTPUT_BYTES), stderr, False
        )
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@dataclass(frozen=True)
class Level:
    """One size level (DESIGN.md "Metric definitions").

    ``size`` is the generator's size parameter, ``weight`` is ``h_l``, ``tests`` the number of
    generated tests.
    """

    index: int
    size: int
    weight: float
    tests: int


@dataclass(frozen=True)
class TestCase:
    """One call of the entry point. ``expected`` is None for generated tests (the expert decides)."""

    __test__ = False  # not a pytest class

    test_id: str
    level: int
    args: list
    expected: Any = None
    has_expected: bool = False


@dataclass
class Problem:
    """A problem: prompt, entry point, checker, levels, fixed tests and references (trusted code).

    Loaded and validated by :func:`load_problem`; the format is ``problems/README.md``.
    """

    id: str
    title: str
    category: str
    complexity: str
    entry_point: str
    prompt: str
    checker: str
    tolerance: float
    levels: list[Level]
    tests: list[TestCase]
    directory: Path
    reference_dir: Path
    references: dict[str, str] = field(repr=False)
    source: str = "effbench"
    #: content hash of the problem's folder and references, taken when it was loaded
    version: str = ""
    generated_tests: list[list[TestCase]] | None = field(default=None, repr=False)
    custom_check: Callable[[list, Any, Any], bool] | None = field(default=None, repr=False)
    #: code every program of this problem runs after (a format that runs each solution after its
    #: prompt, as ENAMEL does, so that the prompt's imports and helpers are defined); "" for none
    code_prefix: str = field(default="", repr=False)
    _generated_cache: dict[tuple[str | None, int], list[list[list]]] = field(
        default_factory=dict, repr=False, compare=False
    )

    @property
    def expert_code(self) -> str:
        """The expert (fastest known) reference's source."""
        return self.references[EXPERT]

    def runnable(self, code: str) -> str:
        """``code`` as it runs in the sandbox: after :attr:`code_prefix` and a newline.

        Code that already begins with the prefix (a reference completed with the prompt, a
        completion that continues it) is returned as it is, so the prefix never runs twice.
        """
        prefix = self.code_prefix
        if not prefix or code.startswith(prefix):
            return code
        return prefix + "\n" + code

    @property
    def tiers(self) -> list[str]:
        """Reference tiers, expert first, then the slower ones by name."""
        return [EXPERT] + sorted(t for t in self.references if t != EXPERT)

    def _generator(self) -> ModuleType:
        return _load_module(self.directory / "generator.py", f"effbench_gen_{self.id}")

    def generated_args(self, seed: str | None = None, hash_seed: int = GENERATOR_HASH_SEED) -> list[list[list]]:
        """Encoded arguments of every generated test, per level: ``[level][i] -> args``.

        The generator runs in a fresh interpreter with ``PYTHONHASHSEED=hash_seed``, so its output
        cannot depend on the host's string-hash seed (set iteration order). Level 0 always uses the
        public fixed seed (correctness tests may be public); levels >= 1 use ``seed`` (the run's
        secret, see :func:`new_input_seed`), or the public one when ``seed`` is None. The args are
        in the codec's plain-data form (tuples, sets, bytes tagged). Raises ProblemFormatError when
        the generator fails or returns something other than a list.
        """
        key = (seed, hash_seed)
        if key not in self._generated_cache:
            self._generated_cache[key] = _run_generator(self, seed, hash_seed)
        return self._generated_cache[key]

    def level_tests(self, level: int, seed: str | None = None) -> list[TestCase]:
        """Tests of one level: the fixed correctness tests first at level 0, then generated ones.

        ``seed`` chooses the generated inputs of levels >= 1 (see :meth:`generated_args`).
        """
        tests = [t for t in self.tests if t.level == level]
        if self.generated_tests is not None:
            return tests + self.generated_tests[level]
        from effbench import codec

        for i, args in enumerate(self.generated_args(seed)[level]):
            tests.append(TestCase(f"L{level}.g{i}", level, codec.decode(args)))
        return tests

    def all_tests(self, seed: str | None = None) -> Iterator[TestCase]:
        """Every test, level by level (generated ones from ``seed``)."""
        for level in range(len(self.levels)):
            yield from self.level_tests(level, seed)

    def check_input(self, args: list) -> None:
        """Run the generator's ``check_input(*args)`` if it has one; raises what it raises.

        Also HostCodeTimeout when it runs past :data:`effbench.hostcode.HOST_CODE_SECONDS`, and
        ProblemFormatError when generator.py does not load.
        """
        if self.directory is None:  # imported problems come with their inputs already generated
            return
        from effbench.hostcode import call_bounded

        gen = self._generator()
        if hasattr(gen, "check_input"):
            call_bounded(lambda: gen.check_input(*args))


@dataclass
class ProblemSet:
    """Problems by id, with the set's name, version and what models are told."""

    name: str
    version: str
    problems: dict[str, Problem]
    root: Path | None = None
    #: what models are told (problemset.toml keys; None: effbench's defaults)
    system_prompt: str | None = None
    prompt_template: str | None = None
    #: completion mode's few-shot preamble: the text of the file named by problemset.toml's
    #: ``completion_prefix`` (relative to the set's folder); None: no preamble
    completion_prefix: str | None = None

    @property
    def hash(self) -> str:
        """Changes when the set's name or version, or any problem's content, changes."""
        digest = hashlib.sha256(f"{self.name}\0{self.version}\0".encode())
        for pid in sorted(self.problems):
            digest.update(f"{pid}:{self.problems[pid].version}\0".encode())
        return digest.hexdigest()[:16]

    def get(self, problem_id: str) -> Problem:
        """The problem with this id.

        Raises:
            ProblemFormatError: an unknown id, named with the other bundled set that has it (when
                this set is a bundled one), else with the nearest known id if one is near, else
                with where to list them; a named selection (``@enamel``) asked of a set that has
                none, with the option that reads a published format's file.
        """
        try:
            return self.problems[problem_id]
        except KeyError:
            import difflib

            elsewhere = self._bundled_set_with(str(problem_id))
            near = difflib.get_close_matches(str(problem_id), list(self.problems), n=1)
            if str(problem_id).startswith("@"):
                hint = (
                    f"{problem_id} names a selection of a published format's rows, read with its file: "
                    f"--dataset enamel:FILE --problems {problem_id}; this set has no named selection"
                )
            elif elsewhere:
                hint = f"it is in the bundled set {elsewhere!r}: add --problem-set {elsewhere}"
            elif near:
                hint = f"did you mean {near[0]!r}?"
            else:
                hint = "see `effbench problems list`"
            raise ProblemFormatError(f"unknown problem id {problem_id!r} in problem set {self.name} ({hint})") from None

    def _bundled_set_with(self, problem_id: str) -> str | None:
        """The name of another bundled set that has ``problem_id``, or None.

        Only when this set is itself a bundled one (``sum_list`` asked of the core set: ``starter``);
        an id that is not a plain name (letters, digits, ``_``) is never looked up on the disk.
        """
        if self.root is None or not problem_id or not problem_id.replace("_", "").isalnum():
            return None
        sets = bundled_problem_sets()
        here = self.root.resolve()
        if here not in {d.resolve() for d in sets.values()}:
            return None
        for name, folder in sets.items():
            if folder.resolve() != here and (folder / problem_id / "problem.toml").is_file():
                return name
        return None

    def select(self, ids: list[str] | None) -> list[Problem]:
        """The problems with these ids (all, sorted by id, when None or empty)."""
        if not ids:
            return [self.problems[k] for k in sorted(self.problems)]
        return [self.get(i) for i in ids]


def content_hash(*folders: Path | None, modules: Sequence[Path] = ()) -> str:
    """Hash of every file (path and bytes) under the folders, then of ``modules``: any edit changes it.

    ``modules`` are files of the effbench package (named relative to it) that code in the folders
    imports, such as :mod:`effbench.generator_kit`; without them the hash is that of the folders
    alone. Returns 16 hex digits.
    """
    digest = hashlib.sha256()
    for base in folders:
        if base is None or not base.is_dir():
            continue
        for path in sorted(p for p in base.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
            digest.update(str(path.relative_to(base)).encode() + b"\0")
            digest.update(path.read_bytes() + b"\0")
    for path in modules:
        digest.update(b"effbench/" + str(path.relative_to(paths.PACKAGE_DIR)).encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def _effbench_imports(source: Path, where: str) -> list[Path]:
    """The files of the effbench modules that the Python file ``source`` imports, sorted, no repeats.

    ``import effbench.x``, ``from effbench.x import f`` and ``from effbench import x`` (x a module)
    count; names that are not a module file of the package are passed over. Raises
    ProblemFormatError, naming ``where``, when ``source`` is not valid Python.
    """
    import ast

    try:
        tree = ast.parse(source.read_bytes(), str(source))
    except SyntaxError as exc:
        raise ProblemFormatError(f"{where}: invalid Python: {exc.msg} (line {exc.lineno})") from None
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{a.name}" for a in node.names)
    found = set()
    for name in names:
        parts = name.split(".")
        if parts[0] != "effbench" or len(parts) < 2:
            continue
        base = paths.PACKAGE_DIR.joinpath(*parts[1:])
        for path in (base.with_suffix(".py"), base / "__init__.py"):
            if path.is_file():
                found.add(path)
    return sorted(found)


def _load_module(path: Path, name: str) -> ModuleType:
    """Load a problem folder's Python file (checker.py, generator.py) in this process.

    Raises:
        ProblemFormatError: naming ``path``, when loading it raises (SystemExit too) or runs past
            :data:`effbench.hostcode.HOST_CODE_SECONDS`.
    """
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ProblemFormatError(f"{path}: cannot be loaded as a Python module")
    from effbench.hostcode import HostCodeTimeout, call_bounded

    module = importlib.util.module_from_spec(spec)
    loader = spec.loader
    try:
        call_bounded(lambda: loader.exec_module(module))
    except HostCodeTimeout as exc:
        raise ProblemFormatError(f"{path}: loading it {exc} (module-level code must only define names)") from None
    except (Exception, SystemExit) as exc:  # noqa: BLE001 - the problem's code: any failure is its own
        raise ProblemFormatError(f"{path}: fails when loaded: {type(exc).__name__}: {str(exc)[:200]}") from None
    return module


def _read_text(path: Path, where: str) -> str:
    """A problem folder's text file; ProblemFormatError naming ``where`` when it is not UTF-8."""
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ProblemFormatError(
            f"{where}: not UTF-8 text ({exc.reason} at byte {exc.start}): save it as UTF-8"
        ) from None
    except OSError as exc:
        raise ProblemFormatError(f"{where}: cannot read: {exc.strerror or exc}") from None


def _read_toml(path: Path, where: str) -> dict:
    """A problem set's TOML file -> its table; ProblemFormatError naming ``where`` if unreadable."""
    try:
        return tomllib.loads(_read_text(path, where))
    except tomllib.TOMLDecodeError as exc:
        raise ProblemFormatError(f"{where}: invalid TOML: {exc}") from None


def _require(cond: bool, where: str, message: str) -> None:
    if not cond:
        raise ProblemFormatError(f"{where}: {message}")


def _load_levels(raw: Any, where: str) -> list[Level]:
    _require(isinstance(raw, list) and len(raw) >= 3, f"{where}: levels", "must be a list of at least 3 levels")
    levels: list[Level] = []
    for i, item in enumerate(raw):
        here = f"{where}: levels[{i}]"
        _require(isinstance(item, dict), here, "must be a table { size, weight, tests }")
        unknown = set(item) - {"size", "weight", "tests"}
        _require(not unknown, here, f"unknown keys {sorted(unknown)}")
        size, weight, tests = item.get("size"), item.get("weight"), item.get("tests")
        _require(
            isinstance(size, int) and not isinstance(size, bool) and size >= 0,
            f"{here}.size",
            "must be a non-negative integer",
        )
        _require(
            isinstance(weight, (int, float)) and not isinstance(weight, bool) and math.isfinite(weight) and weight >= 0,
            f"{here}.weight",
            "must be a finite non-negative number",
        )
        _require(
            isinstance(tests, int) and not isinstance(tests, bool) and 1 <= tests <= MAX_TESTS_PER_LEVEL,
            f"{here}.tests",
            f"must be an integer from 1 to {MAX_TESTS_PER_LEVEL}",
        )
        if levels:
            _require(size > levels[-1].size, f"{here}.size", "must be greater than the previous level's size")
        levels.append(Level(i, size, float(weight), tests))
    _require(levels[0].weight == 0, f"{where}: levels[0].weight", "level 0 is correctness only: weight must be 0")
    _require(any(lv.weight > 0 for lv in levels), f"{where}: levels", "at least one level needs a positive weight")
    return levels


def load_problem(directory: Path, reference_root: Path) -> Problem:
    """Load and validate one problem folder."""
    pid = directory.name
    toml_path = directory / "problem.toml"
    where = f"problems/{pid}/problem.toml"
    _require(toml_path.is_file(), where, "missing")
    meta = _read_toml(toml_path, where)
    known = {"id", "title", "category", "complexity", "entry_point", "prompt", "checker", "tolerance", "levels"}
    unknown = set(meta) - known
    _require(not unknown, where, f"unknown fields {sorted(unknown)}")
    for key in ("id", "title", "category", "complexity", "entry_point", "prompt"):
        _require(isinstance(meta.get(key), str) and meta[key].strip() != "", f"{where}: {key}", "missing or empty")
    _require(meta["id"] == pid, f"{where}: id", f"must equal the folder name {pid!r}")
    _require(bool(ID_PATTERN.match(pid)), f"{where}: id", "must match [a-z][a-z0-9_]*")
    _require(meta["category"] in CATEGORIES, f"{where}: category", f"must be one of {', '.join(CATEGORIES)}")
    _require(meta["entry_point"].isidentifier(), f"{where}: entry_point", "must be a Python identifier")
    _require(
        f"def {meta['entry_point']}(" in meta["prompt"], f"{where}: prompt", "must contain the entry point's signature"
    )
    checker = meta.get("checker", "exact")
    _require(checker in CHECKERS, f"{where}: checker", f"must be one of {', '.join(CHECKERS)}")
    tolerance = meta.get("tolerance", 1e-6)
    _require(isinstance(tolerance, (int, float)) and tolerance >= 0, f"{where}: tolerance", "must be >= 0")
    levels = _load_levels(meta.get("levels"), where)

    tests_path = directory / "tests.json"
    twhere = f"problems/{pid}/tests.json"
    _require(tests_path.is_file(), twhere, "missing")
    try:
        raw_tests = json.loads(_read_text(tests_path, twhere))
    except json.JSONDecodeError as exc:
        raise ProblemFormatError(f"{twhere}: invalid JSON: {exc}") from None
    _require(isinstance(raw_tests, list) and raw_tests, twhere, "must be a non-empty list")
    tests = []
    for i, item in enumerate(raw_tests):
        _require(
            isinstance(item, dict) and set(item) == {"args", "expected"},
            f"{twhere}: [{i}]",
            'must be {"args": [...], "expected": ...}',
        )
        _require(isinstance(item["args"], list), f"{twhere}: [{i}].args", "must be a list")
        tests.append(TestCase(f"L0.t{i}", 0, item["args"], item["expected"], True))

    _require((directory / "generator.py").is_file(), f"problems/{pid}/generator.py", "missing")
    # the effbench modules the generator imports (effbench.generator_kit) count in the version
    imported = _effbench_imports(directory / "generator.py", f"problems/{pid}/generator.py")
    custom = None
    if checker == "custom":
        cpath = directory / "checker.py"
        _require(cpath.is_file(), f"problems/{pid}/checker.py", "missing (checker = custom)")
        custom = getattr(_load_module(cpath, f"effbench_chk_{pid}"), "check", None)
        _require(callable(custom), f"problems/{pid}/checker.py", "must define check(args, expected, actual)")

    ref_dir = reference_root / pid
    rwhere = f"references/{pid}"
    _require(ref_dir.is_dir(), rwhere, "missing")
    references = {p.stem: _read_text(p, f"{rwhere}/{p.name}") for p in sorted(ref_dir.glob("*.py"))}
    _require(EXPERT in references, f"{rwhere}/expert.py", "missing")
    _require(len(references) >= 2, rwhere, "needs at least one slower tier besides expert.py")
    for tier, code in references.items():
        _require(
            f"def {meta['entry_point']}(" in code, f"{rwhere}/{tier}.py", f"does not define {meta['entry_point']}()"
        )
    return Problem(
        id=pid,
        title=meta["title"],
        category=meta["category"],
        complexity=meta["complexity"],
        entry_point=meta["entry_point"],
        prompt=meta["prompt"].strip("\n") + "\n",
        checker=checker,
        tolerance=float(tolerance),
        levels=levels,
        tests=tests,
        directory=directory,
        reference_dir=ref_dir,
        references=references,
        custom_check=custom,
        version=content_hash(directory, ref_dir, modules=imported),
    )


#: The name of the bundled main set in :func:`bundled_problem_sets` (``problems/`` itself).
MAIN_SET = "core"


def bundled_problem_sets() -> dict[str, Path]:
    """The problem sets shipped with effbench, by the name ``--problem-set`` takes.

    ``core`` is ``problems/`` itself; every sub-folder of it that holds its own ``problemset.toml``
    is another set named by its folder (``problems/starter/`` is ``starter``), whose references
    live in ``references/<name>/``.
    """
    root = paths.problems_dir()
    sets = {MAIN_SET: root}
    for sub in sorted(root.iterdir()):
        if sub.is_dir() and (sub / "problemset.toml").is_file():
            sets[sub.name] = sub
    return sets


def bundled_problem_set_dir(name: str) -> Path:
    """The folder of the bundled set ``name`` (see :func:`bundled_problem_sets`).

    Raises:
        ProblemFormatError: an unknown name; the message lists the known ones.
    """
    sets = bundled_problem_sets()
    if name not in sets:
        raise ProblemFormatError(f"unknown problem set {name!r}; known: {', '.join(sets)}")
    return sets[name]


def _default_references(root: Path) -> Path:
    """Where a set's references are when not given.

    ``<root>/../references``; for a set nested in another (a sub-folder with its own
    problemset.toml, e.g. ``problems/starter``), the parent set's references folder's sub-folder of
    the same name (``references/starter``).
    """
    if (root.parent / "problemset.toml").is_file():
        return _default_references(root.parent) / root.name
    ref_root = root.parent / "references"
    if not ref_root.is_dir() and root == paths.problems_dir():
        ref_root = paths.references_dir()
    return ref_root


def load_problem_set(root: Path | str | None = None, references: Path | str | None = None) -> ProblemSet:
    """Load every problem under ``root`` (default: the bundled main set) and validate it.

    A sub-folder of ``root`` with its own ``problemset.toml`` is another set (see
    :func:`bundled_problem_sets`), not a problem of this one. References default to
    ``<root>/../references`` (see :func:`_default_references` for nested sets).

    Raises:
        ProblemFormatError: ``root`` is not a folder, has no ``problemset.toml``, or a problem in it
            is malformed.
    """
    root = Path(root) if root else paths.problems_dir()
    ref_root = Path(references) if references else _default_references(root)
    meta_path = root / "problemset.toml"
    if not root.is_dir():
        what = "is not a folder" if root.exists() else "no such folder"
        raise ProblemFormatError(f"{root}: {what} (a problem set is a folder holding problemset.toml)")
    if not meta_path.is_file():
        raise ProblemFormatError(f"{meta_path}: missing (a problem set needs a name and a version)")
    meta = _read_toml(meta_path, str(meta_path))
    for key in ("name", "version"):
        _require(isinstance(meta.get(key), str) and meta[key], f"{meta_path.name}: {key}", "missing or empty")
    problems = {}
    for directory in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith((".", "_"))):
        if (directory / "problemset.toml").is_file():
            continue  # a nested problem set (e.g. problems/starter), loaded by its own name
        problems[directory.name] = load_problem(directory, ref_root)
    if not problems:
        raise ProblemFormatError(f"{root}: no problems found")
    return ProblemSet(
        meta["name"],
        meta["version"],
        problems,
        root,
        meta.get("system_prompt"),
        meta.get("prompt_template"),
        _completion_prefix(meta_path, meta.get("completion_prefix")),
    )


def _completion_prefix(meta_path: Path, name: object) -> str | None:
    """The text of the file a problemset.toml names as ``completion_prefix`` (None when it names none).

    The path is relative to the set's folder and stays inside it. Raises ProblemFormatError naming
    problemset.toml when it is not a string, leaves the folder, cannot be read as UTF-8 text, is
    empty (blank) or larger than :data:`MAX_PREFIX_BYTES`.
    """
    if name is None:
        return None
    where = f"{meta_path}: completion_prefix"
    if not isinstance(name, str) or not name:
        raise ProblemFormatError(f'{where}: a file name relative to the set\'s folder, e.g. "completion_prefix.py"')
    folder = meta_path.parent.resolve()
    path = (folder / name).resolve()
    if not path.is_relative_to(folder):
        raise ProblemFormatError(f"{where}: {name!r} is outside the set's folder")
    return read_preamble(
        path, f"{where}: {name!r}", "leave completion_prefix out to send no preamble", ProblemFormatError
    )


def read_preamble(path: Path, label: str, blank_hint: str, error: type[EffbenchError]) -> str:
    """The UTF-8 text of the few-shot preamble file ``path`` (``completion_prefix``, ``--prompt-prefix``).

    A file larger than :data:`MAX_PREFIX_BYTES` is refused before it is read. ``label`` names the
    file in the messages, ``blank_hint`` says how to send no preamble instead of a blank file.

    Raises:
        error: (one line, starting with ``label``) the file is too large, cannot be read as UTF-8
            text, or is empty or blank.
    """
    try:
        size = path.stat().st_size
        if size > MAX_PREFIX_BYTES:
            raise error(
                f"{label}: {size} bytes, more than the {MAX_PREFIX_BYTES} a preamble may have "
                "(it is sent before every prompt)"
            )
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise error(f"{label}: cannot read it ({exc})") from None
    if not text.strip():
        raise error(f"{label}: the file is empty ({blank_hint})")
    return text
