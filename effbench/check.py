"""``effbench problems check``: proof that a problem's references, generator and tests are sound."""

from __future__ import annotations

import ast
import doctest
import json
from collections.abc import Callable
from dataclasses import dataclass, field

from effbench import checkers, codec
from effbench.engine import Evaluator
from effbench.errors import CheckerError, EffbenchError
from effbench.problems import EXPERT, GENERATOR_HASH_SEED, Problem
from effbench.verdicts import Verdict

EXPERT_TOLERANCE = 0.02
SLOWER_MAX_EFF = 0.5
EXPERT_TOP_BUDGET = 5e7  # instructions
#: The growth rule: every weighted level must cost the expert at least this many times its
#: cheapest test (over all levels, level 0's correctness tests included). Below it the level's cost
#: is mostly the constant part of a run (module execution, the call), not the algorithm's work, so
#: it cannot tell algorithms apart (issue 10 item 3).
MIN_LEVEL_GROWTH = 2.0
#: The seed the determinism check generates with, and the second hash seed it compares against.
CHECK_INPUT_SEED = "effbench-problems-check"
OTHER_HASH_SEED = 12345


@dataclass
class ProblemCheck:
    """The outcome of checking one problem: its errors, and each tier's level costs, eff and verdict."""

    problem_id: str
    errors: list[str] = field(default_factory=list)
    reference_costs: list[float] = field(default_factory=list)
    tier_costs: dict[str, list[float | None]] = field(default_factory=dict)
    tier_eff: dict[str, float] = field(default_factory=dict)
    tier_verdict: dict[str, Verdict] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when no check failed."""
        return not self.errors


def prompt_docstring(problem: Problem) -> str:
    """The docstring of the entry point in the prompt (where the examples are)."""
    try:
        tree = ast.parse(problem.prompt)
    except SyntaxError as exc:
        raise EffbenchError(f"problems/{problem.id}: prompt is not valid Python: {exc}") from None
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.name == problem.entry_point:
            return ast.get_docstring(node) or ""
    return ""


def example_args(source: str, entry_point: str, namespace: dict) -> list | None:
    """The arguments of an example that is a plain call ``entry_point(a, b, ...)``.

    They are evaluated in ``namespace``; None for any other expression (keywords, ``*args``, a
    call nested in another).
    """
    try:
        node = ast.parse(source.strip(), mode="eval").body
    except SyntaxError:
        return None
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == entry_point):
        return None
    if node.keywords or any(isinstance(a, ast.Starred) for a in node.args):
        return None
    return [eval(compile(ast.Expression(a), "<example>", "eval"), namespace) for a in node.args]


def check_static(problem: Problem) -> list[str]:
    """Checks that need no sandbox: generator determinism, input constraints, prompt examples."""
    errors = check_inputs(problem) + check_generator_determinism(problem)
    examples = doctest.DocTestParser().get_examples(prompt_docstring(problem))
    if not examples and problem.source == "effbench":
        errors.append("prompt has no >>> examples")
    for tier in problem.tiers:
        errors += check_examples(problem, tier, examples)
    return errors


def check_inputs(problem: Problem) -> list[str]:
    """Errors of fixed and generated inputs that break the generator's ``check_input``."""
    errors: list[str] = []
    for test in problem.tests:
        try:
            problem.check_input(test.args)
        except Exception as exc:
            errors.append(f"tests.json {test.test_id}: breaks the input constraints: {type(exc).__name__} {exc}")
    for level in range(len(problem.levels)):
        try:
            first = problem.level_tests(level, CHECK_INPUT_SEED)
        except Exception as exc:
            errors.append(f"generator fails at level {level}: {type(exc).__name__}: {exc}")
            continue
        for t in first:
            if t.has_expected:
                continue
            try:
                problem.check_input(t.args)
            except Exception as exc:
                errors.append(f"generated input {t.test_id} breaks the constraints: {type(exc).__name__} {exc}")
                break
    return errors


def check_examples(problem: Problem, tier: str, examples: list[doctest.Example]) -> list[str]:
    """Errors of one reference tier on the prompt's ``>>>`` examples (it must load and agree).

    A problem imported from a published file (no folder of its own) has its reference run in a
    limited interpreter of its own (:func:`_examples_in_child`), never in effbench's process: the
    row's code is the file's, not the team's. A bundled problem's reference runs here.
    """
    outcome = _examples_in_child(problem, tier, examples) if problem.directory is None else None
    if outcome is None:
        outcome = _examples_here(problem, tier, examples)
    if isinstance(outcome, str):
        return [f"{tier}: does not load: {outcome}"]
    errors: list[str] = []
    for ex, (error, got, want, args) in zip(examples, outcome):
        if error:
            errors.append(f"{tier}: example {ex.source.strip()!r} raises {error}")
            continue
        # a custom checker needs the call's arguments: an example that is not a plain call of
        # the entry point is compared exactly instead (a checker never gets args=None)
        kind = "exact" if problem.checker == "custom" and args is None else problem.checker
        try:
            accepted = checkers.check(kind, want, got, problem.tolerance, args, problem.custom_check)
        except CheckerError as exc:
            errors.append(f"{tier}: example {ex.source.strip()!r}: {exc}")
            continue
        if not accepted and kind == "custom":  # the values may well be equal: say who refused
            errors.append(
                f"{tier}: example {ex.source.strip()!r} gives {got!r} (the prompt says {ex.want.strip()}), "
                "which the problem's checker does not accept: it returned a false value (a format's "
                "`__check` returns True for a right answer; one that only asserts returns None)"
            )
        elif not accepted:
            errors.append(f"{tier}: example {ex.source.strip()!r} gives {got!r}, the prompt says {ex.want.strip()}")
    return errors


#: one example's outcome: (error, the tier's answer, the prompt's, the call's arguments or None);
#: answers as the codec encodes them
ExampleOutcome = tuple[str, object, object, "list | None"]


def _examples_here(problem: Problem, tier: str, examples: list[doctest.Example]) -> list[ExampleOutcome] | str:
    """Each example's outcome with the tier loaded in this process; why it does not load, as text."""
    namespace: dict = {"__name__": "solution"}
    try:
        exec(
            compile(problem.runnable(problem.references[tier]), f"references/{problem.id}/{tier}.py", "exec"), namespace
        )
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    out: list[ExampleOutcome] = []
    for ex in examples:
        try:
            got = codec.encode(eval(ex.source, namespace))
            want = codec.encode(eval(ex.want, {}))
            args = example_args(ex.source, problem.entry_point, namespace)
        except Exception as exc:
            out.append((f"{type(exc).__name__}: {exc}", None, None, None))
            continue
        out.append(("", got, want, args))
    return out


#: run in the interpreter of :func:`_examples_in_child`: the job on stdin, the outcome to a file
_EXAMPLES_SCRIPT = r"""
import json, os, resource, sys
sys.set_int_max_str_digits(0) if hasattr(sys, "set_int_max_str_digits") else None
job = json.loads(sys.stdin.read())
resource.setrlimit(resource.RLIMIT_AS, (job["memory"], job["memory"]))
resource.setrlimit(resource.RLIMIT_CPU, (job["cpu"], job["cpu"] + 1))
out = open(job["out"], "w")
from effbench.generator_server import confine_writes
confine_writes()  # as a generator's: nothing the reference writes outlives it (its result file is open)
null = os.open(os.devnull, os.O_RDWR)
os.dup2(null, 0)
os.dup2(null, 1)
os.dup2(null, 2)
from effbench import codec
from effbench.check import example_args
namespace = {"__name__": "solution"}
try:
    exec(compile(job["code"], job["file"], "exec"), namespace)
except BaseException as exc:
    result = f"{type(exc).__name__}: {str(exc)[:300]}"
else:
    result = []
    for source, want in job["examples"]:
        try:
            got = codec.encode(eval(source, namespace))
            expected = codec.encode(eval(want, {}))
            args = example_args(source, job["entry"], namespace)
            result.append(["", got, expected, None if args is None else codec.encode(list(args))])
        except BaseException as exc:
            result.append([f"{type(exc).__name__}: {str(exc)[:300]}", None, None, None])
json.dump({"result": result}, out)
out.close()
os._exit(0)
"""


def _examples_in_child(problem: Problem, tier: str, examples: list[doctest.Example]) -> list[ExampleOutcome] | str:
    """Each example's outcome with the tier loaded in a limited interpreter of its own.

    In a PID namespace of its own where the kernel allows it (what it starts ends with it), an
    address space of the generators' limit, ended after twice
    :data:`effbench.hostcode.HOST_CODE_SECONDS`; it cannot end, fork or hang effbench. Returns why
    it does not load (or gives no outcome) as text.
    """
    import os
    import subprocess
    import tempfile

    from effbench import hostcode, paths
    from effbench.generator_server import fresh_command
    from effbench.importers.generate import GeneratorLimits

    limits = GeneratorLimits.from_env()
    seconds = 2 * hostcode.HOST_CODE_SECONDS

    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(
            p for p in (str(paths.PACKAGE_DIR.parent), os.environ.get("PYTHONPATH", "")) if p
        ),
    }
    with tempfile.TemporaryDirectory(prefix="effbench-examples-") as scratch:
        out = os.path.join(scratch, "out.json")
        job = {
            "code": problem.runnable(problem.references[tier]),
            "file": f"references/{problem.id}/{tier}.py",
            "entry": problem.entry_point,
            "examples": [[ex.source, ex.want] for ex in examples],
            "out": out,
            "memory": limits.memory_bytes,
            "cpu": int(seconds) + 1,
        }
        try:
            subprocess.run(
                fresh_command(_EXAMPLES_SCRIPT),
                input=json.dumps(job),
                text=True,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                env=env,
                cwd=scratch,
                timeout=seconds,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return f"loading it and running its examples runs past {seconds:g} s"
        try:
            with open(out, "rb") as f:
                data = json.loads(f.read(16 << 20))
            result = data["result"]
        except (OSError, ValueError, KeyError, TypeError):
            return "it ended its interpreter without an outcome (os._exit, a signal, or the memory limit)"
    if isinstance(result, str):
        return result
    try:
        return [
            (str(e), got, want, None if args is None else checkers.to_python(args)) for e, got, want, args in result
        ]
    except (TypeError, ValueError):
        return "its outcome cannot be read"


def check_generator_determinism(problem: Problem) -> list[str]:
    """Errors when the generator does not give the same inputs for a seed in every process.

    It runs in three fresh interpreters (two with the fixed hash seed, one with another) and the
    outputs are compared. Fresh interpreters, not children of one generator server (which is how
    an evaluation runs it, :mod:`effbench.generator_server`): two children forked from one process
    start from the same heap, so a generator whose output follows object addresses (a set of
    objects hashed by identity) would give the same inputs twice there, and differ from run to run.

    A generator that reads the clock or ``os.urandom``, or iterates a set of strings (whose order
    follows the string-hash seed), fails. Imported problems (inputs already generated) pass.
    """
    if problem.generated_tests is not None or problem.directory is None:
        return []
    from effbench.problems import _run_generator

    try:
        runs = [
            _run_generator(problem, CHECK_INPUT_SEED, GENERATOR_HASH_SEED, fresh=True),
            _run_generator(problem, CHECK_INPUT_SEED, GENERATOR_HASH_SEED, fresh=True),
            _run_generator(problem, CHECK_INPUT_SEED, OTHER_HASH_SEED, fresh=True),
        ]
    except EffbenchError as exc:
        return [f"generator fails: {exc}"]
    texts = [json.dumps(r, sort_keys=True) for r in runs]
    if texts[0] != texts[1]:
        return ["generator is not deterministic across processes (same seed, same hash seed)"]
    if texts[0] != texts[2]:
        return [
            "generator is not deterministic across processes: its output depends on the string-hash "
            "seed (PYTHONHASHSEED; e.g. iterating a set of strings): sort it first"
        ]
    return []


def check_growth(problem: Problem, evaluator: Evaluator) -> list[str]:
    """Weighted levels whose expert cost does not grow (see :data:`MIN_LEVEL_GROWTH`).

    A problem of one level has no smaller level to grow from: its cheapest test is one of that
    level's own, so the rule would refuse it whatever its inputs. An EvalPerf row is such a
    problem (its performance-exercising inputs form one level of weight 1, with no size): before,
    ``problems check`` failed every row, the project's own ``evalperf_toy.jsonl`` too, with
    "level 0 (size 0) is flat ... (raise its size)". The rule is not applied to it.
    """
    if len(problem.levels) < 2:
        return []
    profile = evaluator.profile(problem)
    floor = min(profile.test_costs.values(), default=0.0)
    if floor <= 0:
        return []
    errors = []
    for level, (lv, cost) in enumerate(zip(problem.levels, profile.level_costs)):
        if lv.weight > 0 and cost < MIN_LEVEL_GROWTH * floor:
            errors.append(
                f"level {level} (size {lv.size}) is flat: the expert's cost {cost:.3g} is under "
                f"{MIN_LEVEL_GROWTH:g}x its cheapest test ({floor:.3g}); the level cannot tell algorithms "
                "apart (raise its size)"
            )
    return errors


def check_steps(problem: Problem) -> int:
    """How many steps :func:`check_problem` announces for ``problem`` (a progress bar's total).

    The static checks, the expert's profile, and one run per tier.
    """
    return 2 + len(problem.tiers)


def check_problem(problem: Problem, evaluator: Evaluator, step: Callable[[str], None] | None = None) -> ProblemCheck:
    """Every check of one problem: the static ones, then the expert's profile and every tier's run.

    ``step`` (if given) is called with what the check starts doing, before each of its
    :func:`check_steps` steps (``"static checks"``, ``"expert profile"``, ``"tier NAME"``); a
    check that fails early announces fewer.

    The rules: the prompt's examples hold for every tier; the generator is deterministic across
    processes and respects the input constraints; the expert scores eff 1 (within
    :data:`EXPERT_TOLERANCE`; exactly, to the instruction at every level, under an exact meter: its
    second measurement, as a sample, must cost what its profile says) and each slower tier at
    most :data:`SLOWER_MAX_EFF`; the expert's top level costs at most :data:`EXPERT_TOP_BUDGET`
    instructions; no weighted level is flat (:data:`MIN_LEVEL_GROWTH`).
    """
    announce = step or (lambda what: None)
    announce("static checks (inputs, generator determinism, examples)")
    result = ProblemCheck(problem.id, check_static(problem))
    if result.errors:
        return result
    announce("expert profile")
    try:
        profile = evaluator.profile(problem)
    except EffbenchError as exc:
        result.errors.append(str(exc))
        return result
    result.reference_costs = profile.level_costs
    result.errors += check_growth(problem, evaluator)
    if evaluator.meter.unit == "instructions" and max(profile.level_costs) > EXPERT_TOP_BUDGET:
        result.errors.append(
            f"expert costs {max(profile.level_costs):.3g} instructions at its largest level "
            f"(limit {EXPERT_TOP_BUDGET:.0e})"
        )
    for tier in problem.tiers:
        announce(f"tier {tier}")
        record = evaluator.evaluate(problem, problem.references[tier], model=tier)
        result.tier_costs[tier] = record.level_costs
        result.tier_eff[tier] = record.efficiency
        result.tier_verdict[tier] = record.verdict
        if record.verdict.failed:
            result.errors.append(f"{tier}: {record.verdict} at {record.failed_test}: {record.error_type or ''}".strip())
        elif tier == EXPERT:
            if evaluator.meter.exact and record.level_costs != profile.level_costs:
                moved = [
                    f"L{level} {'-' if measured is None else f'{measured:.0f}'} vs {expected:.0f}"
                    for level, (measured, expected) in enumerate(zip(record.level_costs, profile.level_costs))
                    if measured != expected
                ]
                result.errors.append(
                    f"expert's count is not reproducible: measured again it costs otherwise ({', '.join(moved)} "
                    f"{evaluator.meter.unit}); under an exact meter it must score exactly 1 "
                    f"(eff {record.efficiency:.6f})"
                )
            elif abs(record.efficiency - 1.0) > EXPERT_TOLERANCE:
                result.errors.append(f"expert scores eff {record.efficiency:.3f}, not within {EXPERT_TOLERANCE} of 1")
        elif record.efficiency > SLOWER_MAX_EFF:
            result.errors.append(f"{tier}: scores eff {record.efficiency:.3f} > {SLOWER_MAX_EFF} (must lose clearly)")
    return result


def render_check(result: ProblemCheck) -> str:
    """A problem's check as text: a status line, a table of tier costs per level, the errors."""
    levels = len(result.reference_costs)
    head = ["tier"] + [f"L{i}" for i in range(levels)] + ["eff", "verdict"]
    rows = [head]
    for tier, costs in result.tier_costs.items():
        rows.append(
            [tier]
            + ["-" if c is None else f"{c:.3g}" for c in costs]
            + [f"{result.tier_eff[tier]:.3f}", result.tier_verdict[tier]]
        )
    status = "ok" if result.ok else "FAIL"
    lines = [f"{result.problem_id}: {status}"]
    if len(rows) > 1:
        widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
        for r in rows:
            lines.append("  " + "  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths))))
    lines += [f"  error: {e}" for e in result.errors]
    return "\n".join(lines)
