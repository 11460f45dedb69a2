"""O(n log n + q): sparse table of gcds over power-of-two windows; each query combines two
overlapping windows."""

from math import gcd


def range_gcd(nums, queries):
    table = [nums]
    width = 1
    n = len(nums)
    while 2 * width <= n:
        prev = table[-1]
        table.append(list(map(gcd, prev[: n - 2 * width + 1], prev[width:])))
        width *= 2
    out = []
    push = out.append
    for l, r in queries:
        k = (r - l + 1).bit_length() - 1
        row = table[k]
        push(gcd(row[l], row[r - (1 << k) + 1]))
    return out
