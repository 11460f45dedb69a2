"""O(n^2): try every pair of walls."""


def max_water_container(heights):
    n = len(heights)
    best = 0
    for i in range(n):
        hi = heights[i]
        for j in range(i + 1, n):
            hj = heights[j]
            area = (hi if hi < hj else hj) * (j - i)
            if area > best:
                best = area
    return best
