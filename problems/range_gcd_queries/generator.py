"""Stress inputs for range_gcd: all values share a common factor (so running gcds never
collapse to 1 and cannot stop early), with mostly long query ranges."""

import random

MAXV = 10**9


def generate(size: int, rng: random.Random) -> list:
    n = q = size
    kind = rng.randrange(3)
    if kind == 0:  # common factor, random cofactors
        c = rng.randint(2, 1000)
        nums = [c * rng.randint(0, MAXV // c) for _ in range(n)]
    elif kind == 1:  # nested factors: blocks share extra divisors, some zeros
        base = rng.choice([2, 3, 6, 30, 210])
        nums = []
        while len(nums) < n:
            extra = rng.choice([1, 2, 4, 5, 7, 12])
            for _ in range(rng.randint(1, 50)):
                nums.append(0 if rng.random() < 0.05 else
                            base * extra * rng.randint(1, MAXV // (base * extra)))
        nums = nums[:n]
    else:  # powers of two times odd numbers: gcd is a power of two
        nums = [(1 << rng.randint(1, 20)) * rng.randrange(1, 900, 2) for _ in range(n)]
    queries = []
    for _ in range(q):
        if rng.random() < 0.7:  # long range
            l = rng.randrange(0, max(1, n // 10))
            r = rng.randrange(n - max(1, n // 10), n)
        else:
            l, r = sorted((rng.randrange(n), rng.randrange(n)))
        queries.append([l, r])
    return [nums, queries]


def check_input(nums, queries) -> None:
    n = len(nums)
    assert 1 <= n <= 20_000 and len(queries) <= 20_000
    assert all(isinstance(x, int) and 0 <= x <= MAXV for x in nums)
    assert all(0 <= l <= r < n for l, r in queries)
