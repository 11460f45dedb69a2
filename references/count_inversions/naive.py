"""O(n^2): compare every pair."""


def count_inversions(nums):
    n = len(nums)
    count = 0
    for i in range(n):
        a = nums[i]
        for j in range(i + 1, n):
            if a > nums[j]:
                count += 1
    return count
