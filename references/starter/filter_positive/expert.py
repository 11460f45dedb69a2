"""O(n): filter with the C-level bound method (0).__lt__."""


def filter_positive(nums):
    return list(filter((0).__lt__, nums))
