"""Stress inputs for closest_pair_sq: points packed into thin vertical strips (a sweep by x
cannot prune anything, since every x-gap is tiny), a few vertical lines, uniformly
scattered points and strips hiding one very close pair."""

import random

LIMIT = 10**9


def generate(size: int, rng: random.Random) -> list:
    n = size
    kind = rng.randrange(4)
    if kind == 0:  # thin vertical strip, y spread out
        pts = [[rng.randint(0, 20), rng.randint(-LIMIT, LIMIT)] for _ in range(n)]
    elif kind == 1:  # a few vertical lines far apart
        xs = [rng.randint(-LIMIT, LIMIT) for _ in range(rng.randint(1, 3))]
        pts = [[rng.choice(xs), rng.randint(-LIMIT, LIMIT)] for _ in range(n)]
    elif kind == 2:  # uniform
        pts = [[rng.randint(-LIMIT, LIMIT), rng.randint(-LIMIT, LIMIT)] for _ in range(n)]
    else:  # strip of well separated points plus one close pair
        step = 2 * LIMIT // n
        ys = rng.sample(range(-LIMIT // step + 1, LIMIT // step), n - 1)
        pts = [[rng.randint(-5, 5), y * step] for y in ys]
        x, y = pts[rng.randrange(n - 1)]
        pts.append([x + rng.randint(-3, 3), y + rng.randint(1, 100)])
    rng.shuffle(pts)
    return [pts]


def check_input(points) -> None:
    assert 2 <= len(points) <= 20_000
    for x, y in points:
        assert isinstance(x, int) and isinstance(y, int)
        assert -LIMIT <= x <= LIMIT and -LIMIT <= y <= LIMIT
