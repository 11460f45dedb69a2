"""O(n): the same length and the same str.count (a C scan) for each of the 26 letters."""


def is_anagram(a, b):
    return len(a) == len(b) and all(a.count(c) == b.count(c) for c in "abcdefghijklmnopqrstuvwxyz")
