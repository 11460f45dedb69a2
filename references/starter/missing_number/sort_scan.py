"""O(n log n): sort, then find the first position whose value is not its index."""


def missing_number(nums):
    ordered = sorted(nums)
    for i, x in enumerate(ordered):
        if x != i:
            return i
    return len(ordered)
