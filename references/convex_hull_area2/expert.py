"""O(n log n): Andrew's monotone chain over the sorted distinct points, then the shoelace
formula over the hull vertices."""


def hull_area2(points):
    pts = sorted(set(map(tuple, points)))
    if len(pts) < 3:
        return 0

    def chain(seq):
        out = []
        for x, y in seq:
            while len(out) >= 2:
                (ax, ay), (bx, by) = out[-2], out[-1]
                if (bx - ax) * (y - ay) - (by - ay) * (x - ax) > 0:
                    break
                out.pop()
            out.append((x, y))
        return out

    lower = chain(pts)
    upper = chain(reversed(pts))
    hull = lower[:-1] + upper[:-1]
    area = 0
    px, py = hull[-1]
    for x, y in hull:
        area += px * y - py * x
        px, py = x, y
    return abs(area)
