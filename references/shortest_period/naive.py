"""O(n^2): try p = 1, 2, ... and compare the shifted slices s[p:] and s[:n-p]."""


def shortest_period(s):
    n = len(s)
    for p in range(1, n):
        if s[p:] == s[:n - p]:
            return p
    return n
