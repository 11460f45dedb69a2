"""O(n^2) worst case: expand around each centre, counting every step."""


def count_palindromes(s):
    n = len(s)
    count = 0
    for center in range(2 * n - 1):
        lo = center // 2
        hi = lo + center % 2
        while lo >= 0 and hi < n and s[lo] == s[hi]:
            count += 1
            lo -= 1
            hi += 1
    return count
