"""O(n log n): sort both strings' letters and compare."""


def is_anagram(a, b):
    return sorted(a) == sorted(b)
