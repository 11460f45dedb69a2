"""Code extraction: from a model's answer to the program that is run.

What is read (the rules; README "Code extraction" explains them to users):

- **Reasoning** inside ``<think>``/``<thinking>``/``<reasoning>`` blocks is never taken as the answer.
  An unclosed block (the answer was cut off) runs to the end of the text; a ``</think>`` with no
  opening tag (the chat template opened it) makes everything before it reasoning. With nothing but
  reasoning, the sample fails (:attr:`ExtractionKind.REASONING_ONLY`). Its length in characters is
  reported (:attr:`Extraction.reasoning_chars`) so that the runner can account it as cost.
- **Fences**: an opening fence is a line starting with three or more backticks (or tildes), with an
  optional language tag; a closing fence is a line holding only a fence at least as long. Three
  backticks inside a line (a docstring, a string) never close a block, and when the shortest
  reading of a Python block does not parse, every longer one is tried. An opening fence with
  nothing after it (a lone closing fence after bare code) is not a block.
- **Several blocks**: the program is the *last* parseable Python block that defines the entry point
  at top level; other blocks contribute only the definitions and imports the program needs (found
  by name, transitively), in the order they were written. Usage and test code is dropped, never
  run: in the program's own top-level code, statements that call the entry point (directly or
  through a function that does), ``print``/``input`` calls, ``assert``, ``if __name__ == ...``
  blocks, ``test_*`` functions and ``Test*`` classes, ``from x import <entry point>``, and unused
  imports of modules outside the standard library (``pytest``, ``solution``...). A statement that
  binds a name the solution needs is always kept (``TABLE = [...]``, ``f = cache(f)``).
- **No fences**: the whole answer if it parses, else the runs of lines starting at a
  ``def``/``class``/``import``/``from``/``@`` line that parse, read as blocks.
- **``class Solution``** (LeetCode style) with the entry point as a method and no top-level
  function of that name is *adapted*: a module-level ``entry_point(*args, **kwargs)`` calling the
  method on a fresh instance is appended (the cost of building the instance counts), and the
  ``typing`` names the class uses without importing them (``List``, ``Optional``...) are imported,
  as LeetCode's environment does. A class whose constructor needs arguments fails
  (:attr:`ExtractionKind.METHOD_NEEDS_INSTANCE`).
- **Completion mode**: the code is the prompt continued by the answer, cut at the last top-level
  line up to which it parses (prose or a fence after the function ends it), then cleaned as above.
  A body indented differently from the prompt (one space too many, or a first line that lost its
  indentation) is re-indented to the prompt's level before giving up. An answer in chat style (a
  fenced block defining the entry point) is read as in chat mode.
- **Cost**: reading is linear in the answer's length. Each extraction compiles at most
  :data:`PARSE_BUDGET_CHARS` characters of a python fence's longer readings and as many of
  everything else (so the fences' readings never starve the program's own checks); past that no
  further reading is tried and the reason ends with "gave up after compiling ..." (only answers
  of many fences that do not compile, or of thousands of definitions, reach it).
- **Syntax errors** are not extraction failures: when the code that defines the entry point does
  not parse, it is handed on unchanged (:attr:`ExtractionKind.SYNTAX_ERROR`) so that the sandbox
  reports ``SyntaxError`` with the compiler's message, the same in chat mode, completion mode and
  samples files.
"""

from __future__ import annotations

import ast
import bisect
import contextvars
import re
import symtable
import sys
import textwrap
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum

#: the file name compile() and symtable() are given for a candidate's code here
_CANDIDATE_FILE = "<candidate>"

# the compiler's warnings about a candidate's code ("is" with a literal, one per occurrence) are
# the candidate's, not this process's user's: never shown (a 3,000-line completion of `x = 1 is 1`
# printed 3,000 lines on the stderr of effbench or of the trainer scoring it). Only warnings
# attributed to that file name (the compiler names it as the module): the user's own are untouched
warnings.filterwarnings("ignore", module=re.escape(_CANDIDATE_FILE) + r"\Z")


class ExtractionKind(StrEnum):
    """How the code was found, or why none was."""

    FENCED = "fenced"
    BARE = "bare"
    PROSE = "prose"  # code between lines of prose, no fences
    COMPLETION = "completion"
    SYNTAX_ERROR = "syntax_error"  # code defining the entry point that does not parse: run to report it
    NO_CODE = "no_code"
    REASONING_ONLY = "reasoning_only"
    EMPTY = "empty"
    METHOD_NEEDS_INSTANCE = "method_needs_instance"


FOUND = {
    ExtractionKind.FENCED,
    ExtractionKind.BARE,
    ExtractionKind.PROSE,
    ExtractionKind.COMPLETION,
    ExtractionKind.SYNTAX_ERROR,
}


@dataclass(frozen=True)
class Extraction:
    """The result of reading one answer.

    ``code``: the program to run (None: nothing to run, the sample fails with ``reason``).
    ``reason``: one line, how the code was found or why none was. ``kind``: the same, as an enum.
    ``reasoning_chars``: characters of reasoning (``<think>`` blocks) in the answer, a cost.
    ``dropped``: the top-level statements removed as usage or test code, as ``"line N: text"``.
    """

    code: str | None
    reason: str
    kind: ExtractionKind = ExtractionKind.NO_CODE
    reasoning_chars: int = 0
    dropped: tuple[str, ...] = field(default=())

    def reasoning_tokens(self, answer: str, completion_tokens: float) -> float:
        """Estimate the completion tokens spent on reasoning (tokens).

        Servers report one total for the whole answer: the estimate is the reasoning's share of
        the answer's characters.
        """
        if not answer or not self.reasoning_chars:
            return 0.0
        return round(completion_tokens * min(1.0, self.reasoning_chars / len(answer)), 1)


_MAX_TRIES = 64  # top-level boundaries tried before giving up on a run of code (see _grow)
_MAX_SCAN = 16 * _MAX_TRIES  # possible closing fences looked at for one opening fence
#: characters of candidate code one extraction may compile (or build to compile) while it looks
#: for the program. Each way of reading the answer (a longer fence, a longer run of bare code, a
#: re-indented body) compiles a candidate, so an answer of thousands of fences, definitions or
#: ``class`` lines cost time quadratic in its length: 92-127 s for 199 000 characters. Past the
#: budget, no further reading is tried (the ones left count as not parsing) and the reason says so.
PARSE_BUDGET_CHARS = 1_000_000
#: what one compile costs the budget at least, in characters: a call has a fixed cost (about 60 us,
#: the time of compiling a few hundred characters), so 33 000 one-line blocks cost seconds too
_COMPILE_FLOOR_CHARS = 256
#: the budget's two pools, each of PARSE_BUDGET_CHARS: the readings of a python fence (which
#: closing fence ends it) and everything else (bare code, the program's own checks). One pool
#: starved both: an honest 14 000-character answer with three ``>>>`` examples in ```python fences
#: (which do not compile, so each tried up to 64 longer readings) and 70 short fenced steps spent
#: the whole budget on those readings; the solution's own compile was then refused and the answer
#: came out as a syntax error (it was read as fenced, with its helper, before the budget)
_MAIN, _FENCE = 0, 2
#: [characters spent, 1 when a reading was refused] per pool (main, then fence readings) of the
#: extraction running in this context
_SPENT: contextvars.ContextVar[list[int] | None] = contextvars.ContextVar("effbench_extract_spent", default=None)


def _afford(chars: int, pool: int = _MAIN) -> bool:
    """Spend ``chars`` of the running extraction's budget ``pool``; False (nothing spent) when it would run out."""
    spent = _SPENT.get()
    if spent is None:
        return True
    if spent[pool] + chars > PARSE_BUDGET_CHARS:
        spent[pool + 1] = 1
        return False
    spent[pool] += chars
    return True


def _exhausted(pool: int = _MAIN) -> bool:
    """Has the running extraction refused a reading of ``pool`` for want of budget?"""
    spent = _SPENT.get()
    return spent is not None and spent[pool + 1] == 1


def _budgeted(extract: Callable[..., Extraction], *args: str) -> Extraction:
    """Run ``extract(*args)`` with a fresh parse budget; say in the reason when it ran out."""
    token = _SPENT.set([0, 0, 0, 0])
    try:
        found = extract(*args)
        if _exhausted(_MAIN) or _exhausted(_FENCE):
            note = f"; gave up after compiling {PARSE_BUDGET_CHARS} characters of candidate readings"
            found = Extraction(found.code, found.reason + note, found.kind, found.reasoning_chars, found.dropped)
        return found
    finally:
        _SPENT.reset(token)


PYTHON_TAGS = {"", "python", "py", "python3", "py3", "python3.11", "ipython", "pycon"}
_REASONING_TAG = re.compile(r"<(/?)(think|thinking|reasoning)>", re.I)
_FENCE_LINE = re.compile(r"^([ \t]*)(`{3,}|~{3,})(.*)$")
_CODE_START = re.compile(r"^(def |async def |class |import |from |@)")
_USAGE_CALLS = {"print", "input", "pprint", "breakpoint", "exit", "quit", "display"}
_TEST_RUNNERS = {("unittest", "main"), ("pytest", "main"), ("doctest", "testmod"), ("sys", "exit")}
_TYPING_NAMES = {"List", "Dict", "Set", "Tuple", "Optional", "Deque", "DefaultDict", "Counter", "Union", "Any"}


# --- reasoning ------------------------------------------------------------------------------


def split_reasoning(text: str) -> tuple[str, int, bool]:
    """Remove reasoning blocks.

    Returns:
        The answer outside them, the reasoning's length in characters, and whether a block was
        left unclosed.
    """
    outside: list[str] = []
    reasoning = 0
    unclosed = False
    pos = search = 0
    while True:
        m = _REASONING_TAG.search(text, search)
        if m is None:
            outside.append(text[pos:])
            break
        search = m.end()
        if _quoted(text, m):  # '<think>' in a string literal of the code: not a tag
            continue
        if m.group(1):  # a closing tag with no opening one: everything before it is reasoning
            reasoning += len(text[pos : m.start()])
            pos = m.end()
            continue
        outside.append(text[pos : m.start()])
        close = re.compile(rf"</{re.escape(m.group(2))}>", re.I).search(text, m.end())
        if close is None:
            reasoning += len(text) - m.end()
            unclosed = True
            break
        reasoning += close.start() - m.end()
        pos = search = close.end()
    return "".join(outside), reasoning, unclosed


def _quoted(text: str, m: re.Match[str]) -> bool:
    """Is the tag written inside quotes (a string literal of the code, not a reasoning tag)?"""
    before = text[m.start() - 1] if m.start() > 0 else ""
    after = text[m.end()] if m.end() < len(text) else ""
    return before in ("'", '"') or after in ("'", '"')


# --- fences ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Block:
    """A fenced block: its language tag (lower case), its text, and whether it was closed."""

    tag: str
    code: str
    closed: bool

    @property
    def python(self) -> bool:
        """Whether the tag says Python (or nothing)."""
        return self.tag in PYTHON_TAGS


def _parses(code: str, pool: int = _MAIN) -> bool:
    """Say whether ``code`` compiles, with no compile flags inherited from this module.

    A full compile: ``return`` outside a function fails too. Its cost is spent from the parse
    budget's ``pool`` (False, nothing compiled, when the pool is spent).
    """
    if not _afford(max(len(code), _COMPILE_FLOOR_CHARS), pool):
        return False
    try:
        compile(code, _CANDIDATE_FILE, "exec", dont_inherit=True)
    except (SyntaxError, ValueError, MemoryError, RecursionError):  # the last two: nested too deeply
        return False
    return True


def _closers(same: list[tuple[int, int]], same_at: list[int], i: int, length: int) -> list[int]:
    """The first lines after line ``i`` that can close its fence of ``length``, at most :data:`_MAX_TRIES`.

    ``same`` is the (line, fence length) of the bare fences of the same character, ``same_at``
    their lines: searched from the first after ``i`` by bisection, never walked from the start.
    """
    start = bisect.bisect_right(same_at, i)
    closers: list[int] = []
    for j, n in same[start : start + _MAX_SCAN]:
        if n >= length:
            closers.append(j)
            if len(closers) == _MAX_TRIES:
                break
    return closers


def fenced_blocks(text: str) -> tuple[list[Block], str]:
    """The fenced blocks of ``text`` and the text outside them (fence lines removed)."""
    lines = text.split("\n")
    blocks: list[Block] = []
    outside: list[str] = []
    bare: dict[str, list[tuple[int, int]]] = {"`": [], "~": []}  # (line index, length) of possible closers
    for j, line in enumerate(lines):
        if (m := _FENCE_LINE.match(line)) and not m.group(3).strip():
            bare[m.group(2)[0]].append((j, len(m.group(2))))
    bare_at = {c: [j for j, _ in v] for c, v in bare.items()}
    i = 0
    while i < len(lines):
        m = _FENCE_LINE.match(lines[i])
        if m is None:
            outside.append(lines[i])
            i += 1
            continue
        fence = m.group(2)
        info = m.group(3).strip()
        if fence[0] == "`" and "`" in info:  # ```inline``` text, not a fence
            outside.append(lines[i])
            i += 1
            continue
        tag = re.match(r"[\w.+-]*", info.lstrip("{.")).group(0).lower()  # type: ignore[union-attr]
        closers = _closers(bare[fence[0]], bare_at[fence[0]], i, len(fence))
        end = closers[0] if closers else len(lines)
        if tag in PYTHON_TAGS and len(closers) > 1:
            for j in closers:
                if _exhausted(_FENCE):  # building each longer reading costs its length too
                    break  # the first closer, as when no reading parses
                if _parses(textwrap.dedent("\n".join(lines[i + 1 : j])), _FENCE):
                    end = j
                    break
        body = textwrap.dedent("\n".join(lines[i + 1 : end]))
        if body.strip():
            blocks.append(Block(tag, body.strip("\n") + "\n", end < len(lines)))
        i = end + 1
    return blocks, "\n".join(outside)


# --- names ----------------------------------------------------------------------------------


def _source(node: ast.stmt) -> str:
    return ast.unparse(ast.Module(body=[node], type_ignores=[]))


def _globals_used(node: ast.stmt) -> set[str]:
    """Module-level names a top-level statement reads (in its own code or nested functions)."""
    try:
        table = symtable.symtable(_source(node), _CANDIDATE_FILE, "exec")
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
    out: set[str] = set()
    todo = [table]
    while todo:
        t = todo.pop()
        for s in t.get_symbols():
            if s.is_referenced() and (t.get_type() == "module" or s.is_global()):
                out.add(s.get_name())
        todo.extend(t.get_children())
    return out


def _bound(node: ast.stmt) -> set[str]:
    """Names a top-level statement binds at module level (not inside functions or classes)."""
    out: set[str] = set()
    todo: list[ast.AST] = [node]
    while todo:
        n = todo.pop()
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            out.add(n.name)
            continue
        if isinstance(n, (ast.Import, ast.ImportFrom)):
            out |= {(a.asname or a.name).split(".")[0] for a in n.names if a.name != "*"}
            continue
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store):
            out.add(n.id)
        if isinstance(n, ast.Lambda):
            continue
        todo.extend(ast.iter_child_nodes(n))
    return out


def _mutated(node: ast.stmt) -> set[str]:
    """Names whose attributes or items a top-level assignment sets (``f.cache = {}``, ``T[0] = 1``)."""
    out: set[str] = set()
    if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        for t in targets:
            for n in ast.walk(t):
                if isinstance(n, (ast.Attribute, ast.Subscript)) and isinstance(n.ctx, ast.Store):
                    base = n.value
                    while isinstance(base, (ast.Attribute, ast.Subscript)):
                        base = base.value
                    if isinstance(base, ast.Name):
                        out.add(base.id)
    return out


def _top_level_def(tree: ast.Module, name: str) -> bool:
    """Whether the module binds ``name`` at top level as a function (def, or an assignment)."""
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == name:
            return True
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and name in _bound(node):
            return True
    return False


def _method_class(tree: ast.Module, name: str) -> ast.ClassDef | None:
    """The last top-level class with a method ``name``."""
    found = None
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and any(
            isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef)) and m.name == name for m in node.body
        ):
            found = node
    return found


def _needs_arguments(cls: ast.ClassDef) -> bool:
    for m in cls.body:
        if isinstance(m, ast.FunctionDef) and m.name == "__init__":
            a = m.args
            positional = len(a.posonlyargs) + len(a.args) - 1 - len(a.defaults)
            return positional > 0 or any(d is None for d in a.kw_defaults)
    return False


def _is_test_def(node: ast.stmt) -> bool:
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return node.name.startswith("test")
    if isinstance(node, ast.ClassDef):
        bases = {ast.unparse(b).split(".")[-1] for b in node.bases}
        return node.name.startswith("Test") or "TestCase" in bases
    return False


def _is_main_guard(node: ast.stmt) -> bool:
    return isinstance(node, ast.If) and any(isinstance(n, ast.Name) and n.id == "__name__" for n in ast.walk(node.test))


def _calls_usage(node: ast.stmt) -> bool:
    """print(...), input(...), unittest.main() and the like, anywhere in a top-level statement."""
    for n in ast.walk(node):
        if isinstance(n, ast.Call):
            f = n.func
            if isinstance(f, ast.Name) and f.id in _USAGE_CALLS:
                return True
            if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and (f.value.id, f.attr) in _TEST_RUNNERS:
                return True
    return False


def _stdlib(module: str | None) -> bool:
    return bool(module) and module.split(".")[0] in sys.stdlib_module_names  # type: ignore[union-attr]


def _line(node: ast.stmt, lines: list[str]) -> str:
    text = lines[node.lineno - 1][node.col_offset :]
    return f"line {node.lineno}: {text[:80]}"


_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
_IMPORTS = (ast.Import, ast.ImportFrom)


@dataclass(frozen=True)
class _Stmt:
    """A top-level statement with the module-level names it reads and binds."""

    node: ast.stmt
    uses: set[str]
    binds: set[str]

    @staticmethod
    def of(node: ast.stmt) -> _Stmt:
        # setting f.cache binds state that f needs
        return _Stmt(node, _globals_used(node), _bound(node) | _mutated(node))


def _closure(stmts: list[_Stmt], start: set[str]) -> set[str]:
    """The names ``start`` needs, transitively: what the statements binding them read."""
    needed = set(start)
    frontier = set(start)
    while frontier:
        new: set[str] = set()
        for st in stmts:
            if st.binds & frontier:
                new |= st.uses
        frontier = new - needed
        needed |= new
    return needed


def _callers(stmts: list[_Stmt], targets: set[str]) -> set[str]:
    """The functions and classes that use ``targets`` (main(), check()...), transitively."""
    users = set(targets)
    changed = True
    while changed:
        changed = False
        for st in stmts:
            if isinstance(st.node, _DEFS) and st.node.name not in users and st.uses & users:
                users.add(st.node.name)
                changed = True
    return users - targets


def _keeps(st: _Stmt, needed: set[str], usage: set[str]) -> bool:
    """Whether a statement that is not an import stays in the program."""
    n = st.node
    if st.binds & needed and not _is_test_def(n):
        return True
    if isinstance(n, _DEFS):
        return not _is_test_def(n) and n.name not in usage
    if isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant):
        return True
    if isinstance(n, ast.Assert) or _is_main_guard(n) or _calls_usage(n):
        return False
    return not st.uses & usage


def _clean(
    source: str, entry: str, helpers: Iterable[str] = (), extra_users: Iterable[str] = ()
) -> tuple[str, tuple[str, ...]]:
    """Remove usage and test code from a program and add what it needs from other blocks.

    Args:
        source: the program (parses).
        entry: the entry point's name.
        helpers: the other blocks of the answer, each parsing, in document order, with the
            program's own position marked by ``""``: those before it go before the program.
        extra_users: more names whose use marks usage code (the adapted class's name).

    Returns:
        The code and the dropped statements, each as ``"line N: text"``.
    """
    stmts = [_Stmt.of(n) for n in ast.parse(source).body]
    targets = {entry, *extra_users}
    usage = _callers(stmts, targets) | targets
    needed = _closure(stmts, targets)
    keep = [isinstance(st.node, _IMPORTS) or _keeps(st, needed, usage) for st in stmts]
    kept_uses = set().union(*(st.uses for st, k in zip(stmts, keep) if k and not isinstance(st.node, _IMPORTS)))
    dropped_uses = set().union(*(st.uses for st, k in zip(stmts, keep) if not k))
    keep = [
        not _is_usage_import(st.node, entry, kept_uses, dropped_uses) if isinstance(st.node, _IMPORTS) else k
        for st, k in zip(stmts, keep)
    ]
    kept_nodes = [st.node for st, k in zip(stmts, keep) if k]
    dropped_nodes = [st.node for st, k in zip(stmts, keep) if not k]
    source_lines = source.split("\n")
    dropped = tuple(_line(n, source_lines) for n in dropped_nodes)
    wanted = kept_uses - set().union(*(_bound(st.node) for st in stmts))
    before, after = _from_helpers(helpers, wanted, entry, usage)
    parts = ["\n".join(before), _without(source, kept_nodes, dropped_nodes), "\n".join(after)]
    return "\n\n".join(p.strip("\n") for p in parts if p.strip()) + "\n", dropped


def _helper_candidates(helpers: Iterable[str], entry: str, usage: set[str]) -> list[tuple[bool, str, _Stmt]]:
    """The statements of the other blocks that may be taken: (written after the program, text, stmt).

    Never test code, never a statement that uses the entry point at import time, never one that
    rebinds the entry point.
    """
    out: list[tuple[bool, str, _Stmt]] = []
    after = False
    for h in helpers:
        if h == "":
            after = True
            continue
        h_lines = h.split("\n")
        for n in ast.parse(h).body:
            if _is_test_def(n) or _is_main_guard(n) or isinstance(n, ast.Assert):
                continue
            st = _Stmt(n, _globals_used(n), _bound(n))
            if not isinstance(n, _DEFS + _IMPORTS) and (st.uses & usage or _calls_usage(n)):
                continue
            if entry in st.binds:
                continue
            text = "\n".join(h_lines[k - 1] for k in _span(n))
            if n.col_offset or ";" in text:
                text = _source(n)  # shares its line with another statement
            out.append((after, text, st))
    return out


def _from_helpers(helpers: Iterable[str], wanted: set[str], entry: str, usage: set[str]) -> tuple[list[str], list[str]]:
    """The definitions and imports the program needs from the other blocks, by name, transitively.

    Returns:
        The texts to put before the program and after it, in document order.
    """
    candidates = _helper_candidates(helpers, entry, usage)
    taken: set[int] = set()
    frontier = set(wanted)
    while frontier:
        new: set[str] = set()
        for k, (_after, _text, st) in enumerate(candidates):
            if k not in taken and st.binds & frontier:
                taken.add(k)
                new |= st.uses
        frontier = new - wanted
        wanted = wanted | new
    before = [text for k, (after, text, _st) in enumerate(candidates) if k in taken and not after]
    after_texts = [text for k, (after, text, _st) in enumerate(candidates) if k in taken and after]
    return before, after_texts


def _span(node: ast.stmt) -> range:
    start = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])
    return range(start, (node.end_lineno or node.lineno) + 1)


def _without(source: str, kept: list[ast.stmt], dropped: list[ast.stmt]) -> str:
    """Remove the lines of the ``dropped`` statements from ``source``.

    Comments and blank lines stay; statements sharing a line with a kept one are removed through
    the syntax tree.
    """
    if not dropped:
        return source
    gone = {i for n in dropped for i in _span(n)}
    if gone & {i for n in kept for i in _span(n)}:
        return "\n".join(_source(n) for n in kept) + "\n"
    lines = source.split("\n")
    return "\n".join(line for i, line in enumerate(lines, 1) if i not in gone)


def _is_usage_import(node: ast.stmt, entry: str, used: set[str], test_used: set[str] = frozenset()) -> bool:
    """Say whether an import is one only usage or test code needs.

    That is: it imports the entry point from elsewhere (``from solution import f``), or the kept
    code reads none of its names while dropped code does or it is not from the standard library
    (``import pytest``, ``from solution import *``).
    """
    if not isinstance(node, (ast.Import, ast.ImportFrom)):
        return False
    names = {(a.asname or a.name).split(".")[0] for a in node.names if a.name != "*"}
    if entry in names:
        return True
    module = node.module if isinstance(node, ast.ImportFrom) else node.names[0].name
    foreign = (isinstance(node, ast.ImportFrom) and node.level > 0) or not _stdlib(module)
    if isinstance(node, ast.ImportFrom) and any(a.name == "*" for a in node.names):
        return foreign
    if names & used:
        return False
    return foreign or bool(names & test_used)


# --- chat -----------------------------------------------------------------------------------


def _tops(lines: list[str]) -> list[int]:
    """The top-level line boundaries of ``lines``: indices of lines at column 0, and the end."""
    return [e for e in range(1, len(lines) + 1) if e == len(lines) or lines[e][:1].strip()]


def _grow(lines: list[str], start: int, ok: Callable[[int], bool], tops: list[int] | None = None) -> int | None:
    """Find the end of the longest run of code from ``start`` (None if there is none).

    The top-level line boundaries after ``start`` (lines at column 0, and the end) are tried in
    order; the first one at which ``ok(end)`` holds is taken (at most :data:`_MAX_TRIES` are tried,
    so that an answer of prose costs linear time), then extended to the last boundary before the
    first one that fails (found by galloping and bisection: a logarithmic number of tries).
    ``tops`` is :func:`_tops` of ``lines``, computed once by a caller that grows from many starts
    (listing them anew from each start cost time quadratic in the number of lines). Past the
    extraction's parse budget no end is tried.
    """
    tops = _tops(lines) if tops is None else tops
    lo = bisect.bisect_right(tops, start)
    count = len(tops) - lo

    def fits(k: int) -> bool:  # past the parse budget, no reading is built (building costs its length)
        return not _exhausted() and ok(tops[lo + k])

    first = next((k for k in range(min(count, _MAX_TRIES)) if fits(k)), None)
    if first is None:
        return None
    good, step = first, 1
    bad = count
    while good + step < count:
        if fits(good + step):
            good += step
            step *= 2
        else:
            bad = good + step
            break
    while bad - good > 1:
        mid = (good + bad) // 2
        if fits(mid):
            good = mid
        else:
            bad = mid
    return tops[lo + good]


def _bare_chunks(text: str) -> list[str]:
    """Find the runs of lines that parse in text without fences.

    Each starts at a def/class/import/from/@ line at column 0 and ends at a top-level line
    boundary, as long as it goes on parsing.
    """
    lines = text.split("\n")
    tops = _tops(lines)
    chunks: list[str] = []
    i = 0
    while i < len(lines):
        if not _CODE_START.match(lines[i]):
            i += 1
            continue
        end = _grow(lines, i, lambda e, i=i: _parses("\n".join(lines[i:e])), tops)
        if end is None:
            i += 1
            continue
        chunks.append("\n".join(lines[i:end]).strip("\n") + "\n")
        i = end
    return chunks


def _adapt_class(code: str, cls: ast.ClassDef, entry: str) -> str:
    """Append a module-level ``entry`` calling the method on a fresh instance of ``cls``.

    The ``typing`` names the code reads without importing them are imported (LeetCode's
    environment does so).
    """
    tree = ast.parse(code)
    unbound = set().union(*(_globals_used(n) for n in tree.body))
    bound = set().union(*(_bound(n) for n in tree.body))
    typing_names = sorted((unbound - bound) & _TYPING_NAMES)
    header = f"from typing import {', '.join(typing_names)}\n\n" if typing_names else ""
    wrapper = (
        f"\n\ndef {entry}(*args, **kwargs):\n"
        f"    # adapted by effbench: the answer defines {entry} as a method of class {cls.name}\n"
        f"    return {cls.name}().{entry}(*args, **kwargs)\n"
    )
    return header + code.rstrip("\n") + "\n" + wrapper


def _from_blocks(
    blocks: list[str], entry: str, how: ExtractionKind, count_label: str, reasoning: int
) -> Extraction | None:
    """Build the program from parseable blocks of code (fenced, or runs of bare code).

    Returns None when no block defines the entry point.
    """
    trees = [ast.parse(b) for b in blocks]
    main = next((i for i in range(len(blocks) - 1, -1, -1) if _top_level_def(trees[i], entry)), None)
    cls = None
    if main is None:
        main = next((i for i in range(len(blocks) - 1, -1, -1) if _method_class(trees[i], entry)), None)
        if main is None:
            return None
        cls = _method_class(trees[main], entry)
    helpers = [*blocks[:main], "", *blocks[main + 1 :]]
    extra = [cls.name] if cls is not None else []
    if cls is not None and _needs_arguments(cls):
        return Extraction(
            None,
            f"{entry}() is a method of class {cls.name}, whose constructor needs arguments",
            ExtractionKind.METHOD_NEEDS_INSTANCE,
            reasoning,
        )
    code, dropped = _clean(blocks[main], entry, helpers, extra)
    reason = count_label
    if cls is not None:
        code = _adapt_class(code, cls, entry)
        reason += f"; {entry}() adapted from a method of class {cls.name}"
    if dropped:
        reason += f"; dropped {len(dropped)} statement{'s' if len(dropped) > 1 else ''} of usage or test code"
    if reasoning:
        reason += "; after reasoning"
    return Extraction(code, reason, how, reasoning, dropped)


def _label(n: int, what: str) -> str:
    return f"{what}" if n == 1 else f"{n} {what}s"


def _defines_by_text(code: str, entry: str) -> bool:
    return re.search(rf"^[ \t]*(async[ \t]+)?def[ \t]+{re.escape(entry)}[ \t]*\(", code, re.M) is not None


def extract_chat(answer: str, entry_point: str) -> Extraction:
    """The program in a chat answer (see the module docstring for the rules). Never raises."""
    try:
        return _budgeted(_extract_chat, answer, entry_point)
    except (MemoryError, RecursionError):
        return Extraction(None, "the answer is nested too deeply to read", ExtractionKind.NO_CODE)


def _newlines(text: str) -> str:
    """``text`` with Windows (CRLF) and old Mac (CR) line ends as LF, as Python reads a source file."""
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


def _unclosed_prefix(block: Block) -> str | None:
    """The longest start of an unclosed fenced block that parses, ending at a top-level line.

    A fence left open (the answer was cut off, or prose follows the code without a closing
    fence) runs to the end of the answer; the code is its start. None if no start parses.
    """
    lines = block.code.split("\n")
    end = _grow(lines, 0, lambda e: _parses("\n".join(lines[:e])))
    return None if end is None else "\n".join(lines[:end]).strip("\n") + "\n"


def _from_fences(python: list[Block], parses: list[bool], entry_point: str, reasoning: int) -> Extraction | None:
    """The program from the python fenced blocks (``parses``: whether each compiles), or None.

    An unclosed block that does not compile contributes its longest start that does.
    """
    parsing = [b.code for b, ok in zip(python, parses) if ok]
    cut = [p for b, ok in zip(python, parses) if not ok and not b.closed and (p := _unclosed_prefix(b))]
    if not (parsing or cut):
        return None
    label = _label(len(python), "fenced block")
    if cut:
        label += " (an unclosed fence read up to its last line that parses)"
    return _from_blocks(parsing + cut, entry_point, ExtractionKind.FENCED, label, reasoning)


def _extract_chat(answer: str, entry_point: str) -> Extraction:
    text, reasoning, unclosed = split_reasoning(_newlines(answer))
    if reasoning and not text.strip():
        why = "the reasoning block is not closed (cut off?)" if unclosed else "nothing follows the reasoning"
        return Extraction(None, f"no answer after the reasoning: {why}", ExtractionKind.REASONING_ONLY, reasoning)
    if not text.strip():
        return Extraction(None, "empty answer", ExtractionKind.EMPTY, reasoning)
    blocks, outside = fenced_blocks(text)
    python = [b for b in blocks if b.python]
    parses = [_parses(b.code) for b in python]
    found = _from_fences(python, parses, entry_point, reasoning)
    if found is not None:
        return found
    broken = [b.code for b, ok in zip(python, parses) if not ok and _defines_by_text(b.code, entry_point)]
    if broken:
        return _syntax_error(broken[-1], entry_point, reasoning)
    # no fenced block defines it: bare code (also after a lone closing fence, or around blocks)
    plain = "\n".join(line for line in text.split("\n") if not _FENCE_LINE.match(line))
    if _parses(plain) and plain.strip():
        found = _from_blocks([plain], entry_point, ExtractionKind.BARE, "bare code", reasoning)
        if found is not None:
            return found
    chunks = _bare_chunks(plain)
    if chunks:
        found = _from_blocks(chunks, entry_point, ExtractionKind.PROSE, "code inside prose", reasoning)
        if found is not None:
            return found
    m = re.search(rf"^(async[ \t]+)?def[ \t]+{re.escape(entry_point)}[ \t]*\(", plain, re.M)
    if m is not None:
        return _syntax_error(plain[m.start() :].strip("\n") + "\n", entry_point, reasoning)
    where = " after the reasoning" if reasoning else ""
    if python:
        return Extraction(None, f"no fenced block defines {entry_point}(){where}", ExtractionKind.NO_CODE, reasoning)
    return Extraction(None, f"no code defining {entry_point}(){where}", ExtractionKind.NO_CODE, reasoning)


def syntax_error_of(code: str) -> str:
    """The compiler's complaint about ``code``, as ``SyntaxError: <msg> (line N)``; '' if it parses."""
    try:
        compile(code, _CANDIDATE_FILE, "exec", dont_inherit=True)
    except SyntaxError as exc:
        return f"{type(exc).__name__}: {exc.msg} (line {exc.lineno})"
    except ValueError as exc:
        return f"ValueError: {exc}"
    except (MemoryError, RecursionError):
        return "nested too deeply to compile"
    return ""


def _syntax_error(code: str, entry: str, reasoning: int) -> Extraction:
    """Hand on code that defines the entry point but does not parse.

    The sandbox then reports the ``SyntaxError``: the same reason in chat mode, completion mode
    and samples files.
    """
    return Extraction(
        code,
        f"the code defining {entry}() does not parse ({syntax_error_of(code)}); run as is",
        ExtractionKind.SYNTAX_ERROR,
        reasoning,
    )


# --- completion -----------------------------------------------------------------------------


def _body_indent(prompt: str, entry: str) -> str:
    """The indentation of the entry point's body in the prompt (its docstring's), or def's + 4."""
    lines = prompt.split("\n")
    for i in range(len(lines) - 1, -1, -1):
        m = re.match(rf"^([ \t]*)(async[ \t]+)?def[ \t]+{re.escape(entry)}\b", lines[i])
        if m:
            for later in lines[i + 1 :]:
                if later.strip() and not re.match(r"^[ \t]*[)\]:]", later):
                    ind = re.match(r"[ \t]*", later).group(0)  # type: ignore[union-attr]
                    if len(ind) > len(m.group(1)):
                        return ind
            return m.group(1) + "    "
    return "    "


def _join(prompt: str, lines: list[str]) -> str:
    """Continue the prompt with the answer's lines.

    The prompt's trailing indentation, if any, is the first line's.
    """
    head, _, tail = prompt.rpartition("\n")
    if "\n" in prompt and not tail.strip():
        return head + "\n" + tail + "\n".join(lines)
    return prompt + ("" if prompt.endswith("\n") else "\n") + "\n".join(lines)


def _reindented(lines: list[str], indent: str) -> list[tuple[str, list[str]]]:
    """Variants of the answer with its leading body moved to ``indent``: (what was done, lines)."""
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is None:
        return []
    stop = next((j for j in range(first + 1, len(lines)) if lines[j][:1].strip()), len(lines))
    body = [line for line in lines[first:stop] if line.strip()]
    out = []
    first_ind = len(lines[first]) - len(lines[first].lstrip())
    if first_ind < len(indent):  # the first line lost its indentation
        fixed = list(lines)
        fixed[first] = indent + lines[first].lstrip()
        out.append(("first line re-indented", fixed))
    smallest = min(len(x) - len(x.lstrip()) for x in body)
    if smallest != len(indent) and smallest > 0:
        shift = len(indent) - smallest

        def move(line: str) -> str:
            if not line.strip():
                return line
            return " " * max(0, len(line) - len(line.lstrip()) + shift) + line.lstrip()

        out.append(
            (f"body shifted by {shift:+d} columns", [*lines[:first], *map(move, lines[first:stop]), *lines[stop:]])
        )
    return out


def _longest_parsing(prompt: str, lines: list[str]) -> str | None:
    """Continue ``prompt`` with the longest run of ``lines`` that parses.

    The run starts at the first line, ends at a top-level line and holds a non-blank body; None if
    there is none.
    """
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is None:
        return None
    end = _grow(lines, first, lambda e: _parses(_join(prompt, lines[:e])))
    return None if end is None else _join(prompt, lines[:end])


def extract_completion(prompt: str, answer: str, entry_point: str) -> Extraction:
    """Extract the program of a completion: ``prompt`` continued by ``answer``.

    The rules are the module docstring's. Never raises.

    Returns:
        The extraction: the program or why there is none.
    """
    try:
        return _budgeted(_extract_completion, prompt, answer, entry_point)
    except (MemoryError, RecursionError):
        return Extraction(None, "the answer is nested too deeply to read", ExtractionKind.NO_CODE)


def _extract_completion(prompt: str, answer: str, entry_point: str) -> Extraction:
    text, reasoning, unclosed = split_reasoning(_newlines(answer))
    if reasoning and not text.strip():
        why = "the reasoning block is not closed (cut off?)" if unclosed else "nothing follows the reasoning"
        return Extraction(None, f"no answer after the reasoning: {why}", ExtractionKind.REASONING_ONLY, reasoning)
    lines = text.split("\n")
    fences = [i for i, line in enumerate(lines) if _FENCE_LINE.match(line)]
    if fences:
        chat = _extract_chat(text, entry_point)
        if chat.kind is ExtractionKind.FENCED:
            return Extraction(chat.code, chat.reason + " (a chat-style answer)", chat.kind, reasoning, chat.dropped)
    if not text.strip():
        return Extraction(None, "empty completion", ExtractionKind.EMPTY, reasoning)
    indent = _body_indent(prompt, entry_point)
    note = "; after reasoning" if reasoning else ""
    for cut in [*fences[:_MAX_TRIES], len(lines)]:  # the shortest reading first, then the longer ones
        segment = lines[:cut]
        if not any(line.strip() for line in segment):
            continue
        for how, variant in [("", segment), *_reindented(segment, indent)]:
            code = _longest_parsing(prompt, variant)
            if code is None:
                continue
            cleaned, dropped = _clean(code, entry_point)
            reason = "completion" + (f" ({how})" if how else "")
            if dropped:
                reason += f"; dropped {len(dropped)} statement{'s' if len(dropped) > 1 else ''} of usage or test code"
            return Extraction(cleaned, reason + note, ExtractionKind.COMPLETION, reasoning, dropped)
    first = next(line for line in lines if line.strip())
    if first[:1].strip() and not _CODE_START.match(first):
        return Extraction(
            None,
            "no code: the completion does not continue the function body" + note,
            ExtractionKind.NO_CODE,
            reasoning,
        )
    segment = lines[: fences[0]] if fences else lines
    return _syntax_error(_join(prompt, segment).rstrip("\n") + "\n", entry_point, reasoning)
