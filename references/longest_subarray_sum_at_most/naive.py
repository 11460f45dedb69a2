"""O(n L): from every start, extend while the sum stays within the limit (L = answer)."""


def longest_subarray_sum_at_most(nums, limit):
    n = len(nums)
    best = 0
    for i in range(n):
        total = 0
        j = i
        while j < n and total + nums[j] <= limit:
            total += nums[j]
            j += 1
        if j - i > best:
            best = j - i
    return best
