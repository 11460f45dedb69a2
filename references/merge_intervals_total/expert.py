"""O(n log n): sort starts and ends separately; the i-th smallest start paired with the
i-th smallest end gives intervals with the same union, ordered by both ends, so the union
length is ends[-1] - starts[0] minus the positive gaps starts[i] - ends[i - 1]."""

from itertools import compress, repeat
from operator import gt, sub


def merge_intervals_total(intervals):
    if not intervals:
        return 0
    starts, ends = zip(*intervals)
    starts = sorted(starts)
    ends = sorted(ends)
    # A point x is covered iff #(starts <= x) > #(ends <= x), which holds iff
    # starts[i] <= x < ends[i] for some i.
    d = list(map(sub, starts[1:], ends))
    return ends[-1] - starts[0] - sum(compress(d, map(gt, d, repeat(0))))
