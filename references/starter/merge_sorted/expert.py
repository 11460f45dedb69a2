"""O(n + m): sorted() on the concatenation; Timsort finds the two runs and merges them in C."""


def merge_sorted(a, b):
    return sorted(a + b)
