"""Stress inputs for min_capacity_to_ship: large totals (many bisection rounds), few or
moderately many days, a few very heavy packages."""

import random

LIMIT = 10**6
MAX_LEN = 20_000


def generate(size: int, rng: random.Random) -> list:
    n = size
    kind = rng.randrange(3)
    if kind == 0:
        weights = [rng.randint(1, LIMIT) for _ in range(n)]
    elif kind == 1:  # light packages with rare heavy ones
        weights = [rng.randint(1, 1000) for _ in range(n)]
        for _ in range(max(1, n // 500)):
            weights[rng.randrange(n)] = rng.randint(LIMIT // 2, LIMIT)
    else:  # increasing weights
        weights = sorted(rng.randint(1, LIMIT) for _ in range(n))
    days = rng.choice((1, rng.randint(1, max(1, n // 100)), rng.randint(max(1, n // 100), max(1, n // 30))))
    return [weights, days]


def check_input(weights: list, days: int) -> None:
    assert 1 <= len(weights) <= MAX_LEN
    assert all(isinstance(x, int) and 1 <= x <= LIMIT for x in weights)
    assert isinstance(days, int) and 1 <= days <= len(weights)
