"""Stress inputs for merge_intervals_total: many disjoint blocks in shuffled order, nesting, touching ends."""

import random

LIMIT = 10**9
MAX_LEN = 5_000


def generate(size: int, rng: random.Random) -> list:
    n = size
    kind = rng.randrange(3)
    if kind == 0:  # mostly disjoint short intervals, shuffled: the union stays fragmented
        points = sorted(rng.sample(range(-LIMIT, LIMIT), 2 * n))
        iv = [[points[2 * i], points[2 * i + 1]] for i in range(n)]
        for _ in range(n // 50):  # a few merges via touching / overlapping pieces
            i = rng.randrange(n)
            if i + 1 < n:
                iv[i][1] = iv[i + 1][0]
    elif kind == 1:  # disjoint groups, each a few nested or chained intervals
        iv = []
        base = -LIMIT
        step = (2 * LIMIT) // (n + 1)
        while len(iv) < n:
            l = base + rng.randrange(step // 4)
            r = l + rng.randrange(1, step // 2)
            iv.append([l, r])
            if rng.random() < 0.3 and len(iv) < n:
                a = rng.randint(l, r)
                iv.append([a, rng.randint(a, r)])  # nested
            base += step
        iv = iv[:n]
    else:  # random intervals of mixed lengths, some empty
        iv = []
        for _ in range(n):
            l = rng.randint(-LIMIT, LIMIT)
            length = rng.choice((0, rng.randint(0, 1000), rng.randint(0, 2 * LIMIT // n + 1)))
            iv.append([l, min(LIMIT, l + length)])
    rng.shuffle(iv)
    return [iv]


def check_input(intervals: list) -> None:
    assert len(intervals) <= MAX_LEN
    for iv in intervals:
        assert len(iv) == 2
        l, r = iv
        assert isinstance(l, int) and isinstance(r, int)
        assert -LIMIT <= l <= r <= LIMIT
