"""O(k log n): pop the k smallest sums from a heap over the sorted lists."""

import heapq


def kth_smallest_pair_sum(a, b, k):
    a = sorted(a)
    b = sorted(b)
    heap = [(x + b[0], i, 0) for i, x in enumerate(a)]
    heapq.heapify(heap)
    m = len(b)
    for _ in range(k - 1):
        s, i, j = heapq.heappop(heap)
        if j + 1 < m:
            heapq.heappush(heap, (a[i] + b[j + 1], i, j + 1))
    return heap[0][0]
