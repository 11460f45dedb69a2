"""O(n): str.split (a C scan)."""


def count_words(text):
    return len(text.split())
