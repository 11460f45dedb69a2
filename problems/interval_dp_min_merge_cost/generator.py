"""Stress inputs for min_merge_cost: full-length rows with equal, sorted, zigzag and random sizes."""

import random

MAX_N = 300
LIMIT = 10**4


def generate(size: int, rng: random.Random) -> list:
    n = size
    kind = rng.randrange(4)
    if kind == 0:
        piles = [rng.randint(1, LIMIT) for _ in range(n)]
    elif kind == 1:  # all equal: a balanced merge tree
        v = rng.randint(1, LIMIT)
        piles = [v] * n
    elif kind == 2:  # sorted (either direction) with small noise
        piles = sorted(rng.randint(1, LIMIT) for _ in range(n))
        if rng.random() < 0.5:
            piles.reverse()
    else:  # zigzag of heavy and light piles
        piles = [rng.randint(LIMIT // 2, LIMIT) if i % 2 else rng.randint(1, 10) for i in range(n)]
    return [piles]


def check_input(piles: list) -> None:
    assert len(piles) <= MAX_N
    assert all(isinstance(x, int) and 1 <= x <= LIMIT for x in piles)
