"""Inputs for catalan_numbers: n in the top quarter of the level size, drawn from the run's secret
seed (before: the size or one or two below it, three values per level known in advance)."""

import random

MAX_N = 10**5


def generate(size: int, rng: random.Random) -> list:
    return [size - rng.randrange(size // 4 + 1) if size > 3 else size]


def check_input(n: int) -> None:
    assert isinstance(n, int) and 0 <= n <= MAX_N
