"""Stress inputs for kth_smallest_pair_sum: wide value ranges, heavy ties, k anywhere."""

import random

LIMIT = 10**9
MAX_LEN = 500


def generate(size: int, rng: random.Random) -> list:
    n = size
    m = max(1, size - rng.randrange(size // 10 + 1))
    kind = rng.randrange(3)
    if kind == 0:  # full range: many bisection rounds
        a = [rng.randint(-LIMIT, LIMIT) for _ in range(n)]
        b = [rng.randint(-LIMIT, LIMIT) for _ in range(m)]
    elif kind == 1:  # few distinct values: long runs of equal sums
        a = [rng.randint(-5, 5) * 1000 for _ in range(n)]
        b = [rng.randint(-5, 5) for _ in range(m)]
    else:  # clustered extremes
        a = [rng.choice((-LIMIT, LIMIT)) + rng.randint(-1000, 1000) * (1 if rng.random() < 0.5 else -1) for _ in range(n)]
        a = [max(-LIMIT, min(LIMIT, x)) for x in a]
        b = [rng.randint(-LIMIT, LIMIT) for _ in range(m)]
    total = n * m
    k = rng.choice((rng.randint(1, total), rng.randint(total // 3, 2 * total // 3 + 1), total))
    return [a, b, min(max(k, 1), total)]


def check_input(a: list, b: list, k: int) -> None:
    assert 1 <= len(a) <= MAX_LEN and 1 <= len(b) <= MAX_LEN
    assert all(isinstance(x, int) and -LIMIT <= x <= LIMIT for x in a + b)
    assert isinstance(k, int) and 1 <= k <= len(a) * len(b)
