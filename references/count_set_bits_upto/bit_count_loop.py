"""O(q * n): add int.bit_count() of every number up to n (C-level loop)."""


def total_set_bits(queries):
    return [sum(map(int.bit_count, range(n + 1))) for n in queries]
