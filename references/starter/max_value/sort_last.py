"""O(n log n): sort a copy and take its last element."""


def max_value(nums):
    return sorted(nums)[-1]
