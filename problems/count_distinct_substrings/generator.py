"""Stress inputs for count_distinct: highly repetitive strings (one letter, short periods,
Fibonacci words, doubled blocks) with long common prefixes between suffixes."""

import random


def _rand(rng, k, alpha):
    return "".join(rng.choice(alpha) for _ in range(k))


def generate(size: int, rng: random.Random) -> list:
    n = size
    kind = rng.randrange(4)
    if kind == 0:  # one letter with rare defects
        t = ["a"] * n
        for _ in range(rng.randint(0, 2)):
            t[rng.randrange(n)] = "b"
        s = "".join(t)
    elif kind == 1:  # short period
        unit = _rand(rng, rng.randint(2, 6), "abc")
        s = (unit * (n // len(unit) + 1))[:n]
    elif kind == 2:  # Fibonacci word
        a, b = "a", "ab"
        while len(b) < n:
            a, b = b, b + a
        s = b[:n]
    else:  # a random block repeated a few times with noise
        k = max(1, n // rng.randint(2, 5))
        x = _rand(rng, k, "abcdefghij")
        s = (x * (n // k + 1))[:n]
        t = list(s)
        for _ in range(rng.randint(0, 3)):
            t[rng.randrange(n)] = rng.choice("xyz")
        s = "".join(t)
    return [s]


def check_input(s: str) -> None:
    assert isinstance(s, str)
    assert 0 <= len(s) <= 3_000
    assert all("a" <= ch <= "z" for ch in s)
