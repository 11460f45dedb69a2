"""Stress inputs for derangements: many queries, most of them close to the largest n."""

import random

MAX_Q = 1000
MAX_N = 10**6


def generate(size: int, rng: random.Random) -> list:
    q = rng.randint(50, 200)
    queries = [rng.randint(size // 2, size) if rng.random() < 0.8 else rng.randint(0, size) for _ in range(q)]
    queries[rng.randrange(q)] = size
    return [queries]


def check_input(queries: list) -> None:
    assert len(queries) <= MAX_Q
    assert all(isinstance(n, int) and 0 <= n <= MAX_N for n in queries)
