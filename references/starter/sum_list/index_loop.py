"""O(n): a Python loop over the indices (a large constant factor)."""


def sum_list(nums):
    total = 0
    for i in range(len(nums)):
        total = total + nums[i]
    return total
