"""O(n^2): best[i] = 1 + max best[j] over earlier j with nums[j] < nums[i]."""


def longest_increasing_subsequence(nums):
    n = len(nums)
    best = [1] * n
    for i in range(n):
        x = nums[i]
        b = 1
        for j in range(i):
            if nums[j] < x and best[j] + 1 > b:
                b = best[j] + 1
        best[i] = b
    return max(best, default=0)
