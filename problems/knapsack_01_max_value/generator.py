"""Stress inputs for knapsack_max_value: capacity 50 per item, items that do not all fit."""

import random

MAX_ITEMS = 100
MAX_W = 10**4
MAX_V = 10**6


def generate(size: int, rng: random.Random) -> list:
    n = size
    capacity = min(MAX_W, 50 * n)
    kind = rng.randrange(3)
    weights = [rng.randint(1, max(1, capacity // 5)) for _ in range(n)]
    if kind == 0:  # uncorrelated values
        values = [rng.randint(0, MAX_V) for _ in range(n)]
    elif kind == 1:  # values close to weights: many near-ties
        values = [min(MAX_V, w * 100 + rng.randint(0, 99)) for w in weights]
    else:  # a few heavy items plus many small ones
        weights = [rng.randint(1, capacity) if rng.random() < 0.2 else rng.randint(1, 50) for _ in range(n)]
        values = [rng.randint(0, MAX_V) for _ in range(n)]
    return [weights, values, capacity]


def check_input(weights: list, values: list, capacity: int) -> None:
    assert len(weights) == len(values) <= MAX_ITEMS
    assert all(isinstance(w, int) and 1 <= w <= MAX_W for w in weights)
    assert all(isinstance(v, int) and 0 <= v <= MAX_V for v in values)
    assert isinstance(capacity, int) and 0 <= capacity <= MAX_W
