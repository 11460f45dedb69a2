"""O(q * n log n): count the '1' characters of bin(i) for every i up to n."""


def total_set_bits(queries):
    out = []
    for n in queries:
        total = 0
        for i in range(n + 1):
            total += bin(i).count("1")
        out.append(total)
    return out
