"""Inputs for sum_list: random values, all negative, all at the extremes."""

import random

MAX_N = 200_000
LIMIT = 1000


def generate(size: int, rng: random.Random) -> list:
    kind = rng.randrange(3)
    if kind == 0:
        nums = [rng.randint(-LIMIT, LIMIT) for _ in range(size)]
    elif kind == 1:
        nums = [rng.randint(-LIMIT, -1) for _ in range(size)]
    else:
        nums = [rng.choice((-LIMIT, LIMIT)) for _ in range(size)]
    return [nums]

def check_input(nums: list) -> None:
    assert len(nums) <= MAX_N
    assert all(isinstance(x, int) and not isinstance(x, bool) and -LIMIT <= x <= LIMIT for x in nums)
