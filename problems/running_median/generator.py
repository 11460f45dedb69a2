"""Stress inputs for running_medians: random streams, zig-zag streams that alternate between
very small and very large values (the median boundary moves every step), descending streams
and streams with many duplicates."""

import random

LIMIT = 10**9


def generate(size: int, rng: random.Random) -> list:
    n = size
    kind = rng.randrange(4)
    if kind == 0:
        nums = [rng.randint(-LIMIT, LIMIT) for _ in range(n)]
    elif kind == 1:  # zig-zag around the middle
        nums = [(-1) ** i * rng.randint(0, LIMIT) for i in range(n)]
    elif kind == 2:  # descending with noise: every new value is a new minimum
        nums = sorted((rng.randint(-LIMIT, LIMIT) for _ in range(n)), reverse=True)
        for _ in range(n // 10):
            i = rng.randrange(n)
            nums[i] = rng.randint(-LIMIT, LIMIT)
    else:  # heavy duplication
        nums = [rng.randint(-5, 5) for _ in range(n)]
    return [nums]


def check_input(nums) -> None:
    assert len(nums) <= 50_000
    assert all(isinstance(x, int) and -LIMIT <= x <= LIMIT for x in nums)
