"""O(n + m): a set of b, then a C-level filterfalse over a."""

from itertools import filterfalse


def list_difference(a, b):
    return list(filterfalse(set(b).__contains__, a))
