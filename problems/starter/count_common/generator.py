"""Inputs for count_common: about half of a's items are in b, often near b's end."""

import random

MAX_N = 50_000
LIMIT = 10**9


def generate(size: int, rng: random.Random) -> list:
    b = [rng.randint(-LIMIT, LIMIT) for _ in range(size)]
    a = [rng.choice(b) if b and rng.random() < 0.5 else rng.randint(-LIMIT, LIMIT) for _ in range(size)]
    return [a, b]


def check_input(a: list, b: list) -> None:
    assert len(a) <= MAX_N and len(b) <= MAX_N
    assert all(isinstance(x, int) and not isinstance(x, bool) and -LIMIT <= x <= LIMIT for x in a + b)
