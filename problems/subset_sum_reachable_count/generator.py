"""Stress inputs for count_subset_sums: many items with large, varied values (dense sum ranges)."""

import random

MAX_N = 500
MAX_V = 200


def generate(size: int, rng: random.Random) -> list:
    n = size
    kind = rng.randrange(4)
    if kind == 0:  # large values: widest range of sums
        nums = [rng.randint(MAX_V // 2, MAX_V) for _ in range(n)]
    elif kind == 1:  # all even plus one odd: a sparse, patterned set of sums
        nums = [2 * rng.randint(1, MAX_V // 2) for _ in range(n - 1)] + [rng.randrange(1, MAX_V, 2)] if n else []
    elif kind == 2:  # few distinct values, many duplicates
        pool = [rng.randint(1, MAX_V) for _ in range(3)]
        nums = [rng.choice(pool) for _ in range(n)]
    else:
        nums = [rng.randint(1, MAX_V) for _ in range(n)]
    rng.shuffle(nums)
    return [nums]


def check_input(nums: list) -> None:
    assert len(nums) <= MAX_N
    assert all(isinstance(x, int) and 1 <= x <= MAX_V for x in nums)
