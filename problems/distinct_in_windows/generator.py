"""Stress inputs for distinct_in_windows: wide windows, values that keep entering and leaving."""

import random

LIMIT = 10**9
MAX_LEN = 9_000


def generate(size: int, rng: random.Random) -> list:
    n = size
    kind = rng.randrange(3)
    if kind == 0:  # moderate number of distinct values, counts hover around 0/1
        d = max(1, n // rng.choice((2, 5, 20)))
        pool = rng.sample(range(-LIMIT, LIMIT + 1), d)
        nums = [rng.choice(pool) for _ in range(n)]
    elif kind == 1:  # all distinct
        nums = rng.sample(range(-LIMIT, LIMIT + 1), n)
    else:  # periodic pattern with noise
        period = rng.randint(1, max(1, n // 10))
        nums = [i % period for i in range(n)]
        for _ in range(n // 20):
            nums[rng.randrange(n)] = rng.randint(-LIMIT, LIMIT)
    w = rng.randint(max(1, n // 50), max(1, n // 10))
    if rng.random() < 0.1:
        w = rng.choice((1, n))
    return [nums, w]


def check_input(nums: list, w: int) -> None:
    assert isinstance(w, int) and 1 <= w <= len(nums) <= MAX_LEN
    assert all(isinstance(x, int) and -LIMIT <= x <= LIMIT for x in nums)
