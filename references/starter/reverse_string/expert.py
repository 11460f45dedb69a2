"""O(n): a slice with step -1 (a C copy)."""


def reverse_string(s):
    return s[::-1]
