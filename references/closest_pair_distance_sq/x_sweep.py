"""O(n^2) worst case: sort by x, compare each point with later points until the x-gap alone
exceeds the best distance (no pruning when all x-coordinates are close)."""


def closest_pair_sq(points):
    pts = sorted(map(tuple, points))
    best = float("inf")
    n = len(pts)
    for i in range(n):
        x1, y1 = pts[i]
        for j in range(i + 1, n):
            x2, y2 = pts[j]
            dx = x2 - x1
            dx *= dx
            if dx >= best:
                break
            d = dx + (y2 - y1) ** 2
            if d < best:
                best = d
    return best
