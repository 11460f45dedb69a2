"""O(n^2): the first item that is at least as large as every other item."""


def max_value(nums):
    for x in nums:
        if all(x >= y for y in nums):
            return x
