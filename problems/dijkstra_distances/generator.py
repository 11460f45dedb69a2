"""Stress inputs for shortest_distances: long shortest-path chains hidden under many
heavier shortcuts, random sparse graphs and grid-like graphs; nearly every vertex is
reachable, so array-scanning Dijkstra pays its full quadratic cost."""

import random

MAXW = 10**6


def generate(size: int, rng: random.Random) -> list:
    n = size
    kind = rng.randrange(3)
    perm = list(range(n))
    rng.shuffle(perm)
    edges = []
    if kind == 0:  # cheap chain through all vertices plus expensive shortcuts
        for i in range(n - 1):
            edges.append([perm[i], perm[i + 1], rng.randint(0, 10)])
        for _ in range(4 * n):
            i, j = rng.randrange(n), rng.randrange(n)
            edges.append([perm[i], perm[j], rng.randint(10 * abs(j - i), MAXW)
                          if 10 * abs(j - i) <= MAXW else MAXW])
    elif kind == 1:  # random sparse graph
        for i in range(1, n):  # random arborescence keeps everything reachable
            edges.append([perm[rng.randrange(i)], perm[i], rng.randint(0, MAXW)])
        for _ in range(4 * n):
            edges.append([rng.randrange(n), rng.randrange(n), rng.randint(0, MAXW)])
    else:  # grid-like graph with both directions and random weights
        cols = max(1, int(n ** 0.5))
        for v in range(n):
            for u in (v + 1, v + cols):
                if u < n and (u != v + 1 or u % cols):
                    edges.append([perm[v], perm[u], rng.randint(1, 1000)])
                    edges.append([perm[u], perm[v], rng.randint(1, 1000)])
    rng.shuffle(edges)
    source = perm[0]
    return [n, edges, source]


def check_input(n, edges, source) -> None:
    assert 1 <= n <= 10_000
    assert 0 <= len(edges) <= 60_000
    assert 0 <= source < n
    for u, v, w in edges:
        assert 0 <= u < n and 0 <= v < n and 0 <= w <= MAXW
