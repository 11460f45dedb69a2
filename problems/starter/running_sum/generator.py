"""Inputs for running_sum: random values and long runs of one sign."""

import random

MAX_N = 30_000
LIMIT = 1000


def generate(size: int, rng: random.Random) -> list:
    if rng.randrange(2):
        nums = [rng.randint(-LIMIT, LIMIT) for _ in range(size)]
    else:
        nums = [rng.randint(0, LIMIT) for _ in range(size)]
    return [nums]

def check_input(nums: list) -> None:
    assert len(nums) <= MAX_N
    assert all(isinstance(x, int) and not isinstance(x, bool) and -LIMIT <= x <= LIMIT for x in nums)
