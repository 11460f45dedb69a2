"""O(n): running prefix sums; a dict counts earlier prefixes equal to prefix - k."""

from itertools import accumulate


def subarray_sum_count(nums, k):
    seen = {0: 1}
    get = seen.get
    total = 0
    for p in accumulate(nums):
        total += get(p - k, 0)
        seen[p] = get(p, 0) + 1
    return total
