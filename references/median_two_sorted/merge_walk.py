"""O(i + j) per query: walk both prefixes in merge order up to the middle."""


def _median(a, m, b, n):
    total = m + n
    i = j = 0
    prev = cur = 0
    for _ in range(total // 2 + 1):
        prev = cur
        if j >= n or (i < m and a[i] <= b[j]):
            cur = a[i]
            i += 1
        else:
            cur = b[j]
            j += 1
    if total % 2:
        return float(cur)
    return (prev + cur) / 2


def median_two_sorted(a, b, queries):
    return [_median(a, i, b, j) for i, j in queries]
