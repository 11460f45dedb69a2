"""Classify why a model's samples failed, from a run directory's raw answers (issue 15 item 6).

Reads ``samples.jsonl`` (each record keeps the model's raw answer in ``meta.answer`` and the
server's ``finish_reason``) and ``config.json`` (the few-shot preamble that was sent), and puts
every sample in the first class that fits, in this order:

- ``correct``: the sample passed (it may still have been stopped at the budget on a larger level).
- ``no_code``: the extraction found no function to run (``NoCode``): an extraction fault.
- ``cut_by_max_tokens``: the server stopped at ``--max-tokens`` (``finish_reason`` "length");
  it says how many of them are degenerate loops (numbers aside, the answer zlib-compresses to under
  0.42 of its size: ``if x == 1: ... if x == 2: ...`` or one phrase repeated; a larger limit would
  not have ended them).
- ``cut_by_stop``: the server stopped at a stop sequence and the code does not parse: a stop
  sequence cut the function.
- ``calls_itself``: the body calls its own entry point (no base case: RecursionError).
- ``copies_preamble``: a line of the body is a line of the preamble's bodies (parameter names
  replaced by one placeholder; lines of 10 characters or more, ``else:`` and ``return NAME``
  left out): the model copied a solved example instead of solving its problem.
- ``constraint_literal``: the body has a number of 100 or more (or written ``10**k``) that the
  prompt's ``Constraints:`` line states: the model read the bounds as part of the logic.
- ``wrong_logic``: anything else that failed (a wrong answer, an exception, a run over the budget
  at the first level): the code runs and is simply wrong.

Usage::

    .venv/bin/python scripts/classify_failures.py RUN_DIR [--problems-dir problems/starter] [--show CLASS]

Prints a count per class and per problem. ``--problems-dir`` names the set whose prompts were sent
(default: the bundled starter set; give an older checkout's folder to classify an older run).
"""

from __future__ import annotations

import argparse
import ast
import json
import re
import sys
import zlib
from collections import Counter, defaultdict
from pathlib import Path

CLASSES = (
    "correct",
    "no_code",
    "cut_by_max_tokens",
    "cut_by_stop",
    "calls_itself",
    "copies_preamble",
    "constraint_literal",
    "wrong_logic",
)
_NUMBER = re.compile(r"\b10\s*\*\*\s*\d+\b|\b\d[\d_]{2,}\b")


def _params(source: str) -> list[str]:
    """The parameter names of every function defined in ``source`` (none when it does not parse)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    return [a.arg for node in ast.walk(tree) if isinstance(node, ast.FunctionDef) for a in node.args.args]


def _body_lines(source: str) -> list[str]:
    """The stripped code lines of ``source`` outside docstrings and ``def`` lines."""
    lines, in_doc = [], False
    for raw in source.splitlines():
        line = raw.strip()
        if line.startswith('"""') or line.endswith('"""'):
            in_doc = not in_doc if line.count('"""') == 1 else in_doc
            continue
        if in_doc or not line or line.startswith(("def ", ">>>", "#")):
            continue
        lines.append(line)
    return lines


def _normalise(line: str, names: list[str]) -> str:
    for name in sorted(set(names), key=len, reverse=True):
        line = re.sub(rf"\b{re.escape(name)}\b", "_", line)
    return line


def _copied(answer: str, prefix: str | None, prompt: str) -> bool:
    if not prefix:
        return False
    names = _params(prefix) + _params(prompt + "    pass\n")
    shown = {_normalise(x, names) for x in _body_lines(prefix) if _keep(x)}
    return any(_normalise(x, names) in shown for x in _body_lines(answer) if _keep(x))


def _keep(line: str) -> bool:
    """A line specific enough to call a copy: 10 characters or more, not ``else:`` or ``return NAME``."""
    return len(line) >= 10 and line != "else:" and not re.fullmatch(r"return [\w-]+", line)


def _constraint_numbers(prompt: str) -> set[str]:
    stated = " ".join(x for x in prompt.splitlines() if "Constraints:" in x)
    return {re.sub(r"[\s_]", "", m) for m in _NUMBER.findall(stated)}


def _repeats(answer: str) -> bool:
    """True for a degenerate loop: numbers aside, the answer zlib-compresses to under 0.42 of its size."""
    text = re.sub(r"\d+", "0", answer).encode()
    return bool(text) and len(zlib.compress(text)) < 0.42 * len(text)


def _code_of(answer: str) -> str:
    """The first fenced code block of a chat answer, or the whole answer when it has no fence."""
    match = re.search(r"```[\w+-]*\n(.*?)(```|$)", answer, re.S)
    return match.group(1) if match else answer


def classify(record: dict, prompt: str, entry_point: str, prefix: str | None, stops: bool = True) -> str:
    """The class of one sample record (a ``samples.jsonl`` line as a dict); one of :data:`CLASSES`.

    Args:
        record: the sample's record; ``meta.answer`` is the raw answer, ``meta.usage.finish_reason``
            why the server stopped.
        prompt: the problem's prompt (signature and docstring) as it was sent.
        entry_point: the function the problem asks for.
        prefix: the few-shot preamble that was sent before the prompt (None: none).
        stops: whether the run sent stop sequences (a chat run sends none: nothing can cut it
            there). A chat answer's code is its first fenced block; a completion's is the prompt
            and the answer.
    """
    if record.get("passed"):
        return "correct"
    meta = record.get("meta") or {}
    answer = meta.get("answer") or ""
    finish = (meta.get("usage") or {}).get("finish_reason")
    if record.get("error_type") == "NoCode":
        return "no_code"
    if finish == "length":
        return "cut_by_max_tokens"
    code = _code_of(answer)
    if stops and finish == "stop":
        try:
            ast.parse(prompt + answer if code == answer else code)
        except SyntaxError:
            return "cut_by_stop"
    calls = "\n".join(x for x in code.splitlines() if not x.strip().startswith(">>>"))  # not a docstring example
    if record.get("error_type") == "RecursionError" or re.search(rf"(?<!def )\b{re.escape(entry_point)}\s*\(", calls):
        return "calls_itself"
    if _copied(answer, prefix, prompt):
        return "copies_preamble"
    stated = _constraint_numbers(prompt)
    if stated and any(re.sub(r"[\s_]", "", m) in stated for m in _NUMBER.findall(answer)):
        return "constraint_literal"
    return "wrong_logic"


def main(argv: list[str] | None = None) -> int:
    """Print the classes' counts for a run directory; 0, or 2 on bad input (one line on stderr)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("--problems-dir", type=Path, default=None, help="the set whose prompts were sent")
    parser.add_argument("--show", choices=CLASSES, help="also print the answers of this class")
    args = parser.parse_args(argv)
    from effbench.problems import bundled_problem_set_dir, load_problem_set

    records_path, config_path = args.run_dir / "samples.jsonl", args.run_dir / "config.json"
    try:
        records = [json.loads(x) for x in records_path.read_text().splitlines() if x.strip()]
        config = json.loads(config_path.read_text())
        problems = load_problem_set(args.problems_dir or bundled_problem_set_dir("starter"))
    except (OSError, ValueError) as exc:
        print(f"classify_failures: {exc}", file=sys.stderr)
        return 2
    prefix = (config.get("plan") or {}).get("prefix")
    stops = bool((config.get("model") or {}).get("stop"))
    by_class: Counter[str] = Counter()
    by_problem: dict[str, Counter[str]] = defaultdict(Counter)
    repeating = 0
    for r in records:
        try:
            problem = problems.get(r["problem_id"])
        except Exception as exc:  # noqa: BLE001 - an unknown id: said, not classified
            print(f"classify_failures: {records_path}: {exc}", file=sys.stderr)
            return 2
        cls = classify(r, problem.prompt, problem.entry_point, prefix, stops)
        by_class[cls] += 1
        by_problem[r["problem_id"]][cls] += 1
        answer = (r.get("meta") or {}).get("answer") or ""
        repeating += cls == "cut_by_max_tokens" and _repeats(answer)
        if cls == args.show:
            print(f"## {r['problem_id']} #{r['sample_index']} ({r['verdict']})\n{answer}")
    print(f"{len(records)} samples in {args.run_dir}")
    for cls in CLASSES:
        note = f"  ({repeating} of them degenerate loops)" if cls == "cut_by_max_tokens" and by_class[cls] else ""
        print(f"{cls:20} {by_class[cls]:4}{note}")
    print()
    print("problem              " + " ".join(f"{c[:9]:>9}" for c in CLASSES))
    for pid in sorted(by_problem):
        print(f"{pid:20} " + " ".join(f"{by_problem[pid][c]:9}" for c in CLASSES))
    return 0


if __name__ == "__main__":
    sys.exit(main())
