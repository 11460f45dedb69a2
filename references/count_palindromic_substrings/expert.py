"""O(n): Manacher's algorithm; a centre with radius k contributes ceil(k / 2) palindromes."""


def count_palindromes(s):
    if not s:
        return 0
    t = "^#" + "#".join(s) + "#$"
    m = len(t)
    rad = [0] * m
    center = right = 0
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
    # a radius k in t is a palindrome of length k in s: ceil(k / 2) palindromes share that
    # centre; k is odd exactly at the len(s) letter centres
    return (sum(rad) + len(s)) // 2
