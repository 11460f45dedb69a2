"""Stress inputs for longest_consecutive_run: many medium runs, duplicates, shuffled order."""

import random

LIMIT = 10**9
MAX_LEN = 10_000


def generate(size: int, rng: random.Random) -> list:
    n = size
    kind = rng.randrange(3)
    nums = []
    if kind == 0:  # many runs of random length scattered over the range
        while len(nums) < n:
            length = rng.randint(1, max(1, n // 50))
            start = rng.randint(-LIMIT, LIMIT - length)
            nums.extend(range(start, start + length))
    elif kind == 1:  # dense block with holes plus duplicates
        lo = rng.randint(-LIMIT, LIMIT - 2 * n)
        nums = [rng.randint(lo, lo + 2 * n) for _ in range(n)]
    else:  # one long run hidden among random values, with repeats
        length = rng.randint(n // 4, n // 2)
        start = rng.randint(-LIMIT, LIMIT - length)
        nums = list(range(start, start + length))
        nums += [rng.randint(-LIMIT, LIMIT) for _ in range(n - length)]
        for _ in range(n // 10):
            nums[rng.randrange(n)] = nums[rng.randrange(n)]
    nums = nums[:n]
    rng.shuffle(nums)
    return [nums]


def check_input(nums: list) -> None:
    assert len(nums) <= MAX_LEN
    assert all(isinstance(x, int) and -LIMIT <= x <= LIMIT for x in nums)
