"""O(n): sliding window that never shrinks; it only slides when the sum is exceeded, so its
final width is the answer."""


def longest_subarray_sum_at_most(nums, limit):
    left = 0
    total = 0
    for x in nums:
        total += x
        if total > limit:
            total -= nums[left]
            left += 1
    return len(nums) - left
