"""O((n + q) log n): offline sweep over x. Each rectangle becomes two prefix events (x2 adds,
x1 - 1 subtracts); points enter a Fenwick tree over compressed y as the sweep passes them."""

from bisect import bisect_left, bisect_right


def count_in_rectangles(points, rects):
    ans = [0] * len(rects)
    if not points:
        return ans
    ys = sorted({y for _, y in points})
    m = len(ys)
    rank = {y: i for i, y in enumerate(ys, 1)}
    pts = sorted((x, rank[y]) for x, y in points)
    events = []
    for i, (x1, y1, x2, y2) in enumerate(rects):
        lo = bisect_left(ys, y1)  # Fenwick positions lo+1 .. hi
        hi = bisect_right(ys, y2)
        if lo < hi:
            events.append((x2, hi, lo, i, 1))
            events.append((x1 - 1, hi, lo, i, -1))
    events.sort()
    tree = [0] * (m + 1)
    j = 0
    npts = len(pts)
    for x, hi, lo, i, sign in events:
        while j < npts and pts[j][0] <= x:
            k = pts[j][1]
            while k <= m:
                tree[k] += 1
                k += k & -k
            j += 1
        s = 0
        while hi > lo:  # sum(hi) - sum(lo): walk both down until they meet
            s += tree[hi]
            hi &= hi - 1
        while lo > hi:
            s -= tree[lo]
            lo &= lo - 1
        ans[i] += sign * s
    return ans
