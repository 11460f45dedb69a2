"""Stress inputs for top_k_frequent: many distinct values, skewed counts with lots of ties."""

import random

LIMIT = 10**9
MAX_LEN = 20_000


def generate(size: int, rng: random.Random) -> list:
    n = size
    d = max(1, n // rng.choice((4, 8, 16)))
    pool = rng.sample(range(-LIMIT, LIMIT + 1), d)
    kind = rng.randrange(3)
    if kind == 0:  # Zipf-like popularity: a few heavy hitters, a long tail of ties
        weights = [1.0 / (i + 1) for i in range(d)]
        nums = rng.choices(pool, weights=weights, k=n)
    elif kind == 1:  # nearly uniform: almost every count is tied
        nums = [pool[i % d] for i in range(n)]
        for _ in range(n // 100):
            nums[rng.randrange(n)] = rng.choice(pool)
    else:
        nums = [rng.choice(pool) for _ in range(n)]
    rng.shuffle(nums)
    distinct = len(set(nums))
    k = rng.choice((1, rng.randint(1, distinct), distinct // 2 or 1, distinct))
    return [nums, k]


def check_input(nums: list, k: int) -> None:
    assert 1 <= len(nums) <= MAX_LEN
    assert all(isinstance(x, int) and -LIMIT <= x <= LIMIT for x in nums)
    assert isinstance(k, int) and 1 <= k <= len(set(nums))
