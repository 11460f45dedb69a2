"""O(n + d log d): C-level Counter, then one sort of the distinct values and a stable sort by count."""

from collections import Counter


def top_k_frequent(nums, k):
    counts = Counter(nums)
    values = sorted(counts)
    # reverse=True keeps the sort stable, so equal counts stay in increasing value order
    values.sort(key=counts.__getitem__, reverse=True)
    del values[k:]
    return values
