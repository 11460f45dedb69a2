"""Stress inputs for pairwise_xor_sum: full 30-bit values, skewed bit densities, duplicates."""

import random

MAX_N = 100_000
BITS = 30


def generate(size: int, rng: random.Random) -> list:
    n = size
    kind = rng.randrange(3)
    if kind == 0:
        nums = [rng.getrandbits(BITS) for _ in range(n)]
    elif kind == 1:  # mostly ones in the high bits
        nums = [((1 << BITS) - 1) ^ (rng.getrandbits(BITS) & rng.getrandbits(BITS)) for _ in range(n)]
    else:  # few distinct values
        pool = [rng.getrandbits(BITS) for _ in range(5)]
        nums = [rng.choice(pool) for _ in range(n)]
    return [nums]


def check_input(nums: list) -> None:
    assert len(nums) <= MAX_N
    assert all(isinstance(x, int) and 0 <= x < 1 << BITS for x in nums)
