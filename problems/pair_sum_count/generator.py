"""Stress inputs for pair_sum_count: small value ranges give huge answers; the target halves exist."""

import random

LIMIT = 10**9
MAX_LEN = 8_000


def generate(size: int, rng: random.Random) -> list:
    n = size
    kind = rng.randrange(3)
    if kind == 0:  # narrow range: many matching pairs, target even with its half present
        span = max(2, n // 20)
        nums = [rng.randint(-span, span) for _ in range(n)]
        target = 2 * rng.choice(nums)
    elif kind == 1:  # wide range, target from a real pair
        nums = [rng.randint(-LIMIT, LIMIT) for _ in range(n)]
        if n >= 2:
            i, j = rng.sample(range(n), 2)
            target = nums[i] + nums[j]
        else:
            target = 0
        # plant some complementary values
        for _ in range(n // 10):
            k = rng.randrange(n)
            if -LIMIT <= target - nums[k] <= LIMIT:
                nums[rng.randrange(n)] = target - nums[k]
    else:  # distinct values, many complementary pairs, extreme magnitudes
        base = rng.sample(range(-LIMIT, LIMIT + 1), n)
        target = rng.choice((0, 1, -1, rng.randint(-LIMIT, LIMIT)))
        nums = [x if rng.random() < 0.5 or not -LIMIT <= target - x <= LIMIT else target - x for x in base]
    rng.shuffle(nums)
    return [nums, target]


def check_input(nums: list, target: int) -> None:
    assert len(nums) <= MAX_LEN
    assert all(isinstance(x, int) and -LIMIT <= x <= LIMIT for x in nums)
    assert isinstance(target, int) and -2 * LIMIT <= target <= 2 * LIMIT
