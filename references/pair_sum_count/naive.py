"""O(n^2): test every pair."""


def pair_sum_count(nums, target):
    n = len(nums)
    count = 0
    for i in range(n):
        need = target - nums[i]
        for j in range(i + 1, n):
            if nums[j] == need:
                count += 1
    return count
