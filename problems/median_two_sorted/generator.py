"""Stress inputs for median_two_sorted: two long sorted lists (unbalanced lengths, interleaved or
disjoint ranges, heavy ties) and many prefix queries, most of them long, so walking or sorting the
prefixes costs far more than a binary search per query."""

import random

LIMIT = 10**9
MAX_LEN = 200_000
MAX_QUERIES = 20_000


def generate(size: int, rng: random.Random) -> list:
    m = size
    n = rng.choice((size, rng.randint(0, size), size - rng.randint(0, 3)))
    kind = rng.randrange(3)
    if kind == 0:  # interleaved
        a = sorted(rng.randint(-LIMIT, LIMIT) for _ in range(m))
        b = sorted(rng.randint(-LIMIT, LIMIT) for _ in range(n))
    elif kind == 1:  # disjoint: all of one list below the other
        a = sorted(rng.randint(-LIMIT, 0) for _ in range(m))
        b = sorted(rng.randint(1, LIMIT) for _ in range(n))
    else:  # heavy ties
        a = sorted(rng.randint(-3, 3) for _ in range(m))
        b = sorted(rng.randint(-3, 3) for _ in range(n))
    if rng.random() < 0.5:
        a, b = b, a
    if not a and not b:
        a = [0]
    queries = []
    for _ in range(max(1, min(MAX_QUERIES, int(3 * size**0.5)))):
        i = rng.randint(len(a) // 2, len(a)) if rng.random() < 0.8 else rng.randint(0, len(a))
        j = rng.randint(len(b) // 2, len(b)) if rng.random() < 0.8 else rng.randint(0, len(b))
        if i + j == 0:
            i, j = (1, 0) if a else (0, 1)
        queries.append([i, j])
    return [a, b, queries]


def check_input(a: list, b: list, queries: list) -> None:
    assert len(a) <= MAX_LEN and len(b) <= MAX_LEN
    for lst in (a, b):
        assert all(isinstance(x, int) and -LIMIT <= x <= LIMIT for x in lst)
        assert all(lst[i] <= lst[i + 1] for i in range(len(lst) - 1))
    assert 1 <= len(queries) <= MAX_QUERIES
    for q in queries:
        assert isinstance(q, list) and len(q) == 2
        i, j = q
        assert isinstance(i, int) and isinstance(j, int)
        assert 0 <= i <= len(a) and 0 <= j <= len(b) and i + j >= 1
