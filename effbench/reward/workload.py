"""A fixed mixed workload of completions for the reward's throughput benchmark and its tests.

For each problem: correct-fast completions (the expert reference), correct-slow ones (the slowest
other reference tier), wrong answers, crashes, programs that never return (timing out), and hostile
programs. Every hostile program written here either cannot return a right answer, or returns the
expert's answer while attacking the harness: its honest twin is then the expert itself, which it must
never out-score (DESIGN.md "Threat model"). All code here is written by the effbench team.

The workload is deterministic: the same problems and counts give the same items in the same order.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Kind(StrEnum):
    """What a workload completion is."""

    CORRECT_FAST = "correct_fast"
    CORRECT_SLOW = "correct_slow"
    WRONG = "wrong"
    CRASHING = "crashing"
    TIMING_OUT = "timing_out"
    HOSTILE = "hostile"


#: completions per problem of each kind (20 per problem: 20 problems make the 400-item workload)
MIX: dict[Kind, int] = {
    Kind.CORRECT_FAST: 4,
    Kind.CORRECT_SLOW: 4,
    Kind.WRONG: 3,
    Kind.CRASHING: 3,
    Kind.TIMING_OUT: 2,
    Kind.HOSTILE: 4,
}

#: hostile programs: (name, does it return the expert's answer?, attack run once before answering)
HOSTILE: list[tuple[str, bool, str]] = [
    (
        "forged_status_and_counts",
        True,
        """
        import sys
        print('{"ok": true, "value": 0, "cost": 1}')
        print("==1== I   refs:      1")
        sys.stderr.write("harness_error InfrastructureError: runner vanished\\n")
        """,
    ),
    (
        "reads_references_and_cache",
        True,
        """
        import glob, os
        for pattern in ("/work/**/references/*/expert.py", os.path.expanduser("~/.cache/effbench/**/*.json")):
            for path in glob.glob(pattern, recursive=True)[:3]:
                try:
                    open(path).read()
                except OSError:
                    pass
        """,
    ),
    (
        "signals_its_parent",
        True,
        """
        import os, signal
        for sig in (signal.SIGSTOP, signal.SIGKILL):
            try:
                os.kill(os.getppid(), sig)
            except OSError:
                pass
        """,
    ),
    (
        "hides_work_in_a_thread",
        True,
        """
        import threading
        def _spin():
            x = 0
            for i in range(3_000_000):
                x += i
        worker = threading.Thread(target=_spin)
        worker.start()
        worker.join()
        """,
    ),
    (
        "patches_builtins",
        True,
        """
        import builtins
        builtins.print = lambda *a, **k: None
        builtins.isinstance = lambda *a: True
        """,
    ),
    (
        "floods_output",
        True,
        """
        import sys
        chunk = "x" * 65536
        for _ in range(600):
            sys.stdout.write(chunk)
        """,
    ),
    ("always_equal_answer", False, ""),
    ("exits_early_with_code_0", False, ""),
]


@dataclass(frozen=True)
class WorkloadItem:
    """One item of the workload: its kind, the hostile program's name (if hostile), the item to score."""

    kind: Kind
    problem_id: str
    completion: str
    name: str = ""

    @property
    def item(self) -> tuple[str, str]:
        """``(problem_id, completion)`` for :meth:`RewardModel.score_batch`."""
        return (self.problem_id, self.completion)


def _fenced(code: str) -> str:
    return "Here is my solution.\n\n```python\n" + code.rstrip("\n") + "\n```\n"


def _wrapped(expert: str, entry: str, attack: str) -> str:
    """The expert's code, answering through a wrapper that runs ``attack`` once first."""
    body = textwrap.indent(textwrap.dedent(attack).strip("\n") or "pass", "        ")
    return (
        expert.rstrip("\n")
        + f"\n\n\n_honest_answer = {entry}\n_attacked = []\n\n\n"
        + f"def {entry}(*args, **kwargs):\n"
        + "    if not _attacked:\n"
        + "        _attacked.append(1)\n"
        + body
        + "\n    return _honest_answer(*args, **kwargs)\n"
    )


def hostile_code(name: str, expert: str, entry: str) -> str:
    """The hostile program ``name`` (see :data:`HOSTILE`) for a problem with this expert and entry point."""
    for hostile_name, honest, attack in HOSTILE:
        if hostile_name != name:
            continue
        if honest:
            return _wrapped(expert, entry, attack)
        if name == "always_equal_answer":
            return (
                "class _Yes:\n    def __eq__(self, other):\n        return True\n\n"
                "    def __hash__(self):\n        return 0\n\n\n"
                f"def {entry}(*args, **kwargs):\n    return _Yes()\n"
            )
        return f"import os\n\n\ndef {entry}(*args, **kwargs):\n    os._exit(0)\n"
    raise KeyError(name)


def _slow_tier(problem: Any) -> str:
    tiers = [t for t in problem.tiers if t != "expert"]
    return problem.references[tiers[-1]]


def problem_items(problem: Any, mix: dict[Kind, int] = MIX, offset: int = 0) -> list[WorkloadItem]:
    """The workload items of one problem, in a fixed order.

    ``offset`` rotates the hostile programs, so that 20 problems cover every one of them.
    """
    entry, expert = problem.entry_point, problem.expert_code
    out: list[WorkloadItem] = []
    for i in range(mix.get(Kind.CORRECT_FAST, 0)):
        note = f"# variant {i}\n" if i else ""  # distinct completions, same program
        out.append(WorkloadItem(Kind.CORRECT_FAST, problem.id, _fenced(note + expert)))
    for i in range(mix.get(Kind.CORRECT_SLOW, 0)):
        note = f"# variant {i}\n" if i else ""
        out.append(WorkloadItem(Kind.CORRECT_SLOW, problem.id, _fenced(note + _slow_tier(problem))))
    variants = {  # the programs of each failing kind, taken in turn
        Kind.WRONG: [
            f"def {entry}(*args, **kwargs):\n    return 'not the answer'\n",
            f"def {entry}(*args, **kwargs):\n    return None\n",
            f"def {entry}(*args, **kwargs):\n    return [[[-1]]]\n",
        ],
        Kind.CRASHING: [
            f"def {entry}(*args, **kwargs):\n    return 1 // 0\n",
            f"def {entry}(*args, **kwargs):\n    raise RuntimeError('no')\n",
            f"def {entry}(*args, **kwargs):\n    return [][1]\n",
        ],
        Kind.TIMING_OUT: [
            f"def {entry}(*args, **kwargs):\n    while True:\n        pass\n",
            f"def {entry}(*args, **kwargs):\n    n = 0\n    while True:\n        try:\n            n += 1\n"
            "        except BaseException:\n            pass\n",
        ],
    }
    for kind, programs in variants.items():
        for i in range(mix.get(kind, 0)):
            out.append(WorkloadItem(kind, problem.id, _fenced(programs[i % len(programs)])))
    for i in range(mix.get(Kind.HOSTILE, 0)):
        name = HOSTILE[(offset + i) % len(HOSTILE)][0]
        out.append(WorkloadItem(Kind.HOSTILE, problem.id, _fenced(hostile_code(name, expert, entry)), name))
    return out


def mixed_workload(problems: Sequence[Any], mix: dict[Kind, int] = MIX) -> list[WorkloadItem]:
    """The workload over these problems (20 per problem with the default mix), interleaved by problem.

    Items are interleaved round-robin (problem 1's first item, problem 2's first item, ...) so that a
    batch mixes problems and kinds, as a training step's batch does.
    """
    per_problem = [problem_items(p, mix, offset=i * mix.get(Kind.HOSTILE, 0)) for i, p in enumerate(problems)]
    out: list[WorkloadItem] = []
    for k in range(max((len(x) for x in per_problem), default=0)):
        out.extend(x[k] for x in per_problem if k < len(x))
    return out


def honest_twin_of(item: WorkloadItem) -> Kind | None:
    """The kind of the honest completion a hostile item must never out-score (None for other kinds)."""
    if item.kind is not Kind.HOSTILE:
        return None
    return Kind.CORRECT_FAST


__all__ = [
    "HOSTILE",
    "MIX",
    "Kind",
    "WorkloadItem",
    "hostile_code",
    "honest_twin_of",
    "mixed_workload",
    "problem_items",
]
