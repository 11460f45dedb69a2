"""O(n): a C-level map of multiplication over the list and itself."""

from operator import mul


def squares(nums):
    return list(map(mul, nums, nums))
