"""Stress inputs for sliding_window_max_sum: wide windows, descending runs that fill the deque."""

import random

LIMIT = 10**9
MAX_LEN = 14_000


def generate(size: int, rng: random.Random) -> list:
    n = size
    kind = rng.randrange(3)
    if kind == 0:  # descending with noise: candidates pile up
        nums = sorted((rng.randint(-LIMIT, LIMIT) for _ in range(n)), reverse=True)
        for _ in range(n // 50):
            i, j = rng.randrange(n), rng.randrange(n)
            nums[i], nums[j] = nums[j], nums[i]
    elif kind == 1:  # sawtooth: repeated descending ramps
        period = rng.randint(2, max(2, n // 10))
        nums = [LIMIT - (i % period) * (LIMIT // period) for i in range(n)]
    else:
        nums = [rng.randint(-LIMIT, LIMIT) for _ in range(n)]
    w = rng.choice((rng.randint(1, n), rng.randint(max(1, n // 20), max(1, n // 5))))
    return [nums, w]


def check_input(nums: list, w: int) -> None:
    assert isinstance(w, int) and 1 <= w <= len(nums) <= MAX_LEN
    assert all(isinstance(x, int) and -LIMIT <= x <= LIMIT for x in nums)
