"""O(n^2): for each position scan forward until a larger value appears."""


def next_greater_indices(nums):
    n = len(nums)
    ans = [-1] * n
    for i in range(n):
        v = nums[i]
        for j in range(i + 1, n):
            if nums[j] > v:
                ans[i] = j
                break
    return ans
