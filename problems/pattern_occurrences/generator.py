"""Stress inputs for pattern_occurrences: long periodic runs full of overlapping matches,
near-misses that fail only at the last character, and random texts with planted copies."""

import random


def _rand(rng, k, alpha):
    return "".join(rng.choice(alpha) for _ in range(k))


def generate(size: int, rng: random.Random) -> list:
    n = size
    kind = rng.randrange(4)
    if kind == 0:  # one letter everywhere: about n matches, all overlapping
        m = rng.randint(1, max(1, n // 14))
        text = "a" * n
        pattern = "a" * m
        # a few breaks so the runs are not one block
        t = list(text)
        for _ in range(rng.randint(0, 3)):
            t[rng.randrange(n)] = "b"
        text = "".join(t)
    elif kind == 1:  # periodic text with a short period, pattern a multiple of that period
        unit = _rand(rng, rng.randint(2, 5), "ab")
        text = (unit * (n // len(unit) + 1))[:n]
        reps = rng.randint(1, max(1, n // (14 * len(unit))))
        start = rng.randrange(len(unit))
        pattern = (unit * (reps + 2))[start:start + reps * len(unit)] or unit
        t = list(text)
        for _ in range(rng.randint(0, 5)):
            t[rng.randrange(n)] = "c"
        text = "".join(t)
    elif kind == 2:  # near misses: the pattern fails only at its last character
        m = rng.randint(2, max(2, n // 14))
        pattern = "a" * (m - 1) + "b"
        t = ["a"] * n
        for _ in range(rng.randint(1, 8)):
            t[rng.randrange(n)] = "b"
        text = "".join(t)
    else:  # random text over a small alphabet with planted copies
        m = rng.randint(min(3, n), max(1, min(50, n // 4)))
        pattern = _rand(rng, m, "abcd")
        text = list(_rand(rng, n, "abcd"))
        for _ in range(n // (8 * m) + 1):
            i = rng.randrange(max(1, n - m + 1))
            text[i:i + m] = pattern
        text = "".join(text)[:n]
    return [text, pattern]


def check_input(text: str, pattern: str) -> None:
    assert isinstance(text, str) and isinstance(pattern, str)
    assert 0 <= len(text) <= 200_000
    assert 1 <= len(pattern) <= 200_000
    assert all("a" <= ch <= "z" for ch in text)
    assert all("a" <= ch <= "z" for ch in pattern)
