"""Stress inputs for min_rotation: one letter with a single defect, short periods (many equal
rotations, answer must be the smallest index), near-periodic strings whose rotations
share long prefixes, and random binary strings."""

import random


def _rand(rng, k, alpha):
    return "".join(rng.choice(alpha) for _ in range(k))


def generate(size: int, rng: random.Random) -> list:
    n = size
    kind = rng.randrange(5)
    if kind == 0:  # one letter, one larger letter somewhere
        t = ["a"] * n
        t[rng.randrange(n)] = "b"
        s = "".join(t)
    elif kind == 1:  # exact short period, rotated
        unit = _rand(rng, rng.randint(1, 8), "ab")
        reps = max(1, n // len(unit))
        s = unit * reps
        r = rng.randrange(len(s))
        s = s[r:] + s[:r]
    elif kind == 2:  # period with one defect: long equal prefixes between rotations
        unit = _rand(rng, rng.randint(2, 5), "abc")
        t = list((unit * (n // len(unit) + 1))[:n])
        t[rng.randrange(n)] = "d"
        s = "".join(t)
    elif kind == 3:  # random over two letters: many short comparisons
        s = _rand(rng, n, "ab")
    else:  # blocks of 'a' separated by single letters
        parts = []
        total = 0
        while total < n:
            piece = "a" * rng.randint(1, max(1, n // 20)) + rng.choice("bc")
            parts.append(piece)
            total += len(piece)
        s = "".join(parts)[:n]
    return [s]


def check_input(s: str) -> None:
    assert isinstance(s, str)
    assert 1 <= len(s) <= 15_000
    assert all("a" <= ch <= "z" for ch in s)
