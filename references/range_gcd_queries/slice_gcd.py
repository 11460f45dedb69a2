"""O(n * q): gcd of each query slice with the variadic math.gcd (a C loop per query)."""

from math import gcd


def range_gcd(nums, queries):
    return [gcd(*nums[l:r + 1]) for l, r in queries]
