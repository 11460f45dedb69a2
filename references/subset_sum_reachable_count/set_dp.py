"""O(n * S): grow a Python set of reachable sums item by item."""


def count_subset_sums(nums):
    sums = {0}
    for x in nums:
        sums |= {s + x for s in sums}
    return len(sums)
