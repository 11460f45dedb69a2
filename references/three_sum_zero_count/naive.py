"""O(n^3): test every index triple."""


def three_sum_zero_count(nums):
    n = len(nums)
    total = 0
    for i in range(n):
        a = nums[i]
        for j in range(i + 1, n):
            s = a + nums[j]
            for k in range(j + 1, n):
                if s + nums[k] == 0:
                    total += 1
    return total
