"""Inputs for filter_positive: mostly positive (a long result), mixed, mostly negative."""

import random

MAX_N = 50_000
LIMIT = 10**9


def generate(size: int, rng: random.Random) -> list:
    share = rng.choice((0.9, 0.5, 0.1))
    nums = [rng.randint(1, LIMIT) if rng.random() < share else rng.randint(-LIMIT, 0) for _ in range(size)]
    return [nums]

def check_input(nums: list) -> None:
    assert len(nums) <= MAX_N
    assert all(isinstance(x, int) and not isinstance(x, bool) and -LIMIT <= x <= LIMIT for x in nums)
