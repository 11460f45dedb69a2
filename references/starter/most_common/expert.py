"""O(n): Counter counts in C; max over its keys by count (C-level key function)."""

from collections import Counter


def most_common(nums):
    counts = Counter(nums)
    return max(counts, key=counts.__getitem__)
