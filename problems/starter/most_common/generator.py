"""Inputs for most_common: many distinct values and one value placed twice (the slow path for
a count per distinct value), or a few heavy values with a unique winner."""

import random

MAX_N = 50_000
LIMIT = 10**9


def generate(size: int, rng: random.Random) -> list:
    n = max(1, size)
    if n < 3 or rng.randrange(2):
        nums = rng.sample(range(-LIMIT, LIMIT + 1), n)
        if n >= 2:
            nums[-1] = nums[rng.randrange(n - 1)]  # the only value seen twice
    else:
        pool = rng.sample(range(-LIMIT, LIMIT + 1), max(2, n // 4))
        nums = [rng.choice(pool) for _ in range(n)]
        counts = {}
        for x in nums:
            counts[x] = counts.get(x, 0) + 1
        top = max(counts.values())
        winner = min(x for x in counts if counts[x] == top)
        nums.append(winner)  # break every tie in favour of one value
        nums = nums[-n:] if len(nums) > MAX_N else nums
    rng.shuffle(nums)
    return [nums]


def check_input(nums: list) -> None:
    assert 1 <= len(nums) <= MAX_N
    assert all(isinstance(x, int) and not isinstance(x, bool) and -LIMIT <= x <= LIMIT for x in nums)
    counts = {}
    for x in nums:
        counts[x] = counts.get(x, 0) + 1
    top = max(counts.values())
    assert sum(1 for c in counts.values() if c == top) == 1, "the most common value must be unique"
