"""Stress inputs for longest_subarray_sum_at_most: limits that admit long windows, zeros, spikes."""

import random

LIMIT = 10**6
MAX_LEN = 20_000
MAX_SUM = 10**12


def generate(size: int, rng: random.Random) -> list:
    n = size
    kind = rng.randrange(3)
    if kind == 0:
        nums = [rng.randint(0, LIMIT) for _ in range(n)]
    elif kind == 1:  # mostly small values with rare spikes and runs of zeros
        nums = [rng.choice((0, 0, rng.randint(0, 100))) for _ in range(n)]
        for _ in range(max(1, n // 200)):
            nums[rng.randrange(n)] = rng.randint(LIMIT // 2, LIMIT)
    else:  # slowly varying values
        nums = [abs((i * 7919) % 2001 - 1000) * 1000 for i in range(n)]
        rng.shuffle(nums)
    total = sum(nums)
    # windows covering a sizeable fraction of the list
    frac = rng.choice((0.02, 0.05, 0.1))
    limit = min(MAX_SUM, int(total * frac))
    if rng.random() < 0.15:
        limit = rng.choice((0, min(nums, default=0)))
    return [nums, limit]


def check_input(nums: list, limit: int) -> None:
    assert len(nums) <= MAX_LEN
    assert all(isinstance(x, int) and 0 <= x <= LIMIT for x in nums)
    assert isinstance(limit, int) and 0 <= limit <= MAX_SUM
