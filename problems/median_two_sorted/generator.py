"""Stress inputs for median_two_sorted: unbalanced lengths, interleaved or disjoint ranges, ties."""

import random

LIMIT = 10**9
MAX_LEN = 200_000


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
        if rng.random() < 0.5:
            a, b = b, a
    else:  # heavy ties
        a = sorted(rng.randint(-3, 3) for _ in range(m))
        b = sorted(rng.randint(-3, 3) for _ in range(n))
    if rng.random() < 0.5:
        a, b = b, a
    if not a and not b:
        a = [0]
    return [a, b]


def check_input(a: list, b: list) -> None:
    assert len(a) <= MAX_LEN and len(b) <= MAX_LEN and len(a) + len(b) >= 1
    for lst in (a, b):
        assert all(isinstance(x, int) and -LIMIT <= x <= LIMIT for x in lst)
        assert all(lst[i] <= lst[i + 1] for i in range(len(lst) - 1))
