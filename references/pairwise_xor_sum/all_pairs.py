"""O(n^2): XOR every pair and add it up."""


def pairwise_xor_sum(nums):
    total = 0
    n = len(nums)
    for i in range(n):
        a = nums[i]
        for j in range(i + 1, n):
            total += a ^ nums[j]
    return total
