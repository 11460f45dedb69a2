"""O(n + d log n log W): binary search on the capacity inside the tight window
[max(max w, ceil(S / d)), that + max w]; each test jumps a whole day at a time with a
bisect over prefix sums, so it costs O(d log n) instead of O(n)."""

from bisect import bisect_right
from itertools import accumulate


def min_capacity_to_ship(weights, days):
    prefix = list(accumulate(weights, initial=0))
    total = prefix[-1]
    heaviest = max(weights)
    lo = max(heaviest, -(-total // days))
    hi = lo + heaviest  # greedy with this capacity always fits in `days` days

    def fits(cap):
        pos = 0  # prefix index of the next package to load
        for _ in range(days):
            pos = bisect_right(prefix, prefix[pos] + cap) - 1
            if pos == len(weights):
                return True
        return False

    while lo < hi:
        mid = (lo + hi) // 2
        if fits(mid):
            hi = mid
        else:
            lo = mid + 1
    return lo
