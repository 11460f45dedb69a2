"""O(n * S): boolean reachability array updated backwards for each item."""


def count_subset_sums(nums):
    total = sum(nums)
    reach = [False] * (total + 1)
    reach[0] = True
    top = 0
    for x in nums:
        for s in range(top, -1, -1):
            if reach[s]:
                reach[s + x] = True
        top += x
    return sum(reach)
