"""O(q * k) for k points in a rectangle's x-range (O(n * q) worst case): sort points by x,
bisect each rectangle's x-range, and test the y of every point in that window."""

from bisect import bisect_left, bisect_right


def count_in_rectangles(points, rects):
    pts = sorted(points)
    xs = [p[0] for p in pts]
    ys = [p[1] for p in pts]
    out = []
    for x1, y1, x2, y2 in rects:
        a = bisect_left(xs, x1)
        b = bisect_right(xs, x2)
        out.append(sum(1 for y in ys[a:b] if y1 <= y <= y2))
    return out
