"""O(n log n): two heaps, a max-heap (negated) of the lower half and a min-heap of the upper
half, with the lower half one element larger when the count is odd."""

from heapq import heappop, heappush, heappushpop


def running_medians(nums):
    low = []  # negated values of the lower half; -low[0] is the lower median
    high = []  # upper half
    out = []
    push = out.append
    for x in nums:
        if len(low) == len(high):
            # the new lower median is the smallest of high + [x]
            if high and x > high[0]:
                x = heappushpop(high, x)
            heappush(low, -x)
        else:
            # low has one extra; the larger of low + [x] moves to high
            heappush(high, -heappushpop(low, -x))
        push(-low[0])
    return out
