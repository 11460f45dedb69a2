"""O(n log n): Fenwick tree over value ranks, counting greater elements seen so far."""


def count_inversions(nums):
    ranks = {v: i for i, v in enumerate(sorted(set(nums)), 1)}
    size = len(ranks)
    tree = [0] * (size + 1)
    seen = 0
    inversions = 0
    for v in nums:
        r = ranks[v]
        # number of earlier elements <= v
        i = r
        le = 0
        while i:
            le += tree[i]
            i &= i - 1
        inversions += seen - le
        seen += 1
        while r <= size:
            tree[r] += 1
            r += r & -r
    return inversions
