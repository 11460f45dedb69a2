"""O(n m log(n m)): materialise and sort every pairwise sum."""


def kth_smallest_pair_sum(a, b, k):
    sums = [x + y for x in a for y in b]
    sums.sort()
    return sums[k - 1]
