"""O(n log n) comparisons: sweep by x with the active points kept sorted by y; each point is
compared only with active points inside a y-window of the current best radius, which holds
O(1) points. (Inserting into the Python list shifts memory in C; that O(n) memmove per
insertion is negligible next to the interpreted work at these sizes.)"""

from bisect import bisect_left, bisect_right, insort
from math import isqrt


def closest_pair_sq(points):
    pts = sorted(map(tuple, points))  # by x, then y
    for a, b in zip(pts, pts[1:]):
        if a == b:
            return 0
    (x0, y0), (x1, y1) = pts[0], pts[1]
    best = (x1 - x0) ** 2 + (y1 - y0) ** 2
    radius = isqrt(best)
    active = []  # (y, x) of points whose x-gap to the sweep line may still beat best
    left = 0
    for x, y in pts:
        while (x - pts[left][0]) ** 2 >= best:
            lx, ly = pts[left]
            del active[bisect_left(active, (ly, lx))]
            left += 1
        lo = bisect_left(active, (y - radius,))
        hi = bisect_right(active, (y + radius + 1,))
        for i in range(lo, hi):
            py, px = active[i]
            d = (px - x) ** 2 + (py - y) ** 2
            if d < best:
                best = d
                radius = isqrt(best)
        insort(active, (y, x))
    return best
