"""O(n): monotonic deque of indices whose values decrease from front to back; the front is
the window maximum."""

from collections import deque


def sliding_window_max_sum(nums, w):
    if w == 1:
        return sum(nums)
    dq = deque()
    push = dq.append
    pop = dq.pop
    total = 0
    for i, x in enumerate(nums):
        while dq and nums[dq[-1]] <= x:
            pop()
        push(i)
        if dq[0] <= i - w:
            dq.popleft()
        if i >= w - 1:
            total += nums[dq[0]]
    return total
