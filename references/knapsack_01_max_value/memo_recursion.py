"""O(n * capacity) states: top-down recursion over (item, remaining capacity) with a cache."""

import sys
from functools import lru_cache


def knapsack_max_value(weights, values, capacity):
    n = len(weights)
    sys.setrecursionlimit(max(1000, 4 * n + 100))

    @lru_cache(maxsize=None)
    def best(i, cap):
        if i == n:
            return 0
        skip = best(i + 1, cap)
        w = weights[i]
        if w <= cap:
            take = best(i + 1, cap - w) + values[i]
            if take > skip:
                return take
        return skip

    return best(0, capacity)
