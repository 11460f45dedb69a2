"""Stress inputs for last_survivor: n close to the size with a small step k, where stepping
the recurrence once per person (or simulating the circle) does far more work than needed."""

import random


def generate(size: int, rng: random.Random) -> list:
    n = rng.randint(max(1, size * 3 // 4), size)
    r = rng.random()
    if r < 0.4:
        k = rng.randint(2, 5)
    elif r < 0.8:
        k = rng.randint(6, 60)
    else:
        k = rng.randint(61, 400)
    return [n, k]


def check_input(n: int, k: int) -> None:
    assert isinstance(n, int) and 1 <= n <= 30_000
    assert isinstance(k, int) and 1 <= k <= 10**9
