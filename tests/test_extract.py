"""Code extraction on a table of answers we wrote in the shapes real models produce: chat and
completion, with and without reasoning, one and several blocks, usage and test code, fences inside
the code, lone fences, bad indentation, LeetCode classes. Each row gives the exact program that
must come out, or the kind of failure."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass

import pytest

from effbench.models.extract import FOUND, ExtractionKind, extract_chat, extract_completion, split_reasoning

ENTRY = "triangle"
PROMPT = 'def triangle(n: int) -> int:\n    """Sum 1..n."""\n'
K = ExtractionKind

DEF = "def triangle(n):\n    return n * (n + 1) // 2\n"
FENCED = f"```python\n{DEF}```"


@dataclass(frozen=True)
class Case:
    name: str
    answer: str
    code: str | None  # the exact program, or None when nothing is to run
    kind: ExtractionKind
    mode: str = "chat"
    runs: bool = True  # the program computes triangle(4) == 10


CHAT = [
    Case("one python block", FENCED, DEF, K.FENCED),
    Case("untagged block", f"Here:\n```\n{DEF}```\nO(1).", DEF, K.FENCED),
    Case("capitalised tag", f"```Python\n{DEF}```", DEF, K.FENCED),
    Case("tilde fence", f"~~~python\n{DEF}~~~\n", DEF, K.FENCED),
    Case("fence with attributes", f"```python title=solution.py\n{DEF}```", DEF, K.FENCED),
    Case(
        "import in its own block",
        "```py\nimport math\n```\nthen\n```python\ndef triangle(n):\n    return math.comb(n + 1, 2)\n```",
        "import math\n\ndef triangle(n):\n    return math.comb(n + 1, 2)\n",
        K.FENCED,
    ),
    Case(
        "usage block after the solution", f"{FENCED}\nUsage:\n```python\nprint(triangle(4))  # 10\n```", DEF, K.FENCED
    ),
    Case(
        "pytest block importing the solution",
        f"{FENCED}\nTests:\n```python\nimport pytest\nfrom solution import triangle\n\n\n"
        "@pytest.mark.parametrize('n,t', [(1, 1), (4, 10)])\n"
        "def test_triangle(n, t):\n    assert triangle(n) == t\n```",
        DEF,
        K.FENCED,
    ),
    Case(
        "calls, asserts and a main guard in the same block",
        "```python\nfrom functools import lru_cache\n\n\n@lru_cache(None)\ndef triangle(n):\n"
        "    return 0 if n <= 0 else n + triangle(n - 1)\n\n\nprint(triangle(4))\nassert triangle(3) == 6\n\n"
        "if __name__ == '__main__':\n    n = int(input())\n    print(triangle(n))\n```",
        "from functools import lru_cache\n\n\n@lru_cache(None)\ndef triangle(n):\n"
        "    return 0 if n <= 0 else n + triangle(n - 1)\n",
        K.FENCED,
    ),
    Case(
        "helper defined in a later block",
        "```python\ndef triangle(n):\n    return _sum_to(n)\n```\nwith the helper:\n"
        "```python\ndef _sum_to(n):\n    return n * (n + 1) // 2\n\nprint(_sum_to(3))\n```",
        "def triangle(n):\n    return _sum_to(n)\n\ndef _sum_to(n):\n    return n * (n + 1) // 2\n",
        K.FENCED,
    ),
    Case(
        "naive version then the optimized one",
        "Naive:\n```python\ndef triangle(n):\n    return sum(range(n + 1))\n```\nFaster:\n" + FENCED,
        DEF,
        K.FENCED,
    ),
    Case(
        "table defined in an earlier block, unrelated helper ignored",
        "```python\nTABLE = [i * (i + 1) // 2 for i in range(100)]\n\ndef unused(x):\n    return x\n```\n"
        "```python\ndef triangle(n):\n    return TABLE[n]\n```",
        "TABLE = [i * (i + 1) // 2 for i in range(100)]\n\ndef triangle(n):\n    return TABLE[n]\n",
        K.FENCED,
    ),
    Case(
        "test loop and result printing dropped",
        f"```python\n{DEF}\nfor n in range(5):\n    print(n, triangle(n))\nresult = triangle(10)\nprint(result)\n```",
        DEF,
        K.FENCED,
    ),
    Case(
        "set-up calls the solution needs are kept",
        "```python\nimport sys\nsys.setrecursionlimit(10000)\n\n"
        "def triangle(n):\n    return 0 if n == 0 else n + triangle(n - 1)\n\ntriangle(5)\n```",
        "import sys\nsys.setrecursionlimit(10000)\n\n"
        "def triangle(n):\n    return 0 if n == 0 else n + triangle(n - 1)\n",
        K.FENCED,
    ),
    Case(
        "precomputed table built with the entry point is kept",
        "```python\ndef _t(n):\n    return n * (n + 1) // 2\n\nCACHE = {n: _t(n) for n in range(50)}\n\n"
        "def triangle(n):\n    return CACHE[n] if n in CACHE else _t(n)\n\nprint(triangle(7))\n```",
        "def _t(n):\n    return n * (n + 1) // 2\n\nCACHE = {n: _t(n) for n in range(50)}\n\n"
        "def triangle(n):\n    return CACHE[n] if n in CACHE else _t(n)\n",
        K.FENCED,
    ),
    Case(
        "rebinding the entry point is kept",
        "```python\nimport functools\n\ndef triangle(n):\n    return sum(range(n + 1))\n\n"
        "triangle = functools.lru_cache(maxsize=None)(triangle)\n```",
        "import functools\n\ndef triangle(n):\n    return sum(range(n + 1))\n\n"
        "triangle = functools.lru_cache(maxsize=None)(triangle)\n",
        K.FENCED,
    ),
    Case(
        "state set on the function object is kept, its test is not",
        "```python\ndef triangle(n):\n    if n not in triangle.memo:\n        triangle.memo[n] = n * (n + 1) // 2\n"
        "    return triangle.memo[n]\n\n\ntriangle.memo = {}\nprint(triangle.memo, triangle(3))\n```",
        "def triangle(n):\n    if n not in triangle.memo:\n        triangle.memo[n] = n * (n + 1) // 2\n"
        "    return triangle.memo[n]\n\n\ntriangle.memo = {}\n",
        K.FENCED,
    ),
    Case(
        "main() reading stdin dropped with its call",
        f"```python\n{DEF}\n\ndef main():\n    print(triangle(int(input())))\n\n\nmain()\n```",
        DEF,
        K.FENCED,
    ),
    Case(
        "unittest class and runner dropped, with their import",
        f"```python\nimport unittest\n\n{DEF}\n\nclass TestTriangle(unittest.TestCase):\n"
        "    def test_small(self):\n        self.assertEqual(triangle(3), 6)\n\n\nunittest.main()\n```",
        DEF,
        K.FENCED,
    ),
    Case(
        "usage written before the definition",
        f"```python\nprint(triangle(4))\n\n{DEF}```",
        DEF,
        K.FENCED,
    ),
    Case(
        "entry point as a lambda",
        "```python\ntriangle = lambda n: n * (n + 1) // 2\n```",
        "triangle = lambda n: n * (n + 1) // 2\n",
        K.FENCED,
    ),
    Case(
        "install command and output blocks ignored",
        f"```bash\npip install nothing\n```\n{FENCED}\nOutput:\n```\n10\n```",
        DEF,
        K.FENCED,
    ),
    Case(
        "indented fences in a list item",
        "1. The code:\n\n   ```python\n   def triangle(n):\n       return n * (n + 1) // 2\n   ```\n2. Done.",
        DEF,
        K.FENCED,
    ),
    Case(
        "three backticks inside a docstring line",
        '```python\ndef triangle(n):\n    """Call as ```triangle(3)``` to get 6."""\n    return n * (n + 1) // 2\n```',
        'def triangle(n):\n    """Call as ```triangle(3)``` to get 6."""\n    return n * (n + 1) // 2\n',
        K.FENCED,
    ),
    Case(
        "fence at a line start inside a docstring: the longer reading",
        '```python\ndef triangle(n):\n    """Example:\n```\n>>> triangle(3)\n6\n```\n    """\n'
        "    return n * (n + 1) // 2\n```\nDone.",
        'def triangle(n):\n    """Example:\n```\n>>> triangle(3)\n6\n```\n    """\n    return n * (n + 1) // 2\n',
        K.FENCED,
    ),
    Case(
        "fence inside a string constant",
        '```python\nFENCE = """\n```\n"""\n\ndef triangle(n):\n    return n * (n + 1) // 2\n```',
        'FENCE = """\n```\n"""\n\ndef triangle(n):\n    return n * (n + 1) // 2\n',
        K.FENCED,
    ),
    Case("unclosed fence at the end (cut off after the code)", f"Code:\n```python\n{DEF}", DEF, K.FENCED),
    Case("bare code", DEF, DEF, K.BARE),
    Case("bare code with a trailing call", DEF + "\nprint(triangle(4))\n", DEF, K.BARE),
    Case("bare code then a lone closing fence", DEF + "```\n", DEF, K.BARE),
    Case("lone closing fence then prose", DEF + "```\n\nThis is O(1).", DEF, K.PROSE),
    Case("code between prose", f"Here you go.\n\n{DEF}\nIt returns the sum.", DEF, K.PROSE),
    Case(
        "import and function in separate prose paragraphs",
        "First:\nimport math\nThen the function:\ndef triangle(n):\n    return math.comb(n + 1, 2)\nThat is all.",
        "import math\n\ndef triangle(n):\n    return math.comb(n + 1, 2)\n",
        K.PROSE,
    ),
    Case(
        "class Solution is adapted",
        "```python\nclass Solution:\n    def triangle(self, n: int) -> int:\n        return n * (n + 1) // 2\n```",
        "class Solution:\n    def triangle(self, n: int) -> int:\n        return n * (n + 1) // 2\n\n\n"
        "def triangle(*args, **kwargs):\n"
        "    # adapted by effbench: the answer defines triangle as a method of class Solution\n"
        "    return Solution().triangle(*args, **kwargs)\n",
        K.FENCED,
    ),
    Case(
        "class Solution using List without importing it, with a usage line",
        "```python\nclass Solution:\n    def triangle(self, n: int) -> int:\n        return sum(self.parts(n))\n\n"
        "    def parts(self, n: int) -> List[int]:\n        return list(range(n + 1))\n\n\n"
        "print(Solution().triangle(4))\n```",
        "from typing import List\n\nclass Solution:\n    def triangle(self, n: int) -> int:\n"
        "        return sum(self.parts(n))\n\n    def parts(self, n: int) -> List[int]:\n"
        "        return list(range(n + 1))\n\n\ndef triangle(*args, **kwargs):\n"
        "    # adapted by effbench: the answer defines triangle as a method of class Solution\n"
        "    return Solution().triangle(*args, **kwargs)\n",
        K.FENCED,
    ),
    Case(
        "class whose constructor needs arguments",
        "```python\nclass Solution:\n    def __init__(self, k):\n        self.k = k\n\n"
        "    def triangle(self, n):\n        return n * (n + 1) // 2\n```",
        None,
        K.METHOD_NEEDS_INSTANCE,
    ),
    Case(
        "reasoning with a draft, then the answer",
        "<think>A loop?\n```python\ndef triangle(n):\n    return n\n```\nNo: Gauss.</think>\n\nFinal answer:\n"
        + FENCED,
        DEF,
        K.FENCED,
    ),
    Case(
        "reasoning with an unclosed fence, then the answer",
        "<think>\nDraft:\n```python\ndef triangle(n):\n    t = 0\n</think>\n" + FENCED,
        DEF,
        K.FENCED,
    ),
    Case(
        "closing think tag only (the template opened it)",
        "The user wants a sum.\n```python\ndef triangle(n):\n    return -1\n```\n</think>\n" + FENCED,
        DEF,
        K.FENCED,
    ),
    Case(
        "reasoning cut off inside the block",
        "<think>\nLet me write it.\n```python\ndef triangle(n):\n    return n * (n + 1) // 2\n```\nNow check",
        None,
        K.REASONING_ONLY,
    ),
    Case("reasoning and nothing after it", f"<think>\n{FENCED}\n</think>\n\n", None, K.REASONING_ONLY),
    Case(
        "reasoning then prose only",
        f"<thinking>{FENCED}</thinking>\nThe formula is n(n+1)/2.",
        None,
        K.NO_CODE,
    ),
    Case("bare code after reasoning", f"<think>easy</think>\n{DEF}", DEF, K.BARE),
    Case(
        "syntax error in the block",
        "```python\ndef triangle(n)\n    return n * (n + 1) // 2\n```",
        "def triangle(n)\n    return n * (n + 1) // 2\n",
        K.SYNTAX_ERROR,
    ),
    Case(
        "syntax error in bare code",
        "def triangle(n):\n    return n * (n + 1) // 2 +\n",
        "def triangle(n):\n    return n * (n + 1) // 2 +\n",
        K.SYNTAX_ERROR,
    ),
    Case("no code at all", "No idea, sorry.", None, K.NO_CODE),
    Case("another language only", "```javascript\nfunction triangle(n) { return 1 }\n```", None, K.NO_CODE),
    Case("block defines another function", "```python\ndef other(n):\n    return 1\n```", None, K.NO_CODE),
    Case(
        "entry point only under a main guard",
        "```python\nif __name__ == '__main__':\n    def triangle(n):\n        return 0\n```",
        None,
        K.NO_CODE,
    ),
]


def Completion(*args: object, **kwargs: object) -> Case:  # noqa: N802 - reads as a table row
    return Case(*args, mode="completion", **kwargs)  # type: ignore[arg-type]


COMPLETION = [
    Completion("body only", "    return n * (n + 1) // 2\n", PROMPT + "    return n * (n + 1) // 2\n", K.COMPLETION),
    Completion(
        "body, a call and prose",
        "    return n * (n + 1) // 2\n\n\nprint(triangle(4))\nThis prints 10.\n",
        PROMPT + "    return n * (n + 1) // 2\n",
        K.COMPLETION,
    ),
    Completion(
        "body and a main guard",
        "    return n * (n + 1) // 2\n\n\nif __name__ == '__main__':\n    print(triangle(4))\n",
        PROMPT + "    return n * (n + 1) // 2\n",
        K.COMPLETION,
    ),
    Completion(
        "body then a closing fence and an explanation",
        "    return sum(range(n + 1))\n```\nExplanation: it sums.",
        PROMPT + "    return sum(range(n + 1))\n",
        K.COMPLETION,
    ),
    Completion(
        "body and a helper after it",
        "    return _gauss(n)\n\n\ndef _gauss(n):\n    return n * (n + 1) // 2\n\n\nassert triangle(4) == 10\n",
        PROMPT + "    return _gauss(n)\n\n\ndef _gauss(n):\n    return n * (n + 1) // 2\n",
        K.COMPLETION,
    ),
    Completion(
        "body indented one space too many",
        "     total = 0\n     for i in range(n + 1):\n         total += i\n     return total\n",
        PROMPT + "    total = 0\n    for i in range(n + 1):\n        total += i\n    return total\n",
        K.COMPLETION,
    ),
    Completion(
        "first line lost its indentation",
        "total = 0\n    for i in range(n + 1):\n        total += i\n    return total\n",
        PROMPT + "    total = 0\n    for i in range(n + 1):\n        total += i\n    return total\n",
        K.COMPLETION,
    ),
    Completion(
        "body indented two spaces",
        "  return n * (n + 1) // 2\n",
        PROMPT + "    return n * (n + 1) // 2\n",
        K.COMPLETION,
    ),
    Completion(
        "multi-line string with lines at column 0",
        '    note = """\nsum of\n1..n"""\n    return n * (n + 1) // 2\n',
        PROMPT + '    note = """\nsum of\n1..n"""\n    return n * (n + 1) // 2\n',
        K.COMPLETION,
    ),
    Completion(
        "fence at a line start inside a string: the longer reading",
        '    s = """\n```\n"""\n    return n * (n + 1) // 2\n```\nDone.',
        PROMPT + '    s = """\n```\n"""\n    return n * (n + 1) // 2\n',
        K.COMPLETION,
    ),
    Completion(
        "the model restarts the function",
        "def triangle(n: int) -> int:\n    return n * (n + 1) // 2\n",
        PROMPT + "def triangle(n: int) -> int:\n    return n * (n + 1) // 2\n",
        K.COMPLETION,
    ),
    Completion(
        "body and a test function with its call",
        "    return n * (n + 1) // 2\n\n\ndef test_triangle():\n    assert triangle(4) == 10\n\n\ntest_triangle()\n",
        PROMPT + "    return n * (n + 1) // 2\n",
        K.COMPLETION,
    ),
    Completion("a chat-style answer in completion mode", f"Sure!\n{FENCED}\n", DEF, K.FENCED),
    Completion(
        "reasoning, then the body",
        "<think>Gauss's formula.</think>\n    return n * (n + 1) // 2\n",
        PROMPT + "\n    return n * (n + 1) // 2\n",
        K.COMPLETION,
    ),
    Completion("reasoning only", "<think>Gauss's formula, so the body is", None, K.REASONING_ONLY),
    Completion(
        "syntax error in the body",
        "    return n * (n + 1) //\n",
        PROMPT + "    return n * (n + 1) //\n",
        K.SYNTAX_ERROR,
    ),
    Completion("prose instead of code", "I think you should add the numbers.", None, K.NO_CODE),
    Completion("empty completion", "\n\n", None, K.EMPTY),
]


def _run(code: str) -> object:
    namespace: dict = {"__name__": "solution"}
    exec(compile(code, "solution.py", "exec", dont_inherit=True), namespace)
    return namespace[ENTRY](4)


@pytest.mark.parametrize("case", [*CHAT, *COMPLETION], ids=lambda c: f"{c.mode}: {c.name}")
def test_the_program_extracted_from_a_real_looking_answer(case: Case):
    """Every answer shape gives exactly the program written in the table (or the failure kind),
    and every program found runs: triangle(4) == 10."""
    if case.mode == "chat":
        got = extract_chat(case.answer, ENTRY)
    else:
        got = extract_completion(PROMPT, case.answer, ENTRY)
    assert got.kind is case.kind, got.reason
    if case.code is not None:
        assert got.code == case.code
    if case.kind in FOUND and case.kind is not K.SYNTAX_ERROR:
        assert got.code is not None and _run(got.code) == 10
    elif case.kind is not K.SYNTAX_ERROR:
        assert got.code is None and got.reason


def test_the_table_is_large_and_covers_both_modes():
    """The issue asks for at least 40 answers, chat and completion, with and without reasoning."""
    assert len(CHAT) + len(COMPLETION) >= 40
    assert any("<think>" in c.answer for c in COMPLETION) and any("<think>" in c.answer for c in CHAT)


def test_reasoning_length_is_counted_and_never_read_as_code():
    """The characters inside reasoning blocks are reported (they are paid for), whether the block
    is closed, unclosed, or only closed."""
    assert split_reasoning("<think>abcd</think>x") == ("x", 4, False)
    assert split_reasoning("a<think>abcdef") == ("a", 6, True)
    assert split_reasoning("abc</think>x") == ("x", 3, False)
    got = extract_chat("<think>" + "x" * 500 + "</think>\n" + FENCED, ENTRY)
    assert got.reasoning_chars == 500 and got.code == DEF
    assert extract_completion(PROMPT, "<think>12345</think>", ENTRY).reasoning_chars == 5


def test_the_same_syntax_error_gets_the_same_reason_in_chat_and_completion_mode():
    """One broken function: chat and completion mode hand the same program on with the same reason
    (the sandbox then reports SyntaxError in both, as for a samples file)."""
    body = "    return n * (n + 1) //\n"
    chat = extract_chat(f"```python\n{PROMPT}{body}```", ENTRY)
    completion = extract_completion(PROMPT, body, ENTRY)
    assert chat.kind is completion.kind is K.SYNTAX_ERROR
    assert chat.code == completion.code == PROMPT + body
    assert chat.reason == completion.reason
    assert "SyntaxError: invalid syntax (line 3)" in chat.reason


def test_dropped_usage_code_is_listed():
    """What was removed is said, line by line, so a surprising score can be traced."""
    got = extract_chat(f"```python\n{DEF}print(triangle(3))\nassert triangle(1) == 1\n```", ENTRY)
    assert got.dropped == ("line 3: print(triangle(3))", "line 4: assert triangle(1) == 1")
    assert "dropped 2 statements" in got.reason


def test_the_reasoning_length_reaches_the_sample_usage():
    """The runner copies the reasoning's length (characters, and its share of the completion
    tokens) into the sample's usage, with the dropped usage code."""
    from effbench.models.cache import CachedAnswer
    from effbench.models.client import ModelSpec
    from effbench.models.strategies import _to_sample
    from effbench.problems import load_problem_set

    from .conftest import MINI

    problem = load_problem_set(MINI).get(ENTRY)
    text = "<think>" + "r" * 300 + f"</think>```python\n{DEF}print(triangle(3))\n```"
    answer = CachedAnswer(text, 50.0, 100.0, 0.1, "stop", "id-1", 1)
    sample = _to_sample(problem, ModelSpec(name="m", base_url="http://x"), "m", 0, answer, None, {})
    usage = sample.meta["usage"]
    assert usage["reasoning_chars"] == 300
    assert usage["reasoning_tokens"] == pytest.approx(100.0 * 300 / len(text), abs=0.1)
    assert sample.code == DEF and "after reasoning" in sample.meta["extraction"]
    assert sample.meta["extraction_dropped"] == ["line 3: print(triangle(3))"]


HOSTILE = [
    "-" * 200_000 + "1",  # the parser's stack
    "def triangle(n):\n    return " + "+".join(["1"] * 100_000) + "\n",  # the compiler's recursion
    "(" * 100_000,
    "```python\n" + "[" * 5000 + "]" * 5000 + "\ndef triangle(n):\n    return 1\n```",
    "\x00def triangle(n):\n    return 1\n",
    "<think>" * 1000,
    "</think>" * 1000,
    "```" * 10_000,
    "```\n" * 10_000,
    "~~~~\n" * 1000 + DEF,
    "\ud800" + DEF,
    "\r\n".join(DEF.splitlines()),
]


@pytest.mark.parametrize("answer", HOSTILE, ids=range(len(HOSTILE)))
def test_extraction_never_raises_on_hostile_answers(answer):
    """Whatever a model writes, extraction returns a result (a failure with its reason at worst):
    deep nesting, null bytes, surrogates, thousands of fences or reasoning tags."""
    for got in (extract_chat(answer, ENTRY), extract_completion(PROMPT, answer, ENTRY)):
        assert got.reason and (got.code is None) == (got.kind not in FOUND)


REASONING_CHAT = (
    "<think>\nFirst try:\n```python\ndef triangle(n):\n    return n * n\n```\nNo: triangle(2) is 3, not 4.\n"
    "Gauss is O(1); but what if the block is not closed\n```python\n</think>\n\n"
    "Final answer:\n```python\ndef triangle(n):\n    return n * (n + 1) // 2 if n > 0 else 0\n```\n\n"
    "Usage:\n```python\nprint(triangle(4))  # 10\n```\n"
)
SHIFTED_COMPLETION = "     return n * (n + 1) // 2 if n > 0 else 0\n\n\nprint(triangle(4))\n"


@pytest.mark.parametrize(
    "mode,answer", [("chat", REASONING_CHAT), ("completion", SHIFTED_COMPLETION)], ids=["chat", "completion"]
)
def test_a_correct_answer_in_a_real_shape_scores_end_to_end(tmp_path, mode, answer):
    """Through the CLI and a real HTTP server: an answer with reasoning, a draft, an unclosed fence
    in the reasoning and a usage block (chat), or a body one space off with a call after it
    (completion), is scored correct, and the reasoning's length is in the record's usage."""
    import json
    import os
    import subprocess
    import sys

    from .conftest import MINI
    from .openai_fake import FakeOpenAI

    with FakeOpenAI(lambda prompt, index: answer) as server:
        run_dir = tmp_path / "run"
        args = ["evaluate", "--problems-dir", str(MINI), "--problems", "triangle", "--model", "scripted-model"]
        args += ["--base-url", server.base_url, "--mode", mode, "--samples", "2", "--run-dir", str(run_dir)]
        args += ["--meter", "time", "--workers", "1"]
        env = {**os.environ, "EFFBENCH_CACHE_DIR": str(tmp_path / "cache"), "OPENAI_API_KEY": "x"}
        out = subprocess.run([sys.executable, "-m", "effbench", *args], capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stderr
    records = [json.loads(x) for x in (run_dir / "samples.jsonl").read_text().splitlines()]
    assert len(records) == 2
    for r in records:
        assert r["passed"] and not r["failed"], r["meta"]
        dropped = r["meta"]["extraction_dropped"]  # chat: the usage block is never included at all
        assert dropped == [] if mode == "chat" else len(dropped) == 1 and dropped[0].endswith(": print(triangle(4))")
    reasoning = REASONING_CHAT.index("</think>") - len("<think>") if mode == "chat" else 0
    assert all(r["meta"]["usage"]["reasoning_chars"] == reasoning for r in records)


@pytest.mark.parametrize(
    "answer",
    [
        "```python\ndef f(x):\n    s = '<think>'\n    return x + len(s)\n```\n",
        "def f(x):\n    s = '<think>'\n    return x + len(s)\n",
        "```python\ndef f(x):\n    return len('</think>') + x\n```\n",
    ],
)
def test_reasoning_tags_inside_string_literals_are_code(answer):
    """A tag written inside quotes is a string of the code (a problem about markup), not the
    start or end of a reasoning block: the answer's code comes out whole and runs."""
    got = extract_chat(answer, "f")
    assert got.code is not None, got.reason
    namespace: dict = {}
    exec(got.code, namespace)
    assert namespace["f"](1) in (8, 9)


def test_a_candidates_compile_warnings_never_reach_the_users_stderr():
    """Invariant: extracting code whose compile warns (``"is" with a literal``, once per
    occurrence) prints nothing on the stderr of the process doing it (effbench, or a trainer
    scoring rewards), under Python's default warning filters; the code is still found. Fault it
    blocks (red team, helper-78): a completion of 3,000 such lines printed 3,000 warning lines."""
    script = (
        "from effbench.models.extract import extract_chat\n"
        "code = 'def triangle(n):\\n    return n\\n' + ''.join('x%d = %d is %d\\n' % (i, i, i) for i in range(300))\n"
        "found = extract_chat('```python\\n' + code + '```', 'triangle')\n"
        "print(found.kind)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "fenced"
    assert done.stderr == ""


# --- red team rt-models: line ends, fences left open, answers with nothing in them ----------------


@pytest.mark.parametrize(
    "answer",
    [
        FENCED.replace("\n", "\r\n"),
        FENCED.replace("\n", "\r"),
        "Here it is:\r```python\r" + DEF.replace("\n", "\r") + "```\rO(1).",
        DEF.replace("\n", "\r"),
    ],
    ids=["crlf-fenced", "cr-fenced", "cr-with-prose", "cr-bare"],
)
def test_line_ends_of_any_kind_are_read_as_python_reads_them(answer):
    """An answer whose lines end in CRLF (Windows) or CR alone (old Mac) gives the same program as
    with LF: Python reads a source file with universal newlines, so extraction does too. Before,
    CR-only answers were 'no code defining triangle()' (no fence or def line was ever seen), and
    CRLF code kept its carriage returns into the program."""
    found = extract_chat(answer, ENTRY)
    assert found.code == DEF, found


@pytest.mark.parametrize(
    "answer",
    [
        f"```python\n{DEF}\nThis runs in O(1): Gauss's formula.",
        f"Sure:\n```python\n{DEF}\nprint(triangle(4))\nThat prints 10, which is right.\n",
    ],
    ids=["prose-after", "usage-then-prose"],
)
def test_an_unclosed_fence_followed_by_prose_gives_its_code(answer):
    """A fence left open with prose after the code (no closing fence) gives the code up to its
    last top-level line that parses, not the prose: the sample runs. Before, the whole rest of the
    answer was the block, which did not parse, and a correct solution was run as a SyntaxError."""
    found = extract_chat(answer, ENTRY)
    assert found.kind is K.FENCED and found.code == DEF, found


@pytest.mark.parametrize("answer", ["", "  \n\t\r\n"])
def test_an_empty_chat_answer_is_said_to_be_empty(answer):
    """A chat answer with no text (tool calls instead of content, a content filter, reasoning sent
    in its own field only) is the typed verdict EMPTY, 'empty answer', as in completion mode; not
    'no code defining triangle()', which reads as if the model had written something else."""
    found = extract_chat(answer, ENTRY)
    assert found.code is None and found.kind is K.EMPTY and found.reason == "empty answer"
