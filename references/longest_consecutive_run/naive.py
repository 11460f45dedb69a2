"""O(n^2): the same run-start walk, but membership is tested on the list itself."""


def longest_consecutive_run(nums):
    best = 0
    for x in nums:
        if x - 1 in nums:
            continue
        y = x + 1
        while y in nums:
            y += 1
        if y - x > best:
            best = y - x
    return best
