"""O(n log n + d^2) with C-level inner loops over the d distinct values: count value
triples u <= v <= w summing to zero and weight each by the index triples it stands for."""

from bisect import bisect_right
from collections import Counter
from itertools import repeat
from operator import sub


def three_sum_zero_count(nums):
    counts = Counter(nums)
    get = counts.get
    values = sorted(counts)
    present = set(values)
    c0 = get(0, 0)
    total = c0 * (c0 - 1) * (c0 - 2) // 6  # 0 + 0 + 0
    for u in values:
        c = counts[u]
        if c >= 2 and u:  # u + u + (-2u) with -2u != u
            total += c * (c - 1) // 2 * get(-2 * u, 0)
    for a, u in enumerate(values):
        if u >= 0:
            break
        # distinct u < v < w = -u - v: v ranges over (u, -u / 2); C-level set probes
        hi = bisect_right(values, (-u - 1) // 2, a + 1)
        if hi > a + 1:
            hits = present.intersection(map(sub, repeat(-u, hi - a - 1), values[a + 1:hi]))
            if hits:
                cu = counts[u]
                for w in hits:
                    total += cu * counts[w] * counts[-u - w]
    return total
