"""Stress inputs for subarray_sum_count: oscillating signs and zeros make prefix sums collide."""

import random

LIMIT = 10**4
MAX_LEN = 6_000
K_LIMIT = 10**8


def generate(size: int, rng: random.Random) -> list:
    n = size
    kind = rng.randrange(3)
    if kind == 0:  # tiny values of both signs, many zeros: lots of equal prefix sums
        nums = [rng.choice((-1, 0, 0, 1)) for _ in range(n)]
    elif kind == 1:  # full range
        nums = [rng.randint(-LIMIT, LIMIT) for _ in range(n)]
    else:  # a repeating pattern with zero sum plus noise
        pattern = [rng.randint(-50, 50) for _ in range(rng.randint(1, 8))]
        pattern.append(-sum(pattern))
        if abs(pattern[-1]) > LIMIT:
            pattern[-1] = 0
        nums = [pattern[i % len(pattern)] for i in range(n)]
        for _ in range(n // 50):
            nums[rng.randrange(n)] = rng.randint(-5, 5)
    if n and rng.random() < 0.8:
        i = rng.randrange(n)
        j = rng.randint(i + 1, n)
        k = sum(nums[i:j])
    else:
        k = rng.choice((0, rng.randint(-100, 100)))
    return [nums, k]


def check_input(nums: list, k: int) -> None:
    assert len(nums) <= MAX_LEN
    assert all(isinstance(x, int) and -LIMIT <= x <= LIMIT for x in nums)
    assert isinstance(k, int) and -K_LIMIT <= k <= K_LIMIT
