"""Inputs for count_value: few distinct values (many hits), or a target that is rare or absent."""

import random

MAX_N = 200_000
LIMIT = 1000


def generate(size: int, rng: random.Random) -> list:
    if rng.randrange(2):
        nums = [rng.randint(-3, 3) for _ in range(size)]
        target = rng.randint(-3, 3)
    else:
        nums = [rng.randint(-LIMIT, LIMIT) for _ in range(size)]
        target = rng.randint(-LIMIT, LIMIT)
    return [nums, target]


def check_input(nums: list, target: int) -> None:
    assert len(nums) <= MAX_N
    assert all(isinstance(x, int) and not isinstance(x, bool) and -LIMIT <= x <= LIMIT for x in nums + [target])
