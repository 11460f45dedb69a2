"""O(n * h): Jarvis march; from each hull vertex scan all points for the most clockwise
turn (h = number of hull vertices, up to n)."""


def hull_area2(points):
    pts = list(set(map(tuple, points)))
    if len(pts) < 3:
        return 0
    start = min(pts)
    hull = [start]
    cur = start
    while True:
        cand = pts[0] if pts[0] != cur else pts[1]
        cx, cy = cur
        for p in pts:
            if p == cur:
                continue
            c = (cand[0] - cx) * (p[1] - cy) - (cand[1] - cy) * (p[0] - cx)
            if c < 0 or (c == 0 and (p[0] - cx) ** 2 + (p[1] - cy) ** 2
                         > (cand[0] - cx) ** 2 + (cand[1] - cy) ** 2):
                cand = p
        if cand == start:
            break
        hull.append(cand)
        cur = cand
    area = 0
    for i in range(len(hull)):
        x1, y1 = hull[i - 1]
        x2, y2 = hull[i]
        area += x1 * y2 - y1 * x2
    return abs(area)
