"""Stress inputs for longest_increasing_subsequence: long answers keep the tails array large."""

import random

LIMIT = 10**9


def generate(size: int, rng: random.Random) -> list:
    kind = rng.randrange(4)
    if kind == 0:  # increasing with noise: answer close to n
        step = 2 * LIMIT // max(1, size)
        nums = [-LIMIT + i * step + rng.randrange(max(1, 3 * step)) for i in range(size)]
        nums = [min(LIMIT, x) for x in nums]
    elif kind == 1:  # interleaved increasing runs
        runs = rng.randint(2, 6)
        nums = [(i % runs) * 1000 + i * 3 for i in range(size)]
        nums = [x - LIMIT for x in nums]
    elif kind == 2:  # few distinct values, many ties
        nums = [rng.randint(-50, 50) for _ in range(size)]
    else:
        nums = [rng.randint(-LIMIT, LIMIT) for _ in range(size)]
    return [nums]


def check_input(nums: list) -> None:
    assert len(nums) <= 10_000
    assert all(isinstance(x, int) and -LIMIT <= x <= LIMIT for x in nums)
