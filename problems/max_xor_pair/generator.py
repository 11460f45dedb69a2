"""Stress inputs for max_xor_pair: shared high bits and clustered values, so many greedy bits fail."""

import random

MAX_N = 20_000
BITS = 30


def generate(size: int, rng: random.Random) -> list:
    n = max(2, size)
    kind = rng.randrange(3)
    if kind == 0:
        nums = [rng.getrandbits(BITS) for _ in range(n)]
    elif kind == 1:  # one common high prefix: the top bits cannot differ
        prefix = rng.getrandbits(10) << 20
        nums = [prefix | rng.getrandbits(20) for _ in range(n)]
    else:  # values from a few tight clusters plus duplicates
        centers = [rng.getrandbits(BITS) for _ in range(4)]
        nums = [min((1 << BITS) - 1, rng.choice(centers) ^ rng.getrandbits(12)) for _ in range(n)]
    return [nums]


def check_input(nums: list) -> None:
    assert 2 <= len(nums) <= MAX_N
    assert all(isinstance(x, int) and 0 <= x < 1 << BITS for x in nums)
