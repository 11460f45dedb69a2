"""O(n + m): a set of b, then a C-level map of its membership test over a."""


def count_common(a, b):
    return sum(map(set(b).__contains__, a))
