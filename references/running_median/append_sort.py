"""O(n^2): append each value, re-sort the whole prefix, read the middle."""


def running_medians(nums):
    window = []
    out = []
    for x in nums:
        window.append(x)
        window.sort()
        out.append(window[(len(window) - 1) // 2])
    return out
