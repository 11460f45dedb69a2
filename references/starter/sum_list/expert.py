"""O(n): the built-in sum (a C loop)."""


def sum_list(nums):
    return sum(nums)
