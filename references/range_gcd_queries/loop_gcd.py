"""O(n * q): fold gcd over each query range in a Python loop."""

from math import gcd


def range_gcd(nums, queries):
    out = []
    for l, r in queries:
        g = 0
        for i in range(l, r + 1):
            g = gcd(g, nums[i])
        out.append(g)
    return out
