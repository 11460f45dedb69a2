"""O(n^2) worst case: expand around each of the 2n - 1 centres."""


def longest_palindrome(s):
    n = len(s)
    best = 0
    for center in range(2 * n - 1):
        lo = center // 2
        hi = lo + center % 2
        while lo >= 0 and hi < n and s[lo] == s[hi]:
            lo -= 1
            hi += 1
        if hi - lo - 1 > best:
            best = hi - lo - 1
    return best
