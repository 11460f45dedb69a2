"""Stress inputs for hull_area2: points in convex position (on a large circle, so the hull
has as many vertices as there are points and gift wrapping pays n per vertex), circles with
interior points and collinear runs, and plain random clouds."""

import math
import random

LIMIT = 10**9


def _circle(n, rng, radius):
    # with radius ~1e9 and n <= 20000 the rounding error is far below the curvature,
    # so every rounded point stays a strict hull vertex
    offset = rng.random()
    return [[round(radius * math.cos(2 * math.pi * (k + offset) / n)),
             round(radius * math.sin(2 * math.pi * (k + offset) / n))] for k in range(n)]


def generate(size: int, rng: random.Random) -> list:
    n = size
    kind = rng.randrange(4)
    if kind <= 1:  # all points on the hull
        pts = _circle(n, rng, LIMIT - rng.randrange(1000))
    elif kind == 2:  # mostly hull points, some inside, some duplicated, a collinear side
        h = n - n // 5
        pts = _circle(h, rng, LIMIT // 2)
        pts += [[rng.randint(-LIMIT // 4, LIMIT // 4), rng.randint(-LIMIT // 4, LIMIT // 4)]
                for _ in range(n // 10)]
        while len(pts) < n:
            pts.append(list(rng.choice(pts)))
        pts[-1] = [LIMIT, LIMIT]  # a far corner swallowing part of the circle
    else:  # random cloud
        pts = [[rng.randint(-LIMIT, LIMIT), rng.randint(-LIMIT, LIMIT)] for _ in range(n)]
    rng.shuffle(pts)
    return [pts]


def check_input(points) -> None:
    assert 1 <= len(points) <= 20_000
    for x, y in points:
        assert isinstance(x, int) and isinstance(y, int)
        assert -LIMIT <= x <= LIMIT and -LIMIT <= y <= LIMIT
