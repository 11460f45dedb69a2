"""O(n^2): fix the first index, then count complementary pairs to its right with a dict."""


def three_sum_zero_count(nums):
    n = len(nums)
    total = 0
    for i in range(n - 2):
        need = -nums[i]
        seen = {}
        for j in range(i + 1, n):
            x = nums[j]
            total += seen.get(need - x, 0)
            seen[x] = seen.get(x, 0) + 1
    return total
