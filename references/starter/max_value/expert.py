"""O(n): the built-in max (a C loop)."""


def max_value(nums):
    return max(nums)
