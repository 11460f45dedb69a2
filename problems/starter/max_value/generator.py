"""Inputs for max_value: random order (no sorted runs), all negative or all non-negative."""

import random

MAX_N = 200_000
LIMIT = 10**9


def generate(size: int, rng: random.Random) -> list:
    n = max(1, size)
    low = rng.choice((-LIMIT, 0))
    nums = [rng.randint(low, low + LIMIT) for _ in range(n)]
    return [nums]


def check_input(nums: list) -> None:
    assert 1 <= len(nums) <= MAX_N
    assert all(isinstance(x, int) and not isinstance(x, bool) and -LIMIT <= x <= LIMIT for x in nums)
