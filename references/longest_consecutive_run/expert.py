"""O(n): hash set; walk upward only from values that start a run, so each value is visited once."""


def longest_consecutive_run(nums):
    present = set(nums)
    best = 0
    for x in present:
        if x - 1 not in present:
            y = x + 1
            while y in present:
                y += 1
            if y - x > best:
                best = y - x
    return best
