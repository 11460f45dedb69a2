"""O(n): a Python loop over the indices with a counter (a large constant factor)."""


def count_value(nums, target):
    count = 0
    for i in range(len(nums)):
        if nums[i] == target:
            count = count + 1
    return count
