"""O(n^2): check every pair of points."""


def closest_pair_sq(points):
    best = None
    n = len(points)
    for i in range(n):
        x1, y1 = points[i]
        for j in range(i + 1, n):
            x2, y2 = points[j]
            d = (x1 - x2) ** 2 + (y1 - y2) ** 2
            if best is None or d < best:
                best = d
    return best
