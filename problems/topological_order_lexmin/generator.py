"""Stress inputs for smallest_topological_order: wide DAGs whose ready set stays large,
hidden chains where the answer is far from sorted order, and graphs whose only cycle sits
at the very end so every method does nearly all of its work before failing."""

import random


def generate(size: int, rng: random.Random) -> list:
    n = size
    order = list(range(n))
    rng.shuffle(order)
    kind = rng.randrange(4)
    edges = []
    if kind == 0:  # sparse random DAG: many vertices ready at once
        for _ in range(n):
            i, j = sorted(rng.sample(range(n), 2)) if n > 1 else (0, 0)
            if i != j:
                edges.append([order[i], order[j]])
    elif kind == 1:  # a long chain in a shuffled order plus forward shortcuts
        edges = [[order[i], order[i + 1]] for i in range(n - 1)]
        for _ in range(n):
            i, j = rng.randrange(n), rng.randrange(n)
            if i < j:
                edges.append([order[i], order[j]])
    elif kind == 2:  # layered DAG: each vertex depends on a few from the previous layer
        width = max(1, int(n ** 0.5))
        for i in range(width, n):
            lo = (i // width - 1) * width
            for _ in range(3):
                edges.append([order[rng.randrange(lo, lo + width)], order[i]])
    else:  # DAG plus one back edge among the last vertices: a late cycle
        for _ in range(2 * n):
            i, j = rng.randrange(n), rng.randrange(n)
            if i < j:
                edges.append([order[i], order[j]])
        if n >= 3:
            a, b = n - 3, n - 1
            edges.append([order[a], order[b]])
            edges.append([order[b], order[a]])
    rng.shuffle(edges)
    return [n, edges]


def check_input(n, edges) -> None:
    assert 1 <= n <= 20_000
    assert 0 <= len(edges) <= 60_000
    for u, v in edges:
        assert 0 <= u < n and 0 <= v < n
