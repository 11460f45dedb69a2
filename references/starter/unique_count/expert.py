"""O(n): the size of a set."""


def unique_count(nums):
    return len(set(nums))
