"""Stress inputs for longest_repeat: answers of order n (one letter, a doubled random block,
short periods) where quadratic comparison schemes do the most work."""

import random


def _rand(rng, k, alpha):
    return "".join(rng.choice(alpha) for _ in range(k))


def generate(size: int, rng: random.Random) -> list:
    n = size
    kind = rng.randrange(4)
    if kind == 0:  # one letter with a few other letters mixed in
        t = ["a"] * n
        for _ in range(rng.randint(0, 3)):
            t[rng.randrange(n)] = rng.choice("bc")
        s = "".join(t)
    elif kind == 1:  # a random block written twice, with noise around
        k = rng.randint(n // 4, n // 2)
        x = _rand(rng, k, "abcd")
        gap = _rand(rng, rng.randint(0, n - 2 * k), "abcd")
        s = (x + gap + x + _rand(rng, n, "abcd"))[:n]
    elif kind == 2:  # short period
        unit = _rand(rng, rng.randint(2, 7), "abc")
        s = (unit * (n // len(unit) + 1))[:n]
    else:  # random over two letters: logarithmic answer
        s = _rand(rng, n, "ab")
    return [s]


def check_input(s: str) -> None:
    assert isinstance(s, str)
    assert 0 <= len(s) <= 1_000
    assert all("a" <= ch <= "z" for ch in s)
