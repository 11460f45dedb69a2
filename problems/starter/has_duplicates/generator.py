"""Inputs for has_duplicates: all distinct (the slow path), or one repeat far apart."""

import random

MAX_N = 100_000
LIMIT = 10**9


def generate(size: int, rng: random.Random) -> list:
    nums = rng.sample(range(-LIMIT, LIMIT + 1), size)
    if size >= 2 and rng.randrange(3) == 0:  # one duplicate: the last item copies an early one
        nums[-1] = nums[rng.randrange(max(1, size // 10))]
    return [nums]

def check_input(nums: list) -> None:
    assert len(nums) <= MAX_N
    assert all(isinstance(x, int) and not isinstance(x, bool) and -LIMIT <= x <= LIMIT for x in nums)
