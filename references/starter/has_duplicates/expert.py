"""O(n): a set drops repeats; compare the sizes."""


def has_duplicates(nums):
    return len(set(nums)) != len(nums)
