"""Inputs for squares: random values of both signs."""

import random

MAX_N = 30_000
LIMIT = 10**4


def generate(size: int, rng: random.Random) -> list:
    return [[rng.randint(-LIMIT, LIMIT) for _ in range(size)]]

def check_input(nums: list) -> None:
    assert len(nums) <= MAX_N
    assert all(isinstance(x, int) and not isinstance(x, bool) and -LIMIT <= x <= LIMIT for x in nums)
