"""O(n * q): test every point against every rectangle."""


def count_in_rectangles(points, rects):
    out = []
    for x1, y1, x2, y2 in rects:
        c = 0
        for x, y in points:
            if x1 <= x <= x2 and y1 <= y <= y2:
                c += 1
        out.append(c)
    return out
