"""O(n log n): sort, then compare neighbours in a Python loop."""


def has_duplicates(nums):
    ordered = sorted(nums)
    for i in range(1, len(ordered)):
        if ordered[i] == ordered[i - 1]:
            return True
    return False
