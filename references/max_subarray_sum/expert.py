"""O(n): Kadane's algorithm with plain comparisons (no per-element builtin calls)."""


def max_subarray_sum(nums):
    best = cur = nums[0]
    for x in nums[1:]:
        if cur > 0:
            cur += x
        else:
            cur = x
        if cur > best:
            best = cur
    return best
