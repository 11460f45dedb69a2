"""The ``effbench`` command line."""

from __future__ import annotations

import errno
import json
import os
import shlex
import signal
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import click

from effbench.cpus import usable_cpus
from effbench.errors import EffbenchError, Terminated
from effbench.options import FiniteFloatRange, OutputDir, check_readable_file, check_writable_dir, comma_numbers
from effbench.registry import EXECUTORS, METERS, SANDBOXES

if TYPE_CHECKING:
    from effbench.engine import SampleRecord
    from effbench.samples import Sample

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}
ALPHA_MAX = 1000.0  # a budget beyond 1000x the expert's cost would only make runs endless


#: OSError numbers that say something of the place written, not of effbench: one line, never a traceback
_PLACE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM, errno.EFBIG, errno.EIO})


def _fail(message: str, code: int = 2) -> None:
    click.echo(f"effbench: error: {message}", err=True)
    sys.exit(code)


#: ``ctx.meta`` key of what a command that writes a run can be resumed from (:class:`_Resumable`)
_RESUMABLE = "effbench.resumable"


@dataclass(frozen=True)
class _Resumable:
    """What an interrupted command leaves, for the line that says how to resume it.

    ``place``: the run directory (or sweep folder) it writes; ``option``: the option naming it
    (``--run-dir``), added to the resume command when the user did not give it (``given`` False:
    the default place is a new one every time); ``records``: the files of finished samples under
    ``place`` whose lines are counted (a glob).
    """

    place: Path
    option: str
    given: bool
    records: str = "samples.jsonl"


def _resumable(place: Path, option: str, given: bool, records: str = "samples.jsonl") -> None:
    """Say that the running command writes ``place``, for :func:`_stopped_line` if it is stopped."""
    click.get_current_context().meta[_RESUMABLE] = _Resumable(place, option, given, records)


def _count_lines(paths: list[Path]) -> int:
    """Newlines in the files (finished records; a line cut short has none), 0 for a missing file."""
    total = 0
    for path in paths:
        try:
            with path.open("rb") as f:
                while chunk := f.read(1 << 20):
                    total += chunk.count(b"\n")
        except OSError:
            continue
    return total


def _stopped_line(ctx: click.Context, argv: list[str], terminated: bool) -> str:
    """The one line printed when Ctrl-C or SIGTERM stops a command: what stopped it, what was saved, how to resume.

    Args:
        ctx: the group's context (its ``meta`` holds the command's :class:`_Resumable`, if any).
        argv: the command line's arguments after the program name.
        terminated: True for SIGTERM, False for Ctrl-C.
    """
    why = "stopped by SIGTERM" if terminated else "interrupted (Ctrl-C)"
    resumable: _Resumable | None = ctx.meta.get(_RESUMABLE)
    if resumable is None:
        return f"effbench: {why}"
    again = list(argv) + ([] if resumable.given else [resumable.option, str(resumable.place)])
    finished = _count_lines(sorted(resumable.place.glob(resumable.records)))
    return (
        f"effbench: {why}; {resumable.place} keeps its {finished} finished sample(s); "
        f"resume with: effbench {shlex.join(again)}"
    )


def _stop_on_sigterm() -> signal.Handlers | None:
    """Make SIGTERM raise :class:`Terminated` (a KeyboardInterrupt): a run stops as on Ctrl-C.

    Only from the main thread and only where SIGTERM has its default action (an ignored SIGTERM
    stays ignored; an embedding program's handler is kept).

    Returns:
        The handler replaced (``SIG_DFL``), to put back when the command returns; None when
        nothing was changed.
    """
    if threading.current_thread() is not threading.main_thread():
        return None
    if signal.getsignal(signal.SIGTERM) != signal.SIG_DFL:
        return None

    def stop(signum: int, frame: object) -> None:
        raise Terminated

    signal.signal(signal.SIGTERM, stop)
    return signal.SIG_DFL


class _Listing(click.Group):
    """A command group whose ``--help`` gives each command's whole summary, wrapped.

    click cuts a summary to the line's width with '...' (a newcomer's `effbench --help` read
    'evaluate  Run samples (from files, the bundled references or a...'): here a command's summary
    is its ``short_help``, else the first sentence of its help, never cut.
    """

    #: the longest summary a listing shows (characters): a first sentence, never this long
    SUMMARY_LIMIT = 10_000

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """Write the 'Commands' section: each visible command and its whole summary."""
        rows = []
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, command.get_short_help_str(self.SUMMARY_LIMIT)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


class _Group(_Listing):
    """The command group: errors become one line on stderr and exit code 2, never a traceback.

    That is EffbenchError and click's usage errors (a bad option value, an unknown option); Ctrl-C
    exits at once with code 130 and SIGTERM with 143, the run directory keeping every finished
    sample, after one line saying what stopped it, what was kept and the command that resumes it.
    """

    def main(self, *args: object, **kwargs: object) -> object:  # type: ignore[override]
        kwargs.pop("standalone_mode", None)
        given = kwargs.get("args", args[0] if args else None)
        self.argv = [str(a) for a in given] if given is not None else sys.argv[1:]  # type: ignore[attr-defined]
        before = _stop_on_sigterm()
        try:
            return super().main(*args, standalone_mode=False, **kwargs)  # type: ignore[arg-type]
        except click.ClickException as exc:
            message = " ".join(_usage_message(exc).split())
            if isinstance(exc, click.UsageError) and exc.ctx is not None:
                # the subcommand's path below the program's name, however the program was
                # started ('effbench', 'python -m effbench')
                program = exc.ctx.find_root().info_name or ""
                command = exc.ctx.command_path.removeprefix(program).strip()
                message = f"{command + ': ' if command else ''}{message} (see '{exc.ctx.command_path} --help')"
            _fail(message, exc.exit_code)
        except click.Abort:
            _fail("aborted", 1)
        finally:
            if before is not None:  # called from Python (tests, an embedding program): leave SIGTERM as it was
                signal.signal(signal.SIGTERM, before)
        return None

    def invoke(self, ctx: click.Context) -> object:
        from tqdm.contrib.logging import logging_redirect_tqdm

        try:
            # a warning logged while progress bars are drawn (a Ray retry, a profile measured
            # again) is written by tqdm, bars cleared: a line of its own, not text inside a bar's
            with logging_redirect_tqdm():
                return super().invoke(ctx)
        except EffbenchError as exc:
            _fail(str(exc), exc.exit_code)
        except OSError as exc:
            if exc.errno not in _PLACE_ERRNOS:
                raise
            # a full disk, a read-only or forbidden place met where no caller names the file itself
            where = f"{exc.filename}: " if exc.filename else ""
            _fail(f"{where}{exc.strerror}: make room or fix the place, then re-run the same command (runs resume)")
        except KeyboardInterrupt as exc:
            # every finished sample is already on disk (fsynced); do not wait for threads still
            # inside a sandbox call: leave now
            terminated = isinstance(exc, Terminated)
            click.echo(_stopped_line(ctx, getattr(self, "argv", sys.argv[1:]), terminated), err=True)
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(143 if terminated else 130)
        return None


def _usage_message(exc: click.ClickException) -> str:
    """Click's message, with a mistyped option's suggestions narrowed to the closest.

    Click lists every close option in alphabetical order (``--refrences``: '--prices',
    '--references', '--workers'); this keeps those within 0.1 of the closest one's similarity
    (``difflib``'s ratio), closest first.
    """
    if not isinstance(exc, click.NoSuchOption) or not exc.possibilities or len(exc.possibilities) < 2:
        return exc.format_message()
    import difflib

    ratio = {p: difflib.SequenceMatcher(None, exc.option_name, p).ratio() for p in exc.possibilities}
    best = max(ratio.values())
    closest = sorted((p for p in ratio if ratio[p] >= best - 0.1), key=lambda p: (-ratio[p], p))
    if len(closest) == 1:
        return f"{exc.message} Did you mean {closest[0]!r}?"
    return f"{exc.message} (Did you mean one of: {', '.join(map(repr, closest))}?)"


def _parse_ks(text: str | None) -> list[int] | None:
    if text is None:
        return None
    return comma_numbers(
        text, "--k", int, 1, "expected comma-separated integers like 1,5,10", "every k must be at least 1"
    )


def _ids(text: str | None, option: str = "", omitted: str = "") -> list[str] | None:
    """The names of a comma-separated option, or None when the option was not given.

    An option given but naming nothing (``--problems ''``, an unset shell variable, ``,``) raises
    EffbenchError naming ``option`` and what leaving it out means (``omitted``), rather than
    meaning every name: a typo must not turn a run on a few problems into a run on all of them.
    """
    if text is None:
        return None
    names = [x.strip() for x in text.split(",") if x.strip()]
    if not names and option:
        raise EffbenchError(f"{option} {text!r}: names nothing; give comma-separated names, or leave it out{omitted}")
    return names or None


def _problem_ids(text: str | None) -> list[str] | None:
    """The ids of a ``--problems`` option (see :func:`_ids`): None when not given."""
    return _ids(text, "--problems", " for every problem")


@click.group(cls=_Group, context_settings=CONTEXT)
@click.version_option(package_name="effbench")
def main() -> None:
    """effbench: measure how efficient LLM-written code is (pass@k and eff@k)."""


def _load_problems(  # noqa: ANN202 - a ProblemSet
    problems_dir: str | None, dataset: str | None = None, ids: list[str] | None = None, generate: bool = True
):
    """The bundled set, a --problems-dir set, or a published file (--dataset).

    For a dataset, only the rows selected by ``ids`` (ids or @named selections) are checked and,
    with ``generate``, have their inputs generated; a bad row is skipped with a warning.
    """
    if dataset:
        if problems_dir:
            raise EffbenchError("give --problems-dir or --dataset, not both")
        from effbench.importers import load_dataset_problems

        return load_dataset_problems(
            dataset, ids, generate=generate, warn=lambda m: click.echo(f"effbench: {m}", err=True)
        )
    from effbench.problems import load_problem_set

    return load_problem_set(problems_dir)


def _expand_ids(problems, ids: list[str] | None) -> list[str] | None:  # noqa: ANN001 - a ProblemSet
    """Named selections (``@enamel``) replaced by their ids, for a set that has them."""
    return problems.expand(ids) if ids and hasattr(problems, "expand") else ids


def _generate_inputs(problems, ids: list[str] | None, explicit: list[str] | None) -> None:  # noqa: ANN001
    """For an imported set, generate the selected problems' inputs now.

    Those whose generator fails are skipped with a warning, unless the user named them.
    """
    if hasattr(problems, "generate"):
        problems.generate(
            ids, [i for i in explicit or () if not i.startswith("@")], lambda m: click.echo(f"effbench: {m}", err=True)
        )


def _meter_and_workers(meter: str, workers: int | None, prefix: str = ""):  # noqa: ANN202 - (MeterChoice, int)
    """The meter (said on stderr, with why) and the worker count.

    The worker count is, by default, the CPUs this process may use (``os.sched_getaffinity``,
    which a container or ``taskset`` narrows), and one for the time meter, whose figures parallel
    runs would disturb.
    """
    from effbench.meters import choose_meter

    choice = choose_meter(meter)
    click.echo(f"{prefix}meter: {choice.meter.describe()} - {choice.reason}", err=True)
    return choice, workers or (1 if choice.meter.name == "time" else usable_cpus())


def _problem_set_option(command):  # noqa: ANN001, ANN202 - a click command function
    """Add ``--problem-set NAME`` to a command: a bundled problem set by name.

    The names are ``core``, ``starter``, ... (see :func:`effbench.problems.bundled_problem_sets`).
    The command receives the set's folder as ``problems_dir``; giving it with ``--problems-dir``
    or ``--dataset`` is an error.
    """
    import functools

    from effbench.problems import bundled_problem_set_dir, bundled_problem_sets

    @click.option(
        "--problem-set",
        "problem_set",
        type=click.Choice(sorted(bundled_problem_sets())),
        default=None,
        help="A bundled problem set by name (default: core, the main set; starter: short problems for small models).",
    )
    @functools.wraps(command)
    def wrapper(*args: object, problem_set: str | None = None, **kwargs: object) -> object:
        if problem_set is not None:
            if kwargs.get("problems_dir") or kwargs.get("dataset"):
                raise EffbenchError("give one of --problem-set, --problems-dir, --dataset")
            kwargs["problems_dir"] = str(bundled_problem_set_dir(problem_set))
        return command(*args, **kwargs)

    return wrapper


#: help of every command's --problems-dir
_PROBLEMS_DIR_HELP = "Another problem set folder (one sub-folder per problem; the references in ../references)."
#: help of every command's --sandbox
_SANDBOX_HELP = "Where candidates run: local (this host, in namespaces) or docker (a container of the sandbox image)."
#: help of every command's --meter that runs code
_METER_HELP = (
    "What counts a run's cost: perf (hardware instructions), valgrind (instructions, exact), time "
    "(CPU time, noisy); auto: perf if it works here, else valgrind, else time (said on stderr, with why)."
)

_dataset_option = click.option(
    "--dataset",
    default=None,
    help="A published format instead of the bundled set: enamel:PATH_OR_HUB_ID or evalperf:...",
)


@main.command()
@click.option(
    "--samples",
    "samples_opt",
    multiple=True,
    help="JSONL file of {task_id, solution|completion[, model]} lines (repeatable); "
    "with --model: N, the number of samples per problem.",
)
@click.option(
    "--references",
    "tiers",
    default=None,
    help="Evaluate the bundled references as models: 'expert', 'slower' or 'expert,slower'.",
)
@click.option(
    "--problems",
    "problem_ids",
    default=None,
    help="Comma-separated problem ids, or a named selection of a dataset's format (e.g. @enamel); default: all.",
)
@click.option("--problems-dir", default=None, type=click.Path(file_okay=False), help=_PROBLEMS_DIR_HELP)
@_problem_set_option
@_dataset_option
@click.option(
    "--meter", type=click.Choice(["auto", *METERS.names]), default="auto", show_default=True, help=_METER_HELP
)
@click.option(
    "--sandbox", type=click.Choice(list(SANDBOXES.names)), default="local", show_default=True, help=_SANDBOX_HELP
)
@click.option(
    "--rootfs",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    default=None,
    help="With --sandbox local: run in this root filesystem (`effbench sandbox export`): the docker "
    "image's files, so counts equal the docker backend's, without a Docker engine.",
)
@click.option(
    "--workers",
    type=click.IntRange(1, 256),
    default=None,
    help="Parallel runners (default: the CPUs this process may use; 1 for --meter time).",
)
@click.option(
    "--alpha",
    type=FiniteFloatRange(min=1.0, min_open=True, max=ALPHA_MAX),
    default=2.0,
    show_default=True,
    help="Budget factor: a run stops at alpha x the expert's largest level cost.",
)
@click.option(
    "--k", "k_text", default=None, help="k values for pass@k / eff@k, e.g. 1,5,10 (default: 1 and what n allows)."
)
@click.option(
    "--memory-mb", type=click.IntRange(16, 1 << 22), default=1024, show_default=True, help="Memory limit per test."
)
@click.option(
    "--run-dir",
    type=OutputDir(),
    default=None,
    help="Where to write results (default: runs/<date>-<time>, a new folder each time); "
    "an existing run directory is resumed.",
)
@click.option("--no-cache", is_flag=True, help="Re-measure the experts instead of using cached profiles.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON instead of tables.")
@click.option("--model", default=None, help="Query this model through the OpenAI API (needs --base-url).")
@click.option("--base-url", default=None, help="OpenAI-compatible endpoint, e.g. http://127.0.0.1:8000/v1.")
@click.option("--api-key-env", default="OPENAI_API_KEY", show_default=True, help="Environment variable with the key.")
@click.option(
    "--mode",
    type=click.Choice(["chat", "completion"]),
    default="chat",
    show_default=True,
    help="chat: the model answers a chat message and the code is extracted from its answer; "
    "completion: it continues the prompt (a function's signature and docstring).",
)
@click.option(
    "--strategy",
    type=click.Choice(["parallel", "refine", "select"]),
    default="parallel",
    show_default=True,
    help="select: parallel samples also run on the prompt's visible examples; reports sel@k beside eff@k.",
)
@click.option(
    "--allocation",
    type=click.Choice(["uniform", "adaptive"]),
    default=None,
    help="Spread --budget samples over the problems: uniform, or adaptive (a first round, then where the "
    "expected gain in eff is largest).",
)
@click.option("--budget", type=click.IntRange(1), default=None, help="With --allocation: total samples (or tokens).")
@click.option(
    "--budget-unit",
    type=click.Choice(["samples", "tokens"]),
    default="samples",
    show_default=True,
    help="What --budget counts; tokens: prompt + completion over the set, after a first round that "
    "estimates each problem's tokens per sample (both policies).",
)
@click.option(
    "--first-round",
    type=click.IntRange(1, 1000),
    default=1,
    show_default=True,
    help="With adaptive allocation (evaluate --allocation adaptive, sweep's adaptive strategy): samples per "
    "problem before the difficulty is estimated.",
)
@click.option("--rounds", type=click.IntRange(1, 50), default=3, show_default=True, help="Rounds of --strategy refine.")
@click.option(
    "--temperature", type=FiniteFloatRange(0, 2), default=0.8, show_default=True, help="Sampling temperature."
)
@click.option("--top-p", type=FiniteFloatRange(0, 1), default=0.95, show_default=True, help="Nucleus sampling's top_p.")
@click.option(
    "--max-tokens", type=click.IntRange(1, 1 << 24), default=1024, show_default=True, help="Most tokens per answer."
)
@click.option(
    "--seed",
    "input_seed",
    default=None,
    help="Seed of the generated test inputs (levels >= 1). Default: a fresh secret per run, recorded in "
    "the run directory's config.json (resumes reuse it); give it to reproduce a run's inputs.",
)
@click.option(
    "--sampling-seed",
    "seed",
    type=click.IntRange(0, (1 << 63) - 1),
    default=None,
    help="Model sampling seed (sample i uses seed + i).",
)
@click.option("--system-prompt", default=None, help="Replaces the problem set's system prompt.")
@click.option(
    "--prompt-template",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="A file with the user message; {prompt} and {entry_point} are filled in.",
)
@click.option(
    "--prompt-prefix",
    default=None,
    metavar="FILE",
    help="Completion mode: a file of solved example functions put before every prompt (a few-shot "
    "preamble for base models); default: the problem set's completion_prefix; '' sends none.",
)
@click.option(
    "--concurrency",
    default="auto",
    show_default=True,
    help="Requests in flight at once; auto asks the server (llama.cpp /props or /slots), else 1 for a local "
    "server, 8 for vLLM/SGLang, 4 for a remote API.",
)
@click.option(
    "--request-timeout",
    type=FiniteFloatRange(0.1, 86400.0),
    default=300.0,
    show_default=True,
    help="Abandon (and retry) a request after this many seconds without a byte from the server (streaming).",
)
@click.option(
    "--max-retries",
    type=click.IntRange(0, 50),
    default=5,
    show_default=True,
    help="Retries of a failed request (with back-off) before the run stops.",
)
@click.option("--prices", type=click.Path(dir_okay=False, path_type=Path), default=None, help="Price table overrides.")
@click.option(
    "--top-k", type=click.IntRange(1, 1 << 20), default=None, help="top_k sampling (servers that support it)."
)
@click.option(
    "--extra-body",
    default=None,
    metavar="JSON",
    help="Further request fields the server reads, as a JSON object, e.g. '{\"repeat_penalty\": 1.0}' "
    "(llama.cpp) or '{\"min_p\": 0.05}' (vLLM); part of the answer cache's key.",
)
@click.option(
    "--stop",
    multiple=True,
    help="A stop sequence (repeatable, at most 4; \\n for a newline); '' sends none. Default in completion "
    "mode: the problem set's, else a new top-level def/class/if __name__ or a fence.",
)
@click.option(
    "--context-length",
    type=click.IntRange(16, 1 << 24),
    default=None,
    help="The model's context in tokens (default: what the server says, if it does); keeps refinement "
    "prompts within it.",
)
@click.option(
    "--stream/--no-stream",
    default=True,
    show_default=True,
    help="Stream answers (time-out on silence); --no-stream for servers that stream no token usage "
    "(llama-cpp-python): exact counts, time-out on the whole answer.",
)
@click.option("--yes", "-y", is_flag=True, help="Send the requests without asking after the cost estimate.")
@click.option("--limit", type=click.IntRange(1), default=None, help="Only the first N problems (after selection).")
@click.option("--category", "categories", default=None, help="Only problems of these categories (comma-separated).")
@click.option(
    "--executor",
    type=click.Choice(list(EXECUTORS.names)),
    default="local",
    show_default=True,
    help="Where samples run: local (threads here) or ray (Ray actors, each node with its own --sandbox; "
    "--workers = actors, default every CPU of the cluster).",
)
@click.option(
    "--ray-address",
    default=None,
    help="With --executor ray: the cluster's head, HOST:PORT (default: start a local Ray on 127.0.0.1).",
)
def evaluate(
    samples_opt: tuple[str, ...],
    tiers: str | None,
    problem_ids: str | None,
    problems_dir: str | None,
    dataset: str | None,
    meter: str,
    sandbox: str,
    rootfs: Path | None,
    workers: int | None,
    alpha: float,
    k_text: str | None,
    memory_mb: int,
    run_dir: Path | None,
    no_cache: bool,
    as_json: bool,
    input_seed: str | None,
    **model_options: object,
) -> None:
    """Run samples (from files, the bundled references or a model) and print pass@k and eff@k.

    Every sample runs on every level of its problem; pass@k and eff@k are printed per problem and
    overall.
    """
    from effbench.engine import EngineSettings

    ks = _parse_ks(k_text)
    rootfs_dir = _checked_rootfs(rootfs, sandbox)
    named = _problem_ids(problem_ids)
    # a dataset's rows are parsed here; their inputs are generated once the samples are known good
    problems = _load_problems(problems_dir, dataset, named, generate=False)
    ids = _expand_ids(problems, named)
    if ids:
        problems.select(ids)  # unknown ids fail here, before anything runs
    if input_seed is not None and not input_seed.strip():
        raise EffbenchError("--seed: must not be empty")
    limit, categories = (
        model_options.pop("limit"),
        _ids(model_options.pop("categories"), "--category", " for every category"),
    )  # type: ignore[arg-type]
    executor, executor_options = _executor_options(model_options, workers)
    if limit is not None or categories:
        ids = _narrow(problems, ids, categories, limit)  # type: ignore[arg-type]
    assume_yes = bool(model_options.pop("yes"))
    settings = EngineSettings(alpha=alpha, memory_bytes=memory_mb << 20, input_seed=input_seed)
    given_dir = run_dir is not None
    if run_dir is None:
        run_dir = Path("runs") / time.strftime("%Y%m%d-%H%M%S")
    check_writable_dir(run_dir, "--run-dir")  # before anything runs
    _resumable(run_dir, "--run-dir", given_dir)
    _check_model_options(model_options)
    log = lambda m: click.echo(m, err=True)  # noqa: E731
    if model_options.get("model"):
        if tiers:
            raise EffbenchError("--references and --model are separate runs")
        from effbench.models.runner import plan_from_options

        _generate_inputs(problems, ids, named)
        ids = ids and [i for i in ids if i in problems.problems]
        job = plan_from_options(problems, ids, samples_opt, ks, model_options, log=log)
        _confirm_cost(job, assume_yes, run_dir)
        choice, workers = _meter_and_workers(meter, workers)
        records = job.run(choice, run_dir, sandbox, workers, settings, not no_cache, rootfs=rootfs_dir, log=log)
        ks = job.ks
    else:
        samples_files = [Path(p) for p in samples_opt]
        samples = _load_samples(problems, ids, samples_files, tiers)
        ks = _check_ks(samples, ks)
        if dataset:  # samples are valid: now generate the inputs of the problems they need
            samples = _generate_needed(problems, samples, named)
        choice, workers = _meter_and_workers(meter, workers)
        from effbench.run import evaluate_samples

        records = evaluate_samples(
            samples,
            problems,
            choice,
            run_dir,
            sandbox=sandbox,
            rootfs=rootfs_dir,
            workers=workers,
            settings=settings,
            use_cache=not no_cache,
            extra_config={"k": ks, "samples_files": [str(p) for p in samples_files], "tiers": tiers},
            hide=[str(p) for p in samples_files],
            log=log,
            executor=executor,
            executor_options=executor_options,
        )
    _print_results(records, ks, alpha, run_dir, as_json)


def _checked_rootfs(rootfs: Path | None, sandbox: str) -> str | None:
    """``--rootfs`` as an absolute path, checked to be an exported image; None without it.

    Raises EffbenchError (SandboxUnavailable) for a sandbox other than local or a folder that is
    not an export, before anything is created.
    """
    if rootfs is None:
        return None
    if sandbox != "local":
        raise EffbenchError("--rootfs is for --sandbox local (the docker backend runs the image itself)")
    from effbench.sandboxes.local import check_rootfs

    rootfs_dir = str(rootfs.resolve())
    check_rootfs(rootfs_dir)
    return rootfs_dir


def _executor_options(model_options: dict[str, object], workers: int | None) -> tuple[str, dict[str, object]]:
    """(executor name, its options) from ``--executor`` and ``--ray-address``, popped from ``model_options``.

    Raises EffbenchError for ``--ray-address`` without ``--executor ray`` or not of the form
    ``[ray://]HOST:PORT``/``auto``/``local``, or a remote executor with ``--model``.
    """
    executor, ray_address = str(model_options.pop("executor")), model_options.pop("ray_address")
    if ray_address is not None and executor != "ray":
        raise EffbenchError("--ray-address is for --executor ray")
    if ray_address is not None:  # its form, before any work (a malformed one made ray.init wait forever)
        from effbench.executors.ray_executor import address_host_port

        address_host_port(str(ray_address))
    if executor != "local" and model_options.get("model"):
        raise EffbenchError(f"--executor {executor}: for --samples and --references; use --executor local with --model")
    return executor, ({"address": ray_address, "workers": workers} if executor == "ray" else {})


def _check_model_options(model_options: dict[str, object]) -> None:
    """Check the model options' files are readable and the allocation options come with ``--model``."""
    for option in ("prompt_template", "prices"):
        if model_options.get(option):
            check_readable_file(Path(str(model_options[option])), "--" + option.replace("_", "-"))
    if not model_options.get("model") and (model_options.get("allocation") or model_options.get("budget")):
        raise EffbenchError("--allocation and --budget spend model samples: they need --model")
    if not model_options.get("model") and model_options.get("prompt_prefix"):
        raise EffbenchError("--prompt-prefix is sent to a model: it needs --model")


def _load_samples(
    problems,  # noqa: ANN001 - a ProblemSet
    ids: list[str] | None,
    samples_files: list[Path],
    tiers: str | None,
) -> list[Sample]:
    """The samples of ``--samples`` files and ``--references`` tiers, on the selected problems.

    Every file is validated in a streaming pass (flat memory) before any is loaded. Raises
    EffbenchError when there is nothing to evaluate, when no sample is left after the selection,
    when a file is given twice, or when one model label comes from two sources (two files, or a
    file and ``--references``): their samples would be numbered alike and one of each pair lost.
    """
    from effbench.samples import REFERENCE_TIERS, count_samples_file, load_samples_file, reference_samples

    if tiers is not None:
        _ids(tiers, "--references", "")  # given but naming nothing ('', ','): refused by name
    if not samples_files and not tiers:
        raise EffbenchError("nothing to evaluate: give --samples FILE, --references expert,slower or --model")
    # a dataset's skipped rows still name valid task ids: their samples are dropped later
    readable = problems.with_skipped() if hasattr(problems, "with_skipped") else problems
    source_of: dict[str, str] = {}  # model label -> the file (or --references) it comes from
    seen_files: dict[Path, Path] = {}
    wanted = set(ids) if ids else None  # as load_samples_file's ids
    totals: dict[Path, int] = {}  # file -> its samples on every problem, kept or not
    for path in samples_files:
        try:
            real = path.resolve()
        except (OSError, RuntimeError):  # a symlink loop (RuntimeError on Python < 3.13): named below
            real = path.absolute()
        if real in seen_files:
            raise EffbenchError(f"--samples {path}: the same file is given twice (as {seen_files[real]} too)")
        seen_files[real] = path
        counts = count_samples_file(path, readable)
        totals[path] = sum(counts.values())
        for model in sorted({m for m, pid in counts if wanted is None or pid in wanted}):
            _claim_model(source_of, model, f"--samples {path}")
    for tier in _ids(tiers) or []:
        if tier in REFERENCE_TIERS:  # their model labels (an unknown tier is refused below)
            _claim_model(source_of, tier, "--references")
    samples = []
    for path in samples_files:
        kept = load_samples_file(path, readable, ids=ids)
        _say_left_out(path, len(kept), totals[path])
        samples += kept
    if tiers:
        samples += reference_samples(problems, ids, _ids(tiers) or [])
    if not samples:
        raise EffbenchError("no samples left after --problems filtering")
    return samples


def _say_left_out(path: Path, kept: int, total: int) -> None:
    """Say on stderr how many of a samples file's ``total`` samples ``--problems`` left out (none: silent).

    A selection that drops most of a file (a typo in one id of a list, a file of another problem
    set) would otherwise show only in a smaller n in the tables.
    """
    if kept < total:
        click.echo(
            f"effbench: --samples {path}: {total - kept} of {total} samples are on problems --problems "
            f"leaves out: not evaluated",
            err=True,
        )


def _claim_model(source_of: dict[str, str], model: str, source: str) -> None:
    """Record that ``model``'s samples come from ``source``; EffbenchError if another source has it.

    Samples are numbered per model and problem within their source: two sources of one label
    would give two samples the same number, and the run would keep one of each pair.
    """
    other = source_of.setdefault(model, source)
    if other != source:
        raise EffbenchError(
            f"model {model!r} comes from both {other} and {source}: give each its own model name "
            '(a "model" field on its lines, or another file name: the default label is the file\'s stem)'
        )


def _check_ks(samples: list[Sample], ks: list[int] | None) -> list[int]:
    """``--k`` checked against the samples (k <= n for every model and problem), else the default ks.

    Raises EffbenchError, naming the model and problem with the fewest samples, before anything runs.
    """
    from effbench.scoring import default_ks

    counts: dict[tuple[str, str], int] = {}
    for s in samples:
        counts[(s.model, s.problem_id)] = counts.get((s.model, s.problem_id), 0) + 1
    n_min = min(counts.values())
    if ks and ks[-1] > n_min:
        (model, pid), n = min(counts.items(), key=lambda kv: kv[1])
        raise EffbenchError(f"--k {ks[-1]} is larger than n={n} samples of model {model!r} on problem {pid!r}")
    return ks or default_ks(n_min)


def _generate_needed(problems, samples: list[Sample], named: list[str] | None) -> list[Sample]:  # noqa: ANN001
    """Generate the inputs of the imported problems the samples need; drop samples of skipped problems (said).

    Raises EffbenchError when every sample is of a skipped problem.
    """
    needed = sorted({s.problem_id for s in samples if s.problem_id in problems.problems})
    if not needed:
        raise EffbenchError("no samples left: every sample is of a skipped problem")
    _generate_inputs(problems, needed, named)
    kept = [s for s in samples if s.problem_id in problems.problems]
    if len(kept) < len(samples):
        click.echo(f"effbench: warning: {len(samples) - len(kept)} sample(s) of skipped problems dropped", err=True)
    return kept


def _print_results(records: list[SampleRecord], ks: list[int], alpha: float, run_dir: Path, as_json: bool) -> None:
    """Print the run's summary (tables, or JSON) and, for those runs, the refinement and selection tables."""
    from effbench.models.selection import render_selection, selection_summary
    from effbench.report import render
    from effbench.summary import summarize

    if not records:  # every problem the samples are on was skipped at run time (its checker, its generator)
        raise EffbenchError(
            f"no sample was scored: every problem of the run was skipped (the warnings above say why), "
            f"so {run_dir} holds no result"
        )
    summary = summarize(records, ks, alpha, alpha)  # the run wrote the same to summary.json
    refinement = summary.get("refinement")  # refine runs: best so far and cumulative cost per round
    selection = selection_summary(records, ks, alpha)  # --strategy select: sel@k beside eff@k
    if selection:
        summary["selection"] = selection
    allocation = None
    if (run_dir / "allocation.json").is_file():  # --allocation: samples per problem, and why
        from effbench.models.allocation import read_allocation

        allocation = summary["allocation"] = read_allocation(run_dir / "allocation.json")
    click.echo(json.dumps(summary, indent=2) if as_json else render(summary))
    if refinement and not as_json:
        from effbench.curves import render_refinement

        click.echo("\n" + render_refinement(refinement))
    if selection and not as_json:
        click.echo("\n" + render_selection(selection))
    if allocation and not as_json:
        for policy, budgets in allocation["policies"].items():
            for budget, counts in budgets.items():
                shares = ", ".join(f"{pid} {n}" for pid, n in counts.items())
                click.echo(f"\nallocation {policy}, budget {budget} samples: {shares}")
    click.echo(f"\nrun directory: {run_dir}", err=True)


def _narrow(problems, ids: list[str] | None, categories: list[str] | None, limit: int | None) -> list[str]:  # noqa: ANN001
    """``--category`` then ``--limit`` on top of ``--problems`` (ids in the set's order)."""
    chosen = problems.select(ids)
    if categories:
        known = sorted({p.category for p in problems.select(None)})
        unknown = [c for c in categories if c not in known]
        if unknown:
            raise EffbenchError(f"--category {','.join(unknown)}: unknown; this set has {', '.join(known)}")
        chosen = [p for p in chosen if p.category in categories]
    if limit is not None:
        chosen = chosen[:limit]
    if not chosen:
        raise EffbenchError("no problem left after --problems/--category/--limit")
    return [p.id for p in chosen]


def _confirm_cost(job, assume_yes: bool, run_dir: Path | None = None) -> None:  # noqa: ANN001 - effbench.models.runner.ModelJob
    """Print the cost estimate, then ask before sending anything.

    Unless --yes, or stdin is not a terminal: then go ahead and say so (a script never hangs on
    the question). ``run_dir``: the run directory, whose recorded samples are never asked for
    again (not counted). Raises EffbenchError when the user says no.
    """
    estimate = job.estimate(run_dir)
    click.echo(estimate.describe(job.spec), err=True)
    if not estimate.answers or assume_yes:
        return
    if not sys.stdin.isatty():
        click.echo("stdin is not a terminal: going ahead without asking (pass --yes to say so)", err=True)
        return
    if not click.confirm("Send these requests?", default=estimate.usd_max == 0.0, err=True):
        raise EffbenchError("cancelled before any request was sent")


_COST_AXES = ("auto", "tokens", "usd", "seconds", "flops", "bytes")  # effbench.models.costs.COST_AXES
_cost_option = click.option(
    "--cost",
    type=click.Choice(_COST_AXES),
    default="auto",
    show_default=True,
    help="The cost axis: auto (USD when every model has a price, else tokens), tokens, usd, seconds "
    "(generation latency), flops or bytes (compute and memory traffic from the model's architecture).",
)
_model_facts_option = click.option(
    "--model-facts",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="A TOML table of model architectures (params, layers, heads, kv_heads, head_dim) over the bundled "
    "one, for --cost flops|bytes.",
)
_eff_levels_option = click.option(
    "--eff-levels",
    default=None,
    help="Efficiency levels of the cheapest-budget table, e.g. 0.1,0.5,0.9 (default: 0.05 to 1).",
)


def _parse_levels(text: str | None) -> list[float] | None:
    if text is None:
        return None
    return comma_numbers(
        text, "--eff-levels", float, 0, "comma-separated numbers like 0.1,0.5,0.9", "finite levels of at least 0"
    )


def _check_facts(model_facts: Path | None) -> None:
    if model_facts is not None:
        from effbench.models.costs import load_architectures

        check_readable_file(model_facts, "--model-facts")
        load_architectures(model_facts)  # a broken table fails now, before anything is written


@main.command()
@click.argument("run_dirs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--out",
    "out_dir",
    type=OutputDir(file_okay=False),
    default=None,
    help="Where to write curves.json, curves.png, curves.svg and cheapest.md (default: the first run directory).",
)
@click.option(
    "--allow-mixed-problems",
    is_flag=True,
    help="Plot runs that cover different problems (marked as not comparable) instead of refusing.",
)
@_cost_option
@_model_facts_option
@_eff_levels_option
def curves(
    run_dirs: tuple[Path, ...],
    out_dir: Path | None,
    allow_mixed_problems: bool,
    cost: str,
    model_facts: Path | None,
    eff_levels: str | None,
) -> None:
    """Plot efficiency and pass rate against mean cost per problem, per model and strategy.

    With 95% bootstrap intervals over problems, the Pareto front and the cheapest point reaching
    each efficiency level.
    """
    from effbench.curves import write_curves
    from effbench.rundir import UNFINISHED, RunDir, same_run_as

    levels = _parse_levels(eff_levels)
    _check_facts(model_facts)
    check_writable_dir(out_dir or run_dirs[0], "--out")
    repeats = same_run_as(list(run_dirs))
    for i, first in repeats.items():
        click.echo(
            f"effbench: warning: {run_dirs[i]}: the same run as {first} (another path to it, or a copy): drawn once",
            err=True,
        )
    run_dirs = tuple(r for i, r in enumerate(run_dirs) if i not in repeats)
    for run_dir in run_dirs:
        rd = RunDir(run_dir)
        if rd.exists and not rd.finished:
            click.echo(
                f"effbench: warning: {run_dir}: {UNFINISHED}: its curves show the samples scored so far",
                err=True,
            )
        torn = rd.torn_last_line()
        if rd.exists and torn is not None:
            click.echo(
                f"effbench: warning: {run_dir / 'samples.jsonl'}:{torn}: a line cut short (a crash or a partial "
                "copy) is not counted: its curves leave that sample out; re-run its `effbench evaluate` command",
                err=True,
            )
    outputs = write_curves(
        list(run_dirs), out_dir or run_dirs[0], allow_mixed=allow_mixed_problems, cost=cost, model_facts=model_facts,
        levels=levels, log=lambda m: click.echo(f"effbench: {m}", err=True),
    )  # fmt: skip
    for kind, path in outputs.items():
        click.echo(f"{kind}: {path}")


@main.command()
@click.option(
    "--strategies",
    default="parallel,select,refine",
    show_default=True,
    help="Comma-separated: parallel (eff@k), select (sel@k, verified selection), refine, uniform and "
    "adaptive (allocation of budget x problems samples over the set).",
)
@click.option(
    "--budgets",
    default="1,2,4",
    show_default=True,
    help="Model answers per problem, e.g. 1,2,4,8: parallel/select give every k up to the largest, refine "
    "that many rounds, uniform/adaptive a total of budget x problems each.",
)
@click.option("--refine-chains", type=click.IntRange(1, 64), default=2, show_default=True, help="Chains of refine.")
@click.option(
    "--out",
    "out_dir",
    type=OutputDir(file_okay=False),
    default=None,
    help="The sweep's folder: a run directory per strategy, curves.*, cheapest.md (default: runs/sweep-<time>); "
    "resumes if it exists.",
)
@_cost_option
@_model_facts_option
@_eff_levels_option
@_problem_set_option
def sweep(
    strategies: str,
    budgets: str,
    refine_chains: int,
    out_dir: Path | None,
    cost: str,
    model_facts: Path | None,
    eff_levels: str | None,
    **o: object,
) -> None:
    """Run one model under several strategies and budgets, then write their curves.

    Every cached answer is reused: no request is sent twice. The curves of all of them come with
    the Pareto front and the cheapest budget that reaches each efficiency level.
    """
    from effbench.engine import EngineSettings
    from effbench.models.runner import plan_from_options
    from effbench.models.sweep import SweepPlan, parse_budgets, run_sweep, sweep_jobs, sweep_seed
    from effbench.rundir import atomic_write_json

    if not o.get("model"):
        raise EffbenchError("sweep needs --model NAME and --base-url URL")
    plan = SweepPlan(tuple(_ids(strategies) or []), parse_budgets(budgets), refine_chains, int(o["first_round"]))
    plan.check()
    levels = _parse_levels(eff_levels)
    _check_facts(model_facts)
    named = _problem_ids(o.pop("problem_ids"))  # type: ignore[arg-type]
    problems = _load_problems(o.pop("problems_dir"))  # type: ignore[arg-type]
    ids = named
    if ids:
        problems.select(ids)
    limit, categories = o.pop("limit"), _ids(o.pop("categories"), "--category", " for every category")  # type: ignore[arg-type]
    if limit is not None or categories:
        ids = _narrow(problems, ids, categories, limit)  # type: ignore[arg-type]
    out = out_dir or Path("runs") / time.strftime("sweep-%Y%m%d-%H%M%S")
    check_writable_dir(out, "--out")
    _resumable(out, "--out", out_dir is not None, "*/samples.jsonl")
    for option in ("prompt_template", "prices"):
        if o.get(option):
            check_readable_file(Path(str(o[option])), "--" + option.replace("_", "-"))
    meter, sandbox, workers = o.pop("meter"), o.pop("sandbox"), o.pop("workers")
    alpha, memory_mb, no_cache = o.pop("alpha"), o.pop("memory_mb"), o.pop("no_cache")
    assume_yes, given_seed = bool(o.pop("yes")), o.pop("input_seed")
    base = plan_from_options(problems, ids, [str(plan.budgets[-1])], None, o, log=lambda m: click.echo(m, err=True))
    jobs = sweep_jobs(base, plan)
    if _confirm_sweep(jobs, plan.strategies, assume_yes, out):  # answers to ask: is the server up?
        from effbench.models.client import ModelError, probe_server, server_down_message

        if not probe_server(base.spec.base_url).reachable:
            raise ModelError(server_down_message(base.spec))  # before anything is written
    seed = sweep_seed(out, given_seed, [name for name, _ in jobs])  # type: ignore[arg-type]
    settings = EngineSettings(alpha=alpha, memory_bytes=memory_mb << 20, input_seed=seed)  # type: ignore[arg-type,operator]
    choice, workers = _meter_and_workers(str(meter), workers)  # type: ignore[arg-type]
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_json(
        out / "sweep.json",
        {
            "model": base.spec.name,
            "strategies": list(plan.strategies),
            "budgets": list(plan.budgets),
            "refine_chains": plan.refine_chains,
            "first_round": plan.first_round,
            "problems": base.ids,
            "input_seed": seed,
            "runs": [name for name, _ in jobs],
        },
    )
    log = lambda m: click.echo(m, err=True)  # noqa: E731
    done: list = []

    def one(job, run_dir: Path) -> None:  # noqa: ANN001 - a ModelJob
        job.run(choice, run_dir, str(sandbox), workers, settings, not no_cache, log=log)
        done.append(job)

    dirs = run_sweep(base, plan, out, one, log)
    sent = sum(j.stats.requests for j in done if j.stats)
    cached = sum(j.stats.cached for j in done if j.stats)
    click.echo(f"sweep: {sent} model request(s) sent in all, {cached} answer(s) reused from the cache", err=True)
    from effbench.curves import write_curves

    outputs = write_curves(
        dirs,
        out,
        cost=cost,
        model_facts=model_facts,
        levels=levels,
        log=lambda m: click.echo(f"effbench: {m}", err=True),
    )
    click.echo(outputs["table"].read_text())
    for kind, path in outputs.items():
        click.echo(f"{kind}: {path}")


def _confirm_sweep(jobs: list, strategies: tuple[str, ...], assume_yes: bool, out: Path | None = None) -> bool:
    """Print each run's cost estimate, then ask one question for all (see :func:`_confirm_cost`).

    Args:
        jobs: ``(run folder name, ModelJob)`` of every run (:func:`effbench.models.sweep.sweep_jobs`).
        strategies: the sweep's ``--strategies``; each line names the run's folder and the
            strategies it serves (one run of samples serves both parallel and select; one of
            allocation both uniform and adaptive), so none asked for seems left out.
        assume_yes: ``--yes``: no question.
        out: the sweep's ``--out``: each run's folder in it may be resumed, and the samples it
            records are never asked for again (not counted).

    Returns True when some answer is to be asked of the server.
    """
    estimates = [job.estimate(None if out is None else out / name) for name, job in jobs]
    for (name, job), estimate in zip(jobs, estimates):
        if job.allocation is not None:
            serves = [s for s in ("uniform", "adaptive") if s in strategies]
        elif job.plan.strategy in ("parallel", "select"):
            serves = [s for s in ("parallel", "select") if s in strategies]
        else:
            serves = [job.plan.strategy]
        click.echo(f"{name} ({', '.join(serves) or job.plan.strategy}): {estimate.describe(job.spec)}", err=True)
    click.echo("(the runs share the response cache: what one asks, the next reads; an upper bound)", err=True)
    asking = any(e.answers for e in estimates)
    if not asking or assume_yes:
        return asking
    if not sys.stdin.isatty():
        click.echo("stdin is not a terminal: going ahead without asking (pass --yes to say so)", err=True)
        return True
    if not click.confirm("Send these requests?", default=all(e.usd_max == 0.0 for e in estimates), err=True):
        raise EffbenchError("cancelled before any request was sent")
    return True


#: evaluate's options that sweep takes too (same names, same checks)
_SWEEP_SHARED = (
    "problem_ids", "problems_dir", "meter", "sandbox", "workers", "alpha", "memory_mb", "no_cache", "model",
    "base_url", "api_key_env", "mode", "temperature", "top_p", "max_tokens", "input_seed", "seed",
    "system_prompt", "prompt_template", "concurrency", "request_timeout", "max_retries", "prices", "top_k",
    "prompt_prefix", "extra_body", "stop", "context_length", "stream", "yes", "limit", "categories", "first_round",
)  # fmt: skip
sweep.params.extend(p for p in evaluate.params if p.name in _SWEEP_SHARED)


#: rows of each table the leaderboard command prints (the top ones by eff@1); the rest are counted
_SUMMARY_ROWS = 10


@main.command()
@click.argument("run_dirs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--out",
    "out_dir",
    type=OutputDir(file_okay=False),
    default=Path("leaderboard"),
    show_default=True,
    help="Where to write leaderboard.md, leaderboard.json, index.html and plots/.",
)
@click.option(
    "--allow-mixed",
    is_flag=True,
    help="Rank runs with different problem sets, meters, environments "
    "or alpha in one table (marked in every output) instead of one table each.",
)
@click.option(
    "--seed",
    "lb_seed",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Seed of bootstraps and permutations (numpy's default_rng: an integer at least 0).",
)
@click.option(
    "--resamples", type=click.IntRange(100, 1_000_000), default=2000, show_default=True, help="Bootstrap resamples."
)
@click.option(
    "--problems-dir", default=None, type=click.Path(file_okay=False), help="Categories of another problem set."
)
@click.option(
    "--include-unfinished",
    is_flag=True,
    help="Rank runs that have not finished (no summary.json: interrupted, failed or still running) on the "
    "samples scored so far, labelled '(unfinished)', instead of skipping them.",
)
def leaderboard(
    run_dirs: tuple[Path, ...],
    out_dir: Path,
    allow_mixed: bool,
    lb_seed: int,
    resamples: int,
    problems_dir: str | None,
    include_unfinished: bool,
) -> None:
    """Rank run directories in Markdown, JSON and a self-contained HTML page.

    With bootstrap intervals, paired tests, Bradley-Terry ratings, plots and per-problem
    drill-down.
    """
    from effbench.leaderboard import Settings, write_leaderboard

    check_writable_dir(out_dir, "--out")
    settings = Settings(
        seed=lb_seed, bootstrap_resamples=resamples, allow_mixed=allow_mixed, include_unfinished=include_unfinished
    )
    doc = write_leaderboard(list(run_dirs), out_dir, settings, problems_dir)
    for err in doc["errors"]:
        click.echo(f"effbench: warning: skipped {err['error']}", err=True)
    for table in doc["tables"]:
        # the top rows only: a sweep of hundreds of rows on one line is unreadable
        shown = table["rows"][:_SUMMARY_ROWS]
        rows = ", ".join(f"{r['label']} {r['eff@1']:.3f}" for r in shown)
        n_rows, n_problems = len(table["rows"]), len(table["problems"])
        click.echo(
            f"{table['id']}: {n_rows} row{'s' * (n_rows != 1)} on {n_problems} "
            f"problem{'s' * (n_problems != 1)}, eff@1: {rows}"
        )
        if n_rows > len(shown):
            click.echo(f"  ({n_rows - len(shown)} more rows of {table['id']} in {out_dir / 'leaderboard.md'})")
    click.echo(f"leaderboard: {out_dir / 'index.html'}, {out_dir / 'leaderboard.md'}, {out_dir / 'leaderboard.json'}")


@main.command()
@click.argument("run_dir", type=click.Path(path_type=Path))
@click.option("--k", "k_text", default=None, help="k values (default: those of the run).")
@click.option(
    "--alpha",
    type=FiniteFloatRange(min=1.0, min_open=True, max=ALPHA_MAX),
    default=None,
    help="Budget factor (at most the run's).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def score(run_dir: Path, k_text: str | None, alpha: float | None, as_json: bool) -> None:
    """Recompute metrics from a run directory's records, without running any code."""
    from effbench.report import render
    from effbench.rundir import UNFINISHED, RunDir, how_to_finish
    from effbench.summary import fewest_scored, scorable_ks, summarize

    rd = RunDir(run_dir)
    if not rd.exists:
        raise EffbenchError(f"{run_dir}: not a run directory (no config.json)")
    config = rd.config()
    foreign = rd.not_asked_for(config)
    if foreign is not None:  # never scored as the run's: it would count samples the run never asked for
        raise EffbenchError(
            f"{foreign[0]}: not a record this run asked for: {foreign[1]} (another run's line, or an edit): "
            "remove that line, or restore samples.jsonl from a copy"
        )
    records = rd.records()
    torn = rd.torn_last_line()
    if torn is not None:
        click.echo(
            f"effbench: {run_dir / 'samples.jsonl'}:{torn}: a line cut short by a crash is not counted "
            "(resuming the run scores that sample again)",
            err=True,
        )
    disagreement = rd.disagreement(records, config)
    if disagreement:  # scored all the same: score is how a user looks into a run
        click.echo(f"effbench: warning: {disagreement}", err=True)
    if not records:
        raise EffbenchError(
            f"{run_dir}: no scored samples yet"
            + ("" if rd.finished else f": the run has not finished; to finish it: {how_to_finish(run_dir)}")
        )
    if not rd.finished:
        click.echo(
            f"effbench: {run_dir}: {UNFINISHED}; these are its {len(records)} sample(s) scored so far; "
            f"to finish it: {how_to_finish(run_dir)}",
            err=True,
        )
    ks = _parse_ks(k_text) or config.get("k") or [1]
    if k_text is None:  # the run's k: an interrupted or cut run may have fewer samples than it asked for
        ks, left_out = scorable_ks(ks, records)
        if left_out:
            click.echo(
                f"effbench: note: k={','.join(map(str, left_out))} of the run is larger than the "
                f"n={fewest_scored(records)} samples scored of some problem: left out (--k chooses)",
                err=True,
            )
    summary = summarize(records, ks, alpha if alpha is not None else config["alpha"], config["alpha"])
    from effbench.models.selection import render_selection, selection_summary

    selection = selection_summary(records, ks, summary["alpha"])  # runs of --strategy select
    if selection:
        summary["selection"] = selection
    click.echo(json.dumps(summary, indent=2) if as_json else render(summary))
    if selection and not as_json:
        click.echo("\n" + render_selection(selection))


@main.group(cls=_Listing)
def problems() -> None:
    """List, show and check problems."""


_problems_option = click.option(
    "--problems",
    "problem_ids",
    default=None,
    help="Comma-separated problem ids, or a named selection of a dataset's format (e.g. @enamel).",
)


@problems.command("list")
@click.option("--problems-dir", default=None, type=click.Path(file_okay=False), help=_PROBLEMS_DIR_HELP)
@_problem_set_option
@_dataset_option
@_problems_option
def problems_list(problems_dir: str | None, dataset: str | None, problem_ids: str | None) -> None:
    """Every problem with its category, levels and reference tiers."""
    named = _problem_ids(problem_ids)
    ps = _load_problems(problems_dir, dataset, named)
    selected = ps.select(named)
    # rows of a dataset that are not usable (each warned about)
    skipped = len(getattr(ps, "skipped", {})) + len(getattr(ps, "skipped_rows", []))
    note = f" ({skipped} row(s) of the file skipped)" if skipped else ""
    click.echo(f"{ps.name} {ps.version} (hash {ps.hash}): {len(selected)} problems{note}")
    rows = [["id", "category", "complexity", "levels (size:weight)", "tiers"]]
    for p in selected:
        rows.append(
            [p.id, p.category, p.complexity, " ".join(f"{lv.size}:{lv.weight:g}" for lv in p.levels), ",".join(p.tiers)]
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        click.echo("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())


@problems.command("show")
@click.argument("problem_id")
@click.option("--problems-dir", default=None, type=click.Path(file_okay=False), help=_PROBLEMS_DIR_HELP)
@_problem_set_option
@_dataset_option
def problems_show(problem_id: str, problems_dir: str | None, dataset: str | None) -> None:
    """The prompt a model sees, and the levels."""
    p = _load_problems(problems_dir, dataset, [problem_id], generate=False).get(problem_id)
    click.echo(f"# {p.id}: {p.title}  [{p.category}, expert {p.complexity}, checker {p.checker}]\n")
    click.echo(p.prompt)
    click.echo("levels:")
    for lv in p.levels:
        click.echo(f"  L{lv.index}: size {lv.size}, weight {lv.weight:g}, {lv.tests} generated tests")
    click.echo(f"correctness tests: {len(p.tests)} (level 0)")


@problems.command("check")
@click.argument("problem_ids", nargs=-1)
@click.option("--problems-dir", default=None, type=click.Path(file_okay=False), help=_PROBLEMS_DIR_HELP)
@_problem_set_option
@_dataset_option
@click.option(
    "--problems",
    "problems_opt",
    default=None,
    help="Comma-separated problem ids or a named selection (e.g. @enamel); adds to the positional ids.",
)
@click.option(
    "--meter", type=click.Choice(["auto", *METERS.names]), default="auto", show_default=True, help=_METER_HELP
)
@click.option(
    "--workers",
    type=click.IntRange(1, 256),
    default=None,
    help="Parallel runners (default: the CPUs this process may use; 1 for --meter time).",
)
@click.option("--no-cache", is_flag=True, help="Re-measure the experts.")
@click.option(
    "--seed",
    "input_seed",
    default="effbench-problems-check",
    show_default=True,
    help="Seed of the generated inputs the check runs on (fixed, so a check is reproducible).",
)
def problems_check(
    problem_ids: tuple[str, ...],
    problems_dir: str | None,
    dataset: str | None,
    problems_opt: str | None,
    meter: str,
    workers: int | None,
    no_cache: bool,
    input_seed: str,
) -> None:
    """Validate problems: examples, tests, generator, tier agreement, budgets. Non-zero on failure."""
    from concurrent.futures import ThreadPoolExecutor

    from effbench import paths
    from effbench.check import check_problem, check_steps, render_check
    from effbench.engine import EngineSettings, Evaluator
    from effbench.fingerprint import environment_fingerprint
    from effbench.reference_cache import ReferenceCache
    from effbench.run import _progress
    from effbench.sandboxes import open_sandbox

    named = list(problem_ids) + (_problem_ids(problems_opt) or [])
    ps = _load_problems(problems_dir, dataset, named or None)
    selected = ps.select(named or None)
    choice, workers = _meter_and_workers(meter, workers, f"{ps.name} {ps.version} (hash {ps.hash}); ")
    cache = None if no_cache else ReferenceCache(paths.cache_dir() / "references")
    failures = 0
    # the runners' start and the meter's calibration take seconds before the first step
    click.echo(f"starting the local sandbox: {workers} runner(s), {choice.meter.name} meter", err=True)
    with open_sandbox("local", choice.meter, workers=workers) as box:
        evaluator = Evaluator(
            box,
            choice.meter,
            EngineSettings(input_seed=input_seed),
            cache,
            environment_fingerprint(choice.meter, "local"),
        )
        with (
            _progress(sum(check_steps(p) for p in selected), "checking", True, "step") as bar,
            ThreadPoolExecutor(max_workers=workers) as pool,
        ):

            def one(problem):  # noqa: ANN001, ANN202 - a Problem, its ProblemCheck
                announced = 0

                def step(what: str) -> None:
                    nonlocal announced
                    bar.update(1 if announced else 0)  # the step before this one is done
                    announced += 1
                    bar.set_postfix_str(f"{problem.id}: {what}")

                result = check_problem(problem, evaluator, step)
                bar.update(check_steps(problem) - max(announced - 1, 0))  # its last step, and any skipped
                return result

            for result in pool.map(one, selected):
                with bar.external_write_mode(file=sys.stdout):
                    click.echo(render_check(result))
                failures += not result.ok
    click.echo(f"\n{len(selected) - failures}/{len(selected)} problems pass", err=True)
    if failures:
        sys.exit(1)


@main.group(
    "sandbox",
    cls=_Listing,
    short_help="Probe a backend against the threat corpus; build or export the docker backend's image.",
)
def sandbox_group() -> None:
    """Probe a backend against the threat corpus; build or export the docker backend's image.

    Run probe before trusting a number; export gives the image's files as a root filesystem for the
    local backend (--rootfs).
    """


@sandbox_group.command("build")
@click.option("--offline", "mode", flag_value="offline", help="From Debian packages (debootstrap + docker import).")
@click.option("--registry", "mode", flag_value="registry", help="FROM a registry base image.")
@click.option("--mirror", default=None, help="Debian mirror for --offline (default: deb.debian.org).")
def sandbox_build(mode: str | None, mirror: str | None) -> None:
    """Build the sandbox image unless its content-addressed tag exists; print the tag."""
    from effbench.sandboxes.docker_image import build_image

    click.echo(build_image(mode or "auto", log=lambda m: click.echo(m, err=True), mirror=mirror))


@sandbox_group.command("export")
@click.argument("dest", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option("--image", default=None, help="Image tag (default: the current sandbox image).")
def sandbox_export(dest: Path | None, image: str | None) -> None:
    """Unpack the sandbox image into DEST (default: in the cache) for `evaluate --rootfs`; print it."""
    from effbench.sandboxes.rootfs import export_rootfs

    click.echo(export_rootfs(image, dest, log=lambda m: click.echo(m, err=True)))


@sandbox_group.command("probe")
@click.option(
    "--sandbox", type=click.Choice(["local", "docker"]), default="local", show_default=True, help=_SANDBOX_HELP
)
@click.option(
    "--rootfs",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    default=None,
    help="With --sandbox local: run in this exported image (`effbench sandbox export`).",
)
@click.option(
    "--meter",
    type=click.Choice(["auto", "perf", "valgrind", "time"]),
    default="auto",
    show_default=True,
    help=_METER_HELP,
)
@click.option("--only", default=None, help="Comma-separated threat names (default: the whole corpus).")
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
def sandbox_probe(sandbox: str, rootfs: Path | None, meter: str, only: str | None, as_json: bool) -> None:
    """Run the threat corpus against a backend: one line per threat, exit 1 on any breach."""
    from effbench.meters import choose_meter
    from effbench.sandboxes import namespaces_refused_note, open_sandbox
    from effbench.sandboxes.probe import ProbeResult, run_probe, threats

    if rootfs is not None and sandbox != "local":
        raise EffbenchError("--rootfs is for --sandbox local (the docker backend runs the image itself)")
    names = _ids(only, "--only", " for the whole corpus")
    known = [t.name for t in threats()]
    unknown = [n for n in names or [] if n not in known]
    if unknown:
        raise EffbenchError(f"--only: unknown threat(s) {', '.join(unknown)}; known: {', '.join(known)}")
    options = {"rootfs": str(rootfs.resolve())} if rootfs is not None else {}
    if rootfs is not None:
        from effbench.sandboxes.local import check_rootfs

        check_rootfs(options["rootfs"])
    choice = choose_meter(meter)
    click.echo(f"meter: {choice.meter.describe()} - {choice.reason}", err=True)

    def show(result: ProbeResult) -> None:
        if not as_json:
            state = "contained" if result.contained else "BREACHED "
            click.echo(f"{state}  {result.name:<40} [{result.kind}] {result.evidence}")

    click.echo(f"starting the {sandbox} sandbox: 1 runner, {choice.meter.name} meter", err=True)
    with open_sandbox(sandbox, choice.meter, workers=1, **options) as box:
        click.echo(f"sandbox: {sandbox}, isolation {box.facts.get('isolation')}", err=True)
        # the defences that are facts of the machine, not threats of the corpus
        # (README, "The local sandbox and the threat model")
        shown = ("seccomp", "fixed_pids", "hidden_processes", "hidden_machine_files")
        click.echo("facts: " + ", ".join(f"{k}={box.facts.get(k)}" for k in shown if k in box.facts), err=True)
        refused = namespaces_refused_note(box.facts)
        if refused:
            click.echo(refused, err=True)
        try:
            results = run_probe(box, choice.meter, names, log=show)
        except KeyError as exc:
            raise EffbenchError(str(exc.args[0])) from None
    breached = [r for r in results if not r.contained]
    if as_json:
        click.echo(json.dumps([r.__dict__ for r in results], indent=2))
    click.echo(f"{len(results) - len(breached)}/{len(results)} threats contained", err=True)
    if breached:
        sys.exit(1)


if __name__ == "__main__":
    main()
