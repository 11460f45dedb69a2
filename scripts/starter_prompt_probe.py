r"""Choose the starter set's completion-mode prompt format on a separate dev set (issue 15 item 6).

The starter set's prompt format (its few-shot preamble, whether a docstring states the input
bounds) was chosen on the small problems below (14 for set 0.2.0, 40 for set 0.3.0), not on the
starter set: none of them is a starter problem or a problem of the main set, nor one of the
preamble's examples, and none is scored anywhere else. Each is asked in
the starter set's style (signature, docstring, >>> examples; the body left to the model), sent to
an OpenAI-compatible completions endpoint with the starter set's stop sequences (``--mode chat``:
to the chat endpoint in effbench's default system prompt and template, no stops, as a chat-mode
run asks), read with effbench's own extraction (the code a run would score) and checked on a few
inputs of our own in a subprocess (trusted-machine use only: this is not a sandbox).
``--extra-body JSON`` sets the server's sampling options (default ``{"repeat_penalty": 1.0}``).

    .venv/bin/python scripts/starter_prompt_probe.py --base-url http://127.0.0.1:18441/v1 --model gemma \\
        --prefix problems/starter/completion_prefix.py --no-bounds --samples 2 --temperature 0.2 --seed 101

prints the pass rate over every (problem, sample) and the problems with a correct sample
(``--temperature 0``: greedy, one sample).
Problems, examples and checks are written by us.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

STOP = ["\ndef ", "\nclass ", "\nif __name__", "\n#"]
#: (name, parameters, return type, statement, bounds ('' where none is written), docstring examples,
#: checks as (args, expected))
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
    # added for set 0.3.0 (26 more, so that one problem is 0.025 of the rate, not 0.07)
    ("count_odd", "nums: list[int]", "int", "Return how many numbers in nums are odd.", "",
     [("[1, 2, 3]", "2"), ("[2, 4]", "0"), ("[]", "0")],
     [([[1, 2, 3]], 2), ([[]], 0), ([[-3, 5, 8]], 2)]),
    ("product_list", "nums: list[int]", "int", "Return the product of all numbers in nums (1 when nums is empty).", "",
     [("[2, 3, 4]", "24"), ("[5]", "5"), ("[]", "1")],
     [([[2, 3, 4]], 24), ([[]], 1), ([[-1, 7]], -7)]),
    ("count_digits_in", "s: str", "int", "Return how many characters of s are decimal digits.", "",
     [('"a1b22"', "3"), ('"abc"', "0"), ('""', "0")],
     [(["a1b22"], 3), ([""], 0), (["9x9x9"], 3)]),
    ("average", "nums: list[int]", "float", "Return the average of the numbers in nums. nums is never empty.", "",
     [("[1, 2, 3]", "2.0"), ("[4]", "4.0")],
     [([[1, 2, 3]], 2.0), ([[4]], 4.0), ([[1, 2]], 1.5)]),
    ("last_element", "nums: list[int]", "int", "Return the last number of nums. nums is never empty.", "",
     [("[1, 2, 3]", "3"), ("[7]", "7")],
     [([[1, 2, 3]], 3), ([[7]], 7), ([[0, -1]], -1)]),
    ("count_letter_a", "words: list[str]", "int", "Return how many words in words start with the letter 'a'.", "",
     [('["apple", "bee", "ant"]', "2"), ('["bee"]', "0"), ("[]", "0")],
     [([["apple", "bee", "ant"]], 2), ([[]], 0), ([["a", "b", "ab"]], 2)]),
    ("strip_spaces", "s: str", "str", "Return s with every space character removed.", "",
     [('"a b c"', "'abc'"), ('"  "', "''"), ('"xy"', "'xy'")],
     [(["a b c"], "abc"), (["  "], ""), (["xy"], "xy"), ([" q "], "q")]),
    ("index_of", "nums: list[int], target: int", "int",
     "Return the index of the first occurrence of target in nums, or -1 when target is not in nums.", "",
     [("[5, 6, 5], 5", "0"), ("[1, 2], 9", "-1")],
     [([[5, 6, 5], 5], 0), ([[1, 2], 9], -1), ([[1, 2, 3], 3], 2), ([[], 1], -1)]),
    ("concat_lists", "a: list[int], b: list[int]", "list[int]",
     "Return the numbers of a followed by the numbers of b.", "",
     [("[1, 2], [3]", "[1, 2, 3]"), ("[], [4]", "[4]")],
     [([[1, 2], [3]], [1, 2, 3]), ([[], [4]], [4]), ([[], []], [])]),
    ("square_numbers_sum", "n: int", "int", "Return 1*1 + 2*2 + ... + n*n (0 when n is 0).", "",
     [("3", "14"), ("1", "1"), ("0", "0")],
     [([3], 14), ([0], 0), ([10], 385)]),
    ("is_sorted", "nums: list[int]", "bool", "Return True if nums is in non-decreasing order, else False.", "",
     [("[1, 2, 2, 5]", "True"), ("[3, 1]", "False"), ("[]", "True")],
     [([[1, 2, 2, 5]], True), ([[3, 1]], False), ([[]], True), ([[1, 3, 2]], False)]),
    ("negate_all", "nums: list[int]", "list[int]",
     "Return a new list with the sign of every number of nums flipped.", "",
     [("[1, -2, 0]", "[-1, 2, 0]"), ("[]", "[]")],
     [([[1, -2, 0]], [-1, 2, 0]), ([[]], []), ([[5]], [-5])]),
    ("count_upper", "s: str", "int", "Return how many capital letters A-Z are in s.", "",
     [('"Hello World"', "2"), ('"abc"', "0"), ('""', "0")],
     [(["Hello World"], 2), ([""], 0), (["ABC"], 3)]),
    ("second_largest", "nums: list[int]", "int",
     "Return the second largest number of nums (the largest after removing one copy of the largest). "
     "len(nums) >= 2.", "",
     [("[3, 9, 4]", "4"), ("[5, 5]", "5")],
     [([[3, 9, 4]], 4), ([[5, 5]], 5), ([[1, 2, 3, 4]], 3)]),
    ("words_longer_than", "words: list[str], n: int", "list[str]",
     "Return the words of words that have more than n letters, in the same order.", "",
     [('["a", "abc", "abcd"], 2', "['abc', 'abcd']"), ("[], 1", "[]")],
     [([["a", "abc", "abcd"], 2], ["abc", "abcd"]), ([[], 1], []), ([["hi"], 5], [])]),
    ("sum_range", "a: int, b: int", "int", "Return the sum of all integers from a to b inclusive (0 when a > b).", "",
     [("1, 4", "10"), ("5, 5", "5"), ("3, 1", "0")],
     [([1, 4], 10), ([5, 5], 5), ([3, 1], 0), ([-2, 2], 0)]),
    ("remove_value", "nums: list[int], value: int", "list[int]",
     "Return nums without any occurrence of value, the others in the same order.", "",
     [("[1, 2, 1, 3], 1", "[2, 3]"), ("[4], 5", "[4]")],
     [([[1, 2, 1, 3], 1], [2, 3]), ([[4], 5], [4]), ([[], 0], [])]),
    ("capitalize_words", "words: list[str]", "list[str]",
     "Return every word of words with its first letter in capitals.", "",
     [('["hi", "there"]', "['Hi', 'There']"), ("[]", "[]")],
     [([["hi", "there"]], ["Hi", "There"]), ([[]], []), ([["a"]], ["A"])]),
    ("count_pairs_equal", "a: list[int], b: list[int]", "int",
     "a and b have the same length. Return how many positions i have a[i] == b[i].", "",
     [("[1, 2, 3], [1, 5, 3]", "2"), ("[], []", "0")],
     [([[1, 2, 3], [1, 5, 3]], 2), ([[], []], 0), ([[4], [5]], 0)]),
    ("max_abs", "nums: list[int]", "int",
     "Return the largest absolute value of the numbers in nums. nums is never empty.", "",
     [("[-7, 3, 5]", "7"), ("[2]", "2")],
     [([[-7, 3, 5]], 7), ([[2]], 2), ([[0, -1, 1]], 1)]),
    ("starts_with", "s: str, prefix: str", "bool", "Return True if s begins with prefix, else False.", "",
     [('"hello", "he"', "True"), ('"hello", "lo"', "False")],
     [(["hello", "he"], True), (["hello", "lo"], False), (["", ""], True), (["a", "ab"], False)]),
    ("keep_even", "nums: list[int]", "list[int]", "Return the even numbers of nums, in the same order.", "",
     [("[1, 2, 3, 4]", "[2, 4]"), ("[1]", "[]")],
     [([[1, 2, 3, 4]], [2, 4]), ([[1]], []), ([[0, -2, 5]], [0, -2])]),
    ("char_at_ends", "s: str", "str", "Return the first and the last character of s joined. s is never empty.", "",
     [('"hello"', "'ho'"), ('"a"', "'aa'")],
     [(["hello"], "ho"), (["a"], "aa"), (["xyz"], "xz")]),
    ("total_length", "words: list[str]", "int", "Return the total number of characters in all the words of words.", "",
     [('["ab", "c"]', "3"), ("[]", "0")],
     [([["ab", "c"]], 3), ([[]], 0), ([["hello", ""]], 5)]),
    ("count_zeros", "nums: list[int]", "int", "Return how many numbers in nums are equal to 0.", "",
     [("[0, 1, 0]", "2"), ("[3]", "0"), ("[]", "0")],
     [([[0, 1, 0]], 2), ([[3]], 0), ([[]], 0)]),
    ("common_prefix_len", "a: str, b: str", "int", "Return the length of the longest common prefix of a and b.", "",
     [('"flower", "flow"', "4"), ('"dog", "cat"', "0")],
     [(["flower", "flow"], 4), (["dog", "cat"], 0), (["", "x"], 0), (["abc", "abc"], 3)]),
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
    """The dev problem's prompt in the starter set's style; ``bounds``: with a ``Constraints:`` line.

    A problem whose bounds are ``''`` gets no such line either way.
    """
    name, params, ret, statement, limits, examples, _ = problem
    lines = [f"def {name}({params}) -> {ret}:", f'    """{statement}', ""]
    if bounds and limits:
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


def answer_code(mode: str, text: str, answer: str, name: str) -> str | None:
    """The program the harness would run for this answer (effbench's own extraction; None: no code).

    ``mode``: "completion" (``text`` continued by ``answer``) or "chat" (the answer's code block).
    """
    from effbench.models.extract import extract_chat, extract_completion

    found = extract_chat(answer, name) if mode == "chat" else extract_completion(text, answer, name)
    return found.code


def ask(client: Any, args: argparse.Namespace, preamble: str, problem: tuple, text: str, seed: int) -> str:
    """One answer to ``text``, in ``args.mode``, as the harness asks it (chat: its system prompt and template)."""
    extra = json.loads(args.extra_body)
    if args.mode == "chat":
        from types import SimpleNamespace

        from effbench.models.prompts import chat_messages

        task = SimpleNamespace(prompt=text, entry_point=problem[0])
        messages = chat_messages(task, None, None)  # type: ignore[arg-type]
        answer = client.chat.completions.create(
            model=args.model,
            messages=messages,
            max_tokens=args.max_tokens,
            temperature=args.temperature,
            seed=seed,
            extra_body=extra,
        )
        return answer.choices[0].message.content or ""
    answer = client.completions.create(
        model=args.model,
        prompt=preamble + text,
        max_tokens=args.max_tokens,
        temperature=args.temperature,
        seed=seed,
        stop=STOP,
        extra_body=extra,
    )
    return answer.choices[0].text


def main(argv: list[str] | None = None) -> int:
    """Probe one prompt format on the dev set; prints the pass rate (0; 2 on a bad option)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--model", required=True)
    parser.add_argument("--mode", choices=("completion", "chat"), default="completion")
    parser.add_argument("--prefix", type=Path, help="few-shot preamble file (none when left out; completion only)")
    parser.add_argument("--bounds", action=argparse.BooleanOptionalAction, default=True, help="state the bounds")
    parser.add_argument("--samples", type=int, default=1)
    parser.add_argument("--temperature", type=float, default=0.0)
    parser.add_argument("--max-tokens", type=int, default=128)
    parser.add_argument("--seed", type=int, default=100, help="sample i is sent with seed + i")
    parser.add_argument(
        "--extra-body", default='{"repeat_penalty": 1.0}', help="JSON sent with every request (sampling options)"
    )
    parser.add_argument("--show", action="store_true", help="print every answer's code (or None)")
    args = parser.parse_args(argv)
    from openai import OpenAI

    preamble = args.prefix.read_text().rstrip() + "\n\n\n" if args.prefix and args.mode == "completion" else ""
    client = OpenAI(base_url=args.base_url, api_key="none", max_retries=5)
    total = good = 0
    solved = []
    for problem in DEV:
        text = prompt(problem, args.bounds)
        hits = 0
        for i in range(args.samples):
            answer = ask(client, args, preamble, problem, text, args.seed + i)
            code = answer_code(args.mode, text, answer, problem[0])
            ok = code is not None and passes(code, problem[0], problem[6])
            hits += ok
            if args.show:
                print(f"--- {problem[0]} sample {i}: {'pass' if ok else 'FAIL'}\n{code if code else repr(answer)}")
        total, good = total + args.samples, good + hits
        if hits:
            solved.append(f"{problem[0]} {hits}/{args.samples}")
    print(f"pass rate {good}/{total} = {good / total:.3f}; solved: {', '.join(solved) or 'none'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
