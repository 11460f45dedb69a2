"""Stress inputs for evaluate: random well-formed expressions with many and deeply nested
parentheses (deeper than the recursion limit), so that rewriting the innermost group again
and again, or recursive descent, is costly or fails."""

import random


def generate(size: int, rng: random.Random) -> list:
    n = max(1, size - 12)  # leave room for the last number and the closing brackets
    p_open = rng.uniform(0.3, 0.5)
    p_close = rng.uniform(0.1, 0.4)
    out = []
    length = 0
    depth = 0
    while True:
        # expecting an operand
        if rng.random() < 0.01:  # dive: a run of opening brackets
            k = max(0, min(rng.randint(1, max(1, n // 40)), (n - 2 * depth - 4 - length) // 2))
            out.append("(" * k)
            depth += k
            length += k
        while rng.random() < p_open and length < n - 2 * depth - 4:
            out.append("(")
            depth += 1
            length += 1
        r = rng.random()
        if r < 0.7:
            num = str(rng.randint(0, 9))
        elif r < 0.95:
            num = str(rng.randint(10, 99999))
        else:
            num = str(rng.randint(0, 10**9)).zfill(rng.randint(1, 10))
        out.append(num)
        length += len(num)
        # after an operand
        while depth and rng.random() < p_close:
            out.append(")")
            depth -= 1
            length += 1
        if length >= n - depth - 2:
            break
        out.append(rng.choice("+-**"))
        length += 1
    out.append(")" * depth)
    return ["".join(out)]


def check_input(expr: str) -> None:
    assert isinstance(expr, str)
    assert 1 <= len(expr) <= 20_000
    assert set(expr) <= set("0123456789+-*()")
