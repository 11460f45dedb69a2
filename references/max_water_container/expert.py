"""O(n): two-pointer sweep; after moving a wall inward, skip every wall that is not taller
than the one just left, since it can only give a narrower and no taller container."""


def max_water_container(heights):
    i, j = 0, len(heights) - 1
    best = 0
    while i < j:
        hi = heights[i]
        hj = heights[j]
        if hi < hj:
            area = hi * (j - i)
            i += 1
            while i < j and heights[i] <= hi:
                i += 1
        else:
            area = hj * (j - i)
            j -= 1
            while i < j and heights[j] <= hj:
                j -= 1
        if area > best:
            best = area
    return best
