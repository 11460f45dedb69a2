"""O(n): str.count (a C scan)."""


def count_char(s, ch):
    return s.count(ch)
