"""O(n log n) with a Python comparator: Graham scan sorting by polar angle around the lowest
point through functools.cmp_to_key."""

from functools import cmp_to_key


def hull_area2(points):
    pts = list(set(map(tuple, points)))
    if len(pts) < 3:
        return 0
    pivot = min(pts, key=lambda p: (p[1], p[0]))
    px, py = pivot

    def compare(a, b):
        c = (a[0] - px) * (b[1] - py) - (a[1] - py) * (b[0] - px)
        if c > 0:
            return -1
        if c < 0:
            return 1
        da = (a[0] - px) ** 2 + (a[1] - py) ** 2
        db = (b[0] - px) ** 2 + (b[1] - py) ** 2
        return -1 if da < db else (1 if da > db else 0)

    rest = sorted((p for p in pts if p != pivot), key=cmp_to_key(compare))
    stack = [pivot]
    for p in rest:
        while len(stack) >= 2:
            a, b = stack[-2], stack[-1]
            if (b[0] - a[0]) * (p[1] - a[1]) - (b[1] - a[1]) * (p[0] - a[0]) > 0:
                break
            stack.pop()
        stack.append(p)
    if len(stack) < 3:
        return 0
    area = 0
    for i in range(len(stack)):
        x1, y1 = stack[i - 1]
        x2, y2 = stack[i]
        area += x1 * y2 - y1 * x2
    return abs(area)
