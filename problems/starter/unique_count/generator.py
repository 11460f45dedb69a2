"""Inputs for unique_count: mostly distinct values (the slow path), or a few repeated ones."""

import random

MAX_N = 100_000
LIMIT = 10**9


def generate(size: int, rng: random.Random) -> list:
    if rng.randrange(3):
        nums = [rng.randint(-LIMIT, LIMIT) for _ in range(size)]
    else:
        pool = [rng.randint(-LIMIT, LIMIT) for _ in range(max(1, size // 2))]
        nums = [rng.choice(pool) for _ in range(size)]
    return [nums]

def check_input(nums: list) -> None:
    assert len(nums) <= MAX_N
    assert all(isinstance(x, int) and not isinstance(x, bool) and -LIMIT <= x <= LIMIT for x in nums)
