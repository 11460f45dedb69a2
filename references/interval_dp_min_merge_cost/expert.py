"""O(n^2) worst case, usually close to linear: the Garsia-Wachs algorithm on a Python list."""


def min_merge_cost(piles):
    a = list(piles)
    total = 0
    k = 1
    while len(a) > 1:
        n = len(a)
        if k < 1:
            k = 1
        # leftmost pair (a[k-1], a[k]) whose left part is not bigger than a[k+1]
        while k + 1 < n and a[k - 1] > a[k + 1]:
            k += 1
        x = a[k - 1] + a[k]
        total += x
        del a[k - 1:k + 1]
        # the merged pile moves left past every smaller pile
        j = k - 1
        while j > 0 and a[j - 1] < x:
            j -= 1
        a.insert(j, x)
        k = j - 1  # everything further left still satisfies the scan condition
    return total
