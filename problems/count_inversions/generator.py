"""Stress inputs for count_inversions: reversed runs and many duplicates defeat shortcuts."""

import random

LIMIT = 10**9


def generate(size: int, rng: random.Random) -> list:
    kind = rng.randrange(3)
    if kind == 0:  # mostly descending: close to n*(n-1)/2 inversions
        nums = sorted((rng.randint(-LIMIT, LIMIT) for _ in range(size)), reverse=True)
        for _ in range(size // 20):
            i, j = rng.randrange(size), rng.randrange(size)
            nums[i], nums[j] = nums[j], nums[i]
    elif kind == 1:  # few distinct values: ties must not count
        nums = [rng.randint(-3, 3) for _ in range(size)]
    else:
        nums = [rng.randint(-LIMIT, LIMIT) for _ in range(size)]
    return [nums]


def check_input(nums: list) -> None:
    assert len(nums) <= 4_000
    assert all(isinstance(x, int) and -LIMIT <= x <= LIMIT for x in nums)
