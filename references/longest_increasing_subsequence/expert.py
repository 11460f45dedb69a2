"""O(n log n): patience sorting, keeping the smallest tail of every increasing length."""

from bisect import bisect_left


def longest_increasing_subsequence(nums):
    tails = []
    append = tails.append
    for x in nums:
        i = bisect_left(tails, x)
        if i == len(tails):
            append(x)
        else:
            tails[i] = x
    return len(tails)
