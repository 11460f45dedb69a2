"""O(n): Kadane's algorithm written with max() calls for every element (larger constant)."""


def max_subarray_sum(nums):
    best = cur = nums[0]
    for x in nums[1:]:
        cur = max(x, cur + x)
        best = max(best, cur)
    return best
