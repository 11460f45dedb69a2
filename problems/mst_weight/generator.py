"""Stress inputs for mst_weight: sparse graphs with many vertices (quadratic Prim pays n^2),
a few separate components, negative and repeated weights, and parallel edges."""

import random

MAXW = 10**6


def generate(size: int, rng: random.Random) -> list:
    n = size
    perm = list(range(n))
    rng.shuffle(perm)
    kind = rng.randrange(3)
    edges = []
    if kind == 0:  # connected sparse graph: random tree plus extra edges
        for i in range(1, n):
            edges.append([perm[i], perm[rng.randrange(i)], rng.randint(-MAXW, MAXW)])
        for _ in range(3 * n):
            edges.append([rng.randrange(n), rng.randrange(n), rng.randint(-MAXW, MAXW)])
    elif kind == 1:  # a handful of components, few distinct weights (many ties)
        parts = rng.randint(2, 6)
        for i in range(parts, n):
            j = rng.randrange(i - i % parts if i >= parts else 0)
            j = j - j % parts + i % parts
            edges.append([perm[i], perm[j], rng.randint(-5, 5)])
        for _ in range(3 * n):
            a = rng.randrange(n)
            b = rng.randrange(n)
            b = b - b % parts + a % parts
            if b >= n:
                b = a
            edges.append([perm[a], perm[b], rng.randint(-5, 5)])
    else:  # grid-like graph with a path spine
        cols = max(1, int(n ** 0.5))
        for v in range(n):
            for u in (v + 1, v + cols):
                if u < n:
                    edges.append([perm[v], perm[u], rng.randint(0, MAXW)])
        for _ in range(n):
            edges.append([rng.randrange(n), rng.randrange(n), rng.randint(-MAXW, MAXW)])
    rng.shuffle(edges)
    return [n, edges]


def check_input(n, edges) -> None:
    assert 1 <= n <= 20_000
    assert 0 <= len(edges) <= 80_000
    for u, v, w in edges:
        assert 0 <= u < n and 0 <= v < n and -MAXW <= w <= MAXW
