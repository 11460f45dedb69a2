"""Stress inputs for binomial_queries: many queries with large n and k near n/2."""

import random

MAX_Q = 20_000
MAX_N = 10**5


def generate(size: int, rng: random.Random) -> list:
    q = size
    top = min(MAX_N, size)
    queries = []
    for _ in range(q):
        n = rng.randint(top // 2, top) if rng.random() < 0.8 else rng.randint(0, top)
        r = rng.random()
        if r < 0.6:
            k = n // 2 + rng.randint(-10, 10)
        elif r < 0.9:
            k = rng.randint(0, n)
        else:
            k = n + rng.randint(1, 5)  # larger than n
        queries.append([n, max(0, min(MAX_N, k))])
    return [queries]


def check_input(queries: list) -> None:
    assert len(queries) <= MAX_Q
    for pair in queries:
        assert len(pair) == 2
        assert all(isinstance(v, int) and 0 <= v <= MAX_N for v in pair)
