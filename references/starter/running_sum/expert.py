"""O(n): itertools.accumulate (a C loop)."""

from itertools import accumulate


def running_sum(nums):
    return list(accumulate(nums))
