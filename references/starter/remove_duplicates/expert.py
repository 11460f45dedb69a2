"""O(n): dict.fromkeys keeps the first occurrence of each key, in order."""


def remove_duplicates(nums):
    return list(dict.fromkeys(nums))
