"""O(n log n): prefix sums; for every start, bisect for the furthest end that fits."""

from bisect import bisect_right
from itertools import accumulate, repeat
from operator import add, sub


def longest_subarray_sum_at_most(nums, limit):
    prefix = list(accumulate(nums, initial=0))
    # for each start i, the furthest end j with prefix[j] - prefix[i] <= limit
    ends = map(bisect_right, repeat(prefix), map(add, prefix, repeat(limit)))
    return max(map(sub, ends, range(1, len(prefix) + 1)))
