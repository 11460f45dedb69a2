"""O(n): Manacher's algorithm on the string interleaved with separators."""


def longest_palindrome(s):
    if not s:
        return 0
    t = "^#" + "#".join(s) + "#$"  # sentinels differ, so expansion stops at the ends
    m = len(t)
    rad = [0] * m
    center = right = 0
    best = 0
    for i in range(2, m - 2):
        k = 0
        if i < right:
            k = rad[2 * center - i]
            if k > right - i:
                k = right - i
        while t[i + k + 1] == t[i - k - 1]:
            k += 1
        rad[i] = k
        if i + k > right:
            center, right = i, i + k
            if k > best:
                best = k
    return best
