"""O(n * B): per bit, count the ones with a Python-level generator."""


def pairwise_xor_sum(nums):
    n = len(nums)
    total = 0
    for b in range(30):
        ones = sum((x >> b) & 1 for x in nums)
        total += ones * (n - ones) << b
    return total
