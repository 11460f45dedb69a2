"""Stress inputs for three_sum_zero_count: many distinct values (large pair space), heavy ties."""

import random

LIMIT = 10**6
MAX_LEN = 400


def generate(size: int, rng: random.Random) -> list:
    n = size
    kind = rng.randrange(3)
    if kind == 0:  # distinct values in a range dense enough for many zero triples
        span = max(n, 2 * n)
        nums = rng.sample(range(-span, span + 1), n)
    elif kind == 1:  # few values, lots of repeats (including zeros and doubled pairs)
        span = rng.choice((2, 5, 20))
        nums = [rng.randint(-span, span) for _ in range(n)]
    else:  # wide range, symmetric, with planted triples
        nums = [rng.randint(-LIMIT // 2, LIMIT // 2) for _ in range(n)]
        for _ in range(n // 3):
            a, b = rng.choice(nums), rng.choice(nums)
            if -LIMIT <= -(a + b) <= LIMIT:
                nums[rng.randrange(n)] = -(a + b)
    rng.shuffle(nums)
    return [nums]


def check_input(nums: list) -> None:
    assert len(nums) <= MAX_LEN
    assert all(isinstance(x, int) and -LIMIT <= x <= LIMIT for x in nums)
