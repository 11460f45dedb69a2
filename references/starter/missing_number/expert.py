"""O(n): the sum 0 + 1 + ... + n minus the sum of the list (C-level sum)."""


def missing_number(nums):
    n = len(nums)
    return n * (n + 1) // 2 - sum(nums)
