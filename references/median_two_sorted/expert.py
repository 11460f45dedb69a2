"""O(log min(i, j)) per query: binary search for the split of the shorter prefix that balances both
halves; O(q log(m + n)) in all."""


def _median(a, m, b, n):
    if m > n:
        a, m, b, n = b, n, a, m
    half = (m + n + 1) // 2
    lo, hi = 0, m
    while True:
        i = (lo + hi) // 2  # elements taken from a for the left half
        j = half - i
        if i < m and j > 0 and b[j - 1] > a[i]:
            lo = i + 1
        elif i > 0 and j < n and a[i - 1] > b[j]:
            hi = i - 1
        else:
            break
    if i == 0:
        left = b[j - 1]
    elif j == 0:
        left = a[i - 1]
    else:
        left = a[i - 1] if a[i - 1] > b[j - 1] else b[j - 1]
    if (m + n) % 2:
        return float(left)
    if i == m:
        right = b[j]
    elif j == n:
        right = a[i]
    else:
        right = a[i] if a[i] < b[j] else b[j]
    return (left + right) / 2


def median_two_sorted(a, b, queries):
    return [_median(a, i, b, j) for i, j in queries]
