"""O((n + q) log n): Fenwick tree built in linear time; assignments become point deltas."""


def range_sums(nums, ops):
    n = len(nums)
    vals = list(nums)
    tree = [0] + vals
    for i in range(1, n + 1):  # linear-time build
        j = i + (i & -i)
        if j <= n:
            tree[j] += tree[i]
    out = []
    push = out.append
    for t, a, b in ops:
        if t:
            # prefix(b + 1) - prefix(a)
            s = 0
            i = b + 1
            while i:
                s += tree[i]
                i &= i - 1
            i = a
            while i:
                s -= tree[i]
                i &= i - 1
            push(s)
        else:
            delta = b - vals[a]
            if delta:
                vals[a] = b
                i = a + 1
                while i <= n:
                    tree[i] += delta
                    i += i & -i
    return out
