r"""Choose the starter set's completion-mode prompt format on a separate dev set (issue 15 item 6).

The starter set's prompt format (its few-shot preamble, whether a docstring states the input
bounds) was chosen on the 14 small problems below, not on the starter set: none of them is a
starter problem or a problem of the main set, and none is scored anywhere else. Each is asked in
the starter set's style (signature, docstring, >>> examples; the body left to the model), sent to
an OpenAI-compatible completions endpoint with the starter set's stop sequences, and checked on a
few inputs of our own in a subprocess (trusted-machine use only: this is not a sandbox).

    .venv/bin/python scripts/starter_prompt_probe.py --base-url http://127.0.0.1:18441/v1 --model gemma \\
        --prefix problems/starter/completion_prefix.py --no-bounds --samples 3 --temperature 0.2

prints the pass rate over every (problem, sample) and the problems with a correct sample.
Problems, examples and checks are written by us.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

STOP = ["\ndef ", "\nclass ", "\nif __name__", "\n#"]
#: (name, parameters, return type, statement, bounds, docstring examples, checks as (args, expected))
DEV = [
    ("count_even", "nums: list[int]", "int", "Return how many numbers in nums are even.",
     "0 <= len(nums) <= 100_000, -10**9 <= nums[i] <= 10**9",
     [("[1, 2, 4, 7]", "2"), ("[3, 5]", "0"), ("[]", "0")],
     [([[1, 2, 4, 7]], 2), ([[]], 0), ([[0, -2, 3]], 2), ([[5] * 7], 0)]),
    ("min_value", "nums: list[int]", "int", "Return the smallest number in nums. nums is never empty.",
     "1 <= len(nums) <= 200_000, -10**9 <= nums[i] <= 10**9",
     [("[3, 9, 2]", "2"), ("[-5, -1, -7]", "-7"), ("[4]", "4")],
     [([[3, 9, 2]], 2), ([[-5, -1, -7]], -7), ([[4]], 4), ([[10, 20, -30, 40]], -30)]),
    ("to_upper", "s: str", "str", "Return s with every letter written in capitals.",
     "0 <= len(s) <= 1_000_000, s has only lowercase letters a-z",
     [('"hello"', "'HELLO'"), ('"ab"', "'AB'"), ('""', "''")],
     [(["hello"], "HELLO"), ([""], ""), (["xyz"], "XYZ")]),
    ("contains_value", "nums: list[int], target: int", "bool", "Return True if target appears in nums, else False.",
     "0 <= len(nums) <= 100_000",
     [("[1, 2, 3], 2", "True"), ("[1, 2, 3], 5", "False"), ("[], 1", "False")],
     [([[1, 2, 3], 2], True), ([[1, 2, 3], 5], False), ([[], 1], False), ([[7, 7], 7], True)]),
    ("count_spaces", "s: str", "int", "Return how many space characters are in s.", "0 <= len(s) <= 1_000_000",
     [('"a b c"', "2"), ('"abc"', "0"), ('""', "0")],
     [(["a b c"], 2), ([""], 0), (["  x "], 3), (["abc"], 0)]),
    ("double_all", "nums: list[int]", "list[int]",
     "Return a new list with every number of nums multiplied by 2, in the same order.", "0 <= len(nums) <= 30_000",
     [("[1, 2, 3]", "[2, 4, 6]"), ("[-4, 0]", "[-8, 0]"), ("[]", "[]")],
     [([[1, 2, 3]], [2, 4, 6]), ([[]], []), ([[-4, 0, 5]], [-8, 0, 10])]),
    ("count_negative", "nums: list[int]", "int", "Return how many numbers in nums are smaller than 0.",
     "0 <= len(nums) <= 100_000",
     [("[-1, 2, -3]", "2"), ("[0, 5]", "0"), ("[]", "0")],
     [([[-1, 2, -3]], 2), ([[0, 5]], 0), ([[]], 0), ([[-9] * 4], 4)]),
    ("longest_word", "words: list[str]", "int",
     "Return the length of the longest word in words (0 when words is empty).",
     "0 <= len(words) <= 100_000",
     [('["a", "abc", "ab"]', "3"), ('["hello"]', "5"), ("[]", "0")],
     [([["a", "abc", "ab"]], 3), ([[]], 0), ([["hello", "x"]], 5)]),
    ("all_positive", "nums: list[int]", "bool",
     "Return True if every number in nums is greater than 0, else False (True when nums is empty).",
     "0 <= len(nums) <= 100_000",
     [("[1, 2, 3]", "True"), ("[1, -2]", "False"), ("[]", "True")],
     [([[1, 2, 3]], True), ([[1, -2]], False), ([[]], True), ([[0]], False)]),
    ("sum_of_squares", "nums: list[int]", "int", "Return the sum of the squares of the numbers in nums.",
     "0 <= len(nums) <= 100_000",
     [("[1, 2, 3]", "14"), ("[-2]", "4"), ("[]", "0")],
     [([[1, 2, 3]], 14), ([[-2]], 4), ([[]], 0), ([[5, 5]], 50)]),
    ("distinct_sorted", "nums: list[int]", "list[int]",
     "Return the different values of nums, sorted from smallest to largest.", "0 <= len(nums) <= 100_000",
     [("[3, 1, 3, 2]", "[1, 2, 3]"), ("[5, 5]", "[5]"), ("[]", "[]")],
     [([[3, 1, 3, 2]], [1, 2, 3]), ([[5, 5]], [5]), ([[]], []), ([[0, -1, 0]], [-1, 0])]),
    ("first_word", "text: str", "str",
     "Return the first word of text. Words are separated by single spaces; text is not empty.",
     "1 <= len(text) <= 1_000_000",
     [('"the cat sat"', "'the'"), ('"hello"', "'hello'")],
     [(["the cat sat"], "the"), (["hello"], "hello"), (["a b"], "a")]),
    ("repeat_string", "s: str, n: int", "str", "Return s written n times one after the other.",
     "0 <= len(s) * n <= 1_000_000",
     [('"ab", 3', "'ababab'"), ('"x", 0', "''")],
     [(["ab", 3], "ababab"), (["x", 0], ""), (["", 5], ""), (["q", 2], "qq")]),
    ("count_greater", "nums: list[int], limit: int", "int", "Return how many numbers in nums are greater than limit.",
     "0 <= len(nums) <= 100_000",
     [("[1, 5, 9], 4", "2"), ("[1], 3", "0"), ("[], 0", "0")],
     [([[1, 5, 9], 4], 2), ([[1], 3], 0), ([[], 0], 0), ([[4, 4, 5], 4], 1)]),
]  # fmt: skip

_CHECK = """
import json, sys
case = json.loads(sys.stdin.read())
namespace = {}
exec(case["code"], namespace)
f = namespace[case["name"]]
sys.exit(0 if all(f(*args) == expected for args, expected in case["checks"]) else 1)
"""


def prompt(problem: tuple, bounds: bool) -> str:
    """The dev problem's prompt in the starter set's style; ``bounds``: with a ``Constraints:`` line."""
    name, params, ret, statement, limits, examples, _ = problem
    lines = [f"def {name}({params}) -> {ret}:", f'    """{statement}', ""]
    if bounds:
        lines += [f"    Constraints: {limits}.", ""]
    for call, shown in examples:
        lines += [f"    >>> {name}({call})", f"    {shown}"]
    return "\n".join([*lines, '    """', ""])


def passes(code: str, name: str, checks: list, timeout: float = 5.0) -> bool:
    """True when ``code`` defines ``name`` and it returns every check's expected value (a subprocess)."""
    case = json.dumps({"code": code, "name": name, "checks": checks})
    try:
        command = [sys.executable, "-c", _CHECK]
        out = subprocess.run(command, input=case, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return False
    return out.returncode == 0


def main(argv: list[str] | None = None) -> int:
    """Probe one prompt format on the dev set; prints the pass rate (0; 2 on a bad option)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--model", required=True)
    parser.add_argument("--prefix", type=Path, help="few-shot preamble file (none when left out)")
    parser.add_argument("--bounds", action=argparse.BooleanOptionalAction, default=True, help="state the bounds")
    parser.add_argument("--samples", type=int, default=1)
    parser.add_argument("--temperature", type=float, default=0.0)
    parser.add_argument("--max-tokens", type=int, default=128)
    parser.add_argument("--seed", type=int, default=100, help="sample i is sent with seed + i")
    args = parser.parse_args(argv)
    from openai import OpenAI

    preamble = args.prefix.read_text().rstrip() + "\n\n\n" if args.prefix else ""
    client = OpenAI(base_url=args.base_url, api_key="none", max_retries=5)
    total = good = 0
    solved = []
    for problem in DEV:
        text = prompt(problem, args.bounds)
        hits = 0
        for i in range(args.samples):
            answer = client.completions.create(
                model=args.model,
                prompt=preamble + text,
                max_tokens=args.max_tokens,
                temperature=args.temperature,
                seed=args.seed + i,
                stop=STOP,
                extra_body={"repeat_penalty": 1.0},
            )
            hits += passes(text + answer.choices[0].text, problem[0], problem[6])
        total, good = total + args.samples, good + hits
        if hits:
            solved.append(f"{problem[0]} {hits}/{args.samples}")
    print(f"pass rate {good}/{total} = {good / total:.3f}; solved: {', '.join(solved) or 'none'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
