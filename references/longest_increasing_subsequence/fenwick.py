"""O(n log n) with a larger constant: Fenwick tree of prefix maxima over value ranks."""


def longest_increasing_subsequence(nums):
    ranks = {v: i for i, v in enumerate(sorted(set(nums)), 1)}
    size = len(ranks)
    tree = [0] * (size + 1)
    best = 0
    for x in nums:
        r = ranks[x]
        # longest run ending with a value of rank < r
        i = r - 1
        cur = 0
        while i > 0:
            if tree[i] > cur:
                cur = tree[i]
            i -= i & -i
        cur += 1
        if cur > best:
            best = cur
        while r <= size:
            if tree[r] < cur:
                tree[r] = cur
            r += r & -r
    return best
