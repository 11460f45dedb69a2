"""O(n): compare with the reversed slice (C copies and a C comparison)."""


def is_palindrome(s):
    return s == s[::-1]
