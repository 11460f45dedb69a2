"""Stress inputs for shortest_tour: asymmetric, metric-like and near-uniform matrices (no pruning shortcuts)."""

import random

MAX_N = 12
LIMIT = 10**6


def generate(size: int, rng: random.Random) -> list:
    n = size
    kind = rng.randrange(3)
    if kind == 0:  # arbitrary asymmetric costs
        dist = [[0 if i == j else rng.randint(0, LIMIT) for j in range(n)] for i in range(n)]
    elif kind == 1:  # points in the plane (Manhattan distance): many near-optimal tours
        pts = [(rng.randint(0, LIMIT // 2), rng.randint(0, LIMIT // 2)) for _ in range(n)]
        dist = [[abs(p[0] - q[0]) + abs(p[1] - q[1]) for q in pts] for p in pts]
    else:  # almost uniform costs: every tour looks alike
        base = rng.randint(LIMIT // 2, LIMIT - 10)
        dist = [[0 if i == j else base + rng.randint(0, 10) for j in range(n)] for i in range(n)]
    return [dist]


def check_input(dist: list) -> None:
    n = len(dist)
    assert 1 <= n <= MAX_N
    for i, row in enumerate(dist):
        assert len(row) == n and row[i] == 0
        assert all(isinstance(x, int) and 0 <= x <= LIMIT for x in row)
