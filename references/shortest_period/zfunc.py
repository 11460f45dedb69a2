"""O(n): Z-function, then the first shift whose match reaches the end of the string
(more Python work per character than the prefix function)."""


def shortest_period(s):
    n = len(s)
    z = [0] * n
    l = r = 0
    for i in range(1, n):
        k = 0
        if i < r:
            k = min(r - i, z[i - l])
        while i + k < n and s[k] == s[i + k]:
            k += 1
        z[i] = k
        if i + k > r:
            l, r = i, i + k
    for p in range(1, n):
        if p + z[p] == n:
            return p
    return n
