"""Stress inputs for max_subarray_sum: sign changes everywhere, all-negative arrays, long drifts."""

import random

MAX_N = 100_000
LIMIT = 10**4


def generate(size: int, rng: random.Random) -> list:
    n = size
    kind = rng.randrange(4)
    if kind == 0:  # zero-mean noise: the best block is somewhere in the middle
        nums = [rng.randint(-LIMIT, LIMIT) for _ in range(n)]
    elif kind == 1:  # all negative
        nums = [rng.randint(-LIMIT, -1) for _ in range(n)]
    elif kind == 2:  # alternating big gains and losses
        nums = [rng.randint(1, LIMIT) if i % 2 else -rng.randint(1, LIMIT) for i in range(n)]
    else:  # slow downward drift with bursts
        nums = [rng.randint(-LIMIT, LIMIT // 2) for _ in range(n)]
    return [nums]


def check_input(nums: list) -> None:
    assert 1 <= len(nums) <= MAX_N
    assert all(isinstance(x, int) and -LIMIT <= x <= LIMIT for x in nums)
