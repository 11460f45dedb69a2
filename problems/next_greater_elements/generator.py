"""Stress inputs for next_greater_indices: descending runs and long plateaus of equal values
make forward scans walk to the end of the array for most positions."""

import random

LIMIT = 10**9


def generate(size: int, rng: random.Random) -> list:
    n = size
    kind = rng.randrange(4)
    if kind == 0:  # descending with a few local dips
        nums = sorted(rng.sample(range(-LIMIT + 2000, LIMIT), n), reverse=True)
        for _ in range(n // 50):
            i = rng.randrange(n)
            nums[i] -= rng.randint(1, 2000)
    elif kind == 1:  # few distinct values, mostly non-increasing: long equal plateaus
        nums = sorted((rng.randint(-3, 3) for _ in range(n)), reverse=True)
    elif kind == 2:  # sawtooth: descending blocks with rising block starts
        nums = []
        top = -LIMIT + n
        while len(nums) < n:
            length = rng.randint(1, n // 4 + 1)
            nums.extend(range(top, top - length, -1))
            top += rng.randint(0, 5)
        nums = [max(-LIMIT, x) for x in nums[:n]]
    else:
        nums = [rng.randint(-LIMIT, LIMIT) for _ in range(n)]
    return [nums]


def check_input(nums) -> None:
    assert len(nums) <= 100_000
    assert all(isinstance(x, int) and -LIMIT <= x <= LIMIT for x in nums)
