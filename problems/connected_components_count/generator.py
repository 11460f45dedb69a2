"""Stress inputs for component_counts: a long path added in order (deep trees for
union-find without compression, giant merges for relabelling) followed by random edges,
plus purely random graphs that merge slowly and many repeated edges."""

import random


def generate(size: int, rng: random.Random) -> list:
    n = size
    kind = rng.randrange(3)
    perm = list(range(n))
    rng.shuffle(perm)
    edges = []
    if kind == 0:  # path in order: every new edge hangs the old tree below a fresh vertex
        edges = [[perm[i], perm[i + 1]] for i in range(n - 1)]
        edges += [[rng.randrange(n), rng.randrange(n)] for _ in range(n // 2)]
    elif kind == 1:  # two halves growing as paths, joined at the end, then repeats
        half = n // 2
        for i in range(half - 1):
            edges.append([perm[i], perm[i + 1]])
            if half + i + 1 < n:
                edges.append([perm[half + i], perm[half + i + 1]])
        edges.append([perm[0], perm[n - 1]])
        edges += [[perm[rng.randrange(n)], perm[rng.randrange(n)]] for _ in range(n // 2)]
    else:  # random multigraph with some self-loops
        edges = [[rng.randrange(n), rng.randrange(n)] for _ in range(3 * n // 2)]
        for _ in range(n // 20):
            v = rng.randrange(n)
            edges.append([v, v])
        rng.shuffle(edges)
    return [n, edges]


def check_input(n, edges) -> None:
    assert 1 <= n <= 50_000
    assert 0 <= len(edges) <= 100_000
    for u, v in edges:
        assert 0 <= u < n and 0 <= v < n
