"""Stress inputs for count_in_rectangles: rectangles that span nearly the whole x-range but
a thin band of y (sorting by x and scanning an x-window cannot skip anything), big
rectangles, degenerate rectangles on points, and duplicated points."""

import random

LIMIT = 10**9


def generate(size: int, rng: random.Random) -> list:
    n = q = size
    kind = rng.randrange(3)
    if kind == 0:
        points = [[rng.randint(-LIMIT, LIMIT), rng.randint(-LIMIT, LIMIT)] for _ in range(n)]
    elif kind == 1:  # small grid: many duplicates and border hits
        points = [[rng.randint(-30, 30), rng.randint(-30, 30)] for _ in range(n)]
    else:  # clustered
        cx, cy = rng.randint(-LIMIT // 2, LIMIT // 2), rng.randint(-LIMIT // 2, LIMIT // 2)
        points = [[cx + rng.randint(-10**6, 10**6), cy + rng.randint(-10**6, 10**6)]
                  for _ in range(n)]
    xs = sorted(p[0] for p in points)
    ys = sorted(p[1] for p in points)
    rects = []
    for _ in range(q):
        r = rng.random()
        if r < 0.6:  # full x-width, thin y band between two point ordinates
            i = rng.randrange(n)
            j = min(n - 1, i + rng.randint(0, 5))
            rects.append([-LIMIT, ys[i], LIMIT, ys[j]])
        elif r < 0.8:  # large random rectangle
            x1, x2 = sorted((rng.choice(xs), rng.choice(xs)))
            y1, y2 = sorted((rng.choice(ys), rng.choice(ys)))
            rects.append([x1 - rng.randint(0, 3), y1, x2, y2 + rng.randint(0, 3)])
        elif r < 0.9:  # a single point as a rectangle
            x, y = rng.choice(points)
            rects.append([x, y, x, y])
        else:  # arbitrary, possibly empty region
            x1, x2 = sorted((rng.randint(-LIMIT, LIMIT), rng.randint(-LIMIT, LIMIT)))
            y1, y2 = sorted((rng.randint(-LIMIT, LIMIT), rng.randint(-LIMIT, LIMIT)))
            rects.append([x1, y1, x2, y2])
    return [points, rects]


def check_input(points, rects) -> None:
    assert len(points) <= 20_000 and len(rects) <= 20_000
    for x, y in points:
        assert -LIMIT <= x <= LIMIT and -LIMIT <= y <= LIMIT
    for x1, y1, x2, y2 in rects:
        assert -LIMIT <= x1 <= x2 <= LIMIT and -LIMIT <= y1 <= y2 <= LIMIT
