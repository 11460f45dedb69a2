"""Inputs for missing_number: a shuffled range with one number removed (often a large one)."""

import random

MAX_N = 100_000


def generate(size: int, rng: random.Random) -> list:
    n = max(1, size)
    gone = rng.choice((n, n - 1, rng.randint(0, n)))
    nums = [x for x in range(n + 1) if x != gone]
    rng.shuffle(nums)
    return [nums]


def check_input(nums: list) -> None:
    assert 1 <= len(nums) <= MAX_N
    assert all(isinstance(x, int) and not isinstance(x, bool) for x in nums)
    assert len(set(nums)) == len(nums) and all(0 <= x <= len(nums) for x in nums)
