"""O(n): list.count (a C loop)."""


def count_value(nums, target):
    return nums.count(target)
