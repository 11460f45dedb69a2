"""Stress inputs for count_zero_xor_subsets: values from a random subspace of rank ~8-12 (many reachable XORs)."""

import random

MAX_N = 10**5
BITS = 20


def generate(size: int, rng: random.Random) -> list:
    n = size
    rank = rng.randint(min(8, n), min(12, max(1, n)))
    gens = [rng.getrandbits(BITS) for _ in range(rank)]
    nums = []
    for _ in range(n):
        x = 0
        for g in gens:
            if rng.random() < 0.5:
                x ^= g
        nums.append(x)
    if n and rng.random() < 0.3:
        nums[rng.randrange(n)] = 0
    return [nums]


def check_input(nums: list) -> None:
    assert len(nums) <= MAX_N
    assert all(isinstance(x, int) and 0 <= x < 1 << BITS for x in nums)
