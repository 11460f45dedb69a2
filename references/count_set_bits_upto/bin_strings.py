"""O(q * (hi - lo) log hi): count the '1' characters of bin(i) for every i from lo to hi."""


def total_set_bits(queries):
    out = []
    for lo, hi in queries:
        total = 0
        for i in range(lo, hi + 1):
            total += bin(i).count("1")
        out.append(total)
    return out
