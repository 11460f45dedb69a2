"""O((n + m) log n + n log m log V): bisect on the answer; count sums <= x with C-level bisects."""

from bisect import bisect_right
from itertools import repeat
from operator import sub


def kth_smallest_pair_sum(a, b, k):
    if len(a) > len(b):
        a, b = b, a
    a = sorted(a)
    b = sorted(b)
    lo = a[0] + b[0]
    hi = a[-1] + b[-1]
    # smallest x with #{(i, j): a[i] + b[j] <= x} >= k
    while lo < hi:
        mid = (lo + hi) // 2
        if sum(map(bisect_right, repeat(b), map(sub, repeat(mid), a))) >= k:
            hi = mid
        else:
            lo = mid + 1
    return lo
