"""Code extraction from model answers.

Chat answers: fenced blocks (with or without a language tag; several blocks), bare code, prose
around code. Completion mode: the answer continues the prompt (often indentation only), so the
code is prompt + answer, cut where the model wanders off into a new top-level statement.
An answer without usable code is reported with the reason; it counts as a failed sample.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

FENCE = re.compile(r"```[ \t]*([A-Za-z0-9_+-]*)[^\n]*\n(.*?)(?:```|\Z)", re.S)
PYTHON_TAGS = {"", "python", "py", "python3", "py3"}


@dataclass(frozen=True)
class Extraction:
    code: str | None
    reason: str  # how it was found, or why nothing was


def _parses(code: str) -> bool:
    try:
        ast.parse(code)
    except (SyntaxError, ValueError):
        return False
    return True


def _defines(code: str, entry_point: str) -> bool:
    return re.search(rf"^\s*(async\s+)?def\s+{re.escape(entry_point)}\s*\(", code, re.M) is not None


def _bare_code(text: str) -> str | None:
    """The longest run of lines starting at a def/import/class/from that parses as Python."""
    lines = text.splitlines()
    starts = [i for i, line in enumerate(lines) if re.match(r"(def |class |import |from |@)", line)]
    best = None
    for s in starts:
        for e in range(len(lines), s, -1):
            chunk = "\n".join(lines[s:e]).rstrip() + "\n"
            if _parses(chunk):
                if best is None or len(chunk) > len(best):
                    best = chunk
                break
    return best


def extract_chat(answer: str, entry_point: str) -> Extraction:
    blocks = [(tag.lower(), body) for tag, body in FENCE.findall(answer)]
    python_blocks = [body for tag, body in blocks if tag in PYTHON_TAGS]
    with_entry = [b for b in python_blocks if _defines(b, entry_point) and _parses(b)]
    if with_entry:
        # the entry point's block, plus helper blocks (imports, functions) that parse
        main = with_entry[-1]
        helpers = [b for b in python_blocks if b is not main and _parses(b) and not _defines(b, entry_point)]
        code = "\n\n".join([*helpers, main]).strip() + "\n"
        return Extraction(code, "fenced block" if len(python_blocks) == 1 else f"{len(python_blocks)} fenced blocks")
    if python_blocks:
        if any(_defines(b, entry_point) for b in python_blocks):
            return Extraction(None, "the fenced code does not parse")
        return Extraction(None, f"no fenced block defines {entry_point}()")
    if _parses(answer) and _defines(answer, entry_point):
        return Extraction(answer.strip() + "\n", "bare code")
    code = _bare_code(answer)
    if code and _defines(code, entry_point):
        return Extraction(code, "code inside prose")
    if _defines(answer, entry_point):
        return Extraction(None, "the code does not parse")
    return Extraction(None, f"no code defining {entry_point}()")


def extract_completion(prompt: str, answer: str, entry_point: str) -> Extraction:
    """prompt + answer, cut at the first line that leaves the function (or at an end fence)."""
    if "```" in answer:
        fenced = extract_chat(answer, entry_point)
        if fenced.code:
            return fenced
        answer = answer.split("```", 1)[0]
    kept: list[str] = []
    for line in answer.splitlines():
        if line.strip() and not line[0].isspace() and not line.startswith(("def ", "@", "class ", "import ", "from ")):
            break  # prose, tests or a main block after the function
        if line.startswith(("if __name__", "print(", "assert ")):
            break
        kept.append(line)
    code = prompt.rstrip("\n") + "\n" + "\n".join(kept).rstrip() + "\n"
    while kept and not _parses(code):
        kept.pop()
        code = prompt.rstrip("\n") + "\n" + "\n".join(kept).rstrip() + "\n"
    if not kept or not _parses(code):
        return Extraction(None, "the completion does not continue the prompt into valid code")
    body_only = prompt.rstrip("\n") + "\n"
    if code.strip() == body_only.strip():
        return Extraction(None, "empty completion")
    return Extraction(code, "completion")
