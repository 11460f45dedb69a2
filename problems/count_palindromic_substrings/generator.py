"""Stress inputs for palindrome problems: long blocks of one letter and of short periods, where
every centre has a large radius (quadratic for expand-around-centre), plus planted palindromes."""

import random


def _rand(rng, k, alpha):
    return "".join(rng.choice(alpha) for _ in range(k))


def generate(size: int, rng: random.Random) -> list:
    n = size
    parts = []
    total = 0
    while total < n:
        kind = rng.randrange(4)
        if kind == 0:  # a block of one letter
            piece = rng.choice("ab") * rng.randint(1, max(1, n // 3))
        elif kind == 1:  # a block with a short period
            unit = _rand(rng, rng.randint(2, 3), "abc")
            piece = unit * rng.randint(1, max(1, n // 8))
        elif kind == 2:  # a planted palindrome
            half = _rand(rng, rng.randint(1, max(1, n // 6)), "abc")
            piece = half + _rand(rng, rng.randint(0, 1), "abc") + half[::-1]
        else:  # noise
            piece = _rand(rng, rng.randint(1, max(1, n // 10)), "abcd")
        parts.append(piece)
        total += len(piece)
    s = "".join(parts)
    start = rng.randint(0, len(s) - n)
    return [s[start:start + n]]


def check_input(s: str) -> None:
    assert isinstance(s, str)
    assert 0 <= len(s) <= 4_500
    assert all("a" <= ch <= "z" for ch in s)
