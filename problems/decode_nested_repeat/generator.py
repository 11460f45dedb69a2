"""Stress inputs for count_runs: random nested groups whose multipliers are scaled so that the
decoded string is long (up to the 2_000_000-letter limit), far longer than the encoding."""

import random

LIMIT = 2_000_000


def generate(size: int, rng: random.Random) -> list:
    budget = max(1, size - 2)
    tokens = []  # letter chunks, "[" and "]"
    caps = []    # wished multiplier of each group, in opening order
    depth = 0
    filled = [True]  # whether the innermost open group has content
    used = 0
    p_open = rng.uniform(0.2, 0.5)
    while used < budget - 6 - 5 * depth:
        r = rng.random()
        if r < p_open:
            tokens.append("[")
            caps.append(rng.randint(2, 1000) if rng.random() < 0.3 else rng.randint(2, 9))
            filled.append(False)
            depth += 1
            used += 5  # up to 4 digits and '['
        elif depth and filled[-1] and r < p_open + 0.25:
            tokens.append("]")
            filled.pop()
            depth -= 1
            used += 1
        else:
            a = rng.choice("ab")
            chunk = "".join(a if rng.random() < 0.6 else rng.choice("abc")
                            for _ in range(rng.randint(1, 4)))
            tokens.append(chunk)
            filled[-1] = True
            used += len(chunk)
    while depth:
        if not filled[-1]:
            tokens.append("a")
        tokens.append("]")
        filled.pop()
        depth -= 1
    # every root-to-letter path gets a product of multipliers at most `budget`, so the
    # decoded length stays within the limit; the budget is spent greedily from the top
    letters = sum(len(t) for t in tokens if t not in "[]")
    budgets = [max(1, LIMIT // max(1, letters))]
    out = []
    gi = 0
    for t in tokens:
        if t == "[":
            k = max(1, min(caps[gi], budgets[-1]))
            budgets.append(budgets[-1] // k)
            out.append(str(k) + "[")
            gi += 1
        elif t == "]":
            budgets.pop()
            out.append(t)
        else:
            out.append(t)
    return ["".join(out)]


def _decode_len_of(s):
    stack = []
    cur = 0
    num = 0
    for ch in s:
        if ch.isdigit():
            num = num * 10 + int(ch)
        elif ch == "[":
            assert 1 <= num <= 1000
            stack.append((cur, num))
            num = 0
            cur = 0
        elif ch == "]":
            assert cur > 0
            prev, k = stack.pop()
            cur = prev + k * cur
        else:
            assert "a" <= ch <= "z" and num == 0
            cur += 1
    assert not stack and num == 0
    return cur


def check_input(s: str) -> None:
    assert isinstance(s, str)
    assert 0 <= len(s) <= 4_000
    assert _decode_len_of(s) <= LIMIT
