"""O(n^2): test every candidate with `in` on the list."""


def missing_number(nums):
    for x in range(len(nums) + 1):
        if x not in nums:
            return x
