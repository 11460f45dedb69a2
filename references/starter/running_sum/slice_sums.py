"""O(n^2): sum a fresh slice for every prefix."""


def running_sum(nums):
    return [sum(nums[: i + 1]) for i in range(len(nums))]
