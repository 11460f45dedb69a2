"""O(n^2): extend every start position to the right, keeping a running sum."""


def subarray_sum_count(nums, k):
    n = len(nums)
    count = 0
    for i in range(n):
        s = 0
        for j in range(i, n):
            s += nums[j]
            if s == k:
                count += 1
    return count
