"""O(n^2) worst case: sort the suffixes as strings, then compare neighbours character by
character (cheap for random text, quadratic when long repeats exist)."""


def longest_repeat(s):
    n = len(s)
    order = sorted(range(n), key=lambda i: s[i:])
    best = 0
    for a, b in zip(order, order[1:]):
        k = 0
        while a + k < n and b + k < n and s[a + k] == s[b + k]:
            k += 1
        if k > best:
            best = k
    return best
