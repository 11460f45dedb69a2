"""O(n): count values once (C-level Counter), then pair up value classes with C-level maps."""

from collections import Counter
from itertools import repeat
from operator import mul, sub


def pair_sum_count(nums, target):
    counts = Counter(nums)
    # ordered pairs of positions (i, j), i != j allowed to be equal-valued partners
    total = sum(map(mul, counts.values(),
                    map(counts.get, map(sub, repeat(target), counts), repeat(0))))
    if target % 2 == 0:
        total -= counts.get(target // 2, 0)  # drop the pairs (i, i)
    return total // 2
