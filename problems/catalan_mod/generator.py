"""Inputs for catalan_numbers: n at or just below the level size."""

import random

MAX_N = 10**5


def generate(size: int, rng: random.Random) -> list:
    return [size - rng.randrange(3) if size > 3 else size]


def check_input(n: int) -> None:
    assert isinstance(n, int) and 0 <= n <= MAX_N
