"""O(q * (hi - lo)): add int.bit_count() of every number from lo to hi (C-level loop)."""


def total_set_bits(queries):
    return [sum(map(int.bit_count, range(lo, hi + 1))) for lo, hi in queries]
