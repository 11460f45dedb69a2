"""Stress inputs for range_sums: updates interleaved with long query ranges, so slicing or
rebuilding prefix sums after every change costs linear time per operation."""

import random

LIMIT = 10**9


def generate(size: int, rng: random.Random) -> list:
    n = q = size
    nums = [rng.randint(-LIMIT, LIMIT) for _ in range(n)]
    kind = rng.randrange(3)
    ops = []
    for t in range(q):
        if kind == 0:
            is_query = t % 2 == 1  # strict alternation
        elif kind == 1:
            is_query = rng.random() < 0.7
        else:
            is_query = rng.random() < 0.5
        if is_query:
            if rng.random() < 0.8:  # long range
                l = rng.randrange(0, max(1, n // 8))
                r = rng.randrange(n - max(1, n // 8), n)
            else:
                l, r = sorted((rng.randrange(n), rng.randrange(n)))
            ops.append([1, l, r])
        else:
            ops.append([0, rng.randrange(n), rng.randint(-LIMIT, LIMIT)])
    return [nums, ops]


def check_input(nums, ops) -> None:
    n = len(nums)
    assert 1 <= n <= 50_000 and len(ops) <= 50_000
    assert all(isinstance(x, int) and -LIMIT <= x <= LIMIT for x in nums)
    for t, a, b in ops:
        if t == 0:
            assert 0 <= a < n and -LIMIT <= b <= LIMIT
        else:
            assert t == 1 and 0 <= a <= b < n
