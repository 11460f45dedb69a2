"""Inputs for merge_sorted: interleaved values, or one list entirely before the other."""

import random

MAX_N = 20_000
LIMIT = 10**9


def generate(size: int, rng: random.Random) -> list:
    a = sorted(rng.randint(-LIMIT, LIMIT) for _ in range(size))
    if rng.randrange(3) == 0:
        b = sorted(rng.randint(0, LIMIT) for _ in range(size))
        a = sorted(rng.randint(-LIMIT, 0) for _ in range(size))
    else:
        b = sorted(rng.randint(-LIMIT, LIMIT) for _ in range(size))
    return [a, b]


def check_input(a: list, b: list) -> None:
    for nums in (a, b):
        assert len(nums) <= MAX_N
        assert all(isinstance(x, int) and not isinstance(x, bool) and -LIMIT <= x <= LIMIT for x in nums)
        assert all(nums[i] <= nums[i + 1] for i in range(len(nums) - 1))
