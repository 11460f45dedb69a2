"""O(q * N): recompute the recurrence D(n) = (n-1) * (D(n-1) + D(n-2)) mod p for every query."""


def derangements(queries, p):
    out = []
    for n in queries:
        if n == 0:
            out.append(1)
            continue
        a, b = 1, 0  # D(0), D(1)
        for i in range(2, n + 1):
            a, b = b, (i - 1) * (a + b) % p
        out.append(b)
    return out
